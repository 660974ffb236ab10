"""Student copies drop every solution and keep every exercise; grading reads checker lines."""

import pathlib

import nbformat
import pytest

from vae_lib import coursework

CHAPTERS = sorted((pathlib.Path(__file__).parent.parent / "chapters").glob("*.ipynb"))


def notebook(*cells):
    made = []
    for kind, source, *tags in cells:
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(source)
        if tags:
            cell.metadata["tags"] = list(tags)
        made.append(cell)
    result = nbformat.v4.new_notebook()
    result.cells = made
    return result


EXAMPLE = notebook(
    ("md", "# Title"),
    ("code", "x = 1"),
    ("md", "```{exercise} First\n:label: ex-one\nWrite f.\n```"),
    ("md", "````{solution} ex-one\n:class: dropdown\nLike this.\n````"),
    ("code", "def f():\n    return 1"),
    ("md", "The checker agrees."),
    ("md", "```{exercise} Second\n:label: ex-two\nExplain.\n```"),
    ("md", "```{solution-start} ex-two\n:class: dropdown\n```"),
    ("code", "print('secret')"),
    ("md", "```{solution-end}\n```"),
    ("md", "## Next section"),
    ("code", "y = 2"),
)


def test_solution_cells_cover_directives_followers_and_gated_blocks():
    assert coursework.solution_cells(EXAMPLE) == [3, 4, 5, 7, 8, 9]
    assert coursework.exercises(EXAMPLE) == ["ex-one", "ex-two"]


def test_student_copy_drops_solutions_and_leaves_answer_cells():
    copy = coursework.student_copy(EXAMPLE)
    sources = [cell.source for cell in copy.cells]
    assert not any("solution" in source or "secret" in source or "def f" in source
                   for source in sources)
    assert coursework.exercises(copy) == ["ex-one", "ex-two"]
    assert sources.count(coursework.ANSWER_TEXT) == 2
    assert sources[-2:] == ["## Next section", "y = 2"]
    assert len(EXAMPLE.cells) == 12  # the original is untouched


def test_tag_solutions_hides_code_outside_gated_blocks():
    example = nbformat.from_dict(EXAMPLE)
    assert coursework.tag_solutions(example) == 1
    assert example.cells[4].metadata["tags"] == ["hide-input"]
    assert "tags" not in example.cells[8].metadata  # the gated block is collapsed already
    assert coursework.tag_solutions(example) == 0


def test_unclosed_gated_block_and_bad_input_are_named():
    broken = notebook(("md", "```{solution-start} ex\n```"), ("code", "1"))
    with pytest.raises(ValueError, match="solution-end"):
        coursework.solution_cells(broken)
    with pytest.raises(TypeError, match="nbformat"):
        coursework.student_copy({"cells": []})


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_solutions_are_hidden_on_the_site_and_absent_from_student_copies(path):
    chapter = nbformat.read(path, as_version=4)
    labels = coursework.exercises(chapter)
    assert len(labels) >= 3, f"{path.name} has {len(labels)} exercises; expected at least 3"
    assert all(labels) and len(set(labels)) == len(labels), f"labels {labels}"
    assert coursework.tag_solutions(nbformat.from_dict(chapter)) == 0, \
        f"{path.name}: solution code cells without hide-input (run coursework.tag_solutions)"
    copy = coursework.student_copy(chapter)
    assert coursework.exercises(copy) == labels
    assert not any("{solution" in cell.source for cell in copy.cells)


def test_grade_tabulates_checker_results(tmp_path):
    handed_in = notebook(
        ("code", "from vae_lib import checks\nimport numpy as np"),
        ("md", "```{exercise} KL\n:label: ex-kl\nWrite kl.\n```"),
        ("code", "def kl(m, v):\n    return 0.5 * np.sum(np.exp(v) + m**2 - 1 - v, axis=-1)\n"
                 "checks.kl_divergence(kl)"),
        ("md", "```{exercise} KL again\n:label: ex-kl-wrong\nWrite kl.\n```"),
        ("code", "def bad(m, v):\n    return -0.5 * np.sum(np.exp(v) + m**2 - 1 - v, axis=-1)\n"
                 "checks.kl_divergence(bad)"),
        ("code", "raise RuntimeError('student bug')"),
    )
    handed_in.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}
    path = tmp_path / "alice.ipynb"
    nbformat.write(handed_in, path)
    rows = coursework.grade([path], timeout=300)
    assert [(row["exercise"], row["passed"]) for row in rows] == [
        ("ex-kl", True), ("ex-kl-wrong", False), (None, False)]
    assert "sign" in rows[1]["message"] and "student bug" in rows[2]["message"]


def test_command_line_writes_student_copies(tmp_path):
    source = tmp_path / "chapter.ipynb"
    nbformat.write(EXAMPLE, source)
    assert coursework.main(["student", str(source), "--output", str(tmp_path / "out")]) == 0
    written = nbformat.read(tmp_path / "out" / "chapter.ipynb", as_version=4)
    assert coursework.exercises(written) == ["ex-one", "ex-two"]
