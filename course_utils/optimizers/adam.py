"""The Adam family: momentum on the gradient plus RMSprop's per-coordinate scale.

Adam, AdamW (decoupled weight decay), NAdam (Nesterov-style momentum), RAdam
(a rectified warm-up) and Adamax (an infinity norm instead of the root mean
square). All keep m, an EMA of gradients, and bias-correct it by 1 - beta1^t.
"""
from __future__ import annotations

import numpy as np

from course_utils.optimizers.base import Optimizer, lerp


class _AdamFamily(Optimizer):
    """Shared start of every step: the gradient, weight decay and the moments."""

    def _init_state(self, zeros):
        return {"exp_avg": zeros(), "exp_avg_sq": zeros()}

    def _moments(self, x, g, state):
        """(x, g, m, v) after weight decay and the two moment updates:
        m <- lerp(m, g, 1 - beta1), v <- beta2 * v + (1 - beta2) * g^2."""
        if "weight_decay" in self._active and self.decoupled_weight_decay:
            x = x * (1 - self.lr * self.weight_decay)
        g = self._gradient(x, g)
        beta1, beta2 = self.betas
        m = lerp(state["exp_avg"], g, 1 - beta1)
        v = state["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
        return x, g, m, v


class Adam(_AdamFamily):
    r"""Adam: torch.optim.Adam.

    With g the gradient (-g if maximize), t = 1, 2, ...:

        weight decay: g <- g + wd * theta, or, if decoupled_weight_decay,
                      theta <- theta * (1 - lr * wd) (that is AdamW)
        m <- lerp(m, g, 1 - beta1)                 (= beta1 * m + (1 - beta1) * g)
        v <- beta2 * v + (1 - beta2) * g^2
        amsgrad: vmax <- max(vmax, v), used in place of v
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False, decoupled_weight_decay=False):
        self._setup(locals())

    def _init_state(self, zeros):
        state = super()._init_state(zeros)
        if self.amsgrad:
            state["max_exp_avg_sq"] = zeros()
        return state

    def _update(self, x, g, state, t):
        x, g, m, v = self._moments(x, g, state)
        new = {"exp_avg": m, "exp_avg_sq": v}
        if self.amsgrad:
            v = new["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**t)
        den = np.sqrt(v) / (1 - beta2**t) ** 0.5 + self.eps
        return x - step_size * m / den, new


class AdamW(Adam):
    r"""AdamW: torch.optim.AdamW, Adam with decoupled weight decay.

        theta <- theta * (1 - lr * wd)     before the moments, instead of g + wd * theta

    Everything else is Adam's rule; note the default weight_decay=1e-2.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        self._setup(locals())

    decoupled_weight_decay = True  # a fixed part of the algorithm, not an argument


class NAdam(_AdamFamily):
    r"""NAdam: torch.optim.NAdam (Adam with Nesterov momentum, Dozat 2016).

    With g the gradient (-g if maximize; weight decay as Adam's), t = 1, 2, ...,
    and a momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)):

        P <- P * mu_t                               (P, the product of mu's, starts at 1)
        m, v as Adam;  den = sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr * (1 - mu_t) / (1 - P) * g / den
                       - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / den

    P is kept in float64 (torch keeps it in the default dtype: set
    torch.set_default_dtype(torch.float64) to compare).
    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        self._setup(locals())

    def _init_state(self, zeros):
        return {**super()._init_state(zeros), "mu_product": zeros() + 1.0}

    def _update(self, x, g, state, t):
        x, g, m, v = self._moments(x, g, state)
        lr, (beta1, beta2), psi = self.lr, self.betas, self.momentum_decay
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state["mu_product"] * mu
        den = np.sqrt(v / (1 - beta2**t)) + self.eps
        x = x + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / den
        x = x + ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m / den
        return x, {"exp_avg": m, "exp_avg_sq": v, "mu_product": mu_product}


class RAdam(_AdamFamily):
    r"""RAdam: torch.optim.RAdam (rectified Adam, Liu et al. 2019).

    m, v as Adam (weight decay likewise); mhat = m / (1 - beta1^t);
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t):

        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    theta <- theta - lr * mhat * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        else:       theta <- theta - lr * mhat          (plain momentum while v is unreliable)

    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        self._setup(locals())

    def _update(self, x, g, state, t):
        x, g, m, v = self._moments(x, g, state)
        lr, (beta1, beta2) = self.lr, self.betas
        bc2 = 1 - beta2**t
        mhat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / bc2
        r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = mhat * lr * (bc2**0.5 / (np.sqrt(v) + self.eps)) * r
        return x - np.where(rho_t > 5.0, adaptive, mhat * lr), {"exp_avg": m, "exp_avg_sq": v}


class Adamax(Optimizer):
    r"""Adamax: torch.optim.Adamax (Adam with an infinity norm).

    With g the gradient (-g if maximize; + weight_decay * theta if set):

        m <- lerp(m, g, 1 - beta1)
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    Differences from torch: lr > 0, finite hyperparameters, arrays allowed.
    """

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        self._setup(locals())

    def _init_state(self, zeros):
        return {"exp_avg": zeros(), "exp_inf": zeros()}

    def _update(self, x, g, state, t):
        g = self._gradient(x, g)
        beta1, beta2 = self.betas
        m = lerp(state["exp_avg"], g, 1 - beta1)
        u = np.maximum(state["exp_inf"] * beta2, np.abs(g) + self.eps)
        clr = self.lr / (1 - beta1**t)
        return x - clr * m / u, {"exp_avg": m, "exp_inf": u}
