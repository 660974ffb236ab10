"""Time every chapter top to bottom in quick and/or full mode, as a learner would run it.

    python benchmarks/time_chapters.py                 # both modes, every chapter
    python benchmarks/time_chapters.py --modes quick   # only quick mode
    python benchmarks/time_chapters.py --chapters 06_a_dense_vae

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


def run(path, mode, cache):
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
    return {"chapter": path.stem, "mode": mode, "seconds": round(seconds, 1),
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
    arguments = parser.parse_args(argv)
    modes = [mode for mode in arguments.modes.split(",") if mode]
    if not set(modes) <= {"quick", "full"}:
        parser.error(f"--modes={arguments.modes!r}; expected quick and/or full")
    wanted = set(filter(None, arguments.chapters.split(",")))
    paths = [path for path in sorted((ROOT / "chapters").glob("*.ipynb"))
             if not wanted or path.stem in wanted]
    rows = []
    for mode in modes:
        with tempfile.TemporaryDirectory() as temporary:
            cache = arguments.cache or temporary
            if arguments.cache and any(pathlib.Path(cache).glob("*")):
                print(f"note: {cache} already holds weights; times may exclude training")
            for path in paths:
                row = run(path, mode, cache)
                rows.append(row)
                print(f"{row['chapter']:<40} {mode:<6} {row['seconds']:8.1f} s "
                      f"(load {row['load_before']} -> {row['load_after']})", flush=True)
    result = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": sys.version.split()[0]},
              "note": "weight cache empty at the start of each mode unless a note says so: "
                      "times include training", "runs": rows}
    output = pathlib.Path(arguments.output)
    output.write_text(json.dumps(result, indent=2) + "\n")
    output.with_suffix(".md").write_text(markdown_table(rows))
    print(f"wrote {output} and {output.with_suffix('.md')}")


def markdown_table(rows):
    """One row per chapter, one column per mode, seconds as m:ss, with the load average."""
    modes = sorted({row["mode"] for row in rows}, key=["quick", "full"].index)
    chapters = list(dict.fromkeys(row["chapter"] for row in rows))
    lines = ["| chapter | " + " | ".join(f"{mode} mode" for mode in modes) + " |",
             "|---|" + "---|" * len(modes)]
    for chapter in chapters:
        cells = []
        for mode in modes:
            found = [row for row in rows if row["chapter"] == chapter and row["mode"] == mode]
            if found:
                minutes, seconds = divmod(round(found[0]["seconds"]), 60)
                cells.append(f"{minutes}:{seconds:02d} (load {found[0]['load_before']:.1f})")
            else:
                cells.append("not measured")
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Minutes:seconds from a fresh kernel to the last cell, with the machine's "
                 "1-minute load average when the run started (2 cores: above 2 means other "
                 "work was competing).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
