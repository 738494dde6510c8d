"""Seed lists and the summary statistics that seed studies and sweeps report.

Standard deviations use ddof = 1 (the sample standard deviation): the spread
a user should expect from one more seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reglab.config import MAX_SEED
from reglab.config import MAX_SEEDS as MAX_SEEDS  # re-exported
from reglab.errors import ParameterError
from reglab.types import FloatArray


def resolve_seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    """The explicit seed list: ``N`` means seeds ``0, 1, ..., N-1``.

    Raises:
        ParameterError: unless ``seeds`` is an integer >= 1 or a non-empty
            sequence of distinct integers >= 0.
    """
    expected = (
        "a number of seeds >= 1 or a non-empty list of distinct integers "
        "in [0, 2**63 - 1] (stored as 64-bit integers)"
    )
    if isinstance(seeds, bool):
        raise ParameterError("seeds", expected, seeds)
    if isinstance(seeds, int):
        if seeds < 1:
            raise ParameterError("seeds", expected, seeds)
        if seeds > MAX_SEEDS:
            raise ParameterError("seeds", f"at most {MAX_SEEDS:,} seeds", seeds)
        return tuple(range(seeds))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise ParameterError("seeds", expected, seeds)
    values = tuple(seeds)
    if (
        not values
        or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= MAX_SEED for s in values
        )
        or len(set(values)) != len(values)
    ):
        raise ParameterError("seeds", expected, list(values))
    return values


def summary(values: FloatArray) -> dict[str, float]:
    """Mean, standard deviation (ddof = 1; NaN for one value), minimum and maximum."""
    n = values.size
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if n >= 2 else math.nan,
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def json_number(value: float) -> float | None:
    """``value``, or None where JSON has no number (NaN, infinities)."""
    return value if math.isfinite(value) else None
