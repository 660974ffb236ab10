"""Bits-back ANS compression: exact round trips, sizes the ELBO predicts, and clear errors for
damaged data or the wrong model."""

import bz2
import gzip
import io
import math
import struct
import zlib

import keras
import numpy as np
import pytest
from PIL import Image
from scipy import stats

from vae_lib import compression, data, evaluation, likelihoods, models, networks


def tiny_vae(seed=0, latent_dim=4, likelihood="bernoulli"):
    """A small dense VAE with fixed (seeded, untrained) weights: fast, and any weights will do
    for a lossless coder."""
    keras.utils.set_random_seed(seed)
    encoder = networks.dense_encoder(latent_dim, hidden_units=(32,))
    decoder = networks.dense_decoder(latent_dim, hidden_units=(32,))
    return models.VAE(encoder, decoder, likelihood=likelihood)


@pytest.fixture(scope="module")
def model():
    return tiny_vae()


@pytest.fixture(scope="module")
def digits():
    images = data.load_mnist("test", verbose=False).images[:150]
    return data.binarize_static(images, seed=0)


def test_round_trip_is_exact_on_real_digits(model, digits):
    compressed = compression.compress(model, digits)
    restored = compression.decompress(model, compressed)
    assert restored.dtype == np.float32 and restored.shape == digits.shape
    np.testing.assert_array_equal(restored, digits)


@pytest.mark.parametrize("count, share", [(1, 0.5), (7, 0.05), (40, 0.9)])
def test_round_trip_is_exact_on_random_images(model, count, share):
    rng = np.random.default_rng(count)
    images = (rng.random((count, 28, 28, 1)) < share).astype("float32")
    np.testing.assert_array_equal(compression.decompress(model, compression.compress(model, images)),
                                  images)


def test_size_is_the_negative_elbo_in_bits(model, digits):
    compressed = compression.compress(model, digits)
    bits_per_image = compression.size_in_bits(compressed) / len(digits)
    # The ELBO averaged over several posterior samples per image (the coder draws its own).
    elbos = [evaluation.evaluate_elbo(model, digits, seed=seed)["elbo"] for seed in range(5)]
    negative_elbo_bits = -np.mean(elbos) / math.log(2)
    assert bits_per_image == pytest.approx(negative_elbo_bits, rel=0.02)


def test_clean_bits_are_counted_and_the_file_is_deterministic(model, digits):
    first = compression.compress(model, digits[:20], seed=3)
    assert first == compression.compress(model, digits[:20], seed=3)
    other = compression.compress(model, digits[:20], seed=4)
    assert other != first
    np.testing.assert_array_equal(compression.decompress(model, other), digits[:20])
    header = compression.read_header(first)
    assert header.clean_words == compression.clean_words_needed(model.latent_dim)
    assert header.count == 20 and header.image_shape == (28, 28, 1) and header.seed == 3
    assert header.size_bytes == len(first)
    # the payload holds the clean words: the file is at least that long
    assert 4 * header.payload_words >= 4 * header.clean_words


def test_buckets_have_equal_prior_mass_and_posterior_probabilities_match_scipy():
    edges, centres = compression.bucket_edges_and_centres(4)
    np.testing.assert_allclose(np.diff(stats.norm.cdf(edges)), 1 / 16)
    np.testing.assert_allclose(stats.norm.cdf(centres), (np.arange(16) + 0.5) / 16)
    z_mean = np.array([[0.0, 1.3, -4.0, 9.0]])
    z_log_var = np.log(np.array([[1.0, 0.04, 0.25, 0.01]]))
    got = compression.posterior_bucket_probabilities(z_mean, z_log_var, 4)
    std = np.exp(0.5 * z_log_var)[..., None]
    expected = np.diff(stats.norm.cdf(edges, loc=z_mean[..., None], scale=std), axis=-1)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0)
    np.testing.assert_allclose(got[0, 0], 1 / 16)  # the prior itself: equal mass


def test_far_tail_buckets_keep_their_small_probabilities():
    # Mean far above the top edge: a difference 1 - 1 would lose the second-last bucket.
    got = compression.posterior_bucket_probabilities([[6.0]], [[0.0]], 4)
    edges, _ = compression.bucket_edges_and_centres(4)
    expected = stats.norm.sf(edges[-3] - 6.0) - stats.norm.sf(edges[-2] - 6.0)
    assert got[0, 0, -2] == pytest.approx(expected, rel=1e-9)


def test_schedule_doubles_up_to_the_largest_batch_and_covers_every_image():
    batches = compression.batch_schedule(300, max_batch=64)
    sizes = [stop - start for start, stop in batches]
    assert sizes == [1, 2, 4, 8, 16, 32, 64, 64, 64, 45]
    assert batches[0][0] == 0 and batches[-1][1] == 300
    assert all(a[1] == b[0] for a, b in zip(batches, batches[1:]))


def test_truncated_data_is_refused(model, digits):
    compressed = compression.compress(model, digits[:10])
    for cut in (5, len(compressed) // 2, len(compressed) - 1):
        with pytest.raises(ValueError, match="truncated"):
            compression.decompress(model, compressed[:cut])
    with pytest.raises(ValueError, match="extra bytes"):
        compression.decompress(model, compressed + b"\0")


def test_corrupted_data_is_refused(model, digits):
    compressed = bytearray(compression.compress(model, digits[:10]))
    for position in (10, 60, len(compressed) // 2, len(compressed) - 6):
        damaged = bytearray(compressed)
        damaged[position] ^= 0x10
        with pytest.raises(ValueError, match="corrupted|not a file|version"):
            compression.decompress(model, bytes(damaged))


def test_damage_that_passes_the_crc_is_caught_by_the_image_checksum(model, digits):
    compressed = compression.compress(model, digits[:30])
    header_size = compression._HEADER.size
    damaged = bytearray(compressed[:-4])
    damaged[header_size + 8] ^= 0x01  # a payload bit
    damaged = bytes(damaged) + struct.pack("<I", zlib.crc32(bytes(damaged)))
    with pytest.raises(ValueError, match="fail the checksum"):
        compression.decompress(model, damaged)


def test_the_wrong_model_is_detected(model, digits):
    compressed = compression.compress(model, digits[:10])
    with pytest.raises(ValueError, match="different model"):
        compression.decompress(tiny_vae(seed=1), compressed)
    with pytest.raises(ValueError, match="different model"):
        compression.decompress(tiny_vae(latent_dim=3), compressed)


def test_bad_inputs_get_clear_errors(model, digits):
    with pytest.raises(ValueError, match="binary images"):
        compression.compress(model, digits[:3] * 0.5)
    with pytest.raises(TypeError, match="expected a vae_lib.models.VAE"):
        compression.compress("model", digits[:3])
    with pytest.raises(ValueError, match="Bernoulli"):
        compression.compress(tiny_vae(likelihood=likelihoods.Gaussian()), digits[:3])
    with pytest.raises(ValueError, match="shape"):
        compression.compress(model, digits[:3, :14])
    with pytest.raises(TypeError, match="bytes"):
        compression.decompress(model, "not bytes")
    with pytest.raises(ValueError, match="not a file"):
        compression.decompress(model, b"x" * 100)
    with pytest.raises(ValueError, match="seed"):
        compression.compress(model, digits[:3], seed=-1)


def test_baselines_are_what_the_compressors_give_and_png_is_lossless(digits):
    sizes = compression.baseline_sizes(digits)
    packed = np.packbits(digits.astype("uint8").ravel()).tobytes()
    assert sizes["gzip"][0] <= len(gzip.compress(packed, compresslevel=9, mtime=0))
    assert sizes["bz2"][0] <= len(bz2.compress(packed, 9))
    assert set(sizes) == {"gzip", "bz2", "lzma", "png"}
    # The PNG mosaic decodes to the same pixels (recompute it and read it back).
    mosaic = digits.astype(bool).reshape(-1, 28)
    buffer = io.BytesIO()
    Image.fromarray(mosaic).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) == sizes["png"][0]
    back = np.asarray(Image.open(io.BytesIO(buffer.getvalue()))).astype("float32")
    np.testing.assert_array_equal(back.reshape(digits.shape), digits)
    with pytest.raises(ValueError, match="binary"):
        compression.baseline_sizes(digits * 0.5)
