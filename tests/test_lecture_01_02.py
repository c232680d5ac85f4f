"""Unit tests for course_utils.measure, the helpers lectures 01 and 02 measure rates with."""
import numpy as np
import pytest

from course_utils import landscapes, measure, run, theory
from course_utils.optimizers import SGD, HeavyBall

X0 = np.array([-5.0, 3.0])


def test_distances_are_measured_from_the_origin_by_default():
    traj = run(SGD(lr=0.05), landscapes.ravine(), X0, steps=3)
    assert measure.distances(traj)[0] == pytest.approx(np.hypot(5.0, 3.0))
    assert measure.distances(traj, target=X0)[0] == 0.0


def test_gd_rate_matches_theory_for_many_learning_rates_in_one_run():
    lrs = np.array([0.01, 0.03, 0.05, 0.07, 1 / 11, 0.095])
    traj = run(SGD(lr=lrs[:, None]), landscapes.ravine(), X0, steps=200)
    measured = measure.measured_rate(traj, window=(150, 200))
    assert measured.shape == lrs.shape
    np.testing.assert_allclose(measured, theory.gd_rate(lrs, 2.0, 20.0), rtol=1e-2)


def test_single_run_gives_a_float():
    traj = run(SGD(lr=0.05), landscapes.ravine(), X0, steps=100)
    rate = measure.measured_rate(traj, window=(50, 100))
    assert isinstance(rate, float)
    assert rate == pytest.approx(0.9, rel=1e-9)


def test_heavy_ball_optimal_rate_matches_theory_within_one_percent():
    lr, beta = theory.heavy_ball_optimal(2.0, 200.0)
    traj = run(HeavyBall(lr=lr, beta=beta), landscapes.ravine(kappa=100.0), X0, steps=400)
    assert measure.measured_rate(traj, window=(200, 400)) == pytest.approx(
        theory.heavy_ball_optimal_rate(100.0), rel=1e-2)


def test_diverged_runs_give_nan_not_an_error():
    traj = run(SGD(lr=np.array([0.05, 0.2])[:, None]), landscapes.ravine(), X0, steps=100)
    rates = measure.measured_rate(traj, window=(50, 100))
    assert np.isfinite(rates[0]) and np.isnan(rates[1])


def test_window_must_lie_inside_the_run():
    traj = run(SGD(lr=0.05), landscapes.ravine(), X0, steps=10)
    for window in [(5, 11), (5, 5), (-1, 3)]:
        with pytest.raises(ValueError, match="window"):
            measure.measured_rate(traj, window=window)


def test_loglog_slope_recovers_power_laws():
    k = np.arange(1, 1001, dtype=float)
    assert measure.loglog_slope(k, 3.0 / k, window=(10, 1000)) == pytest.approx(-1.0)
    assert measure.loglog_slope(k, 0.5 / k**2, window=(10, 1000)) == pytest.approx(-2.0)


def test_loglog_slope_rejects_non_positive_values():
    k = np.arange(0, 10, dtype=float)
    with pytest.raises(ValueError):
        measure.loglog_slope(k, np.ones(10), window=(0, 10))  # log of step 0
    with pytest.raises(ValueError):
        measure.loglog_slope(k, -np.ones(10), window=(1, 10))


# --- lecture 02's rate map: theory.momentum_rate and the two stability ceilings

from course_utils import figures  # noqa: E402


def _envelope_rate(traj, early=(80, 120), late=(380, 420)):
    e = measure.distances(traj)
    return (e[late[0]:late[1]].max(0) / e[early[0]:early[1]].max(0)) ** (1 / (late[0] - early[0]))


def test_momentum_rate_equals_heavy_ball_rate_on_a_grid():
    lr, beta = np.meshgrid(np.linspace(0.001, 0.2, 40), np.linspace(0.0, 0.95, 30))
    np.testing.assert_allclose(theory.momentum_rate(lr, beta, [2.0, 20.0]),
                               theory.heavy_ball_rate(lr, beta, 2.0, 20.0), rtol=1e-12)


def test_heavy_ball_rate_is_sqrt_beta_where_both_directions_ring():
    lo_min, hi_min = theory.critical_damping_lrs(0.9, 2.0)
    lo_max, hi_max = theory.critical_damping_lrs(0.9, 20.0)
    lr = 0.5 * (max(lo_min, lo_max) + min(hi_min, hi_max))  # inside both ringing bands
    assert theory.momentum_rate(lr, 0.9, [2.0, 20.0]) == pytest.approx(np.sqrt(0.9), rel=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_measured_momentum_rates_match_the_closed_form(nesterov):
    points = np.array([(0.02, 0.5), (0.05, 0.3), (0.01, 0.1), (0.06, 0.2)])
    traj = run(SGD(lr=points[:, :1], momentum=points[:, 1:], nesterov=nesterov), landscapes.ravine(), X0,
               steps=420)
    np.testing.assert_allclose(_envelope_rate(traj),
                               theory.momentum_rate(points[:, 0], points[:, 1], [2.0, 20.0], nesterov=nesterov),
                               rtol=5e-3)


@pytest.mark.parametrize("nesterov, bound", [(False, theory.heavy_ball_stability_bound),
                                             (True, theory.nesterov_stability_bound)])
def test_stability_ceilings_separate_converging_from_diverging_runs(nesterov, bound):
    ceiling = bound(0.9, 20.0)
    lrs = np.array([0.97 * ceiling, 1.03 * ceiling])[:, None]
    traj = run(SGD(lr=lrs, momentum=0.9, nesterov=nesterov), landscapes.ravine(), X0, steps=3000)
    assert not traj.diverged[0] and measure.distances(traj)[-1, 0] < 1e-3
    assert traj.diverged[1]
    assert theory.momentum_rate(lrs[:, 0], 0.9, [2.0, 20.0], nesterov=nesterov)[1] > 1


def test_nesterov_ceiling_is_below_the_heavy_balls_and_tends_to_four_thirds():
    betas = np.array([0.1, 0.5, 0.9, 0.999])
    assert np.all(theory.nesterov_stability_bound(betas, 1.0) < theory.heavy_ball_stability_bound(betas, 1.0))
    assert theory.nesterov_stability_bound(0.999999, 1.0) == pytest.approx(4 / 3, rel=1e-5)
    assert theory.nesterov_stability_bound(0.0, 20.0) == pytest.approx(theory.gd_stability_bound(20.0))


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_nesterov_strongly_convex_tuning_contracts_by_one_minus_inverse_sqrt_kappa(kappa):
    lr, beta = theory.nesterov_strongly_convex(2.0, 2.0 * kappa)
    rate = theory.momentum_rate(lr, beta, [2.0, 2.0 * kappa], nesterov=True)
    assert rate == pytest.approx(1 - 1 / np.sqrt(kappa), rel=1e-6)
    assert rate > theory.heavy_ball_optimal_rate(kappa)


def test_momentum_theory_rejects_bad_beta():
    with pytest.raises(ValueError, match="beta"):
        theory.momentum_rate(0.1, 1.0, [2.0])
    with pytest.raises(ValueError, match="beta"):
        theory.nesterov_stability_bound(-0.1, 2.0)


def test_rate_map_hatches_the_diverging_region_and_draws_the_measured_points():
    import matplotlib.pyplot as plt
    lrs, betas = np.linspace(0.01, 0.25, 30), np.linspace(0.0, 0.9, 20)
    rates = theory.momentum_rate(*np.meshgrid(lrs, betas), [2.0, 20.0])
    fig, ax = plt.subplots()
    image = figures.rate_map(ax, lrs, betas, rates, "heavy ball", measured=([0.05], [0.3], [0.84]),
                             optimum=theory.heavy_ball_optimal(2.0, 20.0))
    shown = np.ma.filled(np.ma.asarray(image.get_array(), dtype=float), np.nan).ravel()
    assert np.isnan(shown[rates.ravel() >= 1]).all() and np.isfinite(shown[rates.ravel() < 1]).all()
    assert len(ax.collections) >= 3  # the map, the hatching, the measured dots
    plt.close(fig)


def test_symptom_grid_has_one_panel_per_case_and_hides_the_spare_ones():
    import matplotlib.pyplot as plt
    steps = np.arange(1, 11)
    cases = {f"case {i}": dict(steps=steps, symptom=np.ones(10), fixed=np.ones(10) / 2, ylabel="loss")
             for i in range(3)}
    fig = figures.symptom_grid(cases)
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == list(cases)
    assert all(len(ax.lines) == 2 for ax in visible)
    plt.close(fig)
