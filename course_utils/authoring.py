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
`raise NotImplementedError()`, check cells keep their PASS output, every other
code cell is cleared. The output is deterministic (sorted JSON, nbformat 4.5,
fixed kernel metadata), so `check` can compare bytes.

`grade` copies the student's notebooks to a temporary folder, puts back every
check cell from the released copy by cell id (a deleted check cell is reported
as failed; the released copy is generated from solutions/, since students edit
exercises/ itself), runs them under pytest + nbval in lax mode with a
per-cell timeout, reads the JUnit XML and prints one row per exercise. This is
practice feedback, not a secure exam: the student's code runs in the same
kernel as the checks (see exercises/README.md).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"
CHECK_PREFIX = "check-"
CHECK_TAG = "nbval-check-output"
DEFAULT_TIMEOUT = 60

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
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
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
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
        if cell.cell_type != "code" or is_check_cell(cell):
            continue  # check cells keep their PASS output and execution count
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
# grade

_CONFTEST = '''\
"""Written by course_utils.authoring grade.

nbval marks every cell after a timed-out one as "expected to fail", which would
hide their results. When the timed-out cell was interrupted and the kernel is
still alive, grade the following cells normally.
"""
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    notebook = getattr(item, "parent", None)
    kernel = getattr(notebook, "kernel", None)
    if getattr(notebook, "timed_out", False) and kernel is not None and kernel.is_alive():
        notebook.timed_out = False
'''

# Colour codes; pytest's JUnit writer spells the escape character "#x1B".
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*[A-Za-z]")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)): ?(.*)$")


@dataclass
class Row:
    """One graded exercise (or one problem outside the exercises)."""

    notebook: str
    exercise: str
    passed: bool
    hint: str = ""
    note: str = ""


@dataclass
class Report:
    rows: list = field(default_factory=list)
    other: list = field(default_factory=list)  # problems in cells that are not checks

    @property
    def score(self) -> int:
        return sum(row.passed for row in self.rows)

    @property
    def all_passed(self) -> bool:
        return bool(self.rows) and all(row.passed for row in self.rows)


def _restore_checks(student, released):
    """Put back every released check cell; returns (notebook, deleted ids, edited ids)."""
    student_cells = list(student.cells)
    by_id = {}
    for index, cell in enumerate(student_cells):
        by_id.setdefault(cell.get("id"), index)
    used, deleted, edited = set(), [], []
    for cell in released.cells:
        if not is_check_cell(cell):
            continue
        index = by_id.get(cell.id)
        if index is None:  # an old frontend may have dropped the ids: match the source
            index = next((i for i, c in enumerate(student_cells)
                          if i not in used and c.get("cell_type") == "code"
                          and c.get("source") == cell.source), None)
        if index is None or index in used:
            deleted.append(cell.id)
            continue
        used.add(index)
        old = student_cells[index]
        if old.get("source") != cell.source or old.get("cell_type") != "code":
            edited.append(cell.id)
        student_cells[index] = copy.deepcopy(cell)
    taken = {c.get("id") for c in student_cells}
    for index, cell in enumerate(student_cells):
        if not cell.get("id"):  # saved by a frontend older than nbformat 4.5
            cell.id = next(f"cell-{index}-{n}" for n in range(len(student_cells) + 1)
                           if f"cell-{index}-{n}" not in taken)
    student.cells = student_cells
    student.nbformat, student.nbformat_minor = 4, 5
    return student, deleted, edited


def _failure_reason(text: str, timeout: int) -> str:
    """The one-line hint for a failed cell, from nbval's failure report."""
    text = _ANSI.sub("", text)
    if "Timeout of" in text and "exceeded" in text:
        return f"timed out after {timeout} s - look for an infinite loop"
    if "Kernel dead" in text or "Previous cell timed out" in text:
        return "not run: the kernel stopped after an earlier cell timed out"
    if "Cell outputs differ" in text:
        return ("the check printed something other than its PASS line (did you redefine "
                "`checks`, or print from inside the check?)")
    matches = [_ERROR_LINE.match(line.strip()) for line in text.splitlines()]
    matches = [m for m in matches if m]
    if not matches:
        return "the cell failed (run it in Jupyter to see the error)"
    ename, message = matches[-1].group(1), matches[-1].group(2).strip()
    if ename == "AssertionError":
        return message or "AssertionError"
    hint = f"{ename}: {message}" if message else ename
    if ename == "NameError":
        hint += " - run the cell that defines it first (and keep the function's name)"
    elif ename == "NotImplementedError":
        hint = "not implemented yet: replace `raise NotImplementedError()` with your code"
    return hint


def _read_junit(path: Path) -> dict:
    """{(notebook file name, code cell number): (status, text)} from pytest's JUnit XML."""
    results = {}
    if not path.exists():
        return results
    for case in ET.parse(path).getroot().iter("testcase"):
        match = re.match(r"Cell (\d+)$", case.get("name", ""))
        if not match:
            continue
        source = case.get("file") or case.get("classname", "")
        notebook = Path(source).name if source.endswith(".ipynb") else source
        status, text = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status, text = "failed", (child.text or child.get("message", ""))
                break
            if child.tag == "skipped":
                status, text = "skipped", child.get("message", "") + "\n" + (child.text or "")
        results[(notebook, int(match.group(1)))] = (status, text)
    return results


def _pytest_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if env.get("MNIST_DIR"):
        env["MNIST_DIR"] = str(Path(env["MNIST_DIR"]).resolve())
    return env


def released_notebook(name: str, released: Path | None = None):
    """The released exercise notebook `name`, whose check cells grading restores.

    By default it is generated from solutions/ (exactly what `build` writes to
    exercises/), because students edit exercises/ itself; `released` names a
    folder of released notebooks instead (for graders without the solutions).
    Returns None when there is no such notebook.
    """
    if released is not None:
        path = released / name
        return read(path) if path.exists() else None
    solution = SOLUTIONS / name
    if solution.exists():
        return make_exercise(normalise(read(solution)))
    path = EXERCISES / name
    return read(path) if path.exists() else None


def _released_names(released: Path | None):
    folder = released if released is not None else SOLUTIONS
    return sorted(p.name for p in folder.glob("*.ipynb"))


def grade(notebooks=None, timeout: int = DEFAULT_TIMEOUT, released: Path | None = None,
          junitxml: Path | None = None, verbose: bool = False) -> Report:
    """Grade student notebooks against the released exercises; see the module docstring."""
    paths = [Path(p) for p in notebooks] if notebooks else sorted(EXERCISES.glob("*.ipynb"))
    report = Report()
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        tmp = Path(tmp)
        to_run = {}  # file name -> (graded notebook, deleted, edited, released notebook)
        for path in paths:
            short = path.stem
            released_nb = released_notebook(path.name, released)
            if released_nb is None:
                names = ", ".join(_released_names(released))
                report.rows.append(Row(short, "(notebook)", False,
                                       f"no released exercise notebook named {path.name} "
                                       f"(expected one of: {names})"))
                continue
            try:
                student = read(path)
            except Exception as error:
                for cell in released_nb.cells:
                    if is_check_cell(cell):
                        report.rows.append(Row(short, exercise_name(cell.id), False,
                                               f"the notebook could not be read "
                                               f"({type(error).__name__})"))
                continue
            if path.name in to_run:
                report.rows.append(Row(short, "(notebook)", False,
                                       f"{path.name} was given twice; grade one copy at a time"))
                continue
            graded, deleted, edited = _restore_checks(student, released_nb)
            nbformat.write(graded, str(tmp / path.name))
            to_run[path.name] = (graded, deleted, edited, released_nb)

        results = {}
        if to_run:
            (tmp / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
            (tmp / "conftest.py").write_text(_CONFTEST, encoding="utf-8")
            xml = tmp / "junit.xml"
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                       "-c", str(tmp / "pytest.ini"), "--rootdir", str(tmp),
                       "-o", "junit_family=xunit1", "--nbval-lax", "--nbval-current-env",
                       f"--nbval-cell-timeout={timeout}", f"--junitxml={xml}", *sorted(to_run)]
            completed = subprocess.run(command, cwd=tmp, env=_pytest_env(), text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if verbose:
                print(completed.stdout)
            results = _read_junit(xml)
            if junitxml is not None and xml.exists():
                shutil.copyfile(xml, junitxml)

        for name, (graded, deleted, edited, released_nb) in to_run.items():
            short = Path(name).stem
            code_cells = [c for c in graded.cells if c.cell_type == "code"]
            check_numbers = {c.id: i for i, c in enumerate(code_cells) if is_check_cell(c)}
            released_checks = [c.id for c in released_nb.cells if is_check_cell(c)]
            for check_id in released_checks:
                exercise = exercise_name(check_id)
                if check_id in deleted:
                    report.rows.append(Row(short, exercise, False,
                                           "check cell deleted - copy it back from the "
                                           "original exercise notebook"))
                    continue
                status, text = results.get((name, check_numbers[check_id]),
                                           ("missing", ""))
                note = "check cell was edited; graded with the original" \
                    if check_id in edited else ""
                if status == "passed":
                    report.rows.append(Row(short, exercise, True, note=note))
                elif status == "missing":
                    report.rows.append(Row(short, exercise, False,
                                           "not run: the notebook could not be executed "
                                           "(grade with --verbose to see why)", note))
                else:
                    report.rows.append(Row(short, exercise, False,
                                           _failure_reason(text, timeout), note))
            for number, cell in enumerate(code_cells):
                if is_check_cell(cell) and cell.id in released_checks:
                    continue
                status, text = results.get((name, number), ("missing", ""))
                if status == "failed":
                    report.other.append(f"{short}: code cell {number + 1} "
                                        f"({cell.get('id', '?')}): "
                                        f"{_failure_reason(text, timeout)}")
    return report


def format_report(report: Report) -> str:
    rows = [("notebook", "exercise", "result", "hint")]
    for row in report.rows:
        hint = row.hint + (f" ({row.note})" if row.note else "")
        rows.append((row.notebook, row.exercise, "PASS" if row.passed else "FAIL", hint))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ----")
    if report.other:
        lines += ["", "Other cells with problems (not graded, but they may explain a failure):"]
        lines += [f"  {line}" for line in report.other]
    lines += ["", f"Score: {report.score}/{len(report.rows)} exercises passed"]
    return "\n".join(lines)


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
    p_grade.add_argument("notebooks", nargs="*", type=Path)
    p_grade.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                         help=f"seconds per cell (default {DEFAULT_TIMEOUT})")
    p_grade.add_argument("--released", type=Path, default=None,
                         help="folder with the released exercise notebooks (default: "
                              "generated from solutions/)")
    p_grade.add_argument("--junitxml", type=Path, help="also save pytest's JUnit XML here")
    p_grade.add_argument("--json", type=Path, help="also save the results as JSON here")
    p_grade.add_argument("--verbose", action="store_true", help="show pytest's output")
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            return build(args.solutions, args.exercises, run=not args.no_execute)
        if args.command == "check":
            return check(args.solutions, args.exercises, run=args.execute)
    except AuthoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    count = len(args.notebooks) or len(list(EXERCISES.glob("*.ipynb")))
    print(f"Grading {count} notebook{'s' * (count != 1)} "
          f"(cell timeout {args.timeout} s) ...\n", flush=True)
    report = grade(args.notebooks, args.timeout, args.released, args.junitxml, args.verbose)
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in report.rows],
                                         "other": report.other, "score": report.score,
                                         "total": len(report.rows)}, indent=1) + "\n")
    return 0 if report.all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
