"""vae_lib.analysis against independent references: known orderings, brute-force pair counts,
SciPy's Mann-Whitney U, a linear-Gaussian VAE whose log p(x) is exact, NumPy's SVD, SciPy's
multivariate normal, decompressing the codes, and scikit-learn called directly."""

import io
import math
import zlib

import numpy as np
import pytest
from scipy import stats

from vae_lib import analysis, likelihoods, models, networks

# --- AUROC ------------------------------------------------------------------------------------


def brute_force_auroc(inliers, outliers):
    """P(outlier > inlier) + P(tie) / 2 over all pairs."""
    inliers, outliers = np.asarray(inliers)[:, None], np.asarray(outliers)[None, :]
    return float(np.mean((outliers > inliers) + 0.5 * (outliers == inliers)))


def test_known_orderings_give_known_aurocs():
    assert analysis.auroc([0, 1, 2], [3, 4]) == 1.0
    assert analysis.auroc([3, 4], [0, 1, 2]) == 0.0
    assert analysis.auroc([1, 1, 1], [1, 1]) == 0.5
    # inliers 0, 2; outliers 1, 3: pairs (1>0), (1<2), (3>0), (3>2) -> 3 of 4
    assert analysis.auroc([0, 2], [1, 3]) == 0.75


def test_auroc_matches_pair_counts_and_mann_whitney_with_ties():
    rng = np.random.default_rng(0)
    inliers = rng.integers(0, 6, size=37).astype(float)   # many ties
    outliers = rng.integers(2, 9, size=23).astype(float)
    expected = brute_force_auroc(inliers, outliers)
    u = stats.mannwhitneyu(outliers, inliers, alternative="two-sided").statistic
    assert analysis.auroc(inliers, outliers) == pytest.approx(expected, abs=1e-12)
    assert analysis.auroc(inliers, outliers) == pytest.approx(u / (37 * 23), abs=1e-12)
    assert 0.5 < expected < 1.0  # the reference itself is not trivial


def test_roc_curve_runs_from_corner_to_corner_and_its_area_is_the_auroc():
    rng = np.random.default_rng(1)
    inliers, outliers = rng.normal(0, 1, 200), rng.normal(1, 1, 150)
    fpr, tpr = analysis.roc_curve(inliers, outliers)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    area = np.trapezoid(tpr, fpr) if hasattr(np, "trapezoid") else np.trapz(tpr, fpr)
    assert area == pytest.approx(analysis.auroc(inliers, outliers), abs=1e-12)
    # every point is (share of inliers, share of outliers) at or above some threshold
    thresholds = np.sort(np.concatenate([inliers, outliers]))[::-1]
    points = {(np.mean(inliers >= t), np.mean(outliers >= t)) for t in thresholds}
    assert all(any(np.isclose(f, a) and np.isclose(t, b) for a, b in points)
               for f, t in zip(fpr[1:], tpr[1:]))


@pytest.mark.parametrize("inliers, outliers, error, words", [
    ([], [1.0], ValueError, "inlier_scores is empty"),
    ([1.0], [], ValueError, "outlier_scores is empty"),
    ([1.0, np.nan], [2.0], ValueError, "NaN or infinite"),
    ([1.0], [np.inf], ValueError, "NaN or infinite"),
    ([[1.0, 2.0]], [1.0], ValueError, "expected a 1-D array"),
    (["a", "b"], [1.0], TypeError, "not an array of numbers"),
])
def test_auroc_names_bad_input(inliers, outliers, error, words):
    with pytest.raises(error, match=words):
        analysis.auroc(inliers, outliers)
    with pytest.raises(error, match=words):
        analysis.roc_curve(inliers, outliers)


# --- scores from models: a linear-Gaussian VAE with exact log p(x) ------------------------------

SHAPE = (2, 2, 1)
NOISE_VAR = 0.01
BIAS = np.full(4, 0.5)
W = np.array([[0.2, 0.0], [0.0, 0.1], [0.2, 0.0], [0.0, -0.1]])  # orthogonal columns


def exact_negative_log_likelihood(x):
    return -stats.multivariate_normal(BIAS, W @ W.T + NOISE_VAR * np.eye(4)).logpdf(
        x.reshape(len(x), -1))


def linear_vae():
    """Probabilistic PCA as a VAE whose q is the exact posterior (see test_evaluation.py)."""
    encoder = networks.dense_encoder(2, hidden_units=(), input_shape=SHAPE)
    decoder = networks.dense_decoder(2, hidden_units=(), output_shape=SHAPE)
    post_cov = np.linalg.inv(np.eye(2) + W.T @ W / NOISE_VAR)
    gain = (post_cov @ W.T / NOISE_VAR).T
    raw = 10.0 * np.arctanh(np.log(np.diag(post_cov)) / 10.0)  # undo BoundedLogVariance(10)
    encoder.get_layer("z_mean").set_weights([gain, -BIAS @ gain])
    encoder.get_layer("z_log_var_raw").set_weights([np.zeros((4, 2)), raw])
    decoder.layers[-2].set_weights([W.T, BIAS])
    return models.VAE(encoder, decoder,
                      likelihood=likelihoods.Gaussian(NOISE_VAR, mean_activation=None))


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((40, 2))
    x = z @ W.T + BIAS + np.sqrt(NOISE_VAR) * rng.standard_normal((40, 4))
    return np.clip(x, 0, 1).reshape((40,) + SHAPE).astype("float32")


def test_likelihood_scores_are_exact_for_the_exact_posterior(images):
    model = linear_vae()
    exact = exact_negative_log_likelihood(images)
    np.testing.assert_allclose(analysis.negative_log_likelihood(model, images, num_samples=5),
                               exact, atol=1e-3)
    elbos = np.mean([analysis.negative_elbo(model, images, seed=s) for s in range(100)], axis=0)
    assert elbos.shape == (40,)
    assert elbos.mean() == pytest.approx(exact.mean(), abs=0.03)


def test_reconstruction_error_is_the_squared_error_of_the_decoded_posterior_mean(images):
    model = linear_vae()
    z_mean, _ = model.encode(images)
    rebuilt = z_mean @ W.T + BIAS  # the linear decoder by hand
    expected = np.sum((images.reshape(40, -1) - rebuilt) ** 2, axis=1)
    np.testing.assert_allclose(analysis.reconstruction_error(model, images), expected,
                               rtol=1e-4, atol=1e-7)
    with pytest.raises(TypeError, match="expected a vae_lib VAE or Autoencoder"):
        analysis.reconstruction_error("model", images)


def test_autoencoder_reconstruction_error():
    encoder = networks.dense_encoder(3, hidden_units=(), variational=False, input_shape=SHAPE)
    decoder = networks.dense_decoder(3, hidden_units=(), output_shape=SHAPE)
    model = models.Autoencoder(encoder, decoder)
    x = np.random.default_rng(2).uniform(size=(5,) + SHAPE).astype("float32")
    rebuilt = 1 / (1 + np.exp(-np.asarray(decoder(encoder(x)))))  # Bernoulli means
    np.testing.assert_allclose(analysis.reconstruction_error(model, x),
                               np.sum((x - rebuilt) ** 2, axis=(1, 2, 3)), rtol=1e-5)


# --- PCA and the latent density -----------------------------------------------------------------

def test_pca_matches_numpy_svd_and_is_exact_inside_its_subspace():
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.normal(size=(16, 3)))[0]  # 3 directions in 16 "pixels"
    train = (rng.normal(size=(300, 3)) * [3, 2, 1]) @ basis.T + 0.01 * rng.normal(size=(300, 16))
    train = train.reshape(300, 4, 4, 1)
    pca = analysis.fit_pca(train, 3)
    flat = train.reshape(300, -1)
    centred = flat - flat.mean(0)
    top = np.linalg.svd(centred, full_matrices=False)[2][:3]
    expected = np.sum((centred - centred @ top.T @ top) ** 2, axis=1)
    np.testing.assert_allclose(analysis.pca_reconstruction_error(pca, train), expected,
                               rtol=1e-6, atol=1e-10)
    inside = (flat.mean(0) + rng.normal(size=(4, 3)) @ basis.T).reshape(4, 4, 4, 1)
    assert np.all(analysis.pca_reconstruction_error(pca, inside) < 1e-3)
    with pytest.raises(ValueError, match="9 pixels each"):
        analysis.pca_reconstruction_error(pca, np.zeros((2, 3, 3, 1)))
    with pytest.raises(ValueError, match="num_components=20"):
        analysis.fit_pca(train, 20)


def test_latent_density_with_one_component_is_the_fitted_gaussian():
    rng = np.random.default_rng(4)
    train = rng.multivariate_normal([1, -2], [[2.0, 0.6], [0.6, 0.5]], size=2000)
    codes = rng.normal(size=(7, 2))
    mean, cov = train.mean(0), np.cov(train.T, bias=True)  # the maximum-likelihood fit
    expected = -stats.multivariate_normal(mean, cov).logpdf(codes)
    np.testing.assert_allclose(analysis.latent_density_score(train, codes, num_components=1),
                               expected, rtol=1e-4)
    with pytest.raises(ValueError, match="dimensions"):
        analysis.latent_density_score(train, codes[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        analysis.latent_density_score(train, np.full((2, 2), np.nan))


# --- code lengths and the corrected score --------------------------------------------------------

def binary_images(count, probability, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((count, 28, 28, 1)) < probability).astype("float32")


@pytest.mark.parametrize("compressor", analysis.COMPRESSORS)
def test_code_lengths_grow_with_complexity(compressor):
    blank, sparse, noisy = (binary_images(3, p, seed=1) for p in (0.0, 0.05, 0.5))
    lengths = [analysis.code_length(x, compressor).mean() for x in (blank, sparse, noisy)]
    assert lengths[0] < lengths[1] < lengths[2]
    # fair coin flips cannot be compressed: at least 784 bits, whatever the compressor
    assert lengths[2] >= 784 * math.log(2)


def test_zlib_code_length_is_the_compressed_size_in_nats():
    x = binary_images(2, 0.2, seed=2)
    packed = np.packbits(x[0, ..., 0].astype(bool), axis=-1).tobytes()
    assert analysis.code_length(x, "zlib")[0] == pytest.approx(
        8 * len(zlib.compress(packed, 9)) * math.log(2))


def test_png_code_is_lossless():
    from PIL import Image

    x = binary_images(1, 0.3, seed=3)
    code = analysis._compressed(x[0].astype(bool), "png")
    decoded = np.asarray(Image.open(io.BytesIO(code)))
    np.testing.assert_array_equal(decoded, x[0, ..., 0].astype(bool))
    assert analysis.code_length(x, "png")[0] == pytest.approx(8 * len(code) * math.log(2))


def test_code_length_refuses_grey_images_and_unknown_compressors():
    with pytest.raises(ValueError, match="other than 0 and 1"):
        analysis.code_length(np.full((1, 28, 28, 1), 0.5))
    with pytest.raises(ValueError, match="compressor='gzip'"):
        analysis.code_length(binary_images(1, 0.1), "gzip")
    with pytest.raises(ValueError, match="empty"):
        analysis.code_length(np.zeros((0, 28, 28, 1)))


def test_ood_score_subtracts_the_code_length():
    np.testing.assert_allclose(analysis.ood_score([100.0, 250.0], [300.0, 400.0]),
                               [-200.0, -150.0])
    with pytest.raises(ValueError, match="2 values and code_lengths has 3"):
        analysis.ood_score([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="NaN"):
        analysis.ood_score([np.nan], [1.0])


def test_a_complexity_confound_is_removed_by_the_correction():
    """Simple outliers get a higher likelihood; subtracting the complexity fixes the ranking."""
    rng = np.random.default_rng(5)
    complexity = np.concatenate([rng.normal(300, 20, 500), rng.normal(150, 20, 500)])
    mismatch = np.concatenate([rng.normal(10, 3, 500), rng.normal(40, 3, 500)])
    nll = complexity + mismatch  # cross-entropy = entropy + KL, per image
    inliers, outliers = slice(0, 500), slice(500, 1000)
    assert analysis.auroc(nll[inliers], nll[outliers]) < 0.01
    score = analysis.ood_score(nll, complexity)
    assert analysis.auroc(score[inliers], score[outliers]) > 0.99


# --- precision at k, labelled subsets, few-label errors -----------------------------------------

def test_precision_at_k_matches_a_brute_force_search():
    rng = np.random.default_rng(6)
    database, database_labels = rng.normal(size=(60, 3)), rng.integers(0, 3, 60)
    queries, query_labels = rng.normal(size=(9, 3)), rng.integers(0, 3, 9)
    distances = np.linalg.norm(queries[:, None] - database[None], axis=-1)
    for k in (1, 4, 60):
        nearest = np.argsort(distances, axis=1)[:, :k]
        expected = np.mean(database_labels[nearest] == query_labels[:, None], axis=1)
        got = analysis.precision_at_k(queries, query_labels, database, database_labels, k)
        np.testing.assert_allclose(got, expected)
    np.testing.assert_array_equal(analysis.nearest_neighbours(queries, database, 4),
                                  np.argsort(distances, axis=1)[:, :4])
    with pytest.raises(ValueError, match="k=61"):
        analysis.precision_at_k(queries, query_labels, database, database_labels, 61)
    with pytest.raises(ValueError, match="8 labels but query_features has 9"):
        analysis.precision_at_k(queries, query_labels[:8], database, database_labels)
    with pytest.raises(ValueError, match="dimensions"):
        analysis.precision_at_k(queries[:, :2], query_labels, database, database_labels)


def test_labelled_subset_draws_the_same_number_of_every_class():
    labels = np.repeat(np.arange(4), [5, 6, 7, 8])
    chosen = analysis.labelled_subset(labels, 3, seed=1)
    assert np.array_equal(np.bincount(labels[chosen]), [3, 3, 3, 3])
    assert np.array_equal(chosen, analysis.labelled_subset(labels, 3, seed=1))
    assert not np.array_equal(chosen, analysis.labelled_subset(labels, 3, seed=2))
    assert len(analysis.labelled_subset(labels, None)) == len(labels)
    with pytest.raises(ValueError, match="class 0 has only 5"):
        analysis.labelled_subset(labels, 6)


def test_few_label_errors_match_scikit_learn_called_directly():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(7)
    centres = rng.normal(scale=3, size=(3, 5))
    train_labels, test_labels = rng.integers(0, 3, 300), rng.integers(0, 3, 100)
    train = centres[train_labels] + rng.normal(size=(300, 5))
    test = centres[test_labels] + rng.normal(size=(100, 5))
    errors = analysis.few_label_errors(train, train_labels, test, test_labels, 4, "knn",
                                       draws=3, seed=10)
    for draw, error in enumerate(errors):
        chosen = analysis.labelled_subset(train_labels, 4, seed=10 + draw)
        knn = KNeighborsClassifier(5).fit(train[chosen], train_labels[chosen])
        assert error == pytest.approx(np.mean(knn.predict(test) != test_labels))
    scaler = StandardScaler().fit(train)
    logistic = LogisticRegression(max_iter=1000, tol=1e-3).fit(scaler.transform(train),
                                                       train_labels)
    expected = np.mean(logistic.predict(scaler.transform(test)) != test_labels)
    everything = analysis.few_label_errors(train, train_labels, test, test_labels, None)
    assert everything.shape == (1,) and everything[0] == pytest.approx(expected)
    assert everything[0] < 0.2  # the classes are separable enough to learn


def test_few_label_errors_name_bad_input():
    features, labels = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="classifier='svm'"):
        analysis.few_label_errors(features, labels, features, labels, 1, "svm")
    with pytest.raises(ValueError, match="9 labels but train_features has 10"):
        analysis.few_label_errors(features, labels[:9], features, labels, 1)
    with pytest.raises(ValueError, match="integer class labels"):
        analysis.few_label_errors(features, labels * 1.0, features, labels, 1)
    with pytest.raises(ValueError, match="labels_per_class=0"):
        analysis.few_label_errors(features, labels, features, labels, 0)
