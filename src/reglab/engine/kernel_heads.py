"""The kernel's output heads: each head's ``dZ_L``, loss and prediction, from the logits.

Like scikit-learn's ACTIVATIONS / LOSS_FUNCTIONS tables, a head is small
functions chosen by a code (Numba dispatches on an integer, not on a function
stored in a dict). To add a head: a code in :data:`HEADS`, a branch in each of
:func:`_head_delta`, :func:`_head_loss` and :func:`_head_correct` (plus its
output rows in :class:`~reglab.engine.kernel_plan.Layout`'s ``layers``, and its
choice in :mod:`reglab.engine.training`), and the same math in NumPy in
:mod:`reglab.engine.reference`. The sigmoid of the training pass uses a
vectorizable exp (:mod:`reglab.engine.kernel_exp`).
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import compiled
from reglab.engine.kernel_exp import exp
from reglab.engine.kernel_rows import _unsigned_column
from reglab.types import FloatArray

CALLEES_DIGEST = "38ff04896cb86b34"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


HEAD_SIGMOID = 0
"""One sigmoid unit with binary cross-entropy (labels 0/1): the exercise's head."""
HEAD_SOFTMAX = 1
"""C >= 3 softmax units with cross-entropy ``-log p(true class)`` (labels 0..C-1)."""
HEADS = {"sigmoid": HEAD_SIGMOID, "softmax": HEAD_SOFTMAX}
"""Output heads by name: the code :class:`~reglab.engine.kernel_plan.Layout` carries (see
:func:`_head_delta`)."""


@compiled()
def _sigmoid(z: float) -> float:
    """``1 / (1 + exp(-z))``, as ``scipy.special.expit`` computes it (libm's exp)."""
    return float(1.0 / (1.0 + np.exp(-z)))


@compiled()
def _sigmoid_vectorizable(z: float) -> float:
    """``1 / (1 + exp(-z))`` with the kernel's vectorizable exp (within an ulp of libm's)."""
    return 1.0 / (1.0 + exp(-z))


@compiled()
def _output_delta(
    acts: FloatArray,
    out: int,
    dz: FloatArray,
    d: int,
    Y: FloatArray,
    start: int,
    width: int,
) -> None:
    """``dz[d] = sigmoid(acts[out]) - Y`` over a chunk: the output layer's dZ.

    Two halves of the chunk per pass: each sigmoid is a long chain of
    dependent multiply-adds, and two independent chains in one loop body let
    the core overlap them (about 15% faster than one).
    """
    half = width // 2
    for t in range(half):
        dz[d, t] = _sigmoid_vectorizable(acts[out, t]) - Y[0, _unsigned_column(start, t)]
        u = t + half
        dz[d, u] = _sigmoid_vectorizable(acts[out, u]) - Y[0, _unsigned_column(start, u)]
    for t in range(2 * half, width):
        dz[d, t] = _sigmoid_vectorizable(acts[out, t]) - Y[0, _unsigned_column(start, t)]


@compiled()
def _log1p_exp(x: float) -> float:
    """``log(1 + exp(x))`` as ``np.logaddexp(0, x)`` computes it."""
    if x == 0.0:
        return float(np.log(2.0))
    if x < 0.0:
        return float(np.log1p(np.exp(x)))
    if x > 0.0:
        return float(x + np.log1p(np.exp(-x)))
    return x  # NaN


@compiled()
def _softmax_delta(
    acts: FloatArray,
    out: int,
    n_out: int,
    dz: FloatArray,
    d: int,
    Y: FloatArray,
    start: int,
    width: int,
    head_rows: FloatArray,
) -> None:
    """``dz[d + c] = softmax(acts[out..])_c - (Y == c)`` over a chunk: the softmax head's dZ.

    Each column's exps are shifted by its largest logit (none overflows) and go
    through ``dz`` before their sum divides them. Every pass runs along a row (a
    class) of the chunk, so that it vectorizes like the sigmoid's; ``head_rows`` ``(2,
    chunk)`` holds each column's largest logit, then its sum's reciprocal.
    """
    for t in range(width):
        head_rows[0, t] = acts[out, t]
    for c in range(1, n_out):
        for t in range(width):
            z = acts[out + c, t]
            head_rows[0, t] = z if z > head_rows[0, t] else head_rows[0, t]
    for t in range(width):
        head_rows[1, t] = 0.0
    for c in range(n_out):
        for t in range(width):
            e = exp(acts[out + c, t] - head_rows[0, t])
            dz[d + c, t] = e
            head_rows[1, t] += e
    for t in range(width):
        head_rows[1, t] = 1.0 / head_rows[1, t]
    for c in range(n_out):
        for t in range(width):
            hit = 1.0 if Y[0, _unsigned_column(start, t)] == c else 0.0
            dz[d + c, t] = dz[d + c, t] * head_rows[1, t] - hit


@compiled()
def _head_delta(
    head: int,
    acts: FloatArray,
    out: int,
    n_out: int,
    dz: FloatArray,
    d: int,
    Y: FloatArray,
    start: int,
    width: int,
    head_rows: FloatArray,
) -> None:
    """The output head's ``dZ_L`` (the loss's gradient in the logits) over a chunk, into ``dz``
    (``head_rows``: the softmax's workspace, :func:`_softmax_delta`).

    Sigmoid with cross-entropy: ``dZ_L = sigmoid(Z_L) - Y``. Softmax with
    cross-entropy: ``dZ_L = softmax(Z_L) - onehot(Y)`` (:func:`_softmax_delta`).
    """
    if head == HEAD_SIGMOID:
        _output_delta(acts, out, dz, d, Y, start, width)
    elif head == HEAD_SOFTMAX:
        _softmax_delta(acts, out, n_out, dz, d, Y, start, width, head_rows)


@compiled()
def _head_loss(
    head: int,
    acts: FloatArray,
    out: int,
    n_out: int,
    Y: FloatArray,
    start: int,
    width: int,
    total: float,
) -> float:
    """``total`` plus the output head's loss of each example of a chunk, from the logits.

    (A running sum, one example at a time, so chunking never changes its rounding.)

    Sigmoid with cross-entropy: ``log(1 + exp(-Z_L))`` where y = 1, ``log(1 + exp(Z_L))`` where 0.
    Softmax: ``log(sum_c exp(z_c)) - z_y``, as ``(max z - z_y) + log(sum_c exp(z_c - max z))``.
    """
    loss = total
    if head == HEAD_SIGMOID:
        for t in range(width):
            z = acts[out, t]
            loss += _log1p_exp(-z if Y[0, _unsigned_column(start, t)] == 1.0 else z)
    elif head == HEAD_SOFTMAX:
        for t in range(width):
            largest = acts[out, t]
            for c in range(1, n_out):
                largest = max(largest, acts[out + c, t])
            exps = 0.0
            for c in range(n_out):
                exps += np.exp(acts[out + c, t] - largest)
            label = int(Y[0, _unsigned_column(start, t)])
            loss += (largest - acts[out + label, t]) + np.log(exps)
    return loss


@compiled()
def _head_correct(
    head: int, acts: FloatArray, out: int, n_out: int, Y: FloatArray, start: int, width: int
) -> int:
    """How many examples of a chunk the output head classifies right, from the logits.

    Sigmoid: class 1 where ``sigmoid(Z_L) > 0.5``. Softmax: the largest logit's class,
    the lowest index on ties (``np.argmax``'s rule).
    """
    correct = 0
    if head == HEAD_SIGMOID:
        for t in range(width):
            if (_sigmoid(acts[out, t]) > 0.5) == (Y[0, _unsigned_column(start, t)] == 1.0):
                correct += 1
    elif head == HEAD_SOFTMAX:
        for t in range(width):
            best = 0
            for c in range(1, n_out):
                if acts[out + c, t] > acts[out + best, t]:
                    best = c
            if Y[0, _unsigned_column(start, t)] == best:
                correct += 1
    return correct
