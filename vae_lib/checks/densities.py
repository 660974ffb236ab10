"""Checkers for the log-densities, the KL, the reparameterization trick and the ELBO.

Introduced in chapters 4 (log-densities, KL, ELBO) and 5 (reparameterization).
"""

import math

import numpy as np
import tensorflow as tf

from vae_lib import distributions, layers
from vae_lib import elbo as elbo_lib
from vae_lib.checks._core import (
    ATOL,
    NUM_ROWS,
    RTOL,
    STABLE_HINT,
    _call,
    _check_shape,
    _compare,
    _error_text,
    _Failure,
    _first,
    _fmt,
    _numpy,
    _report,
    forbids,
)

__all__ = ["log_bernoulli", "log_normal", "kl_divergence", "reparameterize", "elbo"]


# --- log_bernoulli ---------------------------------------------------------------------------

def _log_bernoulli_cases():
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(3, 28, 28, 1)) < 0.3).astype("float32")
    x[0] = rng.uniform(size=(28, 28, 1))  # grey levels too, like MNIST intensities
    logits = rng.uniform(-6, 6, size=x.shape).astype("float32")
    one_x = np.array([[0.0, 1.0, 0.25, 1.0, 0.0]], "float32")
    one_logits = np.array([[-1.5, 0.0, 2.0, 4.0, 3.0]], "float32")
    big_x = np.array([[1.0, 0.0, 1.0, 0.0]], "float32")
    big_logits = np.array([[50.0, 50.0, -50.0, -50.0]], "float32")
    return [("(batch of 3 images of shape (28, 28, 1))", x, logits),
            ("(batch of 1, shape (1, 5))", one_x, one_logits),
            ("(logits of +-50)", big_x, big_logits)]


def _run_log_bernoulli(fn):
    for where, x, logits in _log_bernoulli_cases():
        expected = _numpy(distributions.log_bernoulli(x, logits))
        got = _call(fn, (x, logits), where)
        summed = ": return one value per pixel (the sum over pixels happens in the ELBO)"
        _check_shape(got, x.shape, where, {(len(x),): summed, (): summed})

        def hint(index):
            if abs(logits[index]) > 20:
                return STABLE_HINT
            return ": the inputs are logits (any real number), not probabilities"

        known_bugs = [
            (-expected, "you returned the negative of log p (the cross-entropy, a loss); "
                        "return the log-probability"),
            (_numpy(distributions.log_bernoulli(1 - x, logits)), "you swapped x and 1 - x"),
        ]
        _compare(got, expected, where, lambda i: f"x={x[i]:g}, logits={logits[i]:g}",
                 known_bugs, hint)


@forbids(distributions.log_bernoulli)
def log_bernoulli(fn, verbose=True):
    """Check a student's elementwise Bernoulli log-likelihood against the library's.

    Args:
        fn: the student's function ``fn(x, logits)``; ``x`` in [0, 1] and ``logits`` real,
            both of shape (batch, ...); returns log p(x | logits) in nats, same shape as ``x``.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 4.
    """
    return _report(fn, verbose, _run_log_bernoulli,
                   "log_bernoulli matches vae_lib on 3 inputs, including logits of +-50.")


# --- log_normal ------------------------------------------------------------------------------

def _run_log_normal(fn):
    rng = np.random.default_rng(1)
    x, mean = rng.normal(size=(2, 4, 3)).astype("float32")
    cases = [
        ("(arrays of shape (4, 3))", x, mean, rng.uniform(-3, 2, (4, 3)).astype("float32")),
        ("(arrays of shape (1, 1))", *np.array([[[1.3]], [[0.2]], [[-0.7]]], "float32")),
        ("(log_var of +-20)", np.array([[0.5, 1.0], [-1.0, 0.0]], "float32"),
         np.zeros((2, 2), "float32"), np.array([[-20.0, 20.0], [20.0, -20.0]], "float32")),
    ]
    for where, x, mean, log_var in cases:
        expected = _numpy(distributions.log_normal(x, mean, log_var))
        got = _call(fn, (x, mean, log_var), where)
        summed = ": return one value per element; do not sum"
        _check_shape(got, x.shape, where, {(len(x),): summed, (): summed})
        known_bugs = [
            (-expected, "you returned the negative log-density (a loss); return log N(x; mean, "
                        "exp(log_var))"),
            (expected + 0.5 * math.log(2 * math.pi),
             "you forgot the constant -0.5 * log(2 pi)"),
            (expected + 0.5 * log_var, "you forgot the -0.5 * log_var term"),
            (_numpy(distributions.log_normal(x, mean, 2 * log_var)),
             "you used exp(log_var) as the standard deviation; it is the variance "
             "(standard deviation exp(log_var / 2))"),
            (_numpy(distributions.log_normal(x, mean, log_var / 2)),
             "you used exp(log_var / 2) as the variance; it is the standard deviation"),
        ]
        _compare(got, expected, where,
                 lambda i: f"x={x[i]:g}, mean={mean[i]:g}, log_var={log_var[i]:g}", known_bugs)


@forbids(distributions.log_normal)
def log_normal(fn, verbose=True):
    """Check a student's elementwise Gaussian log-density against the library's.

    Args:
        fn: the student's function ``fn(x, mean, log_var)``, three arrays of the same shape;
            returns log N(x; mean, exp(log_var)) in nats, same shape.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 4.
    """
    return _report(fn, verbose, _run_log_normal,
                   "log_normal matches vae_lib on 3 inputs, including log_var of +-20.")


# --- kl_divergence ---------------------------------------------------------------------------

def _run_kl_divergence(fn):
    rng = np.random.default_rng(2)
    cases = [
        (np.full((4, 3), 0.5), np.zeros((4, 3))),
        (rng.normal(size=(5, 4)), rng.uniform(-3, 2, (5, 4))),
        (rng.normal(size=(6, 1)), rng.uniform(-3, 2, (6, 1))),
        (rng.normal(size=(1, 3)), rng.uniform(-3, 2, (1, 3))),
        (np.array([[0.3, -0.2], [1.0, 0.5]]), np.array([[-20.0, 20.0], [20.0, -20.0]])),
    ]
    for z_mean, z_log_var in cases:
        z_mean, z_log_var = z_mean.astype("float32"), z_log_var.astype("float32")
        batch, latent_dim = z_mean.shape
        where = f"(batch of {batch}, latent_dim {latent_dim})"
        expected = _numpy(distributions.kl_normal_standard(z_mean, z_log_var))
        got = _call(fn, (z_mean, z_log_var), where)
        _check_shape(got, (batch,), where, {
            (batch, 1): ": return shape (batch,), not (batch, 1) (drop keepdims=True)",
            (batch, latent_dim): ": did you forget to sum over latent dimensions?",
            (): ": return one KL per example, not one number for the batch"})

        def describe(index):
            return f"z_mean={_fmt(z_mean[index])}, z_log_var={_fmt(z_log_var[index])}"

        negative = got < -ATOL
        if negative.any():
            index = _first(negative)
            raise _Failure(f"your KL is negative for {describe(index)}; check the sign (you "
                           f"returned {got[index]:.4g}, expected {expected[index]:.4g}) {where}")
        known_bugs = [
            (expected / 2, "your KL is half the expected value: the factor is 1/2, not 1/4"),
            (expected * 2, "your KL is twice the expected value: did you forget the factor 1/2?"),
            (expected + 0.5 * latent_dim, "you forgot the -1 inside the sum"),
        ]
        if latent_dim > 1:
            known_bugs.insert(0, (expected / latent_dim,
                                  f"your KL is {latent_dim} times too small: you averaged over "
                                  "latent dimensions instead of summing"))
        _compare(got, expected, where, describe, known_bugs)


@forbids(distributions.kl_normal_standard,
         distributions.kl_normal_standard_per_dimension)
def kl_divergence(fn, verbose=True):
    """Check a student's KL( N(z_mean, exp(z_log_var)) || N(0, I) ) against the library's.

    Args:
        fn: the student's function ``fn(z_mean, z_log_var)``, both (batch, latent_dim);
            returns (batch,) KL divergences in nats, summed over latent dimensions.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 4.
    """
    return _report(fn, verbose, _run_kl_divergence,
                   "kl_divergence matches vae_lib on 5 inputs, including latent_dim 1, a batch "
                   "of 1 and z_log_var of +-20.")


# --- reparameterize --------------------------------------------------------------------------

def _check_samples(z, mean, log_var, where):
    """Samples from rows that all share ``mean`` and ``log_var`` (latent_dim,)."""
    if not np.all(np.isfinite(z)):
        raise _Failure(f"your samples contain {z[_first(~np.isfinite(z))]} {where}")
    if np.allclose(z, mean, rtol=RTOL, atol=1e-6):
        raise _Failure(f"your samples equal z_mean {where}: there is no noise; add "
                       "exp(z_log_var / 2) * epsilon with epsilon ~ N(0, I)")
    if np.all(z == z[0]):
        raise _Failure(f"every row got the same noise {where}: draw epsilon with the full shape "
                       "of z_mean, e.g. keras.random.normal(ops.shape(z_mean))")
    std, expected_std = z.std(axis=0), np.exp(log_var / 2)
    if not np.allclose(std, expected_std, rtol=0.05):
        wrong_stds = [(np.exp(log_var), "exp(z_log_var)"), (np.abs(log_var), "|z_log_var|"),
                      (np.ones_like(log_var), "1 whatever z_log_var is"),
                      (np.exp(-log_var / 2), "exp(-z_log_var / 2)")]
        for value, name in wrong_stds:
            if np.allclose(std, value, rtol=0.05):
                raise _Failure(f"your samples have standard deviation {name}, expected "
                               f"exp(z_log_var / 2) {where}")
        j = _first(~np.isclose(std, expected_std, rtol=0.05))[0]
        raise _Failure(f"for z_log_var={log_var[j]:g} your samples have standard deviation "
                       f"{std[j]:.4g}, expected exp(z_log_var / 2) = {expected_std[j]:.4g} {where}")
    if len(mean) > 1:
        correlation = np.corrcoef((z - mean) / expected_std, rowvar=False)
        if np.max(np.abs(correlation - np.eye(len(mean)))) > 0.1:
            raise _Failure(f"the noise is shared (or correlated) across latent dimensions {where}: "
                           "draw epsilon with the full shape of z_mean, one independent value "
                           "per element")
    sample_mean, tolerance = z.mean(axis=0), 6 * expected_std / math.sqrt(len(z))
    if np.any(np.abs(sample_mean - mean) > tolerance):
        if np.all(np.abs(sample_mean) <= tolerance):
            raise _Failure(f"your samples ignore z_mean: their mean is about 0 {where}; "
                           "add z_mean to the scaled noise")
        j = _first(np.abs(sample_mean - mean) > tolerance)[0]
        raise _Failure(f"for z_mean={mean[j]:g} your samples have mean {sample_mean[j]:.4g} "
                       f"{where}; expected z_mean")


def _check_gradients(fn):
    """Gradients of sum(z) must reach both inputs: 1 for z_mean, (z - z_mean) / 2 for z_log_var."""
    z_mean = tf.Variable(np.linspace(-1, 1, 16).reshape(8, 2), dtype="float32")
    z_log_var = tf.Variable(np.linspace(-2, 1, 16).reshape(8, 2), dtype="float32")
    where = "when called with tf.Variable inputs (used to follow gradients)"
    with tf.GradientTape() as tape:
        try:
            z = fn(z_mean, z_log_var)
            total = tf.reduce_sum(tf.cast(z, "float32"))
        except Exception as error:
            raise _Failure(f"your function raised {_error_text(error)} {where}") from None
    gradients = tape.gradient(total, [z_mean, z_log_var])
    for name, gradient in zip(("z_mean", "z_log_var"), gradients):
        if gradient is None:
            raise _Failure(f"no gradient reaches {name} (the gradient is None): does your "
                           "function convert to NumPy (np.exp, np.asarray, .numpy()) or stop the "
                           "gradient? TensorFlow cannot follow NumPy; use keras.ops (ops.exp)")
    if not np.allclose(gradients[0], 1.0, atol=1e-4):
        raise _Failure("the gradient of sum(z) with respect to z_mean is not 1 everywhere: "
                       "z should be z_mean + exp(z_log_var / 2) * epsilon")
    expected = 0.5 * (_numpy(z) - z_mean.numpy())
    if not np.allclose(gradients[1], expected, rtol=1e-3, atol=1e-4):
        raise _Failure("the gradient with respect to z_log_var is not 0.5 * (z - z_mean): did you "
                       "stop the gradient or compute exp(z_log_var / 2) outside TensorFlow?")


def _run_reparameterize(fn):
    cases = [([0.5, -1.0, 2.0], [-2.0, 1.0, 3.0]), ([-0.7], [0.5]), ([3.0, -2.0], [-20.0, 20.0])]
    first = None
    for mean, log_var in cases:
        mean, log_var = np.array(mean, "float32"), np.array(log_var, "float32")
        z_mean, z_log_var = np.tile(mean, (NUM_ROWS, 1)), np.tile(log_var, (NUM_ROWS, 1))
        where = f"(on {NUM_ROWS} rows of z_mean={_fmt(mean)}, z_log_var={_fmt(log_var)})"
        z = _call(fn, (z_mean, z_log_var), where)
        _check_shape(z, z_mean.shape, where)
        _check_samples(z, mean, log_var, where)
        if first is None:
            first = (z, z_mean, z_log_var, where)
    z, z_mean, z_log_var, where = first
    if np.array_equal(_call(fn, (z_mean, z_log_var), where), z):
        raise _Failure(f"two calls returned exactly the same samples {where}: draw new noise on "
                       "every call (a fixed seed inside the function repeats the same numbers)")
    where = "(batch of 1, latent_dim 4)"
    z = _call(fn, (np.zeros((1, 4), "float32"), np.zeros((1, 4), "float32")), where)
    _check_shape(z, (1, 4), where)
    if not np.all(np.isfinite(z)):
        raise _Failure(f"your samples contain {z[_first(~np.isfinite(z))]} {where}")
    _check_gradients(fn)


@forbids(distributions.reparameterize, layers.Sampling.call)
def reparameterize(fn, verbose=True):
    """Check a student's reparameterized sampler by its sample statistics and its gradients.

    The checker draws many rows with the same z_mean and z_log_var and compares the sample mean
    and standard deviation with z_mean and exp(z_log_var / 2), checks that two calls differ,
    and that gradients (``tf.GradientTape``) reach z_mean and z_log_var.

    Args:
        fn: the student's function ``fn(z_mean, z_log_var)``, both (batch, latent_dim);
            returns random samples z of the same shape.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 5.
    """
    return _report(fn, verbose, _run_reparameterize,
                   "reparameterize gives mean z_mean, standard deviation exp(z_log_var / 2), "
                   "fresh noise each call and gradients to z_mean and z_log_var.")


# --- elbo ------------------------------------------------------------------------------------

def _elbo_cases():
    rng = np.random.default_rng(3)
    cases = []
    for where, batch, latent_dim in [("(batch of 4, latent_dim 3)", 4, 3),
                                     ("(batch of 1, latent_dim 1)", 1, 1),
                                     ("(batch of 2, latent_dim 3, x_logits of +-50)", 2, 3),
                                     ("(batch of 3, latent_dim 2, z_log_var of +-20)", 3, 2)]:
        x = (rng.uniform(size=(batch, 28, 28, 1)) < 0.3).astype("float32")
        x_logits = rng.uniform(-2, 2, x.shape).astype("float32")
        z_mean = rng.normal(0, 1.5, (batch, latent_dim)).astype("float32")
        z_log_var = rng.uniform(-2, 1.5, (batch, latent_dim)).astype("float32")
        if "x_logits" in where:
            x_logits = np.where(x_logits < 0, -50.0, 50.0).astype("float32")
        if "z_log_var" in where:
            z_log_var = np.where(z_log_var < 0, -20.0, 20.0).astype("float32")
        cases.append((where, x, x_logits, z_mean, z_log_var))
    return cases


def _run_elbo(fn):
    for where, x, x_logits, z_mean, z_log_var in _elbo_cases():
        batch, latent_dim = z_mean.shape
        num_pixels = x[0].size
        terms = elbo_lib.elbo_per_example(x, x_logits, z_mean, z_log_var)
        log_px = -np.mean(_numpy(terms["reconstruction"]))
        kl = np.mean(_numpy(terms["kl"]))
        expected = np.float64(log_px - kl)
        got = _call(fn, (x, x_logits, z_mean, z_log_var), where)
        if got.size == 1:
            got = got.reshape(())
        _check_shape(got, (), where, {(batch,): ": one ELBO per example; average over the "
                                                "batch to get one number (nats per image)"})
        too_small = (f"your reconstruction term is {num_pixels} times too small: did you "
                     "average over pixels instead of summing?")
        known_bugs = [
            (-expected, "your ELBO has the wrong sign: you returned the loss (-ELBO); "
                        "return E[log p(x|z)] - KL"),
            (log_px, "the KL term is missing: ELBO = E[log p(x|z)] - KL(q(z|x) || p(z))"),
            (-log_px, "the KL term is missing and the sign is flipped (you returned the "
                      "reconstruction loss): ELBO = E[log p(x|z)] - KL(q(z|x) || p(z))"),
            (log_px + kl, "you added the KL; the ELBO subtracts it: E[log p(x|z)] - KL"),
            (log_px / num_pixels - kl, too_small),
            (-(log_px / num_pixels - kl), too_small + " Also the sign is flipped: you returned "
                                                      "the loss (-ELBO)"),
            (expected / num_pixels, f"your result is {num_pixels} times too small: did you "
                                    "average over pixels instead of summing?"),
        ]
        if latent_dim > 1:
            known_bugs.append((log_px - kl / latent_dim,
                               f"your KL term is {latent_dim} times too small: you averaged over "
                               "latent dimensions instead of summing"))
        if batch > 1:
            known_bugs.append((batch * expected, f"your ELBO is {batch} times the expected value: "
                                                 "you summed over the batch instead of averaging"))

        large_logits = np.abs(x_logits).max() > 20
        _compare(got, expected, where, lambda index: "the ELBO", known_bugs,
                 lambda index: STABLE_HINT if large_logits else "")


@forbids(elbo_lib.elbo_per_example, elbo_lib.elbo_terms)
def elbo(fn, verbose=True):
    """Check a student's single-sample Bernoulli ELBO against the library's.

    Args:
        fn: the student's function ``fn(x, x_logits, z_mean, z_log_var)`` with ``x`` and
            ``x_logits`` (batch, 28, 28, 1) and ``z_mean``, ``z_log_var`` (batch, latent_dim);
            returns a scalar: the ELBO in nats per image (sum over pixels and latent
            dimensions, mean over the batch).
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 4.
    """
    return _report(fn, verbose, _run_elbo,
                   "elbo matches vae_lib (nats per image) on 4 inputs, including a batch of 1, "
                   "latent_dim 1, x_logits of +-50 and z_log_var of +-20.")
