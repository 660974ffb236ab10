"""The chapter 5-6 checkers accept correct implementations (independent of vae_lib) and reject
known-wrong ones with the right diagnosis."""

import keras
import numpy as np
import pytest
from keras import ops

from vae_lib import checks, distributions, evaluation, models, networks


# --- score_function_gradient -----------------------------------------------------------------

def numpy_score(f, mu, sigma, num_samples):
    z = mu + sigma * np.random.default_rng().standard_normal(num_samples)
    f_z = f(z)
    return np.array([np.mean(f_z * (z - mu) / sigma**2),
                     np.mean(f_z * ((z - mu) ** 2 - sigma**2) / sigma**3)])


def keras_score(f, mu, sigma, num_samples):
    z = mu + sigma * keras.random.normal((num_samples,))
    f_z = f(z)
    return ops.stack([ops.mean(f_z * (z - mu) / sigma**2),
                      ops.mean(f_z * (ops.square(z - mu) - sigma**2) / sigma**3)])


@pytest.mark.parametrize("fn", [numpy_score, keras_score])
def test_score_function_gradient_accepts_correct_estimators(fn):
    result = checks.score_function_gradient(fn, verbose=False)
    assert result.passed, result.message


def _variant(d_mu, d_sigma, samples=lambda s: s, seed=None):
    def estimator(f, mu, sigma, num_samples):
        rng = np.random.default_rng(seed)
        z = mu + sigma * rng.standard_normal(samples(num_samples))
        return np.array([np.mean(d_mu(f(z), z, mu, sigma)), np.mean(d_sigma(f(z), z, mu, sigma))])
    return estimator


GOOD_MU = lambda f_z, z, mu, sigma: f_z * (z - mu) / sigma**2  # noqa: E731
GOOD_SIGMA = lambda f_z, z, mu, sigma: f_z * ((z - mu) ** 2 - sigma**2) / sigma**3  # noqa: E731


@pytest.mark.parametrize("fn, words", [
    (_variant(lambda f_z, z, mu, s: (z - mu) / s**2, lambda f_z, z, mu, s: 0 * z),
     "average to 0"),
    (_variant(lambda f_z, z, mu, s: -GOOD_MU(f_z, z, mu, s),
              lambda f_z, z, mu, s: -GOOD_SIGMA(f_z, z, mu, s)), "wrong sign"),
    (_variant(lambda f_z, z, mu, s: f_z * (z - mu) / s, GOOD_SIGMA), "(z - mu) / sigma**2"),
    (_variant(GOOD_MU, lambda f_z, z, mu, s: f_z * (z - mu) ** 2 / s**3), "-1/sigma"),
    (_variant(GOOD_MU, lambda f_z, z, mu, s: f_z * ((z - mu) ** 2 - s**2) / s**2),
     "sigma**3"),
    (_variant(GOOD_MU, GOOD_SIGMA, samples=lambda s: 1), "over one"),
    (_variant(GOOD_MU, GOOD_SIGMA, seed=0), "same estimate"),
    (_variant(GOOD_MU, GOOD_SIGMA, samples=lambda s: 20 * s), "well below"),
])
def test_score_function_gradient_diagnoses_known_bugs(fn, words):
    result = checks.score_function_gradient(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_score_function_gradient_wants_one_pair():
    def per_sample(f, mu, sigma, num_samples):
        z = mu + sigma * np.random.default_rng().standard_normal(num_samples)
        return np.stack([GOOD_MU(f(z), z, mu, sigma), GOOD_SIGMA(f(z), z, mu, sigma)], axis=1)

    result = checks.score_function_gradient(per_sample, verbose=False)
    assert not result.passed and "average over the samples" in result.message


# --- kl_per_dimension ------------------------------------------------------------------------

def numpy_kl_per_dim(z_mean, z_log_var):
    return np.mean(0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var), axis=0)


def keras_kl_per_dim(z_mean, z_log_var):
    return 0.5 * ops.mean(ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var, axis=0)


@pytest.mark.parametrize("fn", [numpy_kl_per_dim, keras_kl_per_dim])
def test_kl_per_dimension_accepts_correct_implementations(fn):
    result = checks.kl_per_dimension(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda m, v: np.sum(0.5 * (np.exp(v) + m**2 - 1 - v), axis=0), "summed over the images"),
    (lambda m, v: np.sum(0.5 * (np.exp(v) + m**2 - 1 - v), axis=1), "summed over latent"),
    (lambda m, v: 0.5 * (np.exp(v) + m**2 - 1 - v), "average over the images"),
    (lambda m, v: np.mean(np.exp(v) + m**2 - 1 - v, axis=0), "factor 1/2"),
    (lambda m, v: np.mean(0.5 * (np.exp(v) + m**2 - v), axis=0), "the -1"),
    (lambda m, v: np.mean(0.5 * (np.exp(v) - 1 - v), axis=0), "z_mean**2"),
    (lambda m, v: np.mean(0.5 * (np.exp(2 * v) + m**2 - 1 - 2 * v), axis=0),
     "standard deviation"),
    (lambda m, v: -numpy_kl_per_dim(m, v), "negative"),
    (lambda m, v: np.mean(0.5 * (np.exp(v) + m**2 - 1 - v), axis=0, keepdims=True),
     "keepdims"),
])
def test_kl_per_dimension_diagnoses_known_bugs(fn, words):
    result = checks.kl_per_dimension(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


@pytest.mark.parametrize("fn", [
    lambda m, v: ops.mean(distributions.kl_normal_standard_per_dimension(m, v), axis=0),
    distributions.kl_normal_standard_per_dimension,
])
def test_kl_per_dimension_refuses_the_library(fn):
    result = checks.kl_per_dimension(fn, verbose=False)
    assert not result.passed and "vae_lib.distributions" in result.message, result.message


def test_kl_per_dimension_agrees_with_evaluation_on_a_model():
    """The quantity the checker wants is what evaluation.kl_per_dimension reports."""
    model = models.VAE(networks.dense_encoder(3), networks.dense_decoder(3), seed=0)
    images = np.random.default_rng(0).uniform(size=(20, 28, 28, 1)).astype("float32")
    z_mean, z_log_var = model.encode(images)
    np.testing.assert_allclose(numpy_kl_per_dim(z_mean.astype("float64"),
                                                z_log_var.astype("float64")),
                               evaluation.kl_per_dimension(model, images), rtol=1e-4)


# --- sample_from_prior -----------------------------------------------------------------------

def numpy_sampler(decoder, num_samples, latent_dim):
    z = np.random.default_rng().standard_normal((num_samples, latent_dim)).astype("float32")
    return 1 / (1 + np.exp(-ops.convert_to_numpy(decoder(z))))


def keras_sampler(decoder, num_samples, latent_dim):
    return ops.sigmoid(decoder(keras.random.normal((num_samples, latent_dim))))


@pytest.mark.parametrize("fn", [numpy_sampler, keras_sampler])
def test_sample_from_prior_accepts_correct_samplers(fn):
    result = checks.sample_from_prior(fn, verbose=False)
    assert result.passed, result.message


def test_sample_from_prior_works_with_a_real_decoder():
    decoder = networks.dense_decoder(4)
    images = ops.convert_to_numpy(keras_sampler(decoder, 3, 4))
    assert images.shape == (3, 28, 28, 1) and images.min() >= 0 and images.max() <= 1


def _sampler(draw=None, output=None):
    draw = draw or (lambda rng, n, d: rng.standard_normal((n, d)))
    output = output or (lambda logits, rng: 1 / (1 + np.exp(-logits)))

    def sampler(decoder, num_samples, latent_dim):
        rng = np.random.default_rng()
        z = np.asarray(draw(rng, num_samples, latent_dim), "float32")
        return output(ops.convert_to_numpy(decoder(z)), rng)
    return sampler


@pytest.mark.parametrize("fn, words", [
    (_sampler(output=lambda logits, rng: logits), "sigmoid"),
    (_sampler(draw=lambda rng, n, d: rng.uniform(size=(n, d))), "uniform"),
    (_sampler(draw=lambda rng, n, d: 3 * rng.standard_normal((n, d))), "standard deviation"),
    (_sampler(draw=lambda rng, n, d: np.tile(rng.standard_normal((1, d)), (n, 1))),
     "same code"),
    (_sampler(output=lambda logits, rng: (rng.uniform(size=logits.shape)
                                          < 1 / (1 + np.exp(-logits))).astype("float32")),
     "binary"),
    (_sampler(output=lambda logits, rng: 1 / (1 + np.exp(logits))), "1 - sigmoid"),
    (_sampler(draw=lambda rng, n, d: np.random.default_rng(0).standard_normal((n, d))),
     "same codes"),
    (lambda decoder, num_samples, latent_dim: np.zeros((num_samples, 28, 28, 1)),
     "never called the decoder"),
])
def test_sample_from_prior_diagnoses_known_bugs(fn, words):
    result = checks.sample_from_prior(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_sample_from_prior_refuses_the_library():
    def uses_library(decoder, num_samples, latent_dim):
        model = models.VAE(networks.dense_encoder(latent_dim), networks.dense_decoder(latent_dim))
        return model.sample(num_samples)

    result = checks.sample_from_prior(uses_library, verbose=False)
    assert not result.passed and "VAE.sample" in result.message, result.message
