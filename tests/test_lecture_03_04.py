"""Unit tests for course_utils.saddles, the helpers behind lecture 03 (and 04)."""
import numpy as np
import pytest

from course_utils import landscapes, run, saddles
from course_utils.optimizers import SGD, Adam


@pytest.mark.parametrize("hessian, kind", [
    (np.diag([2.0, 3.0]), "minimum"),
    (np.diag([-2.0, -0.5]), "maximum"),
    (np.diag([2.0, -2.0]), "saddle"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "saddle"),  # eigenvalues 3 and -1
    (np.diag([2.0, 0.0]), "degenerate"),
    (np.diag([0.0, -1.0]), "degenerate"),
    (np.diag([0.0, 1e-12, -3.0]) + np.diag([5.0, 0, 0]), "saddle"),  # signs decide first
])
def test_classify_critical_point_reads_eigenvalue_signs(hessian, kind):
    assert saddles.classify_critical_point(hessian) == kind


def test_classify_critical_point_takes_a_batch():
    batch = np.stack([np.eye(2), -np.eye(2), np.diag([1.0, -1.0])])
    assert list(saddles.classify_critical_point(batch)) == ["minimum", "maximum", "saddle"]


def test_classify_critical_point_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        saddles.classify_critical_point(np.zeros((2, 3)))


def _grid(bounds, n=9):
    (x0, x1), (y0, y1) = bounds
    return np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)), -1).reshape(-1, 2)


def test_critical_points_of_the_three_hump_camel_are_three_minima_and_two_saddles():
    camel = landscapes.three_hump_camel()
    points = saddles.critical_points(camel, _grid(camel.bounds, 11))
    kinds = list(saddles.classify_critical_point(camel.hessian(points)))
    assert kinds.count("minimum") == 3 and kinds.count("saddle") == 2 and len(kinds) == 5
    assert np.all(np.linalg.norm(camel.grad(points), axis=-1) < 1e-6)
    found_minima = points[np.array(kinds) == "minimum"]
    for m in camel.minima:
        assert np.min(np.linalg.norm(found_minima - m, axis=-1)) < 1e-5


def test_critical_points_handles_the_singular_hessian_of_the_plateau_saddle():
    plateau = landscapes.plateau_saddle()
    points = saddles.critical_points(plateau, _grid(plateau.bounds))
    np.testing.assert_allclose(points, [[0.0, -1.0], [0.0, 0.0], [0.0, 1.0]], atol=1e-6)
    assert list(saddles.classify_critical_point(plateau.hessian(points))) == \
        ["minimum", "degenerate", "minimum"]


def test_escape_steps_matches_gradient_descent_growth_on_the_saddle():
    lr, offsets = 0.05, np.array([1e-2, 1e-4, 1e-6])
    starts = np.stack([np.full(3, 0.5), offsets], axis=-1)
    traj = run(SGD(lr=lr), landscapes.saddle(), starts, steps=300)
    steps = saddles.escape_steps(traj, radius=1.0)
    # theta_2 grows by (1 + 2 lr) per step; theta_1 has shrunk to nothing by then
    expected = np.ceil(np.log(1 / offsets) / np.log(1 + 2 * lr))
    np.testing.assert_array_equal(steps, expected)


def test_escape_steps_is_minus_one_for_a_run_that_stays():
    traj = run(Adam(lr=0.05), landscapes.saddle(), [0.5, 0.0], steps=200)
    assert int(saddles.escape_steps(traj)) == -1
    assert np.all(traj.xs[:, 1] == 0.0)  # exactly on the ridge nothing pushes theta_2


def test_escape_steps_uses_center_and_radius():
    traj = run(SGD(lr=0.1), landscapes.ravine(), [3.0, 0.0], steps=50)
    assert int(saddles.escape_steps(traj, radius=0.7, center=(3.0, 0.0))) == 2  # 3 -> 2.4 -> 1.92


def test_minima_fraction_is_reproducible_and_matches_the_exact_2d_value():
    first = saddles.minima_fraction([1, 2], samples=40_000, seed=1)
    again = saddles.minima_fraction([1, 2], samples=40_000, seed=1)
    np.testing.assert_array_equal(first, again)
    assert abs(first[0] - 0.5) < 0.01
    assert abs(first[1] - (1 - 1 / np.sqrt(2)) / 2) < 0.01


def test_minima_fraction_falls_faster_than_the_coin_flip_model():
    dims = [1, 2, 3, 4]
    simulated = saddles.minima_fraction(dims, samples=20_000, seed=0)
    coin = saddles.coin_flip_minima_fraction(dims)
    assert np.all(np.diff(simulated) < 0)
    assert np.all(simulated[1:] < coin[1:])
    np.testing.assert_allclose(coin, [0.5, 0.25, 0.125, 0.0625])


def test_random_symmetric_matrices_are_symmetric():
    matrices = saddles.random_symmetric_matrices(4, 10, np.random.default_rng(0))
    assert matrices.shape == (10, 4, 4)
    np.testing.assert_array_equal(matrices, np.swapaxes(matrices, -1, -2))


# --- lecture 03's fair comparison and the rare-event simulation


def test_ill_conditioned_saddle_has_the_curvatures_it_is_built_with():
    land = landscapes.ill_conditioned_saddle(steep=200.0, negative=2.0)
    x = np.array([[0.3, -0.7], [1.0, 2.0]])
    np.testing.assert_allclose(land.grad(x), x * np.array([200.0, -2.0]))
    np.testing.assert_allclose(land.hessian(x)[0], np.diag([200.0, -2.0]))
    assert land.value(np.array([0.1, 1.0])) == pytest.approx(1.0 - 1.0)
    assert not land.bounded_below and len(land.minima) == 0
    with pytest.raises(ValueError):
        landscapes.ill_conditioned_saddle(steep=-1.0)


def test_gradient_descent_on_the_ill_conditioned_saddle_is_capped_by_the_steep_wall():
    land = landscapes.ill_conditioned_saddle(steep=200.0, negative=2.0)
    lrs = np.array([0.0099, 0.0101])[:, None]
    traj = run(SGD(lr=lrs), land, [0.5, 1e-8], steps=3000)
    below = traj.losses <= -1
    escaped_at = int(np.argmax(below[:, 0]))
    assert below[:, 0].any() and not (0 <= traj.diverged_at[0] < escaped_at)  # just below 2/200: escapes downhill
    assert traj.diverged[1] and not below[:, 1].any()  # just above: blows up along the steep wall first


def test_random_saddle_has_one_downhill_direction_in_a_random_orientation():
    land = landscapes.random_saddle(dim=20, negative=1, curvature_range=(0.1, 10.0), seed=3)
    eigenvalues = np.linalg.eigvalsh(land.hessian(np.zeros(20)))
    assert eigenvalues[0] == pytest.approx(-1.0) and (eigenvalues[1:] > 0).all()
    np.testing.assert_allclose(eigenvalues[[1, -1]], [0.1, 10.0], rtol=1e-10)
    H = land.hessian(np.zeros(20))
    assert np.abs(H - np.diag(np.diag(H))).max() > 0.1  # not axis-aligned
    x = np.random.default_rng(0).standard_normal(20)
    np.testing.assert_allclose(land.grad(x), H @ x, rtol=1e-10)
    with pytest.raises(ValueError):
        landscapes.random_saddle(dim=5, negative=5)


def test_positive_definite_agrees_with_the_eigenvalues():
    matrices = saddles.random_symmetric_matrices(4, 5000, np.random.default_rng(2), dtype=np.float64)
    matrices[:, range(4), range(4)] += 1.5  # about half of them positive definite
    expected = np.linalg.eigvalsh(matrices)[:, 0] > 0
    assert 0.2 < expected.mean() < 0.8
    np.testing.assert_array_equal(saddles.positive_definite(matrices), expected)


def test_minima_probability_matches_the_exact_answer_for_two_dimensions():
    exact = (1 - 1 / np.sqrt(2)) / 2
    for shift in (0.0, 0.85):
        estimate, error = saddles.minima_probability(2, 40_000, seed=5, shift=shift)
        assert abs(estimate - exact) < 4 * error


def test_importance_sampling_agrees_with_plain_sampling_and_is_more_precise():
    plain, plain_error = saddles.minima_probability(4, 40_000, seed=6)
    shifted, shifted_error = saddles.minima_probability(4, 40_000, seed=7, shift=1.2)
    assert abs(plain - shifted) < 4 * np.hypot(plain_error, shifted_error)
    assert shifted_error < plain_error / 2
