"""read_data_bytes: an operating-system failure to read a data file is one DataError line."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from reglab.data.files import read_data_bytes
from reglab.errors import DataError


def test_reads_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b"0,0,0\n\x00\xff")

    assert read_data_bytes(path) == b"0,0,0\n\x00\xff"


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError) as raised:
        read_data_bytes(tmp_path)

    assert str(raised.value) == f"cannot read {tmp_path}: Is a directory"


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.mat"

    with pytest.raises(DataError) as raised:
        read_data_bytes(path)

    assert str(raised.value) == f"cannot read {path}: No such file or directory"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may read a file without permission"
)
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("0,0,0\n")
    path.chmod(0)
    try:
        with pytest.raises(DataError, match=re.escape(f"cannot read {path}: Permission denied")):
            read_data_bytes(path)
    finally:
        path.chmod(0o600)


def test_an_input_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "disk.mat"
    path.write_bytes(b"anything")

    def failing_read(self: Path) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))

    monkeypatch.setattr(Path, "read_bytes", failing_read)

    with pytest.raises(DataError) as raised:
        read_data_bytes(path)

    assert str(raised.value) == f"cannot read {path}: {os.strerror(errno.EIO)}"
