"""The ELBO, computed in ONE place with ONE reduction rule.

    ELBO(x) = E_q(z|x)[ log p(x|z) ] - KL( q(z|x) || p(z) )

The rule, everywhere in the book: **sum** over pixels and over latent dimensions, per image;
then **average** over the batch. Every number is in nats per image.

The most common bug in public VAE code is to average the reconstruction over pixels but sum
the KL over latent dimensions. That divides the reconstruction term by 784 relative to the
KL, i.e. multiplies beta by 784, and the code collapses to the prior. ``tests/test_elbo.py``
checks that this module does not do that.

Introduced in chapter 4; the training loss of chapter 6 is ``elbo_terms(...)["loss"]``.
"""

import math

from keras import ops

from vae_lib import distributions, likelihoods


def elbo_per_example(x, x_logits, z_mean, z_log_var, likelihood="bernoulli"):
    """Single-sample ELBO terms for each example.

    Args:
        x: (batch, H, W, C) images (the target of the reconstruction).
        x_logits: (batch, H, W, C) decoder outputs for one sample z ~ q(z|x).
        z_mean, z_log_var: (batch, latent_dim) parameters of q(z|x).
        likelihood: ``"bernoulli"``, ``"gaussian"`` or a likelihood object.

    Returns:
        dict of (batch,) tensors, all in nats per image:
        ``reconstruction`` = -log p(x|z) (a loss, so positive for Bernoulli),
        ``kl`` = KL(q(z|x) || N(0, I)), ``elbo`` = -(reconstruction + kl).
    """
    if isinstance(likelihood, str):
        # Objects are used as they are: get() would copy a LearnedGaussian, and the copy's
        # fresh variance would be neither the model's nor trainable inside a compiled step.
        likelihood = likelihoods.get(likelihood)
    reconstruction = -likelihood.log_prob(x, x_logits)
    kl = distributions.kl_normal_standard(z_mean, z_log_var)
    return {"reconstruction": reconstruction, "kl": kl, "elbo": -(reconstruction + kl)}


def elbo_terms(x, x_logits, z_mean, z_log_var, beta=1.0, likelihood="bernoulli"):
    """Batch averages of the ELBO terms and the training loss.

    Args:
        x, x_logits, z_mean, z_log_var, likelihood: as in :func:`elbo_per_example`.
        beta: weight of the KL term in the loss (1 gives the ELBO; chapter 10 varies it).

    Returns:
        dict of scalars in nats per image: ``reconstruction``, ``kl``, ``elbo`` and
        ``loss`` = reconstruction + beta * kl (equal to -elbo when beta = 1).
    """
    if not isinstance(beta, (int, float)) or beta < 0 or math.isnan(beta):
        raise ValueError(f"beta={beta!r}; expected a number >= 0")
    per_example = elbo_per_example(x, x_logits, z_mean, z_log_var, likelihood)
    terms = {name: ops.mean(value) for name, value in per_example.items()}
    terms["loss"] = terms["reconstruction"] + beta * terms["kl"]
    return terms


def bits_per_dim(nats_per_image, num_dims=784):
    """Convert a log-likelihood (or ELBO) in nats per image to bits per dimension.

    bits/dim = -log p(x) / (num_dims * ln 2); pass a negative log-likelihood's sign as is:
    ``bits_per_dim(-85.0)`` is 85 / (784 ln 2) = 0.156.
    """
    return -float(nats_per_image) / (num_dims * math.log(2.0))
