"""How the book runs: quick or full mode, where trained weights are cached, which MNIST file.

Every setting is an environment variable read here and nowhere else:

* ``VAE_BOOK_MODE``: ``quick`` or ``full`` (the default);
* ``VAE_BOOK_CACHE``: the folder of trained weights (default ``~/.cache/vae_book``);
* ``VAE_BOOK_MNIST``: optional path of a local ``mnist.npz`` (the file Keras downloads), for
  machines that cannot download it; when set, :func:`vae_lib.data.load_mnist` reads it.

The mode is read from ``VAE_BOOK_MODE``.
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
_MNIST_VARIABLE = "VAE_BOOK_MNIST"


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


def _expanded(value):
    """A path from an environment variable, with ``~`` and ``$VARIABLES`` expanded."""
    return pathlib.Path(os.path.expandvars(os.path.expanduser(value.strip())))


def cache_dir():
    """Return the folder where trained weights are cached (created if missing).

    ``VAE_BOOK_CACHE`` overrides the default ``~/.cache/vae_book``; ``~`` and environment
    variables in it are expanded (``VAE_BOOK_CACHE=~/weights`` means the home folder, not a
    folder called ``~``).

    Raises:
        ValueError: if the path exists and is not a folder.
    """
    value = os.environ.get(_CACHE_VARIABLE, "")
    path = _expanded(value) if value.strip() else pathlib.Path.home() / ".cache" / "vae_book"
    if path.exists() and not path.is_dir():
        raise ValueError(f"{_CACHE_VARIABLE}={value!r} is {path}, which is not a folder; "
                         "expected a folder for the weight cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def mnist_file():
    """Return the local MNIST file named by ``VAE_BOOK_MNIST``, or None when it is unset.

    The file is a Keras-format ``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``,
    ``y_test``), for example the one Keras downloads to ``~/.keras/datasets``, copied to a
    machine without network access. ``~`` and environment variables are expanded.

    Raises:
        ValueError: if the variable is set but names no file.
    """
    value = os.environ.get(_MNIST_VARIABLE, "")
    if not value.strip():
        return None
    path = _expanded(value)
    if not path.is_file():
        raise ValueError(f"{_MNIST_VARIABLE}={value!r}: no file at {path}; expected the path "
                         "of a Keras-format mnist.npz (unset the variable to download MNIST)")
    return path
