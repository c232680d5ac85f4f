"""The optimizer explorer: every knob of a 2-D optimization run on one screen.

    from course_utils import widgets
    ex = widgets.explorer(landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"))
    ex                       # in a notebook: figure, fast sliders, table, other controls

The lr and steps sliders are answered in the browser (widgets.view): the
kernel has already run every shown optimizer at every lr stop of the slider
(one batched run per optimizer), so a key press only redraws. A typed lr off
those stops goes to the kernel. The other controls - landscape, optimizers,
beta, beta2, start point, gradient noise - rerun the grid in the kernel
(tens of milliseconds) and send it again.

`controls` holds an ipywidget per setting, so code can read and set them
(ex.controls["lr"].value = 0.02); changing the lr slider's `step`, `min` or
`max` changes the stops the browser gets.
"""
from __future__ import annotations

import ipywidgets as w
import numpy as np

from course_utils import landscapes as landscapes_module
from course_utils import plotting, registry
from course_utils.runner import Trajectory, run_together
from course_utils.style import color_for
from course_utils.widgets import view as fast
from course_utils.widgets.base import WidgetBase
from course_utils.widgets.controls import labelled, log_slider, start_step
from course_utils.widgets.table import results_table_html

#: Most points (lr stops x steps x optimizers) sent to the browser per widget,
#: about 1.2 MB; beyond it the lr stops are those nearest the current value.
POINT_BUDGET = 150_000

# (label, value) for the beta2 slider; "default" = every optimizer's own torch default
BETA2_CHOICES = (("default", "default"), ("0.5", 0.5), ("0.9", 0.9), ("0.95", 0.95),
                 ("0.99", 0.99), ("0.995", 0.995), ("0.999", 0.999), ("0.9999", 0.9999))


def slider_stops(slider) -> np.ndarray:
    """The values a FloatLogSlider stops at."""
    count = int(np.floor((slider.max - slider.min) / slider.step + 1e-9)) + 1
    return np.array([float(f"{10.0 ** (slider.min + i * slider.step):.6g}") for i in range(count)])


def budget_stops(stops, value: float, per_stop: int, budget: int = POINT_BUDGET):
    """At most budget // per_stop of the stops, those nearest `value`."""
    keep = max(3, budget // max(per_stop, 1))
    if len(stops) <= keep:
        return stops
    centre = int(np.argmin(np.abs(np.log10(stops) - np.log10(value))))
    lo = int(np.clip(centre - keep // 2, 0, len(stops) - keep))
    return stops[lo:lo + keep]


def grid_trajectory(grid, bi: int, li: int, steps: int, label: str) -> Trajectory:
    """One precomputed run, cut to `steps` steps (a shorter run is a prefix)."""
    diverged = int(grid.diverged_at[bi, li])
    return Trajectory(xs=grid.xs[bi, li, :steps + 1], losses=grid.losses[bi, li, :steps + 1],
                      grad_norms=grid.grad_norms[bi, li, :steps + 1],
                      diverged_at=np.asarray(diverged if diverged <= steps else -1), label=label)


def trajectories_at(grids, extra: dict, lr: float, beta: float, steps: int) -> dict:
    """{optimizer: Trajectory} at (lr, beta): from the grid where it holds them,
    else from the kernel's own runs in `extra`; cut to `steps` steps."""
    out = {}
    for grid in grids:
        bi, li, exact = grid.index(lr, beta)
        source = grid if exact else as_grid(extra[grid.name])
        out[grid.name] = grid_trajectory(source, bi if exact else 0, li if exact else 0, steps,
                                         grid.name)
    return out


class Explorer(WidgetBase):
    """The explorer's state: controls, the browser view, trajectories.

    Attributes:
        controls: {name: widget} - 'landscape', 'optimizers', 'lr', 'beta',
            'beta2', 'steps', 'start_x', 'start_y', 'noise'.
        view: the TrajectoryView drawn in the browser (with the lr and steps sliders).
        trajectories: {optimizer: Trajectory} for the optimizers shown, at
            the current settings.
        ui: the whole layout; displaying the Explorer shows it.
    """

    what = "optimizer explorer"

    def __init__(self, landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"),
                 lr: float = 0.05, beta: float = 0.9, beta2: float | None = None, steps: int = 100,
                 start=None, noise: float = 0.0, seed: int = 0, tol: float = 1e-6,
                 choices=None, landscapes: dict | None = None, figsize=(10, 4.4),
                 max_steps: int | None = None, markers: bool = True, interactive=None):
        super().__init__()
        self.landscapes = dict(landscapes or landscapes_module.all_landscapes())
        if not isinstance(landscape, str):
            self.landscapes.setdefault(landscape.name, landscape)
            landscape = landscape.name
        if landscape not in self.landscapes:
            raise ValueError(f"unknown landscape {landscape!r}; choose from "
                             f"{', '.join(self.landscapes)}")
        self.choices = tuple(choices) if choices is not None else registry.names()
        for name in (*optimizers, *self.choices):
            registry.get(name)  # unknown names fail here, with the list of choices
        self.seed, self.tol, self.markers, self.figsize = seed, float(tol), markers, figsize
        self.landscape = self.landscapes[landscape]
        start = tuple(start) if start is not None else self.landscape.start_point
        max_steps = int(max_steps or int(np.clip(2 * steps, 100, 500)))
        self.controls = self._make_controls(landscape, optimizers, lr, beta, beta2, steps,
                                            start, noise, max(max_steps, steps))
        self.view = fast.TrajectoryView(lr=float(lr), beta=float(beta), steps=int(steps))
        self._grids, self._extra = [], {}
        kernel_side = ("landscape", "optimizers", "beta", "beta2", "start_x", "start_y", "noise")
        for name in kernel_side:
            self.controls[name].observe(self._on_change, names="value")
        self.controls["lr"].observe(self._on_lr_stops, names=["step", "min", "max"])
        self.controls["steps"].observe(self._on_change, names="max")
        # the browser's sliders and the kernel's controls are one setting each
        w.link((self.view, "steps"), (self.controls["steps"], "value"))
        self.view.observe(self._from_browser_lr, names="lr")
        self.controls["lr"].observe(self._from_kernel_lr, names="value")
        self.recompute()

    # -- construction ---------------------------------------------------------

    def _make_controls(self, landscape, optimizers, lr, beta, beta2, steps, start, noise,
                       max_steps):
        (x0, x1), (y0, y1) = self.landscape.bounds
        beta2 = "default" if beta2 is None else beta2
        values = [value for _, value in BETA2_CHOICES]
        if beta2 not in values:
            raise ValueError(f"beta2 must be None or one of {values[1:]}; got {beta2!r}")
        return {
            "landscape": w.Dropdown(options=list(self.landscapes), value=landscape),
            "optimizers": w.SelectMultiple(options=list(self.choices), value=tuple(optimizers),
                                           rows=min(len(self.choices), 4)),
            "lr": log_slider(lr, -4.0, 0.5, 0.05, description="lr"),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01),
            "beta2": w.SelectionSlider(options=list(BETA2_CHOICES), value=beta2),
            "steps": w.IntSlider(value=steps, min=10, max=max_steps, step=10, description="steps"),
            "start_x": w.FloatSlider(value=start[0], min=x0, max=x1, step=start_step(x0, x1),
                                     readout_format=".2f"),
            "start_y": w.FloatSlider(value=start[1], min=y0, max=y1, step=start_step(y0, y1),
                                     readout_format=".2f"),
            "noise": w.FloatSlider(value=noise, min=0.0, max=5.0, step=0.05),
        }

    # -- settings -------------------------------------------------------------

    @property
    def shown(self) -> tuple:
        return tuple(name for name in self.choices if name in self.controls["optimizers"].value)

    @property
    def settings(self) -> dict:
        c = self.controls
        beta2 = c["beta2"].value
        return dict(lr=c["lr"].value, beta=c["beta"].value,
                    beta2=None if beta2 == "default" else beta2,
                    steps=c["steps"].value, start=(c["start_x"].value, c["start_y"].value),
                    noise=c["noise"].value)

    def _on_change(self, change):
        if self.hold:
            return
        if change["owner"] is self.controls["landscape"]:
            self.set_landscape(change["new"])
        else:
            self.recompute()

    def _on_lr_stops(self, change):
        if not self.hold:
            self.recompute()

    def _from_browser_lr(self, change):
        if not self.hold:
            with self.hold():
                self.controls["lr"].value = change["new"]
            self._settle_lr()

    def _from_kernel_lr(self, change):
        if not self.hold:
            with self.hold():
                self.view.lr = change["new"]
            self._settle_lr()

    def _settle_lr(self):
        """An lr off the precomputed stops: run it here and send the runs."""
        lr = self.controls["lr"].value
        if not self._grids or self._grids[0].index(lr, 0.0)[2]:
            self._extra = {}
            return
        s = self.settings
        self._extra = run_together({name: registry.make(name, lr, s["beta"], s["beta2"])
                                    for name in self.shown}, self.landscape, s["start"],
                                   self.controls["steps"].max, s["noise"], self.seed)
        floor = self.landscape.minimum_value or 0.0
        self.view.extra = fast.extra_runs(self._extra, lr, s["beta"], floor)

    def set_start(self, x, y):
        """Move the start point (both sliders, one update)."""
        with self.hold():
            self.controls["start_x"].value = float(x)
            self.controls["start_y"].value = float(y)
        self.recompute()

    def set_landscape(self, name: str):
        """Switch landscape: its map, its start point and its suggested lr."""
        self.landscape = self.landscapes[name]
        (x0, x1), (y0, y1) = self.landscape.bounds
        start = self.landscape.start_point
        c = self.controls
        with self.hold():
            c["landscape"].value = name
            for key, lo, hi, value in (("start_x", x0, x1, start[0]),
                                       ("start_y", y0, y1, start[1])):
                slider = c[key]
                # widen first so that min <= value <= max holds at every moment
                slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
                slider.value = value
                slider.min, slider.max = lo, hi
                slider.step = start_step(lo, hi)
            fresh = log_slider(self.landscape.suggested_lr, -4.0, 0.5, c["lr"].step)
            c["lr"].min, c["lr"].max = min(c["lr"].min, fresh.min), max(c["lr"].max, fresh.max)
            c["lr"].value = fresh.value
            c["lr"].min, c["lr"].max = fresh.min, fresh.max
            self.view.lr = fresh.value
        self.recompute()

    # -- computing ------------------------------------------------------------

    def recompute(self):
        """Run every shown optimizer at every lr stop and send the grid to the browser."""
        s = self.settings
        horizon = self.controls["steps"].max
        shown = self.shown
        stops = budget_stops(slider_stops(self.controls["lr"]), s["lr"],
                             (horizon + 1) * max(len(shown), 1))
        self._grids = fast.precompute(self.landscape, shown, s["start"], horizon, stops,
                                      [s["beta"]], s["beta2"], s["noise"], self.seed)
        self.view.spec = fast.view_spec(self.landscape, self._grids, s["start"], horizon,
                                        mode="explorer", tol=self.tol, markers=self.markers)
        self._settle_lr()

    @property
    def trajectories(self) -> dict:
        """{optimizer: Trajectory} at the current settings (from the grid when on it)."""
        s = self.settings
        return trajectories_at(self._grids, self._extra, s["lr"], s["beta"], s["steps"])

    def table_html(self) -> str:
        return results_table_html(self.trajectories, self.landscape, self.tol)

    # -- display --------------------------------------------------------------

    def figure(self):
        """The explorer's current picture as a matplotlib Figure (the stored snapshot)."""
        s = self.settings
        fig, ax, loss_ax, rule = fast.build_figure(self.landscape, None, s["start"],
                                                   figsize=self.figsize)
        loss_ax.set_xlim(0, s["steps"])
        window = plotting.plot_window(self.landscape, None)
        for name, traj in self.trajectories.items():
            plotting.path(traj, ax, color=color_for(name), label=name, markers=self.markers,
                          window=window)
            losses = traj.valid_losses() - rule["floor"]
            loss_ax.plot(np.arange(len(losses)), losses, color=color_for(name))
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            fig.subplots_adjust(bottom=0.27)
            fig.legend(handles, labels, loc="lower center", ncols=min(3, len(handles)),
                       fontsize="small", framealpha=0.95)
        return fig

    @property
    def ui(self) -> w.Box:
        """The browser view (lr and steps, figure, table) beside the kernel's controls:
        about 840 px wide and 520 px high, so it fits JupyterLab at 1280 x 720
        with the file browser open."""
        if not hasattr(self, "_ui"):
            c = self.controls
            column = w.VBox(
                [labelled(c["landscape"], "landscape"),
                 labelled(c["optimizers"], "optimizers (ctrl/shift-click)"),
                 labelled(c["beta"], "beta", "momentum / first-moment decay"),
                 labelled(c["beta2"], "beta2", "squared-gradient decay (RMSprop's alpha, "
                          "Adam's second beta; 'default' keeps each one's own)"),
                 labelled(c["start_x"], "start θ1"), labelled(c["start_y"], "start θ2"),
                 labelled(c["noise"], "gradient noise σ")],
                layout=w.Layout(width="276px", flex="none"))
            self._ui = w.HBox([self.view, column],
                              layout=w.Layout(flex_flow="row nowrap", grid_gap="10px"))
        return self._ui


def as_grid(traj):
    """A single Trajectory seen as a 1 x 1 grid (for grid_trajectory)."""
    return fast.RunGrid(name=traj.label, betas=np.zeros(1), lrs=np.ones(1),
                        xs=traj.xs[None, None], losses=traj.losses[None, None],
                        grad_norms=traj.grad_norms[None, None],
                        n_valid=np.asarray(traj.n_valid).reshape(1, 1),
                        diverged_at=np.asarray(traj.diverged_at).reshape(1, 1))


def explorer(landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"), lr: float = 0.05,
             beta: float = 0.9, beta2: float | None = None, steps: int = 100, start=None,
             noise: float = 0.0, seed: int = 0, tol: float = 1e-6, **options) -> Explorer:
    """The optimizer explorer (see the module docstring).

    Args:
        landscape: a name from landscapes.all_landscapes() or a Landscape.
        optimizers: the ones shown at first (the menu offers registry.names()).
        lr: learning rate, shared by all optimizers (log slider 1e-4 .. 3,
            stops 0.05 decades apart: 12% per key press; type any value).
        beta: momentum / first-moment decay.
        beta2: second-moment decay, None (each optimizer's torch default:
            Adam 0.999, RMSprop's alpha 0.99) or one of 0.5, 0.9, 0.95, 0.99,
            0.995, 0.999, 0.9999 (the slider's stops).
        steps: optimizer steps shown (the slider goes to max_steps, by default
            twice this, between 100 and 500).
        start: (theta1, theta2); default the landscape's start point.
        noise: std of Gaussian noise added to each gradient coordinate.
        seed: seed of the noise (every update redraws the same noise).
        tol: "steps to tolerance" counts steps until loss - minimum < tol for good.
        **options: choices, landscapes, figsize (of the stored snapshot),
            max_steps, markers.

    Returns:
        An Explorer; display it (last line of a cell) to get the UI.
    """
    return Explorer(landscape=landscape, optimizers=optimizers, lr=lr, beta=beta, beta2=beta2,
                    steps=steps, start=start, noise=noise, seed=seed, tol=tol, **options)
