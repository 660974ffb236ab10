import keras
import numpy as np
import pytest

from vae_lib import models, networks, training


def build(latent_dim=2, beta=1.0):
    keras.utils.set_random_seed(0)
    model = models.VAE(networks.dense_encoder(latent_dim, hidden_units=(32,)),
                       networks.dense_decoder(latent_dim, hidden_units=(32,)), beta=beta, seed=0)
    model.compile()
    return model


def test_trains_once_then_loads_identical_weights(cache_in_tmp, blob_images):
    first = training.train_or_load(build(), blob_images, epochs=2, batch_size=16, name="t",
                                   validation_images=blob_images[:8], verbose=0)
    assert not first["loaded"] and first["path"].exists()
    assert len(first["history"]["val_kl"]) == 2
    second = training.train_or_load(build(), blob_images, epochs=2, batch_size=16, name="t",
                                    validation_images=blob_images[:8], verbose=0)
    assert second["loaded"] and second["path"] == first["path"]
    assert second["history"] == first["history"]
    for a, b in zip(first["model"].weights, second["model"].weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert "loaded from cache" in training.describe(second)


@pytest.mark.parametrize("change", [
    dict(epochs=3), dict(batch_size=8), dict(seed=1), dict(beta=2.0), dict(latent_dim=3),
    dict(data=True),
])
def test_any_changed_configuration_trains_anew(cache_in_tmp, blob_images, change):
    base = training.train_or_load(build(), blob_images, epochs=2, batch_size=16, verbose=0)
    model = build(latent_dim=change.get("latent_dim", 2), beta=change.get("beta", 1.0))
    images = blob_images[::-1].copy() if change.get("data") else blob_images
    again = training.train_or_load(model, images, epochs=change.get("epochs", 2),
                                   batch_size=change.get("batch_size", 16),
                                   seed=change.get("seed", 0), verbose=0)
    assert not again["loaded"] and again["path"] != base["path"]


def test_optimizer_settings_are_part_of_the_key(blob_images):
    slow, fast = build(), build()
    slow.compile(optimizer=keras.optimizers.Adam(1e-4))
    fast.compile(optimizer=keras.optimizers.Adam(1e-3))
    assert training.config_key(slow, {}) != training.config_key(fast, {})


def test_bad_arguments_are_named(cache_in_tmp, blob_images):
    with pytest.raises(ValueError, match="epochs=0"):
        training.train_or_load(build(), blob_images, epochs=0)
    with pytest.raises(TypeError, match="expected an Autoencoder or VAE"):
        training.train_or_load(keras.Sequential(), blob_images, epochs=1)
    with pytest.raises(ValueError, match="divide by 255"):
        training.train_or_load(build(), blob_images * 255, epochs=1)


def test_steps_per_execution_gives_the_same_training_and_cache_key(cache_in_tmp, blob_images):
    plain = training.train_or_load(build(), blob_images, epochs=2, batch_size=8, verbose=0,
                                   cache=False)
    fused_model = build()
    fused = training.train_or_load(fused_model, blob_images, epochs=2, batch_size=8, verbose=0,
                                   cache=False, steps_per_execution=3)  # 4 batches: 3 + 1
    assert fused_model.steps_per_execution == 3
    np.testing.assert_allclose(fused["history"]["loss"], plain["history"]["loss"], rtol=1e-4)
    for a, b in zip(plain["model"].weights, fused["model"].weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    assert training.config_key(build(), {}) == training.config_key(fused_model, {})


def test_callbacks_reach_fit(cache_in_tmp, blob_images):
    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    result = training.train_or_load(build(), blob_images, epochs=5, batch_size=16, verbose=0,
                                    cache=False, callbacks=[StopAfterFirstEpoch()])
    assert len(result["history"]["loss"]) == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_steps_per_execution_is_named(cache_in_tmp, blob_images, bad):
    with pytest.raises(ValueError, match="steps_per_execution"):
        training.train_or_load(build(), blob_images, epochs=1, steps_per_execution=bad)
