"""Principal component analysis: the linear baseline every other model is compared with.

Written with NumPy so the whole method fits on one screen; ``tests/test_pca.py`` checks it
against scikit-learn. Like scikit-learn (its ``covariance_eigh`` solver), :func:`fit_pca` takes
the cheaper of two exact routes: with more images than pixels (MNIST: 60,000 against 784) the
eigenvectors of the D x D scatter matrix, several times faster than the SVD of the N x D data;
otherwise the SVD of the centred data.

Introduced in chapter 1; chapter 2 shows a linear autoencoder spans the same subspace.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class PCA:
    """A fitted PCA.

    Attributes:
        mean: (D,) the mean image, flattened.
        components: (k, D) orthonormal principal directions ("eigen-images"), by decreasing
            variance.
        explained_variance: (k,) variance of the data along each direction.
        total_variance: the summed variance of all D pixels.
        image_shape: shape of one image, for turning vectors back into images.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    total_variance: float
    image_shape: tuple

    def project(self, images, num_components=None):
        """Coordinates of ``images`` along the first ``num_components`` directions: (N, k)."""
        k = self._check_k(num_components)
        flat = _flatten(images, self.mean.size)
        return (flat - self.mean) @ self.components[:k].T

    def reconstruct(self, images, num_components=None):
        """Project onto the first k directions and map back: (N,) + image_shape."""
        k = self._check_k(num_components)
        codes = self.project(images, k)
        flat = codes @ self.components[:k] + self.mean
        return flat.reshape((-1,) + tuple(self.image_shape))

    def eigen_images(self):
        """The components as images: (k,) + image_shape."""
        return self.components.reshape((-1,) + tuple(self.image_shape))

    def _check_k(self, num_components):
        available = len(self.components)
        if num_components is None:
            return available
        if isinstance(num_components, bool) or not isinstance(num_components, (int, np.integer)) \
                or not 0 <= num_components <= available:
            raise ValueError(
                f"num_components={num_components!r}; expected an integer in [0, {available}]"
            )
        return int(num_components)


def _flatten(images, size=None):
    array = np.asarray(images, dtype="float64")
    flat = array.reshape(len(array), -1)
    if size is not None and flat.shape[1] != size:
        raise ValueError(f"images have {flat.shape[1]} pixels each; expected {size}")
    return flat


def fit_pca(images, num_components=None):
    """Fit PCA to a batch of images.

    The directions come from the eigen-decomposition of the scatter matrix when there are
    at least as many images as pixels, and from the SVD of the centred images otherwise;
    both give the same directions (up to sign) and variances.

    Args:
        images: (N, ...) array; each image is flattened to a vector of D pixels.
        num_components: how many directions to keep (default: min(N, D)).

    Returns:
        PCA: the fitted model.
    """
    array = np.asarray(images)
    if array.ndim < 2 or len(array) < 2:
        raise ValueError(f"images has shape {array.shape}; expected (N, ...) with N >= 2")
    flat = _flatten(array)
    limit = min(flat.shape)
    if num_components is None:
        num_components = limit
    if isinstance(num_components, bool) or not isinstance(num_components, (int, np.integer)) \
            or not 1 <= num_components <= limit:
        raise ValueError(f"num_components={num_components!r}; expected an integer in [1, {limit}]")
    mean = flat.mean(axis=0)
    centred = flat - mean
    if len(flat) >= flat.shape[1]:
        # The scatter matrix's eigenvectors are the SVD's right singular vectors and its
        # eigenvalues the squared singular values; eigh sorts them increasingly.
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)  # (D,), (D, D)
        order = np.argsort(eigenvalues)[::-1]
        squared = np.clip(eigenvalues[order], 0.0, None)
        directions = eigenvectors[:, order].T
    else:
        _, singular_values, directions = np.linalg.svd(centred, full_matrices=False)
        squared = singular_values**2
    variance = squared / (len(flat) - 1)
    return PCA(mean=mean, components=directions[:num_components],
               explained_variance=variance[:num_components],
               total_variance=float(variance.sum()), image_shape=array.shape[1:])


def reconstruction_error(pca, images, num_components):
    """Mean squared error per image (summed over pixels) of a k-component reconstruction.

    Returns:
        float: average over images of sum over pixels of (x - x_hat)^2.

    Works through the images 10,000 at a time, so 60,000 MNIST images need a few hundred MB
    of float64 scratch space rather than gigabytes (the per-image errors are the same).
    """
    array = np.asarray(images)
    pca._check_k(num_components)
    _flatten(array[:1], pca.mean.size)  # the pixel count, checked before any work
    per_image = []
    for start in range(0, len(array), 10_000):
        flat = _flatten(array[start:start + 10_000], pca.mean.size)
        rebuilt = pca.reconstruct(flat, num_components).reshape(len(flat), -1)
        per_image.append(np.sum((flat - rebuilt) ** 2, axis=1))
    return float(np.mean(np.concatenate(per_image)))
