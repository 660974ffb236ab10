"""Checkers for chapter 10: the ideal code length of an image, and one pseudo-Gibbs step.

Introduced in chapter 10.
"""

import math

import numpy as np
from scipy import special

from vae_lib import distributions, inpainting, likelihoods, rate_distortion
from vae_lib.checks._core import (
    STABLE_HINT,
    _call,
    _check_shape,
    _compare,
    _Failure,
    _report,
    forbids,
)

__all__ = ["code_length", "pseudo_gibbs_step"]

LN2 = math.log(2.0)


# --- code_length ---------------------------------------------------------------------------

def _code_length_cases():
    rng = np.random.default_rng(10)
    x = (rng.uniform(size=(3, 28, 28, 1)) < 0.2).astype("float32")
    logits = rng.uniform(-6, 6, size=x.shape).astype("float32")
    small_x = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]], "float32")
    small_logits = np.array([[2.0, -1.0, 0.0, -3.0, 0.5]], "float32")
    big_x = np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]], "float32")
    big_logits = np.array([[50.0, -50.0, -50.0, 50.0], [50.0, 50.0, -50.0, -50.0]], "float32")
    return [("(batch of 3 binary images of shape (28, 28, 1))", x, logits),
            ("(batch of 1, shape (1, 5))", small_x, small_logits),
            ("(batch of 2, logits of +-50)", big_x, big_logits)]


def _run_code_length(fn):
    for where, x, logits in _code_length_cases():
        log_p = distributions.log_bernoulli(x, logits)
        nats = -np.asarray(log_p, dtype="float64").reshape(len(x), -1).sum(axis=1)
        expected = nats / LN2
        got = _call(fn, (x, logits), where)
        pixels = x[0].size
        _check_shape(got, (len(x),), where, {
            x.shape: ": return one code length per image (sum over its pixels)",
            (): ": return one code length per image, not one number for the batch",
            (len(x), 1): ": return shape (batch,), not (batch, 1)"})
        known_bugs = [
            (nats, "you returned nats: divide by ln 2 to get bits (log2 p = ln p / ln 2)"),
            (-expected, "your code lengths are negative: the code length is -log2 p(x), "
                        "a positive number of bits"),
            (-nats, "you returned ln p(x): the code length is -log2 p(x) = -ln p(x) / ln 2"),
            (expected / pixels, "you averaged over pixels: the code length of an image is "
                                "the SUM over its pixels"),
            (nats / pixels, "you averaged over pixels and returned nats: sum over pixels and "
                            "divide by ln 2"),
        ]
        flipped = -np.asarray(distributions.log_bernoulli(1 - x, logits), "float64")
        known_bugs.append((flipped.reshape(len(x), -1).sum(axis=1) / LN2,
                           "you swapped x and 1 - x: a pixel that is 1 costs -log2 sigmoid(l)"))
        large = np.abs(logits).max() > 20
        _compare(got, expected, where, lambda index: f"image {index[0]}", known_bugs,
                 lambda index: STABLE_HINT if large else "")


@forbids(likelihoods.Bernoulli.log_prob, rate_distortion.bernoulli_bits)
def code_length(fn, verbose=True):
    """Check a student's ideal code length of binary images under Bernoulli pixels, in bits.

    Args:
        fn: the student's function ``fn(x, x_logits)``: ``x`` (batch, ...) binary pixels,
            ``x_logits`` the decoder's logits of the same shape; returns (batch,) code lengths
            -log2 p(x | z) in bits, summed over each image's pixels.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 10.
    """
    return _report(fn, verbose, _run_code_length,
                   "code_length matches -log2 p(x | z) in bits per image on 3 inputs, "
                   "including logits of +-50.")


# --- pseudo_gibbs_step ---------------------------------------------------------------------

IMAGE_SHAPE = (4, 4, 1)
LATENT_DIM = 2
MAX_Z = 5.0  # a bin of pixels must be this many standard errors off to fail


class _ToyVAE:
    """A tiny VAE in closed form: z_mean linear in the pixels, logits linear in z."""

    def __init__(self, log_var, scale):
        rng = np.random.default_rng(11)
        pixels = int(np.prod(IMAGE_SHAPE))
        self.a = rng.normal(0, 0.6, (pixels, LATENT_DIM))
        self.offset = -0.3 * self.a.sum(axis=0)
        self.b = rng.normal(0, scale, (LATENT_DIM, pixels))
        self.c = rng.normal(0, 0.5, pixels)
        self.log_var = log_var

    def encode(self, x):
        flat = np.asarray(x, dtype="float64").reshape(len(x), -1)
        z_mean = flat @ self.a + self.offset
        return z_mean, np.full_like(z_mean, self.log_var)

    def decode(self, z):
        logits = np.asarray(z, dtype="float64") @ self.b + self.c
        return logits.reshape((len(logits),) + IMAGE_SHAPE)

    def probabilities(self, x, std=None):
        """E_z[sigmoid(decode(z))] with z ~ N(z_mean, std^2) (Gauss-Hermite), (N, pixels)."""
        z_mean, z_log_var = self.encode(x)
        std = np.exp(0.5 * z_log_var[0, 0]) if std is None else std
        if std < 1e-6:
            return special.expit(self.decode(z_mean).reshape(len(x), -1))
        nodes, weights = np.polynomial.hermite_e.hermegauss(16)
        weights = weights / weights.sum()
        total = 0.0
        for n1, w1 in zip(nodes, weights):
            for n2, w2 in zip(nodes, weights):
                z = z_mean + std * np.array([n1, n2])
                total = total + w1 * w2 * special.expit(self.decode(z).reshape(len(x), -1))
        return total


def _inputs(num_images, seed):
    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=(num_images,) + IMAGE_SHAPE) < 0.4).astype("float32")
    missing = rng.uniform(size=x.shape) < 0.5
    return x, missing


def _call_step(fn, toy, x, missing, seed, where):
    def step(x_copy, missing_copy):
        return fn(x_copy, missing_copy.astype(bool), toy.encode, toy.decode, seed)
    return _call(step, (x, missing), where)


def _misfit(samples, probabilities, missing):
    """The largest |z-score| of the mean of (sample - probability) in bins of probability,
    with standard errors that allow pixels of one image to share their z (cluster-robust)."""
    flat_missing = missing.reshape(len(missing), -1)
    residual = np.where(flat_missing, samples.reshape(len(samples), -1) - probabilities, 0.0)
    worst = 0.0
    for low, high in ((0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):
        in_bin = flat_missing & (probabilities >= low) & (probabilities < high)
        count = in_bin.sum()
        if count < 50:
            continue
        per_image = np.where(in_bin, residual, 0.0).sum(axis=1)
        error = math.sqrt(max(np.sum(per_image**2), 1.0)) / count
        worst = max(worst, abs(per_image.sum() / count) / error)
    return worst


def _check_structure(got, x, missing, where):
    _check_shape(got, x.shape, where)
    if not np.all(np.isfinite(got)):
        raise _Failure(f"your function returned NaN or infinite values {where}")
    if not np.array_equal(got[~missing], x[~missing]):
        raise _Failure(f"you changed observed pixels {where}: keep x where missing is False "
                       "and resample only the missing pixels")
    if not np.isin(got, (0.0, 1.0)).all():
        raise _Failure(f"the missing pixels are not 0 or 1 {where}: you returned "
                       "probabilities; draw each missing pixel from Bernoulli(sigmoid(logits))")
    if np.array_equal(got, x):
        raise _Failure(f"your function returned x unchanged {where}: resample the missing "
                       "pixels from p(x | z)")


def _run_pseudo_gibbs_step(fn):
    sharp = _ToyVAE(log_var=-30.0, scale=1.5)  # z = z_mean: p(x_m) is sigmoid(decode(z_mean))
    x, missing = _inputs(3000, seed=12)
    where = "(3,000 images of shape (4, 4, 1), half the pixels missing, a toy VAE)"
    got = _call_step(fn, sharp, x, missing, 0, where)
    _check_structure(got, x, missing, where)
    expected = sharp.probabilities(x)
    flat_missing = missing.reshape(len(x), -1)
    if np.array_equal(got.reshape(len(x), -1)[flat_missing], (expected > 0.5)[flat_missing]):
        raise _Failure(f"every missing pixel is 1 exactly where p > 1/2 {where}: you rounded "
                       "the probabilities; draw x ~ Bernoulli(p) instead (a sample, not the "
                       "most likely value)")
    if _misfit(got, expected, missing) > MAX_Z:
        zeroed = sharp.probabilities(np.where(missing, 0.0, x))
        no_sigmoid = np.clip(sharp.decode(sharp.encode(x)[0]).reshape(len(x), -1), 0, 1)
        if _misfit(got, zeroed, missing) <= MAX_Z:
            raise _Failure(f"your pixels follow p(x | z) for z encoded from x with the missing "
                           f"pixels set to 0 {where}: encode the current completed image x "
                           "(its missing pixels hold the previous step's values)")
        if _misfit(got, no_sigmoid, missing) <= MAX_Z:
            raise _Failure(f"your pixels are 1 with probability logits, not sigmoid(logits) "
                           f"{where}: the decoder returns logits")
        raise _Failure(f"the missing pixels are not drawn from sigmoid(decode(z)) with z from "
                       f"encode(x) {where}: the share of 1s differs from the model's "
                       "probabilities by more than chance allows")
    again = _call_step(fn, sharp, x, missing, 1, where)
    if np.array_equal(again, got):
        raise _Failure(f"seeds 0 and 1 gave exactly the same pixels {where}: draw the random "
                       "numbers from np.random.default_rng(seed)")
    wide = _ToyVAE(log_var=math.log(4.0), scale=3.0)  # z ~ N(z_mean, 2^2) matters a lot
    x, missing = _inputs(2000, seed=13)
    where = "(2,000 images, a toy VAE whose posterior has standard deviation 2)"
    got = _call_step(fn, wide, x, missing, 2, where)
    _check_structure(got, x, missing, where)
    if _misfit(got, wide.probabilities(x), missing) > MAX_Z:
        if _misfit(got, wide.probabilities(x, std=0.0), missing) <= MAX_Z:
            raise _Failure(f"your pixels follow p(x | z_mean) {where}: draw z = z_mean + "
                           "exp(z_log_var / 2) * epsilon, do not use the mean")
        if _misfit(got, wide.probabilities(x, std=4.0), missing) <= MAX_Z:
            raise _Failure(f"your z has standard deviation exp(z_log_var) {where}; it is "
                           "exp(z_log_var / 2)")
        raise _Failure(f"the missing pixels do not follow p(x | z) with z ~ q(z | x) {where}")


@forbids(inpainting.pseudo_gibbs, inpainting.metropolis_within_gibbs)
def pseudo_gibbs_step(fn, verbose=True):
    """Check a student's pseudo-Gibbs step for inpainting with a VAE.

    The checker gives the student's function a tiny VAE in closed form (encode and decode
    are NumPy functions) and thousands of small images, then checks that observed pixels are
    kept, missing pixels are binary draws, and the share of 1s matches the model's
    probabilities (in bins of probability, allowing 5 standard errors), once with a sharp
    posterior and once with a wide one (so that z must be sampled, not set to its mean).

    Args:
        fn: the student's function ``fn(x, missing, encode, decode, seed)``: ``x`` (N, H, W, C)
            binary images whose missing pixels hold the current guesses, ``missing`` a bool
            mask of the same shape, ``encode(x) -> (z_mean, z_log_var)``, ``decode(z) ->
            x_logits`` and an integer ``seed``; returns the new images: z ~ q(z | x), missing
            pixels ~ Bernoulli(sigmoid(decode(z))), observed pixels unchanged.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 10.
    """
    return _report(fn, verbose, _run_pseudo_gibbs_step,
                   "pseudo_gibbs_step keeps observed pixels and draws the missing ones from "
                   "p(x | z) with z ~ q(z | x), on a sharp and a wide toy posterior.")
