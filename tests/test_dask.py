"""Scale-out backends: a real dask cluster and joblib processes give the local path's numbers."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.errors import OptionalDependencyError, ParameterError, ReglabError
from reglab.experiments.seeds import honest_exercise_models, seed_study
from reglab.experiments.sweep import SweepGrid, SweepProgress, SweepResult, sweep

distributed = pytest.importorskip("distributed")

GRID = SweepGrid(
    l2=(0.0, 0.7),
    keep_prob=(1.0, 0.8),
    masks=("fresh", "course"),
    seeds=3,
    iterations=200,
    record_every=50,
)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


@pytest.fixture(scope="module")
def local(moons: Dataset) -> SweepResult:
    return sweep(moons, GRID)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real two-process cluster on the loopback interface."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def assert_same_numbers(result: SweepResult, reference: SweepResult) -> None:
    assert [c.cell for c in result.cells] == [c.cell for c in reference.cells]
    for cell, expected in zip(result.cells, reference.cells, strict=True):
        np.testing.assert_array_equal(cell.train_accuracy, expected.train_accuracy)
        np.testing.assert_array_equal(cell.test_accuracy, expected.test_accuracy)
        np.testing.assert_array_equal(cell.final_cost, expected.final_cost)
        np.testing.assert_array_equal(cell.diverged, expected.diverged)


def test_a_dask_cluster_gives_the_local_results(
    moons: Dataset, local: SweepResult, scheduler: str
) -> None:
    events: list[SweepProgress] = []
    result = sweep(
        moons, GRID, backend="dask", scheduler=scheduler, chunk_size=4, progress=events.append
    )
    assert_same_numbers(result, local)
    assert events[-1] == SweepProgress(GRID.n_cells, GRID.n_cells, GRID.n_configs, GRID.n_configs)


def test_a_dask_sweep_stores_and_resumes_like_a_local_one(
    moons: Dataset, local: SweepResult, scheduler: str, tmp_path: Path
) -> None:
    store = tmp_path / "dask.sqlite"
    first = sweep(moons, GRID, store=store, backend="dask", scheduler=scheduler, chunk_size=5)
    again = sweep(moons, GRID, store=store, backend="dask", scheduler=scheduler)
    assert (again.n_trained, again.n_from_store) == (0, GRID.n_configs)
    assert_same_numbers(first, local)
    assert_same_numbers(again, local)


def test_a_seed_study_on_dask_equals_the_local_one(moons: Dataset, scheduler: str) -> None:
    models = honest_exercise_models(iterations=200)
    remote = seed_study(moons, models, 4, backend="dask", scheduler=scheduler, chunk_size=3)
    here = seed_study(moons, models, 4)
    for a, b in zip(remote.models, here.models, strict=True):
        np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
        np.testing.assert_array_equal(a.final_cost, b.final_cost)


def test_joblib_processes_give_the_local_results(moons: Dataset, local: SweepResult) -> None:
    result = sweep(moons, GRID, backend="joblib", n_jobs=2, chunk_size=3)
    assert_same_numbers(result, local)


@pytest.mark.parametrize(("backend", "module"), [("dask", "distributed"), ("ray", "ray")])
def test_missing_optional_dependencies_are_named_with_the_install_command(
    moons: Dataset, monkeypatch: pytest.MonkeyPatch, backend: str, module: str, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    store = tmp_path / "store.sqlite"
    with pytest.raises(OptionalDependencyError) as raised:
        sweep(moons, GRID, store=store, backend=backend, scheduler="tcp://127.0.0.1:1")  # type: ignore[arg-type]
    assert not store.exists()  # refused before any file is written
    assert str(raised.value) == (
        f"backend {backend!r} needs the optional dependency: pip install 'reglab[{backend}]'"
    )
    assert isinstance(raised.value, ReglabError) and isinstance(raised.value, ImportError)


def test_dask_without_a_scheduler_or_client_is_a_clear_error(moons: Dataset) -> None:
    with pytest.raises(ParameterError) as raised:
        sweep(moons, GRID, backend="dask")
    assert str(raised.value) == (
        "scheduler must be the address of a running dask scheduler for backend 'dask', "
        "e.g. tcp://127.0.0.1:8786. Received: scheduler=None"
    )


def test_unknown_backends_and_bad_jobs_are_refused(moons: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"backend must be one of local, joblib, dask, ray"):
        sweep(moons, GRID, backend="spark")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"Received: n_jobs=0"):
        sweep(moons, GRID, backend="joblib", n_jobs=0)
    with pytest.raises(
        ParameterError, match=re.escape("chunk_size must be an integer in [1, 100,000]")
    ):
        sweep(moons, GRID, chunk_size=0)
