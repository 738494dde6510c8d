"""reglab: a regularization lab around the deep-learning course's L2/dropout exercise.

The configuration, the errors and the version load at once; the rest (the
engine and its compiled kernel, NumPy, the data loaders, the experiments) on
first use of a name (PEP 562), so ``reglab --help`` starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reglab.config import TrainConfig
from reglab.errors import DataError, DivergenceError, ParameterError, ReglabError
from reglab.version import __version__

if TYPE_CHECKING:
    from reglab.data.sources import list_datasets, load_dataset
    from reglab.engine import TrainedModels, train
    from reglab.experiments.exercise import EXERCISE_MODELS, compare
    from reglab.experiments.seeds import seed_study
    from reglab.experiments.sweep import SweepGrid, sweep
    from reglab.models import SavedModel, load_model, save_model

_LAZY = {
    "list_datasets": "reglab.data.sources",
    "load_dataset": "reglab.data.sources",
    "TrainedModels": "reglab.engine",
    "train": "reglab.engine",
    "EXERCISE_MODELS": "reglab.experiments.exercise",
    "compare": "reglab.experiments.exercise",
    "seed_study": "reglab.experiments.seeds",
    "SweepGrid": "reglab.experiments.sweep",
    "sweep": "reglab.experiments.sweep",
    "SavedModel": "reglab.models",
    "load_model": "reglab.models",
    "save_model": "reglab.models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reglab' has no attribute {name!r}")


__all__ = [
    "EXERCISE_MODELS",
    "DataError",
    "DivergenceError",
    "ParameterError",
    "ReglabError",
    "SavedModel",
    "SweepGrid",
    "TrainConfig",
    "TrainedModels",
    "__version__",
    "compare",
    "list_datasets",
    "load_dataset",
    "load_model",
    "save_model",
    "seed_study",
    "sweep",
    "train",
]
