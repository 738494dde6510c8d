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
examples go through forward and backward in chunks of at most
:data:`~reglab.engine.kernel_plan.CHUNK` columns (a full-batch gradient is a
sum over examples), so nothing of size m is stored but the dropout masks. How
each pass is made fast is said in its file (below).

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

The kernel's files, one purpose each (each file's docstring says how to add to it):

- this file: :func:`train_model` (the workspace) and the loop, :func:`_train_one`,
  cut into named steps (course masks, batch span, record, stop, finish). A new step is
  a ``compiled(inline=True)`` function here: inlined, it adds no level of calls to
  compile (see :func:`~reglab.engine.kernel_compile.compiled`); work done every
  iteration stays in the loop's body (see its gradient pass);
- :mod:`~reglab.engine.kernel_plan`: the four input records (:class:`Layout`,
  :class:`Data`, :class:`Settings`, :class:`Records`) and the plan of passes
  per layer (:func:`~reglab.engine.kernel_plan.layer_plan`, the pass codes);
- :mod:`~reglab.engine.kernel_forward`: the forward passes of a layer and a chunk;
- :mod:`~reglab.engine.kernel_gradient`: ``dZ A^T`` per layer, with the generated
  gradient blocks (:mod:`~reglab.engine.kernel_template`);
- :mod:`~reglab.engine.kernel_backward`: a hidden layer's dZ, and the fused first layers;
- :mod:`~reglab.engine.kernel_rows`: the row sums and dropout the passes share;
- :mod:`~reglab.engine.kernel_heads`: the output heads (:data:`~reglab.engine.kernel_heads.HEADS`);
- :mod:`~reglab.engine.kernel_updates`: the update rules
  (:data:`~reglab.engine.kernel_updates.UPDATE_RULES`);
- :mod:`~reglab.engine.kernel_evaluate`: accuracies, losses, penalties, the validation cost;
- :mod:`~reglab.engine.kernel_random`, :mod:`~reglab.engine.kernel_exp`: SFC64 and exp;
- :mod:`~reglab.engine.kernel_compile`: how it all compiles and caches (each file
  pins the digest of the kernel files it imports, ``CALLEES_DIGEST``).

The reference (:mod:`reglab.engine.reference`) gets the same math in NumPy.
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_backward import _backward_first_layers, _backward_hidden
from reglab.engine.kernel_compile import ByteArray, IntArray, UIntArray, compiled
from reglab.engine.kernel_evaluate import _count_correct, _penalty, _validation_cost
from reglab.engine.kernel_forward import _forward_chunk
from reglab.engine.kernel_gradient import _accumulate_gradient, _accumulate_gradient_blas
from reglab.engine.kernel_heads import _head_delta, _head_loss
from reglab.engine.kernel_plan import (
    BACKWARD_FUSED_FIRST,
    CHUNK,
    COURSE_MASKS,
    FRESH_MASKS,
    GRADIENT_BLAS,
    NO_DROPOUT,
    VECTOR,
    Data,
    Layout,
    Records,
    Settings,
)
from reglab.engine.kernel_random import sfc64_fill_keep, sfc64_permutation
from reglab.engine.kernel_updates import UPDATE_GRADIENT_DESCENT, _update
from reglab.types import FloatArray

CALLEES_DIGEST = "67b893fc9781406c"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


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
def _course_masks(
    keep: ByteArray, uniforms: FloatArray, keep_prob: float, hidden_units: int, m: int
) -> None:
    """The exercise's masks of all m examples, once per model: ``keep = uniforms < keep_prob``."""
    for h in range(hidden_units):
        for t in range(m):
            keep[h, t] = 1 if uniforms[h, t] < keep_prob else 0


@compiled(inline=True)
def _batch_span(
    i: int, m: int, batch: int, batches_per_epoch: int, batch_state: UIntArray, perm: IntArray
) -> tuple[int, int]:
    """Mini-batches: where iteration i's batch starts in the epoch's permutation, and its size.

    An epoch's first batch draws the epoch's permutation into ``perm`` (SFC64, NumPy's
    ``permutation``); the batches are consecutive runs of it, the last the remainder.
    """
    position = i % batches_per_epoch
    if position == 0:
        sfc64_permutation(batch_state, perm)
    first = position * batch
    return first, min(batch, m - first)


@compiled(inline=True)
def _record(
    i: int,
    k: int,
    model: FloatArray,
    layout: Layout,
    rows: IntArray,
    acts: FloatArray,
    data: Data,
    keep: ByteArray,
    records: Records,
    l2: float,
    l1: float,
    batching: bool,
    patience: int,
    best: FloatArray,
    best_cost: float,
    best_iteration: int,
    unimproved: int,
) -> tuple[float, int, int, bool]:
    """A recorded iteration's measures, before its gradient pass; returns early stopping's
    state ``(best_cost, best_iteration, unimproved, stop)``.

    Accuracies of the plain pass on the training and test sets; with mini-batches
    also the cost, on the plain pass over all m examples (full batch: the gradient
    pass's loss gives it, in :func:`_train_one`). With early stopping (``patience > 0``)
    the validation cost: a lower one than ``best_cost`` (or the first) copies the
    parameters into ``best``; ``patience`` records without one set ``stop``.
    """
    X, Y = data.X, data.Y
    m = X.shape[1]
    r = i // layout.record_every
    no = np.bool_(False)  # the loss flag of the accuracy passes, a value (see _count_correct)
    if batching:  # the cost on the whole training set, on the plain pass
        correct, full_loss = _count_correct(model, layout, rows, acts, X, Y, keep, np.bool_(True))
        records.train_accuracy[k, r] = correct / m
        records.cost[k, r] = full_loss / m + _penalty(model, layout, l2, l1, m)
    else:
        records.train_accuracy[k, r] = (
            _count_correct(model, layout, rows, acts, X, Y, keep, no)[0] / m
        )
    if data.has_test:
        records.test_accuracy[k, r] = (
            _count_correct(model, layout, rows, acts, data.X_test, data.Y_test, keep, no)[0]
            / data.X_test.shape[1]
        )
    stop = False
    if patience > 0:
        validation = _validation_cost(model, layout, rows, acts, data, keep, l2, l1, m)
        records.validation_cost[k, r] = validation
        if r == 0 or validation < best_cost:
            best_cost, best_iteration, unimproved = validation, i, 0
            best[:] = model
        else:
            unimproved += 1
            stop = unimproved >= patience
    return best_cost, best_iteration, unimproved, stop


@compiled(inline=True)
def _stop(i: int, k: int, records: Records, record_every: int) -> None:
    """Early stopping at iteration i: its number, and NaN in every record after it."""
    records.stopped_at[k] = i
    for later in range(i // record_every + 1, records.validation_cost.shape[1]):
        records.cost[k, later] = np.nan
        records.train_accuracy[k, later] = np.nan
        records.test_accuracy[k, later] = np.nan
        records.validation_cost[k, later] = np.nan


@compiled(inline=True)
def _finish(
    k: int,
    model: FloatArray,
    layout: Layout,
    rows: IntArray,
    acts: FloatArray,
    data: Data,
    keep: ByteArray,
    records: Records,
    l2: float,
    l1: float,
    patience: int,
    best: FloatArray,
    best_cost: float,
    best_iteration: int,
    stop: bool,
) -> None:
    """After the last update (or the stop): early stopping's parameters, then the final
    records, the cost and accuracies of the returned parameters on the plain pass.

    With early stopping the final parameters are a candidate too: they stay if their
    validation cost is lower than the best record's (and the run did not stop), else
    ``best`` replaces them.
    """
    X, Y = data.X, data.Y
    m = X.shape[1]
    if patience > 0:
        if stop or not (
            _validation_cost(model, layout, rows, acts, data, keep, l2, l1, m) < best_cost
        ):
            model[:] = best
        else:
            best_iteration = layout.iterations  # the final parameters are the best
        records.best_iteration[k] = best_iteration
    final = records.train_accuracy.shape[1] - 1
    correct, loss = _count_correct(model, layout, rows, acts, X, Y, keep, np.bool_(True))
    records.train_accuracy[k, final] = correct / m
    records.cost[k, final] = loss / m + _penalty(model, layout, l2, l1, m)
    if data.has_test:
        records.test_accuracy[k, final] = (
            _count_correct(
                model, layout, rows, acts, data.X_test, data.Y_test, keep, np.bool_(False)
            )[0]
            / data.X_test.shape[1]
        )


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

    ``head_rows``: the softmax head's workspace
    (:func:`~reglab.engine.kernel_heads._softmax_delta`); ``state``: the update rule's
    (see :func:`~reglab.engine.kernel_updates._update`), zeros at the start.

    An iteration: with mini-batches (``batch_sizes[k] < m``) its batch
    (:func:`_batch_span`, :func:`_gather_batch`), fresh masks, at a recorded iteration the records
    (:func:`_record`), the gradient pass over its chunks, then the update. With
    early stopping (``patience[k] > 0``), after ``patience`` records without a lower
    validation cost the model stops (:func:`_stop`), after that record's pass and before
    its update. Then the final records (:func:`_finish`); the best parameters are
    returned in place.
    """
    X, Y = data.X, data.Y
    layers, plan = layout.layers, layout.plan
    weight_offsets, bias_offsets = layout.weight_offsets, layout.bias_offsets
    l2, l1, learning_rate = settings.l2[k], settings.l1[k], settings.learning_rate[k]
    keep_prob, keep_scale, mode = settings.keep_prob[k], settings.keep_scale[k], settings.modes[k]
    rng_state = settings.rng_states[k]
    rule = settings.update_rules[k]
    beta1, beta2, epsilon = settings.beta1[k], settings.beta2[k], settings.epsilon[k]
    record_every = layout.record_every
    m = X.shape[1]
    any_blas = False
    for l in range(plan.shape[0]):
        any_blas = any_blas or plan[l, 1] == GRADIENT_BLAS
    n_linear = layers.size - 1
    rows = np.zeros(layers.size + 1, dtype=np.int64)
    for l in range(layers.size):
        rows[l + 1] = rows[l] + layers[l]
    hidden_units = rows[n_linear] - rows[1]
    fuse_first = n_linear >= 2 and plan[1, 2] == BACKWARD_FUSED_FIRST
    out, n_out = rows[n_linear], layers[n_linear]
    chunk = acts.shape[1]
    model = params[k]
    dropout = mode != NO_DROPOUT
    if mode == COURSE_MASKS:
        _course_masks(keep, data.course_uniforms, keep_prob, hidden_units, m)
    inv_m = 1.0 / m
    decay = l2 / m
    sparsity = l1 / m
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
        if batching:  # the batch gathered into its buffers (an epoch's last: the rest's)
            first, size = _batch_span(i, m, batch, batches_per_epoch, batch_state, perm)
            if size < batch:
                X_i, Y_i, keep_i = X_rest, Y_rest, keep_rest
            else:
                X_i, Y_i, keep_i = X_batch, Y_batch, keep_batch
            _gather_batch(perm, first, data.examples, keep, course, X_i, Y_i, keep_i)
        if mode == FRESH_MASKS:
            sfc64_fill_keep(rng_state, keep_prob, keep_i[:hidden_units])
        recording = i % record_every == 0
        if recording:
            best_cost, best_iteration, unimproved, stop = _record(
                i, k, model, layout, rows, acts, data, keep, records, l2, l1, batching,
                patience, best, best_cost, best_iteration, unimproved,
            )  # fmt: skip
        # The gradient pass over the iteration's examples, chunk by chunk: forward (with
        # dropout), the head's dZ (and at a record the loss), backward by the plan's passes.
        # It runs every iteration, so it stays in this loop rather than in an inlined step:
        # each run of an inlined call copies its array arguments (references counted up and
        # down), a cost the once-per-record steps can afford and this one cannot.
        batch_loss = recording and not batching
        grad[:] = 0.0
        loss = 0.0
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
            for l in range(n_linear - 1, -1, -1):  # backward, from the output layer
                weights, biases = weight_offsets[l], bias_offsets[l]
                dz_row = rows[l + 1] - layers[0]
                if l == 1 and fuse_first:  # layers 1 and 0 in one pass (the plan's code)
                    _backward_first_layers(
                        model, grad, weights, biases, layers[2], layers[1], dz, dz_row, acts,
                        rows[1], weight_offsets[0], bias_offsets[0], layers[0], width, keep_scale,
                    )  # fmt: skip
                    break
                if plan[l, 1] == GRADIENT_BLAS:
                    _accumulate_gradient_blas(
                        grad, weights, biases, layers[l + 1], layers[l], dz, dz_row, acts,
                        rows[l], width, scratch,
                    )  # fmt: skip
                else:
                    _accumulate_gradient(
                        grad, weights, biases, layers[l + 1], layers[l], dz, dz_row, acts,
                        rows[l], width, plan[l, 1],
                    )  # fmt: skip
                if l == 0:
                    break
                _backward_hidden(
                    model, weights, layers[l + 1], layers[l], dz, dz_row, rows[l] - layers[0],
                    acts, rows[l], width, keep_scale, plan[l, 2],
                )  # fmt: skip
        if batch_loss:
            records.cost[k, i // record_every] = loss / m + _penalty(model, layout, l2, l1, m)
        if stop:  # after the record's pass (its cost), before its update
            _stop(i, k, records, record_every)
            done[k] = layout.iterations
            break
        step = i + 1  # the update's number, from 1
        mean = 1.0 / size if batching else inv_m  # the batch's mean; the penalties stay /m
        _update(
            rule, model, grad, layout, learning_rate, mean, decay, sparsity, state,
            beta1, beta2, epsilon, step,
        )  # fmt: skip
        done[k] = i + 1
    _finish(
        k, model, layout, rows, acts, data, keep, records, l2, l1, patience, best, best_cost,
        best_iteration, stop,
    )  # fmt: skip


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
