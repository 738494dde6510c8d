"""Mistakes learners make in the four functions, each as the output it would give.

A mistake is a model of a wrong solution: given a case's arguments and the right
output, it predicts what that wrong solution returns. When a learner's outputs match
a mistake's on every case, the grader names the mistake in plain words. The list is
built from what goes wrong in practice: the 1/2 of the L2 term lost, a weight matrix
left out, the biases penalized, a hard-coded m, lambda or keep_prob, the dropout
scaling missing or inverted, the mask compared the wrong way or drawn with ``randn``,
the generator not re-seeded, the mask not applied in the backward pass.

Predictions reuse :mod:`reglab.course` and :mod:`reglab.engine` with altered inputs
(masks of all ones, another keep_prob, another m), or adjust the right output by the
missing or extra L2 term; no gradient is derived here.
"""

# Some mistakes are about NumPy's global generator; their models draw as the learner did.

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reglab import course, engine
from reglab.grading.child import GRADER_SEED
from reglab.types import FloatArray

Prediction = Callable[[tuple[Any, ...], Any], Any]
"""``(arguments, expected output) -> the wrong solution's output``."""

PUBLISHED_M = 5
TRAINING_M = 211
COMMON_LAMBDAS = (0.1, 0.7)
COMMON_KEEP_PROBS = (0.5, 0.7, 0.8, 0.86)


@dataclass(frozen=True)
class Mistake:
    """One known mistake.

    Attributes:
        key: a stable name, e.g. ``cost_lambda_over_m``.
        text: the mistake and its fix, in plain words.
        predict: the output a solution with this mistake gives.
    """

    key: str
    text: str
    predict: Prediction


# --- compute_cost_with_regularization(A3, Y, parameters, lambd) -------------------------------


def _weights(parameters: dict[str, FloatArray]) -> list[FloatArray]:
    return [parameters[f"W{l}"] for l in (1, 2, 3)]


def _cost_with(penalty: Callable[..., float]) -> Prediction:
    """The cross-entropy plus ``penalty(parameters, lambd, m)``, the wrong L2 term."""

    def predict(arguments: tuple[Any, ...], _: Any) -> float:
        A3, Y, parameters, lambd = arguments
        m = Y.shape[1]
        return course.compute_cost(A3, Y) + penalty(parameters, lambd, m)

    return predict


def _squares(parameters: dict[str, FloatArray], skip: int = 0) -> float:
    return sum(
        float(np.sum(np.square(W))) for l, W in enumerate(_weights(parameters), 1) if l != skip
    )


def _cost_mistakes() -> list[Mistake]:
    mistakes = [
        Mistake(
            "cost_lambda_over_m",
            "the L2 term is lambd/m * sum ||W||^2; it is lambd/(2m) * sum ||W||^2 "
            "(the 1/2 is missing)",
            _cost_with(lambda p, lambd, m: lambd / m * _squares(p)),
        ),
        Mistake(
            "cost_lambda_over_2",
            "the L2 term is divided by 2 but not by m: it is lambd/(2m) * sum ||W||^2",
            _cost_with(lambda p, lambd, m: lambd / 2 * _squares(p)),
        ),
        Mistake(
            "cost_no_scaling",
            "the L2 term is lambd * sum ||W||^2, without the 1/(2m): it is "
            "lambd/(2m) * sum ||W||^2",
            _cost_with(lambda p, lambd, m: lambd * _squares(p)),
        ),
        Mistake(
            "cost_biases_regularized",
            "the biases are in the L2 term: only the weights W1, W2, W3 are penalized",
            _cost_with(
                lambda p, lambd, m: (
                    lambd
                    / (2 * m)
                    * (_squares(p) + sum(float(np.sum(np.square(p[f"b{l}"]))) for l in (1, 2, 3)))
                )
            ),
        ),
        Mistake(
            "cost_not_squared",
            "the L2 term sums the weights, np.sum(W); it sums their squares, np.sum(np.square(W))",
            _cost_with(
                lambda p, lambd, m: lambd / (2 * m) * sum(float(np.sum(W)) for W in _weights(p))
            ),
        ),
        Mistake(
            "cost_norm_not_squared",
            "the L2 term uses the norm ||W||, not its square ||W||^2 = np.sum(np.square(W))",
            _cost_with(
                lambda p, lambd, m: (
                    lambd / (2 * m) * sum(float(np.linalg.norm(W)) for W in _weights(p))
                )
            ),
        ),
        Mistake(
            "cost_absolute_values",
            "the L2 term sums absolute values (that is L1); it sums squares, np.sum(np.square(W))",
            _cost_with(
                lambda p, lambd, m: (
                    lambd / (2 * m) * sum(float(np.sum(np.abs(W))) for W in _weights(p))
                )
            ),
        ),
        Mistake(
            "cost_penalty_missing",
            "the cost is the cross-entropy alone: add the L2 term lambd/(2m) * sum ||W||^2",
            _cost_with(lambda p, lambd, m: 0.0),
        ),
        Mistake(
            "cost_cross_entropy_missing",
            "the cost is the L2 term alone: add it to the cross-entropy, compute_cost(A3, Y)",
            lambda arguments, _: (
                arguments[3] / (2 * arguments[1].shape[1]) * _squares(arguments[2])
            ),
        ),
    ]
    for left_out in (1, 2, 3):
        mistakes.append(
            Mistake(
                f"cost_W{left_out}_left_out",
                f"W{left_out} is left out of the L2 term: it sums the squares of W1, W2 and W3",
                _cost_with(lambda p, lambd, m, skip=left_out: lambd / (2 * m) * _squares(p, skip)),
            )
        )
    for fixed_m, why in (
        (PUBLISHED_M, "the published check's"),
        (TRAINING_M, "the training set's"),
    ):
        mistakes.append(
            Mistake(
                f"cost_m_hard_coded_{fixed_m}",
                f"m is hard-coded as {fixed_m} ({why} m) in the L2 term: use m = Y.shape[1]",
                _cost_with(lambda p, lambd, m, fixed=fixed_m: lambd / (2 * fixed) * _squares(p)),
            )
        )
    for fixed_lambd in COMMON_LAMBDAS:
        mistakes.append(
            Mistake(
                f"cost_lambd_hard_coded_{fixed_lambd}",
                f"lambd is hard-coded as {fixed_lambd}: use the argument lambd",
                _cost_with(lambda p, lambd, m, fixed=fixed_lambd: fixed / (2 * m) * _squares(p)),
            )
        )
    return mistakes


# --- backward_propagation_with_regularization(X, Y, cache, lambd) -----------------------------


def _cache_weights(cache: Sequence[FloatArray]) -> dict[int, FloatArray]:
    return {1: cache[2], 2: cache[6], 3: cache[10]}


def _cache_biases(cache: Sequence[FloatArray]) -> dict[int, FloatArray]:
    return {1: cache[3], 2: cache[7], 3: cache[11]}


def _regularization_mistakes() -> list[Mistake]:
    def with_weights(
        rule: Callable[..., tuple[FloatArray, FloatArray]],
    ) -> Prediction:
        def predict(arguments: tuple[Any, ...], expected: dict[str, FloatArray]) -> Any:
            _, Y, cache, lambd = arguments
            weights, biases = _cache_weights(cache), _cache_biases(cache)
            m = Y.shape[1]
            wrong = dict(expected)
            for l in (1, 2, 3):
                wrong[f"dW{l}"], wrong[f"db{l}"] = rule(
                    l, expected[f"dW{l}"], expected[f"db{l}"], weights[l], biases[l], lambd, m
                )
            return wrong

        return predict

    mistakes = [
        Mistake(
            "gradient_l2_missing",
            "no dW has the L2 term: each dW_l gains lambd/m * W_l",
            with_weights(lambda l, dW, db, W, b, lambd, m: (dW - lambd / m * W, db)),
        ),
        Mistake(
            "gradient_lambda_over_2m",
            "the L2 term of the gradient is lambd/(2m) * W; the derivative of "
            "lambd/(2m) * ||W||^2 is lambd/m * W",
            with_weights(lambda l, dW, db, W, b, lambd, m: (dW - lambd / (2 * m) * W, db)),
        ),
        Mistake(
            "gradient_lambda_no_m",
            "the L2 term of the gradient is lambd * W, without the 1/m: it is lambd/m * W",
            with_weights(lambda l, dW, db, W, b, lambd, m: (dW - lambd / m * W + lambd * W, db)),
        ),
        Mistake(
            "gradient_biases_regularized",
            "the db have an L2 term: biases are not penalized, db_l has no lambd/m * b_l",
            with_weights(lambda l, dW, db, W, b, lambd, m: (dW, db + lambd / m * b)),
        ),
    ]
    for left_out in (1, 2, 3):
        mistakes.append(
            Mistake(
                f"gradient_l2_missing_dW{left_out}",
                f"dW{left_out} lacks the L2 term: add lambd/m * W{left_out}",
                with_weights(
                    lambda l, dW, db, W, b, lambd, m, skip=left_out: (
                        (dW - lambd / m * W, db) if l == skip else (dW, db)
                    )
                ),
            )
        )
    for fixed_m, why in (
        (PUBLISHED_M, "the published check's"),
        (TRAINING_M, "the training set's"),
    ):
        mistakes.append(
            Mistake(
                f"gradient_m_hard_coded_{fixed_m}",
                f"m is hard-coded as {fixed_m} ({why} m): use m = X.shape[1]",
                with_weights(
                    lambda l, dW, db, W, b, lambd, m, fixed=fixed_m: (
                        (dW - lambd / m * W) * m / fixed + lambd / fixed * W,
                        db * m / fixed,
                    )
                ),
            )
        )
        mistakes.append(
            Mistake(
                f"gradient_l2_m_hard_coded_{fixed_m}",
                f"the L2 term's m is hard-coded as {fixed_m} ({why} m): use m = X.shape[1]",
                with_weights(
                    lambda l, dW, db, W, b, lambd, m, fixed=fixed_m: (
                        dW - lambd / m * W + lambd / fixed * W,
                        db,
                    )
                ),
            )
        )
    for fixed_lambd in COMMON_LAMBDAS:
        mistakes.append(
            Mistake(
                f"gradient_lambd_hard_coded_{fixed_lambd}",
                f"lambd is hard-coded as {fixed_lambd}: use the argument lambd",
                with_weights(
                    lambda l, dW, db, W, b, lambd, m, fixed=fixed_lambd: (
                        dW - lambd / m * W + fixed / m * W,
                        db,
                    )
                ),
            )
        )
    return mistakes


# --- forward_propagation_with_dropout(X, parameters, keep_prob) -------------------------------


def _draws(seed: int, shapes: Sequence[tuple[int, int]], normal: bool = False) -> list[FloatArray]:
    source = np.random.RandomState(seed)
    return [source.randn(*shape) if normal else source.rand(*shape) for shape in shapes]


def _dropout_forward(
    X: FloatArray,
    parameters: dict[str, FloatArray],
    keep: Sequence[Any],
    scale: float,
    recorded: Sequence[Any] | None = None,
) -> tuple[FloatArray, tuple[FloatArray, ...]]:
    """The engine's forward pass with the given masks and scale, as the course's (A3, cache).

    ``recorded`` are the masks the cache holds, when they differ from the ones applied.
    """
    recorded = keep if recorded is None else recorded
    weights = [parameters[f"W{l}"] for l in (1, 2, 3)]
    biases = [parameters[f"b{l}"] for l in (1, 2, 3)]
    params = engine.Parameters.stack([(weights, biases)])
    # Masks are usually 0/1; a mistake's may be the raw draws (the engine multiplies by them).
    masks = engine.DropoutMasks(
        keep=[np.asarray(k)[np.newaxis] for k in keep],
        keep_prob=np.array([scale]),
    )
    passed = engine.forward(params, np.asarray(X, dtype=float), masks)
    Z = [z[0] for z in passed.pre_activations]
    A = [a[0] for a in passed.hidden]
    cache = (
        Z[0], np.asarray(recorded[0]), A[0], weights[0], biases[0],
        Z[1], np.asarray(recorded[1]), A[1], weights[1], biases[1],
        Z[2], passed.output[0], weights[2], biases[2],
    )  # fmt: skip
    return passed.output[0], cache


def _forward_with(
    masks: Callable[..., list[Any]],
    scale: Callable[..., float],
) -> Prediction:
    """The engine's dropout pass with ``masks(shapes, keep_prob)``, scaled by ``scale(keep_prob)``.

    ``shapes`` are the hidden layers' ``(n_l, m)``.
    """

    def predict(arguments: tuple[Any, ...], _: Any) -> Any:
        X, parameters, keep_prob = arguments
        shapes = [(parameters[f"W{l}"].shape[0], X.shape[1]) for l in (1, 2)]
        return _dropout_forward(X, parameters, masks(shapes, keep_prob), scale(keep_prob))

    return predict


def _forward_layer_unscaled(layer: int) -> Prediction:
    """Layer ``layer``'s activations masked but not divided by keep_prob (the other's are)."""

    def predict(arguments: tuple[Any, ...], _: Any) -> Any:
        X, parameters, keep_prob = arguments
        shapes = [(parameters[f"W{l}"].shape[0], X.shape[1]) for l in (1, 2)]
        masks = [draw < keep_prob for draw in _draws(engine.dropout.COURSE_MASK_SEED, shapes)]
        applied: list[Any] = [mask.astype(float) for mask in masks]
        applied[layer - 1] = applied[layer - 1] * keep_prob  # A * D * p / p = A * D
        return _dropout_forward(X, parameters, applied, keep_prob, recorded=masks)

    return predict


def _forward_mistakes() -> list[Mistake]:
    seed = engine.dropout.COURSE_MASK_SEED

    def kept(u: list[FloatArray], p: float) -> list[Any]:
        return [draw < p for draw in u]

    mistakes = [
        Mistake(
            "dropout_scaling_missing",
            "the kept activations are not divided by keep_prob: A1 = A1 * D1 / keep_prob "
            "(inverted dropout keeps their expected value)",
            _forward_with(lambda s, p: kept(_draws(seed, s), p), lambda p: 1.0),
        ),
        Mistake(
            "dropout_scaling_inverted",
            "the kept activations are multiplied by keep_prob; they are divided by it: "
            "A1 = A1 * D1 / keep_prob",
            _forward_with(lambda s, p: kept(_draws(seed, s), p), lambda p: 1.0 / p),
        ),
        Mistake(
            "dropout_mask_compared_wrong_way",
            "the mask keeps the units whose draw is above keep_prob; keep those below it: "
            "D1 = (D1 < keep_prob)",
            _forward_with(lambda s, p: [u >= p for u in _draws(seed, s)], lambda p: p),
        ),
        Mistake(
            "dropout_mask_from_randn",
            "the mask is drawn with np.random.randn (normal); draw uniforms in [0, 1) with "
            "np.random.rand(A1.shape[0], A1.shape[1])",
            _forward_with(lambda s, p: kept(_draws(seed, s, normal=True), p), lambda p: p),
        ),
        Mistake(
            "dropout_mask_not_thresholded",
            "the mask is the uniform draws themselves: turn them into 0/1 with "
            "D1 = (D1 < keep_prob) before A1 = A1 * D1",
            _forward_with(lambda s, p: _draws(seed, s), lambda p: p),
        ),
        Mistake(
            "dropout_not_seeded",
            "the function does not call np.random.seed(1) first, so its masks are not the "
            "exercise's (keep the template's np.random.seed(1) line)",
            _forward_with(lambda s, p: kept(_draws(GRADER_SEED, s), p), lambda p: p),
        ),
    ]
    for layer in (1, 2):
        mistakes.append(
            Mistake(
                f"dropout_layer_{layer}_scaling_missing",
                f"A{layer} is not divided by keep_prob (the other hidden layer's is): "
                f"A{layer} = A{layer} * D{layer} / keep_prob",
                _forward_layer_unscaled(layer),
            )
        )
    for fixed in COMMON_KEEP_PROBS:
        mistakes.append(
            Mistake(
                f"dropout_keep_prob_hard_coded_{fixed}",
                f"keep_prob is hard-coded as {fixed}: use the argument keep_prob",
                _forward_with(lambda s, p, f=fixed: kept(_draws(seed, s), f), lambda p, f=fixed: f),
            )
        )
    return mistakes


# --- backward_propagation_with_dropout(X, Y, cache, keep_prob) --------------------------------


def _dropout_backward(
    X: FloatArray, Y: FloatArray, cache: Sequence[FloatArray], keep: Sequence[Any], scale: float
) -> dict[str, FloatArray]:
    """The engine's backward pass through ``keep`` scaled by ``scale``, as the course's dict."""
    weights = [cache[3], cache[8], cache[12]]
    biases = [cache[4], cache[9], cache[13]]
    params = engine.Parameters.stack([(weights, biases)])
    passed = engine.ForwardPass(
        inputs=np.asarray(X, dtype=float),
        pre_activations=[np.asarray(cache[i], dtype=float)[np.newaxis] for i in (0, 5, 10)],
        hidden=[np.asarray(cache[i], dtype=float)[np.newaxis] for i in (2, 7)],
        output=np.asarray(cache[11], dtype=float)[np.newaxis],
        masks=engine.DropoutMasks(
            keep=[np.asarray(k)[np.newaxis] for k in keep],  # 0/1, or a mistake's factors
            keep_prob=np.array([scale]),
        ),
    )
    grads = engine.backward(params, passed, np.asarray(Y), keep_prob=np.array([scale]))
    gradients: dict[str, FloatArray] = {}
    for l in (3, 2, 1):
        gradients[f"dZ{l}"] = grads.pre_activations[l - 1][0]
        gradients[f"dW{l}"] = grads.weights[l - 1][0]
        gradients[f"db{l}"] = grads.biases[l - 1][0]
        if l > 1:
            gradients[f"dA{l - 1}"] = grads.hidden[l - 2][0]
    return gradients


def _backward_with(
    masks: Callable[[Sequence[FloatArray]], list[Any]], scale: Callable[..., float]
) -> Prediction:
    """The engine's backward pass through ``masks(cache)`` scaled by ``scale(keep_prob)``."""

    def predict(arguments: tuple[Any, ...], _: Any) -> Any:
        X, Y, cache, keep_prob = arguments
        return _dropout_backward(X, Y, cache, masks(cache), scale(keep_prob))

    return predict


def _backward_layer_unmasked(layer: int) -> Prediction:
    """``dA`` of layer ``layer`` neither masked nor scaled (the other layer's is)."""

    def predict(arguments: tuple[Any, ...], _: Any) -> Any:
        X, Y, cache, keep_prob = arguments
        factors = [np.asarray(cache[1], dtype=float), np.asarray(cache[6], dtype=float)]
        factors[layer - 1] = np.full_like(factors[layer - 1], keep_prob)  # dA * p / p = dA
        return _dropout_backward(X, Y, cache, factors, keep_prob)

    return predict


def _backward_dropout_mistakes() -> list[Mistake]:
    def cache_masks(cache: Sequence[FloatArray]) -> list[Any]:
        return [cache[1], cache[6]]

    def no_masks(cache: Sequence[FloatArray]) -> list[Any]:
        return [np.ones_like(cache[1], dtype=bool), np.ones_like(cache[6], dtype=bool)]

    mistakes = [
        Mistake(
            "backward_mask_and_scaling_missing",
            "the backward pass does not apply the masks: dA2 = dA2 * D2 / keep_prob and "
            "dA1 = dA1 * D1 / keep_prob (the units shut down forward get no gradient)",
            _backward_with(no_masks, lambda p: 1.0),
        ),
        Mistake(
            "backward_mask_missing",
            "the backward pass divides by keep_prob but does not apply the masks: "
            "dA2 = dA2 * D2 / keep_prob, dA1 = dA1 * D1 / keep_prob",
            _backward_with(no_masks, lambda p: p),
        ),
        Mistake(
            "backward_scaling_missing",
            "the backward pass applies the masks but does not divide by keep_prob: "
            "dA1 = dA1 * D1 / keep_prob",
            _backward_with(cache_masks, lambda p: 1.0),
        ),
        Mistake(
            "backward_scaling_inverted",
            "the backward pass multiplies by keep_prob; divide by it: dA1 = dA1 * D1 / keep_prob",
            _backward_with(cache_masks, lambda p: 1.0 / p),
        ),
    ]
    for layer in (1, 2):
        mistakes.append(
            Mistake(
                f"backward_layer_{layer}_mask_missing",
                f"dA{layer} is neither masked nor scaled (dA{3 - layer} is): "
                f"dA{layer} = dA{layer} * D{layer} / keep_prob",
                _backward_layer_unmasked(layer),
            )
        )
    for fixed in COMMON_KEEP_PROBS:
        mistakes.append(
            Mistake(
                f"backward_keep_prob_hard_coded_{fixed}",
                f"keep_prob is hard-coded as {fixed}: use the argument keep_prob",
                _backward_with(cache_masks, lambda p, f=fixed: f),
            )
        )
    return mistakes


MISTAKES: dict[str, Callable[[], list[Mistake]]] = {
    "compute_cost_with_regularization": _cost_mistakes,
    "backward_propagation_with_regularization": _regularization_mistakes,
    "forward_propagation_with_dropout": _forward_mistakes,
    "backward_propagation_with_dropout": _backward_dropout_mistakes,
}
"""The known mistakes of each graded function."""
