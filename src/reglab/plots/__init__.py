"""Figures of datasets, training runs and trained models (matplotlib, no pyplot).

Every function returns a :class:`matplotlib.figure.Figure` drawn by Agg and
never touches matplotlib's global state; :func:`save_figure` writes one as PNG
or SVG, :func:`write_figures` all of a comparison's.

The submodules import matplotlib; this package loads them on first use, so
``import reglab`` and the command line start without it.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reglab.plots.boundaries import accuracy_titles, evaluate_grid, plot_decision_boundaries
    from reglab.plots.curves import plot_accuracy_curves, plot_cost_curves
    from reglab.plots.data import plot_dataset
    from reglab.plots.figures import comparison_figures, save_figures, write_figures
    from reglab.plots.grid import Grid, decision_grid, plot_limits
    from reglab.plots.masks import keep_frequency, plot_mask_quirk
    from reglab.plots.names import FIGURE_FORMATS, FIGURE_NAMES
    from reglab.plots.save import figure_bytes, save_figure
    from reglab.plots.sweep import write_sweep_figures
    from reglab.plots.weights import plot_weight_distributions

_HOMES: dict[str, str] = {
    "FIGURE_FORMATS": "reglab.plots.names",
    "FIGURE_NAMES": "reglab.plots.names",
    "Grid": "reglab.plots.grid",
    "accuracy_titles": "reglab.plots.boundaries",
    "comparison_figures": "reglab.plots.figures",
    "decision_grid": "reglab.plots.grid",
    "evaluate_grid": "reglab.plots.boundaries",
    "figure_bytes": "reglab.plots.save",
    "keep_frequency": "reglab.plots.masks",
    "plot_accuracy_curves": "reglab.plots.curves",
    "plot_cost_curves": "reglab.plots.curves",
    "plot_dataset": "reglab.plots.data",
    "plot_decision_boundaries": "reglab.plots.boundaries",
    "plot_limits": "reglab.plots.grid",
    "plot_mask_quirk": "reglab.plots.masks",
    "plot_weight_distributions": "reglab.plots.weights",
    "save_figure": "reglab.plots.save",
    "save_figures": "reglab.plots.figures",
    "write_figures": "reglab.plots.figures",
    "write_sweep_figures": "reglab.plots.sweep",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reglab.plots' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "FIGURE_FORMATS",
    "FIGURE_NAMES",
    "Grid",
    "accuracy_titles",
    "comparison_figures",
    "decision_grid",
    "evaluate_grid",
    "figure_bytes",
    "keep_frequency",
    "plot_accuracy_curves",
    "plot_cost_curves",
    "plot_dataset",
    "plot_decision_boundaries",
    "plot_limits",
    "plot_mask_quirk",
    "plot_weight_distributions",
    "save_figure",
    "save_figures",
    "write_figures",
    "write_sweep_figures",
]
