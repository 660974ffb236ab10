"""The chapter-1 PCA checkers pass correct answers and name the usual mistakes."""

import numpy as np
import pytest
import sklearn.decomposition

from vae_lib import checks
from vae_lib import pca as pca_lib


def _flat(images):
    return np.asarray(images, dtype="float64").reshape(len(images), -1)


def pca_by_svd(images, k):
    flat = _flat(images)
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    return mean, vt[:k], s[:k] ** 2 / (len(flat) - 1)


def pca_by_eigh(images, k):
    flat = _flat(images)
    values, vectors = np.linalg.eigh(np.cov(flat, rowvar=False))
    order = np.argsort(values)[::-1][:k]
    return flat.mean(axis=0), vectors[:, order].T, values[order]


def pca_float32_with_flipped_signs(images, k):
    flat = np.asarray(images).reshape(len(images), -1)  # stays float32
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    return mean, -vt[:k], s[:k] ** 2 / (len(flat) - 1)


def sklearn_pca(images, k):
    fitted = sklearn.decomposition.PCA(n_components=int(k)).fit(_flat(images))
    return fitted.mean_, fitted.components_, fitted.explained_variance_


def library_pca(images, k):
    fitted = pca_lib.fit_pca(images, int(k))
    return fitted.mean, fitted.components, fitted.explained_variance


def not_centred(images, k):
    flat = _flat(images)
    _, s, vt = np.linalg.svd(flat, full_matrices=False)
    return flat.mean(axis=0), vt[:k], s[:k] ** 2 / (len(flat) - 1)


def eigh_unsorted_largest(images, k):
    flat = _flat(images)
    values, vectors = np.linalg.eigh(np.cov(flat, rowvar=False))
    return flat.mean(axis=0), vectors[:, -k:].T, values[-k:]


def eigh_smallest(images, k):
    flat = _flat(images)
    values, vectors = np.linalg.eigh(np.cov(flat, rowvar=False))
    return flat.mean(axis=0), vectors[:, :k].T, values[:k]


def divided_by_n(images, k):
    mean, components, variance = pca_by_svd(images, k)
    return mean, components, variance * (len(images) - 1) / len(images)


def singular_values(images, k):
    flat = _flat(images)
    _, s, vt = np.linalg.svd(flat - flat.mean(axis=0), full_matrices=False)
    return flat.mean(axis=0), vt[:k], s[:k]


def columns_transposed(images, k):
    mean, components, variance = pca_by_svd(images, k)
    return mean, components.T, variance


def columns_of_vt(images, k):
    flat = _flat(images)
    _, s, vt = np.linalg.svd(flat - flat.mean(axis=0), full_matrices=False)
    return flat.mean(axis=0), vt[:, :k].T, s[:k] ** 2 / (len(flat) - 1)


def image_shaped_mean(images, k):
    mean, components, variance = pca_by_svd(images, k)
    return mean.reshape(images.shape[1:]), components, variance


def all_variances(images, k):
    flat = _flat(images)
    _, s, vt = np.linalg.svd(flat - flat.mean(axis=0), full_matrices=False)
    return flat.mean(axis=0), vt[:k], s ** 2 / (len(flat) - 1)


def two_things(images, k):
    mean, components, _ = pca_by_svd(images, k)
    return mean, components


@pytest.mark.parametrize("fn", [pca_by_svd, pca_by_eigh, pca_float32_with_flipped_signs])
def test_correct_pca_passes(fn):
    result = checks.pca(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (not_centred, "UNcentred"),
    (eigh_unsorted_largest, "wrong order"),
    (eigh_smallest, "LARGEST variance"),
    (divided_by_n, "you divided by N"),
    (singular_values, "singular values"),
    (columns_transposed, "as columns"),
    (columns_of_vt, "COLUMNS of Vt"),
    (image_shaped_mean, "flatten it"),
    (all_variances, "keep only the first k variances"),
    (two_things, "tuple of 2 items"),
])
def test_known_mistakes_get_their_diagnosis(fn, words):
    result = checks.pca(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


@pytest.mark.parametrize("fn, words", [
    (library_pca, "vae_lib.pca.fit_pca"),
    (sklearn_pca, "sklearn.decomposition._pca.PCA"),
])
def test_handing_in_a_library_pca_fails(fn, words):
    result = checks.pca(fn, verbose=False)
    assert not result.passed
    assert words in result.message and "asks you to write" in result.message, result.message


# --- pca_reconstruction ----------------------------------------------------------------------

def reconstruct(images, mean, components, k):
    flat = np.asarray(images, dtype="float64").reshape(len(images), -1)
    codes = (flat - mean) @ components[:k].T
    return (codes @ components[:k] + mean).reshape(images.shape)


def reconstruct_flat(images, mean, components, k):
    return reconstruct(images, mean, components, k).reshape(len(images), -1)


def no_mean_back(images, mean, components, k):
    flat = images.reshape(len(images), -1)
    return ((flat - mean) @ components[:k].T @ components[:k]).reshape(images.shape)


def not_centred_projection(images, mean, components, k):
    flat = images.reshape(len(images), -1)
    return (flat @ components[:k].T @ components[:k] + mean).reshape(images.shape)


def every_component(images, mean, components, k):
    return reconstruct(images, mean, components, len(components))


def codes_only(images, mean, components, k):
    return (images.reshape(len(images), -1) - mean) @ components[:k].T


def library_reconstruction(images, mean, components, k):
    fitted = pca_lib.PCA(mean, components, np.ones(len(components)), 1.0, images.shape[1:])
    return fitted.reconstruct(images, int(k))


def test_correct_reconstruction_passes():
    result = checks.pca_reconstruction(reconstruct, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (reconstruct_flat, "reshape the result"),
    (no_mean_back, "add the mean image back"),
    (not_centred_projection, "without subtracting the mean"),
    (every_component, "use only the first k"),
    (codes_only, "that is the code z"),
    (library_reconstruction, "vae_lib.pca.PCA.reconstruct"),
])
def test_reconstruction_mistakes_get_their_diagnosis(fn, words):
    result = checks.pca_reconstruction(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message
