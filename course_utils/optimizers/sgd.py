"""SGD with momentum, exactly as torch.optim.SGD computes it."""
from __future__ import annotations

import numpy as np

from course_utils.optimizers.base import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum: torch.optim.SGD.

    With g the gradient (-g if maximize; + weight_decay * theta if set):

        without momentum:  theta <- theta - lr * g
        with momentum mu:  b <- g at the first step (a copy: no dampening),
                           b <- mu * b + (1 - dampening) * g afterwards,
                           d <- g + mu * b if nesterov else b,
                           theta <- theta - lr * d

    The buffer b is a sum of gradients, not a velocity: torch multiplies the
    *current* lr into the whole buffer (see HeavyBall for the textbook form).
    Nesterov needs momentum > 0 and dampening == 0.

    Differences from torch: lr must be > 0 and every hyperparameter finite;
    hyperparameters may be arrays broadcasting against x, checked elementwise.
    """

    def __init__(self, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        self._setup(locals())
        if nesterov and (np.any(self.momentum <= 0) or np.any(self.dampening != 0)):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    @property
    def name(self) -> str:
        if self.nesterov:
            return "SGD+Nesterov"
        return "SGD+momentum" if "momentum" in self._active else "SGD"

    def _init_state(self, zeros):
        return {"momentum_buffer": zeros()} if "momentum" in self._active else {}

    def _update(self, x, g, state, t):
        g = self._gradient(x, g)
        if "momentum" not in self._active:
            return x - self.lr * g, {}
        mu, b = self.momentum, state["momentum_buffer"]
        if t == 1:
            b = np.array(np.broadcast_to(g, np.broadcast_shapes(g.shape, b.shape)))
        else:
            b = mu * b + (1 - self.dampening) * g
        d = g + mu * b if self.nesterov else b
        if isinstance(mu, np.ndarray) and "dampening" in self._active:
            d = np.where(mu == 0, g, d)  # torch keeps no buffer where momentum is 0
        return x - self.lr * d, {"momentum_buffer": b}
