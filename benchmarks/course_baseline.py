"""The plain NumPy baseline: one model trained the way the exercise's notebook writes it.

Dictionaries of parameters, ``np.dot`` per layer, a cache tuple, one model at a
time, the cost computed every 1,000 iterations with the exercise's
NaN-ignoring cross-entropy. Same math as reglab's engine (L2 with the
lambda/(2m) convention, inverted dropout with fixed course masks or fresh
ones); same initialization (legacy ``RandomState(3)``, ``randn / sqrt(fan_in)``).
Only used by benchmarks/run.py, to measure what reglab's kernel is compared with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Params = dict[str, Array]


def initialize_parameters(layer_dims: list[int]) -> Params:
    """The exercise's ``initialize_parameters``: legacy seed 3, ``randn / sqrt(fan_in)``."""
    legacy = np.random.RandomState(3)
    parameters: Params = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = legacy.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(
            layer_dims[l - 1]
        )
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def relu(x: Array) -> Array:
    """The exercise's ReLU."""
    return np.maximum(0, x)


def sigmoid(x: Array) -> Array:
    """The exercise's sigmoid."""
    s: Array = 1 / (1 + np.exp(-x))
    return s


def forward_propagation(
    X: Array, parameters: Params, masks: list[Array] | None, keep_prob: float
) -> tuple[Array, tuple[Any, ...]]:
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID (with dropout when masks given)."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    if masks is not None:
        A1 = A1 * masks[0]
        A1 = A1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    if masks is not None:
        A2 = A2 * masks[1]
        A2 = A2 / keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache


def compute_cost(a3: Array, Y: Array, parameters: Params, lambd: float) -> float:
    """The exercise's cross-entropy (NaN-ignoring sum), plus its L2 term."""
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    cost = float(1.0 / m * np.nansum(logprobs))
    if lambd:
        squares = sum(np.sum(np.square(parameters["W" + str(l)])) for l in (1, 2, 3))
        cost += float(1 / m * lambd / 2 * squares)
    return cost


def backward_propagation(
    X: Array,
    Y: Array,
    cache: tuple[Any, ...],
    lambd: float,
    masks: list[Array] | None,
    keep_prob: float,
) -> dict[str, Array]:
    """The exercise's backward pass, with its L2 and dropout variants folded in."""
    m = X.shape[1]
    (_, A1, W1, _, _, A2, W2, _, _, A3, W3, _) = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    if masks is not None:
        dA2 = dA2 * masks[1]
        dA2 = dA2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    if masks is not None:
        dA1 = dA1 * masks[0]
        dA1 = dA1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def update_parameters(parameters: Params, grads: dict[str, Array], learning_rate: float) -> Params:
    """The exercise's update loop over layers."""
    n_layers = len(parameters) // 2
    for k in range(n_layers):
        parameters["W" + str(k + 1)] = (
            parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        )
        parameters["b" + str(k + 1)] = (
            parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]
        )
    return parameters


def model(
    X: Array,
    Y: Array,
    *,
    learning_rate: float = 0.3,
    num_iterations: int = 30_000,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    layers: tuple[int, ...] = (20, 3, 1),
) -> tuple[Params, list[float]]:
    """Train one model as the exercise's ``model`` does; returns parameters and costs.

    Dropout uses the course's fixed masks (legacy seed 1, drawn once), which is
    what the exercise's per-call reseeding amounts to.
    """
    layer_dims = [X.shape[0], *layers]
    parameters = initialize_parameters(layer_dims)
    masks = None
    if keep_prob < 1:
        legacy = np.random.RandomState(1)
        masks = [(legacy.rand(n, X.shape[1]) < keep_prob).astype(int) for n in layers[:-1]]
    costs: list[float] = []
    for i in range(num_iterations):
        a3, cache = forward_propagation(X, parameters, masks, keep_prob)
        if i % 1000 == 0:
            costs.append(compute_cost(a3, Y, parameters, lambd))
        grads = backward_propagation(X, Y, cache, lambd, masks, keep_prob)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
