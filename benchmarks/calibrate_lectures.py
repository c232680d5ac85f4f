"""Calibrate the checked claims of lectures 01-04: value, spread and margin of each.

    python benchmarks/calibrate_lectures.py [--notebooks 01,03] [--runs baseline,seeds+1,...] [--out FILE]

Lectures 01-04 check their prose with `claims.claim(statement, measured,
expected, rel=..., abs=...)`. For an approximate claim the margin is the
slack left inside its tolerance; for an exact one (step counts, booleans)
there is no margin to measure, only whether it holds. Each notebook runs
under perturbations that must NOT change any verdict:

  baseline   as stored
  seeds+1    every literal seed one higher (`SEED = 0`, `default_rng(0)`,
             `seed=2`, ...), by source replacement as in calibrate_06.py;
             a fixed data set's `DATA_SEED` (04's sparse toy) is not moved
  seeds+2    and two higher
  old-x86    NumPy without AVX-512 kernels (an older x86 CPU)

(Lectures 01-04 do not use torch, so there is no thread-count run.) It
prints, per claim, the value per run, the spread of its error (measured minus
expected, which for a fixed expected value is the value's spread), the margin
(the slack left inside the tolerance) and their ratio
(at least 3 by the house rule), and lists the claims under 3x and the claims
that fail somewhere. tests/test_calibration_lectures.py checks that the seed
perturbations still apply to the stored notebooks.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils.claims import tolerance_slack  # noqa: E402

NOTEBOOKS = {"01": "01_ravine.ipynb", "02": "02_momentum_nesterov.ipynb",
             "03": "03_saddles.ipynb", "04": "04_adaptive.ipynb"}

# calibrate_06's old-x86 environment, reused (it is a script, not a package)
_spec = importlib.util.spec_from_file_location("calibrate_06", ROOT / "benchmarks" / "calibrate_06.py")
calibrate_06 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calibrate_06)

# Literal seeds in a code cell: `SEED = 0`, `default_rng(1)`, `seed=2`, `seed=batch_size`.
SEED_PATTERNS = [r"(?m)^(SEED = )(\d+)", r"(default_rng\()(\d+)(?=\))", r"(seed=)(\d+)\b",
                 r"(seed=)(batch_size)\b"]


def shift_seeds(source: str, by: int) -> tuple[str, int]:
    """source with every literal seed moved by `by`; and how many were moved."""
    count = 0
    for pattern in SEED_PATTERNS:
        def moved(match):
            seed = match.group(2)
            return match.group(1) + (str(int(seed) + by) if seed.isdigit() else f"{seed} + {by}")
        source, n = re.subn(pattern, moved, source)
        count += n
    return source, count


# name -> (seed shift, extra environment)
PERTURBATIONS = {
    "baseline": (0, {}),
    "seeds+1": (1, {}),
    "seeds+2": (2, {}),
    "old-x86": (0, calibrate_06.OLD_X86),
}


def load(key: str):
    return nbformat.read(ROOT / "notebooks" / NOTEBOOKS[key], as_version=4)


def instrumented(nb, seed_shift: int, record: Path):
    """A copy of nb with its seeds shifted, recording every claim and never stopping on one."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    shifted = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and seed_shift:
            cell.source, n = shift_seeds(cell.source, seed_shift)
            shifted += n
    if seed_shift and not shifted:
        raise ValueError("no seed to shift in this notebook")
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    hook = "from course_utils import claims\nclaims.RAISE_ON_FAILURE = False"
    dump = f"import json  # calibration: record\njson.dump({{'claims': claims.RECORD}}, open({str(record)!r}, 'w'))"
    nb.cells.insert(first_code + 1, nbformat.v4.new_code_cell(hook, id="calibration-hook"))
    nb.cells.append(nbformat.v4.new_code_cell(dump, id="calibration-record"))
    return nb


def execute(nb, env_extra: dict, record: Path) -> dict:
    """calibrate_06's executor, but a cell that raises (a claim that can no longer
    even be computed under a perturbation) is recorded, not fatal."""
    result = calibrate_06.execute(nb, env_extra, record, allow_errors=True)  # runs in notebooks/, as 01-04 need
    result["errors"] = [c.get("id") for c in nb.cells if c.cell_type == "code"
                        and any(o.output_type == "error" for o in c.outputs)]
    return result


def error_margins(found: dict) -> dict:
    """Spread, margin and ratio of one approximate claim over its runs, element by element.

    The spread is that of the error, measured - expected: where the expected value is itself
    computed (a closed form of the sampled data), it is their difference that must stay inside
    the tolerance. Each element is compared with its own tolerance, so a claim about a large
    and a small number is not judged by the large one's spread against the small one's slack.
    """
    ratios, spreads, margins = [], [], []
    rel, abs_ = (next(iter(found.values())).get(key, 0.0) for key in ("rel", "abs"))
    for k in range(len(next(iter(found.values()))["measured"])):
        measured = np.array([e["measured"][k] for e in found.values()])
        expected = np.array([e["expected"][k] for e in found.values()])
        slack = tolerance_slack(measured, expected, rel, abs_).min()
        spread = np.ptp(measured - expected)
        spreads.append(spread)
        margins.append(slack)
        ratios.append(slack / spread if spread > 0 else float("inf"))
    return dict(spread=max(spreads), margin=min(margins), ratio=min(ratios))


def report(runs: dict) -> list[dict]:
    """One row per claim (matched by statement): values per run, spread, margin, ratio."""
    rows = []
    for first, found in calibrate_06.matched_claims(runs):
        failing = [n for n in runs if n not in found or not found[n]["holds"]]  # missing: its cell raised
        row = dict(statement=first["statement"], holds_everywhere=not failing, failing_in=failing)
        measured = {n: e.get("measured") for n, e in found.items()}
        if all(m is not None for m in measured.values()):
            row["values"] = measured
            row.update(error_margins(found))
        rows.append(row)
    return rows


def print_report(key: str, rows: list[dict]) -> None:
    print(f"\nclaims of {NOTEBOOKS[key]}")
    for row in rows:
        verdict = "holds" if row["holds_everywhere"] else f"FAILS in {', '.join(row['failing_in'])}"
        if "spread" in row:
            values = "; ".join(f"{n} {', '.join(f'{v:.4g}' for v in vs)}" for n, vs in row["values"].items())
            flag = "" if row["ratio"] >= 3 else "   <-- margin under 3x spread"
            print(f"- {row['statement'][:90]}  [{verdict}]\n    values {values}\n"
                  f"    spread {row['spread']:.3g}, margin {row['margin']:.3g}, ratio {row['ratio']:.3g}{flag}")
        else:
            print(f"- {row['statement'][:90]}  [{verdict}] (exact)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", default=",".join(NOTEBOOKS), help="comma-separated, from 01,02,03,04")
    parser.add_argument("--runs", default=",".join(PERTURBATIONS), help=f"from {', '.join(PERTURBATIONS)}")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "calibrate_lectures.json"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result, bad = {}, []
    for key in args.notebooks.split(","):
        runs = {}
        for name in args.runs.split(","):
            seed_shift, env = PERTURBATIONS[name]
            record = out.parent / f"calibrate-{key}-{name}.json"
            start = time.perf_counter()
            runs[name] = execute(instrumented(load(key), seed_shift, record), env, record)
            errors = f", cells that raised: {', '.join(runs[name]['errors'])}" if runs[name]["errors"] else ""
            print(f"{key} {name}: {time.perf_counter() - start:.0f} s{errors}", flush=True)
        rows = report(runs)
        print_report(key, rows)
        result[key] = dict(runs=runs, claims=rows)
        bad += [(key, r["statement"]) for r in rows if not r["holds_everywhere"] or r.get("ratio", 9) < 3]
    out.write_text(json.dumps(result, indent=1))
    print(f"\n{len(bad)} claims fail somewhere or have a margin under 3x their spread:")
    for key, statement in bad:
        print(f"  {key}: {statement[:100]}")
    print(f"Written to {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
