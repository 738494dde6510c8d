"""The kernel's backward passes: a hidden layer's dZ from the next layer's.

:func:`_backward_hidden` computes ``dZ_{l-1} = (W_l^T dZ_l) * D / keep_prob *
(A_{l-1} > 0)`` over a chunk, by the backward code of the layer's plan
(:func:`~reglab.engine.kernel_plan.layer_plan`): generic rows or BLAS.
:func:`_backward_first_layers` is the fused backward step of the first two
linear layers (their gradients and the first's dZ, never stored), for narrow
first layers.

To add a backward pass: a code in :mod:`~reglab.engine.kernel_plan`, its
function here, and its branch in :func:`_backward_hidden` (or, like the fused
pass, in the backward loop of :func:`reglab.engine.kernel._train_one`).
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import MATMUL_FASTMATH, compiled
from reglab.engine.kernel_gradient import _bias_sums
from reglab.engine.kernel_plan import BACKWARD_BLAS
from reglab.engine.kernel_rows import (
    _combine_rows,
    _last_terms,
    _split_terms,
    _three_terms,
    _two_terms,
)
from reglab.types import FloatArray

CALLEES_DIGEST = "c98da095d227e810"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


@compiled()
def _backward_hidden(
    params: FloatArray,
    weight_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    target_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    keep_scale: float,
    backward_pass: int,
) -> None:
    """``dA = W^T dZ``, then ``dA * D / keep_prob``, then ``dZ = dA * (A > 0)``, into ``dz``.

    The mask D itself is not read: ``A`` is the stored dropped activation, so
    ``A > 0`` is already 0 where D is, and ``dA * D / keep_prob * (A > 0)``
    equals ``dA * (keep_scale if A > 0 else 0)``, one multiplication, to the
    last bit of the division (see :func:`~reglab.engine.kernel_rows._dropped`), NaN and
    infinity included, except where D = 1, A <= 0 and ``dA / keep_prob`` overflows (values near
    1e308): the reference gives NaN there, this 0. Without dropout
    ``keep_scale`` is 1 and the product exact, so one loop serves both.
    ``backward_pass``: generic or BLAS (see :func:`~reglab.engine.kernel_plan.layer_plan`).
    """
    zero = dz.shape[0] - 1
    use_blas = backward_pass == BACKWARD_BLAS
    if use_blas:
        W = params[weight_offset : weight_offset + n_out * n_in].reshape((n_out, n_in))
        np.dot(W.T, dz[dz_row : dz_row + n_out], dz[target_row : target_row + n_in])
    for i in range(n_in):
        d = target_row + i
        a = act_row + i
        first = weight_offset + i
        if use_blas:
            lead, r0, r1, r2, r3, c0, c1, c2, c3 = 4, zero, zero, zero, zero, 0.0, 0.0, 0.0, 0.0
        else:
            lead, r0, r1, r2, r3, c0, c1, c2, c3 = _split_terms(
                params, first, n_in, n_out, dz_row, zero
            )
            if lead > 0:
                _combine_rows(params, first, n_in, lead, dz, dz_row, d, width)
        previous = d if lead > 0 else zero
        if lead == 0 and n_out == 1:  # small fan-out: no padding terms to read
            for t in range(width):
                value = c0 * dz[r0, t]
                dz[d, t] = value * (keep_scale if acts[a, t] > 0.0 else 0.0)
        elif lead == 0 and n_out == 2:
            for t in range(width):
                value = _two_terms(dz, r0, r1, c0, c1, t)
                dz[d, t] = value * (keep_scale if acts[a, t] > 0.0 else 0.0)
        elif lead == 0 and n_out == 3:
            for t in range(width):
                value = _three_terms(dz, r0, r1, r2, c0, c1, c2, t)
                dz[d, t] = value * (keep_scale if acts[a, t] > 0.0 else 0.0)
        else:
            for t in range(width):
                value = _last_terms(dz, previous, r0, r1, r2, r3, c0, c1, c2, c3, t)
                dz[d, t] = value * (keep_scale if acts[a, t] > 0.0 else 0.0)


@compiled(fastmath=MATMUL_FASTMATH, inline=True)
def _first_hidden_unit(
    params: FloatArray,
    grad: FloatArray,
    next_weight_offset: int,
    n_next: int,
    n_hidden: int,
    dz: FloatArray,
    next_dz_row: int,
    acts: FloatArray,
    hidden_row: int,
    weight_offset: int,
    bias_offset: int,
    n_in: int,
    width: int,
    keep_scale: float,
    i: int,
    four: bool,
) -> None:
    """Hidden unit i of :func:`_backward_first_layers`: one pass over the chunk.

    ``four``: the next layer has 4 units (else at most 3, and no fourth term
    is computed); callers pass it as a constant, so each call site compiles to
    its own loop. One unit per pass keeps its six (or seven) running sums in
    registers. Dropout is the multiplication by ``keep_scale`` where the unit is
    active, as in :func:`_backward_hidden`.
    """
    zero_dz = dz.shape[0] - 1
    zero_act = acts.shape[0] - 1
    r0 = next_dz_row
    r1 = next_dz_row + 1 if n_next > 1 else zero_dz
    r2 = next_dz_row + 2 if n_next > 2 else zero_dz
    r3 = next_dz_row + 3 if n_next > 3 else zero_dz
    x1_row = 1 if n_in > 1 else zero_act
    column = next_weight_offset + i
    c0 = params[column]
    c1 = params[column + n_hidden] if n_next > 1 else 0.0
    c2 = params[column + 2 * n_hidden] if n_next > 2 else 0.0
    c3 = params[column + 3 * n_hidden] if n_next > 3 else 0.0
    h = hidden_row + i
    # The next layer's weight gradient, column i (g*), then this layer's row i (s*, total).
    g0, g1, g2, g3 = 0.0, 0.0, 0.0, 0.0
    s0, s1, total = 0.0, 0.0, 0.0
    for t in range(width):
        d0 = dz[r0, t]
        d1 = dz[r1, t]
        d2 = dz[r2, t]
        a = acts[h, t]
        g0 += d0 * a
        g1 += d1 * a
        g2 += d2 * a
        value = c0 * d0 + c1 * d1 + c2 * d2
        if four:
            d3 = dz[r3, t]
            g3 += d3 * a
            value += c3 * d3
        dz_hidden = value * (keep_scale if a > 0.0 else 0.0)
        s0 += dz_hidden * acts[0, t]
        s1 += dz_hidden * acts[x1_row, t]
        total += dz_hidden
    next_sums = (g0, g1, g2, g3)
    for c in range(n_next):
        grad[column + c * n_hidden] += next_sums[c]
    row = weight_offset + i * n_in
    grad[row] += s0
    if n_in > 1:
        grad[row + 1] += s1
    grad[bias_offset + i] += total


@compiled(fastmath=MATMUL_FASTMATH)
def _backward_first_layers(
    params: FloatArray,
    grad: FloatArray,
    next_weight_offset: int,
    next_bias_offset: int,
    n_next: int,
    n_hidden: int,
    dz: FloatArray,
    next_dz_row: int,
    acts: FloatArray,
    hidden_row: int,
    weight_offset: int,
    bias_offset: int,
    n_in: int,
    width: int,
    keep_scale: float,
) -> None:
    """The backward step of the first two linear layers, in one pass per hidden unit.

    For a first hidden layer of ``n_hidden`` units fed by at most 2 inputs and
    feeding at most 4 units (``n_next``), from the next layer's dZ: that
    layer's gradient (``grad_W += dZ A^T``, ``grad_b += sum_t dZ``), then
    ``dA = W_next^T dZ_next``, dropout, ``dZ = dA * (A > 0)``, and the first
    layer's gradient (``grad_W += dZ X^T``, ``grad_b += sum_t dZ``): the sums
    of :func:`~reglab.engine.kernel_gradient._accumulate_gradient` and
    :func:`_backward_hidden` without ever storing the first layer's dZ. Missing terms
    read the all-zero last rows of ``dz``/``acts`` with coefficient 0.
    """
    _bias_sums(grad, next_bias_offset, n_next, dz, next_dz_row, width)
    for i in range(n_hidden):
        if n_next == 4:
            _first_hidden_unit(
                params, grad, next_weight_offset, n_next, n_hidden, dz, next_dz_row, acts,
                hidden_row, weight_offset, bias_offset, n_in, width, keep_scale, i, four=True,
            )  # fmt: skip
        else:
            _first_hidden_unit(
                params, grad, next_weight_offset, n_next, n_hidden, dz, next_dz_row, acts,
                hidden_row, weight_offset, bias_offset, n_in, width, keep_scale, i, four=False,
            )  # fmt: skip
