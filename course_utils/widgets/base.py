"""What every course widget shares: Explorer, Race and torch_practice.RunViewer.

A widget is an object with `controls` (name -> ipywidget), a `ui` (the box
to show) and a `figure()` (a matplotlib Figure of what it shows now).
Displaying it prints two outputs:

1. a snapshot: the figure as a PNG, as HTML (<img class="cu-snapshot">) and
   as image/png. Static viewers - GitHub, nbconvert's HTML, a notebook
   opened without a kernel - show this picture.
2. the live widget. When it renders in a browser it hides the snapshot
   just above it, so a running notebook shows one figure, not two.
"""
from __future__ import annotations

import base64
import contextlib
import warnings


class Held:
    """A re-entrant 'hold updates' flag: changes made inside `with hold():`
    update once at the end instead of once per control."""

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


def snapshot_bundle(png: bytes, alt: str) -> dict:
    """A display bundle showing a PNG wherever notebooks are rendered."""
    data = base64.b64encode(png).decode("ascii")
    return {"text/html": f'<img class="cu-snapshot" alt="{alt}" style="max-width:100%" '
                         f'src="data:image/png;base64,{data}">',
            "image/png": data,
            "text/plain": f"<{alt}>"}


class WidgetBase:
    """Base of the course widgets (see the module docstring)."""

    #: words for the snapshot's alt text and text/plain
    what = "figure"

    def __init__(self):
        self.hold = Held()

    @property
    def ui(self):
        raise NotImplementedError

    def figure(self):
        raise NotImplementedError

    def snapshot_png(self) -> bytes:
        """The figure as it is now, as a compact PNG."""
        from course_utils.animation import figure_png

        return figure_png(self.figure())

    def live_bundle(self) -> dict:
        """The live widget's display bundle."""
        bundle = self.ui._repr_mimebundle_()
        bundle = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        # shown where widgets cannot be: a line, not the widget's Python repr
        bundle["text/plain"] = f"(the live {self.what}: run the notebook to use its controls)"
        return bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        """One bundle: the live widget plus its PNG (IPython's display uses
        _ipython_display_, which prints the two separately)."""
        bundle = self.live_bundle()
        bundle["image/png"] = base64.b64encode(self.snapshot_png()).decode("ascii")
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        try:
            display(snapshot_bundle(self.snapshot_png(), self.what), raw=True)
        except Exception as error:  # a snapshot is a nicety: say so, but show the widget
            warnings.warn(f"no static snapshot stored with the widget: {error!r}", stacklevel=2)
        display(self.live_bundle(), raw=True)
