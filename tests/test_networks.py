import numpy as np
import pytest

from vae_lib import networks


@pytest.mark.parametrize("encoder, decoder", [
    (networks.dense_encoder, networks.dense_decoder),
    (networks.conv_encoder, networks.conv_decoder),
])
@pytest.mark.parametrize("latent_dim", [1, 3])
def test_shapes(encoder, decoder, latent_dim):
    x = np.zeros((2, 28, 28, 1), "float32")
    z_mean, z_log_var = encoder(latent_dim)(x)
    assert z_mean.shape == (2, latent_dim) and z_log_var.shape == (2, latent_dim)
    assert decoder(latent_dim)(np.zeros((2, latent_dim), "float32")).shape == (2, 28, 28, 1)
    assert networks.check_compatible(encoder(latent_dim), decoder(latent_dim)) == latent_dim


def test_deterministic_encoder_has_one_output():
    encoder = networks.dense_encoder(4, variational=False)
    assert len(encoder.outputs) == 1
    with pytest.raises(ValueError, match="must output \\[z_mean, z_log_var\\]"):
        networks.check_compatible(encoder, networks.dense_decoder(4))


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, None])
def test_latent_dim_must_be_positive_integer(bad):
    with pytest.raises(ValueError, match=f"latent_dim={bad!r}"):
        networks.dense_encoder(bad)


def test_mismatched_encoder_and_decoder_are_named():
    with pytest.raises(ValueError, match="codes of size 4.*expects size 3"):
        networks.check_compatible(networks.dense_encoder(4), networks.dense_decoder(3))
    small = networks.dense_decoder(2, output_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"\(28, 28, 1\).*\(8, 8, 1\)"):
        networks.check_compatible(networks.dense_encoder(2), small)
    with pytest.raises(TypeError, match="expected a keras.Model"):
        networks.check_compatible("encoder", small)


def test_conv_decoder_rejects_unreachable_shape():
    with pytest.raises(ValueError, match="divisible by 4"):
        networks.conv_decoder(2, output_shape=(30, 30, 1))
