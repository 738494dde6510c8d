"""Downloading data.mat for real, from a local HTTP server on 127.0.0.1, with hash verification."""

from __future__ import annotations

import functools
import http.server
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reglab.data.football import FOOTBALL_SHA256, fetch_football, file_sha256
from reglab.errors import DataError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@dataclass
class LocalServer:
    """A static file server on 127.0.0.1 for ``root``; ``requests`` lists the paths asked for."""

    root: Path
    port: int
    stop: Callable[[], None]
    requests: list[str]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def server(
    tmp_path: Path, football_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalServer]:
    """Serves ``good/data.mat`` (the real file) and ``corrupt/data.mat`` (one byte changed)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "served"
    content = football_path.read_bytes()
    (root / "good").mkdir(parents=True)
    (root / "good" / "data.mat").write_bytes(content)
    (root / "corrupt").mkdir()
    (root / "corrupt" / "data.mat").write_bytes(
        content[:100] + bytes([content[100] ^ 0xFF]) + content[101:]
    )
    asked: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(
        target=functools.partial(httpd.serve_forever, poll_interval=0.05), daemon=True
    )
    thread.start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            httpd.shutdown()
            httpd.server_close()
            thread.join()
            stopped = True

    yield LocalServer(root, int(httpd.server_address[1]), stop, asked)
    stop()


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_downloads_and_verifies(server: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    path = fetch_football(urls=[server.url("good/data.mat")], cache_dir=cache)

    assert path == cache / "data.mat"
    assert file_sha256(path) == FOOTBALL_SHA256
    assert server.requests == ["/good/data.mat"]


def test_second_call_uses_the_cache_without_the_server(server: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    url = server.url("good/data.mat")
    first = fetch_football(urls=[url], cache_dir=cache)
    server.stop()

    second = fetch_football(urls=[url], cache_dir=cache)

    assert second == first
    assert file_sha256(second) == FOOTBALL_SHA256
    assert server.requests == ["/good/data.mat"]


def test_corrupted_copy_is_rejected_and_the_next_url_used(
    server: LocalServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"

    path = fetch_football(
        urls=[server.url("corrupt/data.mat"), server.url("good/data.mat")], cache_dir=cache
    )

    assert server.requests == ["/corrupt/data.mat", "/good/data.mat"]
    assert file_sha256(path) == FOOTBALL_SHA256
    assert sorted(p.name for p in cache.iterdir()) == ["data.mat"]


def test_only_a_corrupted_copy_fails_and_leaves_nothing_in_the_cache(
    server: LocalServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    url = server.url("corrupt/data.mat")

    with pytest.raises(DataError, match=re.escape(f"{url}: sha256 mismatch (file rejected)")):
        fetch_football(urls=[url], cache_dir=cache)

    assert list(cache.iterdir()) == []


def test_a_corrupted_file_already_in_the_cache_is_replaced(
    server: LocalServer, tmp_path: Path, football_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data.mat").write_bytes(football_path.read_bytes()[:-10])

    path = fetch_football(urls=[server.url("good/data.mat")], cache_dir=cache)

    assert file_sha256(path) == FOOTBALL_SHA256


def test_http_error_is_reported_and_the_next_url_used(server: LocalServer, tmp_path: Path) -> None:
    path = fetch_football(
        urls=[server.url("missing/data.mat"), server.url("good/data.mat")],
        cache_dir=tmp_path / "cache",
    )
    assert file_sha256(path) == FOOTBALL_SHA256

    missing = server.url("missing/data.mat")
    with pytest.raises(DataError, match=re.escape(f"{missing}: HTTP 404")):
        fetch_football(urls=[missing], cache_dir=tmp_path / "other-cache")


def test_closed_port_fails_with_each_url_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    urls = [
        f"http://127.0.0.1:{_closed_port()}/data.mat",
        f"http://127.0.0.1:{_closed_port()}/x.mat",
    ]
    started = time.monotonic()

    with pytest.raises(DataError) as raised:
        fetch_football(urls=urls, cache_dir=tmp_path / "cache", timeout=2.0)

    message = str(raised.value)
    assert message.startswith("could not download the exercise's data.mat")
    for url in urls:
        assert f"{url}: connection failed" in message
    assert time.monotonic() - started < 30  # a sanity bound, not a speed test
    assert not (tmp_path / "cache" / "data.mat").exists()


def test_no_urls_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no URLs given"):
        fetch_football(urls=[], cache_dir=tmp_path / "cache")
