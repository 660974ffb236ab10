"""How sharp an image is: the image-gradient energy, to measure the blur of VAE outputs.

A sharp edge is a large difference between neighbouring pixels; a blurred one spreads the
same change over several pixels, and the squares of the smaller differences add up to less.
:func:`gradient_energy` is the mean over an image of the squared differences between
horizontal and vertical neighbours, and :func:`sharpness_ratio` compares a model's images
(samples or reconstructions) with the data: 1 means as sharp as the data, 0.5 means half the
gradient energy.

Introduced in chapter 11.
"""

import numpy as np


def _check(images, name):
    array = np.asarray(images)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} has dtype {array.dtype}; expected numbers")
    if array.ndim != 4 or min(array.shape[1:3]) < 2 or array.shape[0] == 0:
        raise ValueError(f"{name} has shape {array.shape}; expected (N, H, W, C) with N >= 1 "
                         "and H, W >= 2")
    array = array.astype("float64")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def gradient_energy(images):
    """Mean squared difference between neighbouring pixels, per image.

        E(x) = mean over rows and columns of (x[i, j+1] - x[i, j])^2
             + mean over rows and columns of (x[i+1, j] - x[i, j])^2,

    summed over channels (no wrapping at the border).

    Args:
        images: (N, H, W, C) pixel values (in [0, 1] for the book's images).

    Returns:
        np.ndarray (N,): the gradient energy of each image (squared pixel units).
    """
    x = _check(images, "images")
    horizontal = np.diff(x, axis=2) ** 2   # (N, H, W - 1, C)
    vertical = np.diff(x, axis=1) ** 2     # (N, H - 1, W, C)
    return (horizontal.mean(axis=(1, 2)) + vertical.mean(axis=(1, 2))).sum(axis=-1)


def sharpness_ratio(images, reference):
    """Average gradient energy of ``images`` over that of ``reference`` (the data).

    Args:
        images: (N, H, W, C) model outputs (samples or reconstructions).
        reference: (M, H, W, C) data images of the same shape.

    Returns:
        float: 1 for outputs as sharp as the data on average, below 1 for blurred ones.
    """
    images, reference = _check(images, "images"), _check(reference, "reference")
    if images.shape[1:] != reference.shape[1:]:
        raise ValueError(f"images have shape {images.shape[1:]} and reference "
                         f"{reference.shape[1:]}; expected the same (H, W, C)")
    energy = gradient_energy(reference).mean()
    if energy == 0:
        raise ValueError("the reference images are constant (gradient energy 0); expected "
                         "images with some edges")
    return float(gradient_energy(images).mean() / energy)
