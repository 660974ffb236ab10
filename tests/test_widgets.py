"""vae_lib.widgets: the Jupyter explorers (driven from Python, without a display), the kernel-free
HTML explorer (sprite layout, self-contained HTML) and interpolation (against closed forms)."""

import base64
import html.parser
import io
import re

import numpy as np
import pytest
from PIL import Image as PILImage

from vae_lib import models, networks, plots, widgets


class FakeModel:
    """A tiny decoder whose image is a known function of z, counting its calls."""

    def __init__(self, latent_dim=2, height=4, width=5):
        self.latent_dim, self.height, self.width = latent_dim, height, width
        self.decode_calls = self.encode_calls = 0
        self.weights = np.random.default_rng(0).standard_normal(
            (latent_dim, height * width)).astype("float32")

    def decode(self, z):
        self.decode_calls += 1
        z = np.asarray(z, dtype="float32")
        logits = z @ self.weights  # (N, H*W)
        return (1.0 / (1.0 + np.exp(-logits))).reshape(len(z), self.height, self.width, 1)

    def encode(self, images):
        self.encode_calls += 1
        flat = np.asarray(images).reshape(len(images), -1)
        z_mean = flat[:, :self.latent_dim] * 4.0 - 2.0
        return z_mean, np.zeros_like(z_mean)


def decode_png(data):
    return np.asarray(PILImage.open(io.BytesIO(data)))


def decode_data_uri(uri):
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return decode_png(base64.b64decode(uri[len(prefix):]))


# ----------------------------------------------------------------------------- pixels
def test_to_uint8_draws_ink_dark_on_white_like_the_plots():
    pixels = widgets.to_uint8(np.array([[0.0, 1.0, 0.5]])[..., None])
    np.testing.assert_array_equal(pixels, [[255, 0, 128]])
    colour = widgets.to_uint8(np.ones((2, 2, 3)))
    assert colour.shape == (2, 2, 3) and colour.max() == 255


def test_png_bytes_round_trip_and_scale():
    image = np.random.default_rng(1).uniform(size=(3, 4, 1))
    pixels = decode_png(widgets.png_bytes(image, scale=3))
    assert pixels.shape == (9, 12)
    np.testing.assert_array_equal(pixels[::3, ::3], widgets.to_uint8(image))
    with pytest.raises(ValueError, match="scale=0"):
        widgets.png_bytes(image, scale=0)


# ----------------------------------------------------------------------------- interpolation
def test_linear_interpolation_is_the_straight_line():
    z_start, z_end = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 5.0])
    path = widgets.interpolate(z_start, z_end, [0.0, 0.25, 1.0], "linear")
    np.testing.assert_allclose(path, [z_start, 0.75 * z_start + 0.25 * z_end, z_end], rtol=1e-6)


def test_spherical_interpolation_endpoints_norms_and_angles():
    rng = np.random.default_rng(2)
    z_start, z_end = rng.standard_normal(16), 2.0 * rng.standard_normal(16)
    t = np.linspace(0.0, 1.0, 11)
    path = widgets.interpolate(z_start, z_end, t, "spherical").astype("float64")
    np.testing.assert_allclose(path[0], z_start, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(path[-1], z_end, rtol=1e-5, atol=1e-6)
    # the length changes linearly between the two lengths ...
    lengths = (1 - t) * np.linalg.norm(z_start) + t * np.linalg.norm(z_end)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), lengths, rtol=1e-5)
    # ... and the direction turns at a constant rate along the great circle
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    total = np.arccos(np.clip(unit[0] @ unit[-1], -1, 1))
    angles_from_start = np.arccos(np.clip(unit @ unit[0], -1, 1))
    np.testing.assert_allclose(angles_from_start, t * total, atol=1e-5)
    # the straight line instead shrinks in the middle
    middle = widgets.interpolate(z_start, z_start * -0.2 + z_end, 0.5, "linear")[0]
    assert np.linalg.norm(middle) < lengths[5]


def test_spherical_interpolation_of_equal_lengths_keeps_the_length():
    z_start, z_end = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    path = widgets.interpolate(z_start, z_end, np.linspace(0, 1, 5), "spherical")
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(path[2], [3 / np.sqrt(2), 3 / np.sqrt(2)], rtol=1e-6)


def test_interpolate_rejects_bad_input():
    with pytest.raises(ValueError, match="method='cubic'"):
        widgets.interpolate(np.zeros(2), np.ones(2), 0.5, "cubic")
    with pytest.raises(ValueError, match=r"\(3,\)"):
        widgets.interpolate(np.zeros(2), np.ones(3), 0.5)


# ----------------------------------------------------------------------------- static explorer
def test_explorer_codes_follow_the_manifold_layout():
    codes, grid = widgets.explorer_codes(2, num_points=5, low=0.05, high=0.95)
    np.testing.assert_allclose(grid, plots.quantile_grid(5, 0.05, 0.95))
    np.testing.assert_allclose(codes[0].reshape(-1, 2), plots.manifold_codes(5, 0.05, 0.95),
                               rtol=1e-6)
    codes, _ = widgets.explorer_codes(4, 3, dim_pairs=[(0, 1), (3, 2)], base_code=[9, 9, 9, 9])
    assert codes.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(codes[1, :, :, :2], 9.0)  # the other dimensions stay put
    assert codes[1, 0, 2, 3] > 0 and codes[1, 0, 2, 2] > 0  # top right: both large


@pytest.mark.parametrize("dim_pairs", [None, [(0, 1), (2, 0)]])
def test_sprite_tile_at_grid_point_is_the_decode_of_that_code(dim_pairs):
    model = FakeModel(latent_dim=3)
    packed = widgets.explorer_sprite(model, num_points=6, dim_pairs=dim_pairs)
    assert model.decode_calls == 1  # the whole grid in one call
    num_pairs = len(packed["dim_pairs"])
    assert packed["sprite"].shape == (num_pairs * 6 * 4, 6 * 5, 1)
    for pair, row, col in [(0, 0, 0), (0, 2, 5), (num_pairs - 1, 5, 3)]:
        tile = packed["sprite"][(pair * 6 + row) * 4:(pair * 6 + row + 1) * 4,
                                col * 5:(col + 1) * 5]
        expected = model.decode(packed["codes"][pair, row, col][None])[0]
        np.testing.assert_allclose(tile, expected, rtol=1e-6)


class _Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [value for name, value in attrs if name == "id"]
        if tag not in ("img", "input", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def test_static_explorer_html_is_self_contained_and_holds_every_frame():
    model = FakeModel(latent_dim=2)
    page = widgets.static_explorer_html(model, num_points=7, title="a <test>")
    assert "http" not in page.lower()  # not even by chance inside the base64 text
    assert re.findall(r'(?:src|href)="([^"]*)"', page) == re.findall(r'src="(data:[^"]*)"', page)
    uris = re.findall(r'src="(data:image/png;base64,[A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 1
    sprite = decode_data_uri(uris[0])
    assert sprite.shape == (7 * 4, 7 * 5)  # 7 x 7 frames of 4 x 5 pixels
    packed = widgets.explorer_sprite(model, num_points=7)
    np.testing.assert_array_equal(sprite, widgets.to_uint8(packed["sprite"]))
    parser = _Elements()
    parser.feed(page)
    assert not parser.open, f"unclosed elements: {parser.open}"
    assert parser.tags.count("script") == 1 and parser.tags.count("input") == 2
    assert len(parser.ids) == len(set(parser.ids))
    assert "a &lt;test&gt;" in page


def test_two_static_explorers_have_different_ids():
    model = FakeModel(latent_dim=2)
    first = widgets.static_explorer_html(model, num_points=3)
    second = widgets.static_explorer_html(model, num_points=3)
    ids = lambda page: set(re.findall(r'id="([^"]+)"', page))  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)


def test_static_explorer_offers_a_menu_for_several_pairs():
    page = widgets.static_explorer_html(FakeModel(latent_dim=4), num_points=3,
                                        dim_pairs=[(0, 1), (2, 3), (1, 3)])
    assert page.count("<option") == 3


def test_static_explorer_rejects_bad_input():
    with pytest.raises(TypeError, match="str"):
        widgets.static_explorer_html("not a model")
    with pytest.raises(ValueError, match="num_points=1"):
        widgets.static_explorer_html(FakeModel(), num_points=1)
    with pytest.raises(ValueError, match=r"dim_pairs=\[\(0, 5\)\]"):
        widgets.static_explorer_html(FakeModel(latent_dim=3), dim_pairs=[(0, 5)])
    with pytest.raises(ValueError, match="dim_pairs"):
        widgets.explorer_codes(3, 4, dim_pairs=[(1, 1)])
    with pytest.raises(ValueError, match="low=0.5"):
        widgets.explorer_codes(2, 4, low=0.5, high=0.4)
    with pytest.raises(ValueError, match="zoom=0"):
        widgets.static_explorer_html(FakeModel(), zoom=0)


# ----------------------------------------------------------------------------- Jupyter widgets
def test_latent_explorer_decodes_once_per_slider_change():
    pytest.importorskip("ipywidgets")
    small, large = FakeModel(latent_dim=2), FakeModel(latent_dim=3)
    explorer = widgets.latent_explorer({"two": small, "three": large}, scale=2)
    assert len(explorer.sliders) == 2 and small.decode_calls == 1
    before = explorer.image.value
    explorer.sliders[1].value = 1.5
    assert small.decode_calls == 2 and explorer.decode_calls == 2
    after = decode_png(explorer.image.value)
    assert explorer.image.value != before
    expected = widgets.to_uint8(small.decode(np.array([[0.0, 1.5]]))[0])
    np.testing.assert_array_equal(after[::2, ::2], expected)
    explorer.model_menu.value = "three"  # a new latent size: new sliders, one decode
    assert len(explorer.sliders) == 3 and large.decode_calls == 1
    explorer.set_code([0.5, -0.5, 1.0])  # three sliders moved, still one decode
    assert large.decode_calls == 2
    np.testing.assert_allclose(explorer.code, [0.5, -0.5, 1.0])
    assert "model_id" in str(explorer._repr_mimebundle_())


def test_latent_explorer_rejects_bad_input():
    with pytest.raises(TypeError, match="dict"):
        widgets.latent_explorer([FakeModel()])
    with pytest.raises(TypeError, match="models_by_name\\['x'\\]"):
        widgets.latent_explorer({"x": object()})
    with pytest.raises(ValueError, match="value_range=-1"):
        widgets.latent_explorer({"x": FakeModel()}, value_range=-1)


def test_interpolation_explorer_encodes_once_and_decodes_once_per_change():
    pytest.importorskip("ipywidgets")
    model = FakeModel(latent_dim=2)
    images = np.random.default_rng(3).uniform(size=(5, 4, 5, 1)).astype("float32")
    explorer = widgets.interpolation_explorer(model, images, first=0, second=3,
                                              method="linear", scale=1)
    assert model.encode_calls == 2 and model.decode_calls == 1
    explorer.t.value = 1.0
    assert model.decode_calls == 2 and model.encode_calls == 2
    z_end = model.encode(images[3:4])[0]
    np.testing.assert_array_equal(decode_png(explorer.middle_image.value),
                                  widgets.to_uint8(model.decode(z_end)[0]))
    model.encode_calls = model.decode_calls = 0
    explorer.method.value = "spherical"
    assert (model.encode_calls, model.decode_calls) == (0, 1)
    explorer.method.value = "pixels"  # a cross-fade needs no decoder
    explorer.t.value = 0.5
    assert model.decode_calls == 1
    np.testing.assert_array_equal(decode_png(explorer.middle_image.value),
                                  widgets.to_uint8(0.5 * images[0] + 0.5 * images[3]))
    explorer.second.value = 4
    assert model.encode_calls == 0  # pixels need no code either
    np.testing.assert_array_equal(decode_png(explorer.end_image.value),
                                  widgets.to_uint8(images[4]))


def test_interpolation_explorer_rejects_bad_input():
    images = np.zeros((3, 4, 5, 1), "float32")
    with pytest.raises(ValueError, match="second=3"):
        widgets.interpolation_explorer(FakeModel(), images, second=3)
    with pytest.raises(ValueError, match="method='cubic'"):
        widgets.interpolation_explorer(FakeModel(), images, method="cubic")
    with pytest.raises(ValueError, match=r"\(4, 5, 1\)"):
        widgets.interpolation_explorer(FakeModel(), images[0])


def test_explorers_work_with_a_real_vae():
    model = models.VAE(networks.dense_encoder(2, hidden_units=(8,)),
                       networks.dense_decoder(2, hidden_units=(8,)))
    packed = widgets.explorer_sprite(model, num_points=3)
    np.testing.assert_allclose(packed["images"][0, 1, 2],
                               model.decode(packed["codes"][0, 1, 2][None])[0], atol=1e-6)
    images = np.random.default_rng(4).uniform(size=(3, 28, 28, 1)).astype("float32")
    explorer = widgets.interpolation_explorer(model, images, method="spherical")
    assert decode_png(explorer.middle_image.value).shape == (140, 140)


def test_data_uri_never_spells_http(monkeypatch):
    def fake_png_bytes(image, scale=1, compress_level=9):  # level 9 happens to spell it
        return base64.b64decode("aHTTpAAA") if compress_level == 9 else b"\x00\x01\x02"

    monkeypatch.setattr(widgets, "png_bytes", fake_png_bytes)
    uri = widgets.png_data_uri(np.zeros((2, 2)))
    assert "http" not in uri.lower() and uri.endswith(base64.b64encode(b"\x00\x01\x02").decode())
