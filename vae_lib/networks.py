"""Encoder and decoder builders (Keras Functional models).

Encoders map an image (H, W, C) to ``[z_mean, z_log_var]``, each (latent_dim,), or, with
``variational=False``, to one deterministic code z (for the plain autoencoder of chapter 2).
Decoders map z (latent_dim,) to ``x_logits`` (H, W, C): real numbers, no sigmoid. The
sigmoid lives in the likelihood (``likelihoods.py``), where it is numerically stable.

Inputs are found by name: every network reads ``x`` (encoders) or ``z`` (decoders); with
``num_classes`` it also reads ``label`` (a one-hot vector: a conditional VAE, chapter 11); the
autoregressive decoder :func:`pixelcnn_decoder` also reads ``x_context``, the image itself,
through masked convolutions that let pixel i see only the pixels above and to its left.

Introduced in chapters 2 and 6 (dense), 7 (convolutional) and 11 (conditional, autoregressive).
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


def _check_num_classes(num_classes):
    if num_classes is not None and (isinstance(num_classes, bool)
                                    or not isinstance(num_classes, int) or num_classes < 2):
        raise ValueError(f"num_classes={num_classes!r}; expected None or an integer >= 2")


def _label_input(num_classes):
    """The one-hot label input of a conditional network, or None."""
    _check_num_classes(num_classes)
    return None if num_classes is None else keras.Input(shape=(num_classes,), name="label")


def _inputs(main, label):
    return main if label is None else [main, label]


def _with_label(hidden, label):
    """Concatenate the one-hot label to a flat feature vector (conditioning)."""
    return hidden if label is None else keras.layers.Concatenate()([hidden, label])


def _latent_head(hidden, latent_dim, variational):
    """Dense heads: (z_mean, z_log_var) for a VAE, or one code z for an autoencoder."""
    if not variational:
        return keras.layers.Dense(latent_dim, name="z")(hidden)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(hidden)
    raw_log_var = keras.layers.Dense(latent_dim, name="z_log_var_raw")(hidden)
    z_log_var = layers.BoundedLogVariance(name="z_log_var")(raw_log_var)
    return [z_mean, z_log_var]


def dense_encoder(latent_dim, hidden_units=(512, 256), input_shape=IMAGE_SHAPE,
                  variational=True, name="dense_encoder", num_classes=None):
    """A multilayer perceptron encoder.

    Args:
        latent_dim: size of z.
        hidden_units: sizes of the ReLU hidden layers.
        input_shape: (H, W, C) of the images.
        variational: output ``[z_mean, z_log_var]`` (True) or one code z (False).
        name: the model's name.
        num_classes: also read a one-hot ``label`` (num_classes,), concatenated to the
            flattened image (a conditional VAE, chapter 11).

    Returns:
        keras.Model: (batch, H, W, C) -> [(batch, latent_dim), (batch, latent_dim)] or
        (batch, latent_dim).
    """
    _check_latent_dim(latent_dim)
    _check_units("hidden_units", hidden_units)
    x = keras.Input(shape=input_shape, name="x")
    label = _label_input(num_classes)
    hidden = _with_label(keras.layers.Flatten()(x), label)  # (batch, H * W * C [+ classes])
    for units in hidden_units:
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    return keras.Model(_inputs(x, label), _latent_head(hidden, latent_dim, variational),
                       name=name)


def dense_decoder(latent_dim, hidden_units=(256, 512), output_shape=IMAGE_SHAPE,
                  name="dense_decoder", num_classes=None):
    """A multilayer perceptron decoder producing logits.

    Args:
        num_classes: also read a one-hot ``label``, concatenated to z (chapter 11).

    Returns:
        keras.Model: (batch, latent_dim) -> (batch, H, W, C) ``x_logits``.
    """
    _check_latent_dim(latent_dim)
    _check_units("hidden_units", hidden_units)
    z = keras.Input(shape=(latent_dim,), name="z")
    label = _label_input(num_classes)
    hidden = _with_label(z, label)
    for units in hidden_units:
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    size = 1
    for dim in output_shape:
        size *= dim
    flat_logits = keras.layers.Dense(size)(hidden)
    x_logits = keras.layers.Reshape(output_shape, name="x_logits")(flat_logits)
    return keras.Model(_inputs(z, label), x_logits, name=name)


def conv_encoder(latent_dim, filters=(32, 64), dense_units=256, input_shape=IMAGE_SHAPE,
                 variational=True, name="conv_encoder", num_classes=None):
    """A convolutional encoder: stride-2 convolutions halve the image at each step.

    28x28x1 -> 14x14x32 -> 7x7x64 -> flatten 3136 -> dense -> (z_mean, z_log_var).
    Strided convolutions learn their own downsampling, where pooling would throw away
    the position information the decoder needs.

    Args:
        latent_dim: size of z.
        filters: channels of each 3x3, stride-2 convolution.
        dense_units: size of the dense layer before the heads (0 for none).
        input_shape, variational, name, num_classes: as in :func:`dense_encoder` (the label
            joins the flattened feature map).
    """
    _check_latent_dim(latent_dim)
    _check_units("filters", filters)
    x = keras.Input(shape=input_shape, name="x")
    label = _label_input(num_classes)
    hidden = x
    for channels in filters:
        hidden = keras.layers.Conv2D(channels, 3, strides=2, padding="same",
                                     activation="relu")(hidden)
    hidden = _with_label(keras.layers.Flatten()(hidden), label)
    if dense_units:
        hidden = keras.layers.Dense(dense_units, activation="relu")(hidden)
    return keras.Model(_inputs(x, label), _latent_head(hidden, latent_dim, variational),
                       name=name)


def conv_decoder(latent_dim, filters=(64, 32), dense_units=256, output_shape=IMAGE_SHAPE,
                 name="conv_decoder", num_classes=None):
    """A transposed-convolution decoder producing logits (the mirror of :func:`conv_encoder`).

    z -> dense -> 7x7x64 -> 14x14x64 -> 28x28x32 -> 28x28x1 logits.
    Each stride-2 transposed convolution doubles height and width. With ``num_classes`` a
    one-hot ``label`` is concatenated to z (chapter 11).
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
    label = _label_input(num_classes)
    hidden = _with_label(z, label)
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
    return keras.Model(_inputs(z, label), x_logits, name=name)


def pixelcnn_decoder(latent_dim, filters=32, num_layers=3, kernel_size=5,
                     output_shape=IMAGE_SHAPE, name="pixelcnn_decoder", num_classes=None):
    """An autoregressive decoder: each pixel's logit sees z and the pixels above and left of it.

    Inputs ``z`` (latent_dim,) and ``x_context`` (H, W, C), the image itself during training
    ("teacher forcing"). A first masked convolution (type A) lets pixel i see only pixels
    strictly before it in raster order; the following ones (type B) also see its own position's
    features, which already exclude pixel i. z enters every layer through a dense map added to
    the features. Such a decoder can model a digit's strokes without z, which is what makes
    posterior collapse possible (chapter 11). Sampling needs one pass per pixel
    (``models.VAE.decode`` does it).

    Args:
        latent_dim: size of z.
        filters: channels of the masked convolutions.
        num_layers: masked convolutions (the first of type A, the others of type B).
        kernel_size: odd kernel size of the first convolution (later ones are 3x3).
        output_shape: (H, W, C); C must be 1 (one Bernoulli logit per pixel).
        num_classes: also read a one-hot ``label``, joined to z.

    Returns:
        keras.Model: [z, x_context] (or [z, label, x_context]) -> x_logits (batch, H, W, 1).
    """
    _check_latent_dim(latent_dim)
    height, width, channels = output_shape
    if channels != 1:
        raise ValueError(f"output_shape={output_shape!r}; the PixelCNN decoder models one "
                         "channel (C = 1)")
    for label_name, value in (("filters", filters), ("num_layers", num_layers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label_name}={value!r}; expected a positive integer")
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 3 \
            or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size={kernel_size!r}; expected an odd integer >= 3")
    z = keras.Input(shape=(latent_dim,), name="z")
    label = _label_input(num_classes)
    context = keras.Input(shape=output_shape, name="x_context")
    code = _with_label(z, label)
    hidden = context
    for index in range(num_layers):
        size, mask = (kernel_size, "A") if index == 0 else (3, "B")
        hidden = layers.MaskedConv2D(filters, size, mask_type=mask)(hidden)
        conditioning = keras.layers.Dense(height * width * filters)(code)
        hidden = keras.layers.Add()([hidden, keras.layers.Reshape(
            (height, width, filters))(conditioning)])
        hidden = keras.layers.Activation("relu")(hidden)
    x_logits = layers.MaskedConv2D(1, 1, mask_type="B", name="x_logits")(hidden)
    inputs = [z, context] if label is None else [z, label, context]
    return keras.Model(inputs, x_logits, name=name)


def input_names(network):
    """The names of a network's inputs, e.g. ['z'], ['z', 'label'], ['z', 'x_context']."""
    return [tensor.name.split(":")[0] for tensor in network.inputs]


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
    encoder_names, decoder_names = input_names(encoder), input_names(decoder)
    if encoder_names[0] != "x" or decoder_names[0] != "z":
        raise ValueError(f"encoder inputs {encoder_names} and decoder inputs {decoder_names}: "
                         "expected the encoder to read 'x' first and the decoder 'z' first")
    if ("label" in encoder_names) != ("label" in decoder_names):
        raise ValueError(f"encoder inputs {encoder_names} and decoder inputs {decoder_names}: "
                         "a conditional model needs a 'label' input in both networks")
    if "label" in encoder_names:
        classes = [network.inputs[names.index("label")].shape[-1]
                   for network, names in ((encoder, encoder_names), (decoder, decoder_names))]
        if classes[0] != classes[1]:
            raise ValueError(f"the encoder's label has {classes[0]} classes and the "
                             f"decoder's {classes[1]}")
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
