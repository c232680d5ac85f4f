"""Race animations that play with no kernel: in a saved notebook, on a web page.

    from course_utils import animation
    anim = animation.race_animation(landscapes.ravine(), [traj_sgd, traj_momentum, traj_adam])
    anim                      # last line of a cell: plays in the notebook output
    anim.save("race.html")    # a self-contained page for slides

How: the contour map is rendered once, as a PNG embedded in base64; the
paths, the moving heads and the controls are an SVG overlay driven by a few
lines of JavaScript that read the frames from an embedded JSON block. That is
about 0.1 s and a few hundred KB for 150 frames x 4 optimizers, where
matplotlib's to_jshtml takes seconds, weighs megabytes and silently drops
frames past animation.embed_limit (see shared/design/WIDGETS.md). Every step
is a frame here; nothing is dropped.

- Controls: play/pause, a step slider, a speed menu. Self-contained: no
  external JavaScript or CSS; every element id carries a per-animation
  prefix, so several animations on one page never clash.
- Without JavaScript - GitHub's notebook view, or a stored notebook that
  JupyterLab does not trust yet (File > Trust Notebook, or `jupyter trust`)
  - the output shows the finished race as a plain image with its legend; the
  script swaps that picture for the live overlay and controls when it runs.
- A path that leaves the map is clipped at the frame, its head waits on the
  frame as a hollow dot ("left the map"); a diverged run stops at its last
  finite point and its legend entry says "diverged at step k".
"""
from __future__ import annotations

import base64
import html
import io
import json
import uuid
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from course_utils import plotting
from course_utils.style import color_for

__all__ = ["race_html", "race_animation", "RaceAnimation", "figure_png"]


def figure_png(fig, dpi: float = 100) -> bytes:
    """The figure as a 256-colour PNG: maps and curves stay crisp at about a
    third of the bytes of a full-colour PNG (for outputs stored in notebooks).

    Goes through savefig, which draws on a separate Agg canvas: an ipympl
    canvas on screen is not touched (drawing it before its view exists would
    leave the view with pixel diffs against a frame it never received).
    """
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=dpi)
    raw.seek(0)
    image = Image.open(raw).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                     dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def _background(landscape, runs, bounds, figsize, dpi, title):
    """Two renderings of the map - bare (under the live overlay) and with the
    finished paths (the static view) - plus the data -> pixel mapping."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.87, 0.82))
    plotting.draw_landscape(landscape, ax, bounds)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_title(f"${landscape.formula}$" if title is None else title, pad=10)
    bare = figure_png(fig, dpi)
    fig.canvas.draw()  # the transforms below need a drawn figure
    width, height = fig.canvas.get_width_height()
    # pixel = scale * data + offset, with the y axis pointing down as in SVG
    (dx0, dy0), (dx1, dy1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
    scale = np.array([dx1 - dx0, -(dy1 - dy0)])
    offset = np.array([dx0, height - dy0])
    box = ax.get_window_extent()
    rect = (box.x0, height - box.y1, box.x1, height - box.y0)  # left, top, right, bottom
    for label, color, traj, index in runs:
        plotting.path(traj, ax, index=index, color=color, label=label, markers=False,
                      window=bounds, linewidth=2.2)
        points = traj.path(index)
        ax.plot(*points[-1], "o", color=color, markeredgecolor="black", markersize=9, zorder=8)
    finished = figure_png(fig, dpi)
    return bare, finished, width, height, scale, offset, rect


def race_apng(background_png: bytes, runs, rect, frames: int, fps: float,
              max_frames: int = 75) -> bytes:
    """An animated PNG of the race: the paths growing on the bare map.

    Plays wherever a picture shows - GitHub, an untrusted notebook, a page
    without JavaScript. At most `max_frames` frames (every k-th step), the
    last one held for two seconds; drawn with Pillow on the background
    pixels, so it costs milliseconds per frame, not a matplotlib render.
    """
    from PIL import Image, ImageDraw

    base = Image.open(io.BytesIO(background_png)).convert("RGB")
    stride = max(1, int(np.ceil((frames - 1) / (max_frames - 1))))
    ks = list(range(0, frames - 1, stride)) + [frames - 1]
    left, top, right, bottom = rect
    def picture(k):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        for run in runs:
            for seg in run["seg"][:k]:
                if seg:
                    draw.line(seg, fill=run["color"], width=3)
        for run in runs:
            x, y = run["head"][k]
            fill = "white" if run["off"][k] else run["color"]
            draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=fill, outline="black", width=2)
        # the paths stay inside the axes: paint the margins back from the background
        for box in ((0, 0, base.width, int(top)), (0, int(bottom) + 1, base.width, base.height),
                    (0, 0, int(left), base.height), (int(right) + 1, 0, base.width, base.height)):
            image.paste(base.crop(box), box[:2])
        return image

    # one palette for every frame (taken from the finished race, which holds
    # every colour), so each frame stores only the pixels that changed
    palette = picture(ks[-1]).quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.NONE)
    images = [picture(k).quantize(palette=palette, dither=Image.Dither.NONE) for k in ks]
    durations = [1000.0 * stride / max(fps, 1e-6)] * (len(images) - 1) + [2000.0]
    out = io.BytesIO()
    images[0].save(out, format="PNG", save_all=True, append_images=images[1:], loop=0,
                   duration=durations)
    return out.getvalue()


def _clip_segments(p, q, rect):
    """Liang-Barsky: segments p[i] -> q[i] (pixels) clipped to rect.

    Returns (p', q', visible); NaN endpoints count as invisible.
    """
    left, top, right, bottom = rect
    d = q - p
    t0 = np.zeros(len(p))
    t1 = np.ones(len(p))
    visible = np.all(np.isfinite(p), axis=1) & np.all(np.isfinite(q), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for pk, qk in ((-d[:, 0], p[:, 0] - left), (d[:, 0], right - p[:, 0]),
                       (-d[:, 1], p[:, 1] - top), (d[:, 1], bottom - p[:, 1])):
            parallel = pk == 0
            visible &= ~(parallel & (qk < 0))
            r = qk / pk
            entering = ~parallel & (pk < 0)
            leaving = ~parallel & (pk > 0)
            t0 = np.where(entering, np.maximum(t0, r), t0)
            t1 = np.where(leaving, np.minimum(t1, r), t1)
    visible &= t0 <= t1
    return p + t0[:, None] * d, p + t1[:, None] * d, visible


def _round(values, digits: int):
    """A list of rounded floats with None for NaN (JSON has no NaN)."""
    out = []
    for v in np.asarray(values, dtype=float).ravel():
        out.append(None if not np.isfinite(v) else float(f"{v:.{digits}g}"))
    return out


def _runs(trajectories):
    runs = []
    for label, traj in plotting.labelled(trajectories):
        indices = list(np.ndindex(*traj.batch_shape))
        for index in indices:
            name = label if len(indices) == 1 else f"{label} {list(index)}"
            runs.append((name, color_for(label), traj, index))
    if not runs:
        raise ValueError("race_html needs at least one trajectory")
    return runs


def _frames_of(landscape, runs, scale, offset, rect, window):
    """Per run: data coordinates, losses, pixel segments, heads, statuses."""
    frames = max(traj.steps for _, _, traj, _ in runs) + 1
    margin = 20.0  # clip a little outside the frame; the SVG clipPath trims exactly
    big = (rect[0] - margin, rect[1] - margin, rect[2] + margin, rect[3] + margin)
    (x0, x1), (y0, y1) = window
    data = []
    for label, color, traj, index in runs:
        xs = traj.xs[(slice(None),) + tuple(index)]
        losses = traj.losses[(slice(None),) + tuple(index)]
        n = int(np.asarray(traj.n_valid)[index])
        # pad shorter runs with NaN so every run has `frames` entries
        xs = np.concatenate([xs, np.full((frames - len(xs), 2), np.nan)])
        losses = np.concatenate([losses, np.full(frames - len(losses), np.nan)])
        pixels = xs * scale + offset
        p, q, visible = _clip_segments(pixels[:-1], pixels[1:], big)
        segments = [[round(float(a), 1) for a in (*p[i], *q[i])] if visible[i] else 0
                    for i in range(frames - 1)]
        last = np.arange(frames).clip(max=max(n - 1, 0))  # the head stays at the last finite point
        heads_data = xs[last]
        inside = ((heads_data[:, 0] >= x0) & (heads_data[:, 0] <= x1)
                  & (heads_data[:, 1] >= y0) & (heads_data[:, 1] <= y1))
        heads = pixels[last]
        heads[:, 0] = heads[:, 0].clip(rect[0], rect[2])
        heads[:, 1] = heads[:, 1].clip(rect[1], rect[3])
        exit_info = plotting.first_exit(xs[:n], window)
        data.append({
            "label": label,
            "color": color,
            "x": _round(xs[:, 0], 7),
            "y": _round(xs[:, 1], 7),
            "loss": _round(losses, 4),
            "seg": segments,
            "head": [[round(float(a), 1), round(float(b), 1)] for a, b in heads],
            "off": [0 if i else 1 for i in inside],
            "diverged_at": int(np.asarray(traj.diverged_at)[index]),
            "left_at": exit_info[0] if exit_info else -1,
            "n_valid": n,
        })
    return frames, data


def _path_d(segments, k: int) -> str:
    """SVG path data of the first k segments (the same rule the JavaScript uses)."""
    parts, end = [], None
    for seg in segments[:k]:
        if not seg:
            end = None
            continue
        if end is None or abs(seg[0] - end[0]) > 0.05 or abs(seg[1] - end[1]) > 0.05:
            parts.append(f"M{seg[0]:g} {seg[1]:g}")
        parts.append(f"L{seg[2]:g} {seg[3]:g}")
        end = (seg[2], seg[3])
    return "".join(parts)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _fmt_loss(value) -> str:
    if value is None:
        return ""
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-2):
        return f"{value:.2e}"
    return f"{value:.3g}"


def _status(run, k: int) -> str:
    """What the legend says about a run at frame k (mirrors the JavaScript)."""
    if 0 <= run["diverged_at"] <= k:
        return f"diverged at step {run['diverged_at']}"
    i = min(k, run["n_valid"] - 1)
    text = f"loss {_fmt_loss(run['loss'][i])}"
    if 0 <= run["left_at"] <= k:
        text += f" · left the map at step {run['left_at']}"
    return text


_SCRIPT = r"""
(function () {
  var root = document.getElementById(UID);
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var D = JSON.parse(document.getElementById(UID + "-data").textContent);
  // the live overlay and its controls travel as data: a sanitized (untrusted)
  // view, which runs no script, then shows only the animated picture and legend
  root.querySelector(".cu-live-slot").innerHTML = D.live;
  var paths = root.querySelectorAll(".cu-path"), heads = root.querySelectorAll(".cu-head");
  var stats = root.querySelectorAll(".cu-status"), button = root.querySelector(".cu-play");
  var slider = root.querySelector(".cu-slider"), readout = root.querySelector(".cu-readout");
  var speedMenu = root.querySelector(".cu-speed");
  // JavaScript runs: swap the finished-race picture for the live overlay and its controls
  root.querySelector(".cu-static").style.display = "none";
  var last = D.frames - 1, frame = last, playing = false, before = null, carry = 0;
  function fmt(v) {
    if (v === null) return "";
    var a = Math.abs(v);
    return (a !== 0 && (a >= 1e4 || a < 1e-2)) ? v.toExponential(2) : String(+v.toPrecision(3));
  }
  function pathD(seg, k) {
    var s = "", ex = null, ey = null;
    for (var i = 0; i < k; i++) {
      var g = seg[i];
      if (!g) { ex = null; continue; }
      if (ex === null || Math.abs(g[0] - ex) > 0.05 || Math.abs(g[1] - ey) > 0.05)
        s += "M" + g[0] + " " + g[1];
      s += "L" + g[2] + " " + g[3];
      ex = g[2]; ey = g[3];
    }
    return s;
  }
  function status(r, k) {
    if (r.diverged_at >= 0 && r.diverged_at <= k) return "diverged at step " + r.diverged_at;
    var t = "loss " + fmt(r.loss[Math.min(k, r.n_valid - 1)]);
    if (r.left_at >= 0 && r.left_at <= k) t += " \u00b7 left the map at step " + r.left_at;
    return t;
  }
  function show(k) {
    frame = k;
    for (var r = 0; r < D.runs.length; r++) {
      var run = D.runs[r], h = run.head[k];
      paths[r].setAttribute("d", pathD(run.seg, k));
      heads[r].setAttribute("cx", h[0]);
      heads[r].setAttribute("cy", h[1]);
      heads[r].setAttribute("fill", run.off[k] ? "white" : run.color);
      var bad = run.diverged_at >= 0 && run.diverged_at <= k;
      stats[r].className = "cu-status" + (bad ? " cu-bad" : "");
      stats[r].textContent = ": " + status(run, k);
    }
    slider.value = k;
    readout.textContent = "step " + k + " / " + last;
  }
  function tick(now) {
    if (!playing) return;
    if (before !== null) carry += (now - before) / 1000 * D.fps * parseFloat(speedMenu.value);
    before = now;
    var advance = Math.floor(carry);
    if (advance > 0) {
      carry -= advance;
      show(Math.min(frame + advance, last));
      if (frame >= last) { pause(); return; }
    }
    window.requestAnimationFrame(tick);
  }
  function play() {
    if (frame >= last) show(0);
    playing = true; before = null; carry = 0;
    button.textContent = "\u275a\u275a Pause";
    window.requestAnimationFrame(tick);
  }
  function pause() { playing = false; button.textContent = "\u25b6 Play"; }
  button.addEventListener("click", function () { playing ? pause() : play(); });
  slider.addEventListener("input", function () { pause(); show(parseInt(slider.value, 10)); });
  show(frame);
})();
"""


def race_html(landscape, trajectories, bounds=None, title: str | None = None, fps: float = 15,
              speed: float = 1.0, figsize=(8, 5.5), dpi: int = 100,
              max_width: str = "820px") -> str:
    """A self-contained HTML race of several trajectories on one contour map.

    Args:
        landscape: the 2-D landscape the runs were made on.
        trajectories: a list or dict of Trajectories (or one); each run is a
            runner, coloured with style.color_for(label). Runs may differ in
            length; every step of every run is a frame.
        bounds: the map window (default the landscape's).
        title: above the map (default the landscape's formula).
        fps: frames per second at speed 1x; speed: the speed menu's start value
            (0.25, 0.5, 1, 2 or 4).
        figsize, dpi: size of the background map in inches and dots per inch.
        max_width: CSS max-width of the whole block (it scales down to fit).

    Returns:
        HTML (a <div> with its style, SVG and script) for a notebook output or
        a page; see RaceAnimation for a displayable object and save().
    """
    window = plotting.plot_window(landscape, bounds)
    runs = _runs(trajectories)
    bare, finished, width, height, scale, offset, rect = _background(landscape, runs, window,
                                                                     figsize, dpi, title)
    frames, data = _frames_of(landscape, runs, scale, offset, rect, window)
    uid = "cu-race-" + uuid.uuid4().hex[:10]
    last = frames - 1
    speeds = (0.25, 0.5, 1.0, 2.0, 4.0)
    speed = min(speeds, key=lambda s: abs(s - speed))

    svg = [f'<svg class="cu-live" viewBox="0 0 {width} {height}" '
           'xmlns="http://www.w3.org/2000/svg" style="width:100%;height:auto" '
           f'role="img" aria-label="optimizer race on {html.escape(landscape.name)}">',
           f'<image href="data:image/png;base64,{_b64(bare)}" '
           f'x="0" y="0" width="{width}" height="{height}"/>',
           f'<defs><clipPath id="{uid}-clip"><rect x="{rect[0]:.1f}" y="{rect[1]:.1f}" '
           f'width="{rect[2] - rect[0]:.1f}" height="{rect[3] - rect[1]:.1f}"/></clipPath></defs>',
           f'<g clip-path="url(#{uid}-clip)" fill="none" stroke-linejoin="round" '
           f'stroke-linecap="round">']
    for run in data:
        svg.append(f'<path class="cu-path" stroke="{run["color"]}" stroke-width="2.6" '
                   f'd="{_path_d(run["seg"], last)}"/>')
    svg.append("</g>")
    for run in data:
        x0, y0 = run["head"][0]
        svg.append(f'<circle cx="{x0}" cy="{y0}" r="5" fill="none" stroke="{run["color"]}" '
                   f'stroke-width="2"/>')
    for run in data:
        hx, hy = run["head"][last]
        fill = "white" if run["off"][last] else run["color"]
        svg.append(f'<circle class="cu-head" cx="{hx}" cy="{hy}" r="7" fill="{fill}" '
                   f'stroke="black" stroke-width="1.2"/>')
    svg.append("</svg>")

    legend = []
    for run in data:
        bad = " cu-bad" if 0 <= run["diverged_at"] <= last else ""
        status = html.escape(_status(run, last))
        legend.append(f'<li class="cu-item"><span style="color:{run["color"]}">&#9632;</span> '
                      f'{html.escape(run["label"])}<span class="cu-status{bad}">: {status}</span>'
                      '</li>')
    options = "".join(
        f'<option value="{s:g}"{" selected" if s == speed else ""}>{s:g}&times;</option>'
        for s in speeds)
    controls = "".join([
        '<div class="cu-controls">',
        '<button type="button" class="cu-play">&#9654; Play</button>',
        f'<input type="range" class="cu-slider" min="0" max="{last}" step="1" value="{last}" '
        'aria-label="step">',
        f'<span class="cu-readout">step {last} / {last}</span>',
        f'<label>speed <select class="cu-speed">{options}</select></label>',
        "</div>"])
    payload = json.dumps({"frames": frames, "fps": fps, "live": "".join(svg) + controls, "runs": [
        {key: run[key] for key in ("label", "color", "x", "y", "loss", "seg", "head", "off",
                                   "diverged_at", "left_at", "n_valid")} for run in data]},
        separators=(",", ":"), allow_nan=False).replace("</", "<\\/")  # no early </script>
    style = (f"#{uid}{{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
             f"max-width:{max_width};color:#222}}"
             f"#{uid} svg{{display:block;width:100%;height:auto}}"
             f"#{uid} .cu-controls{{display:flex;align-items:center;gap:.6em;margin:.3em 0;"
             f"flex-wrap:wrap}}"
             f"#{uid} .cu-slider{{flex:1;min-width:8em}}"
             f"#{uid} .cu-play{{min-width:6.5em}}"
             f"#{uid} .cu-legend{{display:flex;flex-wrap:wrap;gap:.25em 1.4em;font-size:1em;"
             f"list-style:none;padding:0;margin:.3em 0}}"
             f"#{uid} .cu-swatch{{display:inline-block;width:1.6em;height:.45em;"
             f"vertical-align:middle;margin-right:.35em;border-radius:2px}}"
             f"#{uid} .cu-status{{color:#555;font-variant-numeric:tabular-nums}}"
             f"#{uid} .cu-bad{{color:#b00020;font-weight:bold}}")
    moving = race_apng(bare, data, rect, frames, fps * speed)
    static = (f'<img class="cu-static" src="data:image/png;base64,{_b64(moving)}" '
              f'style="display:block;width:100%;height:auto" '
              f'alt="the race on {html.escape(landscape.name)} (animated)">')
    return "".join([
        f'<div id="{uid}" class="cu-race" style="max-width:{max_width}">',
        f"<style>{style}</style>",
        static,
        '<div class="cu-live-slot"></div>',
        f'<ul class="cu-legend">{"".join(legend)}</ul>',
        f'<script type="application/json" id="{uid}-data">{payload}</script>',
        f"<script>{_SCRIPT.replace('UID', json.dumps(uid))}</script>",
        "</div>",
    ])


class RaceAnimation:
    """A race animation: shows itself in a notebook, saves itself as a page.

    Attributes:
        html: the HTML block (see race_html).
        frames: number of frames (the longest run's steps + 1).
    """

    def __init__(self, landscape, trajectories, **options):
        self.html = race_html(landscape, trajectories, **options)
        self.frames = max(traj.steps for _, _, traj, _ in _runs(trajectories)) + 1
        self.title = landscape.name

    def _repr_html_(self) -> str:
        return self.html

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    def page(self) -> str:
        """A complete, self-contained HTML document."""
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>Optimizer race: {html.escape(self.title)}</title></head>"
                f"<body>{self.html}</body></html>")

    def save(self, path) -> Path:
        """Write the page to `path` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.page(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<RaceAnimation: {self.frames} frames, {self.size_bytes / 1024:.0f} KB of HTML>"


def race_animation(landscape, trajectories, **options) -> RaceAnimation:
    """race_html wrapped in a RaceAnimation (display it, or .save('race.html'))."""
    return RaceAnimation(landscape, trajectories, **options)
