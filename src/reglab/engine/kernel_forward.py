"""The kernel's forward passes: one layer, then one chunk of examples through every layer.

:func:`_forward_chunk` runs a chunk (at most :data:`~reglab.engine.kernel_plan.CHUNK`
examples) through the linear layers, each by :func:`_linear`: ``Z = W A + b``,
for a hidden layer then ``max(Z, 0)`` and inverted dropout, for the output the
logits (the head, :mod:`~reglab.engine.kernel_heads`, takes them from there).
:func:`_linear` serves the layer by the forward code of its plan
(:func:`~reglab.engine.kernel_plan.layer_plan`): generic rows, BLAS, or a pass
shaped for the layer (:func:`_relu_four_rows`, :func:`_three_outputs`).

To add a forward pass: a code in :mod:`~reglab.engine.kernel_plan`, its function
here, and its branch in :func:`_linear`.
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import (
    MATMUL_FASTMATH,
    ByteArray,
    IntArray,
    compiled,
)
from reglab.engine.kernel_plan import (
    FORWARD_BLAS,
    FORWARD_RELU_FOUR_OF_TWO,
    FORWARD_THREE_OUTPUTS,
    Layout,
)
from reglab.engine.kernel_rows import (
    _combine_rows,
    _dropped,
    _last_terms,
    _split_terms,
    _three_terms,
    _two_terms,
    _unsigned_column,
)
from reglab.types import FloatArray

CALLEES_DIGEST = "3a0ee391e321f835"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


@compiled(fastmath=MATMUL_FASTMATH)
def _relu_of_two(x0: float, x1: float, w0: float, w1: float, bias: float) -> float:
    """``max(w0 x0 + w1 x1 + bias, 0)``, NaN-propagating."""
    value = (w0 * x0 + w1 * x1) + bias
    return 0.0 if value < 0.0 else value


@compiled(fastmath=MATMUL_FASTMATH)
def _relu_four_rows(
    params: FloatArray,
    weight_offset: int,
    bias_offset: int,
    acts: FloatArray,
    source_row: int,
    target_row: int,
    width: int,
    j: int,
    keep: ByteArray,
    keep_row: int,
    start: int,
    keep_scale: float,
    dropout: bool | np.bool_,
) -> None:
    """Rows ``j..j+3`` of a hidden layer with two inputs, ``max(W A + b, 0)``, in one pass.

    The two input rows are read once for the four outputs. With dropout, rows
    ``keep_row + j..`` of ``keep`` (from column ``start``) mask them.
    """
    w = weight_offset + 2 * j
    w00, w01, w10, w11 = params[w], params[w + 1], params[w + 2], params[w + 3]
    w20, w21, w30, w31 = params[w + 4], params[w + 5], params[w + 6], params[w + 7]
    b0, b1, b2, b3 = (
        params[bias_offset + j],
        params[bias_offset + j + 1],
        params[bias_offset + j + 2],
        params[bias_offset + j + 3],
    )
    z = target_row + j
    if dropout:
        k = keep_row + j
        for t in range(width):
            x0 = acts[source_row, t]
            x1 = acts[source_row + 1, t]
            v0 = _relu_of_two(x0, x1, w00, w01, b0)
            v1 = _relu_of_two(x0, x1, w10, w11, b1)
            v2 = _relu_of_two(x0, x1, w20, w21, b2)
            v3 = _relu_of_two(x0, x1, w30, w31, b3)
            column = _unsigned_column(start, t)
            acts[z, t] = _dropped(v0, keep[k, column], keep_scale)
            acts[z + 1, t] = _dropped(v1, keep[k + 1, column], keep_scale)
            acts[z + 2, t] = _dropped(v2, keep[k + 2, column], keep_scale)
            acts[z + 3, t] = _dropped(v3, keep[k + 3, column], keep_scale)
    else:
        for t in range(width):
            x0 = acts[source_row, t]
            x1 = acts[source_row + 1, t]
            acts[z, t] = _relu_of_two(x0, x1, w00, w01, b0)
            acts[z + 1, t] = _relu_of_two(x0, x1, w10, w11, b1)
            acts[z + 2, t] = _relu_of_two(x0, x1, w20, w21, b2)
            acts[z + 3, t] = _relu_of_two(x0, x1, w30, w31, b3)


@compiled()
def _four_coefficients(
    params: FloatArray, first: int, left: int
) -> tuple[float, float, float, float]:
    """``params[first : first + 4]``, with 0 in place of entries past the ``left`` that remain."""
    c0 = params[first]
    c1 = params[first + 1] if left > 1 else 0.0
    c2 = params[first + 2] if left > 2 else 0.0
    c3 = params[first + 3] if left > 3 else 0.0
    return c0, c1, c2, c3


@compiled(fastmath=MATMUL_FASTMATH, inline=True)
def _three_rows_pass(
    params: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_in: int,
    acts: FloatArray,
    source_row: int,
    target_row: int,
    width: int,
    i: int,
    keep: ByteArray,
    keep_row: int,
    start: int,
    keep_scale: float,
    first: bool,
    relu: bool,
    dropout: bool,
) -> None:
    """Inputs ``i..i+3`` of a three-output layer, into its three rows, in one pass.

    ``first``: the pass starts the rows from the bias (else adds to them);
    ``relu``: the last pass of a hidden layer, which also applies ``max(., 0)``
    and, with ``dropout``, the masks. Callers pass the flags as constants, so
    each call site compiles to its own loop. Missing inputs read the all-zero
    last row of ``acts`` with coefficient 0.
    """
    zero = acts.shape[0] - 1
    x_0 = source_row + i
    x_1 = source_row + i + 1 if i + 1 < n_in else zero
    x_2 = source_row + i + 2 if i + 2 < n_in else zero
    x_3 = source_row + i + 3 if i + 3 < n_in else zero
    w = weight_offset + i
    c00, c01, c02, c03 = _four_coefficients(params, w, n_in - i)
    c10, c11, c12, c13 = _four_coefficients(params, w + n_in, n_in - i)
    c20, c21, c22, c23 = _four_coefficients(params, w + 2 * n_in, n_in - i)
    b0, b1, b2 = params[bias_offset], params[bias_offset + 1], params[bias_offset + 2]
    z = target_row
    k = keep_row
    for t in range(width):
        a0 = acts[x_0, t]
        a1 = acts[x_1, t]
        a2 = acts[x_2, t]
        a3 = acts[x_3, t]
        v0 = c00 * a0 + c01 * a1 + c02 * a2 + c03 * a3
        v1 = c10 * a0 + c11 * a1 + c12 * a2 + c13 * a3
        v2 = c20 * a0 + c21 * a1 + c22 * a2 + c23 * a3
        if first:
            v0 += b0
            v1 += b1
            v2 += b2
        else:
            v0 += acts[z, t]
            v1 += acts[z + 1, t]
            v2 += acts[z + 2, t]
        if relu:
            v0 = 0.0 if v0 < 0.0 else v0
            v1 = 0.0 if v1 < 0.0 else v1
            v2 = 0.0 if v2 < 0.0 else v2
        if dropout:
            column = _unsigned_column(start, t)
            v0 = _dropped(v0, keep[k, column], keep_scale)
            v1 = _dropped(v1, keep[k + 1, column], keep_scale)
            v2 = _dropped(v2, keep[k + 2, column], keep_scale)
        acts[z, t] = v0
        acts[z + 1, t] = v1
        acts[z + 2, t] = v2


@compiled(fastmath=MATMUL_FASTMATH)
def _three_outputs(
    params: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_in: int,
    acts: FloatArray,
    source_row: int,
    target_row: int,
    width: int,
    hidden: bool,
    keep: ByteArray,
    keep_row: int,
    start: int,
    keep_scale: float,
    dropout: bool | np.bool_,
) -> None:
    """A layer of three outputs and more than four inputs: four inputs per pass, all three rows.

    The first pass starts from the bias, the last applies the activation and dropout.
    """
    last = ((n_in - 1) // 4) * 4
    _three_rows_pass(
        params, weight_offset, bias_offset, n_in, acts, source_row, target_row, width, 0,
        keep, keep_row, start, keep_scale, first=True, relu=False, dropout=False,
    )  # fmt: skip
    for i in range(4, last, 4):
        _three_rows_pass(
            params, weight_offset, bias_offset, n_in, acts, source_row, target_row, width, i,
            keep, keep_row, start, keep_scale, first=False, relu=False, dropout=False,
        )  # fmt: skip
    if hidden and dropout:
        _three_rows_pass(
            params, weight_offset, bias_offset, n_in, acts, source_row, target_row, width, last,
            keep, keep_row, start, keep_scale, first=False, relu=True, dropout=True,
        )  # fmt: skip
    elif hidden:
        _three_rows_pass(
            params, weight_offset, bias_offset, n_in, acts, source_row, target_row, width, last,
            keep, keep_row, start, keep_scale, first=False, relu=True, dropout=False,
        )  # fmt: skip
    else:
        _three_rows_pass(
            params, weight_offset, bias_offset, n_in, acts, source_row, target_row, width, last,
            keep, keep_row, start, keep_scale, first=False, relu=False, dropout=False,
        )  # fmt: skip


@compiled()
def _linear(
    params: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_out: int,
    n_in: int,
    acts: FloatArray,
    source_row: int,
    target_row: int,
    width: int,
    hidden: bool,
    keep: ByteArray,
    keep_row: int,
    start: int,
    keep_scale: float,
    dropout: bool | np.bool_,
    forward_pass: int,
) -> None:
    """One layer forward on a chunk, rows ``source_row..`` of ``acts`` to rows ``target_row..``.

    ``Z = W A + b``; for a hidden layer then ``max(Z, 0)`` (NaN-propagating,
    like ``np.maximum``) and, with dropout, ``A * D / keep_prob``. The last
    terms of the sum, the bias and the activation are one pass.
    ``forward_pass`` (see :func:`~reglab.engine.kernel_plan.layer_plan`): with BLAS the
    product ``W A`` is one BLAS call over the whole chunk.
    """
    zero = acts.shape[0] - 1
    use_blas = forward_pass == FORWARD_BLAS
    if use_blas:
        W = params[weight_offset : weight_offset + n_out * n_in].reshape((n_out, n_in))
        np.dot(W, acts[source_row : source_row + n_in], acts[target_row : target_row + n_out])
    blocked = 0
    if forward_pass == FORWARD_RELU_FOUR_OF_TWO:
        blocked = (n_out // 4) * 4
        for j in range(0, blocked, 4):
            _relu_four_rows(
                params,
                weight_offset,
                bias_offset,
                acts,
                source_row,
                target_row,
                width,
                j,
                keep,
                keep_row,
                start,
                keep_scale,
                dropout,
            )
    if forward_pass == FORWARD_THREE_OUTPUTS:
        _three_outputs(
            params,
            weight_offset,
            bias_offset,
            n_in,
            acts,
            source_row,
            target_row,
            width,
            hidden,
            keep,
            keep_row,
            start,
            keep_scale,
            dropout,
        )
        return
    for j in range(blocked, n_out):
        z = target_row + j
        first = weight_offset + j * n_in
        if use_blas:
            lead, r0, r1, r2, r3, c0, c1, c2, c3 = 4, zero, zero, zero, zero, 0.0, 0.0, 0.0, 0.0
        else:
            lead, r0, r1, r2, r3, c0, c1, c2, c3 = _split_terms(
                params, first, 1, n_in, source_row, zero
            )
            if lead > 0:
                _combine_rows(params, first, 1, lead, acts, source_row, z, width)
        previous = z if lead > 0 else zero
        bias = params[bias_offset + j]
        if not hidden:
            for t in range(width):
                acts[z, t] = _last_terms(acts, previous, r0, r1, r2, r3, c0, c1, c2, c3, t) + bias
        elif dropout:
            k = keep_row + j
            for t in range(width):
                value = _last_terms(acts, previous, r0, r1, r2, r3, c0, c1, c2, c3, t) + bias
                value = 0.0 if value < 0.0 else value
                acts[z, t] = _dropped(value, keep[k, _unsigned_column(start, t)], keep_scale)
        elif lead == 0 and n_in == 1:  # small fan-in: no padding terms to read
            for t in range(width):
                value = c0 * acts[r0, t] + bias
                acts[z, t] = 0.0 if value < 0.0 else value
        elif lead == 0 and n_in == 2:
            for t in range(width):
                value = _two_terms(acts, r0, r1, c0, c1, t) + bias
                acts[z, t] = 0.0 if value < 0.0 else value
        elif lead == 0 and n_in == 3:
            for t in range(width):
                value = _three_terms(acts, r0, r1, r2, c0, c1, c2, t) + bias
                acts[z, t] = 0.0 if value < 0.0 else value
        else:
            for t in range(width):
                value = _last_terms(acts, previous, r0, r1, r2, r3, c0, c1, c2, c3, t) + bias
                acts[z, t] = 0.0 if value < 0.0 else value


@compiled()
def _forward_chunk(
    params: FloatArray,
    layout: Layout,
    rows: IntArray,
    acts: FloatArray,
    X: FloatArray,
    start: int,
    width: int,
    keep: ByteArray,
    keep_scale: float,
    dropout: bool | np.bool_,
) -> None:
    """Forward pass of examples ``start .. start + width``; logits end in the last row block."""
    layers = layout.layers
    for i in range(layers[0]):
        for t in range(width):
            acts[i, t] = X[i, _unsigned_column(start, t)]
    n_linear = layers.size - 1
    for l in range(n_linear):
        _linear(
            params,
            layout.weight_offsets[l],
            layout.bias_offsets[l],
            layers[l + 1],
            layers[l],
            acts,
            rows[l],
            rows[l + 1],
            width,
            l < n_linear - 1,
            keep,
            rows[l + 1] - rows[1],
            start,
            keep_scale,
            dropout,
            layout.plan[l, 0],
        )
