"""Fast, fair CPU training of small models on MNIST, several seeds at once.

Introduced in notebook 06.

    import torch
    from course_utils import data, training
    mnist = training.prepare_data(data.load_mnist())
    comparison = training.compare({
        "SGD": lambda p: torch.optim.SGD(p, lr=0.01),
        "SGD+momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    }, mnist, epochs=3, seeds=(0, 1, 2))
    print(comparison.table())          # mean +- sd over the seeds
    comparison.plot()

Fair: within one seed, every configuration starts from the same initial
weights (built from the seed) and sees the same minibatches in the same order
(a generator seeded with the seed shuffles the data), so the optimizer is the
only difference. Honest: every configuration is trained from several seeds,
and results are reported as mean and spread over them.

Fast: the seeds of one configuration train together. `SeedStack` holds the k
networks' weights stacked along a leading axis, and one batched matrix product
per layer serves all of them. The k seed losses are summed before `backward`;
since no seed's loss depends on another seed's weights, each seed's slice of
the gradient is exactly its own network's gradient. The torch.optim
optimizers used here update every number independently (no norms across a
tensor), so one optimizer over the stacked weights takes the same steps as k
separate optimizers. Gradient clipping is the exception, and is done per seed.
The data set lives in two tensors, already normalised and flattened.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "SEEDS",
    "Comparison",
    "History",
    "SeedStack",
    "TensorData",
    "accuracy",
    "batch_rows",
    "clip_grad_norm_per_seed",
    "compare",
    "make_mlp",
    "moving_average",
    "prepare_data",
    "seed_losses",
    "train",
    "training_step",
]

# Mean and standard deviation of MNIST training pixels scaled to [0, 1].
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
# The seeds every comparison uses unless told otherwise.
SEEDS = (0, 1, 2)

OptimizerFn = Callable[[Sequence[torch.Tensor]], torch.optim.Optimizer]
SchedulerFn = Callable[[torch.optim.Optimizer, int], object]

# How many training images the final training loss is measured on: enough
# for a standard error far below the differences the notebook discusses, a
# sixth of the cost of a pass over all 60,000.
TRAIN_LOSS_SAMPLES = 10_000
# How often (in steps) losses are read back to look for divergence: reading a
# loss forces the computation to finish, which costs little, but not nothing.
CHECK_EVERY = 50


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


# --------------------------------------------------------------------- models

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


class SeedStack(nn.Module):
    """The networks `make_mlp(seed)` for several seeds, as one module.

    Layer i's weights are one parameter of shape (k, in, out), row s holding
    seed s's network, so one batched matrix product `h @ weight` evaluates all
    k networks. Each row is the transpose of nn.Linear's (out, in) weight:
    stored this way, neither the forward product nor the weight gradient needs
    a transposed copy, which made a 4-seed step about a third faster
    (benchmarks/mnist_epoch.py). `member(s)` gives seed s's network back in
    nn.Linear's layout.

    forward(x): x of shape (k, B, in), one batch per seed, or (N, in), the
    same samples for every seed; returns logits of shape (k, B or N, out).
    """

    def __init__(self, seeds: Sequence[int] = SEEDS, sizes: Sequence[int] = (784, 256, 128, 10)):
        super().__init__()
        if len(seeds) == 0:
            raise ValueError("SeedStack needs at least one seed")
        self.seeds = tuple(int(s) for s in seeds)
        self.sizes = tuple(sizes)
        networks = [make_mlp(seed, sizes) for seed in self.seeds]
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in networks]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].weight.detach().T for layers in linears]).contiguous())
            for i in range(len(sizes) - 1))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].bias.detach() for layers in linears]))
            for i in range(len(sizes) - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = len(self.seeds)
        h = x
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if h.ndim == 2:  # shared input: one wide product (N, in) @ (in, k * out) for all seeds
                wide = weight.transpose(0, 1).reshape(weight.shape[1], -1)
                h = (h @ wide).view(len(h), k, -1).transpose(0, 1) + bias.unsqueeze(1)
            else:
                h = torch.baddbmm(bias.unsqueeze(1), h, weight)
            if i < len(self.weights) - 1:
                h = torch.relu(h)
        return h

    def member(self, index: int) -> nn.Sequential:
        """A copy of seed number `index`'s network as an ordinary nn.Sequential."""
        net = make_mlp(self.seeds[index], self.sizes)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, weight, bias in zip(linears, self.weights, self.biases):
                layer.weight.copy_(weight[index].T)
                layer.bias.copy_(bias[index])
        return net


def seed_losses(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per seed: logits (k, B, classes), labels (k, B) -> (k,)."""
    k, batch = labels.shape
    per_sample = F.cross_entropy(logits.reshape(k * batch, -1), labels.reshape(-1), reduction="none")
    return per_sample.view(k, batch).mean(dim=1)


def clip_grad_norm_per_seed(model: SeedStack, max_norm: float) -> torch.Tensor:
    """`nn.utils.clip_grad_norm_` applied to each seed's network on its own.

    Returns each seed's gradient norm before clipping, shape (k,).
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    k = len(model.seeds)
    norms = torch.stack([g.reshape(k, -1).pow(2).sum(dim=1) for g in grads]).sum(dim=0).sqrt()
    factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)  # torch's own formula and epsilon
    for g in grads:
        g.mul_(factor.view(-1, *([1] * (g.ndim - 1))))
    return norms


def training_step(model: SeedStack, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                  y: torch.Tensor, clip_grad_norm: float | None = None) -> torch.Tensor:
    """One step of lecture 05's loop for every seed at once; returns the k losses."""
    optimizer.zero_grad()
    loss = seed_losses(model(x), y)
    loss.sum().backward()  # each seed's weights get their own network's gradient
    if clip_grad_norm is not None:
        clip_grad_norm_per_seed(model, clip_grad_norm)
    optimizer.step()
    return loss.detach()


@torch.no_grad()
def evaluate(model: SeedStack, x: torch.Tensor, y: torch.Tensor,
             batch_size: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy and accuracy of every seed's network, each shape (k,)."""
    k = len(model.seeds)
    loss_sum, correct = torch.zeros(k, dtype=torch.float64), torch.zeros(k, dtype=torch.float64)
    for i in range(0, len(y), batch_size):
        logits = model(x[i:i + batch_size])
        labels = y[i:i + batch_size].expand(k, -1)
        loss_sum += seed_losses(logits, labels).double() * labels.shape[1]
        correct += (logits.argmax(dim=2) == labels).sum(dim=1).double()
    count = max(len(y), 1)
    return (loss_sum / count).numpy(), (correct / count).numpy()


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 10_000):
    """Fraction of samples whose highest logit is the label.

    For a SeedStack, one fraction per seed (an array); for any other model,
    one float (no_grad, eval mode, then restored).
    """
    if isinstance(model, SeedStack):
        return evaluate(model, x, y, batch_size)[1]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                      for i in range(0, len(y), batch_size))
    model.train(was_training)
    return correct / max(len(y), 1)


# -------------------------------------------------------------------- history

@dataclass
class History:
    """Everything recorded while training one configuration from k seeds.

    Arrays with a leading axis of length k hold one row per seed.

    Attributes:
        name: label used in tables and legends (its colour: style.color_for(name)).
        seeds: the seeds, in row order.
        step_losses: (k, steps) minibatch loss of every step while training
            (float64); nan from a seed's divergence on.
        step_times: (steps,) training seconds at the end of every step.
        lrs: (steps,) learning rate of the first parameter group at every step.
        epoch_test_loss, epoch_test_accuracy: (k, epochs), on the evaluation
            data after each epoch (accuracy as a fraction, 0.98 = 98%).
        final_train_loss: (k,) the final networks' mean loss on the first
            TRAIN_LOSS_SAMPLES training images, evaluated after training (not
            a running average of minibatch losses taken while the weights
            were still changing); nan if the seed diverged.
        diverged_at_step: (k,) index of a seed's first non-finite loss, -1 if none.
    """

    name: str
    seeds: tuple[int, ...]
    step_losses: np.ndarray
    step_times: np.ndarray
    lrs: np.ndarray
    epoch_test_loss: np.ndarray
    epoch_test_accuracy: np.ndarray
    final_train_loss: np.ndarray
    diverged_at_step: np.ndarray
    epoch_times: list[float] = field(default_factory=list)
    wall_time: float = 0.0
    steps_per_epoch: int = 0
    batch_size: int = 0

    @property
    def diverged(self) -> np.ndarray:
        """(k,) bool: which seeds' runs produced a non-finite loss."""
        return self.diverged_at_step >= 0

    @property
    def final_test_accuracy(self) -> np.ndarray:
        """(k,) test accuracy after the last epoch; nan for seeds that diverged."""
        if self.epoch_test_accuracy.shape[1] == 0:
            return np.full(len(self.seeds), np.nan)
        return np.where(self.diverged, np.nan, self.epoch_test_accuracy[:, -1])

    @property
    def final_test_loss(self) -> np.ndarray:
        """(k,) loss on the evaluation data after the last epoch; nan if diverged."""
        if self.epoch_test_loss.shape[1] == 0:
            return np.full(len(self.seeds), np.nan)
        return np.where(self.diverged, np.nan, self.epoch_test_loss[:, -1])

    @property
    def training_time(self) -> float:
        """Seconds spent in training steps (all seeds together), evaluation excluded."""
        return float(self.step_times[-1]) if len(self.step_times) else 0.0

    def __repr__(self) -> str:
        accuracy = 100 * self.final_test_accuracy
        return (f"History({self.name!r}: {len(self.seeds)} seeds, {len(self.epoch_times)} epochs, "
                f"test accuracy {mean_sd(accuracy, 2)} %, {int(self.diverged.sum())} diverged)")


def mean_sd(values, decimals: int = 2) -> str:
    """'mean +- sd' of the finite values (sample sd), or 'diverged' if none is finite."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return "diverged"
    sd = finite.std(ddof=1) if len(finite) > 1 else 0.0
    text = f"{finite.mean():.{decimals}f} ± {sd:.{decimals}f}"
    return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)} diverged)"


# ------------------------------------------------------------------- training

def batch_orders(n: int, seeds: Sequence[int], epochs: int) -> list[torch.Tensor]:
    """Each epoch's shuffled sample order for every seed: a list of (k, n) tensors.

    Seed s's generator is seeded with s alone, so a seed's batches do not depend
    on which other seeds train beside it.
    """
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    return [torch.stack([torch.randperm(n, generator=g) for g in generators]) for _ in range(epochs)]


def batch_rows(tensor: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """tensor[index] for an index of shape (k, B): the same values, shape (k, B, ...).

    One index_select on the flattened index; advanced indexing with a 2-D
    index took 7% of a 4-seed training step more (benchmarks/mnist_epoch.py).
    """
    return tensor.index_select(0, index.reshape(-1)).view(*index.shape, *tensor.shape[1:])


class DivergenceWatch:
    """Collects the per-seed step losses and notes each seed's first non-finite one."""

    def __init__(self, k: int):
        self.pending: list[torch.Tensor] = []
        self.losses: list[np.ndarray] = []
        self.diverged_at = np.full(k, -1)

    def add(self, loss: torch.Tensor) -> None:
        self.pending.append(loss)
        if len(self.pending) == CHECK_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        chunk = torch.stack(self.pending).double().numpy().T  # (k, chunk steps)
        start = sum(c.shape[1] for c in self.losses)
        self.pending.clear()
        for seed, row in enumerate(chunk):
            bad = np.flatnonzero(~np.isfinite(row))
            if self.diverged_at[seed] < 0 and len(bad):
                self.diverged_at[seed] = start + bad[0]
        self.losses.append(chunk)

    @property
    def all_diverged(self) -> bool:
        return bool((self.diverged_at >= 0).all())

    def step_losses(self) -> np.ndarray:
        self.flush()
        losses = np.concatenate(self.losses, axis=1) if self.losses else np.empty((len(self.diverged_at), 0))
        for seed, at in enumerate(self.diverged_at):
            if at >= 0:
                losses[seed, at:] = np.nan
        return losses


def train(optimizer_fn: OptimizerFn, data, epochs: int = 1, *, seeds: Sequence[int] = SEEDS,
          model: SeedStack | None = None, batch_size: int = 128,
          scheduler_fn: SchedulerFn | None = None, clip_grad_norm: float | None = None,
          name: str | None = None, progress: bool = False) -> History:
    """Train one configuration from every seed at once and record a History.

    Every step is `training_step`: zero_grad, forward, loss, backward,
    optional clipping, optimizer.step(); then scheduler.step() (schedules
    run per step). After each epoch every seed's network is evaluated on the
    test data; after the last, also on (the first TRAIN_LOSS_SAMPLES images
    of) the training set.

    Args:
        optimizer_fn: parameters -> torch.optim.Optimizer, e.g.
            `functools.partial(torch.optim.SGD, lr=0.05, momentum=0.9)`.
        data: a TensorData (see `prepare_data`) or load_mnist()'s four arrays.
        epochs: passes over the training set.
        seeds: seed s fixes network s's initial weights and its batch order.
        model: a SeedStack to train in place (default: a new one for `seeds`).
        batch_size: samples per step; the last, smaller batch of an epoch is kept.
        scheduler_fn: (optimizer, total_steps) -> scheduler, stepped after every
            optimizer step, e.g. `lambda opt, n: OneCycleLR(opt, 0.1, total_steps=n)`.
        clip_grad_norm: clip each seed's gradient norm to this value (None: off).
        name: label for tables and plots (default: the optimizer's class name).
        progress: show a tqdm progress bar.

    Returns:
        History. A seed whose loss turns non-finite is marked diverged
        (never an exception); the others train on, and training stops early
        only when every seed has diverged.
    """
    data = prepare_data(data)
    n = len(data.y_train)
    if n == 0 or batch_size < 1 or epochs < 1:
        raise ValueError(f"need training samples, batch_size >= 1 and epochs >= 1 "
                         f"(got {n} samples, batch_size {batch_size}, epochs {epochs})")
    model = model if model is not None else SeedStack(seeds)
    seeds = model.seeds
    steps_per_epoch = math.ceil(n / batch_size)
    start = time.perf_counter()
    model.train()
    optimizer = optimizer_fn(list(model.parameters()))
    scheduler = scheduler_fn(optimizer, epochs * steps_per_epoch) if scheduler_fn is not None else None
    name = name or type(optimizer).__name__

    watch = DivergenceWatch(len(seeds))
    times, lrs, epoch_times = [], [], []
    test_loss, test_accuracy = [], []
    bar = _progress_bar(progress, epochs * steps_per_epoch, name)
    seconds = 0.0
    try:
        for order in batch_orders(n, seeds, epochs):
            epoch_start = time.perf_counter()
            for i in range(steps_per_epoch):
                index = order[:, i * batch_size:(i + 1) * batch_size]
                lrs.append(float(optimizer.param_groups[0]["lr"]))
                x, y = batch_rows(data.x_train, index), batch_rows(data.y_train, index)
                watch.add(training_step(model, optimizer, x, y, clip_grad_norm))
                if scheduler is not None:
                    scheduler.step()
                times.append(seconds + time.perf_counter() - epoch_start)
                bar.update(1)
            watch.flush()
            epoch_times.append(time.perf_counter() - epoch_start)
            seconds += epoch_times[-1]
            losses, accuracies = evaluate(model, data.x_test, data.y_test)
            test_loss.append(losses)
            test_accuracy.append(accuracies)
            if watch.all_diverged:
                break
    finally:
        bar.close()
    train_loss = evaluate(model, data.x_train[:TRAIN_LOSS_SAMPLES], data.y_train[:TRAIN_LOSS_SAMPLES])[0]
    diverged = watch.diverged_at >= 0
    return History(
        name=name, seeds=seeds, step_losses=watch.step_losses(),
        step_times=np.asarray(times), lrs=np.asarray(lrs),
        epoch_test_loss=np.stack(test_loss, axis=1), epoch_test_accuracy=np.stack(test_accuracy, axis=1),
        final_train_loss=np.where(diverged, np.nan, train_loss), diverged_at_step=watch.diverged_at,
        epoch_times=epoch_times, wall_time=time.perf_counter() - start,
        steps_per_epoch=steps_per_epoch, batch_size=batch_size)


class _NoBar:
    def update(self, *args, **kwargs):
        pass

    close = update


def _progress_bar(show: bool, total: int, name: str):
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=name, unit="step", leave=True)


# ----------------------------------------------------------------- comparison

ConfigValue = Union[OptimizerFn, Mapping[str, object]]
CONFIG_KEYS = {"optimizer", "scheduler", "clip_grad_norm", "batch_size"}


def compare(configs: Mapping[str, ConfigValue], data, epochs: int = 1, *,
            seeds: Sequence[int] = SEEDS, batch_size: int = 128,
            scheduler_fn: SchedulerFn | None = None, clip_grad_norm: float | None = None,
            progress: bool = False) -> "Comparison":
    """Train every configuration from the same seeds: same weights, same batches.

    Args:
        configs: name -> optimizer_fn (parameters -> optimizer), or name -> a dict
            with key 'optimizer' and optionally 'scheduler', 'clip_grad_norm',
            'batch_size' overriding the shared arguments below.
        data: TensorData or load_mnist()'s four arrays (converted once here).
        epochs, seeds, batch_size, scheduler_fn, clip_grad_norm, progress: as in `train`.

    Returns:
        Comparison, with `.histories`, `.table()` and `.plot()`.
    """
    data = prepare_data(data)
    histories = {}
    for name, config in configs.items():
        settings = dict(scheduler=scheduler_fn, clip_grad_norm=clip_grad_norm, batch_size=batch_size)
        if isinstance(config, Mapping):
            unknown = set(config) - CONFIG_KEYS
            if unknown or "optimizer" not in config:
                raise ValueError(f"config {name!r}: needs 'optimizer', may have "
                                 f"{sorted(CONFIG_KEYS - {'optimizer'})}; got {sorted(config)}")
            settings.update(config)
        else:
            settings["optimizer"] = config
        histories[name] = train(settings["optimizer"], data, epochs, seeds=seeds,
                                batch_size=settings["batch_size"], scheduler_fn=settings["scheduler"],
                                clip_grad_norm=settings["clip_grad_norm"], name=name, progress=progress)
    return Comparison(histories)


def moving_average(values, window: int) -> np.ndarray:
    """Moving average over about `window` steps along the last axis, centred where the data allow.

    With h = window // 2, entry k is the mean of values[..., k - h : k + h + 1].
    Near the start the window narrows symmetrically (entry 0 is the raw first
    loss, so every curve starts at the true initial loss); near the end it is
    cut at the last step. Centred, the curves have no lag; a trailing mean
    would draw every optimizer about h steps late.
    """
    values = np.asarray(values, dtype=np.float64)
    n, h = values.shape[-1], window // 2
    if n == 0 or h == 0:
        return values.copy()
    sums = np.concatenate([np.zeros(values.shape[:-1] + (1,)), np.cumsum(values, axis=-1)], axis=-1)
    k = np.arange(n)
    lo = np.maximum(k - h, 0)
    hi = np.minimum(np.where(k < h, 2 * k + 1, k + h + 1), n)
    return (sums[..., hi] - sums[..., lo]) / (hi - lo)


@dataclass
class Comparison:
    """Histories of several configurations, by name, with a result table and a figure."""

    histories: dict[str, History]

    def __getitem__(self, name: str) -> History:
        return self.histories[name]

    def __repr__(self) -> str:
        return f"Comparison({', '.join(self.histories)})"

    def table(self, show_time: bool = True) -> str:
        """Plain-text table, one row per configuration, mean ± sd over the seeds.

        Columns: final training loss (the final networks on the first
        TRAIN_LOSS_SAMPLES training images), final test accuracy in percent, and (show_time) the
        training seconds for all seeds together.
        """
        from course_utils.comparison_plots import text_table

        header = ["configuration", "train loss", "test accuracy %"] + (["seconds"] if show_time else [])
        rows = []
        for name, h in self.histories.items():
            row = [name, mean_sd(h.final_train_loss, 4), mean_sd(100 * h.final_test_accuracy, 2)]
            if show_time:
                row.append(f"{h.training_time:.1f}")
            rows.append(row)
        return text_table(header, rows)

    def plot(self, smoothing: int = 50, figsize: tuple[float, float] = (16, 5.5)):
        """Loss per step, loss per second and test accuracy per epoch: mean and seeds."""
        from course_utils.comparison_plots import plot_comparison

        return plot_comparison(self.histories, smoothing=smoothing, figsize=figsize)
