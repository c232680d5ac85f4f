"""run() records what happened, batches exactly, and never crashes on divergence."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import landscapes, run
from course_utils.optimizers import SGD, Adam, RMSprop
from course_utils.torch_bridge import run_torch

RAVINE = landscapes.ravine()
START = [-5.0, 3.0]


def test_trajectory_starts_at_x0_and_has_steps_plus_one_entries():
    traj = run(SGD(lr=0.05), RAVINE, START, steps=30)
    assert traj.xs.shape == (31, 2) and traj.losses.shape == (31,)
    np.testing.assert_array_equal(traj.xs[0], START)
    assert traj.losses[0] == 115.0
    assert traj.grad_norms[0] == pytest.approx(np.hypot(10, 60))
    assert not traj.diverged and traj.diverged_at == -1 and traj.label == "SGD"


def test_first_gd_step_follows_the_update_rule():
    traj = run(SGD(lr=0.05), RAVINE, START, steps=1)
    np.testing.assert_allclose(traj.xs[1], np.array(START) - 0.05 * np.array([-10.0, 60.0]))


def test_divergence_is_recorded_and_later_entries_are_nan():
    traj = run(SGD(lr=0.11), RAVINE, START, steps=500)
    k = int(traj.diverged_at)
    assert traj.diverged and 0 < k < 500
    assert np.isnan(traj.xs[k:]).all() and np.isfinite(traj.xs[:k]).all()
    assert traj.path().shape == (k, 2) and np.isfinite(traj.valid_losses()).all()
    # it ran away: the last finite loss is large and was growing
    assert traj.valid_losses()[-1] > 1e6


def test_batched_run_equals_separate_runs():
    lrs = np.array([0.01, 0.05, 0.09, 0.2])
    starts = np.array([[-5.0, 3.0], [1.0, 1.0], [2.0, -3.0]])
    batched = run(SGD(lr=lrs[:, None, None], momentum=0.5), RAVINE, starts, steps=100)
    assert batched.xs.shape == (101, 4, 3, 2)
    for i, lr in enumerate(lrs):
        for j, x0 in enumerate(starts):
            single = run(SGD(lr=lr, momentum=0.5), RAVINE, x0, steps=100)
            np.testing.assert_array_equal(batched.xs[:, i, j], single.xs)
            assert batched.diverged_at[i, j] == single.diverged_at
    assert batched.diverged[3].all() and not batched.diverged[:3].any()
    one = batched[3, 1]
    assert one.xs.shape == (101, 2) and one.diverged and one.label == batched.label
    np.testing.assert_array_equal(one.path(), batched.path((3, 1)))
    assert batched[2].batch_shape == (3,)


def test_noise_is_reproducible_with_a_seed_and_changes_the_path():
    a = run(SGD(lr=0.05), RAVINE, START, steps=50, noise=1.0, seed=3)
    b = run(SGD(lr=0.05), RAVINE, START, steps=50, noise=1.0, seed=3)
    c = run(SGD(lr=0.05), RAVINE, START, steps=50, noise=1.0, seed=4)
    clean = run(SGD(lr=0.05), RAVINE, START, steps=50)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.allclose(a.xs, c.xs) and not np.allclose(a.xs, clean.xs)


def test_steps_to_tolerance_is_the_first_step_that_stays_below():
    traj = run(SGD(lr=0.05), RAVINE, START, steps=400)
    k = int(traj.steps_to(1e-6))
    assert traj.losses[k] < 1e-6 <= traj.losses[k - 1]
    assert (traj.losses[k:] < 1e-6).all()
    assert run(SGD(lr=0.001), RAVINE, START, steps=10).steps_to(1e-6) == -1
    assert run(SGD(lr=0.11), RAVINE, START, steps=400).steps_to(1e-6) == -1


def test_saddle_runs_toward_minus_infinity_are_not_called_diverged_too_early():
    traj = run(SGD(lr=0.1), landscapes.saddle(), [1.0, 1e-3], steps=60)
    assert not traj.diverged and traj.final_loss < -1e3


@pytest.mark.parametrize("optimizer_class, kwargs", [
    (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (torch.optim.Adam, dict(lr=0.1)),
    (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
])
def test_torch_bridge_gives_the_same_trajectory_as_the_numpy_optimizers(optimizer_class, kwargs):
    from course_utils import optimizers

    numpy_opt = getattr(optimizers, optimizer_class.__name__)(**kwargs)
    ours = run(numpy_opt, RAVINE, START, steps=300)
    theirs = run_torch(optimizer_class, RAVINE, START, steps=300, **kwargs)
    assert np.max(np.abs(ours.xs - theirs.xs)) <= 1e-12
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=1e-10, atol=1e-14)


def test_torch_bridge_records_divergence_like_the_runner():
    ours = run(SGD(lr=0.12), RAVINE, START, steps=300)
    theirs = run_torch(torch.optim.SGD, RAVINE, START, steps=300, lr=0.12)
    assert ours.diverged_at == theirs.diverged_at > 0
    noisy_ours = run(Adam(lr=0.1), RAVINE, START, steps=50, noise=0.5, seed=1)
    noisy_theirs = run_torch(torch.optim.Adam, RAVINE, START, steps=50, noise=0.5, seed=1, lr=0.1)
    assert np.max(np.abs(noisy_ours.xs - noisy_theirs.xs)) <= 1e-12


@pytest.mark.parametrize("kwargs, message", [
    (dict(x0=[1.0, 2.0, 3.0]), r"shape \(\.\.\., 2\)"),
    (dict(x0=[np.nan, 1.0]), "NaN or inf"),
    (dict(steps=-1), "steps"),
    (dict(steps=2.5), "steps"),
    (dict(noise=-1.0), "noise"),
    (dict(noise=np.inf), "noise"),
])
def test_bad_run_arguments_raise_clear_errors(kwargs, message):
    arguments = dict(x0=START, steps=10) | kwargs
    with pytest.raises(ValueError, match=message):
        run(SGD(lr=0.1), RAVINE, **arguments)


class BrokenGradient:
    """A landscape whose gradient turns NaN or inf somewhere (a bad model)."""

    def __init__(self, bad_value):
        self.bad_value, self.dim, self.name = bad_value, 2, "broken"

    def value(self, x):
        return RAVINE.value(x)

    def grad(self, x):
        g = RAVINE.grad(x)
        return np.where(np.abs(x) < 1.0, self.bad_value, g)


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(1e-4, 1e12), momentum=st.floats(0.0, 0.999),
       bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       optimizer=st.sampled_from(["SGD", "Adam", "RMSprop"]))
def test_nan_inf_gradients_and_huge_lr_end_as_recorded_divergence_never_a_crash(
        lr, momentum, bad, optimizer):
    opt = {"SGD": lambda: SGD(lr=lr, momentum=momentum),
           "Adam": lambda: Adam(lr=lr, betas=(momentum, 0.999)),
           "RMSprop": lambda: RMSprop(lr=lr, momentum=momentum)}[optimizer]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(opt, BrokenGradient(bad), START, steps=200)
    assert np.isfinite(traj.path()).all() and np.isfinite(traj.valid_losses()).all()
    assert np.isfinite(traj.grad_norms[:traj.n_valid]).all()
    assert len(traj.path()) == traj.n_valid
    if traj.diverged:
        assert np.isnan(traj.xs[traj.diverged_at:]).all()
    else:
        assert np.isfinite(traj.xs).all()
