"""What every optimizer shares: checked hyperparameters, broadcasting, a pure step.

A subclass writes only two small methods:

    _init_state(zeros) -> dict of the optimizer's own arrays (zeros() makes one)
    _update(x, g, state, t) -> (x_new, new arrays): step number t (1, 2, ...)

`Optimizer.step` wraps `_update`: it checks x and g, silences NumPy's
floating-point warnings (a diverging run is the runner's business, not an
exception's) and counts the step. `_update` must never write into x, g or the
state's arrays: it builds new ones with plain arithmetic, which keeps step()
pure and is also the fastest way to do it in NumPy.
"""
from __future__ import annotations

import inspect

import numpy as np

# Numeric hyperparameters: name -> (what torch's message calls it, the test a
# valid value passes, that test in words). Messages read like torch's,
# "Invalid learning rate: -0.1", plus the requirement in brackets.
_RULES = {
    "lr": ("learning rate", lambda v: v > 0, "must be > 0"),
    "momentum": ("momentum value", lambda v: v >= 0, "must be >= 0"),
    "dampening": ("dampening value", None, ""),  # torch accepts any dampening
    "weight_decay": ("weight_decay value", lambda v: v >= 0, "must be >= 0"),
    "eps": ("epsilon value", lambda v: v >= 0, "must be >= 0"),
    "alpha": ("alpha value", lambda v: v >= 0, "must be >= 0"),
    "rho": ("rho value", lambda v: (0 <= v) & (v <= 1), "must be in [0, 1]"),
    "lr_decay": ("lr_decay value", lambda v: v >= 0, "must be >= 0"),
    "initial_accumulator_value": ("initial_accumulator_value value",
                                  lambda v: v >= 0, "must be >= 0"),
    "momentum_decay": ("momentum_decay value", lambda v: v >= 0, "must be >= 0"),
    "beta": ("beta value", lambda v: (0 <= v) & (v < 1), "must be in [0, 1)"),
}
_FLAGS = {"nesterov", "maximize", "amsgrad", "centered", "decoupled_weight_decay"}


def lerp(a, b, w):
    """torch.lerp as its CPU kernel computes it: a + w*(b - a), or
    b - (b - a)*(1 - w) when |w| >= 0.5 (torch writes its EMAs as lerps)."""
    if np.ndim(w) == 0:
        return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)
    return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _float_array(a, what: str) -> np.ndarray:
    if type(a) is not np.ndarray:
        a = np.asarray(a)
    if a.dtype.kind != "f":
        raise ValueError(f"{what} must be a floating-point array, got dtype {a.dtype}; "
                         f"convert it with np.asarray({what}, dtype=float)")
    return a


def _number(value, label: str, test, requirement: str):
    """A valid hyperparameter as a float (fast path) or a read-only float array."""
    try:
        arr = np.array(value, dtype=float)  # a copy: the caller may reuse theirs
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {label}: {value!r} (must be a number or an array "
                         "of numbers)") from None
    checks = [(np.isfinite, "must be finite")] + ([(test, requirement)] if test else [])
    for check, why in checks:
        ok = check(arr)
        if not np.all(ok):
            where = tuple(int(i) for i in np.argwhere(~ok)[0]) if arr.ndim else ()
            at = f"; element {where} of the array" if arr.ndim else ""
            raise ValueError(f"Invalid {label}: {float(arr[where])} ({why}{at})")
    if arr.ndim == 0:
        return float(arr)
    arr.flags.writeable = False
    return arr


def _is_default(value, default) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    if any(isinstance(v, np.ndarray) for v in values):
        return False
    return value == default


def _format(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return "array(" + np.array2string(value, separator=", ") + ")"
        return f"array(shape={value.shape}, min={value.min():g}, max={value.max():g})"
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


class Optimizer:
    """Base class: hyperparameters, validation, broadcasting and the step wrapper.

    Every argument of a subclass's __init__ is a hyperparameter; its default is
    read from the signature (torch's defaults), so repr() can list only the
    arguments that differ (lr is always shown).
    """

    _defaults: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        cls._defaults = {p.name: p.default for p in parameters}

    def _setup(self, arguments: dict) -> None:
        """Check and store the hyperparameters; call with locals() in __init__."""
        given = {name: arguments[name] for name in self._defaults}
        shapes, active = [], set()
        for name, value in given.items():
            if name in _FLAGS:
                if not isinstance(value, (bool, np.bool_)):
                    raise ValueError(f"{name} must be True or False, got {value!r}")
                value = bool(value)
            elif name == "betas":
                if not isinstance(value, (tuple, list)) or len(value) != 2:
                    raise ValueError(f"betas must be a pair (beta1, beta2), got {value!r}")
                value = tuple(_number(b, f"beta parameter at index {i}", *_RULES["beta"][1:])
                              for i, b in enumerate(value))
            else:
                # a hyperparameter without its own rule must still be a finite number
                value = _number(value, *_RULES.get(name, (f"{name} value", None, "")))
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, np.ndarray):
                    shapes.append(v.shape)
                if np.any(v):
                    active.add(name)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_given", given)
        object.__setattr__(self, "_array_shapes", tuple(shapes))
        object.__setattr__(self, "_active", frozenset(active))
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError("array hyperparameters must broadcast against each other; "
                             f"got shapes {shapes}") from None

    def __setattr__(self, name, value):
        raise AttributeError(
            f"{type(self).__name__} is immutable; make a new one with "
            f"opt.replace({name}=...) and keep passing the same state to step()")

    # -- the public contract -------------------------------------------------

    @property
    def name(self) -> str:
        """Short display name: legend label and colour key."""
        return type(self).__name__

    def hyperparameters(self) -> dict:
        """The constructor's arguments, as given."""
        return dict(self._given)

    def replace(self, **changes) -> "Optimizer":
        """A new optimizer of the same kind with some hyperparameters changed."""
        return type(self)(**{**self._given, **changes})

    def batch_shape(self, x_shape) -> tuple:
        """The shape of x after a step: x's shape broadcast with array hyperparameters."""
        if not self._array_shapes:
            return tuple(x_shape)
        try:
            return np.broadcast_shapes(tuple(x_shape), *self._array_shapes)
        except ValueError:
            raise ValueError(f"parameter shape {tuple(x_shape)} does not broadcast with the "
                             f"array hyperparameters' shapes {list(self._array_shapes)}") from None

    def init(self, x0) -> dict:
        """The state before the first step: the optimizer's arrays, shaped like
        batch_shape(x0.shape), and 'step': 0."""
        x0 = _float_array(x0, "x0")
        shape = self.batch_shape(x0.shape)
        dtype = np.result_type(x0.dtype, np.float64) if self._array_shapes else x0.dtype
        return {"step": 0, **self._init_state(lambda: np.zeros(shape, dtype))}

    def step(self, x, g, state: dict):
        """One update from x with gradient g. Returns (x_new, new_state);
        x, g and state are left untouched. NaN/inf just propagate, silently."""
        x = _float_array(x, "x")
        g = _float_array(g, "g")
        if g.shape != x.shape:
            self._check_gradient_shape(x.shape, g.shape)
        t = state["step"] + 1
        with np.errstate(all="ignore"):
            x_new, new_state = self._update(x, g, state, t)
        if self._array_shapes and x_new.shape != (shape := self.batch_shape(x.shape)):
            x_new = np.array(np.broadcast_to(x_new, shape))  # an unused array hyperparameter
        return x_new, {"step": t, **new_state}

    def __repr__(self) -> str:
        shown = [f"{name}={_format(value)}" for name, value in self._given.items()
                 if name == "lr" or not _is_default(value, self._defaults[name])]
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- helpers for subclasses ----------------------------------------------

    def _check_gradient_shape(self, x_shape, g_shape) -> None:
        batch = self.batch_shape(x_shape)
        try:
            fits = np.broadcast_shapes(g_shape, batch) == batch
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"gradient shape {g_shape} does not match parameter shape {x_shape}")

    def _gradient(self, x, g):
        """g as torch's step first transforms it: negated when maximizing, then
        L2 weight decay g + weight_decay * x."""
        if getattr(self, "maximize", False):
            g = -g
        if "weight_decay" in self._active and not getattr(self, "decoupled_weight_decay", False):
            g = g + self.weight_decay * x
        return g

    def _init_state(self, zeros) -> dict:
        raise NotImplementedError

    def _update(self, x, g, state: dict, t: int):
        raise NotImplementedError
