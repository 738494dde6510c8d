"""Cross-entropy (binary and softmax) and the L2 and L1 penalties, batched over K models.

The course's cost is ``-(1/m) * nansum(y*log(a) + (1-y)*log(1-a))``. reglab
computes the same quantity from the logits, ``log(1 + exp(-z))`` for y = 1 and
``log(1 + exp(z))`` for y = 0, which never takes log(0) and agrees with the
course to rounding wherever the course's value is finite. With C >= 3 output
units the cost is softmax cross-entropy, ``-(1/m) sum log p(true class)``, also
from the logits: ``log(sum_c exp(z_c)) - z_y``, the sum shifted by the largest logit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reglab.types import FloatArray


def cross_entropy_from_logits(logits: FloatArray, labels: FloatArray) -> FloatArray:
    """Mean cross-entropy of each model, computed stably from logits.

    One output unit: binary cross-entropy of a sigmoid; C >= 3 units: softmax
    cross-entropy (:func:`softmax_cross_entropy_from_logits`).

    Args:
        logits: output pre-activations Z_L, shape ``(K, 1, m)`` or ``(K, C, m)``.
        labels: 0/1 labels, or class indices 0..C-1 with C units, shape ``(1, m)``.

    Returns:
        The cost of each model, shape ``(K,)``.
    """
    if logits.shape[-2] > 1:
        return softmax_cross_entropy_from_logits(logits, labels)
    m = labels.shape[-1]
    signed = np.where(labels == 1, -logits, logits)
    total: FloatArray = np.logaddexp(0.0, signed).sum(axis=(-2, -1))
    cost: FloatArray = total / m
    return cost


def log_softmax(logits: FloatArray) -> FloatArray:
    """``z_c - log(sum_c' exp(z_c'))`` over the class axis (-2), shifted by the largest
    logit so that no exp overflows; any float dtype (the gradient check uses longdouble)."""
    shifted = logits - np.max(logits, axis=-2, keepdims=True)
    result: FloatArray = shifted - np.log(np.sum(np.exp(shifted), axis=-2, keepdims=True))
    return result


def softmax_cross_entropy_from_logits(logits: FloatArray, labels: FloatArray) -> FloatArray:
    """Mean softmax cross-entropy ``-(1/m) sum_t log p(y_t)`` of each model, from logits.

    Args:
        logits: output pre-activations Z_L, shape ``(K, C, m)``.
        labels: class indices 0..C-1 (floats holding integers), shape ``(1, m)``.

    Returns:
        The cost of each model, shape ``(K,)``.
    """
    m = labels.shape[-1]
    classes = np.broadcast_to(labels.astype(np.int64), (logits.shape[0], 1, m))
    true_class = np.take_along_axis(log_softmax(logits), classes, axis=-2)
    cost: FloatArray = -np.sum(true_class, axis=(-2, -1)) / m
    return cost


def cross_entropy_from_probabilities(probabilities: FloatArray, labels: FloatArray) -> FloatArray:
    """Mean binary cross-entropy from output probabilities, as the course computes it.

    ``0 * log(0)`` terms count as 0 (the course's NaN-ignoring sum); a confident
    wrong prediction (a = 1 where y = 0) gives an infinite cost, without warnings.

    Args:
        probabilities: sigmoid outputs, shape ``(..., 1, m)``.
        labels: 0/1 labels, shape ``(1, m)``.

    Returns:
        The cost, with the leading shape of ``probabilities`` (a scalar for ``(1, m)``).
    """
    from scipy.special import xlogy  # here: importing scipy.special costs ~0.3 s at start-up

    m = labels.shape[-1]
    log_likelihood = xlogy(labels, probabilities) + xlogy(1 - labels, 1 - probabilities)
    total: FloatArray = -np.sum(log_likelihood, axis=(-2, -1))
    cost: FloatArray = total / m
    return cost


def l2_penalty(weights: Sequence[FloatArray], l2: FloatArray, m: int) -> FloatArray:
    """The L2 term ``lambda/(2m) * sum_l ||W_l||_F^2`` of each model.

    Args:
        weights: per layer, shape ``(K, n_l, n_{l-1})``.
        l2: lambda of each model, shape ``(K,)``.
        m: number of training examples.

    Returns:
        The penalty of each model, shape ``(K,)``.
    """
    squared = sum(np.sum(np.square(W), axis=(-2, -1)) for W in weights)
    penalty: FloatArray = (1.0 / m) * (l2 / 2) * squared
    return penalty


def l1_penalty(weights: Sequence[FloatArray], l1: FloatArray, m: int) -> FloatArray:
    """The L1 term ``(alpha/m) * sum_l sum |W_l|`` of each model (biases are not penalized).

    Its gradient is ``(alpha/m) * sign(W)``, with sign(0) = 0 (a subgradient at 0).

    Args:
        weights: per layer, shape ``(K, n_l, n_{l-1})``.
        l1: alpha of each model, shape ``(K,)``.
        m: number of training examples.

    Returns:
        The penalty of each model, shape ``(K,)``.
    """
    absolute = sum(np.sum(np.abs(W), axis=(-2, -1)) for W in weights)
    penalty: FloatArray = (l1 / m) * absolute
    return penalty
