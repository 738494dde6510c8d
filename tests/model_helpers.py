"""Saved models with random weights, for the model-file and ONNX tests."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from reglab.config import TrainConfig
from reglab.models import SavedModel

SHA = "ab" * 32
"""A well-formed data sha256."""


def random_model(
    layers: tuple[int, ...] = (2, 5, 1),
    classes: tuple[object, ...] = (0, 1),
    seed: int = 0,
) -> SavedModel:
    """A model of ``layers`` with normal weights and biases drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return SavedModel(
        config=TrainConfig(layers=layers, l2=0.7, seed=seed),
        weights=tuple(rng.normal(size=(n, p)) for p, n in pairwise(layers)),
        biases=tuple(rng.normal(size=(n, 1)) for n in layers[1:]),
        classes=classes,  # type: ignore[arg-type]
        n_features=layers[0],
        data_sha256=SHA,
        reglab_version="0.4.0",
    )
