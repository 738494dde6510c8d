"""The update rules, in NumPy: gradient descent, the course's momentum and Adam.

With ``g`` a parameter's full gradient (the data term plus the L2 and L1 terms; biases
are updated the same way), ``t`` the update's number counted from 1 and ``v``, ``s``
starting at 0:

- gradient descent: ``p -= learning_rate * g``;
- momentum: ``v = beta1 v + (1 - beta1) g``; ``p -= learning_rate * v``;
- Adam: ``v = beta1 v + (1 - beta1) g``; ``s = beta2 s + (1 - beta2) g^2``;
  ``p -= learning_rate * (v / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + epsilon)``.

These are the course's conventions (``update_parameters_with_momentum`` and
``update_parameters_with_adam``). Pure functions on arrays of K stacked models, one
rule per model: the readable form the compiled kernel (:func:`reglab.engine.kernel_updates._update`)
must reproduce, used by :mod:`reglab.engine.reference`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reglab.engine.network import Gradients, Parameters
from reglab.types import FloatArray

ADAM_USUAL_LEARNING_RATE = 0.01
"""The largest learning rate Adam is usually run at (Keras and PyTorch default to 0.001).

Adam moves each parameter by about ``learning_rate`` per update whatever its gradient's
size, so the exercise's 0.3, a rate for gradient descent, makes it jump about; the faces
say so when a model asks for Adam above this rate."""


@dataclass(frozen=True)
class OptimizerState:
    """Momentum's and Adam's running averages for K stacked models.

    Attributes:
        velocity: ``v`` per parameter array, the shapes of ``weights + biases``.
        squares: ``s`` likewise (Adam's average of squared gradients).
        step: the updates made so far (Adam's ``t`` is ``step + 1`` at the next one).
    """

    velocity: list[FloatArray]
    squares: list[FloatArray]
    step: int


def initial_state(params: Parameters) -> OptimizerState:
    """Zero averages shaped like ``params`` and no update made."""
    arrays = params.weights + params.biases
    return OptimizerState([np.zeros_like(a) for a in arrays], [np.zeros_like(a) for a in arrays], 0)


def momentum_velocity(v: FloatArray, g: FloatArray, beta1: FloatArray | float) -> FloatArray:
    """The course's velocity, ``beta1 v + (1 - beta1) g`` (an average, not a sum, of gradients)."""
    return beta1 * v + (1 - beta1) * g


def adam_squares(s: FloatArray, g: FloatArray, beta2: FloatArray | float) -> FloatArray:
    """Adam's average of squared gradients, ``beta2 s + (1 - beta2) g^2``."""
    return beta2 * s + (1 - beta2) * (g * g)


def adam_direction(
    v: FloatArray,
    s: FloatArray,
    t: int,
    beta1: FloatArray | float,
    beta2: FloatArray | float,
    epsilon: FloatArray | float,
) -> FloatArray:
    """Adam's step before the learning rate, ``(v / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t))
    + epsilon)``: bias-corrected averages, epsilon outside the square root."""
    first = 1 - np.power(beta1, float(t))
    second = 1 - np.power(beta2, float(t))
    direction: FloatArray = (v / first) / (np.sqrt(s / second) + epsilon)
    return direction


def update(
    params: Parameters,
    grads: Gradients,
    state: OptimizerState,
    rules: Sequence[str],
    learning_rate: FloatArray,
    beta1: FloatArray,
    beta2: FloatArray,
    epsilon: FloatArray,
) -> tuple[Parameters, OptimizerState]:
    """One update of K models, each by its own rule.

    Args:
        params, grads: K stacked models and their full gradients (:func:`reglab.engine.backward`).
        state: the averages before this update.
        rules: per model ``"gd"``, ``"momentum"`` or ``"adam"``.
        learning_rate, beta1, beta2, epsilon: per model, shape ``(K,)``.

    Returns:
        The new parameters and averages (new arrays; the inputs are left unchanged).
    """
    shape = (-1, 1, 1)
    rate, b1, b2, eps = (np.reshape(a, shape) for a in (learning_rate, beta1, beta2, epsilon))
    is_momentum = np.array([r == "momentum" for r in rules]).reshape(shape)
    is_adam = np.array([r == "adam" for r in rules]).reshape(shape)
    t = state.step + 1
    arrays = params.weights + params.biases
    gradients = grads.weights + grads.biases
    new_arrays, velocity, squares = [], [], []
    for p, g, v, s in zip(arrays, gradients, state.velocity, state.squares, strict=True):
        v = momentum_velocity(v, g, b1)
        s = adam_squares(s, g, b2)
        step = np.where(is_adam, adam_direction(v, s, t, b1, b2, eps), np.where(is_momentum, v, g))
        new_arrays.append(p - rate * step)
        velocity.append(v)
        squares.append(s)
    n = len(params.weights)
    return Parameters(new_arrays[:n], new_arrays[n:]), OptimizerState(velocity, squares, t)
