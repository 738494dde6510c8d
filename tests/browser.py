"""Debian's chromium for the tests that open a page in a real browser (the report, the playground).

No browser is downloaded: the system's chromium is used, with the flags this machine's
closed network needs. Missing chromium is a failure under CI, a skip elsewhere.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def unavailable(message: str) -> None:
    """Fail under CI (which installs what the tests need), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium() -> str:
    """The chromium binary's path."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    unavailable("chromium is not installed (Debian: apt-get install -y chromium)")
    raise AssertionError  # unreachable: unavailable() fails or skips
