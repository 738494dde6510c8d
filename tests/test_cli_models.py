"""`reglab train --save`, `reglab predict` and `reglab export` from the command line."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reglab.cli import main
from reglab.config import TrainConfig
from reglab.data.sources import load_dataset
from reglab.models import SavedModel, load_model, save_model

QUICK = ["--dataset", "moons", "--iterations", "300", "--record-every", "100"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "moons.safetensors"
    assert main(["train", *QUICK, "--l2", "0.1", "--save", str(path), "--json"]) == 0
    return path


def test_train_saves_the_model_it_reports(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = load_model(trained)
    assert model.config.l2 == 0.1 and model.config.layers == (2, 20, 3, 1)
    assert model.classes == (0, 1) and model.n_features == 2
    dataset = load_dataset(dataset="moons")
    assert model.data_sha256 == dataset.sha256  # None for a generated dataset
    assert main(["train", *QUICK, "--l2", "0.1", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)["models"][0]
    predicted = model.predict(dataset.X_test.T)
    assert np.mean(predicted == dataset.y_test[0]) == reported["test_accuracy"]


def test_train_saves_the_data_files_sha256(tmp_path: Path) -> None:
    rows = np.random.default_rng(0).normal(size=(40, 2))
    labels = (rows[:, 0] > 0).astype(int)
    data = tmp_path / "points.csv"
    data.write_text(
        "".join(f"{float(a)!r},{float(b)!r},{y}\n" for (a, b), y in zip(rows, labels, strict=True))
    )
    out = tmp_path / "m.safetensors"
    argv = ["train", "--data", str(data), "--iterations", "10", "--save", str(out), "--json"]
    assert main(argv) == 0
    import hashlib

    assert load_model(out).data_sha256 == hashlib.sha256(data.read_bytes()).hexdigest()


def test_the_model_file_may_go_into_the_directory_out_creates(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["train", *QUICK, "--out", str(out), "--save", str(out / "m.safetensors")]
    assert main([*argv, "--report", str(out / "report.html")]) == 0
    assert load_model(out / "m.safetensors").config.layers == (2, 20, 3, 1)
    assert (out / "report.html").is_file()


def _rows(tmp_path: Path, labels: bool, header: bool = False) -> tuple[Path, Any, Any]:
    dataset = load_dataset(dataset="moons")
    X, y = dataset.X_test.T[:30], dataset.y_test[0, :30].astype(int)
    path = tmp_path / ("labelled.csv" if labels else "features.csv")
    lines = ["x1,x2,label" if labels else "x1,x2"] if header else []
    for (a, b), label in zip(X, y, strict=True):
        lines.append(
            f"{float(a)!r},{float(b)!r},{label}" if labels else f"{float(a)!r},{float(b)!r}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path, X, y


@pytest.mark.parametrize("header", [False, True])
def test_predict_with_and_without_labels(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], header: bool
) -> None:
    model = load_model(trained)
    for labels in (False, True):
        path, X, y = _rows(tmp_path, labels, header)
        assert main(["predict", str(trained), "--data", str(path), "--json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["predictions"] == model.predict(X).tolist()
        assert document["probabilities"] == model.predict_proba(X)[:, 1].tolist()
        assert ("accuracy" in document) is labels
        if labels:
            assert document["accuracy"] == np.mean(model.predict(X) == y)
        assert main(["predict", str(trained), "--data", str(path)]) == 0
        text = capsys.readouterr().out.splitlines()
        assert text[0].split() == [
            "row",
            *(["label"] if labels else []),
            "prediction",
            "p(0)",
            "p(1)",
        ]
        assert len(text) == 1 + 30 + (2 if labels else 0)
        if labels:
            correct = int(np.sum(model.predict(X) == y))
            assert text[-1].startswith("accuracy: ") and text[-1].endswith(f"({correct}/30)")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,2,3,4\n", "expected 2 feature columns (the model's), or 3 with a label column last"),
        ("1\n", "Received: 1 column(s) on line 1"),
        ("1,2,7\n", "labels must be one of the model's classes 0, 1. Received: '7'"),
        ("1,x\n", "line 1, column 2: expected a number. Received: 'x'"),
        ("1,nan\n", "values must be finite"),
        ("1,2\n3\n", "line 2: expected 2 columns like line 1"),
        ("", "the file is empty"),
        ("a,b\n", "has a header (line 1) but no data rows"),
    ],
)
def test_a_bad_csv_for_predict_is_one_line(
    trained: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["predict", str(trained), "--data", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("reglab: error: ")
    assert message in err


def test_predict_names_a_directory_given_as_data(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["predict", str(trained), "--data", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"reglab: error: {tmp_path} is a directory. Expected a CSV file\n"
    )


def test_a_label_written_as_a_float_is_its_class(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "floats.csv"
    path.write_text("0.5,0.2,1.0\n-1,0.5,0.0\n")
    assert main(["predict", str(trained), "--data", str(path), "--json"]) == 0
    assert "accuracy" in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--save", "/dev/full"], "save must be a regular file or a new path"),
        (["--save", "{tmp}"], "save must be a regular file or a new path"),
        (["--save", "{tmp}/missing/m.safetensors"], "does not exist"),
        (["--save", ""], "save must be a non-empty path"),
    ],
)
def test_a_bad_save_destination_is_refused_before_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    def blocked(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr("reglab.engine.training.run_models", blocked)
    argv = [part.replace("{tmp}", str(tmp_path)) for part in argv]
    assert main(["train", *QUICK, *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Received: save=" in err


def test_export_without_onnx_names_the_extra(
    trained: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real_import = builtins.__import__

    def no_onnx(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    out = tmp_path / "m.onnx"
    assert main(["export", str(trained), str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "reglab: error: exporting to ONNX needs the onnx package. "
        'Install it with: pip install "reglab[onnx]"\n'
    )
    assert not out.exists()


def test_export_refuses_a_device_destination(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(trained), "/dev/full"]) == 2
    assert "out must be a regular file or a new path" in capsys.readouterr().err


def test_export_to_a_missing_directory_is_one_line_naming_out(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "m.onnx"
    assert main(["export", str(trained), str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "reglab: error: out must be a file in a writable directory that exists "
        f"({out.parent} does not exist). Received: out={str(out)!r}\n"
    )


def test_export_over_its_own_model_file_is_refused(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.safetensors"
    model.write_bytes(trained.read_bytes())
    assert main(["export", str(model), str(model)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "out must be a file other than the --model file it reads" in err
    assert model.read_bytes() == trained.read_bytes()


@pytest.mark.parametrize(
    ("outputs", "parameter", "source"),
    [
        (["--save", "{csv}"], "save", "data"),
        (["--report", "{csv}"], "report", "data"),
        (["--save", "{tmp}/both", "--report", "{tmp}/both"], "save", "report"),
    ],
)
def test_train_never_writes_over_its_data_or_its_other_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    outputs: list[str],
    parameter: str,
    source: str,
) -> None:
    def blocked(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr("reglab.engine.training.run_models", blocked)
    csv = tmp_path / "points.csv"
    rows = np.random.default_rng(0).normal(size=(40, 2))
    text = "".join(f"{a},{b},{i % 2}\n" for i, (a, b) in enumerate(rows))
    csv.write_text(text)
    outputs = [part.replace("{csv}", str(csv)).replace("{tmp}", str(tmp_path)) for part in outputs]
    assert main(["train", "--data", str(csv), "--iterations", "10", *outputs]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{parameter} must be a file other than the --{source} file it reads" in err
    assert csv.read_text() == text


def test_rows_that_overflow_a_softmax_are_refused_not_predicted_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.safetensors"
    data = ["--dataset", "spiral", "--classes", "3", "--iterations", "50"]
    assert main(["train", *data, "--save", str(model)]) == 0
    csv = tmp_path / "rows.csv"
    csv.write_text("0.1,0.2\n1e308,1e308\n")
    capsys.readouterr()
    assert main(["predict", str(model), "--data", str(csv)]) == 2
    captured = capsys.readouterr()
    assert "nan" not in captured.out
    assert captured.err == (
        "reglab: error: inputs must be small enough for the model's outputs to be finite. "
        "Received: 1 row(s) that overflow the network, the first at index 1 (row 2)\n"
    )
    rows = np.array([[0.1, 0.2], [3.0, -1.0]])
    loaded = load_model(model)
    assert np.isfinite(loaded.predict_proba(rows)).all()  # ordinary rows still predict
    assert loaded.predict(rows).shape == (2,)


def test_a_sigmoid_saturated_by_huge_rows_predicts_without_warnings(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("0.1,0.2\n1e308,1e308\n")
    assert main(["predict", str(trained), "--data", str(csv), "--json"]) == 0  # warnings: errors
    probabilities = json.loads(capsys.readouterr().out)["probabilities"]
    assert all(0.0 <= p <= 1.0 for p in probabilities)


def test_predict_a_softmax_model_with_text_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)
    model = SavedModel(
        config=TrainConfig(layers=(2, 4, 3)),
        weights=(rng.normal(size=(4, 2)), rng.normal(size=(3, 4))),
        biases=(rng.normal(size=(4, 1)), rng.normal(size=(3, 1))),
        classes=("red", "green", "blue"),
        n_features=2,
        data_sha256=None,
        reglab_version="0.3.1",
    )
    path = save_model(tmp_path / "colours.safetensors", model)
    X = rng.normal(scale=3.0, size=(40, 2))
    truth = model.predict(X)
    truth[:10] = "red"  # some rows wrong, unless the model said red
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "x,y,colour\n"
        + "".join(f"{a!r},{b!r},{c}\n" for (a, b), c in zip(X.tolist(), truth, strict=True))
    )
    assert main(["predict", str(path), "--data", str(rows), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["predictions"] == model.predict(X).tolist()
    assert document["probabilities"] == model.predict_proba(X).tolist()
    assert document["accuracy"] == np.mean(model.predict(X) == truth)
    assert len(set(document["predictions"])) >= 2
    assert main(["predict", str(path), "--data", str(rows)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "row",
        "label",
        "prediction",
        "p(red)",
        "p(green)",
        "p(blue)",
    ]
    rows.write_text("1,2,purple\n")
    assert main(["predict", str(path), "--data", str(rows)]) == 2
    assert "classes red, green, blue. Received: 'purple'" in capsys.readouterr().err


def test_train_saves_a_three_class_model_that_predict_scores_as_train_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "spiral.safetensors"
    spiral = ["--dataset", "spiral", "--classes", "3", "--iterations", "300"]
    assert main(["train", *spiral, "--save", str(out), "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)["models"][0]
    model = load_model(out)
    assert model.classes == (0, 1, 2) and model.config.layers == (2, 20, 3, 3)
    dataset = load_dataset(dataset="spiral", classes=3)
    rows = tmp_path / "test.csv"
    rows.write_text(
        "".join(
            f"{a!r},{b!r},{int(y)}\n"
            for (a, b), y in zip(dataset.X_test.T.tolist(), dataset.y_test[0], strict=True)
        )
    )
    assert main(["predict", str(out), "--data", str(rows), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["accuracy"] == reported["test_accuracy"]
    assert np.array(document["probabilities"]).shape == (dataset.X_test.shape[1], 3)
