"""Colour patches from scikit-image's bundled photos (chapter 11)."""

import numpy as np
import pytest

skimage = pytest.importorskip("skimage")

from vae_lib import patches  # noqa: E402


def test_patches_are_pieces_of_the_photos_in_unit_range():
    cut = patches.cut_patches(["coffee", "chelsea"], num_patches=6, size=32, seed=3)
    assert cut.shape == (6, 32, 32, 3) and cut.dtype == np.float32
    assert 0 <= cut.min() and cut.max() <= 1
    coffee = patches.load_photo("coffee")
    rng = np.random.default_rng(3)  # the first patch comes from the first photo
    top = rng.integers(0, coffee.shape[0] - 31)
    left = rng.integers(0, coffee.shape[1] - 31)
    np.testing.assert_array_equal(cut[0], coffee[top:top + 32, left:left + 32])
    np.testing.assert_array_equal(cut, patches.cut_patches(["coffee", "chelsea"], 6, seed=3))
    assert not np.array_equal(cut, patches.cut_patches(["coffee", "chelsea"], 6, seed=4))


def test_every_named_photo_loads_offline_as_rgb():
    for name in patches.PHOTOS:
        photo = patches.load_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and photo.max() <= 1


@pytest.mark.parametrize("call, words", [
    (lambda: patches.load_photo("moon"), "expected one of"),
    (lambda: patches.cut_patches("coffee", 2), "list of names"),
    (lambda: patches.cut_patches(["coffee"], 0), "num_patches=0"),
    (lambda: patches.cut_patches(["coffee"], 2, size=1000), "smaller than size=1000"),
])
def test_bad_arguments_are_refused(call, words):
    with pytest.raises(ValueError, match=words):
        call()
