"""checks.log_mean_exp and checks.active_units accept correct implementations (written
independently of vae_lib) and reject known-wrong ones with the right diagnosis."""

import math

import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from keras import ops

from vae_lib import checks, evaluation, models, networks


# --- log_mean_exp ----------------------------------------------------------------------------

def numpy_log_mean_exp(log_w):
    top = log_w.max(axis=0)
    return top + np.log(np.mean(np.exp(log_w - top), axis=0))


def keras_log_mean_exp(log_w):
    log_w = ops.convert_to_tensor(log_w)
    top = ops.max(log_w, axis=0)
    return top + ops.log(ops.mean(ops.exp(log_w - top), axis=0))


def tf_float32_log_mean_exp(log_w):
    log_w = tf.cast(log_w, "float32")
    top = tf.reduce_max(log_w, axis=0)
    return top + tf.math.log(tf.reduce_mean(tf.exp(log_w - top), axis=0))


@pytest.mark.parametrize("fn", [numpy_log_mean_exp, keras_log_mean_exp,
                                tf_float32_log_mean_exp])
def test_log_mean_exp_passes_correct_implementations(fn):
    result = checks.log_mean_exp(fn, verbose=False)
    assert result.passed, result.message


def naive(log_w):
    return np.log(np.mean(np.exp(log_w), axis=0))


def log_sum_exp(log_w):
    return numpy_log_mean_exp(log_w) + math.log(len(log_w))


def mean_of_logs(log_w):
    return np.mean(log_w, axis=0)


def largest(log_w):
    return log_w.max(axis=0)


def wrong_axis(log_w):
    return numpy_log_mean_exp(log_w.T)


def keepdims(log_w):
    return numpy_log_mean_exp(log_w)[None, :]


def scipy_version(log_w):
    return scipy.special.logsumexp(log_w, axis=0) - np.log(len(log_w))


def keras_logsumexp(log_w):
    return ops.logsumexp(log_w, axis=0) - np.log(len(log_w))


def off_by_a_little(log_w):
    return numpy_log_mean_exp(log_w) + 0.01


@pytest.mark.parametrize("fn, words", [
    (naive, "underflows to 0"),
    (log_sum_exp, "log of the SUM"),
    (mean_of_logs, "averaged the log-weights"),
    (largest, "returned the largest log-weight"),
    (wrong_axis, "reduced over the images"),
    (keepdims, "not (1, N)"),
    (scipy_version, "scipy.special._logsumexp.logsumexp"),
    (keras_logsumexp, "keras.src.ops.math.logsumexp"),
    (off_by_a_little, "expected"),
])
def test_log_mean_exp_names_known_mistakes(fn, words):
    result = checks.log_mean_exp(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def test_log_mean_exp_overflow_is_named():
    def shifted_naive(log_w):  # survives underflow (float64 down to -745) but not +800
        return np.log(np.mean(np.exp(log_w + 700), axis=0)) - 700
    result = checks.log_mean_exp(shifted_naive, verbose=False)
    assert not result.passed and "overflows to infinity" in result.message, result.message


# --- active_units ----------------------------------------------------------------------------

def numpy_active_units(z_mean, threshold):
    return int(np.sum(np.var(z_mean, axis=0) > threshold))


def sample_variance_active_units(z_mean, threshold):
    return np.sum(np.var(z_mean, axis=0, ddof=1) > threshold)


def keras_active_units(z_mean, threshold):
    return ops.sum(ops.cast(ops.var(z_mean, axis=0) > threshold, "int32"))


@pytest.mark.parametrize("fn", [numpy_active_units, sample_variance_active_units,
                                keras_active_units])
def test_active_units_passes_correct_implementations(fn):
    result = checks.active_units(fn, verbose=False)
    assert result.passed, result.message


def per_image(z_mean, threshold):
    return np.sum(np.var(z_mean, axis=1) > threshold)


def with_std(z_mean, threshold):
    return np.sum(np.std(z_mean, axis=0) > threshold)


def with_mean(z_mean, threshold):
    return np.sum(np.mean(z_mean, axis=0) > threshold)


def inactive(z_mean, threshold):
    return np.sum(np.var(z_mean, axis=0) <= threshold)


def mask(z_mean, threshold):
    return np.var(z_mean, axis=0) > threshold


def fixed_threshold(z_mean, threshold):
    return np.sum(np.var(z_mean, axis=0) > 0.01)


def library(z_mean, threshold):
    model = models.VAE(networks.dense_encoder(z_mean.shape[1], hidden_units=(4,)),
                       networks.dense_decoder(z_mean.shape[1], hidden_units=(4,)))
    return evaluation.active_units(model, np.zeros((2, 28, 28, 1), "float32"),
                                   threshold=float(threshold))["count"]


@pytest.mark.parametrize("fn, words", [
    (per_image, "axis 1"),
    (with_std, "standard deviation"),
    (with_mean, "mean of the posterior means"),
    (inactive, "counted the inactive"),
    (mask, "one number"),
    (fixed_threshold, "threshold 0.1"),
    (library, "vae_lib.evaluation.active_units"),
])
def test_active_units_names_known_mistakes(fn, words):
    result = checks.active_units(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def test_active_units_cases_do_not_depend_on_the_variance_divisor():
    from vae_lib.checks.evaluation import _active_units_cases

    for _, z_mean, threshold in _active_units_cases():
        assert numpy_active_units(z_mean, threshold) == \
            sample_variance_active_units(z_mean, threshold)
        # ... and sit well away from the threshold, so float32 cannot flip a dimension
        variances = np.var(z_mean, axis=0)
        assert np.all(np.abs(np.log(variances[variances > 0] / threshold)) > 0.05)


def test_checkers_wear_the_library_rule():
    assert evaluation.log_likelihood in checks.log_mean_exp.forbidden
    assert evaluation.active_units in checks.active_units.forbidden
