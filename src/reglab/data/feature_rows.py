"""Rows to predict from a CSV file: the features a model expects, and perhaps their labels.

The layout of :mod:`reglab.data.csv_files` (comma-separated, an optional header of
text cells, blank lines skipped, a ``split`` column ignored) with the label column
optional: a row of ``n_features`` values is features alone, ``n_features + 1``
values ends with its label. The model's feature count decides, so no flag is
needed and a file with labels is the file the model was trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reglab.data.csv_files import cell_number, check_csv_path, column_name, is_number, read_table
from reglab.data.files import read_data_bytes
from reglab.errors import DataError
from reglab.types import FloatArray


@dataclass(frozen=True)
class FeatureRows:
    """A CSV's rows, examples as rows.

    Attributes:
        X: ``(n, n_features)`` float64, finite.
        labels: ``(n,)`` the label of each row (one of the model's classes), or None
            when the file has no label column.
        sha256: the file's sha256.
    """

    X: FloatArray
    labels: NDArray[Any] | None
    sha256: str


def read_feature_rows(
    path: str | Path, n_features: int, classes: Sequence[str | int | float | bool]
) -> FeatureRows:
    """Read ``path``'s rows for a model of ``n_features`` inputs and these ``classes``.

    Raises:
        DataError: a missing or unreadable file, a column count that is neither
            ``n_features`` nor ``n_features + 1``, a cell that is not a finite
            number, a label that is not one of ``classes``; naming line and column.
    """
    file = Path(path)
    check_csv_path(file)
    content = read_data_bytes(file)
    table = read_table(file, content, f"rows of {n_features} feature values")
    rows, header, first_line = table.rows, table.header, table.first_line
    columns = [j for j in range(table.n_columns) if j != table.split_column]
    if len(columns) not in (n_features, n_features + 1):
        raise DataError(
            f"{file}: expected {n_features} feature columns (the model's), or {n_features + 1} "
            f"with a label column last. Received: {len(columns)} column(s) on line {first_line}"
        )
    has_labels = len(columns) == n_features + 1
    X = np.empty((len(rows), n_features), dtype=np.float64)
    labels: list[Any] = []
    for i, (line, cells) in enumerate(rows):
        for k, j in enumerate(columns[:n_features]):
            X[i, k] = cell_number(f"{file}, line {line}, {column_name(j, header)}", cells[j])
        if has_labels:
            j = columns[-1]
            where = f"{file}, line {line}, {column_name(j, header)}"
            labels.append(_label(where, cells[j], classes))
    return FeatureRows(
        X=X,
        labels=np.asarray(labels) if has_labels else None,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _label(where: str, cell: str, classes: Sequence[str | int | float | bool]) -> Any:
    """The class ``cell`` names: written as the class is (``"cat"``, ``1``, ``true``), or a
    number equal to a numeric class (``1.0`` for ``1``)."""
    for label in classes:
        if cell == _text(label):
            return label
    if is_number(cell) and not any(isinstance(label, str | bool) for label in classes):
        value = float(cell)
        for label in classes:
            if value == label:
                return label
    shown = ", ".join(_text(label) for label in classes)
    raise DataError(
        f"{where}: labels must be one of the model's classes {shown}. Received: {cell!r}"
    )


def _text(label: str | int | float | bool) -> str:
    """How a class is written in a CSV cell: as is, bools as ``true``/``false`` (JSON's words)."""
    if isinstance(label, bool):
        return "true" if label else "false"
    return str(label)
