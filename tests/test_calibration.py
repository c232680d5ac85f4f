"""benchmarks/calibrate_06.py stays in step with notebook 06.

The calibration itself trains for half an hour (it is run by hand, `make
calibrate`); these tests check, in a second, that every perturbation and
every mutation it would apply still matches the stored notebook, and that
each mutation targets claims the notebook really makes. A mutation whose
text no longer occurs, or whose claims were reworded, would otherwise be
skipped silently and the claim left without a regression that breaks it.
"""
import importlib.util
from pathlib import Path

import pytest

from course_utils import claims

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("calibrate_06", ROOT / "benchmarks" / "calibrate_06.py")
calibrate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibrate)


@pytest.fixture(scope="module")
def notebook():
    return calibrate.load()


def statements(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("mutation", calibrate.MUTATIONS, ids=[m[0] for m in calibrate.MUTATIONS])
def test_each_mutation_applies_once_and_targets_claims_the_notebook_makes(notebook, mutation):
    name, cell_id, old, new, targets = mutation
    mutated = calibrate.apply_mutation(notebook, cell_id, old, new)
    assert calibrate.cell_by_id(mutated, cell_id).source != calibrate.cell_by_id(notebook, cell_id).source
    source = statements(notebook)
    for target in targets:
        assert f'"{target}' in source, f"mutation {name!r}: no claim starts with {target!r}"


def test_every_bounded_claim_of_the_notebook_has_a_mutation(notebook):
    targeted = [t for *_, targets in calibrate.MUTATIONS for t in targets]
    checked = [c for c in notebook.cells if c.cell_type == "code" and "claim_bound(" in c.source]
    for cell in checked:
        for chunk in cell.source.split("claim_bound(")[1:]:
            statement = chunk.split('"')[1]
            assert any(statement.startswith(t) for t in targeted), f"no mutation breaks {statement!r}"


def test_perturbations_apply_to_the_setup_cell(tmp_path, notebook):
    for name, (replacements, after, _env) in calibrate.PERTURBATIONS.items():
        nb = calibrate.instrumented(notebook, replacements, after, "l06-06b", tmp_path / f"{name}.json")
        assert "claims.RAISE_ON_FAILURE = False" in nb.cells[2].source
        assert nb.cells[-1].source.startswith("import json")


def test_the_report_measures_spread_and_margin():
    runs = {"a": {"claims": [dict(statement="x", value=1.0, above=0.0, below=None, margin=1.0, holds=True)]},
            "b": {"claims": [dict(statement="x", value=1.2, above=0.0, below=None, margin=1.2, holds=True)]}}
    (row,) = calibrate.report(runs)
    assert row["spread"] == pytest.approx(0.2) and row["margin"] == 1.0 and row["ratio"] == pytest.approx(5.0)


def test_claim_bound_records_and_refuses(monkeypatch):
    monkeypatch.setattr(claims, "RECORD", [])
    claims.claim_bound("in range", 0.5, above=0.0, below=1.0)
    assert claims.RECORD[-1]["margin"] == pytest.approx(0.5) and claims.RECORD[-1]["holds"]
    with pytest.raises(AssertionError, match="needs > 1"):
        claims.claim_bound("too small", 0.5, above=1.0)
    with pytest.raises(AssertionError):
        claims.claim_bound("nan never holds", float("nan"), below=1.0)
    with pytest.raises(ValueError, match="give a bound"):
        claims.claim_bound("no bound", 0.5)
    monkeypatch.setattr(claims, "RAISE_ON_FAILURE", False)
    claims.claim_bound("recorded, not raised", 2.0, below=1.0)
    assert claims.RECORD[-1]["holds"] is False
