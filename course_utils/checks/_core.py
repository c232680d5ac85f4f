"""What every check shares: calling the student's code safely, shape and type
tests, comparing against the reference, and naming the likely mistake.

A check is a function decorated with `@check`. It calls the student's function
through `call` (which turns any exception into an AssertionError with a hint),
compares the results with a reference, and, when they differ, asks `diagnose`
which typical mistake (a "mutant": the reference with one deliberate bug)
reproduces the student's answer on every case. The decorated check prints one
fixed PASS line on success and raises AssertionError with a one-line hint on
failure. Nothing it prints or raises contains a float, an array or a repr, so
the stored PASS output is the same on every machine.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import traceback
import warnings
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["fail", "call", "as_array", "as_float", "as_int", "as_pair", "close",
           "compare", "diagnose", "run_cases", "same_arrays", "unchanged", "Mutant", "rng",
           "one_torch_thread", "Exercise", "case_exercise", "fingerprint"]

#: Default tolerances for floating-point comparisons (float64 NumPy code).
RTOL = 1e-7
ATOL = 1e-10


class Mutant:
    """A typical wrong answer: a function with the student's signature and the
    hint to show when the student's results match it on every case."""

    def __init__(self, hint: str, fn: Callable):
        self.hint = hint
        self.fn = fn


def fail(message: str):
    """Raise the AssertionError a check reports (one line, no numbers needed)."""
    raise AssertionError(" ".join(str(message).split()))


def rng(seed: int = 0) -> np.random.Generator:
    """The check's own generator: the student's global seeds are not touched."""
    return np.random.default_rng(seed)


@contextlib.contextmanager
def _quiet():
    """Keep everything the student's code or NumPy/torch might print off the
    cell's output: warnings, floating-point warnings, stdout and stderr.

    A check cell's output is compared exactly with the stored PASS line, so a
    debugging print or a RuntimeWarning inside a correct answer must not fail
    it.
    """
    sink = io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        yield


class Exercise:
    """One graded exercise, split where grading needs it split.

    - `cases(seed)` builds the inputs (NumPy arrays, numbers, small objects);
    - `run(student, cases)` calls the student's function on them and returns
      its results, parsed into plain values (arrays, floats, ints, strings,
      tuples, lists, dicts); it may fail() on a broken answer (None, wrong
      type, an exception, an input modified in place);
    - `judge(results, cases)` compares the results with the reference and
      returns the PASS line, or fails with the hint that names the mistake.

    Called as `checks.<topic>.<name>(function)` in a notebook, the exercise
    does all three in the kernel with its fixed practice seed and prints one
    PASS line. The grader instead draws a seed per grading run, lets the
    student's kernel do only `collect` (cases and run), and calls `verdict`
    (cases and judge) in its own process, where nothing in the kernel can
    reach it (see course_utils/authoring.py).

    `points` is the exercise's weight in the gradebook; `by_hand` marks
    exercises that ask for the update rule itself, where calling a library's
    optimizer is reported.
    """

    is_check = True

    def __init__(self, name: str, *, cases: Callable, run: Callable, judge: Callable, seed: int,
                 points: int = 1, by_hand: bool = False, torch: bool = False,
                 warm: Callable | None = None):
        self.__name__ = self.name = name
        self._warm = warm
        self.cases, self.run, self.judge = cases, run, judge
        self.seed, self.points, self.by_hand, self.torch = seed, points, by_hand, torch
        self.__doc__ = getattr(judge, "__doc__", None)

    def __repr__(self):
        return f"<exercise check {self.name}>"

    def __call__(self, student_function):
        """The practice check: run and judge here, print the PASS line or raise."""
        __tracebackhide__ = True  # pytest shows the check cell, not the check's insides
        cases = self.cases(self.seed)
        line = self._guarded(lambda: self.judge(self._run(student_function, cases), cases))
        print(line)

    def collect(self, student_function, seed: int):
        """(results, fingerprint of the inputs) for the grader; raises AssertionError
        with a hint when the answer is broken (the grader reports that as a FAIL)."""
        cases = self.cases(seed)
        digest = fingerprint(cases)
        return self._guarded(lambda: self._run(student_function, cases)), digest

    def verdict(self, results, seed: int) -> str:
        """The PASS line for results collected with `seed`, or AssertionError(hint)."""
        cases = self.cases(seed)
        return self._guarded(lambda: self.judge(results, cases))

    def warm(self, seed: int) -> None:
        """Compute ahead what `verdict` will need (the grader does this while the
        kernel runs); errors are left for `verdict` to report."""
        if self._warm is not None:
            try:
                self._guarded(lambda: self._warm(seed))
            except AssertionError:
                pass

    def fingerprint(self, seed: int) -> str:
        return fingerprint(self.cases(seed))

    def _run(self, student_function, cases):
        if student_function is None or not callable(student_function):
            fail(f"{self.name} expects your function as its argument (got "
                 f"{type(student_function).__name__}): run the cell that defines it")
        return self.run(student_function, cases)

    def _guarded(self, work: Callable):
        """Run quietly (torch on one thread when needed); any unexpected error
        becomes an AssertionError with a message."""
        message = None
        try:
            with _quiet(), (one_torch_thread() if self.torch else contextlib.nullcontext()):
                return work()
        except AssertionError as error:
            message = str(error)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a bug the typed checks did not foresee
            message = (f"the check could not use what {self.name} returned "
                       f"({type(error).__name__}); compare your return values with the "
                       "docstring")
        raise AssertionError(message) from None


def case_exercise(name: str, *, seed: int, cases: Callable, parse: Callable,
                  arg_names: Sequence[str], reference: Callable, mutants: Sequence["Mutant"],
                  same: Callable, generic: str, passed: str, labels: Sequence[str] = (),
                  **options) -> Exercise:
    """An exercise of the common shape: call the student's function on each case,
    compare each result with the reference. `passed` is the PASS line, with {n}
    for the number of cases; `labels` name the parts of a tuple result."""

    def run(student, cases_):
        return run_cases(student, cases_, parse, name, arg_names)

    def judge(results, cases_):
        n = compare(name, results, cases_, reference, mutants, same, generic, labels=labels)
        return passed.format(n=n)

    return Exercise(name, cases=cases, run=run, judge=judge, seed=seed, **options)


def fingerprint(value) -> str:
    """A digest of a check's inputs: the grader compares the kernel's with its own,
    so that a course_utils that builds different inputs is reported as such."""
    digest = hashlib.sha256()

    def feed(v):
        if isinstance(v, np.ndarray):
            digest.update(f"a{v.dtype.str}{v.shape}".encode())
            digest.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (list, tuple)):
            digest.update(f"l{len(v)}".encode())
            for item in v:
                feed(item)
        elif isinstance(v, dict):
            digest.update(f"d{len(v)}".encode())
            for key in sorted(v, key=repr):
                feed(key)
                feed(v[key])
        elif isinstance(v, (bool, int, float, str, np.number, type(None))):
            digest.update(repr(v).encode())
        else:  # a check's own helper object, e.g. a gradient function
            feed(getattr(v, "fingerprint", type(v).__name__))

    feed(value)
    return digest.hexdigest()


class one_torch_thread:
    """Run torch on one thread inside a check, then restore the student's setting.

    The checks' networks are tiny, where extra threads only add overhead (and
    fight over a busy machine's cores); one thread also gives the student's
    run and the reference the same arithmetic.
    """

    def __enter__(self):
        import torch

        self.threads = torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.threads)


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


_PACKAGE_DIR = __file__.rsplit("/", 2)[0]  # course_utils/


def _where_in_student_code(error: BaseException) -> str:
    """' (at line N of <function>: <source line>)' for the deepest frame of the
    traceback that is the student's own code (not the checks, not a library)."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)[1:]
              if not frame.filename.startswith(_PACKAGE_DIR)
              and "site-packages" not in frame.filename
              and "/lib/python" not in frame.filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = " ".join((frame.line or "").split())
    if len(line) > 60:
        line = line[:57] + "..."
    where = f" (in {frame.name}, line {frame.lineno} of its cell"
    return f"{where}: `{line}`)" if line else f"{where})"


def call(function: Callable, *args, name: str | None = None, **kwargs):
    """Call the student's function; any exception becomes an AssertionError
    whose hint points at the student's own line."""
    name = name or getattr(function, "__name__", "your function")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(f"{name} is not implemented yet: replace `raise NotImplementedError()` "
             "with your code")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        fail(f"{name} raised {_describe(error)}{_where_in_student_code(error)}")


def _type_name(value) -> str:
    return type(value).__name__


def as_array(value, shape: Sequence[int], name: str, what: str = "the result") -> np.ndarray:
    """The student's result as a float array of the expected shape, or a hint."""
    if value is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if isinstance(value, (tuple, list)) and len(value) and not np.isscalar(value[0]) \
            and np.ndim(value[0]) > 0:
        fail(f"{name} returned several values; {what} should be one array")
    if isinstance(value, (str, bytes, dict, set)):
        fail(f"{name} returned a {_type_name(value)}; {what} should be a NumPy array")
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{name} returned a {_type_name(value)}; {what} should be a NumPy array")
    if array.shape != tuple(shape):
        fail(f"{name} returned {what} with shape {array.shape}; expected shape "
             f"{tuple(shape)}")
    return array


def as_float(value, name: str, what: str = "the result") -> float:
    """A single real number: a Python or NumPy number, or a 0-d NumPy array."""
    if value is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if isinstance(value, (bool, np.bool_)):
        fail(f"{name} returned a bool; {what} should be a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        return float(value)
    if type(value).__module__.startswith("torch"):
        fail(f"{name} returned a torch {_type_name(value)}; {what} should be a Python "
             "float: use .item()")
    shape = getattr(value, "shape", None)
    if shape is None and isinstance(value, (list, tuple)):
        shape = (len(value),)
    extra = f" with shape {tuple(shape)}" if shape is not None else ""
    fail(f"{name} returned a {_type_name(value)}{extra}; {what} should be a single number")


def as_int(value, name: str, what: str = "the result") -> int:
    """A whole number (Python int or NumPy integer); floats and bools are refused."""
    if value is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if isinstance(value, (bool, np.bool_)):
        fail(f"{name} returned a bool; {what} should be an int")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        fail(f"{name} returned a float; {what} should be an int (use int(...))")
    fail(f"{name} returned a {_type_name(value)}; {what} should be an int")


def as_pair(value, name: str, n: int = 2, what: str = "") -> tuple:
    """A tuple (or list) of exactly n results."""
    if value is None:
        fail(f"{name} returned None: did you forget the `return` statement?")
    if not isinstance(value, (tuple, list)) or len(value) != n:
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else \
            f"a {_type_name(value)}"
        fail(f"{name} should return {n} values{what}; it returned {got}")
    return tuple(value)


def close(a, b, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Equal within tolerance, with matching NaN/inf patterns."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def unchanged(originals: Iterable, after: Iterable) -> int | None:
    """Index of the first input that the student's call modified, else None."""
    for i, (before, now) in enumerate(zip(originals, after)):
        if isinstance(before, np.ndarray) and not np.array_equal(before, now, equal_nan=True):
            return i
    return None


def diagnose(student_results: list, cases: list, mutants: Sequence[Mutant],
             same: Callable[[object, object], bool]) -> str | None:
    """The hint of the first mutant whose output equals the student's on every case.

    Mutants that raise (for example on a case where their bug divides by
    zero) simply do not match.
    """
    for mutant in mutants:
        try:
            with np.errstate(all="ignore"):
                if all(same(got, mutant.fn(*_copy(case))) for got, case in zip(student_results, cases)):
                    return mutant.hint
        except Exception:
            continue
    return None


def _copy(case):
    return tuple(np.array(c, copy=True) if isinstance(c, np.ndarray) else c for c in case)


def run_cases(student: Callable, cases: list, parse: Callable, name: str,
              arg_names: Sequence[str]) -> list:
    """Call the student's function on every case (on copies of the inputs),
    parse each result with `parse(result, case)`, and fail with a clear hint
    if an input array was modified."""
    results = []
    for case in cases:
        inputs = _copy(case)
        out = call(student, *inputs, name=name)
        changed = unchanged(case, inputs)
        if changed is not None:
            fail(f"{name}: you modified the input array `{arg_names[changed]}` in place; "
                 f"build a new array instead (write `x = x - ...`, not `x -= ...`)")
        results.append(parse(out, case))
    return results


#: A result within these tolerances of the reference, but not within the
#: check's own, was computed in single precision.
FLOAT32_RTOL, FLOAT32_ATOL = 1e-4, 1e-6


def compare(name: str, student_results: list, cases: list, reference: Callable,
            mutants: Sequence[Mutant], same: Callable, generic: str,
            labels: Sequence[str] = ()) -> int:
    """Compare with the reference; on a mismatch fail with the best hint.

    Besides the mutants, two mistakes of any exercise are recognised: a tuple
    result in the wrong order (`labels` names its parts) and arithmetic in
    float32. Returns the number of cases checked, for the PASS line.
    """
    expected = [reference(*_copy(case)) for case in cases]
    bad = [i for i, (got, ref) in enumerate(zip(student_results, expected)) if not same(got, ref)]
    if not bad:
        return len(cases)
    where = f"{len(bad)} of {len(cases)} cases"
    hint = diagnose(student_results, cases, mutants, same) or \
        _wrong_order(student_results, expected, same, labels) or \
        _single_precision(student_results, expected)
    if hint:
        fail(f"{name} differs from the reference in {where}: {hint}")
    fail(f"{name} differs from the reference in {where}. {generic}")


def _wrong_order(results, expected, same, labels) -> str | None:
    if not (labels and all(isinstance(r, tuple) and len(r) == len(labels) for r in results)):
        return None
    for order in itertools.permutations(range(len(labels))):
        if list(order) != sorted(order) and all(
                same(tuple(got[i] for i in order), ref) for got, ref in zip(results, expected)):
            return (f"the results are in the wrong order: return ({', '.join(labels)}) "
                    "in that order")
    return None


def _single_precision(results, expected) -> str | None:
    try:
        near = all(same_arrays(FLOAT32_RTOL, FLOAT32_ATOL)(got, ref)
                   for got, ref in zip(results, expected))
    except Exception:
        return None
    if near:
        return ("the formula looks right but only about 7 digits agree: compute in float64 "
                "(NumPy's default); np.float32 or torch.float32 rounds every step")
    return None


def same_arrays(rtol: float = RTOL, atol: float = ATOL) -> Callable:
    """A `same` test for results that are arrays or tuples of arrays."""

    def same(a, b):
        if isinstance(a, tuple):
            return isinstance(b, tuple) and len(a) == len(b) and \
                all(close(x, y, rtol, atol) for x, y in zip(a, b))
        return close(a, b, rtol, atol)

    return same
