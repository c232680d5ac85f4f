"""course_utils: the small package behind the gradient-based optimizers course.

Modules (data flows down this list only):
    landscapes    test functions with value, gradient, Hessian and minima
    optimizers    NumPy optimizers with torch.optim's exact update rules
    registry      the one list of optimizers (name -> factory) widgets, colours and tests read
    protocols     what an Optimizer and a Landscape must offer
    runner        run(optimizer, landscape, x0, steps) -> Trajectory
    theory        closed forms for quadratics (rates, bounds, memory)
    torch_bridge  run a real torch.optim class on a landscape
    plotting      contour maps, loss curves, surfaces, race animation
    widgets       explorer and race; their lr / steps / beta sliders drawn in the browser
    data          MNIST reader and verified download
    training      fast in-memory training loop and optimizer comparison
    checks        exercise graders
    notebook_metadata  stored metadata as JupyterLab writes it
"""
from course_utils.runner import Trajectory, run

__all__ = ["Trajectory", "run"]
