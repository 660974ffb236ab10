"""Chapters the website build has just executed need not be executed again by nbval.

`make test` builds the quick-mode website first (Sphinx warnings are errors and
``raise_on_error: true``, so a cell that raises fails the build), then runs pytest, whose
testpaths include ``chapters/`` for nbval. Both executed the same code in the same mode, so
nbval's second run (about 220 s of CPU in quick mode) told nothing new. Now
``tests/conftest.py`` deselects a chapter's nbval cells when the build's execution cache holds a
*fresh* execution of it, and ``tests/test_chapters_execute.py`` checks that execution instead.

Fresh means all of:

* the cache is the build's cache for this mode, ``_build/.jupyter_cache_<mode>``
  (``book/_ext/offline_assets.py`` keeps one per mode);
* jupyter-cache matches the notebook as it is now (it hashes the code cells and the kernel), so
  a changed code cell means nbval runs the chapter;
* the execution is newer than every file of ``vae_lib``: the cache does not know about the
  library, so a changed library means nbval runs the chapter;
* the chapter has no cell tagged ``skip-execution``: the build leaves those cells (chapter 8's
  live widgets) unexecuted, nbval runs them.

Anything else (no build, an older build, a chapter named on the command line, or
``VAE_BOOK_NBVAL=always``) leaves the chapter to nbval. The environment's other inputs (the
installed packages, ``VAE_BOOK_MNIST``) are not compared: in CI both runs share them.
"""

import datetime
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).parent.parent
CHAPTERS = ROOT / "chapters"
LIBRARY = ROOT / "vae_lib"
# The chapters nbval executes in this pytest session (set by tests/conftest.py).
NBVAL_RUNS = pytest.StashKey[set]()


def cache_folder(mode=None):
    """The build's execution cache for a mode (default: this process's VAE_BOOK_MODE)."""
    mode = mode or os.environ.get("VAE_BOOK_MODE", "full")
    return ROOT / "_build" / f".jupyter_cache_{mode}"


def library_changed_at():
    """The newest modification time of vae_lib's files, as naive UTC (jupyter-cache's clock)."""
    newest = max(path.stat().st_mtime for path in LIBRARY.rglob("*.py"))
    return datetime.datetime.fromtimestamp(newest, datetime.UTC).replace(tzinfo=None)


def fresh_execution(path, folder=None):
    """The build's executed copy of the chapter at ``path`` if it is fresh (see the module).

    Returns:
        ``(notebook, why)``: the executed notebook and None, or None and the reason nbval must
        run the chapter.
    """
    folder = pathlib.Path(folder) if folder else cache_folder()
    if os.environ.get("VAE_BOOK_NBVAL") == "always":
        return None, "VAE_BOOK_NBVAL=always"
    if not folder.is_dir():
        return None, f"no build execution cache at {folder}"
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(path, as_version=4)
    skipped = [index + 1 for index, cell in enumerate(notebook.cells)
               if "skip-execution" in cell.metadata.get("tags", [])]
    if skipped:
        return None, f"the build does not run its cells tagged skip-execution ({skipped})"
    cache = get_cache(str(folder))
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:
        return None, "its code changed since the build executed it"
    if record.created <= library_changed_at():
        return None, f"vae_lib changed after the build executed it ({record.created:%H:%M:%S})"
    return cache.get_cache_bundle(record.pk).nb, None


def problems(executed, source):
    """What is wrong with an executed notebook: cells that raised, or code cells not run."""
    found = []
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    wanted = [cell for cell in source.cells if cell.cell_type == "code"]
    if len(code) != len(wanted):
        found.append(f"{len(code)} code cells executed, the chapter has {len(wanted)}")
    for index, cell in enumerate(code):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"code cell {index + 1} raised {output.get('ename')}: "
                             f"{str(output.get('evalue'))[:200]}")
        if cell.source.strip() and cell.get("execution_count") is None:
            found.append(f"code cell {index + 1} was not executed")
    return found
