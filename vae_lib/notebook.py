"""Notebook helpers: the first cell of every chapter (seed everything, set plot defaults, say
the mode), and :func:`glue`, which hands a computed number to the chapter's text.

Introduced in chapter 1.
"""

import random
import re

import numpy as np

from vae_lib import settings


def seed_everything(seed=0):
    """Seed Python's ``random``, NumPy and Keras (which seeds TensorFlow's global seed)."""
    import keras

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r}; expected a non-negative integer")
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def setup(seed=0, verbose=True):
    """Prepare a chapter: seeds, Matplotlib defaults, and one line naming the mode.

    Args:
        seed: the chapter's seed.
        verbose: print the mode line.

    Returns:
        str: the mode, ``"quick"`` or ``"full"``.
    """
    import matplotlib

    seed_everything(seed)
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100,
                                "axes.titlesize": "medium", "image.cmap": "gray_r"})
    mode = settings.mode()
    if verbose:
        what = ("small data and few epochs (tests and CI)" if mode == "quick"
                else "proper training (website and learners)")
        print(f"VAE_BOOK_MODE={mode}: {what}; seed {seed}.")
    return mode


_GLUE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def glue(name, value):
    """Hand a computed value to the chapter's text (returns None).

    In the book's markdown, ``{glue:text}`name:.1f``` then shows the value this run computed
    (myst-nb's glue), so the website always says what its own build measured, whichever data
    it had. NumPy scalars become plain Python numbers first (their text must parse as one).
    Tables (pandas DataFrames) and figures can be glued too and shown with ``{glue:}`` or
    ``{glue:figure}``. Where myst-nb is not installed (Colab), nothing is recorded.

    Args:
        name: the key, lower case letters, digits and underscores, unique in the book,
            starting with the chapter, e.g. ``"ch07_test_elbo"``.
        value: a number, a string, a DataFrame or a Matplotlib figure.

    Returns:
        None, so a cell that ends by gluing shows nothing on the page (the text shows the
        value where it says so); end the cell with the value itself to show it there too.
    """
    if not isinstance(name, str) or not _GLUE_NAME.match(name):
        raise ValueError(f"name={name!r}; expected lower case letters, digits and underscores")
    shown = value
    if isinstance(value, np.generic):
        shown = value.item()
    if isinstance(shown, float) and not np.isfinite(shown):
        raise ValueError(f"glue {name!r}: the value is {shown}; the text must not show it")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # a notebook outside the book's environment: nothing to paste into
        return None
    myst_glue(name, shown, display=False)
    return None
