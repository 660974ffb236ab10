"""Keras layers that a VAE needs beyond the standard ones.

Introduced in chapter 5 (``Sampling``) and chapter 6 (``BoundedLogVariance``).
"""

import keras
from keras import ops

from vae_lib import distributions


@keras.saving.register_keras_serializable(package="vae_lib")
class Sampling(keras.layers.Layer):
    """Draw z ~ N(z_mean, exp(z_log_var)) with the reparameterization trick.

    The layer owns a ``keras.random.SeedGenerator``, so every call (also inside a compiled
    training step) draws fresh noise, and a given seed reproduces the same sequence.

    Call arguments:
        inputs: ``[z_mean, z_log_var]``, each (batch, latent_dim).

    Returns:
        (batch, latent_dim) samples.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        return distributions.reparameterize(z_mean, z_log_var, seed=self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="vae_lib")
class BoundedLogVariance(keras.layers.Layer):
    """Softly squash a log-variance into (-bound, bound): bound * tanh(x / bound).

    Without a bound, one large activation makes exp(z_log_var) overflow to inf and the loss
    NaN. Near 0 the layer is the identity (slope 1), so it does not change normal training.
    With the default bound 10 the posterior standard deviation stays in (0.0067, 148).
    """

    def __init__(self, bound=10.0, **kwargs):
        super().__init__(**kwargs)
        if not bound > 0:
            raise ValueError(f"bound={bound!r}; expected a positive number")
        self.bound = float(bound)

    def call(self, inputs):
        return self.bound * ops.tanh(inputs / self.bound)

    def get_config(self):
        return {**super().get_config(), "bound": self.bound}
