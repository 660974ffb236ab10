"""Chapter 10's checkers accept correct implementations (independent NumPy and TensorFlow ones)
and reject known-wrong ones with the right diagnosis."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from vae_lib import checks, inpainting, likelihoods

# --- code_length ---------------------------------------------------------------------------


def numpy_code_length(x, logits):
    x, logits = np.asarray(x, "float64"), np.asarray(logits, "float64")
    log_p = x * logits - np.logaddexp(0.0, logits)
    return -log_p.reshape(len(x), -1).sum(axis=1) / math.log(2)


def tf_code_length(x, logits):
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    return tf.reduce_sum(tf.reshape(cross_entropy, (tf.shape(x)[0], -1)), axis=1) / math.log(2)


def nats(x, logits):
    return numpy_code_length(x, logits) * math.log(2)


def log2_probability(x, logits):
    return -numpy_code_length(x, logits)


def ln_probability(x, logits):
    return -nats(x, logits)


def averaged(x, logits):
    return numpy_code_length(x, logits) / np.asarray(x)[0].size


def from_probabilities(x, logits):
    p = 1 / (1 + np.exp(-np.asarray(logits, "float64")))
    return -np.log2(np.where(np.asarray(x) == 1, p, 1 - p)).reshape(len(x), -1).sum(axis=1)


def whole_batch(x, logits):
    return numpy_code_length(x, logits).sum()


def swapped(x, logits):
    return numpy_code_length(1 - np.asarray(x), logits)


def library(x, logits):
    return -likelihoods.Bernoulli().log_prob(x, logits) / math.log(2)


@pytest.mark.parametrize("fn", [numpy_code_length, tf_code_length])
def test_code_length_accepts_correct_implementations(fn):
    assert checks.code_length(fn, verbose=False).passed


@pytest.mark.parametrize("fn, words", [
    (nats, "returned nats"),
    (log2_probability, "code lengths are negative"),
    (ln_probability, "returned ln p(x)"),
    (averaged, "averaged over pixels"),
    (from_probabilities, "you returned inf"),
    (whole_batch, "one code length per image"),
    (swapped, "swapped x and 1 - x"),
    (library, "vae_lib.likelihoods.Bernoulli.log_prob"),
])
def test_code_length_names_the_mistake(fn, words):
    result = checks.code_length(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def test_code_length_unstable_version_gets_the_stability_hint():
    result = checks.code_length(from_probabilities, verbose=False)
    assert "numerically stable" in result.message


# --- pseudo_gibbs_step ---------------------------------------------------------------------


def make_step(offset=0, z_rule="sample", pixel_rule="sample", encode_rule="current",
              keep_observed=True):
    """A pseudo-Gibbs step, correct by default; each argument plants one known mistake."""
    def step(x, missing, encode, decode, seed):
        rng = np.random.default_rng(seed + offset)
        seen = np.where(missing, 0.0, x) if encode_rule == "zeroed" else x
        z_mean, z_log_var = encode(seen)
        noise = rng.standard_normal(np.shape(z_mean))
        z = {"sample": z_mean + np.exp(0.5 * z_log_var) * noise,
             "mean": z_mean,
             "variance": z_mean + np.exp(z_log_var) * noise}[z_rule]
        logits = decode(z)
        if pixel_rule == "threshold":
            new = (logits > 0).astype("float32")
        elif pixel_rule == "probability":
            new = special.expit(logits)
        elif pixel_rule == "no_sigmoid":
            new = (rng.random(np.shape(x)) < logits).astype("float32")
        elif pixel_rule == "fixed_seed":
            new = (np.random.default_rng(0).random(np.shape(x)) < special.expit(logits))
        else:
            new = (rng.random(np.shape(x)) < special.expit(logits)).astype("float32")
        if not keep_observed:
            return new
        return np.where(missing, new, x)
    return step


def tf_step(x, missing, encode, decode, seed):
    """An independent version with TensorFlow's random numbers."""
    generator = tf.random.Generator.from_seed(seed)
    z_mean, z_log_var = encode(x)
    z = z_mean + tf.exp(0.5 * z_log_var) * generator.normal(z_mean.shape, dtype=tf.float64)
    probabilities = tf.sigmoid(decode(z.numpy()))
    draw = tf.cast(generator.uniform(x.shape, dtype=tf.float64) < probabilities, tf.float32)
    return tf.where(missing, draw, x)


@pytest.mark.parametrize("offset", range(4))
def test_pseudo_gibbs_step_accepts_correct_steps_whatever_their_random_numbers(offset):
    assert checks.pseudo_gibbs_step(make_step(offset=offset), verbose=False).passed


def test_pseudo_gibbs_step_accepts_an_independent_tensorflow_step():
    assert checks.pseudo_gibbs_step(tf_step, verbose=False).passed


@pytest.mark.parametrize("step, words", [
    (make_step(z_rule="mean"), "follow p(x | z_mean)"),
    (make_step(z_rule="variance"), "standard deviation exp(z_log_var)"),
    (make_step(pixel_rule="threshold"), "rounded the probabilities"),
    (make_step(pixel_rule="probability"), "returned probabilities"),
    (make_step(pixel_rule="no_sigmoid"), "not sigmoid(logits)"),
    (make_step(pixel_rule="fixed_seed"), "gave exactly the same pixels"),
    (make_step(encode_rule="zeroed"), "missing pixels set to 0"),
    (make_step(keep_observed=False), "changed observed pixels"),
    (lambda x, missing, encode, decode, seed: x, "returned x unchanged"),
    (lambda x, missing, encode, decode, seed: None, "returned None"),
])
def test_pseudo_gibbs_step_names_the_mistake(step, words):
    result = checks.pseudo_gibbs_step(step, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def test_pseudo_gibbs_step_refuses_the_library_sampler():
    def hands_in_the_library(x, missing, encode, decode, seed):
        return inpainting.pseudo_gibbs(encode, x, missing, num_iterations=1, seed=seed)

    result = checks.pseudo_gibbs_step(hands_in_the_library, verbose=False)
    assert not result.passed and "vae_lib.inpainting.pseudo_gibbs" in result.message
