"""Every chapter executes without an error in this mode: nbval runs it in this session, or the
website build has just executed the same code and its record is checked here (the rule is in
tests/build_executions.py)."""

import nbformat
import pytest
from build_executions import (
    CHAPTERS,
    NBVAL_RUNS,
    cache_folder,
    fresh_execution,
    problems,
)

PATHS = sorted(CHAPTERS.glob("*.ipynb"))


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_chapter_executes(path, request):
    if path.resolve() in request.config.stash.get(NBVAL_RUNS, set()):
        pytest.skip(f"nbval executes {path.name} in this session")
    executed, why = fresh_execution(path)
    if executed is None:
        pytest.skip(f"not executed in this session: {why}; `VAE_BOOK_NBVAL=always pytest` "
                    "executes every chapter with nbval")
    found = problems(executed, nbformat.read(path, as_version=4))
    assert not found, f"{path.name}, as the build executed it: " + "; ".join(found)


def test_the_freshness_rule_can_say_no(tmp_path):
    """No cache folder, a changed code cell and a skip-execution tag each send a chapter to
    nbval; an error output or a cell the build did not run is reported."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    chapter = PATHS[0]
    source = nbformat.read(chapter, as_version=4)
    folder = tmp_path / ".jupyter_cache_quick"
    assert fresh_execution(chapter, folder)[0] is None  # no cache at all
    executed = nbformat.from_dict(source)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, 1):
        cell.execution_count = number
    cache = get_cache(str(folder))
    cache.cache_notebook_bundle(CacheBundleIn(executed, str(chapter)), check_validity=False)
    found, why = fresh_execution(chapter, folder)
    assert found is not None and why is None
    assert problems(found, source) == []

    changed = tmp_path / chapter.name
    edited = nbformat.from_dict(source)
    next(cell for cell in edited.cells if cell.cell_type == "code").source += "\nx = 1"
    nbformat.write(edited, changed)
    assert "code changed" in fresh_execution(changed, folder)[1]
    next(cell for cell in edited.cells if cell.cell_type == "code").metadata["tags"] = [
        "skip-execution"]
    nbformat.write(edited, changed)
    assert "skip-execution" in fresh_execution(changed, folder)[1]

    broken = nbformat.from_dict(found)
    broken_code = [cell for cell in broken.cells if cell.cell_type == "code"]
    broken_code[1].outputs = [nbformat.v4.new_output("error", ename="ValueError",
                                                     evalue="bad", traceback=[])]
    broken_code[2].execution_count = None
    assert problems(broken, source) == ["code cell 2 raised ValueError: bad",
                                        "code cell 3 was not executed"]


def test_a_library_change_after_the_build_sends_chapters_to_nbval(monkeypatch):
    import datetime

    import build_executions

    chapter = PATHS[0]
    folder = cache_folder()
    if fresh_execution(chapter, folder)[0] is None:
        pytest.skip("no fresh build execution of chapter 1 to compare with")
    later = (datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
             + datetime.timedelta(minutes=1))
    monkeypatch.setattr(build_executions, "library_changed_at", lambda: later)
    assert "vae_lib changed" in fresh_execution(chapter, folder)[1]
    monkeypatch.setenv("VAE_BOOK_NBVAL", "always")
    assert fresh_execution(chapter, folder) == (None, "VAE_BOOK_NBVAL=always")
