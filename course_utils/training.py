"""Fast, fair CPU training of small models on MNIST, and optimizer comparisons.

Introduced in notebook 06.

    import torch
    from course_utils import data, training
    mnist = training.prepare_data(data.load_mnist())
    comparison = training.compare({
        "SGD": lambda p: torch.optim.SGD(p, lr=0.01),
        "SGD+momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "Adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    }, mnist, epochs=3)
    print(comparison.table())
    comparison.plot()

Fair means: every run starts from the same initial weights (the model is built
from `seed`) and sees the same minibatches in the same order (a separate
generator seeded with `seed` shuffles the data), so the optimizer is the only
difference. Fast means: the whole data set lives in two tensors, already
normalised and flattened; a minibatch is one `index_select`, with no per-sample
Dataset/DataLoader work (benchmarks/mnist_epoch.py measures the difference).
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn

from course_utils.style import color_for

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "Comparison",
    "History",
    "TensorData",
    "accuracy",
    "compare",
    "make_mlp",
    "moving_average",
    "prepare_data",
    "train",
]

# Mean and standard deviation of MNIST training pixels scaled to [0, 1].
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

OptimizerFn = Callable[[Sequence[torch.Tensor]], torch.optim.Optimizer]
SchedulerFn = Callable[[torch.optim.Optimizer, int], object]
ModelFn = Callable[[int], nn.Module]

# How often (in steps) the loss is checked for divergence and the progress bar
# updated: reading a loss costs little, but not nothing, on every step.
_CHECK_EVERY = 50


# ----------------------------------------------------------------------- data

@dataclass(frozen=True)
class TensorData:
    """MNIST ready for training: normalised float32 images flattened to 784.

    Attributes:
        x_train, x_test: float32 tensors (N, 784), (pixel / 255 - MNIST_MEAN) / MNIST_STD.
        y_train, y_test: int64 tensors (N,), digits 0..9.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def subset(self, train_size: int | None = None, test_size: int | None = None) -> "TensorData":
        """The first `train_size` training and `test_size` test samples (None: all)."""
        return TensorData(self.x_train[:train_size], self.y_train[:train_size],
                          self.x_test[:test_size], self.y_test[:test_size])

    def __repr__(self) -> str:
        return f"TensorData(train={len(self.y_train)}, test={len(self.y_test)}, features={self.x_train.shape[1]})"


def _normalise(images) -> torch.Tensor:
    pixels = torch.as_tensor(np.asarray(images)).reshape(len(images), -1)
    # In place: the same numbers as (x / 255 - mean) / std, without 3 temporaries.
    return pixels.to(torch.float32, copy=True).div_(255.0).sub_(MNIST_MEAN).div_(MNIST_STD).contiguous()


def prepare_data(mnist, train_size: int | None = None, test_size: int | None = None) -> TensorData:
    """Convert `load_mnist()`'s uint8 arrays once into training tensors.

    Args:
        mnist: (x_train, y_train, x_test, y_test) as returned by `data.load_mnist`.
        train_size, test_size: keep only the first samples (None: all).
    """
    if isinstance(mnist, TensorData):
        return mnist.subset(train_size, test_size)
    x_train, y_train, x_test, y_test = mnist
    return TensorData(
        _normalise(x_train[:train_size]),
        torch.as_tensor(np.asarray(y_train[:train_size]), dtype=torch.int64),
        _normalise(x_test[:test_size]),
        torch.as_tensor(np.asarray(y_test[:test_size]), dtype=torch.int64),
    )


# ---------------------------------------------------------------------- model

def make_mlp(seed: int = 0, sizes: Sequence[int] = (784, 256, 128, 10)) -> nn.Sequential:
    """A fully connected network with ReLU between layers; same seed, same weights.

    The global torch random state is left as it was (the seed is applied inside
    `torch.random.fork_rng`), so building a model never shifts other randomness.
    """
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 10_000) -> float:
    """Fraction of samples whose highest logit is the label (no_grad, eval mode, then restored)."""
    return _evaluate(model, x, y, batch_size)[1]


# -------------------------------------------------------------------- history

@dataclass
class History:
    """Everything recorded while training one model with one optimizer.

    Attributes:
        name: label used in tables and legends (its colour: style.color_for(name)).
        step_losses: minibatch training loss of every completed step (float64).
        step_times: training seconds at the end of every step, evaluation excluded.
        lrs: learning rate of the first parameter group used at every step.
        epoch_train_loss: mean minibatch loss over each completed epoch.
        epoch_test_loss, epoch_test_accuracy: on the test set after each epoch
            (accuracy as a fraction, 0.98 = 98%).
        epoch_times: training seconds of each epoch, evaluation excluded.
        wall_time: seconds of the whole call, evaluation included.
        diverged_at_step: index of the first step whose loss was not finite;
            training stopped there and nothing from that step on is recorded.
    """

    name: str
    step_losses: np.ndarray
    step_times: np.ndarray
    lrs: np.ndarray
    epoch_train_loss: list[float] = field(default_factory=list)
    epoch_test_loss: list[float] = field(default_factory=list)
    epoch_test_accuracy: list[float] = field(default_factory=list)
    epoch_times: list[float] = field(default_factory=list)
    wall_time: float = 0.0
    steps_per_epoch: int = 0
    batch_size: int = 0
    diverged_at_step: int | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_at_step is not None

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch; nan if the run diverged."""
        if self.diverged or not self.epoch_test_accuracy:
            return math.nan
        return self.epoch_test_accuracy[-1]

    @property
    def final_train_loss(self) -> float:
        """Mean minibatch loss of the last epoch; nan if the run diverged."""
        if self.diverged or not self.epoch_train_loss:
            return math.nan
        return self.epoch_train_loss[-1]

    @property
    def training_time(self) -> float:
        """Seconds spent in training steps, evaluation excluded."""
        return float(sum(self.epoch_times)) if not self.diverged else float(self.step_times[-1] if len(self.step_times) else 0.0)

    def __repr__(self) -> str:
        status = (f"diverged at step {self.diverged_at_step}" if self.diverged else
                  f"train loss {self.final_train_loss:.4f}, test accuracy {100 * self.final_test_accuracy:.2f}%")
        return f"History({self.name!r}: {len(self.epoch_times)} epochs, {len(self.step_losses)} steps, {status})"


# ------------------------------------------------------------------- training

def _build_model(model: nn.Module | ModelFn, seed: int) -> nn.Module:
    return model if isinstance(model, nn.Module) else model(seed)


def train(model: nn.Module | ModelFn, optimizer_fn: OptimizerFn, data, epochs: int = 1, *,
          batch_size: int = 128, seed: int = 0, scheduler_fn: SchedulerFn | None = None,
          scheduler_interval: str = "step", clip_grad_norm: float | None = None,
          progress: bool = True, name: str | None = None, eval_batch_size: int = 10_000,
          ) -> History:
    """Train a classifier with minibatch SGD-style optimization and record a History.

    One step: zero_grad(set_to_none=True), forward, cross-entropy loss,
    backward, optional gradient-norm clipping, optimizer.step(), then
    scheduler.step() if the scheduler runs per step. After each epoch the test
    accuracy is measured (no_grad, large batches) and, for a per-epoch
    scheduler, scheduler.step() is called.

    Args:
        model: an nn.Module (trained in place) or a function seed -> nn.Module,
            e.g. `make_mlp`; it receives (N, 784) normalised images.
        optimizer_fn: parameters -> torch.optim.Optimizer,
            e.g. `lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)`.
        data: a TensorData (see `prepare_data`) or load_mnist()'s four arrays.
        epochs: passes over the training set.
        batch_size: samples per step; the last, smaller batch of an epoch is kept.
        seed: builds the model (when `model` is a function) and, through its own
            generator, shuffles the batches; so a seed fixes both, independently.
        scheduler_fn: (optimizer, total_steps) -> scheduler, where total_steps is
            how many times scheduler.step() will be called (steps or epochs, by
            `scheduler_interval`), e.g. `lambda opt, n: OneCycleLR(opt, 0.1, total_steps=n)`.
        scheduler_interval: 'step' (after every minibatch) or 'epoch'.
        clip_grad_norm: clip the global gradient norm to this value (None: off).
        progress: show a tqdm progress bar (stderr / notebook widget).
        name: label for tables and plots (default: the optimizer's class name).
        eval_batch_size: samples per forward pass when measuring test accuracy.

    Returns:
        History. A non-finite loss stops training without an exception; the
        History then has `diverged_at_step` set and no non-finite values.
    """
    if scheduler_interval not in ("step", "epoch"):
        raise ValueError(f"scheduler_interval must be 'step' or 'epoch', not {scheduler_interval!r}")
    data = prepare_data(data)
    x, y = data.x_train, data.y_train
    n = len(y)
    if n == 0 or batch_size < 1:
        raise ValueError(f"need training samples and batch_size >= 1 (got {n} samples, batch_size {batch_size})")
    steps_per_epoch = math.ceil(n / batch_size)

    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # for randomness inside the model (e.g. dropout)
        net = _build_model(model, seed)
        net.train()
        params = [p for p in net.parameters() if p.requires_grad]
        optimizer = optimizer_fn(params)
        name = name or type(optimizer).__name__
        total = epochs * steps_per_epoch if scheduler_interval == "step" else epochs
        scheduler = scheduler_fn(optimizer, total) if scheduler_fn is not None else None
        batch_order = torch.Generator().manual_seed(seed)

        history = History(name=name, step_losses=np.empty(0), step_times=np.empty(0),
                          lrs=np.empty(0), steps_per_epoch=steps_per_epoch, batch_size=batch_size)
        losses: list[float] = []
        times: list[float] = []
        lrs: list[float] = []
        bar = _progress_bar(progress, epochs * steps_per_epoch, name)
        postfix: dict[str, str] = {}
        train_seconds = 0.0
        try:
            for _ in range(epochs):
                epoch_start = time.perf_counter()
                order = torch.randperm(n, generator=batch_order)
                pending: list[torch.Tensor] = []  # losses not yet read back as floats
                for i in range(steps_per_epoch):
                    index = order[i * batch_size:(i + 1) * batch_size]
                    optimizer.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(net(x.index_select(0, index)), y.index_select(0, index))
                    loss.backward()
                    if clip_grad_norm is not None:
                        nn.utils.clip_grad_norm_(params, clip_grad_norm)
                    lr = optimizer.param_groups[0]["lr"]
                    lrs.append(float(lr) if isinstance(lr, torch.Tensor) else lr)
                    optimizer.step()
                    if scheduler is not None and scheduler_interval == "step":
                        scheduler.step()
                    pending.append(loss.detach())
                    times.append(train_seconds + time.perf_counter() - epoch_start)
                    if len(pending) == _CHECK_EVERY or i == steps_per_epoch - 1:
                        chunk = torch.stack(pending).tolist()
                        pending.clear()
                        bad = next((j for j, value in enumerate(chunk) if not math.isfinite(value)), None)
                        if bad is not None:
                            losses.extend(chunk[:bad])
                            history.diverged_at_step = len(losses)
                            break
                        losses.extend(chunk)
                        bar.update(len(chunk))
                        postfix["loss"] = f"{chunk[-1]:.4f}"
                        bar.set_postfix(postfix, refresh=False)
                if history.diverged:
                    bar.set_postfix(diverged=f"at step {history.diverged_at_step}")
                    break
                epoch_seconds = time.perf_counter() - epoch_start
                train_seconds += epoch_seconds
                history.epoch_times.append(epoch_seconds)
                epoch_losses = np.asarray(losses[-steps_per_epoch:])
                sizes = np.full(steps_per_epoch, batch_size)
                sizes[-1] = n - batch_size * (steps_per_epoch - 1)
                history.epoch_train_loss.append(float(epoch_losses @ sizes / n))
                test_loss, test_accuracy = _evaluate(net, data.x_test, data.y_test, eval_batch_size)
                history.epoch_test_loss.append(test_loss)
                history.epoch_test_accuracy.append(test_accuracy)
                postfix["test_acc"] = f"{100 * test_accuracy:.2f}%"
                bar.set_postfix(postfix)
                if scheduler is not None and scheduler_interval == "epoch":
                    scheduler.step()
        finally:
            bar.close()

    kept = len(losses)
    history.step_losses = np.asarray(losses, dtype=np.float64)
    history.step_times = np.asarray(times[:kept], dtype=np.float64)
    history.lrs = np.asarray([float(lr) for lr in lrs[:kept]], dtype=np.float64)
    history.wall_time = time.perf_counter() - start
    return history


@torch.no_grad()
def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, in large batches without autograd."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(y), batch_size):
        logits = model(x[i:i + batch_size])
        loss_sum += float(F.cross_entropy(logits, y[i:i + batch_size], reduction="sum"))
        correct += int((logits.argmax(1) == y[i:i + batch_size]).sum())
    model.train(was_training)
    count = max(len(y), 1)
    return loss_sum / count, correct / count


class _NoBar:
    def update(self, *args, **kwargs):
        pass

    set_postfix = close = update


def _progress_bar(show: bool, total: int, name: str):
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=name, unit="step", leave=True)


# ----------------------------------------------------------------- comparison

ConfigValue = Union[OptimizerFn, Mapping[str, object]]
_CONFIG_KEYS = {"optimizer", "scheduler", "scheduler_interval", "clip_grad_norm", "batch_size"}


def compare(configs: Mapping[str, ConfigValue], data, epochs: int = 1, *,
            model: nn.Module | ModelFn = make_mlp, batch_size: int = 128, seed: int = 0,
            scheduler_fn: SchedulerFn | None = None, scheduler_interval: str = "step",
            clip_grad_norm: float | None = None, progress: bool = True,
            eval_batch_size: int = 10_000) -> "Comparison":
    """Train the same model from the same weights on the same batches, once per optimizer.

    Args:
        configs: name -> optimizer_fn (parameters -> optimizer), or name -> a dict
            with key 'optimizer' and optionally 'scheduler', 'scheduler_interval',
            'clip_grad_norm', 'batch_size' overriding the shared arguments below
            (e.g. a constant-lr run next to a OneCycle run).
        data: TensorData or load_mnist()'s four arrays (converted once here).
        epochs, batch_size, seed, scheduler_fn, scheduler_interval,
        clip_grad_norm, progress, eval_batch_size: as in `train`.
        model: a function seed -> nn.Module (default `make_mlp`), or an
            nn.Module whose current weights every run starts from (deep-copied).

    Returns:
        Comparison, with `.histories`, `.table()` and `.plot()`.
    """
    data = prepare_data(data)
    histories = {}
    for name, config in configs.items():
        settings = dict(scheduler=scheduler_fn, scheduler_interval=scheduler_interval,
                        clip_grad_norm=clip_grad_norm, batch_size=batch_size)
        if isinstance(config, Mapping):
            unknown = set(config) - _CONFIG_KEYS
            if unknown or "optimizer" not in config:
                raise ValueError(f"config {name!r}: needs 'optimizer', may have "
                                 f"{sorted(_CONFIG_KEYS - {'optimizer'})}; got {sorted(config)}")
            settings.update(config)
        else:
            settings["optimizer"] = config
        start_model = copy.deepcopy(model) if isinstance(model, nn.Module) else model
        histories[name] = train(
            start_model, settings["optimizer"], data, epochs, batch_size=settings["batch_size"],
            seed=seed, scheduler_fn=settings["scheduler"],
            scheduler_interval=settings["scheduler_interval"],
            clip_grad_norm=settings["clip_grad_norm"], progress=progress, name=name,
            eval_batch_size=eval_batch_size)
    return Comparison(histories)


def moving_average(values, window: int) -> np.ndarray:
    """Moving average over about `window` steps, centred where the data allow.

    With h = window // 2, entry k is the mean of values[k - h : k + h + 1], the
    2h + 1 steps centred on k. Near the start the window narrows symmetrically
    (entry 0 is the raw first loss, so every curve starts at the true initial
    loss); near the end it is cut at the last step (the last entry is the mean
    of the last h + 1 losses, not one noisy minibatch). Centred, the curves
    have no lag; a trailing mean would draw every optimizer about h steps late.
    """
    values = np.asarray(values, dtype=np.float64)
    n, h = len(values), window // 2
    if n == 0 or h == 0:
        return values.copy()
    sums = np.concatenate([[0.0], np.cumsum(values)])
    k = np.arange(n)
    lo = np.maximum(k - h, 0)
    hi = np.minimum(np.where(k < h, 2 * k + 1, k + h + 1), n)
    return (sums[hi] - sums[lo]) / (hi - lo)


@dataclass
class Comparison:
    """Histories of several runs, by name, with a result table and a figure."""

    histories: dict[str, History]

    def __getitem__(self, name: str) -> History:
        return self.histories[name]

    def __repr__(self) -> str:
        return f"Comparison({', '.join(self.histories)})"

    def table(self, show_time: bool = True) -> str:
        """Plain-text table: name, final train loss, test accuracy %, and seconds.

        Rows keep the order of the configs. Train loss is the mean minibatch
        loss of the last epoch (4 decimals), accuracy in percent (2 decimals),
        seconds the training time without evaluation (1 decimal). With
        show_time=False the seconds column is left out, so the text depends
        only on the numbers the runs computed (safe for stored notebook outputs).
        """
        header = ["optimizer", "train loss", "test acc %"] + (["seconds"] if show_time else [])
        rows = []
        for name, h in self.histories.items():
            if h.diverged:
                row = [name, f"diverged (step {h.diverged_at_step})", "-"]
            else:
                row = [name, f"{h.final_train_loss:.4f}", f"{100 * h.final_test_accuracy:.2f}"]
            if show_time:
                row.append(f"{h.training_time:.1f}")
            rows.append(row)
        widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]

        def line(cells):
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])

    def plot(self, smoothing: int = 50, figsize: tuple[float, float] = (18, 6.5)) -> Figure:
        """Three panels: train loss vs step, train loss vs seconds, test accuracy per epoch.

        Losses are smoothed with `moving_average(losses, smoothing)` (mean
        over about `smoothing` steps centred on each step; 1 = raw) and drawn
        on a log scale. Wall
        clock counts training only, not the per-epoch evaluation. A run that
        diverged ends where its last finite loss was, marked with an x.
        Returns a matplotlib Figure (not registered with pyplot; display it
        by leaving it as a cell's last expression, or fig.savefig).
        """
        fig = Figure(figsize=figsize, layout="constrained")
        ax_step, ax_time, ax_acc = fig.subplots(1, 3)
        styles = ["-", "--", ":", "-."]
        seen: dict[str, int] = {}
        curves = {name: moving_average(h.step_losses, smoothing) for name, h in self.histories.items()}
        # A diverging run would stretch the log axis to 1e30; stop the axis a
        # little above the largest starting loss and mark where runs blew up.
        starts = [c[0] for c in curves.values() if len(c)]
        top = 2.0 * max(starts) if starts else None
        lows = [c[np.isfinite(c)].min() for c in curves.values() if np.isfinite(c).any()]
        bottom = min(lows) / 1.5 if lows else None
        for name, h in self.histories.items():
            color = color_for(name)
            linestyle = styles[seen.get(color, 0) % len(styles)]
            seen[color] = seen.get(color, 0) + 1
            smooth = curves[name]
            steps = np.arange(1, len(smooth) + 1)
            ax_step.plot(steps, smooth, color=color, linestyle=linestyle, label=name)
            ax_time.plot(h.step_times, smooth, color=color, linestyle=linestyle, label=name)
            epochs = np.arange(1, len(h.epoch_test_accuracy) + 1)
            ax_acc.plot(epochs, 100 * np.asarray(h.epoch_test_accuracy), color=color,
                        linestyle=linestyle, marker="o", label=name)
            if h.diverged and len(smooth):
                end = min(smooth[-1], top)
                for ax, x_end in ((ax_step, steps[-1]), (ax_time, h.step_times[-1])):
                    ax.scatter([x_end], [end], color=color, marker="x", s=150, zorder=3, clip_on=False)
        smoothed = f"train loss ({smoothing}-step moving avg.)" if smoothing > 1 else "train loss"
        ax_step.set(xlabel="step (minibatch)", ylabel=smoothed, yscale="log", title="Loss per step")
        ax_time.set(xlabel="training time (s)", ylabel=smoothed, yscale="log", title="Loss per second")
        ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy after each epoch")
        ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax in (ax_step, ax_time):
            if top is not None and ax.get_ylim()[1] > top:
                ax.set_ylim(bottom, top)
        for ax in (ax_step, ax_time, ax_acc):
            ax.grid(True, which="major", alpha=0.3)
        if self.histories:
            fig.legend(*ax_step.get_legend_handles_labels(), loc="outside lower center",
                       ncols=min(len(self.histories), 4), frameon=False)
        return fig
