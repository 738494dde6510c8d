"""Gradient checking: backpropagation against central differences of the cost.

The course's gradient-checking exercise, for any of reglab's networks: every
parameter is nudged by ``+-epsilon`` in turn, the cost is evaluated at both
points, and ``(J(theta + eps) - J(theta - eps)) / (2 eps)`` is compared with the
backpropagated gradient by the relative difference
``||g - g~|| / (||g|| + ||g~||)``, overall and per parameter array. With dropout
the masks are held fixed (drawn once), so the cost is a deterministic function
of the parameters, as the check needs.

:func:`central_differences` and :func:`relative_difference` take plain arrays and
callables, so the grader uses them on a learner's own cost too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, cast

import numpy as np

from reglab.config import TrainConfig
from reglab.engine.dropout import DropoutMasks, MaskSampler
from reglab.engine.losses import cross_entropy_from_logits, l1_penalty, l2_penalty
from reglab.engine.network import Parameters, backward, forward
from reglab.engine.training import prepare
from reglab.errors import ParameterError
from reglab.types import FloatArray

EPSILON = 1e-7
"""The course's step for central differences."""

THRESHOLD = 1e-7
"""A relative difference below this passes."""

MAX_WORK = 2_000_000_000
"""The most multiply-adds a check may take, about ``2 x parameters^2 x examples`` (two
cost evaluations per parameter, each a forward pass): seconds at this size in extended
precision. The exercise's network (147 parameters, 211 examples) needs 9 million."""

KINK = 1e-6
"""A hidden pre-activation closer than this to 0 counts as on a kink of ReLU."""

Cost = float | np.floating[Any]
"""A cost value: a float, or a NumPy scalar such as ``np.longdouble``."""


def relative_difference(gradient: FloatArray, approximation: FloatArray) -> float:
    """``||g - g~|| / (||g|| + ||g~||)`` (0 when both are zero)."""
    numerator = float(np.linalg.norm(np.ravel(gradient) - np.ravel(approximation)))
    denominator = float(np.linalg.norm(gradient) + np.linalg.norm(approximation))
    return 0.0 if denominator == 0 else numerator / denominator


def central_differences(
    cost: Callable[[dict[str, FloatArray]], Cost],
    parameters: Mapping[str, FloatArray],
    epsilon: float = EPSILON,
) -> dict[str, FloatArray]:
    """``(J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)`` for every entry of every array.

    Args:
        cost: J of a dict of arrays shaped as ``parameters`` (it receives copies); a
            float, or a ``np.longdouble`` whose extra digits the difference keeps.
        parameters: the point theta, e.g. ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``.
        epsilon: the step.

    Returns:
        One array per name, shaped as the parameter.
    """
    point = {name: np.array(value, dtype=float) for name, value in parameters.items()}
    approximation: dict[str, FloatArray] = {}
    for name, value in point.items():
        result = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            plus = cost({k: v.copy() for k, v in point.items()})
            step = value[index]
            value[index] = original - epsilon
            minus = cost({k: v.copy() for k, v in point.items()})
            step -= value[index]  # the step actually taken, 2 epsilon up to rounding
            value[index] = original
            result[index] = float((plus - minus) / step)
        approximation[name] = result
    return approximation


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of one gradient check.

    Attributes:
        difference: the relative difference over all parameters together.
        parameters: ``(name, relative difference)`` per array, ``W1, b1, W2, ...``.
        threshold: the difference below which the check passes.
        kinks: hidden pre-activations within :data:`KINK` of 0, where ReLU has a kink:
            a nudge may cross it, and central differences there measure half a slope
            that backpropagation (rightly, by its convention) does not. A failed
            check with kinks may be the check's fault rather than the gradient's.
    """

    difference: float
    parameters: tuple[tuple[str, float], ...]
    threshold: float = THRESHOLD
    kinks: int = 0

    @property
    def passed(self) -> bool:
        """True when the overall difference is below the threshold."""
        return self.difference < self.threshold

    def to_dict(self) -> dict[str, object]:
        """The JSON of ``reglab gradcheck``: ``difference``, ``passed``, ``threshold``,
        ``kinks`` and ``parameters`` (``[{"name", "difference"}, ...]``); a difference that
        is not finite (NaN from a learner's cost) is null."""
        return {
            "difference": _finite_or_none(self.difference),
            "passed": self.passed,
            "threshold": self.threshold,
            "kinks": self.kinks,
            "parameters": [
                {"name": name, "difference": _finite_or_none(value)}
                for name, value in self.parameters
            ],
        }


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity: a difference that is not finite is null."""
    return value if math.isfinite(value) else None


def compare_gradients(
    gradient: Mapping[str, FloatArray],
    approximation: Mapping[str, FloatArray],
    threshold: float = THRESHOLD,
) -> GradientCheck:
    """The relative difference of two gradient dicts (same names), overall and per array."""
    names = list(approximation)
    overall = relative_difference(
        np.concatenate([np.ravel(gradient[n]) for n in names]),
        np.concatenate([np.ravel(approximation[n]) for n in names]),
    )
    per_array = tuple((n, relative_difference(gradient[n], approximation[n])) for n in names)
    return GradientCheck(overall, per_array, threshold)


def _as_dict(params: Parameters) -> dict[str, FloatArray]:
    named: dict[str, FloatArray] = {}
    for l, (W, b) in enumerate(zip(params.weights, params.biases, strict=True), start=1):
        named[f"W{l}"] = W[0]
        named[f"b{l}"] = b[0]
    return named


def _extended(named: Mapping[str, FloatArray], n_layers: int) -> Parameters:
    """A K = 1 batch of ``named`` in extended precision (``np.longdouble``).

    The engine's functions are typed for float64 and compute the same in any float dtype.
    """
    return Parameters(
        weights=[
            cast(FloatArray, np.asarray(named[f"W{l}"], dtype=np.longdouble)[np.newaxis])
            for l in range(1, n_layers + 1)
        ],
        biases=[
            cast(FloatArray, np.asarray(named[f"b{l}"], dtype=np.longdouble)[np.newaxis])
            for l in range(1, n_layers + 1)
        ],
    )


def check_gradients(
    config: TrainConfig,
    X: FloatArray,
    Y: FloatArray,
    epsilon: float = EPSILON,
    threshold: float = THRESHOLD,
) -> GradientCheck:
    """Check the engine's backpropagation for ``config``'s model at its initial parameters.

    The cost is the engine's own: mean cross-entropy from the logits plus
    ``l2/(2m) * sum ||W||^2 + (l1/m) * sum |W|``, on the forward pass with ``config``'s dropout
    masks of the first iteration (course masks: the exercise's fixed ones; fresh:
    one draw from the configuration's mask generator), held fixed. The cost is
    evaluated in extended precision (``np.longdouble``, 80-bit where the platform has
    it) by the same engine functions: a difference of two costs 2e-7 apart then
    carries the gradient rather than float64 rounding, which in larger networks
    reaches the 1e-7 threshold on its own.

    Args:
        config: the model (layers, l2, l1, keep_prob, masks, init, seed). With L1, the
            check is meaningful only for weights farther than ``epsilon`` from 0, where
            ``|W|`` is smooth.
        X: inputs, shape ``(n_0, m)``.
        Y: 0/1 labels, shape ``(1, m)``.
        epsilon: the central-difference step.
        threshold: the overall difference below which the check passes.

    Returns:
        The overall and per-array relative differences, and how many hidden
        pre-activations sit on ReLU's kink (where the check itself is unreliable).
    """
    problem = prepare([config], X, Y, None, None)
    X, Y = problem.X, problem.Y
    m = X.shape[1]
    n_parameters = sum(n_out * (n_in + 1) for n_in, n_out in pairwise(problem.layers))
    work = 2 * n_parameters**2 * m
    if work > MAX_WORK:
        raise ParameterError(
            "layers",
            f"small enough to check: 2 x parameters^2 x examples at most {MAX_WORK:.0e} "
            f"(here {n_parameters:,} parameters and {m:,} examples: {work:.1e}; "
            "the exercise's network has 147 parameters)",
            config.layers,
        )
    sampler = MaskSampler(
        [config.keep_prob], [config.masks], problem.mask_rngs, problem.layers[1:-1], m
    )
    masks: DropoutMasks | None = sampler.sample() if sampler.active else None
    params = problem.initial
    n_layers = len(params.weights)
    l2 = np.array([config.l2])
    l1 = np.array([config.l1])

    X_extended = X.astype(np.longdouble)

    def cost(named: dict[str, FloatArray]) -> Cost:
        candidate = _extended(named, n_layers)
        passed = forward(candidate, X_extended, masks)  # type: ignore[arg-type]
        total = (
            cross_entropy_from_logits(passed.logits, Y)
            + l2_penalty(candidate.weights, l2, m)
            + l1_penalty(candidate.weights, l1, m)
        )
        extended: np.floating[Any] = total[0]
        return extended

    passed = forward(params, X, masks)
    gradients = backward(params, passed, Y, l2, l1=l1)
    kinks = sum(int(np.sum(np.abs(Z) < KINK)) for Z in passed.pre_activations[:-1])
    backpropagated = {}
    for l in range(n_layers):
        backpropagated[f"W{l + 1}"] = gradients.weights[l][0]
        backpropagated[f"b{l + 1}"] = gradients.biases[l][0]
    approximation = central_differences(cost, _as_dict(params), epsilon)
    return replace(compare_gradients(backpropagated, approximation, threshold), kinks=kinks)
