"""Training curves: the cost of several models on one set of axes, and their accuracies.

As in the exercise, the x axis counts iterations in thousands and the cost
figure is titled with the learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reglab.engine.training import History
from reglab.errors import ParameterError
from reglab.plots.style import PANEL_SIZE, model_color, new_figure
from reglab.types import FloatArray


def check_per_model(parameter: str, values: Sequence[object], n_models: int) -> None:
    """Raise :class:`ParameterError` unless ``values`` has one entry per model."""
    if len(values) != n_models:
        raise ParameterError(parameter, f"one entry per model ({n_models})", list(values))


def _thousands(history: History) -> FloatArray:
    scaled: FloatArray = history.iterations / 1000.0
    return scaled


def learning_rate_title(learning_rates: Sequence[float]) -> str:
    """``"Learning rate = 0.3"``, or ``"Learning rates: 0.3, 0.1"`` when they differ."""
    distinct = list(dict.fromkeys(float(rate) for rate in learning_rates))
    if len(distinct) == 1:
        return f"Learning rate = {distinct[0]:g}"
    return "Learning rates: " + ", ".join(f"{rate:g}" for rate in distinct)


def plot_cost_curves(
    history: History,
    names: Sequence[str],
    learning_rates: Sequence[float],
    stopped_at: Sequence[int | None] = (),
    best_iteration: Sequence[int | None] = (),
) -> Figure:
    """The recorded training cost of every model against iterations (x 1,000).

    Models with early stopping also get their validation cost (dashed), a star at
    ``best_iteration`` on it (at the last record when the final parameters were best:
    their validation cost is not a record) and a dotted vertical line at ``stopped_at``.

    Args:
        history: the recorded history of K models (``cost`` has shape ``(K, R)``).
        names: one name per model, used in the legend.
        learning_rates: one learning rate per model, for the title.
        stopped_at, best_iteration: per model, as in
            :class:`reglab.engine.TrainedModels` (empty: no early stopping).

    Returns:
        A one-panel figure; its axes are labelled ``"cost"``, one line per model.
    """
    n_models = history.cost.shape[0]
    check_per_model("names", names, n_models)
    check_per_model("learning_rates", learning_rates, n_models)
    figure = new_figure(PANEL_SIZE * 1.6, PANEL_SIZE)
    ax = figure.add_subplot(label="cost")
    x = _thousands(history)
    for k, name in enumerate(names):
        marker = "." if x.size <= 40 else ""
        ax.plot(x, history.cost[k], color=model_color(k), label=name, marker=marker)
        if history.validation_cost is not None and np.any(np.isfinite(history.validation_cost[k])):
            _mark_early_stopping(
                ax,
                x,
                history,
                k,
                stopped_at[k] if stopped_at else None,
                best_iteration[k] if best_iteration else None,
            )
    ax.set_xlabel("iterations (x1,000)")
    ax.set_ylabel("cost")
    ax.set_title(learning_rate_title(learning_rates))
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return figure


def _mark_early_stopping(
    ax: Axes,
    x: FloatArray,
    history: History,
    k: int,
    stopped_at: int | None,
    best_iteration: int | None,
) -> None:
    """Model k's validation cost (dashed), its best iteration (a star on that curve; at the
    last record when the final parameters were best) and its stop (a dotted line)."""
    assert history.validation_cost is not None
    validation = history.validation_cost[k]
    color = model_color(k)
    ax.plot(x, validation, color=color, linestyle="--", label="validation cost")
    if best_iteration is not None:
        at = np.flatnonzero(history.iterations == best_iteration)
        r = int(at[0]) if at.size else int(np.flatnonzero(np.isfinite(validation))[-1])
        ax.plot(x[r], validation[r], marker="*", markersize=12, color=color, linestyle="")
    if stopped_at is not None:
        ax.axvline(stopped_at / 1000.0, color=color, linestyle=":", alpha=0.8)


def plot_accuracy_curves(history: History, names: Sequence[str]) -> Figure:
    """Training and (when recorded) test accuracy of every model during training.

    Args:
        history: the recorded history of K models.
        names: one name per model, used in the legends.

    Returns:
        A figure with a ``"train accuracy"`` panel and, when the history has
        test accuracies, a ``"test accuracy"`` panel; one line per model in each.
    """
    check_per_model("names", names, history.train_accuracy.shape[0])
    panels: list[tuple[str, FloatArray]] = [("train accuracy", history.train_accuracy)]
    if history.test_accuracy is not None:
        panels.append(("test accuracy", history.test_accuracy))
    figure = new_figure(PANEL_SIZE * 1.3 * len(panels), PANEL_SIZE)
    axes = figure.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    x = _thousands(history)
    low = min(float(np.min(values)) for _, values in panels)
    for ax, (title, values) in zip(axes, panels, strict=True):
        ax.set_label(title)
        for k, name in enumerate(names):
            ax.plot(x, values[k], color=model_color(k), label=name)
        ax.set_title(title.capitalize())
        ax.set_xlabel("iterations (x1,000)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small", loc="lower right")
    axes[0].set_ylabel("accuracy")
    axes[0].set_ylim(max(0.0, low - 0.05), 1.0)
    return figure
