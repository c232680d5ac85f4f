"""The one list of optimizers the widgets, the colours and the tests offer.

    from course_utils import registry
    registry.names()                          # ('SGD', 'SGD+momentum', ..., 'Adadelta')
    registry.make("Adam", lr=0.1, beta=0.8)   # Adam(lr=0.1, betas=(0.8, 0.999))

Each entry maps a menu name to a factory `factory(lr, beta, beta2)` that
builds the NumPy optimizer from the widgets' shared settings: beta is the
momentum or first-moment decay, beta2 the squared-gradient decay (None keeps
the optimizer's own torch default). Adding an optimizer to the course is one
call (README: "How to add an optimizer"):

    registry.register("SGD+dampening", lambda lr, beta, beta2:
                      optimizers.SGD(lr=lr, momentum=beta, dampening=0.5), color="#44AA99")

and it then appears in the explorer's menu, can race, has its colour in
every figure, and is checked against torch.optim by tests/test_registry.py
(the NumPy class's name and hyperparameters are torch's, so the torch
equivalent is found without a second table).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from course_utils import optimizers as optim
from course_utils import style

__all__ = ["OptimizerEntry", "register", "unregister", "names", "make", "get", "uses"]


@dataclass(frozen=True)
class OptimizerEntry:
    """A menu name and the factory that builds it from (lr, beta, beta2)."""

    name: str
    factory: Callable
    summary: str = ""

    def make(self, lr, beta: float = 0.9, beta2: float | None = None):
        """The optimizer; lr may be an array (a batched sweep over lr)."""
        lr = lr if isinstance(lr, np.ndarray) else float(lr)
        return self.factory(lr, float(beta), None if beta2 is None else float(beta2))


_ENTRIES: dict[str, OptimizerEntry] = {}


def register(name: str, factory: Callable, color: str | None = None, summary: str = "",
             replace: bool = False) -> OptimizerEntry:
    """Add an optimizer under `name`; `color` joins the course palette (style)."""
    if name in _ENTRIES and not replace:
        raise ValueError(f"an optimizer called {name!r} is registered already "
                         "(pass replace=True to change it)")
    entry = OptimizerEntry(name, factory, summary)
    entry.make(0.1)  # a factory that cannot build its optimizer fails here, not in a widget
    _ENTRIES[name] = entry
    if color is not None:
        style.set_color(name, color)
    return entry


def unregister(name: str) -> None:
    """Remove an optimizer added with register (its colour stays harmlessly)."""
    _ENTRIES.pop(name, None)


def names() -> tuple:
    """Every registered name, in menu order."""
    return tuple(_ENTRIES)


def get(name: str) -> OptimizerEntry:
    try:
        return _ENTRIES[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(_ENTRIES)} "
                         "(or add it with course_utils.registry.register)") from None


def make(name: str, lr: float, beta: float = 0.9, beta2: float | None = None):
    """The optimizer called `name` with the widgets' shared settings."""
    return get(name).make(lr, beta, beta2)


def uses(name: str, setting: str) -> bool:
    """Whether the optimizer's hyperparameters depend on 'beta' or 'beta2'
    (found by building it twice, so a new entry needs no flags)."""
    entry = get(name)
    if setting == "beta":
        return repr(entry.make(0.1, 0.5)) != repr(entry.make(0.1, 0.6))
    if setting == "beta2":
        return repr(entry.make(0.1, 0.9, 0.5)) != repr(entry.make(0.1, 0.9, 0.6))
    raise ValueError(f"setting must be 'beta' or 'beta2'; got {setting!r}")


# -- the course's own entries --------------------------------------------------
# Momentum methods with beta = 0 fall back to plain SGD (torch refuses
# Nesterov without momentum).

def _adam_family(cls):
    return lambda lr, beta, beta2: cls(lr=lr, betas=(beta, 0.999 if beta2 is None else beta2))


def _with(key: str, value):
    return {} if value is None else {key: value}


for _name, _factory, _summary in (
    ("SGD", lambda lr, beta, beta2: optim.SGD(lr=lr), "SGD(lr)"),
    ("SGD+momentum", lambda lr, beta, beta2: optim.SGD(lr=lr, momentum=beta),
     "SGD(lr, momentum=beta)"),
    ("SGD+Nesterov", lambda lr, beta, beta2: optim.SGD(lr=lr, momentum=beta, nesterov=beta > 0),
     "SGD(lr, momentum=beta, nesterov=True)"),
    ("Adagrad", lambda lr, beta, beta2: optim.Adagrad(lr=lr), "Adagrad(lr)"),
    ("RMSprop", lambda lr, beta, beta2: optim.RMSprop(lr=lr, **_with("alpha", beta2)),
     "RMSprop(lr, alpha=beta2)"),
    ("Adam", _adam_family(optim.Adam), "Adam(lr, betas=(beta, beta2))"),
    ("AdamW", _adam_family(optim.AdamW), "AdamW(lr, betas=(beta, beta2)), weight_decay=0.01"),
    ("NAdam", _adam_family(optim.NAdam), "NAdam(lr, betas=(beta, beta2))"),
    ("RAdam", _adam_family(optim.RAdam), "RAdam(lr, betas=(beta, beta2))"),
    ("Adamax", _adam_family(optim.Adamax), "Adamax(lr, betas=(beta, beta2))"),
    ("Adadelta", lambda lr, beta, beta2: optim.Adadelta(lr=lr, **_with("rho", beta2)),
     "Adadelta(lr, rho=beta2)"),
):
    register(_name, _factory, summary=_summary)
del _name, _factory, _summary
