"""Batched hyperparameter sweep vs a Python loop over runs.

A 100 x 100 grid of (lr, beta) for the heavy ball (SGD with momentum) on the
ravine theta1^2 + 10 theta2^2 from (-5, 3), 500 steps each:
  - batched: ONE run() call, hyperparameters as broadcasting arrays;
  - loop:    one run() call per grid point (timed on a sample of the grid and
             scaled up, unless --full is given; the full loop takes minutes).

    python benchmarks/sweep.py [--full] [--repeat 5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from course_utils import landscapes, run
from course_utils.optimizers import SGD

STEPS = 500
LRS = np.logspace(-3, np.log10(0.2), 100)
BETAS = np.linspace(0.0, 0.99, 100)
START = np.array([-5.0, 3.0])


def batched(bowl):
    opt = SGD(lr=LRS[:, None, None], momentum=BETAS[None, :, None])
    return run(opt, bowl, START, steps=STEPS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="time the loop over all 10,000 runs")
    parser.add_argument("--repeat", type=int, default=5, help="batched repetitions (best is kept)")
    parser.add_argument("--sample", type=int, default=300, help="loop runs timed without --full")
    args = parser.parse_args()
    bowl = landscapes.ravine()

    batched(bowl)  # warm-up: imports, page faults of the first big allocation
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        traj = batched(bowl)
        times.append(time.perf_counter() - t0)
    t_batched = min(times)

    grid = [(i, j) for i in range(len(LRS)) for j in range(len(BETAS))]
    if not args.full:
        rng = np.random.default_rng(0)
        grid = [grid[k] for k in rng.choice(len(grid), args.sample, replace=False)]
    t0 = time.perf_counter()
    for i, j in grid:
        single = run(SGD(lr=LRS[i], momentum=BETAS[j]), bowl, START, steps=STEPS)
        assert np.array_equal(single.xs, traj.xs[:, i, j], equal_nan=True)
    t_loop = (time.perf_counter() - t0) * (len(LRS) * len(BETAS)) / len(grid)

    converged = int(np.count_nonzero(traj.final_loss < 1e-6))
    diverged = int(np.count_nonzero(traj.diverged))
    print(f"grid: {len(LRS)} x {len(BETAS)} (lr, beta), {STEPS} steps, heavy ball on the ravine")
    print(f"runs converged to loss < 1e-6: {converged}, diverged: {diverged}")
    print(f"batched, one call:      {t_batched:8.3f} s (best of {args.repeat})")
    scope = "all 10,000 runs" if args.full else f"{len(grid)} runs timed, scaled to 10,000"
    print(f"Python loop over runs:  {t_loop:8.3f} s ({scope})")
    print(f"speed-up: {t_loop / t_batched:.0f}x")


if __name__ == "__main__":
    main()
