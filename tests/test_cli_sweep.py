"""``reglab sweep``: one clear line and exit 2 for bad grids, JSON records, figures, the store."""

from __future__ import annotations

import errno
import io
import json
import os
import sys
from pathlib import Path

import pytest

import reglab.cli
from reglab.cli import main
from reglab.cli import sweep as sweep_command
from reglab.data.sources import load_dataset
from reglab.experiments.store import ResultStore
from reglab.experiments.sweep import SweepGrid, sweep

SMALL = ["--dataset", "moons", "--iterations", "200", "--record-every", "50"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory (the default store lands there) with `sweep` registered."""
    monkeypatch.chdir(tmp_path)
    if sweep_command not in reglab.cli.COMMANDS:  # until the lead registers the command
        monkeypatch.setattr(reglab.cli, "COMMANDS", (*reglab.cli.COMMANDS, sweep_command))
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--l2", ""],
            "l2 must be a finite number >= 0. Received: l2=''",
        ),
        (["--l2", "0,,1"], "l2 must be a finite number >= 0. Received: l2=''"),
        (["--l2", "0,-0.1"], "l2 must be a finite number >= 0. Received: l2=-0.1"),
        (["--keep-prob", "1,0"], "keep_prob must be in (0, 1]. Received: keep_prob=0.0"),
        (
            ["--learning-rate", "0.3,0.3"],
            "learning_rate must be a list of distinct values. Received: learning_rate=[0.3, 0.3]",
        ),
        (["--masks", "fresh,stale"], "masks must be one of fresh, course. Received: masks='stale'"),
        (
            ["--seeds", "0"],
            "seeds must be an integer in [1, 1,000,000] (reglab's cap). Received: seeds=0",
        ),
        (["--seeds", "1,1"], "Received: seeds=[1, 1]"),
        (
            ["--iterations", "many"],
            "iterations must be an integer in [1, 1,000,000,000] (reglab's cap). "
            "Received: iterations='many'",
        ),
        (
            ["--layers", "2,x,1"],
            "layers must be at least two positive integer sizes, e.g. (2, 20, 3, 1), each at most "
            "100,000, at most 64 of them (reglab's caps). Received: layers='2,x,1'",
        ),
        (["--layers", "2,20,3,2"], "layers must be a sequence ending in 1"),
        (
            ["--l2", ",".join(str(v) for v in range(1001)), "--seeds", "5"],
            "sweep size must be at most 5,000 models (cells x seeds; this grid has 1,001 cells x "
            "5 seeds) unless you pass --yes. Received: sweep size=5005",
        ),
        (
            ["--backend", "dask"],
            "scheduler must be the address of a running dask scheduler for --backend dask. "
            "Received: scheduler=None",
        ),
        (
            ["--chunk-size", "0"],
            "argument --chunk-size: chunk_size must be an integer in [1, 100,000] (reglab's cap). "
            "Received: chunk_size=0 (see 'reglab sweep --help')",
        ),
        (
            ["--chunk-size", "many"],
            "argument --chunk-size: chunk_size must be an integer in [1, 100,000] (reglab's cap). "
            "Received: chunk_size='many'",
        ),
        (
            ["--init", "zeros"],
            "argument --init: init must be one of course, lecun, he, xavier. "
            "Received: init='zeros' (see 'reglab sweep --help')",
        ),
        (
            ["--backend", "spark"],
            "argument --backend: backend must be one of local, joblib, dask, ray. "
            "Received: backend='spark'",
        ),
        # Negative numbers in a list reach the grid's check, not argparse's "expected one argument".
        (["--l2", "-1,0"], "l2 must be a finite number >= 0. Received: l2=-1.0"),
        (["--keep-prob", "-.5,1"], "keep_prob must be in (0, 1]. Received: keep_prob=-0.5"),
        (["--seeds", "-1,2"], "Received: seed=-1"),
        (
            ["--out", "notes.txt/figures"],
            "out must be a writable directory or a new path under one (notes.txt is not a "
            "directory). Received: out='notes.txt/figures'",
        ),
        (["--layers", "3,4,1"], "(the features of dataset 'moons'). Received: layers=(3, 4, 1)"),
    ],
)
def test_bad_grids_are_one_line_and_exit_2(
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (in_tmp / "notes.txt").write_text("a file\n")
    before = sorted(in_tmp.iterdir())
    if "--layers" not in arguments:  # the first layer is checked against the loaded data
        monkeypatch.setattr(sweep_command, "load_data", lambda args: pytest.fail("data loaded"))
    assert main(["sweep", *SMALL, *arguments]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("reglab: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert captured.out == ""
    assert sorted(in_tmp.iterdir()) == before  # nothing trained, no store created


def test_the_cap_is_lifted_by_yes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sweep_command, "MAX_MODELS", 5)
    grid = ["--l2", "0,0.1,0.7", "--seeds", "2", "--json"]
    assert main(["sweep", *SMALL, *grid]) == 2
    assert "unless you pass --yes. Received: sweep size=6" in capsys.readouterr().err
    assert main(["sweep", *SMALL, *grid, "--yes"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_json_prints_one_record_per_cell(capsys: pytest.CaptureFixture[str], in_tmp: Path) -> None:
    code = main(
        ["sweep", *SMALL, "--l2", "0,0.7", "--keep-prob", "1,0.8", "--seeds", "3", "--json"]
    )
    assert code == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["keep_prob"], r["l2"]) for r in records] == [
        (1.0, 0.0),
        (1.0, 0.7),
        (0.8, 0.0),
        (0.8, 0.7),
    ]
    assert sum(r["best"] for r in records) == 1
    expected = sweep(
        load_dataset(dataset="moons"),
        SweepGrid(l2=(0.0, 0.7), keep_prob=(1.0, 0.8), seeds=3, iterations=200, record_every=50),
    )
    for record, cell in zip(records, expected.cells, strict=True):
        assert record["seeds"] == [0, 1, 2] and record["n_seeds"] == 3
        assert [run["test_accuracy"] for run in record["runs"]] == cell.test_accuracy.tolist()
        assert record["test_mean"] == pytest.approx(cell.test_mean, rel=1e-12)
    assert all(line.startswith("reglab: ") for line in captured.err.splitlines())
    with ResultStore.open(in_tmp / "reglab-sweep-moons.sqlite") as store:  # the default store
        assert len(store) == 4


def test_the_default_store_is_one_per_dataset(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    grid = ["--iterations", "50", "--record-every", "50", "--seeds", "2", "--json"]
    assert main(["sweep", "--dataset", "moons", *grid]) == 0
    assert main(["sweep", "--dataset", "xor", *grid]) == 0
    assert sorted(path.name for path in in_tmp.iterdir()) == [
        "reglab-sweep-moons.sqlite",
        "reglab-sweep-xor.sqlite",
    ]
    assert "store reglab-sweep-xor.sqlite" in capsys.readouterr().err
    # An explicit store is strict: it holds one dataset's results.
    store = ["--store", "reglab-sweep-moons.sqlite"]
    assert main(["sweep", "--dataset", "xor", *grid, *store]) == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith(
        "reglab: error: results store reglab-sweep-moons.sqlite was written for dataset 'moons'"
    )


def test_text_output_has_the_table_and_the_recommendation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sweep", *SMALL, "--l2", "0,0.7", "--keep-prob", "1,0.8", "--seeds", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if "keep_prob" in line and "test %" in line)
    table = lines[header + 1 : header + 5]
    assert [line.split()[0] if not line.startswith(" ") else "" for line in table].count("*") == 1
    assert all("±" in line for line in table)
    assert "Best: l2=" in out and "mean test accuracy" in out


def test_out_writes_the_figures(capsys: pytest.CaptureFixture[str], in_tmp: Path) -> None:
    out = in_tmp / "figures"
    assert (
        main(
            [
                "sweep",
                *SMALL,
                "--l2",
                "0,0.7",
                "--keep-prob",
                "1,0.8",
                "--seeds",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    written = sorted(path.name for path in out.iterdir())
    assert written == [
        "sweep_gap.png",
        "sweep_test_accuracy.png",
        "sweep_validation_keep_prob.png",
        "sweep_validation_l2.png",
    ]
    for name in written:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert f"wrote {out / 'sweep_gap.png'}" in capsys.readouterr().err


def test_the_table_is_printed_before_the_figures_are_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, in_tmp: Path
) -> None:
    """A failure while writing the figures (here a full disk) leaves the table printed."""
    import reglab.plots

    printed: list[str] = []

    def disk_full(result: object, out: Path) -> list[Path]:
        printed.append(capsys.readouterr().out)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / "sweep_gap.png"))

    monkeypatch.setattr(reglab.plots, "write_sweep_figures", disk_full)
    grid = ["--l2", "0,0.7", "--seeds", "2", "--out", "figures"]
    assert main(["sweep", *SMALL, *grid]) == 2
    [out] = printed
    assert "test %" in out and "Best: l2=" in out
    error = capsys.readouterr().err.splitlines()[-1]
    assert error == f"reglab: error: {os.strerror(errno.ENOSPC)}: figures/sweep_gap.png"


def test_store_resume_and_rerun(capsys: pytest.CaptureFixture[str], in_tmp: Path) -> None:
    store = ["--store", str(in_tmp / "s.sqlite")]
    assert main(["sweep", *SMALL, *store, "--l2", "0,0.7", "--seeds", "2", "--json"]) == 0
    first = capsys.readouterr().out
    bigger = ["--l2", "0,0.7,3", "--seeds", "2", "--json"]
    assert main(["sweep", *SMALL, *store, *bigger]) == 2
    assert "already holds 2 of this sweep's 3 cells; resume (--resume)" in capsys.readouterr().err
    assert main(["sweep", *SMALL, *store, *bigger, "--resume"]) == 0
    captured = capsys.readouterr()
    assert "4 models from" in captured.err and "2 trained" in captured.err
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["from_store"] for r in records] == [True, True, False]
    assert main(["sweep", *SMALL, *store, "--l2", "0,0.7", "--seeds", "2", "--json"]) == 0
    again = capsys.readouterr()
    assert "nothing trained" in again.err
    strip = [
        {k: v for k, v in json.loads(line).items() if k != "from_store"}
        for line in first.splitlines()
    ]
    assert [
        {k: v for k, v in json.loads(line).items() if k != "from_store"}
        for line in again.out.splitlines()
    ] == strip


def test_config_file_with_flags_overriding_it(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    config = in_tmp / "grid.toml"
    config.write_text("[sweep]\nl2 = [0, 0.1, 0.7]\nkeep_prob = [0.9]\nseeds = 2\niterations = 5\n")
    assert (
        main(
            [
                "sweep",
                "--dataset",
                "moons",
                "--config",
                str(config),
                "--l2",
                "0.3",
                "--record-every",
                "5",
                "--json",
            ]
        )
        == 0
    )
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["l2"], record["keep_prob"], record["iterations"], record["n_seeds"]) == (
        0.3,
        0.9,
        5,
        2,
    )
    config.write_text("[sweep]\nl2 = [0, -1]\n")
    assert main(["sweep", "--dataset", "moons", "--config", str(config)]) == 2
    assert "l2 must be a finite number >= 0. Received: l2=-1" in capsys.readouterr().err


def test_l1_is_a_grid_axis_from_flags_and_the_config_file(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    code = main(["sweep", *SMALL, "--l1", "0,0.3", "--l2", "0.7", "--seeds", "2", "--json"])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["l2"], r.get("l1")) for r in records] == [(0.7, None), (0.7, 0.3)]
    expected = sweep(
        load_dataset(dataset="moons"),
        SweepGrid(l2=(0.7,), l1=(0.0, 0.3), seeds=2, iterations=200, record_every=50),
    )
    for record, cell in zip(records, expected.cells, strict=True):
        assert [run["final_cost"] for run in record["runs"]] == cell.final_cost.tolist()
    assert main(["sweep", *SMALL, "--l1", "0,0.3", "--l2", "0.7", "--seeds", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "train %" in line)
    assert header.split()[:3] == ["keep_prob", "l2", "l1"]
    assert "l2=0.7, l1=0.3, keep_prob=1" in lines[-1]
    config = in_tmp / "grid.toml"
    config.write_text("[sweep]\nl1 = [0.1, 0.2]\nseeds = 2\niterations = 5\n")
    assert main(["sweep", "--dataset", "moons", "--config", str(config), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["l1"] for r in records] == [0.1, 0.2]
    assert main(["sweep", *SMALL, "--l1", "0,-0.1"]) == 2
    assert capsys.readouterr().err.startswith(
        "reglab: error: argument --l1: l1 must be a finite number >= 0. Received: l1=-0.1"
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("json_output", [False, True])
def test_a_progress_bar_on_a_terminal_only_without_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], json_output: bool
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    arguments = ["sweep", *SMALL, "--l2", "0,0.7", "--seeds", "2"]
    assert main(arguments + (["--json"] if json_output else [])) == 0
    bar = [line for line in terminal.getvalue().split("\r") if "model/s" in line]
    if json_output:
        assert bar == []
    else:
        assert any("/4 [" in line and "model/s, cells" in line for line in bar)
        assert any("4/4" in line and "cells 2/2" in line for line in bar)


def test_the_optimizer_is_a_grid_axis_from_flags_and_the_config_file(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    grid = ["--optimizer", "gd,adam", "--learning-rate", "0.05", "--beta1", "0.8", "--seeds", "2"]
    assert main(["sweep", *SMALL, *grid, "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r.get("optimizer"), r["beta1"]) for r in records] == [(None, 0.8), ("adam", 0.8)]
    expected = sweep(
        load_dataset(dataset="moons"),
        SweepGrid(
            optimizer=("gd", "adam"), learning_rate=(0.05,), beta1=(0.8,), seeds=2,
            iterations=200, record_every=50,
        ),
    )  # fmt: skip
    for record, cell in zip(records, expected.cells, strict=True):
        assert [run["final_cost"] for run in record["runs"]] == cell.final_cost.tolist()
    assert main(["sweep", *SMALL, *grid]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "train %" in line)
    assert header.split()[:4] == ["keep_prob", "l2", "optimizer", "beta1"]
    assert any(" adam " in line and " 0.8 " in line for line in lines)
    config = in_tmp / "grid.toml"
    config.write_text('[sweep]\noptimizer = ["momentum", "adam"]\nseeds = 2\niterations = 5\n')
    assert main(["sweep", "--dataset", "moons", "--config", str(config), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["optimizer"] for r in records] == ["momentum", "adam"]


def test_batch_size_is_a_grid_axis_from_flags(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    code = main(["sweep", *SMALL, "--batch-size", "all,16", "--seeds", "2", "--json"])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("batch_size") for r in records] == [None, 16]
    expected = sweep(
        load_dataset(dataset="moons"),
        SweepGrid(batch_size=(None, 16), seeds=2, iterations=200, record_every=50),
    )
    for record, cell in zip(records, expected.cells, strict=True):
        assert [run["final_cost"] for run in record["runs"]] == cell.final_cost.tolist()
    assert main(["sweep", *SMALL, "--batch-size", "all,16", "--seeds", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "train %" in line)
    assert header.split()[:3] == ["keep_prob", "l2", "batch_size"]
    assert any(line.split()[:3] in (["1", "0", "16"], ["*", "1", "0"]) for line in lines)
