"""The softmax head (layers ending in C >= 3): kernel against reference, gradients, the loss.

The binary head (layers ending in 1) is what every other test trains; here the same
checks run with C = 3..6 output units and integer labels 0..C-1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from reglab.config import TrainConfig
from reglab.engine import kernel_plan
from reglab.engine.gradcheck import THRESHOLD, check_gradients
from reglab.engine.kernel_plan import CHUNK
from reglab.engine.losses import cross_entropy_from_logits, softmax_cross_entropy_from_logits
from reglab.engine.network import (
    Parameters,
    accuracy,
    backward,
    forward,
    predict,
    predict_proba,
    softmax,
)
from reglab.engine.reference import train_reference
from reglab.engine.training import blas_layers, train
from reglab.errors import DataError, ParameterError
from reglab.types import FloatArray
from test_kernel import _assert_same


def _blobs(
    m: int, n_features: int, n_classes: int, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """C noisy clusters: train ``(n_features, m)``, labels 0..C-1, and a test set of 57."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(n_features, n_classes))

    def draw(count: int) -> tuple[FloatArray, FloatArray]:
        labels = rng.integers(n_classes, size=count)
        X = centres[:, labels] + rng.normal(size=(n_features, count))
        return X, labels.reshape(1, -1).astype(float)

    X, Y = draw(m)
    X_test, Y_test = draw(57)
    return X, Y, X_test, Y_test


def _configs(settings: dict[str, object]) -> list[TrainConfig]:
    return [
        TrainConfig(**settings),  # type: ignore[arg-type]
        TrainConfig(l2=0.5, keep_prob=0.75, seed=3, init="he", **settings),  # type: ignore[arg-type]
        TrainConfig(keep_prob=0.6, masks="course", **settings),  # type: ignore[arg-type]
        TrainConfig(l1=0.4, l2=0.2, keep_prob=0.8, seed=5, init="he", **settings),  # type: ignore[arg-type]
    ]


SHAPES = [
    # (2, 20, 3): the exercise's first layer with a 3-unit softmax head: the three-output
    # forward pass, three-by-four gradients and the fused first backward step serve the head.
    (2, 20, 3),
    (2, 20, 3, 3),
    (2, 20, 20, 4),
    (2, 4, 4),
    (1, 7, 5),
    (2, 3),
    (5, 6),
    (3, 8, 6, 4, 3),
    (2, 9, 4, 2, 5),
]


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("m", [1, 37, CHUNK + 77])
def test_softmax_kernel_matches_reference(layers: tuple[int, ...], m: int) -> None:
    X, Y, X_test, Y_test = _blobs(m, layers[0], layers[-1], seed=m + len(layers))
    configs = _configs({"layers": layers, "iterations": 12, "record_every": 5})
    result = train(configs, X, Y, X_test, Y_test)
    _assert_same(result, train_reference(configs, X, Y, X_test, Y_test))
    if m > 1:
        assert np.all(np.diff(result.history.cost[0]) != 0)  # it did train


@pytest.mark.parametrize("layers", SHAPES)
def test_softmax_fast_passes_give_the_generic_passes_numbers(
    monkeypatch: pytest.MonkeyPatch, layers: tuple[int, ...]
) -> None:
    X, Y, X_test, Y_test = _blobs(CHUNK + 77, layers[0], layers[-1], seed=len(layers))
    configs = _configs({"layers": layers, "iterations": 12, "record_every": 5})
    fast = train(configs, X, Y, X_test, Y_test)
    monkeypatch.setattr(kernel_plan, "FAST_PASSES", False)
    _assert_same(fast, train(configs, X, Y, X_test, Y_test))


def test_the_head_rows_take_the_fast_passes_as_a_hidden_layer_would() -> None:
    """The shapes above reach the shaped passes with the softmax layer as the output."""
    plan = kernel_plan.layer_plan((2, 20, 3), blas_layers((2, 20, 3)))
    assert plan[1].tolist() == [
        kernel_plan.FORWARD_THREE_OUTPUTS,
        kernel_plan.GRADIENT_THREE_BY_FOUR,
        kernel_plan.BACKWARD_FUSED_FIRST,
    ]


@pytest.mark.parametrize("m", [37, CHUNK + 77])
def test_softmax_with_blas_layers_matches_reference(
    monkeypatch: pytest.MonkeyPatch, m: int
) -> None:
    monkeypatch.setattr(kernel_plan, "BLAS_MIN_WIDTH", 5)
    layers = (3, 8, 6, 5)
    assert blas_layers(layers).tolist() == [False, True, True]
    X, Y, X_test, Y_test = _blobs(m, 3, 5, seed=m)
    configs = _configs({"layers": layers, "iterations": 15, "record_every": 4})
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


@pytest.mark.parametrize("draw", range(8))
def test_softmax_kernel_matches_reference_on_random_configurations(draw: int) -> None:
    rng = np.random.default_rng(100 + draw)
    n_classes = int(rng.integers(3, 7))
    depth = int(rng.integers(0, 3))
    layers = (
        int(rng.integers(1, 5)),
        *(int(n) for n in rng.integers(1, 12, size=depth)),
        n_classes,
    )
    m = int(rng.integers(1, 2 * CHUNK + 50))
    X, Y, X_test, Y_test = _blobs(m, layers[0], n_classes, seed=draw)
    settings = {"layers": layers, "iterations": int(rng.integers(5, 30)), "record_every": 4}
    configs = [
        TrainConfig(
            l1=float(rng.choice([0.0, rng.uniform(0.01, 2.0)])),
            l2=float(rng.choice([0.0, rng.uniform(0.01, 2.0)])),
            keep_prob=float(rng.choice([1.0, rng.uniform(0.5, 1.0)])),
            masks=("fresh", "course")[int(rng.integers(2))],  # type: ignore[arg-type]
            learning_rate=float(rng.uniform(0.01, 0.5)),
            init=("he", "lecun", "xavier", "course")[int(rng.integers(4))],  # type: ignore[arg-type]
            seed=int(rng.integers(1000)),
            **settings,  # type: ignore[arg-type]
        )
        for _ in range(4)
    ]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


GRADIENT_CONFIGS = [
    TrainConfig(layers=(2, 20, 3)),
    TrainConfig(layers=(2, 20, 3, 4), l2=0.7, init="he", seed=1),
    TrainConfig(layers=(2, 10, 6), l1=0.5, l2=0.3, keep_prob=0.8, init="he", seed=4),
    TrainConfig(layers=(2, 8, 5, 3), keep_prob=0.86, masks="course", l1=0.2, seed=2),
]


@pytest.mark.parametrize("config", GRADIENT_CONFIGS, ids=lambda c: f"{c.layers}-{c.l2}-{c.l1}")
def test_softmax_gradients_pass_the_gradient_check(config: TrainConfig) -> None:
    X, Y, _, _ = _blobs(120, 2, config.layers[-1], seed=7)
    check = check_gradients(config, X, Y)
    assert check.kinks == 0
    assert check.passed and check.difference < THRESHOLD
    assert all(value < THRESHOLD for _, value in check.parameters)


def test_the_gradient_check_fails_a_wrong_softmax_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a head target off by one class is caught."""
    import reglab.engine.network as network

    def shifted(Y: FloatArray, n_outputs: int) -> FloatArray:
        return network.one_hot((Y + 1) % n_outputs, n_outputs)

    monkeypatch.setattr(network, "head_target", shifted)
    X, Y, _, _ = _blobs(60, 2, 3, seed=1)
    assert not check_gradients(TrainConfig(layers=(2, 5, 3)), X, Y).passed


def test_softmax_cross_entropy_is_minus_the_mean_log_of_the_true_class_probability() -> None:
    logits = np.array([[[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 0.5, -1.0], [2.0, 0.0, 0.5, 0.0]]])
    labels = np.array([[0.0, 1.0, 2.0, 2.0]])
    by_hand = 0.0
    for t in range(4):
        column = logits[0, :, t]
        p_true = math.exp(column[int(labels[0, t])]) / sum(math.exp(z) for z in column)
        by_hand -= math.log(p_true) / 4
    np.testing.assert_allclose(
        softmax_cross_entropy_from_logits(logits, labels), [by_hand], rtol=1e-15
    )
    np.testing.assert_allclose(cross_entropy_from_logits(logits, labels), [by_hand], rtol=1e-15)
    np.testing.assert_allclose(softmax(logits).sum(axis=-2), 1.0, rtol=1e-15)


def test_softmax_cross_entropy_is_finite_for_huge_logits() -> None:
    logits = np.array([[[1000.0, -1000.0], [0.0, 1000.0], [-1000.0, 999.0]]])
    cost = softmax_cross_entropy_from_logits(logits, np.array([[0.0, 2.0]]))
    # The first column is certain and right (0); the second puts 1 / (1 + e) on class 2.
    np.testing.assert_allclose(cost, [math.log(1 + math.e) / 2], rtol=1e-14)
    assert np.all(np.isfinite(softmax(logits)))


def test_the_kernel_records_the_softmax_cost_of_its_final_parameters() -> None:
    X, Y, _, _ = _blobs(200, 2, 4, seed=3)
    config = TrainConfig(layers=(2, 10, 4), l2=0.2, iterations=50, record_every=10)
    result = train([config], X, Y)
    logits = forward(result.parameters, X).logits
    weights = sum(np.sum(W**2) for W in result.parameters.weights)
    expected = softmax_cross_entropy_from_logits(logits, Y) + 0.2 / (2 * 200) * weights
    np.testing.assert_allclose(result.final_cost, expected, rtol=1e-12)
    assert result.final_cost[0] < result.history.cost[0, 0]  # it learned
    assert result.train_accuracy[0] > 0.5  # of four well-separated classes (chance 0.25)


def test_predictions_are_class_indices_and_ties_go_to_the_lowest() -> None:
    # One model, 2 inputs, 3 classes, no hidden layer: logits = W x + b.
    W = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    b = np.zeros((1, 3, 1))
    params = Parameters([W], [b])
    X = np.array([[2.0, -1.0, 1.0, 0.0], [0.0, -1.0, 1.0, 0.0]])
    assert predict(params, X).tolist() == [[[0, 2, 0, 0]]]
    assert predict(params, X).dtype == np.int64
    probabilities = predict_proba(params, X)
    assert probabilities.shape == (1, 3, 4)
    np.testing.assert_allclose(probabilities[0, :, 3], 1 / 3)
    np.testing.assert_allclose(accuracy(params, X, np.array([[0.0, 2.0, 1.0, 0.0]])), [0.75])


def test_binary_predictions_are_int64_zeros_and_ones() -> None:
    params = Parameters([np.array([[[1.0, 0.0]]])], [np.zeros((1, 1, 1))])
    X = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    assert predict(params, X).tolist() == [[[1, 0, 0]]]  # p = 0.5 is not > 0.5
    assert predict(params, X).dtype == np.int64
    assert predict_proba(params, X).shape == (1, 1, 3)


def test_softmax_backward_is_probabilities_minus_one_hot() -> None:
    params = Parameters([np.array([[[1.0], [-1.0], [0.5]]])], [np.zeros((1, 3, 1))])
    X = np.array([[0.3, -2.0]])
    Y = np.array([[2.0, 0.0]])
    passed = forward(params, X)
    grads = backward(params, passed, Y)
    one_hot = np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(grads.pre_activations[0][0], passed.output[0] - one_hot)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 1, 3], "training labels must be integers 0..2 (one per class of the 3 output units)"),
        ([0, 1.5, 2], "Received: values [1.5]"),
        ([-1, 1, 2], "Received: values [-1.0]"),
    ],
)
def test_softmax_labels_must_be_class_indices(labels: list[float], message: str) -> None:
    X = np.zeros((2, 3))
    with pytest.raises(DataError, match=None) as raised:
        train([TrainConfig(layers=(2, 3, 3), iterations=1)], X, np.array([labels], dtype=float))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_binary_labels_beyond_one_name_the_softmax_head() -> None:
    with pytest.raises(DataError) as raised:
        train([TrainConfig(iterations=1)], np.zeros((2, 3)), np.array([[0.0, 1.0, 2.0]]))
    assert str(raised.value) == (
        "training labels must be 0 or 1 with layers ending in 1 (C classes 0..C-1 need layers "
        "ending in C). Received: values [2.0]"
    )


def test_two_output_units_are_refused() -> None:
    with pytest.raises(ParameterError) as raised:
        TrainConfig(layers=(2, 20, 3, 2))
    assert str(raised.value) == (
        "layers must be a sequence ending in 1 for two classes (one sigmoid unit) or in C >= 3 "
        "for C classes (softmax), not 2. Received: layers=(2, 20, 3, 2)"
    )


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("layers", [(2, 20, 3), (2, 9, 4, 2, 5)])
def test_softmax_with_momentum_and_adam_matches_reference(
    optimizer: str, layers: tuple[int, ...]
) -> None:
    X, Y, X_test, Y_test = _blobs(CHUNK + 77, layers[0], layers[-1], seed=11)
    settings = {
        "layers": layers,
        "iterations": 12,
        "record_every": 5,
        "optimizer": optimizer,
        "learning_rate": 0.05,
    }
    configs = _configs(settings)
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )
