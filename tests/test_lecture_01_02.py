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
