"""The optimizer explorer: every knob of a 2-D optimization run on one screen.

    from course_utils import widgets
    ex = widgets.explorer(landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"))
    ex                       # in a notebook: controls, map + loss curves, table

Choose the landscape, which optimizers to show, the learning rate (a log
slider), momentum beta, beta2, the number of steps, the start point (sliders,
or click the map) and the gradient-noise level; the map, the loss curves and
the table (final loss, steps to tolerance, diverged at) follow every change.

How it stays fast (see shared/design/WIDGETS.md for the measurements): one
persistent figure; the contour map is drawn once per landscape; a change only
reruns the optimizers whose settings changed (all shown optimizers step
together in one loop) and moves existing artists with set_data / set_label,
then asks for a redraw with fig.canvas.draw_idle(). The figure is a
LayeredFigure: everything that does not move (map, axes, ticks, legend) is
kept as one cached pixel layer, so the redraw paints only the moving artists
(benchmarks/widgets.py: about 20 ms from slider to redrawn figure).
The layout is computed once for the current fonts (lecture mode too) and
then frozen, so panels never jump while sliders move.

Backends - decided here, once, for every widget in the course:
- ipympl (`%matplotlib widget`, the course's choice in JupyterLab): the
  figure's canvas is itself a widget and sits inside the layout; draw_idle()
  lets the browser fetch only the changed pixels. The canvas is made without
  pyplot, so it appears only inside the layout and reruns do not pile up
  open pyplot figures.
- anything else (inline, Agg in tests and scripts): the figure is a plain
  Agg figure that pyplot never sees (so the inline backend does not print a
  stray copy), shown through an ipywidgets.Image whose PNG is re-rendered
  after each change once the UI is on screen. Slower (a PNG per change), but
  it never crashes and needs nothing installed.
Either way, displaying the object also stores a PNG snapshot next to the
widget, so a saved notebook shows the last picture on GitHub / nbviewer.
"""
from __future__ import annotations

import base64
import contextlib
import html
import io
import warnings

import numpy as np
import ipywidgets as w
import matplotlib as mpl
from matplotlib.figure import Figure

from course_utils import landscapes as landscapes_module
from course_utils import optimizers as optim
from course_utils import plotting
from course_utils.runner import Recorder, check_noise, check_start, check_steps
from course_utils.style import color_for

# Every optimizer the widgets offer, in menu order, and how the shared
# sliders map onto its hyperparameters (beta = first moment / momentum,
# beta2 = second moment). The table is repeated in the UI's help line.
OPTIMIZER_CHOICES = ("SGD", "SGD+momentum", "SGD+Nesterov", "Adagrad", "RMSprop", "Adam",
                     "AdamW", "NAdam", "RAdam", "Adamax", "Adadelta")
# beta2 = None keeps each optimizer's own torch default (Adam's 0.999,
# RMSprop's alpha 0.99, Adadelta's rho 0.9).
HYPERPARAMETER_MAP = {
    "SGD": "SGD(lr)",
    "SGD+momentum": "SGD(lr, momentum=beta)",
    "SGD+Nesterov": "SGD(lr, momentum=beta, nesterov=True)",
    "Adagrad": "Adagrad(lr)",
    "RMSprop": "RMSprop(lr, alpha=beta2)",
    "Adam": "Adam(lr, betas=(beta, beta2))",
    "AdamW": "AdamW(lr, betas=(beta, beta2)), weight_decay=0.01",
    "NAdam": "NAdam(lr, betas=(beta, beta2))",
    "RAdam": "RAdam(lr, betas=(beta, beta2))",
    "Adamax": "Adamax(lr, betas=(beta, beta2))",
    "Adadelta": "Adadelta(lr, rho=beta2)",
}


def make_optimizer(name: str, lr: float, beta: float = 0.9, beta2: float | None = None):
    """The optimizer called `name` with the widgets' shared settings.

    See HYPERPARAMETER_MAP for which setting goes where; beta2=None leaves
    each optimizer's torch default. Momentum methods with beta = 0 fall back
    to plain SGD (torch would refuse Nesterov there).
    """
    lr, beta = float(lr), float(beta)
    second = {} if beta2 is None else {"alpha": float(beta2)}
    if name == "SGD":
        return optim.SGD(lr=lr)
    if name == "SGD+momentum":
        return optim.SGD(lr=lr, momentum=beta)
    if name == "SGD+Nesterov":
        return optim.SGD(lr=lr, momentum=beta, nesterov=beta > 0)
    if name == "Adagrad":
        return optim.Adagrad(lr=lr)
    if name == "RMSprop":
        return optim.RMSprop(lr=lr, **second)
    if name == "Adadelta":
        return optim.Adadelta(lr=lr, **({} if beta2 is None else {"rho": float(beta2)}))
    if name in ("Adam", "AdamW", "NAdam", "RAdam", "Adamax"):
        beta2 = 0.999 if beta2 is None else float(beta2)
        return getattr(optim, name)(lr=lr, betas=(beta, beta2))
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZER_CHOICES)}")


def run_together(optimizers: dict, landscape, x0, steps: int, noise: float = 0.0,
                 seed=None) -> dict:
    """run() for several optimizers at once, in one loop: {label: Trajectory}.

    Each trajectory equals run(opt, landscape, x0, steps, noise, seed,
    label=label) - same start, same per-run noise stream, same divergence
    rule - but the landscape is evaluated for all of them in one call per
    step, which roughly halves the time an interactive update takes.
    """
    steps = check_steps(steps)
    noise = check_noise(noise)
    x0 = check_start(x0, landscape)
    if x0.ndim != 1:
        raise ValueError("run_together takes one start point, shape (d,)")
    labels = list(optimizers)
    if not labels:
        return {}
    opts = [optimizers[label] for label in labels]
    for opt in opts:
        if tuple(opt.batch_shape(x0.shape)) != x0.shape:
            raise ValueError("run_together needs scalar hyperparameters; use run() for sweeps")
    n = len(opts)
    xs = [x0.copy() for _ in opts]
    states = [opt.init(x) for opt, x in zip(opts, xs)]
    rngs = [np.random.default_rng(seed) for _ in opts] if noise else None
    recorder = Recorder(steps, (n,) + x0.shape, getattr(landscape, "bounded_below", True),
                         _blowup())
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            X = np.array(xs)
            G = landscape.grad(X)
            going = recorder.record(k, X, landscape.value(X), G)
            if k == steps or not going:
                break
            alive = recorder.alive
            for i, opt in enumerate(opts):
                if not alive[i]:
                    continue
                g = G[i]
                if noise:
                    g = g + noise * rngs[i].standard_normal(g.shape)
                xs[i], states[i] = opt.step(xs[i], g, states[i])
    traj = recorder.trajectory("")
    return {label: type(traj)(xs=traj.xs[:, i], losses=traj.losses[:, i],
                              grad_norms=traj.grad_norms[:, i],
                              diverged_at=traj.diverged_at[i], label=label)
            for i, label in enumerate(labels)}


def _blowup() -> float:
    from course_utils import runner

    return runner.BLOWUP


# --------------------------------------------------------------------------
# One figure, drawn in two layers, shown in one of two ways


class LayeredFigure(Figure):
    """A Figure that keeps its unchanging layer as one cached image.

    The static layer - figure background, axes frames, ticks, labels, titles,
    figure legends and the contour map - is rendered once and kept as a pixel
    buffer; each
    later draw copies that buffer back (renderer.restore_region) and then
    draws only the artists that move (paths, loss curves, legend, arrows). A full draw then
    costs a few milliseconds instead of tens, which is what a slider or a
    playing race needs. The cached layer is rendered again whenever the
    renderer's size or dpi, an axes' limits, scales, title or labels, a
    legend's texts, or `invalidate()` (call it after redrawing the contour
    map or otherwise changing a static artist) say it is stale.

    Layering applies to Agg renderers (screen, ipympl, PNG); vector output
    (PDF/SVG savefig) draws everything normally.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.layering = True
        self._static = []
        self._static_version = 0
        self._cache_key = None
        self._background = None

    def register_static(self, *artists) -> None:
        """Artists that belong to the cached layer (besides frames, ticks, labels)."""
        self._static.extend(artists)
        self.invalidate()

    def forget_static(self, *artists) -> None:
        for artist in artists:
            if artist in self._static:
                self._static.remove(artist)
        self.invalidate()

    def invalidate(self) -> None:
        self._static_version += 1

    def _static_artists(self) -> list:
        # Figure legends change only when a run's status does ("diverged at
        # step k"); their texts are part of the cache key, so keeping them in
        # the cached layer saves re-rendering their glyphs on every frame.
        artists = [self.patch, *self.legends]
        for ax in self.axes:
            artists += [ax.patch, ax.xaxis, ax.yaxis, ax.title, *ax.spines.values()]
        return artists + self._static

    def _dynamic_artists(self, static) -> list:
        static_ids = {id(a) for a in static}
        children = list(self.texts) + list(self.lines) + list(self.patches)
        for ax in self.axes:
            children += ax.get_children()
        return [a for a in children if id(a) not in static_ids]

    def _key(self, renderer):
        axes = tuple((ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
                      ax.get_yscale(), ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
                     for ax in self.axes)
        legends = tuple(tuple((t.get_text(), t.get_fontweight()) for t in legend.get_texts())
                        for legend in self.legends)
        return (renderer.width, renderer.height, self.dpi, self._static_version, axes, legends)

    def draw(self, renderer):
        from matplotlib.backends.backend_agg import RendererAgg

        if not self.layering or not isinstance(renderer, RendererAgg) or not self.get_visible():
            return super().draw(renderer)
        static = self._static_artists()
        dynamic = self._dynamic_artists(static)
        shown = {id(a): a.get_visible() for a in static + dynamic}
        callback, self.stale_callback = self.stale_callback, None  # no redraw requests from here
        try:
            key = self._key(renderer)
            if key != self._cache_key or self._background is None:
                _set_visible(dynamic, False)
                super().draw(renderer)
                for artist in dynamic:
                    artist.set_visible(shown[id(artist)])
                if not np.asarray(renderer.buffer_rgba())[..., 3].any():
                    # nothing was painted: a dry run (savefig's layout pass draws with
                    # drawing disabled). Cache nothing; draw everything normally.
                    self._cache_key = self._background = None
                    return super().draw(renderer)
                self._background = renderer.copy_from_bbox(self.bbox)
                self._cache_key = key
            # paint the cached layer (a memory copy), then only what moves
            renderer.restore_region(self._background)
            _set_visible(static, False)
            super().draw(renderer)
        finally:
            for artist in static + dynamic:
                artist.set_visible(shown[id(artist)])
            self.stale_callback = callback
            self.stale = False


def freeze_layout(fig) -> None:
    """Lay the figure out once for its current fonts (lecture mode included),
    then keep the positions: a layout engine running on every draw would cost
    time and make the panels jump when a legend entry grows."""
    fig.set_layout_engine("constrained", h_pad=0.04, w_pad=0.06)
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    if hasattr(fig, "invalidate"):
        fig.invalidate()


class FigureLegend:
    """One legend below the panels, as many columns as fit the figure's width.

    Its labels carry each run's status ("diverged at step k"); refresh()
    copies them in place and re-fits the legend only when it outgrows the
    figure.
    """

    def __init__(self, fig, max_columns: int = 3):
        self.fig = fig
        self.max_columns = max_columns
        self.legend = None
        self.handles = []

    def set(self, handles) -> None:
        """A new legend for these handles (new selection), and a new layout."""
        if self.legend is not None:
            self.legend.remove()
            self.legend = None
        self.handles = list(handles)
        if self.handles:
            for columns in range(min(self.max_columns, len(self.handles)), 0, -1):
                self.legend = self.fig.legend(
                    self.handles, [h.get_label() for h in self.handles],
                    loc="outside lower center", ncols=columns, fontsize="small",
                    framealpha=0.95)
                plotting.refresh_legend(self.legend, self.handles)
                if columns == 1 or self._fits():
                    break
                self.legend.remove()
        freeze_layout(self.fig)

    def refresh(self) -> None:
        if plotting.refresh_legend(self.legend, self.handles) and not self._fits():
            self.set(self.handles)

    def _fits(self) -> bool:
        renderer = self.fig.canvas.get_renderer()
        return self.legend.get_window_extent(renderer).width <= 0.98 * self.fig.bbox.width

    def get_texts(self):
        return self.legend.get_texts() if self.legend is not None else []


def _set_visible(artists, visible: bool) -> None:
    for artist in artists:
        artist.set_visible(visible)


def widget_backend() -> bool:
    """True when matplotlib draws into ipympl canvases (`%matplotlib widget`)."""
    backend = mpl.get_backend().lower()
    return "ipympl" in backend or backend in ("widget", "module://ipympl.backend_nbagg")


class FigureHost:
    """A persistent figure plus the widget that shows it (see the module doc).

    fig: the Figure; widget: the ipympl canvas or an ipywidgets.Image;
    redraw(): draw_idle(), and under a non-widget backend also refresh the
    Image's PNG (only once the UI has been displayed).
    """

    def __init__(self, figsize, interactive: bool | None = None):
        self.interactive = widget_backend() if interactive is None else interactive
        if self.interactive:
            self.fig = _ipympl_figure(figsize)
            canvas = self.fig.canvas
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False  # clicks set the start point instead of panning
            canvas.resizable = False
            canvas.capture_scroll = False
            self.widget = canvas
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            self.fig = LayeredFigure(figsize=figsize)
            FigureCanvasAgg(self.fig)
            self.widget = w.Image(format="png", layout=w.Layout(width="auto", height="auto"))
        self.displayed = False

    def redraw(self) -> None:
        self.fig.canvas.draw_idle()
        if not self.interactive and self.displayed:
            self.widget.value = self._png_of_last_draw()

    def _png_of_last_draw(self) -> bytes:
        """PNG of what Agg just drew (draw_idle draws at once under Agg):
        encoding the buffer avoids a second full draw."""
        from PIL import Image

        buffer = np.asarray(self.fig.canvas.buffer_rgba())
        out = io.BytesIO()
        Image.fromarray(buffer[..., :3]).save(out, format="png", compress_level=1)
        return out.getvalue()

    def snapshot_png(self) -> bytes:
        """The figure as it is now, as a compact PNG (stored next to the widget)."""
        from course_utils.animation import figure_png

        return figure_png(self.fig)

    def show(self) -> None:
        """Mark the UI as on screen (the Image fallback starts rendering)."""
        if not self.displayed:
            self.displayed = True
            if not self.interactive:
                self.fig.canvas.draw()
                self.widget.value = self._png_of_last_draw()


def _ipympl_figure(figsize) -> LayeredFigure:
    """A LayeredFigure on an ipympl canvas that pyplot never sees: it is shown
    only inside our layout (not again by %matplotlib widget's auto-show), and
    rerunning a cell does not pile up open pyplot figures."""
    try:
        from ipympl.backend_nbagg import Canvas, FigureManager
    except ImportError:  # an ipympl without these names: go through pyplot
        import matplotlib.pyplot as plt

        with plt.ioff():
            return plt.figure(figsize=figsize, FigureClass=LayeredFigure)
    fig = LayeredFigure(figsize=figsize)
    FigureManager(Canvas(fig), 0)  # the manager carries the toolbar and the frame stream
    return fig


def display_bundle(ui, host: FigureHost) -> dict:
    """The widget's mimebundle plus a PNG of the figure for static viewers."""
    host.show()
    bundle = ui._repr_mimebundle_() if hasattr(ui, "_repr_mimebundle_") else {}
    if isinstance(bundle, tuple):
        bundle = bundle[0]
    bundle = dict(bundle)
    try:
        bundle["image/png"] = base64.b64encode(host.snapshot_png()).decode("ascii")
    except Exception as error:  # a snapshot is a nicety: say so, but show the widget
        warnings.warn(f"no static snapshot stored with the widget: {error!r}", stacklevel=2)
    return bundle


class _Held:
    """A re-entrant 'hold updates' flag: slider moves made inside `with hold:`
    update once at the end instead of once per slider."""

    def __init__(self):
        self.depth = 0

    def __bool__(self):
        return self.depth > 0

    @contextlib.contextmanager
    def __call__(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


# --------------------------------------------------------------------------
# The explorer

# Where each landscape's runs start and a learning rate that makes a good first
# picture; applied when the landscape menu changes.
PRESETS = {
    "ravine": dict(start=(-5.0, 3.0), lr=0.05),
    "rotated ravine": dict(start=(-5.0, 3.0), lr=0.05),
    "saddle": dict(start=(-1.5, 0.01), lr=0.05),
    "plateau saddle": dict(start=(1.2, 0.01), lr=0.1),
    "Rosenbrock": dict(start=(-1.2, 1.0), lr=1e-3),
    "three-hump camel": dict(start=(-2.0, 1.5), lr=0.05),
}

# (label, value) for the beta2 slider; "default" = every optimizer's own torch default
BETA2_CHOICES = (("default", "default"), ("0.5", 0.5), ("0.9", 0.9), ("0.95", 0.95),
                 ("0.99", 0.99), ("0.995", 0.995), ("0.999", 0.999), ("0.9999", 0.9999))


def _table_html(trajectories: dict, landscape, tol: float, shown) -> str:
    """The results table: final loss, steps to tolerance, diverged at."""
    floor = None
    if landscape.bounded_below and len(landscape.minima):
        floor = float(np.min(landscape.value(landscape.minima)))
    tol_head = f"steps to loss&minus;min &lt; {tol:g}" if floor is not None else "steps to tol"
    rows = []
    for name in shown:
        traj = trajectories[name]
        k = int(traj.diverged_at)
        if k >= 0:
            final, reached, status = "&mdash;", "&mdash;", f"<b>step {k}</b>"
        else:
            final = f"{float(traj.final_loss):.3g}"
            if floor is None:
                reached = "n/a (no minimum)"
            else:
                s = int(traj.steps_to(tol, target=floor))
                reached = str(s) if s >= 0 else "not reached"
            status = "never"
        swatch = (f'<span style="display:inline-block;width:0.9em;height:0.9em;'
                  f'background:{color_for(name)};margin-right:0.4em;border:1px solid #333"></span>')
        rows.append(f"<tr><td style='text-align:left'>{swatch}{html.escape(name)}</td>"
                    f"<td>{final}</td><td>{reached}</td><td>{status}</td></tr>")
    head = ("<tr><th style='text-align:left'>optimizer</th><th>final loss</th>"
            f"<th>{tol_head}</th><th>diverged at</th></tr>")
    return ("<style>.cu-results td, .cu-results th {padding: 2px 10px}</style>"
            "<table class='cu-results' style='border-collapse:collapse;text-align:right'>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")


class Explorer:
    """The explorer's state: controls, figure, artists, table, trajectories.

    Attributes:
        controls: {name: widget} - 'landscape', 'optimizers', 'lr', 'beta',
            'beta2', 'steps', 'start_x', 'start_y', 'noise'.
        fig, ax (the map), loss_ax (loss curves).
        artists: {optimizer: Line2D} - the path on the map.
        paths: {optimizer: plotting.PathArtists} - path, start, end, exit marker.
        loss_lines: {optimizer: Line2D}.
        table: ipywidgets.HTML with the results table.
        trajectories: {optimizer: Trajectory} for the optimizers shown.
        ui: the whole layout (an ipywidgets.Box); displaying the Explorer shows it.
    """

    def __init__(self, landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"),
                 lr: float = 0.05, beta: float = 0.9, beta2: float | None = None, steps: int = 100,
                 start=None, noise: float = 0.0, seed: int = 0, tol: float = 1e-6,
                 choices=OPTIMIZER_CHOICES, landscapes: dict | None = None,
                 figsize=(10, 4.4), max_steps: int = 500, markers: bool = True,
                 interactive: bool | None = None):
        self.landscapes = dict(landscapes or landscapes_module.all_landscapes())
        if not isinstance(landscape, str):
            self.landscapes.setdefault(landscape.name, landscape)
            landscape = landscape.name
        if landscape not in self.landscapes:
            raise ValueError(f"unknown landscape {landscape!r}; choose from "
                             f"{', '.join(self.landscapes)}")
        unknown = [name for name in (*optimizers, *choices) if name not in OPTIMIZER_CHOICES]
        if unknown:
            raise ValueError(f"unknown optimizer(s) {unknown}; choose from "
                             f"{', '.join(OPTIMIZER_CHOICES)}")
        self.choices = tuple(choices)
        self.seed = seed
        self.tol = float(tol)
        self.markers = markers
        self.hold = _Held()
        self.trajectories: dict = {}
        self._cache: dict = {}
        self.landscape = self.landscapes[landscape]
        preset = PRESETS.get(landscape, {})
        start = tuple(start if start is not None else preset.get("start", _centre(self.landscape)))

        self.controls = self._make_controls(landscape, optimizers, lr, beta, beta2, steps, start,
                                            noise, max_steps)
        self.host = FigureHost(figsize, interactive)
        self.fig = self.host.fig
        self._build_figure()
        self.table = w.HTML(layout=w.Layout(margin="4px 0 0 40px"))
        for name, control in self.controls.items():
            control.observe(self._on_change, names="value")
        if self.host.interactive:
            self.fig.canvas.mpl_connect("button_press_event", self._on_click)
        self.update()

    # -- construction ---------------------------------------------------------

    def _make_controls(self, landscape, optimizers, lr, beta, beta2, steps, start, noise,
                       max_steps):
        wide = w.Layout(width="320px")
        style = {"description_width": "95px"}
        (x0, x1), (y0, y1) = self.landscape.bounds
        beta2 = "default" if beta2 is None else beta2
        values = [value for _, value in BETA2_CHOICES]
        if beta2 not in values:
            raise ValueError(f"beta2 must be None or one of {values[1:]}; got {beta2!r}")
        return {
            "landscape": w.Dropdown(options=list(self.landscapes), value=landscape,
                                    description="landscape", layout=wide, style=style),
            "optimizers": w.SelectMultiple(options=list(self.choices), value=tuple(optimizers),
                                           rows=min(len(self.choices), 6),
                                           description="optimizers",
                                           tooltip="ctrl/shift-click to show several",
                                           layout=wide, style=style),
            "lr": log_slider(lr, -4.0, 0.5, 0.05, description="lr", layout=wide, style=style),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                  description="beta", tooltip="momentum / first-moment decay",
                                  layout=wide, style=style),
            "beta2": w.SelectionSlider(options=list(BETA2_CHOICES), value=beta2,
                                       description="beta2", layout=wide, style=style),
            "steps": w.IntSlider(value=steps, min=10, max=max_steps, step=10,
                                 description="steps", layout=wide, style=style),
            "start_x": w.FloatSlider(value=start[0], min=x0, max=x1, step=_start_step(x0, x1),
                                     description="start θ1", readout_format=".2f",
                                     layout=wide, style=style),
            "start_y": w.FloatSlider(value=start[1], min=y0, max=y1, step=_start_step(y0, y1),
                                     description="start θ2", readout_format=".2f",
                                     layout=wide, style=style),
            "noise": w.FloatSlider(value=noise, min=0.0, max=5.0, step=0.05,
                                   description="grad noise σ", layout=wide, style=style),
        }

    def _build_figure(self):
        fig = self.fig
        self.ax, self.loss_ax = fig.subplots(1, 2, width_ratios=[1.55, 1])
        self._landscape_artists = []
        self.paths, self.artists, self.loss_lines = {}, {}, {}
        for name in self.choices:
            color = color_for(name)
            self.paths[name] = plotting.PathArtists(self.ax, color, name, markers=self.markers)
            self.artists[name] = self.paths[name].line
            (self.loss_lines[name],) = self.loss_ax.plot([], [], color=color, label=name)
        self.loss_ax.set_xlabel("step")
        self.loss_ax.grid(True, alpha=0.3)
        self.loss_ax.set_title("loss per step", y=1.0, pad=10)
        self.ax.set_xlabel(r"$\theta_1$")
        self.ax.set_ylabel(r"$\theta_2$")
        self.legend = FigureLegend(fig)
        self._draw_landscape()

    def _draw_landscape(self):
        for artist in self._landscape_artists:
            artist.remove()
        self.fig.forget_static(*self._landscape_artists)
        self._landscape_artists = plotting.draw_landscape(self.landscape, self.ax)
        self.fig.register_static(*self._landscape_artists)
        window = plotting._window(self.landscape, None)
        for artists in self.paths.values():
            artists.window = window
        # y given explicitly: matplotlib then skips re-measuring the title on each draw
        self.ax.set_title(f"{self.landscape.name}: ${self.landscape.formula}$", y=1.0, pad=10)
        self.floor = landscape_floor(self.landscape)
        set_loss_scale(self.loss_ax, self.landscape)

    # -- reacting to the controls --------------------------------------------

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
            self.update()

    def _on_click(self, event):
        """Clicking the map moves the start point there (ipympl only)."""
        if event.inaxes is not self.ax or event.xdata is None:
            return
        self.set_start(event.xdata, event.ydata)

    def set_start(self, x, y):
        """Move the start point (both sliders, one update)."""
        with self.hold():
            self.controls["start_x"].value = float(x)
            self.controls["start_y"].value = float(y)
        self.update()

    def set_landscape(self, name: str):
        """Switch landscape: redraw its map, move the start (and lr) to its preset."""
        self.landscape = self.landscapes[name]
        preset = PRESETS.get(name, {})
        (x0, x1), (y0, y1) = self.landscape.bounds
        start = preset.get("start", _centre(self.landscape))
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
                slider.step = _start_step(lo, hi)
            if "lr" in preset:
                reanchor_log_slider(c["lr"], preset["lr"])
        self._draw_landscape()
        self.legend.handles = []  # new labels and ticks: lay the figure out again
        self.update()

    def _run(self, shown, settings) -> dict:
        """Trajectories for the shown optimizers, rerunning only what changed."""
        key_common = (self.landscape.name, settings["start"], settings["steps"],
                      settings["noise"], self.seed)
        opts = {name: make_optimizer(name, settings["lr"], settings["beta"], settings["beta2"])
                for name in shown}
        keys = {name: (repr(opt),) + key_common for name, opt in opts.items()}
        stale = {name: opts[name] for name in shown
                 if self._cache.get(name, (None,))[0] != keys[name]}
        if stale:
            fresh = run_together(stale, self.landscape, settings["start"], settings["steps"],
                                 settings["noise"], self.seed)
            for name, traj in fresh.items():
                self._cache[name] = (keys[name], traj)
        self.last_rerun = tuple(stale)
        return {name: self._cache[name][1] for name in shown}

    def update(self):
        """Rerun what changed and redraw: the map, the loss curves and the table."""
        shown = self.shown
        settings = self.settings
        self.trajectories = self._run(shown, settings)
        floor = self.floor
        for name in self.choices:
            visible = name in self.trajectories
            self.paths[name].set_visible(visible)
            self.loss_lines[name].set_visible(visible)
            if not visible:
                continue
            traj = self.trajectories[name]
            self.paths[name].update(traj.path(), int(traj.diverged_at))
            losses = traj.valid_losses() - floor
            self.loss_lines[name].set_data(np.arange(len(losses)), losses)
        self.loss_ax.set_xlim(0, settings["steps"])
        self.loss_ax.set_ylim(*loss_limits(self.landscape, settings["start"]))
        handles = [self.artists[name] for name in shown]
        if self.legend.handles != handles:
            self.legend.set(handles)
        else:
            self.legend.refresh()
        self.table.value = _table_html(self.trajectories, self.landscape, self.tol, shown)
        self.host.redraw()

    # -- display --------------------------------------------------------------

    @property
    def ui(self) -> w.Box:
        """Three columns of controls above the figure, the table below it
        (about 1000 px wide: fits a JupyterLab notebook on a projector)."""
        if not hasattr(self, "_ui"):
            c = self.controls
            help_text = w.HTML(
                "<div style='line-height:1.3;font-size:0.85em;white-space:normal'>"
                "Same lr for every optimizer. beta: momentum / first-moment decay; beta2: "
                "squared-gradient decay (RMSprop's alpha, Adam's second beta; 'torch default' "
                "keeps each one's own)."
                + (" Click the map to move the start." if self.host.interactive else "")
                + "</div>", layout=w.Layout(width="310px"))
            columns = [w.VBox([c["landscape"], c["optimizers"]]),
                       w.VBox([c["lr"], c["beta"], c["beta2"], c["steps"]]),
                       w.VBox([c["start_x"], c["start_y"], c["noise"], help_text])]
            self._ui = w.VBox([w.HBox(columns, layout=w.Layout(flex_flow="row wrap")),
                               self.host.widget, self.table])
        return self._ui

    def _repr_mimebundle_(self, include=None, exclude=None):
        return display_bundle(self.ui, self.host)

    def _ipython_display_(self):
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def landscape_floor(landscape) -> float:
    """The minimum value for 'loss - minimum' axes; 0 where there is none."""
    if landscape.bounded_below and len(landscape.minima):
        return float(np.min(landscape.value(landscape.minima)))
    return 0.0


def set_loss_scale(ax, landscape) -> None:
    """Log loss - minimum axes, or symlog loss for landscapes unbounded below."""
    if landscape.bounded_below and len(landscape.minima):
        ax.set_yscale("log")
        ax.set_ylabel(r"loss $-$ minimum")
    else:
        ax.set_yscale("symlog", linthresh=1.0)
        ax.yaxis.set_major_locator(mpl.ticker.SymmetricalLogLocator(
            linthresh=1.0, base=10, subs=[1.0]))
        ax.set_ylabel("loss")


def loss_limits(landscape, start, decades: int = 12) -> tuple:
    """Fixed y-limits for a loss panel: from `decades` below the start's
    loss - minimum up to 100 times it. Fixed per landscape and start, so the
    panel (and its cached background) stays put while sliders move; runs
    that go lower or diverge leave through the bottom or the top."""
    start = np.asarray(start, dtype=float)
    floor = landscape_floor(landscape)
    height = float(landscape.value(start)) - floor
    if landscape.bounded_below and len(landscape.minima):
        top = 10.0 ** np.ceil(np.log10(max(height, 1e-12)) + 2)
        return top * 10.0 ** -(decades + 2), top
    (x0, x1), (y0, y1) = landscape.bounds
    corners = landscape.value(np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]]))
    span = 10.0 ** np.ceil(np.log10(max(np.abs(corners).max(), abs(height), 1.0)) + 1)
    return -span, span


def log_slider(value: float, lowest: float, highest: float, step: float, **options):
    """A FloatLogSlider whose grid passes exactly through `value`.

    The browser snaps a log slider to min + i * step (in exponents); anchoring
    the grid at the starting value keeps the readout equal to the value asked
    for (0.05, not 0.0501) and stops the browser from sending back a nudged one.
    """
    exponent = float(np.log10(value))
    below = int(np.floor((exponent - lowest) / step + 1e-9))
    above = int(np.floor((highest - exponent) / step + 1e-9))
    return w.FloatLogSlider(value=value, base=10, min=exponent - below * step,
                            max=exponent + above * step, step=step, readout_format=".3g",
                            **options)


def reanchor_log_slider(slider, value: float) -> None:
    """Set a log slider to `value`, moving its grid so `value` lies on it."""
    fresh = log_slider(value, slider.min - 1e-9, slider.max + 1e-9, slider.step)
    slider.min = min(slider.min, fresh.min)  # widen first: min <= value <= max throughout
    slider.max = max(slider.max, fresh.max)
    slider.value = value
    slider.min, slider.max = fresh.min, fresh.max


def _start_step(lo: float, hi: float) -> float:
    """Start-point slider steps on a round grid (the presets sit on it)."""
    return 0.01 if hi - lo <= 6 else 0.05


def _centre(landscape):
    (x0, x1), (y0, y1) = landscape.bounds
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def explorer(landscape="ravine", optimizers=("SGD", "SGD+momentum", "Adam"), lr: float = 0.05,
             beta: float = 0.9, beta2: float | None = None, steps: int = 100, start=None,
             noise: float = 0.0, seed: int = 0, tol: float = 1e-6, **options) -> Explorer:
    """The optimizer explorer (see the module docstring).

    Args:
        landscape: a name from landscapes.all_landscapes() or a Landscape.
        optimizers: the ones shown at first (the menu offers OPTIMIZER_CHOICES).
        lr: learning rate, shared by all optimizers (log slider 1e-4 .. 3).
        beta: momentum / first-moment decay.
        beta2: second-moment decay, None (each optimizer's torch default:
            Adam 0.999, RMSprop's alpha 0.99) or one of 0.5, 0.9, 0.95, 0.99,
            0.995, 0.999, 0.9999 (the slider's stops).
        steps: optimizer steps (10 .. 500).
        start: (theta1, theta2); default the landscape's preset (ravine: (-5, 3)).
        noise: std of Gaussian noise added to each gradient coordinate.
        seed: seed of the noise (every update redraws the same noise).
        tol: "steps to tolerance" counts steps until loss - minimum < tol for good.
        **options: choices, landscapes, figsize, max_steps, markers,
            interactive (force the ipympl canvas (True) or the Image fallback (False)).

    Returns:
        An Explorer; display it (last line of a cell) to get the UI.
    """
    return Explorer(landscape=landscape, optimizers=optimizers, lr=lr, beta=beta, beta2=beta2,
                    steps=steps, start=start, noise=noise, seed=seed, tol=tol, **options)
