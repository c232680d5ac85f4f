"""Lecture figures too long to live-code: each is one call in a notebook cell.

Introduced in lectures 01, 02 and 03, where a cell should stay at about a
dozen visible lines. Every function takes what it draws as arguments (no notebook
globals) and returns the Figure, sized to stay readable at 1280x720 (text at
least 12 px once JupyterLab scales the PNG to its output width).

    >>> figures.rate_map(ax, lrs, betas, rates, title="heavy ball")
    >>> figures.lookahead_toy(theta, velocity, lr, beta, heavy_run, nesterov_run)
    >>> figures.symptom_grid(cases)
    >>> figures.frequency_response(betas)
    >>> figures.map_and_curves(landscape, paths, curves, colors, map_title, curves_title)

Every Figure lays itself out (constrained or tight layout), so it needs no
bbox_inches="tight" pass when it is saved or shown inline.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.ticker import LogLocator, NullLocator

from . import plotting
from .style import color_for

#: Every "diverges" mark in the lectures, and the symptom in the debugging
#: figures: Paul Tol's vibrant red, which is no optimizer's colour (style.py).
DIVERGED_COLOR = "#CC3311"
SYMPTOM_COLOR = DIVERGED_COLOR
#: "After the fix" and the theory curves of lecture 01.
FIXED_COLOR = "#4D4D4D"


# ==========================================================================
# Lectures 01-02 (new helpers go at the end of the module, not here)


# --------------------------------------------------------------------------
# Lecture 01: the ravine


def rate_against_lr(lrs, shallow, steep, rate, measured_lrs, measured, best_lr: float,
                    ceiling: float):
    """Lecture 01's V: contraction per step against the learning rate.

    Args:
        lrs: the dense lr grid of the curves.
        shallow, steep: |1 - lr lambda_min| and |1 - lr lambda_max| on `lrs`.
        rate: the theory, the larger of the two, on `lrs`.
        measured_lrs, measured: the lrs run and their measured rates (dots).
        best_lr: marked with a dotted line; ceiling: where the shaded
            diverging region starts.
    """
    if not len(measured_lrs) == len(measured):
        raise ValueError("measured_lrs and measured must have the same length")
    right = float(np.max(lrs))
    fig, ax = plt.subplots(figsize=(11, 6.2), layout="constrained")
    ax.plot(lrs, shallow, "--", color="#009E73", linewidth=1.8, label=r"shallow: $|1-\mathrm{lr}\,\lambda_{\min}|$")
    ax.plot(lrs, steep, "--", color=DIVERGED_COLOR, linewidth=1.8, label=r"steep: $|1-\mathrm{lr}\,\lambda_{\max}|$")
    ax.plot(lrs, rate, color=FIXED_COLOR, label="theory: the larger of the two")
    ax.plot(measured_lrs, measured, "o", color=FIXED_COLOR, markeredgecolor="black",
            label="measured (late window)")
    ax.axvline(best_lr, color="#0072B2", linestyle=":", linewidth=2.2)
    ax.text(best_lr - 0.002, 0.15, r"best: $2/(\lambda_{\min}+\lambda_{\max})$", color="#0072B2", ha="right")
    ax.axvspan(ceiling, right, color=DIVERGED_COLOR, alpha=0.12)
    ax.text(ceiling + 0.0015, 0.15, "diverges", color=DIVERGED_COLOR)
    ax.set(ylim=(0, 1.25), xlim=(0, right), xlabel="learning rate", ylabel="contraction per step",
           title="GD on the ravine: rate against learning rate")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", framealpha=0.95)
    return fig


def steps_against_kappa(dense_kappas, theory_steps, estimate, kappas, measured_steps):
    """Lecture 01: steps to tolerance against the condition number, log-log.

    Args:
        dense_kappas: kappa grid of the two curves; theory_steps: the exact
            count ceil(ln(tol/e0) / ln rho*); estimate: kappa/2 ln(e0/tol).
        kappas, measured_steps: the runs (dots).
    """
    if not len(dense_kappas) == len(theory_steps) == len(estimate):
        raise ValueError("dense_kappas, theory_steps and estimate must have the same length")
    fig, ax = plt.subplots(figsize=(11, 6.2), layout="constrained")
    ax.loglog(dense_kappas, theory_steps, color=FIXED_COLOR,
              label=r"theory: $\lceil\ln(\mathrm{tol}/e_0)/\ln\rho^\star\rceil$")
    ax.loglog(dense_kappas, estimate, ":", color="#999999",
              label=r"large-$\kappa$ estimate $\frac{\kappa}{2}\ln(e_0/\mathrm{tol})$")
    ax.loglog(kappas, measured_steps, "o", color=FIXED_COLOR, markeredgecolor="black", label="measured")
    ax.set(xlabel=r"condition number $\kappa$", ylabel="steps to distance $10^{-6}$",
           title="GD at its best learning rate: steps grow like $\\kappa$")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(framealpha=0.95)
    return fig


def condition_panels(problems: dict, condition: dict, bar_labels, bounds, title: str):
    """Lecture 01: one GD path per data set's quadratic, and a bar chart of their kappas.

    Args:
        problems: name -> (landscape, trajectory); one map each, titled with
            the name and its kappa (at most three: the fourth panel is the bars).
        condition: name -> kappa; bar_labels: short names for the bars.
        bounds: the common window of the maps; title: the figure's title.
    """
    if len(problems) > 3 or len(bar_labels) != len(condition):
        raise ValueError("at most three problems, and one bar label per condition number")
    fig, axes = plt.subplots(2, 2, figsize=(12, 10.5))
    for ax, (name, (landscape, trajectory)) in zip(axes.ravel(), problems.items()):
        plotting.paths(landscape, trajectory, ax=ax, legend=False, bounds=bounds,
                       title=f"{name}\n" + rf"$\kappa$ = {condition[name]:.1f}")
        ax.set(xlabel=r"$w_1 - w_1^\star$", ylabel=r"$w_2 - w_2^\star$")
    bars = axes[1, 1]
    bars.barh(list(bar_labels), list(condition.values()), color=FIXED_COLOR)
    bars.invert_yaxis()
    bars.set(xscale="log", xlabel=r"condition number $\kappa$", title="the three Hessians")
    fig.suptitle(title, fontsize=20)
    fig.tight_layout()
    return fig


def map_and_curves(landscape, paths: dict, curves: dict, colors: dict, map_title: str,
                   curves_title: str, ylabel: str = "loss", styles: dict | None = None,
                   start=None, path_width: float = 2.2, map_legend: str = "lower right",
                   curves_legend: str = "lower left", legend_fontsize=None):
    """A contour map with paths beside one log-scale curve per path (loss, step length, ...).

    Introduced in lecture 01 (noisy SGD) and used again in lecture 02
    (learning-rate schedules, Rosenbrock).

    Args:
        paths: label -> positions (n, 2), drawn in dict order (the last on top).
        curves: label -> values per step; the same labels as `paths`.
        colors: label -> colour; styles: label -> (linestyle, linewidth) of
            both its path and its curve, default solid lines (paths
            `path_width` wide).
        start: optional start point, drawn as a black dot.
    """
    if set(paths) != set(curves) or not set(paths) <= set(colors):
        raise ValueError("paths and curves need the same labels, and every label a colour")
    styles = styles or {}
    fig, (ax_map, ax_curves) = plt.subplots(1, 2, figsize=(13, 5.6), layout="constrained")
    plotting.contour(landscape, ax=ax_map, title=map_title)
    for label, points in paths.items():
        dash, width = styles.get(label, ("-", path_width))
        ax_map.plot(points[:, 0], points[:, 1], dash, color=colors[label], linewidth=width, label=label)
    if start is not None:
        ax_map.plot(*start, "o", color="black", markersize=10)
    ax_map.legend(loc=map_legend, fontsize=legend_fontsize)
    for label, values in curves.items():
        dash, width = styles.get(label, ("-", None))
        ax_curves.semilogy(values, dash, color=colors[label], linewidth=width, label=label)
    ax_curves.set(xlabel="step", ylabel=ylabel, title=curves_title)
    ax_curves.grid(alpha=0.3)
    ax_curves.legend(loc=curves_legend)
    return fig


# --------------------------------------------------------------------------
# Lecture 02: momentum and Nesterov


def step_growth(speed, betas):
    """Lecture 02: step length per step on a constant slope, one curve per beta, log-log.

    Args:
        speed: (steps, len(betas)) step lengths divided by lr |g|.
        betas: the momenta; each gets its terminal value 1/(1 - beta) dotted.
    """
    speed = np.asarray(speed)
    if speed.ndim != 2 or speed.shape[1] != len(betas):
        raise ValueError(f"speed must be shaped (steps, {len(betas)}); got {speed.shape}")
    fig, ax = plt.subplots(figsize=(12, 6.5), layout="constrained")
    blues = plt.cm.Blues(np.linspace(0.35, 1.0, len(betas)))
    for i, (beta, color) in enumerate(zip(betas, blues)):
        ax.plot(np.arange(1, len(speed) + 1), speed[:, i], color=color, label=rf"$\beta$ = {beta:g}")
        ax.axhline(1 / (1 - beta), color=color, linestyle=":", linewidth=1.5)
    ax.set(xscale="log", yscale="log", xlabel="step", ylabel=r"step length / (lr $\cdot$ |g|)",
           title=r"constant gradient: the step grows to lr/(1-$\beta$) (dotted)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left")
    return fig


def convex_rates(steps, curves: dict):
    """Lecture 02: loss against step on a convex problem, with the guarantees, log-log.

    Args:
        steps: the step numbers k (>= 1) shared by every curve.
        curves: label -> (values per step, optimizer name, linestyle). The
            optimizer picks the colour; dashed curves are guarantees and are
            drawn thinner.
    """
    for label, (values, _, _) in curves.items():
        if len(values) != len(steps):
            raise ValueError(f"{label!r} has {len(values)} values for {len(steps)} steps")
    fig, ax = plt.subplots(figsize=(11, 6.5), layout="constrained")
    for label, (values, optimizer, linestyle) in curves.items():
        ax.loglog(steps, values, linestyle, color=color_for(optimizer), label=label,
                  linewidth=1.6 if linestyle == "--" else None)
    ax.set(xlabel="step k", ylabel=r"$L(\theta_k) - L^\star$", title="a convex problem: slope -1 against slope -2")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=13)
    return fig


# ==========================================================================
# Lectures 02-04


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
        ax.plot(ceiling[1], ceiling[0], color=DIVERGED_COLOR, linewidth=3, label="stability ceiling")
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
    fig, (ax_toy, ax_run) = plt.subplots(1, 2, figsize=(12.5, 5.8))  # 13 pt legends stay >= 12 px at 1280x720
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
    """One panel per debugging case: the symptom (red) over the fixed run (grey).

    Args:
        cases: title -> dict with "steps" (x values; default 1, 2, ...), "symptom" and "fixed"
            (y values, NaN-free), "ylabel", optional "log" (default True),
            "ylim" and "note" (text in the panel's corner, e.g. "inf at step 67").
    """
    rows = -(-len(cases) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                             squeeze=False)
    for ax, (title, case) in zip(axes.ravel(), cases.items()):
        draw = ax.semilogy if case.get("log", True) else ax.plot
        for key, color in [("fixed", FIXED_COLOR), ("symptom", SYMPTOM_COLOR)]:
            steps = case.get(f"{key}_steps", case.get("steps", np.arange(1, len(case[key]) + 1)))
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
    axes[0, 0].legend(loc="upper left")
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
        fig, ax = plt.subplots(figsize=(11, 6), layout="constrained")
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


# ---------------------------------------------------------------------------
# Lecture 04 (adaptive methods): the plotting boilerplate of its experiments.
# Each takes the measured arrays as arguments and returns the Figure.
# ---------------------------------------------------------------------------


def sparse_feature_errors(lrs, errors: dict, curves, diverges_from: float, floor: float = 1e-6):
    """Lecture 04, section 1: the rare weight's error per sample, and both final errors per lr.

    Args:
        lrs: the swept learning rates, shape (n_lrs,).
        errors: optimizer name -> |w - w_true| per step, shaped (steps, n_lrs, 2)
            (weight 0 frequent, weight 1 rare); NaN/inf where a run diverged.
        curves: (name, lr index, line style) of the runs drawn in the left panel.
        diverges_from: the smallest lr at which SGD diverges (shaded from there).
        floor: errors below it are drawn at it (exact zeros on a log axis).
    """
    fig, (ax_steps, ax_lr) = plt.subplots(1, 2, figsize=(13, 6), layout="constrained")
    for name, i, line_style in curves:
        series = errors[name][:, i, 1]
        ax_steps.semilogy(np.arange(1, len(series) + 1), series, line_style, color=color_for(name),
                          label=f"{name}, lr {lrs[i]:.3g}")
    ax_steps.set(ylim=(floor, 3), xlabel="samples seen (steps)",
                 ylabel=r"error of the rare weight $|w_2 - w_2^{true}|$", title="the rare weight crawls")
    ax_steps.grid(True, alpha=0.3)
    ax_steps.legend(loc="center right", fontsize=14)
    for name, err in errors.items():
        final = err[-1]
        ok = np.isfinite(final).all(axis=-1)
        for weight, marker, which in [(1, "o-", "rare $w_2$"), (0, "s:", "frequent $w_1$")]:
            ax_lr.loglog(lrs[ok], np.maximum(final[ok, weight], floor), marker, color=color_for(name),
                         label=f"{name}: {which}")
    ax_lr.axvspan(diverges_from / 1.2, lrs[-1] * 1.2, color=DIVERGED_COLOR, alpha=0.12)
    ax_lr.text(diverges_from * 1.2, 30 * floor, "SGD\ndiverges", color=DIVERGED_COLOR, fontsize=15)
    ax_lr.set(ylim=(floor / 2, 5), xlabel="learning rate", title="final errors",
              ylabel=f"error after {len(next(iter(errors.values())))} samples "
                     f"(floor {np.format_float_scientific(floor, trim='-', exp_digits=1)})")
    ax_lr.grid(True, which="both", alpha=0.3)
    ax_lr.legend(fontsize=13, loc="upper right", framealpha=0.95)
    return fig


def effective_lr_curves(t, measured: dict, predicted: dict, lr: float):
    """Lecture 04, section 2: |step| / |g| per step, measured (coloured) over theory (dashed)."""
    fig, ax = plt.subplots(figsize=(11, 6.5))
    for name in measured:
        ax.loglog(t, measured[name], color=color_for(name), label=f"{name}: measured")
        ax.loglog(t, predicted[name], "--", color="black", linewidth=1.5)
    ax.plot([], [], "--", color="black", linewidth=1.5, label="theory")
    ax.axhline(lr, color="grey", linestyle=":", linewidth=2)
    ax.text(1.3, lr * 1.15, f"lr = {lr:g}", color="grey", fontsize=14)
    ax.set(xlabel="step t", ylabel="effective learning rate |step| / |g|",
           title="Adagrad's step keeps shrinking; RMSprop's settles (|g| = 1)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def recovery_after_drop(relative_step, alphas, predicted_recovery, memories):
    """Lecture 04, section 3: RMSprop's step / lr after the gradient shrinks, one curve per alpha.

    Args:
        relative_step: step / lr per step since the drop, shaped (steps, len(alphas)).
        predicted_recovery: the theory's step count per alpha (dashed verticals).
        memories: 1 / (1 - alpha) per alpha, for the legend.
    """
    fig, ax = plt.subplots(figsize=(11, 6.2))
    shades = ["#FDB863", color_for("RMSprop"), "#8C5A00"]  # RMSprop's orange, light to dark
    for i, (alpha, memory) in enumerate(zip(alphas, memories)):
        ax.semilogy(np.arange(1, len(relative_step) + 1), relative_step[:, i], color=shades[i],
                    label=fr"$\alpha$ = {alpha}  (memory {memory:.0f} steps)")
        ax.axvline(predicted_recovery[i], color=shades[i], linestyle="--", linewidth=1.5)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=2)
    ax.set_xscale("log")
    ax.set(xlabel="steps since the gradient shrank 100-fold", ylabel="step size / lr",
           title="RMSprop re-adapts in a time $\\propto 1/(1-\\alpha)$ (dashed: theory)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left")
    return fig


def decay_per_weight(weights: dict, pure_decay):
    """Lecture 04, section 5: |w1| and |w2| per step for each decay method, beside (1 - lr lambda)^k.

    Args:
        weights: method name ("Adam + L2", "AdamW") -> weights per step, shaped (steps + 1, 2).
        pure_decay: (1 - lr lambda)^k per step.
    """
    fig, axes = plt.subplots(1, len(weights), figsize=(13, 5.8), sharey=True, layout="constrained",
                             squeeze=False)
    for ax, (name, history) in zip(axes[0], weights.items()):
        color = color_for("AdamW" if name == "AdamW" else "Adam")
        ax.semilogy(np.abs(history[:, 0]), color=color, label="$w_1$: large gradients (10)")
        ax.semilogy(np.abs(history[:, 1]), ":", color=color, linewidth=3.5,
                    label="$w_2$: small gradients (0.01)")
        ax.semilogy(pure_decay, "--", color="black", linewidth=1.5, label=r"$(1 - \mathrm{lr}\,\lambda)^k$")
        ax.set(title=name, xlabel="step")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower left", fontsize=14)
    axes[0, 0].set(ylabel="|weight|", ylim=(1e-5, 2))
    return fig


def aligned_and_rotated_losses(curves: dict, tol: float, title: str):
    """Lecture 04, section 6: loss per step, aligned (solid) and rotated (dashed), per optimizer.

    Args:
        curves: (optimizer name, where) -> (losses per step, legend label); `where`
            is "aligned" for a solid line, anything else for a dashed one.
        tol: the target loss, drawn dotted.
    """
    fig, ax = plt.subplots(figsize=(12, 7.5), layout="constrained")
    for (name, where), (losses, label) in curves.items():
        ax.loglog(np.arange(1, len(losses)), losses[1:], "-" if where == "aligned" else "--",
                  color=color_for(name), label=label)
    ax.axhline(tol, color="black", linestyle=":", linewidth=1.5)
    ax.text(1.2, tol / 4, f"tolerance {tol:g}", fontsize=13)
    ax.set(ylim=(1e-7, 1e4), xlabel="step", ylabel="loss", title=title)
    ax.grid(True, which="both", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, fontsize=13)
    return fig


# ---------------------------------------------------------------------------
# Lecture 03 (saddles): the plotting boilerplate of its experiments.
# ---------------------------------------------------------------------------

def ridge_and_valley(landscape, trajectory, elev: float = 25, azim: float = -130):
    """Lecture 03, section 2: x^2 - y^2 as a surface and a map, its ridge line and valley floor marked.

    Args:
        landscape: the saddle x^2 - y^2 (the ridge is theta_2 = 0, the valley floor theta_1 = 0).
        trajectory: the run drawn on both panels.
    """
    fig = plotting.surface_and_contour(landscape, [trajectory], figsize=(13, 6.5), elev=elev, azim=azim)
    ax3d, ax_map = fig.axes[0], fig.axes[1]
    t = np.linspace(-2, 2, 50)
    ax3d.plot(t, 0 * t, t**2, "--", color="black", linewidth=2.5, zorder=12)      # the ridge line
    ax3d.plot(0 * t, t, -t**2, ":", color="black", linewidth=3, zorder=12)        # the valley floor
    ax3d.tick_params(labelsize=14)
    ax_map.axhline(0, linestyle="--", color="black", linewidth=2)
    ax_map.axvline(0, linestyle=":", color="black", linewidth=2.5)
    ax_map.text(-1.9, 0.12, "ridge line", fontsize=15, fontweight="bold")
    ax_map.text(0.1, -1.85, "valley floor", fontsize=15, fontweight="bold", rotation=90)
    return fig


def leaving_the_ridge(landscape, paths: dict, runs: dict, bounds, thick: str = "SGD"):
    """Lecture 03, section 3: the first steps on the map, and |theta_2| per step for each run.

    Args:
        paths: label -> Trajectory drawn on the map (the last drawn on top).
        runs: optimizer name -> Trajectory whose |theta_2| is plotted.
        thick: the run drawn with a thicker line (it hides under the others otherwise).
    """
    fig, (ax_map, ax_y) = plt.subplots(1, 2, figsize=(12.5, 6.3), layout="constrained")
    plotting.paths(landscape, paths, ax=ax_map, bounds=bounds, legend=False,
                   title=f"the first {len(next(iter(paths.values())).xs) - 1} steps")
    ax_map.add_patch(plt.Circle((0, 0), 1.0, fill=False, linestyle="--", linewidth=1.5, color="black"))
    for name, traj in runs.items():
        ax_y.semilogy(np.abs(traj.xs[:, 1]), color=color_for(name), linewidth=4 if name == thick else 2.5)
    ax_y.axhline(1.0, color="black", linestyle="--", linewidth=1.5)
    ax_y.set(ylim=(1e-7, 1e2), xlabel="step", ylabel=r"$|\theta_2|$ (off the ridge)", title="radius 1: dashed")
    fig.legend(*ax_map.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    return fig


def escape_time_against_offset(offsets, measured: dict, theory: dict, labels: dict, lr: float):
    """Lecture 03, section 4: steps to leave radius 1 per starting offset, measured and in theory.

    Args:
        measured, theory: optimizer name -> steps per offset.
        labels: optimizer name -> legend name.
    """
    fig, ax = plt.subplots(figsize=(11, 6.5))
    for name, steps in measured.items():
        ax.plot(offsets, steps, "o-", color=color_for(name), label=f"{labels[name]}: measured")
    for name, steps in theory.items():
        ax.plot(offsets, steps, "--", color=color_for(name), linewidth=2, label=f"{labels[name]}: theory")
    ax.set_xscale("log")
    ax.invert_xaxis()  # smaller offsets (harder starts) to the right
    ax.set(xlabel=r"starting offset $\delta$ from the ridge line", ylabel="steps to leave radius 1",
           title=f"Escape time from $x^2 - y^2$ (lr = {lr})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=12)
    return fig


def minima_fraction(dims, simulated, standard_error, plain, coin_flip, dean_majumdar_theta: float):
    """Lecture 03, section 7: the fraction of critical points that are minima against dimension.

    Args:
        simulated, standard_error: the importance-sampled estimate per dimension.
        plain: (estimate, error) rows of plain sampling for the first len(plain) dimensions.
        coin_flip: 2^-n per dimension.
    """
    fig, ax = plt.subplots(figsize=(11, 6.5))
    ax.semilogy(dims, coin_flip, "s--", color="black", label=r"coin-flip model $2^{-n}$")
    ax.semilogy(dims, np.exp(-dean_majumdar_theta * dims**2), ":", color="#D55E00", linewidth=3,
                label=r"Dean-Majumdar $e^{-n^2 \ln 3/4}$")
    ax.errorbar(dims, simulated, yerr=2 * standard_error, fmt="o-", color="#332288", markersize=10, capsize=6,
                label="GOE, importance sampled (2 s.e.)")
    ax.semilogy(dims[:len(plain)], plain[:, 0], "x", color="#009E73", markersize=14, markeredgewidth=3,
                label="GOE, plain sampling")
    ax.semilogy([2], [(1 - 1 / np.sqrt(2)) / 2], "*", color="gold", markeredgecolor="black", markersize=22,
                label=r"exact for $n = 2$")
    ax.set(xlabel="dimension n", ylabel="fraction of critical points that are minima",
           title="Minima become rare fast")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=13)
    return fig
