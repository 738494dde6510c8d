"""A learner's output against the expected one: the first wrong value, and by how much.

Outputs are compared by structure: a cost is one number; a gradient dict must have
every key of the course's, each array its shape; the dropout forward pass returns
``(A3, cache)`` with the cache's 14 items in the course's order. Values agree within
``rtol = 1e-7, atol = 1e-10`` (orders of operations differ between correct solutions
by far less). Masks may be bool or 0/1 numbers: the values count, not the dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reglab.grading.codec import Opaque

RTOL = 1e-7
ATOL = 1e-10


@dataclass(frozen=True)
class Mismatch:
    """Where an output first differs from the expected one, and how.

    Attributes:
        where: the output, e.g. ``cost``, ``dW2``, ``cache[6] (D2)``.
        text: how, e.g. ``is 1.97, expected 1.79 (off by 0.18)``.
    """

    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where} {self.text}"


def _number(value: float) -> str:
    return f"{value:.8g}"


def _describe(value: Any) -> str:
    if value is None:
        return "None (a missing return?)"
    if isinstance(value, Opaque):
        return value.text
    return f"a {type(value).__name__}"


def compare_array(
    where: str, received: Any, expected: Any, scalar: bool = False
) -> Mismatch | None:
    """The first difference between an array (or number) and the expected one, or None."""
    if isinstance(received, Opaque | dict | tuple | list | str) or received is None:
        kind = "a number" if scalar else "an array"
        return Mismatch(where, f"is {_describe(received)}, expected {kind}")
    got = np.asarray(received)
    want = np.asarray(expected, dtype=float)
    if scalar:
        if got.size != 1:
            return Mismatch(where, f"has shape {got.shape}, expected one number")
        got = got.reshape(())
    elif got.shape != want.shape:
        return Mismatch(where, f"has shape {got.shape}, expected {want.shape}")
    got = got.astype(float)
    close = np.isclose(got, want, rtol=RTOL, atol=ATOL) | (np.isnan(got) & np.isnan(want))
    if np.all(close):
        return None
    if scalar:
        off = abs(float(got) - float(want))
        return Mismatch(
            where, f"is {_number(float(got))}, expected {_number(float(want))} (off by {off:.3g})"
        )
    wrong = np.argwhere(~close)
    first = tuple(int(i) for i in wrong[0])
    difference = np.where(close, 0.0, np.abs(got - want))
    difference = np.nan_to_num(difference, nan=np.inf)
    largest = tuple(int(i) for i in np.unravel_index(np.argmax(difference), want.shape))
    index = ", ".join(map(str, first))
    return Mismatch(
        where,
        f"[{index}] is {_number(float(got[first]))}, expected {_number(float(want[first]))}; "
        f"{len(wrong)} of {want.size} entries differ, the largest by "
        f"{float(difference[largest]):.3g} at [{', '.join(map(str, largest))}]",
    )


def first_mismatch(received: Any, expected: Any, where: str = "output") -> Mismatch | None:
    """The first wrong value of ``received``, following ``expected``'s structure, or None."""
    if isinstance(expected, dict):
        if not isinstance(received, dict):
            return Mismatch(where, f"is {_describe(received)}, expected a dict of gradients")
        for key, value in expected.items():
            if key not in received:
                return Mismatch(
                    key, f"is missing from the returned dict (keys: {sorted(received)})"
                )
            mismatch = compare_array(key, received[key], value)
            if mismatch is not None:
                return mismatch
        return None
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[1], tuple):
        if not isinstance(received, tuple | list) or len(received) != 2:
            return Mismatch(where, f"is {_describe(received)}, expected the pair (A3, cache)")
        mismatch = compare_array("A3", received[0], expected[0])
        if mismatch is not None:
            return mismatch
        return _compare_cache(received[1], expected[1])
    return compare_array("cost", received, expected, scalar=True)


def _compare_cache(received: Any, expected: tuple[Any, ...]) -> Mismatch | None:
    from reglab.grading.cases import CACHE_NAMES

    if not isinstance(received, tuple | list) or len(received) != len(expected):
        size = (
            f"{len(received)} items" if isinstance(received, tuple | list) else _describe(received)
        )
        return Mismatch(
            "cache",
            f"is {size}, expected {len(expected)} items: ({', '.join(CACHE_NAMES)})",
        )
    for i, (got, want) in enumerate(zip(received, expected, strict=True)):
        name = CACHE_NAMES[i] if len(expected) == len(CACHE_NAMES) else str(i)
        mismatch = compare_array(f"cache[{i}] ({name})", got, want)
        if mismatch is not None:
            return mismatch
    return None
