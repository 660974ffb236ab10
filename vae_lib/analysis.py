"""Image analysis with a trained VAE: anomaly scores, AUROC, a complexity-corrected
out-of-distribution score, few-label classification and similarity search.

Conventions, for every score here: one number per image, and a **higher score means more
unusual** (more likely an anomaly or out of distribution). Log-likelihoods therefore enter
as negative log-likelihoods, in nats per image. The AUROC is the probability that a randomly
chosen unusual image scores higher than a randomly chosen usual one (ties count one half):
1 is a perfect detector, 0.5 is chance, and below 0.5 the score points the wrong way.

The metrics come from scikit-learn (``roc_auc_score``, ``roc_curve``, ``PCA``,
``GaussianMixture``, ``NearestNeighbors``, ``LogisticRegression``,
``KNeighborsClassifier``); this module adds the checks, the conventions and the scores.

Introduced in chapter 9.
"""

import bz2
import functools
import io
import lzma
import math
import numbers
import zlib

import numpy as np

from vae_lib import evaluation, models

COMPRESSORS = ("png", "zlib", "bz2", "lzma")
CLASSIFIERS = ("logistic", "knn")
# Threads of scikit-learn's BLAS and OpenMP here. OpenBLAS threads spin while they wait: on the
# book's busy 2-core machine (other work on the cores), 2 threads made chapter 9's PCA fits 3
# times and a logistic regression on pixels 20 times slower than 1 thread. An idle machine
# may gain a little from more threads: raise this number there.
BLAS_THREADS = 1


def _blas_limited(function):
    """Run ``function`` with at most ``BLAS_THREADS`` BLAS/OpenMP threads (threadpoolctl)."""
    @functools.wraps(function)
    def limited(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=BLAS_THREADS):
            return function(*args, **kwargs)

    return limited


# --- checking inputs ------------------------------------------------------------------------

def _scores(values, name):
    """A 1-D float64 array of finite scores, or a clear error naming ``name``."""
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(f"{name} is not an array of numbers (got {type(values).__name__}); "
                        "expected a 1-D array of scores, one per image") from None
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; expected a 1-D array of scores, "
                         "one per image")
    if array.size == 0:
        raise ValueError(f"{name} is empty; expected at least one score")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or infinite score(s) (the first "
                         f"at index {int(np.argmax(bad))}); expected finite numbers")
    return array


def _features(values, name):
    """A 2-D float64 array (N, D) of finite features."""
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(f"{name} is not an array of numbers (got {type(values).__name__}); "
                        "expected an (N, D) array") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} has shape {array.shape}; expected (N, D) features, one row "
                         "per image (flatten images first)")
    if len(array) == 0:
        raise ValueError(f"{name} is empty; expected at least one row")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _labels(values, name, length, length_name):
    array = np.asarray(values)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} has shape {array.shape} and dtype {array.dtype}; expected a "
                         "1-D array of integer class labels")
    if len(array) != length:
        raise ValueError(f"{name} has {len(array)} labels but {length_name} has {length} rows; "
                         "expected one label per row")
    return array


def _same_length(first, first_name, second, second_name):
    if len(first) != len(second):
        raise ValueError(f"{first_name} has {len(first)} values and {second_name} has "
                         f"{len(second)}; expected one of each per image")


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}={value!r}; expected a positive integer")
    return int(value)


# --- AUROC and ROC curves ---------------------------------------------------------------------

def _pooled(inlier_scores, outlier_scores):
    inliers = _scores(inlier_scores, "inlier_scores")
    outliers = _scores(outlier_scores, "outlier_scores")
    scores = np.concatenate([inliers, outliers])
    is_outlier = np.concatenate([np.zeros(len(inliers)), np.ones(len(outliers))])
    return scores, is_outlier


def auroc(inlier_scores, outlier_scores):
    """Area under the ROC curve of a score that should be higher for the outliers.

    Equal to P(score of a random outlier > score of a random inlier), ties counting one half
    (the Mann-Whitney U statistic divided by the number of pairs). Computed by scikit-learn's
    ``roc_auc_score``.

    Args:
        inlier_scores: (N0,) scores of the usual images (the held-in classes, the training
            data set).
        outlier_scores: (N1,) scores of the unusual images.

    Returns:
        float in [0, 1]: 1 separates perfectly, 0.5 is chance, below 0.5 points the wrong way.

    Raises:
        ValueError: an empty array, NaN or infinite scores, or arrays that are not 1-D.

    Introduced in chapter 9.
    """
    from sklearn.metrics import roc_auc_score

    scores, is_outlier = _pooled(inlier_scores, outlier_scores)
    return float(roc_auc_score(is_outlier, scores))


def roc_curve(inlier_scores, outlier_scores):
    """The ROC curve of a score that should be higher for the outliers (scikit-learn).

    Args:
        inlier_scores: (N0,) scores of the usual images.
        outlier_scores: (N1,) scores of the unusual images.

    Returns:
        ``(false_positive_rate, true_positive_rate)``, two arrays from (0, 0) to (1, 1): for
        every threshold, the share of inliers and of outliers scoring at or above it.

    Introduced in chapter 9.
    """
    from sklearn.metrics import roc_curve as sklearn_roc_curve

    scores, is_outlier = _pooled(inlier_scores, outlier_scores)
    false_positive_rate, true_positive_rate, _ = sklearn_roc_curve(is_outlier, scores)
    return false_positive_rate, true_positive_rate


# --- scores from a trained model -------------------------------------------------------------

def negative_elbo(model, images, seed=0):
    """-ELBO of every image (one posterior sample), in nats per image: an upper bound on
    -log p(x).

    Args:
        model: a trained ``models.VAE``.
        images: (N, H, W, C) images in [0, 1] (binary for a Bernoulli likelihood).
        seed: seed of the posterior samples.

    Returns:
        np.ndarray (N,).

    Introduced in chapter 9 (the ELBO itself in chapter 6).
    """
    return -evaluation.elbo_per_image(model, images, seed=seed)["elbo"].astype("float64")


def negative_log_likelihood(model, images, num_samples=100, seed=0):
    """Importance-weighted estimate of -log p(x) for every image, in nats per image.

    ``-evaluation.log_likelihood`` (Burda et al. 2015): an upper bound on -log p(x) that
    tightens as ``num_samples`` grows.

    Args:
        model: a trained ``models.VAE``.
        images: (N, H, W, C) images in [0, 1].
        num_samples: K, importance samples per image.
        seed: seed of the samples.

    Returns:
        np.ndarray (N,).

    Introduced in chapter 9 (the estimator in chapter 7).
    """
    return -evaluation.log_likelihood(model, images, num_samples=num_samples, seed=seed)


def reconstruction_error(model, images, batch_size=1024):
    """Squared error between each image and its reconstruction, summed over pixels.

    The reconstruction is ``model.reconstruct``: the decoded posterior mean for a VAE, the
    decoded code for an autoencoder (pixel means in [0, 1]).

    Args:
        model: a trained ``models.VAE`` or ``models.Autoencoder``.
        images: (N, H, W, C) images in [0, 1].
        batch_size: images per call.

    Returns:
        np.ndarray (N,), in squared pixel units.

    Introduced in chapter 9.
    """
    if not isinstance(model, (models.VAE, models.Autoencoder)):
        raise TypeError(f"model is a {type(model).__name__}; expected a vae_lib VAE or "
                        "Autoencoder")
    images = model.check_images(images)
    rebuilt = model.reconstruct(images, batch_size=batch_size)
    return np.sum((images.astype("float64") - rebuilt) ** 2, axis=(1, 2, 3))


@_blas_limited
def fit_pca(images, num_components, seed=0):
    """Fit scikit-learn's PCA (randomized SVD, seeded) to flattened images.

    The randomized solver finds the few top components this chapter needs in seconds even
    for 60,000 images (``vae_lib.pca``, chapter 1, computes every component exactly, which
    costs much more); ``tests/test_analysis.py`` checks the reconstruction errors against
    NumPy's SVD.

    Args:
        images: (N, H, W, C) images.
        num_components: how many principal directions to keep.
        seed: seed of the randomized solver.

    Returns:
        a fitted ``sklearn.decomposition.PCA``: ``.transform(flat)`` gives (N, k) codes.

    Introduced in chapter 9 (PCA itself in chapter 1).
    """
    from sklearn.decomposition import PCA

    flat = _features(np.reshape(images, (len(images), -1)), "images")
    num_components = _positive_int(num_components, "num_components")
    if num_components > min(flat.shape):
        raise ValueError(f"num_components={num_components}; expected at most "
                         f"{min(flat.shape)} for {len(flat)} images of {flat.shape[1]} pixels")
    return PCA(num_components, svd_solver="randomized", random_state=seed).fit(flat)


@_blas_limited
def pca_reconstruction_error(pca, images):
    """Squared error between each image and its PCA reconstruction, summed over pixels.

    Args:
        pca: a fitted PCA from :func:`fit_pca`.
        images: (N, H, W, C) images.

    Returns:
        np.ndarray (N,), in squared pixel units.

    Introduced in chapter 9.
    """
    flat = _features(np.reshape(images, (len(images), -1)), "images")
    if flat.shape[1] != pca.n_features_in_:
        raise ValueError(f"images have {flat.shape[1]} pixels each; the PCA was fitted to "
                         f"{pca.n_features_in_}")
    rebuilt = pca.inverse_transform(pca.transform(flat))
    return np.sum((flat - rebuilt) ** 2, axis=1)


@_blas_limited
def latent_density_score(train_codes, codes, num_components=10, seed=0):
    """-log density of each code under a Gaussian mixture fitted to the training codes.

    A score that asks "is this code where the training images' codes are?" (the aggregate
    posterior), rather than "is this image well explained?". Fitted with scikit-learn's
    ``GaussianMixture`` (full covariances).

    Args:
        train_codes: (M, latent_dim) codes of the training images (posterior means).
        codes: (N, latent_dim) codes to score.
        num_components: mixture components.
        seed: seed of the mixture's initialization.

    Returns:
        np.ndarray (N,): -log density in nats (of a density in latent space, so it can be
        negative and is not comparable with -log p(x)).

    Introduced in chapter 9.
    """
    from sklearn.mixture import GaussianMixture

    train_codes = _features(train_codes, "train_codes")
    codes = _features(codes, "codes")
    num_components = _positive_int(num_components, "num_components")
    if codes.shape[1] != train_codes.shape[1]:
        raise ValueError(f"codes have {codes.shape[1]} dimensions; train_codes have "
                         f"{train_codes.shape[1]}")
    if num_components > len(train_codes):
        raise ValueError(f"num_components={num_components} for {len(train_codes)} training "
                         "codes; expected at most one component per code")
    mixture = GaussianMixture(num_components, covariance_type="full", random_state=seed)
    return -mixture.fit(train_codes).score_samples(codes)


# --- complexity and the corrected out-of-distribution score ------------------------------------

def _binary(images):
    array = np.asarray(images)
    if array.ndim != 4:
        raise ValueError(f"images has shape {array.shape}; expected (N, H, W, C)")
    if len(array) == 0:
        raise ValueError("images is empty; expected at least one image")
    if not np.all((array == 0) | (array == 1)):
        raise ValueError("images has values other than 0 and 1; the code length is computed "
                         "on the same binary images the likelihood scores (binarize first, "
                         "e.g. with data.binarize_static)")
    return array.astype(bool)


def _compressed(image, compressor):
    """The bytes a lossless compressor writes for one binary (H, W, C) image."""
    if compressor == "png":
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(image[..., 0]).save(buffer, format="PNG", optimize=True)  # 1 bit/pixel
        return buffer.getvalue()
    packed = np.packbits(image[..., 0], axis=-1).tobytes()  # each row starts a new byte
    if compressor == "zlib":
        return zlib.compress(packed, 9)
    if compressor == "bz2":
        return bz2.compress(packed, 9)
    return lzma.compress(packed, format=lzma.FORMAT_RAW,
                         filters=[{"id": lzma.FILTER_LZMA2, "preset": 9,
                                   "dict_size": 4096}])  # the smallest: fast, enough for 98 bytes


def code_length(images, compressor="png"):
    """Length of each binary image after lossless compression, in nats.

    A generic compressor is a model of "any image" (it gives every file a probability
    2^-bits), so its code length measures an image's complexity (Serra et al. 2020). The
    fixed header of the format adds the same constant to every image.

    Args:
        images: (N, H, W, 1) binary images (0 and 1 only), the very images a likelihood scores.
        compressor: ``"png"`` (a 1-bit PNG, Pillow), ``"zlib"``, ``"bz2"`` or ``"lzma"``
            (rows packed 8 pixels per byte).

    Returns:
        np.ndarray (N,): 8 x bytes x ln 2 nats per image.

    Introduced in chapter 9.
    """
    if compressor not in COMPRESSORS:
        raise ValueError(f"compressor={compressor!r}; expected one of {COMPRESSORS}")
    images = _binary(images)
    if images.shape[-1] != 1:
        raise ValueError(f"images has {images.shape[-1]} channels; expected 1")
    lengths = [len(_compressed(image, compressor)) for image in images]
    return np.array(lengths, dtype="float64") * 8 * math.log(2)


def ood_score(negative_log_likelihoods, code_lengths):
    """The input-complexity corrected score S(x) = -log p(x) - L(x) (Serra et al. 2020).

    -log p(x) under the model minus the code length of a generic compressor, both in nats:
    the log-likelihood ratio log p_compressor(x) / p_model(x). An image that is simple for
    every model (a low L) no longer scores as typical just because it is simple.

    Args:
        negative_log_likelihoods: (N,) -log p(x) in nats per image (higher = less likely).
        code_lengths: (N,) code lengths in nats (:func:`code_length`) of the same images.

    Returns:
        np.ndarray (N,) in nats; higher means more out of distribution.

    Introduced in chapter 9.
    """
    nll = _scores(negative_log_likelihoods, "negative_log_likelihoods")
    lengths = _scores(code_lengths, "code_lengths")
    _same_length(nll, "negative_log_likelihoods", lengths, "code_lengths")
    return nll - lengths


# --- few labels and similarity search ----------------------------------------------------------

@_blas_limited
def precision_at_k(query_features, query_labels, database_features, database_labels, k=10):
    """Share of each query's k nearest database items (Euclidean) that have its label.

    Args:
        query_features: (N, D) features of the queries (e.g. test images' codes).
        query_labels: (N,) their class labels.
        database_features: (M, D) features of the searched images (e.g. training images).
        database_labels: (M,) their labels.
        k: neighbours per query, at most M.

    Returns:
        np.ndarray (N,) of precisions in [0, 1] (take the mean for the data set).

    Introduced in chapter 9.
    """
    from sklearn.neighbors import NearestNeighbors

    queries = _features(query_features, "query_features")
    database = _features(database_features, "database_features")
    query_labels = _labels(query_labels, "query_labels", len(queries), "query_features")
    database_labels = _labels(database_labels, "database_labels", len(database),
                              "database_features")
    if queries.shape[1] != database.shape[1]:
        raise ValueError(f"query_features have {queries.shape[1]} dimensions and "
                         f"database_features {database.shape[1]}; expected the same")
    k = _positive_int(k, "k")
    if k > len(database):
        raise ValueError(f"k={k} neighbours from a database of {len(database)}; expected k <= "
                         f"{len(database)}")
    index = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(database)
    neighbours = index.kneighbors(queries, return_distance=False)  # (N, k)
    return np.mean(database_labels[neighbours] == query_labels[:, None], axis=1)


@_blas_limited
def nearest_neighbours(query_features, database_features, k=10):
    """Indices of the k nearest database rows (Euclidean) of every query: (N, k), nearest
    first. Introduced in chapter 9 (for figures of neighbours)."""
    from sklearn.neighbors import NearestNeighbors

    queries = _features(query_features, "query_features")
    database = _features(database_features, "database_features")
    k = _positive_int(k, "k")
    if k > len(database):
        raise ValueError(f"k={k} neighbours from a database of {len(database)}")
    index = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(database)
    return index.kneighbors(queries, return_distance=False)


def labelled_subset(labels, labels_per_class, seed=0):
    """Indices of a random labelled subset: ``labels_per_class`` images of every class.

    Args:
        labels: (N,) integer labels of the training images.
        labels_per_class: images per class to label (None for all images).
        seed: seed of the draw.

    Returns:
        np.ndarray of indices into ``labels``, sorted.

    Introduced in chapter 9.
    """
    labels = np.asarray(labels)
    labels = _labels(labels, "labels", len(labels) if labels.ndim else 0, "labels")
    if labels_per_class is None:
        return np.arange(len(labels))
    labels_per_class = _positive_int(labels_per_class, "labels_per_class")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < labels_per_class:
            raise ValueError(f"labels_per_class={labels_per_class} but class {label} has only "
                             f"{len(members)} images")
        chosen.append(rng.choice(members, labels_per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def _classifier(name, labels_per_class):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    if name == "logistic":
        # tol 1e-3 instead of 1e-4: on 58,000 digits' pixels, 62 L-BFGS iterations instead of
        # 249 (4 times faster), test error 22.0% instead of 22.4% (measured for chapter 9).
        return LogisticRegression(max_iter=1000, tol=1e-3)
    # One label per class allows only one neighbour; otherwise the usual k = 5.
    return KNeighborsClassifier(n_neighbors=1 if labels_per_class == 1 else 5)


@_blas_limited
def few_label_errors(train_features, train_labels, test_features, test_labels,
                     labels_per_class, classifier="logistic", draws=5, seed=0):
    """Test error of a classifier trained on a few labelled images, over random draws.

    For each draw, ``labels_per_class`` training images of each class are chosen
    (:func:`labelled_subset` with seed ``seed + draw``: every feature type gets the very same
    images), the classifier is fitted on their features and labels, and the test error is
    measured. Logistic regression sees features standardized with the mean and standard
    deviation of ALL training features (no labels needed, so this is fair in the
    semi-supervised setting); k-nearest neighbours uses the features as they are, since its
    Euclidean distance is the similarity it is meant to test.

    Args:
        train_features: (N, D) features of the training images.
        train_labels: (N,) their labels.
        test_features: (M, D) features of the test images.
        test_labels: (M,) their labels.
        labels_per_class: labelled images per class, or None for all (then one draw).
        classifier: ``"logistic"`` (scikit-learn's LogisticRegression, tolerance 1e-3) or
            ``"knn"`` (KNeighborsClassifier, k = 1 with one label per class, else 5).
        draws: random draws of the labelled images.
        seed: seed of the first draw.

    Returns:
        np.ndarray (draws,) of test error rates in [0, 1] (length 1 for all labels).

    Introduced in chapter 9.
    """
    from sklearn.preprocessing import StandardScaler

    train = _features(train_features, "train_features")
    test = _features(test_features, "test_features")
    train_labels = _labels(train_labels, "train_labels", len(train), "train_features")
    test_labels = _labels(test_labels, "test_labels", len(test), "test_features")
    if train.shape[1] != test.shape[1]:
        raise ValueError(f"train_features have {train.shape[1]} dimensions and test_features "
                         f"{test.shape[1]}; expected the same")
    if classifier not in CLASSIFIERS:
        raise ValueError(f"classifier={classifier!r}; expected one of {CLASSIFIERS}")
    draws = 1 if labels_per_class is None else _positive_int(draws, "draws")
    if classifier == "logistic":
        scaler = StandardScaler().fit(train)
        train, test = scaler.transform(train), scaler.transform(test)
    errors = []
    for draw in range(draws):
        chosen = labelled_subset(train_labels, labels_per_class, seed=seed + draw)
        model = _classifier(classifier, labels_per_class)
        model.fit(train[chosen], train_labels[chosen])
        errors.append(float(np.mean(model.predict(test) != test_labels)))
    return np.array(errors)
