"""Chapters are committed without outputs: the website build and nbval execute them."""

import json
import pathlib

import pytest

CHAPTERS = sorted((pathlib.Path(__file__).parent.parent / "chapters").glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks found in chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_has_no_outputs(path):
    notebook = json.loads(path.read_text())
    dirty = [index for index, cell in enumerate(notebook["cells"])
             if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"
    assert notebook["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_installs_vae_lib_first_where_it_is_missing(path):
    """Colab opens a chapter alone: its first code cell must install the library, hidden
    on the website."""
    notebook = json.loads(path.read_text())
    first = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    source = "".join(first["source"])
    assert 'find_spec("vae_lib") is None' in source and "pip" in source, \
        f"{path.name}: first code cell does not install vae_lib"
    assert "remove-cell" in first["metadata"].get("tags", [])
