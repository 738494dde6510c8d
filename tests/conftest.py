"""Shared fixtures. The exercise's dataset is read from ../shared, never from the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "data.mat"


@pytest.fixture(scope="session")
def football_path() -> Path:
    """Path of the exercise's data.mat (override with REGLAB_TEST_DATA).

    Missing under CI is a failure, not a skip: the published numbers are the backbone of the suite.
    """
    path = Path(os.environ.get("REGLAB_TEST_DATA", SHARED_DATA))
    if not path.is_file():
        message = f"the exercise's dataset is missing: expected it at {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
