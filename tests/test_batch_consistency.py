"""K configurations trained together equal each one trained alone.

A model's result must not depend on the batch it shares: each configuration owns
its generators, models with keep_prob == 1 draw nothing, and the stacked math is
the same per model. Checked on costs, parameters and accuracies, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reglab import engine
from reglab.config import TrainConfig
from reglab.engine import TrainedModels

LAYERS = (2, 7, 3, 1)
ITERATIONS = 60
RECORD_EVERY = 10


def _config(**fields: object) -> TrainConfig:
    base = {"layers": LAYERS, "iterations": ITERATIONS, "record_every": RECORD_EVERY}
    return TrainConfig(**{**base, **fields})  # type: ignore[arg-type]


MIXED = (
    _config(),
    _config(l2=0.7),
    _config(keep_prob=0.86, masks="course"),
    _config(keep_prob=0.7, masks="fresh", seed=4, learning_rate=0.1),
    _config(l2=0.3, keep_prob=0.8, seed=5, init="he", learning_rate=0.5),
    _config(l2=0.05, keep_prob=0.6, masks="course", init="xavier", seed=6),
    _config(init="lecun", seed=7, learning_rate=0.05),
    _config(keep_prob=0.7, masks="fresh", seed=4, init="he"),
)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(2, 70))
    Y = (np.sin(2 * X[0:1]) + X[1:2] + 0.3 * rng.normal(size=(1, 70)) > 0).astype(float)
    X_test = rng.normal(size=(2, 30))
    Y_test = (np.sin(2 * X_test[0:1]) + X_test[1:2] > 0).astype(float)
    return X, Y, X_test, Y_test


def _train(configs: tuple[TrainConfig, ...], data: tuple[np.ndarray, ...]) -> TrainedModels:
    return engine.train(list(configs), *data)


def _assert_model_equals(batch: TrainedModels, k: int, alone: TrainedModels, j: int = 0) -> None:
    assert batch.configs[k] == alone.configs[j]
    np.testing.assert_array_equal(batch.history.cost[k], alone.history.cost[j])
    np.testing.assert_array_equal(batch.history.train_accuracy[k], alone.history.train_accuracy[j])
    assert batch.history.test_accuracy is not None and alone.history.test_accuracy is not None
    np.testing.assert_array_equal(batch.history.test_accuracy[k], alone.history.test_accuracy[j])
    assert batch.train_accuracy[k] == alone.train_accuracy[j]
    assert batch.test_accuracy is not None and alone.test_accuracy is not None
    assert batch.test_accuracy[k] == alone.test_accuracy[j]
    for W, W_alone in zip(batch.parameters.weights, alone.parameters.weights, strict=True):
        np.testing.assert_array_equal(W[k], W_alone[j])
    for b, b_alone in zip(batch.parameters.biases, alone.parameters.biases, strict=True):
        np.testing.assert_array_equal(b[k], b_alone[j])
    assert batch.diverged_at[k] == alone.diverged_at[j]


@pytest.fixture(scope="module")
def together(data: tuple[np.ndarray, ...]) -> TrainedModels:
    return _train(MIXED, data)


@pytest.mark.parametrize("k", range(len(MIXED)))
def test_each_model_of_a_mixed_batch_equals_it_trained_alone(
    together: TrainedModels, data: tuple[np.ndarray, ...], k: int
) -> None:
    _assert_model_equals(together, k, _train((MIXED[k],), data))


def test_the_batch_really_holds_different_models(together: TrainedModels) -> None:
    finals = together.history.cost[:, -1]
    assert len(set(finals.tolist())) == len(MIXED)
    # Same seed and settings but the init: the same fresh-mask stream, different models.
    assert not np.array_equal(together.parameters.weights[0][3], together.parameters.weights[0][7])


@settings(max_examples=10, deadline=None)
@given(order=st.permutations(range(len(MIXED))), size=st.integers(1, len(MIXED)))
def test_any_sub_batch_in_any_order_gives_the_same_models(
    together: TrainedModels, data: tuple[np.ndarray, ...], order: list[int], size: int
) -> None:
    chosen = order[:size]
    sub_batch = _train(tuple(MIXED[k] for k in chosen), data)
    for j, k in enumerate(chosen):
        _assert_model_equals(together, k, sub_batch, j)


def test_duplicated_configurations_train_identically(data: tuple[np.ndarray, ...]) -> None:
    config = _config(l2=0.2, keep_prob=0.75, seed=9, init="he")
    twice = _train((config, config), data)
    _assert_model_equals(twice, 0, twice, 1)
