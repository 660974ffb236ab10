"""The chapter-11 checkers accept correct implementations (written here without vae_lib) and
reject known-wrong ones with the right diagnosis."""

import keras
import numpy as np
import pytest
from keras import ops

from vae_lib import checks, distributions, networks


# --- free_bits_kl ----------------------------------------------------------------------------

def kl_elements(z_mean, z_log_var):
    return 0.5 * (np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var)  # (batch, L)


def numpy_free_bits(z_mean, z_log_var, free_bits):
    return np.sum(np.maximum(kl_elements(z_mean, z_log_var).mean(axis=0), free_bits))


def keras_free_bits(z_mean, z_log_var, free_bits):
    kl = 0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var)
    return ops.sum(ops.maximum(ops.mean(kl, axis=0), free_bits))


@pytest.mark.parametrize("fn", [numpy_free_bits, keras_free_bits])
def test_free_bits_kl_accepts_correct_versions(fn):
    result = checks.free_bits_kl(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda m, v, b: np.maximum(kl_elements(m, v), b).sum(axis=1).mean(), "each image's KL"),
    (lambda m, v, b: max(kl_elements(m, v).sum(axis=1).mean(), m.shape[1] * b), "total KL"),
    (lambda m, v, b: np.minimum(kl_elements(m, v).mean(axis=0), b).sum(), "minimum"),
    (lambda m, v, b: np.maximum(kl_elements(m, v).mean(axis=0) - b, 0).sum(),
     "gradients are right"),
    (lambda m, v, b: np.maximum(kl_elements(m, v).sum(axis=0), b).sum(), "grows with the batch"),
    (lambda m, v, b: kl_elements(m, v).mean(axis=0).sum(), "plain KL"),
    (lambda m, v, b: np.maximum(kl_elements(m, v).mean(axis=0), b), "sum the floored KL"),
    (lambda m, v, b: np.maximum(kl_elements(m, 2 * v).mean(axis=0), b).sum(), "expected"),
    (lambda m, v, b: None, "forget `return`"),
])
def test_free_bits_kl_names_known_bugs(fn, words):
    result = checks.free_bits_kl(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_free_bits_kl_refuses_the_library():
    from vae_lib import models

    def uses_the_model(z_mean, z_log_var, free_bits):
        model = models.VAE(networks.dense_encoder(z_mean.shape[1], hidden_units=(4,)),
                           networks.dense_decoder(z_mean.shape[1], hidden_units=(4,)),
                           free_bits=free_bits)
        x = np.zeros((len(z_mean), 28, 28, 1), "float32")
        return model.compute_loss(x=x, y_pred=(np.zeros_like(x), z_mean, z_log_var))

    result = checks.free_bits_kl(uses_the_model, verbose=False)
    assert not result.passed and "models.VAE.compute_loss" in result.message, result.message


def test_free_bits_kl_agrees_with_the_models_loss():
    """The checker's reference is the KL term models.VAE adds with free bits."""
    from vae_lib import models

    rng = np.random.default_rng(0)
    z_mean = rng.normal(size=(6, 3)).astype("float32") * 0.3
    z_log_var = rng.uniform(-1, 0.5, (6, 3)).astype("float32")
    pair = [models.VAE(networks.dense_encoder(3, hidden_units=(4,)),
                       networks.dense_decoder(3, hidden_units=(4,)), free_bits=bits)
            for bits in (0.0, 0.4)]
    x = np.zeros((6, 28, 28, 1), "float32")
    losses = [float(m.compute_loss(x=x, y_pred=(np.zeros_like(x), z_mean, z_log_var)))
              for m in pair]
    plain = float(np.sum(ops.convert_to_numpy(ops.mean(
        distributions.kl_normal_standard_per_dimension(z_mean, z_log_var), axis=0))))
    assert losses[1] - losses[0] == pytest.approx(
        numpy_free_bits(z_mean, z_log_var, 0.4) - plain, rel=1e-4)


# --- conditional_input -----------------------------------------------------------------------

def numpy_input(z, labels, num_classes):
    return np.concatenate([z, np.eye(num_classes)[labels]], axis=1)


def keras_input(z, labels, num_classes):
    return ops.concatenate([z, ops.one_hot(labels, num_classes)], axis=-1)


@pytest.mark.parametrize("fn", [numpy_input, keras_input])
def test_conditional_input_accepts_correct_versions(fn):
    result = checks.conditional_input(fn, verbose=False)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda z, y, k: np.concatenate([z, y[:, None]], axis=1), "not as one integer"),
    (lambda z, y, k: np.concatenate([np.eye(k)[y], z], axis=1), "first"),
    (lambda z, y, k: np.concatenate([z, np.eye(k)[(y + 1) % k]], axis=1), "shifted"),
    (lambda z, y, k: np.eye(k)[y], "keep z"),
    (lambda z, y, k: np.concatenate([z, np.eye(10)[y]], axis=1), "not 10"),
    (lambda z, y, k: np.concatenate([z * 2, np.eye(k)[y]], axis=1), "not z"),
    (lambda z, y, k: np.concatenate([z, np.eye(k)[y] * 0.5], axis=1), "single 1"),
])
def test_conditional_input_names_known_bugs(fn, words):
    result = checks.conditional_input(fn, verbose=False)
    assert not result.passed and words in result.message, result.message


def test_conditional_input_is_what_the_library_decoder_reads():
    """Feeding the checked input to the decoder's layers after its Concatenate gives the
    decoder's output: the checker asks for the library's layout."""
    keras.utils.set_random_seed(0)
    decoder = networks.dense_decoder(3, hidden_units=(8,), num_classes=10)
    z = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    labels = np.array([2, 7, 0, 9])
    full = decoder([z, np.eye(10, dtype="float32")[labels]])
    joined = numpy_input(z, labels, 10).astype("float32")
    dense_layers = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Dense)]
    hidden = joined
    for layer in dense_layers:
        hidden = layer(hidden)
    np.testing.assert_allclose(ops.convert_to_numpy(full).reshape(4, -1),
                               ops.convert_to_numpy(hidden), rtol=1e-5, atol=1e-5)
