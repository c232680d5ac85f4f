"""Slider -> redrawn figure latency of the course widgets.

    .venv/bin/python benchmarks/widgets.py [--changes 40] [--backend ipympl|agg]

Builds the explorer the way a notebook does, then moves its lr slider
`--changes` times along the slider (as a drag would) and times each change
from setting the value until the figure is fully drawn again: the callback
(rerun the optimizers, move the artists, draw_idle) plus fig.canvas.draw(),
which is the draw the browser asks for next. With the ipympl backend (the
default, as under `%matplotlib widget`) that draw also encodes the changed
pixels for the browser, so the number is the kernel's share of the latency.
It also reports the callback alone, and the race's Play step and lr slider.

The last line is exactly `median slider-to-redraw ms: X` (the explorer's lr
slider); the target is X <= 50 on the course's 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _use_backend(name: str) -> str:
    import matplotlib

    if name == "ipympl":
        try:
            matplotlib.use("module://ipympl.backend_nbagg")
            return "ipympl"
        except Exception as error:  # no ipympl: measure the Agg fallback instead
            print(f"ipympl unavailable ({error}); measuring with Agg", file=sys.stderr)
    matplotlib.use("Agg")
    return "agg"


def _as_if_in_a_browser(fig) -> None:
    """Send the message an ipympl canvas gets when its view has loaded: from
    then on it streams pixel diffs and stops re-encoding a full PNG data URL
    on every draw (what a live JupyterLab does)."""
    handle = getattr(fig.canvas, "_handle_message", None)
    if handle is not None and hasattr(fig.canvas, "syncing_data_url"):
        handle(fig.canvas, {"type": "initialized"}, [])


def _time_changes(fig, slider, values, with_draw=True, cpu=None):
    """Wall-clock ms per change; CPU ms of this process go into `cpu` if given."""
    times = []
    for value in values:
        start, start_cpu = time.perf_counter(), time.process_time()
        slider.value = value
        if with_draw:
            fig.canvas.draw()
        times.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return times


def _sweep(slider, n):
    """n slider positions back and forth across the slider's range, as a drag."""
    lo, hi = slider.min, slider.max
    span = [lo + (hi - lo) * (0.2 + 0.6 * i / (n // 2)) for i in range(n // 2)]
    values = span + span[::-1]
    if hasattr(slider, "base"):  # a log slider: min/max are exponents
        values = [slider.base ** v for v in values]
    return values[:n]


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40, help="slider changes (>= 30)")
    parser.add_argument("--backend", choices=("ipympl", "agg"),
                        default=os.environ.get("BENCH_BACKEND", "ipympl"))
    args = parser.parse_args(argv)
    n = max(args.changes, 30)
    backend = _use_backend(args.backend)
    warnings.simplefilter("error", RuntimeWarning)  # a NaN warning during a redraw is a bug

    from course_utils import widgets

    start = time.perf_counter()
    explorer = widgets.explorer()
    build_ms = (time.perf_counter() - start) * 1000
    _as_if_in_a_browser(explorer.fig)
    explorer.fig.canvas.draw()  # first draw caches the static layer
    lr = explorer.controls["lr"]
    values = _sweep(lr, n)
    _time_changes(explorer.fig, lr, values[:5])  # warm up
    callback_only = _time_changes(explorer.fig, lr, values, with_draw=False)
    cpu = []
    full = _time_changes(explorer.fig, lr, values, cpu=cpu)

    race = widgets.race()
    _as_if_in_a_browser(race.fig)
    race.fig.canvas.draw()
    play = race.controls["play"]
    frames = [(2 * i) % (race.steps + 1) for i in range(1, n + 1)]
    race_step = _time_changes(race.fig, play, frames)
    race_lr = _time_changes(race.fig, race.controls["lr"], _sweep(race.controls["lr"], n))

    def line(label, times):
        print(f"{label:<46} median {statistics.median(times):6.1f} ms   "
              f"p90 {sorted(times)[int(0.9 * len(times))]:6.1f} ms   ({len(times)} changes)")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    print(f"backend: {backend}; explorer built in {build_ms:.0f} ms "
          f"({len(explorer.shown)} optimizers x {explorer.controls['steps'].value} steps)")
    line("explorer lr: callback only (incl. draw_idle)", callback_only)
    line("explorer lr: callback + fig.canvas.draw()", full)
    line("  the same, CPU time of this process", cpu)
    line("race Play step: callback + fig.canvas.draw()", race_step)
    line("race lr (reruns 6 optimizers) + draw", race_lr)
    median = statistics.median(full)
    print(f"median slider-to-redraw ms: {median:.1f}")
    return median


if __name__ == "__main__":
    main()
