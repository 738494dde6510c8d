"""reglab: a regularization lab around the deep-learning course's L2/dropout exercise."""

from reglab.config import TrainConfig
from reglab.data.sources import list_datasets, load_dataset
from reglab.engine import TrainedModels, train
from reglab.errors import DataError, DivergenceError, ParameterError, ReglabError
from reglab.experiments.exercise import EXERCISE_MODELS, compare
from reglab.experiments.seeds import seed_study
from reglab.experiments.sweep import SweepGrid, sweep
from reglab.version import __version__

__all__ = [
    "EXERCISE_MODELS",
    "DataError",
    "DivergenceError",
    "ParameterError",
    "ReglabError",
    "SweepGrid",
    "TrainConfig",
    "TrainedModels",
    "__version__",
    "compare",
    "list_datasets",
    "load_dataset",
    "seed_study",
    "sweep",
    "train",
]
