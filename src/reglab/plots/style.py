"""Colours, sizes and the figure factory every reglab figure starts from.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas
attached: no pyplot, no GUI, and the user's global backend is never touched.
Classes use the exercise's Spectral colormap, red for label 0 and blue for
label 1; models get the ``tab10`` colours, so they never look like a class.
Data of C >= 3 classes takes a qualitative palette (``Set1``, then ``tab20``):
one distinct colour per class (:func:`class_colors`).
"""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure

CLASS_CMAP: Colormap = colormaps["Spectral"]
"""The exercise's colormap: 0 maps to red, 1 to blue."""

CLASS_COLORS: dict[int, tuple[float, float, float, float]] = {
    0: CLASS_CMAP(0.0),
    1: CLASS_CMAP(1.0),
}
"""The colour of each label, the ends of :data:`CLASS_CMAP`."""

RGBA = tuple[float, float, float, float]


def class_colors(n_classes: int) -> list[RGBA]:
    """One colour per class: the exercise's red and blue for two, ``Set1``'s distinct hues
    for up to 9, ``tab20``'s for up to 20, evenly spaced hues beyond."""
    if n_classes == 2:
        return [CLASS_COLORS[0], CLASS_COLORS[1]]
    if n_classes <= 9:
        palette = colormaps["Set1"]
        return [palette(c) for c in range(n_classes)]
    if n_classes <= 20:
        palette = colormaps["tab20"]
        return [palette(c) for c in range(n_classes)]
    palette = colormaps["hsv"]
    return [palette(c / n_classes) for c in range(n_classes)]


def class_cmap(n_classes: int) -> Colormap:
    """The colormap of class regions: :data:`CLASS_CMAP` for two classes (values 0/1), else
    the C colours of :func:`class_colors` (values 0..C-1, one colour each)."""
    if n_classes == 2:
        return CLASS_CMAP
    return ListedColormap(class_colors(n_classes), name=f"classes{n_classes}")


PROBABILITY_CMAP: Colormap = colormaps["viridis"]
"""The heatmap of the predicted class's probability, for C >= 3 classes."""

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
