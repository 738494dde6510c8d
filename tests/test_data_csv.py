"""The user's own CSV points: round trips, the split column, and one exact message per bad file."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

from reglab.data.csv_files import load_csv, parse_csv
from reglab.errors import DataError, ParameterError


def _table(m: int = 20, n_features: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distinct points ``(m, n_features)`` and alternating labels ``(m,)``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_features))
    y = (np.arange(m) % 2).astype(float)
    return X, y


def _write_csv(
    path: Path,
    X: np.ndarray,
    y: np.ndarray,
    *,
    header: list[str] | None = None,
    split: list[str] | None = None,
) -> Path:
    lines = [",".join(header)] if header is not None else []
    for i, (row, label) in enumerate(zip(X, y, strict=True)):
        cells = [repr(float(value)) for value in row] + [str(int(label))]
        if split is not None:
            cells.append(split[i])
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _rows(X: np.ndarray, y: np.ndarray) -> list[tuple[float, ...]]:
    """Examples as sortable tuples: examples-as-columns ``X (n, m)``, ``y (1, m)`` in."""
    return sorted(tuple(column) for column in np.vstack([X, y]).T)


@pytest.mark.parametrize("with_header", [False, True], ids=["no header", "header"])
def test_round_trip_with_a_random_stratified_split(tmp_path: Path, with_header: bool) -> None:
    X, y = _table(m=20, n_features=3)
    header = ["a", "b", "c", "label"] if with_header else None
    path = _write_csv(tmp_path / "points.csv", X, y, header=header)

    dataset = load_csv(path, test_fraction=0.3, seed=1)

    assert dataset.X_train.shape == (3, 14)
    assert dataset.X_test.shape == (3, 6)
    assert dataset.y_test.sum() == 3  # stratified: half of the 6 test rows are label 1
    everything = sorted(
        _rows(dataset.X_train, dataset.y_train) + _rows(dataset.X_test, dataset.y_test)
    )
    assert everything == _rows(X.T, y[np.newaxis, :])
    assert dataset.name == "points"
    assert dataset.source == str(path)
    assert dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "20 rows, 3 features" in dataset.description


def test_the_random_split_follows_the_seed(tmp_path: Path) -> None:
    X, y = _table(m=30)
    path = _write_csv(tmp_path / "points.csv", X, y)

    first, again, other = (load_csv(path, seed=s) for s in (4, 4, 5))

    np.testing.assert_array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_test, other.X_test)


def test_split_column_decides_the_split(tmp_path: Path) -> None:
    X, y = _table(m=8)
    split = ["train", "test", "TRAIN", "test", "train", "train", "Test", "test"]
    path = _write_csv(
        tmp_path / "marked.csv", X, y, header=["x", "y", "label", "split"], split=split
    )

    dataset = load_csv(path)

    is_test = np.array([value.lower() == "test" for value in split])
    np.testing.assert_array_equal(dataset.X_train, X[~is_test].T)
    np.testing.assert_array_equal(dataset.y_train, y[~is_test][np.newaxis, :])
    np.testing.assert_array_equal(dataset.X_test, X[is_test].T)
    np.testing.assert_array_equal(dataset.y_test, y[is_test][np.newaxis, :])


def test_split_column_and_test_fraction_together_are_refused(tmp_path: Path) -> None:
    X, y = _table(m=8)
    split = ["train", "test"] * 4
    path = _write_csv(
        tmp_path / "marked.csv", X, y, header=["x", "y", "label", "split"], split=split
    )
    with pytest.raises(ParameterError) as raised:
        load_csv(path, test_fraction=0.9)
    assert str(raised.value) == (
        "test_fraction must be omitted for marked.csv, whose 'split' column decides the "
        "train/test split. Received: test_fraction=0.9"
    )


def test_split_column_may_come_first(tmp_path: Path) -> None:
    path = tmp_path / "first.csv"
    path.write_text("split,x1,x2,label\ntrain,0,0,0\ntrain,1,1,1\ntest,2,2,0\ntest,3,3,1\n")

    dataset = load_csv(path)

    np.testing.assert_array_equal(dataset.X_train, [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(dataset.y_test, [[0.0, 1.0]])


def test_blank_lines_spaces_crlf_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    content = "\ufeffx1, x2 ,label\r\n\r\n 0.5,1,0\r\n1.5, 2,1\r\n2.5,3, 0\r\n\r\n3.5,4,1\r\n"
    path.write_bytes(content.encode("utf-8"))

    dataset = load_csv(path, test_fraction=0.5)

    everything = sorted(
        _rows(dataset.X_train, dataset.y_train) + _rows(dataset.X_test, dataset.y_test)
    )
    assert everything == [(0.5, 1.0, 0.0), (1.5, 2.0, 1.0), (2.5, 3.0, 0.0), (3.5, 4.0, 1.0)]


def _bad(tmp_path: Path, content: str, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "{path}: the file is empty. Expected rows of feature values and a label"),
        ("\n  \n\n", "{path}: the file is empty. Expected rows of feature values and a label"),
        ("x1,x2,label\n", "{path}: the file has a header (line 1) but no data rows"),
        (
            "x1,x2,label\n0,0,0\n1,abc,1\n",
            "{path}, line 3, column 2 ('x2'): expected a number. Received: 'abc'",
        ),
        ("0,0,0\n1,1,1\n2,,0\n", "{path}, line 3, column 2: expected a number. Received: ''"),
        (
            "x,label\n0,0\n1,1\n",
            "{path}: expected at least two feature columns and a label column. "
            "Received: 2 column(s) on line 1",
        ),
        (
            "x,label,split\n0,0,train\n1,1,test\n",
            "{path}: expected at least two feature columns and a label column. "
            "Received: 2 column(s) on line 1",
        ),
        ("0,0,0\nnan,1,1\n", "{path}, line 2, column 1: values must be finite. Received: 'nan'"),
        (
            "x1,x2,label\n0,0,0\n1,-inf,1\n",
            "{path}, line 3, column 2 ('x2'): values must be finite. Received: '-inf'",
        ),
        (
            "x1,x2,label\n0,0,0\n1,1,1\n2,2,-1\n",
            "{path}, line 4, column 3 ('label'): labels must be class indices 0..C-1 (0 or 1 for "
            "two classes). Received: '-1'",
        ),
        (
            "0,0,1\n1,1,0.5\n",
            "{path}, line 2, column 3: labels must be class indices 0..C-1 (0 or 1 for two "
            "classes). Received: '0.5'",
        ),
        (
            "0,0,0\n1,1,2\n2,2,2\n",
            "{path}: the file must contain every label 0..2 (labels are class indices 0..C-1). "
            "Received: no rows of label 1",
        ),
        (
            "0,0,1\n1,1,1\n2,2,1\n",
            "{path}: the file must contain both labels 0 and 1. Received: only label 1 (3 rows)",
        ),
        (
            "x1,x2,label,split\n0,0,0,train\n1,1,1,train\n2,2,0,test\n3,3,0,test\n",
            "{path}: the 'test' split must contain both labels 0 and 1. "
            "Received: only label 0 (2 rows)",
        ),
        (
            "x1,x2,label,split\n0,0,0,train\n1,1,1,train\n",
            "{path}: the 'test' split must contain rows of both labels 0 and 1. Received: none",
        ),
        (
            "x1,x2,label,split\n0,0,0,train\n1,1,1,validation\n",
            "{path}, line 3, column 4 ('split'): split must be 'train' or 'test'. "
            "Received: 'validation'",
        ),
        ("0,0,0\n1,1\n", "{path}, line 2: expected 3 columns like line 1. Received: 2"),
        (
            "1,2x,1\n0,0,0\n1,1,1\n",
            "{path}, line 1, column 2: expected a number. Received: '2x'",
        ),
        (
            "x1,2,label\n0,0,0\n1,1,1\n",
            "{path}, line 1, column 1: expected a number. Received: 'x1'",
        ),
        (
            "0,0,0\n1,1,1\n2,2,0\n",
            "{path}: cannot split into train and test with both classes on each side",
        ),
    ],
    ids=[
        "empty",
        "only blank lines",
        "header only",
        "text in a feature column",
        "empty cell",
        "one feature",
        "one feature besides split",
        "nan",
        "infinite",
        "label -1",
        "label 0.5",
        "label 1 missing",
        "one class in the file",
        "one class in a split",
        "empty split",
        "unknown split value",
        "ragged row",
        "typo in the first row",
        "header with a number",
        "too few rows to split",
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = _bad(tmp_path, content)

    with pytest.raises(DataError, match=re.escape(message.format(path=path))):
        load_csv(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"

    with pytest.raises(DataError, match=re.escape(f"CSV file not found: {path}")):
        load_csv(path)


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape(f"{tmp_path} is a directory. Expected a CSV")):
        load_csv(tmp_path)


def test_a_first_row_of_numbers_is_data_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("0.5,1,0\n1.5,2,1\n2.5,3,0\n3.5,4,1\n")

    dataset = load_csv(path, test_fraction=0.5)

    everything = sorted(
        _rows(dataset.X_train, dataset.y_train) + _rows(dataset.X_test, dataset.y_test)
    )
    assert everything == [(0.5, 1.0, 0.0), (1.5, 2.0, 1.0), (2.5, 3.0, 0.0), (3.5, 4.0, 1.0)]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError(errno.EACCES, os.strerror(errno.EACCES)), os.strerror(errno.EACCES)),
        (IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)), os.strerror(errno.EISDIR)),
        (OSError(errno.EIO, os.strerror(errno.EIO)), os.strerror(errno.EIO)),
    ],
    ids=["no permission", "a directory", "input/output error"],
)
def test_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, reason: str
) -> None:
    X, y = _table()
    path = _write_csv(tmp_path / "points.csv", X, y)
    real_read = Path.read_bytes

    def refusing_read(self: Path) -> bytes:
        if self == path:
            raise error
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", refusing_read)

    with pytest.raises(DataError) as raised:
        load_csv(path)
    assert str(raised.value) == f"cannot read {path}: {reason}"


def test_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x00\xff\xfe\x80 binary")

    with pytest.raises(DataError, match=re.escape(f"{path}: expected a CSV file (UTF-8 text)")):
        load_csv(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_fraction": 1.0}, "test_fraction must be in (0, 1). Received: test_fraction=1.0"),
        (
            {"test_fraction": "0.3"},
            "test_fraction must be in (0, 1). Received: test_fraction='0.3'",
        ),
        (
            {"seed": -2},
            (
                "seed must be an integer in [0, 2**63 - 1] "
                "(stored as a 64-bit integer). Received: seed=-2"
            ),
        ),
    ],
)
def test_bad_parameters(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    X, y = _table()
    path = _write_csv(tmp_path / "points.csv", X, y)

    with pytest.raises(ParameterError, match=re.escape(message)):
        load_csv(path, **kwargs)  # type: ignore[arg-type]


def test_parse_csv_reads_the_same_points_from_memory(tmp_path: Path) -> None:
    X, y = _table()
    path = _write_csv(tmp_path / "points.csv", X, y, header=["a", "b", "label"])
    from_file = load_csv(path, seed=3)
    from_memory = parse_csv(path.read_bytes(), name="points.csv", source="an upload", seed=3)
    assert from_memory.name == from_file.name == "points"
    assert from_memory.source == "an upload"
    assert from_memory.sha256 == from_file.sha256
    for part in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(from_memory, part), getattr(from_file, part))
    with pytest.raises(DataError, match=r"^upload\.csv: the file is empty"):
        parse_csv(b"", name="upload.csv", source="an upload")
