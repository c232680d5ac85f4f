"""benchmarks/mnist_epoch.py's floor must time the products a training step really runs."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from course_utils import training

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mnist_epoch.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("mnist_epoch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def product_shapes_of_a_real_step(k: int) -> list[tuple]:
    torch.manual_seed(0)
    model = training.SeedStack(tuple(range(k)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(k, 128, 784), torch.randint(0, 10, (k, 128))
    with torch.profiler.profile(record_shapes=True) as profile:
        training.training_step(model, optimizer, x, y)
    shapes = []
    for event in profile.events():
        if event.name == "aten::bmm":
            shapes.append((tuple(event.input_shapes[0]), tuple(event.input_shapes[1])))
        elif event.name == "aten::baddbmm":  # (bias, h, weight)
            shapes.append((tuple(event.input_shapes[1]), tuple(event.input_shapes[2])))
    return shapes


def test_the_floor_times_exactly_the_products_of_a_training_step():
    benchmark = load_benchmark()
    for k in (1, 3):
        timed = sorted((tuple(a.shape), tuple(b.shape)) for a, b in benchmark.step_products(k))
        assert len(timed) == 8
        assert timed == sorted(product_shapes_of_a_real_step(k))


def test_the_floor_measurements_return_positive_epoch_seconds():
    benchmark = load_benchmark()
    assert benchmark.products_epoch(2, n=256, reps=1, trials=1) > 0
    assert benchmark.update_epoch(2, n=256, reps=1, trials=1) > 0
