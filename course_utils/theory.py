"""Closed forms for gradient descent and momentum on quadratics.

On L = 1/2 theta^T H theta with Hessian eigenvalues mu = lambda_min and
L = lambda_max (kappa = L / mu), every quantity below is exact for the
per-step contraction of the error, which the tests compare with measured runs.

References: Polyak (1964), "Some methods of speeding up the convergence of
iteration methods"; Nesterov (2004), "Introductory Lectures on Convex
Optimization", sections 2.1 and 2.2; Goh (2017), "Why Momentum Really Works",
Distill.
"""
from __future__ import annotations

import math

import numpy as np


def _positive(name, value):
    value = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(value)) or np.any(value <= 0):
        raise ValueError(f"{name} must be positive and finite; got {value}")
    return value


def _beta(beta):
    beta = np.asarray(beta, dtype=float)
    if np.any(~((beta >= 0) & (beta < 1))):
        raise ValueError(f"beta must lie in [0, 1); got {beta}")
    return beta


def _scalar(v):
    return float(v) if np.ndim(v) == 0 else v


def gd_stability_bound(lambda_max):
    """Largest stable learning rate of gradient descent: lr < 2 / lambda_max."""
    return _scalar(2.0 / _positive("lambda_max", lambda_max))


def gd_rate(lr, lambda_min, lambda_max):
    """Per-step contraction of the error: max(|1 - lr mu|, |1 - lr L|).

    Each eigen-direction is multiplied by (1 - lr * lambda) per step; the
    slowest one sets the rate. A rate >= 1 means no convergence.
    """
    lr = _positive("lr", lr)
    return _scalar(np.maximum(np.abs(1 - lr * lambda_min), np.abs(1 - lr * lambda_max)))


def gd_optimal_lr(lambda_min, lambda_max):
    """The fixed lr with the smallest GD rate: 2 / (L + mu)."""
    return _scalar(2.0 / (_positive("lambda_min", lambda_min) + _positive("lambda_max", lambda_max)))


def gd_optimal_rate(kappa):
    """GD's best rate on a quadratic: (kappa - 1) / (kappa + 1)."""
    kappa = _positive("kappa", kappa)
    return _scalar((kappa - 1) / (kappa + 1))


def heavy_ball_optimal(lambda_min, lambda_max):
    """Polyak's optimal (lr, beta) for the heavy ball on a quadratic.

    lr = 4 / (sqrt(L) + sqrt(mu))^2 and beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.
    The same pair works for torch's SGD(lr, momentum=beta), which follows the
    same trajectory while lr is constant.
    """
    mu = _positive("lambda_min", lambda_min)
    L = _positive("lambda_max", lambda_max)
    lr = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2
    beta = ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2
    return _scalar(lr), _scalar(beta)


def heavy_ball_optimal_rate(kappa):
    """The heavy ball's best rate: (sqrt(kappa) - 1) / (sqrt(kappa) + 1)."""
    root = np.sqrt(_positive("kappa", kappa))
    return _scalar((root - 1) / (root + 1))


def heavy_ball_rate(lr, beta, lambda_min, lambda_max):
    """Per-step contraction of the heavy ball for any (lr, beta).

    In each eigen-direction the pair (theta_k, theta_{k-1}) evolves by the
    matrix [[1 + beta - lr*lambda, -beta], [1, 0]]; the rate is the largest
    spectral radius over lambda in {mu, L} (the extremes decide it for a
    quadratic).
    """
    lr = np.asarray(lr, dtype=float)
    beta = _beta(beta)
    rates = []
    for lam in (lambda_min, lambda_max):
        a = 1 + beta - lr * lam  # trace; determinant is beta
        disc = a * a - 4 * beta
        real = np.abs(a) / 2 + np.sqrt(np.maximum(disc, 0)) / 2
        rates.append(np.where(disc >= 0, real, np.sqrt(beta)))
    return _scalar(np.maximum(*rates))


def effective_memory(beta):
    """How many recent gradients an EMA with decay beta effectively averages: 1 / (1 - beta)."""
    return _scalar(1.0 / (1.0 - _beta(beta)))


def terminal_velocity(lr, beta):
    """Step size reached under a constant unit gradient: lr / (1 - beta).

    The velocity obeys v <- beta v + lr g; with g fixed it sums a geometric
    series lr g (1 + beta + beta^2 + ...) = lr g / (1 - beta).
    """
    return _scalar(np.asarray(lr, dtype=float) / (1.0 - _beta(beta)))


def steps_to_tolerance(rate, initial_error, tol):
    """Smallest k with initial_error * rate^k <= tol (inf when rate >= 1)."""
    rate = float(rate)
    if initial_error <= tol:
        return 0
    if not 0 <= rate < 1:
        return math.inf
    if rate == 0:
        return 1
    return math.ceil(math.log(tol / initial_error) / math.log(rate) - 1e-12)


# --------------------------------------------------------------------------
# Momentum for any (lr, beta): the rate map of lecture 02


def momentum_roots(lr, beta, curvature, nesterov: bool = False):
    """The two roots z of one eigen-direction's characteristic polynomial.

    Along an eigenvector with curvature lambda (a = lr * lambda) the error
    obeys a two-term recurrence whose solutions grow like z^k:
      heavy ball:  z^2 - (1 + beta - a) z + beta = 0
      Nesterov:    z^2 - (1 + beta)(1 - a) z + beta (1 - a) = 0
    (Nesterov's follows from x_{k+1} = (1+beta)(1-a) x_k - beta (1-a) x_{k-1},
    the correction form of lecture 02.) Complex roots mean the direction rings
    (under-damped); real roots mean it creeps (over-damped).

    Returns:
        Two complex arrays broadcast from the inputs.
    """
    a = np.asarray(lr, dtype=float) * np.asarray(curvature, dtype=float)
    beta = _beta(beta)
    if nesterov:
        trace, det = (1 + beta) * (1 - a), beta * (1 - a)
    else:
        trace, det = 1 + beta - a, beta + 0 * a
    root = np.sqrt(np.asarray(trace * trace - 4 * det, dtype=complex))
    return (trace + root) / 2, (trace - root) / 2


def momentum_rate(lr, beta, curvatures, nesterov: bool = False):
    """Per-step contraction of the heavy ball (or Nesterov) for any (lr, beta).

    The largest |root| over the given curvatures (for a quadratic, its
    Hessian eigenvalues; on a 2-D ravine, lambda_min and lambda_max). A rate
    >= 1 means the run does not converge. Where both roots of every direction
    are complex the heavy ball's rate is exactly sqrt(beta).

    Args:
        lr, beta: scalars or arrays that broadcast together (a grid).
        curvatures: a sequence of eigenvalues.
    """
    rates = [np.maximum(*np.abs(momentum_roots(lr, beta, lam, nesterov)))
             for lam in np.atleast_1d(np.asarray(curvatures, dtype=float))]
    return _scalar(np.max(rates, axis=0))


def heavy_ball_stability_bound(beta, lambda_max):
    """Largest stable lr of the heavy ball on a quadratic: 2 (1 + beta) / lambda_max."""
    return _scalar(2 * (1 + _beta(beta)) / _positive("lambda_max", lambda_max))


def nesterov_stability_bound(beta, lambda_max):
    """Largest stable lr of Nesterov's method: 2 (1 + beta) / ((1 + 2 beta) lambda_max).

    From the Jury conditions on z^2 - (1+beta)(1-a) z + beta(1-a): with
    a = lr * lambda_max > 1 stability needs (1 + 2 beta)(a - 1) < 1. For
    beta > 0 this is below the heavy ball's 2 (1 + beta) / lambda_max and
    tends to 4 / (3 lambda_max) as beta -> 1.
    """
    beta = _beta(beta)
    return _scalar(2 * (1 + beta) / ((1 + 2 * beta) * _positive("lambda_max", lambda_max)))


def critical_damping_lrs(beta, curvature):
    """The two lrs at which one direction's roots turn from real to complex.

    The heavy ball's discriminant (1 + beta - a)^2 - 4 beta vanishes at
    a = (1 -+ sqrt(beta))^2, so the direction is under-damped (rings, rate
    sqrt(beta)) for lr between the two values returned.
    """
    root = np.sqrt(_beta(beta))
    lam = _positive("curvature", curvature)
    return _scalar((1 - root) ** 2 / lam), _scalar((1 + root) ** 2 / lam)


def nesterov_strongly_convex(lambda_min, lambda_max):
    """Nesterov's textbook tuning for L-smooth, mu-strongly convex problems.

    lr = 1 / L and beta = (sqrt(kappa) - 1) / (sqrt(kappa) + 1) (Nesterov 2004,
    scheme 2.2.19), which guarantees a rate of about 1 - 1/sqrt(kappa).
    """
    mu = _positive("lambda_min", lambda_min)
    L = _positive("lambda_max", lambda_max)
    root = np.sqrt(L / mu)
    return _scalar(1.0 / L), _scalar((root - 1) / (root + 1))
