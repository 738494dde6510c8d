"""All the figures of a comparison, by name, and writing them to a directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from matplotlib.figure import Figure

from reglab.errors import ParameterError
from reglab.experiments.exercise import Comparison
from reglab.plots.boundaries import accuracy_titles, plot_decision_boundaries
from reglab.plots.curves import plot_accuracy_curves, plot_cost_curves
from reglab.plots.data import plot_dataset
from reglab.plots.masks import plot_mask_quirk
from reglab.plots.save import check_format, output_error, save_figure
from reglab.plots.weights import plot_weight_distributions


def _course_dropout_index(comparison: Comparison) -> int:
    for k, config in enumerate(comparison.result.configs):
        if config.masks == "course" and config.keep_prob < 1:
            return k
    raise ParameterError(
        "mask_quirk",
        "False without a course-mask dropout model (masks='course', keep_prob < 1)",
        True,
    )


def comparison_figures(comparison: Comparison, *, mask_quirk: bool = False) -> dict[str, Figure]:
    """The figures of a comparison, keyed by the names in :data:`FIGURE_NAMES`.

    Boundary figures need a two-feature dataset; for other datasets they are left out.

    Args:
        comparison: the trained models, their names and dataset.
        mask_quirk: also draw :func:`reglab.plots.plot_mask_quirk` for the
            comparison's course-mask dropout model. This trains two more models
            for that model's iterations.

    Returns:
        ``{"dataset", "cost", "accuracy", "boundaries", "probabilities",
        "weights"[, "mask_quirk"]}`` to figures, in that order.
    """
    result = comparison.result
    dataset = comparison.dataset
    names = list(comparison.names)
    figures: dict[str, Figure] = {}
    planar = dataset.n_features == 2
    quirk_model = _course_dropout_index(comparison) if mask_quirk and planar else None
    if planar:
        figures["dataset"] = plot_dataset(dataset)
    figures["cost"] = plot_cost_curves(
        result.history,
        names,
        [config.learning_rate for config in result.configs],
        result.stopped_at,
        result.best_iteration,
    )
    figures["accuracy"] = plot_accuracy_curves(result.history, names)
    if planar:
        titles = accuracy_titles(names, result, dataset)
        figures["boundaries"] = plot_decision_boundaries(result.parameters, dataset, titles)
        figures["probabilities"] = plot_decision_boundaries(
            result.parameters, dataset, titles, show="probability"
        )
    figures["weights"] = plot_weight_distributions(result.parameters, names)
    if quirk_model is not None:
        figures["mask_quirk"] = plot_mask_quirk(dataset, result.configs[quirk_model])
    return figures


def save_figures(
    figures: Mapping[str, Figure], out_dir: str | os.PathLike[str], fmt: str = "png"
) -> list[Path]:
    """Write each figure to ``out_dir/<name>.<fmt>`` (atomically), creating the directory.

    Raises:
        DataError: ``cannot write figures to <dir>: <reason>``.
    """
    chosen = check_format(fmt)
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_error("figures", directory, error) from error
    return [
        save_figure(figure, directory / f"{name}.{chosen}", chosen)
        for name, figure in figures.items()
    ]


def write_figures(
    comparison: Comparison,
    out_dir: str | os.PathLike[str],
    fmt: str = "png",
    *,
    mask_quirk: bool = False,
) -> list[Path]:
    """Draw a comparison's figures and write them to ``out_dir``; returns the files written."""
    check_format(fmt)
    return save_figures(comparison_figures(comparison, mask_quirk=mask_quirk), out_dir, fmt)
