"""The chapter-2 checkers (masking noise, projection error) pass correct answers and name the
usual mistakes."""

import numpy as np
import pytest

from vae_lib import checks


def mask_pixels(images, fraction, seed):
    rng = np.random.default_rng(seed)
    keep = rng.random(images.shape) >= fraction
    return (images * keep).astype("float32")


def mask_pixels_with_where(images, fraction, seed):
    rng = np.random.default_rng(int(seed))
    return np.where(rng.uniform(size=images.shape) < fraction, 0.0, images)


def returns_mask(images, fraction, seed):
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape) >= fraction).astype("float32")


def keeps_with_probability_fraction(images, fraction, seed):
    rng = np.random.default_rng(seed)
    return images * (rng.random(images.shape) < fraction)


def one_mask_for_all(images, fraction, seed):
    rng = np.random.default_rng(seed)
    return images * (rng.random(images.shape[1:]) >= fraction)


def ignores_seed(images, fraction, seed):
    rng = np.random.default_rng(0)
    return images * (rng.random(images.shape) >= fraction)


def global_generator(images, fraction, seed):
    return images * (np.random.random(images.shape) >= fraction)


def sets_to_one(images, fraction, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(images.shape) < fraction, 1.0, images)


def scales(images, fraction, seed):
    return images * (1 - fraction)


def whole_images(images, fraction, seed):
    rng = np.random.default_rng(seed)
    keep = rng.random((len(images),) + (1,) * (images.ndim - 1)) >= fraction
    return images * keep


def test_correct_masking_passes():
    for fn in (mask_pixels, mask_pixels_with_where):
        result = checks.mask_pixels(fn, verbose=False)
        assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (returns_mask, "that is the mask itself"),
    (keeps_with_probability_fraction, "you KEPT each pixel"),
    (one_mask_for_all, "every image got the same mask"),
    (ignores_seed, "seeds 0 and 1 gave the same masks"),
    (global_generator, "same seed gave different masks"),
    (sets_to_one, "set masked pixels to 1"),
    (scales, "you scaled every pixel"),
    (whole_images, "independently"),
])
def test_masking_mistakes_get_their_diagnosis(fn, words):
    result = checks.mask_pixels(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def projection_error(directions, images, mean):
    basis, _ = np.linalg.qr(directions.T)
    centred = images.reshape(len(images), -1) - mean
    rebuilt = centred @ basis @ basis.T
    return float(np.mean(np.sum((centred - rebuilt) ** 2, axis=1)))


def projection_error_lstsq(directions, images, mean):
    centred = images.reshape(len(images), -1).astype("float64") - mean
    coefficients, *_ = np.linalg.lstsq(directions.T.astype("float64"), centred.T, rcond=None)
    rebuilt = (directions.T @ coefficients).T
    return np.mean(np.sum((centred - rebuilt) ** 2, axis=1))


def not_orthonormalized(directions, images, mean):
    centred = images.reshape(len(images), -1) - mean
    rebuilt = centred @ directions.T @ directions
    return float(np.mean(np.sum((centred - rebuilt) ** 2, axis=1)))


def no_mean(directions, images, mean):
    return projection_error(directions, images, np.zeros_like(mean))


def summed_over_images(directions, images, mean):
    return projection_error(directions, images, mean) * len(images)


def averaged_over_pixels(directions, images, mean):
    return projection_error(directions, images, mean) / mean.size


def per_image(directions, images, mean):
    basis, _ = np.linalg.qr(directions.T)
    centred = images.reshape(len(images), -1) - mean
    return np.sum((centred - centred @ basis @ basis.T) ** 2, axis=1)


def test_correct_projection_error_passes():
    for fn in (projection_error, projection_error_lstsq):
        result = checks.projection_error(fn, verbose=False)
        assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (not_orthonormalized, "not orthonormal"),
    (no_mean, "did not subtract the mean"),
    (summed_over_images, "summed over the"),
    (averaged_over_pixels, "averaged over the"),
    (per_image, "expected one number"),
])
def test_projection_mistakes_get_their_diagnosis(fn, words):
    result = checks.projection_error(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message
