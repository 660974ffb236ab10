"""Record the peak memory of every Jupyter kernel that runs under a folder, while a build runs.

    python benchmarks/sample_kernel_memory.py SAMPLES.json --under /path/to/clone &
    make book ...  > book.log
    touch SAMPLES.json.stop                       # or kill the sampler
    python benchmarks/memory_chapters.py --from-samples SAMPLES.json --build-log book.log \
        --mode full [--mnist FILE]

Why: `make book` runs every chapter in its own kernel; measuring memory then costs no second
full run. Every half second this reads, for each ipykernel process whose working directory is
under --under, the kernel's own high-water mark of resident memory (VmHWM in
/proc/PID/status, kept by Linux, so the peak between two samples is not missed unless the
kernel exits within half a second of reaching it). Linux only. Kernels are listed in the
order they started, which is the order myst-nb executes the chapters.
"""

import argparse
import json
import os
import pathlib
import time


def kernels(under):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            cwd = os.readlink(f"/proc/{pid}/cwd")
            if b"ipykernel" not in command or not cwd.startswith(under):
                continue
            status = pathlib.Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # gone, or not ours
        peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        yield pid, cwd, int(peak.split()[1]) * 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="JSON file, rewritten every sample")
    parser.add_argument("--under", required=True, help="only kernels working below this folder")
    parser.add_argument("--interval", type=float, default=0.5)
    arguments = parser.parse_args(argv)
    under = str(pathlib.Path(arguments.under).resolve())
    output = pathlib.Path(arguments.output)
    stop = output.with_name(output.name + ".stop")
    seen = {}
    while not stop.exists():
        for pid, cwd, peak in kernels(under):
            entry = seen.setdefault(pid, {"pid": int(pid), "first_seen": time.time(),
                                          "cwd": cwd, "peak_bytes": 0})
            entry["peak_bytes"] = max(entry["peak_bytes"], peak)
        output.write_text(json.dumps(sorted(seen.values(), key=lambda e: e["first_seen"]),
                                     indent=1) + "\n")
        time.sleep(arguments.interval)


if __name__ == "__main__":
    main()
