"""Checkers for walking a latent space: spherical interpolation (slerp) and the Gaussian
quantile grid.

Introduced in chapter 8.
"""

import numpy as np
from scipy import stats

from vae_lib import plots, widgets
from vae_lib.checks._core import (
    _call,
    _check_shape,
    _compare,
    _Failure,
    _fmt,
    _report,
    forbids,
)

__all__ = ["slerp", "quantile_grid"]

_SLERP_ATOL = 1e-4


# --- slerp -----------------------------------------------------------------------------------

def _slerp_reference(z_start, z_end, t):
    """The book's spherical path: unit directions along the great circle, length linear.

    Written out here (rather than calling ``widgets.interpolate``) so the checker states its
    own rule; ``tests/test_checks_latent_space.py`` shows the two agree.
    """
    t = np.asarray(t, dtype="float64")[:, None]
    linear = (1 - t) * z_start + t * z_end
    length_start, length_end = np.linalg.norm(z_start), np.linalg.norm(z_end)
    if min(length_start, length_end) < 1e-12:
        return linear
    unit_start, unit_end = z_start / length_start, z_end / length_end
    angle = np.arccos(np.clip(unit_start @ unit_end, -1.0, 1.0))
    if np.sin(angle) < 1e-6:
        return linear
    direction = (np.sin((1 - t) * angle) * unit_start + np.sin(t * angle) * unit_end) \
        / np.sin(angle)
    return ((1 - t) * length_start + t * length_end) * direction


def _classical_slerp(z_start, z_end, t):
    """Slerp of the vectors themselves (right only for equal lengths)."""
    t = np.asarray(t, dtype="float64")[:, None]
    cos_angle = z_start @ z_end / (np.linalg.norm(z_start) * np.linalg.norm(z_end))
    angle = np.arccos(np.clip(cos_angle, -1.0, 1.0))
    return (np.sin((1 - t) * angle) * z_start + np.sin(t * angle) * z_end) / np.sin(angle)


def _slerp_cases():
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((2, 16))
    b_equal = b * np.linalg.norm(a) / np.linalg.norm(b)
    many_t = np.linspace(0.0, 1.0, 7)
    return [
        ("(two 16-D codes of equal length, t = 0, 1/6, ..., 1)", a, b_equal, many_t, "general"),
        ("(two 16-D codes of lengths " f"{np.linalg.norm(a):.2f} and {np.linalg.norm(2.5 * b):.2f}"
         ", t = 0, 1/6, ..., 1)", a, 2.5 * b, many_t, "general"),
        ("(2-D codes at a right angle, t = 0.25 and 0.5)", np.array([2.0, 0.0]),
         np.array([0.0, 1.0]), np.array([0.25, 0.5]), "general"),
        ("(a single t = 0.3, as an array of shape (1,))", a, 2.5 * b, np.array([0.3]),
         "general"),
        ("(parallel codes: z_end = 3 z_start)", a, 3.0 * a, np.array([0.0, 0.4, 1.0]),
         "parallel"),
        ("(antiparallel codes: z_end = -z_start)", a, -a, np.array([0.0, 0.3, 1.0]),
         "antiparallel"),
        ("(z_start is the zero vector)", np.zeros(16), b, np.array([0.0, 0.5, 1.0]), "zero"),
        ("(z_end is the zero vector)", a, np.zeros(16), np.array([0.0, 0.5, 1.0]), "zero"),
    ]


def _run_slerp(fn):
    for where, z_start, z_end, t, kind in _slerp_cases():
        got = _call(fn, (z_start, z_end, t), where)
        shape = (len(t), len(z_start))
        _check_shape(got, shape, where, {
            (len(z_start),): ": return one row per value of t, shape (T, latent_dim), even "
                             "for a single t",
            (len(z_start), len(t)): ": return shape (T, latent_dim) (one row per t), not "
                                    "(latent_dim, T)"})
        if not np.all(np.isfinite(got)):
            row = int(np.argmax(~np.all(np.isfinite(got), axis=1)))
            cause = {"parallel": ": for parallel codes the angle is 0 and sin(angle) = 0; "
                                 "there the path is the straight line",
                     "antiparallel": ": for opposite codes sin(angle) = 0; fall back to the "
                                     "straight line (or any finite path)",
                     "zero": ": a zero vector has no direction; fall back to the straight "
                             "line"}.get(kind, "")
            raise _Failure(f"your path contains {got[row][~np.isfinite(got[row])][0]} at "
                           f"t = {t[row]:g} {where}{cause}")
        for value, end, name in ((0.0, z_start, "z_start"), (1.0, z_end, "z_end")):
            rows = np.flatnonzero(t == value)
            if len(rows) and not np.allclose(got[rows[0]], end, rtol=1e-4, atol=_SLERP_ATOL):
                other = z_end if name == "z_start" else z_start
                if np.allclose(got[rows[0]], other, rtol=1e-4, atol=_SLERP_ATOL):
                    raise _Failure(f"at t = {value:g} you returned {'z_end' if name == 'z_start' else 'z_start'}"
                                   f", expected {name} {where}: the path runs from z_start "
                                   "(t = 0) to z_end (t = 1)")
                raise _Failure(f"at t = {value:g} your path is not at {name} {where}")
        if kind == "antiparallel":  # no unique great circle: any finite path between the ends
            continue
        expected = _slerp_reference(z_start, z_end, t)
        lengths = np.linalg.norm(got, axis=1)
        known_bugs = [((1 - t)[:, None] * z_start + t[:, None] * z_end,
                       "you returned the straight line (1 - t) z_start + t z_end; the "
                       "spherical path turns the direction along the great circle")]
        if kind == "general":
            known_bugs.append((_classical_slerp(z_start, z_end, t),
                               "you slerped the vectors themselves; for codes of different "
                               "lengths slerp the unit directions and scale them by the length "
                               "(1 - t) |z_start| + t |z_end|"))
            expected_lengths = np.linalg.norm(expected, axis=1)
            if not np.allclose(lengths, expected_lengths, rtol=1e-3, atol=_SLERP_ATOL):
                for value, message in known_bugs:
                    if np.allclose(got, value, rtol=1e-4, atol=_SLERP_ATOL):
                        raise _Failure(f"{message} {where}")
                row = int(np.argmax(~np.isclose(lengths, expected_lengths, rtol=1e-3)))
                raise _Failure(f"at t = {t[row]:g} your point has length {lengths[row]:.4g}, "
                               f"expected {expected_lengths[row]:.4g} {where}: the length "
                               "changes linearly from |z_start| to |z_end|")
        _compare(got, expected, where,
                 lambda index: f"t = {t[index[0]]:g}, coordinate {index[1]}", known_bugs)


@forbids(widgets.interpolate)
def slerp(fn, verbose=True):
    """Check a student's spherical interpolation between two latent codes.

    The path of chapter 8: the direction turns along the great circle from z_start's
    direction to z_end's, and the length changes linearly from |z_start| to |z_end|
    (for equal lengths this is the classical slerp). Where no great circle is defined (a zero
    vector, or parallel codes) the path is the straight line; for opposite codes any finite
    path from z_start to z_end is accepted.

    Args:
        fn: the student's function ``fn(z_start, z_end, t)``; ``z_start`` and ``z_end`` are
            (latent_dim,) NumPy arrays, ``t`` a (T,) array of numbers in [0, 1]; returns
            (T, latent_dim), row i the point at ``t[i]``.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 8.
    """
    return _report(fn, verbose, _run_slerp,
                   "slerp keeps the ends, turns along the great circle with a linear length, "
                   "and handles parallel, opposite and zero codes (8 inputs).")


# --- quantile_grid ---------------------------------------------------------------------------

_GRID_CASES = [(20, 0.02, 0.98), (9, 0.03, 0.97), (5, 0.1, 0.6), (2, 0.25, 0.75),
               (1, 0.3, 0.3 + 1e-9), (15, 0.05, 0.95)]


def _run_quantile_grid(fn):
    for num_points, low, high in _GRID_CASES:
        where = f"(num_points={num_points}, low={low:g}, high={high:g})"
        # Plain Python numbers, as a student would pass them (_call hands over NumPy copies).
        got = _call(lambda n, a, b: fn(int(n), float(a), float(b)), (num_points, low, high),
                    where)
        _check_shape(got, (num_points,), where, {
            (num_points, num_points): ": return the 1-D grid of coordinates; the 2-D codes "
                                      "are built from it afterwards"})
        levels = np.linspace(low, high, num_points)
        expected = stats.norm.ppf(levels)
        if np.allclose(got, expected, rtol=1e-4, atol=1e-4):
            continue
        if num_points > 2 and np.allclose(got, np.linspace(expected[0], expected[-1],
                                                           num_points), rtol=1e-4, atol=1e-4):
            raise _Failure(f"your grid is evenly spaced in z from {expected[0]:.3f} to "
                           f"{expected[-1]:.3f} {where}; the quantile grid is evenly spaced in "
                           "PROBABILITY: z = inverse normal CDF of evenly spaced levels")
        if np.allclose(got, levels, rtol=1e-6, atol=1e-6):
            raise _Failure(f"you returned the probability levels themselves {where}; apply the "
                           "inverse CDF of N(0, 1) (scipy.stats.norm.ppf) to them")
        if np.allclose(got, stats.norm.cdf(levels), rtol=1e-4, atol=1e-4):
            raise _Failure(f"you applied the normal CDF to the levels {where}; the grid needs "
                           "its INVERSE, scipy.stats.norm.ppf")
        if np.allclose(got, expected[::-1], rtol=1e-4, atol=1e-4) and num_points > 1:
            raise _Failure(f"your grid runs from high to low {where}; return it in increasing "
                           "order (level low first)")
        if np.all(np.isfinite(got)):
            reached = stats.norm.cdf(got)
            bad = int(np.argmax(~np.isclose(reached, levels, atol=1e-4)))
            raise _Failure(f"point {bad} of your grid, {got[bad]:.4g}, is at the prior's level "
                           f"{reached[bad]:.4g}, expected level {levels[bad]:.4g} {where}: the "
                           f"levels are np.linspace(low, high, num_points) = {_fmt(levels)}")
        _compare(got, expected, where, lambda index: f"point {index[0]}")


@forbids(plots.quantile_grid, plots.manifold_codes)
def quantile_grid(fn, verbose=True):
    """Check a student's Gaussian quantile grid: z = Phi^-1 of evenly spaced levels.

    The checker compares with ``scipy.stats.norm.ppf(np.linspace(low, high, num_points))`` on
    symmetric and asymmetric level ranges, 1 and 2 points, and names the usual mistakes (a
    grid evenly spaced in z, the levels themselves, the CDF instead of its inverse).

    Args:
        fn: the student's function ``fn(num_points, low, high)`` with an integer
            ``num_points`` and prior levels ``0 < low < high < 1``; returns the
            (num_points,) increasing grid of latent coordinates.
        verbose: print the message (True) or only return it.

    Returns:
        :class:`CheckResult`.

    Introduced in chapter 8.
    """
    return _report(fn, verbose, _run_quantile_grid,
                   f"quantile_grid matches the inverse normal CDF of evenly spaced levels on "
                   f"{len(_GRID_CASES)} inputs, including 1 and 2 points and asymmetric levels.")
