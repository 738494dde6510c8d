"""Mini-batch gradient descent: the kernel against the NumPy reference and NumPy's own draws.

The reference takes its permutations from ``Generator.permutation``; the kernel draws
them itself (:func:`reglab.engine.kernel_random.sfc64_permutation`). They must agree to
rtol 1e-12 on batch sizes that divide m and do not, 1, and above m (clamped to m), with
L2, L1 and both dropout modes; ``batch_size = m`` must be the full batch bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from reglab.config import TrainConfig
from reglab.engine import train
from reglab.engine.kernel_random import (
    BUFFERED_WORDS,
    set_sfc64_buffered_words,
    sfc64_buffered_words,
    sfc64_permutation,
)
from reglab.engine.reference import train_reference
from reglab.engine.training import model_generators, prepare
from reglab.errors import ParameterError
from test_kernel import SHORT, _assert_same, _data


@pytest.mark.parametrize("m", [1, 2, 3, 17, 256, 1000, 65_537])
def test_the_kernels_permutations_are_numpys(m: int) -> None:
    rng = np.random.Generator(np.random.SFC64(m))
    words = sfc64_buffered_words(rng)
    assert words.shape == (BUFFERED_WORDS,)
    for _ in range(3):  # successive epochs: NumPy's buffered half-output carries over
        perm = np.empty(m, dtype=np.int64)
        sfc64_permutation(words, perm)
        np.testing.assert_array_equal(perm, rng.permutation(m))
        np.testing.assert_array_equal(words, sfc64_buffered_words(rng))


def test_buffered_words_round_trip() -> None:
    rng = np.random.Generator(np.random.SFC64(3))
    rng.permutation(5)  # leaves a buffered 32-bit half
    words = sfc64_buffered_words(rng)
    other = np.random.Generator(np.random.SFC64(4))
    set_sfc64_buffered_words(other, words)
    np.testing.assert_array_equal(other.permutation(100), rng.permutation(100))


def test_the_batch_stream_is_a_third_child_of_the_seed() -> None:
    streams = model_generators(7)
    init, masks = (
        np.random.default_rng(child) for child in np.random.SeedSequence(7).spawn(2)
    )  # the first two children are those of reglab before mini-batches
    assert streams.init.random() == init.random()
    child = np.random.SeedSequence(7).spawn(4)[2]
    assert streams.batches.permutation(50).tolist() == (
        np.random.Generator(np.random.SFC64(child)).permutation(50).tolist()
    )
    assert streams.masks.bit_generator.state["bit_generator"] == "SFC64"
    assert masks is not None


MINI: dict[str, list[TrainConfig]] = {
    "divides m": [TrainConfig(batch_size=32, **SHORT)],  # m = 224 below: 7 batches
    "remainder": [TrainConfig(batch_size=50, l2=0.4, **SHORT)],
    "one example": [TrainConfig(batch_size=1, learning_rate=0.05, **SHORT)],
    "above m": [TrainConfig(batch_size=10_000, l1=0.2, **SHORT)],
    "fresh dropout": [TrainConfig(batch_size=40, keep_prob=0.8, seed=3, **SHORT)],
    "course dropout": [TrainConfig(batch_size=48, keep_prob=0.7, masks="course", **SHORT)],
    "elastic net + fresh dropout": [
        TrainConfig(batch_size=33, l1=0.3, l2=0.5, keep_prob=0.75, seed=9, init="he", **SHORT)
    ],
    "mixed sizes in one batch": [
        TrainConfig(**SHORT),
        TrainConfig(batch_size=7, seed=1, init="lecun", **SHORT),
        TrainConfig(batch_size=100, keep_prob=0.86, masks="course", l2=0.2, **SHORT),
        TrainConfig(batch_size=224, keep_prob=0.9, seed=2, **SHORT),
        TrainConfig(batch_size=64, keep_prob=0.6, seed=3, l1=0.1, **SHORT),
    ],
}


@pytest.mark.parametrize("name", sorted(MINI))
@pytest.mark.parametrize("m", [224, 225])
def test_mini_batches_match_the_reference(name: str, m: int) -> None:
    X, Y, X_test, Y_test = _data(m, seed=m)
    configs = MINI[name]
    result = train(configs, X, Y, X_test, Y_test)
    _assert_same(result, train_reference(configs, X, Y, X_test, Y_test))
    assert np.all(np.isfinite(result.history.cost))
    assert np.all(np.diff(result.history.cost[-1]) != 0)  # it did train


@pytest.mark.parametrize(
    "layers", [(2, 1), (3, 8, 1), (2, 9, 4, 2, 1), (2, 5, 5, 5, 5, 1), (1, 7, 3, 1)]
)
@pytest.mark.parametrize("batch_size", [1, 5, 300])
def test_mini_batches_match_the_reference_for_depths(
    layers: tuple[int, ...], batch_size: int
) -> None:
    X, Y, X_test, Y_test = _data(601, n_features=layers[0], seed=batch_size)
    settings = {"layers": layers, "iterations": 9, "record_every": 4, "batch_size": batch_size}
    configs = [
        TrainConfig(**settings),
        TrainConfig(l2=0.5, keep_prob=0.75, seed=3, init="he", **settings),
        TrainConfig(keep_prob=0.6, masks="course", **settings),
    ]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


def test_mini_batches_on_blas_layers_match_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from reglab.engine import kernel_plan

    monkeypatch.setattr(kernel_plan, "BLAS_MIN_WIDTH", 5)
    X, Y, X_test, Y_test = _data(101, n_features=3, seed=1)
    settings = {"layers": (3, 8, 6, 4, 1), "iterations": 11, "record_every": 3}
    configs = [
        TrainConfig(batch_size=30, **settings),
        TrainConfig(batch_size=30, l2=0.3, keep_prob=0.8, seed=1, init="he", **settings),
        TrainConfig(batch_size=16, keep_prob=0.7, masks="course", **settings),
    ]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


@pytest.mark.parametrize(
    "extra",
    [{}, {"l2": 0.7}, {"keep_prob": 0.8, "seed": 4}, {"keep_prob": 0.86, "masks": "course"}],
)
def test_a_batch_of_all_m_examples_is_the_full_batch_bit_for_bit(extra: dict[str, object]) -> None:
    X, Y, X_test, Y_test = _data(211)
    full = train([TrainConfig(**SHORT, **extra)], X, Y, X_test, Y_test)  # type: ignore[arg-type]
    for size in (211, 212, 5000):
        whole = train(
            [TrainConfig(batch_size=size, **SHORT, **extra)],  # type: ignore[arg-type]
            X,
            Y,
            X_test,
            Y_test,
        )
        np.testing.assert_array_equal(whole.history.cost, full.history.cost)
        np.testing.assert_array_equal(whole.final_cost, full.final_cost)
        for mine, theirs in zip(
            whole.parameters.weights + whole.parameters.biases,
            full.parameters.weights + full.parameters.biases,
            strict=True,
        ):
            np.testing.assert_array_equal(mine, theirs)


def test_a_models_result_does_not_depend_on_its_batch_of_models() -> None:
    X, Y, _, _ = _data(300)
    alone = train([TrainConfig(batch_size=16, keep_prob=0.8, seed=5, **SHORT)], X, Y)
    together = train(
        [
            TrainConfig(batch_size=40, **SHORT),
            TrainConfig(batch_size=16, keep_prob=0.8, seed=5, **SHORT),
        ],
        X,
        Y,
        n_threads=1,
    )
    np.testing.assert_array_equal(alone.history.cost[0], together.history.cost[1])
    np.testing.assert_array_equal(alone.parameters.weights[0][0], together.parameters.weights[0][1])


def test_a_batch_size_above_m_is_m() -> None:
    X, Y, _, _ = _data(50)
    assert prepare([TrainConfig(batch_size=80), TrainConfig()], X, Y, None, None).batch_sizes == (
        50,
        50,
    )


@pytest.mark.parametrize("value", [0, -3, 2.5, "32", True])
def test_batch_size_is_an_integer_at_least_one_or_none(value: object) -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(batch_size=value)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "batch_size must be an integer >= 1, or all (the whole training set). "
        f"Received: batch_size={value!r}"
    )


def test_batch_size_is_in_the_dict_only_when_set() -> None:
    assert "batch_size" not in TrainConfig().to_dict()
    data = TrainConfig(batch_size=32).to_dict()
    assert data["batch_size"] == 32
    assert TrainConfig.from_dict(data) == TrainConfig(batch_size=32)


def test_mini_batches_and_early_stopping_with_momentum_and_adam_match_the_reference() -> None:
    """Adam's step count is the update's number: one per batch."""
    X, Y, X_test, Y_test = _data(230, seed=3)
    configs = [
        TrainConfig(optimizer="adam", learning_rate=0.02, batch_size=32, **SHORT),
        TrainConfig(optimizer="momentum", beta1=0.8, batch_size=50, keep_prob=0.8, seed=2, **SHORT),
        TrainConfig(
            optimizer="adam", learning_rate=0.05, batch_size=20, early_stopping=True, patience=1,
            l2=0.3, seed=5, **SHORT,
        ),
        TrainConfig(optimizer="momentum", early_stopping=True, patience=2, masks="course",
                    keep_prob=0.7, **SHORT),
    ]  # fmt: skip
    result = train(configs, X, Y, X_test, Y_test)
    reference = train_reference(configs, X, Y, X_test, Y_test)
    _assert_same(result, reference)
    assert result.stopped_at == reference.stopped_at
    assert result.best_iteration == reference.best_iteration


def test_mini_batches_and_early_stopping_with_a_softmax_head_match_the_reference() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2, 203))
    Y = (np.digitize(X[0] + 0.3 * X[1], [-0.5, 0.5])).reshape(1, -1).astype(float)
    settings = {"layers": (2, 6, 3), **SHORT}
    configs = [
        TrainConfig(batch_size=25, **settings),
        TrainConfig(batch_size=40, keep_prob=0.8, seed=3, l2=0.2, **settings),
        TrainConfig(early_stopping=True, patience=1, learning_rate=2.0, **settings),
        TrainConfig(
            early_stopping=True, patience=2, batch_size=30, masks="course", keep_prob=0.7,
            optimizer="adam", learning_rate=0.05, **settings,
        ),
    ]  # fmt: skip
    result = train(configs, X, Y, X[:, :50], Y[:, :50])
    reference = train_reference(configs, X, Y, X[:, :50], Y[:, :50])
    _assert_same(result, reference)
    assert result.stopped_at == reference.stopped_at
    assert result.best_iteration == reference.best_iteration
