"""Wall time of grading one notebook, as `make grade NOTEBOOKS=...` runs it.

Each solution notebook is graded alone, in a fresh `python -m
course_utils.authoring grade` process (start-up, the code scan, the nbval run
and the verdicts all included), `--repeat` times; the median is printed. The
course's target is at most 15 s per notebook on 2 cores.

    python benchmarks/grading.py [--repeat 3] [NN_topic ...]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade_once(notebook: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the grader, pytest and the kernel)."""
    cpu, started = _children_cpu(), time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "course_utils.authoring", "grade",
                                str(notebook)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"grading {notebook.name} failed:\n{completed.stdout}{completed.stderr}")
    return elapsed, _children_cpu() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("notebooks", nargs="*", help="stems, e.g. 01_ravine (default: all)")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem in args.notebooks]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    worst = 0.0
    for path in paths:
        runs = [grade_once(path) for _ in range(args.repeat)]
        median = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        worst = max(worst, median)
        print(f"{path.stem:22s} wall median {median:5.1f} s, CPU {cpu:5.1f} s  (walls: "
              f"{', '.join(f'{w:.1f}' for w, _ in runs)})", flush=True)
    print(f"slowest notebook: {worst:.1f} s wall (target <= {TARGET_S:.0f} s)")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
