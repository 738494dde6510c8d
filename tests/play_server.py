"""A real ``reglab play --no-browser`` server on a free local port, for the tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

START_TIMEOUT = 90.0
"""Seconds for Streamlit to start and answer its health check."""


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = START_TIMEOUT) -> None:
    """Return once ``url/_stcore/health`` answers ``ok``; raise if the server died or is late."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"reglab play exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"reglab play did not answer at {url} within {timeout} s")


@contextmanager
def play_server(
    arguments: Sequence[str], cwd: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``reglab play --no-browser --port P ARGUMENTS`` (run in ``cwd``) until the block ends.

    Yields the page's URL and the process.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "reglab",
        "play",
        "--no-browser",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *arguments,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        start_new_session=True,  # its own process group: Streamlit's children stop with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
