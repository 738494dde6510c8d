"""The engine hands back each model as soon as it is trained, with the batch's own numbers.

Sweeps save a cell when its last model comes back, not when its whole engine call
returns: these tests hold the engine to that (every model once, in the caller's
thread, while the call is still running) and to the rule that no number depends on
how a model came back (alone, in its batch, from a remote chunk).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from reglab import engine
from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.engine import TrainedModels
from reglab.engine.training import run_models
from reglab.experiments import backends
from reglab.experiments.backends import ChunkOutcome, outcome_of, plan_chunks, run_chunks
from reglab.experiments.sweep import SweepCell, SweepGrid

LAYERS = (2, 9, 4, 1)


def _config(**fields: object) -> TrainConfig:
    base = {"layers": LAYERS, "iterations": 400, "record_every": 100}
    return TrainConfig(**{**base, **fields})  # type: ignore[arg-type]


BATCH = (
    _config(),
    _config(l2=0.7, seed=1),
    _config(keep_prob=0.86, masks="course", seed=2),
    _config(keep_prob=0.7, masks="fresh", seed=3, learning_rate=0.1),
    _config(l2=0.3, keep_prob=0.8, seed=4, init="he"),
    _config(learning_rate=1e200, seed=5),  # diverges: recorded in the model handed back too
)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


def _train(moons: Dataset, **kwargs: object) -> TrainedModels:
    return engine.train(
        list(BATCH),
        moons.X_train,
        moons.y_train,
        moons.X_test,
        moons.y_test,
        on_divergence="record",
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("n_threads", [1, 2])
def test_each_model_comes_back_once_in_the_callers_thread_equal_to_its_batch_row(
    moons: Dataset, n_threads: int
) -> None:
    handed: dict[int, TrainedModels] = {}
    threads: set[int] = set()

    def on_model(k: int, model: TrainedModels) -> None:
        assert k not in handed
        handed[k] = model
        threads.add(threading.get_ident())

    batch = _train(moons, n_threads=n_threads, on_model=on_model)
    assert sorted(handed) == list(range(len(BATCH)))
    assert threads == {threading.get_ident()}
    assert batch.diverged_at[5] is not None
    for k, model in handed.items():
        assert model.configs == (BATCH[k],)
        assert model.diverged_at == (batch.diverged_at[k],)
        np.testing.assert_array_equal(model.train_accuracy, batch.train_accuracy[k : k + 1])
        assert model.test_accuracy is not None and batch.test_accuracy is not None
        np.testing.assert_array_equal(model.test_accuracy, batch.test_accuracy[k : k + 1])
        np.testing.assert_array_equal(model.history.cost, batch.history.cost[k : k + 1])
        np.testing.assert_array_equal(model.final_cost, batch.final_cost[k : k + 1])
        for W, W_batch in zip(model.parameters.weights, batch.parameters.weights, strict=True):
            np.testing.assert_array_equal(W, W_batch[k : k + 1])
        for b, b_batch in zip(model.parameters.biases, batch.parameters.biases, strict=True):
            np.testing.assert_array_equal(b, b_batch[k : k + 1])


def test_models_come_back_while_the_call_runs() -> None:
    """Model 0 is handed back while model 1 is still training: model 1 waits for that
    hand-over, so the call could not end (nor model 1 finish) before it."""
    handed_over = threading.Event()
    order: list[str] = []

    def train_model(k: int, cancel: np.ndarray) -> None:
        if k == 1:
            assert handed_over.wait(timeout=30), "model 0 was not handed back while 1 ran"
        order.append(f"trained {k}")

    def finished(k: int) -> None:
        order.append(f"handed {k}")
        if k == 0:
            handed_over.set()

    run_models([0, 1], 2, train_model, report=lambda: None, finished=finished)
    assert order == ["trained 0", "handed 0", "trained 1", "handed 1"]


def test_a_cancelled_model_is_not_handed_back() -> None:
    finished: list[int] = []

    def train_model(k: int, cancel: np.ndarray) -> None:
        if k == 1:
            cancel[0] = 1  # as an interruption does: model 1 stopped part-way

    run_models([0, 1, 2], 1, train_model, report=lambda: None, finished=finished.append)
    assert finished == [0]


def _outcomes_equal(a: ChunkOutcome, b: ChunkOutcome) -> None:
    np.testing.assert_array_equal(a.train_accuracy, b.train_accuracy)
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
    np.testing.assert_array_equal(a.final_cost, b.final_cost)
    np.testing.assert_array_equal(a.diverged, b.diverged)


def test_outcomes_handed_back_one_by_one_equal_the_whole_chunks(moons: Dataset) -> None:
    # Locally each model comes back alone; remote chunks come back whole. Same numbers.
    configs = list(BATCH)
    alone: dict[int, ChunkOutcome] = {}

    def on_done(indices: list[int], outcome: ChunkOutcome) -> None:
        assert len(indices) == 1
        alone[indices[0]] = outcome

    run_chunks(configs, [[0, 1, 2, 3, 4, 5]], moons, on_done=on_done)  # type: ignore[arg-type]
    whole = outcome_of(_train(moons), moons.X_train, moons.y_train)
    assert whole.diverged[5]
    for k in range(len(configs)):
        one = alone[k]
        _outcomes_equal(
            one,
            ChunkOutcome(
                whole.train_accuracy[k : k + 1],
                whole.test_accuracy[k : k + 1],
                whole.final_cost[k : k + 1],
                whole.diverged[k : k + 1],
            ),
        )


def test_remote_chunks_never_mix_two_cells_local_ones_fill_up() -> None:
    grid = SweepGrid(l2=(0.0, 0.1, 0.7), keep_prob=(1.0, 0.8), seeds=3, iterations=100)
    configs = [cell.config(seed) for cell in grid.cells() for seed in grid.seed_list]
    local = plan_chunks(configs, 64, backend="local", unit=SweepCell.of)
    assert local == [list(range(18))]
    for backend in ("joblib", "dask", "ray"):
        remote = plan_chunks(configs, 64, backend=backend, unit=SweepCell.of)  # type: ignore[arg-type]
        assert remote == [list(range(start, start + 3)) for start in range(0, 18, 3)]
        cut = plan_chunks(configs, 2, backend=backend, unit=SweepCell.of)  # type: ignore[arg-type]
        assert all(len({SweepCell.of(configs[i]) for i in chunk}) == 1 for chunk in cut)
        assert sorted(i for chunk in cut for i in chunk) == list(range(18))
    assert backends.DEFAULT_CHUNK_SIZE == 64
