"""reglab.atomic.write_atomically: whole files, and errors about the caller's path."""

from __future__ import annotations

from pathlib import Path

import pytest

from reglab.atomic import write_atomically


def test_a_file_is_written_whole_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    write_atomically(target, b"abc")
    write_atomically(target, b"defg")
    assert target.read_bytes() == b"defg"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_missing_directory_names_the_path_not_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "model.safetensors"
    with pytest.raises(FileNotFoundError) as raised:
        write_atomically(target, b"x")
    assert raised.value.filename == str(target)
    assert ".tmp" not in str(raised.value)


def test_a_directory_as_destination_names_it_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        write_atomically(target, b"x")
    assert raised.value.filename == str(target)
    assert ".tmp" not in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
