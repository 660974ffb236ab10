"""Each checker accepts correct implementations (vae_lib's and independent NumPy ones) and
rejects known-wrong ones with the right diagnosis."""

import functools
import inspect
import sys
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from vae_lib import checks, distributions, elbo, layers, likelihoods
from vae_lib.checks import _core


def softplus(values):
    return np.logaddexp(0.0, values)


def sigmoid(values):
    return 1.0 / (1.0 + np.exp(-values))


# --- correct implementations, independent of vae_lib -----------------------------------------

def numpy_log_bernoulli(x, logits):
    return x * logits - softplus(logits)


def tf_log_bernoulli(x, logits):
    return -tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)


def numpy_log_normal(x, mean, log_var):
    return -0.5 * np.log(2 * np.pi * np.exp(log_var)) - (x - mean) ** 2 / (2 * np.exp(log_var))


def numpy_kl(z_mean, z_log_var):
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)


def keras_reparameterize(z_mean, z_log_var):
    epsilon = keras.random.normal(ops.shape(z_mean))
    return z_mean + ops.sqrt(ops.exp(z_log_var)) * epsilon


def numpy_elbo(x, x_logits, z_mean, z_log_var):
    log_px = numpy_log_bernoulli(x, x_logits).reshape(len(x), -1).sum(axis=1)
    return np.mean(log_px - numpy_kl(z_mean, z_log_var))


def library_elbo(x, x_logits, z_mean, z_log_var):
    return elbo.elbo_terms(x, x_logits, z_mean, z_log_var)["elbo"]


def elbo_from_library_pieces(x, x_logits, z_mean, z_log_var):
    """Allowed: the ELBO exercise asks for the reduction, not for the log-density or the KL."""
    log_px = likelihoods.Bernoulli().log_prob(x, x_logits)
    return ops.mean(log_px - distributions.kl_normal_standard(z_mean, z_log_var))


CORRECT = [
    (checks.log_bernoulli, numpy_log_bernoulli),
    (checks.log_bernoulli, tf_log_bernoulli),
    (checks.log_normal, numpy_log_normal),
    (checks.kl_divergence, numpy_kl),
    (checks.reparameterize, keras_reparameterize),
    (checks.elbo, numpy_elbo),
    (checks.elbo, elbo_from_library_pieces),
]


@pytest.mark.parametrize("checker, fn", CORRECT, ids=lambda v: getattr(v, "__name__", str(v)))
def test_correct_implementations_pass(checker, fn):
    result = checker(fn, verbose=False)
    assert result.passed, result.message
    assert result.message.startswith("PASS: ")


LIBRARY = [
    (checks.log_bernoulli, distributions.log_bernoulli),
    (checks.log_normal, distributions.log_normal),
    (checks.kl_divergence, distributions.kl_normal_standard),
    (checks.reparameterize, distributions.reparameterize),
    (checks.elbo, library_elbo),
]


@pytest.mark.parametrize("checker, fn", LIBRARY, ids=lambda v: getattr(v, "__name__", str(v)))
def test_the_library_agrees_with_the_checker_without_the_rule(checker, fn):
    """The reference logic accepts the library itself; only the rule below fails it."""
    result = checker.__wrapped__(fn, verbose=False)
    assert result.passed, result.message


# --- handing in the library earns nothing ---------------------------------------------------

@tf.function
def tf_function_wrapper(x, logits):
    return distributions.log_bernoulli(x, logits)


def wrapper_that_crashes_after(x, logits):
    distributions.log_bernoulli(x, logits)
    raise RuntimeError("after the library")


COPY_OF_LOG_NORMAL = types.FunctionType(distributions.log_normal.__code__,
                                        distributions.log_normal.__globals__)

HANDS_IN_LIBRARY = [
    (checks.log_bernoulli, distributions.log_bernoulli, "is vae_lib.distributions.log_bernoulli"),
    (checks.log_bernoulli, lambda x, logits: distributions.log_bernoulli(x, logits),
     "calls vae_lib.distributions.log_bernoulli"),
    (checks.log_bernoulli, functools.partial(distributions.log_bernoulli),
     "is vae_lib.distributions.log_bernoulli"),
    (checks.log_bernoulli, tf_function_wrapper, "calls vae_lib.distributions.log_bernoulli"),
    (checks.log_bernoulli, wrapper_that_crashes_after,
     "calls vae_lib.distributions.log_bernoulli"),
    (checks.log_normal, COPY_OF_LOG_NORMAL, "is vae_lib.distributions.log_normal"),
    (checks.log_normal, lambda x, m, v: likelihoods.Gaussian(1.0, None).log_prob(x, m) * 0
     + distributions.log_normal(x, m, v), "calls vae_lib.distributions.log_normal"),
    (checks.kl_divergence, distributions.kl_normal_standard,
     "is vae_lib.distributions.kl_normal_standard"),
    (checks.kl_divergence,
     lambda m, v: ops.sum(distributions.kl_normal_standard_per_dimension(m, v), axis=-1),
     "calls vae_lib.distributions.kl_normal_standard_per_dimension"),
    (checks.reparameterize, lambda m, v: layers.Sampling()([m, v]),
     "calls vae_lib.layers.Sampling.call"),
    (checks.reparameterize, lambda m, v: distributions.reparameterize(m, v),
     "calls vae_lib.distributions.reparameterize"),
    (checks.elbo, library_elbo, "calls vae_lib.elbo.elbo_terms"),
    (checks.elbo, lambda x, l, m, v: ops.mean(elbo.elbo_per_example(x, l, m, v)["elbo"]),
     "calls vae_lib.elbo.elbo_per_example"),
]


@pytest.mark.parametrize("checker, fn, words", HANDS_IN_LIBRARY)
def test_handing_in_the_library_fails_with_a_message_that_says_so(checker, fn, words):
    profiler, eager = sys.getprofile(), tf.config.functions_run_eagerly()
    result = checker(fn, verbose=False)
    assert not result.passed
    assert f"FAIL: your function {words}, the function this exercise asks you to write" \
        in result.message, result.message
    assert sys.getprofile() is profiler and tf.config.functions_run_eagerly() == eager


def test_every_public_checker_declares_what_it_forbids():
    """A checker without @forbids would let a student hand in the library unnoticed."""
    public = [value for name, value in vars(checks).items()
              if inspect.isfunction(value) and not name.startswith("_")]
    assert len(public) >= 5
    undeclared = [f.__name__ for f in public if not isinstance(getattr(f, "forbidden", None),
                                                               tuple)]
    assert not undeclared, f"checkers without @forbids(...) in vae_lib.checks: {undeclared}"
    assert checks.log_bernoulli.forbidden == (distributions.log_bernoulli,)


def test_forbids_names_a_bad_declaration():
    with pytest.raises(TypeError, match="implementation=3"):
        _core.forbids(3)


def test_the_rule_does_not_change_how_the_students_function_reads():
    seen = {}

    def my_kl(z_mean, z_log_var):
        """docstring"""
        seen["name"] = my_kl.__name__
        return numpy_kl(z_mean, z_log_var)

    wrapped = _core._Watched(my_kl, (distributions.kl_normal_standard,))
    assert wrapped.__name__ == "my_kl" and wrapped.__doc__ == "docstring"
    assert checks.kl_divergence(my_kl, verbose=False).passed
    assert seen["name"] == "my_kl"


# --- known-wrong implementations, each with the words its diagnosis must contain --------------

def kl_per_dimension(z_mean, z_log_var):
    return 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var)


def noise(z_mean):
    return np.random.default_rng().standard_normal(np.shape(z_mean)).astype("float32")


WRONG = [
    # log_bernoulli
    (checks.log_bernoulli, lambda x, l: x * np.log(sigmoid(l)) + (1 - x) * np.log(1 - sigmoid(l)),
     "returned nan for x=1, logits=50", "use a numerically stable form from logits"),
    (checks.log_bernoulli,
     lambda x, l: x * np.log(np.clip(sigmoid(l), 1e-7, 1 - 1e-7))
     + (1 - x) * np.log(np.clip(1 - sigmoid(l), 1e-7, 1)),
     "expected -50", "numerically stable form"),
    (checks.log_bernoulli, lambda x, l: -numpy_log_bernoulli(x, l), "the cross-entropy", None),
    (checks.log_bernoulli, lambda x, l: numpy_log_bernoulli(x, l).sum(axis=(1, 2, 3)),
     "shape (3,)", "one value per pixel"),
    (checks.log_bernoulli, lambda x, l: x * np.log(l) + (1 - x) * np.log(1 - l),
     "not probabilities", None),
    (checks.log_bernoulli, lambda x, l: numpy_log_bernoulli(1 - x, l), "swapped x and 1 - x", None),
    # log_normal
    (checks.log_normal, lambda x, m, v: -0.5 * (v + (x - m) ** 2 / np.exp(v)),
     "forgot the constant -0.5 * log(2 pi)", None),
    (checks.log_normal, lambda x, m, v: -np.log(np.sqrt(2 * np.pi) * np.exp(v))
     - (x - m) ** 2 / (2 * np.exp(v) ** 2), "used exp(log_var) as the standard deviation", None),
    (checks.log_normal, lambda x, m, v: -numpy_log_normal(x, m, v), "negative log-density", None),
    (checks.log_normal, lambda x, m, v: -0.5 * (np.log(2 * np.pi) + v + (x - m) ** 2 / v),
     "for x=", "you returned"),
    # kl_divergence
    (checks.kl_divergence, lambda m, v: -numpy_kl(m, v),
     "your KL is negative for z_mean=0.5, z_log_var=0; check the sign", None),
    (checks.kl_divergence, kl_per_dimension,
     "shape (4, 3)", "did you forget to sum over latent dimensions?"),
    (checks.kl_divergence, lambda m, v: kl_per_dimension(m, v).mean(axis=1),
     "3 times too small", "averaged over latent dimensions instead of summing"),
    (checks.kl_divergence, lambda m, v: 2 * numpy_kl(m, v), "forget the factor 1/2", None),
    (checks.kl_divergence, lambda m, v: numpy_kl(m, v).mean(), "not one number for the batch",
     None),
    (checks.kl_divergence, lambda m, v: 0.5 * np.sum(np.exp(v) + m**2 - v, axis=1),
     "forgot the -1", None),
    (checks.kl_divergence, lambda m, v: numpy_kl(m, v)[:, None], "drop keepdims=True", None),
    (checks.kl_divergence, lambda m, v: 1 / 0, "raised ZeroDivisionError: division by zero", None),
    # reparameterize
    (checks.reparameterize, lambda m, v: m + ops.exp(v) * noise(m),
     "your samples have standard deviation exp(z_log_var), expected exp(z_log_var / 2)", None),
    (checks.reparameterize, lambda m, v: m + v * noise(m),
     "standard deviation |z_log_var|", None),
    (checks.reparameterize, lambda m, v: ops.exp(0.5 * v) * noise(m), "ignore z_mean", None),
    (checks.reparameterize, lambda m, v: m + ops.exp(0.5 * v) * noise(m[0]),
     "every row got the same noise", None),
    (checks.reparameterize, lambda m, v: m + 0 * v, "there is no noise", None),
    (checks.reparameterize, lambda m, v: m + ops.exp(0.5 * v) * noise(m[:, :1]),
     "the noise is shared (or correlated) across latent dimensions", None),
    (checks.reparameterize,
     lambda m, v: m.copy() + ops.exp(0.5 * v) * noise(m),
     "raised AttributeError", "when called with tf.Variable inputs"),
    (checks.reparameterize,
     lambda m, v: m + ops.exp(0.5 * v) * keras.random.normal(ops.shape(m), seed=0),
     "two calls returned exactly the same samples", None),
    (checks.reparameterize, lambda m, v: m + np.exp(0.5 * np.asarray(v)) * noise(m),
     "no gradient reaches z_log_var", "convert to NumPy"),
    (checks.reparameterize, lambda m, v: np.asarray(m) + np.exp(0.5 * np.asarray(v)) * noise(m),
     "no gradient reaches z_mean", None),
    (checks.reparameterize,
     lambda m, v: m + tf.stop_gradient(ops.exp(0.5 * v)) * noise(m),
     "no gradient reaches z_log_var", "stop the gradient"),
    (checks.reparameterize,
     lambda m, v: m + tf.stop_gradient(ops.exp(0.5 * v)) * noise(m) + 0 * v,
     "the gradient with respect to z_log_var is not 0.5 * (z - z_mean)", None),
    # elbo
    (checks.elbo, lambda *args: -numpy_elbo(*args), "wrong sign", "returned the loss"),
    (checks.elbo, lambda x, l, m, v: np.mean(numpy_log_bernoulli(x, l).sum(axis=(1, 2, 3))),
     "the KL term is missing", None),
    (checks.elbo, lambda x, l, m, v: np.mean(numpy_log_bernoulli(x, l).mean(axis=(1, 2, 3))
                                             - numpy_kl(m, v)),
     "784 times too small: did you average over pixels instead of summing?", None),
    (checks.elbo, lambda x, l, m, v: np.mean(numpy_log_bernoulli(x, l).sum(axis=(1, 2, 3))
                                             - kl_per_dimension(m, v).mean(axis=1)),
     "averaged over latent dimensions instead of summing", None),
    (checks.elbo, lambda x, l, m, v: numpy_log_bernoulli(x, l).sum(axis=(1, 2, 3))
     - numpy_kl(m, v), "average over the batch", None),
    (checks.elbo, lambda *args: len(args[0]) * numpy_elbo(*args),
     "4 times the expected value: you summed over the batch", None),
    (checks.elbo, lambda x, l, m, v: np.mean(numpy_log_bernoulli(x, l).sum(axis=(1, 2, 3))
                                             + numpy_kl(m, v)), "you added the KL", None),
    (checks.elbo, lambda x, l, m, v: np.mean(
        (x * np.log(sigmoid(l)) + (1 - x) * np.log(1 - sigmoid(l))).sum(axis=(1, 2, 3))
        - numpy_kl(m, v)), "x_logits of +-50", "numerically stable form from logits"),
]


@pytest.mark.parametrize("checker, fn, fragment, other_fragment", WRONG)
def test_wrong_implementations_fail_with_the_right_diagnosis(checker, fn, fragment,
                                                             other_fragment):
    result = checker(fn, verbose=False)
    assert not result.passed
    assert result.message.startswith("FAIL: ")
    assert fragment in result.message
    assert other_fragment is None or other_fragment in result.message


def test_result_reads_as_bool_and_has_a_readable_repr():
    passed, failed = checks.CheckResult(True, "PASS: ok"), checks.CheckResult(False, "FAIL: no")
    assert bool(passed) and not bool(failed)
    assert repr(failed) == "CheckResult(passed=False, message='FAIL: no')"


def test_prints_the_message_unless_silenced(capsys):
    result = checks.kl_divergence(numpy_kl)
    assert capsys.readouterr().out == result.message + "\n"
    checks.kl_divergence(lambda m, v: -numpy_kl(m, v), verbose=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("checker", [checks.log_bernoulli, checks.log_normal,
                                     checks.kl_divergence, checks.reparameterize, checks.elbo])
def test_a_non_callable_is_a_type_error_naming_it(checker):
    with pytest.raises(TypeError, match="fn=42"):
        checker(42)


def test_an_in_place_edit_of_the_inputs_does_not_confuse_the_checker():
    def log_normal_with_std_bug_that_edits_x(x, mean, log_var):
        x -= mean  # in place: the checker must still diagnose from the original x
        return -0.5 * (np.log(2 * np.pi) + 2 * log_var + x**2 * np.exp(-2 * log_var))

    result = checks.log_normal(log_normal_with_std_bug_that_edits_x, verbose=False)
    assert "used exp(log_var) as the standard deviation" in result.message


def test_returning_none_is_diagnosed():
    result = checks.log_normal(lambda x, mean, log_var: None, verbose=False)
    assert "returned None" in result.message and "forget `return`" in result.message
