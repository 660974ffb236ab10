import numpy as np
import pytest
from keras import ops
from scipy import special

from vae_lib import elbo, likelihoods


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(5, 28, 28, 1)) < 0.3).astype("float32")
    x_logits = rng.normal(size=(5, 28, 28, 1)).astype("float32")
    z_mean = rng.normal(size=(5, 8)).astype("float32")
    z_log_var = rng.uniform(-1, 1, size=(5, 8)).astype("float32")
    return x, x_logits, z_mean, z_log_var


def reference_terms(x, x_logits, z_mean, z_log_var):
    """Independent NumPy version: SUM over pixels and latents per image, MEAN over batch."""
    p = special.expit(x_logits.astype("float64"))
    log_px = (x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(len(x), -1).sum(1)
    kl = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var).sum(1)
    return -log_px.mean(), kl.mean()


def test_terms_sum_over_pixels_and_latents_then_average_batch(batch):
    terms = {k: float(v) for k, v in elbo.elbo_terms(*batch).items()}
    reconstruction, kl = reference_terms(*batch)
    assert terms["reconstruction"] == pytest.approx(reconstruction, rel=1e-5)
    assert terms["kl"] == pytest.approx(kl, rel=1e-5)
    assert terms["elbo"] == pytest.approx(-(reconstruction + kl), rel=1e-5)
    assert terms["loss"] == pytest.approx(reconstruction + kl, rel=1e-5)


def test_catches_the_mean_over_pixels_bug(batch):
    """Averaging over pixels (Keras' binary_crossentropy) would be 784x smaller."""
    terms = elbo.elbo_terms(*batch)
    x, x_logits = batch[0], batch[1]
    p = special.expit(x_logits)
    mean_over_pixels = -(x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(5, -1).mean(1).mean()
    ratio = float(terms["reconstruction"]) / mean_over_pixels
    assert ratio == pytest.approx(784, rel=1e-4)


def test_beta_weights_only_the_kl(batch):
    one = elbo.elbo_terms(*batch, beta=1.0)
    four = elbo.elbo_terms(*batch, beta=4.0)
    assert float(four["loss"]) == pytest.approx(float(one["reconstruction"]) + 4 * float(one["kl"]),
                                                rel=1e-6)
    assert float(four["elbo"]) == pytest.approx(float(one["elbo"]), rel=1e-6)


def test_per_example_shapes_and_gaussian_likelihood(batch):
    per = elbo.elbo_per_example(*batch, likelihood=likelihoods.Gaussian(1.0))
    assert {key: tuple(ops.shape(v)) for key, v in per.items()} == {
        "reconstruction": (5,), "kl": (5,), "elbo": (5,)}


@pytest.mark.parametrize("beta", [-1.0, float("nan"), "2"])
def test_bad_beta_is_named(batch, beta):
    with pytest.raises(ValueError, match="beta"):
        elbo.elbo_terms(*batch, beta=beta)


def test_bits_per_dim():
    assert elbo.bits_per_dim(-784 * np.log(2)) == pytest.approx(1.0)
    assert elbo.bits_per_dim(-85.0) == pytest.approx(85 / (784 * np.log(2)))
