"""A model's name in the exercise's words: one rule for every face that names models.

``reglab train`` names its model with it and the playground its models, so the same
configuration reads the same on the command line, on the page and in their reports.
The exercise's three models get exactly the names ``reglab compare`` prints.
"""

from __future__ import annotations

from reglab.config import DEFAULTS_OMITTED, TrainConfig

OPTIMIZER_LABELS = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam"}
"""The update rules as a model's name says them."""

OPTIMIZER_CONSTANTS = {"gd": (), "momentum": ("beta1",), "adam": ("beta1", "beta2", "epsilon")}
"""The constants each update rule reads, named when they are not the defaults."""

EXERCISE = TrainConfig()
"""The exercise's settings: a name says only what differs from them."""


def model_name(config: TrainConfig) -> str:
    """``"L2, lambda = 0.7"``, ``"L1, alpha = 0.01 + early stopping, patience = 5, Adam,
    beta2 = 0.99, learning_rate = 0.01, batches of 32"`` and the like.

    The regularizers, joined by ``" + "`` (``"no regularization"`` without any), then
    whatever else differs from the exercise: the update rule with its constants away
    from their defaults, the learning rate, mini-batches, the initialization.
    """
    parts = []
    if config.l2 > 0:
        parts.append(f"L2, lambda = {config.l2:g}")
    if config.l1 > 0:
        parts.append(f"L1, alpha = {config.l1:g}")
    if config.keep_prob < 1:
        parts.append(f"dropout, keep_prob = {config.keep_prob:g} ({config.masks} masks)")
    if config.early_stopping:
        parts.append(f"early stopping, patience = {config.patience}")
    name = " + ".join(parts) or "no regularization"
    if config.optimizer != "gd":
        constants = [
            f"{field} = {getattr(config, field):g}"
            for field in OPTIMIZER_CONSTANTS[config.optimizer]
            if getattr(config, field) != DEFAULTS_OMITTED[field]
        ]
        name += ", " + ", ".join([OPTIMIZER_LABELS[config.optimizer], *constants])
    if config.learning_rate != EXERCISE.learning_rate:
        name += f", learning_rate = {config.learning_rate:g}"
    if config.batch_size is not None:
        name += f", batches of {config.batch_size}"
    if config.init != EXERCISE.init:
        name += f", init = {config.init}"
    return name
