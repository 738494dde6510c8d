"""The dataset as a scatter plot: training points filled, test points as crosses.

Colours follow the exercise (Spectral: red for label 0, blue for label 1); C >= 3
classes take a qualitative palette (:func:`reglab.plots.style.class_colors`).
Each (split, label) pair is one scatter collection with its own legend entry,
e.g. ``"train, y = 1 (106)"``.
"""

from __future__ import annotations

from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reglab.data.dataset import Dataset
from reglab.plots.grid import plot_limits
from reglab.plots.style import PANEL_SIZE, class_colors, new_figure
from reglab.types import FloatArray

Split = Literal["train", "test"]


LEGEND_CLASSES = 6
"""The most classes a legend lists one by one (train and test: twice as many entries)."""


def scatter_split(ax: Axes, X: FloatArray, y: FloatArray, split: Split, n_classes: int = 2) -> None:
    """Draw one split's points on ``ax``, one collection per label.

    Training points are filled circles with a thin dark edge; test points are
    crosses in the label's colour. Past :data:`LEGEND_CLASSES` classes the legend
    names the split once (a grey marker) instead of once per class, which would
    cover the panel.

    Args:
        ax: the axes to draw on.
        X: inputs, shape ``(2, m)``.
        y: labels 0..C-1 (0/1 for two classes), shape ``(1, m)``.
        split: ``"train"`` or ``"test"``, which decides the marker and the legend text.
        n_classes: C, the dataset's classes (it decides the colours).
    """
    labels = y.ravel()
    colors = class_colors(n_classes)
    per_class = n_classes <= LEGEND_CLASSES
    marker: dict[str, Any] = (
        {"s": 22, "edgecolors": "black", "linewidths": 0.4, "zorder": 3}
        if split == "train"
        else {"s": 26, "marker": "x", "linewidths": 1.1, "zorder": 4}
    )
    for label in range(n_classes):
        chosen = labels == label
        count = int(chosen.sum())
        if count == 0:
            continue
        name = f"{split}, y = {label} ({count})" if per_class else "_nolegend_"
        ax.scatter(X[0, chosen], X[1, chosen], color=colors[label], label=name, **marker)
    if not per_class:  # one legend entry for the split: its marker, in grey
        name = f"{split} ({labels.size}), colour: class 0-{n_classes - 1}"
        ax.scatter([], [], color="grey", label=name, **marker)


def set_plane_axes(ax: Axes, dataset: Dataset) -> None:
    """Fix the window (:func:`reglab.plots.grid.plot_limits`) and label the two features."""
    (x_low, x_high), (y_low, y_high) = plot_limits(dataset)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_dataset(dataset: Dataset, *, show_test: bool = True) -> Figure:
    """The dataset's points in the plane, coloured by label.

    Args:
        dataset: a dataset with two features.
        show_test: also draw the test points (as crosses).

    Returns:
        A one-panel figure; its axes are labelled ``"dataset"``.
    """
    figure = new_figure(PANEL_SIZE * 1.25, PANEL_SIZE)
    ax = figure.add_subplot(label="dataset")
    set_plane_axes(ax, dataset)
    scatter_split(ax, dataset.X_train, dataset.y_train, "train", dataset.n_classes)
    n_test = dataset.X_test.shape[1]
    if show_test:
        scatter_split(ax, dataset.X_test, dataset.y_test, "test", dataset.n_classes)
    title = f"{dataset.name}: {dataset.X_train.shape[1]} training"
    title += f" and {n_test} test examples" if show_test else " examples"
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return figure
