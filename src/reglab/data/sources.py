"""One entry point from "which data?" to a :class:`Dataset`: a file, a built-in, the exercise.

Without ``data`` or ``dataset``, reglab looks for the exercise's file the way
the exercise itself does and falls back step by step:

1. ``datasets/data.mat`` under the working directory (the exercise's layout);
2. the verified copy in the cache (``$REGLAB_CACHE_DIR`` or the OS cache);
3. a download from the pinned public copies, checked against the sha256
   (skipped when ``offline``);
4. the built-in ``goalkeeper`` generator.

The returned dataset's ``source`` says which step answered, and for the
fallback, why the others did not.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from reglab.config import check
from reglab.data.csv_files import load_csv
from reglab.data.dataset import Dataset
from reglab.data.football import (
    FOOTBALL_FILENAME,
    FOOTBALL_URLS,
    cached_football,
    default_cache_dir,
    download_football,
    load_football,
)
from reglab.data.generators import (
    CLASSES_GENERATORS,
    GENERATORS,
    MULTICLASS_GENERATORS,
    goalkeeper,
    list_datasets,
)
from reglab.errors import DataError, ParameterError

__all__ = [
    "EXERCISE_DATASET",
    "FOOTBALL_URLS",
    "LOCAL_EXERCISE_FILE",
    "list_datasets",
    "load_dataset",
]

EXERCISE_DATASET = "football"
LOCAL_EXERCISE_FILE = Path("datasets") / FOOTBALL_FILENAME
"""Where the exercise's notebook keeps its file, relative to the working directory."""


def load_dataset(
    *,
    data: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    offline: bool = False,
    test_fraction: float | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = 5.0,
    cwd: str | os.PathLike[str] | None = None,
    classes: int | None = None,
) -> Dataset:
    """The dataset the user asked for.

    Args:
        data: a file: ``.mat`` in the exercise's layout, or ``.csv`` (see
            :func:`reglab.data.csv_files.load_csv`). Relative paths are taken
            from ``cwd``.
        dataset: a name from :func:`reglab.data.generators.list_datasets`;
            ``"football"`` is the exercise's file, found as described above.
        offline: never download; fall back to the built-in generator instead.
        test_fraction: share of examples held out for testing, for generators
            and CSV files without a ``split`` column (defaults: the
            generator's own, 0.3 for CSV). The exercise's file has a fixed
            split, so it must be None there.
        seed: seeds generators and random CSV splits, >= 0.
        cache_dir: the download cache (default: ``$REGLAB_CACHE_DIR`` or the
            OS cache for reglab).
        timeout: seconds to wait on a connection before trying the next URL, > 0.
        cwd: the working directory (default: the process's).
        classes: the classes of a generator of
            :data:`~reglab.data.generators.MULTICLASS_GENERATORS` (default 2); None elsewhere.

    Raises:
        ParameterError: both ``data`` and ``dataset``, an unknown name, or a
            parameter out of range.
        DataError: a file that is missing, a directory, unreadable, of an
            unsupported type or malformed.
    """
    if data is not None and dataset is not None:
        raise ParameterError("dataset", "omitted when data is given (choose one source)", dataset)
    check("timeout", timeout)
    check("seed", seed)
    base = Path(cwd) if cwd is not None else Path.cwd()
    if classes is not None and dataset not in MULTICLASS_GENERATORS:
        raise ParameterError(
            "classes",
            f"omitted unless the dataset is a generator of several classes "
            f"({' or '.join(MULTICLASS_GENERATORS)})",
            classes,
        )

    if data is not None:
        path = Path(data)
        if cwd is not None and not path.is_absolute():
            path = base / path
        return _load_file(path, test_fraction=test_fraction, seed=seed)
    if dataset is None or dataset == EXERCISE_DATASET:
        _check_fixed_split(test_fraction)
        return _exercise_chain(
            base, offline=offline, seed=seed, cache_dir=cache_dir, timeout=timeout
        )
    generator = GENERATORS.get(dataset)
    if generator is None:
        names = ", ".join(repr(name) for name, _ in list_datasets())
        raise ParameterError("dataset", f"one of {names}", dataset)
    if classes is not None:
        several = CLASSES_GENERATORS[dataset]
        if test_fraction is None:
            return several(seed=seed, classes=classes)
        return several(seed=seed, test_fraction=test_fraction, classes=classes)
    if test_fraction is None:
        return generator(seed=seed)
    return generator(seed=seed, test_fraction=test_fraction)


def _check_fixed_split(test_fraction: float | None) -> None:
    if test_fraction is not None:
        raise ParameterError(
            "test_fraction",
            "omitted for a .mat file (its X/y and Xval/yval train/test split is fixed)",
            test_fraction,
        )


def _load_file(path: Path, *, test_fraction: float | None, seed: int) -> Dataset:
    if path.is_dir():
        raise DataError(f"{path} is a directory; expected a .mat or .csv file")
    if path.exists() and not path.is_file():  # a FIFO would block a read; a device never ends
        raise ParameterError(
            "data", "a regular .mat or .csv file (not a FIFO or a device)", str(path)
        )
    suffix = path.suffix.lower()
    if suffix == ".mat":
        _check_fixed_split(test_fraction)
        return load_football(path)
    if suffix == ".csv":
        return load_csv(path, test_fraction=test_fraction, seed=seed)
    raise DataError(
        f"{path}: unsupported file type. Expected a .mat file in the exercise's layout "
        f"or a .csv file. Received: {suffix or 'no suffix'!r}"
    )


def _exercise_chain(
    base: Path,
    *,
    offline: bool,
    seed: int,
    cache_dir: str | os.PathLike[str] | None,
    timeout: float,
) -> Dataset:
    """Local file, else cache, else download, else the goalkeeper generator."""
    local = base / LOCAL_EXERCISE_FILE
    if local.is_file():
        return load_football(local)
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cached_football(directory)
    if cached is not None:
        return dataclasses.replace(load_football(cached), source=f"cache {cached}")
    if offline:
        why = "the download was skipped (offline)"
    else:
        try:
            path, url = download_football(cache_dir=directory, urls=FOOTBALL_URLS, timeout=timeout)
        except DataError as error:
            why = f"the download failed ({error})"
        else:
            origin = f"download {url} (sha256 verified) to {path}" if url else f"cache {path}"
            return dataclasses.replace(load_football(path), source=origin)
    fallback = goalkeeper(seed=seed)
    return dataclasses.replace(
        fallback,
        source=(
            f"{fallback.source}: the exercise's data.mat was not found locally ({local}) "
            f"or in the cache ({directory}), and {why}"
        ),
    )
