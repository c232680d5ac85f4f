"""How large is each figure's text on a 1280x720 screen? Run a notebook and measure.

JupyterLab at 1280x720 shows a notebook's outputs about 848 px wide; a wider
PNG is scaled down to fit. For every figure a notebook shows, this script
reports the PNG's width and the smallest font on it in screen pixels after
that scaling, and flags figures whose smallest text is under 12 px.

    .venv/bin/python tools/figure_text_check.py notebooks/01_ravine.ipynb [...]

The notebook runs in a fresh kernel (nothing is written back to it).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

SHOWN_WIDTH_PX = 848   # JupyterLab's output width at 1280x720
MIN_TEXT_PX = 12

PATCH = r'''
import json as _json, matplotlib.backend_bases as _bb, matplotlib.text as _mtext
_orig_print_figure = _bb.FigureCanvasBase.print_figure
def _measure_print_figure(self, *args, **kwargs):
    out = _orig_print_figure(self, *args, **kwargs)
    fig = self.figure
    renderer = self.get_renderer() if hasattr(self, "get_renderer") else fig.canvas.get_renderer()
    dpi = kwargs.get("dpi") or fig.dpi
    bbox = fig.get_tightbbox(renderer) if kwargs.get("bbox_inches") == "tight" else fig.bbox_inches
    width_px = bbox.width * dpi
    scale = min(1.0, %(shown)d / width_px)
    sizes = []
    for t in fig.findobj(_mtext.Text):
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None:
            try:
                inside = t.get_window_extent(renderer).overlaps(fig.bbox) or True
            except Exception:
                inside = True
            if inside:
                sizes.append((t.get_fontsize() * dpi / 72 * scale, t.get_text()[:30]))
    sizes.sort()
    with open(%(log)r, "a") as f:
        f.write(_json.dumps({"cell": get_ipython().user_ns.get("_figure_cell", "?"), "width_px": round(width_px), "min_px": round(sizes[0][0], 1) if sizes else None,
                             "smallest": sizes[0][1] if sizes else ""}) + "\n")
    return out
_bb.FigureCanvasBase.print_figure = _measure_print_figure
'''


def check(path: str) -> list[dict]:
    notebook = nbformat.read(path, as_version=4)
    log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
    for cell in notebook.cells:  # tag each figure with the id of the cell that drew it
        if cell.cell_type == "code":
            cell.source = f"_figure_cell = {cell.id!r}\n" + cell.source
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PATCH % {"shown": SHOWN_WIDTH_PX, "log": log}))
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
    rows = [json.loads(line) for line in open(log)]
    os.unlink(log)
    return rows


def main(paths):
    bad = 0
    for path in paths:
        print(f"== {path}")
        for row in check(path):
            flag = "" if row["min_px"] is None or row["min_px"] >= MIN_TEXT_PX else "   <-- under 12 px"
            bad += bool(flag)
            print(f"  {row['cell']:<16} png {row['width_px']:>5} px wide, smallest text "
                  f"{row['min_px']} px ({row['smallest']!r}){flag}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
