import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy import special, stats

from vae_lib import distributions


def test_log_normal_matches_scipy():
    rng = np.random.default_rng(1)
    x, mean = rng.normal(size=(2, 50))
    log_var = rng.uniform(-4, 3, size=50)
    expected = stats.norm.logpdf(x, loc=mean, scale=np.exp(0.5 * log_var))
    got = ops.convert_to_numpy(distributions.log_normal(x, mean, log_var))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_log_bernoulli_matches_direct_formula():
    rng = np.random.default_rng(2)
    logits = rng.uniform(-8, 8, size=200)
    x = rng.uniform(0, 1, size=200)
    p = special.expit(logits)
    expected = x * np.log(p) + (1 - x) * np.log1p(-p)
    got = ops.convert_to_numpy(distributions.log_bernoulli(x, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_log_bernoulli_is_finite_for_extreme_logits():
    logits = np.array([-200.0, -50.0, 50.0, 200.0])
    x = np.array([1.0, 0.0, 1.0, 0.0])
    got = ops.convert_to_numpy(distributions.log_bernoulli(x, logits))
    assert np.all(np.isfinite(got))
    # A confident wrong answer costs about |logit| nats; a confident right one about 0.
    np.testing.assert_allclose(got, [-200.0, 0.0, 0.0, -200.0], atol=1e-6)


def test_kl_closed_form_matches_monte_carlo():
    rng = np.random.default_rng(3)
    z_mean = rng.normal(size=(3, 4)).astype("float32")
    z_log_var = rng.uniform(-2, 1, size=(3, 4)).astype("float32")
    closed = ops.convert_to_numpy(distributions.kl_normal_standard(z_mean, z_log_var))
    std = np.exp(0.5 * z_log_var)
    z = z_mean + std * rng.standard_normal((200_000, 3, 4))
    log_q = stats.norm.logpdf(z, z_mean, std).sum(-1)
    log_p = stats.norm.logpdf(z).sum(-1)
    monte_carlo = (log_q - log_p).mean(0)
    np.testing.assert_allclose(closed, monte_carlo, rtol=0.02, atol=0.02)


def test_kl_is_zero_only_at_the_prior_and_sums_over_dimensions():
    zeros = np.zeros((2, 5), "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(
        distributions.kl_normal_standard(zeros, zeros)), [0.0, 0.0], atol=1e-7)
    one_dim = ops.convert_to_numpy(distributions.kl_normal_standard([[0.5]], [[0.0]]))
    five_dims = ops.convert_to_numpy(distributions.kl_normal_standard([[0.5] * 5], [[0.0] * 5]))
    np.testing.assert_allclose(one_dim, [0.125], rtol=1e-6)
    np.testing.assert_allclose(five_dims, 5 * one_dim, rtol=1e-6)


def test_reparameterized_samples_have_requested_mean_and_std():
    z_mean = np.full((100_000, 2), [1.5, -2.0], dtype="float32")
    z_log_var = np.full((100_000, 2), [np.log(0.25), np.log(4.0)], dtype="float32")
    z = ops.convert_to_numpy(distributions.reparameterize(z_mean, z_log_var, seed=4))
    np.testing.assert_allclose(z.mean(0), [1.5, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(0), [0.5, 2.0], rtol=0.02)


def test_reparameterize_is_reproducible_with_a_seed():
    a = distributions.reparameterize(np.zeros((4, 3)), np.zeros((4, 3)), seed=7)
    b = distributions.reparameterize(np.zeros((4, 3)), np.zeros((4, 3)), seed=7)
    np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_gradients_reach_mean_and_log_variance():
    z_mean = tf.Variable(tf.fill((500, 2), 0.3))
    z_log_var = tf.Variable(tf.fill((500, 2), -1.0))
    with tf.GradientTape() as tape:
        z = distributions.reparameterize(z_mean, z_log_var, seed=5)
        loss = tf.reduce_sum(z**2)
    grad_mean, grad_log_var = tape.gradient(loss, [z_mean, z_log_var])
    assert grad_mean is not None and grad_log_var is not None
    # d/dmu E[z^2] = 2 mu; d/dlogvar E[z^2] = exp(logvar): check the averages.
    assert np.mean(grad_mean.numpy()) == pytest.approx(0.6, abs=0.1)
    assert np.mean(grad_log_var.numpy()) == pytest.approx(np.exp(-1.0), abs=0.05)
