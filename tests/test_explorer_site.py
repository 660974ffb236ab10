"""The kernel-free latent explorer of chapter 8 on the built website, in a real browser.

The page must show the pre-decoded sprite, and moving a slider or hovering over the map must
change the image shown (the sprite's background-position) without any request to another host.
Reuses the server and browser fixtures of ``test_site.py``; skips when the book (or chapter 8)
is not built. Screenshots before and after go to ``_build/screenshots``.
"""


import pytest

from test_site import (SCREENSHOTS, SITE, browser, needs_site,  # noqa: F401 (fixtures)
                       open_page, server)

PAGE = SITE / "chapters" / "08_visualizing_the_latent_space.html"
needs_page = pytest.mark.skipif(not PAGE.exists(),
                                reason="chapter 8 is not built (not in _toc.yml yet?)")


@needs_site
@needs_page
def test_page_loads_no_widget_renderer_from_a_cdn():
    text = PAGE.read_text(encoding="utf-8")
    # (Every page names a Thebe CDN address in an inert setting; test_site checks fetches.)
    for marker in ("require.min.js", "embed-amd.js", "@jupyter-widgets/html-manager",
                   "widget-state+json", "widget-view+json"):
        assert marker not in text, f"{PAGE.name} still refers to {marker!r}"
    assert text.count('class="vae-explorer"') >= 2


def _open(browser, server):
    return open_page(browser, server, PAGE)


def _state(tab, root):
    return tab.evaluate("""root => {
        const box = document.getElementById(root), view = document.getElementById(root + "-view");
        const style = getComputedStyle(view);
        return {position: style.backgroundPosition, image: style.backgroundImage.slice(0, 30),
                row: box.dataset.row, col: box.dataset.col,
                label: document.getElementById(root + "-label").textContent};
    }""", root)


def _slide(tab, slider_id, value):
    tab.evaluate("""([id, value]) => {
        const slider = document.getElementById(id);
        slider.value = value;
        slider.dispatchEvent(new Event("input", {bubbles: true}));
    }""", [slider_id, value])


@needs_site
@needs_page
def test_static_explorer_follows_the_slider_and_the_mouse(server, browser):
    tab, problems = _open(browser, server)
    explorers = tab.locator("div.vae-explorer")
    assert explorers.count() >= 2, "chapter 8 should show two kernel-free explorers"
    root = explorers.first.get_attribute("id")
    sprite = tab.locator(f"#{root}-sprite")
    sprite.scroll_into_view_if_needed()
    assert sprite.evaluate("image => image.complete && image.naturalWidth > 0"), \
        "the sprite image did not load"
    num_points = int(tab.locator(f"#{root}-x").get_attribute("max")) + 1

    start = _state(tab, root)
    assert start["image"].startswith('url("data:image/png;base64,'), start
    assert (start["row"], start["col"]) == (str(num_points - 1 - num_points // 2),
                                            str(num_points // 2))
    view = tab.locator(f"#{root}-view")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = view.screenshot(path=str(SCREENSHOTS / "08_explorer_before.png"))
    explorers.first.screenshot(path=str(SCREENSHOTS / "08_explorer_whole_before.png"))

    _slide(tab, f"{root}-x", 0)
    _slide(tab, f"{root}-y", num_points - 1)  # top left: the smallest z[0], largest z[1]
    moved = _state(tab, root)
    assert (moved["row"], moved["col"]) == ("0", "0")
    assert moved["position"] == "0px 0px" != start["position"]
    assert moved["label"] != start["label"]
    after = view.screenshot(path=str(SCREENSHOTS / "08_explorer_after_slider.png"))
    assert after != before, "the shown image did not change with the sliders"

    map_box = tab.locator(f"#{root}-map").bounding_box()
    tab.mouse.move(map_box["x"] + map_box["width"] - 2, map_box["y"] + map_box["height"] - 2)
    hovered = _state(tab, root)
    assert (hovered["row"], hovered["col"]) == (str(num_points - 1), str(num_points - 1))
    assert hovered["position"] not in (moved["position"], start["position"])
    assert tab.locator(f"#{root}-x").input_value() == str(num_points - 1)
    explorers.first.screenshot(path=str(SCREENSHOTS / "08_explorer_whole_after_hover.png"))
    tab.close()
    assert not problems, "\n".join(problems)


@needs_site
@needs_page
def test_pair_menu_switches_the_slice(server, browser):
    tab, problems = _open(browser, server)
    menus = tab.locator("div.vae-explorer select")
    assert menus.count() >= 1, "the 16-D explorer should offer a menu of dimension pairs"
    root = menus.first.get_attribute("id").removesuffix("-pair")
    start = _state(tab, root)
    menus.first.select_option(index=1)
    switched = _state(tab, root)
    assert switched["position"] != start["position"]
    assert switched["label"] != start["label"]  # it names other dimensions
    tab.close()
    assert not problems, "\n".join(problems)
