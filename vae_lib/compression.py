"""Lossless compression of binary images with a trained VAE: bits-back coding with ANS (BB-ANS).

Townsend, Bird and Barber (2019) turned a VAE into a real compressor whose file size is the
negative ELBO. For each image x, with an entropy coder that works as a stack (asymmetric
numeral systems, ANS):

1. *decode* (pop) a latent z from the stack with the posterior q(z | x): this takes bits off
   the stack, the "bits back";
2. *encode* (push) the pixels x with the likelihood p(x | z): -log2 p(x | z) bits;
3. *encode* (push) z with the prior p(z): -log2 p(z) bits.

The net cost is log2 q(z | x) - log2 p(x | z) - log2 p(z), whose average over z ~ q is the
negative ELBO in bits. The decompressor runs the same steps backwards and in reverse order:
pop z with the prior, pop x with p(x | z), push z back with q(z | x) (returning the borrowed
bits). The first image has nothing to borrow from, so the stack starts with a few random
"clean" words; they stay in the file and are counted in its size.

Latents are discretized as in the paper: each dimension of the prior N(0, 1) is cut into
2**precision buckets of equal prior mass, so the prior costs exactly ``precision`` bits per
dimension, the posterior's probability of a bucket is the difference of two normal CDFs, and
the decoder sees the bucket's centre (the prior quantile at the middle of its mass).

Determinism: the coder must see exactly the same probabilities when compressing and when
decompressing, or it decodes garbage. So the networks run on the same batches in both
directions (a fixed schedule of batch sizes: 1, 2, 4, ... up to ``max_batch``), and their
outputs are rounded to a grid of 2**-12 before they become probabilities, so that a last-bit
difference in a float32 result almost never changes them. A checksum of the images in the
header catches anything that still goes wrong: :func:`decompress` raises rather than return a
wrong image.

The entropy coder is ``constriction`` (Bamler 2022): a maintained Rust library with a Python
API whose stack coder (``constriction.stream.stack.AnsCoder``) can both push and pop symbols,
which is what bits-back needs, and whose models (Bernoulli, Categorical, Uniform) take a
different probability for every symbol in one vectorized call.

Introduced in chapter 10.
"""

import dataclasses
import hashlib
import math
import struct
import weakref
import zlib

import numpy as np
from scipy import special

from vae_lib import data, likelihoods, models

MAGIC = b"VAEBBANS"
VERSION = 1
PRECISION = 8  # 2**8 = 256 buckets per latent dimension
MAX_BATCH = 128
GRID = 2.0 ** -12  # network outputs are rounded to multiples of this before coding
# magic, version, precision, max_batch, clean words, count, height, width, channels, seed,
# model fingerprint, image checksum, payload words
_HEADER = struct.Struct("<8sBBHHIHHHI16s16sI")
_CRC = struct.Struct("<I")


@dataclasses.dataclass(frozen=True)
class Header:
    """What a compressed file says about itself (see :func:`read_header`).

    Attributes:
        precision: bits per latent dimension (2**precision buckets).
        max_batch: the largest batch of the schedule.
        clean_words: 32-bit words of random "clean" bits the stack started with.
        count: number of images.
        image_shape: (H, W, C).
        seed: seed of the clean bits.
        model_fingerprint: 16 bytes identifying the model's architecture and weights.
        image_checksum: 16 bytes of SHA-256 of the images (bit-packed).
        payload_words: length of the ANS stack in 32-bit words.
        size_bytes: size of the whole file.
    """

    precision: int
    max_batch: int
    clean_words: int
    count: int
    image_shape: tuple
    seed: int
    model_fingerprint: bytes
    image_checksum: bytes
    payload_words: int
    size_bytes: int


# --- the pieces ----------------------------------------------------------------------------

def bucket_edges_and_centres(precision=PRECISION):
    """Buckets of equal mass under N(0, 1).

    Args:
        precision: number of bits; there are 2**precision buckets.

    Returns:
        (edges, centres): edges (2**precision + 1,) from -inf to +inf, the prior quantiles
        at i / 2**precision; centres (2**precision,), the quantiles at (i + 1/2) / 2**precision.
    """
    _check_int("precision", precision, 1, 16)
    size = 2 ** precision
    edges = special.ndtri(np.arange(size + 1) / size)  # ndtri(0) = -inf, ndtri(1) = +inf
    centres = special.ndtri((np.arange(size) + 0.5) / size)
    return edges, centres


def posterior_bucket_probabilities(z_mean, z_log_var, precision=PRECISION):
    """Probability that z ~ N(z_mean, exp(z_log_var)) falls in each prior bucket.

    Args:
        z_mean, z_log_var: (N, latent_dim) posterior parameters.
        precision: bits per dimension.

    Returns:
        np.ndarray (N, latent_dim, 2**precision), float64; each row sums to 1.
    """
    edges, _ = bucket_edges_and_centres(precision)
    z_mean = np.asarray(z_mean, dtype="float64")[..., None]
    z_std = np.exp(0.5 * np.asarray(z_log_var, dtype="float64"))[..., None]
    standard = (edges - z_mean) / z_std  # (N, d, size + 1)
    # Upper tail as 1 - CDF computed from the other side, so that far-out buckets keep their
    # (small) probabilities instead of a difference of two numbers close to 1.
    lower = special.ndtr(standard[..., :-1])
    upper = special.ndtr(standard[..., 1:])
    from_above = special.ndtr(-standard[..., :-1]) - special.ndtr(-standard[..., 1:])
    probabilities = np.where(standard[..., :-1] > 0, from_above, upper - lower)
    return np.maximum(probabilities, 0.0)


def batch_schedule(count, max_batch=MAX_BATCH):
    """The batches the images are coded in: sizes 1, 2, 4, ... up to ``max_batch``.

    Small batches first, so that the first images need only a few clean bits and later
    batches borrow the bits the earlier ones left on the stack.

    Returns:
        list of (start, stop) index pairs covering range(count) in order.
    """
    _check_int("count", count, 1)
    _check_int("max_batch", max_batch, 1)
    batches, start, size = [], 0, 1
    while start < count:
        stop = min(count, start + size)
        batches.append((start, stop))
        start, size = stop, min(2 * size, max_batch)
    return batches


def model_fingerprint(model):
    """16 bytes that identify a model: its image shape, latent size and every weight.

    A file compressed with one model cannot be decompressed with another; the fingerprint
    in the header says so before any decoding.
    """
    digest = hashlib.sha256()
    digest.update(repr((tuple(model.image_shape), int(model.latent_dim))).encode())
    for weights in model.get_weights():
        array = np.ascontiguousarray(weights, dtype="float32")
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.digest()[:16]


def image_checksum(images):
    """16 bytes of SHA-256 of binary images, bit-packed."""
    packed = np.packbits(np.asarray(images, dtype="uint8").ravel())
    return hashlib.sha256(packed.tobytes()).digest()[:16]


def clean_bits(words, seed=0):
    """The random words the stack starts with (non-zero, so none is dropped as padding)."""
    rng = np.random.default_rng(seed)
    return rng.integers(1, 2**32, size=words, dtype=np.uint64).astype(np.uint32)


def clean_words_needed(latent_dim, precision=PRECISION):
    """Clean 32-bit words: enough to pop one image's latents (at most latent_dim x precision
    bits for all but improbable buckets), plus one word."""
    return math.ceil(latent_dim * precision / 32) + 1


# --- the coder -----------------------------------------------------------------------------

def _constriction():
    try:
        import constriction
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("vae_lib.compression needs the entropy coder constriction: "
                          "pip install constriction") from None
    return constriction


def _quantize(values):
    """Round to multiples of GRID in float64: identical inputs to the coder on both sides."""
    return np.round(np.asarray(values, dtype="float64") / GRID) * GRID


_COMPILED = weakref.WeakKeyDictionary()


def _compiled(model):
    """The model's encoder and decoder as compiled functions, traced once for any batch size
    (eager Keras calls cost milliseconds of Python per layer; the coder calls them often)."""
    import tensorflow as tf

    functions = _COMPILED.get(model)
    if functions is None:
        image_spec = tf.TensorSpec((None,) + tuple(model.image_shape), tf.float32)
        code_spec = tf.TensorSpec((None, model.latent_dim), tf.float32)

        @tf.function(input_signature=[image_spec])
        def encode(x):
            z_mean, z_log_var = model.encoder(x, training=False)
            return tf.concat([z_mean, z_log_var], axis=-1)

        @tf.function(input_signature=[code_spec])
        def decode(z):
            return model.decoder(z, training=False)

        functions = _COMPILED[model] = (encode, decode)
    return functions


class _Networks:
    """The model's encoder and decoder as the coder sees them: rounded, float64 NumPy."""

    def __init__(self, model, precision):
        self.encode, self.decode = _compiled(model)
        self.precision = precision
        self.latent_dim = model.latent_dim
        _, self.centres = bucket_edges_and_centres(precision)

    def posterior(self, x):
        """Bucket probabilities of q(z | x): (batch * latent_dim, 2**precision)."""
        outputs = _quantize(self.encode(x.astype("float32")).numpy())
        z_mean, z_log_var = outputs[:, :self.latent_dim], outputs[:, self.latent_dim:]
        probabilities = posterior_bucket_probabilities(z_mean, z_log_var, self.precision)
        return probabilities.reshape(-1, probabilities.shape[-1])

    def pixel_probabilities(self, buckets, batch):
        """p(x_j = 1 | z) for the bucket centres: (batch * H * W * C,) float64."""
        z = self.centres[buckets].reshape(batch, self.latent_dim).astype("float32")
        logits = _quantize(self.decode(z).numpy())
        return special.expit(logits).ravel()


def compress(model, images, seed=0, precision=PRECISION, max_batch=MAX_BATCH):
    """Compress binary images losslessly with bits-back ANS coding (BB-ANS).

    Args:
        model: a trained ``models.VAE`` with a Bernoulli likelihood.
        images: (N, H, W, C) binary images (every value 0 or 1), e.g. from
            ``data.binarize_static``.
        seed: seed of the clean bits the stack starts with.
        precision: bits per latent dimension (2**precision buckets of equal prior mass).
        max_batch: largest number of images per network call (the schedule is stored).

    Returns:
        bytes: header, the ANS stack (32-bit little-endian words) and a CRC-32.

    Raises:
        TypeError: ``model`` is not a VAE.
        ValueError: a non-Bernoulli model, images of the wrong shape, or not binary.
    """
    model = _check_model(model)
    images = _check_binary(model, images)
    _check_int("seed", seed, 0, 2**32 - 1)
    _check_int("precision", precision, 1, 16)
    _check_int("max_batch", max_batch, 1, 2**16 - 1)
    constriction = _constriction()
    family = constriction.stream.model
    networks = _Networks(model, precision)
    words = clean_words_needed(model.latent_dim, precision)
    coder = constriction.stream.stack.AnsCoder(clean_bits(words, seed))
    flat = images.reshape(len(images), -1).astype("int32")
    for start, stop in batch_schedule(len(images), max_batch):
        x = images[start:stop]
        buckets = coder.decode(family.Categorical(perfect=False), networks.posterior(x))
        probabilities = networks.pixel_probabilities(buckets, stop - start)
        coder.encode_reverse(flat[start:stop].ravel(), family.Bernoulli(perfect=False),
                             probabilities)
        coder.encode_reverse(buckets, family.Uniform(2 ** precision))
    payload = coder.get_compressed().astype("<u4").tobytes()
    header = _HEADER.pack(MAGIC, VERSION, precision, max_batch, words, len(images),
                          *model.image_shape, seed, model_fingerprint(model),
                          image_checksum(images), len(payload) // 4)
    body = header + payload
    return body + _CRC.pack(zlib.crc32(body))


def read_header(compressed):
    """Check a compressed file's framing and return its :class:`Header`.

    Raises:
        TypeError: ``compressed`` is not bytes.
        ValueError: too short, not a BB-ANS file of this version, truncated or extended, or
            corrupted (CRC-32 mismatch).
    """
    if not isinstance(compressed, (bytes, bytearray, memoryview)):
        raise TypeError(f"data is a {type(compressed).__name__}; expected the bytes returned "
                        "by compression.compress")
    compressed = bytes(compressed)
    minimum = _HEADER.size + _CRC.size
    if len(compressed) < minimum:
        raise ValueError(f"data has {len(compressed)} bytes; a BB-ANS file has at least "
                         f"{minimum} (header and checksum): it is truncated or not one")
    fields = _HEADER.unpack_from(compressed)
    if fields[0] != MAGIC:
        raise ValueError(f"data starts with {fields[0]!r}; expected {MAGIC!r}: not a file "
                         "written by compression.compress")
    if fields[1] != VERSION:
        raise ValueError(f"data has format version {fields[1]}; this code reads version "
                         f"{VERSION}")
    payload_words = fields[12]
    expected = _HEADER.size + 4 * payload_words + _CRC.size
    if len(compressed) != expected:
        raise ValueError(f"data has {len(compressed):,} bytes but its header announces "
                         f"{expected:,}: the file is truncated, has extra bytes, or its header "
                         "is corrupted")
    (stored,) = _CRC.unpack_from(compressed, len(compressed) - _CRC.size)
    if zlib.crc32(compressed[:-_CRC.size]) != stored:
        raise ValueError("data is corrupted: its CRC-32 checksum does not match its content")
    return Header(precision=fields[2], max_batch=fields[3], clean_words=fields[4],
                  count=fields[5], image_shape=tuple(fields[6:9]), seed=fields[9],
                  model_fingerprint=fields[10], image_checksum=fields[11],
                  payload_words=payload_words, size_bytes=len(compressed))


def decompress(model, compressed):
    """Recover the images from :func:`compress`'s output, bit for bit.

    Args:
        model: the very same ``models.VAE`` that compressed them (checked by fingerprint).
        compressed: the bytes returned by :func:`compress`.

    Returns:
        np.ndarray (N, H, W, C) float32 of 0s and 1s.

    Raises:
        ValueError: corrupted or truncated data, a different model, or a decoded result that
            fails the image checksum (never a silently wrong image).
    """
    model = _check_model(model)
    header = read_header(compressed)
    if header.image_shape != tuple(model.image_shape):
        raise ValueError(f"data holds images of shape {header.image_shape}; this model "
                         f"codes {tuple(model.image_shape)}: use the model that compressed it")
    if header.model_fingerprint != model_fingerprint(model):
        raise ValueError("data was compressed with a different model (its fingerprint "
                         f"{header.model_fingerprint.hex()} is not this model's "
                         f"{model_fingerprint(model).hex()}); decompress with the same "
                         "architecture and weights")
    constriction = _constriction()
    family = constriction.stream.model
    networks = _Networks(model, header.precision)
    start_byte = _HEADER.size
    words = np.frombuffer(compressed, dtype="<u4", count=header.payload_words,
                          offset=start_byte).astype(np.uint32)
    coder = constriction.stream.stack.AnsCoder(words)
    pixels = int(np.prod(header.image_shape))
    images = np.zeros((header.count, pixels), dtype="float32")
    latent_symbols = model.latent_dim
    for start, stop in reversed(batch_schedule(header.count, header.max_batch)):
        batch = stop - start
        buckets = coder.decode(family.Uniform(2 ** header.precision), batch * latent_symbols)
        probabilities = networks.pixel_probabilities(buckets, batch)
        x = coder.decode(family.Bernoulli(perfect=False), probabilities)
        images[start:stop] = x.reshape(batch, pixels)
        x = images[start:stop].reshape((batch,) + header.image_shape)
        coder.encode_reverse(buckets, family.Categorical(perfect=False), networks.posterior(x))
    images = images.reshape((header.count,) + header.image_shape)
    remaining = coder.get_compressed()
    clean = clean_bits(header.clean_words, header.seed)
    if image_checksum(images) != header.image_checksum or not np.array_equal(remaining, clean):
        raise ValueError("decompression gave images that fail the checksum: the model's "
                         "outputs differ from those at compression time (different weights, "
                         "precision or library versions), or the data were altered")
    return images


# --- what the file should cost, and what general-purpose compressors achieve ----------------

def size_in_bits(compressed):
    """Size of a compressed file in bits (header, clean bits and checksum included)."""
    return 8 * len(compressed)


def baseline_sizes(images):
    """Bytes that general-purpose lossless compressors need for the same binary images.

    Each is given the images in the packing that suits it best of two: bit-packed (8 pixels
    per byte, ``np.packbits`` over the images in order) and one byte per pixel; gzip, bz2 and
    lzma run at their highest compression level, and PNG gets one 1-bit greyscale mosaic of
    all the images stacked vertically (Pillow, ``optimize=True``).

    Args:
        images: (N, H, W, C) binary images.

    Returns:
        dict name -> (bytes, packing), names ``gzip``, ``bz2``, ``lzma``, ``png``.
    """
    import bz2
    import gzip
    import io
    import lzma

    from PIL import Image

    binary = np.asarray(images).astype("uint8")
    if not np.isin(binary, (0, 1)).all() or not np.array_equal(binary, np.asarray(images)):
        raise ValueError("images must be binary (0 or 1) to compare lossless compressors")
    packings = {"bit-packed": np.packbits(binary.ravel()).tobytes(),
                "one byte per pixel": binary.ravel().tobytes()}
    compressors = {"gzip": lambda raw: gzip.compress(raw, compresslevel=9, mtime=0),
                   "bz2": lambda raw: bz2.compress(raw, compresslevel=9),
                   "lzma": lambda raw: lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)}
    sizes = {}
    for name, function in compressors.items():
        sizes[name] = min((len(function(raw)), packing) for packing, raw in packings.items())
    height = binary.shape[1]
    mosaic = binary.reshape(len(binary) * height, -1).astype(bool)
    buffer = io.BytesIO()
    Image.fromarray(mosaic).save(buffer, format="PNG", optimize=True)
    sizes["png"] = (len(buffer.getvalue()), "one 1-bit mosaic")
    return sizes


# --- checks --------------------------------------------------------------------------------

def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        upper = f" and <= {high}" if high is not None else ""
        raise ValueError(f"{name}={value!r}; expected an integer >= {low}{upper}")


def _check_model(model):
    if not isinstance(model, models.VAE):
        raise TypeError(f"model is a {type(model).__name__}; expected a vae_lib.models.VAE "
                        "(bits-back coding needs an encoder q(z|x) and a prior)")
    if not isinstance(model.likelihood, likelihoods.Bernoulli):
        raise ValueError(f"model has likelihood {model.likelihood!r}; expected Bernoulli(): "
                         "the coder codes binary pixels")
    return model


def _check_binary(model, images):
    images = data.check_images(images, shape=model.image_shape)
    if not np.isin(images, (0.0, 1.0)).all():
        example = images[~np.isin(images, (0.0, 1.0))][0]
        raise ValueError(f"images has a value {example:g}; expected binary images (0 or 1): "
                         "binarize first, e.g. data.binarize_static(images)")
    return images
