"""Interactive front ends over runner + plotting (ipywidgets).

    from course_utils import widgets
    widgets.explorer()   # every knob: landscape, optimizers, lr, betas, steps, start, noise
    widgets.race()       # all optimizers racing down theta1^2 + 10 theta2^2, with Play

Both return an object whose `controls` (name -> widget), `fig`, `artists`
and `trajectories` can be read and set from code, and which shows its UI
when it is the last expression of a notebook cell. Use `%matplotlib widget`
(ipympl) in JupyterLab for fast, in-place redraws; under any other backend
the figure is shown as a re-rendered PNG instead (see widgets.explorer's
module docstring for the details).
"""
from course_utils.widgets.explorer import (OPTIMIZER_CHOICES, Explorer, explorer,
                                           make_optimizer, run_together, widget_backend)
from course_utils.widgets.race import RACE_OPTIMIZERS, Race, race

__all__ = ["explorer", "Explorer", "race", "Race", "make_optimizer", "run_together",
           "OPTIMIZER_CHOICES", "RACE_OPTIMIZERS", "widget_backend"]
