"""The two models of the book, trained by plain ``fit``: ``Autoencoder`` and ``VAE``.

Both wrap an encoder and a decoder built in ``networks.py`` and override only
``call`` and ``compute_loss``; Keras's own ``fit``/``evaluate`` do the looping, and the logs
carry ``loss``, ``reconstruction`` (and for the VAE ``kl``) for training and, with
``validation_data``, as ``val_*`` for validation. All numbers are nats per image.

Data may be a ``tf.data`` pipeline from ``data.make_dataset`` that yields images (the
target is the input) or ``(inputs, targets)`` pairs (for example noisy inputs and clean
targets for a denoising autoencoder).

Introduced in chapter 2 (``Autoencoder``) and chapter 6 (``VAE``).
"""

import keras
import numpy as np
from keras import ops

from vae_lib import data, elbo, layers, likelihoods, networks


class _CodingModel(keras.Model):
    """What both models share: the pair of networks, the likelihood, decoding and checks."""

    def __init__(self, encoder, decoder, likelihood, variational, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = networks.check_compatible(encoder, decoder, variational=variational)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihoods.get(likelihood)
        self.image_shape = tuple(encoder.inputs[0].shape[1:])
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.built = True  # the encoder and decoder are built Functional models

    def compile(self, optimizer=None, **kwargs):
        """Compile with Adam(1e-3) by default and without XLA (slower on these CPUs)."""
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)

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

    def decode(self, z, batch_size=1024):
        """Decode latent codes to pixel means in [0, 1].

        Args:
            z: (N, latent_dim) codes.
            batch_size: codes decoded per call.

        Returns:
            np.ndarray (N, H, W, C): E[x | z], for example sigmoid(x_logits) for Bernoulli.
        """
        z = self.check_codes(z)
        return _in_batches(lambda part: self.likelihood.mean(self.decoder(part)), z, batch_size)

    def _target_and_count(self, x, y):
        target = x if y is None else y
        return target, ops.cast(ops.shape(target)[0], "float32")

    def _total(self, loss):
        """Add any regularization losses of the networks to the ELBO loss."""
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss


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
        return self.decoder(self.encoder(x, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, count = self._target_and_count(x, y)
        reconstruction = -ops.mean(self.likelihood.log_prob(target, y_pred))
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=count)
        return self._total(reconstruction)

    def encode(self, images, batch_size=1024):
        """Codes z = encoder(x): (N, latent_dim) NumPy array."""
        images = self.check_images(images)
        return _in_batches(self.encoder, images, batch_size)

    def reconstruct(self, images, batch_size=1024):
        """Pixel means of decoder(encoder(x)): (N, H, W, C) in [0, 1]."""
        return self.decode(self.encode(images, batch_size), batch_size)


class VAE(_CodingModel):
    """A variational autoencoder trained by maximizing the ELBO (minimizing its negative).

    x -> (z_mean, z_log_var) = encoder(x) -> z = Sampling -> x_logits = decoder(z);
    loss = reconstruction + beta * kl, with the terms of ``elbo.elbo_terms``.

    Args:
        encoder: image -> [z_mean, z_log_var].
        decoder: z -> x_logits.
        beta: weight of the KL term (1.0 is the ELBO; chapter 10 varies it).
        likelihood: ``"bernoulli"`` (default) or a ``likelihoods.Gaussian``.
        seed: seed of the sampling layer's noise.
    """

    def __init__(self, encoder, decoder, beta=1.0, likelihood="bernoulli", seed=None,
                 **kwargs):
        super().__init__(encoder, decoder, likelihood, variational=True, **kwargs)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
            raise ValueError(f"beta={beta!r}; expected a number >= 0")
        self.beta = float(beta)
        self.sampling = layers.Sampling(seed=seed, name="sampling")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var])  # (batch, latent_dim)
        return self.decoder(z, training=training), z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, count = self._target_and_count(x, y)
        x_logits, z_mean, z_log_var = y_pred
        terms = elbo.elbo_terms(target, x_logits, z_mean, z_log_var, beta=self.beta,
                                likelihood=self.likelihood)
        self.reconstruction_tracker.update_state(terms["reconstruction"], sample_weight=count)
        self.kl_tracker.update_state(terms["kl"], sample_weight=count)
        return self._total(terms["loss"])

    def encode(self, images, batch_size=1024):
        """Parameters of q(z|x): ``(z_mean, z_log_var)``, each an (N, latent_dim) array."""
        images = self.check_images(images)
        outputs = _in_batches(lambda part: ops.concatenate(self.encoder(part), axis=-1),
                              images, batch_size)
        return outputs[:, : self.latent_dim], outputs[:, self.latent_dim:]

    def reconstruct(self, images, batch_size=1024):
        """Decode the posterior MEAN of each image: (N, H, W, C) pixel means in [0, 1].

        This is a reconstruction of a given image, not a sample from the model; see
        :meth:`sample` for generation from the prior.
        """
        z_mean, _ = self.encode(images, batch_size)
        return self.decode(z_mean, batch_size)

    def sample(self, num_samples, seed=None):
        """Generate images: z ~ N(0, I) from the PRIOR, then decode to pixel means.

        Args:
            num_samples: how many images.
            seed: integer seed (None for fresh randomness).

        Returns:
            np.ndarray (num_samples, H, W, C) of pixel means in [0, 1].
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
                or num_samples <= 0:
            raise ValueError(f"num_samples={num_samples!r}; expected a positive integer")
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim))
        return self.decode(z.astype("float32"))


def _in_batches(function, array, batch_size):
    """Apply ``function`` to consecutive slices of ``array``; concatenate as NumPy."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"batch_size={batch_size!r}; expected a positive integer")
    parts = [ops.convert_to_numpy(function(array[start:start + batch_size]))
             for start in range(0, len(array), batch_size)]
    return np.concatenate(parts, axis=0)
