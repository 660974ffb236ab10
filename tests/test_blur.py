"""The gradient energy against brute force and closed forms (chapter 11)."""

import numpy as np
import pytest
from scipy import ndimage

from vae_lib import blur


def brute_force(image):
    height, width, channels = image.shape
    horizontal = [(image[i, j + 1, c] - image[i, j, c]) ** 2
                  for i in range(height) for j in range(width - 1) for c in range(channels)]
    vertical = [(image[i + 1, j, c] - image[i, j, c]) ** 2
                for i in range(height - 1) for j in range(width) for c in range(channels)]
    return (sum(horizontal) / (height * (width - 1)) + sum(vertical) / ((height - 1) * width))


def test_gradient_energy_matches_brute_force_and_a_convolution():
    images = np.random.default_rng(0).uniform(size=(3, 6, 5, 2))
    expected = [brute_force(image) for image in images]
    np.testing.assert_allclose(blur.gradient_energy(images), expected, rtol=1e-12)
    # the same with SciPy: a [-1, 1] correlation in each direction, borders cut off
    kernel = np.array([-1.0, 1.0])
    horizontal = ndimage.correlate1d(images, kernel, axis=2, origin=-1)[:, :, :-1] ** 2
    vertical = ndimage.correlate1d(images, kernel, axis=1, origin=-1)[:, :-1] ** 2
    scipy_energy = (horizontal.mean(axis=(1, 2)) + vertical.mean(axis=(1, 2))).sum(axis=-1)
    np.testing.assert_allclose(blur.gradient_energy(images), scipy_energy, rtol=1e-12)


def test_closed_forms_a_ramp_a_checkerboard_and_a_constant():
    ramp = np.tile(np.arange(8) * 0.1, (8, 1))[None, :, :, None]  # slope 0.1 per column
    assert blur.gradient_energy(ramp)[0] == pytest.approx(0.01)
    board = (np.indices((8, 8)).sum(axis=0) % 2).astype(float)[None, :, :, None]
    assert blur.gradient_energy(board)[0] == pytest.approx(2.0)
    assert blur.gradient_energy(np.full((1, 4, 4, 1), 0.3))[0] == 0.0


def test_blurring_lowers_the_sharpness_ratio():
    images = (np.random.default_rng(1).uniform(size=(4, 16, 16, 1)) > 0.5).astype(float)
    blurred = ndimage.gaussian_filter(images, sigma=(0, 1, 1, 0))
    assert blur.sharpness_ratio(images, images) == pytest.approx(1.0)
    assert blur.sharpness_ratio(blurred, images) < 0.5


@pytest.mark.parametrize("images, error, words", [
    (np.zeros((2, 1, 5, 1)), ValueError, "H, W >= 2"),
    (np.zeros((5, 5)), ValueError, "expected \\(N, H, W, C\\)"),
    (np.array([[[["a"]]]]), TypeError, "dtype"),
    (np.full((1, 3, 3, 1), np.nan), ValueError, "NaN"),
])
def test_bad_images_are_refused(images, error, words):
    with pytest.raises(error, match=words):
        blur.gradient_energy(images)


def test_sharpness_ratio_refuses_other_shapes_and_constant_data():
    with pytest.raises(ValueError, match="same"):
        blur.sharpness_ratio(np.zeros((1, 4, 4, 1)), np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="constant"):
        blur.sharpness_ratio(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1)))
