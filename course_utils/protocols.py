"""What the course's pieces expect of each other, in one place.

Any object with these methods works with the runner, the plots and the
widgets: the course's own classes (optimizers.Optimizer,
landscapes.Landscape) are the reference implementations.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Optimizer(Protocol):
    """A pure update rule: init(x) -> state, step(x, g, state) -> (x_new, state)."""

    def init(self, x0: np.ndarray) -> dict: ...

    def step(self, x: np.ndarray, g: np.ndarray, state: dict) -> tuple: ...


@runtime_checkable
class Landscape(Protocol):
    """A differentiable function of points shaped (..., dim), with plot data."""

    name: str
    formula: str
    dim: int
    minima: np.ndarray
    bounds: tuple
    bounded_below: bool

    def value(self, x): ...

    def grad(self, x): ...
