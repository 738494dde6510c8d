"""Gradient descent (full-batch or mini-batch) for K configurations of one architecture at once.

:func:`train` is the one training loop in reglab: the exercise's three models,
seed studies and sweeps all call it with a batch of :class:`TrainConfig`.
Each configuration owns a ``numpy.random.Generator`` seeded from its ``seed``
(independent streams: initialization, dropout masks, mini-batch permutations,
validation split; :func:`model_generators`), so a model's
result does not depend on the batch it was trained in.

The loop itself runs compiled (:mod:`reglab.engine.kernel`), one model per
thread; :mod:`reglab.engine.reference` keeps the same loop in NumPy as the
test oracle. This module holds what both share: validation, initialization,
and turning the final state into :class:`TrainedModels`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import pairwise
from queue import Empty, SimpleQueue
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from reglab.config import TrainConfig, validation_examples
from reglab.engine import kernel
from reglab.engine.dropout import course_uniforms
from reglab.engine.initializers import initialize
from reglab.engine.kernel_random import (
    BUFFERED_WORDS,
    WORDS,
    sfc64_buffered_words,
    sfc64_words,
)
from reglab.engine.network import Parameters
from reglab.errors import DataError, DivergenceError, ParameterError
from reglab.memory import check_memory
from reglab.types import FloatArray

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(iterations_done, iterations_total)`` during training: the
iterations done on average over the batch's models, each time it has grown, checked
every :data:`PROGRESS_SECONDS`; the last call is ``(total, total)``."""

PROGRESS_SECONDS = 0.1
"""How often :func:`train` reports progress while its models train."""


@dataclass(frozen=True)
class History:
    """What was recorded every ``record_every`` iterations (before that iteration's update).

    Attributes:
        iterations: the recorded iterations ``0, record_every, ...``, shape ``(R,)``.
        cost: training cost (on the dropped-out pass when dropout is on, plus
            any L2 term), shape ``(K, R)``; for mini-batch models the cost of the
            whole training set on the plain pass (no dropout), plus the penalties.
        train_accuracy: accuracy on the training set without dropout, ``(K, R)``.
        test_accuracy: accuracy on the test set, ``(K, R)``, or None without one.
        validation_cost: with early stopping, the validation set's cost (plain pass, plus
            the penalties), ``(K, R)``, NaN for models without it; None when no model of
            the batch stops early. A model stopped early has NaN records after its stop.
    """

    iterations: NDArray[np.int64]
    cost: FloatArray
    train_accuracy: FloatArray
    test_accuracy: FloatArray | None
    validation_cost: FloatArray | None = None


@dataclass(frozen=True)
class TrainedModels:
    """The result of training K configurations together.

    Attributes:
        configs: the configurations, in batch order.
        parameters: final parameters, stacked ``(K, ...)``.
        history: recorded cost and accuracies.
        train_accuracy: final training accuracy, shape ``(K,)``.
        test_accuracy: final test accuracy, shape ``(K,)``, or None.
        diverged_at: per model, the first recorded iteration whose cost was not
            finite (or ``iterations`` if only the final parameters were), else None.
        final_cost: the training cost of the final parameters, shape ``(K,)``: the
            cross-entropy of the plain pass (no dropout) plus the L2 term. Unlike
            ``history.cost`` (recorded before an update, on the dropped-out pass), it
            is the cost of the parameters returned.
        stopped_at: per model, the iteration early stopping stopped at (no update from
            it on), None when it ran all iterations or early stopping was off.
        best_iteration: per model, the recorded iteration whose parameters early stopping
            returned (``iterations``: the final parameters, validated after the last
            update), None when early stopping was off. With early stopping the returned
            parameters, final accuracies and cost are those of that iteration, the
            training accuracy and cost on the examples trained on (not the validation set).
    """

    configs: tuple[TrainConfig, ...]
    parameters: Parameters
    history: History
    train_accuracy: FloatArray
    test_accuracy: FloatArray | None
    diverged_at: tuple[int | None, ...]
    final_cost: FloatArray
    stopped_at: tuple[int | None, ...] = ()
    best_iteration: tuple[int | None, ...] = ()

    def __post_init__(self) -> None:
        for name in ("stopped_at", "best_iteration"):  # () means: no early stopping
            if not getattr(self, name):
                object.__setattr__(self, name, (None,) * len(self.configs))

    def __len__(self) -> int:
        return len(self.configs)


ModelCallback = Callable[[int, TrainedModels], None]
"""Called as ``on_model(k, model)`` in the caller's thread as soon as model k of the
batch has finished (within :data:`PROGRESS_SECONDS`), before the others have:
``model`` is that model alone, a batch of one equal to row k of the batch's result,
its divergence recorded (never raised). Callers that save as they go use it."""


def n_classes_of(layers: Sequence[int]) -> int:
    """The classes a network of these layer sizes tells apart: 2 for one sigmoid output
    unit, C for C softmax units."""
    return 2 if layers[-1] == 1 else int(layers[-1])


def head_of(layers: Sequence[int]) -> int:
    """The kernel's head code for these layer sizes (:data:`reglab.engine.kernel.HEADS`)."""
    return kernel.HEADS["sigmoid" if layers[-1] == 1 else "softmax"]


def _check_labels(Y: FloatArray, n_classes: int, role: str) -> None:
    """Labels are 0/1 for one output unit, the integers 0..C-1 for C softmax units."""
    if n_classes == 2:
        valid = (Y == 0) | (Y == 1)
        rule = "0 or 1 with layers ending in 1 (C classes 0..C-1 need layers ending in C)"
    else:
        integral = np.floor(Y) == Y
        valid = (Y >= 0) & (n_classes - 1 >= Y) & integral
        rule = f"integers 0..{n_classes - 1} (one per class of the {n_classes} output units)"
    if not np.all(valid):
        others = sorted(set(Y[~valid].tolist()), key=lambda v: (np.isnan(v), v))[:5]
        raise DataError(f"{role} labels must be {rule}. Received: values {others}")


def _check_arrays(
    X: FloatArray, Y: FloatArray, n_features: int, role: str, n_classes: int = 2
) -> tuple[FloatArray, FloatArray]:
    X = np.ascontiguousarray(X, dtype=float)
    Y = np.ascontiguousarray(Y, dtype=float)
    if X.ndim != 2 or X.shape[0] != n_features or X.shape[1] < 1:
        raise DataError(
            f"{role} inputs must have shape ({n_features}, m) with m >= 1, examples as columns. "
            f"Received: shape {X.shape}"
        )
    if Y.shape != (1, X.shape[1]):
        raise DataError(
            f"{role} labels must have shape (1, {X.shape[1]}). Received: shape {Y.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise DataError(f"{role} inputs must be finite. Received: NaN or infinite values")
    _check_labels(Y, n_classes, role)
    return X, Y


def _check_batch(configs: Sequence[TrainConfig]) -> tuple[TrainConfig, ...]:
    if len(configs) == 0:
        raise ParameterError("configs", "a non-empty sequence of TrainConfig", list(configs))
    batch = tuple(configs)
    shared = batch[0].architecture
    for config in batch:
        if config.architecture != shared:
            raise ParameterError(
                "configs",
                "configurations sharing layers, iterations and record_every "
                f"{shared} (train other architectures in separate calls)",
                config.architecture,
            )
    return batch


class ModelStreams(NamedTuple):
    """A model's independent random streams, children of ``SeedSequence(seed)`` in this order.

    Attributes:
        init: the initialization (PCG64).
        masks: fresh dropout masks (SFC64).
        batches: the mini-batch permutations, one per epoch (SFC64).
        validation: the early-stopping validation split (PCG64).
    """

    init: np.random.Generator
    masks: np.random.Generator
    batches: np.random.Generator
    validation: np.random.Generator


def model_generators(seed: int) -> ModelStreams:
    """A model's four independent streams (:class:`ModelStreams`).

    Masks and permutations use SFC64, whose steps the compiled kernel takes at about 60%
    of PCG64's cost (see :mod:`reglab.engine.kernel_random`). ``spawn(4)``'s first two
    children are ``spawn(2)``'s: the streams of reglab before mini-batches are unchanged.
    """
    init_seed, mask_seed, batch_seed, validation_seed = np.random.SeedSequence(seed).spawn(4)
    return ModelStreams(
        np.random.default_rng(init_seed),
        np.random.Generator(np.random.SFC64(mask_seed)),
        np.random.Generator(np.random.SFC64(batch_seed)),
        np.random.default_rng(validation_seed),
    )


LARGE_INPUT = 1e3
"""Inputs past this size make the first layer's gradients large whatever the step:
a divergence then suggests scaling them too."""


def _divergence_message(k: int, config: TrainConfig, iteration: int, largest_input: float) -> str:
    """Names the settings that make gradient descent overshoot: the step, a large L2
    (whose gradient ``(l2/m) W`` multiplies the step) and, when the inputs are large
    (``largest_input``, their largest absolute value), the inputs' scale."""
    advice = "a smaller learning_rate" + (" or l2" if config.l2 > 0 else "")
    if largest_input > LARGE_INPUT:
        advice += (
            f", or inputs scaled to about 1 (the largest is {largest_input:.3g}; "
            "e.g. scikit-learn's StandardScaler)"
        )
    return (
        f"model {k} diverged: its cost was not finite by iteration {iteration} "
        f"(learning_rate={config.learning_rate}, l2={config.l2}, keep_prob={config.keep_prob}). "
        f"Try {advice}."
    )


class Split(NamedTuple):
    """A model's early-stopping split of the training set: example indices, each ascending."""

    train: NDArray[np.int64]
    validation: NDArray[np.int64]


def validation_split(m: int, fraction: float, rng: np.random.Generator) -> Split:
    """Hold out ``ceil(fraction * m)`` of the m training examples for validation.

    The held-out examples are the first of ``rng.permutation(m)`` (``rng``: the model's
    validation stream, so a seed study varies the split as it varies the initialization);
    both parts keep the data's order. Both must be non-empty.

    Raises:
        ParameterError: when the split leaves either part empty.
    """
    n_validation = validation_examples(fraction, m)
    if not 1 <= n_validation < m:
        raise ParameterError(
            "validation_fraction",
            f"a fraction leaving at least one training and one validation example of the "
            f"m = {m} (ceil(fraction * m) in [1, {m - 1}])",
            fraction,
        )
    order = rng.permutation(m)
    return Split(np.sort(order[n_validation:]), np.sort(order[:n_validation]))


def trained_on(config: TrainConfig, X: FloatArray, Y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The examples of ``X``, ``Y`` a model trained on: all of them, or with early stopping
    its training part (its split, drawn again from its seed)."""
    if not config.early_stopping:
        return X, Y
    split = validation_split(
        X.shape[1], config.validation_fraction, model_generators(config.seed).validation
    )
    return X[:, split.train], Y[:, split.train]


@dataclass(frozen=True)
class Problem:
    """A validated batch, ready to train: shared by :func:`train` and the NumPy reference.

    Attributes:
        configs: the configurations, in batch order.
        layers, iterations, record_every: what they share.
        X, Y: training inputs ``(n_0, m)`` and labels ``(1, m)``, float64, C-contiguous.
        X_test, Y_test: the test set, or None.
        initial: the initial parameters of the K models.
        mask_rngs: per model, the generator its fresh dropout masks come from.
        batch_rngs: per model, the generator its epochs' permutations come from.
        batch_sizes: per model, the examples per update (``batch_size`` at most the
            model's training examples; all of them for full-batch models).
        splits: per model, None, or with early stopping its ``(train, validation)``
            example indices (:func:`validation_split`).
    """

    configs: tuple[TrainConfig, ...]
    layers: tuple[int, ...]
    iterations: int
    record_every: int
    X: FloatArray
    Y: FloatArray
    X_test: FloatArray | None
    Y_test: FloatArray | None
    initial: Parameters
    mask_rngs: tuple[np.random.Generator, ...]
    batch_rngs: tuple[np.random.Generator, ...]
    batch_sizes: tuple[int, ...]
    splits: tuple[Split | None, ...]

    @property
    def recorded(self) -> NDArray[np.int64]:
        """The recorded iterations ``0, record_every, ...``, shape ``(R,)``."""
        return np.arange(0, self.iterations, self.record_every, dtype=np.int64)


def prepare(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray | None,
    Y_test: FloatArray | None,
) -> Problem:
    """Validate a batch and its data (and its memory: :func:`reglab.memory.check_memory`),
    and draw every model's initial parameters."""
    batch = _check_batch(configs)
    layers, iterations, record_every = batch[0].architecture
    n_classes = n_classes_of(layers)
    X, Y = _check_arrays(X, Y, layers[0], "training", n_classes)
    if X_test is not None or Y_test is not None:
        if X_test is None or Y_test is None:
            raise DataError("test inputs and test labels must be given together")
        X_test, Y_test = _check_arrays(X_test, Y_test, layers[0], "test", n_classes)
    check_memory(  # before the first allocation that grows with the network
        layers,
        len(batch),
        X.shape[1],
        m_test=0 if X_test is None else X_test.shape[1],
        iterations=iterations,
        record_every=record_every,
        batching=any(c.batch_size is not None and c.batch_size < X.shape[1] for c in batch),
        early_stopping=any(c.early_stopping for c in batch),
    )
    streams = [model_generators(config.seed) for config in batch]
    m = X.shape[1]
    splits = tuple(
        validation_split(m, config.validation_fraction, stream.validation)
        if config.early_stopping
        else None
        for config, stream in zip(batch, streams, strict=True)
    )
    initial = Parameters.stack(
        [
            initialize(layers, config.init, rng=stream.init)
            for config, stream in zip(batch, streams, strict=True)
        ]
    )
    return Problem(
        configs=batch,
        layers=layers,
        iterations=iterations,
        record_every=record_every,
        X=X,
        Y=Y,
        X_test=X_test,
        Y_test=Y_test,
        initial=initial,
        mask_rngs=tuple(stream.masks for stream in streams),
        batch_rngs=tuple(stream.batches for stream in streams),
        batch_sizes=tuple(
            n if config.batch_size is None else min(config.batch_size, n)
            for config, n in zip(
                batch, (m if s is None else s.train.size for s in splits), strict=True
            )
        ),
        splits=splits,
    )


def _diverged_at(
    history: History, params: Parameters, k: int, iterations: int, stopped_at: int | None = None
) -> int | None:
    """Model k's first recorded iteration of non-finite cost (``iterations`` if only its
    final parameters are not finite), or None. The NaN records after an early stop
    (``stopped_at``) are not divergence."""
    trained = history.iterations <= (iterations if stopped_at is None else stopped_at)
    bad = np.flatnonzero(~np.isfinite(history.cost[k]) & trained)
    if bad.size:
        return int(history.iterations[bad[0]])
    finite_params = all(np.all(np.isfinite(W[k])) for W in params.weights)
    return None if finite_params else iterations


def conclude(
    problem: Problem,
    params: Parameters,
    history: History,
    final_train: FloatArray,
    final_test: FloatArray | None,
    final_cost: FloatArray,
    on_divergence: Literal["raise", "record"],
    stopped_at: Sequence[int | None] = (),
    best_iteration: Sequence[int | None] = (),
) -> TrainedModels:
    """Detect divergence (raising or recording it) and assemble the result."""
    stops = tuple(stopped_at) or (None,) * len(problem.configs)
    diverged_at = [
        _diverged_at(history, params, k, problem.iterations, stops[k])
        for k in range(len(problem.configs))
    ]
    if on_divergence == "raise":
        for k, at in enumerate(diverged_at):
            if at is not None:
                largest = float(np.max(np.abs(problem.X)))
                raise DivergenceError(_divergence_message(k, problem.configs[k], at, largest))
    return TrainedModels(
        configs=problem.configs,
        parameters=params,
        history=history,
        train_accuracy=final_train,
        test_accuracy=final_test,
        diverged_at=tuple(diverged_at),
        final_cost=final_cost,
        stopped_at=stops,
        best_iteration=tuple(best_iteration),
    )


def available_threads() -> int:
    """How many threads :func:`train` uses by default: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_threads(n_threads: int | None) -> int:
    limit = available_threads()
    if n_threads is None:
        return limit
    if not isinstance(n_threads, int) or isinstance(n_threads, bool) or not 1 <= n_threads <= limit:
        raise ParameterError("n_threads", f"None or an integer in [1, {limit}]", n_threads)
    return n_threads


def _flat_layout(layers: Sequence[int]) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Offsets of ``W_l`` and ``b_l`` in a flat parameter row (W_1, b_1, W_2, b_2, ...)."""
    weight_offsets, bias_offsets = [], []
    offset = 0
    for n_in, n_out in pairwise(layers):
        weight_offsets.append(offset)
        offset += n_out * n_in
        bias_offsets.append(offset)
        offset += n_out
    return np.array(weight_offsets, np.int64), np.array(bias_offsets, np.int64), offset


def _flatten(params: Parameters) -> FloatArray:
    n_models = params.n_models
    pieces = []
    for W, b in zip(params.weights, params.biases, strict=True):
        pieces += [W.reshape(n_models, -1), b.reshape(n_models, -1)]
    return np.ascontiguousarray(np.concatenate(pieces, axis=1), dtype=np.float64)


def _unflatten(flat: FloatArray, layers: Sequence[int]) -> Parameters:
    weight_offsets, bias_offsets, _ = _flat_layout(layers)
    n_models = flat.shape[0]
    weights, biases = [], []
    for l, (n_in, n_out) in enumerate(pairwise(layers)):
        w0, b0 = int(weight_offsets[l]), int(bias_offsets[l])
        weights.append(flat[:, w0 : w0 + n_out * n_in].reshape(n_models, n_out, n_in).copy())
        biases.append(flat[:, b0 : b0 + n_out].reshape(n_models, n_out, 1).copy())
    return Parameters(weights, biases)


def blas_layers(layers: Sequence[int], min_width: int | None = None) -> NDArray[np.bool_]:
    """Per linear layer, whether the kernel hands its products to BLAS (both sides wide)."""
    width = kernel.BLAS_MIN_WIDTH if min_width is None else min_width
    return np.array([min(n_in, n_out) >= width for n_in, n_out in pairwise(layers)], dtype=bool)


def _mask_modes(configs: Sequence[TrainConfig]) -> NDArray[np.int64]:
    modes = [
        kernel.NO_DROPOUT
        if config.keep_prob == 1
        else (kernel.COURSE_MASKS if config.masks == "course" else kernel.FRESH_MASKS)
        for config in configs
    ]
    return np.array(modes, dtype=np.int64)


RELATIVE_COST = {kernel.NO_DROPOUT: 1.0, kernel.COURSE_MASKS: 1.15, kernel.FRESH_MASKS: 1.75}
"""Time of one model by dropout mode, relative to none (measured on exercise-size models):
masks cost reading the mask and a multiplication per hidden unit and example forward, fresh
ones also an SFC64 step per two units."""


def _relative_costs(modes: NDArray[np.int64]) -> list[float]:
    return [RELATIVE_COST[int(mode)] for mode in modes]


def longest_first(costs: Sequence[float]) -> list[int]:
    """The order in which workers take models: costliest first, ties in batch order.

    Workers take the next model when they finish one, so the last to start are
    the cheapest, and no core idles long while the other finishes.
    """
    return sorted(range(len(costs)), key=lambda k: (-costs[k], k))


def run_models(
    order: Sequence[int],
    n_workers: int,
    train_model: Callable[[int, NDArray[np.int64]], None],
    report: Callable[[], None],
    finished: Callable[[int], None] | None = None,
) -> None:
    """Call ``train_model(k, cancel)`` for every k of ``order`` on ``n_workers`` threads.

    Each thread takes the next model of ``order`` when it finishes one (the
    compiled loop releases the GIL). The calling thread meanwhile calls
    ``finished(k)`` for each model that has run to its end since it last looked,
    then ``report``, every :data:`PROGRESS_SECONDS` and once at the end: both run
    in the caller's thread, so they may use what it owns (a database
    connection). If it is interrupted (Ctrl-C, or ``report`` or ``finished``
    raising), or a worker fails, ``cancel[0]`` is set: the running models read
    it before each iteration and stop, no other starts, and the exception is
    raised once the workers have stopped. (A worker loading or compiling the
    kernel, on the first call in a process, stops only when that is done:
    seconds, or 30-50 s for a first compile.)
    """
    pending: SimpleQueue[int] = SimpleQueue()
    for k in order:
        pending.put(k)
    completed: SimpleQueue[int] = SimpleQueue()
    cancel = np.zeros(1, dtype=np.int64)

    def work() -> None:
        try:
            while cancel[0] == 0:
                try:
                    k = pending.get_nowait()
                except Empty:
                    return
                train_model(k, cancel)
                if cancel[0] == 0:  # a cancelled model stopped part-way: not finished
                    completed.put(k)
        except BaseException:
            cancel[0] = 1  # the other workers stop too
            raise

    def hand_over() -> None:
        while finished is not None:
            try:
                k = completed.get_nowait()
            except Empty:
                return
            finished(k)

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        try:
            jobs = [pool.submit(work) for _ in range(n_workers)]
            while wait(jobs, timeout=PROGRESS_SECONDS).not_done:
                hand_over()
                report()
            for job in jobs:
                job.result()  # a worker's exception, if any
            hand_over()
        except BaseException:
            cancel[0] = 1
            raise
    report()


def train(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray | None = None,
    Y_test: FloatArray | None = None,
    *,
    progress: ProgressCallback | None = None,
    on_divergence: Literal["raise", "record"] = "raise",
    n_threads: int | None = None,
    on_model: ModelCallback | None = None,
) -> TrainedModels:
    """Train K configurations of one architecture together by gradient descent (full-batch,
    or mini-batch per ``batch_size``).

    Args:
        configs: the configurations; they must share ``layers``, ``iterations``
            and ``record_every``.
        X: training inputs, shape ``(n_0, m)``.
        Y: training labels, shape ``(1, m)``: 0/1 for layers ending in 1 (one
            sigmoid unit), the class indices 0..C-1 for layers ending in C >= 3 (softmax).
        X_test: optional test inputs, shape ``(n_0, m_test)``.
        Y_test: optional test labels, shape ``(1, m_test)``.
        progress: optional callback, see :data:`ProgressCallback`.
        on_divergence: ``"raise"`` raises :class:`DivergenceError` if any
            model's cost becomes non-finite; ``"record"`` reports it in
            ``diverged_at`` instead.
        n_threads: threads to train on, one model per thread at a time; by
            default all the cores this process may use. Results do not depend on
            it. Use 1 inside workers that already run one per core (joblib, dask).
        on_model: optional callback, see :data:`ModelCallback`: each model's result
            as soon as it is done, so a long batch can be saved model by model.

    Returns:
        Final parameters, history and accuracies of every model.
    """
    threads = _check_threads(n_threads)
    problem = prepare(configs, X, Y, X_test, Y_test)
    batch, layers = problem.configs, problem.layers
    n_models = len(batch)
    m = problem.X.shape[1]
    weight_offsets, bias_offsets, _ = _flat_layout(layers)
    flat = _flatten(problem.initial)
    modes = _mask_modes(batch)
    rng_states = np.zeros((n_models, WORDS), dtype=np.uint64)
    for k in np.flatnonzero(modes == kernel.FRESH_MASKS):
        rng_states[k] = sfc64_words(problem.mask_rngs[k])
    batch_sizes = np.array(problem.batch_sizes, dtype=np.int64)
    batch_states = np.zeros((n_models, BUFFERED_WORDS), dtype=np.uint64)
    for k in np.flatnonzero(batch_sizes < m):
        batch_states[k] = sfc64_buffered_words(problem.batch_rngs[k])
    uniforms = (
        np.ascontiguousarray(np.concatenate(course_uniforms(layers[1:-1], m)))
        if np.any(modes == kernel.COURSE_MASKS) and len(layers) > 2
        else np.zeros((1, 1))
    )
    has_test = problem.X_test is not None and problem.Y_test is not None
    X_test_array = problem.X_test if problem.X_test is not None else np.zeros((layers[0], 1))
    Y_test_array = problem.Y_test if problem.Y_test is not None else np.zeros((1, 1))

    recorded = problem.recorded
    cost = np.empty((n_models, recorded.size + 1))  # the last column: the final cost
    train_acc = np.empty((n_models, recorded.size + 1))
    test_acc = np.empty((n_models, recorded.size + 1))
    blas = blas_layers(layers)
    plan = kernel.layer_plan(layers, blas)
    keep_prob = np.array([c.keep_prob for c in batch], dtype=np.float64)
    layout = kernel.Layout(
        layers=np.array(layers, dtype=np.int64),
        weight_offsets=weight_offsets,
        bias_offsets=bias_offsets,
        plan=plan,
        head=head_of(layers),
        iterations=problem.iterations,
        record_every=problem.record_every,
    )
    data = kernel.Data(
        X=problem.X,
        Y=problem.Y,
        X_test=X_test_array,
        Y_test=Y_test_array,
        has_test=has_test,
        course_uniforms=uniforms,
        # Mini-batches gather examples: one contiguous row each (inputs, then the label).
        examples=_examples(problem.X, problem.Y)
        if any(
            size < m and split is None
            for size, split in zip(batch_sizes, problem.splits, strict=True)
        )
        else np.zeros((1, 1)),
        X_validation=np.zeros((layers[0], 1)),
        Y_validation=np.zeros((1, 1)),
    )

    def model_data(k: int) -> kernel.Data:
        """The data model k trains on: the batch's, or with early stopping its own split."""
        split = problem.splits[k]
        if split is None:
            return data
        X_k = np.ascontiguousarray(problem.X[:, split.train])
        Y_k = np.ascontiguousarray(problem.Y[:, split.train])
        return data._replace(
            X=X_k,
            Y=Y_k,
            course_uniforms=np.ascontiguousarray(uniforms[:, split.train])
            if modes[k] == kernel.COURSE_MASKS and len(layers) > 2
            else uniforms,
            examples=_examples(X_k, Y_k) if batch_sizes[k] < split.train.size else data.examples,
            X_validation=np.ascontiguousarray(problem.X[:, split.validation]),
            Y_validation=np.ascontiguousarray(problem.Y[:, split.validation]),
        )

    settings = kernel.Settings(
        l2=np.array([c.l2 for c in batch], dtype=np.float64),
        l1=np.array([c.l1 for c in batch], dtype=np.float64),
        learning_rate=np.array([c.learning_rate for c in batch], dtype=np.float64),
        keep_prob=keep_prob,
        # The dropout scale, kept out of compiled code (see kernel._dropped); exactly 1
        # without dropout, as the kernel's backward passes multiply by it in every mode.
        keep_scale=np.where(modes == kernel.NO_DROPOUT, 1.0, 1.0 / keep_prob),
        modes=modes,
        update_rules=np.array([kernel.UPDATE_RULES[c.optimizer] for c in batch], dtype=np.int64),
        beta1=np.array([c.beta1 for c in batch], dtype=np.float64),
        beta2=np.array([c.beta2 for c in batch], dtype=np.float64),
        epsilon=np.array([c.epsilon for c in batch], dtype=np.float64),
        rng_states=rng_states,
        batch_sizes=batch_sizes,
        batch_states=batch_states,
        patience=np.array([c.patience if c.early_stopping else 0 for c in batch], dtype=np.int64),
    )
    early = any(c.early_stopping for c in batch)
    records = kernel.Records(
        cost=cost,
        train_accuracy=train_acc,
        test_accuracy=test_acc,
        validation_cost=np.full((n_models, recorded.size), np.nan),
        stopped_at=np.full(n_models, -1, dtype=np.int64),
        best_iteration=np.full(n_models, -1, dtype=np.int64),
    )

    def stops(models: range) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
        """``stopped_at`` and ``best_iteration`` of ``models``, None where the kernel wrote -1."""
        return (
            tuple(
                int(records.stopped_at[k]) if records.stopped_at[k] >= 0 else None for k in models
            ),
            tuple(
                int(records.best_iteration[k]) if records.best_iteration[k] >= 0 else None
                for k in models
            ),
        )

    iterations = problem.iterations
    done = np.zeros(n_models, dtype=np.int64)  # per model, written by the kernel
    reported = 0

    def report() -> None:
        nonlocal reported
        mean_done = int(done.sum()) // n_models
        if progress is not None and mean_done > reported:
            reported = mean_done
            progress(mean_done, iterations)

    def hand_over(k: int) -> None:
        if on_model is None:
            return
        params = _unflatten(flat[k : k + 1], layers)
        history = History(
            recorded,
            cost[k : k + 1, :-1].copy(),
            train_acc[k : k + 1, :-1].copy(),
            test_acc[k : k + 1, :-1].copy() if has_test else None,
            records.validation_cost[k : k + 1].copy() if early else None,
        )
        stopped_at, best_iteration = stops(range(k, k + 1))
        on_model(
            k,
            TrainedModels(
                configs=(batch[k],),
                parameters=params,
                history=history,
                train_accuracy=train_acc[k : k + 1, -1].copy(),
                test_accuracy=test_acc[k : k + 1, -1].copy() if has_test else None,
                final_cost=cost[k : k + 1, -1].copy(),
                diverged_at=(_diverged_at(history, params, 0, iterations, stopped_at[0]),),
                stopped_at=stopped_at,
                best_iteration=best_iteration,
            ),
        )

    # BLAS layers use the cores themselves: models then go one after another.
    n_workers = 1 if np.any(plan[:, 1] == kernel.GRADIENT_BLAS) else min(threads, n_models)
    run_models(
        longest_first(_relative_costs(modes)),
        n_workers,
        lambda k, cancel: kernel.train_model(
            k, cancel, done, flat, layout, model_data(k), settings, records
        ),
        report,
        finished=hand_over if on_model is not None else None,
    )
    history = History(
        recorded,
        cost[:, :-1].copy(),
        train_acc[:, :-1].copy(),
        test_acc[:, :-1].copy() if has_test else None,
        records.validation_cost.copy() if early else None,
    )
    stopped_at, best_iteration = stops(range(n_models))
    return conclude(
        problem,
        _unflatten(flat, layers),
        history,
        train_acc[:, -1].copy(),
        test_acc[:, -1].copy() if has_test else None,
        cost[:, -1].copy(),
        on_divergence,
        stopped_at,
        best_iteration,
    )


def _examples(X: FloatArray, Y: FloatArray) -> FloatArray:
    """The examples one contiguous row each, inputs then label, ``(m, n_0 + 1)``: what
    mini-batches gather from (:class:`reglab.engine.kernel.Data`)."""
    return np.ascontiguousarray(np.concatenate([X, Y]).T)
