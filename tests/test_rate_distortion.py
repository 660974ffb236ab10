"""Rate and distortion in bits per image: the VAE's KL and reconstruction terms, PCA with
quantized coefficients, and the lower envelope of a set of codes."""

import math

import keras
import numpy as np
import pytest
from scipy import stats

from vae_lib import data, evaluation, models, networks, rate_distortion
from vae_lib import pca as pca_lib


@pytest.fixture(scope="module")
def digits():
    split = data.load_mnist("train", verbose=False)
    return data.binarize_static(split.images[:600], seed=0)


def test_quantized_gaussian_bits_are_minus_log2_of_the_bin_mass():
    values = np.array([[0.0, 0.5, -1.0], [3.0, -2.5, 7.0]])
    std = np.array([1.0, 0.5, 2.0])
    got = rate_distortion.quantized_gaussian_bits(values, std, step=0.5)
    mass = stats.norm.cdf(values + 0.25, scale=std) - stats.norm.cdf(values - 0.25, scale=std)
    np.testing.assert_allclose(got, -np.log2(mass).sum(axis=1), rtol=1e-9)


def test_bernoulli_bits_by_hand():
    images = np.array([[1.0, 0.0, 1.0]])
    got = rate_distortion.bernoulli_bits(images, np.array([[0.5, 0.25, 1.0]]), epsilon=0.01)
    assert got[0] == pytest.approx(1 - math.log2(0.75) - math.log2(0.99))


def test_pca_with_no_coordinates_costs_nothing_and_sends_the_mean(digits):
    fitted = pca_lib.fit_pca(digits[:500])
    point = rate_distortion.pca_point(fitted, digits[500:], 0, step=0.5, epsilon=0.01)
    assert point["rate"] == 0.0
    mean_image = fitted.mean.reshape(1, 28, 28, 1)
    expected = rate_distortion.bernoulli_bits(digits[500:], np.broadcast_to(
        mean_image, digits[500:].shape), 0.01).mean()
    assert point["distortion"] == pytest.approx(expected)


def test_halving_a_fine_step_costs_one_more_bit_per_coordinate(digits):
    fitted = pca_lib.fit_pca(digits[:500])
    coarse = rate_distortion.pca_point(fitted, digits[500:], 4, step=0.02, epsilon=0.01)
    fine = rate_distortion.pca_point(fitted, digits[500:], 4, step=0.01, epsilon=0.01)
    assert fine["rate"] - coarse["rate"] == pytest.approx(4.0, abs=0.05)
    assert fine["distortion"] <= coarse["distortion"] + 0.5


def test_epsilon_is_chosen_on_calibration_images(digits):
    fitted = pca_lib.fit_pca(digits[:500])
    chosen = rate_distortion.pca_point(fitted, digits[500:], 8, 0.5, calibration=digits[:500])
    others = [rate_distortion.pca_point(fitted, digits[:500], 8, 0.5, epsilon=e)["distortion"]
              for e in rate_distortion.EPSILONS]
    best = rate_distortion.EPSILONS[int(np.argmin(others))]
    assert chosen["epsilon"] == best
    with pytest.raises(ValueError, match="calibration"):
        rate_distortion.pca_point(fitted, digits[500:], 8, 0.5)
    with pytest.raises(ValueError, match="binary"):
        rate_distortion.pca_point(fitted, digits[500:] * 0.5, 8, 0.5, epsilon=0.01)


def test_vae_point_is_the_elbo_terms_in_bits(digits):
    keras.utils.set_random_seed(0)
    model = models.VAE(networks.dense_encoder(3, hidden_units=(16,)),
                       networks.dense_decoder(3, hidden_units=(16,)))
    point = rate_distortion.vae_point(model, digits[:50], seed=1)
    terms = evaluation.elbo_per_image(model, digits[:50], seed=1)
    assert point["rate"] == pytest.approx(np.mean(terms["kl"]) / math.log(2), rel=1e-6)
    assert point["distortion"] == pytest.approx(
        np.mean(terms["reconstruction"]) / math.log(2), rel=1e-6)
    assert point["negative_elbo"] == pytest.approx(-np.mean(terms["elbo"]) / math.log(2),
                                                   rel=1e-5)


def test_lower_envelope_and_interpolation():
    rates = [5, 1, 3, 2, 4]
    distortions = [1, 10, 6, 7, 6.5]
    r, d = rate_distortion.lower_envelope(rates, distortions)
    np.testing.assert_array_equal(r, [1, 2, 3, 5])
    np.testing.assert_array_equal(d, [10, 7, 6, 1])
    assert rate_distortion.distortion_at(4, r, d) == pytest.approx(3.5)
    assert math.isnan(rate_distortion.distortion_at(6, r, d))
    with pytest.raises(ValueError, match="same length"):
        rate_distortion.lower_envelope([1, 2], [1])
