"""The optimizer registry: one list that widgets, colours and torch checks read.

The last test is the README's "How to add an optimizer", done for real: a
newly registered optimizer shows up in the explorer, the race, the colours
and the torch-equivalence check below.
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import landscapes, optimizers, registry, run, style, widgets  # noqa: E402
from course_utils.torch_bridge import run_torch  # noqa: E402


def torch_matches(name: str, lr: float = 0.02, beta: float = 0.8, steps: int = 200) -> float:
    """Largest |NumPy - torch.optim| over a run of the registered optimizer.

    The torch class is the NumPy class's namesake and takes the same
    hyperparameters (course_utils.optimizers keeps torch's names), so no
    second table is needed."""
    import torch

    ours = registry.make(name, lr, beta)
    ravine = landscapes.ravine(angle=0.3)
    mine = run(ours, ravine, [-5.0, 3.0], steps)
    theirs = run_torch(getattr(torch.optim, type(ours).__name__), ravine, [-5.0, 3.0], steps,
                       **ours.hyperparameters())
    return float(np.max(np.abs(mine.xs - theirs.xs)))


@pytest.mark.parametrize("name", registry.names())
def test_every_registered_optimizer_equals_its_torch_optim_namesake(name):
    assert torch_matches(name) < 1e-12


def test_names_are_listed_once_and_read_everywhere():
    names = registry.names()
    assert names[:3] == ("SGD", "SGD+momentum", "SGD+Nesterov") and len(set(names)) == len(names)
    assert widgets.explorer().choices == names
    assert all(style.color_for(n) in style.OPTIMIZER_COLORS.values() for n in names)
    assert [n for n in names if registry.uses(n, "beta")] == [
        "SGD+momentum", "SGD+Nesterov", "Adam", "AdamW", "NAdam", "RAdam", "Adamax"]


def test_unknown_names_and_new_hyperparameters_fail_clearly():
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'"):
        registry.make("Lion", 0.1)
    with pytest.raises(ValueError, match="registered already"):
        registry.register("Adam", lambda lr, beta, beta2: optimizers.Adam(lr=lr))

    class Scaled(optimizers.SGD):  # a subclass with a hyperparameter base has no rule for
        def __init__(self, lr=1e-3, scale=1.0):
            self._setup(dict(lr=lr, scale=scale, momentum=0, dampening=0, weight_decay=0,
                             nesterov=False, maximize=False))

    with pytest.raises(ValueError, match="Invalid scale value: nan"):
        Scaled(lr=0.1, scale=float("nan"))


@pytest.fixture
def dampened():
    entry = registry.register(
        "SGD+dampening",
        lambda lr, beta, beta2: optimizers.SGD(lr=lr, momentum=beta, dampening=0.5),
        color="#44AA99", summary="SGD(lr, momentum=beta, dampening=0.5)")
    yield entry
    registry.unregister("SGD+dampening")


def test_a_newly_registered_optimizer_appears_everywhere(dampened):
    # the colours
    assert style.color_for("SGD+dampening") == "#44AA99"
    # the explorer's menu, and it runs there
    ex = widgets.explorer(optimizers=("SGD", "SGD+dampening"), steps=40)
    assert "SGD+dampening" in ex.controls["optimizers"].options
    alone = run(optimizers.SGD(lr=0.05, momentum=0.9, dampening=0.5), landscapes.ravine(),
                (-5.0, 3.0), 40)
    np.testing.assert_allclose(ex.trajectories["SGD+dampening"].xs, alone.xs, rtol=1e-12)
    assert [r["color"] for r in ex.view.spec["runs"]][1] == "#44AA99"
    # the race, where beta is one of its sliders
    race = widgets.race(optimizers=("SGD+momentum", "SGD+dampening"), steps=30)
    assert {r["name"]: r["n_beta"] > 1 for r in race.view.spec["runs"]}["SGD+dampening"]
    # the torch-equivalence check
    assert "SGD+dampening" in registry.names()
    assert torch_matches("SGD+dampening") < 1e-12
