"""Coursework: hand out student copies of the chapters and grade what comes back.

A chapter's exercises are sphinx-exercise blocks in markdown cells. Their solutions take one
of three forms, all recognised here:

* a markdown cell holding a ``{solution}`` directive, plus the cells after it that belong to
  the same solution (everything up to the next exercise or heading), for example a code cell
  with the reference implementation and the checker call;
* a gated block: a ``{solution-start}`` cell, the cells inside, and a ``{solution-end}`` cell.

On the website the solution directives are collapsed dropdowns, and solution code cells carry
the tag ``hide-input`` so their source is collapsed too (:func:`tag_solutions` keeps that so;
``tests/test_coursework.py`` checks every chapter). A *student copy* (:func:`student_copy`)
drops the solutions and leaves an empty answer cell after each exercise. :func:`grade`
executes returned notebooks and collects the lines printed by ``vae_lib.checks`` checkers
("PASS: ..." or "FAIL: ...") into one row per exercise.

Command line::

    python -m vae_lib.coursework student chapters/ --output student/
    python -m vae_lib.coursework grade submissions/*.ipynb --csv grades.csv

Introduced in the instructor guide (book/instructor_guide.md).
"""

import argparse
import copy
import csv
import os
import pathlib
import re
import sys

EXERCISE = re.compile(r"^\s*`{3,}\s*\{exercise(?:-start)?\}", re.MULTILINE)
SOLUTION = re.compile(r"^\s*`{3,}\s*\{solution\}", re.MULTILINE)
SOLUTION_START = re.compile(r"^\s*`{3,}\s*\{solution-start\}", re.MULTILINE)
SOLUTION_END = re.compile(r"^\s*`{3,}\s*\{solution-end\}", re.MULTILINE)
LABEL = re.compile(r"^\s*:label:\s*(\S+)", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
CHECK_LINE = re.compile(r"^(PASS|FAIL): (.*)$", re.MULTILINE)
ANSWER_TEXT = "*Your answer here.*"
ANSWER_CODE = "# Your code here. Run the checker named in the exercise to test it.\n"


def _check_notebook(notebook):
    if not hasattr(notebook, "cells") or not isinstance(notebook.cells, list):
        raise TypeError(f"notebook is a {type(notebook).__name__}; expected an nbformat "
                        "notebook (nbformat.read(path, as_version=4))")


def _solution_regions(notebook):
    """Yield ``(index, gated)`` for every cell of a solution; ``gated`` is True inside a
    ``{solution-start}`` ... ``{solution-end}`` block (the markers included)."""
    _check_notebook(notebook)
    inside, gated = False, False
    for index, cell in enumerate(notebook.cells):
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        is_markdown = cell.cell_type == "markdown"
        if gated:
            yield index, True
            if is_markdown and SOLUTION_END.search(source):
                gated = False
            continue
        if is_markdown and SOLUTION_START.search(source):
            inside = False
            yield index, True
            gated = not SOLUTION_END.search(source)
            continue
        if is_markdown and SOLUTION.search(source):
            inside = True
            yield index, False
            continue
        if inside and is_markdown and (EXERCISE.search(source) or HEADING.search(source)):
            inside = False
        if inside:
            yield index, False
    if gated:
        raise ValueError("a {solution-start} block has no {solution-end}")


def solution_cells(notebook):
    """Indices of the cells that belong to a solution.

    Args:
        notebook: an nbformat v4 notebook.

    Returns:
        list of int, in order.
    """
    return [index for index, _ in _solution_regions(notebook)]


def _exercise_label(cell):
    """The label of an exercise cell (None if it has none); False if it is not an exercise."""
    if cell.cell_type != "markdown" or not EXERCISE.search(cell.source):
        return False
    match = LABEL.search(cell.source)
    return match.group(1) if match else None


def exercises(notebook):
    """Labels of the exercises, in order (``None`` for an exercise without a label)."""
    _check_notebook(notebook)
    return [label for label in map(_exercise_label, notebook.cells) if label is not False]


def tag_solutions(notebook):
    """Give every code cell of a solution outside a gated block the tag ``hide-input``.

    (A gated block is collapsed as a whole already.)

    Returns:
        int: how many cells were changed (the notebook is modified in place).
    """
    changed = 0
    for index, gated in list(_solution_regions(notebook)):
        cell = notebook.cells[index]
        if cell.cell_type != "code" or gated:
            continue
        tags = cell.metadata.setdefault("tags", [])
        if "hide-input" not in tags:
            tags.append("hide-input")
            changed += 1
    return changed


def student_copy(notebook):
    """A copy of ``notebook`` without solutions, with an answer cell after each exercise.

    Each removed solution is replaced by one markdown cell ("Your answer here.") and one empty
    code cell, so a student answers right under the exercise. Outputs are cleared.
    """
    import nbformat

    _check_notebook(notebook)
    drop = set(solution_cells(notebook))
    result = copy.deepcopy(notebook)
    cells, previous_dropped = [], False
    for index, cell in enumerate(result.cells):
        if index in drop:
            if not previous_dropped:
                cells.append(nbformat.v4.new_markdown_cell(ANSWER_TEXT))
                cells.append(nbformat.v4.new_code_cell(ANSWER_CODE))
            previous_dropped = True
            continue
        previous_dropped = False
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    for number, cell in enumerate(cells):
        cell["id"] = f"student-{number:03d}"
    result.cells = cells
    return result


def write_student_copies(source, output):
    """Write a student copy of every ``.ipynb`` in ``source`` (a file or folder) to ``output``.

    Returns:
        list of pathlib.Path written.
    """
    import nbformat

    source, output = pathlib.Path(source), pathlib.Path(output)
    paths = sorted(source.glob("*.ipynb")) if source.is_dir() else [source]
    if not paths or not all(path.exists() for path in paths):
        raise ValueError(f"source={str(source)!r}; expected a notebook or a folder of notebooks")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        target = output / path.name
        nbformat.write(student_copy(notebook), target)
        written.append(target)
    return written


def checker_results(notebook):
    """Rows ``(exercise, passed, message)`` from the checker lines in an executed notebook.

    A line printed by a checker is credited to the last exercise above its cell.
    """
    _check_notebook(notebook)
    rows, current = [], None
    for cell in notebook.cells:
        label = _exercise_label(cell)
        if label is not False:
            current = label
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            for status, message in CHECK_LINE.findall(text):
                rows.append((current, status == "PASS", message.strip()))
    return rows


def grade(paths, timeout=900, mode="quick"):
    """Execute each notebook and collect its checker results.

    Args:
        paths: notebook files handed in by students.
        timeout: seconds allowed per cell.
        mode: ``VAE_BOOK_MODE`` for the run (quick keeps grading fast).

    Returns:
        list of dicts with ``notebook``, ``exercise``, ``passed``, ``message``; a notebook that
        stops with an error gets a row with ``exercise`` ``None`` and the error as message.
    """
    import nbclient
    import nbformat

    if mode not in ("quick", "full"):
        raise ValueError(f"mode={mode!r}; expected 'quick' or 'full'")
    rows = []
    previous = os.environ.get("VAE_BOOK_MODE")
    os.environ["VAE_BOOK_MODE"] = mode
    try:
        for path in map(pathlib.Path, paths):
            notebook = nbformat.read(path, as_version=4)
            client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                             allow_errors=True,
                                             resources={"metadata": {"path": str(path.parent)}})
            client.execute()
            found = checker_results(notebook)
            rows += [{"notebook": path.name, "exercise": exercise, "passed": passed,
                      "message": message} for exercise, passed, message in found]
            errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
                      if output.get("output_type") == "error"]
            if errors:
                rows.append({"notebook": path.name, "exercise": None, "passed": False,
                             "message": f"a cell raised {errors[0]['ename']}: "
                                        f"{errors[0]['evalue']}"})
    finally:
        if previous is None:
            os.environ.pop("VAE_BOOK_MODE", None)
        else:
            os.environ["VAE_BOOK_MODE"] = previous
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vae_lib.coursework", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write student copies without solutions")
    student.add_argument("source", help="a chapter notebook or the chapters/ folder")
    student.add_argument("--output", default="student", help="folder for the copies")
    grading = commands.add_parser("grade", help="run handed-in notebooks and tabulate checkers")
    grading.add_argument("notebooks", nargs="+")
    grading.add_argument("--csv", help="also write the table to this CSV file")
    grading.add_argument("--mode", default="quick", choices=("quick", "full"))
    arguments = parser.parse_args(argv)
    if arguments.command == "student":
        for path in write_student_copies(arguments.source, arguments.output):
            print(f"wrote {path}")
        return 0
    rows = grade(arguments.notebooks, mode=arguments.mode)
    for row in rows:
        mark = "PASS" if row["passed"] else "FAIL"
        print(f"{row['notebook']:<40} {str(row['exercise']):<32} {mark}  {row['message']}")
    if arguments.csv:
        with open(arguments.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["notebook", "exercise", "passed",
                                                        "message"])
            writer.writeheader()
            writer.writerows(rows)
    return 0 if rows and all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
