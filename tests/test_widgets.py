"""The explorer and the race without a browser (MPLBACKEND=Agg).

Setting a control's value runs its observers synchronously, so each test
sets a value and asserts on what the figure's artists now hold. Warnings are
errors: a diverging setting must not leak NaN into matplotlib.
"""
import matplotlib

matplotlib.use("Agg")

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import landscapes, run  # noqa: E402
from course_utils import widgets  # noqa: E402
from course_utils.optimizers import SGD, Adam  # noqa: E402
import importlib  # noqa: E402

# widgets.explorer is the function; the module of the same name holds its parts
explorer_module = importlib.import_module("course_utils.widgets.explorer")

pytestmark = pytest.mark.filterwarnings("error")


def data(line):
    return np.asarray(line.get_xydata(), dtype=float).copy()


def differs(a, b) -> bool:
    return a.shape != b.shape or not np.allclose(a, b)


@pytest.fixture
def ex():
    return widgets.explorer(optimizers=("SGD", "SGD+momentum", "Adam"), steps=60)


@pytest.fixture(scope="module")
def race():
    return widgets.race(steps=60)


# ----------------------------------------------------------------------------
# run_together: the widgets' runner is the course's runner


@pytest.mark.parametrize("noise", [0.0, 0.7])
def test_run_together_equals_run_for_each_optimizer(noise):
    ravine = landscapes.ravine()
    optimizers = {"SGD": SGD(lr=0.11), "Adam": Adam(lr=0.3),
                  "SGD+momentum": SGD(lr=0.05, momentum=0.9)}
    together = widgets.run_together(optimizers, ravine, [-5.0, 3.0], 60, noise=noise, seed=3)
    for label, opt in optimizers.items():
        alone = run(opt, ravine, [-5.0, 3.0], 60, noise=noise, seed=3, label=label)
        np.testing.assert_allclose(together[label].xs, alone.xs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(together[label].losses, alone.losses, rtol=1e-12)
        assert int(together[label].diverged_at) == int(alone.diverged_at)
        assert together[label].label == label
    assert int(together["SGD"].diverged_at) > 0  # lr 0.11 > 2/20 diverges


def test_make_optimizer_maps_the_shared_sliders_onto_torch_names():
    assert repr(widgets.make_optimizer("SGD+Nesterov", 0.1, beta=0.8)) == \
        "SGD(lr=0.1, momentum=0.8, nesterov=True)"
    assert widgets.make_optimizer("RMSprop", 0.1).alpha == 0.99  # torch default kept
    assert widgets.make_optimizer("RMSprop", 0.1, beta2=0.9).alpha == 0.9
    assert widgets.make_optimizer("Adam", 0.1, beta=0.5, beta2=0.99).betas == (0.5, 0.99)
    with pytest.raises(ValueError, match="unknown optimizer"):
        widgets.make_optimizer("Lion", 0.1)


# ----------------------------------------------------------------------------
# The explorer: every control reruns and changes the plotted data


def test_explorer_exposes_controls_figure_artists_and_table(ex):
    assert set(ex.controls) == {"landscape", "optimizers", "lr", "beta", "beta2", "steps",
                                "start_x", "start_y", "noise"}
    assert set(ex.trajectories) == {"SGD", "SGD+momentum", "Adam"}
    for name, traj in ex.trajectories.items():
        np.testing.assert_allclose(data(ex.artists[name]), traj.path())
        assert ex.artists[name].get_visible()
    assert not ex.artists["RMSprop"].get_visible()
    assert "<table" in ex.table.value and "Adam" in ex.table.value
    assert ex.fig is ex.ax.figure and ex.loss_ax.figure is ex.fig
    import ipywidgets

    assert isinstance(ex.ui, ipywidgets.Box)


@pytest.mark.parametrize("control, value, changed", [
    ("lr", 0.02, ("SGD", "SGD+momentum", "Adam")),
    ("beta", 0.5, ("SGD+momentum", "Adam")),
    ("beta2", 0.9, ("Adam",)),
    ("steps", 30, ("SGD", "SGD+momentum", "Adam")),
    ("start_x", 4.0, ("SGD", "SGD+momentum", "Adam")),
    ("start_y", -2.0, ("SGD", "SGD+momentum", "Adam")),
    ("noise", 1.5, ("SGD", "SGD+momentum", "Adam")),
])
def test_each_slider_reruns_the_optimizers_and_moves_the_paths(ex, control, value, changed):
    before = {name: data(ex.artists[name]) for name in ex.trajectories}
    loss_before = {name: data(ex.loss_lines[name]) for name in ex.trajectories}
    with mock.patch.object(explorer_module, "run_together",
                           wraps=explorer_module.run_together) as runner, \
            mock.patch.object(ex.fig.canvas, "draw_idle") as draw_idle:
        ex.controls[control].value = value
    assert runner.call_count == 1
    assert set(runner.call_args.args[0]) == set(changed)  # only what the control affects
    assert draw_idle.call_count == 1
    for name in changed:
        after = data(ex.artists[name])
        assert differs(after, before[name])
        np.testing.assert_allclose(after, ex.trajectories[name].path())
        assert not np.array_equal(data(ex.loss_lines[name]), loss_before[name])
    if control == "steps":
        assert all(len(ex.artists[n].get_xdata()) == 31 for n in changed)
        assert ex.loss_ax.get_xlim() == (0, 30)
    if control.startswith("start"):
        start = ex.trajectories["SGD"].xs[0]
        assert start[0 if control == "start_x" else 1] == pytest.approx(value)


def test_the_optimizer_menu_shows_and_hides_paths(ex):
    with mock.patch.object(ex.fig.canvas, "draw_idle") as draw_idle:
        ex.controls["optimizers"].value = ("SGD", "RMSprop")
    assert draw_idle.called
    assert ex.artists["RMSprop"].get_visible() and not ex.artists["Adam"].get_visible()
    np.testing.assert_allclose(data(ex.artists["RMSprop"]), ex.trajectories["RMSprop"].path())
    assert set(ex.trajectories) == {"SGD", "RMSprop"}
    assert [t.get_text() for t in ex.legend.get_texts()] == ["SGD", "RMSprop"]
    assert "RMSprop" in ex.table.value and "Adam" not in ex.table.value


def test_the_landscape_menu_redraws_the_map_and_moves_the_start(ex):
    old_map = list(ex._landscape_artists)
    before = data(ex.artists["SGD"])
    with mock.patch.object(ex.fig.canvas, "draw_idle") as draw_idle:
        ex.controls["landscape"].value = "saddle"
    assert draw_idle.called
    assert all(artist not in ex.ax.get_children() for artist in old_map)
    assert ex.ax.get_xlim() == (-2.0, 2.0)
    start = explorer_module.PRESETS["saddle"]["start"]
    assert (ex.controls["start_x"].value, ex.controls["start_y"].value) == pytest.approx(start)
    after = data(ex.artists["SGD"])
    assert after[0] == pytest.approx(start) and not np.array_equal(after[:2], before[:2])
    assert ex.loss_ax.get_yscale() == "symlog"  # the saddle has no minimum
    assert "n/a" in ex.table.value


def test_clicking_the_map_moves_the_start(ex):
    event = mock.Mock(inaxes=ex.ax, xdata=1.0, ydata=-1.0)
    ex._on_click(event)
    assert data(ex.artists["Adam"])[0] == pytest.approx([1.0, -1.0])


def test_a_diverging_setting_says_so_on_the_plot_and_in_the_table(ex):
    ex.controls["lr"].value = 0.3
    k = int(ex.trajectories["SGD"].diverged_at)
    assert k > 0
    labels = [t.get_text() for t in ex.legend.get_texts()]
    assert f"SGD: diverged at step {k}" in labels
    assert f"<b>step {k}</b>" in ex.table.value
    assert len(ex.artists["SGD"].get_xdata()) == k  # the finite prefix only
    for line in ex.ax.lines + ex.loss_ax.lines:
        assert np.all(np.isfinite(np.asarray(line.get_xydata(), dtype=float)))
    ex.fig.canvas.draw()  # no warnings, no exception


def test_the_png_fallback_follows_the_sliders_once_displayed(ex):
    assert not ex.host.interactive  # Agg: an Image widget shows the figure
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle
    first = bytes(ex.host.widget.value)
    assert first.startswith(b"\x89PNG")
    ex.controls["lr"].value = 0.01
    assert bytes(ex.host.widget.value) != first


def test_layered_drawing_matches_a_plain_draw(ex):
    canvas = ex.fig.canvas
    canvas.draw()
    layered = np.asarray(canvas.buffer_rgba()).copy()
    ex.fig.layering = False
    canvas.draw()
    plain = np.asarray(canvas.buffer_rgba()).copy()
    ex.fig.layering = True
    differ = np.abs(layered.astype(int) - plain.astype(int)).max(axis=-1) > 40
    assert differ.mean() < 1e-3  # a few anti-aliased edge pixels at most


def test_the_cached_layer_is_rebuilt_when_limits_change(ex):
    canvas = ex.fig.canvas
    canvas.draw()
    key = ex.fig._cache_key
    ex.controls["lr"].value = 0.02  # moves paths only: the cache stays
    assert ex.fig._cache_key == key
    ex.controls["steps"].value = 40  # new x-limits on the loss panel
    assert ex.fig._cache_key != key


def test_savefig_of_a_layered_figure_keeps_the_static_layer(tmp_path):
    # savefig's layout pass draws with drawing disabled; that blank must not be cached
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig = explorer_module.LayeredFigure(figsize=(4, 3), layout="constrained")
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "layered.png")
    pixels = np.asarray(Image.open(tmp_path / "layered.png"))[..., :3].astype(int)
    assert (pixels.sum(axis=-1) < 100).sum() > 500  # frame, ticks and labels are there


# ----------------------------------------------------------------------------
# The race


def test_race_defaults_match_the_lecture(race):
    c = race.controls
    assert set(c) == {"play", "step", "speed", "lr", "beta", "noise"}
    assert c["lr"].value == pytest.approx(0.10) and c["beta"].value == pytest.approx(0.90)
    assert c["speed"].value == 2 and c["play"].step == 2
    assert race.names == ("SGD", "SGD+momentum", "SGD+Nesterov", "Adagrad", "RMSprop", "Adam")
    assert race.landscape.formula == landscapes.ravine().formula
    for traj in race.trajectories.values():
        np.testing.assert_allclose(traj.xs[0], [-5.0, 3.0])


@pytest.mark.parametrize("control", ["play", "step"])
def test_play_and_the_step_slider_move_heads_paths_and_arrows(race, control):
    race.controls["play"].value = 0
    heads_before = race.heads.get_offsets().copy()
    with mock.patch.object(race.fig.canvas, "draw_idle") as draw_idle:
        race.controls[control].value = 10
    assert draw_idle.called
    assert race.controls["play"].value == race.controls["step"].value == 10
    frame = race.frame(10)
    np.testing.assert_allclose(race.heads.get_offsets(), frame["heads"])
    assert not np.allclose(race.heads.get_offsets(), heads_before)
    np.testing.assert_allclose(race.arrows.U, frame["vectors"][:, 0])
    np.testing.assert_allclose(race.arrows.V, frame["vectors"][:, 1])
    adam = race.trajectories["Adam"]
    np.testing.assert_allclose(frame["vectors"][race.names.index("Adam")],
                               adam.xs[11] - adam.xs[10])
    assert len(race.artists["Adam"].get_xdata()) == 11
    assert race.step_text.get_text() == "step 10 / 60"


def test_speed_sets_the_steps_per_frame(race):
    race.controls["speed"].value = 5
    assert race.controls["play"].step == 5
    race.controls["speed"].value = 2


@pytest.mark.parametrize("control, value, changed", [
    ("lr", 0.03, ("SGD", "SGD+momentum", "Adam")),
    ("beta", 0.5, ("SGD+momentum", "SGD+Nesterov", "Adam")),
    ("noise", 2.0, ("SGD", "Adagrad", "RMSprop")),
])
def test_lr_beta_and_noise_rerun_the_race_and_keep_the_step(control, value, changed):
    race = widgets.race(steps=40)
    race.controls["play"].value = 20
    before = {name: data(race.artists[name]) for name in changed}
    with mock.patch.object(race.fig.canvas, "draw_idle") as draw_idle:
        race.controls[control].value = value
    assert draw_idle.called
    assert race.controls["play"].value == 20
    for name in changed:
        after = data(race.artists[name])
        assert differs(after, before[name])
        np.testing.assert_allclose(after, race.trajectories[name].path()[:21])


def test_a_diverging_racer_is_named_once_its_step_is_reached(race):
    race.controls["lr"].value = 0.1
    nesterov = race.trajectories["SGD+Nesterov"]  # unstable at lr 0.1, beta 0.9
    k = int(nesterov.diverged_at)
    assert k > 0
    race.controls["play"].value = k - 1
    assert not any("diverged" in t.get_text() for t in race.legend.get_texts())
    race.controls["play"].value = min(k + 5, race.steps)
    assert f"SGD+Nesterov: diverged at step {k}" in [t.get_text() for t in race.legend.get_texts()]
    heads = race.heads.get_offsets()
    assert np.all(np.isfinite(heads)) and np.all(np.isfinite(race.arrows.U))
    race.fig.canvas.draw()


def test_race_exports_its_current_settings_as_an_animation(race):
    anim = race.animation()
    assert anim.frames == race.steps + 1
    for name in race.names:
        assert f">{name} <" in anim.html


def test_under_ipympl_the_canvas_itself_is_the_widget():
    """The `%matplotlib widget` path, headless: run in a fresh interpreter so the
    backend switch cannot leak into other tests."""
    script = textwrap.dedent("""
        import warnings
        warnings.simplefilter("error", RuntimeWarning)
        from unittest import mock
        from course_utils import widgets
        ex = widgets.explorer(steps=40)
        assert ex.host.interactive and ex.host.widget is ex.fig.canvas
        assert type(ex.fig.canvas).__module__.startswith("ipympl")
        assert ex.host.widget in ex.ui.children
        with mock.patch.object(ex.fig.canvas, "draw_idle") as draw_idle:
            before = ex.artists["SGD"].get_xydata().copy()
            ex.controls["lr"].value = 0.02
        assert draw_idle.call_count == 1
        assert (ex.artists["SGD"].get_xydata() != before).any()
        race = widgets.race(steps=20)
        race.controls["play"].value = 10
        ex.fig.canvas.draw(); race.fig.canvas.draw()
        print("ok")
    """)
    env = {**os.environ, "MPLBACKEND": "module://ipympl.backend_nbagg"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]
