"""Decision regions in the plane, as the exercise draws them, for K models side by side.

Each panel fills a grid (step 0.01 in the exercise's window, see
:mod:`reglab.plots.grid`) with the class a model predicts there, in the
Spectral colormap, or with its predicted probability of class 1 as a heatmap
(C >= 3 classes: one qualitative colour per class, or the probability of the
predicted class);
the training points go on top and the test points as crosses. All models and
all grid points are evaluated in one batched forward pass.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, get_args

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from reglab.data.dataset import Dataset
from reglab.engine.network import Parameters, predict, predict_proba
from reglab.errors import ParameterError
from reglab.plots.curves import check_per_model
from reglab.plots.data import scatter_split, set_plane_axes
from reglab.plots.grid import Grid, check_two_features, decision_grid, plot_limits
from reglab.plots.style import (
    CLASS_CMAP,
    PANEL_SIZE,
    PROBABILITY_CMAP,
    REGION_ALPHA,
    class_cmap,
    new_figure,
)
from reglab.types import FloatArray

if TYPE_CHECKING:
    from reglab.engine.training import TrainedModels

RegionKind = Literal["class", "probability"]
REGION_KINDS: tuple[str, ...] = get_args(RegionKind)


def evaluate_grid(parameters: Parameters, grid: Grid, show: RegionKind = "class") -> FloatArray:
    """What K models predict at every grid point, in one batched forward pass.

    Args:
        parameters: K stacked models with 2 inputs.
        grid: the grid of points.
        show: ``"class"`` (the class index :func:`reglab.engine.predict` gives, as a
            float) or ``"probability"`` (:func:`reglab.engine.predict_proba`: of class 1
            for one sigmoid unit, of the predicted class for C softmax units).

    Returns:
        Values of shape ``(K, n_y, n_x)``, rows along y as in ``grid.shape``.
    """
    if show not in REGION_KINDS:
        raise ParameterError("show", f"one of {', '.join(REGION_KINDS)}", show)
    points = grid.points
    if show == "class":
        values = predict(parameters, points)
    else:
        values = predict_proba(parameters, points).max(axis=-2, keepdims=True)
    shaped: FloatArray = values.astype(float).reshape(parameters.n_models, *grid.shape)
    return shaped


def draw_region(
    ax: Axes, values: FloatArray, grid: Grid, show: RegionKind, n_classes: int = 2
) -> AxesImage:
    """Fill ``ax`` with one model's values over ``grid`` (an image, one cell per grid point).

    Args:
        ax: the axes to draw on.
        values: shape ``grid.shape``, classes 0..C-1 or probabilities.
        grid: the grid the values were computed on.
        show: ``"class"`` draws translucent class colours, ``"probability"`` an
            opaque heatmap with the 0.5 contour (where the models cross it); for C >= 3
            classes the predicted class's probability, in viridis, without a contour.
        n_classes: C, which decides the colours (2: the exercise's Spectral).

    Returns:
        The image; ``image.get_array()`` is ``values``.
    """
    alpha = REGION_ALPHA if show == "class" else 0.85
    binary = n_classes == 2
    if show == "class":
        cmap, low, high = class_cmap(n_classes), (0.0 if binary else -0.5), n_classes - 1.0
        high += 0.0 if binary else 0.5
    else:
        cmap, low, high = (CLASS_CMAP if binary else PROBABILITY_CMAP), 0.0, 1.0
    image = ax.imshow(
        values,
        origin="lower",
        extent=grid.extent,
        cmap=cmap,
        vmin=low,
        vmax=high,
        alpha=alpha,
        interpolation="nearest",
        aspect="auto",
        zorder=1,
    )
    if binary and show == "probability" and float(values.min()) < 0.5 < float(values.max()):
        ax.contour(grid.xs, grid.ys, values, levels=[0.5], colors="black", linewidths=1.0)
    return image


TITLE_WIDTH = 44
"""Characters of a model's name per line of a panel's title (a long name wraps)."""


def wrap_name(name: str, width: int = TITLE_WIDTH) -> str:
    """A model's name in lines of at most ``width`` characters where it can, broken after
    its ``" + "`` parts (``"L2, lambda = 0.7 + L1, alpha = 0.001 +\\nearly stopping, ..."``)."""
    lines: list[str] = []
    for part in name.split(" + "):
        if lines and len(lines[-1]) + len(" + ") + len(part) <= width:
            lines[-1] += " + " + part
        else:
            if lines:
                lines[-1] += " +"
            lines.extend(textwrap.wrap(part, width) or [part])
    return "\n".join(lines)


def accuracy_titles(names: Sequence[str], result: TrainedModels, dataset: Dataset) -> list[str]:
    """Panel titles: each model's name over its train and test accuracy with counts (the
    training examples it trained on: early stopping holds some out).

    For example ``"L2, lambda = 0.7\\ntrain 93.8% (198/211), test 93.0% (186/200)"``.
    """
    n_test = dataset.X_test.shape[1]
    titles = []
    for k, name in enumerate(names):
        train = float(result.train_accuracy[k])
        n_train = result.configs[k].examples_trained_on(dataset.X_train.shape[1])
        line = f"train {100 * train:.1f}% ({round(train * n_train)}/{n_train})"
        if result.test_accuracy is not None:
            test = float(result.test_accuracy[k])
            line += f", test {100 * test:.1f}% ({round(test * n_test)}/{n_test})"
        titles.append(f"{wrap_name(name)}\n{line}")
    return titles


def plot_decision_boundaries(
    parameters: Parameters,
    dataset: Dataset,
    titles: Sequence[str],
    *,
    show: RegionKind = "class",
    step: float | None = None,
    show_test: bool = True,
) -> Figure:
    """K models' decision regions side by side, the dataset's points on top.

    Args:
        parameters: K stacked models with 2 inputs.
        dataset: the data whose points are drawn; it also decides the window
            (the exercise's for its dataset).
        titles: one title per model.
        show: ``"class"`` fills the predicted class; ``"probability"`` draws the
            predicted probability of class 1 (C >= 3 classes: of the predicted class)
            as a heatmap with a colour bar.
        step: grid step; by default 0.01, coarser for large windows.
        show_test: also draw the test points (as crosses).

    Returns:
        A figure with one panel per model, labelled ``"boundary 0"``, ``"boundary 1"``, ...;
        each panel's first image holds that model's values on the grid.
    """
    check_two_features(dataset, "decision boundaries")
    if parameters.layers[0] != dataset.n_features:
        raise ParameterError(
            "parameters",
            f"models with {dataset.n_features} inputs, like the dataset",
            f"models with {parameters.layers[0]} inputs",
        )
    n_models = parameters.n_models
    n_classes = dataset.n_classes
    if parameters.layers[-1] != (1 if n_classes == 2 else n_classes):
        raise ParameterError(
            "parameters",
            f"models whose output layer fits the dataset's {n_classes} classes",
            f"models with {parameters.layers[-1]} outputs",
        )
    check_per_model("titles", titles, n_models)
    grid = decision_grid(plot_limits(dataset), step)
    values = evaluate_grid(parameters, grid, show)

    width = PANEL_SIZE * n_models + (0.8 if show == "probability" else 0.0)
    figure = new_figure(width, PANEL_SIZE + 0.5)
    axes = figure.subplots(1, n_models, sharex=True, sharey=True, squeeze=False)[0]
    image = None
    for k, (ax, title) in enumerate(zip(axes, titles, strict=True)):
        ax.set_label(f"boundary {k}")
        image = draw_region(ax, values[k], grid, show, n_classes)
        scatter_split(ax, dataset.X_train, dataset.y_train, "train", n_classes)
        if show_test:
            scatter_split(ax, dataset.X_test, dataset.y_test, "test", n_classes)
        set_plane_axes(ax, dataset)
        if k > 0:
            ax.set_ylabel("")
        ax.set_title(title, fontsize="medium")
    axes[0].legend(loc="lower left", fontsize="x-small", framealpha=0.8)
    if show == "probability" and image is not None:
        label = "predicted probability of " + ("y = 1" if n_classes == 2 else "the predicted class")
        figure.colorbar(image, ax=list(axes), label=label, shrink=0.9)
    return figure
