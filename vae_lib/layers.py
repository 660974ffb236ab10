"""Keras layers that a VAE needs beyond the standard ones.

Introduced in chapter 5 (``Sampling``), chapter 6 (``BoundedLogVariance``) and chapter 11
(``MaskedConv2D``, for the autoregressive decoder).
"""

import keras
import numpy as np
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


@keras.saving.register_keras_serializable(package="vae_lib")
class MaskedConv2D(keras.layers.Conv2D):
    """A 'same' convolution whose kernel only sees pixels before the centre in raster order.

    Mask type "A" also hides the centre (the first layer of a PixelCNN: pixel i must not see
    itself); type "B" keeps the centre (later layers, whose features at i already exclude
    pixel i). Rows below the centre and pixels to the right of it in its row are always hidden
    (van den Oord et al., 2016).

    Args:
        filters, kernel_size: as for ``keras.layers.Conv2D`` (odd square kernels).
        mask_type: ``"A"`` or ``"B"``.
    """

    def __init__(self, filters, kernel_size, mask_type="B", **kwargs):
        kwargs.setdefault("padding", "same")
        super().__init__(filters, kernel_size, **kwargs)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type={mask_type!r}; expected 'A' or 'B'")
        if self.padding != "same" or self.kernel_size[0] != self.kernel_size[1] \
                or self.kernel_size[0] % 2 == 0 or self.strides != (1, 1):
            raise ValueError(f"MaskedConv2D needs an odd square kernel, stride 1 and 'same' "
                             f"padding; got kernel_size={self.kernel_size}, "
                             f"strides={self.strides}, padding={self.padding!r}")
        self.mask_type = mask_type

    def build(self, input_shape):
        super().build(input_shape)
        size = self.kernel_size[0]
        centre = size // 2
        mask = np.zeros(self.kernel.shape, dtype="float32")  # (kh, kw, in, out)
        mask[:centre] = 1.0
        mask[centre, :centre] = 1.0
        if self.mask_type == "B":
            mask[centre, centre] = 1.0
        self.mask = mask

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * ops.convert_to_tensor(self.mask))

    def get_config(self):
        return {**super().get_config(), "mask_type": self.mask_type}
