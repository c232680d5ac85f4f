"""Loss landscapes for the 2-D demos: value, gradient, Hessian, minima, bounds.

Every landscape takes points shaped (..., d) - one point, a batch of starts, or
a whole grid - and returns values shaped (...), gradients (..., d) and Hessians
(..., d, d). The formulas use only arithmetic and indexing, so the same code
runs on NumPy arrays and on torch tensors; the tests use that to check every
analytic gradient and Hessian against torch autograd.

    >>> from course_utils import landscapes
    >>> bowl = landscapes.ravine()            # theta1^2 + 10 theta2^2
    >>> bowl.value(np.array([-5.0, 3.0]))     # 25 + 90
    115.0
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def _stack(parts, x, axis=-1):
    """np.stack or torch.stack, whichever matches the input's type."""
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np.stack(np.broadcast_arrays(*parts), axis=axis)
    import torch

    parts = torch.broadcast_tensors(*parts)
    return torch.stack(parts, dim=axis)


def row_dot(a, b, d: int):
    """Row-wise dot product over the last axis (NumPy arrays or torch tensors).

    Summing d explicit products is several times faster than a NumPy
    reduction over a length-2 axis, which dominates batched runs.
    """
    total = a[..., 0] * b[..., 0]
    for i in range(1, d):
        total = total + a[..., i] * b[..., i]
    return total


def _as_points(x, dim: int):
    """Floats shaped (..., dim); torch tensors pass through untouched."""
    if not isinstance(x, np.ndarray) and type(x).__module__.startswith("torch"):
        return x
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(
            f"points must have shape (..., {dim}); got shape {x.shape}")
    return x


@dataclass(frozen=True)
class Landscape:
    """A differentiable test function with everything the plots and widgets need.

    Build one from three functions of points shaped (..., d) (arithmetic and
    indexing only, so they also work on torch tensors):

        bowl = Landscape(name="bowl", formula=r"x^2 + y^2", dim=2,
                         value_fn=lambda p: p[..., 0] ** 2 + p[..., 1] ** 2,
                         grad_fn=lambda p: 2 * p,
                         hessian_fn=lambda p: 2 * np.broadcast_to(np.eye(2), p.shape + (2,)),
                         minima=[[0.0, 0.0]], start=(-1.5, 1.0), suggested_lr=0.1)

    Attributes:
        name: short title for plots and menus ("ravine (kappa=10)").
        formula: the function in LaTeX, for titles and prose.
        dim: number of coordinates d.
        value_fn, grad_fn, hessian_fn: the formulas (use value(), grad(),
            hessian(), which check the points' shape first).
        minima: (k, d) array of the local minima (the global one first).
        bounds: ((xmin, xmax), (ymin, ymax)), a window that shows the action.
        bounded_below: False for functions unbounded below (the saddle), so plots
            and runners know "loss -> -inf" is the landscape, not divergence.
        start: the teaching start point (where the widgets start), or None
            for the centre of the window.
        suggested_lr: a learning rate that makes a good first picture.
    """

    name: str
    formula: str
    dim: int
    value_fn: Callable = field(repr=False)
    grad_fn: Callable = field(repr=False)
    hessian_fn: Callable = field(repr=False)
    minima: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 2)))
    bounds: tuple = ((-6.0, 6.0), (-4.0, 4.0))
    bounded_below: bool = True
    start: tuple | None = None
    suggested_lr: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "minima", np.asarray(self.minima, dtype=float).reshape(-1, self.dim))

    def value(self, x):
        """Loss at points shaped (..., d) -> shape (...)."""
        return self.value_fn(_as_points(x, self.dim))

    def grad(self, x):
        """Gradient at points shaped (..., d) -> shape (..., d)."""
        return self.grad_fn(_as_points(x, self.dim))

    def hessian(self, x):
        """Hessian at points shaped (..., d) -> shape (..., d, d)."""
        return self.hessian_fn(_as_points(x, self.dim))

    __call__ = value

    @property
    def minimum_value(self) -> float | None:
        """The lowest minimum's loss (the floor of 'loss - minimum' axes), or
        None where the function has no minimum (unbounded below, or none known)."""
        if not self.bounded_below or not len(self.minima):
            return None
        return float(np.min(self.value(self.minima)))

    @property
    def start_point(self) -> tuple:
        """`start`, or the centre of the window when there is none."""
        if self.start is not None:
            return tuple(float(v) for v in self.start)
        return tuple((float(lo) + float(hi)) / 2 for lo, hi in self.bounds)

    @property
    def global_minimum(self) -> np.ndarray:
        return self.minima[0] if len(self.minima) else None

    def grid(self, n: int = 200, bounds=None):
        """(X, Y, Z) on an n x n grid over the plot bounds (2-D only)."""
        (x0, x1), (y0, y1) = bounds or self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        Z = self.value(np.stack([X, Y], axis=-1))
        return X, Y, Z


# --------------------------------------------------------------------------
# Quadratics: the ravine and its rotated, ill-conditioned relatives


def quadratic(hessian, name="quadratic", formula=None, bounds=None, start=(-5.0, 3.0),
              suggested_lr: float = 0.05) -> Landscape:
    """L(theta) = 1/2 theta^T H theta for a symmetric positive-definite H."""
    H = np.asarray(hessian, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError("hessian must be a symmetric square matrix")
    d = H.shape[0]

    def H_like(x):
        if isinstance(x, np.ndarray):
            return H
        import torch

        return torch.as_tensor(H, dtype=x.dtype, device=x.device)

    def value(x):
        return 0.5 * row_dot(x @ H_like(x), x, d)

    def grad(x):
        return x @ H_like(x)  # H is symmetric, so x H = (H x)^T

    def hessian(x):
        Hx = H_like(x)
        return Hx.expand(*x.shape[:-1], d, d) if not isinstance(x, np.ndarray) \
            else np.broadcast_to(H, x.shape[:-1] + (d, d)).copy()

    return Landscape(name=name, formula=formula or r"\frac{1}{2}\theta^\top H\theta",
                     dim=d, value_fn=value, grad_fn=grad, hessian_fn=hessian,
                     minima=np.zeros((1, d)),
                     bounds=bounds or ((-6.0, 6.0), (-4.0, 4.0)),
                     start=start if d == 2 else None, suggested_lr=suggested_lr)


def ravine(kappa: float = 10.0, lambda_min: float = 2.0,
           angle: float = 0.0) -> Landscape:
    """The course's running example: a long, narrow quadratic valley.

    The Hessian has eigenvalues lambda_min and kappa * lambda_min; `angle`
    (radians) rotates the steep direction away from the theta2 axis. The
    defaults give L = theta1^2 + 10 theta2^2, minimum at (0, 0), gradient
    (2 theta1, 20 theta2).
    """
    if not (np.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"kappa must be a finite number >= 1; got {kappa}")
    if not (np.isfinite(lambda_min) and lambda_min > 0):
        raise ValueError(f"lambda_min must be positive; got {lambda_min}")
    lambda_max = kappa * lambda_min
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    H = R @ np.diag([lambda_min, lambda_max]) @ R.T
    H = 0.5 * (H + H.T)
    if angle == 0.0:
        formula = rf"{_num(lambda_min / 2)}\theta_1^2 + {_num(lambda_max / 2)}\theta_2^2"
        name = f"ravine (kappa={_num(kappa)})"
    else:
        formula = rf"\frac{{1}}{{2}}\theta^\top H\theta,\ \kappa={_num(kappa)}"
        name = f"rotated ravine (kappa={_num(kappa)}, {np.degrees(angle):.0f} deg)"
    return quadratic(H, name=name, formula=formula)


def _num(v: float) -> str:
    """1.0 -> '', 10.0 -> '10', 2.5 -> '2.5' (for formulas and titles)."""
    if v == 1:
        return ""
    return f"{v:g}"


# --------------------------------------------------------------------------
# Saddles


def saddle() -> Landscape:
    """L = x^2 - y^2: a clean saddle at the origin, unbounded below along y."""

    def value(x):
        return x[..., 0] ** 2 - x[..., 1] ** 2

    def grad(x):
        return _stack([2 * x[..., 0], -2 * x[..., 1]], x)

    def hessian(x):
        zero = 0 * x[..., 0]
        return _stack([_stack([zero + 2, zero], x), _stack([zero, zero - 2], x)], x, axis=-2)

    return Landscape(name="saddle", formula=r"x^2 - y^2", dim=2, value_fn=value,
                     grad_fn=grad, hessian_fn=hessian, minima=np.zeros((0, 2)),
                     bounds=((-2.0, 2.0), (-2.0, 2.0)), bounded_below=False,
                     start=(-1.5, 0.01), suggested_lr=0.05)


def ill_conditioned_saddle(steep: float = 200.0, negative: float = 2.0) -> Landscape:
    """L = steep/2 x^2 - negative/2 y^2: a saddle whose walls are much steeper than its way out.

    Gradient descent's learning rate is capped by the steep curvature
    (lr < 2 / steep), which keeps its escape factor 1 + lr * negative close
    to 1: the fair test of lecture 03, where x^2 - y^2 (steep = negative = 2)
    lets GD use an lr up to 1.
    """
    if not (np.isfinite(steep) and steep > 0 and np.isfinite(negative) and negative > 0):
        raise ValueError(f"steep and negative must be positive; got {steep}, {negative}")

    def value(x):
        return 0.5 * steep * x[..., 0] ** 2 - 0.5 * negative * x[..., 1] ** 2

    def grad(x):
        return _stack([steep * x[..., 0], -negative * x[..., 1]], x)

    def hessian(x):
        zero = 0 * x[..., 0]
        return _stack([_stack([zero + steep, zero], x), _stack([zero, zero - negative], x)], x, axis=-2)

    return Landscape(name=f"ill-conditioned saddle ({_num(steep)}:{_num(negative)})",
                     formula=rf"{_num(steep / 2)}x^2 - {_num(negative / 2)}y^2", dim=2,
                     value_fn=value, grad_fn=grad, hessian_fn=hessian, minima=np.zeros((0, 2)),
                     bounds=((-0.6, 0.6), (-1.5, 1.5)), bounded_below=False)


def random_saddle(dim: int = 50, negative: int = 1, curvature_range=(0.1, 100.0),
                  negative_curvature: float = 1.0, seed: int = 0) -> Landscape:
    """A quadratic saddle in `dim` dimensions with a random orientation.

    The Hessian is Q diag(lambda) Q^T with a random rotation Q: `dim - negative`
    positive curvatures spread log-uniformly over `curvature_range` and
    `negative` directions of curvature -negative_curvature. Per-coordinate
    methods (RMSprop, Adam) see every direction mixed into every coordinate.
    Its Hessian (constant) is land.hessian(np.zeros(dim)).
    """
    if not 0 < negative < dim:
        raise ValueError(f"need 0 < negative < dim; got negative={negative}, dim={dim}")
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.sign(np.diag(r))  # a uniformly random rotation
    eigenvalues = np.concatenate([np.full(negative, -float(negative_curvature)),
                                  np.geomspace(*curvature_range, dim - negative)])
    H = (q * eigenvalues) @ q.T
    H = 0.5 * (H + H.T)
    bowl = quadratic(H, name="random saddle", formula=r"\frac{1}{2}\theta^\top H\theta")
    return Landscape(name=f"random saddle (d={dim}, {negative} down)", formula=bowl.formula, dim=dim,
                     value_fn=bowl.value_fn, grad_fn=bowl.grad_fn, hessian_fn=bowl.hessian_fn,
                     minima=np.zeros((0, dim)), bounds=bowl.bounds, bounded_below=False)


def plateau_saddle() -> Landscape:
    """L = x^2 + y^6/6 - y^4/4: a saddle whose escape direction is flat.

    At the origin the Hessian is diag(2, 0): curvature gives no push along y
    and the gradient there, y^3 (y^2 - 1), is tiny near y = 0 - a plateau.
    The two minima sit at (0, +-1) with L = -1/12.
    """

    def value(x):
        y2 = x[..., 1] ** 2
        return x[..., 0] ** 2 + y2 ** 3 / 6 - y2 ** 2 / 4

    def grad(x):
        y = x[..., 1]
        return _stack([2 * x[..., 0], y ** 5 - y ** 3], x)

    def hessian(x):
        y = x[..., 1]
        zero = 0 * x[..., 0]
        return _stack([_stack([zero + 2, zero], x),
                       _stack([zero, 5 * y ** 4 - 3 * y ** 2], x)], x, axis=-2)

    return Landscape(name="plateau saddle", formula=r"x^2 + y^6/6 - y^4/4", dim=2,
                     value_fn=value, grad_fn=grad, hessian_fn=hessian,
                     minima=np.array([[0.0, 1.0], [0.0, -1.0]]),
                     bounds=((-1.5, 1.5), (-1.5, 1.5)), start=(1.2, 0.01), suggested_lr=0.1)


# --------------------------------------------------------------------------
# Curved valley and several minima


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    """L = (a - x)^2 + b (y - x^2)^2: a curved, banana-shaped valley."""

    def value(x):
        u, v = x[..., 0], x[..., 1]
        return (a - u) ** 2 + b * (v - u ** 2) ** 2

    def grad(x):
        u, v = x[..., 0], x[..., 1]
        r = v - u ** 2
        return _stack([-2 * (a - u) - 4 * b * u * r, 2 * b * r], x)

    def hessian(x):
        u, v = x[..., 0], x[..., 1]
        h11 = 2 - 4 * b * v + 12 * b * u ** 2
        h12 = -4 * b * u
        h22 = 0 * u + 2 * b
        return _stack([_stack([h11, h12], x), _stack([h12, h22], x)], x, axis=-2)

    return Landscape(name="Rosenbrock", formula=rf"({_num(a) or 1} - x)^2 + {b:g}(y - x^2)^2",
                     dim=2, value_fn=value, grad_fn=grad, hessian_fn=hessian,
                     minima=np.array([[a, a * a]]),
                     bounds=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.2, 1.0), suggested_lr=1e-3)


def _newton_polish(landscape: Landscape, guesses, iterations: int = 50) -> np.ndarray:
    """Refine approximate minima to machine precision with Newton's method."""
    x = np.array(guesses, dtype=float)
    for _ in range(iterations):
        step = np.linalg.solve(landscape.hessian(x), landscape.grad(x)[..., None])[..., 0]
        x = x - step
    return x


def three_hump_camel() -> Landscape:
    """L = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2: one global and two local minima.

    The global minimum is at the origin (L = 0); two shallower local minima
    lie near (+-1.75, -+0.87) - a start on the wrong side can get stuck there.
    """

    def value(x):
        u, v = x[..., 0], x[..., 1]
        return 2 * u ** 2 - 1.05 * u ** 4 + u ** 6 / 6 + u * v + v ** 2

    def grad(x):
        u, v = x[..., 0], x[..., 1]
        return _stack([4 * u - 4.2 * u ** 3 + u ** 5 + v, u + 2 * v], x)

    def hessian(x):
        u = x[..., 0]
        one = 0 * u + 1
        return _stack([_stack([4 - 12.6 * u ** 2 + 5 * u ** 4, one], x),
                       _stack([one, 2 * one], x)], x, axis=-2)

    rough = Landscape(name="three-hump camel", formula="", dim=2, value_fn=value,
                      grad_fn=grad, hessian_fn=hessian, minima=np.zeros((0, 2)))
    minima = _newton_polish(rough, [[0.0, 0.0], [1.75, -0.87], [-1.75, 0.87]])
    return Landscape(name="three-hump camel",
                     formula=r"2x^2 - 1.05x^4 + x^6/6 + xy + y^2", dim=2,
                     value_fn=value, grad_fn=grad, hessian_fn=hessian, minima=minima,
                     bounds=((-2.5, 2.5), (-2.0, 2.0)), start=(-2.0, 1.5),
                     suggested_lr=0.05)


def all_landscapes() -> dict[str, Landscape]:
    """Every named landscape with its default settings, for menus and tests."""
    return {
        "ravine": ravine(),
        "rotated ravine": ravine(angle=np.pi / 6),
        "saddle": saddle(),
        "plateau saddle": plateau_saddle(),
        "Rosenbrock": rosenbrock(),
        "three-hump camel": three_hump_camel(),
    }
