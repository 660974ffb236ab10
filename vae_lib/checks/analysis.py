"""Checkers for chapter 9's exercises: the AUROC by ranking, the complexity-corrected
out-of-distribution score, and precision at k.

Introduced in chapter 9.
"""

import math

import numpy as np
import scipy.stats
import sklearn.metrics

from vae_lib import analysis
from vae_lib.checks._core import _call, _check_shape, _compare, _Failure, _report, forbids

__all__ = ["auroc", "ood_score", "precision_at_k"]


# --- auroc -----------------------------------------------------------------------------------

def _pairs_auroc(inliers, outliers, tie):
    """P(outlier > inlier) + tie * P(equal): the reference with a chosen weight for ties."""
    inliers, outliers = inliers[:, None], outliers[None, :]
    return float(np.mean((outliers > inliers) + tie * (outliers == inliers)))


def _auroc_cases():
    rng = np.random.default_rng(9)
    return [
        ("(inliers [0, 1, 2], outliers [3, 4]: every outlier scores higher)",
         np.array([0.0, 1.0, 2.0]), np.array([3.0, 4.0])),
        ("(inliers [3, 4], outliers [0, 1, 2]: every outlier scores lower)",
         np.array([3.0, 4.0]), np.array([0.0, 1.0, 2.0])),
        ("(60 inliers and 40 outliers with continuous scores)",
         rng.normal(0, 1, 60), rng.normal(0.8, 1, 40)),
        ("(every score equal to 7)", np.full(5, 7.0), np.full(3, 7.0)),
        ("(integer scores with many ties, 50 inliers and 30 outliers)",
         rng.integers(0, 5, 50).astype(float), rng.integers(2, 8, 30).astype(float)),
        ("(one inlier and one outlier with the same score)", np.array([2.5]), np.array([2.5])),
        ("(1,000 inliers and 3 outliers)", rng.normal(0, 1, 1000), np.array([-1.0, 0.5, 2.0])),
    ]


def _run_auroc(fn):
    for where, inliers, outliers in _auroc_cases():
        expected = np.float64(analysis.auroc(inliers, outliers))
        got = _call(fn, (inliers, outliers), where)
        if got.size == 1:
            got = got.reshape(())
        _check_shape(got, (), where, {(len(inliers) + len(outliers),): ": return one number "
                                      "for the whole data set, not one per image"})
        if not 0 <= got <= 1 and np.isfinite(got):
            raise _Failure(f"you returned {float(got):.6g} {where}; an AUROC is a probability "
                           "in [0, 1]: subtract n1 (n1 + 1) / 2 from the outliers' rank sum and "
                           "divide by n0 x n1 (the number of pairs)")
        known_bugs = [
            (np.float64(1 - expected), "you returned 1 - AUROC: higher scores mean MORE unusual, "
                                       "so count the pairs where the outlier scores higher"),
        ]
        if np.any(inliers[:, None] == outliers[None, :]):
            known_bugs += [
                (np.float64(_pairs_auroc(inliers, outliers, 0.0)),
                 "ties count as losses in your AUROC: a tie between an inlier and an outlier "
                 "counts one half (give tied scores their average rank)"),
                (np.float64(_pairs_auroc(inliers, outliers, 1.0)),
                 "ties count as wins in your AUROC: a tie between an inlier and an outlier "
                 "counts one half (give tied scores their average rank)"),
            ]
        pooled = np.sort(np.concatenate([inliers, outliers]))
        tie_hint = (": tied scores must share their average rank"
                    if np.any(np.diff(pooled) == 0) else "")
        _compare(got, expected, where, lambda index: "the AUROC", known_bugs,
                 lambda index: tie_hint)


@forbids(analysis.auroc, analysis.roc_curve, sklearn.metrics.roc_auc_score,
         sklearn.metrics.roc_curve, scipy.stats.mannwhitneyu)
def auroc(fn, verbose=True):
    """Check a student's AUROC, computed from ranks, against scikit-learn's.

    Args:
        fn: the student's function ``fn(inlier_scores, outlier_scores)``, two 1-D arrays
            (higher score = more unusual); returns one number: the probability that a random
            outlier scores higher than a random inlier, ties counting one half.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 9.
    """
    return _report(fn, verbose, _run_auroc,
                   "auroc matches scikit-learn on 7 inputs, including ties, all-equal scores, "
                   "a single pair and very unequal group sizes.")


# --- ood_score -------------------------------------------------------------------------------

def _run_ood_score(fn):
    rng = np.random.default_rng(10)
    cases = [
        ("(5 images, log p(x) from -300 to -80 nats, code lengths in bits)",
         rng.uniform(-300, -80, 5), rng.uniform(600, 1400, 5)),
        ("(one image)", np.array([-120.0]), np.array([900.0])),
        ("(log p(x) = 0 and a code of 1 bit)", np.array([0.0, -50.0]), np.array([1.0, 0.0])),
    ]
    for where, log_px, bits in cases:
        nats = bits * math.log(2)
        expected = analysis.ood_score(-log_px, nats)
        got = _call(fn, (log_px, bits), where)
        _check_shape(got, log_px.shape, where, {(): ": return one score per image, not their "
                                                    "mean"})
        known_bugs = [
            (-log_px - bits, "you subtracted the code length in bits from a log-likelihood in "
                             "nats: multiply the bits by ln 2 first"),
            (-log_px - bits / math.log(2), "you divided the bits by ln 2; one bit is ln 2 = "
                                           "0.693 nats, so multiply"),
            (log_px - nats, "you used log p(x) where the score needs -log p(x): higher scores "
                            "must mean LESS likely under the model"),
            (-expected, "your score has the wrong sign: S(x) = -log p(x) - L(x) is higher for "
                        "images the model finds unusual"),
            (-log_px, "you forgot to subtract the code length L(x)"),
            (-log_px + nats, "you added the code length; subtract it: S(x) = -log p(x) - L(x)"),
        ]
        _compare(got, expected, where,
                 lambda index: f"log p(x)={log_px[index]:.4g} nats, L(x)={bits[index]:.4g} bits",
                 known_bugs)


@forbids(analysis.ood_score)
def ood_score(fn, verbose=True):
    """Check a student's complexity-corrected score S(x) = -log p(x) - L(x), in nats.

    Args:
        fn: the student's function ``fn(log_px, code_length_bits)``: (N,) log-likelihoods in
            nats per image and (N,) code lengths in bits of the same images; returns the (N,)
            scores in nats, higher = more out of distribution.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 9.
    """
    return _report(fn, verbose, _run_ood_score,
                   "ood_score gives -log p(x) - L(x) in nats on 3 inputs, including one image.")


# --- precision_at_k --------------------------------------------------------------------------

def _precision_cases():
    rng = np.random.default_rng(11)
    database, database_labels = rng.normal(size=(40, 3)), rng.integers(0, 4, 40)
    queries, query_labels = rng.normal(size=(6, 3)), rng.integers(0, 4, 6)
    return [
        ("(6 queries, 40 database items in 3 dimensions, k=5)",
         queries, query_labels, database, database_labels, 5),
        ("(k=1)", queries, query_labels, database, database_labels, 1),
        ("(one query, features of 1 dimension, k=3)", queries[:1, :1], query_labels[:1],
         database[:, :1], database_labels, 3),
        ("(k equal to the size of the database, 40)",
         queries, query_labels, database, database_labels, 40),
        ("(10 classes, 200 database items in 2 dimensions, k=10)",
         queries[:, :2] * 3, rng.integers(0, 10, 6), rng.normal(size=(200, 2)) * 3,
         rng.integers(0, 10, 200), 10),
    ]


def _ranked(queries, database, metric="euclidean"):
    from scipy.spatial.distance import cdist

    return np.argsort(cdist(queries, database, metric=metric), axis=1, kind="stable")


def _run_precision_at_k(fn):
    for where, queries, query_labels, database, database_labels, k in _precision_cases():
        expected = analysis.precision_at_k(queries, query_labels, database, database_labels, k)
        # k goes in as a plain int (``_call`` copies array arguments into NumPy arrays)
        got = _call(lambda *arrays, k=k: fn(*arrays, k),
                    (queries, query_labels, database, database_labels), where)
        _check_shape(got, (len(queries),), where, {
            (): ": return one precision per query (the notebook takes the mean)",
            (len(queries), k): ": return the share of matching labels per query, (N,), not the "
                               "matches themselves"})

        def share(order):
            return np.mean(database_labels[order] == query_labels[:, None], axis=1)

        ranked = _ranked(queries, database)
        known_bugs = [
            (expected * k, "you returned the number of matching neighbours; divide by k"),
            (share(ranked[:, ::-1][:, :k]), "you took the k FARTHEST items: sort the distances "
                                            "in increasing order"),
            (share(_ranked(queries, database, "cityblock")[:, :k]),
             "you used the city-block (L1) distance; use the Euclidean distance"),
        ]
        if k < len(database):
            known_bugs += [
                (share(ranked[:, 1:k + 1]), "you skipped the nearest item: the queries are not "
                                            "in the database, so keep the first neighbour"),
                (share(ranked[:, :k + 1]), "you took k + 1 neighbours; take exactly k"),
            ]
        _compare(got, expected, where, lambda index: f"query {index[0]}", known_bugs)


@forbids(analysis.precision_at_k, analysis.nearest_neighbours)
def precision_at_k(fn, verbose=True):
    """Check a student's precision at k of a nearest-neighbour search.

    Args:
        fn: the student's function ``fn(query_features, query_labels, database_features,
            database_labels, k)`` with features (N, D) and (M, D) and labels (N,) and (M,);
            returns (N,): for each query, the share of its k nearest database items
            (Euclidean distance) that have the query's label.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 9.
    """
    return _report(fn, verbose, _run_precision_at_k,
                   "precision_at_k matches vae_lib on 5 searches, including k=1, one query and "
                   "k equal to the database size.")
