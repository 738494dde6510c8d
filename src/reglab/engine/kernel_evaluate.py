"""What the kernel measures: accuracy and loss on the plain pass, the cost's penalties,
early stopping's validation cost.

:func:`_count_correct` runs a set through the plain pass (no dropout) chunk by
chunk and asks the head (:mod:`~reglab.engine.kernel_heads`) for its correct
predictions and loss; :func:`_penalty` adds the L2 and L1 terms. To record a new
measure: a function here, called from the loop's record step
(:func:`reglab.engine.kernel._record`), and a field in
:class:`~reglab.engine.kernel_plan.Records`.
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import ByteArray, IntArray, compiled
from reglab.engine.kernel_forward import _forward_chunk
from reglab.engine.kernel_heads import _head_correct, _head_loss
from reglab.engine.kernel_plan import Data, Layout
from reglab.types import FloatArray

CALLEES_DIGEST = "d615371da683e033"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


@compiled()
def _count_correct(
    params: FloatArray,
    layout: Layout,
    rows: IntArray,
    acts: FloatArray,
    X: FloatArray,
    Y: FloatArray,
    keep: ByteArray,
    with_loss: bool | np.bool_,
) -> tuple[int, float]:
    """The plain pass (no dropout): examples classified right, and with ``with_loss`` the
    head's loss summed over the examples (else 0).

    Flags go to compiled calls as ``np.bool_``/``np.float64`` values, not literals:
    Numba compiles a function once per literal argument value, and a literal
    ``False`` here would compile the whole forward pass a second time.
    """
    m = X.shape[1]
    n_linear = layout.layers.size - 1
    out, n_out = rows[n_linear], layout.layers[n_linear]
    correct = 0
    loss = 0.0
    chunk = acts.shape[1]
    for start in range(0, m, chunk):
        width = min(chunk, m - start)
        _forward_chunk(
            params, layout, rows, acts, X, start, width, keep, np.float64(1.0), np.bool_(False)
        )
        correct += _head_correct(layout.head, acts, out, n_out, Y, start, width)
        if with_loss:
            loss = _head_loss(layout.head, acts, out, n_out, Y, start, width, loss)
    return correct, loss


@compiled()
def _squared_weights(params: FloatArray, layout: Layout) -> float:
    """``sum_l ||W_l||_F^2``."""
    layers = layout.layers
    total = 0.0
    for l in range(layers.size - 1):
        layer = 0.0
        for e in range(layers[l + 1] * layers[l]):
            w = params[layout.weight_offsets[l] + e]
            layer += w * w
        total += layer
    return total


@compiled()
def _absolute_weights(params: FloatArray, layout: Layout) -> float:
    """``sum_l sum |W_l|``."""
    layers = layout.layers
    total = 0.0
    for l in range(layers.size - 1):
        layer = 0.0
        for e in range(layers[l + 1] * layers[l]):
            layer += abs(params[layout.weight_offsets[l] + e])
        total += layer
    return total


@compiled()
def _penalty(params: FloatArray, layout: Layout, l2: float, l1: float, m: int) -> float:
    """The cost's regularization terms, ``l2/(2m) sum ||W||^2 + (l1/m) sum |W|`` (the
    L1 term only where ``l1`` is not 0, so that models without it add nothing)."""
    penalty: float = (1.0 / m) * (l2 / 2) * _squared_weights(params, layout)
    if l1 != 0.0:
        penalty += (l1 / m) * _absolute_weights(params, layout)
    return penalty


@compiled(inline=True)
def _validation_cost(
    params: FloatArray,
    layout: Layout,
    rows: IntArray,
    acts: FloatArray,
    data: Data,
    keep: ByteArray,
    l2: float,
    l1: float,
    m: int,
) -> float:
    """Early stopping's validation cost: the head's mean loss on the validation set (plain
    pass) plus the training cost's penalty terms (m: the training examples), as Keras's
    ``val_loss`` includes the regularization losses."""
    loss = _count_correct(
        params, layout, rows, acts, data.X_validation, data.Y_validation, keep, np.bool_(True)
    )[1]
    total: float = loss / data.X_validation.shape[1] + _penalty(params, layout, l2, l1, m)
    return total
