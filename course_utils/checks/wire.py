"""The results of a student's function, as JSON: written by the student's kernel,
read by the grader.

Only plain values travel: arrays, numbers, strings, tuples, lists and dicts.
Floats are written with repr (json's default), so they come back bit for bit;
NaN and infinities use json's NaN/Infinity. `decode` trusts nothing: it
accepts only these shapes, within size limits, and raises ValueError on
anything else, so a forged file can at worst be reported as unreadable.
"""
from __future__ import annotations

import json
import math

import numpy as np

#: Largest results file the grader reads (the MNIST checks need about 2 MB).
MAX_BYTES = 32 * 2 ** 20
MAX_DEPTH = 8
_DTYPES = ("float64", "float32", "int64", "int32", "bool")


def encode(value):
    """`value` as JSON-ready data; raises TypeError for anything not plain."""
    if isinstance(value, np.ndarray):
        if value.dtype.name not in _DTYPES:
            raise TypeError(f"arrays of {value.dtype} are not supported")
        return {"array": value.dtype.name, "shape": list(value.shape),
                "data": value.reshape(-1).tolist()}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to the grader")


def dumps(value) -> str:
    return json.dumps(value, allow_nan=True)


def decode(data, depth: int = 0):
    """The value `encode` was given, rebuilt from untrusted JSON data."""
    if depth > MAX_DEPTH:
        raise ValueError("results nested too deeply")
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if isinstance(data, dict):
        if set(data) == {"array", "shape", "data"}:
            return _array(data)
        if set(data) == {"tuple"} and isinstance(data["tuple"], list):
            return tuple(decode(v, depth + 1) for v in data["tuple"])
        if set(data) == {"dict"} and isinstance(data["dict"], list):
            out = {}
            for pair in data["dict"]:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError("malformed dict entry")
                key = decode(pair[0], depth + 1)
                if not isinstance(key, (int, float, str)):
                    raise ValueError("dict keys must be numbers or strings")
                out[key] = decode(pair[1], depth + 1)
            return out
    raise ValueError(f"unexpected {type(data).__name__} in the results")


def _array(data):
    dtype, shape, values = data["array"], data["shape"], data["data"]
    if dtype not in _DTYPES or not isinstance(shape, list) or not isinstance(values, list):
        raise ValueError("malformed array")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError("malformed array shape")
    if math.prod(shape) != len(values):
        raise ValueError("array data does not fit its shape")
    if not all(isinstance(v, (int, float)) for v in values):
        raise ValueError("arrays hold numbers only")
    try:
        return np.array(values, dtype=dtype).reshape(shape)
    except (OverflowError, TypeError) as error:
        raise ValueError(f"array values do not fit {dtype}") from error


def loads(text: str):
    if len(text) > MAX_BYTES:
        raise ValueError("results file too large")
    return json.loads(text)
