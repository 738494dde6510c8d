"""Figures of datasets, training runs and trained models (matplotlib, no pyplot).

Every function returns a :class:`matplotlib.figure.Figure` drawn by Agg and
never touches matplotlib's global state; :func:`save_figure` writes one as PNG
or SVG, :func:`write_figures` all of a comparison's.
"""

from reglab.plots.boundaries import accuracy_titles, evaluate_grid, plot_decision_boundaries
from reglab.plots.curves import plot_accuracy_curves, plot_cost_curves
from reglab.plots.data import plot_dataset
from reglab.plots.figures import FIGURE_NAMES, comparison_figures, save_figures, write_figures
from reglab.plots.grid import Grid, decision_grid, plot_limits
from reglab.plots.masks import keep_frequency, plot_mask_quirk
from reglab.plots.save import figure_bytes, save_figure
from reglab.plots.sweep import write_sweep_figures
from reglab.plots.weights import plot_weight_distributions

__all__ = [
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
