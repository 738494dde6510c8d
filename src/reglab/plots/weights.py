"""How large each model's weights are, layer by layer: what L2 did to them.

One panel per layer; each model's weight magnitudes ``|w|`` are binned on a
logarithmic axis shared by the models, so every weight is counted exactly once
(magnitudes below :data:`SMALLEST_MAGNITUDE` fall in the first bin). L2
("weight decay") shifts the distribution toward zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reglab.engine.network import Parameters
from reglab.plots.curves import check_per_model
from reglab.plots.style import PANEL_SIZE, model_color, new_figure
from reglab.types import FloatArray

SMALLEST_MAGNITUDE = 1e-4
"""Lower edge of the bins: smaller magnitudes (including exact zeros) count in the first bin."""

BINS = 30


def magnitude_bins(magnitudes: FloatArray) -> FloatArray:
    """Log-spaced bin edges covering ``magnitudes`` (any shape), from at least 1e-4.

    Returns:
        ``BINS + 1`` increasing edges.
    """
    positive = magnitudes[magnitudes > 0]
    low = max(float(positive.min()) if positive.size else 1.0, SMALLEST_MAGNITUDE)
    high = max(float(magnitudes.max()), low * 10)
    edges: FloatArray = np.geomspace(low, high, BINS + 1)
    return edges


def magnitude_counts(magnitudes: FloatArray, edges: FloatArray) -> FloatArray:
    """How many magnitudes fall in each bin; values outside the edges count in the end bins."""
    clipped = np.clip(magnitudes.ravel(), edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=edges)
    counted: FloatArray = counts.astype(float)
    return counted


def plot_weight_distributions(parameters: Parameters, names: Sequence[str]) -> Figure:
    """Per layer, the distribution of ``|w|`` for each of K models.

    Args:
        parameters: K stacked models.
        names: one name per model, in the figure's legend.

    Returns:
        A figure with one panel per layer, labelled ``"layer 1"``, ``"layer 2"``, ...;
        each panel holds one step histogram (a ``StepPatch``) per model, whose
        counts add up to the layer's number of weights, and a dashed line at
        each model's median ``|w|``.
    """
    check_per_model("names", names, parameters.n_models)
    n_layers = len(parameters.weights)
    figure = new_figure(PANEL_SIZE * n_layers, PANEL_SIZE + 0.6)
    axes = figure.subplots(1, n_layers, squeeze=False)[0]
    for l, (ax, W) in enumerate(zip(axes, parameters.weights, strict=True), start=1):
        ax.set_label(f"layer {l}")
        magnitudes = np.abs(W)
        edges = magnitude_bins(magnitudes)
        for k, name in enumerate(names):
            color = model_color(k)
            ax.stairs(
                magnitude_counts(magnitudes[k], edges),
                edges,
                color=color,
                linewidth=1.4,
                label=name,
            )
            ax.axvline(
                max(float(np.median(magnitudes[k])), float(edges[0])),
                color=color,
                linestyle="--",
                linewidth=1.0,
            )
        n_out, n_in = W.shape[1], W.shape[2]
        ax.set_xscale("log")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"layer {l}: W{l} is {n_out}x{n_in} ({n_out * n_in} weights)")
        below = bool(np.any(magnitudes < edges[0]))
        note = f"; |w| < {edges[0]:.0e} counted in the first bin" if below else ""
        ax.set_xlabel(f"|w| (log scale{note})")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("number of weights (dashed: median |w|)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=min(len(names), 3))
    return figure
