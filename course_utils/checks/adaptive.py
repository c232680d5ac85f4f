"""Checks for exercises/04_adaptive: one step of Adagrad, RMSProp, Adam (with
bias correction) and AdamW (decoupled weight decay).

The references follow torch.optim's update rules and defaults (tests compare
them with torch.optim itself); the names follow the lecture: G is Adagrad's sum
of squared gradients, v RMSProp's average, m and v Adam's two moments.
"""
from __future__ import annotations

import numpy as np

from course_utils.checks._core import (Mutant, as_array, as_pair, check, compare, rng,
                                       run_cases, same_arrays)

RTOL, ATOL = 1e-7, 1e-10


def _parser(name, labels):
    def parse(out, case):
        parts = as_pair(out, name, len(labels), f" ({', '.join(labels)})")
        shape = case[0].shape
        return tuple(as_array(p, shape, name, label) for p, label in zip(parts, labels))
    return parse


def _eps_values(r):
    # Tiny eps as in practice, and large ones so that "eps inside the sqrt"
    # and "eps missing" change the answer visibly.
    return float(r.choice([1e-10, 1e-8, 1e-3, 0.05, 0.2]))


# ---------------------------------------------------------------- Adagrad


def _scaled_step(theta, grad, scale, lr, eps, *, sqrt=True, eps_inside=False, sign=1.0):
    """theta - lr * grad / (sqrt(scale) + eps), or one of its typical mistakes."""
    if eps_inside:
        denominator = np.sqrt(scale + eps)
    else:
        denominator = (np.sqrt(scale) if sqrt else scale) + eps
    return theta - sign * lr * grad / denominator


def _adagrad(theta, grad, G, lr, eps, *, ema=None, sqrt=True, eps_inside=False,
             old_sum=False, sign=1.0):
    G_new = G + grad ** 2 if ema is None else ema * G + (1 - ema) * grad ** 2
    used = G if old_sum else G_new
    return _scaled_step(theta, grad, used, lr, eps, sqrt=sqrt, eps_inside=eps_inside,
                        sign=sign), G_new


ADAGRAD_MUTANTS = [
    Mutant("eps inside the sqrt: divide by sqrt(G) + eps",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, eps_inside=True)),
    Mutant("looks like an exponential average; Adagrad sums: G <- G + grad**2",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, ema=0.9)),
    Mutant("looks like an exponential average; Adagrad sums: G <- G + grad**2",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, ema=0.99)),
    Mutant("looks like an exponential average; Adagrad sums: G <- G + grad**2",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, ema=0.999)),
    Mutant("the square root is missing: divide by sqrt(G) + eps",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, sqrt=False)),
    Mutant("use the updated sum (including this step's grad**2) in the step",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, old_sum=True)),
    Mutant("looks like the sign is flipped: theta - lr * grad / (sqrt(G) + eps)",
           lambda t, g, G, lr, eps: _adagrad(t, g, G, lr, eps, sign=-1.0)),
    Mutant("square the gradient: G <- G + grad**2",
           lambda t, g, G, lr, eps: (_adagrad(t, g, G, lr, eps)[0], G + g)),
]


def _adagrad_cases():
    r = rng(401)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        G = np.zeros(d) if i < 3 else r.uniform(0.0, 2.0, d)
        cases.append((r.normal(size=d), r.normal(size=d) * 0.5, G,
                      float(r.uniform(0.01, 0.5)), _eps_values(r)))
    return cases


@check
def adagrad_step(student):
    """G <- G + g^2; theta <- theta - lr g / (sqrt(G) + eps)."""
    name = "adagrad_step"
    cases = _adagrad_cases()
    results = run_cases(student, cases, _parser(name, ("theta_new", "G_new")), name,
                        ["theta", "grad", "G"])
    n = compare(name, results, cases, lambda *c: _adagrad(*c), ADAGRAD_MUTANTS,
                same_arrays(RTOL, ATOL),
                "Adagrad: G_new = G + grad**2, theta_new = theta - lr*grad/(sqrt(G_new) + eps).")
    return f"PASS: {name} matches the reference on {n} random cases"


# ---------------------------------------------------------------- RMSProp


def _rmsprop(theta, grad, v, lr, alpha, eps, *, total=False, swapped=False, sqrt=True,
             eps_inside=False, square=True, sign=1.0):
    g2 = grad ** 2 if square else grad
    if total:
        v_new = v + g2
    elif swapped:
        v_new = (1 - alpha) * v + alpha * g2
    else:
        v_new = alpha * v + (1 - alpha) * g2
    return _scaled_step(theta, grad, v_new, lr, eps, sqrt=sqrt, eps_inside=eps_inside,
                        sign=sign), v_new


RMSPROP_MUTANTS = [
    Mutant("looks like you summed instead of an exponential average: "
           "v <- alpha*v + (1 - alpha)*grad**2",
           lambda *c: _rmsprop(*c, total=True)),
    Mutant("alpha and 1 - alpha are swapped: alpha weighs the old average, "
           "v <- alpha*v + (1 - alpha)*grad**2", lambda *c: _rmsprop(*c, swapped=True)),
    Mutant("eps inside the sqrt: divide by sqrt(v) + eps", lambda *c: _rmsprop(*c, eps_inside=True)),
    Mutant("the square root is missing: divide by sqrt(v) + eps", lambda *c: _rmsprop(*c, sqrt=False)),
    Mutant("average the squared gradient, grad**2, not the gradient",
           lambda *c: _rmsprop(*c, square=False)),
    Mutant("looks like the sign is flipped: theta - lr * grad / (sqrt(v) + eps)",
           lambda *c: _rmsprop(*c, sign=-1.0)),
]


@check
def rmsprop_step(student):
    """v <- alpha v + (1 - alpha) g^2; theta <- theta - lr g / (sqrt(v) + eps)."""
    name = "rmsprop_step"
    r = rng(402)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        v = np.zeros(d) if i < 3 else r.uniform(0.0, 2.0, d)
        cases.append((r.normal(size=d), r.normal(size=d), v, float(r.uniform(0.001, 0.1)),
                      float(r.uniform(0.5, 0.999)), _eps_values(r)))
    results = run_cases(student, cases, _parser(name, ("theta_new", "v_new")), name,
                        ["theta", "grad", "v"])
    n = compare(name, results, cases, lambda *c: _rmsprop(*c), RMSPROP_MUTANTS,
                same_arrays(RTOL, ATOL),
                "RMSProp: v_new = alpha*v + (1 - alpha)*grad**2, "
                "theta_new = theta - lr*grad/(sqrt(v_new) + eps).")
    return f"PASS: {name} matches the reference on {n} random cases"


# ---------------------------------------------------------------- Adam


def _adam(theta, grad, m, v, t, lr, beta1, beta2, eps, *, correct_m=True, correct_v=True,
          t_shift=0, eps_inside=False, swapped=False, store_corrected=False, square=True,
          sign=1.0):
    if swapped:
        beta1, beta2 = beta2, beta1
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad)
    tc = t + t_shift
    m_hat = m_new / (1 - beta1 ** tc) if correct_m else m_new
    v_hat = v_new / (1 - beta2 ** tc) if correct_v else v_new
    denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    theta_new = theta - sign * lr * m_hat / denominator
    if store_corrected:
        return theta_new, m_hat, v_hat
    return theta_new, m_new, v_new


ADAM_MUTANTS = [
    Mutant("missing bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) "
           "before the step", lambda *c: _adam(*c, correct_m=False, correct_v=False)),
    Mutant("the bias correction of m is missing: m_hat = m / (1 - beta1**t)",
           lambda *c: _adam(*c, correct_m=False)),
    Mutant("the bias correction of v is missing: v_hat = v / (1 - beta2**t)",
           lambda *c: _adam(*c, correct_v=False)),
    Mutant("off by one in the bias correction: t is the number of this step, starting "
           "at 1, so use beta**t", lambda *c: _adam(*c, t_shift=-1)),
    Mutant("off by one in the bias correction: t is the number of this step, starting "
           "at 1, so use beta**t", lambda *c: _adam(*c, t_shift=1)),
    Mutant("eps inside the sqrt: divide by sqrt(v_hat) + eps", lambda *c: _adam(*c, eps_inside=True)),
    Mutant("beta1 and beta2 are swapped: beta1 is for the first moment m, beta2 for v",
           lambda *c: _adam(*c, swapped=True)),
    Mutant("return the raw moments m and v as the new state; the bias-corrected ones are "
           "only for computing the step", lambda *c: _adam(*c, store_corrected=True)),
    Mutant("v averages the squared gradient, grad**2", lambda *c: _adam(*c, square=False)),
    Mutant("looks like the sign is flipped: theta - lr * m_hat / (sqrt(v_hat) + eps)",
           lambda *c: _adam(*c, sign=-1.0)),
]


def _adam_cases(seed, weight_decay=False):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        if i < 3:
            m, v, t = np.zeros(d), np.zeros(d), 1
        else:
            m, v, t = r.normal(size=d) * 0.3, r.uniform(0.0, 1.0, d), int(r.integers(1, 30))
        case = (r.normal(size=d), r.normal(size=d), m, v, t, float(r.uniform(0.001, 0.3)),
                float(r.uniform(0.5, 0.95)), float(r.uniform(0.9, 0.9999)), _eps_values(r))
        if weight_decay:
            case += (float(r.uniform(0.01, 0.5)),)
        cases.append(case)
    return cases


@check
def adam_step(student):
    """Adam with bias correction, torch.optim.Adam's update."""
    name = "adam_step"
    cases = _adam_cases(403)
    results = run_cases(student, cases, _parser(name, ("theta_new", "m_new", "v_new")), name,
                        ["theta", "grad", "m", "v"])
    n = compare(name, results, cases, lambda *c: _adam(*c), ADAM_MUTANTS,
                same_arrays(RTOL, ATOL),
                "Adam: m and v are EMAs of grad and grad**2, m_hat = m/(1 - beta1**t), "
                "v_hat = v/(1 - beta2**t), theta - lr*m_hat/(sqrt(v_hat) + eps).")
    return f"PASS: {name} matches the reference on {n} random cases"


# ---------------------------------------------------------------- AdamW


def _adamw(theta, grad, m, v, t, lr, beta1, beta2, eps, weight_decay, *, mode="decoupled"):
    if mode == "decoupled":
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps)
    if mode == "l2":
        return _adam(theta, grad + weight_decay * theta, m, v, t, lr, beta1, beta2, eps)
    if mode == "no_lr":
        return _adam(theta * (1 - weight_decay), grad, m, v, t, lr, beta1, beta2, eps)
    if mode == "after":
        theta_new, m_new, v_new = _adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
        return theta_new * (1 - lr * weight_decay), m_new, v_new
    if mode == "none":
        return _adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
    if mode == "flipped":
        return _adam(theta * (1 + lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps)
    if mode == "no_correction":
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps,
                     correct_m=False, correct_v=False)
    raise ValueError(mode)


ADAMW_MUTANTS = [
    Mutant("you added weight_decay*theta to the gradient (Adam with L2); AdamW decays the "
           "weights directly: theta <- theta*(1 - lr*weight_decay)",
           lambda *c: _adamw(*c, mode="l2")),
    Mutant("the decay is scaled by the learning rate: theta*(1 - lr*weight_decay)",
           lambda *c: _adamw(*c, mode="no_lr")),
    Mutant("decay the weights before the Adam update, theta*(1 - lr*weight_decay), as "
           "torch.optim.AdamW does", lambda *c: _adamw(*c, mode="after")),
    Mutant("the weight decay is missing: theta <- theta*(1 - lr*weight_decay) before the "
           "Adam update", lambda *c: _adamw(*c, mode="none")),
    Mutant("the decay has the wrong sign: it shrinks the weights, theta*(1 - lr*weight_decay)",
           lambda *c: _adamw(*c, mode="flipped")),
    Mutant("missing bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) "
           "before the step", lambda *c: _adamw(*c, mode="no_correction")),
]


@check
def adamw_step(student):
    """Decoupled weight decay, then the Adam update (torch.optim.AdamW)."""
    name = "adamw_step"
    cases = _adam_cases(404, weight_decay=True)
    results = run_cases(student, cases, _parser(name, ("theta_new", "m_new", "v_new")), name,
                        ["theta", "grad", "m", "v"])
    n = compare(name, results, cases, lambda *c: _adamw(*c), ADAMW_MUTANTS,
                same_arrays(RTOL, ATOL),
                "AdamW: theta <- theta*(1 - lr*weight_decay), then the Adam step with the "
                "plain gradient.")
    return f"PASS: {name} matches the reference on {n} random cases"
