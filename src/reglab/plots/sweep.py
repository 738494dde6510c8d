"""Figures of a sweep: heatmaps over (lambda x keep_prob) and validation curves with error bands.

Each figure is a slice of the grid through the best cell (see
:mod:`reglab.experiments.sweep`): the fields it does not plot (learning rate,
layers, mask mode, L1's alpha) are held at the best cell's values, as a
validation curve varies one setting and holds the others. Means are over seeds; bands and the
``±`` in the heatmaps are one standard deviation (ddof = 1) across seeds.

Figures are :class:`matplotlib.figure.Figure` objects (no pyplot);
:func:`write_sweep_figures` writes them atomically through
:func:`reglab.plots.save.save_figure`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reglab.experiments.sweep import CellResult, SweepResult
from reglab.plots.save import check_format, save_figure
from reglab.plots.style import model_color, new_figure
from reglab.types import FloatArray

SweepParameter = Literal["l2", "keep_prob"]

SWEEP_FIGURE_NAMES: tuple[str, ...] = (
    "sweep_test_accuracy",
    "sweep_gap",
    "sweep_validation_l2",
    "sweep_validation_keep_prob",
)
"""The file names (without suffix) :func:`write_sweep_figures` writes, in order."""

_LABELS = {"l2": "lambda (L2)", "keep_prob": "keep_prob (dropout)"}


def _slice(result: SweepResult) -> list[CellResult]:
    """The cells that share the best cell's learning rate, layers, mask mode, L1 alpha and
    batch size."""
    best = result.best().cell
    return [
        cell
        for cell in result.cells
        if (
            cell.cell.learning_rate,
            cell.cell.layers,
            cell.cell.masks,
            cell.cell.l1,
            cell.cell.batch_size,
        )
        == (best.learning_rate, best.layers, best.masks, best.l1, best.batch_size)
    ]


def _held_fixed(result: SweepResult) -> str:
    best = result.best().cell
    return (
        f"learning_rate={best.learning_rate:g}, layers={'-'.join(map(str, best.layers))}, "
        f"masks={best.masks}"
        + (f", l1={best.l1:g}" if result.grid.l1 != (0.0,) else "")
        + (f", batch_size={best.batch_size}" if result.grid.batch_size != (None,) else "")
    )


def _std(values: FloatArray) -> float:
    return float(np.std(values, ddof=1)) if values.size >= 2 else math.nan


def _grid(result: SweepResult, measure: Literal["test", "gap"]) -> tuple[FloatArray, FloatArray]:
    """Mean and std of ``measure``, shape ``(len(keep_prob), len(l2))``, grid order."""
    grid = result.grid
    mean = np.full((len(grid.keep_prob), len(grid.l2)), np.nan)
    std = np.full_like(mean, np.nan)
    for cell in _slice(result):
        values = cell.test_accuracy if measure == "test" else cell.gap
        row = grid.keep_prob.index(cell.cell.keep_prob)
        column = grid.l2.index(cell.cell.l2)
        mean[row, column] = float(np.mean(values))
        std[row, column] = _std(values)
    return mean, std


def _heatmap(
    result: SweepResult, measure: Literal["test", "gap"], title: str, colorbar_label: str
) -> Figure:
    grid = result.grid
    mean, std = _grid(result, measure)
    width = max(6.0, 2.0 + 0.9 * len(grid.l2))
    height = max(3.5, 1.2 + 0.6 * len(grid.keep_prob))
    figure = new_figure(width, height)
    axes = figure.add_subplot()
    if measure == "gap":
        limit = float(np.nanmax(np.abs(mean))) if np.any(np.isfinite(mean)) else 1.0
        limit = limit or 1.0
        image = axes.imshow(100 * mean, cmap="RdBu_r", vmin=-100 * limit, vmax=100 * limit)
    else:
        image = axes.imshow(100 * mean, cmap="viridis")
    figure.colorbar(image, ax=axes, label=colorbar_label)
    axes.set_xticks(range(len(grid.l2)), [f"{v:g}" for v in grid.l2])
    axes.set_yticks(range(len(grid.keep_prob)), [f"{v:g}" for v in grid.keep_prob])
    axes.set_xlabel(_LABELS["l2"])
    axes.set_ylabel(_LABELS["keep_prob"])
    for row in range(mean.shape[0]):
        for column in range(mean.shape[1]):
            if math.isfinite(mean[row, column]):
                text = f"{100 * mean[row, column]:.1f}"
                if math.isfinite(std[row, column]):
                    text += f"\n±{100 * std[row, column]:.1f}"
                red, green, blue, _ = image.cmap(image.norm(100 * mean[row, column]))
                light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
                color = "black" if light else "white"
                axes.text(column, row, text, ha="center", va="center", fontsize=7, color=color)
    best = result.best().cell
    axes.add_patch(
        Rectangle(
            (grid.l2.index(best.l2) - 0.5, grid.keep_prob.index(best.keep_prob) - 0.5),
            1,
            1,
            fill=False,
            edgecolor="red",
            linewidth=2,
        )
    )
    n_seeds = len(result.grid.seed_list)
    axes.set_title(f"{title}, % (mean ± std, {n_seeds} seeds)\n{_held_fixed(result)}", fontsize=8)
    return figure


def plot_test_accuracy_heatmap(result: SweepResult) -> Figure:
    """Mean test accuracy over (lambda x keep_prob); the best cell is outlined in red."""
    return _heatmap(result, "test", "Test accuracy", "mean test accuracy (%)")


def plot_gap_heatmap(result: SweepResult) -> Figure:
    """Mean generalization gap (train - test accuracy) over (lambda x keep_prob)."""
    return _heatmap(result, "gap", "Generalization gap, train - test", "mean gap (points)")


def _x_scale(values: Sequence[float]) -> tuple[str, dict[str, float]]:
    positive = [v for v in values if v > 0]
    if not positive or len(values) < 2:
        return "linear", {}
    if len(positive) < len(values):
        return "symlog", {"linthresh": min(positive)}
    if max(positive) / min(positive) >= 10:
        return "log", {}
    return "linear", {}


def plot_validation_curve(result: SweepResult, parameter: SweepParameter) -> Figure:
    """Train and test accuracy (mean ± std across seeds) against lambda or keep_prob.

    The other of the two is held at the best cell's value, as are the learning
    rate, layers and mask mode.
    """
    best = result.best().cell
    other: SweepParameter = "keep_prob" if parameter == "l2" else "l2"
    cells = sorted(
        (cell for cell in _slice(result) if getattr(cell.cell, other) == getattr(best, other)),
        key=lambda cell: float(getattr(cell.cell, parameter)),
    )
    x = np.array([float(getattr(cell.cell, parameter)) for cell in cells])
    figure = new_figure(5.5, 4.0)
    axes = figure.add_subplot()
    for k, (label, measure) in enumerate((("train", "train_accuracy"), ("test", "test_accuracy"))):
        values = [getattr(cell, measure) for cell in cells]
        mean = 100 * np.array([float(np.mean(v)) for v in values])
        std = 100 * np.nan_to_num(np.array([_std(v) for v in values]))
        color = model_color(k)
        axes.plot(x, mean, marker="o", color=color, label=f"{label} (mean ± std)")
        axes.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
    scale, options = _x_scale(list(x))
    axes.set_xscale(scale, **options)
    axes.set_xticks(x, [f"{v:g}" for v in x])
    axes.minorticks_off()
    axes.axvline(float(getattr(best, parameter)), color="gray", linestyle=":", label="best cell")
    axes.set_xlabel(_LABELS[parameter])
    axes.set_ylabel("accuracy (%)")
    axes.legend(fontsize=8)
    fixed = f"{other}={getattr(best, other):g}, {_held_fixed(result)}"
    axes.set_title(
        f"Validation curve: accuracy against {parameter} "
        f"({len(result.grid.seed_list)} seeds)\n{fixed}",
        fontsize=9,
    )
    return figure


def sweep_figures(result: SweepResult) -> dict[str, Figure]:
    """Every sweep figure, by the names of :data:`SWEEP_FIGURE_NAMES`."""
    return {
        "sweep_test_accuracy": plot_test_accuracy_heatmap(result),
        "sweep_gap": plot_gap_heatmap(result),
        "sweep_validation_l2": plot_validation_curve(result, "l2"),
        "sweep_validation_keep_prob": plot_validation_curve(result, "keep_prob"),
    }


def write_sweep_figures(
    result: SweepResult, out_dir: str | os.PathLike[str], fmt: str = "png"
) -> list[Path]:
    """Write every sweep figure to ``out_dir`` (created if needed), each file atomically.

    Args:
        result: the sweep.
        out_dir: the directory.
        fmt: ``"png"`` or ``"svg"``.

    Returns:
        The paths written, in the order of :data:`SWEEP_FIGURE_NAMES`.

    Raises:
        DataError: the directory or a file cannot be written.
    """
    chosen = check_format(fmt)
    directory = Path(out_dir)
    return [
        save_figure(figure, directory / f"{name}.{chosen}", chosen)
        for name, figure in sweep_figures(result).items()
    ]
