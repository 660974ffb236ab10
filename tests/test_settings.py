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


def test_cache_dir_expands_home_and_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WEIGHTS_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("VAE_BOOK_CACHE", "~/x")
    assert settings.cache_dir() == tmp_path / "x"
    monkeypatch.setenv("VAE_BOOK_CACHE", "$WEIGHTS_ROOT/w")
    assert settings.cache_dir() == tmp_path / "root" / "w"
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "~").exists()


def test_cache_dir_that_is_a_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("VAE_BOOK_CACHE", str(tmp_path / "file"))
    with pytest.raises(ValueError, match="not a folder"):
        settings.cache_dir()


def test_mnist_file_is_none_unless_set_and_must_exist(tmp_path, monkeypatch):
    monkeypatch.delenv("VAE_BOOK_MNIST", raising=False)
    assert settings.mnist_file() is None
    monkeypatch.setenv("VAE_BOOK_MNIST", str(tmp_path / "missing.npz"))
    with pytest.raises(ValueError, match="VAE_BOOK_MNIST=.*missing.npz.*no file"):
        settings.mnist_file()
    (tmp_path / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("VAE_BOOK_MNIST", "~/mnist.npz")
    assert settings.mnist_file() == tmp_path / "mnist.npz"
