import keras
import numpy as np
import pytest

from vae_lib import data, models, networks


def small_vae(latent_dim=4, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    encoder = networks.dense_encoder(latent_dim, hidden_units=(128,))
    decoder = networks.dense_decoder(latent_dim, hidden_units=(128,))
    model = models.VAE(encoder, decoder, seed=seed, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model


def test_vae_overfits_a_tiny_batch(blob_images):
    model = small_vae()
    dataset = data.make_dataset(blob_images, batch_size=32, binarize=None, seed=0)
    history = model.fit(dataset, epochs=300, verbose=0).history
    first, last = history["reconstruction"][0], history["reconstruction"][-1]
    # Start: about 784 ln 2 = 543 nats of cross-entropy; memorized: a small fraction.
    assert first > 400
    assert last < 0.25 * first
    assert history["kl"][-1] > 1.0  # the code carries information about the image


def test_logs_show_both_terms_for_training_and_validation(blob_images):
    model = small_vae()
    train = data.make_dataset(blob_images[:24], batch_size=8, binarize=None)
    validation = data.make_dataset(blob_images[24:], batch_size=8, binarize=None, shuffle=False)
    history = model.fit(train, validation_data=validation, epochs=2, verbose=0).history
    assert set(history) == {"loss", "reconstruction", "kl",
                            "val_loss", "val_reconstruction", "val_kl"}
    for prefix in ("", "val_"):
        total = history[f"{prefix}reconstruction"][-1] + history[f"{prefix}kl"][-1]
        assert history[f"{prefix}loss"][-1] == pytest.approx(total, rel=1e-4)


def test_decode_sample_reconstruct_and_encode_shapes(blob_images):
    model = small_vae(latent_dim=3)
    z_mean, z_log_var = model.encode(blob_images[:5])
    assert z_mean.shape == z_log_var.shape == (5, 3)
    for images in (model.reconstruct(blob_images[:5]), model.sample(5, seed=1)):
        assert images.shape == (5, 28, 28, 1)
        assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(model.sample(4, seed=2), model.sample(4, seed=2))


def test_log_variance_cannot_overflow(blob_images):
    model = small_vae()
    for weight in model.encoder.weights:
        weight.assign(np.full(weight.shape, 50.0, "float32"))
    _, z_log_var = model.encode(blob_images[:2])
    assert np.all(np.isfinite(z_log_var))
    result = model.evaluate(data.make_dataset(blob_images[:4], 4, binarize=None), verbose=0,
                            return_dict=True)
    assert all(np.isfinite(value) for value in result.values())


def test_save_and_load_round_trip_exactly(tmp_path, blob_images):
    model = small_vae()
    model.fit(data.make_dataset(blob_images, 16, binarize=None), epochs=1, verbose=0)
    path = tmp_path / "vae.weights.h5"
    model.save_weights(path)
    fresh = small_vae(seed=5)
    fresh.optimizer.build(fresh.trainable_variables)  # so the optimizer state loads too
    fresh.load_weights(path)
    for saved, loaded in zip(model.weights, fresh.weights):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(loaded))
    np.testing.assert_array_equal(model.reconstruct(blob_images), fresh.reconstruct(blob_images))


@pytest.mark.parametrize("bad, error, message", [
    (np.full((2, 28, 28, 1), 255, "uint8"), ValueError, "divide by 255"),
    (np.full((2, 28, 28, 1), np.nan, "float32"), ValueError, "NaN"),
    (np.zeros((2, 784), "float32"), ValueError, r"\(2, 784\)"),
])
def test_bad_images_are_rejected_with_the_value_named(bad, error, message):
    model = small_vae()
    with pytest.raises(error, match=message):
        model.reconstruct(bad)


def test_bad_codes_and_counts_are_rejected():
    model = small_vae(latent_dim=4)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(N, 4\)"):
        model.decode(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="num_samples=0"):
        model.sample(0)
    with pytest.raises(ValueError, match="beta=-1"):
        models.VAE(networks.dense_encoder(2), networks.dense_decoder(2), beta=-1)


def test_autoencoder_learns_denoising_pairs(blob_images):
    keras.utils.set_random_seed(0)
    encoder = networks.dense_encoder(8, hidden_units=(128,), variational=False)
    model = models.Autoencoder(encoder, networks.dense_decoder(8, hidden_units=(128,)))
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    noisy = np.clip(blob_images + np.random.default_rng(0).normal(0, 0.3, blob_images.shape),
                    0, 1).astype("float32")
    dataset = data.make_dataset(noisy, 32, binarize=None, targets=blob_images)
    history = model.fit(dataset, epochs=150, verbose=0).history
    assert set(history) == {"loss", "reconstruction"}
    assert history["reconstruction"][-1] < 0.5 * history["reconstruction"][0]
    assert model.encode(blob_images[:3]).shape == (3, 8)
    # The clean target, not the noisy input, is what it learned to output.
    error_to_clean = np.abs(model.reconstruct(noisy) - blob_images).mean()
    error_to_noisy = np.abs(model.reconstruct(noisy) - noisy).mean()
    assert error_to_clean < error_to_noisy


def conditional_vae(latent_dim=2):
    keras.utils.set_random_seed(0)
    model = models.VAE(networks.dense_encoder(latent_dim, hidden_units=(64,), num_classes=10),
                       networks.dense_decoder(latent_dim, hidden_units=(64,), num_classes=10),
                       seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model


def test_conditional_vae_trains_on_labelled_batches_and_decodes_the_asked_class(blob_images):
    model = conditional_vae()
    labels = np.arange(len(blob_images)) % 10
    dataset = data.make_dataset(blob_images, batch_size=16, binarize=None, labels=labels)
    history = model.fit(dataset, epochs=3, verbose=0).history
    assert np.isfinite(history["loss"][-1]) and "kl" in history
    z = np.zeros((2, 2), "float32")
    first, second = model.decode(z, labels=[1, 7])
    assert not np.allclose(first, second)
    assert model.sample(3, seed=0, labels=4).shape == (3, 28, 28, 1)
    z_mean, _ = model.encode(blob_images[:5], labels=labels[:5])
    assert z_mean.shape == (5, 2)
    with pytest.raises(ValueError, match="conditional on 10 classes: pass labels"):
        model.decode(z)
    with pytest.raises(ValueError, match="labels range from 0 to 12"):
        model.decode(z, labels=[0, 12])
    with pytest.raises(ValueError, match="not conditional"):
        small_vae(latent_dim=2).decode(z, labels=[1, 2])


def test_free_bits_floor_each_dimension_kl_in_the_loss_only(blob_images):
    plain, floored = small_vae(), small_vae(free_bits=2.0)
    x = blob_images[:8]
    y_pred = plain(x)
    loss_plain = float(plain.compute_loss(x=x, y_pred=y_pred))
    loss_floored = float(floored.compute_loss(x=x, y_pred=y_pred))
    z_mean, z_log_var = y_pred[1], y_pred[2]
    per_dim = np.mean(np.asarray(
        0.5 * (np.exp(z_log_var) + np.square(z_mean) - 1 - z_log_var)), axis=0)
    expected_gap = np.sum(np.maximum(per_dim, 2.0)) - np.sum(per_dim)
    assert loss_floored - loss_plain == pytest.approx(expected_gap, rel=1e-4)
    with pytest.raises(ValueError, match="free_bits=-1"):
        small_vae(free_bits=-1)


def test_kl_warmup_raises_the_weight_linearly_to_beta():
    model = small_vae(beta=2.0, kl_warmup_steps=10)
    assert float(model.kl_weight()) == 0.0
    model.optimizer.iterations.assign(5)
    assert float(model.kl_weight()) == pytest.approx(1.0)
    model.optimizer.iterations.assign(50)
    assert float(model.kl_weight()) == pytest.approx(2.0)
    assert small_vae(beta=2.0).kl_weight() == 2.0


def test_autoregressive_vae_trains_and_decodes_pixel_by_pixel(blob_images):
    keras.utils.set_random_seed(0)
    model = models.VAE(networks.dense_encoder(2, hidden_units=(32,)),
                       networks.pixelcnn_decoder(2, filters=4, num_layers=2), seed=0)
    model.compile()
    assert model.autoregressive
    dataset = data.make_dataset(blob_images, batch_size=16, binarize="dynamic")
    history = model.fit(dataset, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][-1])
    images = model.decode(np.zeros((2, 2), "float32"), seed=1)
    assert images.shape == (2, 28, 28, 1) and 0 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(images, model.decode(np.zeros((2, 2), "float32"), seed=1))
