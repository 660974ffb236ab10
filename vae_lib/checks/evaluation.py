"""Checkers for evaluating a trained VAE: the stable log-mean-exp of the importance-weighted
estimate, and the count of active latent units.

Introduced in chapter 7.
"""

import math

import keras
import numpy as np
import scipy.special

from vae_lib import evaluation as evaluation_lib
from vae_lib.checks._core import (
    _call,
    _check_shape,
    _compare,
    _Failure,
    _report,
    forbids,
)

__all__ = ["log_mean_exp", "active_units"]


# --- log_mean_exp ----------------------------------------------------------------------------

def _log_mean_exp_cases():
    """(where, log_w) pairs, log_w of shape (K, N): samples along axis 0, images along 1."""
    rng = np.random.default_rng(7)
    typical = rng.normal(-100.0, 3.0, size=(50, 4))
    tiny = rng.normal(-800.0, 5.0, size=(200, 3))            # exp() underflows even in float64
    huge = rng.normal(800.0, 5.0, size=(20, 2))              # exp() overflows
    spread = np.array([[-1000.0, 0.0], [-2.0, -900.0], [-1.0, -905.0]])  # one weight dominates
    zero_weight = np.array([[-np.inf, -90.0], [-95.0, -91.0], [-96.0, -np.inf]])
    return [
        ("(K=50 samples of N=4 images, log-weights near -100)", typical),
        ("(K=200, N=3, log-weights near -800: exp() is 0 even in float64)", tiny),
        ("(K=20, N=2, log-weights near +800: exp() overflows)", huge),
        ("(K=3, N=2, log-weights that differ by hundreds of nats)", spread),
        ("(K=1 sample of N=5 images)", rng.normal(-120.0, 10.0, size=(1, 5))),
        ("(K=30 samples of N=1 image)", rng.normal(-300.0, 2.0, size=(30, 1))),
        ("(K=3, N=2, with a weight of exactly 0, log w = -inf)", zero_weight),
        ("(K=40, N=3, float32 log-weights near -100)",
         rng.normal(-100.0, 3.0, size=(40, 3)).astype("float32")),
    ]


def _run_log_mean_exp(fn):
    for where, log_w in _log_mean_exp_cases():
        num_samples, num_images = log_w.shape
        expected = scipy.special.logsumexp(log_w.astype("float64"), axis=0) - math.log(num_samples)
        got = _call(fn, (log_w,), where)
        if num_images == 1 and got.shape == ():
            got = got.reshape(1)
        hints = {(num_samples,): ": you reduced over the images (axis 1); average over the K "
                                 "samples, axis 0",
                 (): ": return one value per image, shape (N,), not one number",
                 (1, num_images): ": return shape (N,), not (1, N) (drop keepdims=True)"}
        _check_shape(got, (num_images,), where, hints)
        finite = np.isfinite(expected)
        if np.any(~np.isfinite(got) & finite):
            index = int(np.argmax(~np.isfinite(got) & finite))
            direction = "underflows to 0" if got[index] < 0 else "overflows to infinity"
            raise _Failure(f"you returned {got[index]} for image {index}, expected "
                           f"{expected[index]:.6g} {where}: exp(log_w) {direction} there; "
                           "subtract each image's largest log-weight before exponentiating "
                           "and add it back after the logarithm")
        with np.errstate(all="ignore"):
            top = log_w.max(axis=0).astype("float64")
            known_bugs = [
                (expected + math.log(num_samples),
                 f"you returned the log of the SUM of the weights; the estimate averages "
                 f"them: subtract log K = log {num_samples}"),
                (np.mean(log_w, axis=0),
                 "you averaged the log-weights (that is the K-sample average of single-sample "
                 "ELBOs); the estimate is the log of the average of the weights"),
                (top, "you returned the largest log-weight; the other weights count too: "
                      "add log of the mean of exp(log_w - max)"),
                (top - math.log(num_samples),
                 "you kept only the largest weight (max - log K); the other weights count too"),
                (-expected, "your result has the wrong sign"),
            ]
        if num_samples > 1:
            _compare(got, expected, where, lambda index: f"image {index[0]}", known_bugs)
        else:
            _compare(got, expected, where, lambda index: f"image {index[0]}")


@forbids(scipy.special.logsumexp, keras.ops.logsumexp, evaluation_lib.log_likelihood)
def log_mean_exp(fn, verbose=True):
    """Check a student's stable log-mean-exp over importance samples.

    The estimate of chapter 7 is log (1/K) sum_k exp(log_w[k, n]) for each image n. The
    checker tries log-weights near -100, near -800 (where exp underflows even in float64),
    near +800, with a spread of hundreds of nats, with K = 1, with N = 1, with a weight of
    exactly zero (log w = -inf) and in float32. A library log-sum-exp (SciPy's, Keras's)
    is not accepted: the exercise is to write the stable form.

    Args:
        fn: the student's function ``fn(log_w)``; ``log_w`` is a NumPy array (K, N) of
            log-weights in nats (samples along axis 0, images along axis 1); returns (N,).
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 7.
    """
    return _report(fn, verbose, _run_log_mean_exp,
                   "log_mean_exp matches SciPy on 8 inputs, including log-weights near -800 and "
                   "+800, K = 1, N = 1, a zero weight and float32.")


# --- active_units ----------------------------------------------------------------------------

def _active_units_cases():
    """(where, z_mean, threshold, expected count) with variances far from the threshold, so
    that the divisor of the variance (N or N - 1) cannot change the count."""
    rng = np.random.default_rng(11)
    scales = np.array([1.0, 0.5, 0.3, 0.05, 0.02, 0.002, 0.0])  # variances 1 ... 4e-6, 0
    base = rng.standard_normal((400, len(scales)))
    base = (base - base.mean(axis=0)) / base.std(axis=0)     # variance exactly 1 per column
    z_mean = base * scales + np.array([2.0, -1.0, 3.0, 5.0, 2.0, 4.0, 1.0])  # mean != 0
    wide = rng.standard_normal((300, 3)) * np.array([0.3, 0.3, 0.3])
    rows = rng.standard_normal((6, 16)) * 0.01               # few images, tiny variance
    rows[:, :5] *= 100                                       # ... except 5 dimensions
    one_dim = rng.standard_normal((50, 1)) * 0.5
    return [
        ("(400 images, latent_dim 7, variances from 1 to 0)", z_mean, 0.01),
        ("(the same codes, threshold 0.1)", z_mean, 0.1),
        ("(the same codes, threshold 0.0001)", z_mean, 1e-4),
        ("(300 images, latent_dim 3, all variances about 0.09)", wide, 0.01),
        ("(6 images, latent_dim 16)", rows, 0.01),
        ("(50 images, latent_dim 1)", one_dim, 0.01),
    ]


def _count(z_mean, threshold, axis=0, statistic=np.var):
    return int(np.sum(statistic(z_mean, axis=axis) > threshold))


def _run_active_units(fn):
    for where, z_mean, threshold in _active_units_cases():
        expected = _count(z_mean, threshold)
        got = _call(fn, (z_mean.astype("float32"), threshold), where)
        if got.size != 1:
            raise _Failure(f"your function returned an array of shape {got.shape} {where}; "
                           "expected one number, the count of active dimensions (sum the "
                           "boolean mask)")
        got = float(got.reshape(()))
        if got == expected:
            continue
        num_images, latent_dim = z_mean.shape
        known_bugs = [
            (_count(z_mean, threshold, axis=1) if num_images != latent_dim else None,
             "you took the variance over the latent dimensions of each image (axis 1); "
             "activity is the variance of each dimension over the images (axis 0)"),
            (_count(z_mean, threshold, statistic=np.std),
             "you compared the standard deviation with the threshold; A_u is the VARIANCE "
             "of the posterior mean over the images"),
            (_count(z_mean, threshold, statistic=np.mean),
             "you compared the mean of the posterior means with the threshold; A_u is their "
             "variance over the images"),
            (latent_dim - expected,
             "you counted the inactive dimensions; count those whose variance EXCEEDS the "
             "threshold"),
            (float(np.sum(np.var(z_mean, axis=0) < threshold)),
             "you counted the dimensions below the threshold; count those above it"),
        ]
        for value, message in known_bugs:
            if value is not None and got == value:
                raise _Failure(f"{message} {where}")
        raise _Failure(f"you returned {got:g} active units, expected {expected} {where}: a "
                       "dimension u is active when Var over images of z_mean[:, u] > threshold")


@forbids(evaluation_lib.active_units)
def active_units(fn, verbose=True):
    """Check a student's count of active latent units (Burda et al., 2015).

    A dimension u is active when A_u = Var_x(E_q[z_u | x]) exceeds the threshold: the
    variance, over the images, of the posterior means in that dimension.

    Args:
        fn: the student's function ``fn(z_mean, threshold)``; ``z_mean`` is a (N, latent_dim)
            NumPy array of posterior means of N images, ``threshold`` a positive number;
            returns the number of active dimensions (an integer, or a 0-d array).
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 7.
    """
    return _report(fn, verbose, _run_active_units,
                   "active_units counts like vae_lib on 6 inputs, including three thresholds, "
                   "6 images and latent_dim 1.")
