"""The exercise's own file, ``data.mat``: read it, validate it, download it with a verified hash.

The file is not ours to redistribute, so reglab never ships it: users point at
their copy, or :func:`fetch_football` downloads one of the pinned public copies
and keeps it only if its sha256 is :data:`FOOTBALL_SHA256`.

The file stores examples as rows (``X`` is ``(m, 2)``, ``y`` is ``(m, 1)``);
:func:`load_football` returns them as columns, the engine's orientation.

scipy.io, pooch and requests are imported inside the functions that use them,
so that ``import reglab`` (and every command's start) does not pay for them.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from reglab.data.dataset import Dataset, check_both_classes
from reglab.data.files import read_data_bytes
from reglab.errors import DataError
from reglab.types import FloatArray

FOOTBALL_SHA256 = "1218828095bf91d215622d00b2a5b8784c359e29d9d9c5734949b8e60c5bc231"
"""sha256 of the exercise's ``data.mat`` (SPEC.md)."""

FOOTBALL_URLS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/tscallioglu/Regularizations/"
    "6557929d1ddf81477dc7d5146d621bfcadd74da7/datasets/data.mat",
    "https://raw.githubusercontent.com/yleer/Regularization/"
    "2aeabb48f39f3d4fad52258a5f81698f07b7def6/datasets/data.mat",
)
"""Public copies of the file, pinned to a commit, tried in this order."""

FOOTBALL_FILENAME = "data.mat"
CACHE_DIR_ENV = "REGLAB_CACHE_DIR"
FOOTBALL_DESCRIPTION = (
    "the exercise's data.mat: where the ball was headed, label 1 when a French player won it"
)

_REQUIRED_KEYS = ("X", "y", "Xval", "yval")


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes (:class:`DataError` if it cannot be read)."""
    return hashlib.sha256(read_data_bytes(path)).hexdigest()


def load_football(path: str | os.PathLike[str]) -> Dataset:
    """Read and validate the exercise's ``data.mat`` (or any file with the same layout).

    Only the exercise's own file (by sha256) is presented as the exercise's
    data: downstream code (the plots' fixed axis window) goes by the name.

    The file must hold ``X`` ``(m_train, n)``, ``y`` ``(m_train, 1)``, ``Xval``
    ``(m_test, n)`` and ``yval`` ``(m_test, 1)``: finite numbers, labels 0 or 1,
    the same n >= 1 features in both (the exercise has n = 2).

    Returns:
        A :class:`Dataset` with ``X_train`` ``(n, m_train)``, ``y_train``
        ``(1, m_train)``, ``X_test`` ``(n, m_test)``, ``y_test`` ``(1, m_test)``
        (float64, contiguous), the path as given for its source and the file's
        sha256. It is named ``"football"``, with :data:`FOOTBALL_DESCRIPTION`,
        only when that sha256 is :data:`FOOTBALL_SHA256`; any other file is
        named after its stem and described neutrally.

    Raises:
        DataError: naming the path and what is wrong with the file (missing,
            unreadable or malformed).
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"data file not found: {file} (expected the exercise's data.mat)")
    content = read_data_bytes(file)
    import scipy.io

    try:
        contents: dict[str, Any] = scipy.io.loadmat(io.BytesIO(content))
    except Exception as error:  # a damaged file fails in many ways: zlib, index, type errors
        raise DataError(
            f"{file}: not a readable MATLAB .mat file ({type(error).__name__}: {error})"
        ) from error

    variables = sorted(key for key in contents if not key.startswith("__"))
    missing = [key for key in _REQUIRED_KEYS if key not in contents]
    if missing:
        raise DataError(
            f"{file}: missing required keys {', '.join(missing)}. "
            f"Expected keys X, y, Xval, yval. Received keys: {', '.join(variables) or 'none'}"
        )

    X_train, y_train = _split_from_mat(file, contents, "X", "y", n_features=None)
    X_test, y_test = _split_from_mat(file, contents, "Xval", "yval", n_features=X_train.shape[0])
    check_both_classes(file, y_train, "'y'")  # as a CSV's labels are checked
    check_both_classes(file, y_test, "'yval'")
    sha256 = hashlib.sha256(content).hexdigest()
    if sha256 == FOOTBALL_SHA256:
        name, description = "football", FOOTBALL_DESCRIPTION
    else:
        name = file.stem
        description = (
            f"points from {file.name}: {X_train.shape[1]} train and {X_test.shape[1]} test "
            f"examples, {X_train.shape[0]} features"
        )
    return Dataset(
        name=name,
        source=str(path),
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        sha256=sha256,
        description=description,
    )


def _split_from_mat(
    file: Path, contents: dict[str, Any], x_key: str, y_key: str, n_features: int | None
) -> tuple[FloatArray, FloatArray]:
    """Validate one split stored as rows; return it as columns, X ``(n, m)`` and y ``(1, m)``."""
    X = _numeric(file, x_key, contents[x_key])
    y = _numeric(file, y_key, contents[y_key])
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise DataError(
            f"{file}: {x_key!r} must have shape (m, n_features) with m, n_features >= 1. "
            f"Received: shape {X.shape}"
        )
    if n_features is not None and X.shape[1] != n_features:
        raise DataError(
            f"{file}: {x_key!r} must have {n_features} feature column(s) like 'X'. "
            f"Received: shape {X.shape}"
        )
    m = X.shape[0]
    if y.shape != (m, 1):
        raise DataError(
            f"{file}: {y_key!r} must have shape ({m}, 1) to match {x_key!r} {X.shape}. "
            f"Received: shape {y.shape}"
        )
    for key, values in ((x_key, X), (y_key, y)):
        n_bad = int(np.count_nonzero(~np.isfinite(values)))
        if n_bad:
            raise DataError(
                f"{file}: {key!r} must contain only finite numbers. "
                f"Received: {n_bad} NaN or infinite value(s)"
            )
    labels = np.unique(y)
    if not np.all((labels == 0) | (labels == 1)):
        shown = ", ".join(f"{value:g}" for value in labels[:6])
        raise DataError(f"{file}: {y_key!r} must contain only labels 0 and 1. Received: {shown}")
    return np.ascontiguousarray(X.T), np.ascontiguousarray(y.T)


def _numeric(file: Path, key: str, value: object) -> FloatArray:
    """The array stored under ``key`` as float64, or :class:`DataError` if it is not numeric."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise DataError(f"{file}: {key!r} must be a numeric array. Received: dtype {array.dtype}")
    return array.astype(np.float64)


def default_cache_dir() -> Path:
    """Where downloads are kept: ``$REGLAB_CACHE_DIR`` if set, else the OS cache for reglab."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    import pooch

    return Path(pooch.os_cache("reglab"))


def cached_football(cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The cached ``data.mat`` if it is present and its sha256 is :data:`FOOTBALL_SHA256`."""
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = path / FOOTBALL_FILENAME
    if path.is_file() and file_sha256(path) == FOOTBALL_SHA256:
        return path
    return None


def fetch_football(
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    urls: Sequence[str] = FOOTBALL_URLS,
    timeout: float = 5.0,
) -> Path:
    """The verified ``data.mat`` in the cache, downloaded if needed.

    Each URL is tried in turn; a download is kept only if its sha256 is
    :data:`FOOTBALL_SHA256` (pooch streams it to a temporary file and deletes
    it otherwise). ``timeout`` (seconds) bounds each connection attempt and
    each wait for data, so an unreachable host fails in seconds.

    Raises:
        DataError: when every URL failed, listing each with a short reason.
    """
    return download_football(cache_dir=cache_dir, urls=urls, timeout=timeout)[0]


def download_football(
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    urls: Sequence[str] = FOOTBALL_URLS,
    timeout: float = 5.0,
) -> tuple[Path, str | None]:
    """Like :func:`fetch_football`, also returning the URL used (None when the cache served)."""
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cached_football(directory)
    if cached is not None:
        return cached, None
    # A file with the wrong hash is never used; remove it so the cache holds only verified data.
    (directory / FOOTBALL_FILENAME).unlink(missing_ok=True)
    import pooch

    failures: list[str] = []
    with _quiet_pooch():
        for url in urls:
            try:
                fetched = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{FOOTBALL_SHA256}",
                    fname=FOOTBALL_FILENAME,
                    path=directory,
                    downloader=pooch.HTTPDownloader(timeout=timeout, progressbar=False),
                )
            except (ValueError, OSError) as error:  # requests' errors are OSErrors
                failures.append(f"{url}: {_short_reason(error, timeout)}")
                continue
            return Path(fetched), url
    raise DataError(
        "could not download the exercise's data.mat (sha256 "
        f"{FOOTBALL_SHA256[:12]}...) from any URL: " + "; ".join(failures or ["no URLs given"])
    )


def _short_reason(error: Exception, timeout: float) -> str:
    """One phrase for why a download failed."""
    import requests

    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    if isinstance(error, requests.exceptions.Timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection failed"
    if isinstance(error, requests.exceptions.RequestException):
        return type(error).__name__
    if isinstance(error, ValueError) and "hash" in str(error).lower():
        return "sha256 mismatch (file rejected)"
    return f"{type(error).__name__}: {error}"


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's INFO messages ("Downloading data from ...") for the duration."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
