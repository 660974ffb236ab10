"""The chapter-3 checkers (quadrature and importance sampling of log p(x)) pass correct answers
and name the usual mistakes."""

import math

import numpy as np
import pytest
from scipy import special

from vae_lib import checks, distributions


def log_normal(x, mean, log_var):
    return -0.5 * (np.log(2 * np.pi) + log_var + (x - mean) ** 2 * np.exp(-log_var))


# --- quadrature ----------------------------------------------------------------------------------

def my_log_marginal(x, fz, noise_std, z_grid):
    log_lik = log_normal(x[:, None, :], fz[None], 2 * np.log(noise_std)).sum(-1)  # (N, M)
    log_joint = log_lik + log_normal(z_grid, 0.0, 0.0)
    return special.logsumexp(log_joint, axis=1) + np.log(z_grid[1] - z_grid[0])


def my_log_marginal_library_density(x, fz, noise_std, z_grid):
    log_var = np.full(fz.shape, 2 * np.log(noise_std), dtype="float64")
    log_lik = np.stack([np.asarray(distributions.log_normal(point, fz, log_var), "float64")
                        .sum(-1) for point in x])
    log_joint = log_lik + log_normal(z_grid, 0.0, 0.0)
    return special.logsumexp(log_joint, axis=1) + np.log(z_grid[1] - z_grid[0])


def without_spacing(x, fz, noise_std, z_grid):
    return my_log_marginal(x, fz, noise_std, z_grid) - np.log(z_grid[1] - z_grid[0])


def mean_over_grid(x, fz, noise_std, z_grid):
    return without_spacing(x, fz, noise_std, z_grid) - np.log(len(z_grid))


def without_prior(x, fz, noise_std, z_grid):
    log_lik = log_normal(x[:, None, :], fz[None], 2 * np.log(noise_std)).sum(-1)
    return special.logsumexp(log_lik, axis=1) + np.log(z_grid[1] - z_grid[0])


def std_as_variance(x, fz, noise_std, z_grid):
    log_lik = log_normal(x[:, None, :], fz[None], np.log(noise_std)).sum(-1)
    log_joint = log_lik + log_normal(z_grid, 0.0, 0.0)
    return special.logsumexp(log_joint, axis=1) + np.log(z_grid[1] - z_grid[0])


def in_linear_space(x, fz, noise_std, z_grid):
    log_lik = log_normal(x[:, None, :], fz[None], 2 * np.log(noise_std)).sum(-1)
    density = np.exp(log_lik + log_normal(z_grid, 0.0, 0.0))
    return np.log(density.sum(axis=1) * (z_grid[1] - z_grid[0]))


def returns_density(x, fz, noise_std, z_grid):
    return np.exp(my_log_marginal(x, fz, noise_std, z_grid))


def returns_table(x, fz, noise_std, z_grid):
    return log_normal(x[:, None, :], fz[None], 2 * np.log(noise_std)).sum(-1)


def test_correct_quadrature_passes():
    for fn in (my_log_marginal, my_log_marginal_library_density):
        result = checks.log_marginal_quadrature(fn, verbose=False)
        assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (without_spacing, "forgot the grid spacing"),
    (mean_over_grid, "averaged over the grid"),
    (without_prior, "left out the prior"),
    (std_as_variance, "noise_std as the variance"),
    (in_linear_space, "underflows"),
    (returns_density, "you returned p(x)"),
    (returns_table, "log-sum-exp over the codes"),
])
def test_quadrature_mistakes_get_their_diagnosis(fn, words):
    result = checks.log_marginal_quadrature(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


# --- importance sampling -------------------------------------------------------------------------

def my_importance_log_px(log_likelihood, z, z_mean, z_log_var):
    log_w = (log_likelihood + log_normal(z, 0.0, 0.0).sum(axis=1)
             - log_normal(z, z_mean, z_log_var).sum(axis=1))
    return special.logsumexp(log_w) - np.log(len(log_w))


def by_hand_log_mean_exp(log_likelihood, z, z_mean, z_log_var):
    log_w = (log_likelihood + log_normal(z, 0.0, 0.0).sum(axis=1)
             - log_normal(z, z_mean, z_log_var).sum(axis=1))
    top = log_w.max()
    return top + math.log(np.mean(np.exp(log_w - top)))


def mean_of_log_weights(log_likelihood, z, z_mean, z_log_var):
    log_w = (log_likelihood + log_normal(z, 0.0, 0.0).sum(axis=1)
             - log_normal(z, z_mean, z_log_var).sum(axis=1))
    return np.mean(log_w)


def no_proposal(log_likelihood, z, z_mean, z_log_var):
    log_w = log_likelihood + log_normal(z, 0.0, 0.0).sum(axis=1)
    return special.logsumexp(log_w) - np.log(len(log_w))


def naive_weights(log_likelihood, z, z_mean, z_log_var):
    return special.logsumexp(log_likelihood) - np.log(len(log_likelihood))


def no_prior(log_likelihood, z, z_mean, z_log_var):
    log_w = log_likelihood - log_normal(z, z_mean, z_log_var).sum(axis=1)
    return special.logsumexp(log_w) - np.log(len(log_w))


def log_of_sum(log_likelihood, z, z_mean, z_log_var):
    return my_importance_log_px(log_likelihood, z, z_mean, z_log_var) + np.log(len(z))


def std_as_q_variance(log_likelihood, z, z_mean, z_log_var):
    return my_importance_log_px(log_likelihood, z, z_mean, z_log_var / 2)


def exp_then_log(log_likelihood, z, z_mean, z_log_var):
    log_w = (log_likelihood + log_normal(z, 0.0, 0.0).sum(axis=1)
             - log_normal(z, z_mean, z_log_var).sum(axis=1))
    with np.errstate(divide="ignore"):
        return np.log(np.mean(np.exp(log_w)))


def no_sum_over_dims(log_likelihood, z, z_mean, z_log_var):
    return log_likelihood[:, None] + log_normal(z, 0.0, 0.0) - log_normal(z, z_mean, z_log_var)


def test_correct_importance_sampling_passes():
    for fn in (my_importance_log_px, by_hand_log_mean_exp):
        result = checks.importance_log_px(fn, verbose=False)
        assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (mean_of_log_weights, "averaged the log-weights"),
    (no_proposal, "forgot to divide by q"),
    (naive_weights, "naive estimator"),
    (no_prior, "forgot the prior"),
    (log_of_sum, "subtract log K"),
    (std_as_q_variance, "exp(z_log_var / 2) as q's variance"),
    (exp_then_log, "underflow"),
    (no_sum_over_dims, "sum the log-densities over the latent dimensions"),
])
def test_importance_mistakes_get_their_diagnosis(fn, words):
    result = checks.importance_log_px(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message
