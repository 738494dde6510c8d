"""What the compiled kernel is given: its four input records, and the plan of passes per layer.

Inputs are four named records (namedtuples, which Numba takes as arguments
and caches): :class:`Layout` (architecture, plan, head, iterations),
:class:`Data`, :class:`Settings` (per-model arrays) and :class:`Records`
(outputs). :func:`reglab.engine.kernel.train_model` takes them and nothing
else but the model, its counters and the parameters. To add an option: one
field here, written in one place (:func:`reglab.engine.train`), read where
the kernel needs it.

Layout (all C-contiguous): ``params`` ``(K, P)`` holds model k's weights and
biases flat, ``W_l`` row-major at ``weight_offsets[l]`` and ``b_l`` at
``bias_offsets[l]`` (l = 0 for the first linear layer); inputs ``(n_0, m)``.

Which pass serves which layer is decided once, in Python, by
:func:`layer_plan`: one table of codes per layer (forward, gradient,
backward), code 0 the generic pass. Layers wide on both sides go to BLAS
(:data:`BLAS_MIN_WIDTH`); the narrow layers of small networks such as the
exercise's 2-20-3-1 get passes shaped for them (each reads its rows once for
several outputs): four hidden units from two inputs, three outputs four inputs
at a time (from the bias in the first pass to the activation in the last),
gradients four rows by two or three by four; and, for two inputs or fewer and
at most four units after the first hidden layer, the backward step of the
first two linear layers (the second's gradient, the first's dZ, the first's
gradient) is one pass per hidden unit that never stores that dZ: one unit at a
time keeps its running sums in registers, where more would spill. To add a
fast pass: a code below, its choice in :func:`layer_plan`, and a branch where
that column is read (:mod:`~reglab.engine.kernel_forward`,
:mod:`~reglab.engine.kernel_gradient`, :mod:`~reglab.engine.kernel_backward`);
the tests force the generic passes (:data:`FAST_PASSES`) and compare.

This file has no compiled function, but its constants are compiled into the
kernel files that import them, which therefore pin its digest.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from reglab.engine.kernel_compile import IntArray, UIntArray
from reglab.types import BoolArray, FloatArray

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
hidden unit (:func:`~reglab.engine.kernel_backward._backward_first_layers`; its gradient
column is then unused)."""

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


class Layout(NamedTuple):
    """What the batch's models share besides the data: the architecture and its plan.

    Attributes:
        layers: ``(L + 1,)`` layer sizes.
        weight_offsets, bias_offsets: ``(L,)`` where ``W_l``/``b_l`` start in a row of params.
        plan: ``(L, 3)`` the passes serving each linear layer (:func:`layer_plan`).
        head: the output head's code (:data:`~reglab.engine.kernel_heads.HEADS`).
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
        keep_scale: ``1 / keep_prob``, computed by NumPy (see
            :func:`~reglab.engine.kernel_rows._dropped`); exactly 1 for models without
            dropout, whose backward passes multiply by it too.
        modes: NO_DROPOUT, FRESH_MASKS or COURSE_MASKS.
        update_rules: the update rule's code (:data:`~reglab.engine.kernel_updates.UPDATE_RULES`).
        beta1, beta2, epsilon: momentum's and Adam's constants (unused by gradient descent).
        rng_states: ``(K, 4)`` SFC64 words (see
            :func:`~reglab.engine.kernel_random.sfc64_fill_keep`), advanced in place by
            fresh masks.
        batch_sizes: examples per update, at most m (m: full-batch gradient descent).
        batch_states: ``(K, 6)`` SFC64 words of the mini-batch permutations (see
            :func:`~reglab.engine.kernel_random.sfc64_permutation`), advanced in place;
            unused for full-batch models.
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
