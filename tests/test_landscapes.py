"""Analytic gradients and Hessians equal torch autograd; minima are minima."""
import numpy as np
import pytest
import torch

from course_utils import landscapes

LANDSCAPES = landscapes.all_landscapes()
LANDSCAPES["steep rotated ravine"] = landscapes.ravine(kappa=1000, angle=0.3)


@pytest.fixture(params=sorted(LANDSCAPES), ids=str)
def landscape(request):
    return LANDSCAPES[request.param]


def random_points(landscape, n=64, seed=0):
    (x0, x1), (y0, y1) = landscape.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def test_gradient_matches_autograd(landscape):
    x = random_points(landscape)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    landscape.value(xt).sum().backward()
    np.testing.assert_allclose(landscape.grad(x), xt.grad.numpy(), rtol=1e-12, atol=1e-9)


def test_hessian_matches_autograd(landscape):
    for point in random_points(landscape, n=8, seed=1):
        expected = torch.autograd.functional.hessian(
            landscape.value, torch.tensor(point, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(landscape.hessian(point), expected, rtol=1e-12, atol=1e-9)


def test_torch_and_numpy_values_agree(landscape):
    x = random_points(landscape, seed=2)
    np.testing.assert_allclose(
        landscape.value(torch.tensor(x)).numpy(), landscape.value(x), rtol=1e-14)


def test_shapes_follow_the_batch(landscape):
    x = random_points(landscape, n=12).reshape(3, 4, 2)
    assert landscape.value(x).shape == (3, 4)
    assert landscape.grad(x).shape == (3, 4, 2)
    assert landscape.hessian(x).shape == (3, 4, 2, 2)
    assert np.shape(landscape.value(np.array([0.5, -0.5]))) == ()


def test_minima_have_zero_gradient_and_positive_curvature(landscape):
    for m in landscape.minima:
        np.testing.assert_allclose(landscape.grad(m), 0.0, atol=1e-10)
        assert np.all(np.linalg.eigvalsh(landscape.hessian(m)) > 0)
        assert landscape.bounds[0][0] < m[0] < landscape.bounds[0][1]
        assert landscape.bounds[1][0] < m[1] < landscape.bounds[1][1]


def test_running_example_is_theta1_squared_plus_10_theta2_squared():
    ravine = landscapes.ravine()
    x = np.array([-5.0, 3.0])
    assert ravine.value(x) == 25 + 90
    np.testing.assert_array_equal(ravine.grad(x), [-10.0, 60.0])
    np.testing.assert_array_equal(ravine.hessian(x), [[2.0, 0.0], [0.0, 20.0]])


@pytest.mark.parametrize("kappa", [1, 10, 100, 1000])
@pytest.mark.parametrize("angle", [0.0, 0.4, np.pi / 4])
def test_ravine_has_the_requested_condition_number_at_any_rotation(kappa, angle):
    eigenvalues = np.linalg.eigvalsh(landscapes.ravine(kappa=kappa, angle=angle).hessian(np.zeros(2)))
    np.testing.assert_allclose(eigenvalues, [2.0, 2.0 * kappa], rtol=1e-12)


def test_saddle_hessian_has_mixed_signs_and_no_minimum():
    saddle = landscapes.saddle()
    assert np.sign(np.linalg.eigvalsh(saddle.hessian(np.zeros(2)))).tolist() == [-1, 1]
    assert len(saddle.minima) == 0 and not saddle.bounded_below


def test_three_hump_camel_has_one_global_and_two_local_minima():
    camel = landscapes.three_hump_camel()
    values = camel.value(camel.minima)
    assert len(values) == 3 and values[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(values[1:] > 0.2)


@pytest.mark.parametrize("bad", [dict(kappa=0.5), dict(kappa=np.inf), dict(lambda_min=0.0)])
def test_bad_ravine_settings_are_rejected(bad):
    with pytest.raises(ValueError):
        landscapes.ravine(**bad)


def test_points_of_the_wrong_dimension_are_rejected():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        landscapes.ravine().value(np.zeros(3))
