"""Inpainting and denoising: masks, the conditional Gaussian of probabilistic PCA, the VAE
samplers (Metropolis-within-Gibbs against the exact conditional of a tiny VAE), and scores."""

import keras
import numpy as np
import pytest
from scipy import ndimage, special
from sklearn.decomposition import PCA as SklearnPCA

from vae_lib import inpainting, models, networks
from vae_lib import pca as pca_lib

# --- masks ---------------------------------------------------------------------------------


def test_masks_hide_the_pixels_they_name():
    top = inpainting.missing_mask("top_half", 3)
    assert top.shape == (3, 28, 28, 1) and top.dtype == bool
    assert top[:, :14].all() and not top[:, 14:].any()
    bottom = inpainting.missing_mask("bottom_half", 2)
    np.testing.assert_array_equal(bottom[0], ~top[0])
    square = inpainting.missing_mask("centre_square", 1)
    assert square.sum() == 14 * 14 and square[0, 7:21, 7:21].all()
    for kind, share in (("random_50", 0.5), ("random_80", 0.8)):
        mask = inpainting.missing_mask(kind, 200, seed=1)
        assert abs(mask.mean() - share) < 0.01
        assert not np.array_equal(mask[0], mask[1])  # a pattern per image
        np.testing.assert_array_equal(mask, inpainting.missing_mask(kind, 200, seed=1))
    with pytest.raises(ValueError, match="kind='left_half'"):
        inpainting.missing_mask("left_half", 1)
    with pytest.raises(ValueError, match="num_images=0"):
        inpainting.missing_mask("top_half", 0)


# --- probabilistic PCA and its conditional mean --------------------------------------------


@pytest.fixture(scope="module")
def small_data():
    """400 correlated 'images' of 3 x 3 pixels in [0, 1]."""
    rng = np.random.default_rng(0)
    factors = rng.normal(size=(400, 2))
    mixing = rng.normal(size=(2, 9))
    flat = special.expit(factors @ mixing + 0.3 * rng.normal(size=(400, 9)))
    return flat.reshape(400, 3, 3, 1).astype("float32")


def test_probabilistic_pca_covariance_matches_scikit_learn(small_data):
    fitted = pca_lib.fit_pca(small_data)
    mean, weights, noise = inpainting.probabilistic_pca(fitted, 3)
    reference = SklearnPCA(n_components=3).fit(small_data.reshape(400, -1).astype("float64"))
    np.testing.assert_allclose(mean, reference.mean_, atol=1e-10)
    assert noise == pytest.approx(reference.noise_variance_, rel=1e-6)
    np.testing.assert_allclose(weights @ weights.T + noise * np.eye(9),
                               reference.get_covariance(), atol=1e-8)


def test_pca_fill_is_the_conditional_gaussian_mean(small_data):
    fitted = pca_lib.fit_pca(small_data)
    mean, weights, noise = inpainting.probabilistic_pca(fitted, 3)
    covariance = weights @ weights.T + noise * np.eye(9)
    images = small_data[:5]
    missing = np.zeros(images.shape, dtype=bool)
    missing.reshape(5, -1)[:, [0, 4, 8]] = True
    missing.reshape(5, -1)[2, 1] = True  # a different pattern for one image
    got = inpainting.pca_fill(images, missing, fitted, num_components=3)
    for index in range(5):
        gone = missing[index].ravel()
        seen = ~gone
        x = images[index].ravel().astype("float64")
        conditional = mean[gone] + covariance[np.ix_(gone, seen)] @ np.linalg.solve(
            covariance[np.ix_(seen, seen)], x[seen] - mean[seen])
        np.testing.assert_allclose(got[index].ravel()[gone], np.clip(conditional, 0, 1),
                                   atol=1e-5)
        np.testing.assert_array_equal(got[index].ravel()[seen], x[seen])


def test_mean_fill_and_projection_keep_observed_pixels(small_data):
    keras.utils.set_random_seed(0)
    model = models.Autoencoder(
        networks.dense_encoder(2, hidden_units=(8,), input_shape=(3, 3, 1), variational=False),
        networks.dense_decoder(2, hidden_units=(8,), output_shape=(3, 3, 1)))
    images = small_data[:6]
    missing = np.zeros(images.shape, dtype=bool)
    missing[:, 0] = True
    mean_image = small_data.mean(axis=0)
    filled = inpainting.mean_fill(images, missing, mean_image)
    np.testing.assert_array_equal(filled[:, 1:], images[:, 1:])
    np.testing.assert_allclose(filled[:, 0], np.broadcast_to(mean_image[0], (6, 3, 1)))
    once = inpainting.autoencoder_projection(model, images, missing, mean_image, num_iterations=1)
    np.testing.assert_allclose(once[:, 0], model.reconstruct(filled)[:, 0], atol=1e-6)
    np.testing.assert_array_equal(once[:, 1:], images[:, 1:])
    with pytest.raises(ValueError, match="missing has dtype"):
        inpainting.mean_fill(images, missing.astype(int), mean_image)


# --- the VAE samplers against an exact answer ------------------------------------------------


@pytest.fixture(scope="module")
def tiny_vae():
    """A VAE on 2 x 2 images with one latent dimension: p(x_missing | x_observed) can be
    computed by quadrature over z."""
    keras.utils.set_random_seed(3)
    encoder = networks.dense_encoder(1, hidden_units=(8,), input_shape=(2, 2, 1))
    decoder = networks.dense_decoder(1, hidden_units=(8,), output_shape=(2, 2, 1))
    for variable in decoder.trainable_variables:  # make the pixels depend strongly on z
        variable.assign(3.0 * variable)
    return models.VAE(encoder, decoder)


def exact_conditional(model, observed, seen):
    """P(x_j = 1 | x_observed) for every pixel, by quadrature over z on a fine grid."""
    z = np.linspace(-9, 9, 4001, dtype="float32")[:, None]
    probabilities = special.expit(np.asarray(model.decoder(z)).reshape(len(z), -1))
    log_prior = -0.5 * z[:, 0] ** 2
    x = observed.ravel()
    log_seen = np.where(x[seen] == 1, np.log(probabilities[:, seen]),
                        np.log1p(-probabilities[:, seen])).sum(axis=1)
    weights = np.exp(log_prior + log_seen - np.max(log_prior + log_seen))
    weights /= weights.sum()
    return weights @ probabilities


def test_metropolis_within_gibbs_samples_the_exact_conditional(tiny_vae):
    image = np.array([1.0, 0.0, 0.0, 0.0], "float32").reshape(1, 2, 2, 1)
    missing_one = np.array([False, False, True, True]).reshape(1, 2, 2, 1)
    copies = 1000
    images = np.repeat(image, copies, axis=0)
    missing = np.repeat(missing_one, copies, axis=0)
    result = inpainting.metropolis_within_gibbs(tiny_vae, images, missing, num_iterations=200,
                                                seed=0)
    expected = exact_conditional(tiny_vae, image, ~missing_one.ravel())
    estimate = result.probabilities.reshape(copies, -1).mean(axis=0)
    np.testing.assert_allclose(estimate[2:], expected[2:], atol=0.02)
    np.testing.assert_array_equal(estimate[:2], image.ravel()[:2])
    assert 0.05 < result.acceptance.mean() < 1.0
    assert set(np.unique(result.samples)) <= {0.0, 1.0}


def test_importance_fill_gives_the_exact_conditional(tiny_vae):
    image = np.array([1.0, 0.0, 0.0, 0.0], "float32").reshape(1, 2, 2, 1)
    missing = np.array([False, False, True, True]).reshape(1, 2, 2, 1)
    result = inpainting.importance_fill(tiny_vae, image, missing, np.full((2, 2, 1), 0.5),
                                        num_samples=20_000, seed=1)
    expected = exact_conditional(tiny_vae, image, ~missing.ravel())
    np.testing.assert_allclose(result.probabilities.ravel()[2:], expected[2:], atol=0.01)
    np.testing.assert_array_equal(result.probabilities.ravel()[:2], image.ravel()[:2])
    assert 1.0 <= result.effective_sample_size[0] <= 20_000


def test_denoise_flips_gives_the_exact_posterior_mean(tiny_vae):
    flip = 0.2
    noisy = np.array([1.0, 0.0, 1.0, 0.0], "float32").reshape(1, 2, 2, 1)
    z = np.linspace(-9, 9, 4001, dtype="float32")[:, None]
    clean = special.expit(np.asarray(tiny_vae.decoder(z)).reshape(len(z), -1))
    one = (1 - flip) * clean + flip * (1 - clean)             # p(y_j = 1 | z)
    y = noisy.ravel()
    log_weights = -0.5 * z[:, 0] ** 2 + np.sum(
        np.where(y == 1, np.log(one), np.log1p(-one)), axis=1)
    weights = np.exp(log_weights - log_weights.max())
    weights /= weights.sum()
    given = np.where(y == 1, clean * (1 - flip) / one, clean * flip / (1 - one))
    expected = weights @ given
    result = inpainting.denoise_flips(tiny_vae, noisy, flip, num_samples=20_000, seed=2,
                                      proposal=np.full((1, 2, 2, 1), 0.5, "float32"))
    np.testing.assert_allclose(result.probabilities.ravel(), expected, atol=0.01)
    with pytest.raises(ValueError, match="flip_probability=0.5"):
        inpainting.denoise_flips(tiny_vae, noisy, 0.5)
    with pytest.raises(ValueError, match="binary"):
        inpainting.denoise_flips(tiny_vae, noisy * 0.5, 0.1)


def test_pseudo_gibbs_always_accepts_and_keeps_observed_pixels(tiny_vae):
    rng = np.random.default_rng(1)
    images = (rng.random((50, 2, 2, 1)) < 0.5).astype("float32")
    missing = rng.random(images.shape) < 0.5
    result = inpainting.pseudo_gibbs(tiny_vae, images, missing, num_iterations=4, seed=2)
    np.testing.assert_array_equal(result.acceptance, 1.0)
    for field in (result.probabilities, result.means, result.samples):
        np.testing.assert_array_equal(field[~missing], images[~missing])
    assert np.all((result.probabilities >= 0) & (result.probabilities <= 1))
    again = inpainting.pseudo_gibbs(tiny_vae, images, missing, num_iterations=4, seed=2)
    np.testing.assert_array_equal(again.samples, result.samples)
    with pytest.raises(TypeError, match="expected a vae_lib.models VAE"):
        inpainting.pseudo_gibbs("model", images, missing)
    with pytest.raises(ValueError, match="num_iterations=0"):
        inpainting.pseudo_gibbs(tiny_vae, images, missing, num_iterations=0)


# --- denoising and scores ------------------------------------------------------------------


def test_median_filter_is_scipys_on_each_image():
    rng = np.random.default_rng(4)
    images = (rng.random((3, 28, 28, 1)) < 0.3).astype("float32")
    got = inpainting.median_filter(images)
    for index in range(3):
        expected = ndimage.median_filter(images[index, :, :, 0], size=3, mode="constant")
        np.testing.assert_array_equal(got[index, :, :, 0], expected)


def test_scores_by_hand():
    images = np.array([1.0, 1.0, 0.0, 0.0]).reshape(1, 2, 2, 1)
    probabilities = np.array([0.9, 0.2, 0.0, 0.4]).reshape(1, 2, 2, 1)
    where = np.array([True, True, True, False]).reshape(1, 2, 2, 1)
    result = inpainting.scores(probabilities, images, where, epsilon=0.01)
    expected = (np.log(0.9) + np.log(0.2) + np.log(0.99)) / 3
    assert result["log_likelihood"] == pytest.approx(expected)
    assert result["accuracy"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="binary"):
        inpainting.scores(probabilities, images * 0.5)
    with pytest.raises(ValueError, match="shape"):
        inpainting.scores(probabilities[:, :1], images)


def test_diversity_is_zero_for_identical_completions_and_the_mean_distance_otherwise():
    missing = np.array([True, True, False, False]).reshape(2, 2, 1)
    same = np.zeros((3, 2, 2, 1))
    assert inpainting.diversity(same, missing) == 0.0
    different = np.zeros((2, 2, 2, 1))
    different[1, 0, 0, 0] = 1.0  # one of two missing pixels differs
    different[1, 1, 1, 0] = 1.0  # an observed pixel: not counted
    assert inpainting.diversity(different, missing) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="S >= 2"):
        inpainting.diversity(same[:1], missing)
