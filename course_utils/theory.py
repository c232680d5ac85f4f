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
