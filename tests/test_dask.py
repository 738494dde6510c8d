"""Scale-out backends: a real dask cluster and joblib processes give the local path's numbers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.errors import OptionalDependencyError, ParameterError, ReglabError
from reglab.experiments.seeds import honest_exercise_models, seed_study
from reglab.experiments.store import ResultStore
from reglab.experiments.sweep import SweepGrid, SweepProgress, SweepResult, sweep
from sweep_helpers import BACKEND_GRID as GRID
from sweep_helpers import stored_cells

distributed = pytest.importorskip("distributed")


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
        dashboard_address=":0",  # any free port: 8787 may be another cluster's on this machine
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


# Losing the cluster: a scheduler and workers in processes of their own (as a user runs
# them), `reglab sweep` in another, and a worker or the scheduler killed mid-way.

# Loaded by each worker (dask may execute a preload twice, hence the guard): every model
# sleeps 0.4 s after it has trained, so that a kill lands while the sweep runs, whatever the
# engine's speed. Sleeping changes no number.
SLOW_WORKER = textwrap.dedent(
    """
    import time
    from reglab.engine import kernel

    if not hasattr(kernel, "compiled_train_model"):
        kernel.compiled_train_model = kernel.train_model

        def slowly(*args):
            kernel.compiled_train_model(*args)
            time.sleep(0.4)

        kernel.train_model = slowly
    """
)

LOSS_GRID = SweepGrid(l2=(0.0, 0.1, 0.7, 3.0), keep_prob=(1.0, 0.8), seeds=2, iterations=300)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; each still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


class Cluster:
    """A dask scheduler and its workers, each a process of its own on the loopback interface."""

    def __init__(
        self,
        processes: list[subprocess.Popen[bytes]],
        tmp_path: Path,
        allowed_failures: int | None = None,
    ) -> None:
        self.processes = processes
        self.environment = dict(os.environ)
        if allowed_failures is not None:
            self.environment["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(
                allowed_failures
            )
        self.preload = tmp_path / "slow_worker.py"
        self.preload.write_text(SLOW_WORKER)
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", port, "--dashboard-address", ":0"
        )

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def add_worker(self) -> subprocess.Popen[bytes]:
        """A worker of one thread without a nanny (killed, it stays dead), ready on return."""
        with distributed.Client(self.address, timeout="60s") as client:
            before = len(client.scheduler_info(n_workers=-1)["workers"])
            worker = self._start(
                "worker",
                self.address,
                "--no-nanny",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--preload",
                str(self.preload),
            )
            client.wait_for_workers(before + 1, timeout=60)
        return worker


def _sweep_on(cluster: Cluster, store: Path) -> subprocess.Popen[str]:
    grid = LOSS_GRID
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reglab",
            "sweep",
            "--dataset",
            "moons",
            "--l2",
            ",".join(str(v) for v in grid.l2),
            "--keep-prob",
            ",".join(str(v) for v in grid.keep_prob),
            "--seeds",
            str(grid.n_seeds),
            "--iterations",
            str(grid.iterations),
            "--backend",
            "dask",
            "--scheduler",
            cluster.address,
            "--chunk-size",
            "64",
            "--store",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_a_stored_cell(store: Path, sweep_process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while stored_cells(store) < 1:
        if sweep_process.poll() is not None:
            pytest.fail(f"the sweep ended before the kill: {sweep_process.communicate()[1]}")
        assert time.monotonic() < deadline, "the sweep stored no cell within 120 s"
        time.sleep(0.05)


def _reglab_lines(stderr: str) -> list[str]:
    """The lines reglab adds to a sweep's usual two status lines."""
    lines = stderr.splitlines()
    assert lines[0].startswith("reglab: dataset moons")
    assert lines[1].startswith("reglab: sweep: 8 cells")
    return lines[2:]


def test_a_lost_worker_is_one_line_and_the_sweep_waits_for_another(
    moons: Dataset, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    cluster = Cluster(processes, tmp_path)
    first = cluster.add_worker()
    store = tmp_path / "store.sqlite"
    running = _sweep_on(cluster, store)
    _wait_for_a_stored_cell(store, running)
    first.kill()
    first.wait()
    time.sleep(3)  # the sweep notices, says so, and waits: nothing runs in its own process
    assert running.poll() is None
    kept = stored_cells(store)
    assert kept < LOSS_GRID.n_cells
    time.sleep(2)
    assert stored_cells(store) == kept, "no cell may be computed while no worker is left"
    cluster.add_worker()
    stdout, stderr = running.communicate(timeout=180)
    assert running.returncode == 0, stderr
    (line,) = _reglab_lines(stderr)
    assert line.startswith("reglab: dask worker tcp://127.0.0.1:") and line.endswith(
        f"left, the last one: waiting for a worker to join the dask scheduler {cluster.address} "
        "(Ctrl-C stops; finished cells are saved)"
    )
    assert "best mean test accuracy" in stdout
    with ResultStore.open(store) as opened:
        assert len(opened) == LOSS_GRID.n_cells
    assert_same_numbers(sweep(moons, LOSS_GRID, store=store), sweep(moons, LOSS_GRID))


def test_a_lost_scheduler_is_one_line_exit_1_and_the_saved_cells_stay(
    moons: Dataset, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    cluster = Cluster(processes, tmp_path)
    cluster.add_worker()
    store = tmp_path / "store.sqlite"
    running = _sweep_on(cluster, store)
    _wait_for_a_stored_cell(store, running)
    cluster.scheduler.kill()
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 1, stderr
    assert _reglab_lines(stderr) == [
        f"reglab: error: lost the dask scheduler {cluster.address}; stopping "
        "(what was saved stays saved)"
    ]
    kept = stored_cells(store)
    assert 1 <= kept < LOSS_GRID.n_cells
    resumed = sweep(moons, LOSS_GRID, store=store, resume=True)
    assert resumed.n_from_store == kept * LOSS_GRID.n_seeds
    assert_same_numbers(resumed, sweep(moons, LOSS_GRID))


def test_a_chunk_whose_workers_keep_dying_stops_the_sweep_with_exit_1(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    # allowed-failures 0: the first worker that dies while it trains a chunk condemns it.
    cluster = Cluster(processes, tmp_path, allowed_failures=0)
    doomed = cluster.add_worker()
    store = tmp_path / "store.sqlite"
    running = _sweep_on(cluster, store)
    _wait_for_a_stored_cell(store, running)
    doomed.kill()
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 1, stderr
    (line,) = _reglab_lines(stderr)
    assert re.fullmatch(
        r"reglab: error: dask workers died while training chunk \d+, more often than "
        r"distributed\.scheduler\.allowed-failures allows at the dask scheduler "
        + re.escape(cluster.address)
        + r"; stopping \(what was saved stays saved\)",
        line,
    ), line
    assert 1 <= stored_cells(store) < LOSS_GRID.n_cells
