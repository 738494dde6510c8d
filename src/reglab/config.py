"""The configuration of one training run, validated when it is built.

A :class:`TrainConfig` names everything that decides a model: architecture,
optimizer settings, regularizers, initialization and randomness. Configurations
that share ``layers``, ``iterations`` and ``record_every`` can be trained
together in one batched engine call.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

import numpy as np

from reglab.errors import ParameterError

MaskMode = Literal["fresh", "course"]
InitScheme = Literal["course", "lecun", "he", "xavier"]

MASK_MODES: tuple[str, ...] = get_args(MaskMode)
INIT_SCHEMES: tuple[str, ...] = get_args(InitScheme)


def _is_int(value: object) -> bool:
    """Python and NumPy integers, not booleans."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    """Finite Python and NumPy reals, not booleans."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(value)
    )


@dataclass(frozen=True)
class TrainConfig:
    """One model to train: full-batch gradient descent on a ReLU/sigmoid network.

    Attributes:
        layers: layer sizes from input to output, e.g. ``(2, 20, 3, 1)``; the
            last is 1 (one sigmoid output for binary classification).
        learning_rate: gradient-descent step size, > 0.
        iterations: number of full-batch updates, >= 1.
        l2: L2 strength lambda, >= 0. Adds ``lambda/(2m) * sum ||W||_F^2`` to
            the cost and ``(lambda/m) * W`` to each weight gradient; biases are
            not penalized (the course's convention).
        keep_prob: probability of keeping a hidden unit under inverted dropout,
            in (0, 1]; 1 turns dropout off. Output layer is never dropped.
        masks: ``"fresh"`` draws a new dropout mask every iteration from this
            configuration's generator (dropout as the method defines it);
            ``"course"`` reuses the exercise's fixed masks (legacy seed 1).
        init: ``"course"`` is the exercise's initialization (legacy seed 3,
            ``randn/sqrt(fan_in)``, ignores ``seed``); ``"lecun"`` draws the
            same distribution from this configuration's generator; ``"he"``
            uses ``sqrt(2/fan_in)`` and ``"xavier"`` ``sqrt(2/(fan_in+fan_out))``
            as the standard deviation of a normal.
        seed: seeds this configuration's ``numpy.random.Generator`` (fresh
            masks and non-course initializations), >= 0.
        record_every: record cost and accuracies every this many iterations.
    """

    layers: tuple[int, ...] = (2, 20, 3, 1)
    learning_rate: float = 0.3
    iterations: int = 30_000
    l2: float = 0.0
    keep_prob: float = 1.0
    masks: MaskMode = "fresh"
    init: InitScheme = "course"
    seed: int = 0
    record_every: int = 1_000

    def __post_init__(self) -> None:
        layers = self.layers
        if (
            not isinstance(layers, tuple)
            or len(layers) < 2
            or not all(_is_int(n) and n >= 1 for n in layers)
        ):
            raise ParameterError(
                "layers", "at least two positive integer sizes, e.g. (2, 20, 3, 1)", layers
            )
        if layers[-1] != 1:
            raise ParameterError(
                "layers", "a sequence ending in 1 (one sigmoid output unit)", layers
            )
        if not _is_real(self.learning_rate) or self.learning_rate <= 0:
            raise ParameterError("learning_rate", "a finite number > 0", self.learning_rate)
        if not _is_int(self.iterations) or self.iterations < 1:
            raise ParameterError("iterations", "an integer >= 1", self.iterations)
        if not _is_real(self.l2) or self.l2 < 0:
            raise ParameterError("l2", "a finite number >= 0", self.l2)
        if not _is_real(self.keep_prob) or not 0 < self.keep_prob <= 1:
            raise ParameterError("keep_prob", "in (0, 1]", self.keep_prob)
        if 1.0 / self.keep_prob == float("inf"):  # a subnormal keep_prob
            raise ParameterError(
                "keep_prob",
                "in (0, 1] with a finite 1 / keep_prob (dropout scales by it)",
                self.keep_prob,
            )
        if self.masks not in MASK_MODES:
            raise ParameterError("masks", f"one of {', '.join(MASK_MODES)}", self.masks)
        if self.init not in INIT_SCHEMES:
            raise ParameterError("init", f"one of {', '.join(INIT_SCHEMES)}", self.init)
        if not _is_int(self.seed) or self.seed < 0:
            raise ParameterError("seed", "an integer >= 0", self.seed)
        if not _is_int(self.record_every) or self.record_every < 1:
            raise ParameterError("record_every", "an integer >= 1", self.record_every)
        # Store plain Python numbers (NumPy scalars are accepted) so configs serialize as JSON.
        for name, kind in (
            ("iterations", int),
            ("seed", int),
            ("record_every", int),
            ("learning_rate", float),
            ("l2", float),
            ("keep_prob", float),
        ):
            object.__setattr__(self, name, kind(getattr(self, name)))
        object.__setattr__(self, "layers", tuple(int(n) for n in layers))

    @property
    def architecture(self) -> tuple[tuple[int, ...], int, int]:
        """What configurations must share to be trained in one batch."""
        return (self.layers, self.iterations, self.record_every)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``TrainConfig.from_dict(c.to_dict()) == c``."""
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build a configuration from :meth:`to_dict` output (unknown keys are rejected)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError("config keys", f"among {sorted(known)}", unknown)
        values = dict(data)
        if "layers" in values and isinstance(values["layers"], list):
            values["layers"] = tuple(values["layers"])
        return cls(**values)
