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


@pytest.mark.parametrize("encoder, decoder", [
    (networks.dense_encoder, networks.dense_decoder),
    (networks.conv_encoder, networks.conv_decoder),
])
def test_conditional_networks_read_a_one_hot_label(encoder, decoder):
    enc, dec = encoder(3, num_classes=10), decoder(3, num_classes=10)
    assert networks.input_names(enc) == ["x", "label"]
    assert networks.input_names(dec) == ["z", "label"]
    x, label = np.zeros((2, 28, 28, 1), "float32"), np.eye(10, dtype="float32")[[1, 7]]
    z_mean, _ = enc([x, label])
    assert z_mean.shape == (2, 3)
    out = np.asarray(dec([np.zeros((2, 3), "float32"), label]))
    assert out.shape == (2, 28, 28, 1) and not np.allclose(out[0], out[1])  # label matters
    assert networks.check_compatible(enc, dec) == 3
    with pytest.raises(ValueError, match="'label' input in both"):
        networks.check_compatible(enc, decoder(3))
    with pytest.raises(ValueError, match="10 classes and the decoder's 5"):
        networks.check_compatible(enc, decoder(3, num_classes=5))
    with pytest.raises(ValueError, match="num_classes=1"):
        encoder(3, num_classes=1)


def test_pixelcnn_pixel_logits_see_only_earlier_pixels():
    decoder = networks.pixelcnn_decoder(4, filters=8, num_layers=3)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(1, 4)).astype("float32")
    x = (rng.random((1, 28, 28, 1)) < 0.3).astype("float32")
    base = np.asarray(decoder([z, x]))[0, :, :, 0].ravel()
    for pixel in (0, 290, 783):
        changed = x.copy().reshape(-1)
        changed[pixel] = 1 - changed[pixel]
        new = np.asarray(decoder([z, changed.reshape(x.shape)]))[0, :, :, 0].ravel()
        moved = np.flatnonzero(np.abs(new - base) > 1e-6)
        assert moved.size == 0 or moved.min() > pixel, f"pixel {pixel} leaks into {moved.min()}"
        if pixel < 783:
            assert moved.size > 0  # and later pixels do see it
    other_z = np.asarray(decoder([z + 1.0, x]))[0, :, :, 0].ravel()
    assert not np.allclose(other_z, base)  # z reaches every pixel, the first one too
    with pytest.raises(ValueError, match="kernel_size=4"):
        networks.pixelcnn_decoder(4, kernel_size=4)
