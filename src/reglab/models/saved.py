"""One trained network as a value: weights, configuration, classes, provenance.

Rows are examples here (scikit-learn's layout, as a user's table has them); the
engine's columns stay inside :meth:`SavedModel.predict_proba`, which calls the
engine's own forward pass, so a saved model predicts exactly as it was trained.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from reglab.config import TrainConfig
from reglab.errors import DataError, ParameterError
from reglab.types import FloatArray
from reglab.version import __version__

if TYPE_CHECKING:
    from reglab.engine.training import TrainedModels

Label: TypeAlias = str | int | float | bool
"""A class label: a JSON scalar (what a model file can hold and any tool can read back)."""

SHA256 = re.compile(r"[0-9a-f]{64}")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Integer labels are int64 in NumPy and ONNX."""


def class_count(layers: tuple[int, ...]) -> int:
    """The classes an output layer of ``layers[-1]`` units tells apart: 1 sigmoid unit -> 2,
    C softmax units -> C."""
    return 2 if layers[-1] == 1 else layers[-1]


def check_classes(classes: object, n_classes: int) -> tuple[Label, ...]:
    """``classes`` (a sequence or a 1-D array; NumPy scalars are taken as Python's) as a
    tuple of ``n_classes`` distinct JSON scalars of one type, or
    :class:`ParameterError` (one type: ``1`` and ``"1"`` or ``True`` would not round-trip
    through NumPy and JSON as themselves)."""
    rule = f"a list of {n_classes} distinct labels of one type (str, int, float or bool)"
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        classes = classes.tolist()  # e.g. an estimator's classes_: NumPy scalars become Python's
    if not isinstance(classes, list | tuple) or len(classes) != n_classes:
        raise ParameterError("classes", rule, classes)
    classes = [label.item() if isinstance(label, np.generic) else label for label in classes]
    kinds = {type(label) for label in classes}
    if len(kinds) != 1 or not kinds <= {str, int, float, bool}:
        raise ParameterError("classes", rule, list(classes))
    if any(isinstance(label, float) and not math.isfinite(label) for label in classes):
        raise ParameterError("classes", rule + ", finite", list(classes))
    if any(type(label) is int and not INT64_MIN <= label <= INT64_MAX for label in classes):
        raise ParameterError("classes", rule + ", integers of 64 bits", list(classes))
    if len(set(classes)) != n_classes:
        raise ParameterError("classes", rule, list(classes))
    return tuple(classes)


def check_outputs_finite(output: FloatArray) -> None:
    """Raise :class:`DataError` unless every column of ``output`` ``(n_L, n)`` is finite.

    Finite inputs far from the training data (1e308) overflow the layers: the
    probabilities become NaN, and a NaN must never be printed as a prediction.
    """
    bad = np.flatnonzero(~np.all(np.isfinite(output), axis=0))
    if bad.size:
        raise DataError(
            "inputs must be small enough for the model's outputs to be finite. Received: "
            f"{bad.size} row(s) that overflow the network, the first at index {bad[0]} "
            f"(row {bad[0] + 1})"
        )


@dataclass(frozen=True, eq=False)
class SavedModel:
    """One trained model of reglab's engine, ready to predict and to save.

    Attributes:
        config: the configuration it was trained with (``layers`` gives the shapes).
        weights: ``W_l`` for l = 1..L, each ``(n_l, n_{l-1})`` float64.
        biases: ``b_l`` for l = 1..L, each ``(n_l, 1)`` float64.
        classes: the label of each class, in the order of the output
            (binary: ``(c0, c1)``, the sigmoid's probability is that of ``c1``).
        n_features: the number of input features, ``layers[0]``.
        data_sha256: the sha256 of the file it was trained on, or None.
        reglab_version: the reglab that trained it.

    Built values are checked (shapes against ``config.layers``, finite weights,
    classes), so a model that exists can predict.
    """

    config: TrainConfig
    weights: tuple[FloatArray, ...]
    biases: tuple[FloatArray, ...]
    classes: tuple[Label, ...]
    n_features: int
    data_sha256: str | None
    reglab_version: str

    def __post_init__(self) -> None:
        layers = self.config.layers
        weights = tuple(np.array(W, dtype=np.float64, copy=True) for W in self.weights)
        biases = tuple(np.array(b, dtype=np.float64, copy=True) for b in self.biases)
        if len(weights) != len(layers) - 1 or len(biases) != len(layers) - 1:
            raise ParameterError(
                "weights",
                f"{len(layers) - 1} weight and bias arrays (layers {layers})",
                f"{len(weights)} and {len(biases)}",
            )
        for l, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
            for name, array, shape in (
                (f"W{l}", W, (layers[l], layers[l - 1])),
                (f"b{l}", b, (layers[l], 1)),
            ):
                if array.shape != shape:
                    raise ParameterError(
                        name, f"of shape {shape} (layers {layers})", f"shape {array.shape}"
                    )
                if not np.all(np.isfinite(array)):
                    raise ParameterError(name, "finite", "NaN or infinite values")
                array.setflags(write=False)
        if type(self.n_features) is not int or self.n_features != layers[0]:
            raise ParameterError("n_features", f"layers[0] = {layers[0]}", self.n_features)
        if self.data_sha256 is not None and not (
            isinstance(self.data_sha256, str) and SHA256.fullmatch(self.data_sha256)
        ):
            raise ParameterError("data_sha256", "64 lowercase hex digits or None", self.data_sha256)
        if not isinstance(self.reglab_version, str) or not self.reglab_version:
            raise ParameterError("reglab_version", "a non-empty string", self.reglab_version)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "biases", biases)
        object.__setattr__(self, "classes", check_classes(self.classes, class_count(layers)))

    @classmethod
    def from_trained(
        cls,
        models: TrainedModels,
        k: int = 0,
        *,
        classes: tuple[Label, ...] | None = None,
        data_sha256: str | None = None,
    ) -> SavedModel:
        """Model ``k`` of a training result; ``classes`` default to the engine's labels
        ``(0, 1)`` (binary) or ``(0, ..., C - 1)``; this reglab's version."""
        config = models.configs[k]
        params = models.parameters
        return cls(
            config=config,
            weights=tuple(W[k] for W in params.weights),
            biases=tuple(b[k] for b in params.biases),
            classes=tuple(range(class_count(config.layers))) if classes is None else classes,
            n_features=config.layers[0],
            data_sha256=data_sha256,
            reglab_version=__version__,
        )

    @property
    def n_classes(self) -> int:
        """The number of classes (2 for one sigmoid output)."""
        return len(self.classes)

    def check_rows(self, X_rows: Any) -> FloatArray:
        """``X_rows`` as a finite float64 array ``(n, n_features)``, or :class:`DataError`."""
        X = np.asarray(X_rows, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(
                f"inputs must have shape (n, {self.n_features}): one row per example, "
                f"{self.n_features} features (the model's). Received: shape {X.shape}"
            )
        if not np.all(np.isfinite(X)):
            raise DataError("inputs must be finite. Received: NaN or infinite values")
        return X

    def _parameters(self) -> Any:
        from reglab.engine.network import Parameters

        return Parameters(
            [W[np.newaxis] for W in self.weights], [b[np.newaxis] for b in self.biases]
        )

    def predict_proba(self, X_rows: Any) -> FloatArray:
        """Class probabilities ``(n, n_classes)`` of rows ``(n, n_features)``; binary
        ``[1 - p, p]`` (scikit-learn's layout), p the sigmoid's output."""
        from reglab.engine.network import predict_proba

        X = self.check_rows(X_rows)
        with np.errstate(over="ignore", invalid="ignore"):
            output = predict_proba(self._parameters(), np.ascontiguousarray(X.T))[0]  # (n_L, n)
        check_outputs_finite(output)
        if output.shape[0] == 1:
            p = output[0]
            return np.ascontiguousarray(np.stack([1.0 - p, p], axis=1))
        return np.ascontiguousarray(output.T)

    def predict(self, X_rows: Any) -> NDArray[Any]:
        """The label of each row, ``(n,)``: the engine's class (binary ``classes[1]`` where
        p > 0.5, the course's rule; softmax the largest logit, the lowest index on ties)."""
        from reglab.engine.network import predict

        self.predict_proba(X_rows)  # refuses rows whose outputs overflow
        X = self.check_rows(X_rows)
        with np.errstate(over="ignore", invalid="ignore"):
            index = predict(self._parameters(), np.ascontiguousarray(X.T))[0, 0]
        labels: NDArray[Any] = np.asarray(self.classes)[index]
        return labels
