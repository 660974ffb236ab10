"""Chapter 9's checkers pass correct functions and name the mistake in known-wrong ones."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from vae_lib import analysis, checks

# --- auroc -----------------------------------------------------------------------------------


def auroc_by_ranks(inlier_scores, outlier_scores):
    n0, n1 = len(inlier_scores), len(outlier_scores)
    ranks = stats.rankdata(np.concatenate([inlier_scores, outlier_scores]))  # average ranks
    return (ranks[n0:].sum() - n1 * (n1 + 1) / 2) / (n0 * n1)


def auroc_by_pairs(inlier_scores, outlier_scores):
    inliers, outliers = inlier_scores[:, None], outlier_scores[None, :]
    return np.mean((outliers > inliers) + 0.5 * (outliers == inliers))


def auroc_ordinal_ranks(inlier_scores, outlier_scores):
    n0, n1 = len(inlier_scores), len(outlier_scores)
    order = np.argsort(np.concatenate([inlier_scores, outlier_scores]), kind="stable")
    ranks = np.empty(n0 + n1)
    ranks[order] = np.arange(1, n0 + n1 + 1)  # ties broken by position
    return (ranks[n0:].sum() - n1 * (n1 + 1) / 2) / (n0 * n1)


@pytest.mark.parametrize("fn", [auroc_by_ranks, auroc_by_pairs])
def test_auroc_passes_correct_functions(fn):
    result = checks.auroc(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda i, o: np.mean(o[None, :] > i[:, None]), "ties count as losses"),
    (lambda i, o: np.mean(o[None, :] >= i[:, None]), "ties count as wins"),
    (lambda i, o: auroc_by_ranks(o, i), "1 - AUROC"),
    (auroc_ordinal_ranks, "average rank"),
    (lambda i, o: stats.rankdata(np.concatenate([i, o]))[len(i):].sum() / (len(i) * len(o)),
     "subtract n1 (n1 + 1) / 2"),
    (lambda i, o: np.concatenate([i, o]), "one number for the whole data set"),
    (lambda i, o: None, "returned None"),
    (lambda i, o: 1 / 0, "ZeroDivisionError"),
])
def test_auroc_names_known_mistakes(fn, words):
    result = checks.auroc(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


@pytest.mark.parametrize("fn", [
    analysis.auroc,
    lambda i, o: roc_auc_score(np.r_[np.zeros(len(i)), np.ones(len(o))], np.r_[i, o]),
    lambda i, o: stats.mannwhitneyu(o, i).statistic / (len(i) * len(o)),
])
def test_auroc_refuses_the_library(fn):
    result = checks.auroc(fn, verbose=False)
    assert not result.passed and "this exercise asks you to write" in result.message, \
        result.message


# --- ood_score -------------------------------------------------------------------------------


def good_ood_score(log_px, code_length_bits):
    return -log_px - code_length_bits * math.log(2)


def test_ood_score_passes_a_correct_function():
    result = checks.ood_score(good_ood_score, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda lp, bits: -lp - bits, "multiply the bits by ln 2"),
    (lambda lp, bits: -lp - bits / math.log(2), "so multiply"),
    (lambda lp, bits: lp - bits * math.log(2), "needs -log p(x)"),
    (lambda lp, bits: lp + bits * math.log(2), "wrong sign"),
    (lambda lp, bits: -lp, "forgot to subtract"),
    (lambda lp, bits: -lp + bits * math.log(2), "you added the code length"),
    (lambda lp, bits: np.mean(good_ood_score(lp, bits)), "one score per image"),
    (lambda lp, bits: good_ood_score(lp, bits) + 1.0, "expected"),
])
def test_ood_score_names_known_mistakes(fn, words):
    result = checks.ood_score(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_ood_score_refuses_the_library():
    result = checks.ood_score(lambda lp, bits: analysis.ood_score(-lp, bits * math.log(2)),
                              verbose=False)
    assert not result.passed and "vae_lib.analysis.ood_score" in result.message


# --- precision_at_k --------------------------------------------------------------------------


def good_precision(queries, query_labels, database, database_labels, k):
    distances = np.linalg.norm(queries[:, None, :] - database[None, :, :], axis=-1)
    nearest = np.argsort(distances, axis=1)[:, :k]
    return np.mean(database_labels[nearest] == query_labels[:, None], axis=1)


def sklearn_precision(queries, query_labels, database, database_labels, k):
    index = NearestNeighbors(n_neighbors=k).fit(database)
    nearest = index.kneighbors(queries, return_distance=False)
    return (database_labels[nearest] == query_labels[:, None]).mean(axis=1)


def ranked_matches(queries, query_labels, database, database_labels, metric=2):
    distances = np.linalg.norm(queries[:, None, :] - database[None, :, :], ord=metric, axis=-1)
    return database_labels[np.argsort(distances, axis=1)] == query_labels[:, None]


@pytest.mark.parametrize("fn", [good_precision, sklearn_precision])
def test_precision_at_k_passes_correct_functions(fn):
    result = checks.precision_at_k(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl)[:, :k].sum(1), "divide by k"),
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl)[:, ::-1][:, :k].mean(1), "FARTHEST"),
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl, metric=1)[:, :k].mean(1), "(L1)"),
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl)[:, 1:k + 1].mean(1),
     "skipped the nearest"),
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl)[:, :k + 1].mean(1), "k + 1"),
    (lambda q, ql, d, dl, k: good_precision(q, ql, d, dl, k).mean(), "one precision per query"),
    (lambda q, ql, d, dl, k: ranked_matches(q, ql, d, dl)[:, :k], "share of matching labels"),
])
def test_precision_at_k_names_known_mistakes(fn, words):
    result = checks.precision_at_k(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_precision_at_k_refuses_the_library():
    result = checks.precision_at_k(analysis.precision_at_k, verbose=False)
    assert not result.passed and "write your own" in result.message
