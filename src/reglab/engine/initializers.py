"""Initial weights: the course's scheme and generator-based ones.

``"course"`` reproduces the exercise bit for bit: a legacy ``RandomState(3)``
(the same stream as ``np.random.seed(3)``) draws, for each layer in order,
``W_l = randn(n_l, n_{l-1}) / sqrt(n_{l-1})``. It never touches NumPy's global
generator. The others draw from an explicit ``numpy.random.Generator``:

========  =================================  ==========================================
scheme    std of the normal W_l              same distribution as
========  =================================  ==========================================
lecun     ``1/sqrt(fan_in)``                 the course's initialization
he        ``sqrt(2/fan_in)``                 PyTorch ``kaiming_normal_`` (fan_in, ReLU)
xavier    ``sqrt(2/(fan_in + fan_out))``     PyTorch ``xavier_normal_`` (Keras'
                                             ``GlorotNormal`` truncates at 2 std)
========  =================================  ==========================================

Biases start at zero in every scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from reglab.config import InitScheme
from reglab.types import FloatArray

COURSE_INIT_SEED = 3


def _std(scheme: InitScheme, fan_in: int, fan_out: int) -> float:
    if scheme in ("course", "lecun"):
        return float(1.0 / np.sqrt(fan_in))
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def initialize(
    layers: Sequence[int],
    scheme: InitScheme,
    rng: np.random.Generator | None = None,
    legacy: np.random.RandomState | None = None,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Initial weights and biases of one model.

    Args:
        layers: layer sizes ``(n_0, ..., n_L)``.
        scheme: ``"course"``, ``"lecun"``, ``"he"`` or ``"xavier"``.
        rng: the generator for non-course schemes (required for them).
        legacy: for ``"course"``, the legacy generator to draw from; by default
            a fresh ``RandomState(3)``, which reproduces the exercise.

    Returns:
        ``(weights, biases)``: ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l``
        of shape ``(n_l, 1)``, for l = 1..L.
    """
    weights: list[FloatArray] = []
    biases: list[FloatArray] = []
    if scheme == "course":
        source = legacy if legacy is not None else np.random.RandomState(COURSE_INIT_SEED)
        for fan_in, fan_out in pairwise(layers):
            # Divide (not multiply by 1/sqrt) exactly as the course does.
            weights.append(source.randn(fan_out, fan_in) / np.sqrt(fan_in))
            biases.append(np.zeros((fan_out, 1)))
        return weights, biases
    if rng is None:
        raise ValueError(f"init scheme {scheme!r} needs a numpy.random.Generator")
    for fan_in, fan_out in pairwise(layers):
        std = _std(scheme, fan_in, fan_out)
        weights.append(rng.standard_normal((fan_out, fan_in)) * std)
        biases.append(np.zeros((fan_out, 1)))
    return weights, biases
