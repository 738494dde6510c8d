"""The training loop in plain NumPy: the test oracle for the compiled kernel, nothing else.

:func:`train_reference` is :func:`reglab.engine.train` written with the
readable functions of :mod:`reglab.engine.network`, :mod:`reglab.engine.losses`,
:mod:`reglab.engine.optimizers` and :mod:`reglab.engine.dropout`, one model after
another (each a batch of one). It is what the kernel must reproduce
(tests/test_kernel.py compares them to rtol 1e-12). Mini-batch permutations are
NumPy's own (``Generator.permutation``), so the tests check the kernel's draws
against NumPy's. It is slow; no part of reglab trains with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reglab.config import TrainConfig
from reglab.engine.dropout import DropoutMasks, course_uniforms, fresh_keep
from reglab.engine.losses import cross_entropy_from_logits, l1_penalty, l2_penalty
from reglab.engine.network import Parameters, accuracy, backward, forward
from reglab.engine.optimizers import initial_state, update
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
    validation_cost = np.full((K, R), np.nan)
    final_train, final_cost = np.empty(K), np.empty(K)
    final_test = np.empty(K) if problem.X_test is not None else None
    stopped_at: list[int | None] = []
    best_iteration: list[int | None] = []
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(K):
            run = _ModelRun(problem, k)
            model = params.model(k)
            stop, best = run.train(model, cost[k], train_acc[k], validation_cost[k])
            if test_acc is not None and problem.X_test is not None and problem.Y_test is not None:
                test_acc[k] = run.test_accuracies(stop)
                final_test[k] = accuracy(model, problem.X_test, problem.Y_test)[0]  # type: ignore[index]
            for W, W_k in zip(
                params.weights + params.biases, model.weights + model.biases, strict=True
            ):
                W[k] = W_k[0]
            final_train[k] = accuracy(model, run.X, run.Y)[0]
            final_cost[k] = run.cost(model)
            stopped_at.append(stop)
            best_iteration.append(best)
    early = any(config.early_stopping for config in problem.configs)
    history = History(
        problem.recorded, cost, train_acc, test_acc, validation_cost if early else None
    )
    return conclude(
        problem,
        params,
        history,
        final_train,
        final_test,
        final_cost,
        on_divergence,
        stopped_at,
        best_iteration,
    )


@dataclass
class _ModelRun:
    """Model k's training: its data (with early stopping, its split), masks and batches."""

    problem: Problem
    k: int

    def __post_init__(self) -> None:
        problem, self.config = self.problem, self.problem.configs[self.k]
        split = problem.splits[self.k]
        columns = slice(None) if split is None else split.train
        self.X, self.Y = problem.X[:, columns], problem.Y[:, columns]
        self.X_validation = None if split is None else problem.X[:, split.validation]
        self.Y_validation = None if split is None else problem.Y[:, split.validation]
        hidden = problem.layers[1:-1]
        # Course masks are those of each example (of the whole training set).
        self.course_keep: list[BoolArray] = (
            [
                u[:, columns] < self.config.keep_prob
                for u in course_uniforms(hidden, problem.X.shape[1])
            ]
            if self.config.masks == "course" and self.config.keep_prob < 1
            else []
        )
        self.recorded_tests: list[float] = []

    def cost(
        self, model: Parameters, X: FloatArray | None = None, Y: FloatArray | None = None
    ) -> float:
        """The plain pass's mean loss on ``X`` (default: the training examples) plus the
        training cost's penalties (m: the training examples)."""
        X = self.X if X is None else X
        Y = self.Y if Y is None else Y
        m = self.X.shape[1]
        l2, l1 = np.array([self.config.l2]), np.array([self.config.l1])
        total = (
            cross_entropy_from_logits(forward(model, X).logits, Y)
            + l2_penalty(model.weights, l2, m)
            + l1_penalty(model.weights, l1, m)
        )
        return float(total[0])

    def train(
        self,
        model: Parameters,
        cost: FloatArray,
        train_acc: FloatArray,
        validation_cost: FloatArray,
    ) -> tuple[int | None, int | None]:
        """Train (``model`` updated in place), filling the records; returns ``stopped_at``
        and ``best_iteration``.

        An iteration updates on one batch: the whole training set in order (full batch),
        or the next ``batch_size`` examples of the epoch's permutation. The batch's
        gradient is its mean plus the full-data penalty gradient, so ``backward`` gets
        the penalties scaled by ``size / m`` (its ``l2/size`` is then ``l2/m``). With
        early stopping, a record's validation cost is compared with the lowest so far;
        ``patience`` records without a lower one stop training after that record's pass;
        the parameters of the lowest (the final ones too, if lower) are returned.
        """
        problem, config, X, Y = self.problem, self.config, self.X, self.Y
        m, batch = X.shape[1], problem.batch_sizes[self.k]
        l2, l1 = np.array([config.l2]), np.array([config.l1])
        hidden = problem.layers[1:-1]
        perm = np.arange(m)
        state = initial_state(model)
        constants = [
            np.array([getattr(config, name)])
            for name in ("learning_rate", "beta1", "beta2", "epsilon")
        ]
        best: tuple[float, int, Parameters] | None = None
        unimproved = 0
        self.snapshots: list[Parameters] = []
        for i in range(problem.iterations):
            columns: slice | np.ndarray = slice(None)
            if batch < m:
                position = i % -(-m // batch)
                if position == 0:
                    perm = problem.batch_rngs[self.k].permutation(m)
                columns = perm[position * batch : (position + 1) * batch]
            X_batch, Y_batch = X[:, columns], Y[:, columns]
            size = X_batch.shape[1]
            masks = _masks(
                config, problem.mask_rngs[self.k], hidden, self.course_keep, columns, size
            )
            cache = forward(model, X_batch, masks)
            stop = False
            if i % problem.record_every == 0:
                r = i // problem.record_every
                self.snapshots.append(model.copy())
                if batch < m:
                    cost[r] = self.cost(model)
                else:
                    cost[r] = (
                        cross_entropy_from_logits(cache.logits, Y)
                        + l2_penalty(model.weights, l2, m)
                        + l1_penalty(model.weights, l1, m)
                    )[0]
                train_acc[r] = accuracy(model, X, Y)[0]
                if self.X_validation is not None and self.Y_validation is not None:
                    validation_cost[r] = self.cost(model, self.X_validation, self.Y_validation)
                    if best is None or validation_cost[r] < best[0]:
                        best, unimproved = (validation_cost[r], i, model.copy()), 0
                    else:
                        unimproved += 1
                        stop = unimproved >= config.patience
            if stop:
                cost[r + 1 :] = train_acc[r + 1 :] = validation_cost[r + 1 :] = np.nan
                _restore(model, best[2] if best is not None else model)
                return i, best[1] if best is not None else None
            grads = backward(model, cache, Y_batch, l2 * (size / m), l1=l1 * (size / m))
            updated, state = update(model, grads, state, [config.optimizer], *constants)
            _restore(model, updated)
        if best is None or self.X_validation is None or self.Y_validation is None:
            return None, None
        if self.cost(model, self.X_validation, self.Y_validation) < best[0]:
            return None, problem.iterations  # the final parameters are the best
        _restore(model, best[2])
        return None, best[1]

    def test_accuracies(self, stopped_at: int | None) -> FloatArray:
        """The test accuracy of each recorded iteration's parameters (NaN after a stop)."""
        assert self.problem.X_test is not None and self.problem.Y_test is not None
        result = np.full(self.problem.recorded.size, np.nan)
        for r, snapshot in enumerate(self.snapshots):
            result[r] = accuracy(snapshot, self.problem.X_test, self.problem.Y_test)[0]
        return result


def _restore(model: Parameters, source: Parameters) -> None:
    for W, V in zip(model.weights + model.biases, source.weights + source.biases, strict=True):
        W[...] = V


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
