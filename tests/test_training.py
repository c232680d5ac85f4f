"""course_utils.training: fair, deterministic, fast training and its reports.

Runs on small subsets of the real MNIST (from $MNIST_DIR, by default the
shared copy next to the repository); the whole file takes a few seconds.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.colors
import numpy as np
import pytest
import torch

from course_utils import training
from course_utils.data import load_mnist
from course_utils.style import color_for
from course_utils.training import Comparison, History, compare, make_mlp, train

_DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small matrices train fastest on one thread, and stay fast on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def mnist() -> training.TensorData:
    folder = os.environ.get("MNIST_DIR")
    if not folder and not _DEFAULT_MNIST.is_dir():
        pytest.skip(f"no MNIST at {_DEFAULT_MNIST}; set MNIST_DIR to run these tests")
    return training.prepare_data(load_mnist(folder or _DEFAULT_MNIST, download=False))


@pytest.fixture(scope="module")
def small(mnist) -> training.TensorData:
    return mnist.subset(train_size=2000, test_size=1000)


def sgd(lr=0.05, momentum=0.0):
    return lambda params: torch.optim.SGD(params, lr=lr, momentum=momentum)


def test_prepared_data_is_normalised_and_flat(mnist):
    assert mnist.x_train.shape == (60000, 784) and mnist.x_train.dtype == torch.float32
    assert mnist.y_train.dtype == torch.int64 and mnist.x_test.shape == (10000, 784)
    # Normalised with the training set's own statistics: mean ~0, std ~1.
    assert abs(float(mnist.x_train.mean())) < 1e-3
    assert abs(float(mnist.x_train.std()) - 1) < 1e-3
    assert float(mnist.x_train.min()) == pytest.approx(-training.MNIST_MEAN / training.MNIST_STD)


def test_make_mlp_same_seed_same_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a, b, c = make_mlp(0), make_mlp(0), make_mlp(1)
    assert torch.equal(torch.rand(3), expected_next)
    assert [tuple(p.shape) for p in a.parameters()] == [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a[0].weight, c[0].weight)


def test_every_optimizer_starts_from_the_same_weights(small):
    initial = {}

    def recording(name, make):
        def optimizer_fn(params):
            initial[name] = [p.detach().clone() for p in params]
            return make(params)
        return optimizer_fn

    compare({"SGD": recording("SGD", sgd()),
             "Adam": recording("Adam", lambda p: torch.optim.Adam(p, lr=1e-3))},
            small, epochs=1, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(initial["SGD"], initial["Adam"]))


class _RecordBatches(torch.nn.Module):
    """An MLP that remembers a fingerprint of every training batch it sees."""

    def __init__(self, seed, log, sizes=(784, 32, 10)):
        super().__init__()
        self.net, self.log = make_mlp(seed, sizes), log

    def forward(self, x):
        if self.training:
            self.log.append(float(x[:, 300:400].sum()))
        return self.net(x)


def test_every_optimizer_sees_the_same_batches_in_the_same_order(small):
    logs = {name: [] for name in ("SGD", "Adam", "small model", "seed 1")}
    for name, make, sizes, seed in [
        ("SGD", sgd(), (784, 32, 10), 0),
        ("Adam", lambda p: torch.optim.Adam(p), (784, 32, 10), 0),
        ("small model", sgd(), (784, 8, 8, 10), 0),  # init uses other random numbers
        ("seed 1", sgd(), (784, 32, 10), 1),
    ]:
        train(lambda s, sizes=sizes, log=logs[name]: _RecordBatches(s, log, sizes), make, small,
              epochs=2, batch_size=100, seed=seed, progress=False)
    assert len(logs["SGD"]) == 40
    assert logs["SGD"] == logs["Adam"] == logs["small model"]
    assert logs["SGD"] != logs["seed 1"]
    assert logs["SGD"][:20] != logs["SGD"][20:]  # reshuffled every epoch


def test_same_config_twice_gives_the_same_history(small):
    runs = [train(make_mlp, sgd(0.05, 0.9), small, epochs=1, seed=3, progress=False) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].step_losses, runs[1].step_losses)
    assert runs[0].epoch_test_accuracy == runs[1].epoch_test_accuracy
    assert runs[0].epoch_train_loss == runs[1].epoch_train_loss
    assert len(runs[0].step_losses) == len(runs[0].step_times) == len(runs[0].lrs) == 16  # ceil(2000 / 128)


def test_sgd_momentum_learns_mnist_in_two_epochs_on_5000_samples(mnist):
    history = train(make_mlp, sgd(0.05, 0.9), mnist.subset(5000), epochs=2, progress=False)
    # Measured 0.884 to 0.915 over seeds 0..7 (1 epoch: 0.76 to 0.88, too noisy).
    assert history.final_test_accuracy > 0.85
    assert history.step_losses[-20:].mean() < 0.5 * history.step_losses[:5].mean()
    assert history.epoch_times[0] > 0 and history.wall_time >= history.epoch_times[0]


def test_divergence_is_recorded_and_stops_training_without_exception(small):
    history = train(make_mlp, sgd(lr=1e6), small, epochs=3, progress=False, name="SGD")
    assert history.diverged and history.diverged_at_step is not None
    assert history.diverged_at_step < 16  # within the first epoch of 16 steps
    assert len(history.step_losses) == len(history.lrs) == len(history.step_times) == history.diverged_at_step
    assert np.isfinite(history.step_losses).all()
    assert history.epoch_test_accuracy == [] and math.isnan(history.final_test_accuracy)
    comparison = Comparison({"SGD": history})
    assert "diverged (step" in comparison.table()
    fig = comparison.plot()
    for ax in fig.axes:
        for line in ax.get_lines():
            assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()


def test_onecycle_scheduler_is_stepped_once_per_batch(small):
    epochs, steps = 2, 16

    def one_cycle(optimizer, total_steps):
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=total_steps)

    history = train(make_mlp, sgd(0.1, 0.9), small, epochs=epochs, scheduler_fn=one_cycle, progress=False)
    assert len(history.lrs) == epochs * steps
    reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = one_cycle(reference, epochs * steps)
    expected = []
    for _ in range(epochs * steps):
        expected.append(reference.param_groups[0]["lr"])
        reference.step()
        scheduler.step()
    np.testing.assert_allclose(history.lrs, expected, rtol=1e-12)
    assert history.lrs.argmax() not in (0, len(history.lrs) - 1)  # warm up, then anneal


def test_epoch_scheduler_changes_lr_between_epochs_only(small):
    history = train(make_mlp, sgd(0.1), small, epochs=3, scheduler_interval="epoch",
                    scheduler_fn=lambda opt, n: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
                    progress=False)
    np.testing.assert_allclose(history.lrs, np.repeat([0.1, 0.05, 0.025], 16))


def test_gradient_clipping_changes_the_run(small):
    plain = train(make_mlp, sgd(0.05), small, epochs=1, progress=False)
    clipped = train(make_mlp, sgd(0.05), small, epochs=1, clip_grad_norm=1e-3, progress=False)
    assert plain.step_losses[0] == clipped.step_losses[0]  # same start
    assert clipped.step_losses[-5:].mean() > plain.step_losses[-5:].mean()  # tiny steps learn slower


def test_module_passed_to_compare_is_copied_for_each_run(small):
    model = make_mlp(7, (784, 16, 10))
    before = [p.detach().clone() for p in model.parameters()]
    result = compare({"SGD": sgd(), "SGD+momentum": sgd(0.05, 0.9)}, small, model=model, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters()))
    assert result["SGD"].step_losses[0] == result["SGD+momentum"].step_losses[0]


def test_a_config_can_bring_its_own_scheduler(small):
    result = compare({
        "AdamW": lambda p: torch.optim.AdamW(p, lr=1e-3),
        "AdamW + cosine": {"optimizer": lambda p: torch.optim.AdamW(p, lr=1e-3),
                           "scheduler": lambda opt, n: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n)},
    }, small, epochs=1, progress=False)
    assert set(result["AdamW"].lrs) == {1e-3}
    assert result["AdamW + cosine"].lrs[0] == 1e-3 and result["AdamW + cosine"].lrs[-1] < 1e-4
    with pytest.raises(ValueError, match="needs 'optimizer'"):
        compare({"typo": {"optimiser": sgd()}}, small, progress=False)


def _history(name, train_loss, accuracy, seconds, diverged_at=None):
    return History(name=name, step_losses=np.array([2.3, train_loss]), step_times=np.array([0.5, seconds]),
                   lrs=np.array([0.1, 0.1]), epoch_train_loss=[] if diverged_at else [train_loss],
                   epoch_test_accuracy=[] if diverged_at else [accuracy],
                   epoch_times=[] if diverged_at else [seconds], diverged_at_step=diverged_at)


def test_table_is_plain_aligned_text_and_can_hide_time():
    comparison = Comparison({
        "SGD": _history("SGD", 0.31234, 0.91, 12.345),
        "SGD+momentum": _history("SGD+momentum", 0.081, 0.97456, 13.0),
        "Adam (lr=1)": _history("Adam (lr=1)", 0, 0, 0.25, diverged_at=1),
    })
    assert comparison.table() == (
        "optimizer            train loss  test acc %  seconds\n"
        "------------  -----------------  ----------  -------\n"
        "SGD                      0.3123       91.00     12.3\n"
        "SGD+momentum             0.0810       97.46     13.0\n"
        "Adam (lr=1)   diverged (step 1)           -      0.2")
    assert comparison.table(show_time=False) == (
        "optimizer            train loss  test acc %\n"
        "------------  -----------------  ----------\n"
        "SGD                      0.3123       91.00\n"
        "SGD+momentum             0.0810       97.46\n"
        "Adam (lr=1)   diverged (step 1)           -")


def test_plot_has_three_labelled_axes_and_one_line_per_optimizer_in_its_colour(small):
    configs = {"SGD": sgd(), "SGD+momentum": sgd(0.05, 0.9),
               "Adam": lambda p: torch.optim.Adam(p, lr=1e-3)}
    comparison = compare(configs, small, epochs=2, progress=False)
    fig = comparison.plot(smoothing=5)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == list(configs)
        for line, name in zip(lines, configs):
            assert matplotlib.colors.to_hex(line.get_color()) == color_for(name).lower()
    assert fig.axes[0].get_yscale() == "log"
    assert list(fig.axes[2].get_lines()[0].get_xdata()) == [1, 2]
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(),
                               training.moving_average(comparison["SGD"].step_losses, 5))


def test_moving_average_is_centred_and_starts_at_the_first_loss():
    np.testing.assert_allclose(training.moving_average([1, 5, 2, 8, 3], 3), [1, 8 / 3, 5, 13 / 3, 11 / 2])
    np.testing.assert_allclose(training.moving_average([1, 5, 2, 8, 3], 5), [1, 8 / 3, 19 / 5, 18 / 4, 13 / 3])
    np.testing.assert_allclose(training.moving_average([1, 5, 2, 8, 3], 50), [1, 8 / 3, 19 / 5, 19 / 5, 19 / 5])
    np.testing.assert_allclose(training.moving_average([4.0, 2.0], 1), [4, 2])
    assert training.moving_average([], 50).shape == (0,)
