"""Interactive front ends over runner + plotting.

    from course_utils import widgets
    widgets.explorer()   # every knob: landscape, optimizers, lr, betas, steps, start, noise
    widgets.race()       # all optimizers racing down theta1^2 + 10 theta2^2, with Play

The fast path (view.py, view.js): the kernel runs the optimizers over a grid
of slider values once, and the browser draws every lr / steps / step / beta
change itself, with no kernel round trip - in JupyterLab under any
matplotlib backend, in a stored notebook and on the course website.

Modules: base (what every widget shares), view (the browser-drawn figure),
controls (labelled sliders), table, explorer, race.
"""
from course_utils.registry import make as make_optimizer
from course_utils.registry import names as optimizer_names
from course_utils.runner import run_together
import importlib

from course_utils.widgets.explorer import Explorer, explorer
from course_utils.widgets.race import RACE_OPTIMIZERS, Race, race

# widgets.explorer is the function; the module of the same name holds its parts
explorer_module = importlib.import_module("course_utils.widgets.explorer")

__all__ = ["explorer", "Explorer", "race", "Race", "make_optimizer", "run_together",
           "optimizer_names", "RACE_OPTIMIZERS"]
