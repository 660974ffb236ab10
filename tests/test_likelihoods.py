import numpy as np
import pytest
from keras import ops
from scipy import special, stats

from vae_lib import likelihoods


def test_gaussian_log_prob_sums_scipy_over_pixels():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 4, 4, 1)).astype("float32")
    logits = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    model = likelihoods.Gaussian(variance=0.3)
    expected = stats.norm.logpdf(x, special.expit(logits), np.sqrt(0.3)).reshape(3, -1).sum(1)
    got = ops.convert_to_numpy(model.log_prob(x, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_gaussian_identity_mean_and_bernoulli_mean():
    logits = np.array([[-1.0, 0.0, 2.0]])
    identity = likelihoods.Gaussian(mean_activation=None)
    np.testing.assert_allclose(ops.convert_to_numpy(identity.mean(logits)), logits)
    np.testing.assert_allclose(ops.convert_to_numpy(likelihoods.Bernoulli().mean(logits)),
                               special.expit(logits), rtol=1e-6)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), "1"])
def test_gaussian_rejects_bad_variance(bad):
    with pytest.raises(ValueError, match="variance"):
        likelihoods.Gaussian(variance=bad)


def test_get_names_the_bad_value():
    assert isinstance(likelihoods.get("bernoulli"), likelihoods.Bernoulli)
    with pytest.raises(ValueError, match="'poisson'"):
        likelihoods.get("poisson")
