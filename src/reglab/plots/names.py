"""What the figures are called and how they can be written (no matplotlib import here).

The command line builds its help text from these on every start, so they live
apart from the drawing code, which imports matplotlib.
"""

from typing import Literal, get_args

FigureFormat = Literal["png", "svg"]
FIGURE_FORMATS: tuple[str, ...] = get_args(FigureFormat)

FIGURE_NAMES: tuple[str, ...] = (
    "dataset",
    "cost",
    "accuracy",
    "boundaries",
    "probabilities",
    "weights",
    "mask_quirk",
)
"""Every figure :func:`reglab.plots.comparison_figures` can draw, in the order it draws them."""
