"""Grading (course_utils/grader.py), run as an instructor or CI runs it.

Four grading runs start in the background when this module starts, and the
fast tests (static code reading, the wire format, notebook names) run meanwhile:

- "gradebook": synthetic submissions, one folder per student: solved (all six
  solution notebooks), written differently (loops, autograd, torch's form of
  Adam, display() and logging in the answers), partly solved (including a fix
  in a cell below its check and a helper defined below), unsolved (all six
  exercise notebooks), cheating, and crashing (os._exit in an answer);
- "attacks": every attack of issue 11 and some more, each on unsolved
  exercises, graded as the course grades them: none may give a point;
- "verdicts only": the attacks that target the kernel, graded with the code
  scan switched off: the verdicts, computed in the grader's process, must
  withstand them on their own;
- "timeout": an infinite loop, and a notebook name that does not exist.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import checks, codescan, grader
from course_utils.checks import wire

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
TIMEOUT = 8  # seconds per cell in the infinite-loop run


# --------------------------------------------------------------------------
# Building submissions


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _cell(nb, cell_id):
    return next(cell for cell in nb.cells if cell.get("id") == cell_id)


def _write(nb, path):
    """Save as a student's frontend would, duplicate ids and all (nbformat.write would
    quietly rename them)."""
    Path(path).write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _solution_source(stem, name):
    return _cell(_read(SOLUTIONS / f"{stem}.ipynb"), "exercise-" + name.replace("_", "-")).source


def unsolved(stem, answers=None, setup_extra="", append=()):
    """exercises/<stem> with some answers filled in, code added to the set-up
    cell and cells appended at the end."""
    nb = _read(EXERCISES / f"{stem}.ipynb")
    for name, source in (answers or {}).items():
        _cell(nb, "exercise-" + name.replace("_", "-")).source = source
    if setup_extra:
        _cell(nb, "setup").source += "\n" + setup_extra
    for source in append:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def pasted(stem, names=None):
    """The solutions' answers pasted into the exercise cells."""
    names = names or [e.name for e in checks.exercises(checks.NOTEBOOKS[stem])]
    return unsolved(stem, {name: _solution_source(stem, name) for name in names})


# Honest answers written differently from the solutions.
DIFFERENT_01 = {
    "ravine_gradient": '''
import torch

def ravine_gradient(theta):
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    loss = t[0] ** 2 + 10 * t[1] ** 2
    (grad,) = torch.autograd.grad(loss, t)
    return grad.numpy()
''',
    "largest_stable_lr": '''
def largest_stable_lr(hessian):
    largest = max(np.linalg.eigvalsh(hessian))
    return float(2 / largest)
''',
    "gd_step": '''
from IPython.display import display

def gd_step(theta, grad, lr):
    new = np.empty_like(theta)
    for i in range(len(theta)):
        new[i] = theta[i] - lr * grad[i]
    display({"step": "done"})
    print("stepped")
    return new
''',
    "gd_rate": '''
import logging

logging.basicConfig(level=logging.INFO, force=True)
log = logging.getLogger("my-answers")

def gd_rate(lr, lambda_min, lambda_max):
    rates = [abs(1 - lr * lam) for lam in (lambda_min, lambda_max)]
    log.info("rates %s", rates)
    return max(rates)
''',
}
DIFFERENT_04 = {
    "adam_step": '''
def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    # torch.optim.Adam's own arithmetic
    m_new = m + (grad - m) * (1 - beta1)
    v_new = v * beta2 + grad * grad * (1 - beta2)
    step_size = lr / (1 - beta1 ** t)
    denom = np.sqrt(v_new) / np.sqrt(1 - beta2 ** t) + eps
    return theta - step_size * m_new / denom, m_new, v_new
''',
}
ADAMW_ON_OWN_ADAM = _solution_source("04_adaptive", "adamw_step")

PARTLY_01 = {
    "ravine_gradient": _solution_source("01_ravine", "ravine_gradient"),
    "largest_stable_lr": _solution_source("01_ravine", "largest_stable_lr"),
    "gd_rate": '''
def gd_rate(lr, lambda_min, lambda_max):
    return worst_direction(lr, lambda_min, lambda_max)
''',
}
PARTLY_01_BELOW = [  # written after the checks, so the checks never see them
    "def gd_step(theta, grad, lr):\n    return theta - lr * grad\n",
    "def worst_direction(lr, a, b):\n    return max(abs(1 - lr * a), abs(1 - lr * b))\n",
]

CRASHING_01 = {
    "ravine_gradient": _solution_source("01_ravine", "ravine_gradient"),
    "gd_step": '''
import os

def gd_step(theta, grad, lr):
    os._exit(3)  # as if the process crashed
''',
}

CUSTOM_EXC = '''
def _pass(shell, etype, evalue, tb, tb_offset=None):
    print("PASS: all good")
get_ipython().set_custom_exc((AssertionError, NotImplementedError), _pass)
'''


def _gradebook_submissions(folder: Path):
    students = {
        "solved": {p.stem: _read(p) for p in SOLUTIONS.glob("*.ipynb")},
        "different": {"01_ravine": unsolved("01_ravine", DIFFERENT_01),
                      "04_adaptive": unsolved("04_adaptive", {
                          **DIFFERENT_04, "adamw_step": ADAMW_ON_OWN_ADAM,
                          "adagrad_step": _solution_source("04_adaptive", "adagrad_step"),
                          "rmsprop_step": _solution_source("04_adaptive", "rmsprop_step")})},
        "pasted": {"01_ravine": pasted("01_ravine")},
        "partly": {"01_ravine": unsolved("01_ravine", PARTLY_01, append=PARTLY_01_BELOW)},
        "unsolved": {p.stem: _read(p) for p in EXERCISES.glob("*.ipynb")},
        "cheating": {"01_ravine": unsolved("01_ravine", setup_extra=CUSTOM_EXC)},
        "crashing": {"01_ravine": unsolved("01_ravine", CRASHING_01)},
    }
    for student, notebooks in students.items():
        (folder / student).mkdir(parents=True)
        for stem, nb in notebooks.items():
            _write(nb, folder / student / f"{stem}.ipynb")


# --------------------------------------------------------------------------
# The attacks: (notebook, how it is built, caught by the verdicts alone?)


def _lookup_table():
    """What a student records by probing the practice check once (seed 103)."""
    cases = checks.ravine.gd_step.cases(checks.ravine.gd_step.seed)
    table = {tuple(float(x) for x in theta): [float(x) for x in theta - lr * grad]
             for theta, grad, lr in cases}
    return f'''
TABLE = {table!r}

def gd_step(theta, grad, lr):
    return np.array(TABLE.get(tuple(float(x) for x in theta), theta))
'''


def _fifo_helper():
    helper = '''
import glob, json, os, time
end = time.time() + 12
while time.time() < end:
    for junit in ["junit.xml"] + glob.glob("../*/junit.xml") + glob.glob("../../*/junit.xml"):
        try:
            if os.path.exists(junit) and not os.path.isfifo(junit):
                os.remove(junit)
            if not os.path.exists(junit):
                os.mkfifo(junit)
        except OSError:
            pass
    for result in glob.glob("../*/result-*.json"):
        try:
            with open(result, "w") as out:
                json.dump({"exercise": result[len("result-"):-5], "passed": True}, out)
        except OSError:
            pass
    time.sleep(0.05)
'''
    return f'''
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", {helper!r}], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''


FORGED_RESULTS = '''
import json
for name in ["ravine_gradient", "largest_stable_lr", "gd_step", "gd_rate"]:
    with open(f"result-{name}.json", "w") as out:
        json.dump({"exercise": name, "verdict": "PASS", "passed": True, "results": [],
                   "origin": {"kind": "function", "module": "__main__",
                              "file": "/tmp/ipykernel_1/1.py"}, "fingerprint": "0"}, out)
'''

FAKE_COLLECTOR = '''
import json, sys, types
fake = types.ModuleType("course_utils.checks.collect")

def submit(topic, name, seed, path):
    with open(path, "w") as out:
        json.dump({"exercise": name, "verdict": "PASS", "results": {"tuple": []},
                   "origin": {"kind": "function", "module": "__main__",
                              "file": "/tmp/ipykernel_1/1.py"}}, out)

fake.submit = submit
sys.modules["course_utils.checks.collect"] = fake
import course_utils.checks
course_utils.checks.collect = fake
'''

INPUT_TRANSFORMER = '''
def _rewrite(lines):
    if any("checks" in line for line in lines):
        return ['print("PASS: rewritten")\\n']
    return lines
get_ipython().input_transformers_cleanup.append(_rewrite)
'''

FAKE_CHECKS = '''
class _FakeChecks:
    def __getattr__(self, name):
        return self
    def __call__(self, function):
        print(f"PASS: {function.__name__} matches the reference on 25 random cases")
checks = _FakeChecks()
'''

MONKEYPATCH = '''
import course_utils.checks._core as core
checks.adaptive.compare = lambda *args, **kwargs: 25
core.close = lambda *args, **kwargs: True
core.compare = lambda *args, **kwargs: 25
'''

HIDDEN_IMPORT = base64.b64encode(
    b"from course_utils.checks.ravine import _gd_step as gd_step\n").decode()

ALWAYS_EQUAL = '''
class Anything(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__

def gd_rate(lr, lambda_min, lambda_max):
    return Anything(0.0)
'''

TORCH_ADAM = '''
import torch

def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = torch.tensor(theta, requires_grad=True)
    optimizer = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(m),
                          "exp_avg_sq": torch.tensor(v)}
    p.grad = torch.tensor(grad)
    optimizer.step()
    state = optimizer.state[p]
    return (p.detach().numpy().copy(), state["exp_avg"].numpy().copy(),
            state["exp_avg_sq"].numpy().copy())
'''

COURSE_ADAM = '''
from course_utils.optimizers import Adam

def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    optimizer = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
    theta_new, state = optimizer.step(theta, grad, {"step": t - 1, "exp_avg": m,
                                                    "exp_avg_sq": v})
    return theta_new, state["exp_avg"], state["exp_avg_sq"]
'''


def _duplicate_ids():
    nb = unsolved("01_ravine")
    fake = nbformat.v4.new_code_cell('print("PASS: gd_step matches the reference")')
    fake.id = "check-gd-step"
    nb.cells.insert(1, fake)
    return nb


def _edited_check():
    nb = unsolved("01_ravine")
    _cell(nb, "check-gd-step").source = 'print("PASS: gd_step matches the reference")'
    return nb


#: name -> (notebook stem, builder, the fragment the hints must show, or None,
#:          withstood by the verdicts alone as well?)
ATTACKS = {
    # --- from the issue
    "checker's reference as the answer": (
        "04_adaptive", lambda: unsolved("04_adaptive", {
            "adam_step": "adam_step = checks.adaptive._adam\n"}),
        "reaches into the checker (course_utils.checks.adaptive._adam)", True),
    "reference imported from the checks": (
        "01_ravine", lambda: unsolved("01_ravine", {"ravine_gradient": (
            "from course_utils.checks.ravine import _gradient\n\n"
            "def ravine_gradient(theta):\n    return _gradient(theta)\n")}),
        "reaches into the checker (course_utils.checks.ravine._gradient)", False),
    "course_utils.optimizers.Adam with a hand-built state": (
        "04_adaptive", lambda: unsolved("04_adaptive", {"adam_step": COURSE_ADAM}),
        "uses course_utils.optimizers.Adam: write the update yourself", False),
    "torch.optim.Adam in an exercise to write by hand": (
        "04_adaptive", lambda: unsolved("04_adaptive", {"adam_step": TORCH_ADAM}),
        "uses torch.optim.Adam: write the update yourself", False),
    "fake checks object printing PASS lines": (
        "01_ravine", lambda: unsolved("01_ravine", setup_extra=FAKE_CHECKS),
        "replaces the course's `checks`", True),
    "monkeypatched compare and close": (
        "04_adaptive", lambda: unsolved("04_adaptive", setup_extra=MONKEYPATCH),
        "monkeypatches course_utils.checks.adaptive.compare", True),
    "input transformer rewriting the check cells": (
        "01_ravine", lambda: unsolved("01_ravine", setup_extra=INPUT_TRANSFORMER),
        "reconfigures the kernel (get_ipython().input_transformers_cleanup", True),
    "set_custom_exc printing PASS": (
        "01_ravine", lambda: unsolved("01_ravine", setup_extra=CUSTOM_EXC),
        "reconfigures the kernel (get_ipython().set_custom_exc)", True),
    "check cell edited into a print": ("01_ravine", _edited_check, None, True),
    "detached helper turning junit.xml into a FIFO and forging results": (
        "01_ravine", lambda: unsolved("01_ravine", setup_extra=_fifo_helper()),
        "starts processes or handlers (subprocess", True),
    "untouched notebook graded beside the FIFO helper": (
        "02_momentum_nesterov", lambda: unsolved("02_momentum_nesterov"),
        "not implemented yet", True),
    "lookup table of the practice check's cases": (
        "01_ravine", lambda: unsolved("01_ravine", {"gd_step": _lookup_table()}),
        "gd_step differs from the reference", True),
    "duplicate cell id hiding a fake check": (
        "01_ravine", _duplicate_ids, "two cells share the id 'check-gd-step'", True),
    # --- more of our own
    "forged result files written by a later cell": (
        "01_ravine", lambda: unsolved("01_ravine", append=[FORGED_RESULTS]),
        "not implemented yet", True),
    "collector swapped in sys.modules": (
        "01_ravine", lambda: unsolved("01_ravine", setup_extra=FAKE_COLLECTOR),
        "uses sys.modules", True),
    "reference looked up by a computed name": (
        "04_adaptive", lambda: unsolved("04_adaptive", {
            "adam_step": 'adam_step = getattr(checks.adaptive, "_ad" + "am")\n'}),
        "looks attributes up by computed names (getattr)", True),
    "reference hidden in exec of base64": (
        "01_ravine", lambda: unsolved("01_ravine", {"gd_step": (
            f"import base64\nexec(base64.b64decode({HIDDEN_IMPORT!r}).decode())\n")}),
        "builds or rebinds code at run time (exec)", False),
    "library function as the answer": (
        "01_ravine", lambda: unsolved("01_ravine", {
            "gd_rate": "from course_utils.theory import gd_rate\n"}),
        "uses course_utils.theory.gd_rate: write gd_rate yourself", True),
    "object that equals everything": (
        "01_ravine", lambda: unsolved("01_ravine", {"gd_rate": ALWAYS_EQUAL}),
        "gd_rate differs from the reference", True),
}
#: Run last: the helper process forges the results of the notebooks after it.
_DISTURBING = ("detached helper turning junit.xml into a FIFO and forging results",
               "untouched notebook graded beside the FIFO helper")
WITHSTOOD_BY_VERDICTS = [name for name, attack in ATTACKS.items()
                         if attack[3] and name not in _DISTURBING] + list(_DISTURBING)


def _write_attacks(folder: Path, names):
    folder.mkdir(parents=True)
    for number, name in enumerate(names):
        stem, build, _, _ = ATTACKS[name]
        student = folder / f"attack-{number:02d}"
        student.mkdir()
        _write(build(), student / f"{stem}.ipynb")
    return {f"attack-{number:02d}": name for number, name in enumerate(names)}


def _edited_clone(clone: Path) -> Path:
    """A student's clone whose checks pass everything, with an unsolved notebook."""
    shutil.copytree(ROOT / "course_utils", clone / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    core = clone / "course_utils" / "checks" / "_core.py"
    core.write_text(core.read_text().replace(
        "    def verdict(self, results, seed: int) -> str:\n",
        "    def verdict(self, results, seed: int) -> str:\n        return 'PASS'\n"))
    _write(unsolved("01_ravine"), clone / "01_ravine.ipynb")
    return clone / "01_ravine.ipynb"


# --------------------------------------------------------------------------
# Background runs


class GradeJob:
    """One `python -m course_utils.authoring grade` subprocess with a JSON report."""

    def __init__(self, folder: Path, arguments, cwd=ROOT):
        folder.mkdir(parents=True, exist_ok=True)
        self.json = folder / "report.json"
        self.log = folder / "stdout.txt"
        self.folder = folder
        command = [sys.executable, "-m", "course_utils.authoring", "grade", *map(str, arguments),
                   "--json", str(self.json)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=cwd, stdout=log,
                                            stderr=subprocess.STDOUT, env=env)
        self._result = None

    def result(self):
        if self._result is None:
            code = self.process.wait(timeout=600)
            text = self.log.read_text()
            assert self.json.exists(), f"grade produced no report:\n{text}"
            report = json.loads(self.json.read_text())
            report["returncode"], report["stdout"] = code, text
            report["by_name"] = {(r["student"], r["notebook"], r["exercise"]): r
                                 for r in report["rows"]}
            self._result = report
        return self._result


@pytest.fixture(scope="session")
def grade_jobs(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    _gradebook_submissions(base / "submissions")
    attacks = _write_attacks(base / "attacks", list(ATTACKS))
    verdict_only = _write_attacks(base / "verdicts-only", WITHSTOOD_BY_VERDICTS)
    clone_notebook = _edited_clone(base / "verdicts-only" / "a-edited-clone")
    looping = base / "looping"
    looping.mkdir()
    nb = _read(SOLUTIONS / "03_saddles.ipynb")
    _cell(nb, "exercise-classify-critical-point").source = INFINITE_LOOP
    nbformat.write(nb, str(looping / "03_saddles.ipynb"))
    jobs = {
        "gradebook": GradeJob(base / "job-gradebook", [base / "submissions", "--gradebook",
                                                       base / "gradebook"]),
        "attacks": GradeJob(base / "job-attacks", [base / "attacks", "--gradebook",
                                                   base / "attack-book"]),
        "verdicts": GradeJob(base / "job-verdicts", [base / "verdicts-only", "--gradebook",
                                                     base / "verdict-book", "--no-scan"]),
        "timeout": GradeJob(base / "job-timeout", [looping / "03_saddles.ipynb",
                                                   "99_missing.ipynb", "--timeout", str(TIMEOUT)]),
    }
    jobs["attacks"].names = attacks
    jobs["verdicts"].names = verdict_only
    jobs["gradebook"].book = base / "gradebook"
    jobs["verdicts"].clone = clone_notebook
    yield jobs
    for job in jobs.values():
        if job.process.poll() is None:
            job.process.kill()


@pytest.fixture(scope="module", autouse=True)
def _start_grading_early(request):
    """Start the grading runs before the fast tests, if any test needs them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any("grade_jobs" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("grade_jobs")


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


# --------------------------------------------------------------------------
# Fast tests: reading code, the wire, names


def _scan(*sources):
    return codescan.scan(list(enumerate(sources)), [e for t in checks.TOPICS
                                                    for e in (x.name for x in checks.exercises(t))],
                         checks.TOPICS)


@pytest.mark.parametrize("source, fragment", [
    ("x = checks.adaptive._adam", "reaches into the checker"),
    ("from course_utils.checks.ravine import _gradient", "reaches into the checker"),
    ("import course_utils.checks._core as c", "reaches into the checker"),
    ("c = checks.adaptive\nf = c._adagrad", "reaches into the checker"),
    ("get_ipython().set_custom_exc((Exception,), print)", "set_custom_exc"),
    ("ip = get_ipython()\nip.events.register('pre_run_cell', print)", "get_ipython().events"),
    ("%run other.py", "%run"),
    ("!ls", "reconfigures the kernel (get_ipython().system)"),
    ("exec('x = 1')", "exec"),
    ("f = getattr(checks, name)", "computed names"),
    ("import subprocess", "starts processes"),
    ("import os\nos.mkfifo('junit.xml')", "os.mkfifo"),
    ("import sys\nsys.modules['x'] = None", "sys.modules"),
    ("import sys\nsys.path.insert(0, '/my/clone')", "changes sys.path"),
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "monkeypatches numpy.allclose"),
    ("def f():\n    return f.__globals__", ".__globals__"),
    ("checks = None", "replaces the course's `checks`"),
    ("from course_utils.checks.adaptive import *", "imports * from"),
    ("import operator\nf = operator.attrgetter('_adam')", "operator.attrgetter"),
    ("import functools\nf = functools.reduce(getattr, ['_adam'], checks.adaptive)",
     "passes getattr around"),
])
def test_code_that_reaches_into_the_checker_or_kernel_is_reported(source, fragment):
    found = _scan("from course_utils import checks", source).notebook
    assert any(fragment in f.message for f in found), found


@pytest.mark.parametrize("source", [
    "from course_utils import checks\nchecks.ravine.gd_step(gd_step)",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "from IPython.display import display\ndisplay(1)",
    "import logging\nlogging.basicConfig(level=logging.INFO)",
    "import torch\ng = torch.autograd.grad",
    "import os\nos._exit(1)",
    "import sys\nsys.exit(1)",
    "from course_utils.data import load_mnist",
    "import math\nx = getattr(math, 'pi')",
])
def test_ordinary_notebook_code_is_not_reported(source):
    assert _scan(source).notebook == []


def test_library_calls_are_traced_through_helpers_and_aliases():
    scan = _scan("import torch.optim as o", "def helper(p):\n    return o.Adam([p])",
                 "def adam_step(theta, grad, m, v, t):\n    return helper(theta)",
                 "import torch\ndef training_step(model, optimizer, loss_fn, x, y):\n"
                 "    return torch.optim.SGD(model.parameters(), lr=0.1)",
                 "from course_utils import theory\ngd_rate = theory.gd_rate")
    assert scan.library_hint("adam_step", by_hand=True) == \
        "uses torch.optim.Adam: write the update yourself"
    assert scan.library_hint("training_step", by_hand=False) is None  # torch.optim is the topic
    assert scan.library_hint("gd_rate", by_hand=False) == \
        "uses course_utils.theory.gd_rate: write gd_rate yourself"


def test_the_wire_refuses_what_it_did_not_write():
    value = [(np.arange(6.0).reshape(2, 3), 1.5, float("nan")), {0.1: [1.0, 2.0]}, "saddle", 3]
    back = wire.decode(wire.loads(wire.dumps(wire.encode(value))))
    np.testing.assert_array_equal(back[0][0], value[0][0])
    assert back[0][1:2] == (1.5,) and np.isnan(back[0][2]) and back[1:] == value[1:]
    for forged in [{"array": "object", "shape": [1], "data": [1]},
                   {"array": "float64", "shape": [3], "data": [1.0]},
                   {"array": "int64", "shape": [1], "data": [10 ** 30]},
                   {"passed": True}, {"tuple": "x"}, {"dict": [[[1], 2]]}]:
        with pytest.raises(ValueError):
            wire.decode(forged)
    with pytest.raises(TypeError):
        wire.encode(object())


def test_a_bare_notebook_name_is_found_in_exercises_or_named():
    assert grader.resolve(Path("01_ravine.ipynb")) == (EXERCISES / "01_ravine.ipynb", "")
    assert grader.resolve(Path("01_ravine")) == (EXERCISES / "01_ravine.ipynb", "")
    path, tried = grader.resolve(Path("99_missing.ipynb"))
    assert path is None and tried == f"99_missing.ipynb and {EXERCISES / '99_missing.ipynb'}"


def test_the_grader_never_reads_solutions_or_a_students_file_as_the_released_copy():
    """What a check cell must run comes from the trusted checks, not from any notebook."""
    source = Path(grader.__file__).read_text()
    assert "SOLUTIONS" not in source and "solutions/" not in source
    assert grader.check_source("ravine", "gd_step") == (
        "# Check your answer (don't edit this cell)\nchecks.ravine.gd_step(gd_step)")


def test_the_check_cells_are_found_by_id_or_by_their_source():
    nb = _read(EXERCISES / "01_ravine.ipynb")
    cells = list(nb.cells)
    for cell in cells:  # a frontend older than nbformat 4.5 drops the ids
        if cell.id != "check-gd-rate":
            del cell["id"]
    _cell(nb, "check-gd-rate").source = "print('PASS')"
    cells.remove(next(c for c in cells if c.get("source") == grader.check_source(
        "ravine", "gd_step")))
    found, edited = grader._find_checks(cells, "ravine", ["ravine_gradient", "gd_step", "gd_rate"])
    assert found["gd_step"] is None and found["ravine_gradient"] is not None
    assert edited == {"gd_rate"}


def test_failure_reasons_read_from_nbval_reports():
    colour = "#x1B[31mAssertionError#x1B[39m: adam_step differs: missing bias correction"
    assert grader.failure_reason("Traceback\n" + colour, 60) == \
        "adam_step differs: missing bias correction"
    assert grader.failure_reason("Timeout of 60 seconds exceeded executing cell", 60) == \
        "timed out after 60 s - look for an infinite loop"
    assert "kernel died" in grader.failure_reason("RuntimeError: GRADER: kernel died while", 60)
    assert "import line" in grader.failure_reason("NameError: name 'checks' is not defined", 60)


def test_the_workflow_grades_with_the_instructors_copy_and_prints_the_score_line():
    workflow = (ROOT / ".github" / "workflows" / "grade.yml").read_text()
    assert "COURSE_GRADER_REPOSITORY" in workflow and "path: grader" in workflow
    assert "Points " in workflow and "--json" in workflow


# --------------------------------------------------------------------------
# Grading runs


def test_every_attack_gives_no_marks_with_the_reason_shown(grade_jobs):
    job = grade_jobs["attacks"]
    report = job.result()
    assert report["score"] == 0, report["stdout"]
    for student, attack in job.names.items():
        stem, _, fragment, _ = ATTACKS[attack]
        rows = [r for r in report["rows"] if r["student"] == student]
        assert rows and not any(r["passed"] for r in rows), (attack, rows)
        if fragment:
            assert any(fragment in r["hint"] for r in rows), (attack, rows, report["stdout"])
    edited = report["by_name"][(next(s for s, a in job.names.items()
                                     if a == "check cell edited into a print"),
                                "01_ravine", "gd_step")]
    assert edited["note"] == "check cell was edited; graded with the original"
    assert "not implemented yet" in edited["hint"]


def test_the_verdicts_alone_withstand_the_attacks_on_the_kernel(grade_jobs):
    job = grade_jobs["verdicts"]
    report = job.result()
    assert report["score"] == 0, report["stdout"]
    assert len({r["student"] for r in report["rows"]}) == len(WITHSTOOD_BY_VERDICTS) + 1
    by_attack = {job.names.get(r["student"], r["student"]): r for r in report["rows"]
                 if r["exercise"] in ("adam_step", "gd_step", "gd_rate")}
    assert "is not a function written in this notebook" in \
        by_attack["checker's reference as the answer"]["hint"]
    assert "is not a function written in this notebook (it comes from course_utils.theory)" in \
        by_attack["library function as the answer"]["hint"]


def test_a_clones_edited_checks_do_not_grade_it(grade_jobs):
    report = grade_jobs["verdicts"].result()
    rows = [r for r in report["rows"] if r["student"] == "a-edited-clone"]
    assert len(rows) == 4 and not any(r["passed"] for r in rows)
    assert all("not implemented yet" in r["hint"] for r in rows)
    assert str(ROOT / "course_utils" / "checks") in report["checks"]


def test_solved_and_honestly_different_answers_get_full_marks(grade_jobs):
    report = grade_jobs["gradebook"].result()
    for student in ("solved", "different", "pasted"):
        rows = [r for r in report["rows"] if r["student"] == student]
        assert rows and all(r["passed"] and r["points"] == r["max_points"] for r in rows), \
            (student, [r for r in rows if not r["passed"]], report["stdout"])
    assert len([r for r in report["rows"] if r["student"] == "solved"]) == 23
    assert not [o for o in report["other"] if o.startswith(("solved/", "different/"))]


def test_unsolved_exercises_fail_on_their_checks_and_nowhere_else(grade_jobs):
    report = grade_jobs["gradebook"].result()
    rows = [r for r in report["rows"] if r["student"] == "unsolved"]
    assert len(rows) == 23
    assert all(not r["passed"] and "is not implemented yet" in r["hint"] for r in rows), rows
    assert not [o for o in report["other"] if o.startswith("unsolved/")]


def test_partly_solved_work_gets_partial_points_and_the_order_explained(grade_jobs):
    rows = grade_jobs["gradebook"].result()["by_name"]
    assert rows[("partly", "01_ravine", "ravine_gradient")]["passed"]
    assert rows[("partly", "01_ravine", "largest_stable_lr")]["passed"]
    gd_step = rows[("partly", "01_ravine", "gd_step")]["hint"]
    assert "not implemented yet" in gd_step and "graded top to bottom" in gd_step
    assert "in a cell below its check" in gd_step
    gd_rate = rows[("partly", "01_ravine", "gd_rate")]["hint"]
    assert "NameError" in gd_rate and "worst_direction is defined in a cell below" in gd_rate


def test_a_dead_kernel_is_reported_as_dead_at_once(grade_jobs):
    report = grade_jobs["gradebook"].result()
    rows = report["by_name"]
    assert rows[("crashing", "01_ravine", "ravine_gradient")]["passed"]
    assert "kernel died while running this cell" in rows[("crashing", "01_ravine", "gd_step")]["hint"]
    assert "not run: the kernel died in an earlier cell" in \
        rows[("crashing", "01_ravine", "gd_rate")]["hint"]
    assert "timed out" not in report["stdout"]


def test_the_cheating_submission_is_not_graded(grade_jobs):
    rows = [r for r in grade_jobs["gradebook"].result()["rows"] if r["student"] == "cheating"]
    assert rows and all(not r["passed"] and "set_custom_exc" in r["hint"] for r in rows)


def test_the_gradebook_has_points_per_exercise_and_feedback_per_student(grade_jobs):
    job = grade_jobs["gradebook"]
    report = job.result()
    with open(job.book / "gradebook.csv", newline="") as table:
        records = list(csv.DictReader(table))
    assert len(records) == len(report["rows"])
    assert set(records[0]) == {"student", "notebook", "exercise", "points", "max_points",
                               "passed", "hint"}
    book = json.loads((job.book / "gradebook.json").read_text())
    totals = book["totals"]
    assert set(totals) == {"solved", "different", "pasted", "partly", "unsolved", "cheating",
                           "crashing"}
    maximum = sum(e.points for t in checks.TOPICS for e in checks.exercises(t))
    assert totals["solved"] == {"points": maximum, "max_points": maximum}
    assert totals["unsolved"]["points"] == totals["cheating"]["points"] == 0
    assert totals["partly"] == {"points": 2, "max_points": 4}
    assert totals["crashing"]["points"] == 1
    assert any(e.points > 1 for t in checks.TOPICS for e in checks.exercises(t))
    feedback = (job.book / "feedback" / "partly.md").read_text()
    assert "2/4 points" in feedback and "graded top to bottom" in feedback
    assert sorted(p.stem for p in (job.book / "feedback").glob("*.md")) == sorted(totals)


def test_an_infinite_loop_times_out_and_a_missing_name_is_named(grade_jobs):
    report = grade_jobs["timeout"].result()
    rows = report["by_name"]
    assert rows[("", "03_saddles", "classify_critical_point")]["hint"] == \
        f"timed out after {TIMEOUT} s - look for an infinite loop"
    assert rows[("", "03_saddles", "escape_step")]["passed"]   # later cells still graded
    assert rows[("", "03_saddles", "escape_time")]["passed"]
    assert "no notebook at 99_missing.ipynb and" in rows[("", "99_missing", "(notebook)")]["hint"]
    assert report["returncode"] == 1
    assert "Cells run top to bottom" in report["stdout"]
