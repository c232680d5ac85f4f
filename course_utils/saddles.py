"""Saddle points: find and classify critical points, time the escape, count minima.

Introduced in notebook 03 (saddle points):

    >>> from course_utils import landscapes, saddles
    >>> saddles.classify_critical_point(landscapes.saddle().hessian([0.0, 0.0]))
    'saddle'
    >>> saddles.critical_points(landscapes.plateau_saddle(), starts)   # Newton on grad = 0
    >>> saddles.escape_steps(traj, radius=1.0)       # steps to leave the saddle's ball
    >>> saddles.minima_fraction(dims=[1, 2, 3], samples=10_000, seed=0)

Every function is pure NumPy and takes everything it needs as arguments.
"""
from __future__ import annotations

import numpy as np

#: Names classify_critical_point returns, in the order of the tables.
KINDS = ("minimum", "maximum", "saddle", "degenerate")


def classify_critical_point(hessian, tol: float = 1e-9):
    """Name a critical point by the signs of its Hessian's eigenvalues.

    all eigenvalues > tol: 'minimum'; all < -tol: 'maximum'; some of each:
    'saddle'; otherwise (an eigenvalue within tol of zero and no sign change)
    'degenerate': the second-order test cannot decide, higher-order terms do.

    Args:
        hessian: a symmetric matrix (d, d), or a batch shaped (..., d, d).
        tol: eigenvalues with |lambda| <= tol count as zero.

    Returns:
        A string for one matrix, an array of strings shaped (...) for a batch.
    """
    hessian = np.asarray(hessian, dtype=float)
    if hessian.ndim < 2 or hessian.shape[-1] != hessian.shape[-2]:
        raise ValueError(f"hessian must be square, shaped (..., d, d); got {hessian.shape}")
    eigenvalues = np.linalg.eigvalsh(hessian)
    positive = (eigenvalues > tol).any(axis=-1)
    negative = (eigenvalues < -tol).any(axis=-1)
    flat = (np.abs(eigenvalues) <= tol).any(axis=-1)
    kinds = np.select(
        [positive & negative, flat, positive, negative],
        ["saddle", "degenerate", "minimum", "maximum"], default="degenerate")
    return str(kinds) if kinds.ndim == 0 else kinds


def critical_points(landscape, starts, iterations: int = 100, grad_tol: float = 1e-9,
                    decimals: int = 6) -> np.ndarray:
    """Every distinct critical point Newton's method reaches from `starts`.

    Newton's method on grad L = 0 is attracted to minima, maxima and saddles
    alike, so a grid of starts finds them all on a small 2-D landscape. The
    pseudo-inverse keeps singular Hessians (a plateau) from stopping it.

    Args:
        landscape: a course_utils.landscapes.Landscape.
        starts: (n, d) start points.
        iterations: Newton steps per start.
        grad_tol: a point counts as critical when |grad| < grad_tol.
        decimals: points equal after rounding to this many decimals are one.

    Returns:
        (k, d) array of the critical points (unrounded; one per point), sorted
        by coordinates.
    """
    x = np.array(starts, dtype=float, ndmin=2)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            step = (np.linalg.pinv(landscape.hessian(x)) @ landscape.grad(x)[..., None])[..., 0]
            x = x - step
        gradient_norm = np.linalg.norm(landscape.grad(x), axis=-1)
    found = x[np.isfinite(gradient_norm) & (gradient_norm < grad_tol)]
    found = np.where(np.abs(found) < 1e-12, 0.0, found)  # no -0.0 or 1e-17 in tables
    keys = np.round(found, decimals) + 0.0               # + 0.0 turns -0.0 into 0.0
    _, first = np.unique(keys, axis=0, return_index=True)  # sorted by the rounded key
    return found[first]


def escape_steps(traj, radius: float = 1.0, center=(0.0, 0.0)) -> np.ndarray:
    """First step at which each run is farther than `radius` from `center`.

    Args:
        traj: a Trajectory (course_utils.run), possibly batched.
        radius: size of the neighbourhood of the saddle.
        center: the saddle's position.

    Returns:
        int array shaped like the batch: the escape step, -1 where the run
        stayed inside for all traj.steps steps (a run that diverged left the
        neighbourhood before it diverged, so it counts as escaped).
    """
    distance = np.linalg.norm(traj.xs - np.asarray(center, dtype=float), axis=-1)
    outside = distance > radius  # NaN (after divergence) compares False
    return np.where(outside.any(axis=0), np.argmax(outside, axis=0), -1)


def random_symmetric_matrices(n: int, samples: int, rng, dtype=np.float32) -> np.ndarray:
    """`samples` random symmetric n x n matrices (A + A^T) / 2 with A Gaussian.

    This is the Gaussian orthogonal ensemble (GOE): a model for the Hessian at
    a critical point of a random high-dimensional function.
    """
    a = rng.standard_normal((samples, n, n), dtype=dtype)
    return (a + np.swapaxes(a, -1, -2)) / 2


def minima_fraction(dims, samples: int, seed: int) -> np.ndarray:
    """Fraction of random symmetric Hessians (GOE) with all eigenvalues > 0.

    One batched np.linalg.eigvalsh call per dimension. float32 halves the time
    and is far more precise than the sampling error.

    Args:
        dims: the dimensions n to simulate.
        samples: matrices per dimension.
        seed: seed of the random generator (the result is reproducible).

    Returns:
        array of fractions, one per dimension.
    """
    rng = np.random.default_rng(seed)
    fractions = []
    for n in dims:
        smallest = np.linalg.eigvalsh(random_symmetric_matrices(int(n), samples, rng))[:, 0]
        fractions.append(np.mean(smallest > 0))
    return np.array(fractions)


#: Dean & Majumdar (2006): for GOE matrices P(all eigenvalues > 0) ~ exp(-theta n^2).
DEAN_MAJUMDAR_THETA = np.log(3.0) / 4.0


def positive_definite(matrices) -> np.ndarray:
    """Which symmetric matrices of a batch (..., n, n) are positive definite.

    Gaussian elimination without pivoting: a symmetric matrix is positive
    definite exactly when every pivot is positive (Sylvester's criterion).
    For small n this is several times faster than eigvalsh and exact up to
    rounding, which only matters for matrices within rounding of singular.
    """
    a = np.array(matrices, dtype=float)
    ok = np.ones(a.shape[:-2], dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(a.shape[-1]):
            pivot = a[..., k, k]
            ok &= pivot > 0
            row = a[..., k, k + 1:] / np.where(ok, pivot, 1.0)[..., None]
            a[..., k + 1:, k + 1:] -= a[..., k + 1:, k, None] * row[..., None, :]
    return ok


def minima_probability(n: int, samples: int, seed: int, shift: float = 0.0):
    """P(a GOE matrix is positive definite), by (importance-sampled) Monte Carlo.

    With shift = 0 this is the plain fraction of positive-definite samples.
    With shift > 0 the diagonal is drawn with mean `shift` (more samples are
    positive definite) and each sample is weighted by the likelihood ratio
    exp(-shift * trace + n shift^2 / 2), which keeps the estimate unbiased and
    reaches probabilities far below 1 / samples.

    Returns:
        (estimate, standard_error), both floats.
    """
    rng = np.random.default_rng(seed)
    h = random_symmetric_matrices(int(n), samples, rng, dtype=np.float64)
    idx = np.arange(int(n))
    h[:, idx, idx] += shift
    weights = np.exp(-shift * h[:, idx, idx].sum(axis=-1) + n * shift**2 / 2) * positive_definite(h)
    return float(weights.mean()), float(weights.std() / np.sqrt(samples))


def coin_flip_minima_fraction(dims) -> np.ndarray:
    """The naive model: each of n eigenvalues is positive with probability 1/2."""
    return 0.5 ** np.asarray(dims, dtype=float)
