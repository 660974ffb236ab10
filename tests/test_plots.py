import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from vae_lib import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_tile_places_images_row_by_row():
    images = np.arange(3 * 2 * 2, dtype="float32").reshape(3, 2, 2, 1)
    canvas = plots.tile(images, ncols=2)
    assert canvas.shape == (4, 4)
    np.testing.assert_array_equal(canvas[2:, :2], images[2, ..., 0])
    np.testing.assert_array_equal(canvas[2:, 2:], np.ones((2, 2)))  # blank slot


def test_image_grid_draws_on_given_axes():
    _, ax = plt.subplots()
    returned = plots.image_grid(np.zeros((4, 28, 28, 1)), ncols=2, ax=ax, title="t")
    assert returned is ax and ax.get_title() == "t" and len(ax.images) == 1


def test_training_curves_have_a_panel_per_term():
    history = {"reconstruction": [3, 2], "kl": [1, 2], "val_reconstruction": [3, 3],
               "val_kl": [1, 1]}
    figure = plots.training_curves(history)
    assert len(figure.axes) == 2
    assert all(ax.get_ylabel() == "nats per image" and len(ax.lines) == 2 for ax in figure.axes)
    with pytest.raises(ValueError, match="reconstruction"):
        plots.training_curves({"loss": [1]})


def test_quantile_grid_holds_equal_prior_mass():
    grid = plots.quantile_grid(5, 0.1, 0.9)
    np.testing.assert_allclose(stats.norm.cdf(grid), [0.1, 0.3, 0.5, 0.7, 0.9])
    codes = plots.manifold_codes(3)
    assert codes.shape == (9, 2)
    assert codes[0, 1] > 0 and codes[-1, 1] < 0 and codes[0, 0] < codes[2, 0]


def test_latent_manifold_decodes_the_grid():
    class Model:
        latent_dim = 2

        def decode(self, z):
            self.seen = z
            return np.zeros((len(z), 28, 28, 1))

    model = Model()
    ax = plots.latent_manifold(model, num_points=4)
    assert model.seen.shape == (16, 2) and ax.get_ylabel() == "z[1]"
    with pytest.raises(ValueError, match="latent_dim=3"):
        Model.latent_dim = 3
        plots.latent_manifold(Model())


def test_scatter_and_comparison():
    rng = np.random.default_rng(0)
    ax = plots.latent_scatter(rng.normal(size=(50, 3)), rng.integers(0, 10, 50), dims=(0, 2))
    assert ax.get_xlabel() == "z[0]" and ax.get_ylabel() == "z[2]"
    with pytest.raises(ValueError, match="49 labels for 50"):
        plots.latent_scatter(rng.normal(size=(50, 2)), np.zeros(49))
    figure = plots.compare_reconstructions(np.zeros((3, 28, 28, 1)), np.ones((3, 28, 28, 1)))
    assert len(figure.axes) == 2
    assert "posterior mean" in figure.axes[1].get_title()
    figure = plots.compare_reconstructions(np.zeros((3, 28, 28, 1)), np.ones((3, 28, 28, 1)),
                                           row_titles=("inputs", "decoder(encoder(x))"))
    assert [ax.get_title() for ax in figure.axes] == ["inputs", "decoder(encoder(x))"]
    with pytest.raises(ValueError, match="row_titles"):
        plots.compare_reconstructions(np.zeros((3, 28, 28, 1)), np.zeros((3, 28, 28, 1)),
                                      row_titles=("only one",))


def test_training_curves_count_images_seen_when_the_history_has_them():
    history = {"images_seen": [1000, 2000], "reconstruction": [200.0, 150.0], "kl": [5.0, 8.0],
               "val_reconstruction": [210.0, 160.0], "val_kl": [5.0, 8.0]}
    figure = plots.training_curves(history)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "training images seen (thousands)"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1.0, 2.0])
    assert len(figure.axes) == 2 and len(ax.lines) == 2
