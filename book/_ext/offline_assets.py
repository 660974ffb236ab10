"""Serve MathJax from the built site itself, so math renders with no network.

Jupyter Book pages load MathJax from a public CDN by default; opened offline, behind a
firewall that blocks CDNs, or from ``file://``, the math then shows as raw LaTeX. This Sphinx
extension copies MathJax 2.7 from the PyPI package ``jupyter-server-mathjax`` (installed by
``requirements.txt``) into ``_static/mathjax`` of the HTML output and points every page at it.
MathJax 2 is also the version the saved-widget renderer expects.

It also removes two console errors the browser test (tests/test_site.py) caught on every page:
a duplicated inline script from sphinx-thebe ("THEBE_JS_URL has already been declared"), and the
theme's "invalid theme mode" when no default colour mode is set.

And it keeps the book's two modes apart (``VAE_BOOK_MODE``, read through ``vae_lib.settings``):
executed notebooks are cached per mode (``_build/.jupyter_cache_quick`` and ``..._full``;
jupyter-cache keys on code cells only, so a full build would otherwise reuse a quick preview's
outputs), and the mode is a Sphinx config value, so switching it re-reads every page.
"""

import pathlib
import shutil

MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full"  # the one combined config the package ships


def _mathjax_source():
    import jupyter_server_mathjax

    return pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"


def _configure(app, config):
    from vae_lib import settings

    mode = settings.mode()
    config.vae_book_mode = mode
    if not config.nb_execution_cache_path:
        config.nb_execution_cache_path = str(
            pathlib.Path(app.outdir).parent / f".jupyter_cache_{mode}")
    config.mathjax_path = f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    config.html_context = {"default_mode": "light", **(config.html_context or {})}
    # Sphinx writes \( \) and \[ \] delimiters; MathJax 2 only typesets what its tex2jax
    # preprocessor finds, and myst-nb's MathJax 3 settings do not apply to it.
    config.mathjax3_config = None
    config.myst_update_mathjax = False  # else MyST writes a MathJax 3 window.MathJax object
    config.mathjax2_config = {
        "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                    "processRefs": False, "processEnvironments": True},
        # The package ships only the STIX-Web fonts (as Jupyter Notebook configures them).
        "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web",
                     "imageFont": None, "linebreaks": {"automatic": True}},
        "messageStyle": "none",
    }


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        # The same inline script is added once with filename None and once with ""
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body")))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: the builder keeps using this list for the page


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = pathlib.Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(_mathjax_source(), target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py"))


def setup(app):
    if not (_mathjax_source() / "MathJax.js").exists():
        raise RuntimeError("MathJax not found: pip install jupyter-server-mathjax "
                           "(it is in requirements.txt)")
    # "env": a change of mode makes Sphinx re-read (re-execute or re-load) every page.
    app.add_config_value("vae_book_mode", "full", "env")
    app.connect("config-inited", _configure, priority=900)
    # Early: html-page-context stops at the first handler that returns a template name.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=100)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
