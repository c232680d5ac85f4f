"""Calibrate the checked claims of notebook 06: value, spread and margin of each.

    python benchmarks/calibrate_06.py [--runs baseline,seeds-345,...] [--mutations] [--out FILE]

Every claim in notebooks/06_mnist.ipynb is a bound on a measured number
(`claims.claim_bound`) or an exact fact (`claims.claim`). This script runs
the notebook several times, each time under one perturbation that must NOT
change any verdict:

  baseline     as stored (seeds 0, 1, 2; torch's default thread count)
  seeds-345    other seeds: other initial weights and batch orders
  seeds-678    and a third set
  threads-1    torch.set_num_threads(1)
  threads-2    torch.set_num_threads(2) (the same as baseline where torch's
               default is 2, as on the course's 2-core machines)
  nudge        every initial weight moved by one ulp (torch.nextafter)
  old-x86      NumPy without AVX-512 kernels, ATEN_CPU_CAPABILITY=avx2,
               MKL_ENABLE_INSTRUCTIONS=AVX2 (an older x86 CPU)

and prints, for each claim, its value under every perturbation, the spread
(largest minus smallest value), the margin (the smallest distance to the
claim's bound over all runs) and their ratio, which must be at least 3.

With --mutations it then runs, for every mutation below, the notebook up to
the last cell the mutation targets with the mutation applied (a source
substitution in one cell: no momentum, no zero_grad, Adam + L2 in place of
AdamW, a constant lr in place of the schedule, ...), and checks that every
claim the mutation targets fails. tests/test_calibration.py checks that each
mutation still applies to the stored notebook, so the list cannot rot.

Each notebook run takes a few minutes on 2 cores; the whole calibration
about half an hour. Results go to --out (JSON) as well as to the screen.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_mnist.ipynb"
SETUP_CELL = "l06-01"
OLD_X86 = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
           "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}

NUDGE = """
_make_mlp = training.make_mlp
def _nudged_mlp(seed=0, sizes=(784, 256, 128, 10)):
    net = _make_mlp(seed, sizes)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.nextafter(p, torch.full_like(p, float("inf"))))
    return net
training.make_mlp = _nudged_mlp
"""

# name -> (replacements in the setup cell, code run after it, extra environment)
PERTURBATIONS = {
    "baseline": ({}, "", {}),
    "seeds-345": ({"SEEDS = (0, 1, 2)": "SEEDS = (3, 4, 5)"}, "", {}),
    "seeds-678": ({"SEEDS = (0, 1, 2)": "SEEDS = (6, 7, 8)"}, "", {}),
    "threads-1": ({}, "torch.set_num_threads(1)", {}),
    "threads-2": ({}, "torch.set_num_threads(2)", {}),
    "nudge": ({}, NUDGE, {}),
    "old-x86": ({}, "", OLD_X86),
}

# Each mutation: a realistic regression, the cell it edits, the text it
# replaces and the replacement, and the claims (statement prefixes) it must break.
MUTATIONS = [
    ("normalisation skipped (pixels / 255 only)", "l06-03",
     "mnist = training.prepare_data(data.load_mnist())\n",
     "mnist = training.prepare_data(data.load_mnist())\nmnist = training.TensorData("
     "mnist.x_train * training.MNIST_STD + training.MNIST_MEAN, mnist.y_train, mnist.x_test, mnist.y_test)\n",
     ["after normalisation the training pixels have mean 0", "and standard deviation 1"]),
    ("the stack compared with the wrong seed's network", "l06-06",
     "training.make_mlp(s)(x)", "training.make_mlp(s + 1)(x)",
     ["and the stack's outputs equal each network's own"]),
    ("no momentum in the classic comparison", "l06-08",
     "lr=0.01, momentum=0.9)", "lr=0.01)",
     ["in every seed, momentum is more than 3 points", "and its training loss is less than half"]),
    ("the tenfold lr not applied", "l06-11",
     "partial(torch.optim.SGD, lr=0.1)", "partial(torch.optim.SGD, lr=0.01)",
     ["plain SGD at lr 0.1 ends within half a point", "and closes more than 80%"]),
    # (Dropping 0.3 alone did NOT break it once SGD's choice moved to 0.3: 0.1 was
    # then the choice, between 0.03 and 1.0. A grid starting at 0.3 breaks it
    # whether the best is 0.1 or 0.3, and keeps lr 1.0 for the next claim.)
    ("a grid too narrow for SGD: only 0.3 and 1.0", "l06-13a",
     "[0.01, 0.03, 0.1, 0.3, 1.0]", "[0.3, 1.0]",
     ["for every optimizer the chosen lr is inside its grid"]),
    ("gradient clipping left on in the sweep", "l06-13",
     "validation, epochs=1, seeds=SEEDS,", "validation, epochs=1, seeds=SEEDS, clip_grad_norm=0.5,",
     ["plain SGD at lr 1.0 diverges from at least one seed", "in every seed SGD+momentum at lr 0.3 diverges"]),
    ("initial weights ten times too large", "l06-16",
     "fair = training.compare(",
     "training.make_mlp = lambda s, sizes=(784, 256, 128, 10), f=training.make_mlp: f(s, sizes).apply("
     "lambda m: m.weight.data.mul_(10) if isinstance(m, torch.nn.Linear) else None)\nfair = training.compare(",
     ["the first loss is close to ln 10"]),
    # (The others at a tenth of their lr did NOT break it: Adagrad and RMSprop stay
    # within 0.8 points (the bound then) of Adam one grid step below their choice.)
    ("a sweep that tuned Adam alone: the others at a thirtieth of their lr", "l06-16",
     "{name: partial(make, lr=best_lr[name]) for name, (make, _) in families.items()}",
     "{name: partial(make, lr=best_lr[name] if name == 'Adam' else best_lr[name] / 30) "
     "for name, (make, _) in families.items()}",
     ["and no optimizer leads"]),
    ("a constant lr in place of every schedule", "l06-21",
     '"scheduler": ', '"scheduler": None and ',
     ["for AdamW, on average over its two schedules and the seeds", "with a schedule, the best mean passes"]),
    # (beta1 = 0 in the fixed-beta1 run did NOT break it: under OneCycle on these two
    # epochs, Adam's beta1 hardly matters. A control run that lost its schedule does.)
    ("the fixed-beta1 control run without its schedule", "l06-21",
     '"scheduler": one_cycle(best_lr["AdamW"], cycle_momentum=False)',
     '"scheduler": None',
     ["cycling beta1 in OneCycle changes AdamW's mean accuracy by less than 0.3"]),
    ("no zero_grad in the written-out loop", "l06-26",
     "        if clear_gradients:\n", "        if False:\n",
     ["with zero_grad, the written-out loop reproduces"]),
    ("zero_grad in the 'without' run too", "l06-26",
     "first_steps(momentum_001, 300, clear_gradients=False)", "first_steps(momentum_001, 300, clear_gradients=True)",
     ["without zero_grad, in every seed the last 20 losses", "and no network is much better than guessing"]),
    ("Adam + L2 in place of AdamW", "l06-29",
     '"AdamW": torch.optim.AdamW}', '"AdamW": torch.optim.Adam}',
     ["at the same lambda = 0.1, Adam + L2's validation loss", "AdamW tolerates a decay at least 100"]),
    ("AdamW's grid at a tenth of the lr", "l06-29",
     "partial(methods[method], lr=lr, weight_decay=wd)",
     "partial(methods[method], lr=lr / (10 if method == 'AdamW' else 1), weight_decay=wd)",
     ["tuned separately, the two best validation losses differ"]),
    ("AdamW in place of Adam + L2 for the kept networks", "l06-31b",
     "partial(methods[name], lr=1e-3, weight_decay=0.1)", "partial(torch.optim.AdamW, lr=1e-3, weight_decay=0.1)",
     ["Adam + L2 drives more than 10% of the first-layer weights"]),
    ("Adam + L2 in place of AdamW for the kept networks", "l06-31b",
     "partial(methods[name], lr=1e-3, weight_decay=0.1)", "partial(torch.optim.Adam, lr=1e-3, weight_decay=0.1)",
     ["AdamW fewer than 5%"]),
    ("a tamer lr in the unclipped run", "l06-32",
     '"SGD (lr 1.0)": partial(torch.optim.SGD, lr=1.0)', '"SGD (lr 1.0)": partial(torch.optim.SGD, lr=0.1)',
     ["without clipping, at least one seed's run diverges"]),
    ("clipping switched off", "l06-32",
     '"clip_grad_norm": 1.0}', '"clip_grad_norm": None}',
     ["with clipping, every seed trains to more than 80%"]),
    ("the lr not scaled with the batch", "l06-35",
     "partial(torch.optim.SGD, lr=0.02, momentum=0.9)", "partial(torch.optim.SGD, lr=0.01, momentum=0.9)",
     ["batch 256 at lr 0.02 ends within 20%"]),
    ("the batch not doubled", "l06-35",
     '"batch_size": 256},\n    "SGD+momentum, batch 256, lr 0.02"', '"batch_size": 128},\n    "SGD+momentum, batch 256, lr 0.02"',
     ["batch 256 at the same lr falls behind", "in test accuracy the unscaled run is more than 0.5"]),
    ("a hundred times smaller lr for the one-batch check", "l06-38",
     "partial(torch.optim.Adam, lr=1e-3)", "partial(torch.optim.Adam, lr=1e-5)",
     ["Adam at its default lr memorises one batch"]),
]


# Cells of sections 3 and 4 (sweep, fair runs, schedules, the run viewer), which a
# mutation in sections 5-7 does not need to run.
LAST_FAIR_COMPARISON_CELL = "l06-24"
SWEEP_AND_SCHEDULE_CELLS = {"l06-13", "l06-14", "l06-14b", "l06-16", "l06-17", "l06-17b", "l06-19",
                            "l06-21", "l06-22", "l06-22b", "l06-24"}


def load(path: Path | None = None):
    return nbformat.read(path or NOTEBOOK, as_version=4)


def cell_by_id(nb, cell_id: str):
    matches = [c for c in nb.cells if c.get("id") == cell_id]
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} cells with id {cell_id!r}")
    return matches[0]


def apply_mutation(nb, cell_id: str, old: str, new: str):
    """A copy of nb with every `old` replaced by `new` in one cell (at least one must be there)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = cell_by_id(nb, cell_id)
    if old not in cell.source:
        raise ValueError(f"mutation text not in cell {cell_id}: {old!r}")
    cell.source = cell.source.replace(old, new)
    return nb


def instrumented(nb, replacements: dict, after_setup: str, stop_after: str | None, record: Path):
    """nb prepared for a calibration run: perturbed, recording, never stopping on a claim."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    setup = cell_by_id(nb, SETUP_CELL)
    for old, new in replacements.items():
        if old not in setup.source:
            raise ValueError(f"perturbation text {old!r} not in the setup cell")
        setup.source = setup.source.replace(old, new)
    index = nb.cells.index(setup)
    hook = "from course_utils import claims\nclaims.RAISE_ON_FAILURE = False\n" + after_setup
    cells = nb.cells[:index + 1] + [nbformat.v4.new_code_cell(hook, id="calibration-hook")]
    for cell in nb.cells[index + 1:]:
        cells.append(cell)
        if stop_after is not None and cell.get("id") == stop_after:
            break
    dump = (f"import json  # calibration: record\njson.dump({{'claims': claims.RECORD, "
            f"'best_lr': {{k: float(v) for k, v in globals().get('best_lr', {{}}).items()}}}}, "
            f"open({str(record)!r}, 'w'))")
    cells.append(nbformat.v4.new_code_cell(dump, id="calibration-record"))
    nb.cells = cells
    return nb


def without_instrumentation(nb):
    """The executed notebook as a reader gets it: the added cells removed, counts renumbered."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells = [c for c in nb.cells if not c.get("id", "").startswith("calibration-")]
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    return nb


def execute(nb, env_extra: dict, record: Path, timeout: int = 1800, save_to: Path | None = None,
            allow_errors: bool = False) -> dict:
    """Run nb in notebooks/ with env_extra set; returns what its last cell recorded.

    allow_errors: a cell that raises is kept in nb's outputs instead of stopping the run
    (calibrate_lectures.py reports such cells as failing claims)."""
    saved = {k: os.environ.get(k) for k in env_extra}
    os.environ.update(env_extra)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if save_to is not None:
        nbformat.write(without_instrumentation(nb), save_to)
    return json.loads(record.read_text())


def matched_claims(runs: dict):
    """For each claim of the first run: (its record, run name -> that run's record of it).

    Matched by statement, not position: a run of an older draft, or one whose cell
    raised, may lack a claim or have another."""
    by_statement = {n: {c["statement"]: c for c in run["claims"]} for n, run in runs.items()}
    for first in next(iter(runs.values()))["claims"]:
        yield first, {n: claims[first["statement"]] for n, claims in by_statement.items()
                      if first["statement"] in claims}


def report(runs: dict) -> list[dict]:
    """One row per claim: values per run, spread, margin, ratio, verdict everywhere."""
    rows = []
    for first, found in matched_claims(runs):
        entries = list(found.values())
        values = [e["value"] for e in entries]
        row = dict(statement=first["statement"], above=first["above"], below=first["below"],
                   holds_everywhere=all(e["holds"] for e in entries), values=dict(zip(found, values)))
        if first["value"] is not None:
            row["spread"] = max(values) - min(values)
            row["margin"] = min(e["margin"] for e in entries)
            row["ratio"] = row["margin"] / row["spread"] if row["spread"] > 0 else float("inf")
        rows.append(row)
    return rows


def print_report(rows: list[dict], runs: dict) -> None:
    print(f"\nclaims of {NOTEBOOK.name} over {len(runs)} runs: {', '.join(runs)}")
    for row in rows:
        verdict = "holds" if row["holds_everywhere"] else "FAILS SOMEWHERE"
        print(f"\n- {row['statement']}  [{verdict}]")
        if "spread" in row:
            bound = " and ".join(b for b in [f"> {row['above']:g}" if row["above"] is not None else "",
                                             f"< {row['below']:g}" if row["below"] is not None else ""] if b)
            values = ", ".join(f"{n} {v:.4g}" for n, v in row["values"].items())
            flag = "" if row["ratio"] >= 3 else "   <-- margin under 3x spread"
            print(f"  bound {bound}; values {values}")
            print(f"  spread {row['spread']:.4g}, margin {row['margin']:.4g}, ratio {row['ratio']:.1f}{flag}")
        else:
            print("  exact claim (no margin)")
    chosen = {n: r.get("best_lr", {}) for n, r in runs.items()}
    print("\nchosen learning rates per run:")
    for n, lrs in chosen.items():
        print(f"  {n:<10} " + ", ".join(f"{k} {v:g}" for k, v in lrs.items()))


def run_mutations(workdir: Path, part: int = 0, parts: int = 1, only: list[int] | None = None) -> list[dict]:
    results = []
    nb = load()
    chosen = [MUTATIONS[i] for i in only] if only else MUTATIONS[part::parts]
    for name, cell_id, old, new, targets in chosen:
        mutated = apply_mutation(nb, cell_id, old, new)
        ids = [c.get("id") for c in mutated.cells]
        if ids.index(cell_id) > ids.index(LAST_FAIR_COMPARISON_CELL):
            # Sections 5-7 do not use the sweep, the fair runs or the schedules: skip them.
            mutated.cells = [c for c in mutated.cells if c.get("id") not in SWEEP_AND_SCHEDULE_CELLS]
        last_target = max((i for i, c in enumerate(mutated.cells)
                           if any(t in c.source for t in targets)), default=None)
        stop_after = mutated.cells[last_target].get("id")
        record = workdir / f"mutation-{part}-{len(results)}.json"
        start = time.perf_counter()
        claims = execute(instrumented(mutated, {}, "", stop_after, record), {}, record)["claims"]
        broken = {t: any(c["statement"].startswith(t) and not c["holds"] for c in claims) for t in targets}
        values = {t: next((c["value"] for c in claims if c["statement"].startswith(t)), None) for t in targets}
        results.append(dict(mutation=name, cell=cell_id, broken=broken, values=values,
                            all_broken=all(broken.values()), seconds=round(time.perf_counter() - start, 1)))
        print(f"{'ok  ' if all(broken.values()) else 'MISS'} {name} ({cell_id}): "
              + "; ".join(f"{'breaks' if b else 'KEEPS'} '{t}' (value {values[t]!r})"
                          for t, b in broken.items()), flush=True)
    return results


def main(argv=None) -> int:
    global NOTEBOOK
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default=",".join(PERTURBATIONS),
                        help=f"comma-separated, from {', '.join(PERTURBATIONS)}")
    parser.add_argument("--mutations", action="store_true", help="also run every mutation")
    parser.add_argument("--only-mutations", action="store_true")
    parser.add_argument("--part", default="1/1", help="run every n-th mutation only, from the k-th: k/n")
    parser.add_argument("--only", default="", help="comma-separated mutation numbers (0-based) to run")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "calibrate_06.json"))
    parser.add_argument("--notebook", default=str(NOTEBOOK), help="the notebook to calibrate")
    parser.add_argument("--save-baseline", metavar="PATH",
                        help="write the executed baseline run there, as a reader gets it")
    parser.add_argument("--merge", nargs="+", metavar="FILE",
                        help="only report: combine the runs and mutations stored in these result files")
    args = parser.parse_args(argv)
    NOTEBOOK = Path(args.notebook).resolve()
    if args.merge:
        parts = [json.loads(Path(f).read_text()) for f in args.merge]
        runs = {n: r for part in parts for n, r in part.get("runs", {}).items()}
        mutations = [m for part in parts for m in part.get("mutations", [])]
        rows = report(runs)
        print_report(rows, runs)
        for m in mutations:
            print(f"{'ok  ' if m['all_broken'] else 'MISS'} {m['mutation']} ({m['cell']}, {m['seconds']} s): "
                  + "; ".join(f"{'breaks' if b else 'KEEPS'} '{t}'" for t, b in m["broken"].items()))
        Path(args.out).write_text(json.dumps(dict(runs=runs, claims=rows, mutations=mutations), indent=1))
        bad = [r for r in rows if not r["holds_everywhere"] or r.get("ratio", 9) < 3]
        print(f"\n{len(bad)} claims fail somewhere or have a margin under 3x their spread; "
              f"{sum(not m['all_broken'] for m in mutations)} of {len(mutations)} mutations missed a claim.")
        return 1 if bad or any(not m["all_broken"] for m in mutations) else 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = out.parent
    result = json.loads(out.read_text()) if out.exists() else {}
    if not args.only_mutations:
        runs = {}
        for name in args.runs.split(","):
            replacements, after_setup, env = PERTURBATIONS[name]
            record = workdir / f"calibrate-{name}.json"
            start = time.perf_counter()
            save_to = Path(args.save_baseline) if name == "baseline" and args.save_baseline else None
            runs[name] = execute(instrumented(load(), replacements, after_setup, None, record), env, record,
                                 save_to=save_to)
            print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
        rows = report(runs)
        print_report(rows, runs)
        result.update(runs=runs, claims=rows)
    if args.mutations or args.only_mutations:
        k, n = (int(x) for x in args.part.split("/"))
        only = [int(i) for i in args.only.split(",")] if args.only else None
        result["mutations"] = run_mutations(workdir, k - 1, n, only)
    out.write_text(json.dumps(result, indent=1))
    bad = [r for r in result.get("claims", []) if not r["holds_everywhere"] or r.get("ratio", 9) < 3]
    missed = [m for m in result.get("mutations", []) if not m["all_broken"]]
    print(f"\n{len(bad)} claims fail somewhere or have a margin under 3x their spread; "
          f"{len(missed)} mutations missed a claim. Written to {out}")
    return 1 if bad or missed else 0


if __name__ == "__main__":
    sys.exit(main())
