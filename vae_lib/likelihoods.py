"""Decoder likelihoods p(x | z): how a decoder's output scores an image.

A decoder outputs real numbers ``x_logits`` of the image's shape. A likelihood turns them
into (a) log p(x | z), summed over pixels, one value per image, and (b) the mean image.
The variants are parameters, not subclasses of the model: ``VAE(..., likelihood=Gaussian(0.1))``.

* :class:`Bernoulli`: x_logits are logits; the mean is sigmoid(x_logits). The book's default.
* :class:`Gaussian`: p(x | z) = N(x; mu, variance * I) with mu = sigmoid(x_logits) (the seed
  article's N(G(z), I) with a sigmoid output) or mu = x_logits (``mean_activation=None``).
  The fixed variance weighs reconstruction against KL (chapter 4).

Introduced in chapter 4.
"""

import math

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


def get(likelihood):
    """Turn ``"bernoulli"``, ``"gaussian"`` or a likelihood object into a likelihood object."""
    if isinstance(likelihood, (Bernoulli, Gaussian)):
        return likelihood
    if likelihood == "bernoulli":
        return Bernoulli()
    if likelihood == "gaussian":
        return Gaussian()
    raise ValueError(
        f"likelihood={likelihood!r}; expected 'bernoulli', 'gaussian', Bernoulli() or Gaussian(...)"
    )
