"""The explorer and the race without a browser (MPLBACKEND=Agg).

The browser draws from the grid the kernel sends (widgets.view); these
tests check that grid is the course's runner, that each control sends what
it should, and that what the kernel reports equals a plain run().
Warnings are errors: a diverging setting must not leak NaN into matplotlib.
"""
import matplotlib

matplotlib.use("Agg")

from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import landscapes, registry, run, widgets  # noqa: E402
from course_utils.optimizers import SGD, Adam  # noqa: E402
from course_utils.widgets import view as fast  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def ex():
    return widgets.explorer(optimizers=("SGD", "SGD+momentum", "Adam"), steps=60)


@pytest.fixture(scope="module")
def race():
    return widgets.race(steps=60)


def same_run(a, b):
    np.testing.assert_allclose(a.xs, b.xs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-12, atol=1e-300)
    assert int(a.diverged_at) == int(b.diverged_at)


# ----------------------------------------------------------------------------
# The grid the browser draws from is the course's runner


@pytest.mark.parametrize("noise", [0.0, 0.7])
def test_run_together_equals_run_for_each_optimizer(noise):
    ravine = landscapes.ravine()
    optimizers = {"SGD": SGD(lr=0.11), "Adam": Adam(lr=0.3),
                  "SGD+momentum": SGD(lr=0.05, momentum=0.9)}
    together = widgets.run_together(optimizers, ravine, [-5.0, 3.0], 60, noise=noise, seed=3)
    for label, opt in optimizers.items():
        same_run(together[label], run(opt, ravine, [-5.0, 3.0], 60, noise=noise, seed=3))
        assert together[label].label == label
    assert int(together["SGD"].diverged_at) > 0  # lr 0.11 > 2/20 diverges


@pytest.mark.parametrize("noise", [0.0, 1.5])
def test_every_grid_point_equals_a_single_run(noise):
    ravine = landscapes.ravine()
    lrs = fast.lr_grid(-2, -0.5, 0.25, anchor=0.05)
    grids = fast.precompute(ravine, ["SGD", "SGD+Nesterov", "Adam"], (-5.0, 3.0), 40, lrs,
                            [0.0, 0.5, 0.9], noise=noise, seed=7)
    for grid in grids:
        assert len(grid.betas) == (1 if grid.name == "SGD" else 3)
        for bi, beta in enumerate(grid.betas):
            for li, lr in enumerate(lrs):
                alone = run(registry.make(grid.name, lr, beta), ravine, (-5.0, 3.0), 40,
                            noise=noise, seed=7)
                traj = widgets.explorer_module.grid_trajectory(grid, bi, li, 40, grid.name)
                same_run(traj, alone)
    assert any(grids[0].diverged_at.ravel() >= 0)  # the grid reaches past 2 / lambda_max


def test_make_optimizer_maps_the_shared_sliders_onto_torch_names():
    assert repr(widgets.make_optimizer("SGD+Nesterov", 0.1, beta=0.8)) == \
        "SGD(lr=0.1, momentum=0.8, nesterov=True)"
    assert widgets.make_optimizer("RMSprop", 0.1).alpha == 0.99  # torch default kept
    assert widgets.make_optimizer("RMSprop", 0.1, beta2=0.9).alpha == 0.9
    assert widgets.make_optimizer("Adam", 0.1, beta=0.5, beta2=0.99).betas == (0.5, 0.99)
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'.*registry.register"):
        widgets.make_optimizer("Lion", 0.1)


def test_view_spec_maps_data_to_the_pixels_matplotlib_drew():
    ravine = landscapes.ravine()
    grids = fast.precompute(ravine, ["SGD"], (-5.0, 3.0), 10, [0.05], [0.9])
    spec = fast.view_spec(ravine, grids, (-5.0, 3.0), 10)
    fig, ax, _, _ = fast.build_figure(ravine, None, (-5.0, 3.0))
    from matplotlib import rc_context

    with rc_context(fast.LIVE_RC):
        fig, ax, loss_ax, _ = fast.build_figure(ravine, None, (-5.0, 3.0))
        fig.canvas.draw()
        x, y = ax.transData.transform([2.0, -1.0])
    px = np.multiply(spec["map"]["scale"], [2.0, -1.0]) + spec["map"]["offset"]
    np.testing.assert_allclose(px, [x, spec["height"] - y], atol=0.5)
    # positions come back from 16 bits to well under a pixel
    xy = np.frombuffer(spec["runs"][0]["xy"], dtype="<u2").reshape(-1, 2)
    back = spec["frame"]["lo"] + xy / 65535 * np.asarray(spec["frame"]["span"])
    scale = np.abs(spec["map"]["scale"])
    assert np.max(np.abs(back - grids[0].xs[0, 0]) * scale) < 0.1


# ----------------------------------------------------------------------------
# The explorer


def test_explorer_exposes_controls_view_and_trajectories(ex):
    assert set(ex.controls) == {"landscape", "optimizers", "lr", "beta", "beta2", "steps",
                                "start_x", "start_y", "noise"}
    assert set(ex.trajectories) == {"SGD", "SGD+momentum", "Adam"}
    assert [r["name"] for r in ex.view.spec["runs"]] == ["SGD", "SGD+momentum", "Adam"]
    assert 0.05 in ex.view.spec["lrs"]
    for name, traj in ex.trajectories.items():
        same_run(traj, run(registry.make(name, 0.05, 0.9), landscapes.ravine(), (-5, 3), 60))
    assert "<table" in ex.table_html() and "Adam" in ex.table_html()
    import ipywidgets

    assert isinstance(ex.ui, ipywidgets.Box)


@pytest.mark.parametrize("control, value, changed", [
    ("beta", 0.5, ("SGD+momentum", "Adam")),
    ("beta2", 0.9, ("Adam",)),
    ("start_x", 4.0, ("SGD", "SGD+momentum", "Adam")),
    ("start_y", -2.0, ("SGD", "SGD+momentum", "Adam")),
    ("noise", 1.5, ("SGD", "SGD+momentum", "Adam")),
])
def test_kernel_controls_send_a_new_grid_with_the_runs_they_change(ex, control, value, changed):
    before = {r["name"]: r["xy"] for r in ex.view.spec["runs"]}
    ex.controls[control].value = value
    after = {r["name"]: r["xy"] for r in ex.view.spec["runs"]}
    assert {name for name in after if after[name] != before[name]} == set(changed)
    s = ex.settings
    for name in changed:
        alone = run(registry.make(name, s["lr"], s["beta"], s["beta2"]), ex.landscape,
                    s["start"], s["steps"], noise=s["noise"], seed=0)
        same_run(ex.trajectories[name], alone)


def test_lr_on_the_grid_needs_no_kernel_run_and_off_the_grid_gets_one(ex):
    spec = ex.view.spec
    with mock.patch.object(fast, "precompute", wraps=fast.precompute) as precompute:
        ex.view.lr = spec["lrs"][10]  # what the browser sends when the slider moves
        assert precompute.call_count == 0 and ex.view.extra == {}
        assert ex.controls["lr"].value == spec["lrs"][10]
        ex.controls["lr"].value = 0.0123  # typed, between two stops
        assert precompute.call_count == 0
    assert ex.view.extra["lr"] == 0.0123 and len(ex.view.extra["runs"]) == 3
    for name, traj in ex.trajectories.items():
        same_run(traj, run(registry.make(name, 0.0123, 0.9), ex.landscape, (-5, 3), 60))
    assert ex.view.spec is spec  # the grid was not sent again


def test_steps_only_cut_the_precomputed_runs(ex):
    full = ex.trajectories["SGD"]
    with mock.patch.object(fast, "precompute", wraps=fast.precompute) as precompute:
        ex.view.steps = 30
    assert precompute.call_count == 0
    assert ex.controls["steps"].value == 30
    np.testing.assert_array_equal(ex.trajectories["SGD"].xs, full.xs[:31])


def test_a_finer_lr_slider_sends_finer_stops_within_the_budget():
    ex = widgets.explorer(optimizers=("SGD",), choices=("SGD",), lr=0.05, steps=100)
    ex.controls["lr"].step = 0.005  # notebook 01's largest-stable-lr task
    lrs = ex.view.spec["lrs"]
    assert 0.05 in lrs and any(0.099 < v < 0.1 for v in lrs) and any(0.1 < v < 0.102 for v in lrs)
    assert np.allclose(np.diff(np.log10(lrs)), 0.005, atol=1e-5)  # 6 significant digits
    assert len(lrs) * (ex.controls["steps"].max + 1) <= widgets.explorer_module.POINT_BUDGET


def test_switching_landscape_moves_the_start_and_lr_to_its_teaching_values(ex):
    ex.controls["landscape"].value = "Rosenbrock"
    rosenbrock = landscapes.rosenbrock()
    assert ex.settings["start"] == rosenbrock.start_point == (-1.2, 1.0)
    assert ex.settings["lr"] == pytest.approx(rosenbrock.suggested_lr)
    assert ex.view.spec["map"]["window"] == [list(b) for b in rosenbrock.bounds]


def test_diverging_runs_are_reported_not_plotted_as_nan(ex):
    ex.controls["lr"].value = 0.5
    traj = ex.trajectories["SGD"]
    assert 0 < int(traj.diverged_at) < 60
    assert "step" in ex.table_html()
    fig = ex.figure()  # the snapshot: no NaN reaches matplotlib (warnings are errors)
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_unknown_names_fail_with_the_choices():
    with pytest.raises(ValueError, match="unknown optimizer"):
        widgets.explorer(optimizers=("Lion",))
    with pytest.raises(ValueError, match="unknown landscape"):
        widgets.explorer(landscape="moon")


def test_display_stores_a_snapshot_above_the_live_widget(ex):
    shown = []
    with mock.patch("IPython.display.display", side_effect=lambda obj, raw=False: shown.append(obj)):
        ex._ipython_display_()
    snapshot, live = shown
    assert 'class="cu-snapshot"' in snapshot["text/html"] and snapshot["image/png"]
    assert "application/vnd.jupyter.widget-view+json" in live
    assert "run the notebook" in live["text/plain"]


def test_layout_fits_beside_the_file_browser_at_1280_by_720(ex):
    # live figure + control column, in CSS pixels (the browser test measures it too)
    width = fast.LIVE_FIGSIZE[0] * fast.LIVE_DPI + 276
    assert width <= 848  # JupyterLab's output width at 1280 x 720 with the file browser open
    from course_utils.widgets.controls import SLIDER_WIDTH

    assert int(SLIDER_WIDTH.rstrip("px")) >= 250


# ----------------------------------------------------------------------------
# The race


def test_race_sends_an_lr_by_beta_grid_and_reports_plain_runs(race):
    spec = race.view.spec
    assert spec["mode"] == "race" and 0.9 in spec["betas"] and 0.1 in spec["lrs"]
    by_name = {r["name"]: r for r in spec["runs"]}
    assert by_name["SGD"]["n_beta"] == 1 and by_name["SGD+momentum"]["n_beta"] == len(spec["betas"])
    for name, traj in race.trajectories.items():
        same_run(traj, run(registry.make(name, 0.1, 0.9), landscapes.ravine(), (-5, 3), 60))


def test_race_beta_from_the_browser_and_off_grid_from_the_kernel(race):
    race.view.beta = 0.5
    assert race.controls["beta"].value == 0.5 and race.view.extra == {}
    race.controls["beta"].value = 0.77
    assert race.view.extra["beta"] == 0.77
    same_run(race.trajectories["SGD+momentum"],
             run(registry.make("SGD+momentum", 0.1, 0.77), landscapes.ravine(), (-5, 3), 60))
    race.controls["beta"].value = 0.9


def test_race_frame_arrows_point_at_the_next_step(race):
    data = race.frame(10)
    for (name, traj), head, vector in zip(race.trajectories.items(), data["heads"],
                                          data["vectors"]):
        if int(traj.n_valid) > 11:
            np.testing.assert_allclose(head + vector, traj.xs[11])
    race.show_step(20)
    assert race.view.frame == 20


def test_race_animation_is_the_current_race(race):
    anim = race.animation()
    assert anim.frames == 61
    assert 'class="cu-static"' in anim.html
