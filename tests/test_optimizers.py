"""The NumPy optimizers reproduce torch.optim (float64, foreach=False) to 1e-12
over 1000 steps, the textbook momentum forms relate to torch's SGD exactly as
their docstrings say, steps are pure, and array hyperparameters sweep grids.

The landscapes are defined here (not imported from course_utils.landscapes) so
that these tests depend on the optimizers alone; their gradients run on NumPy
arrays and torch tensors alike, and one test checks them against autograd.
Both optimizers get the gradient from the same NumPy code, so at identical
points they see bit-identical gradients and any difference is the optimizer's.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from course_utils import optimizers
from course_utils.optimizers import (SGD, Adam, AdamW, EMAMomentum, HeavyBall,
                                     NesterovLookahead, RMSprop)

STEPS = 1000
TOL = 1e-12


# -- landscapes: gradients that run on NumPy arrays and torch tensors alike ---

def _empty_like(x):
    return torch.empty_like(x) if torch.is_tensor(x) else np.empty_like(x)


def ravine_grad(x):  # theta1^2 + 10 theta2^2
    g = _empty_like(x)
    g[..., 0], g[..., 1] = 2 * x[..., 0], 20 * x[..., 1]
    return g


def rosenbrock_grad(x):  # (1 - a)^2 + 100 (b - a^2)^2
    a, b, g = x[..., 0], x[..., 1], _empty_like(x)
    g[..., 0], g[..., 1] = -2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)
    return g


_ANGLE = math.pi / 6  # Hessian R diag(1, 50) R^T, R a rotation by 30 degrees
_H11 = math.cos(_ANGLE) ** 2 + 50 * math.sin(_ANGLE) ** 2
_H12 = (1 - 50) * math.cos(_ANGLE) * math.sin(_ANGLE)
_H22 = math.sin(_ANGLE) ** 2 + 50 * math.cos(_ANGLE) ** 2


def rotated_grad(x):  # 0.5 x^T H x, condition number 50, axes rotated by 30 degrees
    a, b, g = x[..., 0], x[..., 1], _empty_like(x)
    g[..., 0], g[..., 1] = _H11 * a + _H12 * b, _H12 * a + _H22 * b
    return g


def batched_grad(x):  # sum_i c_i x_i^2 / 2 + x_i^4 / 40 on 4 starts x 3 coordinates
    g = _empty_like(x)
    for i, c in enumerate([1.0, 4.0, 16.0]):
        g[..., i] = x[..., i] * (c + 0.1 * x[..., i] * x[..., i])
    return g


LOSSES = {  # for checking the gradients above with autograd
    "ravine": lambda x: x[..., 0] ** 2 + 10 * x[..., 1] ** 2,
    "rosenbrock": lambda x: (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2,
    "rotated": lambda x: 0.5 * (_H11 * x[..., 0] ** 2 + 2 * _H12 * x[..., 0] * x[..., 1]
                                + _H22 * x[..., 1] ** 2),
    "batched": lambda x: (x * x * torch.tensor([1.0, 4.0, 16.0]) / 2 + x ** 4 / 40).sum(-1),
}

LANDSCAPES = {
    "ravine": (ravine_grad, np.array([-5.0, 3.0])),
    "rosenbrock": (rosenbrock_grad, np.array([-1.5, 2.0])),
    "rotated": (rotated_grad, np.array([4.0, -2.0])),
    "batched": (batched_grad, np.array([[1.0, -2.0, 0.5], [-1.0, 1.5, -0.3],
                                        [2.0, 0.2, 1.0], [-0.5, -1.0, -1.2]])),
}

# (class name, keyword arguments, lr on ravine, rosenbrock, rotated, batched).
# The lrs keep every run finite and moving. For the adaptive methods they also
# keep the gradient above ~1e-6 for all 1000 steps: once it falls far below
# eps, Adam-like steps turn unstable near the minimum and amplify 1-ulp
# differences (torch's kernels use fused multiply-adds) to visible size.
CASES = [
    ("SGD", {}, (0.04, 5e-4, 0.03, 0.05)),
    ("SGD", dict(momentum=0.9), (0.04, 2e-4, 0.03, 0.05)),
    ("SGD", dict(momentum=0.9, nesterov=True), (0.04, 2e-4, 0.01, 0.05)),
    ("SGD", dict(momentum=0.8, dampening=0.3, maximize=True), (0.04, 2e-4, 0.03, 0.05)),
    ("SGD", dict(momentum=0.5, weight_decay=0.1), (0.04, 2e-4, 0.03, 0.05)),
    ("Adagrad", {}, (0.5, 0.1, 0.5, 0.3)),
    ("Adagrad", dict(lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05,
                     maximize=True), (0.5, 0.1, 0.5, 0.3)),
    ("RMSprop", dict(centered=True), (0.005, 5e-4, 0.01, 0.002)),
    ("RMSprop", dict(momentum=0.5), (0.003, 1e-3, 0.01, 0.001)),
    ("RMSprop", dict(centered=True, momentum=0.5), (0.002, 1e-3, 0.01, 0.001)),
    ("RMSprop", dict(alpha=0.9, weight_decay=0.1, maximize=True), (0.005, 1e-3, 0.01, 0.003)),
    ("Adam", {}, (0.02, 0.01, 0.1, 0.01)),
    ("Adam", dict(amsgrad=True, maximize=True, eps=1e-3), (0.02, 0.01, 0.1, 0.01)),
    ("Adam", dict(weight_decay=0.1, betas=(0.8, 0.99)), (0.01, 0.01, 0.02, 0.003)),
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True), (0.01, 0.01, 0.05, 0.005)),
    ("AdamW", {}, (0.02, 0.01, 0.1, 0.01)),
    ("AdamW", dict(weight_decay=0.1, amsgrad=True), (0.02, 0.01, 0.05, 0.01)),
    ("NAdam", {}, (0.02, 0.01, 0.1, 0.01)),
    ("NAdam", dict(weight_decay=0.05, momentum_decay=0.01), (0.02, 0.01, 0.1, 0.01)),
    ("NAdam", dict(weight_decay=0.05, decoupled_weight_decay=True, maximize=True),
     (0.02, 0.01, 0.1, 0.01)),
    ("RAdam", {}, (0.03, 0.01, 0.1, 0.02)),
    ("RAdam", dict(betas=(0.9, 0.99), weight_decay=0.05), (0.005, 0.01, 0.1, 0.003)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True), (0.03, 0.01, 0.1, 0.01)),
    ("Adadelta", {}, (1.0, 0.2, 0.5, 1.0)),
    ("Adadelta", dict(rho=0.95, eps=1e-4, weight_decay=0.01, maximize=True),
     (0.3, 0.03, 0.1, 1.0)),
    ("Adamax", {}, (0.03, 0.01, 0.1, 0.01)),
    ("Adamax", dict(betas=(0.8, 0.99), weight_decay=0.01), (0.005, 0.005, 0.005, 0.001)),
]


def _case_id(case):
    name, kwargs, _ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _gradient_for(grad, kwargs):
    """maximize=True climbs: give it the gradient of -loss, so runs stay bounded."""
    return (lambda x: -grad(x)) if kwargs.get("maximize") else grad


def numpy_trajectory(opt, grad, x0, steps=STEPS, switch=None):
    """Positions x0, x1, ..., x_steps; switch=(k, new_opt) swaps optimizer after k steps."""
    xs, x, state = [np.broadcast_to(x0, opt.batch_shape(x0.shape))], x0, opt.init(x0)
    for k in range(steps):
        if switch and k == switch[0]:
            opt = switch[1]
        x, state = opt.step(x, grad(x), state)
        xs.append(x)
    return np.array(xs)


def torch_trajectories(cls, kwargs, problems, steps=STEPS, switch=None):
    """The same with torch.optim: float64 default dtype, single-tensor path.

    problems: (grad, x0, lr) triples, run side by side as separate parameter
    groups of one optimizer (independent, and one step() call per step).
    switch=(k, lr) sets every group's learning rate to lr after k steps.
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam's mu_product follows it
    try:
        ps = [torch.tensor(x0, dtype=torch.float64, requires_grad=True)
              for _, x0, _ in problems]
        for p in ps:
            p.grad = torch.zeros_like(p)
        groups = [{"params": [p], "lr": lr} for p, (_, _, lr) in zip(ps, problems)]
        opt = cls(groups, foreach=False, **kwargs)
        # NumPy views of the parameters and gradients (shared memory): torch's
        # single-tensor steps update parameters in place and never write to .grad.
        views = [(p.detach().numpy(), p.grad.numpy(), grad)
                 for p, (grad, _, _) in zip(ps, problems)]
        xs = [[x0] for _, x0, _ in problems]
        for k in range(steps):
            if switch and k == switch[0]:
                for group in opt.param_groups:
                    group["lr"] = switch[1]
            for x, g, grad in views:
                g[...] = grad(x)  # the same NumPy code gives the NumPy optimizer its g
            opt.step()
            for (x, _, _), path in zip(views, xs):
                path.append(x.copy())
    finally:
        torch.set_default_dtype(previous)
    return [np.array(path) for path in xs]


def torch_trajectory(cls, kwargs, grad, x0, steps=STEPS, switch=None):
    """One run: kwargs must hold lr."""
    kwargs = dict(kwargs)
    return torch_trajectories(cls, kwargs, [(grad, x0, kwargs.pop("lr"))], steps, switch)[0]


# -- every optimizer against torch.optim --------------------------------------

@pytest.mark.parametrize("landscape", list(LANDSCAPES))
def test_landscape_gradients_used_here_match_autograd(landscape):
    grad, x0 = LANDSCAPES[landscape]
    points = torch.tensor(x0 + np.random.default_rng(0).normal(size=(5,) + x0.shape),
                          requires_grad=True)
    LOSSES[landscape](points).sum().backward()
    np.testing.assert_allclose(grad(points.detach().numpy()), points.grad.numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(grad(points.detach()).numpy(),
                                  grad(points.detach().numpy()))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_numpy_optimizer_matches_torch_optim_over_1000_steps_on_three_landscapes(case):
    name, kwargs, lrs = case
    lrs = dict(zip(LANDSCAPES, lrs))
    landscapes = ["ravine", "rosenbrock", "batched"]  # the rotated one joins the textbook tests
    problems = [(_gradient_for(LANDSCAPES[k][0], kwargs), LANDSCAPES[k][1], lrs[k])
                for k in landscapes]
    theirs = torch_trajectories(getattr(torch.optim, name), kwargs, problems)
    for landscape, (grad, x0, lr), reference in zip(landscapes, problems, theirs):
        ours = numpy_trajectory(getattr(optimizers, name)(lr=lr, **kwargs), grad, x0)
        assert np.all(np.isfinite(reference)), f"{landscape}: pick an lr that stays finite"
        assert np.max(np.abs(reference[-1] - x0)) > 1e-2, f"{landscape}: pick an lr that moves"
        assert ours.shape == reference.shape
        assert np.max(np.abs(ours - reference)) <= TOL, landscape


# -- the textbook forms and torch's SGD ---------------------------------------

def _matches_torch_sgd_on_every_landscape(make_ours, sgd_kwargs, lrs,
                                          torch_lr=lambda lr: lr):
    """make_ours(lr) against torch.optim.SGD(lr=torch_lr(lr), **sgd_kwargs)."""
    problems = [(grad, x0, torch_lr(lr)) for (grad, x0), lr in zip(LANDSCAPES.values(), lrs)]
    theirs = torch_trajectories(torch.optim.SGD, sgd_kwargs, problems)
    for landscape, (grad, x0), lr, reference in zip(LANDSCAPES, LANDSCAPES.values(), lrs,
                                                     theirs):
        ours = numpy_trajectory(make_ours(lr), grad, x0)
        assert np.max(np.abs(ours - reference)) <= TOL, landscape


MOMENTUM_LRS, NESTEROV_LRS = CASES[1][2], CASES[2][2]


def test_heavy_ball_equals_torch_sgd_momentum_at_constant_lr():
    _matches_torch_sgd_on_every_landscape(lambda lr: HeavyBall(lr=lr, beta=0.9),
                                          dict(momentum=0.9), MOMENTUM_LRS)


def test_ema_momentum_equals_torch_sgd_with_lr_times_one_minus_beta():
    _matches_torch_sgd_on_every_landscape(lambda lr: EMAMomentum(lr=lr, beta=0.9),
                                          dict(momentum=0.9),
                                          [lr / (1 - 0.9) for lr in MOMENTUM_LRS],
                                          torch_lr=lambda lr: lr * (1 - 0.9))


def test_nesterov_lookahead_points_are_torch_sgd_nesterov_parameters():
    _matches_torch_sgd_on_every_landscape(lambda lr: NesterovLookahead(lr=lr, beta=0.9),
                                          dict(momentum=0.9, nesterov=True), NESTEROV_LRS)


def test_nesterov_lookahead_theta_follows_the_textbook_loop():
    grad, x0 = LANDSCAPES["ravine"]
    lr, beta, steps = 0.01, 0.9, 300
    theta, v, thetas, lookaheads = x0, np.zeros(2), [x0], [x0]
    for _ in range(steps):  # the formula as printed, gradient at theta + beta*v
        v = beta * v - lr * grad(theta + beta * v)
        theta = theta + v
        thetas.append(theta)
        lookaheads.append(theta + beta * v)
    opt = NesterovLookahead(lr=lr, beta=beta)
    x, state = x0, opt.init(x0)
    for _ in range(steps):
        x, state = opt.step(x, grad(x), state)
    xs = numpy_trajectory(opt, grad, x0, steps=steps)
    assert np.max(np.abs(xs - np.array(lookaheads))) <= TOL
    assert np.max(np.abs(opt.positions(xs) - np.array(thetas))) <= TOL
    assert np.max(np.abs(opt.position(x, state) - thetas[-1])) <= TOL
    assert np.max(np.abs(state["velocity"] - v)) <= TOL


def test_heavy_ball_and_torch_sgd_part_when_lr_changes_mid_run():
    grad, x0 = LANDSCAPES["ravine"]
    lr, new_lr, beta, k = 0.01, 0.003, 0.9, 20
    heavy = numpy_trajectory(HeavyBall(lr=lr, beta=beta), grad, x0, steps=100,
                             switch=(k, HeavyBall(lr=new_lr, beta=beta)))
    ours_sgd = numpy_trajectory(SGD(lr=lr, momentum=beta), grad, x0, steps=100,
                                switch=(k, SGD(lr=new_lr, momentum=beta)))
    torch_sgd = torch_trajectory(torch.optim.SGD, dict(lr=lr, momentum=beta), grad, x0,
                                 steps=100, switch=(k, new_lr))
    assert np.max(np.abs(heavy[:k + 1] - torch_sgd[:k + 1])) <= TOL  # same until the change
    assert np.max(np.abs(heavy[k + 1:] - torch_sgd[k + 1:])) > 0.1     # then they part
    assert np.max(np.abs(ours_sgd - torch_sgd)) <= TOL  # SGD + same state follows torch


def test_ema_momentum_is_not_sgd_with_dampening_beta():
    grad, x0 = LANDSCAPES["ravine"]
    lr, beta = 0.1, 0.9
    ema = numpy_trajectory(EMAMomentum(lr=lr, beta=beta), grad, x0, steps=100)
    damped = torch_trajectory(torch.optim.SGD, dict(lr=lr, momentum=beta, dampening=beta),
                              grad, x0, steps=100)
    assert np.max(np.abs(ema[1] - damped[1])) > 1.0  # torch's first buffer is g itself
    assert np.max(np.abs(ema - damped)) > 1.0


# -- purity: step() never writes into its inputs ------------------------------

ALL_SETTINGS = [getattr(optimizers, name)(lr=lrs[3], **kwargs) for name, kwargs, lrs in CASES]
ALL_SETTINGS += [HeavyBall(lr=0.01), EMAMomentum(lr=0.1), NesterovLookahead(lr=0.01)]


@pytest.mark.parametrize("opt", ALL_SETTINGS, ids=repr)
def test_step_leaves_x_g_and_state_untouched(opt):
    x = LANDSCAPES["batched"][1]
    state = opt.init(x)
    for _ in range(3):  # a state with non-trivial arrays
        x, state = opt.step(x, batched_grad(x), state)
    g = batched_grad(x)
    saved = copy.deepcopy((x, g, state))
    x1, state1 = opt.step(x, g, state)
    for before, after in zip(saved[:2], (x, g)):
        np.testing.assert_array_equal(before, after)
    assert state.keys() == saved[2].keys() and state["step"] == 3
    for key, value in saved[2].items():
        np.testing.assert_array_equal(value, state[key])
    assert state1 is not state and state1["step"] == 4
    outputs = [x1] + [v for v in state1.values() if isinstance(v, np.ndarray)]
    inputs = [x, g] + [v for v in state.values() if isinstance(v, np.ndarray)]
    assert not any(np.shares_memory(a, b) for a in outputs for b in inputs)


def test_first_momentum_buffer_is_a_copy_of_the_gradient():
    opt = SGD(lr=0.1, momentum=0.9)
    x, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    _, state = opt.step(x, g, opt.init(x))
    np.testing.assert_array_equal(state["momentum_buffer"], g)
    assert not np.shares_memory(state["momentum_buffer"], g)


# -- array hyperparameters ----------------------------------------------------

def _scalar_runs_equal_batched_run(make, lrs, steps=100):
    grad, x0 = LANDSCAPES["ravine"]
    batched = numpy_trajectory(make(np.asarray(lrs)[:, None]), grad, x0, steps)
    assert batched.shape == (steps + 1, len(lrs), 2)
    for i, lr in enumerate(lrs):
        single = numpy_trajectory(make(lr), grad, x0, steps)
        assert np.max(np.abs(batched[:, i] - single)) <= 1e-14, (i, lr)


@pytest.mark.parametrize("make", [
    lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True),
    lambda lr: optimizers.Adagrad(lr=lr * 20, lr_decay=0.01),
    lambda lr: RMSprop(lr=lr, centered=True, momentum=0.5),
    lambda lr: Adam(lr=lr * 10, amsgrad=True),
    lambda lr: AdamW(lr=lr * 10, weight_decay=0.1),
    lambda lr: optimizers.NAdam(lr=lr * 10),
    lambda lr: optimizers.RAdam(lr=lr * 10),
    lambda lr: optimizers.Adadelta(lr=lr * 50),
    lambda lr: optimizers.Adamax(lr=lr * 10),
    lambda lr: HeavyBall(lr=lr, beta=0.9),
    lambda lr: EMAMomentum(lr=lr * 10, beta=0.9),
    lambda lr: NesterovLookahead(lr=lr, beta=0.9),
], ids=lambda make: make(0.01).name)
def test_lr_column_of_five_gives_five_scalar_runs_row_by_row(make):
    _scalar_runs_equal_batched_run(make, [0.001, 0.003, 0.01, 0.02, 0.04])


def test_lr_by_momentum_grid_sweeps_every_pair_in_one_call():
    lrs, momenta = np.array([0.001, 0.01, 0.03]), np.array([0.0, 0.5, 0.9, 0.99])
    opt = SGD(lr=lrs[:, None, None], momentum=momenta[None, :, None])
    x0 = np.array([-5.0, 3.0])
    assert opt.batch_shape(x0.shape) == (3, 4, 2)
    assert all(v.shape == (3, 4, 2) for k, v in opt.init(x0).items() if k != "step")
    xs = numpy_trajectory(opt, ravine_grad, x0, steps=50)
    for i, lr in enumerate(lrs):
        for j, mu in enumerate(momenta):
            single = numpy_trajectory(SGD(lr=lr, momentum=mu), ravine_grad, x0, steps=50)
            assert np.max(np.abs(xs[:, i, j] - single)) <= 1e-14


def test_array_betas_sweep_like_scalar_betas():
    beta1 = np.array([0.0, 0.5, 0.9])[:, None]
    xs = numpy_trajectory(Adam(lr=0.1, betas=(beta1, 0.99)), ravine_grad,
                          np.array([-5.0, 3.0]), steps=100)
    for i, b in enumerate(beta1[:, 0]):
        single = numpy_trajectory(Adam(lr=0.1, betas=(b, 0.99)), ravine_grad,
                                  np.array([-5.0, 3.0]), steps=100)
        assert np.max(np.abs(xs[:, i] - single)) <= 1e-14


def test_zero_momentum_in_an_array_behaves_like_torch_without_a_buffer():
    grad, x0 = LANDSCAPES["ravine"]
    xs = numpy_trajectory(SGD(lr=0.02, momentum=np.array([[0.0], [0.5]]), dampening=0.5),
                          grad, x0, steps=50)
    theirs = torch_trajectory(torch.optim.SGD, dict(lr=0.02, momentum=0.0, dampening=0.5),
                              grad, x0, steps=50)
    assert np.max(np.abs(xs[:, 0] - theirs)) <= TOL


# -- the rest of the public contract ------------------------------------------

def test_names_tell_sgd_variants_apart():
    assert [SGD(lr=0.1).name, SGD(lr=0.1, momentum=0.9).name,
            SGD(lr=0.1, momentum=0.9, nesterov=True).name] == \
        ["SGD", "SGD+momentum", "SGD+Nesterov"]
    assert [Adam().name, AdamW().name, RMSprop().name] == ["Adam", "AdamW", "RMSprop"]


def test_defaults_and_parameter_names_are_torchs():
    import inspect
    for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam",
                 "Adadelta", "Adamax"]:
        ours = inspect.signature(getattr(optimizers, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        torch_only = {"params", "foreach", "capturable", "differentiable", "fused"}
        assert list(ours) == [p for p in theirs if p not in torch_only], name
        for p in ours:
            assert ours[p].default == theirs[p].default, (name, p)


def test_repr_lists_lr_and_the_arguments_that_differ_from_defaults():
    assert repr(Adam(lr=0.1, betas=(0.9, 0.99))) == "Adam(lr=0.1, betas=(0.9, 0.99))"
    assert repr(Adam(lr=0.1, betas=(0.9, 0.999))) == "Adam(lr=0.1)"
    assert repr(SGD(lr=0.1, momentum=0.9, nesterov=True)) == \
        "SGD(lr=0.1, momentum=0.9, nesterov=True)"
    assert "shape=(100, 1, 1)" in repr(SGD(lr=np.logspace(-3, 0, 100)[:, None, None]))


def test_hyperparameters_come_back_as_given_and_replace_changes_one():
    lr = np.array([0.1, 0.2])
    opt = Adam(lr=lr, betas=(0.8, 0.9))
    h = opt.hyperparameters()
    assert h["lr"] is lr and h["betas"] == (0.8, 0.9) and h["amsgrad"] is False
    assert opt.replace(lr=0.5).hyperparameters() == {**h, "lr": 0.5}
    with pytest.raises(AttributeError, match="replace"):
        opt.lr = 0.5


def test_init_gives_zero_arrays_and_a_step_count():
    state = optimizers.NAdam().init(np.zeros((4, 3)))
    assert state["step"] == 0 and isinstance(state["step"], int)
    assert state["exp_avg"].shape == (4, 3) and not state["exp_avg"].any()
    assert np.all(state["mu_product"] == 1.0)
    assert np.all(optimizers.Adagrad(initial_accumulator_value=0.3).init(np.zeros(2))["sum"]
                  == 0.3)
