"""The machinery every checker shares: run a student's function, compare, explain.

A checker calls ``_report(fn, verbose, run, success)``; ``run(fn)`` calls the student's
function only through :func:`_call` and raises :class:`_Failure` with a plain-words
diagnosis at the first problem.
"""

import dataclasses

import numpy as np
from keras import ops

RTOL = 1e-4
ATOL = 1e-3
STABLE_HINT = (": use a numerically stable form from logits, e.g. x * logits - softplus(logits) "
               "(that is -softplus(-logits) when x = 1)")
NUM_ROWS = 20_000  # rows of samples for reparameterize: the standard deviation is known to ~0.5%


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of a checker. ``bool(result)`` is ``result.passed``.

    Attributes:
        passed: True if the student's function agreed with the reference on every input.
        message: the printed text, "PASS: ..." or "FAIL: <diagnosis of the first problem>".
    """

    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"CheckResult(passed={self.passed}, message={self.message!r})"


class _Failure(Exception):
    """Raised inside a checker to stop at the first problem; its text is the diagnosis."""


def _report(fn, verbose, run, success):
    """Run ``run(fn)``, turn a ``_Failure`` into a FAIL, print unless silenced, return."""
    if not callable(fn):
        raise TypeError(f"fn={fn!r}; expected the function to check, e.g. checks.elbo(my_elbo)")
    try:
        with np.errstate(all="ignore"):  # the diagnosis replaces NumPy's overflow warnings
            run(fn)
        result = CheckResult(True, "PASS: " + success)
    except _Failure as failure:
        result = CheckResult(False, "FAIL: " + str(failure))
    if verbose:
        print(result.message)
    return result


def _call(fn, args, where):
    """Call the student's function and return its output as float64 NumPy, or fail in words."""
    try:
        output = fn(*[np.copy(arg) for arg in args])  # copies: an in-place edit must not leak
    except Exception as error:  # any bug in the student's code is a FAIL, not a crash
        raise _Failure(f"your function raised {_error_text(error)} {where}") from None
    if output is None:
        raise _Failure(f"your function returned None {where}: did you forget `return`?")
    try:
        return np.asarray(ops.convert_to_numpy(output), dtype=np.float64)
    except Exception:
        raise _Failure(f"your function returned a {type(output).__name__} {where}; "
                       "expected an array or a tensor") from None


def _error_text(error):
    """'ValueError: first line of the message', short enough to read."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"


def _numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor), dtype=np.float64)


def _fmt(values):
    """A number, or a short list, for messages: 0.5 rather than [0.5, 0.5, 0.5]."""
    values = np.ravel(np.asarray(values, dtype=np.float64))
    if np.all(values == values[0]):
        return f"{values[0]:.4g}"
    return "[" + ", ".join(f"{value:.3g}" for value in values) + "]"


def _first(mask):
    return tuple(np.argwhere(mask)[0])


def _close(got, expected):
    return np.isclose(got, expected, rtol=RTOL, atol=ATOL)


def _check_shape(got, shape, where, hints=None):
    if got.shape != tuple(shape):
        hint = (hints or {}).get(got.shape, "")
        raise _Failure(f"your result has shape {got.shape}, expected {tuple(shape)} {where}{hint}")


def _compare(got, expected, where, describe, known_bugs=(), hint=lambda index: ""):
    """Fail on the first non-finite value, then on a known bug, then on the first mismatch."""
    nonfinite = ~np.isfinite(got) & np.isfinite(expected)
    if nonfinite.any():
        index = _first(nonfinite)
        raise _Failure(f"you returned {got[index]} for {describe(index)} {where}{hint(index)}")
    if np.all(_close(got, expected)):
        return
    for value, message in known_bugs:
        if np.all(_close(got, value)):
            raise _Failure(f"{message} {where}")
    index = _first(~_close(got, expected))
    raise _Failure(f"for {describe(index)} you returned {got[index]:.6g}, expected "
                   f"{expected[index]:.6g} {where}{hint(index)}")


