"""Optimization in action: every optimizer racing down the same ravine.

    from course_utils import widgets
    race = widgets.race()        # theta1^2 + 10 theta2^2 from (-5, 3), lr 0.10, beta 0.90
    race                         # Play, step, speed, lr, beta in the browser; noise in the kernel

All optimizers start together from the same point with the same learning
rate. Press Play (or drag the step slider) to watch them step; the arrow on
each runner is the step it is about to take, x[k+1] - x[k], drawn to scale.
For the momentum methods that step is the velocity: lr times the momentum
buffer.

Play, step, lr and beta are answered in the browser from runs the kernel
made beforehand over a grid of lr stops (0.1 decades apart) and beta values
(widgets.view); the noise slider reruns that grid in the kernel.
`race.animation()` exports the current settings as a self-contained HTML
animation for slides and saved notebooks.
"""
from __future__ import annotations

import ipywidgets as w
import numpy as np

from course_utils import landscapes as landscapes_module
from course_utils import plotting, registry
from course_utils.runner import run_together
from course_utils.style import color_for
from course_utils.widgets import view as fast
from course_utils.widgets.base import WidgetBase
from course_utils.widgets.controls import labelled, log_slider
from course_utils.widgets.explorer import slider_stops, trajectories_at

RACE_OPTIMIZERS = ("SGD", "SGD+momentum", "SGD+Nesterov", "Adagrad", "RMSprop", "Adam")
#: the beta values the browser can switch between without the kernel
BETA_STOPS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


class Race(WidgetBase):
    """The race's state: controls, the browser view, trajectories.

    Attributes:
        controls: {name: widget} - 'play' and 'step' (the step shown),
            'speed' (steps per frame), 'lr', 'beta', 'noise'.
        view: the TrajectoryView drawn in the browser.
        trajectories: {optimizer: Trajectory} for the current settings.
        ui: the layout; displaying the Race shows it.
    """

    what = "optimizer race"

    def __init__(self, landscape=None, optimizers=RACE_OPTIMIZERS, start=(-5.0, 3.0),
                 lr: float = 0.10, beta: float = 0.90, steps: int = 150, speed: int = 2,
                 noise: float = 0.0, seed: int = 0, interval: int = 100,
                 arrow_scale: float = 1.0, figsize=(10, 4.4), bounds=None, interactive=None):
        super().__init__()
        self.landscape = landscape if landscape is not None else landscapes_module.ravine()
        self.names = tuple(optimizers)
        for name in self.names:
            registry.get(name)  # unknown names fail here, with the list of choices
        self.start = tuple(float(v) for v in start)
        self.steps = int(steps)
        self.seed = seed
        self.arrow_scale = float(arrow_scale)
        self.figsize = figsize
        self.bounds = plotting.plot_window(self.landscape, bounds)
        self.fps = 1000.0 / max(int(interval), 1)
        self.controls = self._make_controls(lr, beta, speed, noise)
        self.view = fast.TrajectoryView(lr=float(lr), beta=float(beta), frame=0)
        self._extra = {}
        w.link((self.view, "frame"), (self.controls["step"], "value"))
        self.controls["noise"].observe(lambda change: self.rerun(), names="value")
        self.view.observe(self._from_browser, names=["lr", "beta"])
        for name in ("lr", "beta"):
            self.controls[name].observe(self._from_kernel, names="value")
        self.rerun()

    def _make_controls(self, lr, beta, speed, noise):
        play = w.Play(value=0, min=0, max=self.steps, step=int(speed), show_repeat=False)
        step = w.IntSlider(value=0, min=0, max=self.steps, description="step")
        speed_slider = w.IntSlider(value=int(speed), min=1, max=10, description="speed")
        self._links = [w.link((play, "value"), (step, "value")),
                       w.link((speed_slider, "value"), (play, "step"))]
        return {
            "play": play, "step": step, "speed": speed_slider,
            "lr": log_slider(lr, -3.0, 0.0, 0.1, description="lr"),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="beta"),
            "noise": w.FloatSlider(value=noise, min=0.0, max=5.0, step=0.05),
        }

    # -- reacting to the controls --------------------------------------------

    @property
    def settings(self) -> dict:
        c = self.controls
        return dict(lr=c["lr"].value, beta=c["beta"].value, noise=c["noise"].value)

    def _from_browser(self, change):
        if not self.hold:
            with self.hold():
                self.controls[change["name"]].value = change["new"]
            self._settle()

    def _from_kernel(self, change):
        if not self.hold:
            with self.hold():
                setattr(self.view, change["owner"].description, change["new"])
            self._settle()

    def _settle(self):
        """A setting off the precomputed grid: run it here and send the runs."""
        s = self.settings
        if all(grid.index(s["lr"], s["beta"])[2] for grid in self._grids):
            self._extra = {}
            return
        self._extra = run_together({name: registry.make(name, s["lr"], s["beta"])
                                    for name in self.names}, self.landscape, self.start,
                                   self.steps, s["noise"], self.seed)
        floor = self.landscape.minimum_value or 0.0
        self.view.extra = fast.extra_runs(self._extra, s["lr"], s["beta"], floor)

    def rerun(self):
        """Run every optimizer over the lr and beta grid (current noise) and send it."""
        s = self.settings
        betas = sorted(set(BETA_STOPS) | {round(float(s["beta"]), 6)})
        self._grids = fast.precompute(self.landscape, self.names, self.start, self.steps,
                                      slider_stops(self.controls["lr"]), betas, None,
                                      s["noise"], self.seed)
        spec = fast.view_spec(self.landscape, self._grids, self.start, self.steps, mode="race",
                              window=self.bounds, fps=self.fps, loss_title="loss so far")
        spec["speed"] = int(self.controls["speed"].value)
        self.view.spec = spec
        self._settle()

    @property
    def trajectories(self) -> dict:
        """{optimizer: Trajectory} at the current lr and beta."""
        s = self.settings
        return trajectories_at(self._grids, self._extra, s["lr"], s["beta"], self.steps)

    def frame(self, k: int) -> dict:
        """Positions and update vectors at step k: the data one frame shows."""
        k = int(np.clip(k, 0, self.steps))
        heads, vectors = [], []
        for traj in self.trajectories.values():
            n = int(traj.n_valid)
            i = min(k, n - 1)
            here = traj.xs[i]
            ahead = traj.xs[i + 1] if (i + 1 < n and i == k and k < self.steps) else here
            heads.append(here)
            vectors.append((ahead - here) * self.arrow_scale)
        return dict(step=k, heads=np.array(heads), vectors=np.array(vectors))

    def show_step(self, k: int):
        """Show step k (the browser draws it)."""
        self.controls["step"].value = int(np.clip(k, 0, self.steps))

    # -- outputs --------------------------------------------------------------

    def animation(self, **options):
        """The current race as a self-contained HTML animation (RaceAnimation)."""
        from course_utils.animation import RaceAnimation

        return RaceAnimation(self.landscape, list(self.trajectories.values()),
                             bounds=self.bounds, **options)

    def figure(self):
        """The finished race as a matplotlib Figure (the stored snapshot)."""
        fig, ax, loss_ax, rule = fast.build_figure(self.landscape, self.bounds, self.start,
                                                   figsize=self.figsize)
        loss_ax.set_xlim(0, self.steps)
        loss_ax.set_title("loss so far", fontsize="medium")
        for name, traj in self.trajectories.items():
            plotting.path(traj, ax, color=color_for(name), label=name, window=self.bounds)
            losses = traj.valid_losses() - rule["floor"]
            loss_ax.plot(np.arange(len(losses)), losses, color=color_for(name))
        handles, labels = ax.get_legend_handles_labels()
        fig.subplots_adjust(bottom=0.27)
        fig.legend(handles, labels, loc="lower center", ncols=min(3, len(handles)),
                   fontsize="small", framealpha=0.95)
        return fig

    @property
    def ui(self) -> w.Box:
        if not hasattr(self, "_ui"):
            note = w.HTML("<div style='font-size:16px;width:268px;line-height:1.3'>Same lr for "
                          "every optimizer; beta is the momentum (Adam's first beta). The arrow "
                          "is the step about to be taken.</div>")
            column = w.VBox([labelled(self.controls["noise"], "gradient noise σ"), note],
                            layout=w.Layout(width="276px", flex="none"))
            self._ui = w.HBox([self.view, column], layout=w.Layout(flex_flow="row nowrap"))
        return self._ui


def race(landscape=None, optimizers=RACE_OPTIMIZERS, start=(-5.0, 3.0), lr: float = 0.10,
         beta: float = 0.90, steps: int = 150, speed: int = 2, noise: float = 0.0,
         seed: int = 0, **options) -> Race:
    """Every optimizer racing from the same start with the same lr.

    Args:
        landscape: default landscapes.ravine(), L = theta1^2 + 10 theta2^2.
        optimizers: names from course_utils.registry; default SGD,
            SGD+momentum, SGD+Nesterov, Adagrad, RMSprop and Adam.
        start: where every run starts; default (-5, 3).
        lr: shared learning rate (default 0.10: plain SGD sits exactly at its
            stability limit 2 / lambda_max = 0.1 on the ravine and bounces).
        beta: momentum (SGD+momentum, SGD+Nesterov) and Adam's first beta.
        steps: length of the race.
        speed: steps per animation frame.
        noise: gradient noise std; seed: its seed.
        **options: interval (ms per frame), arrow_scale, figsize (of the
            stored snapshot), bounds.
    """
    return Race(landscape=landscape, optimizers=optimizers, start=start, lr=lr, beta=beta,
                steps=steps, speed=speed, noise=noise, seed=seed, **options)
