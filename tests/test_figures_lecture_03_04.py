"""The lecture 03 and 04 figure helpers in course_utils.figures draw what they are given."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import figures, landscapes, run  # noqa: E402
from course_utils.optimizers import SGD, Adam  # noqa: E402
from course_utils.style import color_for  # noqa: E402


def test_sparse_feature_errors_draws_the_chosen_curves_and_skips_diverged_lrs():
    lrs = np.logspace(-3, 1, 5)
    sgd = np.full((20, 5, 2), 0.5)
    sgd[:, 3:] = np.inf  # diverged from lrs[3]
    adagrad = np.full((20, 5, 2), 1e-9)  # below the floor
    fig = figures.sparse_feature_errors(lrs, {"SGD": sgd, "Adagrad": adagrad},
                                        [("SGD", 0, ":"), ("Adagrad", 4, "-")], diverges_from=lrs[3])
    ax_steps, ax_lr = fig.axes
    assert [line.get_label() for line in ax_steps.lines] == ["SGD, lr 0.001", "Adagrad, lr 10"]
    assert ax_steps.lines[1].get_color() == color_for("Adagrad")
    sgd_rare = ax_lr.lines[0]
    assert len(sgd_rare.get_xdata()) == 3  # only the stable lrs
    np.testing.assert_array_equal(ax_lr.lines[2].get_ydata(), 1e-6)  # clipped to the floor
    assert "20 samples (floor 1e-6)" in ax_lr.get_ylabel()


def test_effective_lr_curves_pairs_each_measurement_with_its_theory():
    t = np.arange(1, 101)
    measured = {"Adagrad": 0.01 / np.sqrt(t), "RMSprop": np.full(100, 0.01)}
    fig = figures.effective_lr_curves(t, measured, measured, lr=0.01)
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Adagrad: measured", "RMSprop: measured", "theory"]
    assert ax.lines[0].get_color() == color_for("Adagrad")
    assert any(text.get_text() == "lr = 0.01" for text in ax.texts)


def test_recovery_after_drop_marks_each_predicted_recovery():
    relative_step = np.tile(np.linspace(0.01, 1, 50)[:, None], (1, 3))
    fig = figures.recovery_after_drop(relative_step, [0.9, 0.99, 0.999], [7.0, 70.0, 700.0], [10, 100, 1000])
    ax = fig.axes[0]
    verticals = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert [line.get_xdata()[0] for line in verticals] == [7.0, 70.0, 700.0]
    assert "memory 100 steps" in ax.get_legend().get_texts()[1].get_text()


def test_decay_per_weight_has_one_panel_per_method_with_both_weights():
    history = np.abs(np.cumprod(np.full((11, 2), 0.9), axis=0))
    fig = figures.decay_per_weight({"Adam + L2": history, "AdamW": history / 2}, 0.9 ** np.arange(11))
    assert [ax.get_title() for ax in fig.axes] == ["Adam + L2", "AdamW"]
    assert all(len(ax.lines) == 3 for ax in fig.axes)
    assert fig.axes[1].lines[0].get_color() == color_for("AdamW")
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), history[:, 1] / 2)


def test_aligned_and_rotated_losses_draws_rotated_runs_dashed():
    losses = np.logspace(2, -6, 30)
    curves = {("Adam", "aligned"): (losses, "Adam, aligned"), ("Adam", "rotated 45°"): (losses, "Adam, rotated")}
    fig = figures.aligned_and_rotated_losses(curves, tol=1e-4, title="t")
    ax = fig.axes[0]
    assert [line.get_linestyle() for line in ax.lines[:2]] == ["-", "--"]
    assert len(ax.lines[0].get_xdata()) == 29  # step 0 is not on a log axis
    assert fig.legends and [t.get_text() for t in fig.legends[0].get_texts()] == ["Adam, aligned", "Adam, rotated"]


def test_ridge_and_valley_marks_both_lines_on_the_map():
    saddle = landscapes.saddle()
    fig = figures.ridge_and_valley(saddle, run(SGD(lr=0.05), saddle, [1.8, 0.01], steps=5, label="GD"))
    ax_map = fig.axes[1]
    assert {text.get_text() for text in ax_map.texts} >= {"ridge line", "valley floor"}
    assert len(fig.axes[0].lines) >= 2  # the ridge and the valley drawn on the surface


def test_leaving_the_ridge_plots_theta2_of_every_run_and_thickens_one():
    saddle = landscapes.saddle()
    runs = {"SGD": run(SGD(lr=0.05), saddle, [0.5, 1e-6], steps=20),
            "Adam": run(Adam(lr=0.05), saddle, [0.5, 1e-6], steps=20)}
    fig = figures.leaving_the_ridge(saddle, {"GD": runs["SGD"]}, runs, bounds=((-1, 1), (-0.4, 1.4)))
    ax_map, ax_y = fig.axes
    assert ax_map.get_title() == "the first 20 steps"
    np.testing.assert_allclose(ax_y.lines[1].get_ydata(), np.abs(runs["Adam"].xs[:, 1]))
    assert ax_y.lines[0].get_linewidth() > ax_y.lines[1].get_linewidth()


def test_escape_time_against_offset_labels_measured_and_theory_and_flips_the_axis():
    offsets = 10.0 ** -np.arange(1, 4)
    fig = figures.escape_time_against_offset(offsets, {"SGD": [1, 2, 3]}, {"SGD": [1.1, 2.1, 3.1]},
                                             {"SGD": "GD"}, lr=0.05)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD: measured", "GD: theory"]
    assert ax.xaxis_inverted() and "lr = 0.05" in ax.get_title()


def test_minima_fraction_draws_plain_sampling_only_where_given():
    dims = np.arange(1, 6)
    estimates = 2.0 ** -dims
    fig = figures.minima_fraction(dims, estimates, estimates / 10, np.array([[0.5, 0.01], [0.25, 0.01]]),
                                  2.0 ** -dims, dean_majumdar_theta=np.log(3) / 4)
    ax = fig.axes[0]
    plain = [line for line in ax.lines if line.get_label() == "GOE, plain sampling"]
    assert len(plain) == 1 and list(plain[0].get_xdata()) == [1, 2]
    assert ax.get_yscale() == "log"
