"""One colour per optimizer across the whole course, and a lecture mode.

Every figure - contour paths, loss curves, race animations, MNIST comparisons -
asks `color_for(name)`, so "Adam" is the same reddish purple in notebook 02 and
in notebook 06. The palette is Okabe-Ito plus Paul Tol's muted colours, chosen to
stay distinguishable for colour-blind readers and on a projector.
"""
from __future__ import annotations

import contextlib
import zlib

import matplotlib as mpl

OPTIMIZER_COLORS = {
    # Okabe-Ito hues for the seven optimizers the lectures compare most; pairs
    # that appear side by side get clearly different hues (momentum blue vs
    # Nesterov bluish green, RMSprop orange vs Adam reddish purple vs AdamW wine).
    "SGD": "#4D4D4D",           # neutral grey: the baseline
    "SGD+momentum": "#0072B2",  # Okabe-Ito blue
    "SGD+Nesterov": "#009E73",  # Okabe-Ito bluish green
    "Adagrad": "#56B4E9",       # Okabe-Ito sky blue
    "RMSprop": "#E69F00",       # Okabe-Ito orange
    "Adam": "#CC79A7",          # Okabe-Ito reddish purple
    "AdamW": "#882255",         # Paul Tol wine: Adam's family, much darker
    "NAdam": "#D55E00",         # Okabe-Ito vermillion
    "RAdam": "#999933",         # Paul Tol olive
    "Adadelta": "#117733",      # Paul Tol green
    "Adamax": "#332288",        # Paul Tol indigo
}

# Names the notebooks use for the same method; they share its colour.
_ALIASES = {
    "gd": "SGD",
    "gradient descent": "SGD",
    "sgd": "SGD",
    "momentum": "SGD+momentum",
    "heavy ball": "SGD+momentum",
    "heavyball": "SGD+momentum",
    "ema momentum": "SGD+momentum",
    "sgd+momentum": "SGD+momentum",
    "nesterov": "SGD+Nesterov",
    "nesterov look-ahead": "SGD+Nesterov",
    "sgd+nesterov": "SGD+Nesterov",
    "rmsprop": "RMSprop",
}

_FALLBACK = ["#44AA99", "#AA4499", "#88CCEE", "#661100", "#6699CC", "#888888"]


def canonical_name(name: str) -> str:
    """The palette key for an optimizer label ('Momentum' -> 'SGD+momentum')."""
    base = name.split("(")[0].strip()
    if base in OPTIMIZER_COLORS:
        return base
    return _ALIASES.get(base.lower(), next(
        (key for key in OPTIMIZER_COLORS if key.lower() == base.lower()), base))


def set_color(name: str, color: str) -> None:
    """Give a newly added optimizer its course-wide colour
    (course_utils.registry.register calls this)."""
    OPTIMIZER_COLORS[name] = color


def color_for(name: str) -> str:
    """The course-wide colour of an optimizer, by its name or a common alias.

    Unknown names get a stable colour from a spare palette (the same name always
    gets the same colour, in every notebook and every session).
    """
    key = canonical_name(name)
    if key in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[key]
    return _FALLBACK[zlib.crc32(key.encode()) % len(_FALLBACK)]


LECTURE_RC = {
    "figure.figsize": (10, 6.5),
    "figure.dpi": 100,
    "font.size": 16,
    "axes.titlesize": 18,
    "axes.labelsize": 17,
    "legend.fontsize": 14,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "lines.linewidth": 2.8,
    "lines.markersize": 9,
}

READING_RC = {
    "figure.figsize": (8, 5),
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 11,
    "lines.linewidth": 2.0,
}


def lecture_mode(on: bool = True) -> None:
    """Large fonts and thick lines for a projector (off: the reading defaults).

    Only rcParams change; the backend is never touched.
    """
    mpl.rcParams.update(LECTURE_RC if on else READING_RC)


@contextlib.contextmanager
def lecture_style():
    """Lecture mode for the figures made inside a `with` block only."""
    with mpl.rc_context(LECTURE_RC):
        yield
