"""The ray backend end to end, on a local ray instance: the local backend's numbers, bit for bit.

Ray is in the ``[test]`` extra, so CI has it: there a missing ray is a failure,
not a skip (as the exercise's data is, see tests/conftest.py). A ray instance
takes seconds to start on this 2-core machine, so the library tests share one.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.experiments.seeds import honest_exercise_models, seed_study
from reglab.experiments.store import ResultStore
from reglab.experiments.sweep import SweepProgress, SweepResult, sweep
from sweep_helpers import BACKEND_GRID as GRID


def _ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        message = "ray is missing: pip install '.[test]' installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return ray


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[ModuleType]:
    """One local ray instance (this machine, no cluster) for the module's library tests."""
    ray = _ray()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


@pytest.fixture(scope="module")
def local(moons: Dataset) -> SweepResult:
    return sweep(moons, GRID)


def assert_same_numbers(result: SweepResult, reference: SweepResult) -> None:
    assert [c.cell for c in result.cells] == [c.cell for c in reference.cells]
    for cell, expected in zip(result.cells, reference.cells, strict=True):
        np.testing.assert_array_equal(cell.train_accuracy, expected.train_accuracy)
        np.testing.assert_array_equal(cell.test_accuracy, expected.test_accuracy)
        np.testing.assert_array_equal(cell.final_cost, expected.final_cost)
        np.testing.assert_array_equal(cell.diverged, expected.diverged)


@pytest.mark.parametrize("chunk_size", [2, 64])
def test_a_ray_sweep_gives_the_local_results_and_stores_them(
    moons: Dataset,
    local: SweepResult,
    ray_instance: ModuleType,
    tmp_path: Path,
    chunk_size: int,
) -> None:
    events: list[SweepProgress] = []
    store = tmp_path / "ray.sqlite"
    result = sweep(
        moons, GRID, store=store, backend="ray", chunk_size=chunk_size, progress=events.append
    )
    assert_same_numbers(result, local)
    assert events[-1] == SweepProgress(GRID.n_cells, GRID.n_cells, GRID.n_configs, GRID.n_configs)
    # Cells came back (and were committed) one by one, not all at the end.
    cells_done = [event.cells_done for event in events]
    assert sorted(set(cells_done)) == list(range(GRID.n_cells + 1))
    assert all(0 <= b - a <= 1 for a, b in itertools.pairwise(cells_done))
    assert ray_instance.is_initialized()  # an instance the caller started is left running
    with ResultStore.open(store) as opened:
        assert len(opened) == GRID.n_cells
    again = sweep(moons, GRID, store=store, backend="ray")
    assert (again.n_trained, again.n_from_store) == (0, GRID.n_configs)


def test_a_seed_study_on_ray_equals_the_local_one(moons: Dataset, ray_instance: ModuleType) -> None:
    models = honest_exercise_models(iterations=200)
    remote = seed_study(moons, models, 4, backend="ray", chunk_size=3)
    here = seed_study(moons, models, 4)
    for a, b in zip(remote.models, here.models, strict=True):
        np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
        np.testing.assert_array_equal(a.final_cost, b.final_cost)


def test_reglab_sweep_backend_ray_starts_its_own_instance_and_matches_local(
    tmp_path: Path,
) -> None:
    _ray()
    common = [
        sys.executable,
        "-m",
        "reglab",
        "sweep",
        "--dataset",
        "moons",
        "--l2",
        "0,0.7",
        "--keep-prob",
        "1,0.8",
        "--seeds",
        "2",
        "--iterations",
        "200",
        "--json",
    ]
    on_ray = subprocess.run(
        [*common, "--backend", "ray", "--store", str(tmp_path / "ray.sqlite")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    assert "Traceback" not in on_ray.stderr
    here = subprocess.run(
        [*common, "--store", str(tmp_path / "local.sqlite")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert here.returncode == 0, here.stderr
    # The records differ only where they name the store; the numbers are the same.
    assert on_ray.stdout.splitlines() == here.stdout.splitlines()
    assert len(on_ray.stdout.splitlines()) == 4
