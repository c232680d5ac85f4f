"""course_utils.plotting: what each figure promises, checked on its artists.

Runs with warnings as errors: a diverged run must not leak NaN into matplotlib.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils import landscapes, plotting, run, style  # noqa: E402
from course_utils.optimizers import SGD, Adam, RMSprop  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")
RAVINE = landscapes.ravine()
START = [-5.0, 3.0]


def runs(steps=40):
    return [run(SGD(lr=0.05), RAVINE, START, steps), run(Adam(lr=0.3), RAVINE, START, steps)]


def diverging(steps=60):
    return run(SGD(lr=0.11), RAVINE, START, steps, label="SGD lr=0.11")


def lines_with_label(ax, label):
    return [line for line in ax.lines if line.get_label() == label]


def finite_artist_data(fig):
    for ax in fig.axes:
        for line in ax.lines:
            data = np.asarray(line.get_xydata(), dtype=float)
            assert np.all(np.isfinite(data)), f"non-finite data in {line.get_label()}"


def test_contour_levels_are_log_spaced_above_the_minimum_and_the_minimum_is_starred():
    fig = plotting.contour(RAVINE)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled][0]
    ratios = np.diff(np.log10(filled.levels))
    assert np.allclose(ratios, ratios[0]), "levels are not log-spaced"
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(stars) == 1
    assert np.allclose(stars[0].get_xydata(), [[0.0, 0.0]])
    assert ax.get_xlim() == RAVINE.bounds[0] and ax.get_ylim() == RAVINE.bounds[1]


def test_every_function_draws_into_a_given_axes_and_returns_its_figure():
    fig, axes = plt.subplots(1, 4)
    assert plotting.contour(RAVINE, ax=axes[0]) is fig
    assert plotting.paths(RAVINE, runs(), ax=axes[1]) is fig
    assert plotting.loss_curves(runs(), ax=axes[2]) is fig
    kappas = np.array([1.0, 10.0, 100.0])
    rates = (kappas - 1) / (kappas + 1)
    assert plotting.rate_plot(kappas, {"SGD": rates}, {"SGD": rates}, ax=axes[3]) is fig
    assert len(fig.axes) == 4


def test_paths_mark_start_and_end_in_the_optimizer_colour():
    trajectories = runs()
    fig = plotting.paths(RAVINE, trajectories)
    ax = fig.axes[0]
    for traj in trajectories:
        color = style.color_for(traj.label)
        same_colour = [line for line in ax.lines if to_hex(line.get_color()) == to_hex(color)]
        markers = {line.get_marker(): line for line in same_colour}
        assert np.allclose(markers["o"].get_xydata()[0], traj.xs[0])  # the path itself
        starts = [line for line in same_colour
                  if line.get_marker() == "o" and len(line.get_xdata()) == 1]
        ends = [line for line in same_colour if line.get_marker() == "X"]
        assert np.allclose(starts[0].get_xydata(), [traj.xs[0]])
        assert np.allclose(ends[0].get_xydata(), [traj.xs[-1]])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["SGD", "Adam"]


def test_one_colour_per_optimizer_everywhere():
    trajectories = runs()
    path_fig = plotting.paths(RAVINE, trajectories)
    loss_fig = plotting.loss_curves(trajectories)
    for traj in trajectories:
        expected = to_hex(style.color_for(traj.label))
        assert to_hex(lines_with_label(path_fig.axes[0], traj.label)[0].get_color()) == expected
        assert to_hex(lines_with_label(loss_fig.axes[0], traj.label)[0].get_color()) == expected


def test_a_diverged_run_says_where_it_diverged_and_hands_matplotlib_no_nan():
    traj = diverging()
    k = int(traj.diverged_at)
    assert k > 0
    fig = plotting.paths(RAVINE, [runs()[0], traj])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"SGD lr=0.11: diverged at step {k}" in labels
    finite_artist_data(fig)
    fig.canvas.draw()  # no warnings while drawing either

    loss_fig = plotting.loss_curves([traj])
    ax = loss_fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        f"SGD lr=0.11: diverged at step {k}"]
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == k - 1
    finite_artist_data(loss_fig)
    loss_fig.canvas.draw()


def test_a_path_leaving_the_window_gets_a_triangle_on_the_frame():
    traj = diverging()
    fig = plotting.paths(RAVINE, [traj])
    ax = fig.axes[0]
    exits = [line for line in ax.lines if line.get_marker() in ("^", "v", "<", ">")]
    assert len(exits) == 1
    x, y = exits[0].get_xydata()[0]
    (x0, x1), (y0, y1) = RAVINE.bounds
    on_frame = np.isclose([x, x, y, y], [x0, x1, y0, y1]).any()
    assert on_frame and x0 <= x <= x1 and y0 <= y <= y1


def test_first_exit_finds_the_crossing_point_and_side():
    window = ((-1.0, 1.0), (-1.0, 1.0))
    points = np.array([[0.0, 0.0], [0.5, 0.0], [2.0, 0.5], [0.0, 0.0]])
    step, where, side = plotting.first_exit(points, window)
    assert step == 2 and side == "right"
    assert np.allclose(where, [1.0, 0.5 * (0.5 / 1.5)])
    assert plotting.first_exit(points[:2], window) is None


def test_status_text_names_divergence_first_then_leaving_the_map():
    assert plotting.status_text("Adam") == "Adam"
    assert plotting.status_text("SGD", diverged_at=7, left_at=3) == "SGD: diverged at step 7"
    assert plotting.status_text("RMSprop", left_at=3) == "RMSprop: left the map at step 3"


def test_saddle_escapes_are_labelled_in_the_legend():
    saddle = landscapes.saddle()
    traj = run(RMSprop(lr=0.05), saddle, [-1.5, 1e-3], 80)
    fig = plotting.paths(saddle, [traj])
    (label,) = [t.get_text() for t in fig.legends[0].get_texts()]
    assert label.startswith("RMSprop: left the map at step ")


def test_fit_bounds_widens_the_window_but_not_without_limit():
    traj = diverging()
    (x0, x1), (y0, y1) = plotting.fit_bounds(RAVINE, [traj])
    assert y1 - y0 > 8.0  # grew beyond the landscape's (-4, 4)
    cap = 3 * 4.0 + 0.1 * (2 * 3 * 4.0)  # 3x the window, plus the margin
    assert y1 <= cap and y0 >= -cap
    fig = plotting.paths(RAVINE, [traj], bounds="fit")
    assert fig.axes[0].get_ylim()[1] == pytest.approx(y1)


def test_loss_curves_use_a_log_axis_and_subtract_the_landscape_minimum():
    fig = plotting.loss_curves(runs())
    assert fig.axes[0].get_yscale() == "log"
    plateau = landscapes.plateau_saddle()
    traj = run(Adam(lr=0.05), plateau, [1.2, 0.01], 100)
    fig = plotting.loss_curves([traj], landscape=plateau)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    (line,) = [line for line in ax.lines if line.get_label() == "Adam"]
    assert np.allclose(line.get_ydata(), traj.losses + 1 / 12)
    saddle = landscapes.saddle()
    fig = plotting.loss_curves([run(SGD(lr=0.1, momentum=0.9), saddle, [-1.5, 0.01], 100)])
    assert fig.axes[0].get_yscale() == "symlog"  # negative losses over many decades


def test_surface_and_contour_puts_a_3d_surface_beside_the_map():
    saddle = landscapes.saddle()
    trajectories = [run(SGD(lr=0.05), saddle, [-1.5, 1e-3], 60),
                    run(RMSprop(lr=0.05), saddle, [-1.5, 1e-3], 60)]
    fig = plotting.surface_and_contour(saddle, trajectories)
    ax3d, ax2 = fig.axes
    assert ax3d.name == "3d" and ax2.name == "rectilinear"
    assert len(ax3d.collections) >= 1  # the surface
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith("SGD") and labels[1].startswith("RMSprop: left the map")
    # 3-D axes labels must not collide: few ticks per axis
    fig.canvas.draw()
    for axis in (ax3d.xaxis, ax3d.yaxis, ax3d.zaxis):
        assert len(axis.get_major_ticks()) <= 7
    finite_artist_data(fig)


def test_arrows_take_nan_without_warnings_and_move_in_place():
    fig, ax = plt.subplots()
    quiver = plotting.arrows(ax, [[0, 0], [1, 1]], [[1, 0], [np.nan, np.inf]], ["red", "blue"])
    assert np.all(np.isfinite(quiver.U)) and np.all(np.isfinite(quiver.V))
    quiver.set_UVC([0.5, 0.0], [0.0, 0.5])
    quiver.set_offsets([[1, 1], [2, 2]])
    fig.canvas.draw()


def test_lecture_mode_makes_lines_and_fonts_bigger():
    with style.lecture_style():
        fig = plotting.paths(RAVINE, runs())
        line = lines_with_label(fig.axes[0], "SGD")[0]
        assert line.get_linewidth() == style.LECTURE_RC["lines.linewidth"]
        assert fig.axes[0].xaxis.label.get_fontsize() == style.LECTURE_RC["axes.labelsize"]
    reading = plotting.paths(RAVINE, runs())
    assert lines_with_label(reading.axes[0], "SGD")[0].get_linewidth() < line.get_linewidth()
    assert plotting.lecture_mode is style.lecture_mode


def test_path_artists_update_in_place():
    fig, ax = plt.subplots()
    plotting.draw_landscape(RAVINE, ax)
    artists = plotting.PathArtists(ax, "red", "SGD", window=RAVINE.bounds)
    before = len(ax.get_children())
    traj = diverging()
    artists.update(traj.path(), int(traj.diverged_at))
    assert len(ax.get_children()) == before
    assert artists.line.get_label().endswith(f"diverged at step {int(traj.diverged_at)}")
    assert len(artists.exit.get_xdata()) == 1
    artists.update(runs()[0].path())
    assert artists.line.get_label() == "SGD" and len(artists.exit.get_xdata()) == 0
