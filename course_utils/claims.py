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

# Every bounded claim checked in this process, in order (see `claim_bound`).
# benchmarks/calibrate_06.py reads it to measure each claim's value, spread
# and margin under perturbation.
RECORD: list[dict] = []
# Set to False only by the calibration script: a failing claim is then
# recorded and reported instead of stopping the notebook.
RAISE_ON_FAILURE = True


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
    RECORD.append(dict(statement=statement, value=None, above=None, below=None,
                       margin=None, holds=ok, **tolerance_record(measured_arr, expected_arr, rel, abs)))
    if not ok:
        message = (f"claim {statement!r} does not hold: the notebook computed {measured!r}, "
                   f"the text says {expected!r}. Update the prose or find what changed.")
        if RAISE_ON_FAILURE:
            raise AssertionError(message)
        print(f"FAILED: {statement}")
        return
    print(f"checked: {statement}")


def tolerance_slack(measured, expected, rel: float, abs: float) -> np.ndarray:
    """How far inside `claim`'s tolerance each element lies, elementwise (negative: outside).

    The tolerance is math.isclose's, max(rel * max(|measured|, |expected|), abs).
    Where that difference is not finite (infinities), equal values get +inf and
    others -inf, as math.isclose would judge them.
    """
    m, e = np.asarray(measured, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore"):
        slack = np.maximum(rel * np.maximum(np.abs(m), np.abs(e)), abs) - np.abs(m - e)
    return np.where(np.isfinite(slack), slack, np.where(m == e, np.inf, -np.inf))


def tolerance_record(measured, expected, rel: float, abs: float) -> dict:
    """What benchmarks/calibrate_lectures.py needs of an approximate `claim`: the
    measured and expected numbers and the slack left inside the tolerance (smallest over the
    elements; None for an exact claim, which has no slack to measure)."""
    if rel == abs == 0 or measured.dtype.kind not in "biuf" or expected.dtype.kind not in "biuf":
        return dict(measured=None, expected=None, slack=None, rel=rel, abs=abs)
    m, e = measured.astype(float).ravel(), expected.astype(float).ravel()
    return dict(measured=[float(v) for v in m], expected=[float(v) for v in e],
                slack=float(tolerance_slack(m, e, rel, abs).min()), rel=rel, abs=abs)


def claim_bound(statement: str, value: float, *, above: float | None = None,
                below: float | None = None) -> None:
    """Assert above < value < below (either bound optional) and print a verdict.

    For claims about measured, noisy quantities: the bounds are the claim,
    set with a margin over the spread measured under perturbation (seeds,
    threads, CPU kernels; benchmarks/calibrate_06.py), so the printed verdict
    is the same on every machine while a real regression still crosses a
    bound. The value itself is never printed here: show it in an ordinary cell.

    Args:
        statement: the claim, worded as in the prose.
        value: the measured number (a float; nan fails).
        above, below: the bounds it must lie strictly between.
    """
    if above is None and below is None:
        raise ValueError(f"claim {statement!r}: give a bound (above= and/or below=)")
    value = float(value)
    margins = [value - above] if above is not None else []
    margins += [below - value] if below is not None else []
    margin = min(margins) if math.isfinite(value) else -math.inf
    holds = margin > 0
    RECORD.append(dict(statement=statement, value=value, above=above, below=below,
                       margin=margin, holds=holds))
    if holds:
        print(f"checked: {statement}")
        return
    bounds = " and ".join(b for b in [f"> {above:g}" if above is not None else "",
                                      f"< {below:g}" if below is not None else ""] if b)
    message = (f"claim {statement!r} does not hold: the notebook computed {value!r}, "
               f"the text needs {bounds}. Update the prose or find what changed.")
    if RAISE_ON_FAILURE:
        raise AssertionError(message)
    print(f"FAILED: {statement}")
