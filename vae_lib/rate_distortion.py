"""Rate and distortion: the two terms of the negative ELBO seen as a lossy code.

For a VAE, the KL term KL(q(z | x) || p(z)) is the **rate**: the bits it costs to send the
latent z (bits-back coding achieves it, ``compression.py``), and the reconstruction term
-E_q[log p(x | z)] is the **distortion**: the bits still needed to describe x exactly once
z is known. Their sum is the negative ELBO. Training with the loss
distortion + beta x rate picks one point of the trade-off; a sweep over beta traces a curve.

The classical comparison is PCA with quantized coefficients: keep k principal coordinates,
round each to a grid of width ``step``, and send the rounded values with a quantized
Gaussian entropy model N(0, variance of that coordinate) (what
``constriction.stream.model.QuantizedGaussian`` codes). Its distortion is measured the same
way: the bits of the binary image under Bernoulli pixels whose probabilities are the
reconstruction, clipped to [epsilon, 1 - epsilon].

Every number here is in **bits per image**.

Introduced in chapter 10.
"""

import math

import numpy as np
from scipy import special

from vae_lib import data, evaluation
from vae_lib import pca as pca_lib

LN2 = math.log(2.0)
EPSILONS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2)


def vae_point(model, images, seed=0):
    """A VAE's rate and distortion on binary images.

    Args:
        model: a trained ``models.VAE`` (Bernoulli likelihood).
        images: (N, H, W, C) binary images.
        seed: seed of the one posterior sample per image.

    Returns:
        dict of floats, bits per image: ``rate`` (mean KL), ``distortion`` (mean
        reconstruction term), ``negative_elbo`` (their sum).
    """
    terms = evaluation.elbo_per_image(model, _binary(images), seed=seed)
    rate = float(np.mean(terms["kl"])) / LN2
    distortion = float(np.mean(terms["reconstruction"])) / LN2
    return {"rate": rate, "distortion": distortion, "negative_elbo": rate + distortion}


def quantized_gaussian_bits(values, std, step):
    """Ideal code length of values rounded to a grid, under a quantized N(0, std^2).

    The bin of width ``step`` around each rounded value gets the Gaussian's mass
    Phi((v + step/2) / std) - Phi((v - step/2) / std).

    Args:
        values: (N, k) rounded values (multiples of ``step``).
        std: (k,) standard deviations.
        step: bin width.

    Returns:
        np.ndarray (N,): bits per row (summed over the k values).
    """
    values = np.asarray(values, dtype="float64")
    std = np.asarray(std, dtype="float64")
    high = (values + step / 2) / std
    low = (values - step / 2) / std
    # Mass of the bin, computed on the side of the mean where it does not cancel.
    mass = np.where(low > 0, special.ndtr(-low) - special.ndtr(-high),
                    special.ndtr(high) - special.ndtr(low))
    return -np.log2(np.maximum(mass, 1e-300)).sum(axis=1)


def bernoulli_bits(images, probabilities, epsilon):
    """Bits of binary images under Bernoulli pixels with the given probabilities (clipped to
    [epsilon, 1 - epsilon]): (N,) bits per image."""
    p = np.clip(np.asarray(probabilities, dtype="float64"), epsilon, 1 - epsilon)
    x = np.asarray(images, dtype="float64")
    log_p = x * np.log2(p) + (1 - x) * np.log2(1 - p)
    return -log_p.reshape(len(x), -1).sum(axis=1)


def pca_point(fitted, images, num_components, step, epsilon=None, calibration=None):
    """Rate and distortion of PCA with quantized coefficients on binary images.

    Args:
        fitted: a ``pca.PCA`` fitted on training images.
        images: (N, H, W, C) binary test images.
        num_components: k coordinates kept.
        step: width of the rounding grid of the coordinates.
        epsilon: clipping of the reconstruction's probabilities; None to choose it from
            ``EPSILONS`` on ``calibration`` images (the one with the fewest bits).
        calibration: (M, H, W, C) binary training images to choose epsilon on.

    Returns:
        dict of floats, bits per image: ``rate``, ``distortion``, ``negative_elbo`` (their
        sum), and ``epsilon``.
    """
    if not isinstance(fitted, pca_lib.PCA):
        raise TypeError(f"fitted is a {type(fitted).__name__}; expected a vae_lib.pca.PCA")
    if not (isinstance(step, (int, float)) and step > 0):
        raise ValueError(f"step={step!r}; expected a positive number")
    images = _binary(images)
    if epsilon is None:
        if calibration is None:
            raise ValueError("give epsilon, or calibration images to choose it on")
        calibration = _binary(calibration)
        _, guess = _quantized_reconstruction(fitted, calibration, num_components, step)
        epsilon = min(EPSILONS, key=lambda value: float(np.mean(
            bernoulli_bits(calibration, guess, value))))
    rounded, rebuilt = _quantized_reconstruction(fitted, images, num_components, step)
    std = np.sqrt(fitted.explained_variance[:num_components])
    rate = float(np.mean(quantized_gaussian_bits(rounded, std, step))) if num_components else 0.0
    distortion = float(np.mean(bernoulli_bits(images, rebuilt, epsilon)))
    return {"rate": rate, "distortion": distortion, "negative_elbo": rate + distortion,
            "epsilon": float(epsilon)}


def _quantized_reconstruction(fitted, images, num_components, step):
    codes = fitted.project(images, num_components)  # (N, k)
    rounded = step * np.round(codes / step)
    flat = rounded @ fitted.components[:num_components] + fitted.mean
    return rounded, flat.reshape(images.shape)


def lower_envelope(rates, distortions):
    """The points no other point beats on both rate and distortion, by increasing rate.

    Args:
        rates, distortions: (P,) arrays.

    Returns:
        (rates, distortions) of the envelope, sorted by rate, distortion strictly falling.
    """
    rates = np.asarray(rates, dtype="float64")
    distortions = np.asarray(distortions, dtype="float64")
    if rates.shape != distortions.shape or rates.ndim != 1 or not len(rates):
        raise ValueError(f"rates {rates.shape} and distortions {distortions.shape}; expected "
                         "two non-empty 1-D arrays of the same length")
    order = np.lexsort((distortions, rates))
    kept_r, kept_d = [], []
    for r, d in zip(rates[order], distortions[order]):
        if not kept_d or d < kept_d[-1]:
            kept_r.append(r)
            kept_d.append(d)
    return np.array(kept_r), np.array(kept_d)


def distortion_at(rate, envelope_rates, envelope_distortions):
    """Distortion of the envelope at a given rate, interpolated linearly between its points
    (time-sharing two codes achieves any point on the segment); NaN outside its range."""
    envelope_rates = np.asarray(envelope_rates, dtype="float64")
    if not envelope_rates[0] <= rate <= envelope_rates[-1]:
        return float("nan")
    return float(np.interp(rate, envelope_rates, envelope_distortions))


def _binary(images):
    images = data.check_images(images, shape=np.shape(images)[1:])
    if not np.isin(images, (0.0, 1.0)).all():
        raise ValueError("images must be binary (0 or 1): rates and distortions are bits "
                         "of binary images (binarize with data.binarize_static)")
    return images
