"""Per-coordinate step sizes from squared gradients: Adagrad, RMSprop, Adadelta.

Each divides the gradient by a root of accumulated squared gradients, so a
coordinate with large gradients takes proportionally smaller steps. They
differ in how they accumulate: a sum (Adagrad), an exponential moving average
(RMSprop) or an EMA with a unit-fixing numerator (Adadelta).
"""
from __future__ import annotations

import numpy as np

from course_utils.optimizers.base import Optimizer, lerp


class Adagrad(Optimizer):
    r"""Adagrad: torch.optim.Adagrad.

    With g the gradient (-g if maximize; + weight_decay * theta if set), t = 1, 2, ...:

        S <- S + g^2                       (S starts at initial_accumulator_value)
        theta <- theta - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(S) + eps)

    S only grows, so the effective step lr / sqrt(S) only shrinks.
    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        self._setup(locals())

    def _init_state(self, zeros):
        return {"sum": zeros() + self.initial_accumulator_value}

    def _update(self, x, g, state, t):
        g = self._gradient(x, g)
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        s = state["sum"] + g * g
        return x - clr * g / (np.sqrt(s) + self.eps), {"sum": s}


class RMSprop(Optimizer):
    r"""RMSprop: torch.optim.RMSprop.

    With g the gradient (-g if maximize; + weight_decay * theta if set):

        v <- alpha * v + (1 - alpha) * g^2            (v starts at 0, no bias correction)
        centered:  gbar <- lerp(gbar, g, 1 - alpha);  den = sqrt(v - gbar^2) + eps
        else:      den = sqrt(v) + eps
        momentum mu > 0:  b <- mu * b + g / den;  theta <- theta - lr * b
        else:             theta <- theta - lr * g / den

    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        self._setup(locals())

    def _init_state(self, zeros):
        state = {"square_avg": zeros()}
        if self.centered:
            state["grad_avg"] = zeros()
        if "momentum" in self._active:
            state["momentum_buffer"] = zeros()
        return state

    def _update(self, x, g, state, t):
        g = self._gradient(x, g)
        alpha = self.alpha
        new = {"square_avg": state["square_avg"] * alpha + (1 - alpha) * g * g}
        if self.centered:
            new["grad_avg"] = lerp(state["grad_avg"], g, 1 - alpha)
            den = np.sqrt(new["square_avg"] - new["grad_avg"] * new["grad_avg"]) + self.eps
        else:
            den = np.sqrt(new["square_avg"]) + self.eps
        if "momentum" not in self._active:
            return x - self.lr * g / den, new
        new["momentum_buffer"] = self.momentum * state["momentum_buffer"] + g / den
        return x - self.lr * new["momentum_buffer"], new


class Adadelta(Optimizer):
    r"""Adadelta: torch.optim.Adadelta.

    With g the gradient (-g if maximize; + weight_decay * theta if set):

        s <- rho * s + (1 - rho) * g^2
        d  = sqrt(a + eps) / sqrt(s + eps) * g        (a: running average of d^2)
        a <- rho * a + (1 - rho) * d^2
        theta <- theta - lr * d

    eps sits inside both roots; it also sets the size of the very first steps.
    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        self._setup(locals())

    def _init_state(self, zeros):
        return {"square_avg": zeros(), "acc_delta": zeros()}

    def _update(self, x, g, state, t):
        g = self._gradient(x, g)
        rho, eps = self.rho, self.eps
        s = state["square_avg"] * rho + (1 - rho) * g * g
        d = np.sqrt(state["acc_delta"] + eps) / np.sqrt(s + eps) * g
        a = state["acc_delta"] * rho + (1 - rho) * d * d
        return x - self.lr * d, {"square_avg": s, "acc_delta": a}
