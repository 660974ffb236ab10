import numpy as np
import pytest
from keras import ops
from scipy import special, stats

from vae_lib import likelihoods


def test_gaussian_log_prob_sums_scipy_over_pixels():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 4, 4, 1)).astype("float32")
    logits = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    model = likelihoods.Gaussian(variance=0.3)
    expected = stats.norm.logpdf(x, special.expit(logits), np.sqrt(0.3)).reshape(3, -1).sum(1)
    got = ops.convert_to_numpy(model.log_prob(x, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_gaussian_identity_mean_and_bernoulli_mean():
    logits = np.array([[-1.0, 0.0, 2.0]])
    identity = likelihoods.Gaussian(mean_activation=None)
    np.testing.assert_allclose(ops.convert_to_numpy(identity.mean(logits)), logits)
    np.testing.assert_allclose(ops.convert_to_numpy(likelihoods.Bernoulli().mean(logits)),
                               special.expit(logits), rtol=1e-6)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), "1"])
def test_gaussian_rejects_bad_variance(bad):
    with pytest.raises(ValueError, match="variance"):
        likelihoods.Gaussian(variance=bad)


def test_get_names_the_bad_value():
    assert isinstance(likelihoods.get("bernoulli"), likelihoods.Bernoulli)
    with pytest.raises(ValueError, match="'poisson'"):
        likelihoods.get("poisson")


@pytest.mark.parametrize("logit", [-40.0, -6.0, -0.5, -1e-4, 0.0, 3e-4, 0.8, 7.0])
def test_continuous_bernoulli_is_a_normalized_density_with_the_stated_mean(logit):
    from scipy import integrate

    model = likelihoods.ContinuousBernoulli()
    lam = special.expit(logit)
    log_c = float(ops.convert_to_numpy(model.log_normalizer(np.array([logit], "float32")))[0])

    def density(x):
        return np.exp(log_c + x * np.log(lam) + (1 - x) * np.log1p(-lam))

    if abs(logit) < 20:  # quad cannot see the spike of a very confident pixel
        assert integrate.quad(density, 0, 1)[0] == pytest.approx(1.0, rel=1e-5)
        mean = integrate.quad(lambda x: x * density(x), 0, 1)[0]
        got = float(ops.convert_to_numpy(model.mean(np.array([logit], "float32")))[0])
        assert got == pytest.approx(mean, abs=1e-5)
    x = np.array([[0.3, 0.9]], "float32")
    expected = np.sum(log_c + x * np.log(lam) + (1 - x) * np.log1p(-lam))
    got = float(ops.convert_to_numpy(model.log_prob(x, np.full((1, 2), logit, "float32")))[0])
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-3)


def test_continuous_bernoulli_gradients_are_finite_at_logit_zero():
    import tensorflow as tf

    logits = tf.Variable([[0.0, 1e-5, -2.0]])
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(likelihoods.ContinuousBernoulli().log_prob(
            np.full((1, 3), 0.4, "float32"), logits))
    assert np.all(np.isfinite(tape.gradient(value, logits).numpy()))


def test_learned_gaussian_variance_settles_at_the_mean_squared_error():
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 4, 4, 1)).astype("float32")
    logits = rng.normal(size=(64, 4, 4, 1)).astype("float32")
    model = likelihoods.LearnedGaussian(initial_variance=1.0)
    optimizer = keras.optimizers.Adam(0.05)
    import tensorflow as tf
    for _ in range(600):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(model.log_prob(x, logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, [model.log_variance]),
                                      [model.log_variance]))
    mse = np.mean((x - special.expit(logits)) ** 2)
    assert model.variance == pytest.approx(mse, rel=0.02)


def test_get_copies_a_learned_gaussian_and_knows_the_new_names():
    first = likelihoods.LearnedGaussian(0.5)
    copy = likelihoods.get(first)
    assert copy is not first and copy == first and copy.log_variance is not first.log_variance
    assert isinstance(likelihoods.get("continuous_bernoulli"), likelihoods.ContinuousBernoulli)
    with pytest.raises(ValueError, match="initial_variance=0"):
        likelihoods.LearnedGaussian(0)
