"""Wall time of grading one notebook, as `make grade NOTEBOOKS=...` runs it.

Each solution notebook is graded alone, in a fresh `python -m
course_utils.authoring grade` process (start-up, the code scan, the nbval run
and the verdicts all included), `--repeat` times; the median is printed. The
course's target is at most 15 s per notebook on 2 cores.

    python benchmarks/grading.py [--repeat 3] [NN_topic ...]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def grade_once(notebook: Path) -> float:
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "course_utils.authoring", "grade",
                                str(notebook)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"grading {notebook.name} failed:\n{completed.stdout}{completed.stderr}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("notebooks", nargs="*", help="stems, e.g. 01_ravine (default: all)")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem in args.notebooks]
    worst = 0.0
    for path in paths:
        times = [grade_once(path) for _ in range(args.repeat)]
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{path.stem:22s} median {median:5.1f} s  (runs: "
              f"{', '.join(f'{t:.1f}' for t in times)})", flush=True)
    print(f"slowest notebook: {worst:.1f} s (target <= {TARGET_S:.0f} s)")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
