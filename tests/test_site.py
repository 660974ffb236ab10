"""The built website: self-contained (no requests to other hosts), links resolve, and in a real
browser every page loads without errors, typesets its math, shows its figures, and keeps
solutions collapsed until clicked.

These tests read ``_build/html``; they skip (saying why) when the book has not been built.
``.ci/run`` builds the book before running ``pytest``. The browser test drives Debian's
Chromium through Playwright (no browser download) and skips when Chromium is absent.
"""

import functools
import html.parser
import http.server
import pathlib
import re
import shutil
import threading
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).parent.parent
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Attributes that make the browser fetch something (links a reader clicks are fine).
FETCHING = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
            ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src"),
            ("object", "data")}
# MathJax 2 probes for fonts with a blank @font-face at about:blank, and falls back to its TeX
# .otf fonts for a few symbols the STIX-Web fonts (all that jupyter-server-mathjax ships) lack;
# Chromium logs both although the math renders (checked separately below). Failed loads are
# reported by URL through the request/response listeners, so their generic console lines are
# left out here.
KNOWN_HARMLESS = re.compile(r"Access to font at 'about:blank'|Failed to load resource")
MATHJAX_FALLBACK_FONTS = re.compile(r"/_static/mathjax/fonts/HTML-CSS/TeX/otf/")
CLICKED_LINK_RELS = {"canonical", "alternate", "author", "license", "search"}

needs_site = pytest.mark.skipif(not (SITE / "index.html").exists(),
                                reason="the book is not built: run `jupyter-book build .` first")


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fetched, self.links, self.ids, self.styles = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("src", "href", "data"):
            value = attrs.get(name)
            if not value or (tag, name) not in FETCHING:
                continue
            if tag == "link" and CLICKED_LINK_RELS & set((attrs.get("rel") or "").split()):
                continue
            self.fetched.append((tag, value))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("style"):
            self.styles.append(attrs["style"])


@functools.lru_cache(maxsize=None)
def parsed(path):
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def pages():
    return sorted(SITE.rglob("*.html")) if SITE.exists() else []


def is_external(url):
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


@needs_site
def test_pages_fetch_nothing_from_other_hosts():
    offenders = []
    for page in pages():
        tags = parsed(page)
        offenders += [f"{page.relative_to(SITE)}: <{tag}> {url}"
                      for tag, url in tags.fetched if is_external(url)]
        offenders += [f"{page.relative_to(SITE)}: style url({url})"
                      for style in tags.styles for url in re.findall(r"url\(['\"]?([^)'\"]+)", style)
                      if is_external(url)]
    for sheet in SITE.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{sheet.relative_to(SITE)}: {url}"
                      for url in re.findall(r"(?:url\(|@import\s+)['\"]?((?:https?:)?//[^)'\"\s]+)", text)]
    assert not offenders, "external requests:\n" + "\n".join(sorted(set(offenders))[:40])


@needs_site
def test_internal_links_and_anchors_resolve():
    broken = []
    for page in pages():
        for href in parsed(page).links:
            if is_external(href) or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            url = urllib.parse.urlsplit(href)
            target = page if not url.path else (page.parent / urllib.parse.unquote(url.path))
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)} -> {href}")
            elif url.fragment and target.suffix == ".html" \
                    and urllib.parse.unquote(url.fragment) not in parsed(target.resolve()).ids:
                broken.append(f"{page.relative_to(SITE)} -> {href} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken[:40])


class _CodeBlocks(html.parser.HTMLParser):
    """The text of every <pre> inside a highlighted code block (div.highlight)."""

    def __init__(self):
        super().__init__()
        self.blocks, self._depth, self._inside = [], 0, None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "highlight" in classes and self._inside is None:
            self._inside, self._depth = [], 1
        elif self._inside is not None and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag):
        if self._inside is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self.blocks.append("".join(self._inside))
                self._inside = None

    def handle_data(self, text):
        if self._inside is not None:
            self._inside.append(text)


def empty_code_blocks(text):
    """How many highlighted code blocks of an HTML page hold no text."""
    parser = _CodeBlocks()
    parser.feed(text)
    return sum(1 for block in parser.blocks if not block.strip())


def test_empty_code_block_detector_finds_the_grey_box():
    good = '<div class="highlight-python notranslate"><div class="highlight"><pre>x = 1</pre></div></div>'
    empty = '<div class="highlight-default notranslate"><div class="highlight"><pre><span></span></pre></div></div>'
    assert empty_code_blocks(good) == 0 and empty_code_blocks(good + empty + empty) == 2


@needs_site
def test_no_page_shows_an_empty_code_block():
    empty = {str(page.relative_to(SITE)): count for page in pages()
             if (count := empty_code_blocks(page.read_text(encoding="utf-8", errors="replace")))}
    assert not empty, f"empty grey code boxes (a fence closed too early?): {empty}"


@needs_site
def test_every_chapter_and_page_in_the_toc_was_built():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]] + [entry["file"] for part in toc["parts"]
                               for entry in part["chapters"]]
    missing = [entry for entry in entries if not (SITE / f"{entry}.html").exists()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (CI installs Debian's chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def chapter_pages():
    return sorted((SITE / "chapters").glob("*.html")) if SITE.exists() else []


def open_page(browser, server, page):
    """Open a built page in a new tab that records every problem it meets.

    Returns:
        (tab, problems): the Playwright page, and a list that fills with console and page
        errors, failed or refused requests and HTTP errors while the tab is used.
    """
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    tab.on("console", lambda message: message.type == "error"
           and not KNOWN_HARMLESS.search(message.text)
           and problems.append(f"console error: {message.text}"))
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("requestfailed", lambda request: request.url != "about:blank"
           and not MATHJAX_FALLBACK_FONTS.search(request.url)
           and problems.append(f"request failed: {request.url}"))
    tab.on("response", lambda response: response.status >= 400
           and not MATHJAX_FALLBACK_FONTS.search(response.url)
           and problems.append(f"HTTP {response.status}: {response.url}"))
    # Requests to other hosts would hang or fail with no network: refuse them loudly.
    tab.route(re.compile(r"^https?://(?!127\.0\.0\.1)"),
              lambda route: (problems.append(f"external request: {route.request.url}"),
                             route.abort()))
    tab.goto(f"{server}/{page.relative_to(SITE).as_posix()}", wait_until="load")
    return tab, problems


@needs_site
@pytest.mark.parametrize("page", chapter_pages() + [SITE / "book" / "intro.html"],
                         ids=lambda page: page.stem)
def test_page_in_a_browser(server, browser, page):
    tab, problems = open_page(browser, server, page)

    if tab.locator(".math.notranslate").count():
        tab.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                              " && MathJax.Hub.queue.pending === 0"
                              " && document.querySelectorAll('.MathJax, .MathJax_Display').length > 0",
                              timeout=60_000)
        unrendered = tab.evaluate("""() => [...document.querySelectorAll('.math.notranslate')]
            .filter(node => !node.querySelector('.MathJax, .MathJax_Display, .MathJax_SVG'))
            .length""")
        assert unrendered == 0, f"{unrendered} formulas not typeset on {page.name}"
        errors = tab.locator(".MathJax_Error, merror").count()
        assert errors == 0, f"{errors} MathJax errors on {page.name}"
    text = tab.inner_text("article")
    assert "$$" not in text, f"raw $$ left on {page.name}"

    broken_images = tab.evaluate("""() => [...document.images]
        .filter(image => !(image.complete && image.naturalWidth > 0)).map(image => image.src)""")
    assert not broken_images, f"images that did not load on {page.name}: {broken_images}"

    solutions = tab.locator("div.solution.dropdown")
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        body = solution.locator("section").first
        assert not body.is_visible(), f"solution {index + 1} on {page.name} is not collapsed"
        solution.locator("button.toggle-button").first.click()
        body.wait_for(state="visible", timeout=5_000)

    if page.parent.name == "chapters":
        from test_chinese import check_chapter_summary

        check_chapter_summary(tab, page)

    if page.stem in ("01_images_as_data", "intro"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{page.stem}.png"), full_page=False)
    tab.close()
    assert not problems, f"{page.name}:\n" + "\n".join(problems[:20])


@needs_site
@pytest.mark.parametrize("page", chapter_pages(), ids=lambda page: page.stem)
def test_chapter_has_launch_and_download_buttons(page):
    links = parsed(page).links
    notebook = f"chapters/{page.stem}.ipynb"
    assert any("colab.research.google.com" in link and link.endswith(notebook) for link in links)
    assert any("mybinder.org" in link and notebook in link for link in links)
    assert (SITE / "_sources" / notebook).exists(), "the download button has no notebook"
    assert f"_sources/{notebook}" in page.read_text(encoding="utf-8")
