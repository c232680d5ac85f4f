"""Checks for exercises/03_saddles: classifying critical points by the Hessian,
finding the escape step in a trajectory, and measuring GD's escape time from
the saddle L = x^2 - y^2."""
from __future__ import annotations

import numpy as np

from course_utils.checks._core import Mutant, as_int, case_exercise, fail, rng

KINDS = ("minimum", "maximum", "saddle", "degenerate")


# ---------------------------------------------------------------- classification


def _classify_values(values, tol):
    if np.any(values > tol) and np.any(values < -tol):
        return "saddle"
    if np.any(np.abs(values) <= tol):
        return "degenerate"
    return "minimum" if np.all(values > 0) else "maximum"


def _classify(hessian, tol=1e-8):
    return _classify_values(np.linalg.eigvalsh(hessian), tol)


def _by_determinant_2d(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if hessian[0, 0] > 0 else "maximum"


def _by_determinant_sign(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    return "minimum" if det > 0 else "saddle"


def _swapped(hessian, tol=1e-8):
    kind = _classify(hessian, tol)
    return {"minimum": "maximum", "maximum": "minimum"}.get(kind, kind)


def _no_degenerate(hessian, tol=1e-8):
    values = np.linalg.eigvalsh(hessian)
    if np.any(values > 0) and np.any(values < 0):
        return "saddle"
    return "minimum" if np.all(values >= 0) else "maximum"


def _degenerate_first(hessian, tol=1e-8):
    values = np.linalg.eigvalsh(hessian)
    if np.any(np.abs(values) <= tol):
        return "degenerate"
    return _classify_values(values, tol)


CLASSIFY_MUTANTS = [
    Mutant("you read the signs off the diagonal: off-diagonal terms matter, so use the "
           "eigenvalues (np.linalg.eigvalsh)",
           lambda h, tol=1e-8: _classify_values(np.diag(h), tol)),
    Mutant("the determinant test works only in 2-D: in higher dimensions use the signs "
           "of all eigenvalues", _by_determinant_2d),
    Mutant("a positive determinant does not make a minimum (a 2-D maximum has det > 0 "
           "too): use the signs of the eigenvalues", _by_determinant_sign),
    Mutant("minimum and maximum are swapped: all eigenvalues positive means the loss "
           "curves up in every direction, a minimum", _swapped),
    Mutant("a zero eigenvalue makes the test inconclusive: return 'degenerate' when no "
           "eigenvalue has the other sign and some |eigenvalue| <= tol", _no_degenerate),
    Mutant("eigenvalues of both signs already mean a saddle, even when another one is "
           "zero: test for mixed signs before testing for zeros", _degenerate_first),
]


def _rotated(r, values):
    d = len(values)
    q, _ = np.linalg.qr(r.normal(size=(d, d)))
    h = q @ np.diag(values) @ q.T
    return 0.5 * (h + h.T)


def _classify_cases(seed):
    r = rng(seed)
    hessians = [
        np.diag([2.0, 20.0]), np.diag([-2.0, -20.0]), np.diag([2.0, -2.0]),
        np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[-1.0, -2.0], [-2.0, -1.0]]),
        np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([[-3.0, 1.0], [1.0, -2.0]]),
        np.diag([2.0, 0.0]), np.diag([-3.0, 1e-12]), np.diag([-1.0, 0.0, 2.0]),
        np.diag([1.0, 2.0, -3.0]), np.diag([-1.0, -2.0, 3.0]),
        _rotated(r, [1.0, 2.0, 3.0]), _rotated(r, [-1.0, -2.0, -3.0]),
        _rotated(r, [-1.0, 2.0, 3.0]), _rotated(r, [1.0, -2.0, -3.0]),
        _rotated(r, [0.5, 4.0, 1.0, 2.0]), _rotated(r, [-0.5, -4.0, -1.0, -2.0]),
        _rotated(r, [0.5, -4.0, 1.0, 2.0, 3.0]), _rotated(r, [0.0, 1.0, 2.0]),
        _rotated(r, [2.0, 5.0]), _rotated(r, [-2.0, -5.0]), _rotated(r, [2.0, -5.0]),
    ]
    return [(h,) for h in hessians]


def _parse_kind(out, case):
    if not isinstance(out, str) or out not in KINDS:
        what = "None" if out is None else f"a {type(out).__name__}"
        if isinstance(out, str):
            what = "another string"
        fail(f"classify_critical_point returned {what}; return one of the strings "
             "'minimum', 'maximum', 'saddle' or 'degenerate' (lower case)")
    return out


classify_critical_point = case_exercise(
    "classify_critical_point", seed=301, cases=_classify_cases, by_hand=True,
    parse=_parse_kind, arg_names=["hessian"], reference=_classify, mutants=CLASSIFY_MUTANTS,
    same=lambda a, b: a == b,
    generic="Use the eigenvalues: mixed signs -> saddle; else any |eigenvalue| <= tol "
            "-> degenerate; all positive -> minimum; all negative -> maximum.",
    passed="PASS: classify_critical_point classifies all {n} Hessians correctly")


# ---------------------------------------------------------------- escape step


def _escape_step(xs, radius):
    outside = np.linalg.norm(xs, axis=-1) > radius
    return int(np.argmax(outside)) if outside.any() else -1


def _last_exit(xs, radius):
    outside = np.linalg.norm(xs, axis=-1) > radius
    if not outside.any():
        return -1
    inside_then_out = [k for k in range(len(xs)) if outside[k] and (k == 0 or not outside[k - 1])]
    return inside_then_out[-1]


ESCAPE_STEP_MUTANTS = [
    Mutant("off by one: xs[0] is step 0, so return the index k of the first point outside",
           lambda xs, r: _escape_step(xs, r) + 1 if _escape_step(xs, r) >= 0 else -1),
    Mutant("off by one: xs[0] is step 0, so return the index k of the first point outside",
           lambda xs, r: _escape_step(xs, r) - 1 if _escape_step(xs, r) >= 0 else -1),
    Mutant("use a strict '>': a point exactly on the circle (norm == radius) has not left yet",
           lambda xs, r: int(np.argmax(np.linalg.norm(xs, axis=-1) >= r))
           if (np.linalg.norm(xs, axis=-1) >= r).any() else -1),
    Mutant("measure the distance from the saddle with the norm of the whole position "
           "(np.linalg.norm), not one coordinate",
           lambda xs, r: int(np.argmax(np.abs(xs[:, -1]) > r)) if (np.abs(xs[:, -1]) > r).any() else -1),
    Mutant("return -1 when the trajectory never leaves the circle",
           lambda xs, r: _escape_step(xs, r) if _escape_step(xs, r) >= 0 else len(xs)),
    Mutant("return -1 when the trajectory never leaves the circle",
           lambda xs, r: _escape_step(xs, r) if _escape_step(xs, r) >= 0 else len(xs) - 1),
    Mutant("return the first step outside, not the last time the path left the circle",
           _last_exit),
]


def _saddle_path(start, lr, steps):
    """GD on x^2 - y^2: x shrinks by (1 - 2 lr), y grows by (1 + 2 lr) per step."""
    k = np.arange(steps + 1)[:, None]
    return np.asarray(start, dtype=float) * np.array([1 - 2 * lr, 1 + 2 * lr]) ** k


def _escape_cases(seed):
    r = rng(seed)
    cases = []
    for _ in range(14):
        start = [r.uniform(-0.9, 0.9), r.choice([-1, 1]) * 10.0 ** r.uniform(-6, -1)]
        cases.append((_saddle_path(start, float(r.uniform(0.02, 0.2)), 60), 1.0))
    cases.append((_saddle_path([0.5, 0.0], 0.1, 40), 1.0))                # never escapes
    cases.append((_saddle_path([0.5, 1e-9], 0.01, 30), 1.0))              # not yet
    cases.append((np.array([[0.0, 0.5], [0.0, 1.0], [0.0, 1.5], [0.0, 2.0]]), 1.0))
    cases.append((np.array([[0.0, 0.5], [0.0, 2.0], [0.0, 2.0], [0.0, 4.0]]), 2.0))
    cases.append((np.array([[1.2, 0.1], [0.6, 0.2], [0.3, 0.4], [0.1, 0.8], [0.0, 1.6]]), 1.0))
    cases.append((np.array([[0.8, 0.9], [0.6, 0.5], [0.3, 0.4], [0.1, 0.8], [0.0, 1.6]]), 1.0))
    cases.append((np.array([[0.1, 0.1], [0.5, 1.2], [0.2, 0.3], [0.1, 1.5]]), 1.0))
    cases.append((np.array([[0.1, 0.0, 0.2], [0.3, 0.0, 0.9], [0.9, 0.0, 0.9]]), 1.0))
    return cases


escape_step = case_exercise(
    "escape_step", seed=302, cases=_escape_cases, by_hand=True,
    parse=lambda out, case: as_int(out, "escape_step", "the step"), arg_names=["xs"],
    reference=_escape_step, mutants=ESCAPE_STEP_MUTANTS, same=lambda a, b: a == b,
    generic="Return the first index k with np.linalg.norm(xs[k]) > radius, or -1 if "
            "there is none.",
    passed="PASS: escape_step matches the reference on {n} trajectories")


# ---------------------------------------------------------------- escape time of GD


def _saddle_gradient(theta):
    return np.array([2 * theta[0], -2 * theta[1]])


def _escape_time(x0, lr, radius, max_steps, gradient=_saddle_gradient, sign=1.0,
                 check_last=True, offset=0, never=-1):
    theta = np.array(x0, dtype=float)
    for k in range(max_steps + 1):
        if not check_last and k == max_steps:
            break
        if np.linalg.norm(theta) > radius:
            return k + offset
        theta = theta - sign * lr * gradient(theta)
    return never if never != "max" else max_steps


ESCAPE_TIME_MUTANTS = [
    Mutant("looks like the sign is flipped: gradient descent is theta - lr * grad",
           lambda x0, lr, r, m: _escape_time(x0, lr, r, m, sign=-1.0)),
    Mutant("the gradient of x^2 - y^2 is (2x, -2y): with the right sign, descent pushes "
           "y away from the ridge", lambda x0, lr, r, m: _escape_time(
               x0, lr, r, m, gradient=lambda t: np.array([2 * t[0], 2 * t[1]]))),
    Mutant("off by one: return the number of steps taken, 0 if theta_0 is already outside",
           lambda x0, lr, r, m: _escape_time(x0, lr, r, m, offset=1)),
    Mutant("return -1 when the run does not escape within max_steps",
           lambda x0, lr, r, m: _escape_time(x0, lr, r, m, never="max")),
    Mutant("check the position after the last step too: the escape step may equal max_steps",
           lambda x0, lr, r, m: _escape_time(x0, lr, r, m, check_last=False)),
]


def _escape_time_cases(seed):
    r = rng(seed)
    cases = []
    for exponent in range(1, 9):
        lr = float(r.choice([0.01, 0.05, 0.1, 0.2]))
        cases.append((np.array([0.5, r.choice([-1, 1]) * 10.0 ** -exponent]), lr, 1.0, 2000))
    cases.append((np.array([0.9, -1e-3]), 0.1, 2.0, 2000))
    cases.append((np.array([1.5, 0.0]), 0.1, 1.0, 100))            # starts outside
    cases.append((np.array([0.5, 1e-6]), 0.05, 1.0, 20))           # runs out of steps
    hit = _escape_time(np.array([0.3, 1e-4]), 0.1, 1.0, 2000)
    cases.append((np.array([0.3, 1e-4]), 0.1, 1.0, hit))           # escapes on the last step
    cases.append((np.array([0.5, 0.0]), 0.1, 1.0, 300))            # on the ridge: never
    return cases


escape_time = case_exercise(
    "escape_time", seed=303, cases=_escape_time_cases, by_hand=True, points=2,
    parse=lambda out, case: as_int(out, "escape_time", "the step count"), arg_names=["x0"],
    reference=lambda *c: _escape_time(*c), mutants=ESCAPE_TIME_MUTANTS,
    same=lambda a, b: a == b,
    generic="Step theta <- theta - lr*(2x, -2y) and return the first k <= max_steps "
            "with ||theta_k|| > radius (0 if the start is outside), else -1.",
    passed="PASS: escape_time matches the reference on {n} starts")
