"""Measure how fast a run converges: the measured side of `theory`'s closed forms.

Introduced in lecture 01 (rate of gradient descent on the ravine) and used again
in 02 (heavy ball, Nesterov):

    traj = run(SGD(lr=0.05), landscapes.ravine(), x0=[-5, 3], steps=200)
    measured_rate(traj, window=(150, 200))    # 0.9 = theory.gd_rate(0.05, 2, 20)

Every function works on batched trajectories (many learning rates in one run)
and returns one number per run.
"""
from __future__ import annotations

import numpy as np


def distances(traj, target=None) -> np.ndarray:
    """|theta_k - target| for every step, shape (steps + 1, *batch).

    Args:
        traj: a Trajectory from course_utils.run.
        target: the point to measure from; defaults to the origin, the
            minimum of every quadratic in the course.
    """
    target = np.zeros(traj.xs.shape[-1]) if target is None else np.asarray(target, dtype=float)
    return np.linalg.norm(traj.xs - target, axis=-1)


def measured_rate(traj, window: tuple[int, int], target=None) -> np.ndarray:
    """Per-step contraction of the error, as a geometric mean over a window.

    rate = (e[k2] / e[k1]) ** (1 / (k2 - k1)) with e the distance to `target`.
    Late in a run the slowest-shrinking direction dominates the error, so this
    is the number theory.gd_rate / theory.heavy_ball_rate predict. Choose the
    window late enough for that, and early enough that e[k2] has not reached
    rounding level (about 1e-300 for float64 near the origin).

    Args:
        traj: a Trajectory (batched runs give one rate each).
        window: (k1, k2) with 0 <= k1 < k2 <= traj.steps.
        target: the minimum; defaults to the origin.

    Returns:
        The rate per run (a float for a single run). NaN where the run
        diverged before k2 or the error was already exactly zero.
    """
    k1, k2 = window
    if not (0 <= k1 < k2 <= traj.steps):
        raise ValueError(f"window must satisfy 0 <= k1 < k2 <= {traj.steps}; got {window}")
    e = distances(traj, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (e[k2] / e[k1]) ** (1.0 / (k2 - k1))
    rate = np.where(np.isfinite(rate) & (e[k1] > 0), rate, np.nan)
    return float(rate) if np.ndim(rate) == 0 else rate


def loglog_slope(steps, values, window: tuple[int, int]) -> float:
    """Fitted exponent p in values ~ C * steps**p over steps[k1:k2].

    A least-squares line through (log k, log value): -1 for an O(1/k) method,
    -2 for O(1/k^2).
    """
    k1, k2 = window
    steps = np.asarray(steps, dtype=float)[k1:k2]
    values = np.asarray(values, dtype=float)[k1:k2]
    if len(steps) < 2 or np.any(steps <= 0) or np.any(~(values > 0)):
        raise ValueError("need at least two positive steps and positive values in the window")
    return float(np.polyfit(np.log(steps), np.log(values), 1)[0])
