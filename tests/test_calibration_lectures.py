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


def approximate(statement, measured, expected, rel=0.0, abs=0.0):
    """A claims.RECORD entry of an approximate claim, as claims.claim writes it."""
    from course_utils.claims import tolerance_record, tolerance_slack
    import numpy as np
    m, e = np.array(measured, dtype=float), np.array(expected, dtype=float)
    ok = bool(tolerance_slack(m, e, rel, abs).min() >= 0)
    return dict(statement=statement, holds=ok, **tolerance_record(m, e, rel, abs))


def test_the_report_measures_spread_and_slack_of_approximate_claims():
    runs = {"a": {"claims": [approximate("x", [1.0], [1.0], abs=0.5),
                             dict(statement="exact", holds=True, measured=None, slack=None)]},
            "b": {"claims": [approximate("x", [1.1], [1.0], abs=0.5),
                             dict(statement="exact", holds=False, measured=None, slack=None)]}}
    approximate_row, exact = calibrate.report(runs)
    assert approximate_row["spread"] == pytest.approx(0.1) and approximate_row["margin"] == pytest.approx(0.4)
    assert approximate_row["ratio"] == pytest.approx(4.0)
    assert "spread" not in exact and exact["failing_in"] == ["b"]


def test_the_spread_is_that_of_the_error_when_the_expected_value_is_computed():
    # A closed form of the sampled data moves with the data: only the difference must stay small.
    runs = {"a": {"claims": [approximate("tracks", [10.0], [10.0], rel=0.01)]},
            "b": {"claims": [approximate("tracks", [12.0], [12.05], rel=0.01)]}}
    (row,) = calibrate.report(runs)
    assert row["spread"] == pytest.approx(0.05)
    assert row["margin"] == pytest.approx(0.1205 - 0.05)


def test_each_element_is_judged_against_its_own_tolerance():
    # A large and a small number in one claim: the large one's spread is not set against the small one's slack.
    runs = {"a": {"claims": [approximate("two", [100.9, 1.0], [100.0, 1.0], rel=0.03)]},
            "b": {"claims": [approximate("two", [99.1, 1.01], [100.0, 1.0], rel=0.03)]}}
    (row,) = calibrate.report(runs)
    large_ratio = (3.0 - 0.9) / 1.8
    small_ratio = (0.03 * 1.01 - 0.01) / 0.01
    assert row["ratio"] == pytest.approx(min(large_ratio, small_ratio))
    assert row["margin"] == pytest.approx(0.03 * 1.01 - 0.01)
