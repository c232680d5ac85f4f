"""Check the numbers a notebook's prose states against what it computes.

Every number in the lecture text (steps to tolerance, rates, thresholds,
table entries) is computed in the notebook. A cell then calls `claim` with
the sentence as written in the prose and the computed value:

    claim("GD needs 81 steps to reach a loss of 1e-6", steps, 81)

On success it prints one fixed line ("checked: GD needs 81 steps ...") that
nbval compares with the stored output; on a mismatch it raises, so the cell
fails and the prose cannot silently drift from the code.
"""
from __future__ import annotations

import math

import numpy as np


def claim(statement: str, measured, expected, rel: float = 0.0, abs: float = 0.0) -> None:
    """Assert measured == expected (within rel/abs tolerance) and say so.

    Args:
        statement: the claim, worded as in the prose.
        measured: what the notebook computed (a number, bool or array).
        expected: what the prose says (same type).
        rel, abs: tolerances for numbers (math.isclose semantics); exact by
            default, which suits integers such as step counts.
    """
    measured_arr = np.asarray(measured)
    expected_arr = np.asarray(expected)
    if measured_arr.shape != expected_arr.shape:
        raise AssertionError(
            f"claim {statement!r}: computed shape {measured_arr.shape}, "
            f"the text assumes {expected_arr.shape}")
    if measured_arr.dtype.kind in "biu" and expected_arr.dtype.kind in "biu" and rel == abs == 0:
        ok = bool(np.all(measured_arr == expected_arr))
    else:
        ok = all(math.isclose(float(m), float(e), rel_tol=rel, abs_tol=abs)
                 for m, e in zip(measured_arr.ravel(), expected_arr.ravel()))
    if not ok:
        raise AssertionError(
            f"claim {statement!r} does not hold: the notebook computed {measured!r}, "
            f"the text says {expected!r}. Update the prose or find what changed.")
    print(f"checked: {statement}")
