"""Momentum as the textbooks write it, with its exact relation to torch.optim.SGD.

Three forms of the same idea (beta: the momentum coefficient, v0 = 0):

    HeavyBall          v <- beta*v - lr*g;                 theta <- theta + v
    EMAMomentum        v <- beta*v + (1 - beta)*g;         theta <- theta - lr*v
    NesterovLookahead  v <- beta*v - lr*grad(theta + beta*v); theta <- theta + v

torch.optim.SGD keeps instead a buffer b <- beta*b + g and steps
theta <- theta - lr*b. The class docstrings say exactly when the trajectories
coincide; tests/test_optimizers.py checks each claim against torch.
"""
from __future__ import annotations

import numpy as np

from course_utils.optimizers.base import Optimizer


class _Textbook(Optimizer):
    def _init_state(self, zeros):
        return {"velocity": zeros()}


class HeavyBall(_Textbook):
    r"""Polyak's heavy ball: v <- beta*v - lr*g;  theta <- theta + v  (v0 = 0).

    The velocity v is a step, with the learning rate already inside it.
    Relation to torch: v = -lr*b, so the trajectory equals
    torch.optim.SGD(lr=lr, momentum=beta) while lr is constant. They part when
    lr changes mid-run: torch multiplies the new lr into the whole buffer b,
    the heavy ball only into new gradients.
    """

    def __init__(self, lr=1e-3, beta=0.9):
        self._setup(locals())

    @property
    def name(self) -> str:
        return "Heavy ball"

    def _update(self, x, g, state, t):
        v = self.beta * state["velocity"] - self.lr * g
        return x + v, {"velocity": v}


class EMAMomentum(_Textbook):
    r"""Momentum as an average: v <- beta*v + (1 - beta)*g;  theta <- theta - lr*v  (v0 = 0).

    v is an exponential moving average of gradients (memory about 1/(1 - beta)
    steps; biased towards 0 early on). Relation to torch: v = (1 - beta)*b, so
    the trajectory equals torch.optim.SGD(lr=lr*(1 - beta), momentum=beta).
    It does NOT equal SGD(lr, momentum=beta, dampening=beta): torch's first
    buffer is g itself, not (1 - beta)*g, so the first step is 1/(1 - beta)
    times larger and the runs differ from then on.
    """

    def __init__(self, lr=1e-3, beta=0.9):
        self._setup(locals())

    @property
    def name(self) -> str:
        return "EMA momentum"

    def _update(self, x, g, state, t):
        v = self.beta * state["velocity"] + (1 - self.beta) * g
        return x - self.lr * v, {"velocity": v}


class NesterovLookahead(_Textbook):
    r"""Nesterov momentum: v <- beta*v - lr*grad(theta + beta*v);  theta <- theta + v.

    The gradient is taken at the look-ahead point theta + beta*v, so the
    iterate x this class hands out (and step() expects back, with g = grad(x))
    IS that look-ahead point, x = theta + beta*v; trajectories record x.
    The textbook theta is position(x, state) = x - beta*v, and positions(xs)
    turns a recorded path of look-ahead points into the path of theta.
    At the start v = 0, so x0 = theta0.

    Relation to torch: torch.optim.SGD(lr=lr, momentum=beta, nesterov=True)
    keeps exactly these look-ahead points as its parameters (v = -lr*b), so
    the trajectory of x equals torch's while lr is constant.
    """

    def __init__(self, lr=1e-3, beta=0.9):
        self._setup(locals())

    @property
    def name(self) -> str:
        return "Nesterov look-ahead"

    def position(self, x, state):
        """The textbook theta behind the look-ahead point x."""
        return x - self.beta * state["velocity"]

    def positions(self, xs):
        """theta along a recorded path xs[0], xs[1], ... of look-ahead points.

        From x_k = theta_k + beta*(theta_k - theta_{k-1}):
        theta_k = (x_k + beta*theta_{k-1}) / (1 + beta), theta_0 = x_0.
        """
        xs = np.asarray(xs, dtype=float)
        beta = self.beta
        thetas = np.empty((len(xs),) + np.broadcast_shapes(xs.shape[1:], np.shape(beta)))
        thetas[0] = xs[0]
        for k in range(1, len(xs)):
            thetas[k] = (xs[k] + beta * thetas[k - 1]) / (1 + beta)
        return thetas

    def _update(self, x, g, state, t):
        v = state["velocity"]
        theta = x - self.beta * v          # undo the look-ahead
        v = self.beta * v - self.lr * g    # g = grad(theta + beta*v), the textbook update
        theta = theta + v
        return theta + self.beta * v, {"velocity": v}
