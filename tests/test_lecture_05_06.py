"""Unit tests for course_utils.torch_practice, the helpers behind lectures 05 and 06."""
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from course_utils import landscapes, run, torch_practice, training
from course_utils.optimizers import SGD


def test_optimizer_defaults_reads_torch_signatures_without_implementation_flags():
    assert torch_practice.optimizer_defaults(torch.optim.SGD) == {
        "lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False}
    adamw = torch_practice.optimizer_defaults(torch.optim.AdamW)
    assert adamw["betas"] == (0.9, 0.999) and adamw["weight_decay"] == 0.01
    assert not set(adamw) & set(torch_practice.IMPLEMENTATION_FLAGS)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam",
                                  "Adadelta", "Adamax"])
def test_numpy_optimizers_have_torch_hyperparameters_and_defaults(name):
    from course_utils import optimizers
    assert (torch_practice.optimizer_defaults(getattr(optimizers, name))
            == torch_practice.optimizer_defaults(getattr(torch.optim, name)))


def test_lr_schedule_records_the_lr_each_step_used_with_the_scheduler_after_the_step():
    lrs = torch_practice.lr_schedule(lambda opt: lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
                                     steps=4, lr=0.8)
    np.testing.assert_allclose(lrs, [0.8, 0.4, 0.2, 0.1])


def test_lr_schedule_steps_an_epoch_scheduler_once_per_epoch():
    lrs = torch_practice.lr_schedule(lambda opt: lr_scheduler.StepLR(opt, step_size=1, gamma=0.1),
                                     steps=6, lr=1.0, step_every=3)
    np.testing.assert_allclose(lrs, [1, 1, 1, 0.1, 0.1, 0.1])


def test_lr_schedule_one_cycle_peaks_at_max_lr():
    lrs = torch_practice.lr_schedule(
        lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=100), steps=100)
    assert lrs.max() == pytest.approx(0.1) and lrs[0] == pytest.approx(0.1 / 25)


def test_lr_schedule_rejects_bad_arguments():
    with pytest.raises(ValueError):
        torch_practice.lr_schedule(lambda opt: lr_scheduler.StepLR(opt, 1), steps=3, step_every=0)


def test_states_equal_compares_nested_state_dicts_bit_for_bit():
    model = training.make_mlp(0, sizes=(3, 4, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    twin = torch.optim.Adam(training.make_mlp(0, sizes=(3, 4, 2)).parameters(), lr=0.1)
    twin.load_state_dict(state)
    assert torch_practice.states_equal(state, twin.state_dict())
    assert torch_practice.states_equal(model.state_dict(), training.make_mlp(0, sizes=(3, 4, 2)).state_dict()) is False
    changed = twin.state_dict()
    changed["state"][0]["exp_avg"] = changed["state"][0]["exp_avg"] + 1e-30
    assert torch_practice.states_equal(state, changed) is False
    assert torch_practice.states_equal({"a": 1}, {"a": 1.0}) is False
    assert torch_practice.states_equal({"a": [1, 2]}, {"a": [1, 2], "b": 0}) is False


def test_trajectory_from_points_matches_the_runner_on_the_ravine():
    ravine = landscapes.ravine()
    reference = run(SGD(lr=0.05), ravine, [-5.0, 3.0], steps=20)
    points = list(reference.xs)
    traj = torch_practice.trajectory_from_points(points, ravine.value, ravine.grad, label="SGD")
    np.testing.assert_array_equal(traj.xs, reference.xs)
    np.testing.assert_array_equal(traj.losses, reference.losses)
    np.testing.assert_allclose(traj.grad_norms, reference.grad_norms)
    assert int(traj.diverged_at) == -1 and traj.label == "SGD"


def test_trajectory_from_points_marks_divergence_without_raising():
    ravine = landscapes.ravine()
    points = [np.array([1.0, 1.0]), np.array([2.0, 2.0]), np.array([np.inf, 0.0]), np.array([np.nan, 1.0])]
    traj = torch_practice.trajectory_from_points(points, ravine.value, ravine.grad)
    assert int(traj.diverged_at) == 2
    assert np.isnan(traj.losses[2:]).all() and len(traj.path()) == 2


def test_trajectory_from_points_accepts_torch_tensors_and_one_dimensional_problems():
    points = [torch.tensor([1.0]), torch.tensor([0.5])]
    traj = torch_practice.trajectory_from_points(points, lambda w: w[..., 0] ** 2,
                                                 lambda w: 2 * w, label="toy")
    np.testing.assert_allclose(traj.losses, [1.0, 0.25])
    with pytest.raises(ValueError):
        torch_practice.trajectory_from_points([], lambda w: w, lambda w: w)


def _tiny_histories():
    data = training.TensorData(torch.randn(64, 784, generator=torch.Generator().manual_seed(0)),
                               torch.arange(64) % 10, torch.randn(32, 784), torch.arange(32) % 10)
    return {name: training.train(lambda p, lr=lr: torch.optim.SGD(p, lr=lr), data, epochs=1,
                                 batch_size=16, seeds=(0, 1), name=name)
            for name, lr in [("SGD", 0.01), ("SGD (lr 0.1)", 0.1)]}


def test_run_viewer_redraws_when_the_choice_changes():
    viewer = torch_practice.RunViewer(_tiny_histories(), selected=("SGD",), smoothing=2)
    assert viewer.renders == 1 and viewer.image.value[:4] == b"\x89PNG"
    viewer.controls["runs"].value = ("SGD", "SGD (lr 0.1)")
    viewer.controls["smoothing"].value = 1
    assert viewer.renders == 3
    bundle = viewer._repr_mimebundle_()
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_run_viewer_rejects_unknown_runs():
    with pytest.raises(ValueError, match="unknown runs"):
        torch_practice.RunViewer(_tiny_histories(), selected=("Adam",))
