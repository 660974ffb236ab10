"""Encoder and decoder builders (Keras Functional models).

Encoders map an image (H, W, C) to ``[z_mean, z_log_var]``, each (latent_dim,), or, with
``variational=False``, to one deterministic code z (for the plain autoencoder of chapter 2).
Decoders map z (latent_dim,) to ``x_logits`` (H, W, C): real numbers, no sigmoid. The
sigmoid lives in the likelihood (``likelihoods.py``), where it is numerically stable.

Introduced in chapters 2 and 6 (dense) and 7 (convolutional).
"""

import keras

from vae_lib import layers

IMAGE_SHAPE = (28, 28, 1)


def _check_latent_dim(latent_dim):
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim <= 0:
        raise ValueError(f"latent_dim={latent_dim!r}; expected a positive integer")


def _check_units(name, units):
    if not all(isinstance(unit, int) and unit > 0 for unit in units):
        raise ValueError(f"{name}={units!r}; expected a sequence of positive integers")


def _latent_head(hidden, latent_dim, variational):
    """Dense heads: (z_mean, z_log_var) for a VAE, or one code z for an autoencoder."""
    if not variational:
        return keras.layers.Dense(latent_dim, name="z")(hidden)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(hidden)
    raw_log_var = keras.layers.Dense(latent_dim, name="z_log_var_raw")(hidden)
    z_log_var = layers.BoundedLogVariance(name="z_log_var")(raw_log_var)
    return [z_mean, z_log_var]


def dense_encoder(latent_dim, hidden_units=(512, 256), input_shape=IMAGE_SHAPE,
                  variational=True, name="dense_encoder"):
    """A multilayer perceptron encoder.

    Args:
        latent_dim: size of z.
        hidden_units: sizes of the ReLU hidden layers.
        input_shape: (H, W, C) of the images.
        variational: output ``[z_mean, z_log_var]`` (True) or one code z (False).
        name: the model's name.

    Returns:
        keras.Model: (batch, H, W, C) -> [(batch, latent_dim), (batch, latent_dim)] or
        (batch, latent_dim).
    """
    _check_latent_dim(latent_dim)
    _check_units("hidden_units", hidden_units)
    x = keras.Input(shape=input_shape, name="x")
    hidden = keras.layers.Flatten()(x)  # (batch, H * W * C)
    for units in hidden_units:
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    return keras.Model(x, _latent_head(hidden, latent_dim, variational), name=name)


def dense_decoder(latent_dim, hidden_units=(256, 512), output_shape=IMAGE_SHAPE,
                  name="dense_decoder"):
    """A multilayer perceptron decoder producing logits.

    Returns:
        keras.Model: (batch, latent_dim) -> (batch, H, W, C) ``x_logits``.
    """
    _check_latent_dim(latent_dim)
    _check_units("hidden_units", hidden_units)
    z = keras.Input(shape=(latent_dim,), name="z")
    hidden = z
    for units in hidden_units:
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    size = 1
    for dim in output_shape:
        size *= dim
    flat_logits = keras.layers.Dense(size)(hidden)
    x_logits = keras.layers.Reshape(output_shape, name="x_logits")(flat_logits)
    return keras.Model(z, x_logits, name=name)


def conv_encoder(latent_dim, filters=(32, 64), dense_units=256, input_shape=IMAGE_SHAPE,
                 variational=True, name="conv_encoder"):
    """A convolutional encoder: stride-2 convolutions halve the image at each step.

    28x28x1 -> 14x14x32 -> 7x7x64 -> flatten 3136 -> dense -> (z_mean, z_log_var).
    Strided convolutions learn their own downsampling, where pooling would throw away
    the position information the decoder needs.

    Args:
        latent_dim: size of z.
        filters: channels of each 3x3, stride-2 convolution.
        dense_units: size of the dense layer before the heads (0 for none).
        input_shape, variational, name: as in :func:`dense_encoder`.
    """
    _check_latent_dim(latent_dim)
    _check_units("filters", filters)
    x = keras.Input(shape=input_shape, name="x")
    hidden = x
    for channels in filters:
        hidden = keras.layers.Conv2D(channels, 3, strides=2, padding="same",
                                     activation="relu")(hidden)
    hidden = keras.layers.Flatten()(hidden)
    if dense_units:
        hidden = keras.layers.Dense(dense_units, activation="relu")(hidden)
    return keras.Model(x, _latent_head(hidden, latent_dim, variational), name=name)


def conv_decoder(latent_dim, filters=(64, 32), dense_units=256, output_shape=IMAGE_SHAPE,
                 name="conv_decoder"):
    """A transposed-convolution decoder producing logits (the mirror of :func:`conv_encoder`).

    z -> dense -> 7x7x64 -> 14x14x64 -> 28x28x32 -> 28x28x1 logits.
    Each stride-2 transposed convolution doubles height and width.
    """
    _check_latent_dim(latent_dim)
    _check_units("filters", filters)
    height, width, channels = output_shape
    scale = 2 ** len(filters)
    if height % scale or width % scale:
        raise ValueError(
            f"output_shape={output_shape!r} cannot be reached by {len(filters)} stride-2 "
            f"steps; height and width must be divisible by {scale}"
        )
    z = keras.Input(shape=(latent_dim,), name="z")
    hidden = z
    if dense_units:
        hidden = keras.layers.Dense(dense_units, activation="relu")(hidden)
    start = (height // scale, width // scale, filters[0])
    hidden = keras.layers.Dense(start[0] * start[1] * start[2], activation="relu")(hidden)
    hidden = keras.layers.Reshape(start)(hidden)  # (batch, 7, 7, filters[0])
    for step_channels in filters:
        hidden = keras.layers.Conv2DTranspose(step_channels, 3, strides=2, padding="same",
                                              activation="relu")(hidden)
    x_logits = keras.layers.Conv2DTranspose(channels, 3, padding="same",
                                            name="x_logits")(hidden)
    return keras.Model(z, x_logits, name=name)


def check_compatible(encoder, decoder, variational=True):
    """Raise ValueError unless ``decoder`` accepts the encoder's codes and returns its images.

    Args:
        encoder: a Keras model image -> [z_mean, z_log_var] (or -> z if not variational).
        decoder: a Keras model z -> x_logits.
        variational: whether the encoder must output two tensors.

    Returns:
        int: the latent dimension.
    """
    for role, model in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(model, keras.Model):
            raise TypeError(f"{role} is a {type(model).__name__}; expected a keras.Model")
    outputs = encoder.outputs
    if variational and len(outputs) != 2:
        raise ValueError(
            f"encoder {encoder.name!r} has {len(outputs)} outputs; a VAE encoder must output "
            "[z_mean, z_log_var]"
        )
    if not variational and len(outputs) != 1:
        raise ValueError(
            f"encoder {encoder.name!r} has {len(outputs)} outputs; an autoencoder's encoder "
            "must output one code z"
        )
    latent_dim = outputs[0].shape[-1]
    decoder_in = decoder.inputs[0].shape[-1]
    if decoder_in != latent_dim:
        raise ValueError(
            f"encoder {encoder.name!r} gives codes of size {latent_dim} but decoder "
            f"{decoder.name!r} expects size {decoder_in}"
        )
    image_in = tuple(encoder.inputs[0].shape[1:])
    image_out = tuple(decoder.outputs[0].shape[1:])
    if image_in != image_out:
        raise ValueError(
            f"encoder {encoder.name!r} reads images of shape {image_in} but decoder "
            f"{decoder.name!r} returns shape {image_out}"
        )
    return latent_dim
