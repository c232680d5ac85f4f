"""torch.optim in everyday use: small helpers behind lectures 05 and 06.

    from course_utils import torch_practice
    torch_practice.optimizer_defaults(torch.optim.Adam)
    # {'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0, ...}
    lrs = torch_practice.lr_schedule(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100), steps=100)

- `optimizer_defaults` reads the tunable hyperparameters and their defaults
  from a torch.optim class's signature, so a reference table never goes stale.
- `lr_schedule` records the learning rate a scheduler hands to every
  optimizer step, with scheduler.step() called where it belongs: after
  optimizer.step(), once per batch or once per epoch.
- `states_equal` compares two state_dicts bit for bit (a resumed run must
  continue exactly where the saved one stopped).
- `trajectory_from_points` turns the positions recorded by a hand-written
  training loop into the course's Trajectory, with the same divergence
  handling as `course_utils.run`, so the usual plots work on it.
- `RunViewer` is a small widget over training Histories: pick runs and a
  smoothing window, and `training.Comparison(...).plot()` follows.
"""
from __future__ import annotations

import inspect
import io
from typing import Callable, Mapping, Sequence

import numpy as np

from course_utils.runner import BLOWUP, Trajectory, step_and_record
from course_utils.widgets.base import WidgetBase

__all__ = ["IMPLEMENTATION_FLAGS", "optimizer_defaults", "lr_schedule", "states_equal",
           "trajectory_from_points", "RunViewer"]

#: Constructor arguments that choose a code path or a sign convention, not a
#: hyperparameter you tune (plus `params` itself).
IMPLEMENTATION_FLAGS = ("params", "foreach", "fused", "differentiable", "capturable", "maximize")


def optimizer_defaults(optimizer_class) -> dict:
    """The tunable hyperparameters of a torch.optim class and their defaults.

    Read from the constructor's signature (in its order), leaving out
    IMPLEMENTATION_FLAGS. A parameter without a default maps to None.

    >>> optimizer_defaults(torch.optim.SGD)
    {'lr': 0.001, 'momentum': 0, 'dampening': 0, 'weight_decay': 0, 'nesterov': False}
    """
    parameters = inspect.signature(optimizer_class).parameters
    return {name: (None if p.default is inspect.Parameter.empty else p.default)
            for name, p in parameters.items() if name not in IMPLEMENTATION_FLAGS}


def lr_schedule(make_scheduler: Callable, steps: int, lr: float = 1.0,
                step_every: int = 1) -> np.ndarray:
    """The learning rate used by each of `steps` optimizer steps under a scheduler.

    Args:
        make_scheduler: optimizer -> torch.optim.lr_scheduler object.
        steps: optimizer steps to record.
        lr: the optimizer's base learning rate (schedulers scale or replace it).
        step_every: call scheduler.step() after every `step_every` optimizer
            steps: 1 for a per-batch schedule (OneCycleLR), the number of
            batches per epoch for a per-epoch schedule (StepLR).

    Returns:
        float array (steps,): entry k is the lr that optimizer step k used.
    """
    import torch

    if steps < 0 or step_every < 1:
        raise ValueError(f"need steps >= 0 and step_every >= 1; got {steps}, {step_every}")
    param = torch.zeros(1, requires_grad=True)
    param.grad = torch.zeros(1)
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)  # momentum: OneCycleLR cycles it
    scheduler = make_scheduler(optimizer)
    lrs = np.empty(steps)
    for k in range(steps):
        lrs[k] = float(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if (k + 1) % step_every == 0:
            scheduler.step()
    return lrs


def states_equal(a, b) -> bool:
    """Whether two state_dicts (nested dicts, lists and tuples of tensors and
    plain values) hold the same keys and bit-identical values."""
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(states_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(states_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def trajectory_from_points(points, value: Callable, grad: Callable, label: str = "",
                           blowup: float = BLOWUP) -> Trajectory:
    """A Trajectory from the positions a hand-written loop visited.

    Args:
        points: sequence of positions (x0 first), each shaped (d,): NumPy
            arrays, torch tensors or lists; inf and NaN are allowed.
        value, grad: NumPy functions of a point (e.g. landscape.value and
            landscape.grad) giving the loss and the true gradient there.
        label: legend name (its colour: style.color_for(label)).
        blowup: |theta| or |loss| beyond this counts as divergence.

    Returns:
        A Trajectory judged exactly as `course_utils.run` judges its own runs:
        the first non-finite or runaway point sets `diverged_at`, and from
        there on positions and losses are NaN.
    """
    xs = np.asarray([np.asarray(p, dtype=float).reshape(-1) for p in points])
    if xs.ndim != 2 or len(xs) == 0:
        raise ValueError("points must be a non-empty sequence of 1-D positions")
    return step_and_record(len(xs) - 1, xs.shape[1:],
                           lambda k: (xs[k], np.asarray(value(xs[k]), dtype=float),
                                      np.asarray(grad(xs[k]), dtype=float)),
                           lambda g: None, True, blowup, label)


class RunViewer(WidgetBase):
    """Pick training runs and a smoothing window; the comparison figure follows.

        viewer = RunViewer(histories, selected=("Adam", "AdamW"))
        viewer          # last expression of a notebook cell: the controls and the figure

    The figure is `training.Comparison(chosen).plot(smoothing)`, rendered to a
    PNG inside an ipywidgets.Image after every change (no Output widget, so
    headless notebook runs never wait on it). Displaying the viewer stores a
    PNG snapshot above the widget (widgets.base), so a saved notebook shows
    the picture where widgets are not rendered.

    Attributes:
        controls: {'runs': SelectMultiple, 'smoothing': IntSlider}.
        image: the ipywidgets.Image showing the figure.
        ui: the whole widget (a VBox).
        renders: how many times the figure was drawn (for tests).
    """

    def __init__(self, histories: Mapping, selected: Sequence[str] | None = None,
                 smoothing: int = 50, figsize: tuple[float, float] = (18, 6.5)):
        import ipywidgets as w

        super().__init__()
        if not histories:
            raise ValueError("RunViewer needs at least one History")
        self.histories = dict(histories)
        selected = tuple(selected) if selected is not None else tuple(self.histories)[:3]
        unknown = [name for name in selected if name not in self.histories]
        if unknown:
            raise ValueError(f"unknown runs {unknown}; choose from {list(self.histories)}")
        self.figsize = figsize
        self.controls = {
            "runs": w.SelectMultiple(options=list(self.histories), value=selected,
                                     rows=min(len(self.histories), 8), description="runs",
                                     layout=w.Layout(width="420px")),
            "smoothing": w.IntSlider(value=smoothing, min=1, max=200, description="smoothing",
                                     continuous_update=False),
        }
        self.image = w.Image(format="png", layout=w.Layout(width="auto", height="auto"))
        self._ui = w.VBox([w.HBox(list(self.controls.values())), self.image])
        self.renders = 0
        for control in self.controls.values():
            control.observe(lambda change: self.update(), names="value")
        self.update()

    def figure(self):
        """The comparison figure for the current choice (at least one run)."""
        from course_utils.training import Comparison

        names = self.controls["runs"].value or tuple(self.histories)[:1]
        return Comparison({name: self.histories[name] for name in names}).plot(
            smoothing=self.controls["smoothing"].value, figsize=self.figsize)

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png")
        return buffer.getvalue()

    what = "run viewer"

    @property
    def ui(self):
        return self._ui

    def snapshot_png(self) -> bytes:
        return self.image.value

    def update(self) -> None:
        self.image.value = self.png()
        self.renders += 1
