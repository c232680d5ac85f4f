"""`make site`: the executed course as a static website that needs no kernel and no network.

    .venv/bin/python tools/build_site.py [--out site] [NOTEBOOK ...]

Lectures (notebooks/, as stored, executed) and exercises (exercises/, which
hold no solutions) become one HTML page each, with a table of contents on
every page and an index. Math is converted to MathML at build time
(latex2mathml; browsers draw MathML themselves, so no MathJax and no CDN).
Race animations are already self-contained HTML. Each fast widget
(widgets.view) is rendered by the very same view.js from the grid stored in
the notebook's widget state, so its lr / steps / step / beta sliders work on
the page; the controls that need a kernel are left out, and the stored
snapshot is what shows without JavaScript.

Size budget: 40 MB for the whole site (most of it the lectures' figures and
the widgets' precomputed runs); the build fails beyond it.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
VIEW_JS = ROOT / "course_utils" / "widgets" / "view.js"
BUDGET_BYTES = 40_000_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

PAGE_CSS = """
body { margin: 0; font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 17px; color: #222; }
nav { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto;
      background: #f4f6f8; border-right: 1px solid #d8dde3; padding: 14px; box-sizing: border-box; }
nav a { display: block; color: #0b4f8a; text-decoration: none; margin: 4px 0; }
nav a.here { font-weight: bold; }
nav h2 { font-size: 15px; margin: 16px 0 4px; color: #555; text-transform: uppercase; }
main { margin-left: 270px; max-width: 1000px; padding: 10px 20px 60px; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 14px; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-InputArea-prompt, .jp-OutputArea-prompt { display: none; }
img { max-width: 100%; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; }
math[display="block"] { margin: 0.6em 0; font-size: 1.1em; }
"""

SHIM = """
// A stand-in for the widget model: the stored state, no kernel behind it.
(function () {
  function decode(b64) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new DataView(bytes.buffer);
  }
  document.querySelectorAll(".cu-site-view").forEach((host) => {
    const stored = JSON.parse(host.nextElementSibling.textContent);
    const state = stored.state;
    for (const b of stored.buffers || []) {
      let at = state;
      for (const key of b.path.slice(0, -1)) at = at[key];
      at[b.path[b.path.length - 1]] = decode(b.data);
    }
    const handlers = {};
    const model = {
      get: (k) => state[k],
      set: (k, v) => { state[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); },
      on: (name, f) => { (handlers[name] = handlers[name] || []).push(f); },
      save_changes: () => {}, send: () => {},
    };
    window.cuRender({ model, el: host });
  });
})();
"""


def mathml(text: str) -> str:
    """$$...$$ and $...$ in markdown as MathML (code spans left alone)."""
    from latex2mathml.converter import convert

    def block(match):
        return convert(match.group(1).strip(), display="block")

    def inline(match):
        return convert(match.group(1).strip())

    parts = re.split(r"(`[^`]*`)", text)
    for i in range(0, len(parts), 2):
        part = re.sub(r"\$\$(.+?)\$\$", block, parts[i], flags=re.S)
        parts[i] = re.sub(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$", inline, part)
    return "".join(parts)


def fast_views(nb) -> dict:
    """model id of every displayed widget -> the TrajectoryView states inside it."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def inside(model_id, seen=()):
        model = state.get(model_id)
        if model is None or model_id in seen:
            return []
        if model.get("model_name") == "AnyModel" and "spec" in model["state"]:
            return [model]
        found = []
        for child in model["state"].get("children", []):
            found += inside(child.removeprefix("IPY_MODEL_"), seen + (model_id,))
        return found

    return {model_id: inside(model_id) for model_id in state}


def prepare(nb) -> None:
    """Math to MathML; widgets to kernel-free views; no widget state left for
    nbconvert (it would load a widget manager from a CDN)."""
    views = fast_views(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = mathml(cell.source)
        outputs = cell.get("outputs", [])
        for before, after in zip(outputs, outputs[1:]):
            # the snapshot printed above a fast view: the page shows the view itself
            if "cu-snapshot" in str(before.get("data", {}).get("text/html", "")) and \
                    views.get(after.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")):
                before["data"] = {"text/plain": ""}
        for output in outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                found = views.get(data[WIDGET_VIEW].get("model_id"), [])
                blocks = "".join(
                    '<div class="cu-site-view"></div><script type="application/json">'
                    + json.dumps({"state": m["state"], "buffers": m.get("buffers", [])})
                    .replace("</", "<\\/") + "</script>" for m in found)
                output["data"] = {"text/html": blocks} if blocks else {"text/plain": ""}
    nb.metadata.pop("widgets", None)


def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return re.sub(r"<[^>]+>", "", match.group(1)).strip()
    return fallback


def build(out: Path, lectures, exercises) -> dict:
    from nbconvert import HTMLExporter

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="basic")
    view_js = VIEW_JS.read_text().replace("export default { render };", "window.cuRender = render;")
    pages = []
    for kind, paths in (("lectures", lectures), ("exercises", exercises)):
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            name = f"{'exercise-' if kind == 'exercises' else ''}{path.stem}.html"
            pages.append((kind, name, title_of(nb, path.stem), nb))
    toc = {kind: [(name, title) for k, name, title, _ in pages if k == kind]
           for kind in ("lectures", "exercises")}

    def nav(here):
        links = []
        for kind, label in (("lectures", "Lectures"), ("exercises", "Exercises")):
            links.append(f"<h2>{label}</h2>")
            links += [f'<a href="{name}"{" class=here" if name == here else ""}>'
                      f"{html.escape(title)}</a>" for name, title in toc[kind]]
        return '<nav><a href="index.html"><b>Gradient-based optimizers</b></a>' + "".join(links) + "</nav>"

    def page(here, title, body):
        return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
                f"<body>{nav(here)}<main>{body}</main>"
                f"<script>{view_js}</script><script>{SHIM}</script></body></html>")

    for kind, name, title, nb in pages:
        prepare(nb)
        body, _ = exporter.from_notebook_node(nb)
        (out / name).write_text(page(name, title, body), encoding="utf-8")
    intro = ("<h1>Gradient-based optimizers, hands on</h1><p>Six lectures, from plain gradient "
             "descent in a ravine to Adam and learning-rate schedules on MNIST, each with "
             "exercises. The sliders in the lectures work on this page, with no kernel: they "
             "move through runs computed when the lecture was executed.</p>")
    for kind, label in (("lectures", "Lectures"), ("exercises", "Exercises")):
        intro += f"<h2>{label}</h2><ol>" + "".join(
            f'<li><a href="{name}">{html.escape(title)}</a></li>' for name, title in toc[kind]) + "</ol>"
    (out / "index.html").write_text(page("index.html", "Gradient-based optimizers", intro),
                                    encoding="utf-8")
    size = sum(p.stat().st_size for p in out.glob("*.html"))
    if size > BUDGET_BYTES:
        raise SystemExit(f"the site is {size / 1e6:.1f} MB, over its {BUDGET_BYTES / 1e6:.0f} MB budget")
    return {"pages": len(pages) + 1, "bytes": size, "seconds": time.monotonic() - started}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--exercises", nargs="*", type=Path, default=None)
    parser.add_argument("lectures", nargs="*", type=Path)
    args = parser.parse_args(argv)
    lectures = args.lectures or sorted((ROOT / "notebooks").glob("*.ipynb"))
    exercises = args.exercises if args.exercises is not None else sorted((ROOT / "exercises").glob("*.ipynb"))
    report = build(args.out, lectures, exercises)
    print(f"site: {report['pages']} pages, {report['bytes'] / 1e6:.1f} MB "
          f"(budget {BUDGET_BYTES / 1e6:.0f} MB), built in {report['seconds']:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
