"""What the kernel still does for the course widgets, and how long it takes.

    .venv/bin/python benchmarks/widgets.py [--repeats 10]

The lr / steps / step / beta sliders are answered by the browser
(benchmarks/browser_latency.py measures key press -> pixels there). The
kernel works when a widget is built or a kernel-side control moves (beta,
noise, start, ...): it reruns every shown optimizer over the slider grid and
sends it. This script times those, and a typed lr off the grid, for the
explorer (3 optimizers) and the race (3 optimizers, lr x beta grid), and
reports the bytes sent to the browser.

The last line is exactly `median kernel-control-to-new-grid ms: X` (the
explorer's beta slider).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(action, repeats: int) -> float:
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def spec_bytes(spec) -> int:
    return len(spec["background"]) + sum(len(r["xy"]) + len(r["loss"]) for r in spec["runs"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    from course_utils import widgets

    started = time.perf_counter()
    ex = widgets.explorer(optimizers=("SGD", "SGD+momentum", "Adam"), lr=0.05, steps=100)
    print(f"explorer built in {(time.perf_counter() - started) * 1000:.0f} ms, "
          f"{spec_bytes(ex.view.spec) / 1e6:.2f} MB sent")
    betas = [0.8, 0.9]
    beta_ms = timed(lambda i: setattr(ex.controls["beta"], "value", betas[i % 2]), args.repeats)
    typed_ms = timed(lambda i: setattr(ex.controls["lr"], "value", 0.0123 + 1e-4 * i), args.repeats)
    started = time.perf_counter()
    race = widgets.race(optimizers=("SGD", "SGD+momentum", "SGD+Nesterov"), lr=0.02, beta=0.7)
    print(f"race built in {(time.perf_counter() - started) * 1000:.0f} ms, "
          f"{spec_bytes(race.view.spec) / 1e6:.2f} MB sent")
    noise_ms = timed(lambda i: setattr(race.controls["noise"], "value", 0.1 * (i % 2)), 4)
    print(f"explorer typed lr off the grid: median {typed_ms:.1f} ms")
    print(f"race noise slider (new lr x beta grid): median {noise_ms:.0f} ms")
    print(f"median kernel-control-to-new-grid ms: {beta_ms:.1f}")


if __name__ == "__main__":
    main()
