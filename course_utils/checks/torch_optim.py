"""Checks for exercises/05_torch_optim: the training step (zero_grad, backward,
step), a training loop with a learning-rate scheduler, and gradient clipping.

Each check trains a small float64 network from fixed initial weights with the
student's function and with the reference, then compares the returned losses
and the final parameters. Typical mistakes are recognised by training with the
mistake built in and comparing again.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_utils.checks._core import Exercise, as_float, call, close, fail

RTOL, ATOL = 1e-6, 1e-9


def _model_and_batches(seed: int, n_batches: int = 6, scale: float = 1.0):
    """A 5-8-3 tanh network and classification batches, from the check's own seed.

    torch's global generator is forked, so the student's seeds stay untouched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    g = torch.Generator().manual_seed(seed)
    batches = [(scale * torch.randn(16, 5, generator=g, dtype=torch.float64),
                torch.randint(0, 3, (16,), generator=g)) for _ in range(n_batches)]
    return model, batches


def _parameters(model) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy().copy()


def _seeded(seed):
    """The inputs of a training check are built from its seed alone."""
    return seed


def _same(a, b) -> bool:
    (losses_a, params_a), (losses_b, params_b) = a, b
    return close(losses_a, losses_b, RTOL, ATOL) and close(params_a, params_b, RTOL, ATOL)


def _diagnose(student_result, run, mutants):
    for hint, fn in mutants:
        try:
            if _same(student_result, run(fn)):
                return hint
        except Exception:
            continue
    return None


def _float_list(out, name, n, what):
    if out is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if not isinstance(out, (list, tuple)) or len(out) != n:
        got = f"{len(out)} values" if isinstance(out, (list, tuple)) else f"a {type(out).__name__}"
        fail(f"{name} should return a list of {n} {what}; it returned {got}")
    return [as_float(v, name, what) for v in out]


# ---------------------------------------------------------------- training step


def _reference_step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_zero_grad(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _zero_grad_before_step(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _no_step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


def _no_backward(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    optimizer.step()
    return loss.item()


def _loss_after_step(model, optimizer, loss_fn, x, y):
    _reference_step(model, optimizer, loss_fn, x, y)
    with torch.no_grad():
        return loss_fn(model(x), y).item()


_NO_CHANGE = ("the parameters never changed: call loss.backward() and then "
              "optimizer.step(), with optimizer.zero_grad() before the backward pass, "
              "not between backward and step")
_ACCUMULATING = ("the gradients are accumulating from step to step: call "
                 "optimizer.zero_grad() in every step")

STEP_MUTANTS = [
    (_ACCUMULATING, _no_zero_grad),
    (_NO_CHANGE, _zero_grad_before_step),
    (_NO_CHANGE, _no_step),
    (_NO_CHANGE, _no_backward),
    ("return the loss computed before the update (the one you called backward on)",
     _loss_after_step),
]


def _run_steps(step, name="training_step", seed=501):
    model, batches = _model_and_batches(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for x, y in batches:
        out = call(step, model, optimizer, loss_fn, x.clone(), y.clone(), name=name)
        losses.append(as_float(out, name, "the loss"))
    return losses, _parameters(model)


def _judge_steps(got, seed):
    """zero_grad, forward, loss, backward, step; returns the loss as a float."""
    name = "training_step"
    if not _same(got, _run_steps(_reference_step, seed=seed)):
        hint = _diagnose(got, lambda fn: _run_steps(fn, seed=seed), STEP_MUTANTS)
        fail(f"{name} differs from the reference: " + (hint or (
            "one step is optimizer.zero_grad(), loss = loss_fn(model(x), y), "
            "loss.backward(), optimizer.step(), return loss.item()")))
    return f"PASS: {name} matches the reference over 6 steps of SGD with momentum"


training_step = Exercise("training_step", seed=501, cases=_seeded, torch=True,
                         run=lambda student, seed: _run_steps(student, seed=seed),
                         judge=_judge_steps)


# ---------------------------------------------------------------- scheduler


def _epochs_reference(model, optimizer, scheduler, loss_fn, batches, epochs, *,
                      step=_reference_step, where="after", record="start"):
    lrs = []
    for _ in range(epochs):
        if record == "start":
            lrs.append(optimizer.param_groups[0]["lr"])
        if where == "before":
            scheduler.step()
            if record == "after_early_step":
                lrs.append(optimizer.param_groups[0]["lr"])
        for x, y in batches:
            step(model, optimizer, loss_fn, x, y)
            if where == "batch":
                scheduler.step()
        if where == "after":
            scheduler.step()
        if record == "end":
            lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def _train_epochs(model, optimizer, scheduler, loss_fn, batches, epochs):
    return _epochs_reference(model, optimizer, scheduler, loss_fn, batches, epochs)


EPOCH_MUTANTS = [
    ("the learning rate decays too fast: step the scheduler once per epoch, not once "
     "per batch", lambda *a: _epochs_reference(*a, where="batch")),
    ("the learning rate changed one epoch early: call scheduler.step() after the epoch's "
     "optimizer steps, not before them", lambda *a: _epochs_reference(*a, where="before")),
    ("the learning rate changed one epoch early: call scheduler.step() after the epoch's "
     "optimizer steps, not before them",
     lambda *a: _epochs_reference(*a, where="before", record="after_early_step")),
    ("the learning rate never changed: call scheduler.step() once per epoch",
     lambda *a: _epochs_reference(*a, where="never")),
    ("record each epoch's learning rate at its start, before scheduler.step()",
     lambda *a: _epochs_reference(*a, record="end")),
    (_ACCUMULATING, lambda *a: _epochs_reference(*a, step=_no_zero_grad)),
]

EPOCHS = 5


def _run_epochs(train, name="train_epochs", seed=502):
    model, batches = _model_and_batches(seed, n_batches=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    out = call(train, model, optimizer, scheduler, nn.CrossEntropyLoss(), list(batches),
               EPOCHS, name=name)
    return _float_list(out, name, EPOCHS, "learning rates"), _parameters(model)


def _judge_epochs(got, seed):
    """Epochs of training steps with scheduler.step() once per epoch, at its end."""
    name = "train_epochs"
    if not _same(got, _run_epochs(_train_epochs, seed=seed)):
        hint = _diagnose(got, lambda fn: _run_epochs(fn, seed=seed), EPOCH_MUTANTS)
        fail(f"{name} differs from the reference: " + (hint or (
            "per epoch: record optimizer.param_groups[0]['lr'], run a training step on "
            "every batch, then call scheduler.step() once")))
    return f"PASS: {name} matches the reference over {EPOCHS} epochs with StepLR"


train_epochs = Exercise("train_epochs", seed=502, cases=_seeded, torch=True, points=2,
                        run=lambda student, seed: _run_epochs(student, seed=seed),
                        judge=_judge_epochs)


# ---------------------------------------------------------------- clipping


def _clipped(model, optimizer, loss_fn, x, y, max_norm, *, mode="norm"):
    optimizer.zero_grad()
    if mode == "before":
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    loss = loss_fn(model(x), y)
    loss.backward()
    if mode == "norm":
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    elif mode == "value":
        nn.utils.clip_grad_value_(model.parameters(), max_norm)
    elif mode == "each":
        for p in model.parameters():
            nn.utils.clip_grad_norm_([p], max_norm)
    optimizer.step()
    if mode == "after":
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss.item()


_NOT_CLIPPED = ("the gradients were not clipped: call "
                "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) after "
                "loss.backward() and before optimizer.step()")

CLIP_MUTANTS = [
    (_NOT_CLIPPED, lambda *a: _clipped(*a, mode="before")),
    (_NOT_CLIPPED, lambda *a: _clipped(*a, mode="after")),
    (_NOT_CLIPPED, lambda *a: _clipped(*a, mode="none")),
    ("you clipped each gradient entry (clip_grad_value_); clip the total norm with "
     "clip_grad_norm_", lambda *a: _clipped(*a, mode="value")),
    ("you clipped each parameter's gradient separately; pass all parameters to one "
     "clip_grad_norm_ call, so that their total norm is at most max_norm",
     lambda *a: _clipped(*a, mode="each")),
    (_ACCUMULATING, lambda m, o, f, x, y, c: (
        _no_zero_grad_clipped(m, o, f, x, y, c))),
]


def _no_zero_grad_clipped(model, optimizer, loss_fn, x, y, max_norm):
    loss = loss_fn(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def _run_clipped(step, name="clipped_training_step", seed=503, max_norm=0.1):
    model, batches = _model_and_batches(seed, scale=4.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for x, y in batches:
        out = call(step, model, optimizer, loss_fn, x.clone(), y.clone(), max_norm, name=name)
        losses.append(as_float(out, name, "the loss"))
    return losses, _parameters(model)


def _judge_clipped(got, seed):
    """A training step with clip_grad_norm_ between backward and step."""
    name = "clipped_training_step"
    if not _same(got, _run_clipped(lambda *a: _clipped(*a), seed=seed)):
        hint = _diagnose(got, lambda fn: _run_clipped(fn, seed=seed), CLIP_MUTANTS)
        fail(f"{name} differs from the reference: " + (hint or (
            "zero_grad, forward, loss, backward, clip_grad_norm_(model.parameters(), "
            "max_norm), step, return loss.item()")))
    return f"PASS: {name} matches the reference over 6 clipped steps"


clipped_training_step = Exercise(
    "clipped_training_step", seed=503, cases=_seeded, torch=True,
    run=lambda student, seed: _run_clipped(student, seed=seed), judge=_judge_clipped)
