"""The book's recipes: valid, buildable, shown readably, and data selected without the test split."""

import dataclasses

import numpy as np
import pytest

from vae_lib import data, likelihoods, models, recipes


def test_every_registered_recipe_builds_the_model_it_describes():
    for name in recipes.names():
        recipe = recipes.get(name)
        model = recipe.build()
        expected = models.VAE if recipe.kind == "vae" else models.Autoencoder
        assert isinstance(model, expected), name
        assert model.latent_dim == recipe.latent_dim
        assert model.likelihood == likelihoods.get(recipe.likelihood)
        assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(recipe.learning_rate)
        if recipe.kind == "vae":
            assert model.beta == recipe.beta


def test_every_recipe_explains_the_fields_it_changes_from_the_defaults():
    defaults = recipes.Recipe(name="defaults", chapter=0, summary="")
    for name in recipes.names():
        recipe = recipes.get(name)
        changed = [field.name for field in dataclasses.fields(recipe)
                   if field.name not in ("name", "chapter", "summary", "why", "budget")
                   and getattr(recipe, field.name) != getattr(defaults, field.name)]
        unexplained = [field for field in changed if field not in recipe.why]
        assert not unexplained, f"{name} changes {unexplained} without a reason in why"


def test_the_same_initial_seed_gives_the_same_initial_weights():
    recipe = recipes.get("ch06_dense_vae_d2")
    first, second = recipe.build(), recipe.build()
    other = recipe.replace(name="other_seed", init_seed=1).build()
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


def test_table_shows_values_of_this_mode_and_reasons(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "full")
    table = recipes.get("ch07_conv_vae_mnist_d16").table()
    assert {"latent_dim", "filters", "budget", "init_seed", "shuffle_seed"} <= set(table.index)
    assert "hidden_units" not in table.index  # a conv recipe: dense settings are left out
    assert "1,200 steps of 128" in table.loc["budget", "value"]
    assert "153,600 (full)" in table.loc["budget", "value"]
    assert all(table["why"].str.len() > 0)


def test_budget_is_in_images_and_rounds_to_whole_logging_intervals(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "full")
    recipe = recipes.Recipe(name="r", chapter=0, summary="", batch_size=100,
                            budget=recipes.ByMode(quick=1, full=1_050),
                            num_logs=recipes.ByMode(quick=1, full=4))
    assert recipe.steps == 12 and recipe.images_seen == 1_200  # 11 steps -> 3 per interval
    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    assert recipe.steps == 1


def test_training_data_holds_out_the_end_of_the_training_split(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    recipe = recipes.get("ch06_dense_vae_d16")
    selected = recipes.training_data(recipe)
    train = data.load_mnist("train", verbose=False)
    assert len(selected.train) + len(selected.validation) == recipe.train_images.quick
    np.testing.assert_array_equal(selected.train, train.images[:len(selected.train)])
    np.testing.assert_array_equal(selected.validation,
                                  train.images[len(selected.train):recipe.train_images.quick])
    assert str(len(selected.train)) in selected.description.replace(",", "")
    assert selected.source == train.source
    # The selection owns its arrays: a view would keep the whole split alive (188 MB of
    # float32 with 60,000 images, for a quick-mode selection of a few thousand).
    for name in ("train", "validation", "train_labels", "validation_labels"):
        array = getattr(selected, name)
        assert array.base is None and array.flags.owndata, f"{name} is a view"


def test_classes_can_be_held_out(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    recipe = recipes.get("ch06_dense_vae_d16").replace(name="without_7", classes=(0, 1, 2))
    selected = recipes.training_data(recipe)
    assert set(np.unique(selected.train_labels)) <= {0, 1, 2}
    assert "classes 0, 1, 2" in selected.description


@pytest.mark.parametrize("change, message", [
    (dict(kind="gan"), "kind='gan'"),
    (dict(network="rnn"), "network='rnn'"),
    (dict(latent_dim=0), "latent_dim=0"),
    (dict(budget=100), "budget=100"),
    (dict(budget=recipes.ByMode(quick=0, full=10)), "budget"),
    (dict(classes=(11,)), "classes=\\(11,\\)"),
    (dict(learning_rate=0.0), "learning_rate=0.0"),
    (dict(likelihood="poisson"), "likelihood='poisson'"),
    (dict(why={"colour": "red"}), "unknown fields \\['colour'\\]"),
])
def test_bad_recipes_are_refused_with_the_field_named(change, message):
    with pytest.raises(ValueError, match=message):
        recipes.Recipe(name="bad", chapter=0, summary="", **change)


def test_registry_lookup_and_replace_need_names():
    with pytest.raises(ValueError, match="no recipe named 'missing'.*ch07_conv_vae_mnist_d16"):
        recipes.get("missing")
    recipe = recipes.get("ch06_dense_vae_d16")
    with pytest.raises(ValueError, match="new name"):
        recipe.replace(beta=2.0)
    with pytest.raises(ValueError, match="already registered"):
        recipes.register(recipe.replace(name="ch06_dense_vae_d2"))


def test_chapter_11_variants_are_recipe_fields(monkeypatch):
    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    base = recipes.get("ch06_dense_vae_d2")
    conditional = base.replace(name="cvae", conditional=True, why={"conditional": "asked"})
    model = conditional.build()
    assert model.num_classes == 10
    autoregressive = base.replace(name="ar", decoder="pixelcnn", free_bits=0.5, kl_warmup=0.5,
                                  likelihood=likelihoods.LearnedGaussian(0.1))
    model = autoregressive.build()
    assert model.autoregressive and model.free_bits == 0.5
    assert model.kl_warmup_steps == round(0.5 * autoregressive.steps)
    assert isinstance(model.likelihood, likelihoods.LearnedGaussian)
    assert any("log_variance" in weight.path for weight in model.weights)
    assert "decoder_layers" in autoregressive.table().index
    assert "decoder_layers" not in base.table().index
    with pytest.raises(ValueError, match="kl_warmup=2"):
        base.replace(name="bad", kl_warmup=2)
    with pytest.raises(ValueError, match="free_bits=1.*autoencoder"):
        recipes.get("ch06_dense_ae_d16").replace(name="bad", free_bits=1.0)


def test_a_conditional_recipe_trains_with_its_labels(cache_in_tmp, monkeypatch):
    from vae_lib import training

    monkeypatch.setenv("VAE_BOOK_MODE", "quick")
    tiny = recipes.Recipe(
        name="test_cvae", chapter=0, summary="", hidden_units=(16,), latent_dim=2,
        conditional=True, train_images=recipes.ByMode(quick=64, full=64),
        max_validation=recipes.ByMode(quick=8, full=8),
        budget=recipes.ByMode(quick=128, full=128), batch_size=32,
        num_logs=recipes.ByMode(quick=2, full=2))
    trained = training.train_or_load(tiny, verbose=0)
    assert np.isfinite(trained.history["val_loss"][-1])
    assert trained.model.sample(2, seed=0, labels=[3, 5]).shape == (2, 28, 28, 1)
    assert training.train_or_load(tiny, verbose=0).loaded
