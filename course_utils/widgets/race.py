"""Optimization in action: every optimizer racing down the same ravine.

    from course_utils import widgets
    race = widgets.race()        # theta1^2 + 10 theta2^2 from (-5, 3), lr 0.10, beta 0.90
    race                         # Play, step, speed, lr, beta, noise; map + loss curves

All optimizers start together from the same point with the same learning
rate. Press Play (or drag the step slider) to watch them step; the arrow on
each runner is the step it is about to take, x[k+1] - x[k], drawn to scale
(it ends where the next point lands). For the momentum methods that step is
the velocity: lr times the momentum buffer. Changing lr, beta or the noise
reruns every optimizer and keeps the current step.

Same machinery as the explorer (one persistent figure, contour drawn once,
artists moved in place, draw_idle); `race.animation()` exports the current
settings as a self-contained HTML animation for slides and saved notebooks.
"""
from __future__ import annotations

import numpy as np
import ipywidgets as w

from course_utils import landscapes as landscapes_module
from course_utils import plotting
from course_utils.style import color_for
from course_utils.widgets.explorer import (FigureHost, FigureLegend, _Held, display_bundle,
                                           landscape_floor, log_slider, loss_limits,
                                           make_optimizer, run_together, set_loss_scale)

RACE_OPTIMIZERS = ("SGD", "SGD+momentum", "SGD+Nesterov", "Adagrad", "RMSprop", "Adam")


class Race:
    """The race's state: controls, figure, artists, trajectories.

    Attributes:
        controls: {name: widget} - 'play' (ipywidgets.Play), 'step', 'speed'
            (steps per frame), 'lr', 'beta', 'noise'.
        fig, ax (the map), loss_ax (loss so far).
        artists: {optimizer: Line2D} - the path so far.
        paths: {optimizer: plotting.PathArtists}.
        heads: a PathCollection, one dot per optimizer at its current point.
        arrows: a Quiver, one update arrow per optimizer.
        loss_lines: {optimizer: Line2D}.
        step_text: the "step k / N" Text.
        trajectories: {optimizer: Trajectory} for the current settings.
        ui: the layout; displaying the Race shows it.
    """

    def __init__(self, landscape=None, optimizers=RACE_OPTIMIZERS, start=(-5.0, 3.0),
                 lr: float = 0.10, beta: float = 0.90, steps: int = 150, speed: int = 2,
                 noise: float = 0.0, seed: int = 0, interval: int = 100,
                 arrow_scale: float = 1.0, figsize=(10, 4.4), bounds=None,
                 interactive: bool | None = None):
        self.landscape = landscape if landscape is not None else landscapes_module.ravine()
        self.names = tuple(optimizers)
        for name in self.names:
            make_optimizer(name, 0.1)  # unknown names fail here, with the list of choices
        self.start = tuple(float(v) for v in start)
        self.steps = int(steps)
        self.seed = seed
        self.arrow_scale = float(arrow_scale)
        self.bounds = plotting._window(self.landscape, bounds)
        self.hold = _Held()
        self.controls = self._make_controls(lr, beta, speed, noise, interval)
        self.host = FigureHost(figsize, interactive)
        self.fig = self.host.fig
        self._build_figure()
        self.controls["play"].observe(self._on_step, names="value")
        for name in ("lr", "beta", "noise"):
            self.controls[name].observe(self._on_settings, names="value")
        self.rerun()

    # -- construction ---------------------------------------------------------

    def _make_controls(self, lr, beta, speed, noise, interval):
        style = {"description_width": "70px"}
        play = w.Play(value=0, min=0, max=self.steps, step=int(speed), interval=int(interval),
                      description="play", show_repeat=False)
        step = w.IntSlider(value=0, min=0, max=self.steps, description="step",
                           style=style, layout=w.Layout(width="420px"))
        speed_slider = w.IntSlider(value=int(speed), min=1, max=10, description="speed",
                                   tooltip="steps per frame", style=style,
                                   layout=w.Layout(width="260px"))
        # kernel-side links: the Play drives the slider, the slider scrubs the Play,
        # and speed is the number of steps the Play advances per frame
        self._links = [w.link((play, "value"), (step, "value")),
                       w.link((speed_slider, "value"), (play, "step"))]
        return {
            "play": play,
            "step": step,
            "speed": speed_slider,
            "lr": log_slider(lr, -3.0, 0.0, 0.02, description="lr", style=style,
                             layout=w.Layout(width="340px")),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                  description="beta", style=style,
                                  layout=w.Layout(width="340px")),
            "noise": w.FloatSlider(value=noise, min=0.0, max=5.0, step=0.05,
                                   description="noise σ", style=style,
                                   layout=w.Layout(width="340px")),
        }

    def _build_figure(self):
        fig = self.fig
        self.ax, self.loss_ax = fig.subplots(1, 2, width_ratios=[1.55, 1])
        fig.register_static(*plotting.draw_landscape(self.landscape, self.ax, self.bounds))
        self.ax.set_title(f"${self.landscape.formula}$", y=1.0, pad=10)
        self.ax.set_xlabel(r"$\theta_1$")
        self.ax.set_ylabel(r"$\theta_2$")
        colors = [color_for(name) for name in self.names]
        self.paths, self.artists, self.loss_lines = {}, {}, {}
        for name, color in zip(self.names, colors):
            self.paths[name] = plotting.PathArtists(self.ax, color, name, markers=True,
                                                    window=self.bounds)
            self.paths[name].end.set_visible(False)  # the moving head marks the end
            self.artists[name] = self.paths[name].line
            (self.loss_lines[name],) = self.loss_ax.plot([], [], color=color, label=name)
        start = np.tile(self.start, (len(self.names), 1))
        self.heads = self.ax.scatter(start[:, 0], start[:, 1], s=plotting._ms(1.9) ** 2,
                                     c=colors, edgecolors="black", linewidths=1.2, zorder=8)
        self.arrows = plotting.arrows(self.ax, start, np.zeros_like(start), colors)
        self.step_text = self.ax.text(0.98, 0.96, "", transform=self.ax.transAxes, ha="right",
                                      va="top", zorder=10, fontweight="bold",
                                      bbox=dict(facecolor="white", alpha=0.85, edgecolor="none"))
        self.floor = landscape_floor(self.landscape)
        set_loss_scale(self.loss_ax, self.landscape)
        self.loss_ax.set_xlim(0, self.steps)
        self.loss_ax.set_ylim(*loss_limits(self.landscape, self.start))
        self.loss_ax.set_xlabel("step")
        self.loss_ax.set_title("loss so far", y=1.0, pad=10)
        self.loss_ax.grid(True, alpha=0.3)
        self.legend = FigureLegend(fig)
        self.legend.set([self.artists[name] for name in self.names])

    # -- reacting to the controls --------------------------------------------

    @property
    def settings(self) -> dict:
        c = self.controls
        return dict(lr=c["lr"].value, beta=c["beta"].value, noise=c["noise"].value)

    def _on_settings(self, change):
        if not self.hold:
            self.rerun()

    def _on_step(self, change):
        if not self.hold:
            self.show_step(change["new"])

    def rerun(self):
        """Run every optimizer with the current lr / beta / noise, keep the step."""
        s = self.settings
        opts = {name: make_optimizer(name, s["lr"], s["beta"]) for name in self.names}
        self.trajectories = run_together(opts, self.landscape, self.start, self.steps,
                                         s["noise"], self.seed)
        self.show_step(self.controls["play"].value)

    def frame(self, k: int) -> dict:
        """Positions, update vectors and losses at step k: the data one frame shows."""
        k = int(np.clip(k, 0, self.steps))
        heads, vectors = [], []
        for name in self.names:
            traj = self.trajectories[name]
            n = int(traj.n_valid)  # finite points
            i = min(k, n - 1)
            here = traj.xs[i]
            ahead = traj.xs[i + 1] if (i + 1 < n and i == k and k < self.steps) else here
            heads.append(here)
            vectors.append((ahead - here) * self.arrow_scale)
        return dict(step=k, heads=np.array(heads), vectors=np.array(vectors))

    def show_step(self, k: int):
        """Draw every optimizer's path up to step k, its head and its next step."""
        k = int(np.clip(k, 0, self.steps))
        for name in self.names:
            traj = self.trajectories[name]
            points = traj.path()[: k + 1]
            diverged = int(traj.diverged_at)
            self.paths[name].update(points, diverged if 0 <= diverged <= k else -1)
            losses = traj.valid_losses()[: k + 1] - self.floor
            self.loss_lines[name].set_data(np.arange(len(losses)), losses)
        data = self.frame(k)
        self.heads.set_offsets(data["heads"])
        self.arrows.set_offsets(data["heads"])
        self.arrows.set_UVC(data["vectors"][:, 0], data["vectors"][:, 1])
        self.step_text.set_text(f"step {k} / {self.steps}")
        self.legend.refresh()
        self.host.redraw()

    # -- outputs --------------------------------------------------------------

    def animation(self, **options):
        """The current race as a self-contained HTML animation (RaceAnimation)."""
        from course_utils.animation import RaceAnimation

        return RaceAnimation(self.landscape, list(self.trajectories.values()),
                             bounds=self.bounds, **options)

    @property
    def ui(self) -> w.Box:
        if not hasattr(self, "_ui"):
            c = self.controls
            top = w.HBox([c["play"], c["step"], c["speed"]])
            knobs = w.HBox([c["lr"], c["beta"], c["noise"]])
            note = w.HTML("<small>Same lr for every optimizer; beta is the momentum "
                          "(Adam's first beta). Arrow = the step about to be taken.</small>")
            self._ui = w.VBox([top, knobs, self.host.widget, note])
        return self._ui

    def _repr_mimebundle_(self, include=None, exclude=None):
        # the stored snapshot shows the finished race, then the live view goes back
        k = self.controls["play"].value
        with self.hold():
            self.show_step(self.steps)
            bundle = display_bundle(self.ui, self.host)
            self.show_step(k)
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def race(landscape=None, optimizers=RACE_OPTIMIZERS, start=(-5.0, 3.0), lr: float = 0.10,
         beta: float = 0.90, steps: int = 150, speed: int = 2, noise: float = 0.0,
         seed: int = 0, **options) -> Race:
    """Every optimizer racing from the same start with the same lr.

    Args:
        landscape: default landscapes.ravine(), L = theta1^2 + 10 theta2^2.
        optimizers: names (see explorer.OPTIMIZER_CHOICES); default SGD,
            SGD+momentum, SGD+Nesterov, Adagrad, RMSprop and Adam.
        start: where every run starts; default (-5, 3).
        lr: shared learning rate (default 0.10: plain SGD sits exactly at its
            stability limit 2 / lambda_max = 0.1 on the ravine and bounces).
        beta: momentum (SGD+momentum, SGD+Nesterov) and Adam's first beta.
        steps: length of the race.
        speed: steps per animation frame (the Play advances this many).
        noise: gradient noise std; seed: its seed.
        **options: interval (ms per frame), arrow_scale, figsize, bounds,
            interactive.
    """
    return Race(landscape=landscape, optimizers=optimizers, start=start, lr=lr, beta=beta,
                steps=steps, speed=speed, noise=noise, seed=seed, **options)
