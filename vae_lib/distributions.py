"""Log-densities, the Gaussian KL in closed form, and reparameterized sampling.

All functions are written with ``keras.ops`` and work on NumPy arrays or tensors.
Elementwise functions return one value per element; reductions are left to ``elbo.py``,
with the single exception of :func:`kl_normal_standard`, which sums over latent dimensions
because that is how it is always used.

Introduced in chapters 4 (log-densities, KL) and 5 (reparameterization).
"""

import math

import keras
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def log_bernoulli(x, logits):
    """Elementwise log p(x | logits) of a Bernoulli variable, stable for any logit.

    log p = x * log sigmoid(l) + (1 - x) * log(1 - sigmoid(l)) = x * l - softplus(l),
    which never takes the log of 0, unlike clipping sigmoid outputs.

    Args:
        x: values in [0, 1] (binary data, or intensities for the "continuous Bernoulli-like"
            cross-entropy), any shape.
        logits: real numbers of the same shape.

    Returns:
        Tensor of log-probabilities (nats), same shape as ``x``.
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    logits = ops.convert_to_tensor(logits, dtype="float32")
    return x * logits - ops.softplus(logits)


def log_normal(x, mean, log_var):
    """Elementwise log N(x; mean, exp(log_var)) in nats.

    Args:
        x, mean, log_var: broadcastable arrays; ``log_var`` is the log of the variance.

    Returns:
        Tensor of log-densities, the broadcast shape.
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    mean = ops.convert_to_tensor(mean, dtype="float32")
    log_var = ops.convert_to_tensor(log_var, dtype="float32")
    return -0.5 * (LOG_2PI + log_var + ops.square(x - mean) * ops.exp(-log_var))


def kl_normal_standard(z_mean, z_log_var):
    """KL( N(z_mean, diag(exp(z_log_var))) || N(0, I) ), one value per example.

    KL = 1/2 * sum_j ( exp(z_log_var_j) + z_mean_j^2 - 1 - z_log_var_j ), derived in chapter 4.

    Args:
        z_mean: (batch, latent_dim) posterior means.
        z_log_var: (batch, latent_dim) posterior log-variances.

    Returns:
        Tensor (batch,) of KL divergences in nats, summed over latent dimensions.
    """
    return ops.sum(kl_normal_standard_per_dimension(z_mean, z_log_var), axis=-1)


def kl_normal_standard_per_dimension(z_mean, z_log_var):
    """The terms of :func:`kl_normal_standard` before the sum: (batch, latent_dim), nats."""
    z_mean = ops.convert_to_tensor(z_mean, dtype="float32")
    z_log_var = ops.convert_to_tensor(z_log_var, dtype="float32")
    return 0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var)


def reparameterize(z_mean, z_log_var, seed=None):
    """Sample z = z_mean + exp(z_log_var / 2) * epsilon with epsilon ~ N(0, I).

    The randomness sits in epsilon, so gradients flow to ``z_mean`` and ``z_log_var``.

    Args:
        z_mean: (..., latent_dim) means.
        z_log_var: log-variances of the same shape. The standard deviation is
            exp(z_log_var / 2), not exp(z_log_var).
        seed: an int, a ``keras.random.SeedGenerator`` (needed inside compiled training
            steps, so that each step draws new noise), or None.

    Returns:
        Tensor of samples with the shape of ``z_mean``.
    """
    z_mean = ops.convert_to_tensor(z_mean, dtype="float32")
    z_log_var = ops.convert_to_tensor(z_log_var, dtype="float32")
    epsilon = keras.random.normal(ops.shape(z_mean), seed=seed)
    return z_mean + ops.exp(0.5 * z_log_var) * epsilon
