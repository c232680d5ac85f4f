"""The fast path: a figure the browser draws itself from precomputed runs.

A slider that waits for the kernel pays a round trip and a new image per
key press (about 60 ms inline, 110-120 ms with ipympl, measured in Chromium;
shared/design/WIDGETS.md). Here the kernel runs every optimizer once over a
grid of slider values with the batched NumPy runner (the same optimizers
that equal torch.optim), sends the positions and losses to the browser as
binary buffers, and a small JavaScript module (view.js, an anywidget) draws
the paths, loss curves, legend and table on a canvas over one background
image of the axes. Moving the lr, steps, step or beta slider then only
indexes into that data: no kernel, no new image
(benchmarks/browser_latency.py measures key press -> changed pixels).

A value off the grid (typed into the lr box) is sent to the kernel, which
runs it and sends the runs back; without a kernel (a stored notebook, the
course website) the view shows the nearest precomputed value and says so.

    grid = precompute(landscape, ["SGD", "Adam"], start=(-5, 3), steps=100,
                      lrs=lr_grid(-4, 0.5, 0.05), betas=[0.9])
    view = TrajectoryView(spec=view_spec(landscape, grid, ...))
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from matplotlib.figure import Figure

from course_utils import plotting, registry
from course_utils.runner import run
from course_utils.style import color_for

HERE = Path(__file__).resolve().parent
#: Pixel size of the live figure: fits beside a 300 px control column in a
#: JupyterLab notebook at 1280 x 720 with the file browser open.
LIVE_FIGSIZE = (5.5, 3.2)
LIVE_DPI = 100
#: rcParams of the live figure: tick labels 11 pt = 15 px, the size of the controls' text
LIVE_RC = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 12, "xtick.labelsize": 11,
           "ytick.labelsize": 11, "lines.linewidth": 2.2, "lines.markersize": 7}
#: Positions are sent as 16-bit integers over a frame this many times the map
#: window (about 0.05 px resolution); points beyond it are pinned to its edge.
FRAME_ZOOM = 4.0


def lr_grid(lowest: float, highest: float, step: float, anchor: float | None = None) -> np.ndarray:
    """Learning rates 10**e for exponents lowest..highest in `step`s, through `anchor`."""
    anchor_exp = np.log10(anchor) if anchor is not None else lowest
    below = int(np.floor((anchor_exp - lowest) / step + 1e-9))
    above = int(np.floor((highest - anchor_exp) / step + 1e-9))
    exponents = anchor_exp + step * np.arange(-below, above + 1)
    return np.array([float(f"{10.0 ** e:.6g}") for e in exponents])


@dataclass
class RunGrid:
    """One optimizer's runs over a (beta, lr) grid.

    xs: (n_beta, n_lr, steps + 1, 2) positions (NaN after divergence);
    losses, grad_norms: (n_beta, n_lr, steps + 1); n_valid, diverged_at: (n_beta, n_lr).
    n_beta is 1 for optimizers that do not use beta.
    """

    name: str
    betas: np.ndarray
    lrs: np.ndarray
    xs: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    n_valid: np.ndarray
    diverged_at: np.ndarray

    def index(self, lr: float, beta: float):
        """(beta index, lr index) of the nearest grid point, and whether it is exact."""
        i = int(np.argmin(np.abs(np.log10(self.lrs) - np.log10(lr))))
        j = int(np.argmin(np.abs(self.betas - beta))) if len(self.betas) > 1 else 0
        exact = (abs(np.log10(self.lrs[i]) - np.log10(lr)) < 1e-9
                 and (len(self.betas) == 1 or abs(self.betas[j] - beta) < 1e-9))
        return j, i, exact


def precompute(landscape, names, start, steps: int, lrs, betas, beta2=None, noise: float = 0.0,
               seed=0) -> list:
    """Every optimizer in `names` at every (beta, lr) of the grid, batched over lr.

    Each run equals run(registry.make(name, lr, beta, beta2), landscape,
    start, steps, noise, seed): the noise is shared across the batch.
    """
    lrs = np.asarray(lrs, dtype=float)
    betas = np.asarray(betas, dtype=float)
    grids = []
    for name in names:
        own_betas = betas if registry.uses(name, "beta") else betas[:1]
        parts = [run(registry.make(name, lrs[:, None], beta, beta2), landscape, start, steps,
                     noise=noise, seed=seed, shared_noise=True) for beta in own_betas]
        grids.append(RunGrid(
            name=name, betas=own_betas, lrs=lrs,
            xs=np.stack([np.moveaxis(p.xs, 0, 1) for p in parts]),
            losses=np.stack([np.moveaxis(p.losses, 0, 1) for p in parts]),
            grad_norms=np.stack([np.moveaxis(p.grad_norms, 0, 1) for p in parts]),
            n_valid=np.stack([p.n_valid for p in parts]).astype(np.int32),
            diverged_at=np.stack([p.diverged_at for p in parts]).astype(np.int32)))
    return grids


# --------------------------------------------------------------------------
# The background: axes, map and labels, drawn once by matplotlib


def _pixel_box(fig, ax):
    """An axes' rectangle in figure pixels (left, top, right, bottom; y down)."""
    height = fig.bbox.height
    box = ax.get_window_extent()
    return [box.x0, height - box.y1, box.x1, height - box.y0]


def build_figure(landscape, window, start, title=None, figsize=LIVE_FIGSIZE, dpi=LIVE_DPI):
    """The two panels (map, loss per step) without any run: (fig, map_ax, loss_ax, rule)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax, loss_ax = fig.subplots(1, 2, width_ratios=[1.35, 1])
    plotting.draw_landscape(landscape, ax, window)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$", labelpad=0)
    ax.set_title(title if title is not None else f"${landscape.formula}$", fontsize="medium")
    rule = plotting.set_loss_scale(loss_ax, landscape, start)
    loss_ax.set_xlabel("step", labelpad=16)  # room for the tick labels the browser draws
    loss_ax.set_title("loss per step", fontsize="medium")
    loss_ax.grid(True, axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.115, right=0.96, bottom=0.19, top=0.91, wspace=0.42)
    return fig, ax, loss_ax, rule


def view_spec(landscape, grids, start, steps: int, mode: str = "explorer", window=None,
              title=None, tol: float = 1e-6, markers: bool = True, fps: float = 10,
              loss_title: str = "loss per step") -> dict:
    """Everything view.js needs: the background image, the pixel mapping and the runs."""
    window = plotting.plot_window(landscape, window)
    png, geometry = background(landscape, window, tuple(float(v) for v in start), int(steps),
                               loss_title, title)
    rule = plotting.loss_axis(landscape, start)
    (x0, x1), (y0, y1) = window
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    half = FRAME_ZOOM * np.array([(x1 - x0) / 2, (y1 - y0) / 2])
    frame_lo, frame_span = centre - half, 2 * half
    runs = []
    for grid in grids:
        q = np.round((np.nan_to_num(grid.xs, nan=0.0) - frame_lo) / frame_span * 65535)
        floor = rule["floor"] if rule["scale"] == "log" else 0.0
        runs.append({
            "name": grid.name, "color": color_for(grid.name),
            "n_beta": len(grid.betas), "betas": [float(b) for b in grid.betas],
            "xy": np.clip(q, 0, 65535).astype("<u2").tobytes(),
            "loss": np.nan_to_num(grid.losses - floor, nan=0.0).astype("<f4").tobytes(),
            "n": grid.n_valid.astype("<i4").tobytes(),
            "diverged": grid.diverged_at.astype("<i4").tobytes(),
        })
    lrs = grids[0].lrs if grids else np.array([0.1])
    betas = max((g.betas for g in grids), key=len) if grids else np.array([0.9])
    return {
        "mode": mode, **geometry, "background": png,
        "map": {**geometry["map"], "window": [[x0, x1], [y0, y1]]},
        "loss": {**geometry["loss"], "scale": rule["scale"], "limits": list(rule["limits"]),
                 "linthresh": rule["linthresh"]},
        "frame": {"lo": frame_lo.tolist(), "span": frame_span.tolist()},
        "lrs": [float(v) for v in lrs], "betas": [float(b) for b in betas],
        "steps": int(steps), "tol": float(tol), "has_minimum": rule["scale"] == "log",
        "markers": bool(markers), "fps": float(fps), "runs": runs,
    }


_BACKGROUNDS: dict = {}


def background(landscape, window, start: tuple, steps: int, loss_title: str, title=None):
    """The background image and its pixel geometry, drawn once per landscape,
    window, start and length (kernel-side controls such as beta or noise
    reuse it): (data URL, dict(width, height, tick_px, map, loss))."""
    from matplotlib import rc_context

    from course_utils.animation import figure_png

    key = (landscape.name, landscape.formula, window, start, steps, loss_title, title)
    if key in _BACKGROUNDS:
        return _BACKGROUNDS[key]
    with rc_context(LIVE_RC):
        fig, ax, loss_ax, rule = build_figure(landscape, window, start, title)
        loss_ax.set_xlim(0, steps)
        loss_ax.set_title(loss_title, fontsize="medium")
        loss_ax.tick_params(axis="x", labelbottom=False, bottom=False)  # the browser draws them
        png = figure_png(fig, LIVE_DPI)
        fig.canvas.draw()
        (dx0, dy0), (dx1, dy1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
        height = fig.bbox.height
        tick_px = float(plotting.mpl.rcParams["xtick.labelsize"]) * LIVE_DPI / 72
    geometry = {"width": float(fig.bbox.width), "height": float(height), "tick_px": tick_px,
                "map": {"rect": _pixel_box(fig, ax), "scale": [dx1 - dx0, -(dy1 - dy0)],
                        "offset": [dx0, height - dy0]},
                "loss": {"rect": _pixel_box(fig, loss_ax)}}
    if len(_BACKGROUNDS) > 32:
        _BACKGROUNDS.clear()
    _BACKGROUNDS[key] = ("data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                         geometry)
    return _BACKGROUNDS[key]


def extra_runs(trajectories: dict, lr: float, beta: float, floor: float) -> dict:
    """Runs made in the kernel for a value off the grid, for view.js."""
    return {"lr": float(lr), "beta": float(beta), "runs": [
        {"name": name, "x": np.nan_to_num(t.xs[:, 0], nan=0.0).tolist(),
         "y": np.nan_to_num(t.xs[:, 1], nan=0.0).tolist(),
         "loss": np.nan_to_num(t.losses - floor, nan=0.0).tolist(),
         "n": int(t.n_valid), "diverged": int(t.diverged_at)}
        for name, t in trajectories.items()]}


class TrajectoryView(anywidget.AnyWidget):
    """The browser-drawn figure with its fast sliders (see the module doc).

    Traits (synced with the browser): spec (view_spec's dict), lr, beta,
    steps (explorer: how many steps are shown), frame (race: the step shown),
    extra (runs for an off-grid value), ready (the browser drew a frame).
    """

    _esm = HERE / "view.js"
    spec = traitlets.Dict().tag(sync=True)
    lr = traitlets.Float(0.05).tag(sync=True)
    beta = traitlets.Float(0.9).tag(sync=True)
    steps = traitlets.Int(100).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    extra = traitlets.Dict().tag(sync=True)
    ready = traitlets.Bool(False).tag(sync=True)
