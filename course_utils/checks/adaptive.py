"""Checks for exercises/04_adaptive: one step of Adagrad, RMSProp, Adam (with
bias correction) and AdamW (decoupled weight decay).

The references follow torch.optim's update rules and defaults (tests compare
them with torch.optim itself); the names follow the lecture: G is Adagrad's sum
of squared gradients, v RMSProp's average, m and v Adam's two moments.
"""
from __future__ import annotations

import numpy as np

from course_utils.checks._core import Mutant, as_array, as_pair, case_exercise, rng, same_arrays

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


def _adagrad_cases(seed):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        G = np.zeros(d) if i < 3 else r.uniform(0.0, 2.0, d)
        cases.append((r.normal(size=d), r.normal(size=d) * 0.5, G,
                      float(r.uniform(0.01, 0.5)), _eps_values(r)))
    return cases


adagrad_step = case_exercise(
    "adagrad_step", seed=401, cases=_adagrad_cases, by_hand=True,
    parse=_parser("adagrad_step", ("theta_new", "G_new")), arg_names=["theta", "grad", "G"],
    reference=lambda *c: _adagrad(*c), mutants=ADAGRAD_MUTANTS, same=same_arrays(RTOL, ATOL),
    labels=("theta_new", "G_new"),
    generic="Adagrad: G_new = G + grad**2, theta_new = theta - lr*grad/(sqrt(G_new) + eps).",
    passed="PASS: adagrad_step matches the reference on {n} random cases")


# ---------------------------------------------------------------- RMSProp


def _rmsprop(theta, grad, v, lr, alpha, eps, *, total=False, swapped=False, sqrt=True,
             eps_inside=False, square=True, sign=1.0, old_v=False):
    g2 = grad ** 2 if square else grad
    if total:
        v_new = v + g2
    elif swapped:
        v_new = (1 - alpha) * v + alpha * g2
    else:
        v_new = alpha * v + (1 - alpha) * g2
    return _scaled_step(theta, grad, v if old_v else v_new, lr, eps, sqrt=sqrt,
                        eps_inside=eps_inside, sign=sign), v_new


RMSPROP_MUTANTS = [
    Mutant("the step used the old average v: update v first, then divide by "
           "sqrt(v_new) + eps", lambda *c: _rmsprop(*c, old_v=True)),
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


def _rmsprop_cases(seed):
    r = rng(seed)
    cases = []
    for i in range(25):
        d = (2, 3, 5)[i % 3]
        v = np.zeros(d) if i < 3 else r.uniform(0.0, 2.0, d)
        cases.append((r.normal(size=d), r.normal(size=d), v, float(r.uniform(0.001, 0.1)),
                      float(r.uniform(0.5, 0.999)), _eps_values(r)))
    return cases


rmsprop_step = case_exercise(
    "rmsprop_step", seed=402, cases=_rmsprop_cases, by_hand=True,
    parse=_parser("rmsprop_step", ("theta_new", "v_new")), arg_names=["theta", "grad", "v"],
    reference=lambda *c: _rmsprop(*c), mutants=RMSPROP_MUTANTS, same=same_arrays(RTOL, ATOL),
    labels=("theta_new", "v_new"),
    generic="RMSProp: v_new = alpha*v + (1 - alpha)*grad**2, "
            "theta_new = theta - lr*grad/(sqrt(v_new) + eps).",
    passed="PASS: rmsprop_step matches the reference on {n} random cases")


# ---------------------------------------------------------------- Adam


def _adam(theta, grad, m, v, t, lr, beta1, beta2, eps, *, correct_m=True, correct_v=True,
          t_shift=0, eps_inside=False, swapped=False, store_corrected=False, square=True,
          sign=1.0, ema_swapped=""):
    if swapped:
        beta1, beta2 = beta2, beta1
    g2 = grad ** 2 if square else grad
    m_new = (1 - beta1) * m + beta1 * grad if "m" in ema_swapped else \
        beta1 * m + (1 - beta1) * grad
    v_new = (1 - beta2) * v + beta2 * g2 if "v" in ema_swapped else \
        beta2 * v + (1 - beta2) * g2
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
    Mutant("the weights of the averages are swapped: beta weighs the old moment, "
           "m <- beta1*m + (1 - beta1)*grad and v <- beta2*v + (1 - beta2)*grad**2",
           lambda *c: _adam(*c, ema_swapped="mv")),
    Mutant("the weights of m's average are swapped: m <- beta1*m + (1 - beta1)*grad",
           lambda *c: _adam(*c, ema_swapped="m")),
    Mutant("the weights of v's average are swapped: v <- beta2*v + (1 - beta2)*grad**2",
           lambda *c: _adam(*c, ema_swapped="v")),
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


adam_step = case_exercise(
    "adam_step", seed=403, cases=_adam_cases, by_hand=True, points=2,
    parse=_parser("adam_step", ("theta_new", "m_new", "v_new")),
    arg_names=["theta", "grad", "m", "v"], reference=lambda *c: _adam(*c),
    mutants=ADAM_MUTANTS, same=same_arrays(RTOL, ATOL), labels=("theta_new", "m_new", "v_new"),
    generic="Adam: m and v are EMAs of grad and grad**2, m_hat = m/(1 - beta1**t), "
            "v_hat = v/(1 - beta2**t), theta - lr*m_hat/(sqrt(v_hat) + eps).",
    passed="PASS: adam_step matches the reference on {n} random cases")


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
    if mode == "next_t":
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t + 1, lr, beta1, beta2, eps)
    if mode == "no_eps":
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, 0.0)
    if mode == "no_correction":
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps,
                     correct_m=False, correct_v=False)
    raise ValueError(mode)


ADAMW_MUTANTS = [
    Mutant("you added weight_decay*theta to the gradient (Adam with L2); AdamW decays the "
           "weights directly: theta <- theta*(1 - lr*weight_decay)",
           lambda *c: _adamw(*c, mode="l2")),
    Mutant("the learning rate is missing from the decay: use theta*(1 - lr*weight_decay), "
           "not theta*(1 - weight_decay)", lambda *c: _adamw(*c, mode="no_lr")),
    Mutant("off by one: pass this step's t to the Adam update unchanged, not t + 1",
           lambda *c: _adamw(*c, mode="next_t")),
    Mutant("eps was dropped: pass eps on to the Adam update, which divides by "
           "sqrt(v_hat) + eps", lambda *c: _adamw(*c, mode="no_eps")),
    Mutant("decay the weights before the Adam update, theta*(1 - lr*weight_decay), as "
           "torch.optim.AdamW does", lambda *c: _adamw(*c, mode="after")),
    Mutant("the weight decay is missing: theta <- theta*(1 - lr*weight_decay) before the "
           "Adam update", lambda *c: _adamw(*c, mode="none")),
    Mutant("the decay has the wrong sign: it shrinks the weights, theta*(1 - lr*weight_decay)",
           lambda *c: _adamw(*c, mode="flipped")),
    Mutant("missing bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) "
           "before the step", lambda *c: _adamw(*c, mode="no_correction")),
]


adamw_step = case_exercise(
    "adamw_step", seed=404, cases=lambda seed: _adam_cases(seed, weight_decay=True),
    by_hand=True, points=2, parse=_parser("adamw_step", ("theta_new", "m_new", "v_new")),
    arg_names=["theta", "grad", "m", "v"], reference=lambda *c: _adamw(*c),
    mutants=ADAMW_MUTANTS, same=same_arrays(RTOL, ATOL), labels=("theta_new", "m_new", "v_new"),
    generic="AdamW: theta <- theta*(1 - lr*weight_decay), then the Adam step with the "
            "plain gradient.",
    passed="PASS: adamw_step matches the reference on {n} random cases")
