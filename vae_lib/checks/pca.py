"""Checkers for chapter 1's PCA exercises: PCA by the SVD, and the k-component reconstruction.

Introduced in chapter 1.
"""

import numpy as np
import sklearn.decomposition

from vae_lib import pca as pca_lib
from vae_lib.checks._arguments import call_parts, python_scalars
from vae_lib.checks._core import (
    _call,
    _close,
    _compare,
    _Failure,
    _fmt,
    _report,
    forbids,
)

__all__ = ["pca", "pca_reconstruction"]


# --- pca ---------------------------------------------------------------------------------------

def _images(rng, num_images, side, variances, offset):
    """Images of shape (N, side, side, 1) whose pixel covariance has the given spectrum (in
    random directions), around a mean image far from 0 (so a forgotten centring shows)."""
    dims = side * side
    scales = np.sqrt(np.asarray(variances, dtype=np.float64))
    basis, _ = np.linalg.qr(rng.standard_normal((dims, len(scales))))  # (D, n) orthonormal
    codes = rng.standard_normal((num_images, len(scales))) * scales
    flat = offset + codes @ basis.T + 1e-3 * rng.standard_normal((num_images, dims))
    return flat.reshape(num_images, side, side, 1).astype("float32")


def _pca_cases():
    rng = np.random.default_rng(10)
    # Distinct variances, 4 down to 0.014: well separated, so every direction is defined to
    # far better than the tolerance even when the student computes in float32.
    decaying = 4.0 * 0.85 ** np.arange(36)
    tiny = rng.uniform(0, 1, (3, 28, 28, 1)).astype("float32")  # two directions of variance
    digits_like = _images(rng, 100, 28, 30.0 * 0.8 ** np.arange(12), offset=0.3)
    return [
        ("(300 images of 6x6 pixels, k = 5)", _images(rng, 300, 6, decaying, 2.0), 5),
        ("(300 images of 6x6 pixels, k = 1)", _images(rng, 300, 6, decaying, 2.0), 1),
        ("(300 images of 6x6 pixels, k = D = 36, every direction)",
         _images(rng, 300, 6, decaying, 1.0), 36),
        ("(only 3 images of 28x28 pixels, k = 2)", tiny, 2),
        ("(100 images of 28x28 pixels, k = 10)", digits_like, 10),
    ]


def _svd(flat, centre):
    centred = flat - flat.mean(axis=0) if centre else flat
    _, singular_values, rows = np.linalg.svd(centred, full_matrices=False)
    return singular_values, rows


def _aligned(got, reference):
    """``got`` with each row's sign flipped to agree with the same row of ``reference``."""
    signs = np.sign(np.sum(got * reference, axis=1, keepdims=True))
    signs[signs == 0] = 1.0
    return got * signs


def _same_directions(got, reference):
    """Whether the rows of ``got`` are the rows of ``reference`` up to sign."""
    return got.shape == reference.shape and bool(
        np.all(_close(_aligned(got, reference), reference)))


def _check_pca_shapes(mean, components, variance, images, k, where):
    num_images = len(images)
    dims = int(np.prod(images.shape[1:]))
    if mean.shape != (dims,):
        hint = (": flatten it to one vector of D pixels" if mean.size == dims else
                ": the mean image is the average over the images (axis 0)")
        raise _Failure(f"your mean has shape {mean.shape}, expected ({dims},) {where}{hint}")
    if components.ndim != 2:
        raise _Failure(f"your components have shape {components.shape}, expected ({k}, {dims}) "
                       f"{where}: flatten each image to a vector of D pixels first "
                       "(images.reshape(len(images), -1))")
    if components.shape != (k, dims):
        hints = {(dims, k): ": one principal direction per ROW, shape (k, D); you returned "
                            "them as columns (transpose)",
                 (k, num_images): ": these look like the columns of U (one number per "
                                  "image); the principal directions are the rows of Vt",
                 (num_images, k): ": these look like the columns of U (one number per "
                                  "image); the principal directions are the rows of Vt"}
        if components.shape[1] == dims and components.shape[0] > k:
            hint = ": keep only the first k directions"
        else:
            hint = hints.get(components.shape, "")
        raise _Failure(f"your components have shape {components.shape}, expected ({k}, {dims}) "
                       f"{where}{hint}")
    if variance.shape != (k,):
        hint = (": keep only the first k variances" if variance.ndim == 1 and len(variance) > k
                else "")
        raise _Failure(f"your explained_variance has shape {variance.shape}, expected ({k},) "
                       f"{where}{hint}")


def _diagnose_components(components, flat, rows, values, k, where):
    """Fail with the most specific reason the component rows are wrong."""
    num_images = len(flat)
    norms = np.linalg.norm(components, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        raise _Failure(f"your components have lengths {_fmt(norms)} {where}; principal "
                       "directions are unit vectors (the rows of Vt from np.linalg.svd are)")
    _, uncentred = _svd(flat, centre=False)
    if _same_directions(components, uncentred[:k]):
        raise _Failure(f"your components are the directions of the UNcentred images {where}: "
                       "subtract the mean image before the SVD (or the covariance)")
    available = min(num_images - 1, len(rows))  # directions with non-zero variance
    candidates = rows[:available]
    matches = [int(np.argmax(np.abs(candidates @ row))) for row in components]
    cosines = [abs(float(candidates[index] @ row)) for index, row in zip(matches, components)]
    if all(cosine > 1 - 1e-4 for cosine in cosines) and matches != list(range(k)):
        if sorted(matches) == list(range(k)):
            raise _Failure(f"your components are the right directions in the wrong order "
                           f"{where} (you returned directions number {matches}): sort them "
                           "by decreasing variance; np.linalg.eigh returns eigenvalues in "
                           "INCREASING order")
        raise _Failure(f"your components are principal directions, but not the k = {k} of "
                       f"LARGEST variance {where} (you returned directions number {matches}): "
                       "np.linalg.eigh sorts eigenvalues in increasing order; take the last "
                       "k and reverse them")
    if components.shape[1] == len(rows) and _same_directions(components, rows.T[:k]):
        raise _Failure(f"your components are COLUMNS of Vt {where}; the principal directions "
                       "are its rows: vt[:k], not vt[:, :k].T")
    cosine = float(np.min(np.abs(np.sum(_aligned(components, rows[:k]) * rows[:k], axis=1))))
    index = int(np.argmin(np.abs(np.sum(components * rows[:k], axis=1))))
    raise _Failure(f"your component {index} is not the principal direction number {index} "
                   f"{where} (|cosine| = {cosine:.4f}; 1 means equal up to sign)")


def _run_pca(fn):
    for where, images, k in _pca_cases():
        flat = images.reshape(len(images), -1)
        num_images = len(flat)
        expected = pca_lib.fit_pca(images, num_components=k)
        mean, components, variance = call_parts(
            python_scalars(fn, None, int), (images, k), where,
            ("mean", "components", "explained_variance"))
        _check_pca_shapes(mean, components, variance, images, k, where)
        _compare(mean, expected.mean, where, lambda index: f"pixel {index[0]} of the mean",
                 [(np.zeros_like(expected.mean), "your mean is 0: return the mean image "
                                                "(the average over the images, axis 0)")])
        if not _same_directions(components, expected.components):
            singular_values, rows = _svd(flat, centre=True)
            _diagnose_components(components, flat, rows, singular_values, k, where)
        if np.all(_close(variance, expected.explained_variance)):
            continue
        singular_values, _ = _svd(flat, centre=True)
        uncentred_values, _ = _svd(flat, centre=False)
        known_bugs = [
            (expected.explained_variance * (num_images - 1) / num_images,
             f"you divided by N = {num_images}; the variance along a direction is "
             "s**2 / (N - 1), the sample variance (as np.cov and scikit-learn use)"),
            (singular_values[:k], "you returned the singular values s; the variance along a "
                                  "direction is s**2 / (N - 1)"),
            (singular_values[:k] ** 2, "you returned s**2; divide by N - 1 to get the "
                                       "variance along each direction"),
            (uncentred_values[:k] ** 2 / (num_images - 1),
             "your variances come from the UNcentred images: subtract the mean first"),
            (expected.explained_variance[::-1],
             "your variances are in increasing order; sort them (and the components) by "
             "decreasing variance"),
        ]
        _compare(variance, expected.explained_variance, where,
                 lambda index: f"explained_variance[{index[0]}]", known_bugs)


@forbids(pca_lib.fit_pca, sklearn.decomposition.PCA.__init__, sklearn.decomposition.PCA._fit)
def pca(fn, verbose=True):
    """Check a student's PCA by the SVD against ``vae_lib.pca.fit_pca`` (and so scikit-learn).

    Components are compared up to sign (a direction and its opposite are the same axis). The
    checker tries k = 1, k = D (every direction), only three images, and 28x28 images, and
    names common mistakes: images not centred, eigenvectors not sorted by decreasing variance
    (``np.linalg.eigh`` sorts them increasingly), the variance divided by N instead of N - 1,
    singular values instead of variances, columns of Vt instead of rows.

    Args:
        fn: the student's function ``fn(images, k)``; ``images`` a float32 array (N, H, W, C),
            ``k`` the number of components; returns ``(mean, components,
            explained_variance)`` of shapes (D,), (k, D) and (k,) with D = H * W * C.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 1.
    """
    return _report(fn, verbose, _run_pca,
                   "my_pca matches vae_lib.pca (up to the sign of each direction) on 5 inputs, "
                   "including k = 1, k = D and only 3 images.")


# --- pca_reconstruction ----------------------------------------------------------------------

def _reconstruction_cases():
    rng = np.random.default_rng(11)
    images = np.clip(_images(rng, 40, 28, 5.0 * 0.8 ** np.arange(20), offset=0.2), 0, 1)
    fitted = pca_lib.fit_pca(images[:30], num_components=25)
    small = np.clip(_images(rng, 50, 5, 0.5 ** np.arange(25), offset=0.5), 0, 1)
    small_fit = pca_lib.fit_pca(small, num_components=25)
    held_out = images[30:]
    return [
        ("(6 images of 28x28, 25 components, k = 3)", held_out[:6], fitted, 3),
        ("(k = 0: no component at all)", held_out[:4], fitted, 0),
        ("(one image, k = 1)", held_out[:1], fitted, 1),
        ("(k = all 25 components)", held_out, fitted, 25),
        ("(50 images of 5x5 pixels, every direction, k = D = 25)", small, small_fit, 25),
        ("(the same 5x5 images, k = 7)", small, small_fit, 7),
    ]


def _reconstruct(images, mean, components, k, centre=True, add_mean=True):
    flat = images.reshape(len(images), -1).astype(np.float64)
    codes = ((flat - mean) if centre else flat) @ components[:k].T
    return (codes @ components[:k] + (mean if add_mean else 0.0)).reshape(images.shape)


def _run_pca_reconstruction(fn):
    for where, images, fitted, k in _reconstruction_cases():
        mean, components = fitted.mean, fitted.components
        expected = fitted.reconstruct(images, k).reshape(images.shape)
        got = _call(python_scalars(fn, None, None, None, int), (images, mean, components, k),
                    where)
        flat_shape = (len(images), mean.size)
        if got.shape != images.shape:
            hints = {flat_shape: ": reshape the result to the images' shape "
                                 "(rebuilt.reshape(images.shape))",
                     (len(images), k): ": that is the code z = U_k (x - mean); map it back "
                                       "with z @ components[:k] and add the mean"}
            raise _Failure(f"your result has shape {got.shape}, expected {images.shape} "
                           f"{where}{hints.get(got.shape, '')}")
        known_bugs = [
            (_reconstruct(images, mean, components, k, add_mean=False),
             "you forgot to add the mean image back after projecting"),
            (_reconstruct(images, mean, components, k, centre=False),
             "you projected the images without subtracting the mean first"),
            (_reconstruct(images, mean, components, len(components)),
             f"you used all {len(components)} components; use only the first k"),
        ]
        if k == len(components):
            known_bugs.pop()
        _compare(got, expected, where,
                 lambda index: f"image {index[0]}, pixel {index[1:]}", known_bugs)


@forbids(pca_lib.PCA.reconstruct, pca_lib.PCA.project)
def pca_reconstruction(fn, verbose=True):
    """Check a student's k-component PCA reconstruction x_hat = mean + U_k U_k^T (x - mean).

    The checker tries k = 0 (the mean image), k = 1, all components, one image and 5x5
    images, and names common mistakes: the mean not added back, the images not centred, all
    components used instead of the first k, a flat result.

    Args:
        fn: the student's function ``fn(images, mean, components, k)``; ``images`` a float32
            array (N, H, W, C), ``mean`` (D,), ``components`` (num_components, D) with
            orthonormal rows, ``k`` an integer; returns (N, H, W, C).
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 1.
    """
    return _report(fn, verbose, _run_pca_reconstruction,
                   "pca_reconstruct matches vae_lib.pca on 6 inputs, including k = 0, k = 1 "
                   "and every component.")
