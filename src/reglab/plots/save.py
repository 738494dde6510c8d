"""Writing figures: PNG (default) or SVG, atomically.

A file is rendered in memory, written to a temporary file in the target's
directory and moved into place with :func:`os.replace`, so a reader never sees
a half-written figure and a failed write leaves nothing behind.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.layout_engine import LayoutEngine

from reglab.atomic import write_atomically
from reglab.errors import DataError, ParameterError
from reglab.plots.names import FIGURE_FORMATS, FigureFormat
from reglab.plots.style import DPI

SVG_HASH_SALT = "reglab"


def check_format(fmt: str) -> FigureFormat:
    """``fmt`` if it is ``"png"`` or ``"svg"``, else :class:`ParameterError`."""
    if fmt == "png":
        return "png"
    if fmt == "svg":
        return "svg"
    raise ParameterError("fmt", f"one of {', '.join(FIGURE_FORMATS)}", fmt)


def figure_bytes(figure: Figure, fmt: FigureFormat = "png") -> bytes:
    """The figure rendered as PNG or SVG, the same bytes every time.

    Constrained layout moves outside legends, colour bars and tick labels on its
    first pass only, so the layout is settled by two passes before the figure is
    written. A PNG of a figure on an Agg canvas at its own dpi (every reglab
    figure) runs the two passes without drawing, holds that layout, renders the
    figure once and encodes the pixels: the bytes ``savefig`` gives after a draw,
    at about three quarters of the work. Otherwise the figure is drawn once and
    then saved (SVG is laid out by its own renderer); SVG gets no timestamp and
    element ids from a fixed salt.
    """
    chosen = check_format(fmt)
    engine = figure.get_layout_engine()
    canvas = figure.canvas
    if (
        chosen == "png"
        and engine is not None
        and isinstance(canvas, FigureCanvasAgg)
        and figure.dpi == DPI
    ):
        return _png_rendered_once(figure, canvas, engine)
    figure.draw_without_rendering()
    buffer = io.BytesIO()
    metadata = {"Date": None} if chosen == "svg" else {}
    # A fixed salt makes SVG element ids repeatable; rc_context restores the setting after.
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        figure.savefig(buffer, format=chosen, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _png_rendered_once(figure: Figure, canvas: FigureCanvasAgg, engine: LayoutEngine) -> bytes:
    """PNG of ``figure`` after two layout passes, the layout held for the one render."""
    engine.execute(figure)
    engine.execute(figure)
    figure.set_layout_engine("none")
    agg: Any = canvas  # matplotlib's Agg canvas has no type annotations
    try:
        agg.draw()
    finally:
        figure.set_layout_engine(engine)
    buffer = io.BytesIO()
    imsave(buffer, agg.buffer_rgba(), format="png", origin="upper", dpi=DPI)
    return buffer.getvalue()


def output_error(what: str, where: Path, error: OSError) -> DataError:
    """The one-line error for an output that cannot be written.

    Its message reads ``cannot write <what> to <where>: <reason>``.
    """
    reason = error.strerror or str(error)
    return DataError(f"cannot write {what} to {where}: {reason}")


def _format_for(path: Path, fmt: str | None) -> FigureFormat:
    suffix = path.suffix.lower().lstrip(".")
    if fmt is None:
        return check_format(suffix) if suffix in FIGURE_FORMATS else "png"
    chosen = check_format(fmt)
    if suffix in FIGURE_FORMATS and suffix != chosen:
        raise ParameterError("fmt", f"{suffix!r} to match the file name {path.name!r}", fmt)
    return chosen


def save_figure(figure: Figure, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``figure`` to ``path`` atomically, creating its directory if needed.

    Args:
        figure: the figure.
        path: the file; ``.png`` or ``.svg`` is added when it has neither suffix.
        fmt: ``"png"`` or ``"svg"``; by default the path's suffix, else PNG.

    Returns:
        The path written.

    Raises:
        DataError: ``cannot write figures to <dir>: <reason>`` when the file
            or its directory cannot be written.
    """
    target = Path(path)
    chosen = _format_for(target, fmt)
    if target.suffix.lower() != f".{chosen}":
        target = target.with_name(f"{target.name}.{chosen}")
    data = figure_bytes(figure, chosen)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
    except OSError as error:
        raise output_error("figures", target.parent, error) from error
    return target
