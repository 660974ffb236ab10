"""Evaluation checked on a linear-Gaussian model (probabilistic PCA) whose exact log p(x)
and exact posterior are known in closed form."""

import numpy as np
import pytest
from scipy import stats

from vae_lib import evaluation, likelihoods, models, networks

SHAPE = (2, 2, 1)  # four "pixels"
NOISE_VAR = 0.01
BIAS = np.full(4, 0.5)
# Orthogonal columns make the exact posterior diagonal, so q can match it exactly.
W = np.array([[0.2, 0.0], [0.0, 0.1], [0.2, 0.0], [0.0, -0.1]])


def exact_log_likelihood(x):
    return stats.multivariate_normal(BIAS, W @ W.T + NOISE_VAR * np.eye(4)).logpdf(
        x.reshape(len(x), -1))


def linear_vae(mean_scale=1.0, log_var_shift=0.0):
    """A VAE whose q is the exact posterior (scale 1, shift 0) or a distorted one."""
    encoder = networks.dense_encoder(2, hidden_units=(), input_shape=SHAPE)
    decoder = networks.dense_decoder(2, hidden_units=(), output_shape=SHAPE)
    post_cov = np.linalg.inv(np.eye(2) + W.T @ W / NOISE_VAR)  # diagonal by construction
    gain = (post_cov @ W.T / NOISE_VAR).T * mean_scale  # (4, 2): x -> posterior mean
    log_var = np.log(np.diag(post_cov)) + log_var_shift
    raw = 10.0 * np.arctanh(log_var / 10.0)  # undo BoundedLogVariance(10)
    encoder.get_layer("z_mean").set_weights([gain, -BIAS @ gain])
    encoder.get_layer("z_log_var_raw").set_weights([np.zeros((4, 2)), raw])
    decoder.layers[-2].set_weights([W.T, BIAS])
    return models.VAE(encoder, decoder,
                      likelihood=likelihoods.Gaussian(NOISE_VAR, mean_activation=None))


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((40, 2))
    x = z @ W.T + BIAS + np.sqrt(NOISE_VAR) * rng.standard_normal((40, 4))
    return np.clip(x, 0, 1).reshape((40,) + SHAPE).astype("float32")


def test_exact_posterior_makes_every_estimate_exact(images):
    model = linear_vae()
    exact = exact_log_likelihood(images)
    np.testing.assert_allclose(evaluation.log_likelihood(model, images, num_samples=1),
                               exact, atol=1e-3)
    # With the closed-form KL, one-sample ELBOs still vary with z; their average is exact.
    elbos = [evaluation.evaluate_elbo(model, images, seed=seed)["elbo"] for seed in range(100)]
    assert np.mean(elbos) == pytest.approx(exact.mean(), abs=0.03)
    assert np.std(elbos) > 0.01


def test_elbo_below_importance_weighted_estimate_below_exact(images):
    model = linear_vae(mean_scale=0.6, log_var_shift=1.0)
    exact = exact_log_likelihood(images).mean()
    elbo = np.mean([evaluation.evaluate_elbo(model, images, seed=s)["elbo"] for s in range(20)])
    estimates = [evaluation.log_likelihood(model, images, num_samples=k, seed=1).mean()
                 for k in (1, 10, 100, 2000)]
    assert elbo < estimates[1] < estimates[2] < estimates[3] <= exact + 0.02
    assert abs(estimates[0] - elbo) < 0.2 * abs(exact - elbo)  # K = 1 is the ELBO
    assert exact - estimates[3] < 0.1 * (exact - elbo)  # the gap closes as K grows


def test_estimate_does_not_depend_on_memory_budget(images):
    model = linear_vae(mean_scale=0.8)
    small = evaluation.log_likelihood(model, images, num_samples=64, seed=3, max_decodes=50)
    large = evaluation.log_likelihood(model, images, num_samples=64, seed=3, max_decodes=4096)
    assert small.shape == (40,)
    np.testing.assert_allclose(small.mean(), large.mean(), atol=0.05)


def test_kl_per_dimension_and_active_units(images):
    model = linear_vae()
    per_dim = evaluation.kl_per_dimension(model, images)
    total = evaluation.evaluate_elbo(model, images)["kl"]
    assert per_dim.shape == (2,) and per_dim.sum() == pytest.approx(total, rel=1e-4)
    active = evaluation.active_units(model, images)
    z_mean, _ = model.encode(images)
    np.testing.assert_allclose(active["activity"], z_mean.var(0), rtol=1e-6)
    assert active["count"] == int((z_mean.var(0) > 0.01).sum())
    assert evaluation.active_units(model, images, threshold=1e6)["count"] == 0


def test_bad_arguments_are_named(images):
    model = linear_vae()
    with pytest.raises(ValueError, match="num_samples=0"):
        evaluation.log_likelihood(model, images, num_samples=0)
    with pytest.raises(TypeError, match="expected a vae_lib.models.VAE"):
        evaluation.log_likelihood("model", images)
    with pytest.raises(ValueError, match="threshold"):
        evaluation.active_units(model, images, threshold=0)


def test_same_seed_same_estimates_and_chunking_does_not_bias(images):
    model = linear_vae(mean_scale=0.8, log_var_shift=0.5)
    first = evaluation.log_likelihood(model, images, num_samples=50, seed=7, max_decodes=64)
    again = evaluation.log_likelihood(model, images, num_samples=50, seed=7, max_decodes=64)
    other = evaluation.log_likelihood(model, images, num_samples=50, seed=8, max_decodes=64)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Odd budgets split images into blocks (7 images) and samples into uneven chunks.
    odd = evaluation.log_likelihood(model, images, num_samples=50, seed=7, max_decodes=7)
    assert odd.shape == (40,) and np.all(np.isfinite(odd))
    np.testing.assert_allclose(odd.mean(), first.mean(), atol=0.05)


def test_log_weights_are_scored_in_float32_for_a_bfloat16_decoder(images):
    import keras

    model = linear_vae(mean_scale=0.8)
    reference = evaluation.log_likelihood(model, images, num_samples=20, seed=2)
    decoder = model.decoder
    bf16 = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(
        lambda z: keras.ops.cast(decoder(z), "bfloat16"))])
    low = models.VAE(model.encoder, keras.Model(decoder.input, bf16(decoder.input)),
                     likelihood=model.likelihood)
    estimates = evaluation.log_likelihood(low, images, num_samples=20, seed=2)
    assert estimates.dtype == np.float64
    np.testing.assert_allclose(estimates, reference, atol=0.5)


def test_an_absurd_amount_of_work_is_refused_at_once(images):
    import time

    model = linear_vae()
    start = time.perf_counter()
    with pytest.raises(ValueError, match="num_samples=1,000,000,000 for 40 images.*hours"):
        evaluation.log_likelihood(model, images, num_samples=10**9)
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ValueError, match="limit is max_total_decodes=100"):
        evaluation.log_likelihood(model, images, num_samples=3, max_total_decodes=100)
    assert evaluation.log_likelihood(model, images, num_samples=2, max_total_decodes=80).shape == (40,)


def test_importance_weighting_works_for_conditional_and_autoregressive_models():
    import keras

    rng = np.random.default_rng(0)
    images = (rng.random((6, 28, 28, 1)) < 0.3).astype("float32")
    labels = np.arange(6) % 10
    keras.utils.set_random_seed(0)
    conditional = models.VAE(networks.dense_encoder(2, hidden_units=(16,), num_classes=10),
                             networks.dense_decoder(2, hidden_units=(16,), num_classes=10))
    autoregressive = models.VAE(networks.dense_encoder(2, hidden_units=(16,)),
                                networks.pixelcnn_decoder(2, filters=4, num_layers=2))
    for model, given in ((conditional, labels), (autoregressive, None)):
        estimate = evaluation.log_likelihood(model, images, num_samples=20, labels=given)
        bound = evaluation.elbo_per_image(model, images, labels=given)["elbo"]
        assert estimate.shape == (6,) and np.all(np.isfinite(estimate))
        assert np.mean(estimate) >= np.mean(bound) - 1.0
    with pytest.raises(ValueError, match="pass labels"):
        evaluation.log_likelihood(conditional, images)
