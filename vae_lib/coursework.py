"""Coursework: the exercise format, student copies, and the command line that grades them.

**The exercise format.** An exercise is a markdown cell holding a sphinx-exercise block with a
label: an ``{exercise} Title`` directive, fenced with four backticks when its text holds a
code block, with the option ``:label: chNN-ex-slug``. The cell's metadata says how it is
graded::

    "grading": {"function": "my_elbo", "checker": "elbo", "points": 2}   # coding
    "grading": {"manual": true, "points": 1}                              # conceptual

A coding exercise is graded by ``vae_lib.checks.<checker>`` applied to the student's function
named ``function``; a conceptual one by hand (rubric in the instructor guide, section
"Grading by hand"). ``points``
defaults to 1. A coding exercise's *scaffold* is a fenced ``python`` block inside the exercise
text. Solutions come in two forms, both recognised here:

* gated (the format for new exercises; its code cells and their outputs are inside the
  collapsed dropdown on the website): a ``{solution-start} label`` cell, the answer-key cells,
  and a ``{solution-end}`` cell;
* plain: a markdown cell holding a ``{solution}`` directive, plus the cells after it that
  belong to it (everything up to the next exercise or heading).

**Student copies** (:func:`student_copy`) drop every solution, turn each scaffold into an
editable code cell right under its exercise, and leave an answer cell under each conceptual
exercise. **Grading** runs each returned notebook in a fresh kernel and calls the checkers
itself (:mod:`vae_lib.grading`).

Command line::

    python -m vae_lib.coursework student chapters/ --output student/
    python -m vae_lib.coursework grade submissions/* --chapter chapters/ --csv grades.csv
    python -m vae_lib.coursework check chapters/04_the_elbo.ipynb   # the format, answer keys

``grade`` exits with 0 when every submission was graded (whatever the marks), 1 when at least
one could not be graded at all (not a notebook, unknown chapter, dead or unresponsive
kernel), and 2 for a usage error or a chapter that breaks the exercise format.

Introduced in the instructor guide (book/instructor_guide.md).
"""

import argparse
import ast
import copy
import dataclasses
import keyword
import pathlib
import re
import sys

EXERCISE = re.compile(r"^\s*`{3,}\s*\{exercise(?:-start)?\}", re.MULTILINE)
EXERCISE_TITLE = re.compile(r"^\s*`{3,}\s*\{exercise(?:-start)?\}[ \t]*(.*)$", re.MULTILINE)
SOLUTION = re.compile(r"^\s*`{3,}\s*\{solution\}", re.MULTILINE)
SOLUTION_START = re.compile(r"^\s*`{3,}\s*\{solution-start\}", re.MULTILINE)
SOLUTION_END = re.compile(r"^\s*`{3,}\s*\{solution-end\}", re.MULTILINE)
SOLUTION_LABEL = re.compile(r"^\s*`{3,}\s*\{solution(?:-start)?\}[ \t]*(\S+)", re.MULTILINE)
LABEL = re.compile(r"^\s*:label:\s*(\S+)", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
# A fenced python block inside an exercise (its fence is shorter than the directive's).
SCAFFOLD = re.compile(
    r"^([ \t]*)(`{3,}|~{3,})[ \t]*(?:python|ipython3?)[ \t]*\n(.*?)^\1\2[ \t]*$\n?",
    re.MULTILINE | re.DOTALL)
ANSWER_TEXT = "*Your answer here.*"
ANSWER_CODE = "# Your code here. Run the checker named in the exercise to test it.\n"


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter and how it is graded.

    Attributes:
        label: the sphinx-exercise label, e.g. ``"ch04-ex-kl"``.
        title: the title after ``{exercise}``.
        points: the points it is worth.
        function: the name of the student's function (coding exercises), else None.
        checker: the name of the checker in ``vae_lib.checks`` (coding exercises), else None.
        scaffold: the exercise's fenced python code joined (coding exercises), else None.
        cell: the index of the exercise cell in the chapter.
    """

    label: str
    title: str
    points: float
    function: str = None
    checker: str = None
    scaffold: str = None
    cell: int = None

    @property
    def kind(self):
        """``"coding"`` (graded by a checker) or ``"manual"`` (graded by hand)."""
        return "coding" if self.checker else "manual"


def _check_notebook(notebook):
    if not hasattr(notebook, "cells") or not isinstance(notebook.cells, list):
        raise TypeError(f"notebook is a {type(notebook).__name__}; expected an nbformat "
                        "notebook (nbformat.read(path, as_version=4))")


def _source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _solution_regions(notebook):
    """Yield ``(index, gated)`` for every cell of a solution; ``gated`` is True inside a
    ``{solution-start}`` ... ``{solution-end}`` block (the markers included)."""
    _check_notebook(notebook)
    inside, gated = False, False
    for index, cell in enumerate(notebook.cells):
        source = _source(cell)
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


def solutions(notebook):
    """The cells of each exercise's solution, by the label its directive names.

    Args:
        notebook: an nbformat v4 notebook.

    Returns:
        dict mapping a label to the list of cell indices of its solution (markers included).
    """
    found, label, previous = {}, None, None
    for index, _ in _solution_regions(notebook):
        match = SOLUTION_LABEL.search(_source(notebook.cells[index]))
        if match or previous != index - 1:
            label = match.group(1) if match else None
        found.setdefault(label, []).append(index)
        previous = index
    return found


def _exercise_label(cell):
    """The label of an exercise cell (None if it has none); False if it is not an exercise."""
    if cell.cell_type != "markdown" or not EXERCISE.search(_source(cell)):
        return False
    match = LABEL.search(_source(cell))
    return match.group(1) if match else None


def exercises(notebook):
    """Labels of the exercises, in order (``None`` for an exercise without a label)."""
    _check_notebook(notebook)
    return [label for label in map(_exercise_label, notebook.cells) if label is not False]


def _scaffolds(source):
    """The fenced python blocks of an exercise's text."""
    return [match.group(3) for match in SCAFFOLD.finditer(source)]


def _parse_grading(cell, index, label):
    """The :class:`Exercise` of an exercise cell, or a ValueError naming what is wrong."""
    where = f"exercise {label or '(no label)'} (cell {index})"
    if not label:
        raise ValueError(f"{where} has no :label:; expected ':label: chNN-ex-slug'")
    grading = cell.metadata.get("grading")
    example = ('expected cell metadata "grading": {"function": "my_elbo", "checker": "elbo", '
               '"points": 2} or {"manual": true, "points": 1}')
    if not isinstance(grading, dict):
        raise ValueError(f"{where} has grading={grading!r}; {example}")
    points = grading.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"{where} has points={points!r}; expected a number > 0")
    title = EXERCISE_TITLE.search(_source(cell)).group(1).strip()
    if grading.get("manual") is True:
        if "function" in grading or "checker" in grading:
            raise ValueError(f"{where} is manual and names a function or checker; {example}")
        return Exercise(label, title, points, cell=index)
    function, checker = grading.get("function"), grading.get("checker")
    for name, value in (("function", function), ("checker", checker)):
        if not isinstance(value, str) or not value.isidentifier() or keyword.iskeyword(value):
            raise ValueError(f"{where} has {name}={value!r}; {example}")
    scaffold = "\n".join(_scaffolds(_source(cell))) or None
    return Exercise(label, title, points, function, checker, scaffold, index)


def graded_exercises(notebook):
    """Every exercise of a chapter with how it is graded, from the cells' ``grading`` metadata.

    Args:
        notebook: an nbformat v4 notebook in the exercise format.

    Returns:
        list of :class:`Exercise`, in order.

    Raises:
        ValueError: naming the first exercise without a label, without ``grading`` metadata or
            with malformed metadata, or a label used twice.
    """
    _check_notebook(notebook)
    found = []
    for index, cell in enumerate(notebook.cells):
        label = _exercise_label(cell)
        if label is not False:
            found.append(_parse_grading(cell, index, label))
    labels = [exercise.label for exercise in found]
    for label in labels:
        if labels.count(label) > 1:
            raise ValueError(f"the label {label!r} is used by {labels.count(label)} exercises; "
                             "expected unique labels")
    return found


def _lenient_exercises(notebook):
    """Exercise cells by index: an :class:`Exercise`, or None where the metadata is missing."""
    result = {}
    for index, cell in enumerate(notebook.cells):
        label = _exercise_label(cell)
        if label is False:
            continue
        try:
            result[index] = _parse_grading(cell, index, label)
        except ValueError:
            result[index] = None
    return result


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


def _answer_cells(exercise, cell):
    """The cells a student gets under an exercise, and the exercise text to show above them."""
    import nbformat

    if exercise is None:  # no grading metadata yet: the copy still gets somewhere to answer
        return _source(cell), [nbformat.v4.new_markdown_cell(ANSWER_TEXT),
                               nbformat.v4.new_code_cell(ANSWER_CODE)]
    if exercise.kind == "manual":
        return _source(cell), [nbformat.v4.new_markdown_cell(ANSWER_TEXT)]
    blocks = _scaffolds(_source(cell))
    text = SCAFFOLD.sub("", _source(cell))
    if not blocks:
        blocks = [f"def {exercise.function}(...):  # fill in the arguments the exercise names\n"
                  "    ...\n"]
    cells = [nbformat.v4.new_code_cell(block.rstrip("\n")) for block in blocks]
    for code in cells:
        code.metadata["vae_book"] = {"scaffold_for": exercise.label}
    return text, cells


def student_copy(notebook, chapter=None):
    """A copy of ``notebook`` for students: no solutions, scaffolds as code cells.

    Under each coding exercise the copy has its scaffold (the fenced python block, removed from
    the exercise text) as an editable code cell; under each conceptual exercise, an answer cell
    ("Your answer here."). An exercise without ``grading`` metadata gets both an answer cell
    and an empty code cell. Outputs are cleared; the notebook metadata records the chapter
    (``vae_book.chapter``) so that the grader can find the chapter a copy came from.

    Args:
        notebook: an nbformat v4 notebook (left unchanged).
        chapter: the chapter's name (its file name without ``.ipynb``), recorded in metadata.

    Returns:
        the student's notebook.
    """
    _check_notebook(notebook)
    drop = set(solution_cells(notebook))
    graded = _lenient_exercises(notebook)
    result = copy.deepcopy(notebook)
    cells = []
    for index, cell in enumerate(result.cells):
        if index in drop:
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if index in graded:
            cell.source, answers = _answer_cells(graded[index], cell)
            cells.extend(answers)
    for number, cell in enumerate(cells):
        cell["id"] = f"student-{number:03d}"
    result.cells = cells
    result.metadata["vae_book"] = {"student_copy": True, **({"chapter": chapter} if chapter
                                                            else {})}
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
        nbformat.write(student_copy(notebook, chapter=path.stem), target)
        written.append(target)
    return written


# --- answer keys -----------------------------------------------------------------------------

def _bound_and_used(source):
    """Names a cell binds and names it reads (None, None if it is not plain Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, None
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, used


def defines(source, name):
    """Whether a cell's code defines ``name`` at top level (``def``, class or assignment)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(leaf, ast.Name) and leaf.id == name
                   for target in targets for leaf in ast.walk(target)):
                return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name) == name for alias in node.names):
                return True
    return False


def answer_key(notebook):
    """The chapter's answer keys with only the earlier cells they need, as a notebook.

    Keeps every solution code cell, and before them the code cells that bind a name the kept
    cells read (found by walking back through the chapter), so that the answer keys run in
    seconds without training the chapter's models. Cells that are not plain Python (magics)
    are kept if they are solution cells, dropped otherwise.

    Args:
        notebook: a chapter in the exercise format.

    Returns:
        an nbformat notebook (a new object).
    """
    import nbformat

    solution = set(solution_cells(notebook))
    keep, needed = set(), set()
    for index in range(len(notebook.cells) - 1, -1, -1):
        cell = notebook.cells[index]
        if cell.cell_type != "code":
            continue
        bound, used = _bound_and_used(_source(cell))
        if index in solution or (bound and bound & needed):
            keep.add(index)
            # names the cell reads but binds itself are its own (a rare `x = x + 1` is lost)
            needed = (needed - (bound or set())) | ((used or set()) - (bound or set()))
    result = nbformat.v4.new_notebook(metadata=copy.deepcopy(notebook.metadata))
    result.cells = [nbformat.v4.new_code_cell(_source(notebook.cells[index]))
                    for index in sorted(keep)]
    return result


def format_problems(notebook):
    """What breaks the exercise format in a chapter, in words (an empty list if nothing).

    Checks that every exercise has ``grading`` metadata, that every coding exercise names a
    checker that exists in ``vae_lib.checks`` and a function that its answer key defines and
    no other code cell of the chapter defines (else an untouched copy would pass), that the
    answer key asserts that the checker passes on that function (so executing the chapter,
    as nbval and the site build do, proves every answer key right), that it runs no
    deliberately wrong version (it may call the checker on the function only), and that there
    are at least two coding exercises.

    Args:
        notebook: a chapter.

    Returns:
        list of str.
    """
    from vae_lib import checks

    try:
        graded = graded_exercises(notebook)
        by_label = solutions(notebook)
    except ValueError as error:
        return [str(error)]
    problems = []
    in_key = {index for indices in by_label.values() for index in indices}
    for exercise in graded:
        if exercise.kind == "manual":
            continue
        elsewhere = [index for index, cell in enumerate(notebook.cells)
                     if cell.cell_type == "code" and index not in in_key
                     and defines(_source(cell), exercise.function)]
        if elsewhere:
            problems.append(f"{exercise.label}: cell {elsewhere[0]} outside the answer key "
                            f"defines {exercise.function!r}, so an untouched student copy "
                            "would pass; give the exercise's function another name")
        if not callable(getattr(checks, exercise.checker, None)):
            problems.append(f"{exercise.label}: checker {exercise.checker!r} is not in "
                            "vae_lib.checks")
        key = [_source(notebook.cells[index]) for index in by_label.get(exercise.label, [])
               if notebook.cells[index].cell_type == "code"]
        if not any(defines(source, exercise.function) for source in key):
            problems.append(f"{exercise.label}: no answer-key code cell (in a solution for "
                            f"{exercise.label}) defines {exercise.function!r}")
        called = re.compile(rf"checks\.{exercise.checker}\(\s*{exercise.function}\b")
        if not any(called.search(source) and re.search(r"^\s*assert\b.*\.passed", source, re.M)
                   for source in key):
            problems.append(f"{exercise.label}: no answer-key cell asserts that "
                            f"checks.{exercise.checker}({exercise.function}) passes (executing "
                            "the chapter must prove the answer key right)")
        wrong = re.compile(rf"checks\.{exercise.checker}\(\s*(?!{exercise.function}\b)\w")
        if any(wrong.search(source) for source in key):
            problems.append(f"{exercise.label}: the answer key calls checks.{exercise.checker} "
                            f"on something other than {exercise.function} (no wrong versions "
                            "in answer keys)")
    coding = sum(exercise.kind == "coding" for exercise in graded)
    if coding < 2:
        problems.append(f"{coding} coding exercise(s) graded by a checker; expected at least 2")
    return problems


# --- command line ----------------------------------------------------------------------------

def _print_rows(rows, totals):
    for row in rows:
        points = f"{row['points'] if row['points'] != '' else '-'}/{row['max_points']}" \
            if row["max_points"] != "" else "-"
        print(f"{row['notebook']:<32} {row['exercise'] or '-':<30} {row['status']:<10} "
              f"{points:<7} {row['message']}")
    for total in totals:
        print(f"{total['notebook']}: {total['points']} of {total['max_points']} points graded "
              f"automatically, {total['manual_points']} by hand; {total['graded']}")
    if any(total["graded"] != "graded" for total in totals):
        print("Some submissions could not be graded (see the rows above).", file=sys.stderr)


def _check_command(source, mode):
    import nbformat

    from vae_lib import grading

    source = pathlib.Path(source)
    paths = sorted(source.glob("*.ipynb")) if source.is_dir() else [source]
    failures = 0
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        problems = format_problems(notebook)
        if not problems:
            key = pathlib.Path(grading.temporary_folder()) / path.name
            nbformat.write(answer_key(notebook), key)
            for row in grading.grade([key], chapter=path, mode=mode):
                if row["kind"] == "coding" and row["status"] != "passed":
                    problems.append(f"{row['exercise']}: the answer key is graded "
                                    f"{row['status']}: {row['message']} {row['note']}".strip())
        print(f"{path.name}: " + ("ok" if not problems else "; ".join(problems)))
        failures += bool(problems)
    return 1 if failures else 0


def main(argv=None):
    """The command line (see the module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m vae_lib.coursework", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write student copies without solutions")
    student.add_argument("source", help="a chapter notebook or the chapters/ folder")
    student.add_argument("--output", default="student", help="folder for the copies")
    grading_parser = commands.add_parser(
        "grade", help="run handed-in notebooks in fresh kernels and call the checkers")
    grading_parser.add_argument("notebooks", nargs="+", help="the files students handed in")
    grading_parser.add_argument("--chapter", default="chapters",
                                help="the chapter notebook, or the folder of chapters (default: "
                                     "chapters), that the exercises and points come from")
    grading_parser.add_argument("--csv", help="write the class table (one row per student and "
                                              "exercise) to this CSV file")
    grading_parser.add_argument("--totals", help="write one row per student (points) to this CSV")
    grading_parser.add_argument("--feedback", default="feedback",
                                help="folder for one feedback file per student (default: "
                                     "feedback)")
    grading_parser.add_argument("--mode", default="quick", choices=("quick", "full"),
                                help="VAE_BOOK_MODE of the grading kernels (default: quick)")
    grading_parser.add_argument("--time-limit", type=float, default=600,
                                help="seconds a submission's cells may run (default: 600)")
    grading_parser.add_argument("--check-time-limit", type=float, default=120,
                                help="seconds one checker may run (default: 120)")
    checking = commands.add_parser(
        "check", help="check a chapter's exercise format and run its answer keys")
    checking.add_argument("source", help="a chapter notebook or the chapters/ folder")
    checking.add_argument("--mode", default="quick", choices=("quick", "full"))
    arguments = parser.parse_args(argv)
    if arguments.command == "student":
        for path in write_student_copies(arguments.source, arguments.output):
            print(f"wrote {path}")
        return 0
    if arguments.command == "check":
        return _check_command(arguments.source, arguments.mode)

    from vae_lib import grading

    try:
        rows = grading.grade(arguments.notebooks, chapter=arguments.chapter,
                             mode=arguments.mode, time_limit=arguments.time_limit,
                             check_time_limit=arguments.check_time_limit)
    except (ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    totals = grading.totals(rows)
    _print_rows(rows, totals)
    if arguments.csv:
        grading.write_csv(rows, arguments.csv)
    if arguments.totals:
        grading.write_csv(totals, arguments.totals, fields=grading.TOTAL_FIELDS)
    for path in grading.write_feedback(rows, arguments.feedback):
        print(f"wrote {path}")
    return grading.exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
