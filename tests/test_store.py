"""The results store: round trips, and files it must refuse without touching them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest

from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.errors import DataError
from reglab.experiments.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    ResultStore,
    StoredCell,
    cell_key,
    dataset_fingerprint,
)
from reglab.experiments.sweep import SweepGrid, sweep
from reglab.version import RESULTS_REVISION, __version__

GRID = SweepGrid(l2=(0.0, 0.7), keep_prob=(1.0, 0.8), seeds=2, iterations=100, record_every=50)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


@pytest.fixture
def store_file(tmp_path: Path, moons: Dataset) -> Path:
    """A finished sweep's store."""
    path = tmp_path / "sweep.sqlite"
    sweep(moons, GRID, store=path)
    return path


def stored_cell(**changes: object) -> StoredCell:
    values: dict[str, object] = {
        "config": {"l2": 0.5, "layers": [2, 1]},
        "seeds": (3, 1),
        "train_accuracy": np.array([0.9, 0.8]),
        "test_accuracy": np.array([0.7, 0.75]),
        "final_cost": np.array([0.25, np.nan]),
        "diverged": np.array([False, True]),
        "reglab_version": "9.9",
        "dataset_fingerprint": "f" * 64,
    }
    values.update(changes)
    return StoredCell(**values)  # type: ignore[arg-type]


def test_cells_round_trip_with_their_key_and_provenance(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with ResultStore.open(path, dataset_fingerprint="f" * 64, dataset_name="toy") as store:
        assert len(store) == 0
        cell = stored_cell()
        store.put(cell)
        store.put(cell)  # already there: a no-op
        meta = store.meta
    assert meta.dataset_fingerprint == "f" * 64 and meta.dataset_name == "toy"
    assert meta.reglab_version == __version__
    assert meta.results_revision == str(RESULTS_REVISION)
    with ResultStore.open(path) as store:
        (back,) = store.cells()
        assert [stored.key for stored in store] == [cell.key]
    assert back.key == cell_key({"layers": [2, 1], "l2": 0.5}, [3, 1])
    assert back.key == '{"config":{"l2":0.5,"layers":[2,1]},"seeds":[3,1]}'
    assert back.seeds == (3, 1) and back.config == {"l2": 0.5, "layers": [2, 1]}
    np.testing.assert_array_equal(back.train_accuracy, [0.9, 0.8])
    np.testing.assert_array_equal(back.test_accuracy, [0.7, 0.75])
    np.testing.assert_array_equal(back.final_cost, [0.25, np.nan])  # not finite -> NULL -> NaN
    np.testing.assert_array_equal(back.diverged, [False, True])
    assert back.reglab_version == "9.9" and back.created


def test_the_file_is_marked_as_reglabs_and_holds_one_row_per_seed(store_file: Path) -> None:
    header = store_file.read_bytes()[:100]
    assert struct.unpack(">I", header[68:72]) == (APPLICATION_ID,)
    assert struct.unpack(">I", header[60:64]) == (SCHEMA_VERSION,)
    connection = sqlite3.connect(store_file)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert connection.execute("SELECT COUNT(*) FROM cells").fetchone() == (4,)
        assert connection.execute("SELECT COUNT(*) FROM runs").fetchone() == (8,)
    finally:
        connection.close()
    assert sorted(p.name for p in store_file.parent.iterdir()) == ["sweep.sqlite"]


def test_a_sweep_reads_back_exactly_what_it_trained(moons: Dataset, store_file: Path) -> None:
    trained = sweep(moons, GRID)
    with ResultStore.open(store_file) as store:
        stored = {cell.key: cell for cell in store.cells()}
    assert len(stored) == GRID.n_cells
    for cell in trained.cells:
        match = stored[cell_key(cell.cell.to_dict(), cell.seeds)]
        np.testing.assert_array_equal(match.train_accuracy, cell.train_accuracy)
        np.testing.assert_array_equal(match.test_accuracy, cell.test_accuracy)
        np.testing.assert_array_equal(match.final_cost, cell.final_cost)
        assert match.dataset_fingerprint == dataset_fingerprint(moons)


def test_the_fingerprint_follows_every_array(moons: Dataset) -> None:
    reference = dataset_fingerprint(moons)
    copy = Dataset("renamed", "elsewhere", *(a.copy() for a in _arrays(moons)))
    assert dataset_fingerprint(copy) == reference
    for index in range(4):
        arrays = [a.copy() for a in _arrays(moons)]
        arrays[index].flat[0] = 1 - arrays[index].flat[0]
        assert dataset_fingerprint(Dataset("moons", "x", *arrays)) != reference
    moved = _arrays(moons)
    swapped = Dataset("moons", "x", moved[2], moved[3], moved[0], moved[1])
    assert dataset_fingerprint(swapped) != reference


def _arrays(dataset: Dataset) -> list[np.ndarray]:
    return [dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test]


# --- files the store refuses, untouched ---------------------------------------------------


def _refused(path: Path, match: str, **kwargs: object) -> None:
    before = path.read_bytes()
    with pytest.raises(DataError, match=match):
        ResultStore.open(path, **kwargs)  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.sqlite"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    _refused(path, r"noise\.sqlite is not a reglab results store \(not an SQLite file\)")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    _refused(path, "is empty, not a reglab results store")


def test_an_sqlite_database_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE cells (key TEXT, value TEXT)")
    connection.commit()
    connection.close()
    _refused(path, "is an SQLite database but not a reglab results store")


def test_our_mark_without_our_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "marked.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    connection.commit()
    connection.close()
    _refused(path, "carries reglab's mark but not its tables")


def test_another_schema_version_is_refused(store_file: Path) -> None:
    data = bytearray(store_file.read_bytes())
    data[60:64] = struct.pack(">I", SCHEMA_VERSION + 1)
    store_file.write_bytes(bytes(data))
    _refused(store_file, f"schema version {SCHEMA_VERSION + 1}; this reglab .* reads version 1")


@pytest.mark.parametrize("keep", [0.004, 0.3, 0.5, 0.99])
def test_truncated_stores_are_refused(store_file: Path, keep: float) -> None:
    size = store_file.stat().st_size
    with store_file.open("r+b") as handle:
        handle.truncate(int(size * keep))
    _refused(store_file, r"sweep\.sqlite is truncated")


def test_a_store_of_other_data_is_refused(moons: Dataset, store_file: Path, tmp_path: Path) -> None:
    circles = load_dataset(dataset="circles")
    before = store_file.read_bytes()
    with pytest.raises(DataError) as raised:
        sweep(circles, GRID, store=store_file, resume=True)
    assert str(raised.value) == (
        f"results store {store_file} was written for dataset 'moons' (fingerprint "
        f"{dataset_fingerprint(moons)[:12]}), but this run uses 'circles' (fingerprint "
        f"{dataset_fingerprint(circles)[:12]}); use another store file, or the same data to "
        "reuse it"
    )
    assert store_file.read_bytes() == before


@pytest.mark.parametrize(
    "revision",
    [None, "1", "2", "x"],
    ids=["no revision (reglab 0.1)", "revision 1", "revision 2", "not a number"],
)
def test_a_store_of_another_results_revision_is_refused(
    moons: Dataset, store_file: Path, revision: str | None
) -> None:
    """Numbers an older engine trained (other fresh masks) are never reused as this one's."""
    with sqlite3.connect(store_file) as connection:
        connection.execute("DELETE FROM meta WHERE key = 'results_revision'")
        if revision is not None:
            connection.execute("INSERT INTO meta VALUES ('results_revision', ?)", (revision,))
        connection.execute("UPDATE meta SET value = '0.1.0' WHERE key = 'reglab_version'")
    connection.close()
    before = store_file.read_bytes()
    with pytest.raises(DataError) as raised:
        sweep(moons, GRID, store=store_file, resume=True)
    assert str(raised.value) == (
        f"results store {store_file} holds results of revision {revision or '1'} (reglab 0.1.0); "
        "this reglab "
        f"({__version__}) trains revision {RESULTS_REVISION}, whose numbers differ, so they are "
        "not reused; use another store file"
    )
    assert store_file.read_bytes() == before
    with ResultStore.open(store_file) as store:  # still readable, for inspection
        assert store.meta.results_revision == (revision or "1") and len(store) > 0


def test_a_partial_store_needs_resume(moons: Dataset, store_file: Path) -> None:
    bigger = SweepGrid(
        l2=(0.0, 0.7, 3.0), keep_prob=(1.0, 0.8), seeds=2, iterations=100, record_every=50
    )
    with pytest.raises(DataError) as raised:
        sweep(moons, bigger, store=store_file)
    assert str(raised.value) == (
        f"results store {store_file} already holds 4 of this sweep's 6 cells; resume "
        "(--resume) to train only the missing ones, or choose another store"
    )
    resumed = sweep(moons, bigger, store=store_file, resume=True)
    assert (resumed.n_trained, resumed.n_from_store) == (4, 8)


def test_a_missing_directory_or_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "s.sqlite"
    with pytest.raises(DataError) as raised:
        ResultStore.open(path, dataset_fingerprint="f")
    assert str(raised.value) == (
        f"cannot create the results store {path}: directory {path.parent} does not exist"
    )
    with pytest.raises(DataError, match="does not exist"):
        ResultStore.open(tmp_path / "s.sqlite")
    with pytest.raises(DataError, match="is not a file"):
        ResultStore.open(tmp_path, dataset_fingerprint="f")


def test_a_store_copied_elsewhere_still_opens(store_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "sweep.sqlite"
    copy.parent.mkdir()
    shutil.copy(store_file, copy)
    with ResultStore.open(copy) as store:
        assert len(store) == 4
    assert os.listdir(copy.parent) == ["sweep.sqlite"]


# --- stores that cannot be created or read -------------------------------------------------

linux_only = pytest.mark.skipif(
    not Path("/proc/self/mem").is_file() or not Path("/sys/kernel").is_dir(),
    reason="needs Linux's /proc and /sys",
)


@linux_only
@pytest.mark.parametrize(
    ("path", "reason"),
    [("/sys/x.sqlite", "Permission denied"), ("/proc/x.sqlite", "No such file or directory")],
)
def test_a_store_that_cannot_be_created_is_a_data_error(path: str, reason: str) -> None:
    with pytest.raises(DataError) as raised:
        ResultStore.open(path, dataset_fingerprint="f")
    assert str(raised.value) == f"cannot create the results store {path}: {reason}"


@linux_only
def test_a_sweep_into_an_uncreatable_store_is_a_data_error(moons: Dataset) -> None:
    with pytest.raises(DataError) as raised:
        sweep(moons, GRID, store="/proc/x.sqlite")
    assert str(raised.value) == (
        "cannot create the results store /proc/x.sqlite: No such file or directory"
    )


@linux_only
def test_an_existing_file_that_cannot_be_read_is_a_data_error() -> None:
    with pytest.raises(DataError) as raised:
        ResultStore.open("/proc/self/mem")  # a regular file whose first bytes cannot be read
    assert str(raised.value) == "cannot read the results store /proc/self/mem: Input/output error"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="permissions do not bind root"
)
def test_a_store_without_permissions_is_a_data_error(tmp_path: Path, store_file: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(DataError) as raised:
            ResultStore.open(locked / "s.sqlite", dataset_fingerprint="f")
        assert str(raised.value) == (
            f"cannot create the results store {locked / 's.sqlite'}: Permission denied"
        )
    finally:
        locked.chmod(0o700)
    store_file.chmod(0o000)
    try:
        with pytest.raises(DataError) as raised:
            ResultStore.open(store_file)
        assert str(raised.value) == (
            f"cannot read the results store {store_file}: Permission denied"
        )
    finally:
        store_file.chmod(0o600)
