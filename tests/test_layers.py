import numpy as np
import pytest
from keras import ops

from vae_lib import layers


def test_sampling_draws_fresh_noise_each_call_and_is_seeded():
    inputs = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
    layer = layers.Sampling(seed=1)
    first, second = (ops.convert_to_numpy(layer(inputs)) for _ in range(2))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, ops.convert_to_numpy(layers.Sampling(seed=1)(inputs)))


def test_bounded_log_variance_is_identity_near_zero_and_finite_far_away():
    layer = layers.BoundedLogVariance(bound=10.0)
    values = np.array([[-1e30, -1e4, -0.01, 0.0, 0.01, 1e4, 1e30]], "float32")
    out = ops.convert_to_numpy(layer(values))
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 10.0)
    np.testing.assert_allclose(out[0, 2:5], [-0.01, 0.0, 0.01], atol=1e-6)
    assert np.all(np.isfinite(np.exp(out)))


def test_bounded_log_variance_rejects_bad_bound():
    with pytest.raises(ValueError, match="bound=0"):
        layers.BoundedLogVariance(bound=0)
