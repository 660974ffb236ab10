"""Decoder likelihoods p(x | z): how a decoder's output scores an image.

A decoder outputs real numbers ``x_logits`` of the image's shape. A likelihood turns them
into (a) log p(x | z), summed over pixels, one value per image, and (b) the mean image.
The variants are parameters, not subclasses of the model: ``VAE(..., likelihood=Gaussian(0.1))``.

* :class:`Bernoulli`: x_logits are logits; the mean is sigmoid(x_logits). The book's default.
* :class:`Gaussian`: p(x | z) = N(x; mu, variance * I) with mu = sigmoid(x_logits) (the seed
  article's N(G(z), I) with a sigmoid output) or mu = x_logits (``mean_activation=None``).
  The fixed variance weighs reconstruction against KL (chapter 4).
* :class:`LearnedGaussian`: the same with ONE variance for all pixels, learned with the
  networks (chapter 11); it is a Keras layer holding the weight ``log_variance``.
* :class:`ContinuousBernoulli`: the properly normalized density on [0, 1] for grey pixels
  (Loaiza-Ganem and Cunningham, 2019; chapter 11).

Introduced in chapter 4 (Bernoulli, Gaussian) and chapter 11 (the other two).
"""

import math

import keras
from keras import ops

from vae_lib import distributions


def _sum_per_example(values):
    """Sum every axis but the first: one number per example."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


class Bernoulli:
    """Bernoulli pixels with logits ``x_logits``."""

    name = "bernoulli"

    def log_prob(self, x, x_logits):
        """log p(x | z) summed over pixels: (batch,) nats per image."""
        return _sum_per_example(distributions.log_bernoulli(x, x_logits))

    def mean(self, x_logits):
        """Pixel means sigmoid(x_logits), in [0, 1]."""
        return ops.sigmoid(x_logits)

    def get_config(self):
        return {"name": self.name}

    def __eq__(self, other):
        return isinstance(other, type(self)) and other.get_config() == self.get_config()

    def __hash__(self):
        return hash(tuple(sorted(self.get_config().items())))

    def __repr__(self):
        return "Bernoulli()"


class Gaussian:
    """Gaussian pixels with a fixed variance around mu(x_logits).

    Args:
        variance: the fixed pixel variance (the seed article uses 1).
        mean_activation: ``"sigmoid"`` (mu in [0, 1]) or None (mu = x_logits).
    """

    name = "gaussian"

    def __init__(self, variance=1.0, mean_activation="sigmoid"):
        if not isinstance(variance, (int, float)) or not variance > 0 or math.isinf(variance):
            raise ValueError(f"variance={variance!r}; expected a positive finite number")
        if mean_activation not in ("sigmoid", None):
            raise ValueError(f"mean_activation={mean_activation!r}; expected 'sigmoid' or None")
        self.variance = float(variance)
        self.mean_activation = mean_activation

    def log_prob(self, x, x_logits):
        """log N(x; mu, variance I) summed over pixels: (batch,) nats per image."""
        log_var = ops.full_like(x_logits, math.log(self.variance))
        return _sum_per_example(distributions.log_normal(x, self.mean(x_logits), log_var))

    def mean(self, x_logits):
        """The Gaussian mean mu."""
        if self.mean_activation == "sigmoid":
            return ops.sigmoid(x_logits)
        return ops.convert_to_tensor(x_logits, dtype="float32")

    def get_config(self):
        return {"name": self.name, "variance": self.variance,
                "mean_activation": self.mean_activation}

    __eq__ = Bernoulli.__eq__
    __hash__ = Bernoulli.__hash__

    def __repr__(self):
        return f"Gaussian(variance={self.variance:g}, mean_activation={self.mean_activation!r})"


class ContinuousBernoulli:
    """The continuous Bernoulli density on [0, 1] with logits ``x_logits``.

    p(x | lambda) = C(lambda) lambda^x (1 - lambda)^(1 - x), lambda = sigmoid(l), with the
    normalizing constant C = 2 atanh(1 - 2 lambda) / (1 - 2 lambda), which in logits is
    l / tanh(l / 2) (2 at l = 0). Unlike the Bernoulli cross-entropy on grey pixels, it is a
    density of grey values, so it integrates to 1 (Loaiza-Ganem and Cunningham, 2019).
    """

    name = "continuous_bernoulli"
    _SMALL = 1e-3  # below this |logit| the closed forms lose precision: use their Taylor series

    def log_prob(self, x, x_logits):
        """log p(x | z) summed over pixels: (batch,) nats per image (a density: can be > 0)."""
        logits = ops.convert_to_tensor(x_logits, dtype="float32")
        return _sum_per_example(distributions.log_bernoulli(x, logits)
                                + self.log_normalizer(logits))

    def log_normalizer(self, x_logits):
        """log C(lambda) per pixel, stable for any logit: log(l / tanh(l / 2))."""
        logits = ops.convert_to_tensor(x_logits, dtype="float32")
        small = ops.abs(logits) < self._SMALL
        safe = ops.where(small, ops.ones_like(logits), logits)  # no 0/0, not even in gradients
        exact = ops.log(ops.abs(safe)) - ops.log(ops.abs(ops.tanh(safe / 2.0)))
        taylor = math.log(2.0) + ops.square(logits) / 12.0  # log(2 + l^2/6) to second order
        return ops.where(small, taylor, exact)

    def mean(self, x_logits):
        """E[x] = 1 / (1 - exp(-l)) - 1 / l (1/2 at l = 0), in [0, 1]."""
        logits = ops.convert_to_tensor(x_logits, dtype="float32")
        small = ops.abs(logits) < self._SMALL
        safe = ops.where(small, ops.ones_like(logits), logits)
        exact = -1.0 / ops.expm1(-safe) - 1.0 / safe
        return ops.where(small, 0.5 + logits / 12.0, exact)

    def get_config(self):
        return {"name": self.name}

    __eq__ = Bernoulli.__eq__
    __hash__ = Bernoulli.__hash__

    def __repr__(self):
        return "ContinuousBernoulli()"


@keras.saving.register_keras_serializable(package="vae_lib")
class LearnedGaussian(keras.layers.Layer):
    """Gaussian pixels N(x; mu, sigma^2 I) around mu = sigmoid(x_logits), with sigma^2 learned.

    One variance for all pixels, stored as the trainable weight ``log_variance`` (started at
    ``log(initial_variance)``). Trained with the networks, it settles where the reconstruction's
    mean squared error per pixel is (setting the derivative of the loss to 0), which fixes the
    balance between reconstruction and KL that a fixed variance leaves to the user (chapter 11).
    Each model needs its own instance: :func:`get` returns a fresh one.

    Args:
        initial_variance: the starting variance.
        mean_activation: ``"sigmoid"`` or None, as in :class:`Gaussian`.
    """

    name_ = "learned_gaussian"

    def __init__(self, initial_variance=1.0, mean_activation="sigmoid", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(initial_variance, (int, float)) or not initial_variance > 0 \
                or math.isinf(initial_variance):
            raise ValueError(f"initial_variance={initial_variance!r}; expected a positive "
                             "finite number")
        if mean_activation not in ("sigmoid", None):
            raise ValueError(f"mean_activation={mean_activation!r}; expected 'sigmoid' or None")
        self.initial_variance = float(initial_variance)
        self.mean_activation = mean_activation
        self.log_variance = self.add_weight(
            shape=(), name="log_variance",
            initializer=keras.initializers.Constant(math.log(self.initial_variance)))

    @property
    def variance(self):
        """The current variance sigma^2, a float."""
        return float(ops.convert_to_numpy(ops.exp(self.log_variance)))

    def log_prob(self, x, x_logits):
        """log N(x; mu, sigma^2 I) summed over pixels: (batch,) nats per image."""
        log_var = ops.zeros_like(x_logits) + ops.cast(self.log_variance, "float32")
        return _sum_per_example(distributions.log_normal(x, self.mean(x_logits), log_var))

    def mean(self, x_logits):
        """The Gaussian mean mu."""
        if self.mean_activation == "sigmoid":
            return ops.sigmoid(x_logits)
        return ops.convert_to_tensor(x_logits, dtype="float32")

    def call(self, x_logits):
        return self.mean(x_logits)

    def get_config(self):
        return {"name": self.name_, "initial_variance": self.initial_variance,
                "mean_activation": self.mean_activation}

    def __eq__(self, other):
        return isinstance(other, LearnedGaussian) and other.get_config() == self.get_config()

    def __hash__(self):
        return hash(("learned_gaussian", self.initial_variance, self.mean_activation))

    def __repr__(self):
        return (f"LearnedGaussian(initial_variance={self.initial_variance:g}, "
                f"mean_activation={self.mean_activation!r})")


def get(likelihood):
    """Turn a name or a likelihood object into a likelihood object.

    Names: ``"bernoulli"``, ``"gaussian"`` (variance 1), ``"continuous_bernoulli"``. A
    :class:`LearnedGaussian` is copied (a fresh weight), since each model needs its own.
    """
    if isinstance(likelihood, LearnedGaussian):
        return LearnedGaussian(likelihood.initial_variance, likelihood.mean_activation)
    if isinstance(likelihood, (Bernoulli, Gaussian, ContinuousBernoulli)):
        return likelihood
    named = {"bernoulli": Bernoulli, "gaussian": Gaussian,
             "continuous_bernoulli": ContinuousBernoulli}
    if isinstance(likelihood, str) and likelihood in named:
        return named[likelihood]()
    raise ValueError(
        f"likelihood={likelihood!r}; expected one of {sorted(named)} or a likelihood object "
        "(Bernoulli(), Gaussian(...), LearnedGaussian(...), ContinuousBernoulli())")
