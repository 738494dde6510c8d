"""Full-batch gradient descent for K configurations of one architecture at once.

:func:`train` is the one training loop in reglab: the exercise's three models,
seed studies and sweeps all call it with a batch of :class:`TrainConfig`.
Each configuration owns a ``numpy.random.Generator`` seeded from its ``seed``
(two independent streams: initialization and dropout masks), so a model's
result does not depend on the batch it was trained in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from reglab.config import TrainConfig
from reglab.engine.dropout import MaskSampler
from reglab.engine.initializers import initialize
from reglab.engine.losses import cross_entropy_from_logits, l2_penalty
from reglab.engine.network import Parameters, accuracy, backward, forward
from reglab.errors import DataError, DivergenceError, ParameterError
from reglab.types import FloatArray

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(iterations_done, iterations_total)`` during training."""

PROGRESS_EVERY = 100


@dataclass(frozen=True)
class History:
    """What was recorded every ``record_every`` iterations (before that iteration's update).

    Attributes:
        iterations: the recorded iterations ``0, record_every, ...``, shape ``(R,)``.
        cost: training cost (on the dropped-out pass when dropout is on, plus
            any L2 term), shape ``(K, R)``.
        train_accuracy: accuracy on the training set without dropout, ``(K, R)``.
        test_accuracy: accuracy on the test set, ``(K, R)``, or None without one.
    """

    iterations: NDArray[np.int64]
    cost: FloatArray
    train_accuracy: FloatArray
    test_accuracy: FloatArray | None


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
    """

    configs: tuple[TrainConfig, ...]
    parameters: Parameters
    history: History
    train_accuracy: FloatArray
    test_accuracy: FloatArray | None
    diverged_at: tuple[int | None, ...]

    def __len__(self) -> int:
        return len(self.configs)


def _check_arrays(
    X: FloatArray, Y: FloatArray, n_features: int, role: str
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
    if not np.all((Y == 0) | (Y == 1)):
        others = sorted(set(Y.ravel().tolist()) - {0.0, 1.0})[:5]
        raise DataError(f"{role} labels must be 0 or 1. Received: values {others}")
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


def _generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    init_seed, mask_seed = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_seed), np.random.default_rng(mask_seed)


def _divergence_message(k: int, config: TrainConfig, iteration: int) -> str:
    return (
        f"model {k} diverged: its cost was not finite by iteration {iteration} "
        f"(learning_rate={config.learning_rate}, l2={config.l2}, keep_prob={config.keep_prob}). "
        "Try a smaller learning_rate."
    )


def train(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray | None = None,
    Y_test: FloatArray | None = None,
    *,
    progress: ProgressCallback | None = None,
    on_divergence: Literal["raise", "record"] = "raise",
) -> TrainedModels:
    """Train K configurations of one architecture together by full-batch gradient descent.

    Args:
        configs: the configurations; they must share ``layers``, ``iterations``
            and ``record_every``.
        X: training inputs, shape ``(n_0, m)``.
        Y: training labels in {0, 1}, shape ``(1, m)``.
        X_test: optional test inputs, shape ``(n_0, m_test)``.
        Y_test: optional test labels, shape ``(1, m_test)``.
        progress: optional callback, see :data:`ProgressCallback`.
        on_divergence: ``"raise"`` raises :class:`DivergenceError` if any
            model's cost becomes non-finite; ``"record"`` reports it in
            ``diverged_at`` instead.

    Returns:
        Final parameters, history and accuracies of every model.
    """
    batch = _check_batch(configs)
    layers, iterations, record_every = batch[0].architecture
    X, Y = _check_arrays(X, Y, layers[0], "training")
    has_test = X_test is not None or Y_test is not None
    if has_test:
        if X_test is None or Y_test is None:
            raise DataError("test inputs and test labels must be given together")
        X_test, Y_test = _check_arrays(X_test, Y_test, layers[0], "test")
    m = X.shape[1]

    streams = [_generators(config.seed) for config in batch]
    params = Parameters.stack(
        [
            initialize(layers, config.init, rng=init_rng)
            for config, (init_rng, _) in zip(batch, streams, strict=True)
        ]
    )
    l2 = np.array([c.l2 for c in batch])
    learning_rate = np.array([c.learning_rate for c in batch]).reshape(-1, 1, 1)
    sampler = MaskSampler(
        [c.keep_prob for c in batch],
        [c.masks for c in batch],
        [mask_rng for _, mask_rng in streams],
        layers[1:-1],
        m,
    )

    recorded = np.arange(0, iterations, record_every, dtype=np.int64)
    cost = np.empty((len(batch), recorded.size))
    train_acc = np.empty_like(cost)
    test_acc = np.empty_like(cost) if has_test else None

    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(iterations):
            cache = forward(params, X, sampler.sample())
            if i % record_every == 0:
                r = i // record_every
                cost[:, r] = cross_entropy_from_logits(cache.logits, Y) + l2_penalty(
                    params.weights, l2, m
                )
                train_acc[:, r] = accuracy(params, X, Y)
                if test_acc is not None and X_test is not None and Y_test is not None:
                    test_acc[:, r] = accuracy(params, X_test, Y_test)
            grads = backward(params, cache, Y, l2)
            for W, dW in zip(params.weights, grads.weights, strict=True):
                W -= learning_rate * dW
            for b, db in zip(params.biases, grads.biases, strict=True):
                b -= learning_rate * db
            if progress is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == iterations):
                progress(i + 1, iterations)
        final_train = accuracy(params, X, Y)
        final_test = (
            accuracy(params, X_test, Y_test) if X_test is not None and Y_test is not None else None
        )

    diverged_at: list[int | None] = []
    for k in range(len(batch)):
        bad = np.flatnonzero(~np.isfinite(cost[k]))
        finite_params = all(np.all(np.isfinite(W[k])) for W in params.weights)
        diverged_at.append(
            int(recorded[bad[0]]) if bad.size else (None if finite_params else iterations)
        )
    if on_divergence == "raise":
        for k, at in enumerate(diverged_at):
            if at is not None:
                raise DivergenceError(_divergence_message(k, batch[k], at))

    return TrainedModels(
        configs=batch,
        parameters=params,
        history=History(recorded, cost, train_acc, test_acc),
        train_accuracy=final_train,
        test_accuracy=final_test,
        diverged_at=tuple(diverged_at),
    )
