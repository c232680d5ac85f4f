"""course_utils.figures and plotting.loss_curves(colors=...): the lecture 01/02 helpers
that keep a cell live-codable. Each test checks what the figure promises on its artists."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from course_utils import figures, landscapes, plotting, run, style  # noqa: E402
from course_utils.optimizers import SGD  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")
RAVINE = landscapes.ravine()
START = [-5.0, 3.0]


def labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_loss_curves_take_one_colour_per_run_and_refuse_a_wrong_count():
    below = run(SGD(lr=0.095), RAVINE, START, 150, label="GD lr=0.095")
    above = run(SGD(lr=0.105), RAVINE, START, 150, label="GD lr=0.105")
    fig = plotting.loss_curves([below, above], colors=["#4D4D4D", "#D55E00"])
    ax = fig.axes[0]
    curves = [line for line in ax.lines if line.get_label() and not line.get_label().startswith("_")]
    assert [to_hex(line.get_color()) for line in curves] == ["#4d4d4d", "#d55e00"]
    assert ax.get_yscale() == "log"
    assert "GD lr=0.105: diverged at step 74" in labels(ax)
    with pytest.raises(ValueError, match="one colour per trajectory"):
        plotting.loss_curves([below, above], colors=["#4D4D4D"])


def test_rate_against_lr_draws_the_v_the_dots_and_the_diverging_band():
    lrs = np.linspace(0.001, 0.115, 50)
    measured_lrs = np.array([0.02, 0.05])
    fig = figures.rate_against_lr(lrs, np.abs(1 - 2 * lrs), np.abs(1 - 20 * lrs),
                                  np.maximum(np.abs(1 - 2 * lrs), np.abs(1 - 20 * lrs)),
                                  measured_lrs, [0.96, 0.9], best_lr=1 / 11, ceiling=0.1)
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # shallow, steep, theory, measured, best-lr line
    assert np.allclose(ax.lines[3].get_xdata(), measured_lrs)
    assert ax.get_xlim() == (0.0, 0.115) and ax.patches  # the shaded band from the ceiling
    assert "measured (late window)" in labels(ax)
    with pytest.raises(ValueError, match="same length"):
        figures.rate_against_lr(lrs, lrs, lrs, lrs, measured_lrs, [0.9], 1 / 11, 0.1)


def test_steps_against_kappa_is_log_log_with_the_measured_dots():
    dense = np.logspace(0.2, 3, 20)
    fig = figures.steps_against_kappa(dense, 5 * dense, 4 * dense, [10, 100], [78, 779])
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert list(ax.lines[-1].get_ydata()) == [78, 779]
    with pytest.raises(ValueError, match="same length"):
        figures.steps_against_kappa(dense, dense[:-1], dense, [10], [78])


def test_condition_panels_give_a_map_per_problem_and_a_log_bar_chart():
    bowls = {name: landscapes.quadratic(np.diag(d)) for name, d in
             [("round", [2.0, 2.2]), ("long", [2.0, 200.0])]}
    problems = {name: (bowl, run(SGD(lr=0.004), bowl, START, 5, label="GD")) for name, bowl in bowls.items()}
    fig = figures.condition_panels(problems, {"round": 1.1, "long": 100.0}, ["round", "long"],
                                   bounds=((-6, 6), (-5, 5)), title="two bowls")
    maps, bars = fig.axes[:2], fig.axes[3]
    assert "round" in maps[0].get_title() and r"$\kappa$ = 100.0" in maps[1].get_title()
    assert bars.get_xscale() == "log" and len(bars.patches) == 2
    assert fig.get_suptitle() == "two bowls"
    with pytest.raises(ValueError, match="one bar label"):
        figures.condition_panels(problems, {"round": 1.1, "long": 100.0}, ["round"], None, "")


def test_map_and_curves_draws_each_path_and_its_curve_in_its_colour():
    runs = {"slow": run(SGD(lr=0.01), RAVINE, START, 30), "fast": run(SGD(lr=0.05), RAVINE, START, 30)}
    colors = {"slow": "#111111", "fast": "#D55E00"}
    fig = figures.map_and_curves(RAVINE, {k: t.path() for k, t in runs.items()},
                                 {k: t.valid_losses() for k, t in runs.items()}, colors,
                                 map_title="map", curves_title="curves", styles={"slow": (":", 3.0)},
                                 start=START)
    ax_map, ax_curves = fig.axes
    assert labels(ax_map) == labels(ax_curves) == ["slow", "fast"]
    assert ax_curves.get_yscale() == "log" and ax_curves.get_title() == "curves"
    slow = [line for line in ax_curves.lines if line.get_label() == "slow"][0]
    assert to_hex(slow.get_color()) == "#111111" and slow.get_linestyle() == ":"
    with pytest.raises(ValueError, match="same labels"):
        figures.map_and_curves(RAVINE, {"slow": runs["slow"].path()}, {}, colors, "m", "c")


def test_step_growth_marks_each_terminal_velocity():
    betas = np.array([0.0, 0.9])
    speed = np.column_stack([np.ones(100), 10 * (1 - 0.9 ** np.arange(1, 101))])
    fig = figures.step_growth(speed, betas)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    dotted = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert sorted(line.get_ydata()[0] for line in dotted) == pytest.approx([1.0, 10.0])
    with pytest.raises(ValueError, match="shaped"):
        figures.step_growth(speed, [0.9])


def test_convex_rates_colour_by_optimizer_and_thin_dashed_bounds():
    ks = np.arange(1, 101)
    with style.lecture_style():  # the lecture's thick lines, against which the bounds are thin
        fig = figures.convex_rates(ks, {"GD": (1 / ks, "SGD", "-"), "bound": (2 / ks, "SGD", "--"),
                                        "Nesterov": (1 / ks**2, "Nesterov", "-")})
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    gd, bound, nesterov = ax.lines
    assert to_hex(gd.get_color()) == style.color_for("SGD").lower()
    assert to_hex(nesterov.get_color()) == style.color_for("Nesterov").lower()
    assert bound.get_linestyle() == "--" and bound.get_linewidth() < gd.get_linewidth()
    with pytest.raises(ValueError, match="values for 100 steps"):
        figures.convex_rates(ks, {"GD": (1 / ks[:-1], "SGD", "-")})


def test_symptom_grid_counts_steps_from_one_when_none_are_given():
    fig = figures.symptom_grid({"case": dict(symptom=np.array([3.0, 2.0, 1.0]), fixed=np.array([1.0, 0.5]),
                                             ylabel="loss")})
    fixed, symptom = fig.axes[0].lines
    assert list(symptom.get_xdata()) == [1, 2, 3] and list(fixed.get_xdata()) == [1, 2]


def test_diverges_marks_use_one_red_that_no_optimizer_has():
    assert figures.DIVERGED_COLOR not in style.OPTIMIZER_COLORS.values()
    lrs = np.linspace(0.01, 0.2, 5)
    fig = figures.rate_against_lr(lrs, lrs, lrs, lrs, lrs[:2], lrs[:2], best_lr=0.1, ceiling=0.15)
    texts = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert texts["diverges"] == figures.DIVERGED_COLOR
