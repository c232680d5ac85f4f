"""benchmarks/calibrate_lectures.py stays in step with lectures 01-04.

The calibration runs every lecture four times (by hand, `make
calibrate-lectures`); these tests check, in a second, that its seed
perturbation still finds seeds to move in every stored lecture, so a renamed
seed cannot silently turn a perturbed run into a second baseline.
"""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("calibrate_lectures", ROOT / "benchmarks" / "calibrate_lectures.py")
calibrate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibrate)


@pytest.mark.parametrize("key", list(calibrate.NOTEBOOKS))
def test_every_perturbation_applies_to_the_stored_lecture(tmp_path, key):
    notebook = calibrate.load(key)
    for name, (shift, _env) in calibrate.PERTURBATIONS.items():
        nb = calibrate.instrumented(notebook, shift, tmp_path / f"{name}.json")
        changed = [a.source != b.source for a, b in zip(notebook.cells, [c for c in nb.cells
                                                                      if not c.get("id", "").startswith("calibration-")])]
        assert any(changed) == bool(shift), f"{key} {name}: seeds moved: {any(changed)}"
        assert nb.cells[-1].source.startswith("import json")


def test_shift_seeds_moves_every_kind_of_literal_seed():
    source = "SEED = 0\nrng = np.random.default_rng(3)\nrun(..., seed=2)\nf(seed=batch_size)\nseed=SEED"
    shifted, count = calibrate.shift_seeds(source, 1)
    assert count == 4
    assert shifted == "SEED = 1\nrng = np.random.default_rng(4)\nrun(..., seed=3)\nf(seed=batch_size + 1)\nseed=SEED"


def test_the_report_measures_spread_and_slack_of_approximate_claims():
    runs = {"a": {"claims": [dict(statement="x", holds=True, measured=[1.0], slack=0.5),
                             dict(statement="exact", holds=True, measured=None, slack=None)]},
            "b": {"claims": [dict(statement="x", holds=True, measured=[1.1], slack=0.4),
                             dict(statement="exact", holds=False, measured=None, slack=None)]}}
    approximate, exact = calibrate.report(runs)
    assert approximate["spread"] == pytest.approx(0.1) and approximate["margin"] == 0.4
    assert approximate["ratio"] == pytest.approx(4.0)
    assert "spread" not in exact and exact["failing_in"] == ["b"]
