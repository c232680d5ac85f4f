"""The exercise notebooks: structure, drift, checks, wrong answers and grading.

The solutions themselves run under nbval through pytest's testpaths. Here:
- drift: regenerating exercises/ from solutions/ changes no byte;
- checks: every reference solution passes quietly (one PASS line, no numbers,
  nothing on stderr); every typical wrong answer in tests/mutants/ fails with
  the hint that names its mistake; broken answers (None, exceptions, wrong
  types) fail with an AssertionError, never a crash;
- grading (`python -m course_utils.authoring grade`, run as students run it):
  the solutions get full marks; the unsolved exercises fail exactly on their
  check cells; tampered notebooks (saved wrong output, cleared outputs, a
  printed PASS line, an edited, skipped or deleted check cell) are caught; an
  infinite loop ends with the timeout message.
The grading runs start in the background as soon as this module starts, and the
in-process tests run meanwhile.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import authoring, checks

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
TOPICS = {"01_ravine": "ravine", "02_momentum_nesterov": "momentum", "03_saddles": "saddles",
          "04_adaptive": "adaptive", "05_torch_optim": "torch_optim", "06_mnist": "mnist"}
CHECK_CALL = re.compile(r"^checks\.(\w+)\.(\w+)\((\w+)\)$")
# A float in any notation, or a NumPy/torch repr: what a check must never print.
NUMBER = re.compile(r"\d\.\d|\d[eE][-+]?\d|\bnan\b|\binf\b|array\(|tensor\(")
GRADE_TIMEOUT = 8  # seconds per cell in the infinite-loop test


def _load_wrong_answers():
    path = ROOT / "tests" / "mutants" / "wrong_answers.py"
    spec = importlib.util.spec_from_file_location("exercise_wrong_answers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MUTANTS


WRONG_ANSWERS = _load_wrong_answers()


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _check_cells(nb):
    return [cell for cell in nb.cells if authoring.is_check_cell(cell)]


def _exercise_list():
    """[(notebook stem, topic, function name)] from the solution notebooks."""
    found = []
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in _check_cells(_read(path)):
            call = cell.source.splitlines()[-1]
            topic, name, argument = CHECK_CALL.match(call).groups()
            found.append((path.stem, topic, name))
    return found


EXERCISE_LIST = _exercise_list()


# --------------------------------------------------------------------------
# Grading runs in the background


def _tampered(path, edits):
    """A solved notebook with edits applied: {check id: how} (see _tamper)."""
    nb = _read(path)
    for check_id, how in edits.items():
        _tamper(nb, check_id, how)
    return nb


def _cell(nb, cell_id):
    return next(cell for cell in nb.cells if cell.get("id") == cell_id)


def _set_answer(nb, check_id, source):
    _cell(nb, "exercise-" + check_id[len("check-"):]).source = source


def _error_output(message="AssertionError"):
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=message,
                                  traceback=[f"AssertionError: {message}"])


def _tamper(nb, check_id, how):
    kind, wrong = how
    if wrong:
        _set_answer(nb, check_id, wrong)
    if kind == "saved-wrong-output":  # ran the wrong answer, kept its error, told nbval to expect it
        cell = _cell(nb, check_id)
        cell.outputs = [_error_output()]
        cell.metadata.setdefault("tags", []).append("raises-exception")
    elif kind == "skip-marker":
        cell = _cell(nb, check_id)
        cell.source = "# NBVAL_SKIP\n" + cell.source
    elif kind == "printed-pass":
        cell = _cell(nb, check_id)
        cell.source = f'print("{cell.outputs[0].text.strip()}")'
    elif kind == "edited-check":
        cell = _cell(nb, check_id)
        cell.source = cell.source.replace(
            "(gd_rate)", "(lambda lr, a, b: max(abs(1 - lr * a), abs(1 - lr * b)))")
    elif kind == "deleted-check":
        nb.cells = [c for c in nb.cells if c.get("id") != check_id]
    elif kind == "stale-error":  # a fixed answer whose check cell still shows the old error
        _cell(nb, check_id).outputs = [_error_output()]
    elif kind == "cleared":
        pass  # the whole notebook is cleared below
    else:
        raise ValueError(kind)


def _clear_all(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


TAMPER_01 = {
    "check-ravine-gradient": ("saved-wrong-output", """
def ravine_gradient(theta):
    return np.array([-2.0 * theta[0], -20.0 * theta[1]])
"""),
    "check-largest-stable-lr": ("skip-marker", """
def largest_stable_lr(hessian):
    return 2.0 / np.linalg.eigvalsh(hessian).min()
"""),
    "check-gd-step": ("printed-pass", """
def gd_step(theta, grad, lr):
    return theta + lr * grad
"""),
    "check-gd-rate": ("edited-check", """
def gd_rate(lr, lambda_min, lambda_max):
    return min(abs(1 - lr * lambda_min), abs(1 - lr * lambda_max))
"""),
}
TAMPER_02 = {  # and the whole notebook's outputs cleared
    "check-heavy-ball-step": ("deleted-check", None),
    "check-nesterov-step": ("stale-error", None),
    "check-effective-memory": ("cleared", None),
    "check-nesterov-two-step": ("cleared", """
def nesterov_two_step(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad
"""),
}
#: (notebook, exercise) -> (passes?, fragment of the hint or note)
TAMPER_EXPECTED = {
    ("01_ravine", "ravine_gradient"): (False, "sign is flipped"),
    ("01_ravine", "largest_stable_lr"): (False, "smallest eigenvalue"),
    ("01_ravine", "gd_step"): (False, "sign is flipped"),
    ("01_ravine", "gd_rate"): (False, "use max, not min"),
    ("02_momentum_nesterov", "heavy_ball_step"): (False, "check cell deleted"),
    ("02_momentum_nesterov", "nesterov_step"): (True, ""),
    ("02_momentum_nesterov", "effective_memory"): (True, ""),
    ("02_momentum_nesterov", "nesterov_two_step"): (False, "same result as plain momentum"),
}
INFINITE_LOOP = '''
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    positive = negative = zero = 0
    i = 0
    while i < len(eigenvalues):   # forgot i += 1
        positive += eigenvalues[i] > tol
        negative += eigenvalues[i] < -tol
        zero += abs(eigenvalues[i]) <= tol
    return "saddle"
'''


class GradeJob:
    """One `authoring grade` subprocess with a JSON report."""

    def __init__(self, folder: Path, notebooks, *extra):
        folder.mkdir(parents=True, exist_ok=True)
        self.json = folder / "report.json"
        self.log = folder / "stdout.txt"
        command = [sys.executable, "-m", "course_utils.authoring", "grade",
                   *map(str, notebooks), "--json", str(self.json), *extra]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT, env=dict(os.environ))
        self._result = None

    def result(self):
        if self._result is None:
            code = self.process.wait(timeout=600)
            text = self.log.read_text()
            assert self.json.exists(), f"grade produced no report:\n{text}"
            report = json.loads(self.json.read_text())
            report["returncode"], report["stdout"] = code, text
            report["by_name"] = {(r["notebook"], r["exercise"]): r for r in report["rows"]}
            self._result = report
        return self._result


@pytest.fixture(scope="session")
def grade_jobs(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    tampered = base / "tampered"
    tampered.mkdir()
    nbformat.write(_tampered(SOLUTIONS / "01_ravine.ipynb", TAMPER_01),
                   str(tampered / "01_ravine.ipynb"))
    nbformat.write(_clear_all(_tampered(SOLUTIONS / "02_momentum_nesterov.ipynb", TAMPER_02)),
                   str(tampered / "02_momentum_nesterov.ipynb"))
    looping = base / "looping"
    looping.mkdir()
    nb = _read(SOLUTIONS / "03_saddles.ipynb")
    _set_answer(nb, "check-classify-critical-point", INFINITE_LOOP)
    nbformat.write(nb, str(looping / "03_saddles.ipynb"))
    jobs = {
        "timeout": GradeJob(base / "job-timeout", [looping / "03_saddles.ipynb"],
                            "--timeout", str(GRADE_TIMEOUT)),
        "tampered": GradeJob(base / "job-tampered", sorted(tampered.glob("*.ipynb"))),
        "unsolved": GradeJob(base / "job-unsolved", sorted(EXERCISES.glob("*.ipynb"))),
        "solutions": GradeJob(base / "job-solutions", sorted(SOLUTIONS.glob("*.ipynb"))),
    }
    yield jobs
    for job in jobs.values():
        if job.process.poll() is None:
            job.process.kill()


@pytest.fixture(scope="module", autouse=True)
def _start_grading_early(request):
    """Start the grading subprocesses before the in-process tests, if any test needs them.

    Under pytest-xdist a worker cannot know which tests it will get, so there the
    jobs start when a grading test first asks for them.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any("grade_jobs" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("grade_jobs")


# --------------------------------------------------------------------------
# Structure and drift


def test_every_topic_has_at_least_three_graded_exercises():
    per_topic = {}
    for stem, topic, name in EXERCISE_LIST:
        assert topic == TOPICS[stem], f"{stem} calls checks.{topic}"
        per_topic.setdefault(stem, []).append(name)
    assert set(per_topic) == set(TOPICS)
    assert all(len(names) >= 3 for names in per_topic.values()), per_topic
    assert len(EXERCISE_LIST) >= 18


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_solution_notebook_follows_the_conventions(path):
    nb = _read(path)
    authoring.validate_solution(nb, path.name)
    for cell in _check_cells(nb):
        topic, name, argument = CHECK_CALL.match(cell.source.splitlines()[-1]).groups()
        assert name == argument == authoring.exercise_name(cell.id)
        assert getattr(getattr(checks, topic), name).is_check
        assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
        exercise = _cell(nb, "exercise-" + cell.id[len("check-"):])
        assert f"def {name}(" in exercise.source and authoring.BEGIN in exercise.source


def test_regenerating_the_exercises_changes_nothing(tmp_path):
    authoring.build(SOLUTIONS, tmp_path, run=False, log=lambda *a: None)
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert generated == sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    for name in generated:
        assert (tmp_path / name).read_bytes() == (EXERCISES / name).read_bytes(), name
    assert authoring.check(log=lambda *a: None) == 0
    # grading restores check cells from this same generated copy
    released = authoring.released_notebook("01_ravine.ipynb")
    assert authoring.dumps(released).encode() == (EXERCISES / "01_ravine.ipynb").read_bytes()


def test_drift_check_notices_a_hand_edited_exercise(tmp_path):
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    for path in EXERCISES.glob("*.ipynb"):
        (exercises / path.name).write_bytes(path.read_bytes())
    target = exercises / "01_ravine.ipynb"
    target.write_text(target.read_text().replace("YOUR CODE HERE", "YOUR CODE HERE!", 1))
    messages = []
    assert authoring.check(SOLUTIONS, exercises, log=messages.append) == 1
    assert any("01_ravine" in m for m in messages)


@pytest.mark.parametrize("path", sorted(EXERCISES.glob("*.ipynb")), ids=lambda p: p.stem)
def test_exercises_hide_the_solutions_and_keep_the_pass_lines(path):
    nb = _read(path)
    solution = _read(SOLUTIONS / path.name)
    text = path.read_text()
    assert authoring.BEGIN not in text and authoring.END not in text
    assert nb.nbformat_minor == 5 and nb.metadata["kernelspec"]["name"] == "python3"
    for cell, original in zip(nb.cells, solution.cells):
        assert cell.id == original.id
        if authoring.is_check_cell(cell):
            assert cell.outputs == original.outputs and cell.outputs[0].text.startswith("PASS:")
            assert cell.execution_count is not None
        elif cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if cell.id.startswith("exercise-"):
            assert "# YOUR CODE HERE" in cell.source and "raise NotImplementedError()" in cell.source


def test_solution_regions_become_stubs_with_their_indentation():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert authoring.strip_solution(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    with pytest.raises(authoring.AuthoringError):
        authoring.strip_solution("### BEGIN SOLUTION\nx = 1\n")


def test_check_cells_are_restored_by_id_or_by_source():
    released = authoring.released_notebook("01_ravine.ipynb")
    student = _read(EXERCISES / "01_ravine.ipynb")
    checks_ = _check_cells(student)
    checks_[0].source = 'print("PASS: ravine_gradient matches the reference on 25 points")'
    student.cells.remove(checks_[1])
    for cell in student.cells:  # a frontend older than nbformat 4.5 drops the ids
        if cell.id != checks_[0].id:
            del cell["id"]
    graded, deleted, edited = authoring._restore_checks(student, released)
    assert deleted == [checks_[1].id] and edited == [checks_[0].id]
    restored = _check_cells(graded)
    assert [c.source for c in restored] == [c.source for c in _check_cells(released)
                                            if c.id != checks_[1].id]
    assert all(cell.get("id") for cell in graded.cells)
    nbformat.validate(graded)


# --------------------------------------------------------------------------
# The checks, called directly


@pytest.fixture(scope="module")
def reference_answers():
    """The solution functions, defined by running each solution's code cells."""
    answers = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        namespace = {}
        for cell in _read(path).cells:
            if cell.cell_type == "code" and not authoring.is_check_cell(cell):
                exec(compile(cell.source, f"{path.name}:{cell.id}", "exec"), namespace)
        answers[path.stem] = namespace
    return answers


def _check(topic, name):
    return getattr(getattr(checks, topic), name)


@pytest.mark.parametrize("stem, topic, name", EXERCISE_LIST, ids=[e[2] for e in EXERCISE_LIST])
def test_reference_answer_passes_with_one_fixed_line(stem, topic, name, reference_answers, capfd):
    _check(topic, name)(reference_answers[stem][name])
    out, err = capfd.readouterr()
    assert out.startswith("PASS: ") and out.endswith("\n") and out.count("\n") == 1, out
    assert not NUMBER.search(out), out
    assert err == ""
    _check(topic, name)(reference_answers[stem][name])
    assert capfd.readouterr().out == out  # deterministic


@pytest.mark.parametrize("topic, name, hint, wrong", WRONG_ANSWERS,
                         ids=[f"{m[1]}-{m[2][:40]}" for m in WRONG_ANSWERS])
def test_typical_mistake_fails_with_its_hint(topic, name, hint, wrong, capfd):
    with pytest.raises(AssertionError) as failure:
        _check(topic, name)(wrong)
    message = str(failure.value)
    assert hint in message
    assert "\n" not in message and not NUMBER.search(message), message
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_at_least_three_typical_mistakes_per_check():
    counts = {}
    for topic, name, hint, wrong in WRONG_ANSWERS:
        counts[(topic, name)] = counts.get((topic, name), 0) + 1
    for stem, topic, name in EXERCISE_LIST:
        assert counts.get((topic, name), 0) >= 3, name
    assert len(WRONG_ANSWERS) >= 3 * len(EXERCISE_LIST)


def _returns_none(*args, **kwargs):
    return None


def _raises(*args, **kwargs):
    return 1 / 0


def _not_implemented(*args, **kwargs):
    raise NotImplementedError()


def _returns_text(*args, **kwargs):
    return "done"


BROKEN = [(_returns_none, "returned None"), (_raises, "raised ZeroDivisionError"),
          (_not_implemented, "not implemented yet"), (_returns_text, "")]


@pytest.mark.parametrize("broken, fragment", BROKEN, ids=[b[0].__name__ for b in BROKEN])
@pytest.mark.parametrize("stem, topic, name", EXERCISE_LIST, ids=[e[2] for e in EXERCISE_LIST])
def test_broken_answers_fail_cleanly(stem, topic, name, broken, fragment, capfd):
    with pytest.raises(AssertionError, match=re.escape(fragment) if fragment else None):
        _check(topic, name)(broken)
    assert capfd.readouterr() == ("", "")
    with pytest.raises(AssertionError, match="expects your function"):
        _check(topic, name)(None)  # the exercise cell was never run


def test_checks_leave_the_students_random_state_alone(reference_answers, capfd):
    import torch

    def draw():
        return np.random.random(), torch.rand(1).item()

    np.random.seed(5)
    torch.manual_seed(5)
    expected = draw()
    np.random.seed(5)
    torch.manual_seed(5)
    for stem, topic, name in EXERCISE_LIST:
        if topic in ("torch_optim", "mnist", "saddles"):
            _check(topic, name)(reference_answers[stem][name])
    assert draw() == expected
    capfd.readouterr()


def test_adaptive_references_match_torch_optim():
    """The checks' own formulas are torch.optim's update rules (float64, 5 steps)."""
    import torch

    from course_utils.checks import adaptive

    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 4))
    theta0 = rng.normal(size=4)
    setups = {
        "Adagrad": (dict(lr=0.1, eps=1e-10), lambda th, g, s, t: adaptive._adagrad(
            th, g, s[0], 0.1, 1e-10)),
        "RMSprop": (dict(lr=0.01, alpha=0.9, eps=1e-3), lambda th, g, s, t: adaptive._rmsprop(
            th, g, s[0], 0.01, 0.9, 1e-3)),
        "Adam": (dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3), lambda th, g, s, t: adaptive._adam(
            th, g, s[0], s[1], t, 0.05, 0.8, 0.99, 1e-3)),
        "AdamW": (dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.3),
                  lambda th, g, s, t: adaptive._adamw(th, g, s[0], s[1], t, 0.05, 0.8, 0.99,
                                                      1e-3, 0.3)),
    }
    for name, (options, step) in setups.items():
        param = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        optimizer = getattr(torch.optim, name)([param], **options)
        theta, state = theta0.copy(), (np.zeros(4), np.zeros(4))
        for t, g in enumerate(grads, start=1):
            param.grad = torch.tensor(g, dtype=torch.float64)
            optimizer.step()
            theta, *state = step(theta, g, state, t)
            np.testing.assert_allclose(theta, param.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=name)


def test_failure_reasons_read_from_nbval_reports():
    colour = "#x1B[31mAssertionError#x1B[39m: adam_step differs: missing bias correction"
    assert authoring._failure_reason("Traceback\n" + colour, 60) == \
        "adam_step differs: missing bias correction"
    assert authoring._failure_reason("Cell 3: Timeout of 60 seconds exceeded executing cell",
                                     60) == "timed out after 60 s - look for an infinite loop"
    assert authoring._failure_reason("NameError: name 'gd_step' is not defined", 60).startswith(
        "NameError: name 'gd_step' is not defined - run the cell")


# --------------------------------------------------------------------------
# Grading, as students run it


def test_grading_the_solutions_gives_full_marks(grade_jobs):
    report = grade_jobs["solutions"].result()
    assert report["returncode"] == 0, report["stdout"]
    assert report["score"] == report["total"] == len(EXERCISE_LIST), report["stdout"]
    assert report["other"] == []
    assert f"Score: {len(EXERCISE_LIST)}/{len(EXERCISE_LIST)} exercises passed" in report["stdout"]


def test_unsolved_exercises_fail_exactly_on_their_check_cells(grade_jobs):
    report = grade_jobs["unsolved"].result()
    assert report["returncode"] == 1
    assert len(report["rows"]) == len(EXERCISE_LIST)
    for row in report["rows"]:
        assert not row["passed"] and "is not implemented yet" in row["hint"], row
    assert report["other"] == [], report["stdout"]  # no other cell raised


@pytest.mark.parametrize("key", sorted(TAMPER_EXPECTED), ids=lambda k: k[1])
def test_tampering_is_caught_by_grading(key, grade_jobs):
    report = grade_jobs["tampered"].result()
    passes, fragment = TAMPER_EXPECTED[key]
    row = report["by_name"][key]
    assert row["passed"] is passes, (row, report["stdout"])
    assert fragment in row["hint"], (row, report["stdout"])
    if key[1] == "gd_rate":
        assert "check cell was edited" in row["note"]


def test_tampered_notebooks_score_only_their_honest_answers(grade_jobs):
    report = grade_jobs["tampered"].result()
    assert report["returncode"] == 1
    assert report["score"] == sum(p for p, _ in TAMPER_EXPECTED.values())
    assert report["total"] == len(TAMPER_EXPECTED)


def test_an_infinite_loop_ends_with_the_timeout_message(grade_jobs):
    report = grade_jobs["timeout"].result()
    rows = report["by_name"]
    assert rows[("03_saddles", "classify_critical_point")]["hint"] == \
        f"timed out after {GRADE_TIMEOUT} s - look for an infinite loop"
    # the cells after the timed-out one are still graded
    assert rows[("03_saddles", "escape_step")]["passed"]
    assert rows[("03_saddles", "escape_time")]["passed"]
    assert report["returncode"] == 1
