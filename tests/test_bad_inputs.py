"""Every bad input of every command, the sweep file, the data files and the destinations:
exit code 2, one line naming the parameter, its rule and the value received, before training.

The table runs each case through :func:`reglab.cli.main` in-process with training
blocked (the engine's ``run_models`` fails the test if reached), in a fresh working
directory. A property test then feeds random text and numbers to every option of
every command and checks that none ends in a traceback.
"""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reglab.cli import build_parser, main
from reglab.config import MAX_LAYERS, PARAMETERS

QUICK = ["--dataset", "moons", "--iterations", "1"]
ITERATIONS = "an integer in [1, 1,000,000,000] (reglab's cap)"
SEED = "an integer in [0, 2**63 - 1] (stored as a 64-bit integer)"
STUDY_SEEDS = "an integer in [2, 1,000,000] (a spread needs at least two runs; reglab's cap)"
SWEEP_SEEDS = "an integer in [1, 1,000,000] (reglab's cap)"
LAYERS = "each at most 100,000, at most 64 of them (reglab's caps)"
MEMORY = "half the physical memory unless --max-memory"
REGULAR = "a regular file or a new path"
BATCH = "an integer >= 1, or all (the whole training set)"
PATIENCE = "an integer in [1, 1,000,000,000] (records without improvement; reglab's cap)"
HUGE = "99999999999999999999999"
INT64_PAST = "9223372036854775808"


class TrainingStartedError(Exception):
    """Raised by the blocked engine: a bad input got as far as training."""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working directory, and an engine that refuses to train."""

    def blocked(*args: object, **kwargs: object) -> None:
        raise TrainingStartedError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("reglab.engine.training.run_models", blocked)
    yield tmp_path


def _mat(path: Path, y: np.ndarray, yval: np.ndarray) -> str:
    rng = np.random.default_rng(0)
    scipy.io.savemat(
        path,
        {
            "X": rng.normal(size=(y.size, 2)),
            "y": y.reshape(-1, 1),
            "Xval": rng.normal(size=(yval.size, 2)),
            "yval": yval.reshape(-1, 1),
        },
    )
    return str(path)


def _files(tmp: Path) -> dict[str, str]:
    """Paths the cases name: made in the working directory before each case."""
    (tmp / "folder").mkdir()
    os.mkfifo(tmp / "fifo")
    both = np.array([0.0, 1.0] * 10)
    zeros = np.zeros(20)
    (tmp / "one_class.csv").write_text(
        "x1,x2,label\n" + "".join(f"{i},{i + 1},0\n" for i in range(20))
    )
    toml = {
        "keep_prob.toml": "keep_prob = [1, 1.5]\n",
        "seed_overflow.toml": f"seeds = [1, {HUGE}]\n",
        "minus_zero.toml": "l2 = [-0.0, 0]\n",
        "iterations.toml": "iterations = 0\n",
        "unknown.toml": "lambda = [0.1]\n",
        "record.toml": f"record_every = {INT64_PAST}\n",
        "optimizer.toml": 'optimizer = ["gd", "rmsprop"]\n',
        "beta2.toml": "beta2 = 1\n",
        "unused_epsilon.toml": 'optimizer = ["gd", "momentum"]\nepsilon = [1e-6]\n',
        "unused_patience.toml": "patience = 3\n",
    }
    for name, text in toml.items():
        (tmp / name).write_text(text)
    return {
        "zeros_mat": _mat(tmp / "zeros.mat", zeros, both),
        "zeros_val_mat": _mat(tmp / "zeros_val.mat", both, zeros),
        "one_class_csv": str(tmp / "one_class.csv"),
        "folder": str(tmp / "folder"),
        "fifo": str(tmp / "fifo"),
        "long": "x" * 300,
        "escape": "data\x1b[2J\x07.mat",
    }


# (argv, parameter, a part of the rule, the value received as the line shows it)
CASES: list[tuple[list[str], str, str, str]] = [
    # train: the model and optimizer options
    (["train", "--keep-prob", "1.5"], "keep_prob", "in (0, 1]", "1.5"),
    (["train", "--batch-size", "0"], "batch_size", BATCH, "0"),
    (["train", "--batch-size", "2.5"], "batch_size", BATCH, "'2.5'"),
    (["train", "--batch-size", "none"], "batch_size", BATCH, "'none'"),
    (["train", "--validation-fraction", "1"], "validation_fraction", "in (0, 1)", "1.0"),
    (["train", "--validation-fraction", "0"], "validation_fraction", "in (0, 1)", "0.0"),
    (["train", "--patience", "0"], "patience", PATIENCE, "0"),
    (["sweep", "--patience", "-2"], "patience", PATIENCE, "-2"),
    (["sweep", "--validation-fraction", "2"], "validation_fraction", "in (0, 1)", "2.0"),
    (["train", "--keep-prob", "0"], "keep_prob", "in (0, 1]", "0.0"),
    (["train", "--keep-prob", "nan"], "keep_prob", "in (0, 1]", "nan"),
    (["train", "--keep-prob", "1e-310"], "keep_prob", "with a finite 1 / keep_prob", "1e-310"),
    (["train", "--l2", "-0.1"], "l2", "a finite number >= 0", "-0.1"),
    (["train", "--l2", "inf"], "l2", "a finite number >= 0", "inf"),
    (["train", "--l2", "lots"], "l2", "a finite number >= 0", "'lots'"),
    (["train", "--learning-rate", "0"], "learning_rate", "a finite number > 0", "0.0"),
    (["train", "--learning-rate", "-1"], "learning_rate", "a finite number > 0", "-1.0"),
    (["train", "--iterations", "0"], "iterations", ITERATIONS, "0"),
    (["train", "--iterations", HUGE], "iterations", ITERATIONS, HUGE),
    (["train", "--iterations", INT64_PAST], "iterations", ITERATIONS, INT64_PAST),
    (["train", "--iterations", "1000000000000"], "iterations", ITERATIONS, "1000000000000"),
    (["train", "--iterations", "1_000"], "iterations", ITERATIONS, "'1_000'"),
    (["train", "--iterations", "2.5"], "iterations", ITERATIONS, "'2.5'"),
    (["train", "--record-every", "0"], "record_every", ITERATIONS, "0"),
    (["train", "--record-every", HUGE], "record_every", ITERATIONS, HUGE),
    (["train", "--seed", "-1"], "seed", SEED, "-1"),
    (["train", "--seed", INT64_PAST], "seed", SEED, INT64_PAST),
    (["train", "--masks", "stale"], "masks", "one of fresh, course", "'stale'"),
    (["train", "--optimizer", "sgd"], "optimizer", "one of gd, momentum, adam", "'sgd'"),
    (["train", "--beta1", "1"], "beta1", "in [0, 1)", "1.0"),
    (["train", "--beta1", "-0.1"], "beta1", "in [0, 1)", "-0.1"),
    (["train", "--beta2", "1.5"], "beta2", "in [0, 1)", "1.5"),
    (["train", "--beta2", "nan"], "beta2", "in [0, 1)", "nan"),
    (["train", "--epsilon", "0"], "epsilon", "a finite number > 0", "0.0"),
    (["train", "--epsilon", "inf"], "epsilon", "a finite number > 0", "inf"),
    (["train", "--init", "zeros"], "init", "one of course, lecun, he, xavier", "'zeros'"),
    # train: layers and memory
    (["train", "--layers", "2,100000000,1"], "layers", LAYERS, "(2, 100000000, 1)"),
    (["train", *QUICK, "--layers", "2,100000,100000,1"], "memory", MEMORY, "G'"),
    (["train", *QUICK, "--layers", "2,3000,3000,1", "--max-memory", "1M"], "memory", "1.0M", ""),
    (["train", "--layers", ",".join(["2"] * MAX_LAYERS + ["1"])], "layers", LAYERS, "(2, 2"),
    (["train", "--layers", "2,20,3,2"], "layers", "a sequence ending in 1", "(2, 20, 3, 2)"),
    (["train", "--layers", "0,3,1"], "layers", LAYERS, "(0, 3, 1)"),
    (["train", "--layers", "2,a,1"], "layers", LAYERS, "'2,a,1'"),
    (["train", "--dataset", "moons", "--layers", "3,4,1"], "layers", "starting with 2", "(3, 4"),
    (["train", "--max-memory", "lots"], "max_memory", "a size such as 512M", "'lots'"),
    (["train", "--max-memory", "10"], "max_memory", "at least 1M", "10"),
    # train: seed studies
    (["train", "--seeds", "1"], "seeds", STUDY_SEEDS, "1"),
    (["train", "--seeds", HUGE], "seeds", STUDY_SEEDS, HUGE),
    (["train", *QUICK, "--seeds", "10000000"], "seeds", STUDY_SEEDS, "10000000"),
    (["train", *QUICK, "--seeds", "5001"], "seeds", "pass --yes to go past it", "5001"),
    (["train", *QUICK, "--seed", str(2**63 - 1), "--seeds", "2"], "seeds", "64-bit", "2"),
    # train: data
    (["train", "--test-fraction", "1"], "test_fraction", "in (0, 1)", "1.0"),
    (["train", "--test-fraction", "-0.5"], "test_fraction", "in (0, 1)", "-0.5"),
    (["train", "--data", ""], "data", "a non-empty path", "''"),
    (["train", "--data", "{zeros_mat}"], "'y'", "both labels 0 and 1", "only label 0 (20 rows)"),
    (["train", "--data", "{zeros_val_mat}"], "'yval'", "both labels 0 and 1", "only label 0"),
    (["train", "--data", "{one_class_csv}"], "the file", "both labels 0 and 1", "only label 0"),
    (["train", "--dataset", "moonz"], "dataset", "one of 'football'", "'moonz'"),
    (["train", "--data", "{fifo}"], "data", "a regular .mat or .csv file", "fifo'"),
    (["train", "--data", "/dev/null"], "data", "a regular .mat or .csv file", "'/dev/null'"),
    (["compare", "--data", "/dev/zero"], "data", "a regular .mat or .csv file", "'/dev/zero'"),
    # train: destinations
    (["train", "--out", ""], "out", "a non-empty path", "''"),
    (["train", "--out", "{long}"], "out", "at most 255 bytes each", "'xxxx"),
    (["train", "--report", "/dev/full"], "report", REGULAR, "'/dev/full'"),
    (["train", "--report", "/dev/null"], "report", REGULAR, "'/dev/null'"),
    (["train", "--report", "{fifo}"], "report", REGULAR, "fifo'"),
    (["train", "--report", "{folder}"], "report", REGULAR, "folder'"),
    (["train", "--report", ""], "report", "a non-empty path", "''"),
    (["train", "--report", "{long}.html"], "report", "at most 255 bytes each", "'xxxx"),
    (["train", "--format", "svg"], "format", "given with --out", "'svg'"),
    (["train", "--out", "{one_class_csv}"], "out", "a writable directory", "one_class.csv'"),
    (
        ["train", "--report", "missing/r.html"],
        "report",
        "a writable directory that exists",
        "'missing/",
    ),
    (["sweep", "--out", "{one_class_csv}/figs"], "out", "a writable directory", "figs'"),
    # places that refuse every write, even root's (os.access says yes to root there)
    (["train", "--out", "/proc/figs"], "out", "a writable directory", "'/proc/figs'"),
    (["train", "--report", "/proc/r.html"], "report", "a writable directory", "'/proc/r.html'"),
    (["compare", "--report", "/sys/r.html"], "report", "a writable directory", "'/sys/r.html'"),
    (["sweep", "--out", "/sys/figs"], "out", "a writable directory", "'/sys/figs'"),
    (["train", "--format", "gif", "--out", "figs"], "format", "one of png, svg", "'gif'"),
    # compare
    (["compare", "--seeds", "1"], "seeds", STUDY_SEEDS, "1"),
    (["compare", "--seeds", HUGE], "seeds", STUDY_SEEDS, HUGE),
    (["compare", "--seeds", "2000000"], "seeds", STUDY_SEEDS, "2000000"),
    (["compare", "--dataset", "moons", "--seeds", "2000"], "seeds", "at most 1,666 here", "2000"),
    (["compare", "--masks", "course"], "masks", "given with --seeds N", "'course'"),
    (["compare", "--seeds", "2", "--masks", "stale"], "masks", "one of fresh, course", "'stale'"),
    (["compare", "--report", "/dev/full"], "report", REGULAR, "'/dev/full'"),
    (["compare", "--out", ""], "out", "a non-empty path", "''"),
    (["compare", "--max-memory", "0"], "max_memory", "at least 1M", "0"),
    (["compare", "--test-fraction", "nan"], "test_fraction", "in (0, 1)", "nan"),
    # sweep: the grid's lists, in train's words
    (["sweep", "--keep-prob", "1,1.5"], "keep_prob", "in (0, 1]", "1.5"),
    (["sweep", "--batch-size", "all,-1"], "batch_size", BATCH, "-1"),
    (["sweep", "--l2", "0,-1"], "l2", "a finite number >= 0", "-1.0"),
    (["sweep", "--l2=-0,0"], "l2", "a list of distinct values", "[0.0, 0.0]"),
    (["sweep", "--learning-rate", "0"], "learning_rate", "a finite number > 0", "0.0"),
    (["sweep", "--masks", "fresh,stale"], "masks", "one of fresh, course", "'stale'"),
    (["sweep", "--optimizer", "gd,nadam"], "optimizer", "one of gd, momentum, adam", "'nadam'"),
    (["sweep", "--optimizer", "adam,adam"], "optimizer", "distinct values", "['adam', 'adam']"),
    (["sweep", "--beta1", "0.9,1"], "beta1", "in [0, 1)", "1.0"),
    (["sweep", "--beta2", "0.99,-1"], "beta2", "in [0, 1)", "-1.0"),
    (["sweep", "--epsilon", "1e-8,0"], "epsilon", "a finite number > 0", "0.0"),
    (["sweep", "--seeds", "0"], "seeds", SWEEP_SEEDS, "0"),
    (["sweep", "--seeds", "2000000"], "seeds", SWEEP_SEEDS, "2000000"),
    (["sweep", "--seeds", f"1,{HUGE}"], "seed", SEED, HUGE),
    (["sweep", "--seeds", "1,1"], "seeds", "distinct integers", "[1, 1]"),
    (["sweep", "--iterations", HUGE], "iterations", ITERATIONS, HUGE),
    (["sweep", "--record-every", INT64_PAST], "record_every", ITERATIONS, INT64_PAST),
    (["sweep", "--layers", "2,100000000,1"], "layers", LAYERS, "(2, 100000000, 1)"),
    (["sweep", *QUICK, "--seeds", "1", "--layers", "2,100000,100000,1"], "memory", MEMORY, ""),
    (["sweep", "--chunk-size", "0"], "chunk_size", "an integer in [1, 100,000]", "0"),
    (["sweep", "--chunk-size", HUGE], "chunk_size", "an integer in [1, 100,000]", HUGE),
    (["sweep", "--backend", "spark"], "backend", "one of local, joblib, dask, ray", "'spark'"),
    (
        ["sweep", "--backend", "dask", "--scheduler", "not an address"],
        "scheduler",
        "an address such as tcp://127.0.0.1:8786",
        "'not an address'",
    ),
    (["sweep", "--scheduler", "tcp://127.0.0.1:8786"], "scheduler", "with --backend dask", "8786"),
    (["sweep", "--backend", "dask"], "scheduler", "a running dask scheduler", "None"),
    (["sweep", "--max-memory", "8X"], "max_memory", "a size such as 512M", "'8X'"),
    # sweep: destinations and the sweep file
    (["sweep", "--dataset", "moons", "--store", "/dev/full"], "store", REGULAR, "/dev/full'"),
    (["sweep", "--store", "{folder}"], "store", REGULAR, "folder'"),
    (["sweep", "--store", ""], "store", "a non-empty path", "''"),
    (["sweep", "--out", ""], "out", "a non-empty path", "''"),
    (["sweep", "--config", ""], "config", "a non-empty path", "''"),
    (["sweep", "--config", "{fifo}"], "config", "a regular TOML file", "fifo'"),
    (["sweep", "--config", "{folder}"], "config", "a regular TOML file", "folder'"),
    (["sweep", "--config", "keep_prob.toml"], "keep_prob", "in (0, 1]", "1.5"),
    (["sweep", "--config", "seed_overflow.toml"], "seeds", "2**63 - 1", HUGE),
    (["sweep", "--config", "minus_zero.toml"], "l2", "a list of distinct values", "[0.0, 0.0]"),
    (["sweep", "--config", "iterations.toml"], "iterations", ITERATIONS, "0"),
    (["sweep", "--config", "record.toml"], "record_every", ITERATIONS, INT64_PAST),
    (["sweep", "--config", "unknown.toml"], "sweep grid", "keys among", "['lambda']"),
    (["sweep", "--config", "optimizer.toml"], "optimizer", "one of gd, momentum", "'rmsprop'"),
    (["sweep", "--config", "beta2.toml"], "beta2", "in [0, 1)", "1"),
    # settings given where nothing reads them: they would train the same model
    (["train", "--beta1", "0.5"], "beta1", "unless the optimizer is momentum or adam", "0.5"),
    (["train", "--optimizer", "momentum", "--beta2", "0.9"], "beta2", "is adam", "0.9"),
    (["train", "--epsilon", "1e-6"], "epsilon", "unless the optimizer is adam", "1e-06"),
    (["train", "--patience", "3"], "patience", "unless early stopping is on", "3"),
    (["train", "--validation-fraction", "0.2"], "validation_fraction", "early stopping", "0.2"),
    (["sweep", "--beta1", "0.5,0.9"], "beta1", "momentum or adam", "(0.5, 0.9)"),
    (["sweep", "--config", "unused_epsilon.toml"], "epsilon", "is adam", "(1e-06,)"),
    (["sweep", "--config", "unused_patience.toml"], "patience", "early stopping is on", "3"),
]


@pytest.mark.parametrize(
    ("argv", "parameter", "rule", "received"),
    CASES,
    ids=[" ".join(argv)[:60] for argv, *_ in CASES],
)
def test_a_bad_input_is_one_line_naming_the_parameter_rule_and_value(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    parameter: str,
    rule: str,
    received: str,
) -> None:
    files = _files(workdir)
    argv = [part.format(**files) if "{" in part else part for part in argv]
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err.startswith("reglab: error: ") and err.endswith("\n") and err.count("\n") == 1
    assert f"{parameter} must " in err
    assert rule in err
    assert f"Received: {parameter}=" in err or f"Received: {received}" in err
    assert received in err.split("Received: ", 1)[1]
    assert "Traceback" not in err


def test_the_table_has_at_least_60_bad_inputs_across_every_command() -> None:
    assert len(CASES) >= 60
    assert {argv[0] for argv, *_ in CASES} == {"train", "compare", "sweep"}


def test_escape_characters_in_a_path_are_printed_escaped(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--data", "data\x1b[2J\x07.mat"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
    assert "data\\x1b[2J\\x07.mat" in err
    assert main(["train", "--data", "two\nlines.mat"]) == 2  # still one line
    assert capsys.readouterr().err.count("\n") == 1


def test_a_refused_destination_is_left_as_it_was(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _files(workdir)
    before = sorted(workdir.iterdir())
    assert main(["train", "--report", files["fifo"]]) == 2
    assert stat.S_ISFIFO(os.stat(files["fifo"]).st_mode)
    assert main(["train", "--out", ""]) == 2
    assert main(["sweep", "--store", files["folder"]]) == 2
    assert sorted(workdir.iterdir()) == before
    assert list(Path(files["folder"]).iterdir()) == []


def test_minus_zero_is_the_same_sweep_cell_as_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    grid = ["--dataset", "moons", "--iterations", "2", "--record-every", "1", "--seeds", "1"]
    assert main(["sweep", *grid, "--l2=-0", "--keep-prob=1", "--json"]) == 0
    capsys.readouterr()
    assert main(["sweep", *grid, "--l2", "0", "--keep-prob", "1.0", "--json"]) == 0
    assert "nothing trained" in capsys.readouterr().err


def test_minus_zero_options_are_stored_as_zero(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    args = parser.parse_args(["train", "--l2=-0", "--learning-rate", "0.3"])
    assert str(args.l2) == "0.0"
    args = parser.parse_args(["sweep", "--l2=-0.0,1"])
    assert [str(v) for v in args.l2] == ["0.0", "1.0"]


# The property test: random text and numbers to every option of every command.


def _value_options() -> list[tuple[str, str]]:
    parser = build_parser()
    pairs = []
    for action in parser._actions:  # argparse lists its subcommands nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                for option in sub._actions:
                    if option.option_strings and option.nargs != 0:
                        pairs.append((command, option.option_strings[-1]))
    return pairs


VALUE_OPTIONS = _value_options()

values = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.integers(min_value=2**62, max_value=2**80).map(str),
    st.floats().map(repr),
    st.lists(st.integers(-5, 2**70), min_size=1, max_size=4).map(lambda xs: ",".join(map(str, xs))),
    st.lists(st.floats(), min_size=1, max_size=4).map(lambda xs: ",".join(map(repr, xs))),
    st.sampled_from(["", "-0", "-", "--", "1e999", "0x10", "1_0", "\x00", "\x1b[2J", "/dev/full"]),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pair=st.sampled_from(VALUE_OPTIONS), value=values)
def test_no_value_of_any_option_ends_in_a_traceback(
    workdir: Path, capsys: pytest.CaptureFixture[str], pair: tuple[str, str], value: str
) -> None:
    """Exit 0 (help-like or nothing to do), 2 (refused) or 130 (reached the blocked engine:
    the value was valid); never a traceback. Values that get to training stop there."""
    command, option = pair
    quick = ["--iterations", "1"] if command != "compare" else []
    data = [] if option in ("--dataset", "--data") else ["--dataset", "moons"]
    argv = [command, *data, *quick, f"{option}={value}"]
    try:
        code = main(argv)
    except TrainingStartedError:
        code = 130
    err = capsys.readouterr().err
    assert code in (0, 2, 130), err
    assert "Traceback" not in err
    if code == 2:  # status lines (the dataset, the sweep's size) may come first
        errors = [line for line in err.splitlines() if line.startswith("reglab: error: ")]
        assert len(errors) == 1 and err.endswith(errors[0] + "\n"), err


def test_every_option_with_a_rule_is_in_the_table() -> None:
    """The options the property test drives are the parameters the rules table declares."""
    declared = {name.replace("_", "-") for name in PARAMETERS}
    options = {option.removeprefix("--") for _, option in VALUE_OPTIONS}
    assert {"keep-prob", "l2", "iterations", "seeds", "chunk-size", "max-memory"} <= declared
    flags = {"early-stopping"}  # options that take no value
    assert declared - {"sweep-seeds", "seed"} - flags <= options | {"seed"}


def test_unwritable_destinations_name_their_option(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory that refuses to be written to (tests run as root: permissions do not
    bind them, so the refusal is simulated where reglab tries to write)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("reglab.cli.common.tempfile.TemporaryDirectory", refuse)
    assert main(["train", "--out", "figs"]) == 2
    assert capsys.readouterr().err == (
        "reglab: error: out must be a writable directory or a new path under one "
        "(.: Permission denied). Received: out='figs'\n"
    )
    assert main(["compare", "--report", "r.html"]) == 2
    assert capsys.readouterr().err == (
        "reglab: error: report must be a file in a writable directory that exists, or in the "
        "--out directory (.: Permission denied). Received: report='r.html'\n"
    )
