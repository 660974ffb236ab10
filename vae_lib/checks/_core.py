"""The machinery every checker shares: run a student's function, compare, explain.

A checker calls ``_report(fn, verbose, run, success)``; ``run(fn)`` calls the student's
function only through :func:`_call` and raises :class:`_Failure` with a plain-words
diagnosis at the first problem.

Every public checker is decorated with :func:`forbids`, naming the ``vae_lib`` functions that
compute what its exercise asks for. A student's function that *is* one of them, or runs one
of them at any depth while the checker calls it, fails with a message that says so: handing
in the library earns nothing. The checker's own reference computations are not watched.
"""

import contextlib
import dataclasses
import functools
import sys

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


class _UsesLibrary(BaseException):
    """Raised when the student's function runs a forbidden library implementation.

    A BaseException, so that a checker's ``except Exception`` (which turns the student's bugs
    into a diagnosis) cannot swallow it.
    """


def _report(fn, verbose, run, success):
    """Run ``run(fn)``, turn a ``_Failure`` into a FAIL, print unless silenced, return."""
    if not callable(fn):
        raise TypeError(f"fn={fn!r}; expected the function to check, e.g. checks.elbo(my_elbo)")
    try:
        with np.errstate(all="ignore"):  # the diagnosis replaces NumPy's overflow warnings
            run(fn)
        result = CheckResult(True, "PASS: " + success)
    except (_Failure, _UsesLibrary) as failure:
        result = CheckResult(False, "FAIL: " + str(failure))
    if verbose:
        print(result.message)
    return result


def _call(fn, args, where):
    """Call the student's function and return its output as float64 NumPy, or fail in words."""
    try:
        output = fn(*[np.copy(arg) for arg in args])  # copies: an in-place edit must not leak
    except _Failure:
        raise
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




# --- the "hands in the library" rule --------------------------------------------------------

def forbids(*implementations):
    """Declare the library functions that compute what a checker's exercise asks for.

    Decorate every public checker with it (``@forbids()`` with no argument when the library
    has no such function). The decorated checker wraps the student's function so that each
    call of it, by ``_call`` or directly, is watched: if the function *is* one of
    ``implementations``, or runs one at any depth (through a wrapper, a likelihood object, a
    layer, a ``tf.function``), the check fails with "your function calls
    vae_lib.distributions.log_bernoulli, the function this exercise asks you to write".
    Equal copies of a forbidden code object are caught too.

    Args:
        *implementations: plain Python functions (methods given as ``Class.method``).

    Returns:
        A decorator; the decorated checker has the attribute ``forbidden`` (the tuple of
        implementations) and ``__wrapped__`` (the checker without the rule).

    Introduced in the instructor guide (grading).
    """
    for implementation in implementations:
        if not hasattr(_unwrap(implementation), "__code__"):
            raise TypeError(f"implementation={implementation!r}; expected a Python function "
                            "(for a method, pass Class.method)")
    implementations = tuple(_unwrap(implementation) for implementation in implementations)

    def decorate(checker):
        @functools.wraps(checker)
        def checked(fn, verbose=True):
            watched = _Watched(fn, implementations) if callable(fn) and implementations else fn
            return checker(watched, verbose)

        checked.forbidden = implementations
        return checked

    return decorate


def _unwrap(fn):
    """The plain function behind a bound method, a partial, a decorator or a tf.function."""
    for _ in range(20):  # a bounded walk: wrappers may point at each other
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__func__"):
            fn = fn.__func__
        elif getattr(fn, "python_function", None) is not None:  # tf.function
            fn = fn.python_function
        elif getattr(fn, "__wrapped__", None) is not None:
            fn = fn.__wrapped__
        else:
            return fn
    return fn


def _name(function):
    return f"{function.__module__}.{function.__qualname__}"


class _Watched:
    """The student's function, called with a profiler that spots forbidden implementations."""

    def __init__(self, fn, implementations):
        self._fn = fn
        self._codes = {function.__code__: function for function in implementations}
        self._names = {code.co_name for code in self._codes}
        functools.update_wrapper(self, fn, updated=())

    def __getattr__(self, name):  # attributes a checker may read from the student's function
        return getattr(self._fn, name)

    def __repr__(self):
        return repr(self._fn)

    def __call__(self, *args, **kwargs):
        handed_in = _unwrap(self._fn)
        if getattr(handed_in, "__code__", None) in self._codes:
            raise _UsesLibrary(f"your function is {_name(self._codes[handed_in.__code__])}, "
                               "the function this exercise asks you to write: write your own")
        hits = []

        def profile(frame, event, arg):
            code = frame.f_code
            if event == "call" and code.co_name in self._names and code in self._codes:
                hits.append(self._codes[code])

        previous = sys.getprofile()
        try:
            with _functions_run_eagerly():
                sys.setprofile(profile)
                try:
                    output = self._fn(*args, **kwargs)
                finally:
                    sys.setprofile(previous)
        except Exception:
            if hits:
                raise _UsesLibrary(_uses_message(hits[0])) from None
            raise
        if hits:
            raise _UsesLibrary(_uses_message(hits[0]))
        return output


def _uses_message(function):
    return (f"your function calls {_name(function)}, the function this exercise asks you to "
            "write: compute it yourself (with keras.ops or NumPy)")


@contextlib.contextmanager
def _functions_run_eagerly():
    """Run tf.functions as plain Python while watching: autograph would otherwise convert a
    library function into a new code object, invisible to the profiler."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        yield
        return
    before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(before)
