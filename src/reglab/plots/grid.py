"""The plotting window around a dataset and the grid its decision regions are evaluated on.

The exercise draws its boundaries on a grid of step 0.01 with the axes fixed at
x in [-0.75, 0.40] and y in [-0.75, 0.65]; reglab uses exactly that window for
the exercise's dataset. Elsewhere the window is the data's bounding box padded
by 10 % on each side, and the step grows past 0.01 when the window is large,
so that no axis has more than :data:`MAX_GRID_STEPS` points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reglab.data.dataset import Dataset
from reglab.data.football import FOOTBALL_SHA256
from reglab.errors import DataError, ParameterError
from reglab.types import FloatArray

EXERCISE_LIMITS: tuple[tuple[float, float], tuple[float, float]] = ((-0.75, 0.40), (-0.75, 0.65))
"""The exercise's axes: ``((x_min, x_max), (y_min, y_max))``."""

EXERCISE_STEP = 0.01
"""The exercise's grid step, also the finest step reglab uses."""

PADDING = 0.1
"""Fraction of the data's span added on each side of the window."""

MAX_GRID_STEPS = 400
"""Most grid points along one axis: caps the grid at 400 x 400 points."""

Limits = tuple[tuple[float, float], tuple[float, float]]


def check_two_features(dataset: Dataset, what: str) -> None:
    """Raise :class:`DataError` unless the dataset has exactly two input features."""
    if dataset.n_features != 2:
        raise DataError(
            f"{what} need a dataset with 2 input features (a plane). "
            f"Received: dataset {dataset.name!r} with {dataset.n_features} features"
        )


def uses_exercise_window(dataset: Dataset) -> bool:
    """Whether ``dataset`` is the exercise's file (by its sha256) or the built-in stand-in for it.

    Names alone do not decide: a user's own ``football.csv`` is drawn around its own points.
    """
    builtin_goalkeeper = dataset.name == "goalkeeper" and dataset.sha256 is None
    return dataset.sha256 == FOOTBALL_SHA256 or builtin_goalkeeper


def plot_limits(dataset: Dataset) -> Limits:
    """The window to draw ``dataset`` in: the exercise's for its data, else the padded data.

    Args:
        dataset: a dataset with two features.

    Returns:
        ``((x_min, x_max), (y_min, y_max))``.
    """
    check_two_features(dataset, "plots of the plane")
    if uses_exercise_window(dataset):
        return EXERCISE_LIMITS
    points = np.concatenate([dataset.X_train, dataset.X_test], axis=1)
    limits = []
    for low, high in zip(points.min(axis=1), points.max(axis=1), strict=True):
        span = float(high - low)
        pad = PADDING * span if span > 0 else 0.5
        limits.append((float(low) - pad, float(high) + pad))
    return (limits[0], limits[1])


@dataclass(frozen=True)
class Grid:
    """A regular grid of points covering a window.

    Attributes:
        xs: grid coordinates along x, shape ``(n_x,)``, ``xs[i] = x_min + i * step``.
        ys: grid coordinates along y, shape ``(n_y,)``.
        step: spacing between neighbouring points.
    """

    xs: FloatArray
    ys: FloatArray
    step: float

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_y, n_x)``: the shape of a value array over the grid, rows along y."""
        return (self.ys.size, self.xs.size)

    @property
    def points(self) -> FloatArray:
        """All grid points as columns, row-major over ``shape``: shape ``(2, n_y * n_x)``."""
        xx, yy = np.meshgrid(self.xs, self.ys)
        return np.stack([xx.ravel(), yy.ravel()])

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(left, right, bottom, top)`` of the cells centred on the grid points."""
        half = self.step / 2
        return (
            float(self.xs[0] - half),
            float(self.xs[-1] + half),
            float(self.ys[0] - half),
            float(self.ys[-1] + half),
        )


def _axis(low: float, high: float, step: float) -> FloatArray:
    count = math.floor((high - low) / step + 1e-9) + 1
    coordinates: FloatArray = low + step * np.arange(count, dtype=float)
    return coordinates


def grid_step(limits: Limits) -> float:
    """0.01, or larger when a side of the window would need more than :data:`MAX_GRID_STEPS`."""
    widest = max(high - low for low, high in limits)
    return max(EXERCISE_STEP, widest / (MAX_GRID_STEPS - 1))


def decision_grid(limits: Limits, step: float | None = None) -> Grid:
    """The grid covering ``limits`` from its lower-left corner, every ``step``.

    Args:
        limits: ``((x_min, x_max), (y_min, y_max))``.
        step: spacing, > 0 and at least :func:`grid_step` of the window (which
            is the default).

    Returns:
        The grid; its last point on each axis is the last one not past the window.
    """
    finest = grid_step(limits)
    if step is not None and (
        isinstance(step, bool)
        or not isinstance(step, (int, float))
        or not math.isfinite(step)
        or step < finest * (1 - 1e-12)
    ):
        raise ParameterError(
            "step",
            f"a number >= {finest:.4g} for this window (at most {MAX_GRID_STEPS} points per axis)",
            step,
        )
    chosen = finest if step is None else float(step)
    (x_low, x_high), (y_low, y_high) = limits
    return Grid(_axis(x_low, x_high, chosen), _axis(y_low, y_high, chosen), chosen)
