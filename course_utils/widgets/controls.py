"""Kernel-side controls shared by the widgets: sliders with their label above,
so the track keeps its width, and log sliders whose stops pass through a value."""
from __future__ import annotations

import ipywidgets as w
import numpy as np

#: slider width: its track is then at least 250 px next to its readout
SLIDER_WIDTH = "268px"
LABEL_STYLE = "font-size:16px;line-height:1.2"


def _readout(control) -> str:
    value = control.value
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return f"{len(value)} shown"
    label = getattr(control, "label", None)
    return str(label if label is not None else value)


def labelled(control, label: str, tooltip: str = ""):
    """The control under its label and value (16 px, as large as the figures'
    tick labels); a slider then gets the whole 280 px for its track."""
    control.description = ""
    control.layout.width = SLIDER_WIDTH
    if hasattr(control, "readout"):
        control.readout = False
    title = f' title="{tooltip}"' if tooltip else ""
    head = w.HTML()

    def show(change=None):
        head.value = (f'<div style="{LABEL_STYLE};display:flex;justify-content:space-between;'
                      f'width:{SLIDER_WIDTH}"{title}><span>{label}</span>'
                      f'<b>{_readout(control)}</b></div>')

    show()
    control.observe(show, names="value")
    return w.VBox([head, control], layout=w.Layout(width=SLIDER_WIDTH, overflow="hidden"))


def log_slider(value: float, lowest: float, highest: float, step: float, **options):
    """A FloatLogSlider whose stops pass exactly through `value`.

    The browser snaps a log slider to min + i * step (in exponents); anchoring
    the grid at the starting value keeps the readout equal to the value asked
    for (0.05, not 0.0501).
    """
    exponent = float(np.log10(value))
    below = int(np.floor((exponent - lowest) / step + 1e-9))
    above = int(np.floor((highest - exponent) / step + 1e-9))
    return w.FloatLogSlider(value=value, base=10, min=exponent - below * step,
                            max=exponent + above * step, step=step, readout_format=".3g",
                            **options)


def start_step(lo: float, hi: float) -> float:
    """Start-point slider steps on a round grid (the landscapes' starts sit on it)."""
    return 0.01 if hi - lo <= 6 else 0.05
