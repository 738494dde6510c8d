"""A vectorizable ``exp`` for the kernel's sigmoid (libm's ``exp`` is a scalar call).

The training loop needs ``1 / (1 + exp(-z))`` for every example on every
iteration; with libm that is a function call per example, a fifth of the time
of an exercise-size model. :func:`exp` is the classic algorithm, written so
LLVM vectorizes it: ``exp(x) = 2**k * exp(r)`` with ``k = round(x / ln 2)``,
``r = x - k ln 2`` (two-part ln 2, |r| <= 0.35), ``exp(r)`` by its Taylor
series to degree 13 (truncation below 1e-17 relative), and ``2**k`` built
from its bits in two halves so subnormal results come out right. It agrees
with libm to about one unit in the last place; overflow gives inf, underflow
0, NaN stays NaN. The recorded cost and the accuracies use libm
(``np.exp``/``np.log1p``), as the NumPy reference does.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from reglab.engine.kernel_compile import compiled

CALLEES_DIGEST = "6c1cd8adc19b19f6"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""

_LOG2_E = 1.4426950408889634
_LN2_HIGH = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * _LN2_HIGH is exact for |k| < 2**20
_LN2_LOW = 1.90821492927058770002e-10
_ROUNDER = 6755399441055744.0  # 1.5 * 2**52: x + _ROUNDER holds round(x) in its low bits
_ROUNDER_BITS = 0x4338000000000000
_OVERFLOW = 709.782712893384  # exp(x) is inf above
_UNDERFLOW = -745.1332191019412  # exp(x) is 0 below


def _bits_of_float_intrinsic(typingctx: Any, x: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _float_of_bits_intrinsic(typingctx: Any, bits: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_bits_of_float = cast(Any, intrinsic(_bits_of_float_intrinsic))
_float_of_bits = cast(Any, intrinsic(_float_of_bits_intrinsic))


@compiled()
def _power_of_two(k: float) -> float:
    """``2**k`` for an integral float k in [-540, 540]."""
    integer = _bits_of_float(k + _ROUNDER) - _ROUNDER_BITS
    return float(_float_of_bits((integer + 1023) << 52))


@compiled(fastmath=frozenset({"contract"}))
def exp(x: float) -> float:
    """``e**x`` to about one ulp, branch-free so loops over it vectorize.

    Compiled with fused multiply-adds (``contract``): the polynomial is half the
    instructions, and no less accurate.
    """
    clamped = min(max(x, -746.0), 710.0)
    k = (clamped * _LOG2_E + _ROUNDER) - _ROUNDER  # round to nearest
    r = (clamped - k * _LN2_HIGH) - k * _LN2_LOW
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    half = (k * 0.5 - 0.25 + _ROUNDER) - _ROUNDER  # floor(k / 2) for an integral k
    value = p * _power_of_two(half) * _power_of_two(k - half)
    value = np.inf if x > _OVERFLOW else value
    value = 0.0 if x < _UNDERFLOW else value
    return x if x != x else value
