"""The two models of the book, trained by plain ``fit``: ``Autoencoder`` and ``VAE``.

Both wrap an encoder and a decoder built in ``networks.py`` and override only
``call`` and ``compute_loss``; Keras's own ``fit``/``evaluate`` do the looping, and the logs
carry ``loss``, ``reconstruction`` (and for the VAE ``kl``) for training and, with
``validation_data``, as ``val_*`` for validation. All numbers are nats per image.

Data may be a ``tf.data`` pipeline from ``data.make_dataset`` that yields images (the
target is the input), ``(inputs, targets)`` pairs (for example noisy inputs and clean
targets for a denoising autoencoder), or for a conditional model dicts
``{"x": images, "label": integer labels}``.

Variants are parameters, not subclasses (chapter 11): networks with a ``label`` input make a
conditional VAE; a decoder with an ``x_context`` input (``networks.pixelcnn_decoder``) makes an
autoregressive one; ``free_bits`` and ``kl_warmup_steps`` change how the KL enters the loss.

Introduced in chapter 2 (``Autoencoder``) and chapter 6 (``VAE``).
"""

import keras
import numpy as np
from keras import ops

from vae_lib import data, distributions, elbo, layers, likelihoods, networks


class _CodingModel(keras.Model):
    """What both models share: the pair of networks, the likelihood, decoding and checks."""

    def __init__(self, encoder, decoder, likelihood, variational, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = networks.check_compatible(encoder, decoder, variational=variational)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihoods.get(likelihood)
        self.image_shape = tuple(encoder.inputs[0].shape[1:])
        self.decoder_inputs = networks.input_names(decoder)
        self.autoregressive = "x_context" in self.decoder_inputs
        encoder_inputs = networks.input_names(encoder)
        self.num_classes = (int(encoder.inputs[encoder_inputs.index("label")].shape[-1])
                            if "label" in encoder_inputs else None)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.built = True  # the encoder and decoder are built Functional models

    def compile(self, optimizer=None, **kwargs):
        """Compile with Adam(1e-3) by default and without XLA (slower on these CPUs)."""
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)

    # --- checking inputs ---------------------------------------------------------------------

    def check_images(self, images, name="images"):
        """Validate a batch of images for this model; return it as float32 NumPy."""
        return data.check_images(images, name=name, shape=self.image_shape)

    def check_codes(self, z, name="z"):
        """Validate a batch of latent codes (N, latent_dim); return it as float32 NumPy."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{name} has shape {z.shape}; expected (N, {self.latent_dim})")
        if not np.all(np.isfinite(z)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return z

    def check_labels(self, labels, count):
        """Integer class labels (count,) for a conditional model; None for the others.

        Raises:
            ValueError: labels missing for a conditional model, given to an unconditional one,
                of the wrong length, or outside 0 .. num_classes - 1.
        """
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("labels were given, but this model is not conditional (its "
                                 "networks have no 'label' input)")
            return None
        if labels is None:
            raise ValueError(f"this model is conditional on {self.num_classes} classes: pass "
                             "labels=... (one integer per image or code)")
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full(count, int(labels))
        if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels has shape {labels.shape} and dtype {labels.dtype}; "
                             f"expected {count} integers")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels range from {labels.min()} to {labels.max()}; expected "
                             f"0 to {self.num_classes - 1}")
        return labels.astype("int32")

    # --- the networks, called with their inputs by name --------------------------------------

    def _split(self, inputs):
        """(images, one-hot labels or None) from what ``fit`` or a caller passes as x."""
        if isinstance(inputs, dict):
            labels = inputs.get("label")
            onehot = None if labels is None else ops.one_hot(ops.cast(labels, "int32"),
                                                             self.num_classes)
            return inputs["x"], onehot
        return inputs, None

    def _encode(self, images, onehot, training=False):
        if onehot is None:
            return self.encoder(images, training=training)
        # Keras refuses a list that mixes tensors and NumPy arrays.
        return self.encoder([ops.convert_to_tensor(images), ops.convert_to_tensor(onehot)],
                            training=training)

    def logits(self, z, images=None, onehot=None, training=False):
        """The decoder's ``x_logits`` for codes z (autoregressive decoders also read ``images``
        as their context; conditional ones read the one-hot labels)."""
        given = {"z": z, "label": onehot, "x_context": images}
        missing = [name for name in self.decoder_inputs if given[name] is None]
        if missing:
            raise ValueError(f"the decoder reads {self.decoder_inputs}; {missing} not given")
        inputs = [given[name] for name in self.decoder_inputs]
        if len(inputs) == 1:
            return self.decoder(inputs[0], training=training)
        # Keras refuses a list that mixes tensors and NumPy arrays.
        return self.decoder([ops.convert_to_tensor(value, dtype="float32") for value in inputs],
                            training=training)

    def _onehot(self, labels):
        return None if labels is None else np.eye(self.num_classes, dtype="float32")[labels]

    def decode(self, z, batch_size=1024, labels=None, seed=0):
        """Decode latent codes to pixel means in [0, 1].

        For an autoregressive decoder there is no single mean image: pixels are drawn one at a
        time in raster order (binary, seeded), each from its logit given z and the pixels drawn
        before it, and the image of those per-pixel probabilities is returned (chapter 11).

        Args:
            z: (N, latent_dim) codes.
            batch_size: codes decoded per call.
            labels: (N,) integer classes for a conditional model (or one integer for all).
            seed: seed of the pixel draws of an autoregressive decoder.

        Returns:
            np.ndarray (N, H, W, C): E[x | z], for example sigmoid(x_logits) for Bernoulli.
        """
        z = self.check_codes(z)
        labels = self.check_labels(labels, len(z))
        if self.autoregressive:
            return self._decode_autoregressive(z, labels, seed)
        onehot = self._onehot(labels)
        parts = []
        for start in range(0, len(z), _check_batch(batch_size)):
            part_labels = None if onehot is None else onehot[start:start + batch_size]
            parts.append(ops.convert_to_numpy(self.likelihood.mean(
                self.logits(z[start:start + batch_size], onehot=part_labels))))
        return np.concatenate(parts, axis=0)

    def _decode_autoregressive(self, z, labels, seed):
        """Raster-order sampling: one decoder pass per pixel, all codes at once. The pass is
        traced once into a TensorFlow graph (784 eager passes of a small decoder took 9 s on
        2 cores, the traced ones 1 s)."""
        import tensorflow as tf

        rng = np.random.default_rng(seed)
        onehot = self._onehot(labels)
        height, width, channels = self.image_shape
        pixels = np.zeros((len(z),) + self.image_shape, dtype="float32")
        means = np.zeros_like(pixels)
        decoder_pass = tf.function(lambda drawn: self.likelihood.mean(
            self.logits(z, images=drawn, onehot=onehot)))
        for row in range(height):
            for column in range(width):
                mean = ops.convert_to_numpy(decoder_pass(pixels))[:, row, column]
                means[:, row, column] = mean
                pixels[:, row, column] = (rng.random(mean.shape) < mean).astype("float32")
        return means

    def _target_and_count(self, x, y):
        target = self._split(x)[0] if y is None else y
        return target, ops.cast(ops.shape(target)[0], "float32")

    def _total(self, loss):
        """Add any regularization losses of the networks to the ELBO loss, and divide by the
        number of replicas under ``tf.distribute`` (as Keras's own losses do): each replica
        returns the mean over its share of the batch and the replicas' gradients are summed,
        so this makes the sum the gradient of the global mean, and Keras multiplies the
        logged ``loss`` back (tests/test_distributed.py)."""
        if self.losses:
            loss = loss + ops.sum(self.losses)
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / replicas
        return loss


def _check_batch(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"batch_size={batch_size!r}; expected a positive integer")
    return batch_size


class Autoencoder(_CodingModel):
    """A deterministic autoencoder: x -> z = encoder(x) -> x_logits = decoder(z).

    It is trained to maximize log p(x | z) (for Bernoulli pixels: the binary cross-entropy,
    summed over pixels). It has no prior over z, so it cannot generate (chapter 2).

    Args:
        encoder: image -> z (``networks.dense_encoder(..., variational=False)``).
        decoder: z -> x_logits.
        likelihood: ``"bernoulli"`` (default) or a ``likelihoods.Gaussian``.
    """

    def __init__(self, encoder, decoder, likelihood="bernoulli", **kwargs):
        super().__init__(encoder, decoder, likelihood, variational=False, **kwargs)

    def call(self, x, training=False):
        images, onehot = self._split(x)
        z = self._encode(images, onehot, training=training)
        return self.logits(z, images=images, onehot=onehot, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, count = self._target_and_count(x, y)
        reconstruction = -ops.mean(self.likelihood.log_prob(target, y_pred))
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=count)
        return self._total(reconstruction)

    def encode(self, images, batch_size=1024, labels=None):
        """Codes z = encoder(x): (N, latent_dim) NumPy array."""
        images = self.check_images(images)
        onehot = self._onehot(self.check_labels(labels, len(images)))
        return _in_batches(lambda part, lab: self._encode(part, lab), images, onehot, batch_size)

    def reconstruct(self, images, batch_size=1024, labels=None):
        """Pixel means of decoder(encoder(x)): (N, H, W, C) in [0, 1]."""
        return self.decode(self.encode(images, batch_size, labels), batch_size, labels=labels)


class VAE(_CodingModel):
    """A variational autoencoder trained by maximizing the ELBO (minimizing its negative).

    x -> (z_mean, z_log_var) = encoder(x) -> z = Sampling -> x_logits = decoder(z);
    loss = reconstruction + beta * kl, with the terms of ``elbo.elbo_terms``.

    Args:
        encoder: image -> [z_mean, z_log_var] (with a ``label`` input: conditional).
        decoder: z -> x_logits (with ``label`` and/or ``x_context`` inputs).
        beta: weight of the KL term (1.0 is the ELBO; chapter 10 varies it).
        likelihood: ``"bernoulli"`` (default) or another ``likelihoods`` object.
        seed: seed of the sampling layer's noise.
        free_bits: if above 0, each latent dimension's KL (averaged over the batch) enters the
            loss as max(KL_j, free_bits): below that many nats a dimension costs nothing, so
            the optimizer has no reason to switch it off (Kingma et al., 2016; chapter 11).
            The logged ``kl`` is always the true KL.
        kl_warmup_steps: if above 0, the KL weight rises linearly from 0 to ``beta`` over
            this many optimizer steps ("KL annealing", Bowman et al., 2016; chapter 11).
    """

    def __init__(self, encoder, decoder, beta=1.0, likelihood="bernoulli", seed=None,
                 free_bits=0.0, kl_warmup_steps=0, **kwargs):
        super().__init__(encoder, decoder, likelihood, variational=True, **kwargs)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
            raise ValueError(f"beta={beta!r}; expected a number >= 0")
        if isinstance(free_bits, bool) or not isinstance(free_bits, (int, float)) \
                or not free_bits >= 0:
            raise ValueError(f"free_bits={free_bits!r}; expected a number of nats >= 0")
        if isinstance(kl_warmup_steps, bool) or not isinstance(kl_warmup_steps, int) \
                or kl_warmup_steps < 0:
            raise ValueError(f"kl_warmup_steps={kl_warmup_steps!r}; expected an integer >= 0")
        self.beta = float(beta)
        self.free_bits = float(free_bits)
        self.kl_warmup_steps = kl_warmup_steps
        self.sampling = layers.Sampling(seed=seed, name="sampling")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        images, onehot = self._split(x)
        z_mean, z_log_var = self._encode(images, onehot, training=training)
        z = self.sampling([z_mean, z_log_var])  # (batch, latent_dim)
        x_logits = self.logits(z, images=images, onehot=onehot, training=training)
        return x_logits, z_mean, z_log_var

    def kl_weight(self):
        """The KL weight now: beta, or beta times the warm-up fraction during KL annealing."""
        if not self.kl_warmup_steps or self.optimizer is None:
            return self.beta
        step = ops.cast(self.optimizer.iterations, "float32")
        return self.beta * ops.minimum(1.0, step / float(self.kl_warmup_steps))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, count = self._target_and_count(x, y)
        x_logits, z_mean, z_log_var = y_pred
        terms = elbo.elbo_terms(target, x_logits, z_mean, z_log_var, beta=1.0,
                                likelihood=self.likelihood)
        self.reconstruction_tracker.update_state(terms["reconstruction"], sample_weight=count)
        self.kl_tracker.update_state(terms["kl"], sample_weight=count)
        kl_in_loss = terms["kl"]
        if self.free_bits:
            per_dimension = ops.mean(
                distributions.kl_normal_standard_per_dimension(z_mean, z_log_var), axis=0)
            kl_in_loss = ops.sum(ops.maximum(per_dimension, self.free_bits))
        weight = self.kl_weight() if training else self.beta
        return self._total(terms["reconstruction"] + weight * kl_in_loss)

    def encode(self, images, batch_size=1024, labels=None):
        """Parameters of q(z|x): ``(z_mean, z_log_var)``, each an (N, latent_dim) array."""
        images = self.check_images(images)
        onehot = self._onehot(self.check_labels(labels, len(images)))
        outputs = _in_batches(
            lambda part, lab: ops.concatenate(self._encode(part, lab), axis=-1),
            images, onehot, batch_size)
        return outputs[:, : self.latent_dim], outputs[:, self.latent_dim:]

    def reconstruct(self, images, batch_size=1024, labels=None, seed=0):
        """Decode the posterior MEAN of each image: (N, H, W, C) pixel means in [0, 1].

        This is a reconstruction of a given image, not a sample from the model; see
        :meth:`sample` for generation from the prior.
        """
        z_mean, _ = self.encode(images, batch_size, labels)
        return self.decode(z_mean, batch_size, labels=labels, seed=seed)

    def sample(self, num_samples, seed=None, labels=None):
        """Generate images: z ~ N(0, I) from the PRIOR, then decode to pixel means.

        Args:
            num_samples: how many images.
            seed: integer seed (None for fresh randomness).
            labels: for a conditional model, the class of each image (or one for all).

        Returns:
            np.ndarray (num_samples, H, W, C) of pixel means in [0, 1].
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
                or num_samples <= 0:
            raise ValueError(f"num_samples={num_samples!r}; expected a positive integer")
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((num_samples, self.latent_dim))
        return self.decode(z.astype("float32"), labels=labels,
                           seed=int(rng.integers(2**31)))


def _in_batches(function, array, onehot, batch_size):
    """Apply ``function(part, labels)`` to consecutive slices; concatenate as NumPy."""
    _check_batch(batch_size)
    parts = []
    for start in range(0, len(array), batch_size):
        labels = None if onehot is None else onehot[start:start + batch_size]
        parts.append(ops.convert_to_numpy(function(array[start:start + batch_size], labels)))
    return np.concatenate(parts, axis=0)
