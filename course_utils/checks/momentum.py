"""Checks for exercises/02_momentum_nesterov: the heavy-ball step, the Nesterov
step, the EMA's effective memory and Nesterov written as momentum plus a
gradient correction."""
from __future__ import annotations

import numpy as np

from course_utils.checks._core import (Exercise, Mutant, as_array, as_float, as_pair,
                                       case_exercise, compare, fail, rng, run_cases,
                                       same_arrays)


def _parse_pair(name):
    def parse(out, case):
        theta, v = as_pair(out, name, 2, " (theta_new, v_new)")
        shape = case[0].shape
        return (as_array(theta, shape, name, "theta_new"), as_array(v, shape, name, "v_new"))
    return parse


# ---------------------------------------------------------------- heavy ball


def _heavy_ball(theta, v, grad, lr, beta):
    v_new = beta * v - lr * grad
    return theta + v_new, v_new


def _ema_form(theta, v, grad, lr, beta):
    v_new = beta * v + (1 - beta) * grad
    return theta - lr * v_new, v_new


def _torch_form(theta, v, grad, lr, beta):
    b = beta * v + grad
    return theta - lr * b, b


def _old_velocity(theta, v, grad, lr, beta):
    return theta + v, beta * v - lr * grad


def _flipped(theta, v, grad, lr, beta):
    v_new = beta * v + lr * grad
    return theta + v_new, v_new


def _no_beta(theta, v, grad, lr, beta):
    v_new = v - lr * grad
    return theta + v_new, v_new


HEAVY_BALL_MUTANTS = [
    Mutant("looks like the sign is flipped: the velocity should be v <- beta*v - lr*grad",
           _flipped),
    Mutant("theta moved with the old velocity: update v first, then theta <- theta + v_new",
           _old_velocity),
    Mutant("that is the EMA form (v <- beta*v + (1-beta)*grad); this exercise uses "
           "Polyak's form v <- beta*v - lr*grad, theta <- theta + v", _ema_form),
    Mutant("that is torch.optim's form (b <- beta*b + grad); this exercise uses "
           "Polyak's form v <- beta*v - lr*grad, theta <- theta + v", _torch_form),
    Mutant("beta is missing: the old velocity decays, v <- beta*v - lr*grad", _no_beta),
]


def _state_cases(seed, n=25):
    """(theta, v, grad, lr, beta) cases."""
    r = rng(seed)
    cases = []
    for i in range(n):
        d = (2, 3)[i % 2]
        cases.append((r.normal(size=d) * 2, r.normal(size=d), r.normal(size=d) * 2,
                      float(r.uniform(0.01, 0.3)), float(r.uniform(0.5, 0.99))))
    return cases


heavy_ball_step = case_exercise(
    "heavy_ball_step", seed=201, cases=_state_cases, by_hand=True,
    parse=_parse_pair("heavy_ball_step"), arg_names=["theta", "v", "grad"],
    reference=_heavy_ball, mutants=HEAVY_BALL_MUTANTS, same=same_arrays(),
    labels=("theta_new", "v_new"),
    generic="Polyak's heavy ball: v_new = beta*v - lr*grad, theta_new = theta + v_new.",
    passed="PASS: heavy_ball_step matches the reference on {n} random cases")


# ---------------------------------------------------------------- Nesterov


class _Gradient:
    """grad(x) = H x + b for a random positive-definite H; counts its calls."""

    def __init__(self, r, d):
        q, _ = np.linalg.qr(r.normal(size=(d, d)))
        self.H = q @ np.diag(r.uniform(0.5, 10.0, d)) @ q.T
        self.b = r.normal(size=d)
        self.calls = 0

    @property
    def fingerprint(self):
        return (self.H, self.b)

    def __call__(self, x):
        self.calls += 1
        return self.H @ np.asarray(x, dtype=float) + self.b


def _nesterov(theta, v, grad_fn, lr, beta):
    v_new = beta * v - lr * grad_fn(theta + beta * v)
    return theta + v_new, v_new


NESTEROV_MUTANTS = [
    Mutant("Nesterov gave the same result as plain momentum: evaluate the gradient at "
           "the look-ahead point theta + beta*v, not at theta",
           lambda t, v, f, lr, b: _heavy_ball(t, v, f(t), lr, b)),
    Mutant("the look-ahead goes the wrong way: it is theta + beta*v",
           lambda t, v, f, lr, b: _nesterov_at(t, v, f, lr, b, t - b * v)),
    Mutant("the look-ahead point is theta + beta*v: you left out beta",
           lambda t, v, f, lr, b: _nesterov_at(t, v, f, lr, b, t + v)),
    Mutant("looks like the sign is flipped: v <- beta*v - lr*grad_fn(theta + beta*v)",
           lambda t, v, f, lr, b: _flipped(t, v, f(t + b * v), lr, b)),
    Mutant("theta moved with the old velocity: update v first, then theta <- theta + v_new",
           lambda t, v, f, lr, b: _old_velocity(t, v, f(t + b * v), lr, b)),
]


def _nesterov_at(theta, v, grad_fn, lr, beta, point):
    v_new = beta * v - lr * grad_fn(point)
    return theta + v_new, v_new


def _nesterov_cases(seed):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3)[i % 2]
        cases.append((r.normal(size=d) * 2, r.normal(size=d), _Gradient(r, d),
                      float(r.uniform(0.01, 0.1)), float(r.uniform(0.5, 0.95))))
    return cases


def _run_nesterov(student, cases):
    name = "nesterov_step"
    results = run_cases(student, cases, _parse_pair(name), name, ["theta", "v"])
    if any(case[2].calls == 0 for case in cases):
        fail(f"{name} never called grad_fn: evaluate the gradient at the look-ahead "
             "point with grad_fn(theta + beta * v)")
    return results


def _judge_nesterov(results, cases):
    """Nesterov's look-ahead step on random quadratics."""
    n = compare("nesterov_step", results, cases, _nesterov, NESTEROV_MUTANTS, same_arrays(),
                "Nesterov: v_new = beta*v - lr*grad_fn(theta + beta*v), theta_new = theta + v_new.",
                labels=("theta_new", "v_new"))
    return f"PASS: nesterov_step matches the reference on {n} random quadratics"


nesterov_step = Exercise("nesterov_step", seed=202, cases=_nesterov_cases, run=_run_nesterov,
                         judge=_judge_nesterov, by_hand=True, points=2)


# ---------------------------------------------------------------- effective memory


def _memory(beta):
    return 1.0 / (1.0 - beta)


MEMORY_MUTANTS = [
    Mutant("don't round: in floating point 1 / (1 - beta) can land a hair below a whole "
           "number, and int() then cuts off almost a whole step",
           lambda b: int(1.0 / (1.0 - b))),
    Mutant("don't round the result: the memory 1 / (1 - beta) need not be a whole number",
           lambda b: round(1.0 / (1.0 - b))),
    Mutant("you divided by beta; the memory is 1 / (1 - beta)",
           lambda b: 1.0 / b if b else np.inf),
    Mutant("off by one: the weights 1 + beta + beta^2 + ... add up to 1 / (1 - beta), "
           "not beta / (1 - beta)", lambda b: b / (1.0 - b)),
    Mutant("you returned 1 - beta; the memory is its reciprocal, 1 / (1 - beta)",
           lambda b: 1.0 - b),
    Mutant("that is the e-folding time -1 / ln(beta); this exercise uses 1 / (1 - beta)",
           lambda b: -1.0 / np.log(b) if b else 0.0),
]


def _memory_cases(seed):
    r = rng(seed)
    betas = [0.0, 0.5, 0.9, 0.95, 0.99, 0.999] + [float(b) for b in r.uniform(0.05, 0.995, 14)]
    return [(b,) for b in betas]


effective_memory = case_exercise(
    "effective_memory", seed=203, cases=_memory_cases, by_hand=True,
    parse=lambda out, case: as_float(out, "effective_memory", "the memory"),
    arg_names=["beta"], reference=_memory, mutants=MEMORY_MUTANTS, same=same_arrays(rtol=1e-9),
    generic="An EMA with decay beta averages about 1 / (1 - beta) recent values.",
    passed="PASS: effective_memory matches 1 / (1 - beta) for {n} values of beta")


# ---------------------------------------------------------------- Nesterov as momentum + correction


def _two_step(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad - beta * lr * (grad - grad_prev)


TWO_STEP_MUTANTS = [
    Mutant("Nesterov gave the same result as plain momentum: add the gradient "
           "correction -beta*lr*(grad - grad_prev)",
           lambda x, xp, g, gp, lr, b: x + b * (x - xp) - lr * g),
    Mutant("the correction has the wrong sign: it is -beta*lr*(grad - grad_prev)",
           lambda x, xp, g, gp, lr, b: x + b * (x - xp) - lr * g + b * lr * (g - gp)),
    Mutant("the correction is beta*lr*(grad - grad_prev): you left out beta",
           lambda x, xp, g, gp, lr, b: x + b * (x - xp) - lr * g - lr * (g - gp)),
    Mutant("the momentum term is beta*(x - x_prev), the direction we were already moving",
           lambda x, xp, g, gp, lr, b: x + b * (xp - x) - lr * g - b * lr * (g - gp)),
    Mutant("the correction uses the change of the gradient, grad - grad_prev, "
           "not grad alone", lambda x, xp, g, gp, lr, b: x + b * (x - xp) - lr * g - b * lr * g),
]


def _two_step_cases(seed):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3)[i % 2]
        cases.append((r.normal(size=d) * 2, r.normal(size=d) * 2, r.normal(size=d) * 2,
                      r.normal(size=d) * 2, float(r.uniform(0.01, 0.3)),
                      float(r.uniform(0.5, 0.95))))
    return cases


nesterov_two_step = case_exercise(
    "nesterov_two_step", seed=204, cases=_two_step_cases, by_hand=True, points=2,
    parse=lambda out, case: as_array(out, case[0].shape, "nesterov_two_step", "x_new"),
    arg_names=["x", "x_prev", "grad", "grad_prev"], reference=_two_step,
    mutants=TWO_STEP_MUTANTS, same=same_arrays(),
    generic="Nesterov as momentum plus a correction: x + beta*(x - x_prev) - lr*grad "
            "- beta*lr*(grad - grad_prev).",
    passed="PASS: nesterov_two_step matches the reference on {n} random cases")
