"""load_dataset: files by suffix, built-in names, the chain local -> cache -> download -> built-in.

No test reaches the network: the pinned URLs are replaced by 127.0.0.1 addresses.
"""

from __future__ import annotations

import functools
import http.server
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from reglab.data import sources
from reglab.data.football import FOOTBALL_SHA256
from reglab.data.generators import GENERATORS, goalkeeper
from reglab.data.sources import load_dataset
from reglab.errors import DataError, ParameterError


def _closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/data.mat"


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the download at a closed local port and the default cache at an empty folder."""
    monkeypatch.setattr(sources, "FOOTBALL_URLS", (_closed_port_url(),))
    monkeypatch.setenv("REGLAB_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def exercise_folder(tmp_path: Path, football_path: Path) -> Path:
    """A working directory laid out like the exercise's: ``datasets/data.mat``."""
    folder = tmp_path / "exercise"
    (folder / "datasets").mkdir(parents=True)
    (folder / "datasets" / "data.mat").write_bytes(football_path.read_bytes())
    return folder


@pytest.fixture
def served_file(football_path: Path, tmp_path: Path) -> Iterator[str]:
    """The URL of a copy of the exercise's file on a local HTTP server."""
    root = tmp_path / "served"
    root.mkdir()
    (root / "data.mat").write_bytes(football_path.read_bytes())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(
        target=functools.partial(httpd.serve_forever, poll_interval=0.05), daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/data.mat"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_local_exercise_folder_comes_first(exercise_folder: Path, tmp_path: Path) -> None:
    dataset = load_dataset(cwd=exercise_folder, cache_dir=tmp_path / "empty", offline=True)

    assert dataset.name == "football"
    assert dataset.source == str(exercise_folder / "datasets" / "data.mat")
    assert dataset.sha256 == FOOTBALL_SHA256
    assert dataset.X_train.shape == (2, 211)


def test_cache_comes_next(tmp_path: Path, football_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data.mat").write_bytes(football_path.read_bytes())

    dataset = load_dataset(cwd=tmp_path, cache_dir=cache, offline=True)

    assert dataset.name == "football"
    assert dataset.source == f"cache {cache / 'data.mat'}"
    assert dataset.X_test.shape == (2, 200)


def test_default_cache_is_the_environment_variable(
    tmp_path: Path, football_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "env-cache"
    cache.mkdir()
    (cache / "data.mat").write_bytes(football_path.read_bytes())
    monkeypatch.setenv("REGLAB_CACHE_DIR", str(cache))

    dataset = load_dataset(cwd=tmp_path, offline=True)

    assert dataset.source == f"cache {cache / 'data.mat'}"


def test_a_corrupted_cache_is_not_used(tmp_path: Path, football_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data.mat").write_bytes(football_path.read_bytes()[:-1])

    dataset = load_dataset(cwd=tmp_path, cache_dir=cache, offline=True)

    assert dataset.name == "goalkeeper"


def test_download_comes_after_the_cache(
    tmp_path: Path, served_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "FOOTBALL_URLS", (_closed_port_url(), served_file))
    cache = tmp_path / "cache"

    dataset = load_dataset(cwd=tmp_path, cache_dir=cache)

    assert dataset.name == "football"
    assert dataset.source == f"download {served_file} (sha256 verified) to {cache / 'data.mat'}"
    assert dataset.sha256 == FOOTBALL_SHA256
    again = load_dataset(cwd=tmp_path, cache_dir=cache, offline=True)
    assert again.source == f"cache {cache / 'data.mat'}"


def test_offline_without_local_file_or_cache_falls_back_to_goalkeeper(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"

    dataset = load_dataset(cwd=tmp_path, cache_dir=cache, offline=True, seed=3)

    expected = goalkeeper(seed=3)
    assert dataset.name == "goalkeeper"
    np.testing.assert_array_equal(dataset.X_train, expected.X_train)
    assert dataset.source == (
        f"built-in generator goalkeeper (seed 3, noise 0.04): the exercise's data.mat was not "
        f"found locally ({tmp_path / 'datasets' / 'data.mat'}) or in the cache ({cache}), "
        "and the download was skipped (offline)"
    )


def test_failed_download_falls_back_and_says_why(tmp_path: Path) -> None:
    dataset = load_dataset(dataset="football", cwd=tmp_path, cache_dir=tmp_path / "c", timeout=2.0)

    assert dataset.name == "goalkeeper"
    assert "the download failed (could not download the exercise's data.mat" in dataset.source
    assert f"{sources.FOOTBALL_URLS[0]}: connection failed" in dataset.source


def test_an_invalid_local_file_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.mat").write_text("not a mat file")

    with pytest.raises(DataError, match=re.escape("not a readable MATLAB .mat file")):
        load_dataset(cwd=tmp_path, cache_dir=tmp_path / "cache", offline=True)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_named_generators(name: str) -> None:
    dataset = load_dataset(dataset=name, seed=5)

    expected = GENERATORS[name](seed=5)
    assert dataset.name == name
    np.testing.assert_array_equal(dataset.X_test, expected.X_test)


def test_test_fraction_reaches_the_generator() -> None:
    dataset = load_dataset(dataset="moons", test_fraction=0.25)

    assert dataset.X_test.shape == (2, 100)


def test_mat_and_csv_files_by_suffix(tmp_path: Path, football_path: Path) -> None:
    csv_path = tmp_path / "mine.CSV"
    csv_path.write_text("x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n3,3,1\n4,4,0\n5,5,1\n")

    from_mat = load_dataset(data=football_path)
    from_csv = load_dataset(data="mine.CSV", cwd=tmp_path, test_fraction=0.5, seed=2)

    assert from_mat.name == "football"
    assert from_mat.source == str(football_path)
    assert from_csv.name == "mine"
    assert from_csv.X_test.shape == (2, 3)


def test_other_suffixes_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "points.txt"
    path.write_text("0,0,0\n")

    expected = (
        f"{path}: unsupported file type. Expected a .mat file in the exercise's layout or a "
        ".csv file. Received: '.txt'"
    )
    with pytest.raises(DataError, match=re.escape(expected)):
        load_dataset(data=path)


@pytest.mark.parametrize(
    "name", ["points.csv", "data.mat", "folder"], ids=["csv suffix", "mat suffix", "no suffix"]
)
def test_a_directory_is_named_as_one(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.mkdir()

    with pytest.raises(DataError) as raised:
        load_dataset(data=path)
    assert str(raised.value) == f"{path} is a directory; expected a .mat or .csv file"
    with pytest.raises(DataError) as relative:
        load_dataset(data=name, cwd=tmp_path)
    assert str(relative.value) == str(raised.value)


def test_another_mat_file_in_the_exercise_layout_is_not_the_exercise(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    (tmp_path / "datasets").mkdir()
    local = tmp_path / "datasets" / "data.mat"
    scipy.io.savemat(
        local,
        {
            "X": rng.uniform(-3, 3, size=(8, 2)),
            "y": (np.arange(8) % 2).reshape(8, 1),
            "Xval": rng.uniform(-3, 3, size=(4, 2)),
            "yval": (np.arange(4) % 2).reshape(4, 1),
        },
    )

    found = load_dataset(cwd=tmp_path, cache_dir=tmp_path / "cache", offline=True)
    given = load_dataset(data=local)

    for dataset in (found, given):
        assert dataset.name == "data"
        assert dataset.source == str(local)
        assert (
            dataset.description == "points from data.mat: 8 train and 4 test examples, 2 features"
        )


def test_data_and_dataset_together_are_rejected(tmp_path: Path) -> None:
    message = (
        "dataset must be omitted when data is given (choose one source). Received: dataset='moons'"
    )
    with pytest.raises(ParameterError, match=re.escape(message)):
        load_dataset(data=tmp_path / "x.csv", dataset="moons")


def test_unknown_name_lists_the_valid_names() -> None:
    message = (
        "dataset must be one of 'football', 'goalkeeper', 'circles', 'xor', 'gauss', 'spiral', "
        "'moons'. Received: dataset='mnist'"
    )
    with pytest.raises(ParameterError, match=re.escape(message)):
        load_dataset(dataset="mnist")


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"dataset": "football"}, {"data": "data.mat"}],
    ids=["default chain", "football", "mat file"],
)
def test_test_fraction_is_refused_for_the_exercise_file(
    tmp_path: Path, kwargs: dict[str, str]
) -> None:
    message = (
        "test_fraction must be omitted for a .mat file (its X/y and Xval/yval train/test "
        "split is fixed). Received: test_fraction=0.2"
    )
    with pytest.raises(ParameterError, match=re.escape(message)):
        load_dataset(test_fraction=0.2, cwd=tmp_path, offline=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout must be a number of seconds in (0, 86400]. Received: timeout=0"),
        (
            {"seed": -1},
            (
                "seed must be an integer in [0, 2**63 - 1] "
                "(stored as a 64-bit integer). Received: seed=-1"
            ),
        ),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        load_dataset(dataset="moons", **kwargs)  # type: ignore[arg-type]
