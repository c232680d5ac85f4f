"""Exercise authoring and grading: solutions -> exercises, drift check, grade.

    python -m course_utils.authoring build            # run solutions, write exercises/
    python -m course_utils.authoring check            # exit 1 if exercises/ is stale
    python -m course_utils.authoring grade [NB ...]   # grade student notebooks

solutions/NN_topic.ipynb is the single source. An exercise cell holds the answer
between `### BEGIN SOLUTION` and `### END SOLUTION`; a check cell has an id
starting with "check-", the tag `nbval-check-output` and calls a function from
course_utils.checks, which prints one fixed PASS line. `build` executes each
solution (so the stored PASS lines are real), normalises it, and writes the
student version: solution regions become `# YOUR CODE HERE` +
`raise NotImplementedError()` and every code cell, check cells included, is
cleared (no outputs, no execution counts), so the notebook looks unstarted.
The output is deterministic (sorted JSON, nbformat 4.5, fixed kernel
metadata), so `check` can compare bytes.

`grade` is course_utils/grader.py: the student's kernel only runs the
student's functions on inputs drawn for each grading run, and the grader
compares the results with the references in its own process.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, which
# builds a parser for 2 s of CPU; notebooks never need its "iri" format check.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

from course_utils import grader, notebook_metadata  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"
CHECK_PREFIX = "check-"
CHECK_TAG = "nbval-check-output"
DEFAULT_TIMEOUT = grader.DEFAULT_TIMEOUT

#: Cell metadata that survives normalisation (everything else is editor state).
CELL_METADATA = ("tags", "editable", "deletable")


class AuthoringError(Exception):
    """A solution notebook breaks the conventions above."""


# --------------------------------------------------------------------------
# Notebook structure


def is_check_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and str(cell.get("id", "")).startswith(CHECK_PREFIX)


def exercise_name(check_id: str) -> str:
    """'check-adam-step' -> 'adam_step' (the function the student writes)."""
    return check_id[len(CHECK_PREFIX):].replace("-", "_")


def strip_solution(source: str, stub=STUB) -> str:
    """Replace each BEGIN/END SOLUTION region by the stub, keeping its indentation."""
    if BEGIN not in source and END not in source:
        return source
    out, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise AuthoringError(f"nested {BEGIN}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub)
        elif marker == END:
            if not inside:
                raise AuthoringError(f"{END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise AuthoringError(f"{BEGIN} without {END}")
    return "\n".join(out)


def _normalise_output(output):
    kind = output["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=output["name"], text=output["text"])
    if kind == "error":
        return nbformat.v4.new_output("error", ename=output["ename"], evalue=output["evalue"],
                                      traceback=list(output["traceback"]))
    if kind == "execute_result":
        return nbformat.v4.new_output("execute_result", data=output.get("data", {}),
                                      metadata=output.get("metadata", {}),
                                      execution_count=output.get("execution_count"))
    return nbformat.v4.new_output(kind, data=output.get("data", {}),
                                  metadata=output.get("metadata", {}))


def normalise(nb):
    """A copy with stable metadata: nbformat 4.5, fixed kernel, no editor state."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    # What JupyterLab writes on opening, so a student's copy opens unchanged.
    nb.metadata = nbformat.from_dict({"kernelspec": notebook_metadata.kernelspec(),
                                      "language_info": notebook_metadata.language_info()})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict(
            {k: cell.metadata[k] for k in CELL_METADATA if k in cell.metadata})
        if cell.cell_type == "code":
            cell.outputs = [_normalise_output(o) for o in cell.outputs]
    return nb


def dumps(nb) -> str:
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def read(path) -> "nbformat.NotebookNode":
    return nbformat.read(str(path), as_version=4)


def validate_solution(nb, name: str, executed: bool = True):
    """Raise AuthoringError unless the solution notebook follows the conventions."""
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise AuthoringError(f"{name}: invalid notebook: {error.message}") from None
    ids = [cell.get("id") for cell in nb.cells]
    if len(set(ids)) != len(ids):
        raise AuthoringError(f"{name}: duplicate cell ids")
    checks = [cell for cell in nb.cells if is_check_cell(cell)]
    if not checks:
        raise AuthoringError(f"{name}: no check cells (code cells with an id 'check-...')")
    for cell in checks:
        if CHECK_TAG not in cell.metadata.get("tags", []):
            raise AuthoringError(f"{name}: check cell {cell.id} lacks the tag {CHECK_TAG}")
        if BEGIN in cell.source:
            raise AuthoringError(f"{name}: check cell {cell.id} holds a solution region")
        if executed:
            texts = [o.get("text", "") for o in cell.outputs]
            if not (len(cell.outputs) == 1 and cell.outputs[0].output_type == "stream"
                    and texts[0].startswith("PASS:") and texts[0].count("\n") == 1):
                raise AuthoringError(f"{name}: check cell {cell.id} has no single PASS line "
                                     "as its output; run `build` (the solution must pass)")
            if cell.execution_count is None:
                raise AuthoringError(f"{name}: check cell {cell.id} was not executed")
    for cell in nb.cells:
        strip_solution(cell.source)  # raises on unbalanced markers


def make_exercise(solution):
    """The student notebook for a normalised, executed solution notebook."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = strip_solution(cell.source, (MARKDOWN_STUB,))
            continue
        if cell.cell_type != "code":
            continue
        cell.source = strip_solution(cell.source)
        cell.outputs = []
        cell.execution_count = None
    return nb


# --------------------------------------------------------------------------
# build / check


def execute(nb, cwd: Path, timeout: int = 600):
    """Run a notebook top to bottom in a fresh kernel of this environment."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    os.environ.setdefault("MPLBACKEND", "Agg")  # the kernel inherits it
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def _solution_paths(solutions: Path):
    paths = sorted(solutions.glob("*.ipynb"))
    if not paths:
        raise AuthoringError(f"no notebooks in {solutions}")
    return paths


def build(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES, run: bool = True,
          log=print) -> int:
    """Execute (unless run=False) and normalise the solutions, then write exercises/."""
    exercises.mkdir(parents=True, exist_ok=True)
    names = set()
    for path in _solution_paths(solutions):
        nb = read(path)
        if run:
            log(f"running {path.name} ...")
            try:
                nb = execute(nb, path.parent)
            except Exception as error:  # CellExecutionError, DeadKernelError, timeouts
                raise AuthoringError(f"{path.name} failed to run: {error}") from None
        nb = normalise(nb)
        validate_solution(nb, path.name)
        _write_if_changed(path, dumps(nb), log)
        _write_if_changed(exercises / path.name, dumps(make_exercise(nb)), log)
        names.add(path.name)
    for stale in sorted(exercises.glob("*.ipynb")):
        if stale.name not in names:
            stale.unlink()
            log(f"removed {stale} (no solution notebook)")
    return 0


def _write_if_changed(path: Path, text: str, log):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
        log(f"wrote {path}")


def check(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES, run: bool = False,
          log=print) -> int:
    """Exit status 1 if `build` would change any file (run=True also re-executes)."""
    problems = []
    names = set()
    for path in _solution_paths(solutions):
        names.add(path.name)
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        norm = normalise(nb)
        if dumps(norm) != text:
            problems.append(f"{path.name}: solution is not normalised (run `make exercises`)")
        try:
            validate_solution(norm, path.name)
        except AuthoringError as error:
            problems.append(str(error))
            continue
        if run:
            fresh = normalise(execute(nb, path.parent))
            if [c.outputs for c in fresh.cells if is_check_cell(c)] != \
                    [c.outputs for c in norm.cells if is_check_cell(c)]:
                problems.append(f"{path.name}: the stored check outputs are not what the "
                                "solution prints now (run `make exercises`)")
        target = exercises / path.name
        if not target.exists():
            problems.append(f"{target.name}: missing in {exercises} (run `make exercises`)")
        elif target.read_text(encoding="utf-8") != dumps(make_exercise(norm)):
            problems.append(f"{target.name}: differs from what the solution generates "
                            "(run `make exercises`; never edit exercises/ by hand)")
    for extra in sorted(exercises.glob("*.ipynb")):
        if extra.name not in names:
            problems.append(f"{extra.name}: exercise without a solution notebook")
    for problem in problems:
        log(problem)
    if not problems:
        log(f"exercises up to date ({len(names)} notebooks)")
    return 1 if problems else 0


# --------------------------------------------------------------------------
# command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="run the solutions and regenerate exercises/")
    p_build.add_argument("--no-execute", action="store_true",
                         help="use the outputs stored in solutions/ instead of running them")
    p_check = sub.add_parser("check", help="exit 1 if exercises/ is out of date")
    p_check.add_argument("--execute", action="store_true",
                         help="also re-run the solutions and compare their check outputs")
    for p in (p_build, p_check):
        p.add_argument("--solutions", type=Path, default=SOLUTIONS)
        p.add_argument("--exercises", type=Path, default=EXERCISES)
    p_grade = sub.add_parser("grade", help="grade notebooks (default: all of exercises/)")
    p_grade.add_argument("notebooks", nargs="*", type=Path,
                         help="notebooks (a bare name is looked up in exercises/), or with "
                              "--gradebook one folder of submissions, a subfolder per student")
    p_grade.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                         help=f"seconds per cell (default {DEFAULT_TIMEOUT})")
    p_grade.add_argument("--gradebook", type=Path,
                         help="write gradebook.csv, gradebook.json and feedback/ here")
    p_grade.add_argument("--junitxml", type=Path, help="also save pytest's JUnit XML here")
    p_grade.add_argument("--json", type=Path, help="also save the results as JSON here")
    p_grade.add_argument("--seed", type=int, help="the inputs' seed (default: a fresh one)")
    p_grade.add_argument("--verbose", action="store_true", help="show pytest's output")
    p_grade.add_argument("--no-scan", action="store_true",
                         help="for testing the grader: judge the results only, without "
                              "reading the code first")
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            return build(args.solutions, args.exercises, run=not args.no_execute)
        if args.command == "check":
            return check(args.solutions, args.exercises, run=args.execute)
    except AuthoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    students = None
    folder = args.notebooks[0] if len(args.notebooks) == 1 and args.notebooks[0].is_dir() \
        else None
    if args.gradebook is not None and folder is None:
        parser.error("--gradebook needs one folder of submissions (a subfolder per student)")
    if folder is not None:  # a subfolder per student, or one student's notebooks
        students = grader.submissions(folder) or [("", sorted(folder.glob("*.ipynb")))]
        count = sum(len(paths) for _, paths in students)
    else:
        count = len(args.notebooks) or len(list(EXERCISES.glob("*.ipynb")))
    print(f"Grading {count} notebook{'s' * (count != 1)} "
          f"(cell timeout {args.timeout} s) ...\n", flush=True)
    report = grader.grade(args.notebooks, args.timeout, args.junitxml, args.verbose,
                          args.seed, students, scan=not args.no_scan)
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=1) + "\n")
    if args.gradebook is not None:
        grader.write_gradebook(report, args.gradebook)
        print(f"\nGradebook and feedback written to {args.gradebook}")
    return 0 if report.all_passed else 1


format_report = grader.format_report

if __name__ == "__main__":
    sys.exit(main())
