"""Exercise checks: one module per topic, one function per exercise.

    from course_utils import checks
    checks.ravine.gd_step(gd_step)     # prints one PASS line, or raises

A check calls the student's function on cases drawn from its own seeded
generator, compares with a reference and raises AssertionError with a hint that
names the likely mistake ("looks like the sign is flipped", "eps inside the
sqrt", ...). On success it prints exactly one fixed line starting with "PASS:".
It never prints numbers, so its output can be stored in the notebook and
compared by nbval (see exercises/README.md).

Topic modules load on first use, so a NumPy-only notebook does not import torch.
"""
from __future__ import annotations

import importlib

TOPICS = ("ravine", "momentum", "saddles", "adaptive", "torch_optim", "mnist")

__all__ = [*TOPICS, "NOTEBOOKS", "exercises"]


def __getattr__(name):
    if name in TOPICS:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(TOPICS))


#: The exercise notebook of each topic (solutions/ and exercises/ share names).
NOTEBOOKS = {"01_ravine": "ravine", "02_momentum_nesterov": "momentum", "03_saddles": "saddles",
             "04_adaptive": "adaptive", "05_torch_optim": "torch_optim", "06_mnist": "mnist"}


def exercises(topic: str) -> list:
    """The graded exercises of a topic, in the order of its notebook."""
    from course_utils.checks._core import Exercise

    module = importlib.import_module(f"{__name__}.{topic}")
    return [value for value in vars(module).values() if isinstance(value, Exercise)]
