"""Shared test set-up: quick mode for every test and every executed chapter, small fixtures."""

import os
import pathlib

# Set before any kernel or vae_lib import: nbval kernels inherit this environment.
os.environ.setdefault("VAE_BOOK_MODE", "quick")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def blob_images():
    """32 synthetic 28x28 images: bright rectangles of varying size and place, in [0, 1]."""
    rng = np.random.default_rng(0)
    images = np.zeros((32, 28, 28, 1), dtype="float32")
    for image in images:
        top, left = rng.integers(2, 14, size=2)
        height, width = rng.integers(6, 12, size=2)
        image[top:top + height, left:left + width, 0] = 0.95
    return images + 0.02


@pytest.fixture
def cache_in_tmp(tmp_path, monkeypatch):
    """Point the weight cache at a fresh temporary folder."""
    monkeypatch.setenv("VAE_BOOK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def pytest_collection_modifyitems(config, items):
    """Deselect nbval's cells of a chapter the quick build has just executed (see
    tests/build_executions.py); tests/test_chapters_execute.py checks that execution instead.
    A chapter named on the command line is always run by nbval."""
    from build_executions import NBVAL_RUNS, fresh_execution

    named = {pathlib.Path(arg.split("::")[0]).resolve() for arg in config.args
             if arg.split("::")[0].endswith(".ipynb")}
    verdicts, kept, dropped = {}, [], []
    for item in items:
        path = pathlib.Path(str(item.path)).resolve()
        if path.suffix != ".ipynb":
            kept.append(item)
            continue
        if path not in verdicts:
            verdicts[path] = path in named or fresh_execution(path)[0] is None
        (kept if verdicts[path] else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    config.stash[NBVAL_RUNS] = {path for path, runs in verdicts.items() if runs}
