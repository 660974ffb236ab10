import pytest

from vae_lib import settings


def test_default_mode_is_full(monkeypatch):
    monkeypatch.delenv("VAE_BOOK_MODE", raising=False)
    assert settings.mode() == "full"
    assert settings.pick(quick=1, full=2) == 2


def test_quick_mode_picks_quick_value(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", " Quick ")
    assert settings.is_quick()
    assert settings.pick(quick=1, full=2) == 1


def test_unknown_mode_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "fast")
    with pytest.raises(ValueError, match="'fast'.*quick.*full"):
        settings.mode()


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_BOOK_CACHE", str(tmp_path / "weights"))
    path = settings.cache_dir()
    assert path == tmp_path / "weights" and path.is_dir()
