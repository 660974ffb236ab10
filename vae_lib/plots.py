"""Figures used across the book. Each function draws on ``ax`` (or a new figure) and
returns what it drew on; none calls ``plt.show()``: the notebook displays.

Introduced in chapter 1 (grids), 6 (curves, scatter, manifold).
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def tile(images, ncols):
    """Arrange (N, H, W[, 1]) images into one (rows*H, ncols*W) array, blanks filled with 1."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 4:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images has shape {images.shape}; expected (N, H, W) or (N, H, W, 1)")
    count, height, width = images.shape
    nrows = -(-count // ncols)
    canvas = np.ones((nrows * height, ncols * width), dtype="float32")
    for index, image in enumerate(images):
        row, col = divmod(index, ncols)
        canvas[row * height:(row + 1) * height, col * width:(col + 1) * width] = image
    return canvas


def image_grid(images, ncols=10, ax=None, title=None, cmap="gray_r", vmin=0.0, vmax=1.0):
    """Show a grid of images.

    Args:
        images: (N, H, W, 1) or (N, H, W) pixel values.
        ncols: images per row.
        ax: Matplotlib axes to draw on (a new figure if None).
        title: axes title.
        cmap, vmin, vmax: colour map and its range (pass vmin/vmax None to autoscale,
            e.g. for eigen-images, which have negative entries).

    Returns:
        matplotlib.axes.Axes.
    """
    ncols = max(1, min(ncols, len(images)))
    canvas = tile(images, ncols)
    ax = _axes(ax, (ncols * 0.6, canvas.shape[0] / canvas.shape[1] * ncols * 0.6 + 0.4))
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def compare_reconstructions(originals, reconstructions, num_images=10, title=None,
                            row_titles=("originals (input x)",
                                        "reconstructions (decoded posterior mean)")):
    """Two rows: originals above, their reconstructions below.

    Args:
        originals, reconstructions: (N, H, W, 1) images, in the same order.
        num_images: how many to show.
        title: figure title.
        row_titles: titles of the two rows; the default describes a VAE's ``reconstruct``
            (for an autoencoder pass e.g. ``("originals", "decoder(encoder(x))")``).

    Returns:
        matplotlib.figure.Figure.
    """
    if len(originals) != len(reconstructions):
        raise ValueError(f"{len(originals)} originals but {len(reconstructions)} reconstructions")
    if len(row_titles) != 2:
        raise ValueError(f"row_titles={row_titles!r}; expected two titles (top, bottom)")
    count = min(num_images, len(originals))
    # A little more height for the figure title, so that it does not overlap the row titles.
    figure, axes = plt.subplots(2, 1, figsize=(max(count * 0.7, 4.0), 2.5 if title else 2.1))
    image_grid(originals[:count], ncols=count, ax=axes[0], title=row_titles[0])
    image_grid(reconstructions[:count], ncols=count, ax=axes[1], title=row_titles[1])
    if title:
        figure.suptitle(title)
        figure.tight_layout(rect=(0, 0, 1, 0.93))
    else:
        figure.tight_layout()
    return figure


def training_curves(history, title=None):
    """Plot the loss terms during training: reconstruction and KL, training and validation.

    Args:
        history: dict of lists with ``reconstruction`` and optionally ``kl``,
            ``val_reconstruction``, ``val_kl`` (``Trained.history`` from ``train_or_load``, or
            the ``history`` of ``fit``). With ``images_seen`` the horizontal axis counts
            training images seen (thousands); without it, epochs.

    Returns:
        matplotlib.figure.Figure with one panel per term.
    """
    terms = [term for term in ("reconstruction", "kl") if term in history]
    if not terms:
        raise ValueError(f"history has keys {sorted(history)}; expected 'reconstruction'")
    figure, axes = plt.subplots(1, len(terms), figsize=(5 * len(terms), 3.2), squeeze=False)
    labels = {"reconstruction": "reconstruction  -log p(x|z)", "kl": "KL(q(z|x) || p(z))"}
    if "images_seen" in history:
        steps = np.asarray(history["images_seen"], dtype="float64") / 1000.0
        xlabel = "training images seen (thousands)"
    else:
        steps = np.arange(1, len(history[terms[0]]) + 1)
        xlabel = "epoch"
    for ax, term in zip(axes[0], terms):
        ax.plot(steps, history[term], marker="o", label="training (average over the interval)")
        if f"val_{term}" in history:
            ax.plot(steps, history[f"val_{term}"], marker="s", label="validation (at its end)")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("nats per image")
        ax.set_title(labels[term])
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def latent_scatter(z, labels, ax=None, title="latent codes", class_names=None, dims=(0, 1)):
    """Scatter two latent coordinates, coloured by class.

    Args:
        z: (N, latent_dim) codes (for a VAE, usually z_mean).
        labels: (N,) integer classes.
        dims: which two coordinates to plot.
        class_names: optional names for the legend.

    Returns:
        matplotlib.axes.Axes.
    """
    z = np.asarray(z)
    labels = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] <= max(dims):
        raise ValueError(f"z has shape {z.shape}; expected (N, d) with d > {max(dims)}")
    if len(labels) != len(z):
        raise ValueError(f"{len(labels)} labels for {len(z)} codes")
    ax = _axes(ax, (5.5, 5))
    points = ax.scatter(z[:, dims[0]], z[:, dims[1]], c=labels, cmap="tab10", s=4,
                        vmin=-0.5, vmax=9.5)
    colorbar = ax.figure.colorbar(points, ax=ax, ticks=range(10))
    if class_names is not None:
        colorbar.ax.set_yticklabels(class_names)
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    ax.set_title(title)
    return ax


def quantile_grid(num_points=15, low=0.05, high=0.95):
    """Latent coordinates on an inverse-CDF grid: N(0,1) quantiles of evenly spaced levels.

    Equal steps in probability, not in z: every cell holds the same prior mass.

    Returns:
        np.ndarray (num_points,) of coordinates.
    """
    if not 0 < low < high < 1:
        raise ValueError(f"low={low!r}, high={high!r}; expected 0 < low < high < 1")
    return stats.norm.ppf(np.linspace(low, high, num_points))


def manifold_codes(num_points=15, low=0.05, high=0.95):
    """The (num_points**2, 2) codes of a 2-D quantile grid, row by row from the top.

    The first coordinate runs along the columns (left to right), the second along the rows
    (bottom to top), so the picture has the orientation of a scatter plot.
    """
    grid = quantile_grid(num_points, low, high)
    return np.array([[x, y] for y in grid[::-1] for x in grid], dtype="float32")


def latent_manifold(model, num_points=15, low=0.05, high=0.95, ax=None,
                    title="decoded latent grid (Gaussian quantiles)"):
    """Decode a 2-D latent grid into one picture (the "manifold" of a 2-D VAE).

    Args:
        model: a model with ``decode`` and ``latent_dim == 2``.
        num_points: grid points per axis.
        low, high: the prior probability levels at the grid's edges.

    Returns:
        matplotlib.axes.Axes.
    """
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError(
            f"model has latent_dim={getattr(model, 'latent_dim', None)!r}; the manifold needs 2"
        )
    images = model.decode(manifold_codes(num_points, low, high))
    ax = image_grid(images, ncols=num_points, ax=ax, title=title)
    ax.set_xlabel(f"z[0]: quantiles {low:g} to {high:g} of N(0, 1)")
    ax.set_ylabel("z[1]")
    return ax
