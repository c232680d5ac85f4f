"""One runner for every optimizer on every landscape.

    traj = run(SGD(lr=0.05), landscapes.ravine(), x0=[-5, 3], steps=100)

`run` steps an optimizer from x0, records positions, losses and gradient
norms, and watches for divergence. A run that produces a non-finite value or
runs away (|theta| or |loss| beyond `blowup`) stops there: the step is recorded
in `diverged_at`, later entries are NaN, and no exception is raised. Plotting
code asks a Trajectory for `path()` / `valid_losses()`, which hold only the
finite prefix, so a diverged run never hands NaN to matplotlib.

Batched runs: x0 may hold many starts, shaped (..., d), and the optimizer's
hyperparameters may be arrays broadcasting against it. Everything is one NumPy
computation, so a 100 x 100 grid of (lr, momentum) costs about as much as a
single run's Python overhead times the number of steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_utils.landscapes import row_dot

#: |theta| or |loss| beyond this counts as divergence.
BLOWUP = 1e8


@dataclass(frozen=True)
class Trajectory:
    """What a run did, step by step.

    Attributes:
        xs: positions, shape (steps + 1, *batch, d); xs[0] is x0.
        losses: shape (steps + 1, *batch).
        grad_norms: Euclidean norm of the (noise-free) gradient at each
            position, shape (steps + 1, *batch).
        diverged_at: int array shaped batch: the first step whose position,
            loss or gradient was non-finite or ran away, -1 where the run
            stayed finite.
        label: the optimizer's name, for legends and colours.
    """

    xs: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged_at: np.ndarray
    label: str = ""

    def __getitem__(self, index) -> "Trajectory":
        """One run (or a sub-batch) of a batched trajectory: traj[i], traj[i, j]."""
        index = index if isinstance(index, tuple) else (index,)
        if len(index) > len(self.batch_shape):
            raise IndexError(f"batch has {len(self.batch_shape)} axes; got index {index}")
        at = (slice(None),) + index
        return Trajectory(xs=self.xs[at], losses=self.losses[at],
                          grad_norms=self.grad_norms[at],
                          diverged_at=np.asarray(self.diverged_at[index]), label=self.label)

    @property
    def steps(self) -> int:
        return self.xs.shape[0] - 1

    @property
    def batch_shape(self) -> tuple:
        return self.xs.shape[1:-1]

    @property
    def diverged(self) -> np.ndarray:
        """True where the run diverged (an array shaped batch; 0-d for one run)."""
        return self.diverged_at >= 0

    @property
    def n_valid(self) -> np.ndarray:
        """How many leading entries of xs/losses are finite, per run."""
        return np.where(self.diverged, self.diverged_at, self.steps + 1)

    def _one(self, array, index):
        index = np.index_exp[index] if index != () else ()
        n = int(self.n_valid[index])
        return array[(slice(0, n),) + tuple(index)]

    def path(self, index=()) -> np.ndarray:
        """The finite positions of one run, shape (n, d) (NaN-free, for plots)."""
        return self._one(self.xs, index)

    def valid_losses(self, index=()) -> np.ndarray:
        """The finite losses of one run, shape (n,) (NaN-free, for plots)."""
        return self._one(self.losses, index)

    @property
    def final_x(self) -> np.ndarray:
        return self.xs[-1]

    @property
    def final_loss(self) -> np.ndarray:
        return self.losses[-1]

    def steps_to(self, tol: float, what: str = "loss", target: float = 0.0) -> np.ndarray:
        """First step at which the loss (or the distance of theta to `target`
        when what='distance') is below tol and stays below; -1 if never.
        """
        if what == "loss":
            err = np.abs(self.losses - target)
        elif what == "distance":
            err = np.linalg.norm(self.xs - np.asarray(target), axis=-1)
        else:
            raise ValueError("what must be 'loss' or 'distance'")
        above = ~(err < tol)  # NaN (after divergence) counts as above
        # last index that is still above tol, +1; all-below -> 0
        last_above = np.where(above.any(axis=0),
                              self.steps - np.argmax(above[::-1], axis=0), -1)
        first = last_above + 1
        return np.where(first <= self.steps, first, -1)


class Recorder:
    """Fills a Trajectory step by step and decides when a run has diverged.

    Every runner in the course goes through `step_and_record` (below), which
    drives one of these, so all of them judge divergence the same way.
    """

    def __init__(self, steps: int, x_shape: tuple, bounded_below: bool, blowup: float):
        batch = x_shape[:-1]
        self.xs = np.full((steps + 1,) + x_shape, np.nan)
        self.losses = np.full((steps + 1,) + batch, np.nan)
        self.grad_norms = np.full((steps + 1,) + batch, np.nan)
        self.diverged_at = np.full(batch, -1, dtype=int)
        self.alive = np.ones(batch, dtype=bool)
        self.bounded_below = bounded_below
        self.blowup = blowup

    def record(self, k: int, x, loss, g) -> bool:
        """Store step k; returns whether any run is still going."""
        with np.errstate(all="ignore"):
            # A point is bad when it is not finite or has run away
            # (|theta| > blowup). On a landscape unbounded below (the saddle)
            # a huge negative loss is the landscape's doing, so only |theta|
            # decides there.
            # (A NaN fails every comparison, so `~(v <= limit)` catches NaN,
            # inf and runaway values in one cheap pass.)
            bad = ~(row_dot(x, x, x.shape[-1]) <= self.blowup ** 2)
            if self.bounded_below:
                bad |= ~(np.abs(loss) <= self.blowup)
            else:
                bad |= ~np.isfinite(loss)
            gnorm = np.sqrt(row_dot(g, g, g.shape[-1]))
            bad |= ~np.isfinite(gnorm)  # the next step would be NaN anyway
        alive = self.alive
        newly = alive & bad
        if newly.any():
            self.diverged_at[newly] = k
            alive &= ~bad
        if alive.all():  # the common case, without the masking cost
            self.xs[k], self.losses[k], self.grad_norms[k] = x, loss, gnorm
        else:
            self.xs[k] = np.where(alive[..., None], x, np.nan)
            self.losses[k] = np.where(alive, loss, np.nan)
            self.grad_norms[k] = np.where(alive, gnorm, np.nan)
        return bool(alive.any())

    def trajectory(self, label: str) -> Trajectory:
        return Trajectory(xs=self.xs, losses=self.losses, grad_norms=self.grad_norms,
                          diverged_at=self.diverged_at, label=label)


def _batch_shape(optimizer, x0) -> tuple:
    if hasattr(optimizer, "batch_shape"):
        return tuple(optimizer.batch_shape(x0.shape))
    return x0.shape


def check_start(x0, landscape) -> np.ndarray:
    """x0 as a float array shaped (..., d), or a clear ValueError."""
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim == 0 or x0.shape[-1] != landscape.dim:
        raise ValueError(
            f"x0 must have shape (..., {landscape.dim}) for {landscape.name}; "
            f"got shape {x0.shape}")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 contains NaN or inf")
    return x0


def check_noise(noise) -> float:
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0; got {noise}")
    return float(noise)


def step_and_record(steps: int, x_shape: tuple, observe, advance, bounded_below: bool = True,
                    blowup: float = BLOWUP, label: str = "") -> Trajectory:
    """The course's one step-and-record loop.

    For k = 0, 1, ..., steps: `observe(k)` returns (x, loss, gradient) at the
    current point; they are recorded, and unless this was the last step or
    every run has diverged, `advance(gradient)` takes the next step.
    `run`, `torch_bridge.run_torch` and `torch_practice.trajectory_from_points`
    differ only in those two functions.
    """
    recorder = Recorder(steps, tuple(x_shape), bounded_below, blowup)
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            x, loss, g = observe(k)
            going = recorder.record(k, x, loss, g)
            if k == steps or not going:
                break
            advance(g)
    return recorder.trajectory(label)


def run(optimizer, landscape, x0, steps: int, noise: float = 0.0,
        seed=None, blowup: float = BLOWUP, label: str | None = None,
        shared_noise: bool = False) -> Trajectory:
    """Run `optimizer` on `landscape` from x0 for `steps` steps.

    Args:
        optimizer: any object with init(x) -> state and
            step(x, g, state) -> (x_new, state) (course_utils.optimizers).
        landscape: a course_utils.landscapes.Landscape (value and grad).
        x0: start point(s), shape (..., d); broadcast against the optimizer's
            array hyperparameters.
        steps: number of optimizer steps (>= 0).
        noise: standard deviation of Gaussian noise added to each gradient
            coordinate - a stand-in for minibatch noise. Recorded losses and
            gradient norms are the noise-free ones.
        seed: seed for the noise generator (runs are reproducible).
        blowup: |theta| or |loss| beyond this counts as divergence.
        label: legend name; defaults to the optimizer's `name`.
        shared_noise: every run of a batch gets the same noise, the draws a
            single run from x0 with this seed would get (so a sweep over lr
            equals one run per lr; the widgets rely on it).

    Returns:
        A Trajectory. Never raises for divergence; see `diverged_at`.
    """
    steps = check_steps(steps)
    noise = check_noise(noise)
    x0 = check_start(x0, landscape)
    rng = np.random.default_rng(seed)
    current = {"x": np.array(np.broadcast_to(x0, _batch_shape(optimizer, x0)))}
    current["state"] = optimizer.init(current["x"])
    draw_shape = x0.shape if shared_noise else current["x"].shape

    def observe(k):
        x = current["x"]
        return x, landscape.value(x), landscape.grad(x)

    def advance(g):
        if noise:
            g = g + noise * rng.standard_normal(draw_shape)
        current["x"], current["state"] = optimizer.step(current["x"], g, current["state"])

    name = label if label is not None else getattr(optimizer, "name", type(optimizer).__name__)
    return step_and_record(steps, current["x"].shape, observe, advance,
                           getattr(landscape, "bounded_below", True), blowup, name)


def run_together(optimizers: dict, landscape, x0, steps: int, noise: float = 0.0,
                 seed=None) -> dict:
    """run() for several optimizers from one start: {label: Trajectory}.

    Each entry is exactly run(opt, landscape, x0, steps, noise, seed,
    label=label): same start, same noise stream, same divergence rule.
    """
    return {label: run(opt, landscape, x0, steps, noise=noise, seed=seed, label=label)
            for label, opt in optimizers.items()}


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0; got {steps!r}")
    return int(steps)
