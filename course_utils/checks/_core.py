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
import functools
import io
import warnings
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["check", "fail", "call", "as_array", "as_float", "as_int", "as_pair", "close",
           "compare", "diagnose", "run_cases", "same_arrays", "unchanged", "Mutant", "rng",
           "one_torch_thread"]

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


def check(fn: Callable | None = None, *, torch: bool = False) -> Callable:
    """Turn `fn(student_function, ...) -> pass_line` into a check.

    The wrapped check verifies that it got a function, runs `fn` quietly
    (with torch on one thread when torch=True), converts any unexpected error
    into an AssertionError with a message, and prints the returned PASS line
    exactly once.
    """
    if fn is None:
        return functools.partial(check, torch=torch)

    @functools.wraps(fn)
    def wrapper(student_function, *args, **kwargs):
        __tracebackhide__ = True  # IPython shows the check cell, not the check's insides
        if student_function is None or not callable(student_function):
            fail(f"{fn.__name__} expects your function as its argument (got "
                 f"{type(student_function).__name__}): run the cell that defines it")
        message = None
        try:
            with _quiet(), (one_torch_thread() if torch else contextlib.nullcontext()):
                line = fn(student_function, *args, **kwargs)
        except AssertionError as error:
            message = str(error)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a bug the typed checks did not foresee
            message = (f"the check could not use what {fn.__name__} returned "
                       f"({type(error).__name__}); compare your return values with the "
                       "docstring")
        if message is not None:
            raise AssertionError(message) from None
        print(line)

    wrapper.is_check = True
    return wrapper


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


def call(function: Callable, *args, name: str | None = None, **kwargs):
    """Call the student's function; any exception becomes an AssertionError."""
    name = name or getattr(function, "__name__", "your function")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(f"{name} is not implemented yet: replace `raise NotImplementedError()` "
             "with your code")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        fail(f"{name} raised {_describe(error)}")


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


def compare(name: str, student_results: list, cases: list, reference: Callable,
            mutants: Sequence[Mutant], same: Callable, generic: str) -> int:
    """Compare with the reference; on a mismatch fail with the best hint.

    Returns the number of cases checked, for the PASS line.
    """
    expected = [reference(*_copy(case)) for case in cases]
    bad = [i for i, (got, ref) in enumerate(zip(student_results, expected)) if not same(got, ref)]
    if not bad:
        return len(cases)
    hint = diagnose(student_results, cases, mutants, same)
    where = f"{len(bad)} of {len(cases)} cases"
    if hint:
        fail(f"{name} differs from the reference in {where}: {hint}")
    fail(f"{name} differs from the reference in {where}. {generic}")


def same_arrays(rtol: float = RTOL, atol: float = ATOL) -> Callable:
    """A `same` test for results that are arrays or tuples of arrays."""

    def same(a, b):
        if isinstance(a, tuple):
            return isinstance(b, tuple) and len(a) == len(b) and \
                all(close(x, y, rtol, atol) for x, y in zip(a, b))
        return close(a, b, rtol, atol)

    return same
