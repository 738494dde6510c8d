"""The results store: one SQLite file that survives interruptions and answers repeated sweeps.

Layout (SQLite, standard library only). The file is marked as reglab's by
``PRAGMA application_id`` (:data:`APPLICATION_ID`, "RGLB") and versioned by
``PRAGMA user_version`` (:data:`SCHEMA_VERSION`):

- ``meta(key, value)``: ``format`` (``"reglab-results-store"``), the
  ``reglab_version`` that created it, the ``results_revision`` of its numbers
  (:data:`reglab.version.RESULTS_REVISION`; absent means 1: reglab 0.1, which
  does not check it), the ``dataset_fingerprint`` and ``dataset_name`` it
  belongs to, and ``created`` (ISO 8601, UTC).
- ``cells(key, config, seeds, reglab_version, dataset_fingerprint, created)``:
  one row per finished sweep cell. ``key`` is the canonical JSON (sorted keys,
  no spaces) of ``{"config": <cell configuration>, "seeds": [...]}``.
- ``runs(cell_key, position, seed, train_accuracy, test_accuracy, final_cost,
  diverged)``: the cell's per-seed results (``final_cost`` is NULL when it was
  not finite).

Finished cells are written in one transaction per batch (a sweep commits the
cells each engine call completes, as soon as it returns), with SQLite's rollback
journal and ``synchronous=FULL``: a process killed at any moment (SIGKILL
included) leaves each cell complete or absent, and the file valid; the next
opening rolls back any half-written transaction. The store is created in a
temporary file and linked into place, so a store path never holds a half-made
store.

Before a byte is written, an existing file is checked: not SQLite, SQLite
without reglab's application_id or schema, truncated, damaged, unreadable, or
written for another dataset or by a reglab whose numbers differ (another
results revision) are each refused with a :class:`DataError`, and the file is
left untouched. A store that cannot be created (no permission, a
read-only or virtual file system) is a :class:`DataError` too.

The dataset fingerprint is the sha256 of the split's arrays (shapes, dtype and
bytes), so any change to the data, or to how it was split, is a different
dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import struct
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from reglab.data.dataset import Dataset
from reglab.errors import DataError
from reglab.types import BoolArray, FloatArray
from reglab.version import RESULTS_REVISION, __version__

APPLICATION_ID = 0x52474C42  # "RGLB"
SCHEMA_VERSION = 1
STORE_FORMAT = "reglab-results-store"
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100

_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE cells (
    key TEXT PRIMARY KEY NOT NULL,
    config TEXT NOT NULL,
    seeds TEXT NOT NULL,
    reglab_version TEXT NOT NULL,
    dataset_fingerprint TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE runs (
    cell_key TEXT NOT NULL REFERENCES cells(key) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    train_accuracy REAL NOT NULL,
    test_accuracy REAL NOT NULL,
    final_cost REAL,
    diverged INTEGER NOT NULL CHECK (diverged IN (0, 1)),
    PRIMARY KEY (cell_key, position)
);
"""

_REQUIRED_COLUMNS = {
    "meta": {"key", "value"},
    "cells": {"key", "config", "seeds", "reglab_version", "dataset_fingerprint", "created"},
    "runs": {
        "cell_key",
        "position",
        "seed",
        "train_accuracy",
        "test_accuracy",
        "final_cost",
        "diverged",
    },
}


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def cell_key(config: Mapping[str, Any], seeds: Sequence[int]) -> str:
    """The store key of a cell: canonical JSON of its configuration and seeds."""
    return canonical_json({"config": dict(config), "seeds": list(seeds)})


def dataset_fingerprint(dataset: Dataset) -> str:
    """sha256 over the split's arrays (role, shape, dtype and bytes, in a fixed order)."""
    digest = hashlib.sha256()
    for role, array in (
        ("X_train", dataset.X_train),
        ("y_train", dataset.y_train),
        ("X_test", dataset.X_test),
        ("y_test", dataset.y_test),
    ):
        contiguous = np.ascontiguousarray(array)
        digest.update(f"{role}:{contiguous.dtype.str}:{contiguous.shape};".encode())
        digest.update(contiguous.tobytes())
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _reason(error: OSError | sqlite3.Error) -> str:
    """What the operating system or SQLite said, without Python's errno prefix."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


@dataclass(frozen=True, eq=False)
class StoredCell:
    """One finished cell as the store keeps it.

    Attributes:
        config: the cell's configuration (JSON-ready; every field but the seed).
        seeds: the seeds, in order.
        train_accuracy, test_accuracy, final_cost: per seed, shape ``(N,)``
            (``final_cost`` is NaN where it was not finite).
        diverged: per seed, shape ``(N,)``.
        reglab_version: the version that trained it.
        dataset_fingerprint: the data it was trained on.
        created: when it was written (ISO 8601, UTC).
    """

    config: dict[str, Any]
    seeds: tuple[int, ...]
    train_accuracy: FloatArray
    test_accuracy: FloatArray
    final_cost: FloatArray
    diverged: BoolArray
    reglab_version: str
    dataset_fingerprint: str
    created: str = ""

    @property
    def key(self) -> str:
        """The cell's key, see :func:`cell_key`."""
        return cell_key(self.config, self.seeds)


@dataclass(frozen=True)
class StoreMeta:
    """What the store says about itself."""

    reglab_version: str
    results_revision: str
    dataset_fingerprint: str
    dataset_name: str
    created: str


def _read_header(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(HEADER_SIZE)


def _check_header(path: Path, header: bytes) -> None:
    """Refuse what is not a complete reglab store header, before SQLite opens the file."""
    if not header:
        raise DataError(
            f"{path} is empty, not a reglab results store; "
            "remove it or choose another store path (reglab never overwrites it)"
        )
    if not header.startswith(SQLITE_MAGIC[: len(header)]) or (
        len(header) >= len(SQLITE_MAGIC) and not header.startswith(SQLITE_MAGIC)
    ):
        raise DataError(
            f"{path} is not a reglab results store (not an SQLite file); "
            "choose another store path (reglab never overwrites it)"
        )
    if len(header) < HEADER_SIZE:
        raise DataError(
            f"{path} is truncated ({len(header)} bytes, shorter than an SQLite header); "
            "it cannot be read. Remove it or choose another store path"
        )
    (user_version,) = struct.unpack(">I", header[60:64])
    (application_id,) = struct.unpack(">I", header[68:72])
    if application_id != APPLICATION_ID:
        raise DataError(
            f"{path} is an SQLite database but not a reglab results store "
            f"(application_id {application_id:#010x}, expected {APPLICATION_ID:#010x}); "
            "choose another store path (reglab never overwrites it)"
        )
    if user_version != SCHEMA_VERSION:
        raise DataError(
            f"{path} is a reglab results store of schema version {user_version}; "
            f"this reglab ({__version__}) reads version {SCHEMA_VERSION}"
        )


def _page_size(header: bytes) -> int:
    (size,) = struct.unpack(">H", header[16:18])
    return 65536 if size == 1 else int(size)


def _declared_size(header: bytes) -> int | None:
    """The file size the header declares, or None when the header's page count is not valid."""
    (change_counter,) = struct.unpack(">I", header[24:28])
    (page_count,) = struct.unpack(">I", header[28:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if page_count == 0 or change_counter != valid_for:
        return None
    return int(page_count) * _page_size(header)


def _check_size(path: Path, header: bytes) -> None:
    declared = _declared_size(header)
    actual = path.stat().st_size
    page_size = _page_size(header)
    if (declared is not None and actual < declared) or actual % page_size:
        expected = f"{declared} bytes" if declared is not None else f"a multiple of {page_size}"
        raise DataError(
            f"{path} is truncated ({actual} bytes; its SQLite header says {expected}); "
            "it cannot be read. Remove it or choose another store path"
        )


def _has_journal(path: Path) -> bool:
    journal = path.with_name(path.name + "-journal")
    return journal.exists() and journal.stat().st_size > 0


def _connect(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=rw"
    connection = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _check_database(path: Path, connection: sqlite3.Connection) -> None:
    """The checks that need SQLite (run after it has rolled back any interrupted write)."""
    try:
        # The first read takes a shared lock and rolls back a hot journal, if any.
        connection.execute("PRAGMA schema_version").fetchone()
        # After SQLite's recovery the header and the file must agree.
        _check_size(path, _read_header(path))
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise DataError(f"{path} is damaged ({problems[0]}); it cannot be read")
        tables = {
            name: {row[1] for row in connection.execute(f"PRAGMA table_info({name})")}
            for name in _REQUIRED_COLUMNS
        }
        fmt = (
            connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if _REQUIRED_COLUMNS["meta"] <= tables["meta"]
            else None
        )
    except sqlite3.DatabaseError as error:
        raise DataError(f"{path} cannot be read as a reglab results store: {error}") from error
    except OSError as error:
        raise DataError(f"cannot read the results store {path}: {_reason(error)}") from error
    missing = [name for name, columns in _REQUIRED_COLUMNS.items() if not columns <= tables[name]]
    if missing or fmt is None or fmt[0] != STORE_FORMAT:
        raise DataError(
            f"{path} carries reglab's mark but not its tables ({', '.join(missing) or 'meta'}); "
            "it cannot be read"
        )


def _create(path: Path, fingerprint: str, dataset_name: str) -> None:
    """Build a complete empty store in a temporary file, then link it into place."""
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    # The usual permissions (0o666 less the umask), unlike mkstemp's 0o600.
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", STORE_FORMAT),
                    ("reglab_version", __version__),
                    ("results_revision", str(RESULTS_REVISION)),
                    ("dataset_fingerprint", fingerprint),
                    ("dataset_name", dataset_name),
                    ("created", _now()),
                ],
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        try:
            os.link(temporary, path)  # atomic, and never replaces an existing file
        except FileExistsError:
            pass  # someone else created it first: it is checked like any existing file
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


class ResultStore:
    """An open results store for one dataset. Use :meth:`open`; close it (or use ``with``)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._connection = connection

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        dataset_fingerprint: str | None = None,
        dataset_name: str = "",
        create: bool = True,
    ) -> ResultStore:
        """Open the store at ``path``, creating it if it does not exist and ``create`` is true.

        Args:
            path: the store's file.
            dataset_fingerprint: the data the caller trains on (see
                :func:`dataset_fingerprint`); required to create a store, and
                an existing store written for other data is refused. None
                opens any valid store (for reading).
            dataset_name: recorded when creating the store, for people.
            create: create a missing store (otherwise a missing file is an error).

        Raises:
            DataError: the file is not a reglab store, is truncated, damaged or
                unreadable, or (with ``dataset_fingerprint``) belongs to another
                dataset or results revision (the file is left untouched); or the
                store cannot be created.
        """
        store_path = Path(path)
        try:
            exists = store_path.exists()
        except OSError as error:
            raise DataError(
                f"cannot read the results store {store_path}: {_reason(error)}"
            ) from error
        if not exists:
            if not create or dataset_fingerprint is None:
                raise DataError(f"results store {store_path} does not exist")
            if not store_path.parent.is_dir():
                raise DataError(
                    f"cannot create the results store {store_path}: "
                    f"directory {store_path.parent} does not exist"
                )
            try:
                _create(store_path, dataset_fingerprint, dataset_name)
            except (OSError, sqlite3.Error) as error:
                raise DataError(
                    f"cannot create the results store {store_path}: {_reason(error)}"
                ) from error
        if not store_path.is_file():
            raise DataError(f"{store_path} is not a file, so it cannot be a results store")
        try:
            header = _read_header(store_path)
            _check_header(store_path, header)
            if not _has_journal(store_path):
                # An interrupted write leaves a journal: SQLite rolls it back first, then we check.
                _check_size(store_path, header)
        except OSError as error:
            raise DataError(
                f"cannot read the results store {store_path}: {_reason(error)}"
            ) from error
        try:
            connection = _connect(store_path)
        except sqlite3.Error as error:
            raise DataError(
                f"{store_path} cannot be read as a reglab results store (damaged): {error}"
            ) from error
        try:
            _check_database(store_path, connection)
            store = cls(store_path, connection)
            if dataset_fingerprint is not None:
                store._check_compatible(dataset_fingerprint, dataset_name)
        except BaseException:
            connection.close()
            raise
        return store

    def _check_compatible(self, fingerprint: str, dataset_name: str) -> None:
        """Refuse a store whose numbers this reglab would not reproduce, or of other data."""
        meta = self.meta
        if meta.results_revision != str(RESULTS_REVISION):
            raise DataError(
                f"results store {self.path} holds results of revision {meta.results_revision} "
                f"(reglab {meta.reglab_version}); this reglab ({__version__}) trains revision "
                f"{RESULTS_REVISION}, whose numbers differ, so they are not reused; "
                "use another store file"
            )
        if meta.dataset_fingerprint != fingerprint:
            raise DataError(
                f"results store {self.path} was written for dataset {meta.dataset_name!r} "
                f"(fingerprint {meta.dataset_fingerprint[:12]}), but this run uses "
                f"{dataset_name!r} (fingerprint {fingerprint[:12]}); "
                "use another store file, or the same data to reuse it"
            )

    @property
    def meta(self) -> StoreMeta:
        """The store's own description."""
        values = dict(self._connection.execute("SELECT key, value FROM meta").fetchall())
        return StoreMeta(
            reglab_version=values.get("reglab_version", ""),
            results_revision=values.get("results_revision", "1"),
            dataset_fingerprint=values.get("dataset_fingerprint", ""),
            dataset_name=values.get("dataset_name", ""),
            created=values.get("created", ""),
        )

    def __len__(self) -> int:
        return int(self._connection.execute("SELECT COUNT(*) FROM cells").fetchone()[0])

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredCell]:
        """The stored cells among ``keys`` (missing keys are absent from the result)."""
        return self._read(set(keys))

    def cells(self) -> list[StoredCell]:
        """Every stored cell, in the order they were written."""
        return list(self._read(None).values())

    def _read(self, wanted: set[str] | None) -> dict[str, StoredCell]:
        rows = self._connection.execute(
            "SELECT key, config, seeds, reglab_version, dataset_fingerprint, created "
            "FROM cells ORDER BY rowid"
        ).fetchall()
        runs: dict[str, list[tuple[float, float, float | None, int]]] = {}
        for key, *values in self._connection.execute(
            "SELECT cell_key, train_accuracy, test_accuracy, final_cost, diverged "
            "FROM runs ORDER BY cell_key, position"
        ):
            if wanted is None or key in wanted:
                runs.setdefault(key, []).append(tuple(values))
        found: dict[str, StoredCell] = {}
        for key, config, seeds, version, fingerprint, created in rows:
            if wanted is not None and key not in wanted:
                continue
            results = runs.get(key, [])
            found[key] = StoredCell(
                config=json.loads(config),
                seeds=tuple(json.loads(seeds)),
                train_accuracy=np.array([r[0] for r in results], dtype=float),
                test_accuracy=np.array([r[1] for r in results], dtype=float),
                final_cost=np.array(
                    [math.nan if r[2] is None else r[2] for r in results], dtype=float
                ),
                diverged=np.array([bool(r[3]) for r in results], dtype=bool),
                reglab_version=version,
                dataset_fingerprint=fingerprint,
                created=created,
            )
        return found

    def put(self, cell: StoredCell) -> None:
        """Write one finished cell and its runs in one transaction (a no-op if already stored)."""
        self.put_many([cell])

    def put_many(self, cells: Sequence[StoredCell]) -> None:
        """Write finished cells in one transaction: all of them, or (if interrupted) none.

        Cells already stored are left as they are.
        """
        for cell in cells:
            n = len(cell.seeds)
            arrays = (cell.train_accuracy, cell.test_accuracy, cell.final_cost, cell.diverged)
            if any(np.shape(a) != (n,) for a in arrays):
                raise DataError(
                    f"a stored cell needs one result per seed ({n}); received other shapes"
                )
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            for cell in cells:
                self._insert(cell)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _insert(self, cell: StoredCell) -> None:
        connection = self._connection
        inserted = connection.execute(
            "INSERT OR IGNORE INTO cells "
            "(key, config, seeds, reglab_version, dataset_fingerprint, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                cell.key,
                canonical_json(cell.config),
                canonical_json(list(cell.seeds)),
                cell.reglab_version,
                cell.dataset_fingerprint,
                cell.created or _now(),
            ),
        ).rowcount
        if not inserted:
            return
        connection.executemany(
            "INSERT INTO runs (cell_key, position, seed, train_accuracy, test_accuracy, "
            "final_cost, diverged) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    cell.key,
                    position,
                    seed,
                    float(cell.train_accuracy[position]),
                    float(cell.test_accuracy[position]),
                    _finite_or_none(float(cell.final_cost[position])),
                    int(bool(cell.diverged[position])),
                )
                for position, seed in enumerate(cell.seeds)
            ],
        )

    def close(self) -> None:
        """Close the file."""
        self._connection.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[StoredCell]:
        return iter(self.cells())


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
