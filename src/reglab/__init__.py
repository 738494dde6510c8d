"""reglab: a regularization lab around the deep-learning course's L2/dropout exercise."""

from importlib.metadata import PackageNotFoundError, version

from reglab.config import TrainConfig
from reglab.engine import TrainedModels, train
from reglab.errors import DataError, DivergenceError, ParameterError, ReglabError

try:
    __version__ = version("reglab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "DataError",
    "DivergenceError",
    "ParameterError",
    "ReglabError",
    "TrainConfig",
    "TrainedModels",
    "__version__",
    "train",
]
