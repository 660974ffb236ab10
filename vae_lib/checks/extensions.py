"""Checkers for chapter 11: the free-bits KL term and the input of a conditional decoder.

Introduced in chapter 11.
"""

import numpy as np

from vae_lib import models, networks
from vae_lib.checks._core import (
    _call,
    _check_shape,
    _compare,
    _Failure,
    _fmt,
    _report,
    forbids,
)

__all__ = ["free_bits_kl", "conditional_input"]


# --- free_bits_kl ----------------------------------------------------------------------------

def _kl_elements(z_mean, z_log_var):
    """KL(N(mu, sigma^2) || N(0, 1)) of every image and dimension, float64: (batch, L)."""
    z_mean, z_log_var = z_mean.astype("float64"), z_log_var.astype("float64")
    return 0.5 * (np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var)


def _free_bits_cases():
    rng = np.random.default_rng(11)
    spread = rng.normal(size=(8, 5)) * np.array([0.1, 0.4, 1.0, 2.0, 0.05])  # some below
    return [
        ("(batch of 8, latent_dim 5, free_bits 0.6)", spread,
         rng.uniform(-2.0, 0.5, (8, 5)), 0.6),
        ("(batch of 6, latent_dim 3, free_bits 2.0)", rng.normal(size=(6, 3)),
         rng.uniform(-3.0, 1.0, (6, 3)), 2.0),
        ("(batch of 1, latent_dim 4, free_bits 0.25)", rng.normal(size=(1, 4)) * 0.5,
         rng.uniform(-1.0, 0.5, (1, 4)), 0.25),
        ("(batch of 5, latent_dim 1, free_bits 0.1)", rng.normal(size=(5, 1)),
         rng.uniform(-1.0, 0.5, (5, 1)), 0.1),
        ("(free_bits 0: the plain KL)", rng.normal(size=(4, 3)),
         rng.uniform(-2.0, 1.0, (4, 3)), 0.0),
        ("(z_log_var of -20 and +5)", np.zeros((2, 2)),
         np.array([[-20.0, 5.0], [5.0, -20.0]]), 1.0),
    ]


def _run_free_bits_kl(fn):
    for where, z_mean, z_log_var, free_bits in _free_bits_cases():
        z_mean, z_log_var = z_mean.astype("float32"), z_log_var.astype("float32")
        batch, latent_dim = z_mean.shape
        kl = _kl_elements(z_mean, z_log_var)                   # (batch, L)
        per_dimension = kl.mean(axis=0)                          # (L,)
        expected = np.maximum(per_dimension, free_bits).sum()
        got = _call(lambda m, v: fn(m, v, free_bits), (z_mean, z_log_var), where)
        hints = {(latent_dim,): ": sum the floored KL over the latent dimensions (one number)",
                 (batch,): ": average each dimension's KL over the images first, then floor "
                           "and sum over dimensions (one number)",
                 (batch, latent_dim): ": return one number, the KL term of the loss"}
        if got.shape == (1,):
            got = got.reshape(())
        _check_shape(got, (), where, hints)
        known_bugs = [
            (np.maximum(kl, free_bits).sum(axis=1).mean(),
             "you floored each image's KL before averaging over the images: the floor applies "
             "to each dimension's KL averaged over the batch, max(mean_i KL_ij, free_bits)"),
            (max(kl.sum(axis=1).mean(), latent_dim * free_bits),
             "you floored the total KL (free nats for the whole code); free bits floor each "
             "latent dimension separately, so no dimension can be switched off for free"),
            (np.minimum(per_dimension, free_bits).sum(),
             "you took the minimum: a dimension's KL enters the loss as max(KL_j, free_bits)"),
            (np.maximum(per_dimension - free_bits, 0.0).sum(),
             "you returned sum max(KL_j - free_bits, 0): its gradients are right, but its "
             f"value is {latent_dim} x free_bits lower than the KL term the loss adds "
             "(max(KL_j, free_bits), which is the KL itself when every dimension is above "
             "the floor)"),
            (np.maximum(kl.sum(axis=0), free_bits).sum(),
             f"your value grows with the batch: you summed over the {batch} images; average "
             "each dimension's KL over them (axis 0)"),
            (per_dimension.sum(), "you returned the plain KL: each dimension's KL below "
                                  "free_bits must count as free_bits"),
        ]
        if free_bits == 0.0 or batch == 1:
            known_bugs = [bug for bug in known_bugs if not np.isclose(bug[0], expected)]
        _compare(np.atleast_1d(got), np.atleast_1d(expected), where,
                 lambda index: "the free-bits KL", known_bugs)


@forbids(models.VAE.compute_loss)
def free_bits_kl(fn, verbose=True):
    """Check a student's free-bits KL term: sum over dimensions of max(mean KL_j, free_bits).

    Args:
        fn: the student's function ``fn(z_mean, z_log_var, free_bits)``; ``z_mean`` and
            ``z_log_var`` (batch, latent_dim), ``free_bits`` a float (nats per dimension).
            Returns the KL term the loss adds, one number: for each latent dimension j the
            KL of N(mu_j, sigma_j^2) from N(0, 1) averaged over the images, floored at
            ``free_bits``, then summed over the dimensions.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 11.
    """
    return _report(fn, verbose, _run_free_bits_kl,
                   "free_bits_kl floors each dimension's batch-averaged KL, on 6 inputs "
                   "(batch of 1, latent_dim 1, free_bits 0, z_log_var of -20).")


# --- conditional_input -----------------------------------------------------------------------

def _conditional_cases():
    rng = np.random.default_rng(12)
    return [
        ("(5 codes of size 3, 10 classes)", rng.normal(size=(5, 3)),
         np.array([0, 3, 9, 3, 1]), 10),
        ("(1 code of size 2, 5 classes)", rng.normal(size=(1, 2)), np.array([4]), 5),
        ("(4 codes of size 1, 2 classes)", rng.normal(size=(4, 1)), np.array([1, 0, 0, 1]), 2),
    ]


def _run_conditional_input(fn):
    for where, z, labels, num_classes in _conditional_cases():
        z = z.astype("float32")
        count, latent_dim = z.shape
        onehot = np.eye(num_classes)[labels]
        expected = np.concatenate([z, onehot], axis=1)
        got = _call(lambda codes, classes: fn(codes, classes, num_classes), (z, labels), where)
        hints = {(count, latent_dim + 1): ": the label enters as a one-hot vector of "
                                          "num_classes numbers, not as one integer",
                 (count, num_classes): ": keep z: the decoder reads z AND the label",
                 (count, latent_dim): ": concatenate the one-hot label to z (more columns); "
                                      "adding it would mix the two",
                 (count, latent_dim + 10): ": use num_classes, not 10, for the one-hot size"}
        if num_classes == 10:
            hints.pop((count, latent_dim + 10))
        _check_shape(got, expected.shape, where, hints)
        known_bugs = [
            (np.concatenate([onehot, z], axis=1),
             "you put the one-hot label first; the decoder reads [z, one-hot label], z first"),
            (np.concatenate([z, np.eye(num_classes)[(labels + 1) % num_classes]], axis=1),
             "your one-hot vectors are shifted by one class: label k must set column k"),
            (np.concatenate([z, np.eye(num_classes)[(labels - 1) % num_classes]], axis=1),
             "your one-hot vectors are shifted by one class: label k must set column k"),
        ]
        if not np.allclose(got[:, :latent_dim], z, atol=1e-6) and not np.allclose(
                got, known_bugs[0][0], atol=1e-6):
            raise _Failure(f"the first {latent_dim} columns are not z {where}: pass the codes "
                           "through unchanged")
        rows = got[:, latent_dim:]
        if np.allclose(got, expected, atol=1e-6):
            continue
        if np.allclose(got[:, :latent_dim], z, atol=1e-6) and not np.allclose(
                rows.sum(axis=1), 1.0, atol=1e-6):
            raise _Failure(f"the label columns sum to {_fmt(rows.sum(axis=1))} per code "
                           f"{where}; a one-hot vector has a single 1 and zeros elsewhere")
        _compare(got, expected, where,
                 lambda index: f"code {index[0]} (label {labels[index[0]]}), column {index[1]}",
                 known_bugs)


@forbids(networks._with_label, models._CodingModel._onehot)
def conditional_input(fn, verbose=True):
    """Check a student's conditional-decoder input: z joined with the one-hot label.

    Args:
        fn: the student's function ``fn(z, labels, num_classes)``; ``z`` (N, latent_dim),
            ``labels`` (N,) integers in 0 .. num_classes - 1. Returns (N, latent_dim +
            num_classes): each code followed by the one-hot vector of its label, which is
            what ``networks.dense_decoder(..., num_classes=...)`` feeds its first layer.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 11.
    """
    return _report(fn, verbose, _run_conditional_input,
                   "conditional_input joins z and the one-hot label for 3 inputs (10, 5 and "
                   "2 classes, a single code).")
