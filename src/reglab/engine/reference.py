"""The training loop in plain NumPy: the test oracle for the compiled kernel, nothing else.

:func:`train_reference` is :func:`reglab.engine.train` written with the
readable functions of :mod:`reglab.engine.network`, :mod:`reglab.engine.losses`
and :mod:`reglab.engine.dropout`, one model after another (each a batch of one).
It is what the kernel must reproduce (tests/test_kernel.py compares them to
rtol 1e-12). Mini-batch permutations are NumPy's own
(``Generator.permutation``), so the tests check the kernel's draws against
NumPy's. It is slow; no part of reglab trains with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from reglab.config import TrainConfig
from reglab.engine.dropout import DropoutMasks, course_uniforms, fresh_keep
from reglab.engine.losses import cross_entropy_from_logits, l1_penalty, l2_penalty
from reglab.engine.network import Parameters, accuracy, backward, forward
from reglab.engine.training import History, Problem, TrainedModels, conclude, prepare
from reglab.types import BoolArray, FloatArray


def train_reference(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray | None = None,
    Y_test: FloatArray | None = None,
    *,
    on_divergence: Literal["raise", "record"] = "raise",
) -> TrainedModels:
    """Same arguments and result as :func:`reglab.engine.train` (without progress or threads)."""
    problem = prepare(configs, X, Y, X_test, Y_test)
    K, R = len(problem.configs), problem.recorded.size
    params = problem.initial.copy()
    cost, train_acc = np.empty((K, R)), np.empty((K, R))
    test_acc = np.empty((K, R)) if problem.X_test is not None else None
    final_train, final_cost = np.empty(K), np.empty(K)
    final_test = np.empty(K) if problem.X_test is not None else None
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(K):
            model = params.model(k)
            _train_model(problem, k, model, cost[k], train_acc[k], test_acc, final_train)
            for W, W_k in zip(
                params.weights + params.biases, model.weights + model.biases, strict=True
            ):
                W[k] = W_k[0]
            final_cost[k] = _full_cost(problem, k, model)
            if final_test is not None and problem.X_test is not None and problem.Y_test is not None:
                final_test[k] = accuracy(model, problem.X_test, problem.Y_test)[0]
    history = History(problem.recorded, cost, train_acc, test_acc)
    return conclude(problem, params, history, final_train, final_test, final_cost, on_divergence)


def _full_cost(problem: Problem, k: int, model: Parameters) -> float:
    """Model k's cost on the whole training set, plain pass (no dropout), with its penalties."""
    config, m = problem.configs[k], problem.X.shape[1]
    l2, l1 = np.array([config.l2]), np.array([config.l1])
    total = (
        cross_entropy_from_logits(forward(model, problem.X).logits, problem.Y)
        + l2_penalty(model.weights, l2, m)
        + l1_penalty(model.weights, l1, m)
    )
    return float(total[0])


def _train_model(
    problem: Problem,
    k: int,
    model: Parameters,
    cost: FloatArray,
    train_acc: FloatArray,
    test_acc: FloatArray | None,
    final_train: FloatArray,
) -> None:
    """Train model k (a batch of one, updated in place), filling its row of the records.

    An iteration updates on one batch: the whole training set in order (full batch), or
    the next ``batch_size`` examples of the epoch's permutation. The batch's gradient is
    its mean plus the full-data penalty gradient, so ``backward`` gets the penalties
    scaled by ``size / m`` (its ``l2/size`` is then ``l2/m``).
    """
    config, X, Y = problem.configs[k], problem.X, problem.Y
    m, batch = X.shape[1], problem.batch_sizes[k]
    l2, l1 = np.array([config.l2]), np.array([config.l1])
    hidden = problem.layers[1:-1]
    course_keep: list[BoolArray] = (
        [u < config.keep_prob for u in course_uniforms(hidden, m)]
        if config.masks == "course" and config.keep_prob < 1
        else []
    )
    perm = np.arange(m)
    for i in range(problem.iterations):
        columns: slice | np.ndarray = slice(None)
        if batch < m:
            position = i % -(-m // batch)
            if position == 0:
                perm = problem.batch_rngs[k].permutation(m)
            columns = perm[position * batch : (position + 1) * batch]
        X_batch, Y_batch = X[:, columns], Y[:, columns]
        size = X_batch.shape[1]
        masks = _masks(config, problem.mask_rngs[k], hidden, course_keep, columns, size)
        cache = forward(model, X_batch, masks)
        if i % problem.record_every == 0:
            r = i // problem.record_every
            if batch < m:
                cost[r] = _full_cost(problem, k, model)
            else:
                cost[r] = (
                    cross_entropy_from_logits(cache.logits, Y)
                    + l2_penalty(model.weights, l2, m)
                    + l1_penalty(model.weights, l1, m)
                )[0]
            train_acc[r] = accuracy(model, X, Y)[0]
            if test_acc is not None and problem.X_test is not None and problem.Y_test is not None:
                test_acc[k, r] = accuracy(model, problem.X_test, problem.Y_test)[0]
        grads = backward(model, cache, Y_batch, l2 * (size / m), l1=l1 * (size / m))
        for W, dW in zip(model.weights, grads.weights, strict=True):
            W -= config.learning_rate * dW
        for b, db in zip(model.biases, grads.biases, strict=True):
            b -= config.learning_rate * db
    final_train[k] = accuracy(model, X, Y)[0]


def _masks(
    config: TrainConfig,
    rng: np.random.Generator,
    hidden: Sequence[int],
    course_keep: list[BoolArray],
    columns: slice | np.ndarray,
    size: int,
) -> DropoutMasks | None:
    """One iteration's masks for the batch's ``size`` examples: fresh ones drawn for them
    (layer by layer), course ones those of the examples (``columns``), or None."""
    if config.keep_prob == 1:
        return None
    if config.masks == "course":
        keep = [layer[:, columns][None] for layer in course_keep]
    else:
        keep = [fresh_keep(rng, (n, size), config.keep_prob)[None] for n in hidden]
    return DropoutMasks(keep, np.array([config.keep_prob]))
