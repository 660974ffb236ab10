"""Checkers for chapter 3's latent variable models: log p(x) by quadrature over a grid of
codes, and the importance-sampling estimate of log p(x) from codes drawn from q(z | x).

Both are tested on linear-Gaussian models, where log p(x) is known in closed form, and on
the chapter's spiral decoder.

Introduced in chapter 3.
"""

import math

import numpy as np
import scipy.special
import scipy.stats

from vae_lib import evaluation as evaluation_lib
from vae_lib.checks._core import _call, _compare, _Failure, _report, forbids

__all__ = ["log_marginal_quadrature", "importance_log_px"]

LOG_2PI = math.log(2 * math.pi)


def _log_normal(x, mean, variance):
    """Elementwise log N(x; mean, variance), float64."""
    return -0.5 * (LOG_2PI + np.log(variance) + (x - mean) ** 2 / variance)


def _spiral(z):
    """Chapter 3's decoder: (M,) codes -> (M, 2) points on a logarithmic spiral."""
    radius, angle = np.exp(0.4 * z), 2.5 * z
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)


# --- log_marginal_quadrature -------------------------------------------------------------------

def _quadrature(x, fz, noise_std, z_grid, variance=None, prior=True, spacing=True,
                normalized=True, mean_over_grid=False):
    """log p(x) = logsumexp_m [log p(x | z_m) + log p(z_m)] + log dz, and its usual mistakes."""
    variance = noise_std ** 2 if variance is None else variance
    squared = np.sum((x[:, None, :] - fz[None, :, :]) ** 2, axis=-1)          # (N, M)
    dims = x.shape[1]
    log_likelihood = -0.5 * squared / variance
    if normalized:
        log_likelihood = log_likelihood - 0.5 * dims * (LOG_2PI + math.log(variance))
    log_joint = log_likelihood + (_log_normal(z_grid, 0.0, 1.0) if prior else 0.0)
    result = scipy.special.logsumexp(log_joint, axis=1)
    if mean_over_grid:
        return result - math.log(len(z_grid))
    return result + (math.log(z_grid[1] - z_grid[0]) if spacing else 0.0)


def _quadrature_cases():
    rng = np.random.default_rng(14)
    offset, slope, sigma = np.array([0.5, -1.0]), np.array([1.2, 0.7]), 0.15
    grid = np.linspace(-6, 6, 2001)
    linear_x = offset + rng.standard_normal((40, 1)) * slope + sigma * rng.standard_normal(
        (40, 2))
    exact = scipy.stats.multivariate_normal(offset, np.outer(slope, slope)
                                            + sigma ** 2 * np.eye(2)).logpdf(linear_x)
    spiral_x = np.array([[0.05, 1.05], [-0.3, 0.4], [0.0, 0.0], [2.0, -1.5], [40.0, 30.0]])
    coarse = np.linspace(-8, 8, 801)
    one_dim = np.linspace(-5, 5, 501)
    return [
        ("(linear decoder f(z) = a + b z, 40 points x in 2-D, noise_std 0.15, 2,001 codes on "
         "[-6, 6])", linear_x, offset + grid[:, None] * slope, sigma, grid, exact),
        ("(the spiral decoder, 5 points x including one far from the spiral, noise_std 0.15)",
         spiral_x, _spiral(grid), 0.15, grid, None),
        ("(the spiral decoder, noise_std 0.5, 801 codes on [-8, 8])", spiral_x[:4],
         _spiral(coarse), 0.5, coarse, None),
        ("(1-D points x = z + noise, one point, noise_std 2, 501 codes on [-5, 5])",
         np.array([[1.5]]), one_dim[:, None], 2.0, one_dim,
         np.array([_log_normal(1.5, 0.0, 1.0 + 4.0)])),
    ]


def _run_log_marginal_quadrature(fn):
    for where, x, fz, noise_std, z_grid, exact in _quadrature_cases():
        expected = _quadrature(x, fz, noise_std, z_grid)
        if exact is not None:  # the reference itself against the closed form
            np.testing.assert_allclose(expected, exact, rtol=1e-6, atol=1e-5)
        got = _call(fn, (x, fz, noise_std, z_grid), where)
        num_points, num_codes = len(x), len(z_grid)
        if num_points == 1 and got.shape == ():
            got = got.reshape(1)
        if got.shape != (num_points,):
            hints = {(num_points, num_codes): ": that is the table of log p(x, z_m); "
                                              "log-sum-exp over the codes (axis 1)",
                     (num_codes, num_points): ": that is the table of log p(x, z_m) with the "
                                              "codes first; log-sum-exp over the codes",
                     (num_points, x.shape[1]): ": sum the Gaussian log-density over the "
                                               "coordinates of x first",
                     (): ": return one value per point x, shape (N,)"}
            raise _Failure(f"your result has shape {got.shape}, expected ({num_points},) "
                           f"{where}{hints.get(got.shape, '')}")
        finite = np.isfinite(expected)
        if np.any(~np.isfinite(got) & finite):
            index = int(np.argmax(~np.isfinite(got) & finite))
            raise _Failure(f"you returned {got[index]} for point {index}, expected "
                           f"{expected[index]:.6g} {where}: p(x | z) underflows to 0 far from "
                           "the decoder's curve; add the log-densities and use "
                           "scipy.special.logsumexp instead of exp, sum, log")
        with np.errstate(all="ignore"):
            known_bugs = [
                (_quadrature(x, fz, noise_std, z_grid, spacing=False),
                 "you forgot the grid spacing: add log(dz), dz = z_grid[1] - z_grid[0]"),
                (_quadrature(x, fz, noise_std, z_grid, mean_over_grid=True),
                 "you averaged over the grid (subtracted log M); the integral is the SUM over "
                 "the grid times the spacing: add log(dz) instead"),
                (_quadrature(x, fz, noise_std, z_grid, prior=False),
                 "you left out the prior: add log p(z_m) = log N(z_m; 0, 1) to every term"),
                (_quadrature(x, fz, noise_std, z_grid, variance=noise_std),
                 "you used noise_std as the variance; the variance is noise_std ** 2"),
                (_quadrature(x, fz, noise_std, z_grid, normalized=False),
                 "you left out the Gaussian's normalizing constant "
                 "-D/2 log(2 pi noise_std^2) of log p(x | z)"),
                (np.exp(expected), "you returned p(x); return log p(x)"),
            ]
        _compare(got, expected, where, lambda index: f"point {index[0]}", known_bugs)


@forbids()
def log_marginal_quadrature(fn, verbose=True):
    """Check a student's log p(x) by quadrature over a uniform grid of one-dimensional codes.

    The model is z ~ N(0, 1), x | z ~ N(f(z), noise_std^2 I). The checker compares with the
    closed form of a linear decoder and with a reference quadrature for the chapter's spiral
    (including a point so far from the spiral that p(x | z) is 0 in floating point), a coarse
    grid on another interval, and 1-D points; it names common mistakes (the grid spacing or
    the prior forgotten, the mean over the grid, noise_std used as the variance, the
    normalizing constant left out, p(x) instead of log p(x), underflow).

    Args:
        fn: the student's function ``fn(x, fz, noise_std, z_grid)``; ``x`` (N, D) points,
            ``fz`` (M, D) the decoder's outputs f(z_m) at the grid codes, ``noise_std`` a
            number, ``z_grid`` (M,) equally spaced codes; returns (N,) values of log p(x) in
            nats.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 3.
    """
    return _report(fn, verbose, _run_log_marginal_quadrature,
                   "my_log_marginal matches the closed form and a reference quadrature on 4 "
                   "inputs, including a point far from the spiral and 1-D points.")


# --- importance_log_px -------------------------------------------------------------------------

def _estimate(log_likelihood, z, z_mean, z_log_var, prior=True, proposal=True, average=True,
              log_mean=True, q_variance=None):
    """log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k), and its usual mistakes."""
    variance = np.exp(z_log_var) if q_variance is None else q_variance
    log_w = np.array(log_likelihood, dtype=np.float64)
    if prior:
        log_w = log_w + np.sum(_log_normal(z, 0.0, 1.0), axis=1)
    if proposal:
        log_w = log_w - np.sum(_log_normal(z, z_mean, variance), axis=1)
    if not log_mean:
        return float(np.mean(log_w))
    return float(scipy.special.logsumexp(log_w) - (math.log(len(log_w)) if average else 0.0))


def _linear_gaussian(rng, x, noise_std, num_samples, widen=1.0):
    """x = z + noise in d dimensions: codes from q = the exact posterior (widened), their
    log p(x | z), q's parameters, and the exact log p(x)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    shrink = 1.0 / (1.0 + noise_std ** 2)
    z_mean = x * shrink
    z_log_var = np.full_like(x, math.log(noise_std ** 2 * shrink * widen ** 2))
    z = z_mean + np.exp(z_log_var / 2) * rng.standard_normal((num_samples, len(x)))
    log_likelihood = np.sum(_log_normal(x, z, noise_std ** 2), axis=1)
    exact = float(np.sum(_log_normal(x, 0.0, 1.0 + noise_std ** 2)))
    return log_likelihood, z, z_mean, z_log_var, exact


def _importance_cases():
    rng = np.random.default_rng(15)
    cases = []
    parts = _linear_gaussian(rng, 1.3, 0.5, 20)
    cases.append(("(x = z + noise in 1-D, q the exact posterior: every weight is p(x), 20 "
                  "codes)", *parts))
    for where, x, noise_std, num_samples, widen in (
            ("(the same x, q twice as wide as the posterior, 5,000 codes)", 1.3, 0.5, 5_000,
             2.0),
            ("(3-D codes, q 1.5 times as wide as the posterior, 200 codes)", [0.4, -1.1, 2.0],
             0.3, 200, 1.5),
            ("(2-D codes, a single code K = 1)", [0.7, 0.2], 0.4, 1, 1.3),
            ("(x = 60, far out: log-weights near -1,440 nats, 50 codes)", 60.0, 0.5, 50, 1.2)):
        cases.append((where, *_linear_gaussian(rng, x, noise_std, num_samples, widen)[:4],
                      None))
    z = 0.3 + 0.05 * rng.standard_normal((100, 1))
    spiral_x = _spiral(np.array([0.3]))[0] + np.array([0.02, -0.01])
    log_likelihood = np.sum(_log_normal(spiral_x, _spiral(z[:, 0]), 0.15 ** 2), axis=1)
    cases.append(("(the spiral decoder, a narrow q around z = 0.3, 100 codes)", log_likelihood,
                  z, np.array([0.3]), np.array([2 * math.log(0.05)]), None))
    return cases


def _run_importance_log_px(fn):
    for where, log_likelihood, z, z_mean, z_log_var, exact in _importance_cases():
        expected = _estimate(log_likelihood, z, z_mean, z_log_var)
        if exact is not None:  # q is the exact posterior: every weight is p(x)
            np.testing.assert_allclose(expected, exact, rtol=1e-9, atol=1e-9)
        got = _call(fn, (log_likelihood, z, z_mean, z_log_var), where)
        num_samples, latent_dim = z.shape
        if got.size != 1:
            hints = {(num_samples,): ": those are the K log-weights; combine them into one "
                                     "estimate (log of their mean)",
                     (num_samples, latent_dim): ": sum the log-densities over the latent "
                                                "dimensions (axis 1) first",
                     (latent_dim,): ": sum over the latent dimensions and reduce over the "
                                    "K codes"}
            raise _Failure(f"your result has shape {got.shape}, expected one number {where}"
                           f"{hints.get(got.shape, '')}")
        got = got.reshape(1)
        if not np.isfinite(got[0]):
            raise _Failure(f"you returned {got[0]}, expected {expected:.6g} {where}: the "
                           "weights exp(log_w) underflow to 0 there; subtract the largest "
                           "log-weight before exponentiating (scipy.special.logsumexp)")
        with np.errstate(all="ignore"):
            known_bugs = [
                ([_estimate(log_likelihood, z, z_mean, z_log_var, log_mean=False)],
                 "you averaged the log-weights: that is the Monte Carlo ELBO, a lower bound; "
                 "the estimate is the log of the MEAN of the weights (log-mean-exp)"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var, prior=False,
                            proposal=False)],
                 "you weighted each code by p(x | z) alone, the naive estimator for codes drawn "
                 "from the PRIOR; these codes come from q, so each weight is "
                 "p(x | z) p(z) / q(z | x)"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var, proposal=False)],
                 "you forgot to divide by q(z | x): subtract log q(z_k | x) from each "
                 "log-weight"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var, prior=False)],
                 "you forgot the prior: add log p(z_k) = log N(z_k; 0, I) to each log-weight"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var, average=False)],
                 f"you returned the log of the SUM of the {num_samples} weights; the estimate "
                 "is their mean: subtract log K"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var,
                            q_variance=np.exp(z_log_var / 2))],
                 "you used exp(z_log_var / 2) as q's variance; that is its standard deviation "
                 "(the variance is exp(z_log_var))"),
                ([_estimate(log_likelihood, z, z_mean, z_log_var,
                            q_variance=np.exp(2 * z_log_var))],
                 "you used exp(z_log_var) as q's standard deviation; it is the variance"),
                ([math.exp(expected)], "you returned p(x); return log p(x)"),
            ]
        _compare(got, np.array([expected]), where, lambda index: "the estimate", known_bugs)


@forbids(evaluation_lib.log_likelihood)
def importance_log_px(fn, verbose=True):
    """Check a student's importance-sampling estimate of log p(x) from K codes z_k ~ q(z | x).

    log p_hat(x) = log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x), with the prior
    p(z) = N(0, I) and q(z | x) = N(z_mean, diag(exp(z_log_var))). The checker uses
    linear-Gaussian models (where q can be the exact posterior, and then every weight equals
    p(x)), 3-D codes, K = 1, log-weights near -1,440 nats (the weights underflow to 0) and
    the chapter's spiral; it names common mistakes: the mean of the log-weights (the ELBO), the
    naive estimator's weights p(x | z) for codes that come from q, log q or log p(z) forgotten,
    log K forgotten, the standard deviation and the variance of q confused, underflow.

    Args:
        fn: the student's function ``fn(log_likelihood, z, z_mean, z_log_var)``;
            ``log_likelihood`` (K,) values of log p(x | z_k), ``z`` (K, latent_dim) the codes,
            ``z_mean`` and ``z_log_var`` (latent_dim,) the parameters of q; returns one
            number, the estimate of log p(x) in nats.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 3.
    """
    return _report(fn, verbose, _run_importance_log_px,
                   "my_importance_log_px matches the importance-sampling estimate on 6 inputs, "
                   "including q = the exact posterior, K = 1 and log-weights near -1,440.")
