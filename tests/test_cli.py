"""The command line: the exercise's table through `reglab compare`, `train`, `datasets`, JSON.

Commands run in-process through ``main([...])``; one test runs a real
``python -m reglab`` subprocess. Only the table test trains the exercise's
30,000 iterations (once per module), and the offline test, because
``compare`` always uses the exercise's settings.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import reglab
from reglab.cli import COMMANDS, build_parser, join_negative_values, main
from reglab.cli.common import progress_bar, wants_progress
from reglab.cli.compare import NOTE, SEEDS_COMMAND
from reglab.cli.train import default_record_every, displayed_records
from reglab.config import TrainConfig
from reglab.data.sources import list_datasets, load_dataset
from reglab.engine import train
from reglab.experiments.tables import format_accuracy

DOCS_JSON = Path(__file__).resolve().parents[1] / "docs" / "json.md"

# SPEC.md's conclusion table, typed from SPEC.md: (name, costs at 0/10,000/20,000, accuracies).
PUBLISHED = [
    (
        "no regularization",
        (0.6557412523481002, 0.1632998752572419, 0.13851642423239133),
        (200, 211),
        (183, 200),
    ),
    (
        "L2, lambda = 0.7",
        (0.6974484493131264, 0.2684918873282239, 0.2680916337127301),
        (198, 211),
        (186, 200),
    ),
    (
        "dropout, keep_prob = 0.86 (course masks)",
        (0.6543912405149825, 0.061016986574905605, 0.060582435798513114),
        (196, 211),
        (190, 200),
    ),
]
SHORT_RUN = ["--iterations", "200", "--record-every", "100"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def exercise_json(football_path: Path) -> dict[str, Any]:
    """`reglab compare --data <data.mat> --json`, run once: 3 models x 30,000 iterations."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["compare", "--data", str(football_path), "--json"])
    assert code == 0, err.getvalue()
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def test_compare_json_reproduces_the_published_table(exercise_json: dict[str, Any]) -> None:
    models = exercise_json["models"]
    assert [model["name"] for model in models] == [row[0] for row in PUBLISHED]
    for model, (_, costs, (train_ok, n_train), (test_ok, n_test)) in zip(
        models, PUBLISHED, strict=True
    ):
        recorded = dict(model["costs"])
        for iteration, published in zip((0, 10_000, 20_000), costs, strict=True):
            assert math.isclose(recorded[iteration], published, rel_tol=1e-9, abs_tol=0.0)
        assert model["train_accuracy"] == train_ok / n_train
        assert model["test_accuracy"] == test_ok / n_test


def test_compare_json_describes_the_file_and_the_settings(
    exercise_json: dict[str, Any], football_path: Path
) -> None:
    assert exercise_json["schema_version"] == 1
    assert exercise_json["reglab_version"] == reglab.__version__
    assert exercise_json["dataset"] == {
        "name": "football",
        "source": str(football_path),
        "sha256": "1218828095bf91d215622d00b2a5b8784c359e29d9d9c5734949b8e60c5bc231",
        "n_features": 2,
        "n_classes": 2,
        "n_train": 211,
        "n_test": 200,
    }
    configs = [model["config"] for model in exercise_json["models"]]
    assert [(c["l2"], c["keep_prob"], c["masks"]) for c in configs] == [
        (0.0, 1.0, "fresh"),
        (0.7, 1.0, "fresh"),
        (0.0, 0.86, "course"),
    ]
    for config in configs:
        assert config["layers"] == [2, 20, 3, 1]
        assert (config["learning_rate"], config["iterations"], config["record_every"]) == (
            0.3,
            30_000,
            1_000,
        )
    for model in exercise_json["models"]:
        assert [iteration for iteration, _ in model["costs"]] == list(range(0, 30_000, 1_000))


def test_compare_offline_uses_the_builtin_data_and_prints_the_table(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    workdir, cache = tmp_path / "work", tmp_path / "cache"
    workdir.mkdir()
    cache.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("REGLAB_CACHE_DIR", str(cache))

    code, out, err = run_cli(capsys, "compare", "--offline")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("dataset: goalkeeper (2 features, ")
    assert lines[1].startswith("source:  built-in")
    assert "offline" in lines[1]
    header = lines[3].split()
    assert header[:2] == ["model", "cost"] and "@10,000" in header and "@20,000" in header
    number = r"\d\.\d+(?:e-\d+)?"
    accuracy = r"\d(?:\.\d+)? \(\d+/\d+\)"
    for line, (name, *_) in zip(lines[4:7], PUBLISHED, strict=True):
        assert re.fullmatch(
            rf"{re.escape(name)} +{number} +{number} +{number} +{accuracy} +{accuracy}", line
        ), line
    assert " ".join(lines[8:-1]) == NOTE
    assert lines[-1] == f"    {SEEDS_COMMAND}"


def test_the_note_points_to_a_command_that_exists() -> None:
    program, *argv = SEEDS_COMMAND.split()
    assert program == "reglab"
    args = build_parser().parse_args(argv)
    assert args.run.__module__ == "reglab.cli.compare"
    assert args.seeds == 10


def test_train_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys,
        "train",
        "--dataset", "moons",
        "--l2", "0.5",
        "--keep-prob", "0.9",
        "--init", "he",
        "--seed", "7",
        "--learning-rate", "0.1",
        *SHORT_RUN,
        "--json",
    )  # fmt: skip
    assert code == 0
    assert err.startswith("reglab: dataset moons: ")
    document = json.loads(out)
    assert set(document) == {"schema_version", "reglab_version", "dataset", "models"}
    assert document["dataset"]["name"] == "moons"
    assert document["dataset"]["sha256"] is None
    assert set(document["dataset"]) == {
        "name",
        "source",
        "sha256",
        "n_features",
        "n_classes",
        "n_train",
        "n_test",
    }
    [model] = document["models"]
    assert set(model) == {"name", "config", "costs", "train_accuracy", "test_accuracy"}
    assert model["name"] == (
        "L2, lambda = 0.5 + dropout, keep_prob = 0.9 (fresh masks), learning_rate = 0.1, init = he"
    )
    assert model["config"] == {
        "layers": [2, 20, 3, 1],
        "learning_rate": 0.1,
        "iterations": 200,
        "l2": 0.5,
        "keep_prob": 0.9,
        "masks": "fresh",
        "init": "he",
        "seed": 7,
        "record_every": 100,
    }
    assert [iteration for iteration, _ in model["costs"]] == [0, 100]
    assert all(math.isfinite(cost) and cost > 0 for _, cost in model["costs"])
    n_train, n_test = document["dataset"]["n_train"], document["dataset"]["n_test"]
    for fraction, n in ((model["train_accuracy"], n_train), (model["test_accuracy"], n_test)):
        assert 0 <= fraction <= 1
        assert math.isclose(fraction * n, round(fraction * n), abs_tol=1e-9)


def test_train_json_with_l1_names_it_and_adds_its_term_to_the_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ["train", "--dataset", "moons", "--l2", "0.3", *SHORT_RUN, "--json"]
    code, out, _ = run_cli(capsys, *options, "--l1", "0.1")
    assert code == 0
    [model] = json.loads(out)["models"]
    assert model["name"] == "L2, lambda = 0.3 + L1, alpha = 0.1"
    assert model["config"]["l1"] == 0.1 and model["config"]["l2"] == 0.3
    assert TrainConfig.from_dict(model["config"]).l1 == 0.1
    _, out, _ = run_cli(capsys, *options)
    [plain] = json.loads(out)["models"]
    assert "l1" not in plain["config"]
    # The first recorded cost is of the same initial weights: it grows by (alpha/m) sum |W|.
    assert model["costs"][0][1] > plain["costs"][0][1]
    code, out, _ = run_cli(capsys, "train", "--dataset", "moons", "--l1", "0.25", *SHORT_RUN)
    assert code == 0 and "model:   L1, alpha = 0.25\n" in out
    assert " l1=0.25 " in out


def json_fields(value: object) -> set[str]:
    """Every key of every object in a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value).union(*(json_fields(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(json_fields(item) for item in value))
    return set()


def test_docs_json_documents_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    """Every key of a document with a seed study (train --seeds) has a row in docs/json.md."""
    options = ["--dataset", "moons", "--init", "lecun", "--seeds", "2", *SHORT_RUN, "--json"]
    _, out, _ = run_cli(capsys, "train", *options)
    document = json.loads(out)
    assert {"models", "seed_study"} <= set(document)
    fields = json_fields(document)
    assert {"seeds", "ties", "runs", "wins", "test_std", "final_cost", "layers"} <= fields
    text = DOCS_JSON.read_text(encoding="utf-8")
    undocumented = sorted(field for field in fields if f"| `{field}` |" not in text)
    assert undocumented == []


def test_json_without_seeds_has_no_seed_study(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "train", "--dataset", "moons", *SHORT_RUN, "--json")
    assert "seed_study" not in json.loads(out)


def test_train_text_prints_config_costs_and_accuracies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ["train", "--dataset", "moons", "--l2", "0.7", *SHORT_RUN]
    code, out, err = run_cli(capsys, *options)
    assert (code, err) == (0, "")
    _, json_out, _ = run_cli(capsys, *options, "--json")
    [model] = json.loads(json_out)["models"]

    lines = out.splitlines()
    assert lines[0].startswith("dataset: moons (2 features, ")
    assert lines[1].startswith("source:  ")
    assert "model:   L2, lambda = 0.7" in lines
    assert (
        "config:  layers=2,20,3,1 learning_rate=0.3 iterations=200 l2=0.7 keep_prob=1.0 "
        "masks=fresh init=course seed=0 record_every=100"
    ) in lines
    costs = lines[lines.index("iteration  cost") + 1 :][:2]
    assert costs == [f"{i:<9}  {cost!r}" for i, cost in model["costs"]]
    n_train = json.loads(json_out)["dataset"]["n_train"]
    assert lines[-2] == f"train accuracy: {format_accuracy(model['train_accuracy'], n_train)}"
    assert lines[-1].startswith("test accuracy:  ")


def test_train_layers_default_to_the_data_features(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without --layers, a 3-feature file trains a 3,20,3,1 network."""
    path = tmp_path / "three.csv"
    rows = [(0.1 * i, 0.2 * (i % 5), 0.3 * (i % 3), i % 2) for i in range(40)]
    path.write_text("\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    code, out, err = run_cli(capsys, "train", "--data", str(path), *SHORT_RUN, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["dataset"]["n_features"] == 3
    assert document["models"][0]["config"]["layers"] == [3, 20, 3, 1]


def test_datasets_lists_every_name_with_a_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "description"]
    listed = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines[1:]}
    expected = dict(list_datasets())
    assert listed == expected
    assert {"football", "goalkeeper", "circles", "xor", "gauss", "spiral", "moons"} <= set(listed)
    assert all(description.strip() for description in listed.values())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert (code, out) == (0, f"reglab {reglab.__version__}\n")


def test_help_comes_from_the_docstrings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    words = " ".join(out.split())
    for command in COMMANDS:
        assert command.__doc__ is not None
        name = command.__name__.rsplit(".", 1)[-1]
        assert f" {name} {command.__doc__.splitlines()[0]}" in words


def test_reglab_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys) == (0, build_parser().format_help(), "")


def test_a_command_is_required_after_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "-x") == (
        2,
        "",
        "reglab: error: the following arguments are required: COMMAND (see 'reglab --help')\n",
    )


def test_interrupt_exits_130_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted() -> list[tuple[str, str]]:
        raise KeyboardInterrupt

    monkeypatch.setattr("reglab.data.sources.list_datasets", interrupted)
    assert run_cli(capsys, "datasets") == (130, "", "reglab: interrupted\n")


def test_displayed_records_every_10000_else_at_most_ten() -> None:
    assert displayed_records(list(range(0, 30_000, 1_000))) == [0, 10, 20]
    assert displayed_records([0, 100]) == [0, 1]
    assert displayed_records(list(range(0, 5_000, 100))) == list(range(0, 50, 5))
    assert displayed_records(list(range(0, 10_000, 3_000))) == [0, 1, 2, 3]


def test_format_accuracy_as_the_exercise_counts() -> None:
    assert format_accuracy(200 / 211, 211) == "0.947867 (200/211)"
    assert format_accuracy(0.915, 200) == "0.915 (183/200)"
    assert format_accuracy(1.0, 7) == "1 (7/7)"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_for_a_terminal_without_json() -> None:
    assert wants_progress(False, _Terminal())
    assert not wants_progress(True, _Terminal())
    assert not wants_progress(False, io.StringIO())


def test_progress_bar_follows_the_engine_callback() -> None:
    stream = _Terminal()
    with progress_bar(True, "train", 200, stream) as progress:
        assert progress is not None
        progress(100, 200)
        progress(200, 200)
        assert "200/200" in stream.getvalue()
        assert stream.getvalue().startswith("\rtrain: ")
    with progress_bar(False, "train", 200, stream) as progress:
        assert progress is None


def test_python_m_reglab_train_in_a_subprocess() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "reglab", "train", "--dataset", "xor", *SHORT_RUN, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["models"][0]["config"]["iterations"] == 200
    assert completed.stderr.startswith("reglab: dataset xor: ")
    assert "Traceback" not in completed.stderr


def test_python_m_reglab_exits_2_with_one_line_on_bad_input() -> None:
    # The console entry point (console_main) keeps main's exit code and its one-line errors.
    completed = subprocess.run(
        [sys.executable, "-m", "reglab", "train", "--dataset", "xor", "--l2", "-1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[-1].startswith(
        "reglab: error: argument --l2: l2 must be a finite number >= 0. Received: l2=-1.0"
    )
    assert "Traceback" not in completed.stderr


def test_negative_values_are_joined_to_options_taking_a_value() -> None:
    parser = build_parser()
    assert join_negative_values(parser, ["sweep", "--l2", "-1,0", "--keep-prob", "-.5"]) == [
        "sweep",
        "--l2=-1,0",
        "--keep-prob=-.5",
    ]
    assert join_negative_values(parser, ["train", "--seed", "-1", "--l2", "0.7"]) == [
        "train",
        "--seed=-1",
        "--l2",
        "0.7",
    ]
    # A flag takes no value, "--" ends the options, and a word is not a number: left alone.
    for argv in (
        ["train", "--json", "-1"],
        ["train", "--", "--l2", "-1"],
        ["train", "--l2", "-x"],
        ["train", "--l2", "--json"],
    ):
        assert join_negative_values(parser, argv) == argv


def test_record_every_defaults_to_about_ten_points() -> None:
    assert default_record_every(30_000) == 1_000
    assert default_record_every(10_000) == 1_000
    assert default_record_every(500) == 50
    assert default_record_every(25) == 2
    assert default_record_every(5) == 1


def test_a_short_train_records_ten_points_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    """`train --iterations 500` without --record-every: costs at 0, 50, ..., 450, all printed."""
    code, out, err = run_cli(capsys, "train", "--dataset", "moons", "--iterations", "500", "--json")
    assert code == 0, err
    [model] = json.loads(out)["models"]
    assert model["config"]["record_every"] == 50
    assert [iteration for iteration, _ in model["costs"]] == list(range(0, 500, 50))
    _, text, _ = run_cli(capsys, "train", "--dataset", "moons", "--iterations", "500")
    lines = text.splitlines()
    table = lines[lines.index("iteration  cost") + 1 :][:10]
    assert [line.split()[0] for line in table] == [str(i) for i in range(0, 500, 50)]
    given = ["--iterations", "500", "--record-every", "250", "--json"]
    _, out, _ = run_cli(capsys, "train", "--dataset", "moons", *given)
    assert [i for i, _ in json.loads(out)["models"][0]["costs"]] == [0, 250]


def test_course_masks_without_dropout_get_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "train", "--dataset", "moons", "--masks", "course", *SHORT_RUN)
    assert code == 0 and out.startswith("dataset: moons ")
    assert err == (
        "reglab: note: --masks course has no effect without dropout (--keep-prob 1); give "
        "--keep-prob below 1 to train on the course's fixed masks\n"
    )
    options = ["--masks", "course", "--keep-prob", "0.9", *SHORT_RUN]
    assert run_cli(capsys, "train", "--dataset", "moons", *options)[2] == ""


def test_train_json_with_an_optimizer_names_it_and_trains_the_library_s_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ["train", "--dataset", "moons", "--l2", "0.3", *SHORT_RUN, "--json"]
    adam = ["--optimizer", "adam", "--learning-rate", "0.01", "--beta2", "0.99"]
    code, out, _ = run_cli(capsys, *options, *adam)
    assert code == 0
    [model] = json.loads(out)["models"]
    assert model["name"] == "L2, lambda = 0.3, Adam, beta2 = 0.99, learning_rate = 0.01"
    config = TrainConfig.from_dict(model["config"])
    assert (config.optimizer, config.beta2, config.learning_rate) == ("adam", 0.99, 0.01)
    assert "beta1" not in model["config"] and "epsilon" not in model["config"]
    data = load_dataset(dataset="moons")
    expected = train([config], data.X_train, data.y_train, data.X_test, data.y_test)
    assert [cost for _, cost in model["costs"]] == expected.history.cost[0].tolist()
    _, out, _ = run_cli(capsys, *options)
    [plain] = json.loads(out)["models"]
    assert not {"optimizer", "beta1", "beta2", "epsilon"} & set(plain["config"])
    assert plain["costs"][0] == model["costs"][0]  # the same initial weights
    assert plain["costs"][-1] != model["costs"][-1]
    code, out, _ = run_cli(
        capsys, "train", "--dataset", "moons", "--optimizer", "momentum", *SHORT_RUN
    )
    assert (
        code == 0
        and "model:   no regularization, momentum\n" in out
        and " optimizer=momentum" in out
    )


def test_train_notes_adam_at_a_gradient_descent_rate(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["train", "--dataset", "moons", *SHORT_RUN, "--optimizer", "adam"]
    code, _, err = run_cli(capsys, *options)
    assert code == 0 and "note: Adam is usually run at --learning-rate 0.001 to 0.01" in err
    code, _, err = run_cli(capsys, *options, "--learning-rate", "0.005")
    assert code == 0 and "Adam" not in err


def test_the_installed_metadata_says_the_version_reglab_says() -> None:
    """The version is written once (reglab/version.py); the build copies it into the metadata."""
    import importlib.metadata

    assert importlib.metadata.version("reglab") == reglab.__version__
