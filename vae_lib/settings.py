"""How the book runs: quick or full mode, and where trained weights are cached.

The mode is read from the environment variable ``VAE_BOOK_MODE`` here and nowhere else.
``full`` (the default) trains properly and is what learners and the website get; ``quick``
uses small data and few epochs so that tests and CI run in minutes.

Chapters never branch on the mode themselves: they ask :func:`pick` for a value, so a cell
reads ``epochs = settings.pick(quick=2, full=30)`` and shows both choices to the reader.

Introduced in chapter 1.
"""

import os
import pathlib

MODES = ("quick", "full")
_MODE_VARIABLE = "VAE_BOOK_MODE"
_CACHE_VARIABLE = "VAE_BOOK_CACHE"


def mode():
    """Return the current mode, ``"quick"`` or ``"full"``, from ``VAE_BOOK_MODE``.

    Returns:
        str: the mode. An unset or empty variable means ``"full"``.

    Raises:
        ValueError: if the variable holds anything else.
    """
    value = os.environ.get(_MODE_VARIABLE, "").strip().lower() or "full"
    if value not in MODES:
        raise ValueError(
            f"{_MODE_VARIABLE}={os.environ.get(_MODE_VARIABLE)!r} is not a mode; "
            f"expected one of {MODES}"
        )
    return value


def is_quick():
    """Return True in quick mode (small data, few epochs)."""
    return mode() == "quick"


def pick(*, quick, full):
    """Return ``quick`` in quick mode and ``full`` in full mode.

    Args:
        quick: the value used by tests and CI.
        full: the value used by learners and the website.

    Returns:
        One of the two values.
    """
    return quick if is_quick() else full


def cache_dir():
    """Return the folder where trained weights are cached (created if missing).

    ``VAE_BOOK_CACHE`` overrides the default ``~/.cache/vae_book``.
    """
    path = pathlib.Path(
        os.environ.get(_CACHE_VARIABLE) or pathlib.Path.home() / ".cache" / "vae_book"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
