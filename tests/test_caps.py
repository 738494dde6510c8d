"""Caps: iterations, layer widths and depth, seeds, models and memory, refused before training
in one line that states the cap (and, where one can, how to go past it)."""

from __future__ import annotations

import numpy as np
import pytest

from reglab.config import (
    MAX_ITERATIONS,
    MAX_LAYER_WIDTH,
    MAX_LAYERS,
    MAX_SEED,
    PARAMETERS,
    TrainConfig,
    check,
)
from reglab.constraints import ByteSize
from reglab.engine import train
from reglab.errors import ParameterError
from reglab.experiments.statistics import resolve_seeds
from reglab.experiments.sweep import SweepGrid
from reglab.memory import current_limit, default_limit, estimate_bytes, memory_limit

X = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0]])
Y = np.array([[0.0, 1.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    ("field", "value", "cap"),
    [
        ("iterations", MAX_ITERATIONS + 1, "1,000,000,000"),
        ("record_every", 2**63, "1,000,000,000"),
        ("seed", MAX_SEED + 1, "2**63 - 1"),
        ("layers", (2, MAX_LAYER_WIDTH + 1, 1), "each at most 100,000"),
        ("layers", (2,) * MAX_LAYERS + (1,), "at most 64 of them"),
    ],
)
def test_train_config_refuses_values_past_the_caps(field: str, value: object, cap: str) -> None:
    with pytest.raises(ParameterError) as raised:
        TrainConfig(**{field: value})  # type: ignore[arg-type]
    assert cap in str(raised.value) and f"Received: {field}=" in str(raised.value)


def test_values_at_the_caps_are_accepted() -> None:
    config = TrainConfig(
        iterations=MAX_ITERATIONS,
        seed=MAX_SEED,
        layers=(2, MAX_LAYER_WIDTH, 1),
        record_every=MAX_ITERATIONS,
    )
    assert (config.iterations, config.seed) == (MAX_ITERATIONS, MAX_SEED)


def test_minus_zero_is_stored_as_zero_everywhere() -> None:
    assert str(TrainConfig(l2=-0.0).l2) == "0.0"
    assert str(check("l2", -0.0)) == "0.0"
    grid = SweepGrid(l2=(-0.0, 1.0))
    assert [str(v) for v in grid.l2] == ["0.0", "1.0"]
    with pytest.raises(ParameterError, match="distinct values"):
        SweepGrid(l2=(0.0, -0.0))


def test_seed_lists_past_64_bits_are_refused_before_a_sweep_trains() -> None:
    with pytest.raises(ParameterError, match=r"2\*\*63 - 1"):
        resolve_seeds([1, 2**63])
    with pytest.raises(ParameterError, match=r"2\*\*63 - 1"):
        SweepGrid(seeds=(0, 99999999999999999999))


def test_the_estimate_grows_with_models_examples_and_width() -> None:
    base = estimate_bytes((2, 20, 3, 1), 1, 211, iterations=30_000, record_every=1_000)
    assert estimate_bytes((2, 20, 3, 1), 64, 211, iterations=30_000, record_every=1_000) > base
    assert estimate_bytes((2, 20, 3, 1), 1, 21_100, iterations=30_000, record_every=1_000) > base
    assert estimate_bytes((2, 200, 3, 1), 1, 211, iterations=30_000, record_every=1_000) > base
    assert estimate_bytes((2, 20, 3, 1), 1, 211, iterations=30_000, record_every=1) > base
    # 2-100000-100000-1: the 10^10 weights alone are 80 GB, three copies
    assert estimate_bytes((2, 100_000, 100_000, 1), 1, 211) > 3 * 8 * 10**10


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 32},
        {"early_stopping": True},
        {"early_stopping": True, "batch_size": 32, "keep_prob": 0.8, "masks": "course"},
    ],
)
def test_the_estimate_bounds_mini_batches_and_early_stopping(options: dict[str, object]) -> None:
    """Their copies of the examples (rows, the permutation, each model's split) are counted."""
    import tracemalloc

    rng = np.random.default_rng(0)
    m = 20_000
    X_train = rng.normal(size=(2, m))
    y_train = (np.arange(m) % 2).reshape(1, -1).astype(float)
    configs = [
        TrainConfig(seed=k, init="he", iterations=20, record_every=10, **options) for k in range(2)
    ]
    train(configs[:1], X_train, y_train)  # the kernel loaded before tracing
    tracemalloc.start()
    try:
        train(configs, X_train, y_train)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = estimate_bytes(
        (2, 20, 3, 1),
        2,
        m,
        iterations=20,
        record_every=10,
        threads=2,
        batching="batch_size" in options,
        early_stopping="early_stopping" in options,
    )
    assert peak <= estimate


def test_the_engine_refuses_a_call_past_the_memory_cap_before_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        pytest.fail("training started")

    monkeypatch.setattr("reglab.engine.training.run_models", never)
    with memory_limit(1 << 20), pytest.raises(ParameterError) as raised:
        train([TrainConfig(layers=(2, 400, 400, 1), iterations=1)], X, Y)
    message = str(raised.value)
    assert message.startswith("memory must be at most the cap of 1.0M")
    assert "--max-memory" in message and "layers 2,400,400,1" in message


def test_memory_limit_is_scoped_and_checked() -> None:
    assert current_limit() == default_limit()
    with memory_limit(1 << 30):
        assert current_limit() == 1 << 30
    assert current_limit() == default_limit()
    with pytest.raises(ParameterError, match="max_memory must be"):
        memory_limit(5).__enter__()


@pytest.mark.parametrize(
    ("text", "size"),
    [("512M", 512 << 20), ("8G", 8 << 30), ("1.5T", 3 << 39), ("8GiB", 8 << 30), ("2048", 2048)],
)
def test_sizes_are_read_as_people_write_them(text: str, size: int) -> None:
    rule = PARAMETERS["max_memory"]
    assert isinstance(rule, ByteSize) and rule.parse(text) == size


@pytest.mark.parametrize(
    ("layers", "n_models", "record_every"), [((2, 20, 3, 1), 2_000, 1), ((2, 300, 300, 1), 4, 1)]
)
def test_the_estimate_bounds_what_a_call_allocates(
    layers: tuple[int, ...], n_models: int, record_every: int
) -> None:
    """The cap refuses on the estimate: it must not be below what NumPy allocates (traced)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(size=(2, 211)), rng.normal(size=(2, 200))
    y_train = (np.arange(211) % 2).reshape(1, -1).astype(float)
    y_test = (np.arange(200) % 2).reshape(1, -1).astype(float)
    configs = [
        TrainConfig(layers=layers, seed=k, init="lecun", iterations=20, record_every=record_every)
        for k in range(n_models)
    ]
    train(configs[:1], X_train, y_train)  # the kernel loaded before tracing
    tracemalloc.start()
    try:
        train(configs, X_train, y_train, X_test, y_test)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = estimate_bytes(
        layers, n_models, 211, m_test=200, iterations=20, record_every=record_every
    )
    assert peak <= estimate
