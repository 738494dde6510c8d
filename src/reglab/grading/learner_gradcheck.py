"""Gradient checks of a learner's backward functions against the learner's own cost.

Runs in the learner's child process (the functions are theirs). The parameters of
the exercise's unit checks are nudged by central differences (epsilon 1e-7) and the
learner's cost re-evaluated; the learner's backward pass gives the gradients to
compare, per parameter array, so a learner sees *which* array is wrong without any
reference. With dropout the learner's forward pass re-seeds the generator on every
call, so its masks are fixed and the cost is a function of the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reglab import course
from reglab.engine.gradcheck import GradientCheck, central_differences, compare_gradients
from reglab.types import FloatArray

LAMBD = 0.7
KEEP_PROB = 0.86
PARAMETER_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def _inputs() -> tuple[FloatArray, FloatArray, dict[str, FloatArray]]:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    _, Y, _ = course.backward_propagation_with_regularization_test_case()
    return X, Y, parameters


def _check(
    cost: Callable[[dict[str, FloatArray]], float],
    gradients: dict[str, Any],
    parameters: dict[str, FloatArray],
) -> GradientCheck:
    approximation = central_differences(cost, {n: parameters[n] for n in PARAMETER_NAMES})
    backpropagated = {
        name: np.asarray(gradients[f"d{name}"], dtype=float).reshape(parameters[name].shape)
        for name in PARAMETER_NAMES
    }
    return compare_gradients(backpropagated, approximation)


def check_regularization(namespace: dict[str, Any]) -> GradientCheck:
    """``backward_propagation_with_regularization`` against ``compute_cost_with_regularization``.

    The forward pass is the course's plain one (``reg_utils.forward_propagation``,
    the learner's own if their file has it).
    """
    forward = namespace.get("forward_propagation", course.forward_propagation)
    cost_function = namespace["compute_cost_with_regularization"]
    backward = namespace["backward_propagation_with_regularization"]
    X, Y, parameters = _inputs()

    def cost(candidate: dict[str, FloatArray]) -> float:
        A3, _ = forward(X, candidate)
        return float(np.squeeze(cost_function(A3, Y, candidate, LAMBD)))

    _, cache = forward(X, {n: v.copy() for n, v in parameters.items()})
    return _check(cost, backward(X, Y, cache, LAMBD), parameters)


def check_dropout(namespace: dict[str, Any]) -> GradientCheck:
    """``backward_propagation_with_dropout`` against the cost of the learner's dropout pass.

    The cost is ``reg_utils.compute_cost`` (the learner's own if their file has it)
    of the learner's dropped-out output.
    """
    forward = namespace["forward_propagation_with_dropout"]
    cost_function = namespace.get("compute_cost", course.compute_cost)
    backward = namespace["backward_propagation_with_dropout"]
    X, Y, parameters = _inputs()

    # The masks must be the same in every call, as the exercise's forward pass makes them by
    # re-seeding; seeded here too, so a forward pass that forgets to re-seed is still checked
    # against a fixed mask (its own mistake is reported by the function's cases).
    def cost(candidate: dict[str, FloatArray]) -> float:
        np.random.seed(MASK_SEED)  # noqa: NPY002 - the learner's code draws from it, as the course's
        A3, _ = forward(X, candidate, KEEP_PROB)
        return float(np.squeeze(cost_function(A3, Y)))

    np.random.seed(MASK_SEED)  # noqa: NPY002 - as above
    _, cache = forward(X, {n: v.copy() for n, v in parameters.items()}, KEEP_PROB)
    return _check(cost, backward(X, Y, cache, KEEP_PROB), parameters)


MASK_SEED = 1
"""The seed of NumPy's global generator before each forward pass (the exercise's own)."""


CHECKS: dict[str, tuple[Callable[[dict[str, Any]], GradientCheck], tuple[str, ...]]] = {
    "backward_propagation_with_regularization": (
        check_regularization,
        ("compute_cost_with_regularization", "backward_propagation_with_regularization"),
    ),
    "backward_propagation_with_dropout": (
        check_dropout,
        ("forward_propagation_with_dropout", "backward_propagation_with_dropout"),
    ),
}
"""Per backward function: its check and the learner functions it needs."""
