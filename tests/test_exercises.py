"""The exercise notebooks: structure, drift, checks, wrong answers and grading.

The solutions themselves run under nbval through pytest's testpaths. Here:
- drift: regenerating exercises/ from solutions/ changes no byte;
- checks: every reference solution passes quietly (one PASS line, no numbers,
  nothing on stderr); every typical wrong answer in tests/mutants/ fails with
  the hint that names its mistake; broken answers (None, exceptions, wrong
  types) fail with an AssertionError, never a crash;
- the new hints: results in the wrong order, float32 arithmetic, RMSProp with
  the old v, Adam's EMA weights swapped, AdamW with t+1 or without eps.
Grading itself (course_utils/grader.py) is tested in tests/test_grading.py.
"""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import authoring, checks, grader

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
TOPICS = {"01_ravine": "ravine", "02_momentum_nesterov": "momentum", "03_saddles": "saddles",
          "04_adaptive": "adaptive", "05_torch_optim": "torch_optim", "06_mnist": "mnist"}
CHECK_CALL = re.compile(r"^checks\.(\w+)\.(\w+)\((\w+)\)$")
# A float in any notation, or a NumPy/torch repr: what a check must never print.
NUMBER = re.compile(r"\d\.\d|\d[eE][-+]?\d|\bnan\b|\binf\b|array\(|tensor\(")


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


def _cell(nb, cell_id):
    return next(cell for cell in nb.cells if cell.get("id") == cell_id)


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
        assert cell.source == grader.check_source(topic, name)  # what grading looks for
    # the grader takes the exercises of a notebook from the checks, in this order
    topic = checks.NOTEBOOKS[path.stem]
    assert [authoring.exercise_name(c.id) for c in _check_cells(nb)] == \
        [e.name for e in checks.exercises(topic)]


def test_regenerating_the_exercises_changes_nothing(tmp_path):
    authoring.build(SOLUTIONS, tmp_path, run=False, log=lambda *a: None)
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert generated == sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    for name in generated:
        assert (tmp_path / name).read_bytes() == (EXERCISES / name).read_bytes(), name
    assert authoring.check(log=lambda *a: None) == 0


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
def test_exercises_hide_the_solutions_and_look_unstarted(path):
    nb = _read(path)
    solution = _read(SOLUTIONS / path.name)
    text = path.read_text()
    assert authoring.BEGIN not in text and authoring.END not in text
    assert nb.nbformat_minor == 5 and nb.metadata["kernelspec"]["name"] == "python3"
    for cell, original in zip(nb.cells, solution.cells):
        assert cell.id == original.id
        if cell.cell_type == "code":  # no stored PASS line, no execution count: unstarted
            assert cell.outputs == [] and cell.execution_count is None
            assert "PASS" not in json.dumps(cell.outputs)
        if authoring.is_check_cell(cell):
            assert cell.source == original.source and original.outputs[0].text.startswith("PASS:")
        if cell.id.startswith("exercise-"):
            assert "# YOUR CODE HERE" in cell.source and "raise NotImplementedError()" in cell.source


def test_solution_regions_become_stubs_with_their_indentation():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert authoring.strip_solution(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    with pytest.raises(authoring.AuthoringError):
        authoring.strip_solution("### BEGIN SOLUTION\nx = 1\n")


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


def _adam(theta, grad, m, v, t, lr, beta1, beta2, eps, *, m_weights=(None, None)):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad ** 2
    step = lr * (m_new / (1 - beta1 ** t)) / (np.sqrt(v_new / (1 - beta2 ** t)) + eps)
    return theta - step, m_new, v_new


def _answers_for_new_hints():
    """(check, student's wrong answer, hint fragment) for the mistakes the issue lists."""
    def adagrad_swapped(theta, grad, G, lr=0.01, eps=1e-10):
        G_new = G + grad ** 2
        return G_new, theta - lr * grad / (np.sqrt(G_new) + eps)

    def rmsprop_old_v(theta, grad, v, lr=0.01, alpha=0.99, eps=1e-8):
        v_new = alpha * v + (1 - alpha) * grad ** 2
        return theta - lr * grad / (np.sqrt(v) + eps), v_new

    def adam_ema_swapped(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m_new = (1 - beta1) * m + beta1 * grad
        v_new = (1 - beta2) * v + beta2 * grad ** 2
        m_hat, v_hat = m_new / (1 - beta1 ** t), v_new / (1 - beta2 ** t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new

    def adam_order(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        theta_new, m_new, v_new = _adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
        return m_new, v_new, theta_new

    def adamw_next_t(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=1e-2):
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t + 1, lr, beta1, beta2, eps)

    def adamw_no_eps(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=1e-2):
        return _adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, 0.0)

    def adam_float32(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        f = np.float32
        out = _adam(theta.astype(f), grad.astype(f), m.astype(f), v.astype(f), t, f(lr),
                    f(beta1), f(beta2), f(eps))
        return tuple(np.asarray(a, dtype=np.float32) for a in out)

    def gradient_swapped(theta):
        return np.array([20 * theta[1], 2 * theta[0]])

    def heavy_ball_order(theta, v, grad, lr, beta):
        v_new = beta * v - lr * grad
        return v_new, theta + v_new

    return [
        (checks.adaptive.adagrad_step, adagrad_swapped, "wrong order: return (theta_new, G_new)"),
        (checks.adaptive.rmsprop_step, rmsprop_old_v, "used the old average v"),
        (checks.adaptive.adam_step, adam_ema_swapped, "weights of the averages are swapped"),
        (checks.adaptive.adam_step, adam_order, "return (theta_new, m_new, v_new) in that order"),
        (checks.adaptive.adam_step, adam_float32, "compute in float64"),
        (checks.adaptive.adamw_step, adamw_next_t, "not t + 1"),
        (checks.adaptive.adamw_step, adamw_no_eps, "eps was dropped"),
        (checks.ravine.ravine_gradient, gradient_swapped, "components are in the wrong order"),
        (checks.momentum.heavy_ball_step, heavy_ball_order, "return (theta_new, v_new)"),
    ]


@pytest.mark.parametrize("check, wrong, hint", _answers_for_new_hints(),
                         ids=lambda v: getattr(v, "__name__", "")[:30])
def test_the_issues_mistakes_get_their_own_hints(check, wrong, hint, capfd):
    with pytest.raises(AssertionError) as failure:
        check(wrong)
    assert hint in str(failure.value)
    assert capfd.readouterr() == ("", "")


def test_the_adamw_learning_rate_hint_describes_the_fix():
    hints = [m.hint for m in checks.adaptive.ADAMW_MUTANTS]
    assert not any("is scaled by the learning rate" in h for h in hints)
    assert any("use theta*(1 - lr*weight_decay), not theta*(1 - weight_decay)" in h for h in hints)


def test_a_crash_in_the_answer_points_at_the_students_line():
    import linecache

    source, filename, namespace = ("def gd_step(theta, grad, lr):\n    scale = 1 / 0\n"
                                   "    return theta\n", "/tmp/ipykernel_1/cell.py", {})
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # as IPython does
    exec(compile(source, filename, "exec"), namespace)
    with pytest.raises(AssertionError) as failure:
        checks.ravine.gd_step(namespace["gd_step"])
    assert "gd_step raised ZeroDivisionError" in str(failure.value)
    assert "line 2 of its cell: `scale = 1 / 0`" in str(failure.value)


def test_collect_and_verdict_split_a_check_at_the_wire():
    from course_utils.checks import wire

    def gd_step(theta, grad, lr):
        return theta - lr * grad

    exercise = checks.ravine.gd_step
    results, digest = exercise.collect(gd_step, seed=7)
    sent = wire.decode(wire.loads(wire.dumps(wire.encode(results))))
    assert exercise.verdict(sent, seed=7).startswith("PASS: gd_step")
    assert digest == exercise.fingerprint(7) != exercise.fingerprint(8)
    with pytest.raises(AssertionError):  # results computed for another seed
        exercise.verdict(sent, seed=8)
