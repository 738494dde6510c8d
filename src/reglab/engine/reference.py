"""The training loop in plain NumPy: the test oracle for the compiled kernel, nothing else.

:func:`train_reference` is :func:`reglab.engine.train` written with the
readable functions of :mod:`reglab.engine.network`, :mod:`reglab.engine.losses`,
:mod:`reglab.engine.optimizers` and :class:`reglab.engine.dropout.MaskSampler`,
K models stacked. It is what the kernel must reproduce (tests/test_kernel.py
compares them to rtol 1e-12). It is slow; no part of reglab trains with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from reglab.config import TrainConfig
from reglab.engine.dropout import MaskSampler
from reglab.engine.losses import cross_entropy_from_logits, l1_penalty, l2_penalty
from reglab.engine.network import accuracy, backward, forward
from reglab.engine.optimizers import initial_state, update
from reglab.engine.training import History, TrainedModels, conclude, prepare
from reglab.types import FloatArray


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
    batch = problem.configs
    X, Y = problem.X, problem.Y
    m = X.shape[1]
    params = problem.initial.copy()
    l2 = np.array([c.l2 for c in batch])
    l1 = np.array([c.l1 for c in batch])
    rules = [c.optimizer for c in batch]
    constants = [
        np.array([getattr(c, name) for c in batch])
        for name in ("learning_rate", "beta1", "beta2", "epsilon")
    ]
    state = initial_state(params)
    sampler = MaskSampler(
        [c.keep_prob for c in batch],
        [c.masks for c in batch],
        problem.mask_rngs,
        problem.layers[1:-1],
        m,
    )
    recorded = problem.recorded
    cost = np.empty((len(batch), recorded.size))
    train_acc = np.empty_like(cost)
    test_acc = np.empty_like(cost) if problem.X_test is not None else None

    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(problem.iterations):
            cache = forward(params, X, sampler.sample())
            if i % problem.record_every == 0:
                r = i // problem.record_every
                cost[:, r] = (
                    cross_entropy_from_logits(cache.logits, Y)
                    + l2_penalty(params.weights, l2, m)
                    + l1_penalty(params.weights, l1, m)
                )
                train_acc[:, r] = accuracy(params, X, Y)
                if (
                    test_acc is not None
                    and problem.X_test is not None
                    and problem.Y_test is not None
                ):
                    test_acc[:, r] = accuracy(params, problem.X_test, problem.Y_test)
            grads = backward(params, cache, Y, l2, l1=l1)
            params, state = update(params, grads, state, rules, *constants)
        final_train = accuracy(params, X, Y)
        final_test = (
            accuracy(params, problem.X_test, problem.Y_test)
            if problem.X_test is not None and problem.Y_test is not None
            else None
        )
        final_cost = (
            cross_entropy_from_logits(forward(params, X).logits, Y)
            + l2_penalty(params.weights, l2, m)
            + l1_penalty(params.weights, l1, m)
        )
    history = History(recorded, cost, train_acc, test_acc)
    return conclude(problem, params, history, final_train, final_test, final_cost, on_divergence)
