"""The configuration of one training run, validated when it is built.

A :class:`TrainConfig` names everything that decides a model: architecture,
optimizer settings, regularizers, initialization and randomness. Configurations
that share ``layers``, ``iterations`` and ``record_every`` can be trained
together in one batched engine call.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

from reglab.constraints import (
    ByteSize,
    Constraint,
    Flag,
    Integer,
    LayerSizes,
    Options,
    OrAll,
    Pattern,
    Real,
)
from reglab.errors import ParameterError

MaskMode = Literal["fresh", "course"]
InitScheme = Literal["course", "lecun", "he", "xavier"]
Backend = Literal["local", "joblib", "dask", "ray"]
Optimizer = Literal["gd", "momentum", "adam"]

MASK_MODES: tuple[str, ...] = get_args(MaskMode)
INIT_SCHEMES: tuple[str, ...] = get_args(InitScheme)
BACKENDS: tuple[str, ...] = get_args(Backend)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)

# Caps: past them a run would not finish in a working day, or not fit in memory.
MAX_ITERATIONS = 1_000_000_000
"""The most iterations of one model (about 1.5 hours of one core for the exercise's network)."""
MAX_LAYER_WIDTH = 100_000
"""The widest layer (its weights alone, times the next layer's width, decide the memory)."""
MAX_LAYERS = 64
"""The most layers, input and output included."""
MAX_SEED = 2**63 - 1
"""The largest seed: seeds are stored as SQLite integers (signed 64 bits)."""
MAX_SEEDS = 1_000_000
"""The most seeds a seed study or a sweep may name."""
MAX_MODELS = 5_000
"""The most models (cells x seeds) of one sweep or seed study without ``--yes``
(``max_configs=None`` in the library)."""
DEFAULT_CHUNK_SIZE = 64
"""Models per engine call in seed studies and sweeps."""
MAX_CHUNK_SIZE = 100_000
"""The most models in one engine call."""
MAX_CLASSES = 50
"""The most classes a built-in generator draws (``classes``)."""

PARAMETERS: dict[str, Constraint] = {
    # TrainConfig's fields
    "layers": LayerSizes(max_width=MAX_LAYER_WIDTH, max_layers=MAX_LAYERS),
    "learning_rate": Real(0.0, low_open=True),
    "iterations": Integer(1, MAX_ITERATIONS, cap="reglab's cap"),
    "l2": Real(0.0),
    "l1": Real(0.0),
    "keep_prob": Real(0.0, 1.0, low_open=True, finite_inverse=True),
    "optimizer": Options(OPTIMIZERS),
    "beta1": Real(0.0, 1.0, high_open=True),
    "beta2": Real(0.0, 1.0, high_open=True),
    "epsilon": Real(0.0, low_open=True),
    "masks": Options(MASK_MODES),
    "init": Options(INIT_SCHEMES),
    "seed": Integer(0, MAX_SEED, cap="stored as a 64-bit integer", high_text="2**63 - 1"),
    "record_every": Integer(1, MAX_ITERATIONS, cap="reglab's cap"),
    "batch_size": OrAll(Integer(1), "the whole training set"),
    "early_stopping": Flag(),
    "validation_fraction": Real(0.0, 1.0, low_open=True, high_open=True),
    "patience": Integer(1, MAX_ITERATIONS, cap="records without improvement; reglab's cap"),
    # How runs are made: seed studies, sweeps, memory, data
    "seeds": Integer(2, MAX_SEEDS, cap="a spread needs at least two runs; reglab's cap"),
    "sweep_seeds": Integer(1, MAX_SEEDS, cap="reglab's cap"),
    "chunk_size": Integer(1, MAX_CHUNK_SIZE, cap="reglab's cap"),
    "backend": Options(BACKENDS),
    "scheduler": Pattern(
        r"auto|(?:[a-z]+://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}",
        "an address such as tcp://127.0.0.1:8786 (host:port, with an optional scheme://; "
        "or auto, for ray)",
    ),
    "max_memory": ByteSize(1 << 20),
    "test_fraction": Real(0.0, 1.0, low_open=True, high_open=True),
    "classes": Integer(2, MAX_CLASSES, cap="reglab's cap"),
    # Time limits: a download's, a graded function's
    "timeout": Real(0.0, 86_400.0, low_open=True, text="a number of seconds in (0, 86400]"),
}
"""Every parameter's rule, declared once: :class:`TrainConfig`, the command line's
options, the sweep file and the library's functions check values with it."""


DEFAULTS_OMITTED: dict[str, object] = {
    "l1": 0.0,
    "optimizer": "gd",
    "beta1": 0.9,
    "beta2": 0.999,
    "epsilon": 1e-8,
    "batch_size": None,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "patience": 10,
}
"""The :class:`TrainConfig` fields that :meth:`TrainConfig.to_dict` leaves out at these
values, their defaults: fields added after the first results stores, so that the documents,
table columns and store keys of models that do not use them stay as they were."""


def check(name: str, value: object) -> Any:
    """``value`` checked by ``name``'s rule in :data:`PARAMETERS` and normalized (plain
    Python numbers, ``-0.0`` as ``0.0``); :class:`ParameterError` otherwise."""
    return PARAMETERS[name].check(name, value)


USED_ONLY_BY_OPTIMIZERS: dict[str, tuple[str, ...]] = {
    "beta1": ("momentum", "adam"),
    "beta2": ("adam",),
    "epsilon": ("adam",),
}
"""The settings only some update rules read."""

USED_ONLY_BY_EARLY_STOPPING = ("validation_fraction", "patience")
"""The settings only early stopping reads."""

USED_SETTINGS = (*USED_ONLY_BY_OPTIMIZERS, *USED_ONLY_BY_EARLY_STOPPING)
"""The settings :func:`check_settings_used` checks."""


def check_settings_used(
    values: Mapping[str, object],
    defaults: Mapping[str, object],
    optimizers: Collection[str],
    early_stopping: bool,
) -> None:
    """Refuse a setting given another value than its default where nothing reads it.

    A command line's or a sweep file's mistake: ``--beta1 0.5`` with plain gradient
    descent, or ``--patience 3`` without ``--early-stopping``, would train the model it
    trains without them, and a sweep would show identical cells as "within noise".
    ``values``/``defaults`` map the names above to what was given and to the default
    (single values, or a sweep's tuples); ``optimizers``: the update rules in use.
    (The library's :class:`TrainConfig` and the estimator accept them, as scikit-learn
    accepts ``momentum`` with ``solver="adam"``: a grid search sets them everywhere.)
    """
    for name, users in USED_ONLY_BY_OPTIMIZERS.items():
        if values[name] != defaults[name] and not set(users) & set(optimizers):
            optimizer = " or ".join(users)
            rule = f"left at its default unless the optimizer is {optimizer}, which reads it"
            raise ParameterError(name, rule, values[name])
    for name in USED_ONLY_BY_EARLY_STOPPING:
        if values[name] != defaults[name] and not early_stopping:
            rule = "left at its default unless early stopping is on (--early-stopping)"
            raise ParameterError(name, rule, values[name])


def validation_examples(fraction: float, m: int) -> int:
    """The examples early stopping holds out of ``m`` for validation: ``ceil(fraction * m)``."""
    return math.ceil(fraction * m)


@dataclass(frozen=True)
class TrainConfig:
    """One model to train: a ReLU/sigmoid network, its update rule and regularizers.

    Attributes:
        layers: layer sizes from input to output, e.g. ``(2, 20, 3, 1)``; the
            last is 1 (one sigmoid output for binary classification).
        learning_rate: gradient-descent step size, > 0.
        iterations: number of full-batch updates, >= 1.
        l2: L2 strength lambda, >= 0. Adds ``lambda/(2m) * sum ||W||_F^2`` to
            the cost and ``(lambda/m) * W`` to each weight gradient; biases are
            not penalized (the course's convention).
        l1: L1 strength alpha, >= 0. Adds ``(alpha/m) * sum |W|`` to the cost and
            ``(alpha/m) * sign(W)`` to each weight gradient (sign(0) = 0); biases are
            not penalized. With ``l2`` too: the elastic net.
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
        optimizer: the update rule, with ``g`` the full gradient (L2 and L1 terms
            included) of every weight and bias: ``"gd"`` gradient descent,
            ``p -= learning_rate * g``; ``"momentum"`` the course's
            ``v = beta1 v + (1 - beta1) g; p -= learning_rate * v``; ``"adam"``, with
            ``t`` counting updates from 1, ``v = beta1 v + (1 - beta1) g``,
            ``s = beta2 s + (1 - beta2) g^2``, ``p -= learning_rate * (v / (1 - beta1^t))
            / (sqrt(s / (1 - beta2^t)) + epsilon)``; ``v`` and ``s`` start at 0.
        beta1: momentum's and Adam's first-moment decay, in [0, 1).
        beta2: Adam's second-moment decay, in [0, 1).
        epsilon: Adam's term added to the square root, > 0.
        batch_size: examples per update (mini-batch gradient descent), >= 1; None (the
            default) is the whole training set, full-batch gradient descent. An iteration
            is one update; each epoch goes through a permutation of the training set drawn
            from ``seed``, the last batch the remainder. The gradient is the batch's mean
            plus the full-data penalty gradient (``(l2/m) W``, m the training set), so the
            objective does not depend on it; a size above m is m.
        early_stopping: hold out ``validation_fraction`` of the training set (drawn from
            ``seed``'s fourth stream), record its cost (plain pass, plus the penalties)
            every ``record_every`` iterations, stop after ``patience`` records without a
            lower one, and return the parameters of the lowest.
        validation_fraction: the held-out share, in (0, 1): ``ceil(fraction * m)`` examples.
        patience: records without improvement before stopping, >= 1.
    """

    layers: tuple[int, ...] = (2, 20, 3, 1)
    learning_rate: float = 0.3
    iterations: int = 30_000
    l2: float = 0.0
    l1: float = 0.0
    keep_prob: float = 1.0
    masks: MaskMode = "fresh"
    init: InitScheme = "course"
    seed: int = 0
    record_every: int = 1_000
    optimizer: Optimizer = "gd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    batch_size: int | None = None
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 10

    def __post_init__(self) -> None:
        for field in fields(self):
            object.__setattr__(self, field.name, check(field.name, getattr(self, field.name)))

    def examples_trained_on(self, m: int) -> int:
        """Of ``m`` training examples, those the model trains on and its training accuracy
        and cost are over: all, or with early stopping all but its validation split."""
        return m - validation_examples(self.validation_fraction, m) if self.early_stopping else m

    @property
    def architecture(self) -> tuple[tuple[int, ...], int, int]:
        """What configurations must share to be trained in one batch."""
        return (self.layers, self.iterations, self.record_every)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``TrainConfig.from_dict(c.to_dict()) == c``.

        The fields of :data:`DEFAULTS_OMITTED` appear only away from their defaults
        (absent means the default): the documents, table columns and results-store keys
        of models that do not use them stay those of reglab before them, so stores
        written then still resume.
        """
        data = asdict(self)
        data["layers"] = list(self.layers)
        for name, default in DEFAULTS_OMITTED.items():
            if data[name] == default:
                del data[name]
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
