"""Checkers for chapters 5 and 6: the score-function gradient estimator, the KL of each latent
dimension, and sampling images from the prior.

Introduced in chapters 5 (``score_function_gradient``) and 6 (``kl_per_dimension``,
``sample_from_prior``).
"""

import math

import numpy as np
from keras import ops

from vae_lib import distributions, evaluation, models
from vae_lib.checks._core import (
    ATOL,
    _call,
    _check_shape,
    _compare,
    _Failure,
    _first,
    _fmt,
    _numpy,
    _report,
    forbids,
)

__all__ = ["score_function_gradient", "kl_per_dimension", "sample_from_prior"]


# --- score_function_gradient (chapter 5) -----------------------------------------------------

SCORE_REPEATS = 500  # calls per case: enough to test the mean and the variance


def _square(z):
    return z ** 2


def _score_variance(mu, sigma, num_samples):
    """Variance of the plain score-function estimate of dJ/dmu for f(z) = z^2 (chapter 5)."""
    return (mu**4 / sigma**2 + 14 * mu**2 + 15 * sigma**2) / num_samples


def _run_score_function_gradient(fn):
    cases = [(1.0, 0.5, 4), (-0.5, 1.5, 16)]
    for mu, sigma, num_samples in cases:
        where = (f"(f(z) = z**2, mu={mu:g}, sigma={sigma:g}, num_samples={num_samples}, "
                 f"{SCORE_REPEATS:,} calls)")
        estimates = []
        for _ in range(SCORE_REPEATS):
            got = _call(lambda: fn(_square, mu, sigma, num_samples), (), where)
            if not estimates:
                per_sample = ": average over the samples; return one (d_mu, d_sigma) pair"
                _check_shape(got, (2,), where, {(num_samples, 2): per_sample,
                                                 (2, num_samples): per_sample,
                                                 (num_samples,): per_sample,
                                                 (): ": return two numbers, d_mu and d_sigma"})
            if got.shape != (2,):
                raise _Failure(f"your function returned shape {got.shape} on a later call, "
                               f"expected (2,) {where}")
            if not np.all(np.isfinite(got)):
                raise _Failure(f"your function returned {got} {where}")
            estimates.append(got)
        estimates = np.array(estimates)
        if np.all(estimates == estimates[0]):
            raise _Failure(f"every call returned the same estimate {where}: draw fresh samples "
                           "on every call (a fixed seed inside the function repeats them)")
        _check_unbiased(estimates, mu, sigma, where)
        _check_variance(estimates[:, 0], mu, sigma, num_samples, where)


def _check_unbiased(estimates, mu, sigma, where):
    mean = estimates.mean(axis=0)
    error = estimates.std(axis=0, ddof=1) / math.sqrt(len(estimates))
    exact = np.array([2 * mu, 2 * sigma])

    def near(value, index):
        return abs(mean[index] - value) <= 5 * error[index] + 1e-9

    if near(exact[0], 0) and near(exact[1], 1):
        return
    if near(0.0, 0) and near(0.0, 1):
        raise _Failure(f"your estimates average to 0 {where}: multiply the score by f(z) "
                       "(the estimator is the mean of f(z) * d log q(z) / d lambda)")
    if near(-exact[0], 0) and near(-exact[1], 1):
        raise _Failure(f"your estimates have the wrong sign {where}: the estimator is "
                       "+f(z) * d log q(z) / d lambda")
    if not near(exact[0], 0):
        if near(exact[0] * sigma, 0):
            raise _Failure(f"your d_mu averages sigma times the exact gradient {where}: the "
                           "score of mu is (z - mu) / sigma**2, not (z - mu) / sigma")
        raise _Failure(f"your d_mu averages {mean[0]:.4g} +- {error[0]:.2g} over the calls, but "
                       f"the exact gradient is 2 mu = {exact[0]:.4g} {where}: the estimator is "
                       "biased; use f(z) * (z - mu) / sigma**2 with z ~ N(mu, sigma**2)")
    forgot = (mu**2 + 3 * sigma**2) / sigma  # E[f(z) (z - mu)^2 / sigma^3]
    if near(forgot, 1):
        raise _Failure(f"your d_sigma misses the -1/sigma part of the score {where}: "
                       "d log q / d sigma = ((z - mu)**2 - sigma**2) / sigma**3")
    if near(exact[1] * sigma, 1):
        raise _Failure(f"your d_sigma averages sigma times the exact gradient {where}: divide "
                       "((z - mu)**2 - sigma**2) by sigma**3, not sigma**2")
    raise _Failure(f"your d_sigma averages {mean[1]:.4g} +- {error[1]:.2g} over the calls, but "
                   f"the exact gradient is 2 sigma = {exact[1]:.4g} {where}: the estimator is "
                   "biased; use f(z) * ((z - mu)**2 - sigma**2) / sigma**3")


def _check_variance(d_mu, mu, sigma, num_samples, where):
    expected = _score_variance(mu, sigma, num_samples)
    measured = float(np.var(d_mu, ddof=1))
    ratio = measured / expected
    # With 500 calls a correct estimator's ratio stays within about [0.65, 1.75] (simulated
    # 3,000 times per case); the bugs below are off by a factor of 4 or more.
    if 0.5 <= ratio <= 2.5:
        return
    if ratio > 2.5 and 0.4 < ratio / num_samples < 2.5:
        raise _Failure(f"the variance of your d_mu is {ratio:.1f} times that of a "
                       f"{num_samples}-sample estimate {where}: average f(z) times the score "
                       "over num_samples samples, not over one")
    if ratio < 0.5:
        raise _Failure(f"the variance of your d_mu is {measured:.3g}, well below the "
                       f"{expected:.3g} of the plain score-function estimator {where}: did you "
                       "use a baseline, more samples than num_samples, or the derivative of f? "
                       "This exercise asks for the plain estimator, f(z) times the score")
    raise _Failure(f"the variance of your d_mu is {measured:.3g}, expected about {expected:.3g} "
                   f"for {num_samples} samples {where}")


@forbids()
def score_function_gradient(fn, verbose=True):
    """Check a student's score-function (REINFORCE) estimator by its mean and its variance.

    The checker calls the function many times with f(z) = z**2, for which the exact gradient
    of J = E[f(z)] is (2 mu, 2 sigma) and the estimator's variance for d_mu is known in closed
    form (chapter 5), and compares the average of the estimates with the exact gradient
    (within 5 standard errors) and their variance with the closed form.

    Args:
        fn: the student's function ``fn(f, mu, sigma, num_samples)``: ``f`` maps an array of
            samples to an array of values; ``mu``, ``sigma`` are floats, ``num_samples`` an
            int. Returns one estimate of (dJ/dmu, dJ/dsigma), shape (2,), from
            ``num_samples`` fresh draws z ~ N(mu, sigma**2).
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 5.
    """
    return _report(fn, verbose, _run_score_function_gradient,
                   "score_function_gradient is unbiased for (mu, sigma) = (1, 0.5) and "
                   "(-0.5, 1.5), with the variance of the plain estimator for 4 and 16 samples.")


# --- kl_per_dimension (chapter 6) ------------------------------------------------------------

def _run_kl_per_dimension(fn):
    rng = np.random.default_rng(6)
    cases = [
        (rng.normal(size=(5, 4)), rng.uniform(-3, 2, (5, 4))),
        (rng.normal(size=(1, 3)), rng.uniform(-3, 2, (1, 3))),
        (rng.normal(size=(6, 1)), rng.uniform(-3, 2, (6, 1))),
        (np.array([[0.3, -0.2], [1.0, 0.5], [0.0, 0.0]]),
         np.array([[-20.0, 20.0], [20.0, -20.0], [0.0, 0.0]])),
    ]
    for z_mean, z_log_var in cases:
        z_mean, z_log_var = z_mean.astype("float32"), z_log_var.astype("float32")
        batch, latent_dim = z_mean.shape
        where = f"(batch of {batch}, latent_dim {latent_dim})"
        per_example = _numpy(distributions.kl_normal_standard_per_dimension(z_mean, z_log_var))
        expected = per_example.mean(axis=0)
        got = _call(fn, (z_mean, z_log_var), where)
        hints = {(batch,): ": you summed over latent dimensions; return one value per "
                           "dimension, averaged over the images (axis 0)",
                 (batch, latent_dim): ": average over the images (axis 0), one value per "
                                      "latent dimension",
                 (): ": return one value per latent dimension, not one number",
                 (1, latent_dim): ": drop keepdims=True"}
        if batch == latent_dim:
            hints.pop((batch,))
        _check_shape(got, (latent_dim,), where, hints)

        negative = got < -ATOL
        if negative.any():
            j = _first(negative)[0]
            raise _Failure(f"your KL of dimension {j} is negative ({got[j]:.4g}) {where}; a KL "
                           "is never negative: check the sign")
        known_bugs = [
            (expected / 2, "your values are half the expected ones: the factor is 1/2, not 1/4"),
            (expected * 2, "your values are twice the expected ones: did you forget the "
                           "factor 1/2?"),
            (expected + 0.5, "you forgot the -1 inside the bracket"),
            (expected - 0.5 * np.mean(z_mean.astype("float64") ** 2, axis=0),
             "you left out the z_mean**2 term: moving the mean away from 0 costs KL too"),
            (_numpy(distributions.kl_normal_standard_per_dimension(z_mean, 2 * z_log_var))
             .mean(axis=0),
             "you used exp(z_log_var) as the standard deviation; it is the variance"),
        ]
        if batch > 1:
            known_bugs.insert(0, (expected * batch,
                                  f"your values are {batch} times too large: you summed over "
                                  "the images instead of averaging"))
        _compare(got, expected, where,
                 lambda index: f"latent dimension {index[0]} (z_mean column "
                               f"{_fmt(z_mean[:, index[0]])}, z_log_var column "
                               f"{_fmt(z_log_var[:, index[0]])})", known_bugs)


@forbids(distributions.kl_normal_standard_per_dimension, distributions.kl_normal_standard,
         evaluation.kl_per_dimension)
def kl_per_dimension(fn, verbose=True):
    """Check a student's average KL of each latent dimension against the library's.

    Args:
        fn: the student's function ``fn(z_mean, z_log_var)``, both (batch, latent_dim);
            returns (latent_dim,): KL(q(z_j|x) || N(0, 1)) of each dimension j in nats,
            averaged over the batch.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 6.
    """
    return _report(fn, verbose, _run_kl_per_dimension,
                   "kl_per_dimension matches vae_lib on 4 inputs, including a batch of 1, "
                   "latent_dim 1 and z_log_var of +-20.")


# --- sample_from_prior (chapter 6) -----------------------------------------------------------

class _RecordingDecoder:
    """A small fixed linear decoder z -> x_logits (N, 28, 28, 1) that remembers its codes."""

    def __init__(self, latent_dim):
        rng = np.random.default_rng(60 + latent_dim)
        self.weights = rng.normal(0, 1.5, (latent_dim, 784)).astype("float32")
        self.bias = rng.normal(0, 1.0, 784).astype("float32")
        self.latent_dim = latent_dim
        self.codes = []

    def __call__(self, z, training=False):
        z_values = np.asarray(ops.convert_to_numpy(z), dtype="float32")
        if z_values.ndim != 2 or z_values.shape[1] != self.latent_dim:
            raise ValueError(f"the decoder takes codes of shape (N, {self.latent_dim}); it got "
                             f"shape {z_values.shape}")
        self.codes.append(z_values)
        logits = ops.matmul(ops.convert_to_tensor(z_values), self.weights) + self.bias
        return ops.reshape(logits, (-1, 28, 28, 1))

    def logits(self, z):
        return (np.asarray(z, "float64") @ self.weights + self.bias).reshape(-1, 28, 28, 1)


def _sample_once(fn, latent_dim, num_samples, where):
    decoder = _RecordingDecoder(latent_dim)
    images = _call(lambda: fn(decoder, num_samples, latent_dim), (), where)
    if not decoder.codes:
        raise _Failure(f"your function never called the decoder {where}: draw the codes and "
                       "pass them to decoder(z)")
    codes = np.concatenate(decoder.codes)
    return images, codes, decoder


def _run_sample_from_prior(fn):
    num_samples, latent_dim = 4_000, 2
    where = f"(num_samples={num_samples:,}, latent_dim {latent_dim})"
    images, codes, decoder = _sample_once(fn, latent_dim, num_samples, where)
    _check_shape(images, (num_samples, 28, 28, 1), where,
                 {(num_samples, 784): ": reshape to images (num_samples, 28, 28, 1), as the "
                                      "decoder returns them",
                  (num_samples, latent_dim): ": return the decoded images, not the codes"})
    if not np.all(np.isfinite(images)):
        raise _Failure(f"your images contain {images[_first(~np.isfinite(images))]} {where}")
    if images.min() < -1e-6 or images.max() > 1 + 1e-6:
        raise _Failure(f"your pixel values range from {images.min():.3g} to {images.max():.3g} "
                       f"{where}: the decoder returns logits; return the pixel means "
                       "sigmoid(x_logits), which lie in [0, 1]")
    if len(codes) != num_samples:
        raise _Failure(f"the decoder was given {len(codes):,} codes for {num_samples:,} images "
                       f"{where}: draw one code per image")
    if np.all(codes == codes[0]):
        raise _Failure(f"every image was decoded from the same code {where}: draw one code per "
                       "image, with the shape (num_samples, latent_dim)")
    mean, std = codes.mean(axis=0), codes.std(axis=0)
    tolerance = 6 / math.sqrt(num_samples)
    if np.all(np.abs(mean - 0.5) < 0.05) and np.all(np.abs(std - math.sqrt(1 / 12)) < 0.03):
        raise _Failure(f"your codes look uniform on [0, 1] (mean 0.5, standard deviation 0.29) "
                       f"{where}: the prior is N(0, I); use keras.random.normal or "
                       "np.random.default_rng().standard_normal")
    if np.any(np.abs(mean) > tolerance) or np.any(np.abs(std - 1) > 0.05):
        raise _Failure(f"your codes have mean {_fmt(mean)} and standard deviation {_fmt(std)} "
                       f"{where}; the prior N(0, I) has mean 0 and standard deviation 1")
    correlation = np.corrcoef(codes, rowvar=False)[0, 1]
    if abs(correlation) > 0.1:
        raise _Failure(f"the two coordinates of your codes are correlated ({correlation:.2f}) "
                       f"{where}: draw every coordinate independently")
    expected = 1 / (1 + np.exp(-decoder.logits(codes)))
    if set(np.unique(images)) <= {0.0, 1.0}:
        raise _Failure(f"your pixels are all 0 or 1 {where}: you drew binary pixels from "
                       "p(x|z); return the pixel means sigmoid(x_logits), as the book's "
                       "figures do")
    _compare(images, expected, where, lambda index: f"pixel {index[1:3]} of image {index[0]}",
             [(1 - expected, "you returned 1 - sigmoid(x_logits): the pixel mean is "
                             "sigmoid(x_logits)")])
    where = "(num_samples=1, latent_dim 16)"
    images, codes, _ = _sample_once(fn, 16, 1, where)
    _check_shape(images, (1, 28, 28, 1), where)
    where = "(two calls with num_samples=5, latent_dim 3)"
    first, second = (_sample_once(fn, 3, 5, where)[1] for _ in range(2))
    if first.shape == second.shape and np.array_equal(first, second):
        raise _Failure(f"two calls drew exactly the same codes {where}: draw new codes on "
                       "every call (a fixed seed inside the function repeats them)")


@forbids(models.VAE.sample, models.VAE.decode)
def sample_from_prior(fn, verbose=True):
    """Check a student's generator: codes from the prior N(0, I), decoded to pixel means.

    The checker hands the function a small fixed decoder that records the codes it is given,
    so it can test that they are standard normal, one per image, fresh on every call, and
    that the images are sigmoid(decoder(z)).

    Args:
        fn: the student's function ``fn(decoder, num_samples, latent_dim)``; ``decoder`` maps
            codes (N, latent_dim) to x_logits (N, 28, 28, 1). Returns (num_samples, 28, 28, 1)
            pixel means in [0, 1].
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 6.
    """
    return _report(fn, verbose, _run_sample_from_prior,
                   "sample_from_prior decodes fresh N(0, I) codes, one per image, to pixel "
                   "means sigmoid(x_logits).")
