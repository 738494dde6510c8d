"""The cases each function is graded on: the published unit check, then held-out ones.

Every case's expected output is :mod:`reglab.course`'s (itself tested against SPEC.md's
published numbers). Held-out cases vary what a correct function must not depend on:
the layer sizes (three layers, as the exercise's functions are written for), the
number of examples m, lambda, keep_prob; biases are non-zero so that regularizing
them shows. They are drawn from a fixed generator: the same cases on every run.
"""

# The course's test-case builders seed NumPy's global generator; the grader calls them.

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from reglab import course
from reglab.types import FloatArray

CASES_SEED = 2_024
"""Seed of the generator the held-out cases are drawn from."""

CACHE_NAMES = ("Z1", "D1", "A1", "W1", "b1", "Z2", "D2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")
"""The dropout forward pass's cache, item by item."""

_HELD_OUT = (
    ((2, 20, 3, 1), 211, 0.7, 0.86),
    ((4, 5, 2, 1), 7, 0.3, 0.5),
    ((3, 2, 3, 1), 1, 2.5, 0.9),
    ((5, 3, 4, 1), 12, 0.05, 0.7),
    ((1, 4, 4, 1), 30, 1.0, 0.6),
    ((6, 8, 2, 1), 50, 0.7, 0.8),
    ((2, 20, 3, 1), 9, 0.0, 0.95),
    ((2, 1, 1, 1), 3, 0.7, 0.75),
    ((3, 10, 10, 1), 100, 0.2, 0.65),
    ((7, 2, 6, 1), 2, 5.0, 0.4),
)
"""``(layers, m, lambd, keep_prob)`` of the held-out cases."""


@dataclass(frozen=True)
class Case:
    """One call of a learner's function.

    Attributes:
        label: what the case is, for messages (``published check 1 (lambd = 0.1)``).
        arguments: the positional arguments, in the course's order.
        expected: reglab.course's output for them.
        published: True for the exercise's own unit check.
    """

    label: str
    arguments: tuple[Any, ...]
    expected: Any
    published: bool = False


def _parameters(rng: np.random.Generator, layers: tuple[int, ...]) -> dict[str, FloatArray]:
    parameters = {}
    for l in range(1, len(layers)):
        parameters[f"W{l}"] = rng.standard_normal((layers[l], layers[l - 1])) / np.sqrt(
            layers[l - 1]
        )
        parameters[f"b{l}"] = 0.1 * rng.standard_normal((layers[l], 1))
    return parameters


def _labels(rng: np.random.Generator, m: int) -> FloatArray:
    """0/1 labels as floats (the published checks give integers: a solution sees both)."""
    labels: FloatArray = rng.integers(0, 2, size=(1, m)).astype(float)
    return labels


def _held_out_label(layers: tuple[int, ...], m: int, **values: float) -> str:
    settings = ", ".join(f"{name} = {value}" for name, value in values.items())
    return f"held-out case: layers {','.join(map(str, layers))}, m = {m}, {settings}"


def cost_cases() -> list[Case]:
    """``compute_cost_with_regularization(A3, Y, parameters, lambd)``."""
    A3, Y, parameters = course.compute_cost_with_regularization_test_case()
    cases = [
        Case(
            "published check 1 (lambd = 0.1)",
            (A3, Y, parameters, 0.1),
            course.compute_cost_with_regularization(A3, Y, parameters, 0.1),
            published=True,
        )
    ]
    rng = np.random.default_rng(CASES_SEED)
    for layers, m, lambd, _ in _HELD_OUT:
        A3 = rng.uniform(0.02, 0.98, size=(1, m))
        Y = _labels(rng, m)
        parameters = _parameters(rng, layers)
        expected = course.compute_cost_with_regularization(A3, Y, parameters, lambd)
        label = _held_out_label(layers, m, lambd=lambd)
        cases.append(Case(label, (A3, Y, parameters, lambd), expected))
    return cases


def backward_regularization_cases() -> list[Case]:
    """``backward_propagation_with_regularization(X, Y, cache, lambd)``."""
    X, Y, cache = course.backward_propagation_with_regularization_test_case()
    cases = [
        Case(
            "published check 2 (lambd = 0.7)",
            (X, Y, cache, 0.7),
            course.backward_propagation_with_regularization(X, Y, cache, 0.7),
            published=True,
        )
    ]
    rng = np.random.default_rng(CASES_SEED + 1)
    for layers, m, lambd, _ in _HELD_OUT:
        X = rng.standard_normal((layers[0], m))
        Y = _labels(rng, m)
        _, cache = course.forward_propagation(X, _parameters(rng, layers))
        expected = course.backward_propagation_with_regularization(X, Y, cache, lambd)
        label = _held_out_label(layers, m, lambd=lambd)
        cases.append(Case(label, (X, Y, cache, lambd), expected))
    return cases


def forward_dropout_cases() -> list[Case]:
    """``forward_propagation_with_dropout(X, parameters, keep_prob)``."""
    X, parameters = course.forward_propagation_with_dropout_test_case()
    cases = [
        Case(
            "published check 3 (keep_prob = 0.7)",
            (X, parameters, 0.7),
            course.forward_propagation_with_dropout(X, parameters, 0.7),
            published=True,
        )
    ]
    rng = np.random.default_rng(CASES_SEED + 2)
    for layers, m, _, keep_prob in _HELD_OUT:
        X = rng.standard_normal((layers[0], m))
        parameters = _parameters(rng, layers)
        expected = course.forward_propagation_with_dropout(X, parameters, keep_prob)
        label = _held_out_label(layers, m, keep_prob=keep_prob)
        cases.append(Case(label, (X, parameters, keep_prob), expected))
    return cases


def backward_dropout_cases() -> list[Case]:
    """``backward_propagation_with_dropout(X, Y, cache, keep_prob)``."""
    X, Y, cache = course.backward_propagation_with_dropout_test_case()
    cases = [
        Case(
            "published check 4 (forward keep_prob = 0.5, backward keep_prob = 0.8)",
            (X, Y, cache, 0.8),
            course.backward_propagation_with_dropout(X, Y, cache, 0.8),
            published=True,
        )
    ]
    rng = np.random.default_rng(CASES_SEED + 3)
    for layers, m, _, keep_prob in _HELD_OUT:
        X = rng.standard_normal((layers[0], m))
        Y = _labels(rng, m)
        _, cache = course.forward_propagation_with_dropout(X, _parameters(rng, layers), keep_prob)
        expected = course.backward_propagation_with_dropout(X, Y, cache, keep_prob)
        label = _held_out_label(layers, m, keep_prob=keep_prob)
        cases.append(Case(label, (X, Y, cache, keep_prob), expected))
    return cases


_GLOBAL_GENERATOR = threading.Lock()
"""Held while cases are built: reglab.course seeds and draws from NumPy's global generator."""


def build_cases(name: str) -> list[Case]:
    """The cases of function ``name``; safe to call from several threads at once."""
    with _GLOBAL_GENERATOR:
        return CASES[name]()


CASES: dict[str, Callable[[], list[Case]]] = {
    "compute_cost_with_regularization": cost_cases,
    "backward_propagation_with_regularization": backward_regularization_cases,
    "forward_propagation_with_dropout": forward_dropout_cases,
    "backward_propagation_with_dropout": backward_dropout_cases,
}
"""The four graded functions, in the exercise's order, and their cases."""
