"""Checks for exercises/01_ravine: the ravine's gradient, GD's stability limit,
one GD step and GD's per-step contraction rate."""
from __future__ import annotations

import numpy as np

from course_utils.checks._core import Mutant, as_array, as_float, case_exercise, rng, same_arrays

# ---------------------------------------------------------------- gradient


def _gradient(theta):
    return np.array([2 * theta[0], 20 * theta[1]])


GRADIENT_MUTANTS = [
    Mutant("looks like the sign is flipped: the gradient points uphill, "
           "(2*theta1, 20*theta2)", lambda t: -_gradient(t)),
    Mutant("looks like you dropped the factor 2 of d/dx x^2 = 2x: expected "
           "(2*theta1, 20*theta2)", lambda t: np.array([t[0], 10 * t[1]])),
    Mutant("the coordinates are swapped: theta2 is the steep direction, "
           "(2*theta1, 20*theta2)", lambda t: np.array([20 * t[0], 2 * t[1]])),
    Mutant("the theta2 component is off: d/dtheta2 of 10*theta2^2 is 20*theta2",
           lambda t: np.array([2 * t[0], 10 * t[1]])),
    Mutant("the components are in the wrong order: return (dL/dtheta1, dL/dtheta2) = "
           "(2*theta1, 20*theta2)", lambda t: np.array([20 * t[1], 2 * t[0]])),
]


def _gradient_cases(seed):
    r = rng(seed)
    return [(np.array([-5.0, 3.0]),)] + [(r.uniform(-6, 6, 2),) for _ in range(24)]


ravine_gradient = case_exercise(
    "ravine_gradient", seed=101, cases=_gradient_cases, by_hand=True,
    parse=lambda out, case: as_array(out, (2,), "ravine_gradient", "the gradient"),
    arg_names=["theta"], reference=_gradient, mutants=GRADIENT_MUTANTS, same=same_arrays(),
    generic="The gradient of theta1^2 + 10*theta2^2 is (2*theta1, 20*theta2).",
    passed="PASS: ravine_gradient matches the reference on {n} points")


# ---------------------------------------------------------------- largest stable lr


def _eigenvalues(hessian):
    return np.linalg.eigvalsh(hessian)


def _stable_lr(hessian):
    return 2.0 / _eigenvalues(hessian).max()


STABLE_LR_MUTANTS = [
    Mutant("you used the smallest eigenvalue; the steepest direction (largest "
           "eigenvalue) sets the limit: 2 / lambda_max",
           lambda h: 2.0 / _eigenvalues(h).min()),
    Mutant("the factor 2 is missing: GD is stable while lr < 2 / lambda_max",
           lambda h: 1.0 / _eigenvalues(h).max()),
    Mutant("you read the diagonal: for a rotated Hessian the curvatures are its "
           "eigenvalues (np.linalg.eigvalsh), not its diagonal entries",
           lambda h: 2.0 / np.diag(h).max()),
    Mutant("that is the best fixed learning rate 2 / (lambda_min + lambda_max), "
           "not the largest stable one, 2 / lambda_max",
           lambda h: 2.0 / (_eigenvalues(h).min() + _eigenvalues(h).max())),
    Mutant("the fraction is upside down: 2 / lambda_max, not lambda_max / 2",
           lambda h: _eigenvalues(h).max() / 2.0),
]


def _random_hessian(r, d):
    q, _ = np.linalg.qr(r.normal(size=(d, d)))
    eigenvalues = np.exp(r.uniform(np.log(0.2), np.log(60.0), d))
    h = q @ np.diag(eigenvalues) @ q.T
    return 0.5 * (h + h.T)


def _stable_lr_cases(seed):
    r = rng(seed)
    cases = [(np.diag([2.0, 20.0]),), (np.diag([1.0, 100.0]),)]
    return cases + [(_random_hessian(r, d),) for d in (2, 2, 2, 2, 3, 3, 3, 4, 4, 5)]


largest_stable_lr = case_exercise(
    "largest_stable_lr", seed=102, cases=_stable_lr_cases, by_hand=True,
    parse=lambda out, case: as_float(out, "largest_stable_lr", "the learning rate"),
    arg_names=["hessian"], reference=_stable_lr, mutants=STABLE_LR_MUTANTS, same=same_arrays(),
    generic="Gradient descent on a quadratic is stable while lr < 2 / lambda_max, "
            "with lambda_max the largest eigenvalue of the Hessian.",
    passed="PASS: largest_stable_lr matches 2 / lambda_max on {n} Hessians")


# ---------------------------------------------------------------- GD step


def _gd_step(theta, grad, lr):
    return theta - lr * grad


GD_STEP_MUTANTS = [
    Mutant("looks like the sign is flipped: you stepped uphill; the update is "
           "theta - lr * grad", lambda t, g, lr: t + lr * g),
    Mutant("the learning rate is missing: theta - lr * grad", lambda t, g, lr: t - g),
    Mutant("the gradient is missing: theta - lr * grad", lambda t, g, lr: t - lr),
    Mutant("you multiplied the learning rate into theta: the update is theta - lr * grad",
           lambda t, g, lr: lr * t - g),
]


def _gd_step_cases(seed):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        cases.append((r.normal(size=d) * 3, r.normal(size=d) * 3, float(r.uniform(0.01, 0.5))))
    return cases


gd_step = case_exercise(
    "gd_step", seed=103, cases=_gd_step_cases, by_hand=True,
    parse=lambda out, case: as_array(out, case[0].shape, "gd_step", "the new theta"),
    arg_names=["theta", "grad"], reference=_gd_step, mutants=GD_STEP_MUTANTS,
    same=same_arrays(), generic="One gradient-descent step is theta - lr * grad.",
    passed="PASS: gd_step matches the reference on {n} random cases")


# ---------------------------------------------------------------- GD rate


def _gd_rate(lr, lambda_min, lambda_max):
    return max(abs(1 - lr * lambda_min), abs(1 - lr * lambda_max))


GD_RATE_MUTANTS = [
    Mutant("the absolute value is missing: when lr*lambda > 1 a direction "
           "overshoots, and |1 - lr*lambda| is what shrinks or grows it",
           lambda lr, a, b: max(1 - lr * a, 1 - lr * b)),
    Mutant("the steep direction counts too: take the max over lambda_min and lambda_max",
           lambda lr, a, b: abs(1 - lr * a)),
    Mutant("the shallow direction counts too: take the max over lambda_min and lambda_max",
           lambda lr, a, b: abs(1 - lr * b)),
    Mutant("the slowest direction sets the rate: use max, not min",
           lambda lr, a, b: min(abs(1 - lr * a), abs(1 - lr * b))),
    Mutant("that is the best rate at the optimal lr, (kappa - 1) / (kappa + 1); "
           "the rate at a given lr is max(|1 - lr*lambda_min|, |1 - lr*lambda_max|)",
           lambda lr, a, b: (b / a - 1) / (b / a + 1)),
]


def _gd_rate_cases(seed):
    r = rng(seed)
    # The last three overshoot in both directions (lr * lambda_min > 1).
    cases = [(0.05, 2.0, 20.0), (0.09, 2.0, 20.0), (1.2, 1.0, 1.5), (0.7, 2.0, 2.5),
             (1.5, 1.0, 1.2)]
    for _ in range(22):
        lambda_min = float(r.uniform(0.5, 3.0))
        lambda_max = lambda_min * float(r.uniform(2.0, 50.0))
        lr = float(r.uniform(0.1, 1.3)) * 2 / lambda_max
        cases.append((lr, lambda_min, lambda_max))
    return cases


gd_rate = case_exercise(
    "gd_rate", seed=104, cases=_gd_rate_cases, by_hand=True,
    parse=lambda out, case: as_float(out, "gd_rate", "the rate"),
    arg_names=["lr", "lambda_min", "lambda_max"], reference=_gd_rate, mutants=GD_RATE_MUTANTS,
    same=same_arrays(),
    generic="Each eigen-direction is multiplied by (1 - lr*lambda) per step; the rate is "
            "the largest |1 - lr*lambda|.",
    passed="PASS: gd_rate matches the reference on {n} cases")
