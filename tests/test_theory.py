"""The closed forms in course_utils.theory match measured runs on ravines."""
import math

import numpy as np
import pytest

from course_utils import landscapes, measure, run, theory
from course_utils.optimizers import SGD, HeavyBall

START = np.array([-5.0, 3.0])


def measured_rate(traj) -> float:
    """Geometric-mean contraction of |theta - theta*| per step, late in the run.

    The window is the last two thirds of the steps whose error is still far
    above float64's underflow, so the slowest mode dominates and the ratio
    is not rounding noise.
    """
    last = int(np.count_nonzero(measure.distances(traj) > 1e-250)) - 1
    return measure.measured_rate(traj, (last // 3, last))


@pytest.mark.parametrize("kappa", [10, 100, 1000])
@pytest.mark.parametrize("angle", [0.0, 0.5])
def test_gd_rate_at_the_optimal_lr_matches_kappa_minus_one_over_kappa_plus_one(kappa, angle):
    bowl = landscapes.ravine(kappa=kappa, angle=angle)
    mu, L = 2.0, 2.0 * kappa
    lr = theory.gd_optimal_lr(mu, L)
    traj = run(SGD(lr=lr), bowl, START, steps=3000)
    expected = theory.gd_optimal_rate(kappa)
    assert measured_rate(traj) == pytest.approx(expected, rel=0.01)
    assert theory.gd_rate(lr, mu, L) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kappa", [10, 100, 1000])
@pytest.mark.parametrize("lr_fraction", [0.3, 0.95])
def test_gd_rate_at_any_stable_lr_matches_the_slowest_mode(kappa, lr_fraction):
    mu, L = 2.0, 2.0 * kappa
    lr = lr_fraction * theory.gd_stability_bound(L)
    traj = run(SGD(lr=lr), landscapes.ravine(kappa=kappa, angle=0.3), START, steps=3000)
    assert measured_rate(traj) == pytest.approx(theory.gd_rate(lr, mu, L), rel=0.01)


@pytest.mark.parametrize("kappa", [10, 100, 1000])
def test_heavy_ball_rate_at_optimal_parameters_matches_sqrt_kappa_formula(kappa):
    mu, L = 2.0, 2.0 * kappa
    lr, beta = theory.heavy_ball_optimal(mu, L)
    expected = theory.heavy_ball_optimal_rate(kappa)
    for optimizer in (HeavyBall(lr=lr, beta=beta), SGD(lr=lr, momentum=beta)):
        traj = run(optimizer, landscapes.ravine(kappa=kappa, angle=0.4), START, steps=3000)
        assert measured_rate(traj) == pytest.approx(expected, rel=0.01)
    assert theory.heavy_ball_rate(lr, beta, mu, L) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("kappa", [10, 100, 1000])
@pytest.mark.parametrize("lr_scale, beta", [(0.5, 0.5), (1.0, 0.9), (0.2, 0.99)])
def test_heavy_ball_rate_for_any_parameters_matches_the_spectral_radius(kappa, lr_scale, beta):
    mu, L = 2.0, 2.0 * kappa
    lr = lr_scale / L
    traj = run(SGD(lr=lr, momentum=beta), landscapes.ravine(kappa=kappa, angle=0.2), START,
               steps=6000)
    assert measured_rate(traj) == pytest.approx(
        theory.heavy_ball_rate(lr, beta, mu, L), rel=0.01)


def test_the_heavy_ball_beats_gd_by_the_square_root_of_kappa():
    for kappa in (100, 1000, 10_000):
        gd = theory.gd_optimal_rate(kappa)
        hb = theory.heavy_ball_optimal_rate(kappa)
        # steps per e-fold of error: ~kappa/2 for GD, ~sqrt(kappa)/2 for the heavy ball
        assert -1 / math.log(gd) == pytest.approx(kappa / 2, rel=0.01)
        assert -1 / math.log(hb) == pytest.approx(math.sqrt(kappa) / 2, rel=0.02)


def test_stability_bound_separates_converging_from_diverging_runs():
    bowl = landscapes.ravine()
    bound = theory.gd_stability_bound(20.0)
    assert bound == pytest.approx(0.1)
    below = run(SGD(lr=0.99 * bound), bowl, START, steps=2000)
    above = run(SGD(lr=1.01 * bound), bowl, START, steps=2000)
    assert not below.diverged and below.final_loss < 1e-6
    assert above.diverged and above.diverged_at > 0


@pytest.mark.parametrize("beta, memory", [(0.5, 2), (0.9, 10), (0.95, 20), (0.99, 100)])
def test_effective_memory_matches_the_ema_weight_sum(beta, memory):
    assert theory.effective_memory(beta) == pytest.approx(memory)
    weights = (1 - beta) * beta ** np.arange(100_000)
    # the weights' mean age (in steps, counting the newest as 1) is the memory
    assert np.sum(weights * np.arange(1, 100_001)) == pytest.approx(memory, rel=1e-9)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_terminal_velocity_is_reached_under_a_constant_gradient(beta):
    opt = SGD(lr=0.1, momentum=beta)
    x = np.zeros(1)
    state = opt.init(x)
    for _ in range(5000):
        x_new, state = opt.step(x, np.ones(1), state)
        step, x = x - x_new, x_new
    assert step[0] == pytest.approx(theory.terminal_velocity(0.1, beta), rel=1e-9)


def test_steps_to_tolerance_inverts_the_geometric_decay():
    assert theory.steps_to_tolerance(0.5, 1.0, 1e-3) == 10  # 0.5**10 < 1e-3 < 0.5**9
    assert theory.steps_to_tolerance(0.5, 1e-4, 1e-3) == 0
    assert theory.steps_to_tolerance(1.0, 1.0, 1e-3) == math.inf


@pytest.mark.parametrize("call", [
    lambda: theory.gd_stability_bound(0.0),
    lambda: theory.gd_optimal_rate(-1.0),
    lambda: theory.effective_memory(1.0),
    lambda: theory.terminal_velocity(0.1, -0.1),
    lambda: theory.heavy_ball_optimal(0.0, 1.0),
])
def test_invalid_inputs_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
