"""Reading and validating the exercise's data.mat, and rejecting every malformed file."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from reglab.data.football import (
    FOOTBALL_DESCRIPTION,
    FOOTBALL_SHA256,
    cached_football,
    load_football,
)
from reglab.errors import DataError


def test_loads_the_exercise_file(football_path: Path) -> None:
    dataset = load_football(football_path)

    assert dataset.name == "football"
    assert dataset.source == str(football_path)
    assert dataset.sha256 == FOOTBALL_SHA256
    assert dataset.X_train.shape == (2, 211)
    assert dataset.y_train.shape == (1, 211)
    assert dataset.X_test.shape == (2, 200)
    assert dataset.y_test.shape == (1, 200)
    assert int(dataset.y_train.sum()) == 106
    assert int(dataset.y_test.sum()) == 87
    assert dataset.description == FOOTBALL_DESCRIPTION


def test_a_copy_of_the_exercise_file_under_another_name_is_still_the_exercise(
    tmp_path: Path, football_path: Path
) -> None:
    path = tmp_path / "my copy.mat"
    path.write_bytes(football_path.read_bytes())

    dataset = load_football(path)

    assert (dataset.name, dataset.description) == ("football", FOOTBALL_DESCRIPTION)


def test_the_same_numbers_saved_again_are_not_the_exercise_file(
    tmp_path: Path, football_path: Path
) -> None:
    raw = scipy.io.loadmat(football_path)
    folder = tmp_path / "datasets"
    folder.mkdir()
    path = _write_mat(folder, {key: raw[key] for key in ("X", "y", "Xval", "yval")}, "data.mat")

    dataset = load_football(path)

    assert dataset.sha256 != FOOTBALL_SHA256
    assert dataset.name == "data"
    assert (
        dataset.description == "points from data.mat: 211 train and 200 test examples, 2 features"
    )


def test_examples_become_columns_as_contiguous_float64(football_path: Path) -> None:
    raw = scipy.io.loadmat(football_path)
    dataset = load_football(str(football_path))

    for array in (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test):
        assert array.dtype == np.float64
        assert array.flags.c_contiguous
    np.testing.assert_array_equal(dataset.X_train, raw["X"].T)
    np.testing.assert_array_equal(dataset.y_train, raw["y"].T)
    np.testing.assert_array_equal(dataset.X_test, raw["Xval"].T)
    np.testing.assert_array_equal(dataset.y_test, raw["yval"].T)


def _arrays(m_train: int = 6, m_test: int = 4, n_features: int = 2) -> dict[str, np.ndarray]:
    """A small valid file's content, examples as rows like the exercise's file."""
    rng = np.random.default_rng(0)
    return {
        "X": rng.uniform(-1, 1, size=(m_train, n_features)),
        "y": (np.arange(m_train) % 2).reshape(m_train, 1).astype(np.uint8),
        "Xval": rng.uniform(-1, 1, size=(m_test, n_features)),
        "yval": (np.arange(m_test) % 2).reshape(m_test, 1).astype(np.uint8),
    }


def _write_mat(directory: Path, arrays: Mapping[str, object], name: str = "bad.mat") -> Path:
    path = directory / name
    scipy.io.savemat(path, arrays)
    return path


def test_a_small_valid_file_round_trips(tmp_path: Path) -> None:
    arrays = _arrays(m_train=6, m_test=4, n_features=3)
    path = _write_mat(tmp_path, arrays, "mine.mat")

    dataset = load_football(path)

    np.testing.assert_array_equal(dataset.X_train, arrays["X"].T)
    np.testing.assert_array_equal(dataset.y_test, arrays["yval"].T)
    assert dataset.n_features == 3
    assert dataset.name == "mine"
    assert dataset.description == "points from mine.mat: 6 train and 4 test examples, 3 features"


def test_one_feature_is_accepted(tmp_path: Path) -> None:
    path = _write_mat(tmp_path, _arrays(n_features=1))

    dataset = load_football(path)

    assert dataset.X_train.shape == (1, 6)
    assert dataset.name == "bad"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "data.mat"

    with pytest.raises(DataError, match=re.escape(f"data file not found: {path}")):
        load_football(path)


def test_a_directory_is_not_a_data_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found"):
        load_football(tmp_path)


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
    path = _write_mat(tmp_path, _arrays(), "data.mat")
    real_read = Path.read_bytes

    def refusing_read(self: Path) -> bytes:
        if self == path:
            raise error
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", refusing_read)

    with pytest.raises(DataError) as raised:
        load_football(path)
    assert str(raised.value) == f"cannot read {path}: {reason}"
    with pytest.raises(DataError) as raised:
        cached_football(tmp_path)
    assert str(raised.value) == f"cannot read {path}: {reason}"


@pytest.mark.parametrize(
    "content",
    [b"", b"x,y,label\n0.1,0.2,1\n", b"MATLAB 5.0 MAT-file" + b"\0" * 200],
    ids=["empty", "csv text", "truncated header"],
)
def test_not_a_mat_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "data.mat"
    path.write_bytes(content)

    with pytest.raises(DataError, match=re.escape(f"{path}: not a readable MATLAB .mat file")):
        load_football(path)


def test_a_damaged_copy_of_the_real_file(tmp_path: Path, football_path: Path) -> None:
    path = tmp_path / "data.mat"
    path.write_bytes(football_path.read_bytes()[:3000])

    with pytest.raises(DataError, match=re.escape(f"{path}: not a readable MATLAB .mat file")):
        load_football(path)


def test_missing_keys_are_named_with_the_keys_found(tmp_path: Path) -> None:
    arrays = _arrays()
    path = _write_mat(tmp_path, {"X": arrays["X"], "y": arrays["y"], "extra": np.ones((1, 1))})

    expected = (
        f"{path}: missing required keys Xval, yval. Expected keys X, y, Xval, yval. "
        "Received keys: X, extra, y"
    )
    with pytest.raises(DataError, match=re.escape(expected)):
        load_football(path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "y",
            np.zeros((6, 2)),
            "'y' must have shape (6, 1) to match 'X' (6, 2). Received: shape (6, 2)",
        ),
        (
            "y",
            np.zeros((5, 1)),
            "'y' must have shape (6, 1) to match 'X' (6, 2). Received: shape (5, 1)",
        ),
        ("yval", np.zeros((1, 4)), "'yval' must have shape (4, 1) to match 'Xval' (4, 2)"),
        (
            "Xval",
            np.zeros((4, 3)),
            "'Xval' must have 2 feature column(s) like 'X'. Received: shape (4, 3)",
        ),
        ("X", np.zeros((0, 2)), "'X' must have shape (m, n_features) with m, n_features >= 1"),
    ],
    ids=["y two columns", "y too short", "yval a row", "Xval three features", "X empty"],
)
def test_wrong_shapes(tmp_path: Path, key: str, value: np.ndarray, message: str) -> None:
    arrays = _arrays()
    arrays[key] = value
    path = _write_mat(tmp_path, arrays)

    with pytest.raises(DataError, match=re.escape(f"{path}: {message}")):
        load_football(path)


def test_text_instead_of_numbers(tmp_path: Path) -> None:
    arrays: dict[str, object] = dict(_arrays())
    arrays["X"] = "not numbers"
    path = _write_mat(tmp_path, arrays)

    with pytest.raises(DataError, match=re.escape(f"{path}: 'X' must be a numeric array")):
        load_football(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_values(tmp_path: Path, bad: float) -> None:
    arrays = _arrays()
    arrays["Xval"][1, 0] = bad
    arrays["Xval"][3, 1] = bad
    path = _write_mat(tmp_path, arrays)

    expected = (
        f"{path}: 'Xval' must contain only finite numbers. Received: 2 NaN or infinite value(s)"
    )
    with pytest.raises(DataError, match=re.escape(expected)):
        load_football(path)


def test_labels_outside_zero_one(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["y"] = np.array([[0], [1], [2], [1], [0], [-1]], dtype=np.int16)
    path = _write_mat(tmp_path, arrays)

    expected = f"{path}: 'y' must contain only labels 0 and 1. Received: -1, 0, 1, 2"
    with pytest.raises(DataError, match=re.escape(expected)):
        load_football(path)


def test_cached_football_checks_the_hash(tmp_path: Path, football_path: Path) -> None:
    assert cached_football(tmp_path) is None

    cached = tmp_path / "data.mat"
    cached.write_bytes(football_path.read_bytes()[:-1] + b"\x01")
    assert cached_football(tmp_path) is None

    cached.write_bytes(football_path.read_bytes())
    assert cached_football(tmp_path) == cached


def test_cache_dir_defaults_to_the_environment_variable(
    tmp_path: Path, football_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data.mat").write_bytes(football_path.read_bytes())
    monkeypatch.setenv("REGLAB_CACHE_DIR", str(tmp_path))

    assert cached_football() == tmp_path / "data.mat"
