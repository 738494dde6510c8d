"""The container every data source returns: a train/test split, examples as columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reglab.errors import DataError
from reglab.types import FloatArray


@dataclass(frozen=True)
class Dataset:
    """A classification dataset in the engine's orientation: labels 0/1 (binary) or 0..C-1.

    Attributes:
        name: short name, e.g. ``"football"`` (the exercise's file) or ``"moons"``.
        source: where it came from, for people: a path, ``"download ..."``,
            ``"cache ..."`` or ``"built-in generator (seed 0)"``.
        X_train: ``(n_features, m_train)`` float64.
        y_train: ``(1, m_train)`` float64 class indices 0..C-1 (0/1 for two classes).
        X_test: ``(n_features, m_test)`` float64.
        y_test: ``(1, m_test)`` float64 class indices, as ``y_train``.
        sha256: the file's sha256 when the data came from a file, else None.
        description: one line saying what the data is.
    """

    name: str
    source: str
    X_train: FloatArray
    y_train: FloatArray
    X_test: FloatArray
    y_test: FloatArray
    sha256: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        for role, X, y in (
            ("train", self.X_train, self.y_train),
            ("test", self.X_test, self.y_test),
        ):
            check_split(self.name, role, X, y)
        if self.X_train.shape[0] != self.X_test.shape[0]:
            raise DataError(
                f"dataset {self.name!r}: train and test must have the same number of features. "
                f"Received: {self.X_train.shape[0]} and {self.X_test.shape[0]}"
            )

    @property
    def n_features(self) -> int:
        """Number of input features (rows of X)."""
        return int(self.X_train.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes C: one more than the largest label of either split (at least 2)."""
        return max(2, int(max(self.y_train.max(), self.y_test.max())) + 1)

    def to_dict(self) -> dict[str, Any]:
        """The JSON description of the dataset (no data values)."""
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "n_train": int(self.X_train.shape[1]),
            "n_test": int(self.X_test.shape[1]),
        }


def check_split(name: str, role: str, X: FloatArray, y: FloatArray) -> None:
    """Raise :class:`DataError` unless X ``(n, m)``, y ``(1, m)`` are finite float64, y class
    indices (integers >= 0)."""
    where = f"dataset {name!r} ({role})"
    if not isinstance(X, np.ndarray) or X.dtype != np.float64 or X.ndim != 2 or X.shape[1] < 1:
        raise DataError(f"{where}: inputs must be a float64 array of shape (n_features, m)")
    if not isinstance(y, np.ndarray) or y.dtype != np.float64 or y.shape != (1, X.shape[1]):
        raise DataError(
            f"{where}: labels must be a float64 array of shape (1, {X.shape[1]}). "
            f"Received: shape {getattr(y, 'shape', None)}"
        )
    if not np.all(np.isfinite(X)):
        raise DataError(f"{where}: inputs must be finite. Received: NaN or infinite values")
    if not np.all((y >= 0) & (np.floor(y) == y)):
        raise DataError(f"{where}: labels must be integers 0..C-1 (0 or 1 for two classes)")


def check_both_classes(file: object, y: FloatArray, what: str, n_classes: int = 0) -> None:
    """Raise :class:`DataError` unless labels ``y`` hold at least two classes and every label
    0..C-1, C - 1 the largest (one class cannot be learned, and accuracy on it says nothing; a
    missing label would be a class never seen); ``file`` and ``what`` name them in the message.
    ``n_classes``: the classes of the whole file, when ``y`` is one split of it (0: ``y``'s)."""
    if y.size == 0:
        raise DataError(f"{file}: {what} must contain rows of both labels 0 and 1. Received: none")
    labels = np.unique(y)
    if labels.size < 2:
        raise DataError(
            f"{file}: {what} must contain both labels 0 and 1. "
            f"Received: only label {labels[0]:g} ({y.size} rows)"
        )
    largest = max(int(labels[-1]), n_classes - 1)
    if largest + 1 != labels.size:  # some label up to the largest has no rows
        missing = np.setdiff1d(np.arange(min(largest + 1, labels.size + 5)), labels)[:5].tolist()
        raise DataError(
            f"{file}: {what} must contain every label 0..{largest} (labels are class "
            f"indices 0..C-1). Received: no rows of label {', '.join(map(str, missing))}"
        )
