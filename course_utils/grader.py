"""Grading exercise notebooks: the verdicts are computed here, not in the student's kernel.

    python -m course_utils.authoring grade exercises/01_ravine.ipynb
    python -m course_utils.authoring grade submissions/ --gradebook out/

For each notebook the grader

1. reads the student's code cells and scans them (course_utils/codescan.py):
   an answer that calls a library doing the exercise's work, or code that
   reaches into the checker or the kernel, is reported from the source;
2. writes a copy in a fresh working folder in which every check cell (found
   by its id) is replaced by `collect.submit(...)` with a seed drawn for this
   grading run, and every stored output is dropped;
3. runs the copies with pytest + nbval (lax mode, a per-cell timeout), from a
   private folder that holds pytest's configuration and reports: the kernels
   never learn where it is, and no verdict comes from it;
4. reads the raw results each kernel wrote, and compares them with the
   references of the checks imported into this process before any student
   code ran (`Exercise.verdict`), with the same tolerances and hints as the
   practice checks.

So nothing printed, patched or stored in the kernel can turn a wrong answer
into a PASS: the kernel only evaluates the student's functions on inputs it
cannot predict. The checks used are always this process's own package
(course_utils.checks next to this file); the report names it and its digest,
so an instructor can confirm that the instructor's copy did the grading.
What this does not withstand is listed in README.md ("Assessed work").
"""
from __future__ import annotations

import csv
import hashlib
import importlib
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # 2 s of import nbformat never needs

import nbformat  # noqa: E402

from course_utils import checks as _checks_package  # noqa: E402
from course_utils import codescan  # noqa: E402
from course_utils.checks import NOTEBOOKS, TOPICS, wire  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
CHECK_PREFIX = "check-"
DEFAULT_TIMEOUT = 60
CHECK_HEADER = "# Check your answer (don't edit this cell)"


def check_source(topic: str, name: str) -> str:
    """What a released check cell holds."""
    return f"{CHECK_HEADER}\nchecks.{topic}.{name}({name})"


def exercise_name(check_id: str) -> str:
    """'check-adam-step' -> 'adam_step' (the function the student writes)."""
    return check_id[len(CHECK_PREFIX):].replace("-", "_")


def check_id(name: str) -> str:
    return CHECK_PREFIX + name.replace("_", "-")


# --------------------------------------------------------------------------
# Results


@dataclass
class Row:
    """One graded exercise (or one problem that stopped a notebook's grading)."""

    notebook: str
    exercise: str
    passed: bool
    hint: str = ""
    note: str = ""
    points: int = 0
    max_points: int = 0
    student: str = ""


@dataclass
class Report:
    rows: list = field(default_factory=list)
    other: list = field(default_factory=list)  # problems in cells that are not checks
    checks: str = ""                            # which checks graded, with their digest
    seed: int = 0
    seconds: float = 0.0
    tampered: bool = False                      # the checks changed on disk during the run

    @property
    def score(self) -> int:
        return sum(row.points for row in self.rows)

    @property
    def total(self) -> int:
        return sum(row.max_points for row in self.rows)

    @property
    def passed(self) -> int:
        return sum(row.passed for row in self.rows)

    @property
    def all_passed(self) -> bool:
        return bool(self.rows) and all(row.passed for row in self.rows) and not self.tampered

    def as_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "other": self.other,
                "score": self.score, "total": self.total, "passed": self.passed,
                "exercises": len(self.rows), "checks": self.checks, "seed": self.seed,
                "seconds": round(self.seconds, 2)}


# --------------------------------------------------------------------------
# The trusted checks


class TrustedChecks:
    """This process's checks, imported before any student code runs (only the
    topics being graded: the NumPy ones then need no torch)."""

    def __init__(self, topics=TOPICS):
        self.exercises = {}  # topic -> {name: Exercise}
        for topic in topics:
            self.exercises[topic] = {e.name: e for e in _checks_package.exercises(topic)}
        if "mnist" in topics:
            importlib.import_module("course_utils.data")  # the MNIST checks' data loader
        self.folder = Path(_checks_package.__file__).resolve().parent
        self.digest = self.digest_on_disk()

    def digest_on_disk(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.folder.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def names(self):
        """Every public check name of the course (what a notebook may call)."""
        return [name for topic in TOPICS for name in _exercise_names(topic)]

    def describe(self) -> str:
        return f"course_utils.checks from {self.folder} (sha256 {self.digest[:16]})"


def _exercise_names(topic: str) -> list:
    """The check names of a topic, read from its source (without importing it)."""
    source = (Path(_checks_package.__file__).parent / f"{topic}.py").read_text()
    return re.findall(r"^(\w+) = (?:case_exercise|Exercise)\(", source, flags=re.M)


# --------------------------------------------------------------------------
# Preparing one notebook


@dataclass
class Plan:
    """One notebook as it will be run, and what grading it needs to know."""

    student: str
    path: Path
    stem: str
    topic: str
    cells: list                      # the student's cells
    checks: dict                     # exercise name -> index of its check cell (or None)
    edited: set
    scan: codescan.Scan
    workdir: Path = None   # where its kernel runs
    results: Path = None   # where the grader keeps what the kernel sent (private)
    graded: object = None


def resolve(path: Path) -> tuple[Path | None, str]:
    """The notebook a command-line argument names, or (None, what was tried)."""
    if path.exists():
        return path, ""
    tried = [str(path)]
    if path.parent == Path("."):
        candidates = [EXERCISES / path.name]
        if path.suffix != ".ipynb":
            candidates.append(EXERCISES / f"{path.name}.ipynb")
        for candidate in candidates:
            if candidate.exists():
                return candidate, ""
            tried.append(str(candidate))
    return None, " and ".join(dict.fromkeys(tried))


def _duplicate_ids(cells) -> list:
    seen, duplicates = set(), []
    for cell in cells:
        cell_id = cell.get("id")
        if cell_id in seen and cell_id not in duplicates:
            duplicates.append(cell_id)
        seen.add(cell_id)
    return [d for d in duplicates if d]


def _find_checks(cells, topic, names):
    """{exercise: index of its check cell}, by id, else by the released source."""
    by_id = {}
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and str(cell.get("id", "")).startswith(CHECK_PREFIX):
            by_id.setdefault(cell.get("id"), index)
    found, edited, used = {}, set(), set()
    for name in names:
        index = by_id.get(check_id(name))
        if index is None:  # a frontend older than nbformat 4.5 dropped the ids
            index = next((i for i, c in enumerate(cells) if i not in used
                          and c.get("cell_type") == "code" and not c.get("id")
                          and c.get("source") == check_source(topic, name)), None)
        found[name] = index
        if index is not None:
            used.add(index)
            if cells[index].get("source") != check_source(topic, name):
                edited.add(name)
    return found, edited


def _graded_notebook(plan: Plan, seed: int):
    """The copy that runs: outputs dropped, check cells turned into submit calls."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    check_cells = {index: name for name, index in plan.checks.items() if index is not None}
    for index, cell in enumerate(plan.cells):
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if index in check_cells:
            name = check_cells[index]
            source = ("# Graded: your function runs here; the grader judges its results.\n"
                      "import course_utils.checks.collect\n"
                      f"course_utils.checks.collect.submit({plan.topic!r}, {name!r}, {seed}, "
                      f"{_result_file(name)!r})")
        if kind == "code":
            new = nbformat.v4.new_code_cell(source)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(source)
        else:
            new = nbformat.v4.new_raw_cell(source)
        new.id = f"cell-{index}"
        nb.cells.append(new)
    return nb


def _result_file(name: str) -> str:
    return f"result-{name}.json"


# --------------------------------------------------------------------------
# Running


def _pytest_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if env.get("MNIST_DIR"):
        env["MNIST_DIR"] = str(Path(env["MNIST_DIR"]).resolve())
    return env


def _run(plans, private: Path, timeout: int, junitxml, verbose) -> dict:
    """Run the graded copies; {(notebook file, 'Cell N'): (outcome, text)}."""
    (private / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
    (private / "results").mkdir()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "nbval",
               "-p", "course_utils.grading_plugin", "--grader-status=status.jsonl",
               "--grader-results=results",
               "-c", "pytest.ini", "--rootdir", ".", "-o", "junit_family=xunit1",
               "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={timeout}",
               "--junitxml=junit.xml"]
    command += [str(plan.workdir / plan.path.name) for plan in plans]
    # Only nbval and our plugin: the other installed plugins (hypothesis, ...)
    # cost most of a second to import and are not needed here.
    env = dict(_pytest_env(), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    completed = subprocess.run(command, cwd=private, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if verbose:
        print(completed.stdout)
    if junitxml is not None and (private / "junit.xml").is_file():
        shutil.copyfile(private / "junit.xml", junitxml)
    statuses = {}
    status_file = private / "status.jsonl"
    if status_file.is_file():
        for line in status_file.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                statuses[(str(Path(record["file"]).resolve()), record["cell"])] = (
                    record["outcome"], record["text"])
            except (ValueError, KeyError, TypeError):
                continue
    return statuses


def _read_result(path: Path):
    """The kernel's record for one exercise, read without trusting the file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > wire.MAX_BYTES:
            return {"unreadable": True}
        with os.fdopen(fd, "rb") as handle:
            fd = None
            text = handle.read(wire.MAX_BYTES + 1).decode("utf-8", "replace")
        record = wire.loads(text)
        return record if isinstance(record, dict) else {"unreadable": True}
    except ValueError:
        return {"unreadable": True}
    finally:
        if fd is not None:
            os.close(fd)


# --------------------------------------------------------------------------
# Judging

_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*[A-Za-z]")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)): ?(.*)$")
_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


def failure_reason(text: str, timeout: int) -> str:
    """The one-line hint for a failed cell, from nbval's failure report."""
    text = _ANSI.sub("", text)
    if "GRADER: kernel died" in text:
        return ("the kernel died while running this cell (os._exit, a crash in compiled "
                "code, or running out of memory); the cells below were not run")
    if "Kernel dead on test start" in text:
        return "not run: the kernel died in an earlier cell"
    if "Timeout of" in text and "exceeded" in text:
        return f"timed out after {timeout} s - look for an infinite loop"
    if "Previous cell timed out" in text:
        return "not run: an earlier cell timed out and the kernel could not be interrupted"
    matches = [_ERROR_LINE.match(line.strip()) for line in text.splitlines()]
    matches = [m for m in matches if m]
    if not matches:
        return "the cell failed (run it in Jupyter to see the error)"
    ename, message = matches[-1].group(1), matches[-1].group(2).strip()
    if ename == "AssertionError":
        return message or "AssertionError"
    hint = f"{ename}: {message}" if message else ename
    if ename == "NameError" and "'checks'" in message:
        hint += (" - run the set-up cell at the top of the notebook first (it imports "
                 "`checks`), and keep its import line")
    elif ename == "NameError":
        hint += " - run the cell that defines it first (and keep the function's name)"
    elif ename == "NotImplementedError":
        hint = "not implemented yet: replace `raise NotImplementedError()` with your code"
    return hint


def _one_line(text, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _from_a_cell(origin) -> bool:
    if not isinstance(origin, dict) or origin.get("kind") != "function":
        return False
    file = str(origin.get("file", ""))
    return origin.get("module") == "__main__" and (
        "ipykernel_" in file or file.startswith("<ipython-input"))


def _below_the_check(plan: Plan, name: str, check_index: int) -> bool:
    return any(i > check_index for i in plan.scan.definitions.get(name, ()))


def _judge(plan: Plan, name: str, exercise, seed: int, statuses, timeout: int) -> Row:
    row = Row(plan.stem, name, False, points=0, max_points=exercise.points,
              student=plan.student)
    index = plan.checks[name]
    if name in plan.edited:
        row.note = "check cell was edited; graded with the original"
    if index is None:
        row.hint = "check cell deleted - copy it back from the original exercise notebook"
        return row
    if plan.scan.notebook:
        row.hint = "not graded: " + "; ".join(
            f"code cell {_code_number(plan, f.cell) + 1} {f.message}"
            for f in plan.scan.notebook[:6])
        return row
    record = _read_result(plan.results / f"{plan.workdir.name}-{_result_file(name)}")
    order_note = ("; cells are graded top to bottom, and you define "
                  f"{name} again in a cell below its check, which the check never sees")
    if record is None or record.get("unreadable"):
        outcome, text = statuses.get((str((plan.workdir / plan.path.name).resolve()),
                                      f"Cell {_code_number(plan, index)}"), ("missing", ""))
        if outcome == "failed":
            row.hint = failure_reason(text, timeout)
        elif outcome == "passed" and record is None:
            row.hint = ("the check cell ran but sent no results: something in the notebook "
                        "changed what the cell runs")
        elif record is not None:
            row.hint = "the check's results could not be read (the file was replaced)"
        else:
            row.hint = ("not run: the notebook could not be executed (grade with --verbose "
                        "to see why)")
        return row
    if record.get("missing"):
        row.hint = (f"{name} is not defined when its check runs: cells are graded top to "
                    "bottom, so define it (with this name) in the exercise cell above the check")
        return row
    if "failure" in record:
        row.hint = _one_line(record["failure"])
        if "not implemented yet" in row.hint and _below_the_check(plan, name, index):
            row.hint += order_note
        helper = _NAME_ERROR.search(row.hint)
        if helper and _below_the_check(plan, helper.group(1), index):
            row.hint += (f"; {helper.group(1)} is defined in a cell below this check: cells "
                         "are graded top to bottom, so define helpers above it")
        return row
    library = plan.scan.library_hint(name, exercise.by_hand)
    if library:  # found in the code, whatever the results
        row.hint = library
        return row
    if not _from_a_cell(record.get("origin")):
        origin = record["origin"] if isinstance(record.get("origin"), dict) else {}
        where = origin.get("module") or origin.get("kind") or "?"
        row.hint = (f"{name} is not a function written in this notebook (it comes from "
                    f"{_one_line(where, 80)}): write it yourself")
        return row
    if record.get("fingerprint") != exercise.fingerprint(seed):
        row.hint = ("the grading kernel built other test inputs than the grader: its "
                    "course_utils differs from the grader's copy (update the course)")
        return row
    try:
        results = wire.decode(record.get("results"))
    except (ValueError, TypeError, OverflowError):
        row.hint = "the check's results could not be read (malformed)"
        return row
    try:
        exercise.verdict(results, seed)
    except AssertionError as error:
        row.hint = _one_line(error)
        return row
    row.passed, row.points = True, exercise.points
    return row


def _code_number(plan: Plan, index: int) -> int:
    """Position of cell `index` among the code cells (nbval's 'Cell N')."""
    return sum(1 for c in plan.cells[:index] if c.get("cell_type") == "code")


# --------------------------------------------------------------------------
# The grading run


def _plan(student, path, trusted, report, scan=True) -> Plan | None:
    stem = path.stem
    topic = NOTEBOOKS.get(stem)
    if topic is None:
        report.rows.append(Row(stem, "(notebook)", False,
                               f"{path.name} is not one of the course's exercise notebooks "
                               f"(expected one of: {', '.join(f'{n}.ipynb' for n in NOTEBOOKS)})",
                               student=student))
        return None
    names = list(trusted.exercises[topic])
    fail_all = None
    try:
        # nbformat silently renames duplicate ids, so look at them in the raw file first
        text = path.read_text(encoding="utf-8")
        duplicates = _duplicate_ids(json.loads(text).get("cells", []))
        nb = nbformat.reads(text, as_version=4)
        cells = list(nb.cells)
    except Exception as error:
        fail_all = f"the notebook could not be read ({type(error).__name__})"
        cells, duplicates = [], []
    if duplicates:
        fail_all = (f"two cells share the id {duplicates[0]!r}; the grader cannot tell "
                    "which is the check - paste your answers into a fresh copy of the "
                    "exercise notebook")
    if fail_all:
        for name in names:
            report.rows.append(Row(stem, name, False, fail_all, student=student,
                                   max_points=trusted.exercises[topic][name].points))
        return None
    found, edited = _find_checks(cells, topic, names)
    check_indices = {i for i in found.values() if i is not None}
    code = [(i, c.source if isinstance(c.source, str) else "".join(c.source))
            for i, c in enumerate(cells) if c.get("cell_type") == "code" and i not in check_indices]
    found_in_code = codescan.scan(code, trusted.names(), TOPICS) if scan else codescan.Scan()
    return Plan(student, path, stem, topic, cells, found, edited, found_in_code)


def grade(notebooks=None, timeout: int = DEFAULT_TIMEOUT, junitxml: Path | None = None,
          verbose: bool = False, seed: int | None = None, students=None,
          scan: bool = True) -> Report:
    """Grade notebooks; `students` ([(student, [paths])]) grades several submissions.

    scan=False skips reading the code (course_utils/codescan.py), so that tests
    can show what the verdicts alone withstand; a notebook the scan refuses is
    never run.
    """
    started = time.monotonic()
    if students is None:
        paths = [Path(p) for p in notebooks] if notebooks else sorted(EXERCISES.glob("*.ipynb"))
        students = [("", paths)]
    stems = {Path(p).name.split(".")[0] for _, paths in students for p in paths}
    trusted = TrustedChecks([t for stem, t in NOTEBOOKS.items() if stem in stems])
    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    report = Report(checks=trusted.describe(), seed=seed)
    plans = []
    for student, paths in students:
        seen = set()
        for given in paths:
            path, tried = resolve(Path(given))
            if path is None:
                report.rows.append(Row(Path(given).stem, "(notebook)", False,
                                       f"no notebook at {tried}", student=student))
                continue
            if path.name in seen:
                report.rows.append(Row(path.stem, "(notebook)", False,
                                       f"{path.name} was given twice; grade one copy at a time",
                                       student=student))
                continue
            seen.add(path.name)
            plan = _plan(student, path, trusted, report, scan)
            if plan is not None:
                plans.append(plan)

    with tempfile.TemporaryDirectory(prefix="grade-work-") as work, \
            tempfile.TemporaryDirectory(prefix="grade-private-") as private:
        os.chmod(private, 0o700)
        for number, plan in enumerate(plans):
            plan.workdir = Path(work) / str(number)
            plan.workdir.mkdir()
            plan.results = Path(private) / "results"
            plan.graded = _graded_notebook(plan, seed)
            nbformat.write(plan.graded, str(plan.workdir / plan.path.name))
        to_run = [plan for plan in plans if not plan.scan.notebook]
        # While the kernels run, compute what the verdicts will need (on 2 cores
        # this overlaps instead of adding up).
        ahead = threading.Thread(target=_warm, args=(trusted, to_run, seed), daemon=True)
        ahead.start()
        statuses = _run(to_run, Path(private), timeout, junitxml, verbose) if to_run else {}
        ahead.join()
        for plan in plans:
            for name, exercise in trusted.exercises[plan.topic].items():
                report.rows.append(_judge(plan, name, exercise, seed, statuses, timeout))
            _other_problems(plan, statuses, timeout, report)
    if trusted.digest_on_disk() != trusted.digest:
        # The verdicts above used the checks as imported before the run; later
        # runs would import the changed files.
        report.other.insert(0, f"WARNING: the files of {trusted.folder} changed while the "
                               "notebooks ran (a submission wrote to them?): restore them "
                               "before grading again")
        report.tampered = True
    report.seconds = time.monotonic() - started
    return report


def _warm(trusted, plans, seed):
    topics = {plan.topic for plan in plans}
    if topics & {"torch_optim", "mnist"}:
        importlib.import_module("torch._dynamo")  # torch.optim imports it on first use: 1.5 s
    for topic in sorted(topics):
        for exercise in trusted.exercises[topic].values():
            exercise.warm(seed)


def _other_problems(plan: Plan, statuses, timeout, report):
    who = f"{plan.student}/" if plan.student else ""
    for finding in plan.scan.notebook:
        report.other.append(f"{who}{plan.stem}: code cell {_code_number(plan, finding.cell) + 1}"
                            f" {finding.message}")
    check_indices = {i for i in plan.checks.values() if i is not None}
    notebook_file = str((plan.workdir / plan.path.name).resolve())
    for index, cell in enumerate(plan.cells):
        if cell.get("cell_type") != "code" or index in check_indices:
            continue
        number = _code_number(plan, index)
        outcome, text = statuses.get((notebook_file, f"Cell {number}"), ("missing", ""))
        if outcome == "failed":
            report.other.append(f"{who}{plan.stem}: code cell {number + 1} "
                                f"({cell.get('id', '?')}): {failure_reason(text, timeout)}")


# --------------------------------------------------------------------------
# Output


def format_report(report: Report) -> str:
    several = any(row.student for row in report.rows)
    head = (("student",) if several else ()) + ("notebook", "exercise", "result", "points")
    rows = [head + ("hint",)]
    for row in report.rows:
        hint = row.hint + (f" ({row.note})" if row.note else "")
        rows.append(((row.student,) if several else ()) + (
            row.notebook, row.exercise, "PASS" if row.passed else "FAIL",
            f"{row.points}/{row.max_points}", hint))
    n = len(head)
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    lines = [("  ".join(r[i].ljust(widths[i]) for i in range(n)) + "  " + r[n]).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ----")
    if report.other:
        lines += ["", "Other cells with problems (not graded, but they may explain a failure):"]
        lines += [f"  {line}" for line in report.other]
    lines += ["", "Cells run top to bottom, each check seeing only the cells above it.",
              f"Graded with {report.checks}, seed {report.seed}, in {report.seconds:.1f} s.",
              f"Score: {report.score}/{report.total} points "
              f"({report.passed}/{len(report.rows)} exercises passed)"]
    return "\n".join(lines)


def write_gradebook(report: Report, folder: Path):
    """gradebook.csv, gradebook.json and feedback/<student>.md in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    fields = ["student", "notebook", "exercise", "points", "max_points", "passed", "hint"]
    records = [{"student": r.student, "notebook": r.notebook, "exercise": r.exercise,
                "points": r.points, "max_points": r.max_points, "passed": r.passed,
                "hint": r.hint + (f" ({r.note})" if r.note else "")} for r in report.rows]
    with open(folder / "gradebook.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)
    students = sorted({r["student"] for r in records})
    totals = {s: {"points": sum(r["points"] for r in records if r["student"] == s),
                  "max_points": sum(r["max_points"] for r in records if r["student"] == s)}
              for s in students}
    (folder / "gradebook.json").write_text(json.dumps(
        {"checks": report.checks, "seed": report.seed, "totals": totals, "rows": records},
        indent=1) + "\n", encoding="utf-8")
    feedback = folder / "feedback"
    feedback.mkdir(exist_ok=True)
    for student in students:
        mine = [r for r in records if r["student"] == student]
        lines = [f"# Feedback for {student}", "",
                 f"**{totals[student]['points']}/{totals[student]['max_points']} points**", "",
                 "| notebook | exercise | points | what to look at |",
                 "|---|---|---|---|"]
        lines += [f"| {r['notebook']} | {r['exercise']} | {r['points']}/{r['max_points']} | "
                  f"{(r['hint'] or 'correct').replace('|', '/')} |" for r in mine]
        problems = [o for o in report.other if o.startswith(f"{student}/")]
        if problems:
            lines += ["", "Other cells with problems:", ""]
            lines += [f"- {o[len(student) + 1:]}" for o in problems]
        lines += ["", "Cells are graded top to bottom, each check seeing only the cells above it."]
        (feedback / f"{_safe(student)}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) or "student"


def submissions(folder: Path):
    """[(student, [notebooks])] for a folder with one subfolder per student."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            found.append((entry.name, sorted(entry.glob("*.ipynb"))))
    return found

