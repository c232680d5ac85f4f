"""Figures for the course: contour maps with paths, loss curves, 3-D surfaces.

Conventions shared by every function here:
- each returns the matplotlib Figure it drew on and takes an optional `ax`
  (draw into your own layout) - nothing is shown, nothing global is set;
- colours come from `course_utils.style.color_for`, one per optimizer across
  the whole course; line widths, marker sizes and fonts follow rcParams, so
  `lecture_mode()` (or `with lecture_style():`) makes every figure projector-sized;
- contour levels are log-spaced above the landscape's minimum, because loss
  values span many decades between the valley floor and the walls;
- a path starts at a circle and ends at a cross; where it leaves the plot
  window a triangle on the frame points the way it went and its legend entry
  says "left the map at step k"; a diverged run is drawn up to its last finite
  point and its legend entry says "diverged at step k" - no NaN reaches
  matplotlib, no empty axes;
- when a function makes the figure itself, it uses constrained layout and puts
  the legend outside the map, where it covers no path.

The widgets and the race animation reuse the same pieces (`draw_landscape`,
`PathArtists`), so a static figure and an interactive one look alike.
"""
from __future__ import annotations

import numpy as np
import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap, LogNorm, Normalize
from matplotlib.ticker import MaxNLocator

from course_utils.style import color_for, lecture_mode, lecture_style  # noqa: F401 (re-exported)

__all__ = ["contour", "draw_landscape", "path", "paths", "PathArtists", "refresh_legend",
           "loss_curves",
           "surface_and_contour", "arrows", "rate_plot", "fit_bounds", "diverged_text",
           "diverged_note", "status_text", "landscape_levels", "lecture_mode", "lecture_style",
           "plot_window", "marker_size", "labelled", "first_exit", "loss_axis", "set_loss_scale",
           "loss_limits"]

_FLOOR_DECADES = 4  # log contours start this many decades below the max

# Pale backgrounds keep every optimizer colour readable on top of the map:
# a grey-blue valley fading to white walls, and for landscapes without a
# minimum (saddles) a soft blue-white-red where blue is low.
VALLEY_CMAP = LinearSegmentedColormap.from_list(
    "valley", ["#6d8399", "#9aadbf", "#c6d2dd", "#e8edf2", "#fdfdfe"])
SADDLE_CMAP = LinearSegmentedColormap.from_list(
    "saddle", ["#8fadc8", "#d5e0ea", "#f7f7f7", "#ecd9cc", "#c9a48e"])
CONTOUR_LINE_COLOR = "#6b7d8f"


def marker_size(scale: float = 1.0) -> float:
    """A marker size relative to rcParams (lecture mode makes them larger)."""
    return mpl.rcParams["lines.markersize"] * scale


def _lw(scale: float = 1.0) -> float:
    return mpl.rcParams["lines.linewidth"] * scale


def _axes(ax, figsize=None, projection=None):
    if ax is not None:
        return ax.figure, ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot(projection=projection)


def labelled(trajectories):
    """[(label, Trajectory)] from a dict, a list or one Trajectory."""
    if trajectories is None:
        return []
    if isinstance(trajectories, dict):
        return [(label, t) for label, t in trajectories.items()]
    if hasattr(trajectories, "xs"):
        trajectories = [trajectories]
    return [(t.label, t) for t in trajectories]


def plot_window(landscape, bounds):
    (x0, x1), (y0, y1) = bounds or landscape.bounds
    return (float(x0), float(x1)), (float(y0), float(y1))


# --------------------------------------------------------------------------
# The map


def landscape_levels(landscape, Z, n: int = 20):
    """Contour levels and norm: log-spaced above the minimum where there is one.

    Returns (levels, norm, floor): levels in loss units, a LogNorm on
    loss - floor (or a symmetric linear Normalize for landscapes unbounded
    below), and the floor that was subtracted.
    """
    if landscape.minimum_value is not None:
        floor = landscape.minimum_value
        height = np.nanmax(Z) - floor
        lowest = max(np.nanmin(Z - floor), height * 10.0 ** -_FLOOR_DECADES, 1e-12)
        levels = floor + np.logspace(np.log10(lowest), np.log10(height), n)
        return levels, LogNorm(vmin=lowest, vmax=height), floor
    span = np.nanmax(np.abs(Z))
    levels = np.linspace(-span, span, 2 * (n // 2) + 1)
    return levels, Normalize(-span, span), 0.0


def draw_landscape(landscape, ax, bounds=None, levels: int = 20, resolution: int = 240,
                   mark_minima: bool = True) -> list:
    """Filled contours, contour lines and minima of a 2-D landscape on `ax`.

    Returns the artists it added, so an interactive figure can remove them
    when the landscape changes. Sets the axes limits to the window.
    """
    if landscape.dim != 2:
        raise ValueError(f"contour maps need a 2-D landscape; {landscape.name} has "
                         f"dim {landscape.dim}")
    X, Y, Z = landscape.grid(resolution, bounds)
    lv, norm, floor = landscape_levels(landscape, Z, levels)
    added = []
    if isinstance(norm, LogNorm):
        shifted = np.maximum(Z - floor, norm.vmin)
        added.append(ax.contourf(X, Y, shifted, levels=lv - floor, norm=norm, cmap=VALLEY_CMAP,
                                 extend="both", zorder=0))
        added.append(ax.contour(X, Y, shifted, levels=lv - floor, colors=CONTOUR_LINE_COLOR,
                                linewidths=0.6, alpha=0.7, zorder=1))
    else:
        added.append(ax.contourf(X, Y, Z, levels=lv, norm=norm, cmap=SADDLE_CMAP, zorder=0))
        added.append(ax.contour(X, Y, Z, levels=lv, colors=CONTOUR_LINE_COLOR, linewidths=0.6,
                                alpha=0.7, zorder=1))
    for artist in added:
        artist.set_rasterized(True)  # vector exports stay small; draws stay fast
    if mark_minima and len(landscape.minima):
        # global minima (there may be several of equal value) gold, local ones white
        values = landscape.value(landscape.minima)
        is_global = values <= values.min() + 1e-9 * (1 + abs(values.min()))
        for m, best in zip(landscape.minima, is_global):
            added += ax.plot(*m, marker="*", markersize=marker_size(2.3), color="gold" if best else "white",
                             markeredgecolor="black", markeredgewidth=1.2, linestyle="none",
                             zorder=8)  # above the paths and their end markers
    (x0, x1), (y0, y1) = plot_window(landscape, bounds)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return added


def contour(landscape, ax=None, bounds=None, levels: int = 20, resolution: int = 240,
            mark_minima: bool = True, title: str | None = None):
    """Contour map of a 2-D landscape, minima marked with a star.

    Args:
        landscape: a course_utils.landscapes.Landscape with dim 2.
        ax: axes to draw into (a new figure if None).
        bounds: ((xmin, xmax), (ymin, ymax)); defaults to landscape.bounds.
        levels: number of contour levels (log-spaced above the minimum).
        resolution: grid points per axis.
        mark_minima: draw the minima (global: gold star, local: white star).
        title: axes title; defaults to the landscape's formula.

    Returns:
        The Figure.
    """
    if landscape.dim != 2:
        raise ValueError(f"contour maps need a 2-D landscape; {landscape.name} has "
                         f"dim {landscape.dim}")
    fig, ax = _axes(ax)
    draw_landscape(landscape, ax, bounds, levels, resolution, mark_minima)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    # the pad leaves room for exit triangles sitting on the top frame
    ax.set_title(f"${landscape.formula}$" if title is None else title, pad=10)
    return fig


def fit_bounds(landscape, trajectories, margin: float = 0.08, max_zoom_out: float = 3.0):
    """A window that holds the landscape's own window and the paths, within reason.

    The window grows to include every finite point of every path, plus a
    margin, but never beyond `max_zoom_out` times the landscape's window
    around its centre (a diverging run would otherwise zoom out to 1e8).
    Points beyond that are marked where they leave the window.
    """
    (x0, x1), (y0, y1) = landscape.bounds
    lo = np.array([x0, y0], dtype=float)
    hi = np.array([x1, y1], dtype=float)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    limit_lo, limit_hi = centre - max_zoom_out * half, centre + max_zoom_out * half
    for _, traj in labelled(trajectories):
        for index in np.ndindex(*traj.batch_shape):
            points = traj.path(index)
            if len(points):
                lo = np.minimum(lo, np.maximum(points.min(axis=0), limit_lo))
                hi = np.maximum(hi, np.minimum(points.max(axis=0), limit_hi))
    pad = margin * (hi - lo)
    grown = (lo < np.array([x0, y0])) | (hi > np.array([x1, y1]))
    lo = np.where(grown, lo - pad, lo)
    hi = np.where(grown, hi + pad, hi)
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


# --------------------------------------------------------------------------
# Paths


def diverged_text(traj, index=()) -> str:
    """'diverged at step k', or '' for a run that stayed finite."""
    k = int(np.asarray(traj.diverged_at)[index])
    return f"diverged at step {k}" if k >= 0 else ""


def status_text(label: str, diverged_at: int = -1, left_at: int = -1) -> str:
    """A legend entry: 'Adam', 'SGD: diverged at step 12' or
    'RMSprop: left the map at step 30' (divergence wins when both happened)."""
    if diverged_at >= 0:
        return f"{label}: diverged at step {diverged_at}"
    if left_at >= 0:
        return f"{label}: left the map at step {left_at}"
    return label


def first_exit(points, window):
    """Where a path first leaves the window: (step, point on the frame, side) or None.

    side is 'left', 'right', 'bottom' or 'top'. Steps that start outside and
    come in are not exits; only the first inside -> outside move counts.
    """
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return None
    (x0, x1), (y0, y1) = window
    inside = ((points[:, 0] >= x0) & (points[:, 0] <= x1)
              & (points[:, 1] >= y0) & (points[:, 1] <= y1))
    leaving = np.flatnonzero(inside[:-1] & ~inside[1:])
    if not len(leaving):
        return None
    k = int(leaving[0]) + 1
    p, q = points[k - 1], points[k]
    d = q - p
    crossings = []
    for axis, lo, hi, low_side, high_side in ((0, x0, x1, "left", "right"),
                                              (1, y0, y1, "bottom", "top")):
        if q[axis] > hi and d[axis] > 0:
            crossings.append(((hi - p[axis]) / d[axis], high_side))
        elif q[axis] < lo and d[axis] < 0:
            crossings.append(((lo - p[axis]) / d[axis], low_side))
    t, side = min(crossings)
    return k, p + t * d, side


# Exit marker: a triangle on the frame pointing the way the path went.
_EXIT_MARKER = {"left": "<", "right": ">", "bottom": "v", "top": "^"}


class PathArtists:
    """Every artist of one drawn path, updatable in place.

    line (the path), start (circle), end (cross) and exit (a triangle on the
    window's frame, pointing the way the path left it). The line's label is
    the legend entry, with the run's status ("diverged at step k", "left the
    map at step k"). A widget makes one per optimizer once and calls update()
    on each change: only set_data / set_marker / set_label, no new artists.
    """

    def __init__(self, ax, color, label, markers: bool = True, linewidth=None,
                 alpha: float = 1.0, window=None, zorder: float = 4):
        self.ax = ax
        self.label = label
        self.window = window
        lw = _lw() if linewidth is None else linewidth
        (self.line,) = ax.plot([], [], "-", color=color, label=label, linewidth=lw, alpha=alpha,
                               marker="o" if markers else None, markersize=marker_size(0.45),
                               zorder=zorder)
        style = dict(color=color, markeredgecolor="black", markeredgewidth=1.0,
                     linestyle="none", zorder=zorder + 2)
        (self.start,) = ax.plot([], [], "o", markersize=marker_size(1.5), **style)
        (self.end,) = ax.plot([], [], "X", markersize=marker_size(1.7), **style)
        (self.exit,) = ax.plot([], [], "^", markersize=marker_size(1.6), clip_on=False, **style)
        self.exit.set_in_layout(False)  # an unclipped marker must not move the layout
        self.diverged_at = -1
        self.left_at = -1

    @property
    def artists(self) -> list:
        return [self.line, self.start, self.end, self.exit]

    @property
    def status(self) -> str:
        """The legend entry: the label plus what happened to the run."""
        return status_text(self.label, self.diverged_at, self.left_at)

    def update(self, points, diverged_at: int = -1, show_ends: bool = True) -> None:
        """Show `points` (n, 2), finite ones only; diverged_at >= 0 marks divergence."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        self.line.set_data(points[:, 0], points[:, 1])
        if len(points) and show_ends:
            self.start.set_data(points[:1, 0], points[:1, 1])
            self.end.set_data(points[-1:, 0], points[-1:, 1])
        else:
            self.start.set_data([], [])
            self.end.set_data([], [])
        window = self.window
        if window is None:
            window = (self.ax.get_xlim(), self.ax.get_ylim())
        found = first_exit(points, window)
        if found is None:
            self.exit.set_data([], [])
            self.left_at = -1
        else:
            self.left_at, where, side = found
            self.exit.set_data([where[0]], [where[1]])
            self.exit.set_marker(_EXIT_MARKER[side])
        self.diverged_at = int(diverged_at)
        self.line.set_label(self.status)

    def set_visible(self, visible: bool) -> None:
        for artist in self.artists:
            artist.set_visible(visible)

    def remove(self) -> None:
        for artist in self.artists:
            artist.remove()


def refresh_legend(legend, lines) -> bool:
    """Copy each line's current label into its legend entry, in place
    (labels carry the run's status, which changes with the sliders).
    Returns whether any entry changed."""
    if legend is None:
        return False
    changed = False
    for text, line in zip(legend.get_texts(), lines):
        label = line.get_label()
        if text.get_text() != label:
            text.set_text(label)
            text.set_fontweight("bold" if "diverged" in label else "normal")
            changed = True
    return changed


def path(traj, ax, index=(), color=None, label=None, markers: bool = True,
         linewidth=None, alpha: float = 1.0, window=None):
    """Draw one run's path: a line with dots, start as a circle, end as a cross.

    Where the path leaves the axes' current window (or `window`), a triangle
    on the frame points the way it went and the legend label gets ": left the
    map at step k". A diverged run is drawn up to its last finite point and
    its legend label gets ": diverged at step k".

    Returns:
        The Line2D of the path (its label is the legend entry).
    """
    label = traj.label if label is None else label
    color = color or color_for(label)
    artists = PathArtists(ax, color, label, markers=markers, linewidth=linewidth, alpha=alpha,
                          window=window)
    artists.update(traj.path(index), int(np.asarray(traj.diverged_at)[index]),
                   show_ends=markers)
    return artists.line


def diverged_note(traj, ax, index=(), color="black"):
    """Put "<label>: diverged at step k" in the axes' corner, stacked per run.

    For figures without a legend; `paths` and `loss_curves` put the same words
    in the legend instead, where they cover nothing.
    """
    text = diverged_text(traj, index)
    if not text:
        return None
    count = sum(1 for t in ax.texts if getattr(t, "_diverged_note", False))
    note = ax.text(0.02, 0.97 - 0.075 * count, f"{traj.label}: {text}", transform=ax.transAxes,
                   color="black", fontweight="bold", va="top", ha="left",
                   bbox=dict(facecolor="white", alpha=0.9, edgecolor=color, linewidth=2),
                   zorder=10)
    note._diverged_note = True
    return note


def _legend(ax, owns_figure: bool, **kwargs):
    """Below the map when the figure is ours (it then covers no path and the
    map keeps its width, however long the status labels), otherwise inside,
    wherever it covers least."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if owns_figure:
        legend = ax.figure.legend(handles, labels, loc="outside lower center",
                                  ncols=2 if len(handles) <= 4 else 3, framealpha=0.95,
                                  **kwargs)
    else:
        legend = ax.legend(loc="best", framealpha=0.9, **kwargs)
    for text in legend.get_texts():
        if "diverged" in text.get_text():
            text.set_fontweight("bold")
    return legend


def paths(landscape, trajectories, ax=None, bounds=None, markers: bool = True,
          legend: bool = True, title: str | None = None):
    """A contour map with one path per trajectory (a list, dict or single one).

    Args:
        bounds: the window; default the landscape's. "fit" widens it to hold
            the paths (at most 3x the landscape's window; see fit_bounds).
        markers: a dot per step plus start/end markers.
        legend: outside the map on the right when this function made the
            figure, inside ("best" place) when you passed `ax`.

    Returns:
        The Figure.
    """
    owns_figure = ax is None
    if isinstance(bounds, str):
        if bounds != "fit":
            raise ValueError(f"bounds must be ((x0, x1), (y0, y1)), None or 'fit'; got {bounds!r}")
        bounds = fit_bounds(landscape, trajectories)
    fig = contour(landscape, ax=ax, bounds=bounds, title=title)
    ax = ax or fig.axes[0]
    window = plot_window(landscape, bounds)
    for label, traj in labelled(trajectories):
        for index in np.ndindex(*traj.batch_shape):
            path(traj, ax, index=index, label=label, markers=markers, window=window)
    if legend:
        _legend(ax, owns_figure)
    return fig


# --------------------------------------------------------------------------
# Loss curves


def loss_curves(trajectories, ax=None, log: bool | None = None, title: str = "Loss per step",
                ylabel: str | None = None, against_minimum: float | None = None,
                landscape=None, colors=None):
    """Loss against step for each trajectory, log y by default.

    Args:
        trajectories: a list, dict {label: Trajectory} or one Trajectory.
        log: log y axis; default: whenever no plotted value is negative
            (a loss of exactly 0 then drops off the bottom of the axes).
            Losses that go negative over many decades (a saddle) get symlog.
        against_minimum: subtract this value first (plot L - L*), so a
            landscape whose minimum is not 0 still works on a log axis.
        landscape: shortcut for against_minimum = the landscape's minimum
            value (ignored for landscapes unbounded below).
        colors: one colour per trajectory, in order, for runs of the same
            optimizer that must look different (lecture 01: just below and
            just above the lr ceiling); default each optimizer's own colour.

    A diverged run ends in a cross at its last finite loss and its legend
    entry says "diverged at step k".
    """
    owns_figure = ax is None
    fig, ax = _axes(ax)
    if against_minimum is None and landscape is not None:
        against_minimum = landscape.minimum_value
    if ylabel is None:
        ylabel = "loss" if not against_minimum else r"loss $-$ minimum"
    runs = labelled(trajectories)
    if colors is not None and len(colors) != len(runs):
        raise ValueError(f"colors must give one colour per trajectory: {len(runs)} trajectories, "
                         f"{len(colors)} colours")
    plotted = []
    for i, (label, traj) in enumerate(runs):
        color = color_for(label) if colors is None else colors[i]
        for index in np.ndindex(*traj.batch_shape):
            losses = traj.valid_losses(index)
            if against_minimum is not None:
                losses = losses - against_minimum
            k = int(np.asarray(traj.diverged_at)[index])
            ax.plot(np.arange(len(losses)), losses, color=color,
                    label=status_text(label, k) if index == next(np.ndindex(*traj.batch_shape))
                    else None)
            if k >= 0 and len(losses):
                ax.plot(len(losses) - 1, losses[-1], "X", color=color, markersize=marker_size(1.7),
                        markeredgecolor="black", zorder=5)
            plotted.append(losses)
    values = np.concatenate(plotted) if plotted else np.array([1.0])
    if log is None:
        log = bool(len(values)) and bool(np.all(values >= 0)) and bool(np.any(values > 0))
    if log:
        ax.set_yscale("log")
    elif len(values) and np.any(values < 0) and np.ptp(values) > 1e3:
        ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if plotted:
        _legend(ax, owns_figure=False)
    return fig


# --------------------------------------------------------------------------
# 3-D surface beside the map


def surface_and_contour(landscape, trajectories=None, bounds=None, figsize=(14, 6.5),
                        elev: float = 28, azim: float = -60):
    """A 3-D surface beside its contour map (the saddle is easiest seen this way).

    Paths are drawn on the surface too, up to where they leave the window.
    """
    # Fixed positions: constrained layout collapses a 3-D axes beside a legend.
    runs = labelled(trajectories)
    bottom = 0.2 if runs else 0.1
    fig = plt.figure(figsize=figsize)
    ax3d = fig.add_axes((0.0, bottom - 0.06, 0.47, 0.98 - bottom), projection="3d",
                        computed_zorder=False)
    window = plot_window(landscape, bounds)
    X, Y, Z = landscape.grid(70, window)
    cmap = VALLEY_CMAP if landscape.bounded_below else SADDLE_CMAP
    if landscape.minimum_value is not None:
        _, norm, floor = landscape_levels(landscape, Z)
        colors = plt.get_cmap(cmap)(norm(np.maximum(Z - floor, norm.vmin)))
        ax3d.plot_surface(X, Y, Z, facecolors=colors, rstride=1, cstride=1, linewidth=0,
                          antialiased=False, shade=True, zorder=1)
    else:
        ax3d.plot_surface(X, Y, Z, cmap=cmap, linewidth=0, antialiased=False, zorder=1)
    (x0, x1), (y0, y1) = window
    for label, traj in labelled(trajectories):
        color = color_for(label)
        for index in np.ndindex(*traj.batch_shape):
            p = traj.path(index)
            inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
            p = p[: np.argmin(inside) if not inside.all() else len(p)]  # stop at the edge
            if not len(p):
                continue
            z = landscape.value(p)
            ax3d.plot(p[:, 0], p[:, 1], z, color=color, linewidth=_lw(1.1), zorder=10)
            ax3d.plot([p[0, 0]], [p[0, 1]], [z[0]], "o", color=color, markeredgecolor="black",
                      markersize=marker_size(1.3), zorder=11)
    ax3d.view_init(elev=elev, azim=azim)
    for axis in (ax3d.xaxis, ax3d.yaxis, ax3d.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax3d.tick_params(axis="both", which="major", pad=1, labelsize="small")
    ax3d.set_xlabel(r"$\theta_1$", labelpad=8)
    ax3d.set_ylabel(r"$\theta_2$", labelpad=8)
    ax3d.set_zlabel("loss", labelpad=8)
    ax3d.set_title(f"${landscape.formula}$")
    ax2 = fig.add_axes((0.56, bottom + 0.05, 0.41, 0.84 - bottom))
    contour(landscape, ax=ax2, bounds=bounds, title="contour map")
    for label, traj in labelled(trajectories):
        for index in np.ndindex(*traj.batch_shape):
            path(traj, ax2, index=index, label=label, window=window)
    handles, labels = ax2.get_legend_handles_labels()
    if handles:  # below both panels: beside the map it would squeeze the 3-D view
        legend = fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                            ncols=2 if len(handles) <= 4 else 3, framealpha=0.95)
        for text in legend.get_texts():
            if "diverged" in text.get_text():
                text.set_fontweight("bold")
    return fig


# --------------------------------------------------------------------------
# Arrows and rates


def arrows(ax, positions, vectors, colors, scale: float = 1.0, width: float = 0.006):
    """Velocity / update arrows at `positions` (n, 2) pointing along `vectors`.

    `scale` multiplies the vectors (1: an arrow reaches exactly where the step
    lands). Non-finite entries are drawn as zero-length (invisible) arrows.
    Returns the Quiver artist; widgets move it with set_offsets / set_UVC.
    """
    positions = np.nan_to_num(np.atleast_2d(np.asarray(positions, dtype=float)),
                              nan=0.0, posinf=0.0, neginf=0.0)
    vectors = np.nan_to_num(np.atleast_2d(np.asarray(vectors, dtype=float)) * scale,
                            nan=0.0, posinf=0.0, neginf=0.0)
    return ax.quiver(positions[:, 0], positions[:, 1], vectors[:, 0], vectors[:, 1],
                     color=colors, angles="xy", scale_units="xy", scale=1.0, width=width,
                     edgecolor="black", linewidth=0.6, zorder=7)


def rate_plot(kappas, measured: dict, theory: dict, ax=None,
              ylabel: str = "contraction per step", title: str = "Rate against condition number"):
    """Measured rates (markers) against closed forms (lines), per method, log x."""
    fig, ax = _axes(ax)
    for label, values in theory.items():
        ax.plot(kappas, values, "-", color=color_for(label), label=f"{label}: theory")
    for label, values in measured.items():
        ax.plot(kappas, values, "o", color=color_for(label), markersize=marker_size(1.4),
                markeredgecolor="black", label=f"{label}: measured")
    ax.set_xscale("log")
    ax.set_xlabel(r"condition number $\kappa$")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(framealpha=0.9)
    return fig


# --------------------------------------------------------------------------
# Loss axes of the widgets: one rule, here, for the kernel's figures and the
# browser's drawing alike


def loss_axis(landscape, start, decades: int = 12) -> dict:
    """How a 'loss per step' panel for runs from `start` is scaled.

    Landscapes with a minimum: log axis of loss - minimum, from `decades`
    below the start's height up to 100 times it. Landscapes unbounded below
    (the saddle): symlog axis of the loss itself (linear within +-1), wide
    enough for the window's corners. Fixed per landscape and start, so the
    panel stays put while sliders move; runs that go lower or diverge leave
    through the bottom or the top.

    Returns dict(scale='log' or 'symlog', floor (subtracted first),
    limits (bottom, top), linthresh, label).
    """
    start = np.asarray(start, dtype=float)
    floor = landscape.minimum_value
    if floor is not None:
        height = float(landscape.value(start)) - floor
        top = 10.0 ** np.ceil(np.log10(max(height, 1e-12)) + 2)
        return dict(scale="log", floor=floor, limits=(top * 10.0 ** -(decades + 2), top),
                    linthresh=1.0, label=r"loss $-$ minimum")
    (x0, x1), (y0, y1) = landscape.bounds
    corners = landscape.value(np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]]))
    height = abs(float(landscape.value(start)))
    span = 10.0 ** np.ceil(np.log10(max(np.abs(corners).max(), height, 1.0)) + 1)
    return dict(scale="symlog", floor=0.0, limits=(-span, span), linthresh=1.0, label="loss")


def loss_limits(landscape, start, decades: int = 12) -> tuple:
    """The (bottom, top) of loss_axis."""
    return loss_axis(landscape, start, decades)["limits"]


def set_loss_scale(ax, landscape, start=None) -> dict:
    """Apply loss_axis to `ax` (scale, label, and limits when start is given)."""
    rule = loss_axis(landscape, landscape.start_point if start is None else start)
    if rule["scale"] == "log":
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=rule["linthresh"])
        ax.yaxis.set_major_locator(mpl.ticker.SymmetricalLogLocator(
            linthresh=rule["linthresh"], base=10, subs=[1.0]))
    ax.set_ylabel(rule["label"])
    if start is not None:
        ax.set_ylim(*rule["limits"])
    return rule
