"""train_or_load: recipes in, trained models out, and a weight cache that never lies."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import vae_lib
from vae_lib import recipes, training

TINY = recipes.Recipe(
    name="test_tiny", chapter=0, summary="a tiny dense VAE for tests", hidden_units=(32,),
    latent_dim=2, train_images=recipes.ByMode(quick=96, full=96),
    max_validation=recipes.ByMode(quick=16, full=16), budget=recipes.ByMode(quick=256, full=256),
    batch_size=32, num_logs=recipes.ByMode(quick=2, full=2))


def weights_of(model):
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in model.weights]


def test_trains_for_its_budget_then_loads_identical_weights(cache_in_tmp):
    first = training.train_or_load(TINY, verbose=0)
    assert not first.loaded and first.path.exists()
    assert first.history["images_seen"] == [128, 256]  # 8 steps of 32, logged twice
    assert len(first.history["val_kl"]) == 2
    assert int(first.model.optimizer.iterations.numpy()) == TINY.steps == 8
    assert len(first.data.train) + len(first.data.validation) == 96
    second = training.train_or_load(TINY, verbose=0)
    assert second.loaded and second.path == first.path
    assert second.history == first.history
    for a, b in zip(weights_of(first.model), weights_of(second.model)):
        np.testing.assert_array_equal(a, b)
    assert "loaded from the cache" in second.describe() and "MNIST" in second.describe()
    assert list(cache_in_tmp.iterdir()) == [first.path]  # one file per entry, no leftovers


def test_the_same_recipe_trains_to_the_same_weights(cache_in_tmp):
    first = training.train_or_load(TINY, verbose=0, cache=False)
    second = training.train_or_load(TINY, verbose=0, cache=False)
    for a, b in zip(weights_of(first.model), weights_of(second.model)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def key(recipe):
    return training.cache_key(recipe, recipes.training_data(recipe))


@pytest.mark.parametrize("change", [
    dict(init_seed=1), dict(shuffle_seed=1), dict(learning_rate=1e-4), dict(beta=2.0),
    dict(latent_dim=3), dict(batch_size=16), dict(budget=recipes.ByMode(quick=512, full=512)),
    dict(train_images=recipes.ByMode(quick=80, full=80)), dict(classes=(1, 7)),
    dict(likelihood=vae_lib.likelihoods.Gaussian(0.5)), dict(binarize=None),
])
def test_any_change_of_the_recipe_changes_the_key(change):
    assert key(TINY.replace(name=TINY.name, **change)) != key(TINY)


def test_reasons_and_the_mode_are_handled_right(monkeypatch):
    assert key(TINY.replace(name=TINY.name, why={"beta": "a reason"})) == key(TINY)
    quick = key(TINY)
    monkeypatch.setenv("VAE_BOOK_MODE", "full")
    assert key(TINY) != quick  # quick and full mode never share weights


def copy_of_library(tmp_path):
    folder = tmp_path / "vae_lib"
    shutil.copytree(pathlib.Path(vae_lib.__file__).parent, folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def fingerprint_of(folder, monkeypatch):
    monkeypatch.setattr(vae_lib, "__file__", str(folder / "__init__.py"))
    return training.library_fingerprint()


def test_changed_loss_code_changes_the_fingerprint_but_docs_and_new_recipes_do_not(
        tmp_path, monkeypatch):
    folder = copy_of_library(tmp_path)
    original = fingerprint_of(folder, monkeypatch)
    elbo = folder / "elbo.py"
    source = elbo.read_text()
    elbo.write_text(source.replace('"""The ELBO, computed', '"""The ELBO (edited docs), computed')
                    + "\n# a comment\n")
    assert fingerprint_of(folder, monkeypatch) == original
    recipes_file = folder / "recipes.py"
    recipes_file.write_text(recipes_file.read_text() + textwrap.dedent('''
        register(Recipe(name="an_extra_recipe", chapter=12, summary="new"))
    '''))
    assert fingerprint_of(folder, monkeypatch) == original
    buggy = source.replace('terms["loss"] = terms["reconstruction"] + beta * terms["kl"]',
                           'terms["loss"] = terms["reconstruction"] + 2 * beta * terms["kl"]')
    assert buggy != source
    elbo.write_text(buggy)
    assert fingerprint_of(folder, monkeypatch) != original


def test_a_diverged_run_raises_and_is_never_cached(cache_in_tmp):
    exploding = TINY.replace(name="test_exploding", learning_rate=1e6,
                             budget=recipes.ByMode(quick=1024, full=1024))
    with pytest.raises(training.TrainingError, match="diverged.*Nothing was cached"):
        training.train_or_load(exploding, verbose=0)
    assert not any(cache_in_tmp.glob("test_exploding*"))


def test_a_run_stopped_early_raises_and_is_not_cached(cache_in_tmp):
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    with pytest.raises(training.TrainingError, match="stopped after 4 of its 8 steps"):
        training.train_or_load(TINY, verbose=0, callbacks=[Stop()])
    assert not any(cache_in_tmp.iterdir())
    assert not training.train_or_load(TINY, verbose=0).loaded


def test_a_truncated_entry_is_reported_with_its_path_and_trained_again(cache_in_tmp):
    path = training.train_or_load(TINY, verbose=0).path
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.warns(UserWarning, match=f"{path.name}.*unreadable"):
        again = training.train_or_load(TINY, verbose=0)
    assert not again.loaded and again.path == path
    assert training.train_or_load(TINY, verbose=0).loaded  # the entry is good again


def test_weights_that_do_not_match_their_checksum_are_not_loaded(cache_in_tmp):
    import h5py

    path = training.train_or_load(TINY, verbose=0).path
    with h5py.File(path, "a") as store:
        store.attrs[training.RECORD_ATTRIBUTE + "_checksum"] = "0" * 16
    with pytest.warns(UserWarning, match="checksum"):
        assert not training.train_or_load(TINY, verbose=0).loaded


def test_a_cache_that_cannot_be_written_still_returns_the_trained_model(cache_in_tmp,
                                                                       monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(cache_in_tmp))

    monkeypatch.setattr(training.tempfile, "mkstemp", refuse)
    with pytest.warns(UserWarning, match="could not write the weight cache.*Permission denied"):
        result = training.train_or_load(TINY, verbose=0)
    assert result.path is None and not result.loaded
    assert np.isfinite(result.history["loss"][-1])


CONCURRENT = """
import sys
from vae_lib import recipes, training
from tests.test_training import TINY
result = training.train_or_load(TINY, verbose=0)
print("LOADED" if result.loaded else "TRAINED", result.path)
"""


def test_two_processes_training_the_same_recipe_both_succeed(cache_in_tmp):
    environment = {**os.environ, "VAE_BOOK_CACHE": str(cache_in_tmp)}
    root = pathlib.Path(__file__).parent.parent
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT], cwd=root, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-2000:]
    paths = {out.split()[-1] for out, _ in outputs}
    assert len(paths) == 1
    assert sorted(p.name for p in cache_in_tmp.iterdir()) == [pathlib.Path(paths.pop()).name]
    assert training.train_or_load(TINY, verbose=0).loaded


def test_progress_bar_goes_to_stderr_and_verbose_0_is_silent(cache_in_tmp, capfd):
    training.train_or_load(TINY, verbose=1, cache=False)
    out, err = capfd.readouterr()
    assert "test_tiny" in err and "8/8" in err and "test_tiny" not in out
    training.train_or_load(TINY, verbose=0, cache=False)
    out, err = capfd.readouterr()
    assert "test_tiny" not in err + out


def test_record_is_stored_inside_the_weights_file(cache_in_tmp):
    import h5py

    result = training.train_or_load(TINY, verbose=0)
    with h5py.File(result.path, "r") as store:
        record = json.loads(store.attrs[training.RECORD_ATTRIBUTE])
    assert record["history"] == result.history and record["recipe"]["name"] == "test_tiny"


def test_a_denoising_recipe_trains_on_noisy_inputs_with_clean_targets(cache_in_tmp):
    denoiser = TINY.replace(name="test_denoiser", kind="autoencoder", input_noise=0.5,
                            binarize=None)
    result = training.train_or_load(denoiser, verbose=0, cache=False)
    assert "kl" not in result.history and np.isfinite(result.history["val_loss"][-1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="no recipe named 'nope'"):
        training.train_or_load("nope")
    with pytest.raises(ValueError, match="verbose=2"):
        training.train_or_load(TINY, verbose=2)
    model = TINY.build()
    with pytest.raises(ValueError, match="steps=0"):
        training.fit(model, np.zeros((4, 28, 28, 1), "float32"), steps=0)
    with pytest.raises(TypeError, match="expected an Autoencoder or VAE"):
        training.fit(keras.Sequential(), np.zeros((4, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match="divide by 255"):
        training.fit(model, np.full((4, 28, 28, 1), 255.0, "float32"))
