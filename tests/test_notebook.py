import keras
import numpy as np
import pytest

from vae_lib import notebook


def test_seed_everything_makes_numpy_and_keras_repeat():
    notebook.seed_everything(3)
    first = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))
    notebook.seed_everything(3)
    second = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_setup_reports_the_mode(monkeypatch, capsys):
    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    assert notebook.setup(seed=1) == "quick"
    assert "VAE_BOOK_MODE=quick" in capsys.readouterr().out
    with pytest.raises(ValueError, match="seed=-1"):
        notebook.seed_everything(-1)


def test_glue_records_plain_python_values_for_the_text(monkeypatch):
    import myst_nb

    recorded = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: recorded.append(
        (name, value, display)))
    value = np.float32(1.5)
    assert notebook.glue("ch00_value", value) is None  # a cell ending in glue shows nothing
    assert recorded == [("ch00_value", 1.5, False)] and type(recorded[0][1]) is float
    with pytest.raises(ValueError, match="name='Bad Name'"):
        notebook.glue("Bad Name", 1)
    with pytest.raises(ValueError, match="nan"):
        notebook.glue("ch00_nan", float("nan"))
