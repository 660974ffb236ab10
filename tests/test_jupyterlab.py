"""The "run the chapters interactively" path, end to end: a real Jupyter server on localhost,
JupyterLab in headless Chromium (Playwright, as in test_site.py), chapter 8's live explorer.

The test copies chapter 8 into a temporary folder (so JupyterLab's autosave never writes
outputs into chapters/), starts ``jupyter lab`` there with ``VAE_BOOK_MODE=quick`` in the
server's environment (the kernel inherits it), opens the chapter, finds the explorer's cell by
its source (it calls ``widgets.latent_explorer(``), runs every cell above it and then the cell
itself, drags the first slider, and checks that the decoded image changes. The explorer cell
is tagged ``skip-execution`` for the website build only; in JupyterLab it runs normally.

Skips, saying why, when Chromium, Playwright or JupyterLab is missing. Screenshots of the
image before and after go to ``_build/screenshots``.
"""

import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).parent.parent
CHAPTER = ROOT / "chapters" / "08_visualizing_the_latent_space.ipynb"
EXPLORER_CALL = "widgets.latent_explorer("
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START_TIMEOUT = 90      # seconds for the server to answer
RUN_TIMEOUT = 900_000   # milliseconds for the cells above the explorer (quick mode: ~1 minute)


def explorer_sources(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"]
            if cell["cell_type"] == "code" and EXPLORER_CALL in "".join(cell["source"])]


def test_chapter_8_has_exactly_one_live_explorer_cell():
    """The browser test finds the explorer by its source; this fails loudly if it is gone."""
    assert len(explorer_sources(CHAPTER)) == 1, \
        f"{CHAPTER.name}: expected one code cell calling {EXPLORER_CALL!r}"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url, process, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer at {url} within {START_TIMEOUT} s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on localhost serving a copy of chapter 8; yields (url, token)."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed "
                                             "(requirements-learners.txt installs it)")
    folder = tmp_path_factory.mktemp("lab")
    notebooks, config = folder / "notebooks", folder / "jupyter"
    notebooks.mkdir()
    shutil.copy(CHAPTER, notebooks / CHAPTER.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, VAE_BOOK_MODE="quick", TF_CPP_MIN_LOG_LEVEL="2",
               # Keep the user's own JupyterLab settings and workspaces out of the test.
               JUPYTER_CONFIG_DIR=str(config / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(config / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(config / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(config / "runtime"))
    log = folder / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
             "--ServerApp.allow_root=True",
             # window.jupyterapp lets the test run JupyterLab's own commands (Run > ...).
             "--LabApp.expose_app_in_browser=True"],
            cwd=notebooks, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{url}/api/status?token={token}", process, log)
        yield url, token, log
    finally:
        # The server shuts its kernels down on SIGTERM; the group kill catches stragglers.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


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


# Run inside the page: the notebook's cells as JupyterLab holds them, found by source.
_FIND_AND_RUN_ABOVE = """async (call) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(
        cell => cell.model.type === "code" && cell.model.sharedModel.getSource().includes(call));
    if (index < 0) return {index};
    notebook.activeCellIndex = index;
    const ranAbove = await app.commands.execute("notebook:run-all-above");
    const errors = [];
    notebook.widgets.slice(0, index).forEach((cell, i) => {
        if (cell.model.type !== "code") return;
        for (const output of cell.model.outputs.toJSON())
            if (output.output_type === "error")
                errors.push(`cell ${i}: ${output.ename}: ${output.evalue}`);
    });
    return {index, ranAbove, errors, kernel: panel.sessionContext.kernelDisplayName};
}"""

_RUN_EXPLORER = """async (index) => {
    const app = window.jupyterapp;
    const notebook = app.shell.currentWidget.content;
    notebook.activeCellIndex = index;
    const ran = await app.commands.execute("notebook:run-cell");
    const cell = notebook.widgets[index];
    await notebook.scrollToCell(cell);
    cell.node.setAttribute("data-test", "live-explorer");
    const errors = cell.model.outputs.toJSON()
        .filter(output => output.output_type === "error")
        .map(output => `${output.ename}: ${output.evalue}`);
    return {ran, errors};
}"""


def test_live_explorer_redraws_when_a_slider_moves(lab, browser):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url, token, log = lab
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{url}/lab/tree/{CHAPTER.name}?token={token}")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.content"
            " && window.jupyterapp.shell.currentWidget.content.widgets.length > 0")
        found = page.evaluate(_FIND_AND_RUN_ABOVE, EXPLORER_CALL)
        assert found["index"] >= 0, \
            f"JupyterLab shows no cell calling {EXPLORER_CALL!r} in {CHAPTER.name}"
        assert found["ranAbove"] and not found["errors"], \
            f"cells above the explorer failed in JupyterLab: {found}\n" \
            f"{log.read_text(errors='replace')[-2000:]}"
        ran = page.evaluate(_RUN_EXPLORER, found["index"])
        assert ran["ran"] and not ran["errors"], f"the explorer cell failed: {ran}"

        cell = page.locator('[data-test="live-explorer"]')
        image = cell.locator(".jp-OutputArea-output img").first
        handle = cell.locator(".widget-slider .noUi-handle").first
        readout = cell.locator(".widget-slider .widget-readout").first
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            image.wait_for(state="visible")
            handle.wait_for(state="visible")
        except PlaywrightTimeout:
            page.screenshot(path=SCREENSHOTS / "jupyterlab_failure.png")
            shown = cell.locator(".jp-OutputArea").inner_text()[:1500]
            pytest.fail(f"the explorer's image or slider never appeared; the cell shows "
                        f"{shown!r} (screenshot {SCREENSHOTS / 'jupyterlab_failure.png'})")
        handle.scroll_into_view_if_needed()
        before, value_before = image.screenshot(), readout.inner_text()
        (SCREENSHOTS / "jupyterlab_explorer_before.png").write_bytes(before)

        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2,
                        steps=8)
        page.mouse.up()

        deadline, after = time.monotonic() + 60, before
        while after == before and time.monotonic() < deadline:
            page.wait_for_timeout(500)
            after = image.screenshot()
        (SCREENSHOTS / "jupyterlab_explorer_after.png").write_bytes(after)
        value_after = readout.inner_text()
        assert value_after != value_before, \
            f"dragging the first slider did not change its value ({value_before})"
        assert after != before, \
            f"the slider moved from {value_before} to {value_after} but the decoded image " \
            f"did not change (screenshots in {SCREENSHOTS})"
        assert not problems, f"JupyterLab page errors: {problems}"
    finally:
        context.close()
