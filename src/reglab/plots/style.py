"""Colours, sizes and the figure factory every reglab figure starts from.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas
attached: no pyplot, no GUI, and the user's global backend is never touched.
Classes use the exercise's Spectral colormap, red for label 0 and blue for
label 1; models get the ``tab10`` colours, so they never look like a class.
"""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

CLASS_CMAP: Colormap = colormaps["Spectral"]
"""The exercise's colormap: 0 maps to red, 1 to blue."""

CLASS_COLORS: dict[int, tuple[float, float, float, float]] = {
    0: CLASS_CMAP(0.0),
    1: CLASS_CMAP(1.0),
}
"""The colour of each label, the ends of :data:`CLASS_CMAP`."""

REGION_ALPHA = 0.45
"""Opacity of filled decision regions, so the points drawn on top stay visible."""

DPI = 100
"""Resolution of saved and embedded raster figures."""

PANEL_SIZE = 4.2
"""Width and height, in inches, of one square panel."""


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches, constrained layout, drawn by Agg."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def model_color(k: int) -> tuple[float, float, float, float]:
    """The colour of the k-th model, consistent across figures."""
    rgba: tuple[float, float, float, float] = colormaps["tab10"](k % 10)
    return rgba
