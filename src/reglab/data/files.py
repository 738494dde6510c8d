"""Reading a data file's bytes, with every operating-system failure as a :class:`DataError`."""

from __future__ import annotations

from pathlib import Path

from reglab.errors import DataError


def read_data_bytes(path: Path) -> bytes:
    """The bytes of ``path``.

    Raises:
        DataError: ``cannot read <path>: <reason>`` when the operating system
            refuses (no permission, a directory, an I/O error, ...).
    """
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise DataError(f"cannot read {path}: {reason}") from None
