import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from vae_lib import pca


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(5, 36))
    return (rng.normal(size=(200, 5)) * [5, 4, 3, 2, 1]) @ basis + 0.1 * rng.normal(size=(200, 36))


def test_matches_scikit_learn(images):
    ours = pca.fit_pca(images.reshape(200, 6, 6), num_components=5)
    reference = SklearnPCA(n_components=5).fit(images)
    np.testing.assert_allclose(ours.explained_variance, reference.explained_variance_, rtol=1e-8)
    # Same directions up to sign.
    overlap = np.abs(np.sum(ours.components * reference.components_, axis=1))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-8)
    np.testing.assert_allclose(np.abs(ours.project(images.reshape(200, 6, 6))),
                               np.abs(reference.transform(images)), atol=1e-8)


def test_fewer_images_than_pixels_takes_the_svd_route_and_matches_scikit_learn(images):
    few = images[:20]  # 20 images of 36 pixels: the scatter matrix would be singular
    ours = pca.fit_pca(few, num_components=10)
    reference = SklearnPCA(n_components=10, svd_solver="full").fit(few)
    np.testing.assert_allclose(ours.explained_variance, reference.explained_variance_, rtol=1e-8)
    overlap = np.abs(np.sum(ours.components * reference.components_, axis=1))
    np.testing.assert_allclose(overlap[:5], 1.0, atol=1e-8)  # the well-separated directions


def test_both_routes_agree_where_they_meet(images):
    square = images[:36]  # N = D: the scatter-matrix route
    by_scatter = pca.fit_pca(square, num_components=5)
    centred = square - square.mean(axis=0)
    _, singular_values, rows = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(by_scatter.explained_variance, singular_values[:5] ** 2 / 35,
                               rtol=1e-8)
    overlap = np.abs(np.sum(by_scatter.components * rows[:5], axis=1))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-7)


def test_error_falls_with_components_and_vanishes_with_all(images):
    model = pca.fit_pca(images)
    errors = [pca.reconstruction_error(model, images, k) for k in range(0, 37, 4)]
    assert all(a >= b for a, b in zip(errors, errors[1:]))
    assert pca.reconstruction_error(model, images, 36) < 1e-20
    # Error with k components equals the variance left out (times (N-1)/N).
    left_out = model.explained_variance[5:].sum() * (len(images) - 1) / len(images)
    assert pca.reconstruction_error(model, images, 5) == pytest.approx(left_out, rel=1e-8)


def test_eigen_images_and_bad_arguments(images):
    model = pca.fit_pca(images.reshape(200, 6, 6, 1), num_components=3)
    assert model.eigen_images().shape == (3, 6, 6, 1)
    with pytest.raises(ValueError, match="num_components=4"):
        model.reconstruct(images.reshape(200, 6, 6, 1), 4)
    with pytest.raises(ValueError, match="num_components=0"):
        pca.fit_pca(images, num_components=0)
    with pytest.raises(ValueError, match="36 pixels.*expected 9"):
        pca.fit_pca(images[:, :9]).project(images)
