"""The first cell of every chapter: seed everything, set plot defaults, say the mode.

Introduced in chapter 1.
"""

import random

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
