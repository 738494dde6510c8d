"""The compiled training loop: gradient descent for K models, one model per thread.

This is the implementation behind :func:`reglab.engine.train`. It does the
math of :mod:`reglab.engine.network` and :mod:`reglab.engine.losses` (the
readable NumPy reference) exactly, iteration by iteration:

- forward: ``Z_l = W_l A_{l-1} + b_l``; hidden layers ``A_l = max(Z_l, 0)``,
  then inverted dropout ``A_l = A_l * D_l / keep_prob``; output (the head)
  ``A_L = 1 / (1 + exp(-Z_L))`` for one unit, ``softmax(Z_L)`` for C >= 3;
- backward: ``dZ_L = A_L - Y`` (softmax: ``A_L - onehot(Y)``);
  ``dW_l = (1/m) dZ_l A_{l-1}^T + (l2/m) W_l + (l1/m) sign(W_l)`` (sign(0) = 0),
  ``db_l = (1/m) sum_t dZ_l``; ``dA_{l-1} = W_l^T dZ_l``, then
  ``dA * D / keep_prob``, then ``dZ_{l-1} = dA * (A_{l-1} > 0)`` on the stored
  dropped activation;
- update, by the model's rule (with ``g`` the full gradient, L2 and L1 terms
  included, biases updated alike): gradient descent ``p -= learning_rate * g``;
  momentum ``v = beta1 v + (1 - beta1) g; p -= learning_rate * v``; Adam, ``t``
  counting updates from 1, ``v = beta1 v + (1 - beta1) g``,
  ``s = beta2 s + (1 - beta2) g^2``, ``p -= learning_rate * (v / (1 - beta1^t)) /
  (sqrt(s / (1 - beta2^t)) + epsilon)`` (``v``, ``s`` start at 0);
- update: ``W -= learning_rate * dW``, ``b -= learning_rate * db``;
- mini-batches (``batch_sizes[k] < m``): an iteration is one update on one batch;
  each epoch draws a permutation of the m examples from the model's SFC64 batch
  stream (:func:`~reglab.engine.kernel_random.sfc64_permutation`, NumPy's
  ``permutation`` exactly), and its batches are consecutive runs of it, the last
  the remainder. A batch is gathered into contiguous buffers, then trained on as
  a small training set: ``dW_l = (1/B) dZ_l A^T + (l2/m) W_l + (l1/m) sign(W_l)``
  (the penalties stay those of the whole set, m), fresh masks drawn for its B
  examples, course masks those of its examples. A batch of all m examples is the
  full-batch loop, in order, bit for bit;
- every ``record_every`` iterations (before the update): the cost
  ``mean(log(1 + exp(-+Z_L))) + l2/(2m) sum ||W||^2 + (l1/m) sum |W|`` on the
  dropped-out pass (softmax: ``mean(log sum_c exp(Z_c) - Z_y)`` + the same terms;
  with mini-batches: on the plain pass over all m examples),
  and the accuracy of the plain pass on the training and test sets; after the
  last update, the same cost and accuracies of the final parameters on the
  plain pass.

How it is fast: each model trains start to finish on one thread, with its
parameters and a few examples' activations in that core's cache; the m
examples go through forward and backward in chunks of at most :data:`CHUNK`
columns (a full-batch gradient is a sum over examples), so nothing of size m
is stored but the dropout masks. Sums of products run four terms per pass,
with fused multiply-adds and reassociated reductions (the freedom a BLAS
takes, see :data:`~reglab.engine.kernel_compile.MATMUL_FASTMATH`); layers wide
on both sides go to BLAS instead (:data:`BLAS_MIN_WIDTH`). The narrow layers
of small networks such as the exercise's 2-20-3-1 get passes shaped for them
(each reads its rows once for several outputs): four hidden units from two
inputs, three outputs four inputs at a time (from the bias in the first pass
to the activation in the last), gradients four rows by two or three by four;
and, for two inputs or fewer and at most four units after the
first hidden layer, the backward step of the first two linear layers (the
second's gradient, the first's dZ, the first's gradient) is one pass per
hidden unit that never stores that dZ: one unit at a time keeps its running
sums in registers, where more would spill. The sigmoid of the training pass
uses a vectorizable exp (:mod:`reglab.engine.kernel_exp`). Dropout multiplies
by ``1 / keep_prob`` rather than dividing: a last-bit difference from the
reference, like the reassociated sums, for a division's several-fold cost.

Threads: the compiled code releases the GIL, and ``train`` runs
:func:`train_model` on one Python thread per worker, each taking the next
model, longest first, when it finishes one: no worker waits while models
remain, however unevenly the cores run. Memory is the parameters and history
of the K models plus one workspace per running model, whatever K is. A
model's numbers never depend on the worker that ran it or on the other
models in its batch.

Fresh dropout masks are drawn here from each model's SFC64 state
(:mod:`reglab.engine.kernel_random`), in NumPy's order; course masks come from
the exercise's fixed uniforms (:func:`reglab.engine.dropout.course_uniforms`).

Layout (all C-contiguous): ``params`` ``(K, P)`` holds model k's weights and
biases flat, ``W_l`` row-major at ``weight_offsets[l]`` and ``b_l`` at
``bias_offsets[l]`` (l = 0 for the first linear layer); inputs ``(n_0, m)``.

The design, so that it can grow:

- Inputs are four named records (namedtuples, which Numba takes as arguments
  and caches): :class:`Layout` (architecture, plan, head, iterations),
  :class:`Data`, :class:`Settings` (per-model arrays) and :class:`Records`
  (outputs). :func:`train_model` takes them and nothing else but the model,
  its counters and the parameters; a new option is one field, written in one
  place (:func:`reglab.engine.train`).
- Which pass serves which layer is decided once, in Python, by
  :func:`layer_plan`: one table of codes per layer (forward, gradient,
  backward), code 0 the generic pass. A new fast pass is a code there and a
  branch where that column is read; the tests force the generic passes
  (:data:`FAST_PASSES`) and compare.
- The output head (its ``dZ_L``, loss and prediction) and the update rule are
  small functions chosen by a code, like scikit-learn's ACTIVATIONS /
  LOSS_FUNCTIONS tables (Numba dispatches on an integer, not on a function
  stored in a dict). To add a head: a code in :data:`HEADS` and a branch in
  each of :func:`_head_delta`, :func:`_head_loss` and :func:`_head_correct`
  (plus its output rows in :class:`Layout`'s ``layers``). To add an update
  rule: a code in :data:`UPDATE_RULES`, a branch in :func:`_update`, and its
  state (momentum's ``v``, Adam's ``v``, ``s``, ``t``) as workspace beside
  ``grad`` in :func:`train_model`. The reference
  (:mod:`reglab.engine.reference`) gets the same math in NumPy.
- The gradient blocks (``_gradient_block_RxC``) are one template's output
  (:mod:`reglab.engine.kernel_template`): edit the template, not the copies.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from reglab.engine.kernel_compile import (
    MATMUL_FASTMATH,
    ByteArray,
    IntArray,
    UIntArray,
    compiled,
)
from reglab.engine.kernel_exp import exp
from reglab.engine.kernel_random import sfc64_fill_keep, sfc64_permutation
from reglab.types import BoolArray, FloatArray

CALLEES_DIGEST = "eaa1fad64c70ec85"
"""``source_digest('kernel_compile.py', 'kernel_exp.py', 'kernel_random.py')``: the
code this file's cached functions include (see :mod:`reglab.engine.kernel_compile`)."""

VECTOR = 4
"""float64 values per 32-byte AVX vector."""

CHUNK = 256
"""Examples per chunk (at most; a multiple of :data:`VECTOR`): the activations of
one chunk stay in a core's cache. Buffers are ``min(CHUNK, m)`` columns wide, m
rounded up to a multiple of :data:`VECTOR`, so that every buffer row starts
32-byte aligned (Numba aligns arrays to 32 bytes) and the kernel's vector loads
and stores of whole rows never straddle two cache lines. The test set goes
through in chunks of that width."""

BLAS_MIN_WIDTH = 64
"""A layer whose fan-in and fan-out are both at least this wide has its three
products done by BLAS (``np.dot`` on the whole chunk): big dense products are
what BLAS is tuned for, while the kernel's loops win on the skinny ones. The
models of such an architecture are then trained one after another, BLAS using
the cores (OpenBLAS's own thread count, not ``n_threads``)."""

NO_DROPOUT = 0
FRESH_MASKS = 1
COURSE_MASKS = 2

# The passes: which loop serves which layer. A layer's plan is a row
# (forward, gradient, backward) of the codes below, chosen once in Python by
# :func:`layer_plan`; code 0 of each column is the generic pass, right for any
# shape, and every other code a pass shaped for some layers, which must give
# the generic pass's numbers to rounding (tests/test_kernel.py trains every
# shape with the generic passes forced and compares).
FORWARD_ROWS = 0
"""Generic forward: one output row at a time, four inputs per pass."""
FORWARD_BLAS = 1
"""``W A`` as one BLAS product over the chunk (:data:`BLAS_MIN_WIDTH`)."""
FORWARD_RELU_FOUR_OF_TWO = 2
"""A hidden layer of two inputs: four ReLU rows per pass (the rest generic)."""
FORWARD_THREE_OUTPUTS = 3
"""Three outputs of more than four inputs: all three rows per pass."""

GRADIENT_TWO_BY_FOUR = 0
"""Generic ``grad_W += dZ A^T``: two rows of dZ against four of A per pass."""
GRADIENT_BLAS = 1
"""``dZ A^T`` as one BLAS product."""
GRADIENT_FOUR_BY_TWO = 2
"""At most two inputs: four rows of dZ per pass."""
GRADIENT_THREE_BY_FOUR = 3
"""Three rows of dZ per pass where that pads no more rows than two would."""

BACKWARD_ROWS = 0
"""Generic ``dZ_{l-1} = (W_l^T dZ_l) * D / keep_prob * (A_{l-1} > 0)``, a row at a time."""
BACKWARD_BLAS = 1
"""``W_l^T dZ_l`` as one BLAS product."""
BACKWARD_FUSED_FIRST = 2
"""Layer 1 only, for at most two inputs and at most four units after the first
hidden layer: layer 1's gradient, dZ_0 and layer 0's gradient in one pass per
hidden unit (:func:`_backward_first_layers`; its gradient column is then unused)."""

FAST_PASSES = True
"""Whether :func:`layer_plan` picks the shaped passes (False: the generic ones
everywhere, BLAS included, for the tests that compare them)."""


def layer_plan(layers: tuple[int, ...], blas: BoolArray) -> IntArray:
    """The passes serving each linear layer, ``(L, 3)``: forward, gradient, backward codes.

    ``blas``: per linear layer, whether its products go to BLAS (both sides wide,
    see :data:`BLAS_MIN_WIDTH`). Column 2 of layer 0 is unused (nothing is before it).
    """
    n_linear = len(layers) - 1
    plan = np.zeros((n_linear, 3), dtype=np.int64)
    if not FAST_PASSES:
        return plan
    for l in range(n_linear):
        n_in, n_out, hidden = layers[l], layers[l + 1], l < n_linear - 1
        if blas[l]:
            plan[l] = FORWARD_BLAS, GRADIENT_BLAS, BACKWARD_BLAS
            continue
        if n_out == 3 and n_in > 4:
            plan[l, 0] = FORWARD_THREE_OUTPUTS
        elif hidden and n_in == 2 and n_out >= 4:
            plan[l, 0] = FORWARD_RELU_FOUR_OF_TWO
        if n_in <= 2:
            plan[l, 1] = GRADIENT_FOUR_BY_TWO
        elif 3 * ((n_out + 2) // 3) <= 2 * ((n_out + 1) // 2):
            plan[l, 1] = GRADIENT_THREE_BY_FOUR
    if n_linear >= 2 and not blas[0] and not blas[1] and layers[0] <= 2 and layers[2] <= 4:
        plan[1, 2] = BACKWARD_FUSED_FIRST
    return plan


HEAD_SIGMOID = 0
"""One sigmoid unit with binary cross-entropy (labels 0/1): the exercise's head."""
HEAD_SOFTMAX = 1
"""C >= 3 softmax units with cross-entropy ``-log p(true class)`` (labels 0..C-1)."""
HEADS = {"sigmoid": HEAD_SIGMOID, "softmax": HEAD_SOFTMAX}
"""Output heads by name: the code :class:`Layout` carries (see :func:`_head_delta`)."""

UPDATE_GRADIENT_DESCENT = 0
"""``p -= learning_rate * gradient``."""
UPDATE_MOMENTUM = 1
"""The course's momentum: ``v = beta1 v + (1 - beta1) g; p -= learning_rate * v``."""
UPDATE_ADAM = 2
"""The course's Adam, bias-corrected, ``epsilon`` outside the square root."""
UPDATE_RULES = {"gd": UPDATE_GRADIENT_DESCENT, "momentum": UPDATE_MOMENTUM, "adam": UPDATE_ADAM}
"""Update rules by name: the per-model code :class:`Settings` carries (see :func:`_update`)."""


class Layout(NamedTuple):
    """What the batch's models share besides the data: the architecture and its plan.

    Attributes:
        layers: ``(L + 1,)`` layer sizes.
        weight_offsets, bias_offsets: ``(L,)`` where ``W_l``/``b_l`` start in a row of params.
        plan: ``(L, 3)`` the passes serving each linear layer (:func:`layer_plan`).
        head: the output head's code (:data:`HEADS`).
        iterations: updates per model.
        record_every: the recording period.
    """

    layers: IntArray
    weight_offsets: IntArray
    bias_offsets: IntArray
    plan: IntArray
    head: int
    iterations: int
    record_every: int


class Data(NamedTuple):
    """The examples, shared by the batch's models (read only).

    Attributes:
        X, Y: training inputs ``(n_0, m)`` and labels ``(1, m)``.
        X_test, Y_test: the test set (ignored unless ``has_test``).
        has_test: whether there is a test set.
        course_uniforms: ``(n_1 + ... + n_{L-1}, m)`` the exercise's uniforms
            (any shape when no model uses course masks).
        examples: ``(m, n_0 + 1)`` the training set example by example, each row an
            example's inputs then its label, which mini-batches gather from (one
            contiguous read per example); any shape when no model uses mini-batches.
        X_validation, Y_validation: the early-stopping validation set (any shape when
            the model does not stop early). With early stopping, ``X``, ``Y`` and the rest
            are the model's own training part: :func:`reglab.engine.train` passes each
            such model a :class:`Data` of its own.
    """

    X: FloatArray
    Y: FloatArray
    X_test: FloatArray
    Y_test: FloatArray
    has_test: bool
    course_uniforms: FloatArray
    examples: FloatArray
    X_validation: FloatArray
    Y_validation: FloatArray


class Settings(NamedTuple):
    """Per-model settings, one entry per model of the batch, shape ``(K,)`` each.

    Attributes:
        l2, l1, learning_rate, keep_prob: as in :class:`reglab.config.TrainConfig`.
        keep_scale: ``1 / keep_prob``, computed by NumPy (see :func:`_dropped`);
            exactly 1 for models without dropout, whose backward passes multiply by it too.
        modes: NO_DROPOUT, FRESH_MASKS or COURSE_MASKS.
        update_rules: the update rule's code (:data:`UPDATE_RULES`).
        beta1, beta2, epsilon: momentum's and Adam's constants (unused by gradient descent).
        rng_states: ``(K, 4)`` SFC64 words (see :func:`sfc64_fill_keep`), advanced in
            place by fresh masks.
        batch_sizes: examples per update, at most m (m: full-batch gradient descent).
        batch_states: ``(K, 6)`` SFC64 words of the mini-batch permutations (see
            :func:`sfc64_permutation`), advanced in place; unused for full-batch models.
        patience: early stopping's records without improvement (0: no early stopping).
    """

    l2: FloatArray
    l1: FloatArray
    learning_rate: FloatArray
    keep_prob: FloatArray
    keep_scale: FloatArray
    modes: IntArray
    update_rules: IntArray
    beta1: FloatArray
    beta2: FloatArray
    epsilon: FloatArray
    rng_states: UIntArray
    batch_sizes: IntArray
    batch_states: UIntArray
    patience: IntArray


class Records(NamedTuple):
    """What the kernel writes per model besides its parameters (R recorded iterations).

    Attributes:
        cost: ``(K, R + 1)``, filled at recorded iterations (on the training pass, with
            dropout); the last column receives the final parameters' cost on the plain pass.
        train_accuracy, test_accuracy: ``(K, R + 1)``, filled at recorded
            iterations; the last column receives the final accuracy.
        validation_cost: ``(K, R)``, early stopping's validation cost at recorded iterations.
        stopped_at: ``(K,)`` the iteration early stopping stopped at, else -1 (records
            after it are NaN).
        best_iteration: ``(K,)`` the recorded iteration (or ``iterations``, the final
            parameters) whose parameters early stopping returned, else -1.
    """

    cost: FloatArray
    train_accuracy: FloatArray
    test_accuracy: FloatArray
    validation_cost: FloatArray
    stopped_at: IntArray
    best_iteration: IntArray


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


# --- gradient blocks: generated by reglab.engine.kernel_template, do not edit ---
@compiled(fastmath=MATMUL_FASTMATH)
def _gradient_block_4x2(
    grad: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    j: int,
    i: int,
) -> None:
    """Rows ``j..j+3`` of dZ against rows ``i, i+1`` of A, and (for i = 0) their bias sums.

    Missing rows read the all-zero last row of ``dz``/``acts`` and are not written.
    """
    zero_dz = dz.shape[0] - 1
    zero_act = acts.shape[0] - 1
    d0 = dz_row + j
    d1 = dz_row + j + 1 if j + 1 < n_out else zero_dz
    d2 = dz_row + j + 2 if j + 2 < n_out else zero_dz
    d3 = dz_row + j + 3 if j + 3 < n_out else zero_dz
    a0 = act_row + i
    a1 = act_row + i + 1 if i + 1 < n_in else zero_act
    b0 = 0.0
    b1 = 0.0
    b2 = 0.0
    b3 = 0.0
    s00 = 0.0
    s01 = 0.0
    s10 = 0.0
    s11 = 0.0
    s20 = 0.0
    s21 = 0.0
    s30 = 0.0
    s31 = 0.0
    for t in range(width):
        g0 = dz[d0, t]
        g1 = dz[d1, t]
        g2 = dz[d2, t]
        g3 = dz[d3, t]
        x0 = acts[a0, t]
        x1 = acts[a1, t]
        b0 += g0
        b1 += g1
        b2 += g2
        b3 += g3
        s00 += g0 * x0
        s01 += g0 * x1
        s10 += g1 * x0
        s11 += g1 * x1
        s20 += g2 * x0
        s21 += g2 * x1
        s30 += g3 * x0
        s31 += g3 * x1
    sums = ((s00, s01), (s10, s11), (s20, s21), (s30, s31))
    biases = (b0, b1, b2, b3)
    for r in range(4):
        if j + r < n_out:
            row = weight_offset + (j + r) * n_in + i
            for c in range(2):
                if i + c < n_in:
                    grad[row + c] += sums[r][c]
            if i == 0:
                grad[bias_offset + j + r] += biases[r]


@compiled(fastmath=MATMUL_FASTMATH)
def _gradient_block_3x4(
    grad: FloatArray,
    weight_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    j: int,
    i: int,
) -> None:
    """Rows ``j..j+2`` of dZ against rows ``i..i+3`` of A (weights only, no bias sums).

    Missing rows read the all-zero last row of ``dz``/``acts`` and are not written.
    """
    zero_dz = dz.shape[0] - 1
    zero_act = acts.shape[0] - 1
    d0 = dz_row + j
    d1 = dz_row + j + 1 if j + 1 < n_out else zero_dz
    d2 = dz_row + j + 2 if j + 2 < n_out else zero_dz
    a0 = act_row + i
    a1 = act_row + i + 1 if i + 1 < n_in else zero_act
    a2 = act_row + i + 2 if i + 2 < n_in else zero_act
    a3 = act_row + i + 3 if i + 3 < n_in else zero_act
    s00 = 0.0
    s01 = 0.0
    s02 = 0.0
    s03 = 0.0
    s10 = 0.0
    s11 = 0.0
    s12 = 0.0
    s13 = 0.0
    s20 = 0.0
    s21 = 0.0
    s22 = 0.0
    s23 = 0.0
    for t in range(width):
        g0 = dz[d0, t]
        g1 = dz[d1, t]
        g2 = dz[d2, t]
        x0 = acts[a0, t]
        x1 = acts[a1, t]
        x2 = acts[a2, t]
        x3 = acts[a3, t]
        s00 += g0 * x0
        s01 += g0 * x1
        s02 += g0 * x2
        s03 += g0 * x3
        s10 += g1 * x0
        s11 += g1 * x1
        s12 += g1 * x2
        s13 += g1 * x3
        s20 += g2 * x0
        s21 += g2 * x1
        s22 += g2 * x2
        s23 += g2 * x3
    sums = ((s00, s01, s02, s03), (s10, s11, s12, s13), (s20, s21, s22, s23))
    for r in range(3):
        if j + r < n_out:
            row = weight_offset + (j + r) * n_in + i
            for c in range(4):
                if i + c < n_in:
                    grad[row + c] += sums[r][c]


@compiled(fastmath=MATMUL_FASTMATH)
def _gradient_block_2x4(
    grad: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    j: int,
    i: int,
) -> None:
    """Rows ``j, j+1`` of dZ against rows ``i..i+3`` of A, and (for i = 0) their bias sums.

    Missing rows read the all-zero last row of ``dz``/``acts`` and are not written.
    """
    zero_dz = dz.shape[0] - 1
    zero_act = acts.shape[0] - 1
    d0 = dz_row + j
    d1 = dz_row + j + 1 if j + 1 < n_out else zero_dz
    a0 = act_row + i
    a1 = act_row + i + 1 if i + 1 < n_in else zero_act
    a2 = act_row + i + 2 if i + 2 < n_in else zero_act
    a3 = act_row + i + 3 if i + 3 < n_in else zero_act
    b0 = 0.0
    b1 = 0.0
    s00 = 0.0
    s01 = 0.0
    s02 = 0.0
    s03 = 0.0
    s10 = 0.0
    s11 = 0.0
    s12 = 0.0
    s13 = 0.0
    for t in range(width):
        g0 = dz[d0, t]
        g1 = dz[d1, t]
        x0 = acts[a0, t]
        x1 = acts[a1, t]
        x2 = acts[a2, t]
        x3 = acts[a3, t]
        b0 += g0
        b1 += g1
        s00 += g0 * x0
        s01 += g0 * x1
        s02 += g0 * x2
        s03 += g0 * x3
        s10 += g1 * x0
        s11 += g1 * x1
        s12 += g1 * x2
        s13 += g1 * x3
    sums = ((s00, s01, s02, s03), (s10, s11, s12, s13))
    biases = (b0, b1)
    for r in range(2):
        if j + r < n_out:
            row = weight_offset + (j + r) * n_in + i
            for c in range(4):
                if i + c < n_in:
                    grad[row + c] += sums[r][c]
            if i == 0:
                grad[bias_offset + j + r] += biases[r]


# --- end of the generated gradient blocks ---


@compiled(fastmath=MATMUL_FASTMATH)
def _bias_sums(
    grad: FloatArray, bias_offset: int, n_out: int, dz: FloatArray, dz_row: int, width: int
) -> None:
    """``grad_b += sum_t dZ`` over one chunk."""
    for j in range(n_out):
        total = 0.0
        for t in range(width):
            total += dz[dz_row + j, t]
        grad[bias_offset + j] += total


@compiled(fastmath=MATMUL_FASTMATH)
def _accumulate_gradient(
    grad: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    gradient_pass: int,
) -> None:
    """``grad_W += dZ A^T`` and ``grad_b += sum_t dZ`` over one chunk (unscaled sums).

    ``gradient_pass`` (not BLAS, see :func:`layer_plan`): the generic pass takes
    two rows of dZ against four of A per pass over the chunk; missing rows
    read the all-zero last row of ``dz``/``acts`` and are not written.
    """
    if gradient_pass == GRADIENT_FOUR_BY_TWO:  # no padded columns of A for n_in <= 2
        for j in range(0, n_out, 4):
            _gradient_block_4x2(
                grad,
                weight_offset,
                bias_offset,
                n_out,
                n_in,
                dz,
                dz_row,
                acts,
                act_row,
                width,
                j,
                0,
            )
        return
    if gradient_pass == GRADIENT_THREE_BY_FOUR:
        for j in range(0, n_out, 3):
            for i in range(0, n_in, 4):
                _gradient_block_3x4(
                    grad, weight_offset, n_out, n_in, dz, dz_row, acts, act_row, width, j, i
                )
        _bias_sums(grad, bias_offset, n_out, dz, dz_row, width)
        return
    for j in range(0, n_out, 2):
        for i in range(0, n_in, 4):
            _gradient_block_2x4(
                grad,
                weight_offset,
                bias_offset,
                n_out,
                n_in,
                dz,
                dz_row,
                acts,
                act_row,
                width,
                j,
                i,
            )


@compiled()
def _accumulate_gradient_blas(
    grad: FloatArray,
    weight_offset: int,
    bias_offset: int,
    n_out: int,
    n_in: int,
    dz: FloatArray,
    dz_row: int,
    acts: FloatArray,
    act_row: int,
    width: int,
    scratch: FloatArray,
) -> None:
    """:func:`_accumulate_gradient` with ``dZ A^T`` as one BLAS call over the whole chunk.

    Columns past ``width`` must hold zeros in ``dz`` (the chunk loop clears them).
    """
    product = scratch[: n_out * n_in].reshape((n_out, n_in))
    np.dot(dz[dz_row : dz_row + n_out], acts[act_row : act_row + n_in].T, product)
    flat = scratch[: n_out * n_in]
    for e in range(n_out * n_in):
        grad[weight_offset + e] += flat[e]
    for j in range(n_out):
        total = 0.0
        for t in range(width):
            total += dz[dz_row + j, t]
        grad[bias_offset + j] += total


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
    ``keep_scale`` argument of :func:`train_model`): computed in compiled
    code, LLVM's reassociation would fold ``x * (1 / p)`` back into ``x / p``.
    """
    return (value * np.float64(kept)) * scale


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
    ``forward_pass`` (see :func:`layer_plan`): with BLAS the product ``W A`` is
    one BLAS call over the whole chunk.
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
    last bit of the division (see :func:`_dropped`), NaN and infinity included,
    except where D = 1, A <= 0 and ``dA / keep_prob`` overflows (values near
    1e308): the reference gives NaN there, this 0. Without dropout
    ``keep_scale`` is 1 and the product exact, so one loop serves both.
    ``backward_pass``: generic or BLAS (see :func:`layer_plan`).
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
    of :func:`_accumulate_gradient` and :func:`_backward_hidden` without ever
    storing the first layer's dZ. Missing terms read the all-zero last rows
    of ``dz``/``acts`` with coefficient 0.
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


@compiled()
def _update(
    rule: int,
    model: FloatArray,
    grad: FloatArray,
    layout: Layout,
    learning_rate: float,
    inv_m: float,
    decay: float,
    sparsity: float,
    state: FloatArray,
    beta1: float,
    beta2: float,
    epsilon: float,
    step: int,
) -> None:
    """One update of a model's parameters from its summed gradient ``grad``, by ``rule``.

    The gradient of each weight is ``inv_m * grad + decay * W + sparsity * sign(W)``
    (L2: ``decay = l2 / m``; L1: ``sparsity = l1 / m``, sign(0) = 0), of each bias
    ``inv_m * grad``. Gradient descent: ``p -= learning_rate * gradient``. Without L1
    the weights take a loop without the sign term: the plain models' loop, unchanged.
    Momentum and Adam first write that gradient into ``grad``, then run their rule
    (:func:`_momentum_or_adam`) on ``state`` (``(2, P)``: ``v``, ``s``) with
    beta1, beta2, epsilon and ``step``, the update's number from 1.
    """
    layers = layout.layers
    plain = rule == UPDATE_GRADIENT_DESCENT
    for l in range(layers.size - 1):
        w = layout.weight_offsets[l]
        if plain and sparsity == 0.0:
            for e in range(w, w + layers[l + 1] * layers[l]):
                model[e] -= learning_rate * (inv_m * grad[e] + decay * model[e])
        elif plain:
            for e in range(w, w + layers[l + 1] * layers[l]):
                model[e] -= learning_rate * (
                    inv_m * grad[e] + decay * model[e] + sparsity * np.sign(model[e])
                )
        else:
            for e in range(w, w + layers[l + 1] * layers[l]):
                grad[e] = inv_m * grad[e] + decay * model[e] + sparsity * np.sign(model[e])
        b = layout.bias_offsets[l]
        for e in range(b, b + layers[l + 1]):
            if plain:
                model[e] -= learning_rate * (inv_m * grad[e])
            else:
                grad[e] = inv_m * grad[e]
    if not plain:
        _momentum_or_adam(rule, model, grad, learning_rate, state, beta1, beta2, epsilon, step)


@compiled()
def _momentum_or_adam(
    rule: int,
    model: FloatArray,
    gradient: FloatArray,
    learning_rate: float,
    state: FloatArray,
    beta1: float,
    beta2: float,
    epsilon: float,
    step: int,
) -> None:
    """Momentum or Adam on every parameter from the full ``gradient`` ``(P,)`` (:func:`_update`)."""
    v, s = state[0], state[1]
    if rule == UPDATE_MOMENTUM:
        for e in range(model.size):
            v[e] = beta1 * v[e] + (1.0 - beta1) * gradient[e]
            model[e] -= learning_rate * v[e]
        return
    first = 1.0 - beta1 ** float(step)
    second = 1.0 - beta2 ** float(step)
    for e in range(model.size):
        g = gradient[e]
        v[e] = beta1 * v[e] + (1.0 - beta1) * g
        s[e] = beta2 * s[e] + (1.0 - beta2) * (g * g)
        model[e] -= learning_rate * ((v[e] / first) / (np.sqrt(s[e] / second) + epsilon))


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


@compiled()
def _gather_batch(
    perm: IntArray,
    first: int,
    examples: FloatArray,
    keep: ByteArray,
    with_keep: bool | np.bool_,
    X_batch: FloatArray,
    Y_batch: FloatArray,
    keep_batch: ByteArray,
) -> None:
    """Copy the examples ``perm[first : first + size]`` (size: the buffers' width) from
    ``examples`` (:class:`Data`) into the contiguous batch buffers, and with ``with_keep``
    their (course) masks: the passes then run on the batch as on a small training set."""
    size = X_batch.shape[1]
    n_inputs = X_batch.shape[0]
    for t in range(size):
        row = perm[first + t]
        for f in range(n_inputs):
            X_batch[f, t] = examples[row, f]
        Y_batch[0, t] = examples[row, n_inputs]
    if with_keep:
        for h in range(keep_batch.shape[0]):
            for t in range(size):
                keep_batch[h, t] = keep[h, perm[first + t]]


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


@compiled(inline=True)
def _train_one(
    k: int,
    cancel: IntArray,
    done: IntArray,
    params: FloatArray,
    layout: Layout,
    data: Data,
    settings: Settings,
    records: Records,
    acts: FloatArray,
    dz: FloatArray,
    grad: FloatArray,
    keep: ByteArray,
    scratch: FloatArray,
    perm: IntArray,
    X_batch: FloatArray,
    Y_batch: FloatArray,
    keep_batch: ByteArray,
    X_rest: FloatArray,
    Y_rest: FloatArray,
    keep_rest: ByteArray,
    best: FloatArray,
    head_rows: FloatArray,
    state: FloatArray,
) -> None:
    """Model k's iterations (its row of ``params``, updated in place), ``done[k]`` counting them.

    ``head_rows``: the softmax head's workspace (:func:`_softmax_delta`); ``state``: the
    update rule's (see :func:`_update`), zeros at the start.

    With mini-batches (``batch_sizes[k] < m``) each iteration first gathers its batch
    into ``X_batch``/``Y_batch``/``keep_batch`` (``*_rest`` for an epoch's last, smaller
    batch), from ``perm``, the epoch's permutation; the passes then run on the batch.

    With early stopping (``patience[k] > 0``) each record also takes the validation cost
    (plain pass on the validation set, plus the penalties), keeps a copy of the
    parameters with the lowest in ``best``, and after ``patience`` records without a
    lower one stops, after that record's pass and before its update; the final
    parameters are a candidate too. The best parameters are returned in place.
    """
    X, Y = data.X, data.Y
    layers, weight_offsets, bias_offsets, plan = (
        layout.layers, layout.weight_offsets, layout.bias_offsets, layout.plan
    )  # fmt: skip
    l2, l1, learning_rate = settings.l2[k], settings.l1[k], settings.learning_rate[k]
    keep_prob, keep_scale, mode = settings.keep_prob[k], settings.keep_scale[k], settings.modes[k]
    rng_state = settings.rng_states[k]
    rule = settings.update_rules[k]
    beta1, beta2, epsilon = settings.beta1[k], settings.beta2[k], settings.epsilon[k]
    cost, train_accuracy, test_accuracy = (
        records.cost[k], records.train_accuracy[k], records.test_accuracy[k]
    )  # fmt: skip
    record_every = layout.record_every
    m = X.shape[1]
    chunk = acts.shape[1]
    any_blas = False
    for l in range(plan.shape[0]):
        any_blas = any_blas or plan[l, 1] == GRADIENT_BLAS
    n_linear = layers.size - 1
    rows = np.zeros(layers.size + 1, dtype=np.int64)
    for l in range(layers.size):
        rows[l + 1] = rows[l] + layers[l]
    hidden_units = rows[n_linear] - rows[1]
    fuse_first = n_linear >= 2 and plan[1, 2] == BACKWARD_FUSED_FIRST
    model = params[k]
    dropout = mode != NO_DROPOUT
    if mode == COURSE_MASKS:
        for h in range(hidden_units):
            for t in range(m):
                keep[h, t] = 1 if data.course_uniforms[h, t] < keep_prob else 0
    inv_m = 1.0 / m
    decay = l2 / m
    sparsity = l1 / m
    out, n_out = rows[n_linear], layers[n_linear]
    no = np.bool_(False)  # the loss flag of the accuracy passes, a value (see _count_correct)
    batch = settings.batch_sizes[k]
    batching = batch < m
    batch_state = settings.batch_states[k]
    batches_per_epoch = (m + batch - 1) // batch
    course = np.bool_(mode == COURSE_MASKS)
    patience = settings.patience[k]
    best_cost = np.inf
    best_iteration = -1
    unimproved = 0
    stop = False
    for i in range(layout.iterations):
        if cancel[0] != 0:
            return
        size = m
        X_i, Y_i, keep_i = X, Y, keep
        if batching:
            position = i % batches_per_epoch
            if position == 0:
                sfc64_permutation(batch_state, perm)
            first = position * batch
            size = min(batch, m - first)
            if size < batch:
                X_i, Y_i, keep_i = X_rest, Y_rest, keep_rest
            else:
                X_i, Y_i, keep_i = X_batch, Y_batch, keep_batch
            _gather_batch(perm, first, data.examples, keep, course, X_i, Y_i, keep_i)
        if mode == FRESH_MASKS:
            sfc64_fill_keep(rng_state, keep_prob, keep_i[:hidden_units])
        recording = i % record_every == 0
        if recording:
            r = i // record_every
            if batching:  # the cost on the whole training set, on the plain pass
                correct, full_loss = _count_correct(
                    model, layout, rows, acts, X, Y, keep, np.bool_(True)
                )
                train_accuracy[r] = correct / m
                cost[r] = full_loss / m + _penalty(model, layout, l2, l1, m)
            else:
                train_accuracy[r] = _count_correct(model, layout, rows, acts, X, Y, keep, no)[0] / m
            if data.has_test:
                test_accuracy[r] = (
                    _count_correct(model, layout, rows, acts, data.X_test, data.Y_test, keep, no)[0]
                    / data.X_test.shape[1]
                )
            if patience > 0:
                validation = _validation_cost(model, layout, rows, acts, data, keep, l2, l1, m)
                records.validation_cost[k, r] = validation
                if r == 0 or validation < best_cost:
                    best_cost, best_iteration, unimproved = validation, i, 0
                    best[:] = model
                else:
                    unimproved += 1
                    stop = unimproved >= patience
        grad[:] = 0.0
        loss = 0.0
        batch_loss = recording and not batching
        for start in range(0, size, chunk):
            width = min(chunk, size - start)
            if any_blas and width < chunk:
                # BLAS products run over all the buffer's columns: those past the chunk must be 0.
                acts[:, width:] = 0.0
                dz[:, width:] = 0.0
            _forward_chunk(
                model, layout, rows, acts, X_i, start, width, keep_i, keep_scale, dropout
            )
            # Output layer: the head's loss and dZ_L from the logits. The rows of dz are those of
            # acts less the input's.
            d = out - layers[0]
            if batch_loss:
                loss = _head_loss(layout.head, acts, out, n_out, Y_i, start, width, loss)
            _head_delta(layout.head, acts, out, n_out, dz, d, Y_i, start, width, head_rows)
            for l in range(n_linear - 1, -1, -1):
                if l == 1 and fuse_first:
                    _backward_first_layers(
                        model,
                        grad,
                        weight_offsets[1],
                        bias_offsets[1],
                        layers[2],
                        layers[1],
                        dz,
                        rows[2] - layers[0],
                        acts,
                        rows[1],
                        weight_offsets[0],
                        bias_offsets[0],
                        layers[0],
                        width,
                        keep_scale,
                    )
                    break
                if plan[l, 1] == GRADIENT_BLAS:
                    _accumulate_gradient_blas(
                        grad,
                        weight_offsets[l],
                        bias_offsets[l],
                        layers[l + 1],
                        layers[l],
                        dz,
                        rows[l + 1] - layers[0],
                        acts,
                        rows[l],
                        width,
                        scratch,
                    )
                else:
                    _accumulate_gradient(
                        grad,
                        weight_offsets[l],
                        bias_offsets[l],
                        layers[l + 1],
                        layers[l],
                        dz,
                        rows[l + 1] - layers[0],
                        acts,
                        rows[l],
                        width,
                        plan[l, 1],
                    )
                if l == 0:
                    break
                _backward_hidden(
                    model,
                    weight_offsets[l],
                    layers[l + 1],
                    layers[l],
                    dz,
                    rows[l + 1] - layers[0],
                    rows[l] - layers[0],
                    acts,
                    rows[l],
                    width,
                    keep_scale,
                    plan[l, 2],
                )
        if batch_loss:
            cost[i // record_every] = loss / m + _penalty(model, layout, l2, l1, m)
        if stop:  # after the record's pass (its cost), before its update
            records.stopped_at[k] = i
            for later in range(i // record_every + 1, records.validation_cost.shape[1]):
                cost[later] = np.nan
                train_accuracy[later] = np.nan
                test_accuracy[later] = np.nan
                records.validation_cost[k, later] = np.nan
            done[k] = layout.iterations
            break
        step = i + 1  # the update's number, from 1
        mean = 1.0 / size if batching else inv_m  # the batch's mean; the penalties stay /m
        _update(
            rule, model, grad, layout, learning_rate, mean, decay, sparsity, state,
            beta1, beta2, epsilon, step,
        )  # fmt: skip
        done[k] = i + 1
    if patience > 0:
        if stop or not (
            _validation_cost(model, layout, rows, acts, data, keep, l2, l1, m) < best_cost
        ):
            model[:] = best
        else:
            best_iteration = layout.iterations  # the final parameters are the best
        records.best_iteration[k] = best_iteration
    final = train_accuracy.size - 1
    correct, loss = _count_correct(model, layout, rows, acts, X, Y, keep, np.bool_(True))
    train_accuracy[final] = correct / m
    cost[final] = loss / m + _penalty(model, layout, l2, l1, m)
    if data.has_test:
        test_accuracy[final] = (
            _count_correct(model, layout, rows, acts, data.X_test, data.Y_test, keep, no)[0]
            / data.X_test.shape[1]
        )


@compiled()
def train_model(
    k: int,
    cancel: IntArray,
    done: IntArray,
    params: FloatArray,
    layout: Layout,
    data: Data,
    settings: Settings,
    records: Records,
) -> None:
    """Train model k of the batch start to finish, in a workspace of its own.

    Runs without the GIL: :func:`reglab.engine.train` calls it from one Python
    thread per worker, each taking the next model when it finishes one.

    Args:
        k: the model, a row of the per-model arrays.
        cancel: ``(1,)`` read before each iteration: when another thread sets it
            non-zero, the model stops where it is (its results are then not valid).
        done: ``(K,)`` iterations finished per model, written after each one, for
            the caller's progress report (read by another thread while this runs).
        params: ``(K, P)`` flat parameters, row k updated in place.
        layout, data, settings, records: see :class:`Layout`, :class:`Data`,
            :class:`Settings` and :class:`Records`.
    """
    layers = layout.layers
    m = data.X.shape[1]
    activation_rows = 0
    for l in range(layers.size):
        activation_rows += layers[l]
    hidden_units = activation_rows - layers[0] - layers[layers.size - 1]
    batch = settings.batch_sizes[k]  # m for full-batch models
    # The last row of each buffer stays zero: padding terms of blocked sums read it.
    chunk = min(CHUNK, (batch + VECTOR - 1) // VECTOR * VECTOR)  # whole vectors (see CHUNK)
    acts = np.zeros((activation_rows + 1, chunk))
    dz = np.zeros((activation_rows - layers[0] + 1, chunk))
    grad = np.empty(params.shape[1])
    # Masks of all m examples unless only a batch's are ever drawn (mini-batches, fresh masks).
    batching = batch < m
    all_masks = not batching or settings.modes[k] == COURSE_MASKS
    keep = np.ones((max(hidden_units, 1), m if all_masks else 1), dtype=np.uint8)
    # Mini-batches: the epoch's permutation, and the batch gathered (the last one, the rest).
    rest = m % batch if batching else 0
    perm = np.empty(m if batching else 1, dtype=np.int64)
    width = batch if batching else 1
    rest_width = max(rest, 1)
    X_batch, Y_batch = np.empty((layers[0], width)), np.empty((1, width))
    X_rest, Y_rest = np.empty((layers[0], rest_width)), np.empty((1, rest_width))
    keep_batch = np.ones((max(hidden_units, 1), width), dtype=np.uint8)
    keep_rest = np.ones((max(hidden_units, 1), rest_width), dtype=np.uint8)
    best = np.empty(params.shape[1] if settings.patience[k] > 0 else 1)
    largest_blas_layer = 1
    for l in range(layout.plan.shape[0]):
        if layout.plan[l, 1] == GRADIENT_BLAS:
            largest_blas_layer = max(largest_blas_layer, layers[l] * layers[l + 1])
    scratch = np.empty(largest_blas_layer)
    head_rows = np.empty((2, chunk))  # the softmax head's workspace
    # The update rule's state: momentum's and Adam's v and s (gradient descent has none).
    plain = settings.update_rules[k] == UPDATE_GRADIENT_DESCENT
    state = np.zeros((2, 0 if plain else params.shape[1]))
    _train_one(
        k, cancel, done, params, layout, data, settings, records, acts, dz, grad, keep, scratch,
        perm, X_batch, Y_batch, keep_batch, X_rest, Y_rest, keep_rest, best, head_rows, state,
    )  # fmt: skip
