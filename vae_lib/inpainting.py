"""Repairing images: fill in missing pixels (inpainting) and remove pixel-flip noise.

Every method returns pixel *probabilities* (N, H, W, C) in [0, 1]: for a missing pixel, the
method's probability that it is 1 (ink); observed pixels keep their values. The same scores
then judge every method (:func:`scores`): the log-likelihood of the true pixels and the
pixel accuracy.

Inpainting methods, from the simplest:

* :func:`mean_fill`: the mean training image;
* :func:`pca_fill`: the conditional mean of a Gaussian whose covariance is probabilistic PCA's
  (low rank plus isotropic noise), given the observed pixels;
* :func:`autoencoder_projection`: start from the mean image, then repeatedly reconstruct the
  image with an autoencoder and put its guesses into the missing pixels;
* :func:`pseudo_gibbs` (Rezende et al. 2014): with a VAE, alternate z ~ q(z | x) and
  x_missing ~ p(x_missing | z);
* :func:`metropolis_within_gibbs` (Mattei and Frellsen 2018): the same chain with the encoder
  as a proposal that is accepted or rejected, so that the chain samples the model's true
  conditional distribution p(x_missing | x_observed);
* :func:`importance_fill`: the model's probability of each missing pixel, averaged over many
  z weighted by how well they explain the observed pixels (importance sampling).

Denoising pixel flips: :func:`median_filter`, :func:`pca_projection`, a model's
reconstruction (a projection), and :func:`denoise_flips`, the posterior mean of the clean
image under a VAE that knows the flip probability.

The two VAE chains give *samples*: several chains on the same image can complete it in
different ways, where the deterministic methods give one (often blurred) answer.

Introduced in chapter 10.
"""

import dataclasses

import numpy as np
from keras import ops
from scipy import special

from vae_lib import data, distributions, likelihoods, models
from vae_lib import pca as pca_lib

MASKS = ("top_half", "bottom_half", "centre_square", "random_50", "random_80")
EPSILON = 1e-3  # probabilities are clipped to [EPSILON, 1 - EPSILON] for log-likelihoods


# --- masks ---------------------------------------------------------------------------------

def missing_mask(kind, num_images, image_shape=(28, 28, 1), seed=0):
    """Which pixels are missing, for a batch of images.

    Args:
        kind: one of ``MASKS``: ``"top_half"`` / ``"bottom_half"`` (rows above / below the
            middle), ``"centre_square"`` (the central half-width square, 14 x 14 for MNIST),
            ``"random_50"`` / ``"random_80"`` (each pixel missing with probability 0.5 / 0.8,
            a different pattern per image).
        num_images: N.
        image_shape: (H, W, C).
        seed: seed of the random masks.

    Returns:
        np.ndarray bool (N, H, W, C), True where the pixel is missing.
    """
    if kind not in MASKS:
        raise ValueError(f"kind={kind!r}; expected one of {MASKS}")
    if isinstance(num_images, bool) or not isinstance(num_images, (int, np.integer)) \
            or num_images <= 0:
        raise ValueError(f"num_images={num_images!r}; expected a positive integer")
    height, width = image_shape[0], image_shape[1]
    one = np.zeros(image_shape, dtype=bool)
    if kind == "top_half":
        one[: height // 2] = True
    elif kind == "bottom_half":
        one[height // 2:] = True
    elif kind == "centre_square":
        one[height // 4: height - height // 4, width // 4: width - width // 4] = True
    else:
        share = {"random_50": 0.5, "random_80": 0.8}[kind]
        rng = np.random.default_rng(seed)
        return rng.random((num_images,) + tuple(image_shape)) < share
    return np.broadcast_to(one, (num_images,) + tuple(image_shape)).copy()


def _check(images, missing):
    images = data.check_images(images, shape=np.shape(images)[1:])
    missing = np.asarray(missing)
    if missing.dtype != bool or missing.shape != images.shape:
        raise ValueError(f"missing has dtype {missing.dtype} and shape {missing.shape}; "
                         f"expected a boolean mask of shape {images.shape}")
    return images, missing


def _fill(images, missing, guesses):
    """Observed pixels from ``images``, missing ones from ``guesses`` (float32)."""
    return np.where(missing, guesses, images).astype("float32")


# --- deterministic methods -----------------------------------------------------------------

def mean_fill(images, missing, mean_image):
    """Fill missing pixels with the mean training image (a probability per pixel).

    Args:
        images: (N, H, W, C) images; only the observed pixels are read.
        missing: (N, H, W, C) bool mask, True where missing.
        mean_image: (H, W, C) mean of the (binarized) training images.

    Returns:
        np.ndarray (N, H, W, C) float32.
    """
    images, missing = _check(images, missing)
    mean_image = np.asarray(mean_image, dtype="float32")
    if mean_image.shape != images.shape[1:]:
        raise ValueError(f"mean_image has shape {mean_image.shape}; expected "
                         f"{images.shape[1:]}")
    return _fill(images, missing, np.broadcast_to(mean_image, images.shape))


def probabilistic_pca(fitted, num_components):
    """Probabilistic PCA (Tipping and Bishop 1999) from a fitted PCA.

    The covariance W W^T + noise I keeps the top ``num_components`` directions and spreads
    the remaining variance evenly over all pixels.

    Args:
        fitted: a ``pca.PCA`` fitted with more than ``num_components`` components
            (``fit_pca(images)`` keeps them all).
        num_components: k.

    Returns:
        (mean (D,), W (D, k), noise variance float).
    """
    if not isinstance(fitted, pca_lib.PCA):
        raise TypeError(f"fitted is a {type(fitted).__name__}; expected a vae_lib.pca.PCA")
    available = len(fitted.components)
    if isinstance(num_components, bool) or not isinstance(num_components, (int, np.integer)) \
            or not 1 <= num_components < available:
        raise ValueError(f"num_components={num_components!r}; expected an integer in "
                         f"[1, {available - 1}]")
    size = fitted.mean.size
    kept = fitted.explained_variance[:num_components]
    noise = (fitted.total_variance - kept.sum()) / (size - num_components)
    scales = np.sqrt(np.maximum(kept - noise, 0.0))
    return fitted.mean, fitted.components[:num_components].T * scales, float(noise)


def pca_fill(images, missing, fitted, num_components=32):
    """Fill missing pixels with their conditional mean under probabilistic PCA.

    With x ~ N(mean, W W^T + s I), the mean of the missing pixels given the observed ones is
    mean_m + W_m M^-1 W_o^T (x_o - mean_o) with M = W_o^T W_o + s I (k x k), one small
    solve per image. It is the exact conditional Gaussian (``tests/test_inpainting.py``
    checks it against the textbook formula with the full covariance). Values are clipped to
    [0, 1].

    Args:
        images, missing: as in :func:`mean_fill`.
        fitted: a ``pca.PCA`` of training images (all components kept).
        num_components: k.

    Returns:
        np.ndarray (N, H, W, C) float32.
    """
    images, missing = _check(images, missing)
    mean, weights, noise = probabilistic_pca(fitted, num_components)
    flat = images.reshape(len(images), -1).astype("float64")
    gone = missing.reshape(len(images), -1)
    guesses = np.empty_like(flat)
    identity = noise * np.eye(weights.shape[1])
    for index in range(len(flat)):
        seen = ~gone[index]
        w_seen = weights[seen]  # (observed pixels, k)
        latent = np.linalg.solve(w_seen.T @ w_seen + identity,
                                 w_seen.T @ (flat[index, seen] - mean[seen]))
        guesses[index] = mean + weights @ latent
    guesses = np.clip(guesses, 0.0, 1.0).reshape(images.shape)
    return _fill(images, missing, guesses)


def autoencoder_projection(model, images, missing, mean_image, num_iterations=20):
    """Iterated projection: reconstruct with an autoencoder, keep the observed pixels, repeat.

    Starts from :func:`mean_fill`. Works with an ``Autoencoder`` or a ``VAE`` (which then
    reconstructs through its posterior mean).

    Args:
        model: a trained ``models.Autoencoder`` or ``models.VAE``.
        images, missing, mean_image: as in :func:`mean_fill`.
        num_iterations: reconstructions.

    Returns:
        np.ndarray (N, H, W, C) float32: the last reconstruction's probabilities in the
        missing pixels.
    """
    _check_model(model, (models.Autoencoder, models.VAE))
    _check_count("num_iterations", num_iterations)
    current = mean_fill(images, missing, mean_image)
    for _ in range(num_iterations):
        current = _fill(current, missing, model.reconstruct(current))
    return current


# --- VAE samplers --------------------------------------------------------------------------

@dataclasses.dataclass
class Completion:
    """The result of a VAE sampler.

    Attributes:
        probabilities: (N, H, W, C) average of p(x | z_t) over the kept iterations (the
            second half of the chain) in the missing pixels: the chain's estimate of each
            pixel's probability given the observed ones; observed pixels as given.
        means: (N, H, W, C) p(x | z) of the LAST state in the missing pixels: one sharp
            completion per image (what a figure shows).
        samples: (N, H, W, C) binary, the last state's sampled pixels.
        acceptance: share of accepted proposals per image (N,) (all 1 for pseudo-Gibbs).
    """

    probabilities: np.ndarray
    means: np.ndarray
    samples: np.ndarray
    acceptance: np.ndarray


def pseudo_gibbs(model, images, missing, num_iterations=50, seed=0, start=None):
    """Complete images with a VAE by pseudo-Gibbs sampling (Rezende et al. 2014).

    Missing pixels start as draws from Bernoulli(start); then each iteration draws
    z ~ q(z | x) from the encoder and new missing pixels x_m ~ p(x_m | z) from the decoder.
    The encoder only approximates p(z | x), so the chain's stationary distribution is only
    close to the model's p(x_m | x_o).

    Args:
        model: a trained ``models.VAE`` with a Bernoulli likelihood.
        images: (N, H, W, C) binary images; only the observed pixels are read.
        missing: (N, H, W, C) bool mask.
        num_iterations: steps of the chain.
        seed: seed of the chain.
        start: (H, W, C) probabilities of the first draw of the missing pixels, e.g. the
            mean training image; None for 1/2 everywhere.

    Returns:
        :class:`Completion`.
    """
    return _chain(model, images, missing, num_iterations, seed, start, warm_up=None)


def metropolis_within_gibbs(model, images, missing, num_iterations=50, seed=0, start=None,
                            warm_up=0):
    """Complete images with a VAE by Metropolis-within-Gibbs (Mattei and Frellsen 2018).

    As :func:`pseudo_gibbs`, but the encoder's z~ ~ q(z | x^) is a *proposal*, accepted with
    probability min(1, r), where (x^ the current completed image, z the current latent)

        r = p(z~) p(x^ | z~) q(z | x^) / ( p(z) p(x^ | z) q(z~ | x^) ).

    This makes the chain sample the model's exact p(z, x_m | x_o), whatever the encoder's
    errors. With hundreds of pixels the ratio is often tiny and most proposals are rejected;
    ``warm_up`` pseudo-Gibbs steps first bring the chain to plausible images.

    Args:
        model, images, missing, num_iterations, seed, start: as in :func:`pseudo_gibbs`.
        warm_up: how many of the first iterations accept every proposal (pseudo-Gibbs).

    Returns:
        :class:`Completion` (``acceptance`` is the share of accepted proposals after the
        warm-up).
    """
    if isinstance(warm_up, bool) or not isinstance(warm_up, (int, np.integer)) \
            or not 0 <= warm_up < num_iterations:
        raise ValueError(f"warm_up={warm_up!r}; expected an integer in [0, num_iterations)")
    return _chain(model, images, missing, num_iterations, seed, start, warm_up=warm_up)


def _chain(model, images, missing, num_iterations, seed, start, warm_up):
    """Pseudo-Gibbs (``warm_up=None``) or Metropolis-within-Gibbs after ``warm_up`` steps."""
    _check_model(model, (models.VAE,))
    images, missing = _check(images, missing)
    _check_count("num_iterations", num_iterations)
    metropolis = warm_up is not None
    if start is None:
        start = np.full(images.shape[1:], 0.5)
    start = np.asarray(start, dtype="float64")
    if start.shape != images.shape[1:] or not np.all((start >= 0) & (start <= 1)):
        raise ValueError(f"start has shape {start.shape}; expected probabilities of shape "
                         f"{images.shape[1:]}")
    if not isinstance(model.likelihood, likelihoods.Bernoulli):
        raise ValueError(f"model has likelihood {model.likelihood!r}; the samplers draw "
                         "binary pixels and need Bernoulli()")
    rng = np.random.default_rng(seed)
    current = _fill(images, missing, (rng.random(images.shape) < start))
    z, x_logits = None, None
    accepted, proposals = np.zeros(len(images)), 0
    total = np.zeros(images.shape, dtype="float64")
    kept = 0
    for step in range(num_iterations):
        z_mean, z_log_var = model.encode(current)
        proposal = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
        proposal = proposal.astype("float32")
        proposal_logits = _decode_logits(model, proposal)
        forced = z is None or not metropolis or step < warm_up
        if forced:
            accept = np.ones(len(images), dtype=bool)
        else:
            log_ratio = (_log_joint(model, current, proposal, proposal_logits)
                         - _log_joint(model, current, z, x_logits)
                         + _log_q(z, z_mean, z_log_var) - _log_q(proposal, z_mean, z_log_var))
            accept = np.log(rng.random(len(images))) < log_ratio
        if z is None:
            z, x_logits = proposal, proposal_logits
        else:
            z = np.where(accept[:, None], proposal, z)
            x_logits = np.where(accept[:, None, None, None], proposal_logits, x_logits)
        if not forced:
            accepted += accept
            proposals += 1
        means = 1.0 / (1.0 + np.exp(-x_logits.astype("float64")))
        current = _fill(images, missing, rng.random(images.shape) < means)
        if step >= num_iterations // 2:
            total += means
            kept += 1
    return Completion(probabilities=_fill(images, missing, total / kept),
                      means=_fill(images, missing, means), samples=current,
                      acceptance=accepted / proposals if proposals else np.ones(len(images)))


# --- importance sampling: the model's own average over z -----------------------------------

@dataclasses.dataclass
class Posterior:
    """The result of an importance-sampling method.

    Attributes:
        probabilities: (N, H, W, C) the weighted average over the samples of z: the model's
            probability that each pixel is 1 given what was seen.
        best: (N, H, W, C) p(x | z) of the sample with the largest weight (one sharp
            answer, for figures).
        effective_sample_size: (N,) 1 / sum of squared normalized weights: how many of the
            samples really count (between 1 and ``num_samples``).
    """

    probabilities: np.ndarray
    best: np.ndarray
    effective_sample_size: np.ndarray


def importance_fill(model, images, missing, mean_image, num_samples=100, seed=0,
                    batch_size=50):
    """Fill missing pixels with the VAE's conditional probabilities, by importance sampling.

    p(x_j = 1 | x_o) = E[ sigmoid(l_j(z)) | x_o ] is estimated with K samples
    z_k ~ q(z | x^), where x^ is the image with its missing pixels set to the mean image, and
    self-normalized weights w_k proportional to p(z_k) p(x_o | z_k) / q(z_k | x^): only the
    observed pixels score a sample. Any proposal gives the right answer as K grows; a good
    one needs fewer samples.

    Args:
        model: a trained ``models.VAE`` with a Bernoulli likelihood.
        images: (N, H, W, C) binary images; only the observed pixels are read.
        missing: (N, H, W, C) bool mask.
        mean_image: (H, W, C) the mean training image (fills the proposal's input).
        num_samples: K.
        seed: seed of the samples.
        batch_size: images per decoder call (K times as many codes).

    Returns:
        :class:`Posterior`.
    """
    images, missing = _check(images, missing)
    observed = ~missing.reshape(len(images), -1)
    flat = images.reshape(len(images), -1).astype("float64")

    def log_likelihood(logits, rows):  # (n, K, D) -> (n, K): observed pixels only
        log_p = flat[rows, None] * logits - np.logaddexp(0.0, logits)
        return np.sum(log_p * observed[rows, None], axis=-1)

    def value(logits, rows):
        return special.expit(logits)

    result = _importance(model, mean_fill(images, missing, mean_image), log_likelihood,
                         value, num_samples, seed, batch_size)
    return Posterior(_fill(images, missing, result.probabilities),
                     _fill(images, missing, result.best), result.effective_sample_size)


def denoise_flips(model, noisy, flip_probability, num_samples=100, seed=0, proposal=None,
                  batch_size=50):
    """Remove pixel-flip noise with a VAE that knows the noise: the posterior mean of the
    clean image.

    Each observed pixel y_j is the clean pixel x_j flipped with probability e, so
    p(y_j = 1 | z) = (1 - e) s_j + e (1 - s_j) with s_j = sigmoid(l_j(z)). Samples
    z_k ~ q(z | proposal image) are weighted by p(z_k) p(y | z_k) / q(z_k | proposal), and
    each contributes P(x_j = 1 | y_j, z_k) = s_j (1 - e) / p(y_j = 1 | z_k) if y_j = 1, and
    s_j e / p(y_j = 0 | z_k) if y_j = 0.

    Args:
        model: a trained ``models.VAE`` with a Bernoulli likelihood.
        noisy: (N, H, W, C) binary images with flipped pixels.
        flip_probability: e, in (0, 1/2).
        num_samples: K.
        seed: seed of the samples.
        proposal: images the encoder proposes z from; default :func:`median_filter` of
            ``noisy`` (the encoder never saw noise, so a cleaner input proposes better z).
        batch_size: images per decoder call.

    Returns:
        :class:`Posterior` (``probabilities``: P(x_j = 1 | y)).
    """
    noisy = data.check_images(noisy, shape=np.shape(noisy)[1:])
    if not np.isin(noisy, (0.0, 1.0)).all():
        raise ValueError("noisy must be binary (0 or 1): pixel flips act on binary images")
    if not (isinstance(flip_probability, (int, float)) and 0 < flip_probability < 0.5):
        raise ValueError(f"flip_probability={flip_probability!r}; expected a number in "
                         "(0, 0.5)")
    e = float(flip_probability)
    flat = noisy.reshape(len(noisy), -1).astype("float64")

    def probability_of_one(logits):
        clean = special.expit(logits)
        return clean, (1 - e) * clean + e * (1 - clean)

    def log_likelihood(logits, rows):
        _, one = probability_of_one(logits)
        y = flat[rows, None]
        return np.sum(y * np.log(one) + (1 - y) * np.log1p(-one), axis=-1)

    def value(logits, rows):
        clean, one = probability_of_one(logits)
        y = flat[rows, None]
        return np.where(y == 1, clean * (1 - e) / one, clean * e / (1 - one))

    proposal = median_filter(noisy) if proposal is None else proposal
    result = _importance(model, proposal, log_likelihood, value, num_samples, seed,
                         batch_size)
    shape = noisy.shape
    return Posterior(result.probabilities.reshape(shape), result.best.reshape(shape),
                     result.effective_sample_size)


def _importance(model, proposal_images, log_likelihood, value, num_samples, seed,
                batch_size):
    """Self-normalized importance sampling with the encoder as proposal.

    ``log_likelihood(logits, rows)`` gives log p(seen | z) (n, K) and ``value(logits, rows)``
    the quantity averaged (n, K, D), for logits (n, K, D) of the images ``rows``.
    """
    _check_model(model, (models.VAE,))
    if not isinstance(model.likelihood, likelihoods.Bernoulli):
        raise ValueError(f"model has likelihood {model.likelihood!r}; expected Bernoulli()")
    _check_count("num_samples", num_samples)
    _check_count("batch_size", batch_size)
    proposal_images = data.check_images(proposal_images, shape=model.image_shape)
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = (part.astype("float64") for part in model.encode(proposal_images))
    parts = {"probabilities": [], "best": [], "effective_sample_size": []}
    for start in range(0, len(z_mean), batch_size):
        rows = slice(start, start + batch_size)
        mean, log_var = z_mean[rows, None], z_log_var[rows, None]      # (n, 1, d)
        z = mean + np.exp(0.5 * log_var) * rng.standard_normal(
            (len(mean), num_samples, mean.shape[-1]))                   # (n, K, d)
        logits = _decode_logits(model, z.reshape(-1, z.shape[-1]).astype("float32"))
        logits = logits.reshape(len(mean), num_samples, -1).astype("float64")
        log_w = (log_likelihood(logits, rows)
                 - 0.5 * np.sum(z**2, axis=-1)
                 + 0.5 * np.sum(log_var + (z - mean) ** 2 * np.exp(-log_var), axis=-1))
        weights = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)                   # (n, K)
        parts["probabilities"].append(np.einsum("nk,nkd->nd", weights,
                                                value(logits, rows)))
        top = np.argmax(weights, axis=1)
        parts["best"].append(special.expit(logits[np.arange(len(top)), top]))
        parts["effective_sample_size"].append(1.0 / np.sum(weights**2, axis=1))
    merged = {key: np.concatenate(value_list) for key, value_list in parts.items()}
    shape = (len(z_mean),) + tuple(model.image_shape)
    return Posterior(merged["probabilities"].reshape(shape).astype("float32"),
                     merged["best"].reshape(shape).astype("float32"),
                     merged["effective_sample_size"])


def _decode_logits(model, z):
    return ops.convert_to_numpy(model.decoder(z, training=False))


def _log_joint(model, x, z, x_logits):
    """log p(z) + log p(x | z) per image."""
    log_prior = ops.sum(distributions.log_normal(z, 0.0, 0.0), axis=-1)
    return ops.convert_to_numpy(log_prior + model.likelihood.log_prob(x, x_logits))


def _log_q(z, z_mean, z_log_var):
    return ops.convert_to_numpy(ops.sum(distributions.log_normal(z, z_mean, z_log_var), axis=-1))


# --- denoising -----------------------------------------------------------------------------

def median_filter(noisy, size=3):
    """Median of each pixel's size x size neighbourhood (``scipy.ndimage.median_filter``).

    Args:
        noisy: (N, H, W, C) images.
        size: side of the square window.

    Returns:
        np.ndarray (N, H, W, C) float32, each image filtered on its own.
    """
    from scipy import ndimage

    noisy = data.check_images(noisy, shape=np.shape(noisy)[1:])
    _check_count("size", size)
    return ndimage.median_filter(noisy, size=(1, size, size, 1), mode="constant").astype(
        "float32")


def pca_projection(noisy, fitted, num_components):
    """Project onto the top principal components and map back, clipped to [0, 1]."""
    noisy = data.check_images(noisy, shape=np.shape(noisy)[1:])
    return np.clip(fitted.reconstruct(noisy, num_components), 0.0, 1.0).astype("float32")


# --- scores --------------------------------------------------------------------------------

def scores(probabilities, images, where=None, epsilon=EPSILON):
    """Judge predicted pixel probabilities against the true binary pixels.

    Args:
        probabilities: (N, H, W, C) predicted probabilities that each pixel is 1.
        images: (N, H, W, C) true binary images.
        where: optional bool mask of the pixels to score (the missing ones); all if None.
        epsilon: probabilities are clipped to [epsilon, 1 - epsilon], so that a confident
            mistake costs log(epsilon) instead of minus infinity.

    Returns:
        dict: ``log_likelihood`` (mean Bernoulli log-likelihood per scored pixel, nats) and
        ``accuracy`` (share of scored pixels where probability > 1/2 matches the truth).
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    truth = np.asarray(images, dtype="float64")
    if probabilities.shape != truth.shape:
        raise ValueError(f"probabilities has shape {probabilities.shape}; expected the "
                         f"images' shape {truth.shape}")
    if not np.isin(truth, (0.0, 1.0)).all():
        raise ValueError("images must be binary (0 or 1): score against binarized images")
    if where is None:
        where = np.ones(truth.shape, dtype=bool)
    where = np.asarray(where, dtype=bool)
    if where.shape != truth.shape or not where.any():
        raise ValueError(f"where has shape {where.shape} with {int(where.sum())} pixels; "
                         f"expected a mask of shape {truth.shape} with at least one pixel")
    p = np.clip(probabilities[where], epsilon, 1 - epsilon)
    x = truth[where]
    log_likelihood = np.mean(x * np.log(p) + (1 - x) * np.log1p(-p))
    accuracy = np.mean((p > 0.5) == (x > 0.5))
    return {"log_likelihood": float(log_likelihood), "accuracy": float(accuracy)}


def diversity(completions, missing):
    """Mean absolute difference between completions of the same image, in missing pixels.

    Args:
        completions: (S, H, W, C) S completions of one image (S >= 2).
        missing: (H, W, C) bool mask.

    Returns:
        float: the mean over pairs of completions of the mean absolute difference per
        missing pixel (0 for a method that always gives the same answer).
    """
    completions = np.asarray(completions, dtype="float64")
    if completions.ndim != 4 or len(completions) < 2:
        raise ValueError(f"completions has shape {completions.shape}; expected (S, H, W, C) "
                         "with S >= 2")
    values = completions[:, np.asarray(missing, dtype=bool)]  # (S, missing pixels)
    pairs = [np.mean(np.abs(values[i] - values[j]))
             for i in range(len(values)) for j in range(i + 1, len(values))]
    return float(np.mean(pairs))


def _check_model(model, kinds):
    if not isinstance(model, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise TypeError(f"model is a {type(model).__name__}; expected a vae_lib.models "
                        f"{names}")


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}={value!r}; expected a positive integer")
