"""Forward and backward passes of K stacked ReLU/sigmoid and ReLU/softmax networks.

Layout, for layer sizes ``(n_0, ..., n_L)``, K models and m examples:

- inputs ``X``: ``(n_0, m)``, shared by all models; labels ``Y``: ``(1, m)``;
- ``W_l``: ``(K, n_l, n_{l-1})``, ``b_l``: ``(K, n_l, 1)``;
- activations ``A_l``: ``(K, n_l, m)``.

Hidden layers are LINEAR -> RELU; the output layer (the head) follows from its
width: one unit is LINEAR -> SIGMOID (binary labels 0/1, the exercise), C >= 3
units LINEAR -> SOFTMAX (labels the class indices 0..C-1, still ``(1, m)``); both
heads' cross-entropy has the gradient ``dZ_L = A_L - target`` in the logits, the
target being Y itself or its one-hot ``(C, m)`` columns. Inverted
dropout, when masks are given, applies to the hidden layers only:
``A_l = A_l * D_l / keep_prob`` forward and ``dA_l = dA_l * D_l / keep_prob``
backward, with the ReLU derivative taken as ``A_l > 0`` on the stored (dropped,
scaled) activation. This is the course's order of operations, kept so that its
numbers reproduce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from reglab.engine.dropout import DropoutMasks
from reglab.types import FloatArray


@dataclass
class Parameters:
    """Weights and biases of K models sharing one architecture (mutable, updated in place).

    Attributes:
        weights: ``W_l`` for l = 1..L, shape ``(K, n_l, n_{l-1})``.
        biases: ``b_l`` for l = 1..L, shape ``(K, n_l, 1)``.
    """

    weights: list[FloatArray]
    biases: list[FloatArray]

    @property
    def n_models(self) -> int:
        """K, the number of stacked models."""
        return int(self.weights[0].shape[0])

    @property
    def layers(self) -> tuple[int, ...]:
        """Layer sizes ``(n_0, ..., n_L)``."""
        return (int(self.weights[0].shape[2]), *(int(W.shape[1]) for W in self.weights))

    @classmethod
    def stack(
        cls, models: Sequence[tuple[Sequence[FloatArray], Sequence[FloatArray]]]
    ) -> Parameters:
        """Stack K single models' ``(weights, biases)`` (unbatched arrays) along a new axis."""
        n_layers = len(models[0][0])
        return cls(
            weights=[
                np.stack([np.asarray(w[l], float) for w, _ in models]) for l in range(n_layers)
            ],
            biases=[
                np.stack([np.asarray(b[l], float) for _, b in models]) for l in range(n_layers)
            ],
        )

    def model(self, k: int) -> Parameters:
        """A copy of model k alone, as a K = 1 batch."""
        return Parameters(
            weights=[W[k : k + 1].copy() for W in self.weights],
            biases=[b[k : k + 1].copy() for b in self.biases],
        )

    def copy(self) -> Parameters:
        """A deep copy."""
        return Parameters([W.copy() for W in self.weights], [b.copy() for b in self.biases])


@dataclass(frozen=True)
class ForwardPass:
    """What the backward pass needs from a forward pass.

    Attributes:
        inputs: ``X``, shape ``(n_0, m)``.
        pre_activations: ``Z_1..Z_L``, each ``(K, n_l, m)``; ``Z_L`` is the logits.
        hidden: ``A_1..A_{L-1}`` after ReLU and dropout, each ``(K, n_l, m)``.
        output: ``A_L``: ``sigmoid(Z_L)``, shape ``(K, 1, m)``, or ``softmax(Z_L)``
            over the C classes, ``(K, C, m)``.
        masks: the dropout masks used, or None for a plain pass.
    """

    inputs: FloatArray
    pre_activations: list[FloatArray]
    hidden: list[FloatArray]
    output: FloatArray
    masks: DropoutMasks | None = None

    @property
    def logits(self) -> FloatArray:
        """``Z_L``, shape ``(K, n_L, m)``."""
        return self.pre_activations[-1]


@dataclass(frozen=True)
class Gradients:
    """Gradients of the mean cost (with any L2 and L1 terms) for K models.

    Attributes:
        weights: ``dW_l``, shapes as ``Parameters.weights``.
        biases: ``db_l``, shapes as ``Parameters.biases``.
        hidden: ``dA_1..dA_{L-1}`` after the dropout mask, each ``(K, n_l, m)``.
        pre_activations: ``dZ_1..dZ_L``, each ``(K, n_l, m)``.

    As in the course, ``hidden`` and ``pre_activations`` are gradients of the
    *summed* (not averaged) cross-entropy, m times those of the cost; the L2
    and L1 terms do not enter them.
    """

    weights: list[FloatArray]
    biases: list[FloatArray]
    hidden: list[FloatArray]
    pre_activations: list[FloatArray]


def _dropout_scale(masks: DropoutMasks, keep_prob: FloatArray | None) -> FloatArray:
    scale = masks.keep_prob if keep_prob is None else keep_prob
    return np.asarray(scale, dtype=float).reshape(-1, 1, 1)


def softmax(logits: FloatArray) -> FloatArray:
    """Class probabilities over axis -2 (``(K, C, m)`` in and out): ``exp(z_c - max z)``
    over their sum, so that no exp overflows."""
    exps = np.exp(logits - np.max(logits, axis=-2, keepdims=True))
    probabilities: FloatArray = exps / np.sum(exps, axis=-2, keepdims=True)
    return probabilities


def output_activation(logits: FloatArray) -> FloatArray:
    """The head's activation of ``Z_L``: sigmoid for one unit, softmax for C >= 3."""
    from scipy.special import expit  # here: importing scipy.special costs ~0.3 s at start-up

    if logits.shape[-2] == 1:
        probability: FloatArray = expit(logits)
        return probability
    return softmax(logits)


def one_hot(Y: FloatArray, n_classes: int) -> FloatArray:
    """Class indices ``(1, m)`` as one-hot columns ``(n_classes, m)`` (float64)."""
    encoded: FloatArray = (np.arange(n_classes).reshape(-1, 1) == Y).astype(np.float64)
    return encoded


def head_target(Y: FloatArray, n_outputs: int) -> FloatArray:
    """What ``A_L`` is compared with in ``dZ_L = A_L - target``: Y for one sigmoid unit,
    its one-hot columns ``(C, m)`` for C softmax units."""
    return Y if n_outputs == 1 else one_hot(Y, n_outputs)


def forward(params: Parameters, X: FloatArray, masks: DropoutMasks | None = None) -> ForwardPass:
    """Run K models on the same inputs.

    Args:
        params: K stacked models.
        X: inputs, shape ``(n_0, m)``.
        masks: dropout masks for the hidden layers (training), or None (plain pass).

    Returns:
        The forward pass, ready for :func:`backward`.
    """
    scale = _dropout_scale(masks, None) if masks is not None else None
    A: FloatArray = X
    pre_activations: list[FloatArray] = []
    hidden: list[FloatArray] = []
    last = len(params.weights) - 1
    for l, (W, b) in enumerate(zip(params.weights, params.biases, strict=True)):
        Z = np.matmul(W, A) + b
        pre_activations.append(Z)
        if l == last:
            return ForwardPass(X, pre_activations, hidden, output_activation(Z), masks)
        A = np.maximum(Z, 0.0)
        if masks is not None and scale is not None:
            A = A * masks.keep[l] / scale
        hidden.append(A)
    raise AssertionError("unreachable: a network has at least one layer")


def backward(
    params: Parameters,
    cache: ForwardPass,
    Y: FloatArray,
    l2: FloatArray | float = 0.0,
    keep_prob: FloatArray | None = None,
    l1: FloatArray | float = 0.0,
) -> Gradients:
    """Gradients of the mean cross-entropy plus ``l2/(2m) * sum ||W||^2`` and
    ``(l1/m) * sum |W|`` for K models (the L1 term's gradient ``(l1/m) sign(W)``,
    sign(0) = 0; without L1 it is not added at all).

    Args:
        params: the models ``cache`` was computed with.
        cache: the forward pass (with its dropout masks, if any).
        Y: labels, shape ``(1, m)``: 0/1, or class indices 0..C-1 for C output units.
        l2: lambda, a scalar or one per model, shape ``(K,)``.
        keep_prob: the dropout scale to use backward; by default the one the
            forward pass used. (The course's unit check uses two different values.)
        l1: alpha of L1, a scalar or one per model, shape ``(K,)``.

    Returns:
        The gradients.
    """
    m = Y.shape[-1]
    inv_m = 1.0 / m
    decay = (np.asarray(l2, dtype=float) / m).reshape(-1, 1, 1)
    sparsity = (np.asarray(l1, dtype=float) / m).reshape(-1, 1, 1)
    with_l1 = bool(np.any(sparsity != 0))
    masks = cache.masks
    scale = _dropout_scale(masks, keep_prob) if masks is not None else None
    inputs = [cache.inputs, *cache.hidden]

    n_layers = len(params.weights)
    dW: list[FloatArray] = [np.empty(0)] * n_layers
    db: list[FloatArray] = [np.empty(0)] * n_layers
    dA_hidden: list[FloatArray] = [np.empty(0)] * (n_layers - 1)
    dZ_all: list[FloatArray] = [np.empty(0)] * n_layers
    dZ: FloatArray = cache.output - head_target(Y, cache.output.shape[-2])
    for l in range(n_layers - 1, -1, -1):
        dZ_all[l] = dZ
        A_prev = inputs[l]
        dW[l] = inv_m * np.matmul(dZ, np.swapaxes(A_prev, -1, -2)) + decay * params.weights[l]
        if with_l1:
            dW[l] = dW[l] + sparsity * np.sign(params.weights[l])
        db[l] = inv_m * np.sum(dZ, axis=-1, keepdims=True)
        if l == 0:
            break
        dA = np.matmul(np.swapaxes(params.weights[l], -1, -2), dZ)
        if masks is not None and scale is not None:
            dA = dA * masks.keep[l - 1] / scale
        dA_hidden[l - 1] = dA
        dZ = dA * (A_prev > 0)
    return Gradients(dW, db, dA_hidden, dZ_all)


def gradient_step(
    params: Parameters, grads: Gradients, learning_rate: FloatArray | float
) -> Parameters:
    """One gradient-descent update: ``W_l - learning_rate * dW_l``, likewise for ``b_l``.

    Args:
        params: K stacked models (left unchanged).
        grads: their gradients, from :func:`backward`.
        learning_rate: a scalar or one per model, shape ``(K,)``.

    Returns:
        The updated parameters, new arrays.
    """
    rate = np.asarray(learning_rate, dtype=float).reshape(-1, 1, 1)
    return Parameters(
        [W - rate * dW for W, dW in zip(params.weights, grads.weights, strict=True)],
        [b - rate * db for b, db in zip(params.biases, grads.biases, strict=True)],
    )


def predict_proba(params: Parameters, X: FloatArray) -> FloatArray:
    """What each model gives (no dropout), shape ``(K, n_L, m)``: one sigmoid unit the
    probability of class 1 ``(K, 1, m)``; C softmax units the C class probabilities."""
    return forward(params, X).output


def predict(params: Parameters, X: FloatArray) -> NDArray[np.int64]:
    """The predicted class indices, int64, shape ``(K, 1, m)``: one sigmoid unit 1 where
    the probability is > 0.5 (the course's rule); softmax the argmax of the logits (the
    lowest class index on ties)."""
    passed = forward(params, X)
    classes: NDArray[np.int64]
    if passed.output.shape[-2] == 1:
        classes = (passed.output > 0.5).astype(np.int64)
    else:
        classes = np.argmax(passed.logits, axis=-2, keepdims=True).astype(np.int64)
    return classes


def accuracy(params: Parameters, X: FloatArray, Y: FloatArray) -> FloatArray:
    """Fraction of examples each model classifies correctly, shape ``(K,)``."""
    correct = predict(params, X) == Y
    fraction: FloatArray = correct.mean(axis=(-2, -1))
    return fraction
