"""The kernel's row arithmetic: sums of products along rows of a buffer, and dropout of a value.

The forward and backward passes (:mod:`~reglab.engine.kernel_forward`,
:mod:`~reglab.engine.kernel_backward`) are matrix products written as sums of
scaled rows of an activation or dZ buffer, one example per column. Sums of
products run four terms per pass, with fused multiply-adds and reassociated
reductions (the freedom a BLAS takes, see
:data:`~reglab.engine.kernel_compile.MATMUL_FASTMATH`); missing terms read the
buffer's all-zero last row with coefficient 0, adding exactly 0.0. Dropout
multiplies by ``1 / keep_prob`` rather than dividing (:func:`_dropped`).

To add a primitive: a small compiled function here, used by more than one pass
(a helper of one pass lives beside that pass).
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import MATMUL_FASTMATH, compiled
from reglab.types import FloatArray

CALLEES_DIGEST = "6c1cd8adc19b19f6"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


@compiled(fastmath=MATMUL_FASTMATH)
def _combine_rows(
    coefficients: FloatArray,
    first: int,
    stride: int,
    n_terms: int,
    rows: FloatArray,
    source_row: int,
    target_row: int,
    width: int,
) -> None:
    """``rows[target_row, :width] = sum_k c_k rows[source_row + k, :width]``, k < n_terms.

    ``c_k = coefficients[first + k * stride]``; ``n_terms`` is a multiple of 4:
    terms go four at a time, four multiply-adds per store.
    """
    for k in range(0, n_terms, 4):
        row = source_row + k
        c0 = coefficients[first + k * stride]
        c1 = coefficients[first + (k + 1) * stride]
        c2 = coefficients[first + (k + 2) * stride]
        c3 = coefficients[first + (k + 3) * stride]
        if k == 0:
            for t in range(width):
                rows[target_row, t] = (
                    c0 * rows[row, t]
                    + c1 * rows[row + 1, t]
                    + c2 * rows[row + 2, t]
                    + c3 * rows[row + 3, t]
                )
        else:
            for t in range(width):
                rows[target_row, t] += (
                    c0 * rows[row, t]
                    + c1 * rows[row + 1, t]
                    + c2 * rows[row + 2, t]
                    + c3 * rows[row + 3, t]
                )


@compiled(fastmath=MATMUL_FASTMATH)
def _last_terms(
    rows: FloatArray,
    previous: int,
    r0: int,
    r1: int,
    r2: int,
    r3: int,
    c0: float,
    c1: float,
    c2: float,
    c3: float,
    t: int,
) -> float:
    """``rows[previous, t] + c0 rows[r0, t] + ... + c3 rows[r3, t]`` (a matrix-product sum)."""
    total: float = rows[previous, t] + (
        c0 * rows[r0, t] + c1 * rows[r1, t] + c2 * rows[r2, t] + c3 * rows[r3, t]
    )
    return total


@compiled(fastmath=MATMUL_FASTMATH)
def _two_terms(rows: FloatArray, r0: int, r1: int, c0: float, c1: float, t: int) -> float:
    """``c0 rows[r0, t] + c1 rows[r1, t]``: a sum of two terms, unpadded."""
    total: float = c0 * rows[r0, t] + c1 * rows[r1, t]
    return total


@compiled(fastmath=MATMUL_FASTMATH)
def _three_terms(
    rows: FloatArray, r0: int, r1: int, r2: int, c0: float, c1: float, c2: float, t: int
) -> float:
    """``c0 rows[r0, t] + c1 rows[r1, t] + c2 rows[r2, t]``: a sum of three terms, unpadded."""
    total: float = c0 * rows[r0, t] + c1 * rows[r1, t] + c2 * rows[r2, t]
    return total


@compiled()
def _split_terms(
    coefficients: FloatArray,
    first: int,
    stride: int,
    n_terms: int,
    source_row: int,
    zero_row: int,
) -> tuple[int, int, int, int, int, float, float, float, float]:
    """Where the last 1 to 4 terms of a sum start, and their rows and coefficients.

    Missing terms (when fewer than 4 remain) read the all-zero row with
    coefficient 0: they add exactly 0.0 to the sum.
    """
    lead = ((n_terms - 1) // 4) * 4
    left = n_terms - lead
    r0 = source_row + lead
    c0 = coefficients[first + lead * stride]
    r1 = source_row + lead + 1 if left > 1 else zero_row
    c1 = coefficients[first + (lead + 1) * stride] if left > 1 else 0.0
    r2 = source_row + lead + 2 if left > 2 else zero_row
    c2 = coefficients[first + (lead + 2) * stride] if left > 2 else 0.0
    r3 = source_row + lead + 3 if left > 3 else zero_row
    c3 = coefficients[first + (lead + 3) * stride] if left > 3 else 0.0
    return lead, r0, r1, r2, r3, c0, c1, c2, c3


@compiled()
def _unsigned_column(start: int, t: int) -> np.uint64:
    """Column ``start + t`` of the data or the masks, as an unsigned index.

    Numba wraps negative signed indices around (``a[-1]`` is the last element)
    and, unable to prove ``start + t >= 0``, checks every access: a check that
    kept LLVM from loading four mask bytes or labels as one vector (the masked
    ReLU pass took 1.7 times as long). Unsigned indices are never wrapped.
    """
    return np.uint64(start + t)


@compiled()
def _dropped(value: float, kept: np.uint8, scale: float) -> float:
    """Inverted dropout of one value: ``value * D / keep_prob`` with ``scale = 1 / keep_prob``.

    A multiplication by the reciprocal rather than a division (several times
    faster): the result may differ from the reference's division in the last
    bit, like the reassociated sums. The reciprocal comes from NumPy (the
    ``keep_scale`` argument of :func:`~reglab.engine.kernel.train_model`): computed in compiled
    code, LLVM's reassociation would fold ``x * (1 / p)`` back into ``x / p``.
    """
    return (value * np.float64(kept)) * scale
