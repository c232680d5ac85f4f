"""Run a real torch.optim optimizer on a landscape, through autograd.

    traj = run_torch(torch.optim.Adam, landscapes.ravine(), [-5, 3], 200, lr=0.1)

The gradient comes from autograd on the landscape's formula (not from its
hand-written `grad`), the arithmetic is float64 and the single-tensor code path
(foreach=False) is used, so the result can be compared with the NumPy
optimizers to floating-point precision. Returns the same Trajectory as
course_utils.run, with the same divergence handling.
"""
from __future__ import annotations

import contextlib
import inspect

import numpy as np

from course_utils.runner import (BLOWUP, Trajectory, check_noise, check_start, check_steps,
                                 step_and_record)


@contextlib.contextmanager
def float64_default():
    """torch's default dtype set to float64 inside the block.

    NAdam keeps a running product as a tensor of the default dtype; with
    float32 it would drift ~1e-9 from an exact float64 computation.
    """
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def run_torch(optimizer_class, landscape, x0, steps: int, noise: float = 0.0,
              seed=None, blowup: float = BLOWUP, label: str | None = None,
              **hyperparameters) -> Trajectory:
    """Run torch.optim.`optimizer_class` on `landscape` from x0.

    x0 may be a batch of starts shaped (..., d): they are one parameter tensor
    and the loss is their sum, so every start gets its own gradient. Noise (if
    any) is drawn from NumPy with the same seed as course_utils.run, so noisy
    runs match too. Extra keyword arguments go to the optimizer.
    """
    import torch

    steps = check_steps(steps)
    noise = check_noise(noise)
    x0 = check_start(x0, landscape)
    if "foreach" in inspect.signature(optimizer_class).parameters:
        hyperparameters.setdefault("foreach", False)
    rng = np.random.default_rng(seed)

    with float64_default():
        theta = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        opt = optimizer_class([theta], **hyperparameters)

        def observe(k):
            opt.zero_grad()
            loss = landscape.value(theta)
            loss.sum().backward()
            return theta.detach().numpy().copy(), loss.detach().numpy(), theta.grad.numpy()

        def advance(g):
            if noise:
                theta.grad += torch.from_numpy(noise * rng.standard_normal(x0.shape))
            opt.step()

        return step_and_record(steps, x0.shape, observe, advance,
                               getattr(landscape, "bounded_below", True), blowup,
                               label if label is not None else optimizer_class.__name__)
