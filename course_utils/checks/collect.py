"""The kernel's half of grading: run the student's function, send back what it returned.

When `python -m course_utils.authoring grade` runs a notebook, each check cell
becomes a call to `submit(topic, name, seed, path)`. It looks the student's
function up by name, calls it on the inputs the exercise builds from the
grader's seed, and writes the parsed results (or the reason it could not) as
JSON to `path`, in the notebook's working folder. It prints nothing and
decides nothing: the grader compares the results with the references in its
own process (course_utils/grader.py), so whatever else runs in this kernel
cannot turn a wrong answer into a PASS.
"""
from __future__ import annotations

import importlib
import os
import types

from course_utils.checks import wire


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    import __main__

    return vars(__main__)


def origin(function) -> dict:
    """Where the object the student named came from (the grader judges it)."""
    if isinstance(function, types.FunctionType):
        return {"kind": "function", "module": str(function.__module__),
                "file": function.__code__.co_filename}
    kind = type(function)
    return {"kind": f"{kind.__module__}.{kind.__qualname__}"}


def submit(topic: str, name: str, seed: int, path: str) -> None:
    record = {"exercise": name, "seed": seed}
    try:
        exercise = getattr(importlib.import_module(f"course_utils.checks.{topic}"), name)
        namespace = _user_namespace()
        if name not in namespace:
            record["missing"] = True
        else:
            function = namespace[name]
            record["origin"] = origin(function)
            results, record["fingerprint"] = exercise.collect(function, seed)
            record["results"] = wire.encode(results)
    except AssertionError as error:
        record["failure"] = str(error)
    except SystemExit:
        record["failure"] = f"{name} called sys.exit(); return the result instead"
    except Exception as error:
        record["failure"] = (f"the results of {name} could not be collected "
                             f"({type(error).__name__}: {error})")
    temporary = f"{path}.partial"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(wire.dumps(record))
    os.replace(temporary, path)
