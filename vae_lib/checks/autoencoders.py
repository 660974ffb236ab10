"""Checkers for chapter 2's autoencoder exercises: masking noise, and the error of projecting
onto the span of a linear decoder's directions.

Introduced in chapter 2.
"""

import numpy as np

from vae_lib.checks._arguments import python_scalars
from vae_lib.checks._core import _call, _check_shape, _compare, _Failure, _report, forbids

__all__ = ["mask_pixels", "projection_error"]


# --- mask_pixels -------------------------------------------------------------------------------

def _ink_images(rng, shape):
    """Grey images with no pixel exactly 0, so every 0 in the output is a masked pixel."""
    return rng.uniform(0.05, 1.0, size=shape).astype("float32")


def _run_mask_pixels(fn):
    fn = python_scalars(fn, None, float, int)
    rng = np.random.default_rng(12)
    images = _ink_images(rng, (200, 28, 28, 1))
    where = "(200 images of 28x28 with no black pixel, fraction 0.3, seed 0)"
    got = _call(fn, (images, 0.3, 0), where)
    _check_shape(got, images.shape, where)
    if np.all(np.isin(got, (0.0, 1.0))):
        raise _Failure(f"your result holds only 0s and 1s {where}: that is the mask itself; "
                       "return the images multiplied by it")
    changed = (got != images) & (got != 0)
    if changed.any():
        if np.all(got[changed] == 1):
            raise _Failure(f"you set masked pixels to 1 {where}; masking noise sets them to 0")
        scaled = np.isclose(got, images * 0.7, rtol=1e-5) | np.isclose(got, images * 0.3,
                                                                          rtol=1e-5)
        if np.all(scaled):
            raise _Failure(f"you scaled every pixel {where}; masking keeps each pixel as it "
                           "is or sets it to 0")
        index = tuple(np.argwhere(changed)[0])
        raise _Failure(f"pixel {index} was {images[index]:.4f} and you returned "
                       f"{got[index]:.4f} {where}; a pixel may only be kept or set to 0")
    masks = got == 0
    if np.all(masks == masks[:1]):
        raise _Failure(f"every image got the same mask {where}: draw one random number for "
                       "every pixel of every image, e.g. rng.random(images.shape)")
    per_image = masks.reshape(len(masks), -1).mean(axis=1)
    if np.any(per_image == 0) or np.any(per_image == 1):
        raise _Failure(f"some images are masked completely and others not at all {where}: "
                       "decide for every pixel independently, not for whole images")
    share = float(np.mean(got == 0))
    if abs(share - 0.7) < 0.01:
        raise _Failure(f"you set {share:.3f} of the pixels to 0 {where}, about 1 - fraction: "
                       "you KEPT each pixel with probability `fraction`; `fraction` is the "
                       "share set to 0")
    if abs(share - 0.3) > 0.01:
        raise _Failure(f"you set {share:.3f} of the pixels to 0 {where}; expected about 0.3")

    again = _call(fn, (images, 0.3, 0), "(the same images, fraction and seed again)")
    if not np.array_equal(again, got):
        raise _Failure("two calls with the same seed gave different masks: create the "
                       "generator from the seed, np.random.default_rng(seed), inside the "
                       "function")
    other = _call(fn, (images, 0.3, 1), "(the same images and fraction, seed 1)")
    if np.array_equal(other, got):
        raise _Failure("seeds 0 and 1 gave the same masks: use the seed "
                       "(np.random.default_rng(seed))")

    for fraction, expected, what in ((0.0, images, "every pixel kept"),
                                     (1.0, np.zeros_like(images), "every pixel set to 0")):
        where = f"(fraction {fraction:g}: {what})"
        got = _call(fn, (images[:5], fraction, 0), where)
        _check_shape(got, images[:5].shape, where)
        _compare(got, expected[:5], where, lambda index: f"pixel {index}")

    for shape in ((1, 28, 28, 1), (6, 7, 7, 1), (3, 784)):
        where = f"(images of shape {shape}, fraction 0.5)"
        small = _ink_images(rng, shape)
        got = _call(fn, (small, 0.5, 3), where)
        _check_shape(got, shape, where)
        if not np.all((got == small) | (got == 0)):
            raise _Failure(f"you changed pixels to values other than 0 {where}")


@forbids()
def mask_pixels(fn, verbose=True):
    """Check a student's masking noise: each pixel set to 0 with probability ``fraction``.

    The checker looks at the statistics of the result (its share of zeroed pixels, masks that
    differ from image to image and from seed to seed, the same mask for the same seed), at
    fractions 0 and 1, and at a batch of one image and other shapes; it names common mistakes
    (the mask returned instead of the masked images, pixels kept with probability
    ``fraction``, one mask for every image, the seed ignored).

    Args:
        fn: the student's function ``fn(images, fraction, seed)``; ``images`` a float32 array
            of any shape (N, ...), ``fraction`` in [0, 1], ``seed`` an integer; returns an
            array of the same shape.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 2.
    """
    return _report(fn, verbose, _run_mask_pixels,
                   "mask_pixels zeroes the right share of pixels, independently per pixel and "
                   "image, reproducibly per seed, on 7 inputs including fractions 0 and 1.")


# --- projection_error --------------------------------------------------------------------------

def _projection_cases():
    rng = np.random.default_rng(13)
    dims = 36
    images = rng.uniform(0, 1, (50, 6, 6, 1)).astype("float32")
    flat = images.reshape(len(images), -1).astype("float64")
    mean = flat.mean(axis=0)
    _, _, rows = np.linalg.svd(flat - mean, full_matrices=False)
    mixed = rng.standard_normal((4, 4)) @ rows[:4] * np.array([[3.0], [0.1], [1.0], [20.0]])
    digits = rng.uniform(0, 1, (20, 28, 28, 1)).astype("float32")
    digits_mean = digits.reshape(20, -1).mean(axis=0)
    return [
        ("(orthonormal directions: the first 4 principal components of 50 images of 6x6)",
         rows[:4], images, mean),
        ("(4 directions that are not orthonormal: mixtures of those components, of very "
         "different lengths)", mixed, images, mean),
        ("(one direction, k = 1)", rng.standard_normal((1, dims)), images, mean),
        ("(k = D = 36 directions: the span is everything, the error is 0)",
         rng.standard_normal((dims, dims)), images, mean),
        ("(3 random directions, 20 images of 28x28, their mean)",
         rng.standard_normal((3, 784)), digits, digits_mean),
        ("(the same directions, the mean of some other images)",
         rng.standard_normal((3, 784)), digits, np.full(784, 0.2)),
    ]


def _error(directions, images, mean, orthonormalize=True, centre=True, average=True):
    flat = images.reshape(len(images), -1).astype("float64")
    centred = flat - mean if centre else flat
    if orthonormalize:
        basis, _ = np.linalg.qr(np.asarray(directions, dtype="float64").T)
    else:
        basis = np.asarray(directions, dtype="float64").T
    rebuilt = centred @ basis @ basis.T
    per_image = np.sum((centred - rebuilt) ** 2, axis=1)
    return float(np.mean(per_image) if average else np.sum(per_image))


def _run_projection_error(fn):
    for where, directions, images, mean in _projection_cases():
        expected = _error(directions, images, mean)
        got = _call(fn, (directions.astype("float32"), images, mean), where)
        if got.size != 1:
            raise _Failure(f"your function returned shape {got.shape} {where}; expected one "
                           "number, the mean over images of the squared error summed over "
                           "pixels")
        got = got.reshape(1)
        num_images, dims = len(images), mean.size
        known_bugs = [
            ([_error(directions, images, mean, orthonormalize=False)],
             "you projected with the directions as they are; they are not orthonormal: "
             "take an orthonormal basis of their span first (np.linalg.qr(directions.T))"),
            ([_error(directions, images, mean, centre=False)],
             "you did not subtract the mean before projecting"),
            ([_error(directions, images, mean, average=False)],
             f"you summed over the {num_images} images; average over them"),
            ([expected / dims], f"you averaged over the {dims} pixels too; sum over the "
                                "pixels and average over the images"),
            ([np.sqrt(expected)], "you returned a root; return the squared error"),
        ]
        _compare(got, np.array([expected]), where, lambda index: "the error", known_bugs)


@forbids()
def projection_error(fn, verbose=True):
    """Check a student's error of projecting centred images onto the span of any directions.

    The checker tries orthonormal directions (PCA components), directions that are neither
    orthogonal nor of unit length, k = 1, k = D (error 0), and 28x28 images, and names common
    mistakes: projecting with non-orthonormal directions as they are, forgetting the mean,
    summing over images, averaging over pixels.

    Args:
        fn: the student's function ``fn(directions, images, mean)``; ``directions`` a (k, D)
            float32 array, ``images`` (N, H, W, C), ``mean`` (D,); returns one number: the
            mean over images of the sum over pixels of (x - x_hat)^2, with x_hat the
            orthogonal projection of x - mean onto the directions' span, plus the mean.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 2.
    """
    return _report(fn, verbose, _run_projection_error,
                   "projection_error matches the orthogonal projection on 6 inputs, including "
                   "directions that are not orthonormal, k = 1 and k = D.")
