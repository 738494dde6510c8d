"""Interrupted sweeps: a SIGKILLed run resumes to the same result; finished ones retrain nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.experiments import backends
from reglab.experiments.store import ResultStore, StoredCell
from reglab.experiments.sweep import SweepGrid, SweepResult, sweep
from sweep_helpers import stored_cells

GRID_CODE = (
    "SweepGrid(l2=(0.0, 0.1, 0.7, 3.0), keep_prob=(1.0, 0.8), seeds=3, "
    "iterations=300, record_every=100)"
)
GRID = SweepGrid(
    l2=(0.0, 0.1, 0.7, 3.0), keep_prob=(1.0, 0.8), seeds=3, iterations=300, record_every=100
)

# Every model sleeps 0.25 s after it has trained, so that the parent can kill the sweep while an
# engine call is part-way, whatever the engine's speed. Sleeping changes no number: each model's
# result depends on its seed only. The kernel is looked up at call time, so the patch holds.
SWEEP_SCRIPT = textwrap.dedent(
    f"""
    import sys, time
    from reglab.data.sources import load_dataset
    from reglab.engine import kernel
    from reglab.experiments.sweep import SweepGrid, SweepResult, sweep

    compiled = kernel.train_model

    def slowly(*args):
        compiled(*args)
        time.sleep(0.25)

    kernel.train_model = slowly
    grid = {GRID_CODE}
    sweep(load_dataset(dataset="moons"), grid, store=sys.argv[1], chunk_size=int(sys.argv[2]))
    """
)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


def contents(path: Path) -> dict[str, tuple[object, ...]]:
    """Everything a store says about its cells except when they were written."""
    with ResultStore.open(path) as store:
        return {
            cell.key: (
                cell.config,
                cell.seeds,
                cell.train_accuracy.tolist(),
                cell.test_accuracy.tolist(),
                cell.final_cost.tolist(),
                cell.diverged.tolist(),
                cell.reglab_version,
                cell.dataset_fingerprint,
            )
            for cell in store.cells()
        }


@pytest.mark.parametrize("chunk_size", [2, 64])
def test_a_sweep_killed_mid_way_keeps_its_finished_cells_and_resumes_to_the_same_result(
    moons: Dataset, tmp_path: Path, chunk_size: int
) -> None:
    # 64 puts the whole sweep (8 cells x 3 seeds) in one engine call: the cells kept by the
    # kill were saved as their own models finished, while that call was still running.
    assert len(backends.plan_chunks([c.config(0) for c in GRID.cells()] * 3, chunk_size)) == (
        1 if chunk_size == 64 else 12
    )
    script = tmp_path / "run_sweep.py"
    script.write_text(SWEEP_SCRIPT)
    interrupted = tmp_path / "interrupted.sqlite"
    process = subprocess.Popen(
        [sys.executable, str(script), str(interrupted), str(chunk_size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while stored_cells(interrupted) < 1:
            if process.poll() is not None:
                _, stderr = process.communicate()
                pytest.fail(f"the sweep ended before it could be killed: {stderr.decode()}")
            if time.monotonic() > deadline:
                pytest.fail("the sweep stored no cell within 120 s")
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL

    done = stored_cells(interrupted)
    assert 1 <= done < GRID.n_cells, "the kill must land mid-way"
    before_resume = contents(interrupted)  # opens and checks the killed run's file

    resumed = sweep(moons, GRID, store=interrupted, resume=True)
    assert resumed.n_from_store == len(before_resume) * 3
    assert resumed.n_trained == (GRID.n_cells - len(before_resume)) * 3

    uninterrupted = tmp_path / "uninterrupted.sqlite"
    whole = sweep(moons, GRID, store=uninterrupted)
    assert contents(interrupted) == contents(uninterrupted)
    for a, b in zip(resumed.cells, whole.cells, strict=True):
        assert a.cell == b.cell
        np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
        np.testing.assert_array_equal(a.final_cost, b.final_cost)


KILL_MID_TRANSACTION = textwrap.dedent(
    """
    import os, signal, sqlite3, sys
    import numpy as np
    from reglab.experiments.store import ResultStore, StoredCell

    path = sys.argv[1]
    with ResultStore.open(path, dataset_fingerprint="f" * 64, dataset_name="toy") as store:
        store.put(StoredCell({"l2": 0.0}, (0, 1), np.ones(2), np.ones(2), np.ones(2),
                             np.zeros(2, bool), "x", "f" * 64))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA cache_size = 1")  # spill pages into the file before the commit
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO cells VALUES ('half', '{}', '[]', 'x', ?, 'now')", ("f" * 64,)
    )
    writer.executemany(
        "INSERT INTO runs VALUES ('half', ?, ?, 0.5, 0.5, 0.1, 0)",
        [(i, i) for i in range(50_000)],
    )
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_write_killed_mid_transaction_leaves_a_valid_store(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    script = tmp_path / "kill.py"
    script.write_text(KILL_MID_TRANSACTION)
    completed = subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, timeout=120
    )
    assert completed.returncode == -signal.SIGKILL, completed.stderr.decode()
    journal = tmp_path / "store.sqlite-journal"
    assert journal.stat().st_size > 0, "the kill must leave an interrupted transaction"

    with ResultStore.open(path, dataset_fingerprint="f" * 64) as store:
        (cell,) = store.cells()  # the half-written cell is rolled back, the committed one kept
        assert cell.config == {"l2": 0.0} and cell.seeds == (0, 1)
        store.put(
            StoredCell(
                {"l2": 1.0},
                (0,),
                np.ones(1),
                np.ones(1),
                np.ones(1),
                np.zeros(1, bool),
                "x",
                "f" * 64,
            )
        )
        assert len(store) == 2
    assert not journal.exists()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every engine call the sweep makes from now on."""
    sizes: list[int] = []
    real_train = backends.train

    def counting_train(configs, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(len(configs))
        return real_train(configs, *args, **kwargs)

    monkeypatch.setattr(backends, "train", counting_train)
    return sizes


def test_rerunning_a_finished_sweep_trains_nothing_and_writes_nothing(
    moons: Dataset, tmp_path: Path, calls: list[int]
) -> None:
    path = tmp_path / "store.sqlite"
    first = sweep(moons, GRID, store=path, chunk_size=5)
    assert sum(calls) == GRID.n_configs == 24 and max(calls) <= 5
    bytes_after_first = path.read_bytes()
    with ResultStore.open(path) as store:
        written = sorted(cell.created for cell in store.cells())

    calls.clear()
    again = sweep(moons, GRID, store=path)
    assert calls == []
    assert (again.n_trained, again.n_from_store) == (0, 24)
    assert all(cell.from_store for cell in again.cells)
    assert path.read_bytes() == bytes_after_first
    with ResultStore.open(path) as store:
        assert sorted(cell.created for cell in store.cells()) == written
    assert again.rows() == first.rows()
    assert again.recommendation().text == first.recommendation().text


def test_resume_trains_only_the_missing_cells(
    moons: Dataset, tmp_path: Path, calls: list[int]
) -> None:
    path = tmp_path / "store.sqlite"
    half = SweepGrid(l2=(0.0, 0.1), keep_prob=(1.0, 0.8), seeds=3, iterations=300, record_every=100)
    sweep(moons, half, store=path)
    calls.clear()  # the half sweep's calls
    result = sweep(moons, GRID, store=path, resume=True)
    assert sum(calls) == result.n_trained == 12 and result.n_from_store == 12
    assert [cell.from_store for cell in result.cells] == [
        cell.l2 in (0.0, 0.1) for cell in GRID.cells()
    ]


def _plain_store(moons: Dataset, path: Path) -> SweepResult:
    """A sweep of two plain cells into ``path``, whose keys are checked to be those reglab
    wrote before L1 and the optimizers (spelled out): the store an old reglab left."""
    plain = SweepGrid(l2=(0.0, 0.7), seeds=2, iterations=60, record_every=20)
    first = sweep(moons, plain, store=path)
    with ResultStore.open(path) as store:
        keys = sorted(cell.key for cell in store.cells())
    assert keys == sorted(
        '{"config":{"init":"lecun","iterations":60,"keep_prob":1.0,"l2":'
        + l2
        + ',"layers":[2,20,3,1],"learning_rate":0.3,"masks":"fresh","record_every":20},'
        '"seeds":[0,1]}'
        for l2 in ("0.0", "0.7")
    )
    return first


def test_a_store_written_before_l1_resumes_and_l1_cells_are_added(
    moons: Dataset, tmp_path: Path, calls: list[int]
) -> None:
    """Cells without L1 keep the key they had before L1 existed (no "l1" in it): a store
    written then answers them, and a sweep adding an L1 axis trains only the L1 cells."""
    path = tmp_path / "store.sqlite"
    first = _plain_store(moons, path)
    calls.clear()
    grown = SweepGrid(l2=(0.0, 0.7), l1=(0.0, 0.1), seeds=2, iterations=60, record_every=20)
    result = sweep(moons, grown, store=path, resume=True)
    assert sum(calls) == result.n_trained == 4 and result.n_from_store == 4
    assert [(cell.cell.l2, cell.cell.l1, cell.from_store) for cell in result.cells] == [
        (0.0, 0.0, True),
        (0.0, 0.1, False),
        (0.7, 0.0, True),
        (0.7, 0.1, False),
    ]
    for cell in first.cells:
        (same,) = [c for c in result.cells if c.cell == cell.cell]
        np.testing.assert_array_equal(same.test_accuracy, cell.test_accuracy)
    sparse = [c for c in result.cells if c.cell.l1 == 0.1]
    assert all(c.cell.config(0).l1 == 0.1 for c in sparse)
    for c in sparse:  # L1 changes the models: their costs include the L1 term
        (plain_cell,) = [p for p in result.cells if p.cell.l2 == c.cell.l2 and p.cell.l1 == 0]
        assert not np.array_equal(c.final_cost, plain_cell.final_cost)


def test_a_store_written_before_the_optimizers_resumes_and_adam_cells_are_added(
    moons: Dataset, tmp_path: Path, calls: list[int]
) -> None:
    """Gradient-descent cells keep the key they had before the optimizers (no optimizer,
    beta1, beta2 or epsilon in it): a store written then answers them, and a sweep adding
    an optimizer axis trains only the new cells."""
    path = tmp_path / "store.sqlite"
    first = _plain_store(moons, path)
    calls.clear()
    grown = SweepGrid(
        l2=(0.0, 0.7), optimizer=("gd", "adam"), seeds=2, iterations=60, record_every=20
    )
    result = sweep(moons, grown, store=path, resume=True)
    assert sum(calls) == result.n_trained == 4 and result.n_from_store == 4
    assert [(cell.cell.l2, cell.cell.optimizer, cell.from_store) for cell in result.cells] == [
        (0.0, "gd", True),
        (0.0, "adam", False),
        (0.7, "gd", True),
        (0.7, "adam", False),
    ]
    for cell in first.cells:
        (same,) = [c for c in result.cells if c.cell == cell.cell]
        np.testing.assert_array_equal(same.test_accuracy, cell.test_accuracy)
    with ResultStore.open(path) as store:
        adam_keys = [cell.key for cell in store.cells() if '"optimizer":"adam"' in cell.key]
    assert len(adam_keys) == 2
    for c in result.cells:
        if c.cell.optimizer == "adam":
            (gd,) = [p for p in result.cells if p.cell.l2 == c.cell.l2 and p.cell.optimizer == "gd"]
            assert not np.array_equal(c.final_cost, gd.final_cost)
