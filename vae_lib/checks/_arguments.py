"""Helpers for checkers whose exercise takes plain numbers or returns several arrays.

``_core._call`` copies every argument with ``np.copy`` (so that an in-place edit cannot leak)
and turns the one returned value into a float64 array. Two exercise signatures need more:

* a seed or a count handed over as a 0-d array breaks ``np.random.default_rng(seed)`` and
  scikit-learn's parameter checks: :func:`python_scalars` hands the student plain numbers;
* a function that returns a tuple (``mean, components, explained_variance``) is called through
  :func:`call_parts`, which checks the tuple and returns its parts.

Both still call the student's function through ``_call``, so its errors become a FAIL in
words. Introduced in chapter 1.
"""

import numpy as np
from keras import ops

from vae_lib.checks._core import _call, _Failure


def python_scalars(fn, *kinds):
    """``fn`` with the arguments at the positions of ``kinds`` turned into plain numbers.

    Args:
        fn: the student's function.
        *kinds: one per argument: ``int``, ``float`` or None (leave the argument as it is).

    Returns:
        a function that ``_call`` can call.
    """
    def adapter(*args):
        return fn(*[kind(arg) if kind is not None else arg
                    for arg, kind in zip(args, kinds + (None,) * len(args))])
    return adapter


def call_parts(fn, args, where, names):
    """Call ``fn(*args)`` through ``_call``; return the parts of the tuple it returns.

    Args:
        fn: the student's function (or an adapter of it).
        args: the arguments.
        where: the case, for messages.
        names: the names of the expected parts, e.g. ``("mean", "components")``.

    Returns:
        list of float64 arrays, one per name.
    """
    parts = []

    def adapter(*copied):
        output = fn(*copied)
        if output is None:
            return None  # _call says "did you forget `return`?"
        if not isinstance(output, (tuple, list)) or len(output) != len(names):
            what = (f"a {type(output).__name__} of {len(output)} items"
                    if isinstance(output, (tuple, list)) else f"a {type(output).__name__}")
            raise _Failure(f"your function returned {what} {where}; expected a tuple of "
                           f"{len(names)} arrays ({', '.join(names)})")
        for name, value in zip(names, output):
            try:
                parts.append(np.asarray(ops.convert_to_numpy(value), dtype=np.float64))
            except Exception:
                raise _Failure(f"your {name} is a {type(value).__name__} {where}; expected an "
                               "array") from None
        return np.zeros(())

    _call(adapter, args, where)
    return parts
