"""Interactive views of a latent space: live ipywidgets explorers for Jupyter, and a kernel-free
HTML/JavaScript explorer for the static website.

In Jupyter, :func:`latent_explorer` (sliders for the latent coordinates and a model menu) and
:func:`interpolation_explorer` (two images and a slider for t) redraw one ``ipywidgets.Image``
from PNG bytes and decode exactly one code per change, so they feel instant.

A built website has no kernel, so Python callbacks cannot run there. :func:`static_explorer_html`
decodes a fine latent grid once, packs the decoded images into one sprite (a PNG inside a
``data:`` URI) and returns HTML with a few lines of inline JavaScript that show the tile of the
chosen point by moving the sprite behind a window (CSS ``background-position``). It fetches
nothing from anywhere.

Models are anything with ``latent_dim`` and ``decode(z) -> (N, H, W, C)`` pixel means in
[0, 1] (``models.VAE`` and ``models.Autoencoder``); interpolation also needs ``encode``.

Introduced in chapter 8.
"""

import base64
import hashlib
import html
import io
import itertools
import json

import numpy as np
from PIL import Image as PILImage  # Pillow, a dependency of Matplotlib

from vae_lib import plots

_EXPLORER_COUNT = itertools.count(1)
INTERPOLATION_METHODS = ("linear", "spherical")


# ----------------------------------------------------------------------------- small pieces
def _check_model(model, name="model"):
    """Return the latent_dim of a model that can decode; TypeError naming it otherwise."""
    latent_dim = getattr(model, "latent_dim", None)
    if not callable(getattr(model, "decode", None)) or isinstance(latent_dim, bool) \
            or not isinstance(latent_dim, (int, np.integer)) or latent_dim <= 0:
        raise TypeError(f"{name} is a {type(model).__name__}; expected a model with "
                        "decode(z) and an integer latent_dim (e.g. vae_lib.models.VAE)")
    return int(latent_dim)


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r}; expected an integer >= {minimum}")
    return int(value)


def _check_positive_number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={value!r}; expected a positive number")
    return float(value)


def to_uint8(images):
    """Pixel means in [0, 1] -> 8-bit pixels as the book draws them.

    Args:
        images: (..., H, W, 1) or (..., H, W) grey images (shown dark ink on white, like
            the ``gray_r`` colour map of ``plots.image_grid``), or (..., H, W, 3) colour.

    Returns:
        np.ndarray of uint8: (..., H, W) for grey, (..., H, W, 3) for colour.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim >= 3 and images.shape[-1] == 1:
        images = images[..., 0]
    elif images.ndim >= 3 and images.shape[-1] == 3:
        return np.round(np.clip(images, 0.0, 1.0) * 255).astype("uint8")
    if images.ndim < 2:
        raise ValueError(f"images has shape {images.shape}; expected (..., H, W[, C])")
    return np.round((1.0 - np.clip(images, 0.0, 1.0)) * 255).astype("uint8")


def png_bytes(image, scale=1, compress_level=9):
    """Encode one image (H, W[, C]) in [0, 1] as PNG bytes, enlarged ``scale`` times.

    Enlarging by repeating pixels keeps the pixels sharp in any viewer.
    """
    scale = _check_positive_int("scale", scale)
    pixels = to_uint8(image)
    if pixels.ndim not in (2, 3):
        raise ValueError(f"image has shape {np.shape(image)}; expected one (H, W[, C]) image")
    pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def png_data_uri(image):
    """A ``data:image/png;base64,...`` URI of one image (H, W[, C]) in [0, 1].

    Base64 text can spell "http" by chance (about once per 100 kB); such an encoding is
    redone at another compression level, so a text search of a page for addresses finds
    none in the images.
    """
    for level in range(9, -1, -1):
        text = base64.b64encode(png_bytes(image, compress_level=level)).decode("ascii")
        if "http" not in text.lower():
            break
    return "data:image/png;base64," + text


def _codes_of(model, images):
    """Codes used to place images in latent space: z_mean for a VAE, z for an autoencoder."""
    codes = model.encode(images)
    if isinstance(codes, (tuple, list)):  # VAE.encode returns (z_mean, z_log_var)
        codes = codes[0]
    return np.asarray(codes, dtype="float32")


# ----------------------------------------------------------------------------- interpolation
def interpolate(z_start, z_end, t, method="linear"):
    """Points between two latent codes.

    ``linear``: (1 - t) z_start + t z_end, a straight line; between two typical codes of a
    d-dimensional N(0, I) its middle is about 1/sqrt(2) as long as they are, a region the
    prior rarely visits. ``spherical``: the direction moves along the great circle between
    the two directions (slerp, White 2016) and the length changes linearly from
    ``||z_start||`` to ``||z_end||``, so no point is shorter than the shorter end.

    Args:
        z_start, z_end: (latent_dim,) codes.
        t: a number or (T,) numbers, usually in [0, 1] (0 gives z_start, 1 gives z_end).
        method: ``"linear"`` or ``"spherical"``.

    Returns:
        np.ndarray (T, latent_dim) float32 (T = 1 for a single t).
    """
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"method={method!r}; expected one of {INTERPOLATION_METHODS}")
    z_start = np.asarray(z_start, dtype="float64")
    z_end = np.asarray(z_end, dtype="float64")
    if z_start.ndim != 1 or z_start.shape != z_end.shape:
        raise ValueError(f"z_start has shape {z_start.shape} and z_end {z_end.shape}; "
                         "expected two codes of the same shape (latent_dim,)")
    t = np.atleast_1d(np.asarray(t, dtype="float64"))[:, None]  # (T, 1)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"t={t.ravel()!r} contains NaN or infinite values")
    linear = (1.0 - t) * z_start + t * z_end
    length_start, length_end = np.linalg.norm(z_start), np.linalg.norm(z_end)
    if method == "linear" or min(length_start, length_end) < 1e-12:
        return linear.astype("float32")
    unit_start, unit_end = z_start / length_start, z_end / length_end
    angle = np.arccos(np.clip(unit_start @ unit_end, -1.0, 1.0))
    if np.sin(angle) < 1e-6:  # (anti)parallel: no unique great circle, use the line
        return linear.astype("float32")
    direction = (np.sin((1.0 - t) * angle) * unit_start
                 + np.sin(t * angle) * unit_end) / np.sin(angle)
    length = (1.0 - t) * length_start + t * length_end
    return (length * direction).astype("float32")


# ----------------------------------------------------------------------------- Jupyter widgets
class LatentExplorer:
    """Sliders for every latent coordinate, a model menu, and the decoded image (Jupyter).

    Build it with :func:`latent_explorer`. Display it by leaving it as the last expression of
    a cell. Attributes, for driving it from Python: ``model_menu`` (ipywidgets.Dropdown),
    ``sliders`` (list of FloatSlider, one per coordinate), ``image`` (ipywidgets.Image with
    PNG bytes), ``decode_calls`` (how many times a decoder was called), ``widget`` (the box).
    """

    def __init__(self, models_by_name, value_range=3.0, step=0.05, scale=8, initial_code=None):
        import ipywidgets

        if not isinstance(models_by_name, dict) or not models_by_name:
            raise TypeError(f"models_by_name is {type(models_by_name).__name__} "
                            f"{models_by_name!r:.60}; expected a non-empty dict "
                            "{name: model}")
        for name, model in models_by_name.items():
            if not isinstance(name, str):
                raise TypeError(f"model name {name!r} is a {type(name).__name__}; expected str")
            _check_model(model, f"models_by_name[{name!r}]")
        self.models = dict(models_by_name)
        self.value_range = _check_positive_number("value_range", value_range)
        self.step = _check_positive_number("step", step)
        self.scale = _check_positive_int("scale", scale)
        self.decode_calls = 0
        self._quiet = False  # True while several sliders are set at once
        self._widgets = ipywidgets
        self.model_menu = ipywidgets.Dropdown(options=list(self.models), description="model")
        self.image = ipywidgets.Image(format="png")
        self.code_text = ipywidgets.HTML()
        self.slider_box = ipywidgets.VBox()
        self.sliders = []
        self._make_sliders(self.latent_dim)
        self.model_menu.observe(self._on_model, names="value")
        self.widget = ipywidgets.HBox(
            [self.image, ipywidgets.VBox([self.model_menu, self.slider_box, self.code_text])])
        if initial_code is not None:
            self.set_code(initial_code)
        else:
            self._redraw()

    @property
    def model(self):
        return self.models[self.model_menu.value]

    @property
    def latent_dim(self):
        return int(self.model.latent_dim)

    @property
    def code(self):
        """The current code, (latent_dim,) float32."""
        return np.array([slider.value for slider in self.sliders], dtype="float32")

    def _make_sliders(self, latent_dim):
        self.sliders = [self._widgets.FloatSlider(
            value=0.0, min=-self.value_range, max=self.value_range, step=self.step,
            description=f"z[{index}]", continuous_update=True, readout_format=".2f")
            for index in range(latent_dim)]
        for slider in self.sliders:
            slider.observe(self._on_slider, names="value")
        self.slider_box.children = self.sliders

    def set_code(self, z):
        """Move all sliders to the code ``z`` (latent_dim,) and decode once."""
        z = np.asarray(z, dtype="float32").reshape(-1)
        if z.shape != (self.latent_dim,) or not np.all(np.isfinite(z)):
            raise ValueError(f"z has shape {z.shape} (or non-finite values); expected "
                             f"({self.latent_dim},) finite numbers")
        self._quiet = True
        try:
            for slider, value in zip(self.sliders, z):
                slider.value = float(np.clip(value, -self.value_range, self.value_range))
        finally:
            self._quiet = False
        self._redraw()

    def _on_slider(self, change):
        if not self._quiet:
            self._redraw()

    def _on_model(self, change):
        if len(self.sliders) != self.latent_dim:  # keep the code if the sizes agree
            self._make_sliders(self.latent_dim)
        self._redraw()

    def _redraw(self):
        z = self.code[None, :]  # (1, latent_dim)
        decoded = self.model.decode(z)
        self.decode_calls += 1
        self.image.value = png_bytes(np.asarray(decoded)[0], self.scale)
        self.code_text.value = ("<code>z = [" + ", ".join(f"{value:.2f}" for value in z[0])
                                + "]</code>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def latent_explorer(models_by_name, value_range=3.0, step=0.05, scale=8, initial_code=None):
    """An ipywidgets explorer: one slider per latent coordinate and a menu of models.

    Every slider move decodes the one current code (a single decoder call) and replaces the
    PNG of an ``ipywidgets.Image``; switching models keeps the code when the latent sizes
    agree, so the same point can be compared across decoders. Needs a running kernel.

    Args:
        models_by_name: dict {name: model}; each model has ``latent_dim`` and ``decode``.
        value_range: sliders run from -value_range to value_range.
        step: slider step.
        scale: the image is enlarged this many times (pixels repeated).
        initial_code: optional (latent_dim,) start code of the first model (else zeros).

    Returns:
        LatentExplorer (display it as a cell's last expression).
    """
    return LatentExplorer(models_by_name, value_range, step, scale, initial_code)


class InterpolationExplorer:
    """Two chosen images and a slider for t: the decoded point between their codes (Jupyter).

    Build it with :func:`interpolation_explorer`. Attributes: ``first`` and ``second``
    (image indices, BoundedIntText), ``t`` (FloatSlider), ``method`` (ToggleButtons: linear,
    spherical, pixels), ``start_image``, ``middle_image``, ``end_image`` (ipywidgets.Image),
    ``decode_calls`` and ``encode_calls``, and ``widget``.
    """

    def __init__(self, model, images, first=0, second=1, method="spherical", scale=5):
        import ipywidgets

        _check_model(model)
        if not callable(getattr(model, "encode", None)):
            raise TypeError(f"model is a {type(model).__name__}; expected a model with encode")
        images = np.asarray(images, dtype="float32")
        if images.ndim != 4 or len(images) < 2:
            raise ValueError(f"images has shape {images.shape}; expected (N, H, W, C), N >= 2")
        for name, index in (("first", first), ("second", second)):
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                    or not 0 <= index < len(images):
                raise ValueError(f"{name}={index!r}; expected an index in [0, {len(images)})")
        if method not in INTERPOLATION_METHODS + ("pixels",):
            raise ValueError(f"method={method!r}; expected one of "
                             f"{INTERPOLATION_METHODS + ('pixels',)}")
        self.model, self.images = model, images
        self.scale = _check_positive_int("scale", scale)
        self.decode_calls = self.encode_calls = 0
        self._codes = {}
        last = len(images) - 1
        self.first = ipywidgets.BoundedIntText(value=int(first), min=0, max=last,
                                               description="image A")
        self.second = ipywidgets.BoundedIntText(value=int(second), min=0, max=last,
                                                description="image B")
        self.t = ipywidgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.02,
                                        description="t", continuous_update=True)
        self.method = ipywidgets.ToggleButtons(options=["linear", "spherical", "pixels"],
                                               value=method, description="path")
        self.start_image, self.middle_image, self.end_image = (
            ipywidgets.Image(format="png") for _ in range(3))
        self._show_ends()
        self._redraw()
        self.first.observe(self._on_image, names="value")
        self.second.observe(self._on_image, names="value")
        self.t.observe(self._on_path, names="value")
        self.method.observe(self._on_path, names="value")
        pictures = ipywidgets.HBox([self.start_image, self.middle_image, self.end_image])
        self.widget = ipywidgets.VBox([ipywidgets.HBox([self.first, self.second]),
                                       self.method, self.t, pictures])

    def _code(self, index):
        if index not in self._codes:  # encode each chosen image once
            self._codes[index] = _codes_of(self.model, self.images[index:index + 1])[0]
            self.encode_calls += 1
        return self._codes[index]

    def current(self):
        """The image shown in the middle, (H, W, C) in [0, 1]."""
        start, end, t = self.images[self.first.value], self.images[self.second.value], \
            self.t.value
        if self.method.value == "pixels":
            return (1.0 - t) * start + t * end
        z = interpolate(self._code(self.first.value), self._code(self.second.value), t,
                        self.method.value)
        self.decode_calls += 1
        return np.asarray(self.model.decode(z))[0]

    def _show_ends(self):
        self.start_image.value = png_bytes(self.images[self.first.value], self.scale)
        self.end_image.value = png_bytes(self.images[self.second.value], self.scale)

    def _on_image(self, change):
        self._show_ends()
        self._redraw()

    def _on_path(self, change):
        self._redraw()

    def _redraw(self):
        self.middle_image.value = png_bytes(self.current(), self.scale)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def interpolation_explorer(model, images, first=0, second=1, method="spherical", scale=5):
    """An ipywidgets explorer of the path between two images' codes.

    Shows image A, the decoded point at t, and image B; t is a slider, the path is linear or
    spherical in latent space, or a plain cross-fade of the pixels for comparison. Changing
    t decodes one code; choosing a new image encodes it once (codes are remembered).

    Args:
        model: has ``encode``, ``decode`` and ``latent_dim`` (VAE: z_mean is used).
        images: (N, H, W, C) images to choose from, e.g. test images.
        first, second: indices of the start and end images.
        method: ``"linear"``, ``"spherical"`` or ``"pixels"``.
        scale: enlargement of the shown images.

    Returns:
        InterpolationExplorer (display it as a cell's last expression).
    """
    return InterpolationExplorer(model, images, first, second, method, scale)


# ----------------------------------------------------------------------------- static explorer
def _check_dim_pairs(dim_pairs, latent_dim):
    if dim_pairs is None:
        if latent_dim < 2:
            raise ValueError(f"latent_dim={latent_dim}; the explorer needs at least 2")
        return [(0, 1)]
    try:
        pairs = [tuple(int(dim) for dim in pair) for pair in dim_pairs]
    except (TypeError, ValueError):
        raise TypeError(f"dim_pairs={dim_pairs!r}; expected pairs of dimension indices, "
                        "e.g. [(0, 1), (2, 3)]") from None
    if not pairs or any(len(pair) != 2 or pair[0] == pair[1]
                        or not all(0 <= dim < latent_dim for dim in pair) for pair in pairs):
        raise ValueError(f"dim_pairs={dim_pairs!r}; expected a non-empty list of pairs of "
                         f"two different dimensions in [0, {latent_dim})")
    return pairs


def explorer_codes(latent_dim, num_points=21, dim_pairs=None, low=0.02, high=0.98,
                   base_code=None):
    """The latent codes of the static explorer, on a Gaussian quantile grid.

    For every pair (i, j) of ``dim_pairs``, a num_points x num_points grid: z[i] runs along
    the columns (left to right, increasing) and z[j] along the rows (bottom to top,
    increasing, so row 0 is the top), like ``plots.manifold_codes``. All other coordinates
    are those of ``base_code`` (zeros, the prior's centre, by default).

    Returns:
        (codes, grid): codes (P, num_points, num_points, latent_dim) float32 indexed
        [pair, row, column], and grid (num_points,) the coordinates (increasing).
    """
    latent_dim = _check_positive_int("latent_dim", latent_dim, minimum=2)
    num_points = _check_positive_int("num_points", num_points, minimum=2)
    pairs = _check_dim_pairs(dim_pairs, latent_dim)
    grid = plots.quantile_grid(num_points, low, high)
    base = np.zeros(latent_dim, "float32") if base_code is None \
        else np.asarray(base_code, dtype="float32").reshape(-1)
    if base.shape != (latent_dim,) or not np.all(np.isfinite(base)):
        raise ValueError(f"base_code has shape {base.shape}; expected ({latent_dim},) finite")
    codes = np.tile(base, (len(pairs), num_points, num_points, 1))
    for index, (across, up) in enumerate(pairs):
        codes[index, :, :, across] = grid[None, :]
        codes[index, :, :, up] = grid[::-1, None]
    return codes, grid


def explorer_sprite(model, num_points=21, dim_pairs=None, low=0.02, high=0.98,
                    base_code=None):
    """Decode the explorer's grid (one decoder call) and pack the tiles into one image.

    Tile (pair p, row r, column c) of size H x W sits at rows (p * num_points + r) * H and
    columns c * W of the sprite.

    Returns:
        dict: ``sprite`` (P*num_points*H, num_points*W[, C]) pixel means in [0, 1],
        ``images`` (P, num_points, num_points, H, W, C), ``codes`` (P, n, n, latent_dim),
        ``grid`` (n,), ``levels`` (n,) the prior probability of each grid coordinate,
        ``dim_pairs``.
    """
    latent_dim = _check_model(model)
    pairs = _check_dim_pairs(dim_pairs, latent_dim)
    codes, grid = explorer_codes(latent_dim, num_points, pairs, low, high, base_code)
    decoded = np.asarray(model.decode(codes.reshape(-1, latent_dim)), dtype="float32")
    if decoded.ndim != 4 or len(decoded) != codes[..., 0].size:
        raise ValueError(f"model.decode returned shape {decoded.shape}; expected "
                         f"({codes[..., 0].size}, H, W, C)")
    count, height, width, channels = decoded.shape
    images = decoded.reshape(len(pairs), num_points, num_points, height, width, channels)
    # (P, rows, cols, H, W, C) -> (P, rows, H, cols, W, C) -> one tall image
    sprite = images.transpose(0, 1, 3, 2, 4, 5).reshape(
        len(pairs) * num_points * height, num_points * width, channels)
    return {"sprite": sprite, "images": images, "codes": codes, "grid": grid,
            "levels": np.linspace(low, high, num_points), "dim_pairs": pairs}


def static_explorer_html(model, num_points=21, dim_pairs=None, low=0.02, high=0.98,
                         zoom=8, map_size=336, title=None, base_code=None):
    """A self-contained HTML explorer of the decoder for pages without a kernel.

    The decoded grid of :func:`explorer_sprite` becomes one PNG in a ``data:`` URI, shown as a
    map of the whole grid; hovering over the map or moving the two sliders shows the decoded
    image of the chosen point, enlarged, by moving the sprite behind a one-tile window
    (CSS ``background-position``). A menu picks the pair of dimensions when there are
    several. No request leaves the page; element ids are unique per call, so several
    explorers can share a page. Display it with ``IPython.display.HTML``.

    Args:
        model: has ``latent_dim`` and ``decode``.
        num_points: grid points per axis (num_points**2 decoded images per pair).
        dim_pairs: pairs of dimensions, e.g. [(0, 1), (2, 3)]; None means [(0, 1)].
        low, high: prior probability levels of the grid's ends (Gaussian quantiles).
        zoom: enlargement of the shown image.
        map_size: width of the map in CSS pixels.
        title: optional caption above the explorer.
        base_code: values of the other coordinates (zeros by default).

    Returns:
        str: an HTML fragment (a div with an inline script).
    """
    zoom = _check_positive_int("zoom", zoom)
    map_size = _check_positive_int("map_size", map_size, minimum=50)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title is a {type(title).__name__}; expected str or None")
    packed = explorer_sprite(model, num_points, dim_pairs, low, high, base_code)
    uri = png_data_uri(packed["sprite"])
    num_pairs, num_points = len(packed["dim_pairs"]), len(packed["grid"])
    height, width = packed["images"].shape[3:5]
    digest = hashlib.sha256(uri.encode()).hexdigest()[:8]
    root = f"vae-explorer-{next(_EXPLORER_COUNT)}-{digest}"
    map_height = round(map_size * height / width)
    settings = {"root": root, "n": num_points, "pairs": packed["dim_pairs"],
                "grid": [round(float(value), 3) for value in packed["grid"]],
                "levels": [round(float(value), 3) for value in packed["levels"]],
                "tileW": int(width), "tileH": int(height), "zoom": zoom,
                "mapW": map_size, "mapH": map_height}
    menu = ""
    if num_pairs > 1:
        options = "".join(f'<option value="{index}">z[{a}] across, z[{b}] up</option>'
                          for index, (a, b) in enumerate(packed["dim_pairs"]))
        menu = (f'<label>dimensions <select id="{root}-pair" aria-label="pair of latent '
                f'dimensions">{options}</select></label><br>')
    middle = num_points // 2
    first, second = packed["dim_pairs"][0]
    caption = f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>' \
        if title else ""
    return f"""<div id="{root}" class="vae-explorer" style="font-family:sans-serif;font-size:14px;margin:8px 0">
{caption}<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">
<div id="{root}-map" title="hover to pick a point" style="position:relative;width:{map_size}px;height:{map_height}px;overflow:hidden;cursor:crosshair;border:1px solid #999">
<img id="{root}-sprite" src="{uri}" alt="decoded images on a latent grid" draggable="false" style="position:absolute;left:0;top:0;width:{map_size}px;height:{map_height * num_pairs}px;max-width:none;pointer-events:none">
<div id="{root}-marker" style="position:absolute;border:2px solid #d62728;box-sizing:border-box;pointer-events:none;width:{map_size / num_points:.3f}px;height:{map_height / num_points:.3f}px"></div>
</div>
<div style="max-width:{max(width * zoom, 240)}px">
<div id="{root}-view" role="img" aria-label="decoded image at the chosen code" style="width:{width * zoom}px;height:{height * zoom}px;border:1px solid #999;background-color:#fff;background-repeat:no-repeat;image-rendering:pixelated"></div>
<div style="margin-top:6px">{menu}
<label><span id="{root}-xname">z[{first}]</span> <input id="{root}-x" type="range" min="0" max="{num_points - 1}" step="1" value="{middle}" aria-label="first coordinate"></label><br>
<label><span id="{root}-yname">z[{second}]</span> <input id="{root}-y" type="range" min="0" max="{num_points - 1}" step="1" value="{middle}" aria-label="second coordinate"></label>
<div id="{root}-label" style="font-family:monospace;margin-top:4px"></div>
</div></div></div>
<script>
(function () {{
  var s = {json.dumps(settings)};
  function el(name) {{ return document.getElementById(s.root + "-" + name); }}
  var box = document.getElementById(s.root), map = el("map"), sprite = el("sprite"),
      view = el("view"), marker = el("marker"), xs = el("x"), ys = el("y"),
      pair = el("pair"), label = el("label");
  var tileW = s.tileW * s.zoom, tileH = s.tileH * s.zoom;
  view.style.backgroundImage = "url(" + sprite.src + ")";
  view.style.backgroundSize = (s.n * tileW) + "px " + (s.pairs.length * s.n * tileH) + "px";
  function show() {{
    var p = pair ? +pair.value : 0, col = +xs.value, row = s.n - 1 - ys.value;
    var a = s.pairs[p][0], b = s.pairs[p][1];
    view.style.backgroundPosition = (-col * tileW) + "px " + (-(p * s.n + row) * tileH) + "px";
    sprite.style.top = (-p * s.mapH) + "px";
    marker.style.left = (col * s.mapW / s.n) + "px";
    marker.style.top = (row * s.mapH / s.n) + "px";
    el("xname").textContent = "z[" + a + "]";
    el("yname").textContent = "z[" + b + "]";
    label.textContent = "z[" + a + "] = " + s.grid[col].toFixed(2) + " (quantile " +
      s.levels[col].toFixed(2) + "), z[" + b + "] = " + s.grid[+ys.value].toFixed(2) +
      " (quantile " + s.levels[+ys.value].toFixed(2) + ")";
    box.setAttribute("data-col", col);
    box.setAttribute("data-row", row);
  }}
  function pick(event) {{
    var rect = map.getBoundingClientRect();
    var col = Math.floor((event.clientX - rect.left) / rect.width * s.n);
    var row = Math.floor((event.clientY - rect.top) / rect.height * s.n);
    if (col < 0 || row < 0 || col >= s.n || row >= s.n) return;
    xs.value = col;
    ys.value = s.n - 1 - row;
    show();
  }}
  map.addEventListener("mousemove", pick);
  map.addEventListener("pointerdown", pick);
  xs.addEventListener("input", show);
  ys.addEventListener("input", show);
  if (pair) pair.addEventListener("change", show);
  show();
}})();
</script>
</div>"""
