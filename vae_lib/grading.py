"""Grading: run each handed-in notebook in a fresh kernel, then call the checkers ourselves.

For every submission the grader

1. reads the file (a file that is not a notebook gets one row saying why; the others are
   still graded) and finds the chapter it came from, whose exercise cells say what is graded
   and for how many points (the submission's own copy of that metadata is never trusted);
2. starts a fresh Python kernel (``nbclient``) in an empty temporary folder, with
   ``VAE_BOOK_MODE`` set for that kernel only, and imports the checkers there before any
   student code runs, recording the library's functions;
3. runs the student's cells one by one within a time limit, noting the first error; a crash
   does not stop the run, a time-out stops the remaining cells;
4. runs its *own* code in that kernel, silently (IPython event hooks do not see it): for each
   coding exercise it looks up the student's function by name, calls
   ``vae_lib.checks.<checker>`` on it with a time limit, and writes the verdicts with a random
   nonce to a file in a private temporary folder whose name the student's code never sees.

Printed text earns nothing: only the grader's file is read. A function that is, or calls, the
library's own implementation fails (the ``@forbids`` decorator of ``vae_lib.checks``). A notebook that
replaced a ``vae_lib`` function the checkers use is not credited. The grader is not a
sandbox: code that rewrites the Jupyter kernel itself could still forge a verdict; run it in a
container for high-stakes exams, and read notebooks whose marks surprise you.

Every exercise of the chapter gets a row for every student: ``passed``, ``failed`` (with the
checker's message), ``missing`` (no such function, or the scaffold unchanged), ``manual``
(graded by hand) or ``not graded`` (the submission could not be run).

Introduced in the instructor guide (book/instructor_guide.md).
"""

import copy
import csv
import json
import math
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from vae_lib import coursework

STATUSES = ("passed", "failed", "missing", "manual", "not graded")
FIELDS = ["notebook", "chapter", "exercise", "kind", "status", "points", "max_points",
          "message", "note"]
TOTAL_FIELDS = ["notebook", "chapter", "points", "max_points", "manual_points", "graded"]
MANUAL_MESSAGE = ("graded by hand: the chapter's solution is the model answer; rubric in the "
                  "instructor guide, section 'Grading by hand'")


# --- choosing the chapter --------------------------------------------------------------------

def _chapters(chapter):
    """``{name: notebook}`` from a chapter file, a folder of chapters, or a notebook object."""
    import nbformat

    if hasattr(chapter, "cells"):
        return {chapter.metadata.get("vae_book", {}).get("chapter", "chapter"): chapter}
    path = pathlib.Path(chapter)
    if path.is_dir():
        paths = sorted(path.glob("*.ipynb"))
    elif path.suffix == ".ipynb" and path.is_file():
        paths = [path]
    else:
        paths = []
    if not paths:
        raise ValueError(f"chapter={str(chapter)!r}; expected a chapter notebook or a folder "
                         "of chapter notebooks")
    return {path.stem: nbformat.read(path, as_version=4) for path in paths}


def _which_chapter(submission, chapters):
    """The name of the chapter a submission came from, or None."""
    if len(chapters) == 1:
        return next(iter(chapters))
    named = submission.metadata.get("vae_book", {}).get("chapter")
    if named in chapters:
        return named
    labels = set(filter(None, coursework.exercises(submission)))
    overlap = {name: len(labels & set(coursework.exercises(notebook)))
               for name, notebook in chapters.items()}
    best = max(overlap, key=overlap.get)
    return best if overlap[best] else None


def _read_submission(path):
    """``(notebook, None)`` or ``(None, why it cannot be graded)``."""
    import nbformat

    path = pathlib.Path(path)
    if path.is_dir():
        return None, "not a notebook: it is a folder"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"not a notebook: cannot read it ({type(error).__name__}: {error})"
    try:
        notebook = nbformat.reads(text, as_version=4)
        if not isinstance(notebook.cells, list) or not all(
                cell.cell_type in ("code", "markdown", "raw") and "source" in cell
                for cell in notebook.cells):
            raise ValueError("cells without a type or source")
    except Exception as error:  # any parse problem: this file cannot be graded
        first = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
        return None, f"not a notebook: {type(error).__name__}: {first}"
    return notebook, None


# --- inside the kernel -----------------------------------------------------------------------
# These functions run in the student's kernel, called by the grader's own silent cells.

_LIBRARY = {}


def _library_state():
    """``{(module, name): (object, code)}`` for the functions and methods of loaded vae_lib."""
    state = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "vae_lib" or module_name.startswith("vae_lib.")):
            continue
        state[(module_name, "")] = (module, None)
        for name, value in list(vars(module).items()):
            if not callable(value) or name.startswith("__"):
                continue
            state[(module_name, name)] = (value, getattr(value, "__code__", None))
            if isinstance(value, type) and value.__module__ == module_name:
                for method_name, method in vars(value).items():
                    code = getattr(method, "__code__", None)
                    if code is not None:
                        state[(module_name, f"{name}.{method_name}")] = (method, code)
    return state


def _kernel_prepare():
    """Import the checkers and record the library before the student's cells run."""
    import vae_lib.checks  # noqa: F401  (imports everything the checkers use)

    _LIBRARY.clear()
    _LIBRARY.update(_library_state())


def _tampered():
    """The recorded library functions that the notebook replaced, as ``module.name`` strings."""
    changed = []
    for (module_name, name), (value, code) in _LIBRARY.items():
        module = sys.modules.get(module_name)
        if not name:
            if module is not value:
                changed.append(module_name)
            continue
        owner = module
        for part in name.split("."):
            owner = vars(owner).get(part) if owner is not None else None
        replaced_code = code is not None and getattr(owner, "__code__", None) is not code
        if owner is not value or replaced_code:
            changed.append(f"{module_name}.{name}")
    return changed


def _same_code(first, second):
    """Whether two code objects compile the same source (line numbers aside)."""
    if first.co_code != second.co_code or first.co_names != second.co_names \
            or first.co_varnames != second.co_varnames:
        return False
    if len(first.co_consts) != len(second.co_consts):
        return False
    for one, other in zip(first.co_consts, second.co_consts):
        if hasattr(one, "co_code") and hasattr(other, "co_code"):
            if not _same_code(one, other):
                return False
        elif type(one) is not type(other) or one != other:
            return False
    return True


def _is_scaffold(fn, scaffold, name):
    """Whether ``fn`` is the scaffold's own definition of ``name`` (nothing was written)."""
    code = getattr(fn, "__code__", None)
    if code is None or not scaffold:
        return False
    try:
        compiled = compile(scaffold, "<scaffold>", "exec")
    except SyntaxError:
        return False
    return any(hasattr(constant, "co_code") and constant.co_name == name
               and _same_code(constant, code) for constant in compiled.co_consts)


class _CheckTimeout(BaseException):
    """Raised by the alarm when a checker runs too long (a BaseException, so that the
    checker's ``except Exception`` cannot swallow it)."""


def _check_one(namespace, exercise, seconds):
    """``(status, message)`` for one coding exercise, in the kernel."""
    import contextlib
    import io
    import signal
    import threading

    name = exercise["function"]
    if name not in namespace:
        return "missing", f"no function named {name} was defined"
    fn = namespace[name]
    if not callable(fn):
        return "failed", f"{name} is a {type(fn).__name__}, not a function"
    if _is_scaffold(fn, exercise["scaffold"], name):
        return "missing", f"{name} is still the scaffold: not attempted"
    checker = getattr(_LIBRARY[("vae_lib.checks", "")][0], exercise["checker"], None)
    if checker is None:
        return "not graded", f"grader error: vae_lib.checks has no checker {exercise['checker']}"
    alarm = threading.current_thread() is threading.main_thread()

    def stop(signum, frame):
        raise _CheckTimeout()

    previous = signal.signal(signal.SIGALRM, stop) if alarm else None
    output = io.StringIO()
    try:
        if alarm:  # repeats every second, in case the student's code catches the first one
            signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            result = checker(fn, verbose=False)
    except _CheckTimeout:
        return "failed", f"the check of {name} took longer than {seconds:g} s (an endless loop?)"
    except BaseException as error:  # SystemExit, KeyboardInterrupt, a checker bug: not a pass
        return "failed", f"the check of {name} stopped with {type(error).__name__}: {error}"
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if type(result).__name__ != "CheckResult" or not isinstance(result.passed, bool):
        return "failed", f"the checker returned {type(result).__name__}, not a CheckResult"
    return ("passed" if result.passed else "failed"), str(result.message)


def _kernel_grade(exercises, results_path, nonce, seconds):
    """Check every coding exercise and write the verdicts to ``results_path`` as JSON."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:  # the student's hooks must not run after the grader's code
        for event in list(shell.events.callbacks):
            shell.events.callbacks[event] = []
        namespace = shell.user_ns
    else:
        namespace = vars(sys.modules["__main__"])
    results = {"nonce": nonce, "exercises": {}}
    replaced = _tampered()
    for exercise in exercises:
        if replaced:
            verdict = ("failed", "not credited: the notebook replaced "
                                 f"{', '.join(replaced[:3])}, which the checkers rely on")
        else:
            verdict = _check_one(namespace, exercise, seconds)
        results["exercises"][exercise["label"]] = {"status": verdict[0], "message": verdict[1]}
        partial = results_path + ".part"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(results, handle)
        os.replace(partial, results_path)


# --- running one submission ------------------------------------------------------------------

def temporary_folder():
    """A new private temporary folder (mode 0700); the caller removes it."""
    return tempfile.mkdtemp(prefix="vae-grade-")


def _kernel_environment(mode):
    """A copy of this process's environment for the kernel: the mode, and this vae_lib first."""
    environment = dict(os.environ)
    environment["VAE_BOOK_MODE"] = mode
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    library = str(pathlib.Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(
        [library] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else []))
    return environment


def _silent(client, code, timeout):
    """Run the grader's code without showing it to the student's hooks; the reply or None."""
    client.timeout = max(1, math.ceil(timeout))
    message_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    reply = client.wait_for_reply(message_id)
    return None if reply is None else reply["content"]


def _error_text(content):
    return f"{content.get('ename', 'Error')}: {str(content.get('evalue', ''))[:200]}"


def _run(notebook, exercises, mode, time_limit, check_time_limit):
    """Execute a submission and check its functions.

    Returns:
        ``(verdicts, note, fatal)``: verdicts by label, a note on crashes and time-outs, and
        the reason nothing could be checked (None if the checks ran).
    """
    import nbclient
    from nbclient.exceptions import DeadKernelError

    notebook = copy.deepcopy(notebook)
    coding = [{"label": exercise.label, "function": exercise.function,
               "checker": exercise.checker, "scaffold": exercise.scaffold}
              for exercise in exercises if exercise.kind == "coding"]
    work, private = tempfile.mkdtemp(prefix="vae-grade-work-"), temporary_folder()
    results_path = os.path.join(private, secrets.token_hex(16) + ".json")
    nonce = secrets.token_hex(16)
    client = nbclient.NotebookClient(notebook, timeout=time_limit, kernel_name="python3",
                                     allow_errors=True, interrupt_on_timeout=True,
                                     startup_timeout=120,
                                     resources={"metadata": {"path": work}})
    notes, fatal, where = [], None, "starting the kernel"
    try:
        with client.setup_kernel(env=_kernel_environment(mode), stderr=subprocess.DEVNULL):
            where = "preparing the checkers"
            reply = _silent(client, "import vae_lib.grading\nvae_lib.grading._kernel_prepare()",
                            300)
            if reply is None or reply["status"] != "ok":
                reason = "timed out" if reply is None else _error_text(reply)
                return {}, "", f"the grader could not prepare the kernel ({reason})"
            deadline = time.monotonic() + time_limit
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                where = f"running cell {index + 1}"
                remaining = deadline - time.monotonic()
                client.timeout = max(1, math.ceil(remaining))
                client.execute_cell(cell, index)
                if time.monotonic() >= deadline:
                    notes.append(f"the time limit ({time_limit:g} s) ran out in cell "
                                 f"{index + 1}; later cells were not run")
                    break
                errors = [output for output in cell.outputs if output.output_type == "error"]
                if errors and not notes:
                    notes.append(f"cell {index + 1} raised {_error_text(errors[0])}")
            if notes:
                notes.append("the functions defined were still checked")
            where = "checking the functions"
            code = (f"import json, vae_lib.grading\nvae_lib.grading._kernel_grade("
                    f"json.loads({json.dumps(coding)!r}), {results_path!r}, {nonce!r}, "
                    f"{check_time_limit!r})")
            reply = _silent(client, code, check_time_limit * len(coding) + 60)
            if reply is None:
                fatal = ("the kernel did not respond to the grader (does the code ignore "
                         "interrupts?)")
            elif reply["status"] != "ok":
                fatal = f"the grader's checks stopped with {_error_text(reply)}"
    except DeadKernelError:
        fatal = f"the kernel died while {where} (out of memory, or the code exited Python)"
    except Exception as error:  # a kernel that cannot start or talk: this submission only
        fatal = f"the kernel failed while {where}: {type(error).__name__}: {error}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
        verdicts = _read_verdicts(results_path, nonce)
        shutil.rmtree(private, ignore_errors=True)
    if verdicts and fatal:  # some checks finished before the kernel stopped answering
        notes.append(fatal)
        fatal = None
    return verdicts, "; ".join(notes), fatal


def _read_verdicts(path, nonce):
    try:
        with open(path, encoding="utf-8") as handle:
            results = json.load(handle)
    except (OSError, ValueError):
        return {}
    if results.get("nonce") != nonce:
        return {}
    return {label: verdict for label, verdict in results.get("exercises", {}).items()
            if verdict.get("status") in STATUSES}


def _number(value):
    return int(value) if float(value).is_integer() else value


def _rows(name, chapter, exercises, verdicts, note, fatal):
    rows = []
    for exercise in exercises:
        row = {"notebook": name, "chapter": chapter, "exercise": exercise.label,
               "kind": exercise.kind, "max_points": _number(exercise.points), "note": note}
        if exercise.kind == "manual":
            row.update(status="manual", points="", message=MANUAL_MESSAGE)
        elif fatal:
            row.update(status="not graded", points=0, message=fatal)
        else:
            verdict = verdicts.get(exercise.label, {
                "status": "not graded", "message": "the grader stopped before this check"})
            row.update(status=verdict["status"], message=verdict["message"],
                       points=_number(exercise.points) if verdict["status"] == "passed" else 0)
        rows.append(row)
    return rows


def grade(paths, chapter="chapters", mode="quick", time_limit=600, check_time_limit=120):
    """Grade handed-in notebooks: one row per student and exercise.

    Args:
        paths: the files students handed in (anything: files that are not notebooks get a row
            saying so).
        chapter: the chapter notebook, a folder of chapters, or a notebook object; exercises and
            points come from it, never from the submission.
        mode: ``VAE_BOOK_MODE`` of the grading kernels (``"quick"`` or ``"full"``); this
            process's environment is not changed.
        time_limit: seconds a submission's cells may run in total.
        check_time_limit: seconds one checker may run on the student's function.

    Returns:
        list of dicts with the keys of ``FIELDS``. ``status`` is one of ``STATUSES``;
        ``points`` is blank for manual exercises; ``note`` tells about crashes and time-outs.

    Raises:
        ValueError: if ``mode`` or the limits are invalid, or a chapter a submission needs
            breaks the exercise format.
    """
    if mode not in ("quick", "full"):
        raise ValueError(f"mode={mode!r}; expected 'quick' or 'full'")
    for name, value in (("time_limit", time_limit), ("check_time_limit", check_time_limit)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name}={value!r}; expected a number of seconds > 0")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    chapters = _chapters(chapter)
    plan = []
    for path in map(pathlib.Path, paths):
        notebook, problem = _read_submission(path)
        name = notebook and _which_chapter(notebook, chapters)
        if notebook is not None and name is None:
            problem = ("cannot tell which chapter this is: its exercise labels match none of "
                       f"{', '.join(sorted(chapters))}")
        plan.append((path, notebook, name, problem))
    graded = {name: coursework.graded_exercises(chapters[name])
              for _, _, name, problem in plan if not problem}
    rows = []
    for path, notebook, name, problem in plan:
        if problem:
            rows.append({"notebook": path.name, "chapter": "", "exercise": "", "kind": "",
                         "status": "not graded", "points": 0, "max_points": "",
                         "message": problem, "note": ""})
            continue
        verdicts, note, fatal = _run(notebook, graded[name], mode, time_limit, check_time_limit)
        rows += _rows(path.name, name, graded[name], verdicts, note, fatal)
    return rows


# --- reports ---------------------------------------------------------------------------------

def totals(rows):
    """One row per submission: automatic points, their maximum, manual points, graded or not.

    Args:
        rows: the rows of :func:`grade`.

    Returns:
        list of dicts with the keys of ``TOTAL_FIELDS``.
    """
    by_notebook = {}
    for row in rows:
        total = by_notebook.setdefault(row["notebook"], {
            "notebook": row["notebook"], "chapter": row["chapter"], "points": 0,
            "max_points": 0, "manual_points": 0, "graded": "graded"})
        if row["status"] == "not graded":
            total["graded"] = "not graded: " + row["message"]
        if row["kind"] == "manual":
            total["manual_points"] += row["max_points"]
        elif row["kind"] == "coding":
            total["points"] += row["points"]
            total["max_points"] += row["max_points"]
    return [{key: (_number(value) if isinstance(value, float) else value)
             for key, value in total.items()} for total in by_notebook.values()]


def exit_status(rows):
    """0 if every submission was graded (whatever its marks), 1 if one could not be graded."""
    return 1 if any(total["graded"] != "graded" for total in totals(rows)) else 0


def write_csv(rows, path, fields=FIELDS):
    """Write rows (of :func:`grade` or :func:`totals`) to a CSV file with a header."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def feedback(rows, notebook):
    """The feedback text (markdown) for one submission."""
    mine = [row for row in rows if row["notebook"] == notebook]
    total = next(total for total in totals(mine))
    lines = [f"# Feedback on {notebook}", ""]
    if mine[0]["chapter"]:
        lines += [f"Chapter: {mine[0]['chapter']}.", ""]
    lines += [f"Points graded automatically: {total['points']} of {total['max_points']}.",
              f"Points graded by hand: up to {total['manual_points']} (conceptual exercises).",
              ""]
    if mine[0]["note"]:
        lines += [f"Note: {mine[0]['note']}.", ""]
    for row in mine:
        if not row["exercise"]:
            lines += [f"This file could not be graded: {row['message']}.", ""]
            continue
        points = "by hand" if row["kind"] == "manual" else \
            f"{row['points']} of {row['max_points']} points"
        lines += [f"## {row['exercise']}: {row['status']} ({points})", "", row["message"], ""]
    return "\n".join(lines)


def write_feedback(rows, folder):
    """Write one markdown feedback file per submission into ``folder``.

    Returns:
        list of pathlib.Path written (``<notebook name without .ipynb>.md``).
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in dict.fromkeys(row["notebook"] for row in rows):
        path = folder / (pathlib.Path(notebook).stem + ".md")
        path.write_text(feedback(rows, notebook), encoding="utf-8")
        written.append(path)
    return written
