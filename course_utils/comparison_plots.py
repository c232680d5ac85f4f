"""Tables and figures for training runs from several seeds (notebook 06).

`plot_comparison` draws every configuration's mean over its seeds as a bold
line and each seed as a thin line of the same colour, so the spread is always
in view; `text_table` lays out a plain-text table.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course_utils.style import color_for

LINESTYLES = ["-", "--", ":", "-."]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned others, a rule under the header."""
    widths = [max(len(r[c]) for r in [*rows, header]) for c in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def seed_mean(curves: np.ndarray) -> np.ndarray:
    """Mean over the seeds (axis 0) of the finite values; nan where none is finite."""
    finite = np.isfinite(curves)
    counts = finite.sum(axis=0)
    total = np.where(finite, curves, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def plot_comparison(histories: Mapping, smoothing: int = 50, figsize=(16, 5.5)) -> Figure:
    """Three panels: training loss per step and per second, test accuracy per epoch.

    Losses are smoothed with `training.moving_average(losses, smoothing)` and
    drawn on a log scale. Thin lines: single seeds; bold: their mean. A seed
    that diverged ends at its last finite loss, marked with an x. Returns a
    matplotlib Figure (not registered with pyplot).
    """
    fig = Figure(figsize=figsize, layout="constrained")
    ax_step, ax_time, ax_acc = fig.subplots(1, 3)
    seen: dict[str, int] = {}
    starts, lows = [], []
    for name, h in histories.items():
        color = color_for(name)
        linestyle = LINESTYLES[seen.get(color, 0) % len(LINESTYLES)]
        seen[color] = seen.get(color, 0) + 1
        curves = np.stack([smoothed_until_divergence(row, smoothing) for row in h.step_losses])
        mean = seed_mean(curves)
        steps = np.arange(1, curves.shape[1] + 1)
        for row in curves:
            ax_step.plot(steps, row, color=color, linestyle=linestyle, linewidth=0.8, alpha=0.35)
        ax_step.plot(steps, mean, color=color, linestyle=linestyle, label=name)
        ax_time.plot(h.step_times, mean, color=color, linestyle=linestyle, label=name)
        for seed, at in enumerate(h.diverged_at_step):
            if at > 0:
                ax_step.scatter([at], [curves[seed, at - 1]], color=color, marker="x", s=120, zorder=3)
        accuracy = 100 * np.where(h.diverged[:, None], np.nan, h.epoch_test_accuracy)
        epochs = np.arange(1, accuracy.shape[1] + 1)
        for row in accuracy:
            ax_acc.plot(epochs, row, color=color, linestyle=linestyle, linewidth=0.8, alpha=0.35)
        ax_acc.plot(epochs, seed_mean(accuracy), color=color, linestyle=linestyle, marker="o", label=name)
        if np.isfinite(mean).any():
            starts.append(np.nanmax(curves[:, 0]))
            lows.append(np.nanmin(curves))
    label = f"training loss ({smoothing}-step moving avg.)" if smoothing > 1 else "training loss"
    ax_step.set(xlabel="step (minibatch)", ylabel=label, yscale="log", title="Loss per step")
    ax_time.set(xlabel="training time, all seeds (s)", ylabel=label, yscale="log", title="Loss per second")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy after each epoch")
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    if starts:  # a diverging seed would stretch the log axis to 1e30
        for ax in (ax_step, ax_time):
            ax.set_ylim(min(lows) / 1.5, 2.0 * max(starts))
    for ax in (ax_step, ax_time, ax_acc):
        ax.grid(True, which="major", alpha=0.3)
    if histories:
        fig.legend(*ax_step.get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(len(histories), 4), frameon=False)
    return fig


def smoothed_until_divergence(losses: np.ndarray, window: int) -> np.ndarray:
    """The moving average of the finite leading part of `losses`, nan after it."""
    from course_utils.training import moving_average

    finite = np.isfinite(losses)
    end = len(losses) if finite.all() else int(np.argmin(finite))
    out = np.full(len(losses), np.nan)
    out[:end] = moving_average(losses[:end], window)
    return out


def plot_lr_sweep(sweep: Mapping[str, tuple], chosen: Mapping[str, float], figsize=(15, 6)) -> Figure:
    """Validation loss against learning rate, one curve per optimizer, two panels.

    Args:
        sweep: name -> (learning rates, losses of shape (lrs, seeds), nan where diverged).
        chosen: name -> the learning rate picked for it (marked with a star).

    The SGD family and the adaptive methods get a panel each (their lrs lie
    decades apart). Bold: the mean over seeds with an sd error bar; dots:
    single seeds; a cross on the top edge: a learning rate at which some seed
    diverged.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    panels = dict(zip(["SGD family", "adaptive methods"], fig.subplots(1, 2, sharey=True)))
    finite = np.concatenate([np.asarray(l)[np.isfinite(l)] for _, l in sweep.values()] or [np.ones(1)])
    top = min(float(finite.max()) * 1.3, 10.0) if len(finite) else 10.0
    for name, (lrs, losses) in sweep.items():
        ax = panels["SGD family" if name.startswith("SGD") else "adaptive methods"]
        lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
        color = color_for(name)
        ok = np.isfinite(losses).all(axis=1)
        with np.errstate(invalid="ignore"):  # rows with a diverged seed are nan, and not drawn
            mean = np.where(ok, losses.mean(axis=1), np.nan)
            sd = np.where(ok, losses.std(axis=1, ddof=1) if losses.shape[1] > 1 else 0.0, np.nan)
        ax.errorbar(lrs, mean, yerr=sd, color=color, marker="o", capsize=4, label=name)
        for column in losses.T:
            ax.scatter(lrs, np.minimum(column, top), color=color, s=12, alpha=0.5)
        ax.scatter(lrs[~ok], np.full((~ok).sum(), top), color=color, marker="x", s=120, clip_on=False)
        if name in chosen and chosen[name] in list(lrs):
            i = list(lrs).index(chosen[name])
            ax.scatter([lrs[i]], [mean[i]], color=color, marker="*", s=400, edgecolor="black", zorder=4)
    for title, ax in panels.items():
        ax.set(xscale="log", yscale="log", xlabel="learning rate", title=title)
        ax.set_ylim(top=top)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    panels["SGD family"].set_ylabel("validation loss after one short epoch")
    fig.suptitle("Learning-rate sweep: mean ± sd over seeds, star = chosen, x = diverged")
    return fig


def plot_lr_schedules(histories: Mapping, figsize=(12, 5.5)) -> Figure:
    """The learning rate each run used, per step, on a log scale."""
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    seen: dict[str, int] = {}
    for name, h in histories.items():
        color = color_for(name)
        linestyle = LINESTYLES[seen.get(color, 0) % len(LINESTYLES)]
        seen[color] = seen.get(color, 0) + 1
        ax.semilogy(np.arange(1, len(h.lrs) + 1), h.lrs, color=color, linestyle=linestyle, label=name)
    ax.set(xlabel="step", ylabel="learning rate (log scale)", title="The learning rate each run used")
    ax.set_ylim(bottom=max(min(float(np.min(h.lrs)) for h in histories.values()), 1e-7) / 2)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return fig


def plot_decay_heatmaps(losses: Mapping[str, np.ndarray], lrs: Sequence[float],
                        decays: Sequence[float], figsize=(14, 5.8)) -> Figure:
    """Mean validation loss over an lr x weight-decay grid, one heatmap per method.

    Args:
        losses: method -> array (lrs, decays, seeds) of validation losses.
    Shared colour scale (log); the best cell of each map is outlined, and
    each cell is labelled with its mean loss.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle

    means = {m: np.nanmean(v, axis=2) for m, v in losses.items()}
    values = np.concatenate([m.ravel() for m in means.values()])
    values = values[np.isfinite(values)]
    norm = LogNorm(vmin=values.min(), vmax=values.max())
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1, len(means))
    for ax, (method, mean) in zip(np.atleast_1d(axes), means.items()):
        image = ax.imshow(mean, cmap="viridis_r", norm=norm, origin="lower", aspect="auto")
        for (i, j), value in np.ndenumerate(mean):
            ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize="small",
                    color="white" if value > np.sqrt(norm.vmin * norm.vmax) else "black")
        i, j = np.unravel_index(np.nanargmin(mean), mean.shape)
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=3))
        ax.set_xticks(range(len(decays)), [f"{d:g}" for d in decays])
        ax.set_yticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
        ax.set(xlabel="weight decay λ", ylabel="learning rate", title=method)
    fig.colorbar(image, ax=axes, label="validation loss (mean over seeds)")
    return fig


def plot_clipping(histories: Mapping, figsize=(12, 5.5)) -> Figure:
    """Minibatch loss per step: diverging seeds raw up to the blow-up, others smoothed."""
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    for (name, h), linestyle in zip(histories.items(), ["--", "-", ":", "-."]):
        color = color_for(name)
        for seed, row in enumerate(h.step_losses):
            label = name if seed == 0 else None
            at = h.diverged_at_step[seed]
            if at >= 0:
                steps = np.arange(1, at + 1)
                ax.semilogy(steps, row[:at], linestyle, color=color, alpha=0.8,
                            label=f"{name}: every seed diverged" if seed == 0 and h.diverged.all() else label)
                ax.plot(at, 60, "X", color=color, markersize=14, markeredgecolor="black", clip_on=False)
            else:
                ax.semilogy(np.arange(1, len(row) + 1), smoothed_until_divergence(row, 10), linestyle,
                            color=color, alpha=0.8, label=f"{name} (10-step moving avg.)" if seed == 0 else None)
    ax.set_ylim(0.05, 60)
    ax.set(xlabel="step (minibatch)", ylabel="training loss", title="SGD at lr 1.0, one epoch; X: divergence")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return fig


def plot_per_epoch(histories: Mapping, color: str, figsize=(12, 6)) -> Figure:
    """Smoothed training loss against epochs (images seen / training-set size), seed mean bold.

    The smoothing window covers the same number of images for every batch size.
    """
    from course_utils.training import moving_average

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    for (name, h), linestyle in zip(histories.items(), ["-", ":", "--", "-."]):
        epochs_seen = np.arange(1, h.step_losses.shape[1] + 1) / h.steps_per_epoch
        smooth = moving_average(h.step_losses, 40 * 128 // h.batch_size)
        for row in smooth:
            ax.semilogy(epochs_seen, row, color=color, linestyle=linestyle, linewidth=0.8, alpha=0.35)
        ax.semilogy(epochs_seen, seed_mean(smooth), color=color, linestyle=linestyle, label=name)
    ax.set(xlabel="epochs (training images seen / 60,000)", ylabel="training loss (smoothed)",
           title="Double the batch: double the lr to keep pace per epoch")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return fig
