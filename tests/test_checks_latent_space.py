"""checks.slerp and checks.quantile_grid accept correct implementations (written
independently of vae_lib) and reject known-wrong ones with the right diagnosis."""

import numpy as np
import pytest
from scipy import stats

from vae_lib import checks, plots, widgets
from vae_lib.checks import latent_space

# --- slerp -----------------------------------------------------------------------------------


def numpy_slerp(z_start, z_end, t):
    t = np.asarray(t, dtype="float64").reshape(-1, 1)
    straight = (1 - t) * z_start + t * z_end
    lengths = np.linalg.norm(z_start), np.linalg.norm(z_end)
    if min(lengths) == 0:
        return straight
    u, v = z_start / lengths[0], z_end / lengths[1]
    omega = np.arccos(np.clip(u @ v, -1, 1))
    if np.isclose(np.sin(omega), 0):
        return straight
    direction = (np.sin((1 - t) * omega) * u + np.sin(t * omega) * v) / np.sin(omega)
    return ((1 - t) * lengths[0] + t * lengths[1]) * direction


def rotating_slerp(z_start, z_end, t):
    """Another correct path for opposite codes: turn through a fixed perpendicular direction."""
    t = np.asarray(t, dtype="float64").reshape(-1, 1)
    lengths = np.linalg.norm(z_start), np.linalg.norm(z_end)
    if min(lengths) == 0:
        return (1 - t) * z_start + t * z_end
    u, v = z_start / lengths[0], z_end / lengths[1]
    if u @ v < -1 + 1e-9:  # opposite: go round through an axis perpendicular to u
        axis = np.eye(len(u))[np.argmin(np.abs(u))]
        w = axis - (axis @ u) * u
        w /= np.linalg.norm(w)
        direction = np.cos(np.pi * t) * u + np.sin(np.pi * t) * w
        return ((1 - t) * lengths[0] + t * lengths[1]) * direction
    return numpy_slerp(z_start, z_end, t)


def test_slerp_passes_correct_implementations_and_the_library():
    for fn in (numpy_slerp, rotating_slerp):
        result = checks.slerp(fn, verbose=False)
        assert result.passed, result.message
    unwatched = checks.slerp.__wrapped__(
        lambda z_start, z_end, t: widgets.interpolate(z_start, z_end, t, "spherical"),
        verbose=False)
    assert unwatched.passed, unwatched.message


def test_the_checker_rule_is_the_library_rule():
    for _, z_start, z_end, t, _ in latent_space._slerp_cases():
        np.testing.assert_allclose(latent_space._slerp_reference(z_start, z_end, t),
                                   widgets.interpolate(z_start, z_end, t, "spherical"),
                                   rtol=1e-5, atol=1e-5)


def straight(z_start, z_end, t):
    t = np.asarray(t).reshape(-1, 1)
    return (1 - t) * z_start + t * z_end


def classical(z_start, z_end, t):
    t = np.asarray(t).reshape(-1, 1)
    omega = np.arccos(np.clip(z_start @ z_end / np.linalg.norm(z_start)
                              / np.linalg.norm(z_end), -1, 1))
    return (np.sin((1 - t) * omega) * z_start + np.sin(t * omega) * z_end) / np.sin(omega)


def guarded_classical(z_start, z_end, t):
    out = classical(z_start, z_end, t)
    return np.where(np.isfinite(out), out, straight(z_start, z_end, t))


def no_parallel_guard(z_start, z_end, t):
    if min(np.linalg.norm(z_start), np.linalg.norm(z_end)) == 0:
        return straight(z_start, z_end, t)
    t = np.asarray(t).reshape(-1, 1)
    u, v = z_start / np.linalg.norm(z_start), z_end / np.linalg.norm(z_end)
    omega = np.arccos(np.clip(u @ v, -1, 1))
    direction = (np.sin((1 - t) * omega) * u + np.sin(t * omega) * v) / np.sin(omega)
    return ((1 - t) * np.linalg.norm(z_start) + t * np.linalg.norm(z_end)) * direction


def no_zero_guard(z_start, z_end, t):
    with np.errstate(all="ignore"):
        u, v = z_start / np.linalg.norm(z_start), z_end / np.linalg.norm(z_end)
    if np.isclose(abs(np.nan_to_num(u) @ np.nan_to_num(v)), 1):
        return straight(z_start, z_end, t)
    t = np.asarray(t).reshape(-1, 1)
    omega = np.arccos(np.clip(u @ v, -1, 1))
    direction = (np.sin((1 - t) * omega) * u + np.sin(t * omega) * v) / np.sin(omega)
    return ((1 - t) * np.linalg.norm(z_start) + t * np.linalg.norm(z_end)) * direction


def swapped(z_start, z_end, t):
    return numpy_slerp(z_end, z_start, t)


def transposed(z_start, z_end, t):
    return numpy_slerp(z_start, z_end, t).T


def squeezed(z_start, z_end, t):
    return np.squeeze(numpy_slerp(z_start, z_end, t))


def unit_length(z_start, z_end, t):
    path = numpy_slerp(z_start, z_end, t)
    return path / np.maximum(np.linalg.norm(path, axis=1, keepdims=True), 1e-12)


def library(z_start, z_end, t):
    return widgets.interpolate(z_start, z_end, t, "spherical")


@pytest.mark.parametrize("fn, words", [
    (straight, "straight line"),
    (classical, "slerped the vectors themselves"),
    (guarded_classical, "slerped the vectors themselves"),
    (no_parallel_guard, "parallel codes"),
    (no_zero_guard, "zero vector has no direction"),
    (swapped, "the path runs from z_start"),
    (transposed, "not (latent_dim, T)"),
    (squeezed, "even for a single t"),
    (unit_length, "your path is not at z_start"),
    (library, "vae_lib.widgets.interpolate"),
])
def test_slerp_names_known_mistakes(fn, words):
    result = checks.slerp(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


# --- quantile_grid ---------------------------------------------------------------------------

def scipy_grid(num_points, low, high):
    return stats.norm.ppf(np.linspace(low, high, num_points))


def erfinv_grid(num_points, low, high):
    from scipy.special import erfinv

    return np.sqrt(2) * erfinv(2 * np.linspace(low, high, num_points) - 1)


def test_quantile_grid_passes_correct_implementations():
    for fn in (scipy_grid, erfinv_grid):
        result = checks.quantile_grid(fn, verbose=False)
        assert result.passed, result.message
    assert checks.quantile_grid.__wrapped__(plots.quantile_grid, verbose=False).passed


def even_in_z(num_points, low, high):
    return np.linspace(stats.norm.ppf(low), stats.norm.ppf(high), num_points)


def levels(num_points, low, high):
    return np.linspace(low, high, num_points)


def cdf(num_points, low, high):
    return stats.norm.cdf(np.linspace(low, high, num_points))


def decreasing(num_points, low, high):
    return scipy_grid(num_points, low, high)[::-1]


def open_ends(num_points, low, high):  # levels at cell centres: a different grid
    edges = np.linspace(low, high, num_points + 1)
    return stats.norm.ppf((edges[1:] + edges[:-1]) / 2)


def fixed_range(num_points, low, high):
    return np.linspace(-3, 3, num_points)


def library(num_points, low, high):
    return plots.quantile_grid(num_points, low, high)


def codes(num_points, low, high):
    grid = scipy_grid(num_points, low, high)
    return np.array([[a, b] for b in grid for a in grid]).reshape(num_points, num_points, 2)[..., 0]


@pytest.mark.parametrize("fn, words", [
    (even_in_z, "evenly spaced in z"),
    (levels, "probability levels themselves"),
    (cdf, "INVERSE"),
    (decreasing, "increasing order"),
    (open_ends, "expected level"),
    (fixed_range, "expected level"),
    (codes, "1-D grid"),
    (library, "vae_lib.plots.quantile_grid"),
])
def test_quantile_grid_names_known_mistakes(fn, words):
    result = checks.quantile_grid(fn, verbose=False)
    assert not result.passed
    assert words in result.message, result.message


def test_quantile_grid_cases_include_symmetric_and_asymmetric_levels():
    cases = latent_space._GRID_CASES
    assert any(abs(low + high - 1) < 1e-12 for _, low, high in cases)
    assert any(abs(low + high - 1) > 0.1 for _, low, high in cases)
    assert {1, 2} <= {num_points for num_points, _, _ in cases}
