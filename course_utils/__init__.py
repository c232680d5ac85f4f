"""course_utils: the small package behind the gradient-based optimizers course.

Modules (data flows down this list only):
    landscapes    test functions with value, gradient, Hessian and minima
    optimizers    NumPy optimizers with torch.optim's exact update rules
    runner        run(optimizer, landscape, x0, steps) -> Trajectory
    theory        closed forms for quadratics (rates, bounds, memory)
    torch_bridge  run a real torch.optim class on a landscape
    plotting      contour maps, loss curves, surfaces, race animation
    widgets       ipywidgets explorer and optimizer race
    data          MNIST reader and verified download
    training      fast in-memory training loop and optimizer comparison
    checks        exercise graders
"""
from course_utils.runner import Trajectory, run

__all__ = ["Trajectory", "run"]
