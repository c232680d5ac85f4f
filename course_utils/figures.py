"""Lecture figures too long to live-code: each is one call in a notebook cell.

Introduced in lectures 02 and 03, where a cell should stay at about a dozen
visible lines. Every function takes what it draws as arguments (no notebook
globals) and returns the Figure, sized to stay readable at 1280x720 (text at
least 12 px once JupyterLab scales the PNG to its output width).

    >>> figures.rate_map(ax, lrs, betas, rates, title="heavy ball")
    >>> figures.lookahead_toy(theta, velocity, lr, beta, heavy_run, nesterov_run)
    >>> figures.symptom_grid(cases)
    >>> figures.frequency_response(betas)
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.ticker import LogLocator, NullLocator

from .style import color_for

#: Colours for "the symptom" and "after the fix" in the debugging figures.
SYMPTOM_COLOR = "#D55E00"
FIXED_COLOR = "#4D4D4D"


def rate_map(ax, lrs, betas, rates, title: str, ceiling=None, measured=None, optimum=None,
             vmin: float = 0.5):
    """Contraction per step over an (lr, beta) grid, with the diverging region hatched.

    Args:
        ax: axes to draw into.
        lrs, betas: 1-D grids; rates: shaped (len(betas), len(lrs)).
        ceiling: optional (betas, lrs) curve of the stability boundary.
        measured: optional (lrs, betas, rates) of measured runs, drawn as
            dots filled with their measured rate on the same colour scale.
        optimum: optional (lr, beta) marked with a star.
        vmin: the rate at the bottom of the colour scale.

    Returns:
        The image (for a colour bar).
    """
    norm = Normalize(vmin, 1.0)
    shown = np.where(rates < 1, rates, np.nan)
    image = ax.pcolormesh(lrs, betas, shown, cmap="viridis", norm=norm, shading="auto",
                          rasterized=True)
    ax.contourf(lrs, betas, (rates >= 1).astype(float), levels=[0.5, 1.5], colors="none",
                hatches=["//"])
    lines = ax.contour(lrs, betas, rates, levels=[0.6, 0.7, 0.8, 0.9, 0.95], colors="white",
                       linewidths=1.0)
    ax.clabel(lines, fmt="%.2f", fontsize=14)
    if ceiling is not None:
        ax.plot(ceiling[1], ceiling[0], color="#D55E00", linewidth=3, label="stability ceiling")
    if measured is not None:
        ax.scatter(measured[0], measured[1], c=measured[2], cmap="viridis", norm=norm, s=140,
                   edgecolors="white", linewidths=2, zorder=5, label="measured runs")
    if optimum is not None:
        ax.plot(*optimum, "*", color="gold", markeredgecolor="black", markersize=22, zorder=6,
                label="optimum")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(r"momentum $\beta$")
    ax.set_title(title)
    return image


def lookahead_toy(theta, velocity, lr, beta, heavy_path, nesterov_path, steps: int = 60):
    """Lecture 02's 1-D toy on L = theta^2 / 2: one step from the same state, and whole runs.

    Args:
        theta, velocity: the ball's state before the step.
        heavy_path, nesterov_path: theta per step of the two whole runs.
    """
    lookahead = theta + beta * velocity
    landing = {"Heavy ball": theta + beta * velocity - lr * theta,
               "Nesterov": theta + beta * velocity - lr * lookahead}
    fig, (ax_toy, ax_run) = plt.subplots(1, 2, figsize=(13, 5.8))
    grid = np.linspace(-1.1, 1.2, 200)
    ax_toy.plot(grid, grid**2 / 2, color="#5B7083")
    for point, name, color in [(theta, "ball", "black"), (lookahead, "look-ahead", color_for("Nesterov"))]:
        ax_toy.plot(grid, point**2 / 2 + point * (grid - point), ":", color=color, linewidth=1.8)
        ax_toy.plot(point, point**2 / 2, "o", color=color, markersize=13, markeredgecolor="black",
                    label=f"{name}: slope {point:.2f}")
    for name, x in landing.items():
        ax_toy.annotate("", xy=(x, x**2 / 2), xytext=(theta, theta**2 / 2),
                        arrowprops=dict(arrowstyle="->", color=color_for(name), linewidth=2.6,
                                        connectionstyle="arc3,rad=0.3"))
        ax_toy.plot(x, x**2 / 2, "X", color=color_for(name), markersize=14, markeredgecolor="black",
                    label=f"{name} lands at {x:+.2f}")
    ax_toy.set(ylim=(-0.05, 0.75), xlabel=r"$\theta$", ylabel="loss", title="one step from the same state")
    ax_toy.legend(loc="upper center", fontsize=13)
    for name, values in [("Heavy ball", heavy_path), ("Nesterov", nesterov_path)]:
        ax_run.plot(values[:steps + 1], "o-", color=color_for(name), markersize=5, label=name)
    ax_run.axhline(0, color="black", linewidth=0.8)
    ax_run.set(xlabel="step", ylabel=r"$\theta$", title=rf"whole runs, lr {lr}, $\beta$ {beta}")
    ax_run.legend()
    ax_run.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def symptom_grid(cases: dict, columns: int = 2, panel_size=(6.5, 4.6)):
    """One panel per debugging case: the symptom (red-orange) over the fixed run (grey).

    Args:
        cases: title -> dict with "steps" (x values), "symptom" and "fixed"
            (y values, NaN-free), "ylabel", optional "log" (default True),
            "ylim" and "note" (text in the panel's corner, e.g. "inf at step 67").
    """
    rows = -(-len(cases) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                             squeeze=False)
    for ax, (title, case) in zip(axes.ravel(), cases.items()):
        draw = ax.semilogy if case.get("log", True) else ax.plot
        for key, color in [("fixed", FIXED_COLOR), ("symptom", SYMPTOM_COLOR)]:
            steps = case.get(f"{key}_steps", case["steps"])
            draw(steps[:len(case[key])], case[key], color=color, linewidth=2.4,
                 label="after the fix" if key == "fixed" else "symptom")
        if case.get("note"):
            ax.text(0.97, 0.95, case["note"], transform=ax.transAxes, ha="right", va="top",
                    color=SYMPTOM_COLOR, fontweight="bold", fontsize=14,
                    bbox=dict(facecolor="white", alpha=0.85, edgecolor="none"))
        ax.set(title=title, xlabel="step", ylabel=case["ylabel"])
        if "ylim" in case:  # autoscaling fails on values near the float64 limit
            ax.set_ylim(*case["ylim"])
        if case.get("log", True):
            ax.yaxis.set_major_locator(LogLocator(numticks=6))  # few labels: readable, and fast to lay out
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(cases):]:
        ax.axis("off")
    axes[0, 0].legend(loc="lower left")
    fig.tight_layout()
    return fig


def frequency_response(betas, ax=None):
    """Gain of the momentum buffer b <- beta b + g for a gradient oscillating at frequency omega.

    A gradient g_k = cos(omega k) settles to a buffer of amplitude
    1 / |1 - beta e^{-i omega}|: 1/(1 - beta) for a constant gradient
    (omega = 0), 1/(1 + beta) for one that flips sign every step (omega = pi).
    Momentum is a low-pass filter on the gradient.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 6))
    omega = np.linspace(0, np.pi, 400)
    shades = plt.cm.Blues(np.linspace(0.45, 1.0, len(betas)))
    for beta, shade in zip(betas, shades):
        ax.semilogy(omega / np.pi, 1 / np.abs(1 - beta * np.exp(-1j * omega)), color=shade,
                    label=rf"$\beta$ = {beta:g}")
    ax.axhline(1, color=FIXED_COLOR, linestyle=":", linewidth=1.5)
    ax.set(xlabel=r"gradient frequency $\omega/\pi$ (1: sign flips every step)",
           ylabel="gain of the momentum buffer", title="momentum is a low-pass filter on the gradient")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax.figure


def race_grid(landscapes_by_track: dict, runs: dict, names, windows: dict, goals: dict):
    """Lecture 04's race: a path map above a progress curve for each track, 2 x n.

    Args:
        landscapes_by_track: track -> Landscape.
        runs: (track, name) -> Trajectory.
        names: the optimizers to draw.
        windows: track -> ((x0, x1), (y0, y1)).
        goals: track -> the loss to reach, or None for a saddle (then the
            distance from the saddle is drawn, with radius 1 dotted).
    """
    from . import plotting  # plotting imports style only; no cycle, kept local for clarity

    tracks = list(windows)
    fig, axes = plt.subplots(2, len(tracks), figsize=(4.4 * len(tracks), 9.5), layout="constrained",
                             gridspec_kw={"height_ratios": [1.15, 1]}, squeeze=False)
    for (ax_map, ax_curve), track in zip(axes.T, tracks):
        land = landscapes_by_track[track]
        plotting.paths(land, {name: runs[(track, name)] for name in names}, ax=ax_map,
                       bounds=windows[track], legend=False, markers=False, title=track)
        for name in names:
            traj = runs[(track, name)]
            values = np.linalg.norm(traj.path(), axis=-1) if goals[track] is None else traj.valid_losses()
            ax_curve.semilogy(values, color=color_for(name))
        if goals[track] is None:
            ax_curve.axhline(1.0, color="black", linestyle=":", linewidth=1.5)
            ax_curve.set(ylabel="distance from the saddle", ylim=(1e-3, 1e2))
        else:
            ax_curve.axhline(goals[track], color="black", linestyle=":", linewidth=1.5)
            ax_curve.set(ylabel="loss", ylim=(1e-12, 1e3))
        ax_curve.set_xlabel("step")
        ax_curve.yaxis.set_major_locator(LogLocator(numticks=6))  # few labels: readable, and fast to lay out
        ax_curve.yaxis.set_minor_locator(NullLocator())
        ax_curve.grid(True, alpha=0.3)
    handles = [plt.Line2D([], [], color=color_for(name), linewidth=4) for name in names]
    fig.legend(handles, list(names), loc="outside lower center", ncols=3)
    return fig
