"""Evaluating a trained VAE: test ELBO, importance-weighted log-likelihood, active units.

Every number is in nats per image (use ``elbo.bits_per_dim`` for bits per dimension).
For a Bernoulli likelihood, evaluate on binary images (``data.binarize_static``): on
grey values the "likelihood" is not a probability of the data.

Introduced in chapter 6 (ELBO, log-likelihood) and chapter 7 (active units).
"""

import math
import weakref

import keras
import numpy as np
from keras import ops

from vae_lib import distributions, elbo, models


# About 45 minutes of decoder passes at the measured ~8,000 conv decodes/s on 2 CPU cores.
MAX_TOTAL_DECODES = 20_000_000


def _check_vae(model):
    if not isinstance(model, models.VAE):
        raise TypeError(f"model is a {type(model).__name__}; expected a vae_lib.models.VAE")


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}={value!r}; expected a positive integer")


def _onehot_labels(model, labels, count):
    """One-hot labels (count, num_classes) for a conditional model; (count, 0) otherwise."""
    labels = model.check_labels(labels, count)
    if labels is None:
        return np.zeros((count, 0), dtype="float32")
    return np.eye(model.num_classes, dtype="float32")[labels]


def _or_none(onehot):
    return None if onehot.shape[-1] == 0 else onehot


def elbo_per_image(model, images, seed=0, batch_size=1000, labels=None):
    """Single-sample ELBO terms for every image.

    Args:
        model: a trained ``VAE``.
        images: (N, H, W, C) in [0, 1].
        seed: seed of the one posterior sample per image.
        batch_size: images per call.
        labels: (N,) integer classes, for a conditional model only.

    Returns:
        dict of (N,) NumPy arrays, nats per image: ``elbo``, ``reconstruction``, ``kl``.
    """
    _check_vae(model)
    _check_count("batch_size", batch_size)
    images = model.check_images(images)
    onehot = _onehot_labels(model, labels, len(images))
    generator = keras.random.SeedGenerator(seed)
    parts = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        part_labels = _or_none(onehot[start:start + batch_size])
        z_mean, z_log_var = model._encode(x, part_labels)
        z = distributions.reparameterize(z_mean, z_log_var, seed=generator)
        x_logits = model.logits(z, images=x, onehot=part_labels)
        terms = elbo.elbo_per_example(x, x_logits, z_mean, z_log_var, model.likelihood)
        parts.append({key: ops.convert_to_numpy(value) for key, value in terms.items()})
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def evaluate_elbo(model, images, seed=0, batch_size=1000, labels=None):
    """Average ELBO over a data set, with its standard error (arguments as
    :func:`elbo_per_image`).

    Returns:
        dict of floats in nats per image: ``elbo``, ``reconstruction``, ``kl`` (means) and
        ``elbo_std_error`` (standard error of the mean ELBO over images).
    """
    terms = elbo_per_image(model, images, seed=seed, batch_size=batch_size, labels=labels)
    summary = {key: float(np.mean(value)) for key, value in terms.items()}
    summary["elbo_std_error"] = float(np.std(terms["elbo"]) / math.sqrt(len(terms["elbo"])))
    return summary


def log_likelihood(model, images, num_samples=100, seed=0, max_decodes=2048,
                   max_total_decodes=MAX_TOTAL_DECODES, labels=None):
    """Importance-weighted estimate of log p(x) for every image (Burda et al., 2015).

        log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)

    For K = 1 it is a single-sample ELBO; it increases towards log p(x) as K grows.

    Speed (chapter 7 and ``benchmarks/``): the encoder runs once per block of images, the
    K samples are decoded in compiled chunks of about ``max_decodes`` codes, and the
    log-weights stay on the device until one log-sum-exp (in float64) per image at the end.
    Memory is O(max_decodes) for the decoder plus K floats per image.

    Args:
        model: a trained ``VAE``.
        images: (N, H, W, C) in [0, 1].
        num_samples: K, importance samples per image.
        seed: seed of the samples (the same seed gives the same estimates).
        max_decodes: images decoded per decoder call (memory budget).
        max_total_decodes: refuse work above this many decoder passes (N x K), which would
            run for hours (a typo such as ``num_samples=10**9`` should fail at once).
        labels: (N,) integer classes, for a conditional model only.

    Returns:
        np.ndarray (N,) of estimates in nats per image.

    Raises:
        ValueError: for N x K above ``max_total_decodes``, saying how long it would take.
    """
    _check_vae(model)
    _check_count("num_samples", num_samples)
    _check_count("max_decodes", max_decodes)
    _check_count("max_total_decodes", max_total_decodes)
    images = model.check_images(images)
    total = len(images) * int(num_samples)
    if total > max_total_decodes:
        raise ValueError(
            f"num_samples={num_samples:,} for {len(images):,} images is {total:,} decoder passes, "
            f"about {total / 8_000 / 3600:,.1f} hours at ~8,000 passes/s on 2 CPU cores; the "
            f"limit is max_total_decodes={max_total_decodes:,}. Use fewer samples or images, "
            "or raise the limit on purpose.")
    onehot = _onehot_labels(model, labels, len(images))
    images_per_call = max(1, min(len(images), max_decodes))
    samples_per_call = max(1, min(num_samples, max_decodes // images_per_call))
    log_weights = _log_weights_function(model)
    results = []
    for block, start in enumerate(range(0, len(images), images_per_call)):
        x = images[start:start + images_per_call]
        x_labels = onehot[start:start + images_per_call]
        # (batch, latent_dim) each, once per block
        z_mean, z_log_var = model._encode(x, _or_none(x_labels))
        chunks = []
        for done in range(0, num_samples, samples_per_call):
            k = min(samples_per_call, num_samples - done)
            chunk_seed = np.array([seed, block * (num_samples + 1) + done], dtype="int64")
            # k as a tensor: one trace serves every chunk size (a Python int would be a
            # constant, and each new value would retrace the function).
            chunks.append(log_weights(x, x_labels, z_mean, z_log_var, np.int32(k), chunk_seed))
        log_w = np.concatenate([ops.convert_to_numpy(c) for c in chunks]).astype("float64")
        # log-mean-exp over the K samples of each image, (K, batch) -> (batch,)
        top = log_w.max(axis=0)
        results.append(top + np.log(np.exp(log_w - top).sum(axis=0)) - math.log(num_samples))
    return np.concatenate(results)


_LOG_WEIGHT_FUNCTIONS = weakref.WeakKeyDictionary()


def _log_weights_function(model):
    """A compiled ``(x, onehot, z_mean, z_log_var, k, seed) -> (k, batch)`` log-weight function.

    One per model; ``k`` arrives as a tensor, so it is traced once, and again at most when
    the last, smaller block of images comes. The noise is stateless: a chunk's samples
    depend only on ``seed``, so estimates are reproducible and chunks are independent.
    """
    import tensorflow as tf

    function = _LOG_WEIGHT_FUNCTIONS.get(model)
    if function is None:
        @tf.function(reduce_retracing=True)
        def function(x, onehot, z_mean, z_log_var, k, seed):
            return _log_weights(model, x, onehot, z_mean, z_log_var, k, seed)

        _LOG_WEIGHT_FUNCTIONS[model] = function
    return function


def _log_weights(model, x, onehot, z_mean, z_log_var, k, seed):
    """log p(x|z) + log p(z) - log q(z|x) for k samples per image: (k, batch)."""
    import tensorflow as tf

    # float32 even if the model computes in bfloat16 (mixed precision): scores need it.
    z_mean, z_log_var = tf.cast(z_mean, "float32"), tf.cast(z_log_var, "float32")
    batch, latent_dim = tf.shape(z_mean)[0], tf.shape(z_mean)[1]
    epsilon = tf.random.stateless_normal(tf.stack([k, batch, latent_dim]), seed=seed)
    z = z_mean + tf.exp(0.5 * z_log_var) * epsilon  # (k, batch, latent_dim)
    flat_z = tf.reshape(z, (k * batch, latent_dim))

    def tiled(tensor):  # (batch, ...) -> (k * batch, ...), sample-major like flat_z
        shape = tf.shape(tensor)
        return tf.reshape(tf.broadcast_to(tensor, tf.concat([[k], shape], 0)),
                          tf.concat([[k * shape[0]], shape[1:]], 0))

    x_tiled = tiled(x)
    labels = tiled(onehot) if model.num_classes is not None else None
    x_logits = tf.cast(model.logits(flat_z, images=x_tiled, onehot=labels), "float32")
    log_px_z = tf.reshape(model.likelihood.log_prob(x_tiled, x_logits), (k, batch))
    log_pz = ops.sum(distributions.log_normal(z, 0.0, 0.0), axis=-1)
    log_qz_x = ops.sum(distributions.log_normal(z, z_mean, z_log_var), axis=-1)
    return log_px_z + log_pz - log_qz_x


def kl_per_dimension(model, images, batch_size=1000, labels=None):
    """Average KL(q(z|x) || N(0, I)) of each latent dimension over the images (``labels``
    for a conditional model).

    Returns:
        np.ndarray (latent_dim,) in nats; the entries sum to the average KL per image.
    """
    _check_vae(model)
    z_mean, z_log_var = model.encode(images, batch_size, labels=labels)
    per_dim = distributions.kl_normal_standard_per_dimension(z_mean, z_log_var)
    return ops.convert_to_numpy(ops.mean(per_dim, axis=0))


def active_units(model, images, threshold=0.01, batch_size=1000, labels=None):
    """Count latent dimensions the model uses (Burda et al., 2015).

    A dimension u is active when its activity A_u = Var_x( E_q[z_u | x] ) exceeds
    ``threshold``: the posterior mean moves with the image. An inactive dimension has
    collapsed to the prior and carries no information.

    Returns:
        dict with ``count`` (int) and ``activity`` ((latent_dim,) array of A_u).
    """
    _check_vae(model)
    if not threshold > 0:
        raise ValueError(f"threshold={threshold!r}; expected a positive number")
    z_mean, _ = model.encode(images, batch_size, labels=labels)
    activity = z_mean.var(axis=0)
    return {"count": int((activity > threshold).sum()), "activity": activity}
