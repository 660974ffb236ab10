"""Shared test set-up: quick mode for every test and every executed chapter, small fixtures."""

import os

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
