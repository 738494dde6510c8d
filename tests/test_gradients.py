"""Central-difference gradient checks of engine.backward, and the two cross-entropy forms.

The cost checked is the one the engine trains: ``cross_entropy_from_logits`` of the
(dropped-out) forward pass plus ``l2_penalty``. Every weight and bias of every model
is perturbed by +-eps in float64. Dropout uses a fixed mask, so the cost is a smooth
function of the parameters away from ReLU kinks; the data is random and each case
checks that no pre-activation lies within 1e-4 of a kink.

Models in a batch are independent, so perturbing the same entry of all K models at
once gives each model's partial derivative from its own cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pytest
from scipy.special import expit

from reglab import engine
from reglab.engine import DropoutMasks, Parameters

EPS = 1e-6
TOLERANCE = 1e-6
SHAPES = [(2, 5, 1), (3, 4, 3, 1), (2, 6, 5, 4, 1)]


def _problem(
    layers: Sequence[int], n_models: int, m: int, seed: int
) -> tuple[Parameters, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], m))
    Y = np.zeros((1, m))
    Y[0, rng.permutation(m)[: m // 2]] = 1.0
    models = [
        (
            [rng.normal(size=(n, n_prev)) / np.sqrt(n_prev) for n_prev, n in pairwise(layers)],
            [0.1 * rng.normal(size=(n, 1)) for n in layers[1:]],
        )
        for _ in range(n_models)
    ]
    return Parameters.stack(models), X, Y


def _fixed_masks(
    layers: Sequence[int], keep_prob: Sequence[float], m: int, seed: int
) -> DropoutMasks:
    rng = np.random.default_rng(seed + 1_000)
    p = np.asarray(keep_prob, dtype=float)
    keep = [rng.random((len(p), n, m)) < p.reshape(-1, 1, 1) for n in layers[1:-1]]
    return DropoutMasks(keep=keep, keep_prob=p)


def _cost(
    params: Parameters, X: np.ndarray, Y: np.ndarray, l2: np.ndarray, masks: DropoutMasks | None
) -> np.ndarray:
    passed = engine.forward(params, X, masks)
    m = Y.shape[1]
    return engine.cross_entropy_from_logits(passed.logits, Y) + engine.l2_penalty(
        params.weights, l2, m
    )


def _pre_activations(params: Parameters, X: np.ndarray, masks: DropoutMasks | None) -> list:
    """Z_l of every layer, computed here independently of the engine's bookkeeping."""
    passed = engine.forward(params, X, masks)
    inputs = [X, *passed.hidden]
    return [W @ A + b for W, b, A in zip(params.weights, params.biases, inputs, strict=True)]


def _numerical_gradients(
    params: Parameters, X: np.ndarray, Y: np.ndarray, l2: np.ndarray, masks: DropoutMasks | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    grads: dict[str, list[np.ndarray]] = {"weights": [], "biases": []}
    for kind in ("weights", "biases"):
        for array in getattr(params, kind):
            numerical = np.zeros_like(array)
            for index in np.ndindex(array.shape[1:]):
                entry = (slice(None), *index)
                original = array[entry].copy()
                array[entry] = original + EPS
                plus = _cost(params, X, Y, l2, masks)
                array[entry] = original - EPS
                minus = _cost(params, X, Y, l2, masks)
                array[entry] = original
                numerical[entry] = (plus - minus) / (2 * EPS)
            grads[kind].append(numerical)
    return grads["weights"], grads["biases"]


def _check(
    params: Parameters,
    X: np.ndarray,
    Y: np.ndarray,
    l2: Sequence[float],
    masks: DropoutMasks | None,
) -> None:
    l2_array = np.asarray(l2, dtype=float)
    for Z in _pre_activations(params, X, masks):
        assert np.abs(Z).min() > 1e-4, "a pre-activation sits on a ReLU kink; pick another seed"
    analytic = engine.backward(params, engine.forward(params, X, masks), Y, l2_array)
    numerical_W, numerical_b = _numerical_gradients(params, X, Y, l2_array, masks)
    pairs = [
        *zip(analytic.weights, numerical_W, strict=True),
        *zip(analytic.biases, numerical_b, strict=True),
    ]
    for k in range(params.n_models):
        ours = np.concatenate([a[k].ravel() for a, _ in pairs])
        reference = np.concatenate([n[k].ravel() for _, n in pairs])
        # The course's gradient-checking measure, per model.
        difference = np.linalg.norm(ours - reference) / (
            np.linalg.norm(ours) + np.linalg.norm(reference)
        )
        assert difference < TOLERANCE, f"model {k}: relative difference {difference:.2e}"
        np.testing.assert_allclose(ours, reference, rtol=TOLERANCE, atol=1e-8)


CASES = {
    "plain": (0.0, None),
    "l2": (0.7, None),
    "dropout": (0.0, 0.8),
    "l2+dropout": (0.3, 0.6),
}


@pytest.mark.parametrize("layers", SHAPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
def test_backward_matches_central_differences(layers: tuple[int, ...], case: str) -> None:
    l2, keep_prob = CASES[case]
    m, seed = 9, sum(layers) + len(case)
    params, X, Y = _problem(layers, 1, m, seed)
    masks = None if keep_prob is None else _fixed_masks(layers, [keep_prob], m, seed)
    _check(params, X, Y, [l2], masks)


@pytest.mark.parametrize("layers", SHAPES, ids=str)
def test_batched_models_with_their_own_l2_and_keep_prob(layers: tuple[int, ...]) -> None:
    l2 = [0.0, 0.7, 0.0, 0.25, 1.5]
    keep_prob = [1.0, 1.0, 0.5, 0.86, 0.7]
    m, seed = 11, 3 * sum(layers)
    params, X, Y = _problem(layers, len(l2), m, seed)
    _check(params, X, Y, l2, _fixed_masks(layers, keep_prob, m, seed))


def test_dropout_gradients_vanish_for_dropped_units() -> None:
    """A dropped hidden unit passes no gradient back to the weights feeding it."""
    layers = (3, 4, 1)
    params, X, Y = _problem(layers, 1, 6, seed=5)
    keep = np.ones((1, 4, 6), dtype=bool)
    keep[0, 2, :] = False
    masks = DropoutMasks(keep=[keep], keep_prob=np.array([0.75]))
    grads = engine.backward(params, engine.forward(params, X, masks), Y)
    np.testing.assert_array_equal(grads.weights[0][0, 2], 0.0)
    np.testing.assert_array_equal(grads.biases[0][0, 2], 0.0)
    np.testing.assert_array_equal(grads.weights[1][0, :, 2], 0.0)
    assert np.all(grads.weights[0][0, [0, 1, 3]] != 0.0)


# --- the two forms of the cross-entropy --------------------------------------------------


def _course_nansum_cost(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    m = labels.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = labels * np.log(probabilities) + (1 - labels) * np.log(1 - probabilities)
    return -np.nansum(terms, axis=(-2, -1)) / m


def test_cross_entropy_from_probabilities_equals_the_logits_form() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(4, 1, 50))
    labels = (rng.random((1, 50)) < 0.5).astype(float)
    from_logits = engine.cross_entropy_from_logits(logits, labels)
    from_probabilities = engine.cross_entropy_from_probabilities(expit(logits), labels)
    assert from_logits.shape == from_probabilities.shape == (4,)
    np.testing.assert_allclose(from_probabilities, from_logits, rtol=1e-10)
    np.testing.assert_allclose(
        from_probabilities, _course_nansum_cost(expit(logits), labels), rtol=1e-13
    )


def test_cross_entropy_counts_zero_log_zero_as_zero_without_warnings() -> None:
    labels = np.array([[1.0, 0.0, 1.0, 0.0]])
    certain = np.array([[1.0, 0.0, 1.0, 0.0]])
    mixed = np.array([[1.0, 0.0, 0.25, 0.75]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert engine.cross_entropy_from_probabilities(certain, labels) == 0.0
        cost = engine.cross_entropy_from_probabilities(mixed, labels)
        confidently_wrong = engine.cross_entropy_from_probabilities(
            np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
        )
        saturated_logits = engine.cross_entropy_from_logits(
            np.array([[[800.0, -800.0, -800.0]]]), np.array([[1.0, 0.0, 1.0]])
        )
    assert cost == pytest.approx(-(np.log(0.25) + np.log(0.25)) / 4, rel=1e-15)
    assert cost == pytest.approx(_course_nansum_cost(mixed, labels), rel=1e-15)
    assert confidently_wrong == np.inf
    # From logits the same saturation stays finite: 800 nats for the one wrong example, over 3.
    np.testing.assert_allclose(saturated_logits, [800.0 / 3], rtol=1e-15)
