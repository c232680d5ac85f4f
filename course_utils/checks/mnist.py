"""Checks for exercises/06_mnist: preparing the images, one training epoch,
accuracy, a learning-rate sweep on a real MNIST subset, and choosing the
learning rate from the sweep.

The small checks use synthetic data (fast, no files needed); the sweep check
trains a small MLP (784-64-10) on 5,000 MNIST training images and validates on
the next 1,000, with the student's loop and with the reference.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.checks._core import Exercise, as_float, call, close, fail

RTOL, ATOL = 1e-5, 1e-7


# ---------------------------------------------------------------- to_tensors


def _to_tensors(images, labels):
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


TO_TENSORS_MUTANTS = [
    ("pixel values must be scaled to [0, 1]: divide by 255",
     lambda i, l: (torch.from_numpy(i.reshape(len(i), -1).astype(np.float32)), torch.from_numpy(l))),
    ("divide by 255, the largest possible pixel value, not by the largest pixel in "
     "this batch", lambda i, l: (torch.from_numpy(i.reshape(len(i), -1).astype(np.float32) / i.max()),
                                 torch.from_numpy(l))),
]


def _to_tensors_cases(seed):
    r = np.random.default_rng(seed)
    return [(r.integers(0, 200, (n, 28, 28), dtype=np.uint8), r.integers(0, 10, n).astype(np.int64))
            for n in (3, 17, 64)]


def _run_to_tensors(student, cases):
    name = "to_tensors"
    results = []
    for images, labels in cases:
        before = images.copy(), labels.copy()
        out = call(student, images, labels, name=name)
        if not (np.array_equal(images, before[0]) and np.array_equal(labels, before[1])):
            fail(f"{name}: you modified the input array in place; build new tensors instead")
        if out is None:
            fail(f"{name} returned None: did you forget the `return` statement?")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            fail(f"{name} should return 2 values (x, y)")
        x, y = out
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
            fail(f"{name} should return torch tensors: use torch.from_numpy(...) or "
                 "torch.tensor(...)")
        n = len(images)
        if tuple(x.shape) != (n, 784):
            fail(f"{name} returned x with shape {tuple(x.shape)}; flatten each image into "
                 f"784 values: shape ({n}, 784), e.g. images.reshape(len(images), -1)")
        if x.dtype != torch.float32:
            fail(f"{name} returned x as {x.dtype}; use float32, torch's default "
                 "(.float() or .astype(np.float32))")
        if tuple(y.shape) != (n,):
            fail(f"{name} returned y with shape {tuple(y.shape)}; expected one label per image")
        if y.dtype != torch.int64:
            fail(f"{name} returned y as {y.dtype}; cross_entropy wants int64 labels (.long())")
        results.append((x.detach().numpy().copy(), y.detach().numpy().copy()))
    return results


def _judge_to_tensors(results, cases):
    """uint8 (N, 28, 28) -> float32 (N, 784) in [0, 1]; labels -> int64."""
    name = "to_tensors"
    for (x, y), (images, labels) in zip(results, cases):
        ref_x, ref_y = _to_tensors(images, labels)
        if not np.array_equal(y, ref_y.numpy()):
            fail(f"{name}: the labels changed; keep them as they are, only convert the dtype")
        if not close(x, ref_x.numpy(), 1e-6, 1e-7):
            for hint, mutant in TO_TENSORS_MUTANTS:
                if close(x, mutant(images, labels)[0].numpy(), 1e-6, 1e-7):
                    fail(f"{name} differs from the reference: {hint}")
            fail(f"{name} differs from the reference: x should be images / 255, flattened "
                 "row by row to shape (N, 784)")
    return f"PASS: {name} matches the reference on {len(cases)} random batches"


to_tensors = Exercise("to_tensors", seed=601, cases=_to_tensors_cases, run=_run_to_tensors,
                      judge=_judge_to_tensors, torch=True)


# ---------------------------------------------------------------- train_epoch


def _train_epoch(model, optimizer, x, y, batch_size, generator, *, shuffle=True,
                 drop_last=False, zero_grad=True, result="mean"):
    n = len(x)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    losses = []
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        if drop_last and len(index) < batch_size:
            break
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if result == "sum":
        return sum(losses)
    if result == "last":
        return losses[-1]
    return sum(losses) / len(losses)


def _small_setup(seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(100, 20, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (100,), generator=g)
    return model, x, y


def _run_epochs(train, name="train_epoch", seed=602, epochs=2, batch_size=32, global_seed=1):
    model, x, y = _small_setup(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    # A loop that shuffles with torch's global generator instead of `generator`
    # gives different batches for different global seeds: that is how the
    # check notices it. The student's own global seed is restored afterwards.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(global_seed)
        for _ in range(epochs):
            out = call(train, model, optimizer, x, y, batch_size, generator, name=name)
            losses.append(as_float(out, name, "the mean loss"))
    params = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy().copy()
    return losses, params


def _matches(test) -> bool:
    """Run a mutant comparison; a mutant that crashes simply does not match."""
    try:
        return bool(test())
    except Exception:
        return False


def _same_run(a, b, rtol=1e-6, atol=1e-9):
    return close(a[0], b[0], rtol, atol) and close(a[1], b[1], rtol, atol)


TRAIN_EPOCH_MUTANTS = [
    ("the batches are not shuffled: visit them in the order "
     "torch.randperm(len(x), generator=generator)",
     lambda *a: _train_epoch(*a, shuffle=False)),
    ("the last, smaller batch is missing: range(0, n, batch_size) includes it",
     lambda *a: _train_epoch(*a, drop_last=True)),
    ("the gradients are accumulating from batch to batch: call optimizer.zero_grad() "
     "before every backward pass", lambda *a: _train_epoch(*a, zero_grad=False)),
    ("return the mean of the batch losses, not their sum",
     lambda *a: _train_epoch(*a, result="sum")),
    ("return the mean of all batch losses, not the last one",
     lambda *a: _train_epoch(*a, result="last")),
]


def _run_train_epoch(student, seed):
    # Run twice, under two global seeds: a loop that shuffles with torch's
    # global generator instead of `generator` gives different batches.
    return (_run_epochs(student, seed=seed, global_seed=1),
            _run_epochs(student, seed=seed, global_seed=2))


def _judge_train_epoch(results, seed):
    """One shuffled pass over the data in minibatches; returns the mean batch loss."""
    name = "train_epoch"
    got, again = results
    if not _same_run(got, _run_epochs(_train_epoch, seed=seed)):
        if not _same_run(got, again):
            fail(f"{name} is not reproducible: shuffle with torch.randperm(len(x), "
                 "generator=generator), so the same generator gives the same order")
        for hint, mutant in TRAIN_EPOCH_MUTANTS:
            if _matches(lambda: _same_run(got, _run_epochs(mutant, seed=seed))):
                fail(f"{name} differs from the reference: {hint}")
        fail(f"{name} differs from the reference: shuffle with torch.randperm(n, "
             "generator=generator), then for each batch: zero_grad, cross_entropy loss, "
             "backward, step; return the mean of the batch losses")
    return f"PASS: {name} matches the reference over 2 epochs"


train_epoch = Exercise("train_epoch", seed=602, cases=lambda seed: seed, run=_run_train_epoch,
                       judge=_judge_train_epoch, torch=True, points=2)


# ---------------------------------------------------------------- accuracy


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


ACCURACY_MUTANTS = [
    ("return a fraction between 0 and 1 (correct / total), not a count",
     lambda m, x, y: float((m(x).argmax(dim=1) == y).sum())),
    ("return a fraction between 0 and 1, not a percentage",
     lambda m, x, y: 100.0 * _accuracy(m, x, y)),
]


def _accuracy_cases(seed):
    g = torch.Generator().manual_seed(seed)
    cases = []
    for n in (50, 200, 7):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + n)
            model = nn.Linear(12, 10)
        cases.append((model, torch.randn(n, 12, generator=g), torch.randint(0, 10, (n,), generator=g)))
    return cases


def _run_accuracy(student, cases):
    return [as_float(call(student, model, x.clone(), y.clone(), name="accuracy"), "accuracy",
                     "the accuracy") for model, x, y in cases]


def _judge_accuracy(results, cases):
    """Fraction of correct argmax predictions, as a Python float."""
    name = "accuracy"
    expected = [_accuracy(*case) for case in cases]
    if not close(results, expected, 1e-6, 1e-9):
        for hint, mutant in ACCURACY_MUTANTS:
            with torch.no_grad():
                if _matches(lambda: close(results, [mutant(*c) for c in cases], 1e-6, 1e-9)):
                    fail(f"{name} differs from the reference: {hint}")
        fail(f"{name} differs from the reference: count how often model(x).argmax(dim=1) "
             "equals y and divide by len(y)")
    return f"PASS: {name} matches the reference on {len(cases)} models"


accuracy = Exercise("accuracy", seed=603, cases=_accuracy_cases, run=_run_accuracy,
                    judge=_judge_accuracy, torch=True)


# ---------------------------------------------------------------- learning-rate sweep on MNIST

SWEEP_LRS = (0.003, 0.03, 0.3)
SWEEP_EPOCHS = 2
SWEEP_BATCH = 64
SWEEP_SEED = 0


def make_mlp():
    """A small MNIST network, 784-64-10 with ReLU: big enough to learn the digits,
    small enough that the sweep check takes a second or two."""
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


@functools.lru_cache(maxsize=1)
def mnist_subset(n_train: int = 5000, n_val: int = 1000):
    """The first n_train MNIST training images and the next n_val, as tensors."""
    from course_utils.data import load_mnist

    images, labels, _, _ = load_mnist(progress=False)
    x, y = _to_tensors(images[: n_train + n_val], labels[: n_train + n_val])
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _sweep(make_model, x_train, y_train, x_val, y_val, lrs, epochs, batch_size, seed, *,
           fresh_model=True, fresh_generator=True, momentum=0.9, record="val"):
    results = {}
    model = generator = None
    for lr in lrs:
        if fresh_model or model is None:
            torch.manual_seed(seed)
            model = make_model()
        if fresh_generator or generator is None:
            generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for _ in range(epochs):
            train_loss = _train_epoch(model, optimizer, x_train, y_train, batch_size, generator)
            if record == "train":
                losses.append(train_loss)
            else:
                with torch.no_grad():
                    losses.append(F.cross_entropy(model(x_val), y_val).item())
        results[lr] = losses
    return results


SWEEP_MUTANTS = [
    ("every learning rate must start from the same initial weights: call "
     "torch.manual_seed(seed) and make_model() inside the loop over lrs",
     dict(fresh_model=False)),
    ("create a fresh torch.Generator().manual_seed(seed) for every learning rate, so each "
     "run sees the same batches", dict(fresh_generator=False)),
    ("you recorded the training loss; record the validation loss, cross_entropy of "
     "model(x_val) against y_val, after each epoch", dict(record="train")),
    ("the runs used no momentum: create torch.optim.SGD(model.parameters(), lr=lr, "
     "momentum=...) with the momentum the task gives", dict(momentum=0.0)),
]


@functools.lru_cache(maxsize=8)
def _sweep_reference(seed: int, mutant_index: int | None = None):
    options = {} if mutant_index is None else SWEEP_MUTANTS[mutant_index][1]
    with torch.random.fork_rng(devices=[]):
        return _sweep(make_mlp, *mnist_subset(), SWEEP_LRS, SWEEP_EPOCHS, SWEEP_BATCH,
                      seed, **options)


def _parse_sweep(out, name):
    if out is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if not isinstance(out, dict):
        fail(f"{name} should return a dict {{lr: list of validation losses}}; it returned "
             f"a {type(out).__name__}")
    if sorted(out) != sorted(SWEEP_LRS):
        fail(f"{name} should return one entry per learning rate in lrs, with the lr itself "
             "as the key")
    parsed = {}
    for lr in SWEEP_LRS:
        values = out[lr]
        if not isinstance(values, (list, tuple)) or len(values) != SWEEP_EPOCHS:
            fail(f"{name}: each entry should be a list with one validation loss per epoch")
        parsed[lr] = [as_float(v, name, "each validation loss") for v in values]
    return parsed


def _same_sweep(a, b):
    return all(close(a[lr], b[lr], RTOL, ATOL) for lr in SWEEP_LRS)


def _run_sweep(student, seed):
    name = "sweep_learning_rates"
    data = tuple(t.clone() for t in mnist_subset())  # the student may change them in place
    with torch.random.fork_rng(devices=[]):
        out = call(student, make_mlp, *data, list(SWEEP_LRS), SWEEP_EPOCHS, SWEEP_BATCH,
                   seed, name=name)
    return _parse_sweep(out, name)


def _judge_sweep(got, seed):
    """The student's sweep on 5,000 MNIST images against the reference sweep."""
    name = "sweep_learning_rates"
    if not _same_sweep(got, _sweep_reference(seed)):
        for index, (hint, _) in enumerate(SWEEP_MUTANTS):
            if _same_sweep(got, _sweep_reference(seed, index)):
                fail(f"{name} differs from the reference: {hint}")
        fail(f"{name} differs from the reference: for each lr, seed, build the model, "
             "create the optimizer and the generator, then per epoch call train_epoch and "
             "record the validation loss")
    return (f"PASS: {name} matches the reference sweep on the MNIST subset "
            f"({len(SWEEP_LRS)} learning rates, {SWEEP_EPOCHS} epochs each)")


sweep_learning_rates = Exercise("sweep_learning_rates", seed=SWEEP_SEED,
                                cases=lambda seed: seed % 2 ** 31, run=_run_sweep,
                                judge=_judge_sweep, torch=True, points=2,
                                warm=lambda seed: _sweep_reference(seed % 2 ** 31))


# ---------------------------------------------------------------- choosing the learning rate


def _finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


def _same_losses(a, b) -> bool:
    return set(a) == set(b) and all(
        len(a[lr]) == len(b[lr]) and np.allclose(a[lr], b[lr], equal_nan=True) for lr in b)


def _choose_lr(val_losses):
    finite = {lr: losses[-1] for lr, losses in val_losses.items() if _finite(losses[-1])}
    return min(finite, key=finite.get)


def _with_nan_first(val_losses):
    lrs = list(val_losses)
    return lrs[int(np.argmin([val_losses[lr][-1] for lr in lrs]))]


CHOOSE_MUTANTS = [
    ("a diverged run (final loss NaN or infinite) was chosen: skip runs whose final loss "
     "is not finite (math.isfinite)", _with_nan_first),
    ("compare the final (last-epoch) losses: a run that was best early and then got "
     "worse is not the one to pick",
     lambda d: min((lr for lr in d if all(_finite(v) for v in d[lr])),
                   key=lambda lr: min(d[lr]))),
    ("compare the final (last-epoch) losses, not the first epoch's",
     lambda d: min((lr for lr in d if _finite(d[lr][-1])), key=lambda lr: d[lr][0])),
    ("you picked the worst run: choose the smallest validation loss",
     lambda d: max((lr for lr in d if _finite(d[lr][-1])), key=lambda lr: d[lr][-1])),
    ("you picked the largest learning rate that did not diverge; pick the one with the "
     "smallest final validation loss", lambda d: max(lr for lr in d if _finite(d[lr][-1]))),
]


def _choose_cases(seed):
    nan, inf = float("nan"), float("inf")
    cases = [
        {0.001: [2.1, 1.9, 1.8], 0.01: [1.2, 0.7, 0.5], 0.1: [0.8, 0.6, 0.9], 1.0: [nan, nan, nan]},
        {0.001: [2.0, 1.5], 0.01: [0.9, 0.6], 0.1: [0.5, 0.3], 1.0: [3.0, inf]},
        {0.01: [0.9, 0.8, 0.7], 0.03: [0.6, 0.5, 0.4], 0.3: [0.4, 0.35, 0.45]},
        {0.1: [nan, nan], 0.003: [1.0, 0.9], 0.03: [0.7, 0.5]},
        {1e-4: [2.3, 2.2, 2.1, 2.0], 3e-4: [2.0, 1.8, 1.6, 1.5], 1e-3: [1.6, 1.2, 0.9, 0.8],
         3e-3: [1.0, 0.7, 0.6, 0.55], 1e-2: [0.5, 0.45, 0.5, 0.6], 3e-2: [inf, nan, nan, nan]},
    ]
    r = np.random.default_rng(seed)
    for _ in range(5):
        lrs = sorted({float(v) for v in 10.0 ** r.uniform(-4, 0, 5)})
        case = {lr: [float(v) for v in np.sort(r.uniform(0.1, 2.5, 3))[::-1]] for lr in lrs}
        case[lrs[-1]][-1] = nan
        cases.append(case)
    return cases


def _run_choose(student, cases):
    name = "choose_lr"
    results = []
    for case in cases:
        copy = {lr: list(losses) for lr, losses in case.items()}
        out = call(student, copy, name=name)
        if not _same_losses(copy, case):
            fail(f"{name}: you modified the dict of losses; read it without changing it")
        lr = as_float(out, name, "the chosen learning rate")
        if lr not in case:
            fail(f"{name} returned a number that is not one of the learning rates; return "
                 "the key (the lr), not its loss")
        results.append(lr)
    return results


def _judge_choose(results, cases):
    """The learning rate with the smallest final validation loss, ignoring diverged runs."""
    name = "choose_lr"
    expected = [_choose_lr(case) for case in cases]
    if results != expected:
        for hint, mutant in CHOOSE_MUTANTS:
            if _matches(lambda: results == [mutant(case) for case in cases]):
                fail(f"{name} differs from the reference: {hint}")
        fail(f"{name} differs from the reference: among runs whose final loss is finite, "
             "return the lr with the smallest final loss")
    return f"PASS: {name} picks the reference learning rate in all {len(cases)} sweeps"


choose_lr = Exercise("choose_lr", seed=605, cases=_choose_cases, run=_run_choose,
                     judge=_judge_choose, torch=True)
