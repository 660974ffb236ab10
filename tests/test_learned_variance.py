"""A VAE with ``likelihoods.LearnedGaussian`` trains its one variance (chapter 11).

Regression test: the ELBO used to pass the model's likelihood through ``likelihoods.get``,
which copies a LearnedGaussian, so every compiled training step tried to create a new
variable (a ValueError) and the model's own variance would never have been used.
"""

import keras
import numpy as np
import pytest

from vae_lib import data, elbo, likelihoods, models, networks


def test_the_learned_variance_trains_towards_the_squared_error(blob_images):
    keras.utils.set_random_seed(0)
    likelihood = likelihoods.LearnedGaussian(initial_variance=1.0)
    model = models.VAE(networks.dense_encoder(2, hidden_units=(32,)),
                       networks.dense_decoder(2, hidden_units=(32,)),
                       likelihood=likelihood, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    assert any("log_variance" in v.path for v in model.trainable_variables)
    dataset = data.make_dataset(blob_images, batch_size=16, binarize=None, repeat=True)
    model.fit(dataset, epochs=1, steps_per_epoch=1000, verbose=0)
    variance = model.likelihood.variance
    # Setting the loss's derivative to 0: the best variance is the mean squared error per
    # pixel of the reconstructions from sampled codes z ~ q(z|x).
    x_logits, _, _ = model(blob_images, training=True)
    squared_error = float(np.mean((keras.ops.convert_to_numpy(
        keras.ops.sigmoid(x_logits)) - blob_images) ** 2))
    assert variance < 0.1  # it left its start of 1.0
    assert squared_error / 2 < variance < squared_error * 2, (variance, squared_error)


def test_the_elbo_uses_the_models_likelihood_object_itself():
    likelihood = likelihoods.LearnedGaussian(initial_variance=0.5)
    x = np.full((2, 28, 28, 1), 0.5, "float32")
    zeros = np.zeros((2, 3), "float32")
    terms = elbo.elbo_per_example(x, np.zeros_like(x), zeros, zeros, likelihood)
    likelihood.log_variance.assign(np.log(0.25))
    changed = elbo.elbo_per_example(x, np.zeros_like(x), zeros, zeros, likelihood)
    # x equals the mean sigmoid(0) = 0.5: only the normalizer 784/2 log(2 pi var) changes
    expected = 784 / 2 * np.log(0.5 / 0.25)
    assert float(terms["reconstruction"][0] - changed["reconstruction"][0]) == \
        pytest.approx(expected, rel=1e-4)
