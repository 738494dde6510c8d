"""The user's own points from a CSV file.

Layout: comma-separated, at least two numeric feature columns, then the
label in the last column: 0/1 for two classes, the class indices 0..C-1 for C
(every one of them in the file). The first row is a header when none of its cells is
a number (a header is all text); a first row mixing numbers and text is data
with a bad cell. With a header, an optional column named ``split`` (anywhere)
marks each row ``train`` or ``test`` and decides the split; otherwise the rows
are split at random, stratified by label, with ``test_fraction`` of them for
testing. Blank lines are skipped. Every error names the line and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from reglab.config import check
from reglab.data.dataset import Dataset, check_both_classes
from reglab.data.files import read_data_bytes
from reglab.data.generators import stratified_split
from reglab.errors import DataError, ParameterError
from reglab.types import FloatArray

SPLIT_COLUMN = "split"
SPLIT_VALUES = ("train", "test")


DEFAULT_TEST_FRACTION = 0.3


def load_csv(
    path: str | os.PathLike[str], *, test_fraction: float | None = None, seed: int = 0
) -> Dataset:
    """Read a CSV of points and labels into a :class:`Dataset`.

    Args:
        path: the CSV file.
        test_fraction: share of rows held out for testing, in (0, 1), when the
            file has no ``split`` column (default 0.3); a file with a ``split``
            column decides its own split, and giving both is an error.
        seed: seeds the ``numpy.random.Generator`` of the random split, >= 0.

    Returns:
        A :class:`Dataset` named after the file's stem, with ``X_train``
        ``(n_features, m_train)`` and ``y_train`` ``(1, m_train)`` (rows become
        columns), the path as given for its source and the file's sha256.

    Raises:
        DataError: for a missing, unreadable or malformed file, naming the line
            and column.
        ParameterError: for ``test_fraction`` or ``seed`` out of range.
    """
    _split_options(test_fraction, seed)  # checked before the file is looked for
    file = Path(path)
    check_csv_path(file)
    return parse_csv(
        read_data_bytes(file),
        name=str(file),
        source=str(path),
        test_fraction=test_fraction,
        seed=seed,
    )


def parse_csv(
    content: bytes,
    *,
    name: str,
    source: str,
    test_fraction: float | None = None,
    seed: int = 0,
) -> Dataset:
    """Read CSV ``content`` (the bytes of a file, e.g. an upload held in memory) into a Dataset.

    The layout and rules of :func:`load_csv`, which reads a file and calls this; an upload
    need never touch the disk. Messages name the file as ``name``.

    Args:
        content: the file's bytes, UTF-8 (a byte-order mark is allowed).
        name: the file's name or path, e.g. ``"points.csv"``: messages name it, and the
            dataset is named after its stem.
        source: where it came from, for the dataset's provenance.
        test_fraction: as in :func:`load_csv`.
        seed: as in :func:`load_csv`.
    """
    fraction, seed = _split_options(test_fraction, seed)
    file = Path(name)
    table = read_table(file, content, "rows of feature values and a label")
    rows, header, first_line = table.rows, table.header, table.first_line
    split_column = table.split_column
    value_columns = [j for j in range(table.n_columns) if j != split_column]
    if len(value_columns) < 3:
        raise DataError(
            f"{file}: expected at least two feature columns and a label column. "
            f"Received: {len(value_columns)} column(s) on line {first_line}"
        )
    label_column = value_columns[-1]

    values = np.empty((len(rows), len(value_columns)), dtype=np.float64)
    is_test = np.zeros(len(rows), dtype=bool)
    for i, (line, cells) in enumerate(rows):
        for k, j in enumerate(value_columns):
            values[i, k] = _cell_value(file, line, j, header, cells[j], is_label=j == label_column)
        if split_column is not None:
            is_test[i] = _split_value(file, line, split_column, cells[split_column])

    X = values[:, :-1]
    y = values[:, -1]
    _check_both_classes(file, y, "the file")
    if split_column is not None:
        if test_fraction is not None:
            raise ParameterError(
                "test_fraction",
                f"omitted for {file.name}, whose 'split' column decides the train/test split",
                test_fraction,
            )
        for role, mask in (("train", ~is_test), ("test", is_test)):
            _check_both_classes(file, y[mask], f"the {role!r} split", int(y.max()) + 1)
        train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    else:
        try:
            train, test = stratified_split(y, fraction, np.random.default_rng(seed))
        except DataError as error:
            raise DataError(f"{file}: {error}") from None

    n_features = X.shape[1]
    return Dataset(
        name=file.stem,
        source=source,
        X_train=np.ascontiguousarray(X[train].T),
        y_train=np.ascontiguousarray(y[train][np.newaxis, :]),
        X_test=np.ascontiguousarray(X[test].T),
        y_test=np.ascontiguousarray(y[test][np.newaxis, :]),
        sha256=hashlib.sha256(content).hexdigest(),
        description=f"points from {file.name}: {len(rows)} rows, {n_features} features",
    )


def _split_options(test_fraction: float | None, seed: int) -> tuple[float, int]:
    """The test fraction to use (default 0.3) and the seed, checked by their rules."""
    fraction = DEFAULT_TEST_FRACTION if test_fraction is None else test_fraction
    return check("test_fraction", fraction), check("seed", seed)


def check_csv_path(file: Path) -> None:
    """A :class:`DataError` unless ``file`` is a file: ``CSV file not found: ...``, or,
    for a directory, that it is one."""
    if file.is_dir():
        raise DataError(f"{file} is a directory. Expected a CSV file")
    if not file.is_file():
        raise DataError(f"CSV file not found: {file}")


class Table(NamedTuple):
    """A CSV file's data rows, as :func:`read_table` found them.

    Attributes:
        rows: (line number, stripped cells) of each non-blank row after the header,
            every one ``n_columns`` cells long.
        header: the header's cells, or None when the first row holds a number.
        first_line: the line of the first row (the header's, when there is one).
        n_columns: the cells of every row.
        split_column: the index of the ``split`` column, or None.
    """

    rows: list[tuple[int, list[str]]]
    header: list[str] | None
    first_line: int
    n_columns: int
    split_column: int | None


def read_table(file: Path, content: bytes, expected: str) -> Table:
    """The rows of a reglab CSV (UTF-8, a byte-order mark allowed, comma-separated, an
    optional header of text cells, blank lines skipped), each as long as the first.

    ``expected`` ends an empty file's message: ``"the file is empty. Expected {expected}"``.
    Every problem is a :class:`DataError` naming ``file`` and the line.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{file}: expected a CSV file (UTF-8 text). Received: {error.reason} at byte "
            f"{error.start}, so not text"
        ) from None
    try:
        rows = _read_rows(text)
    except csv.Error as error:
        raise DataError(f"{file}: not a readable CSV file. Received: {error}") from None
    if not rows:
        raise DataError(f"{file}: the file is empty. Expected {expected}")
    header: list[str] | None = None
    first_line, first_cells = rows[0]
    if not any(is_number(cell) for cell in first_cells):
        header = first_cells
        rows = rows[1:]
        if not rows:
            raise DataError(f"{file}: the file has a header (line {first_line}) but no data rows")
    n_columns = len(first_cells)
    for line, cells in rows:
        if len(cells) != n_columns:
            raise DataError(
                f"{file}, line {line}: expected {n_columns} columns like line {first_line}. "
                f"Received: {len(cells)}"
            )
    return Table(rows, header, first_line, n_columns, _split_column(file, header))


def column_name(j: int, header: list[str] | None) -> str:
    """``column 3 ('label')``: 1-based, with the header's name when there is one."""
    name = f" ({header[j]!r})" if header is not None else ""
    return f"column {j + 1}{name}"


def cell_number(where: str, cell: str) -> float:
    """The finite number ``cell`` holds; a :class:`DataError` starting with ``where`` if none."""
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"{where}: expected a number. Received: {cell!r}") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: values must be finite. Received: {cell!r}")
    return value


def _read_rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank rows as (line number, stripped cells)."""
    reader = csv.reader(io.StringIO(text))
    rows = []
    for cells in reader:
        stripped = [cell.strip() for cell in cells]
        if any(stripped):
            rows.append((reader.line_num, stripped))
    return rows


def is_number(cell: str) -> bool:
    """Whether ``cell`` reads as a float (``nan`` and ``inf`` included)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _split_column(file: Path, header: list[str] | None) -> int | None:
    """The index of the ``split`` column in the header, if there is one."""
    names = [name.lower() for name in header or []]
    if SPLIT_COLUMN not in names:
        return None
    if names.count(SPLIT_COLUMN) > 1:
        raise DataError(f"{file}: the header must name at most one {SPLIT_COLUMN!r} column")
    return names.index(SPLIT_COLUMN)


def _cell_value(
    file: Path, line: int, j: int, header: list[str] | None, cell: str, *, is_label: bool
) -> float:
    where = f"{file}, line {line}, {column_name(j, header)}"
    value = cell_number(where, cell)
    if is_label and not (value >= 0 and value == math.floor(value)):
        raise DataError(
            f"{where}: labels must be class indices 0..C-1 (0 or 1 for two classes). "
            f"Received: {cell!r}"
        )
    return value


def _split_value(file: Path, line: int, j: int, cell: str) -> bool:
    """True for ``test``, False for ``train`` (case-insensitive)."""
    value = cell.lower()
    if value not in SPLIT_VALUES:
        raise DataError(
            f"{file}, line {line}, column {j + 1} ({SPLIT_COLUMN!r}): "
            f"split must be 'train' or 'test'. Received: {cell!r}"
        )
    return value == "test"


def _check_both_classes(file: Path, y: FloatArray, what: str, n_classes: int = 0) -> None:
    check_both_classes(file, y, what, n_classes)
