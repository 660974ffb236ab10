"""Write book/exercise_table.md, the instructor guide's list of every exercise and how it is
graded, from the chapters' own exercise metadata (so the guide cannot drift from the chapters).

    python tools/exercise_table.py            # rewrite book/exercise_table.md
    python tools/exercise_table.py --check    # exit 1 if the file is out of date

tests/test_book.py runs the check.
"""

import argparse
import pathlib
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "book" / "exercise_table.md"


def rows(chapters=ROOT / "chapters"):
    from vae_lib import coursework

    for path in sorted(pathlib.Path(chapters).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        yield path.stem, coursework.graded_exercises(notebook)


def _points(value):
    return f"{value:g}"


def table(chapters=ROOT / "chapters"):
    lines = ["<!-- Written by tools/exercise_table.py from the chapters' exercise metadata; "
             "do not edit by hand. -->", "",
             "| chapter | exercise | graded by | points |", "|---|---|---|---|"]
    summary = ["", "| chapter | exercises | graded by a checker | by hand | points (checker / "
               "hand) |", "|---|---|---|---|---|"]
    totals = [0, 0, 0, 0.0, 0.0]
    for stem, exercises in rows(chapters):
        number = int(stem[:2])
        for exercise in exercises:
            graded = (f"`checks.{exercise.checker}` on `{exercise.function}`"
                      if exercise.checker else "by hand (see Grading by hand)")
            lines.append(f"| {number} | `{exercise.label}` {exercise.title} | {graded} | "
                         f"{_points(exercise.points)} |")
        coding = [e for e in exercises if e.checker]
        manual = [e for e in exercises if not e.checker]
        counts = [len(exercises), len(coding), len(manual), sum(e.points for e in coding),
                  sum(e.points for e in manual)]
        totals = [a + b for a, b in zip(totals, counts)]
        summary.append(f"| {{doc}}`../chapters/{stem}` | {counts[0]} | {counts[1]} | "
                       f"{counts[2]} | {_points(counts[3])} / {_points(counts[4])} |")
    summary.append(f"| **all chapters** | **{totals[0]}** | **{totals[1]}** | **{totals[2]}** "
                   f"| **{_points(totals[3])} / {_points(totals[4])}** |")
    return "\n".join(lines + summary) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    arguments = parser.parse_args(argv)
    text = table()
    if arguments.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python "
                  "tools/exercise_table.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
