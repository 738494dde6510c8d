"""Bad input at the command line: one line naming the parameter, the valid range and the value
received, exit code 2, never a traceback.

Option values are rejected by argparse in one line that names the command's help;
bad data, a mismatched network, a diverging run and a file that cannot be read or
written by ``main``. Every one is ``reglab: error: ...`` on stderr.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from reglab.cli import main
from reglab.constraints import OUTPUT_RULE

SHORT_RUN = ["--iterations", "200", "--record-every", "100"]

LAYER_SIZES = (
    "at least two positive integer sizes, e.g. (2, 20, 3, 1), "
    "each at most 100,000, at most 64 of them (reglab's caps)"
)

# option, value, then what the one line names: the parameter, its valid range, the value received.
OPTION_ERRORS = [
    ("--keep-prob", "0", "keep_prob", "in (0, 1]", "0.0"),
    ("--keep-prob", "-0.1", "keep_prob", "in (0, 1]", "-0.1"),
    ("--keep-prob", "1.5", "keep_prob", "in (0, 1]", "1.5"),
    ("--keep-prob", "nan", "keep_prob", "in (0, 1]", "nan"),
    ("--keep-prob", "most", "keep_prob", "in (0, 1]", "'most'"),
    ("--l2", "-0.1", "l2", "a finite number >= 0", "-0.1"),
    ("--l2", "nan", "l2", "a finite number >= 0", "nan"),
    ("--l2", "inf", "l2", "a finite number >= 0", "inf"),
    ("--learning-rate", "0", "learning_rate", "a finite number > 0", "0.0"),
    ("--learning-rate", "-0.3", "learning_rate", "a finite number > 0", "-0.3"),
    ("--iterations", "0", "iterations", "an integer in [1, 1,000,000,000] (reglab's cap)", "0"),
    (
        "--iterations",
        "2.5",
        "iterations",
        "an integer in [1, 1,000,000,000] (reglab's cap)",
        "'2.5'",
    ),
    (
        "--iterations",
        "many",
        "iterations",
        "an integer in [1, 1,000,000,000] (reglab's cap)",
        "'many'",
    ),
    ("--layers", "2,,3", "layers", LAYER_SIZES, "'2,,3'"),
    ("--layers", "2,a,1", "layers", LAYER_SIZES, "'2,a,1'"),
    ("--layers", "0,3,1", "layers", LAYER_SIZES, "(0, 3, 1)"),
    ("--layers", "2", "layers", LAYER_SIZES, "(2,)"),
    (
        "--layers",
        "2,20,3,2",
        "layers",
        OUTPUT_RULE,
        "(2, 20, 3, 2)",
    ),
    ("--record-every", "0", "record_every", "an integer in [1, 1,000,000,000] (reglab's cap)", "0"),
    ("--masks", "other", "masks", "one of fresh, course", "'other'"),
    ("--init", "other", "init", "one of course, lecun, he, xavier", "'other'"),
    ("--seed", "-1", "seed", "an integer in [0, 2**63 - 1] (stored as a 64-bit integer)", "-1"),
    ("--seed", "0.5", "seed", "an integer in [0, 2**63 - 1] (stored as a 64-bit integer)", "'0.5'"),
]


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_negative_value_reaches_the_options_check(capsys: pytest.CaptureFixture[str]) -> None:
    """``--layers -2,3,1`` is not mistaken for an option: its own check rejects it."""
    code, out, err = run_main(capsys, ["train", "--dataset", "moons", "--layers", "-2,3,1"])
    assert (code, out) == (2, "")
    assert err == (
        f"reglab: error: argument --layers: layers must be {LAYER_SIZES}. "
        "Received: layers=(-2, 3, 1) (see 'reglab train --help')\n"
    )


def test_data_and_dataset_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", "--dataset", "moons", "--data", "x.csv"])
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: argument --data: not allowed with argument --dataset "
        "(see 'reglab compare --help')\n"
    )


def test_compare_rejects_options_of_train(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", "--keep-prob", "0.5"])
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: unrecognized arguments: --keep-prob 0.5 (see 'reglab compare --help')\n"
    )


def test_an_unknown_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["fit"])
    assert (code, out) == (2, "")
    assert err.startswith("reglab: error: argument COMMAND: invalid choice: 'fit' ")
    assert err.endswith(" (see 'reglab --help')\n") and err.count("\n") == 1


def test_unreadable_or_unwritable_file_is_one_line_after_the_results(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An OSError (here while writing the outputs) is `what: path`; the results stay printed."""
    report = tmp_path / "report.html"

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(report))

    monkeypatch.setattr("reglab.cli.train.write_outputs", refused)
    code, out, err = run_main(capsys, ["train", "--dataset", "moons", *SHORT_RUN, "--json"])
    assert code == 2
    assert json.loads(out)["models"][0]["config"]["iterations"] == 200
    assert err.splitlines()[-1] == f"reglab: error: {os.strerror(errno.EACCES)}: {report}"
    assert "Traceback" not in err


# Files with something wrong in them. Each builder writes one into a directory and
# returns (its path, the one-line message the data layer gives for it).
FileCase = Callable[[Path], tuple[Path, str]]


def _mat(path: Path, **arrays: np.ndarray) -> Path:
    scipy.io.savemat(path, arrays)
    return path


def _football_like(X_train: np.ndarray | None = None, y_train: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2)) if X_train is None else X_train
    y = (np.arange(20) % 2).reshape(-1, 1) if y_train is None else y_train
    return {
        "X": X,
        "y": y,
        "Xval": rng.standard_normal((10, 2)),
        "yval": (np.arange(10) % 2).reshape(-1, 1),
    }


def missing_mat(tmp: Path) -> tuple[Path, str]:
    path = tmp / "missing.mat"
    return path, f"data file not found: {path} (expected the exercise's data.mat)"


def missing_csv(tmp: Path) -> tuple[Path, str]:
    path = tmp / "missing.csv"
    return path, f"CSV file not found: {path}"


def wrong_mat_keys(tmp: Path) -> tuple[Path, str]:
    path = _mat(tmp / "keys.mat", train_X=np.zeros((4, 2)), train_y=np.zeros((4, 1)))
    return path, (
        f"{path}: missing required keys X, y, Xval, yval. Expected keys X, y, Xval, yval. "
        "Received keys: train_X, train_y"
    )


def nan_in_mat(tmp: Path) -> tuple[Path, str]:
    X = np.random.default_rng(1).standard_normal((20, 2))
    X[3, 1] = np.nan
    path = _mat(tmp / "nan.mat", **_football_like(X_train=X))
    return (
        path,
        f"{path}: 'X' must contain only finite numbers. Received: 1 NaN or infinite value(s)",
    )


def labels_in_mat(tmp: Path) -> tuple[Path, str]:
    y = (np.arange(20) % 3).reshape(-1, 1)
    path = _mat(tmp / "labels.mat", **_football_like(y_train=y))
    return path, f"{path}: 'y' must contain only labels 0 and 1. Received: 0, 1, 2"


def nan_in_csv(tmp: Path) -> tuple[Path, str]:
    path = tmp / "nan.csv"
    path.write_text("x1,x2,label\n0.1,0.2,0\n0.3,nan,1\n")
    return path, f"{path}, line 3, column 2 ('x2'): values must be finite. Received: 'nan'"


def labels_in_csv(tmp: Path) -> tuple[Path, str]:
    path = tmp / "labels.csv"
    path.write_text("0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2.5\n")
    return path, (
        f"{path}, line 3, column 3: labels must be class indices 0..C-1 (0 or 1 for two "
        "classes). Received: '2.5'"
    )


def unknown_suffix(tmp: Path) -> tuple[Path, str]:
    path = tmp / "points.txt"
    path.write_text("0.1,0.2,0\n")
    return path, (
        f"{path}: unsupported file type. Expected a .mat file in the exercise's layout "
        "or a .csv file. Received: '.txt'"
    )


FILE_CASES = [missing_mat, missing_csv, wrong_mat_keys, nan_in_mat, labels_in_mat, nan_in_csv,
              labels_in_csv, unknown_suffix]  # fmt: skip


@pytest.mark.parametrize("command", ["compare", "train"])
@pytest.mark.parametrize("case", FILE_CASES, ids=[case.__name__ for case in FILE_CASES])
def test_bad_data_file_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, case: FileCase
) -> None:
    path, message = case(tmp_path)
    code, out, err = run_main(capsys, [command, "--data", str(path), "--json"])
    assert (code, out, err) == (2, "", f"reglab: error: {message}\n")


def test_unknown_dataset_name_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["train", "--dataset", "football2"])
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: dataset must be one of 'football', 'goalkeeper', 'circles', 'xor', "
        "'gauss', 'spiral', 'moons'. Received: dataset='football2'\n"
    )


def test_first_layer_must_match_the_data_features(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(
        capsys, ["train", "--dataset", "moons", "--layers", "3,20,3,1", *SHORT_RUN]
    )
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: layers must be a sequence starting with 2, the number of features of "
        "dataset 'moons'. Received: layers=(3, 20, 3, 1)\n"
    )


def test_compare_needs_the_exercise_input_size(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "three.csv"
    path.write_text("".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    code, out, err = run_main(capsys, ["compare", "--data", str(path)])
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: compare trains the exercise's models, which take 2 features. "
        "Received: dataset 'three' with 3 features (use `reglab train --layers 3,20,3,1`)\n"
    )


def test_diverging_run_stops_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A step of 100 with lambda = 10 makes weight decay overshoot: the weights blow up."""
    argv = ["train", "--dataset", "moons", "--learning-rate", "100", "--l2", "10", *SHORT_RUN]
    code, out, err = run_main(capsys, argv)
    assert (code, out) == (2, "")
    assert err == (
        "reglab: error: model 0 diverged: its cost was not finite by iteration 100 "
        "(learning_rate=100.0, l2=10.0, keep_prob=1.0). Try a smaller learning_rate or l2.\n"
    )


# --- outputs, seeds and the split: rejected before any data is loaded or model trained ---------

SEEDS_RANGE = "an integer in [2, 1,000,000] (a spread needs at least two runs; reglab's cap)"
OUTPUT_OPTION_ERRORS = [
    ("--format", "gif", "format", "one of png, svg", "'gif'"),
    ("--format", "PNG", "format", "one of png, svg", "'PNG'"),
    ("--seeds", "0", "seeds", SEEDS_RANGE, "0"),
    ("--seeds", "-1", "seeds", SEEDS_RANGE, "-1"),
    ("--seeds", "1", "seeds", SEEDS_RANGE, "1"),
    ("--seeds", "abc", "seeds", SEEDS_RANGE, "'abc'"),
    ("--seeds", "2.5", "seeds", SEEDS_RANGE, "'2.5'"),
    ("--test-fraction", "0", "test_fraction", "in (0, 1)", "0.0"),
    ("--test-fraction", "1", "test_fraction", "in (0, 1)", "1.0"),
    ("--test-fraction", "1.5", "test_fraction", "in (0, 1)", "1.5"),
    ("--test-fraction", "-0.2", "test_fraction", "in (0, 1)", "-0.2"),
    ("--test-fraction", "nan", "test_fraction", "in (0, 1)", "nan"),
    ("--test-fraction", "half", "test_fraction", "in (0, 1)", "'half'"),
]


BAD_OPTIONS = [("train", *error) for error in OPTION_ERRORS] + [
    (command, *error) for command in ("compare", "train") for error in OUTPUT_OPTION_ERRORS
]
"""(command, option, value, parameter, valid range, value received as printed)."""


@pytest.mark.parametrize(
    ("command", "option", "value", "parameter", "valid", "received"),
    BAD_OPTIONS,
    ids=[f"{command} {option} {value}" for command, option, value, *_ in BAD_OPTIONS],
)
def test_bad_option_is_a_usage_error_in_one_line(
    capsys: pytest.CaptureFixture[str],
    command: str,
    option: str,
    value: str,
    parameter: str,
    valid: str,
    received: str,
) -> None:
    code, out, err = run_main(capsys, [command, "--dataset", "moons", option, value])
    assert (code, out) == (2, "")
    assert err == (
        f"reglab: error: argument {option}: {parameter} must be {valid}. "
        f"Received: {parameter}={received} (see 'reglab {command} --help')\n"
    )


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a command gets as far as loading data (and so training)."""

    def too_late(args: object) -> None:
        pytest.fail("the options were checked only after loading the data")

    monkeypatch.setattr("reglab.cli.compare.load_data", too_late)
    monkeypatch.setattr("reglab.cli.train.load_data", too_late)


# Bad destinations. Each builder makes the situation in a directory and returns the
# options and the one-line message. Tests run as root, who may write anywhere, so a
# destination under a regular file is the reliable unwritable path.
DestinationCase = Callable[[Path], tuple[list[str], str]]


def out_message(out: Path, reason: str) -> str:
    return (
        f"out must be a writable directory or a new path under one ({reason}). "
        f"Received: out={str(out)!r}"
    )


def report_message(report: Path, reason: str) -> str:
    return (
        "report must be a file in a writable directory that exists, or in the --out directory "
        f"({reason}). Received: report={str(report)!r}"
    )


def out_under_a_file(tmp: Path) -> tuple[list[str], str]:
    (tmp / "notes.txt").write_text("a file\n")
    out = tmp / "notes.txt" / "figures"
    return [
        "--out",
        str(out),
    ], out_message(out, f"{tmp / 'notes.txt'} is not a directory")


def out_is_a_file(tmp: Path) -> tuple[list[str], str]:
    out = tmp / "figures"
    out.write_text("a file\n")
    return ["--out", str(out)], out_message(out, f"{out} is not a directory")


def report_in_a_missing_directory(tmp: Path) -> tuple[list[str], str]:
    report = tmp / "missing" / "report.html"
    return ["--report", str(report)], report_message(report, f"{tmp / 'missing'} does not exist")


def report_under_a_file(tmp: Path) -> tuple[list[str], str]:
    (tmp / "notes.txt").write_text("a file\n")
    report = tmp / "notes.txt" / "report.html"
    return ["--report", str(report)], report_message(
        report, f"{tmp / 'notes.txt'} is not a directory"
    )


def report_is_a_directory(tmp: Path) -> tuple[list[str], str]:
    return ["--report", str(tmp)], (
        "report must be a regular file or a new path (this one is a directory: devices, FIFOs "
        f"and directories are never written to). Received: report={str(tmp)!r}"
    )


def format_without_out(tmp: Path) -> tuple[list[str], str]:
    return ["--format", "svg", "--report", str(tmp / "r.html")], (
        "format must be given with --out (it is the figure files' format; the report embeds "
        "PNG). Received: format='svg'"
    )


DESTINATION_CASES = [out_under_a_file, out_is_a_file, report_in_a_missing_directory,
                     report_under_a_file, report_is_a_directory, format_without_out]  # fmt: skip


@pytest.mark.usefixtures("no_training")
@pytest.mark.parametrize("command", ["compare", "train"])
@pytest.mark.parametrize("case", DESTINATION_CASES, ids=[c.__name__ for c in DESTINATION_CASES])
def test_bad_destination_is_one_line_before_training(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, case: DestinationCase
) -> None:
    options, message = case(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_main(capsys, [command, "--dataset", "moons", *options, "--json"])
    assert (code, out, err) == (2, "", f"reglab: error: {message}\n")
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even --out's directory


@pytest.mark.usefixtures("no_training")
def test_a_bad_report_leaves_no_figure_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "missing" / "r.html"
    argv = ["train", "--out", str(tmp_path / "figures"), "--report", str(report)]
    code, out, err = run_main(capsys, argv)
    assert (code, out) == (2, "")
    missing = tmp_path / "missing"
    assert err == f"reglab: error: {report_message(report, f'{missing} does not exist')}\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write to a read-only directory"
)
@pytest.mark.usefixtures("no_training")
@pytest.mark.parametrize("command", ["compare", "train"])
def test_read_only_destinations_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, out, err = run_main(capsys, [command, "--out", str(locked / "figures")])
        assert (code, out, err) == (
            2,
            "",
            f"reglab: error: {out_message(locked / 'figures', f'{locked} is not writable')}\n",
        )
        report = locked / "r.html"
        code, out, err = run_main(capsys, [command, "--report", str(report)])
        assert (code, out, err) == (
            2,
            "",
            f"reglab: error: {report_message(report, f'directory {locked} is not writable')}\n",
        )
    finally:
        locked.chmod(0o755)


@pytest.mark.usefixtures("no_training")
def test_compare_masks_needs_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", "--masks", "course"])
    assert (code, out, err) == (
        2,
        "",
        "reglab: error: masks must be given with --seeds N (it sets the seed study's dropout "
        "masks; the exercise's table always uses the course's). Received: masks='course'\n",
    )


@pytest.mark.parametrize("command", ["compare", "train"])
def test_test_fraction_is_refused_for_the_exercise_file(
    capsys: pytest.CaptureFixture[str], football_path: Path, command: str
) -> None:
    argv = [command, "--data", str(football_path), "--test-fraction", "0.3", "--json"]
    assert run_main(capsys, argv) == (
        2,
        "",
        "reglab: error: test_fraction must be omitted for a .mat file (its X/y and Xval/yval "
        "train/test split is fixed). Received: test_fraction=0.3\n",
    )
