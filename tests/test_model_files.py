"""Saved models: the round trip is bit-exact, predictions are the engine's, and every wrong
or damaged model file is refused in one line with exit code 2 (a table, as in
tests/test_bad_inputs.py), before anything is predicted or written."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save

import reglab
from model_helpers import SHA, random_model
from reglab.cli import main
from reglab.config import TrainConfig
from reglab.engine import train
from reglab.engine.network import Parameters, predict_proba
from reglab.errors import DataError, ParameterError
from reglab.models import SavedModel, load_model, save_model
from reglab.models.files import METADATA_KEYS


def assert_same(a: SavedModel, b: SavedModel) -> None:
    assert a.config == b.config
    assert (a.classes, a.n_features, a.data_sha256, a.reglab_version) == (
        b.classes,
        b.n_features,
        b.data_sha256,
        b.reglab_version,
    )
    for x, y in zip((*a.weights, *a.biases), (*b.weights, *b.biases), strict=True):
        assert x.dtype == y.dtype == np.float64 and x.shape == y.shape
        assert x.tobytes() == y.tobytes()  # bit-exact, NaN-free by construction


@pytest.mark.parametrize(
    ("layers", "classes"),
    [
        ((2, 5, 1), (0, 1)),
        ((3, 4, 4, 1), ("no", "yes")),
        ((1, 1), (False, True)),
        ((4, 20, 3, 1), (-1.5, 2.25)),
        ((2, 8, 3), ("a", "b", "c")),
        ((3, 5, 4, 10), tuple(range(10))),
    ],
)
def test_a_saved_model_loads_bit_for_bit(
    tmp_path: Path, layers: tuple[int, ...], classes: tuple[object, ...]
) -> None:
    model = random_model(layers, classes)
    path = save_model(tmp_path / "m.safetensors", model)
    loaded = load_model(path)
    assert_same(model, loaded)
    X = np.random.default_rng(1).normal(size=(9, layers[0]))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.predict(X)) == list(model.predict(X))


def test_reglab_load_model_is_the_models_one_and_loads_lazily() -> None:
    assert reglab.load_model is load_model
    code = "import sys, reglab; print('reglab.models' in sys.modules, 'safetensors' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"


@pytest.mark.parametrize(
    "classes",
    [
        np.array([3, 7]),
        np.array(["no", "yes"]),
        (np.float64(0.5), np.float64(1.5)),
        np.array([0, 1]) == 1,
    ],
)
def test_numpy_classes_are_kept_as_python_scalars(tmp_path: Path, classes: object) -> None:
    """An estimator's ``classes_`` array saves as it is, and loads as the same labels."""
    model = random_model(classes=classes)  # type: ignore[arg-type]
    assert all(type(label) in (int, str, float, bool) for label in model.classes)
    assert load_model(save_model(tmp_path / "m.safetensors", model)).classes == model.classes
    assert model.classes == tuple(np.asarray(classes).tolist())


def test_predictions_are_the_engines_in_scikit_learns_layout() -> None:
    model = random_model((3, 6, 2, 1), ("cat", "dog"), seed=9)
    X = np.random.default_rng(2).normal(size=(50, 3))
    params = Parameters.stack([(model.weights, model.biases)])
    p = predict_proba(params, np.ascontiguousarray(X.T))[0, 0]
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (50, 2)
    np.testing.assert_array_equal(probabilities[:, 1], p)
    np.testing.assert_array_equal(probabilities[:, 0], 1 - p)
    assert list(model.predict(X)) == ["dog" if q > 0.5 else "cat" for q in p]
    assert 0 < (p > 0.5).sum() < 50  # both classes occur: the test can fail


def test_a_trained_model_saves_its_configuration_and_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 40))
    Y = (X[:1] > 0).astype(float)
    result = train([TrainConfig(layers=(2, 4, 1), iterations=50, init="he", seed=3)], X, Y)
    model = SavedModel.from_trained(result, 0, data_sha256=SHA)
    assert model.classes == (0, 1) and model.reglab_version == reglab.__version__
    loaded = load_model(save_model(tmp_path / "t.safetensors", model))
    assert_same(model, loaded)
    params = result.parameters
    np.testing.assert_array_equal(loaded.predict_proba(X.T)[:, 1], predict_proba(params, X)[0, 0])


def test_a_softmax_model_predicts_as_the_engine_does(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 60))
    Y = np.argmax(np.stack([X[0], X[1], -X[0] - X[1]]), axis=0)[np.newaxis].astype(float)
    result = train([TrainConfig(layers=(2, 6, 3), iterations=200, init="he", seed=1)], X, Y)
    model = load_model(save_model(tmp_path / "s.safetensors", SavedModel.from_trained(result)))
    assert model.classes == (0, 1, 2) and model.n_classes == 3
    probabilities = model.predict_proba(X.T)
    assert probabilities.shape == (60, 3)
    np.testing.assert_array_equal(probabilities, predict_proba(result.parameters, X)[0].T)
    accuracy = np.mean(model.predict(X.T) == Y[0])
    assert accuracy == result.train_accuracy[0] and accuracy > 0.5


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"classes": (0, 1, 2)}, "classes"),
        ({"classes": (0, "1")}, "classes"),
        ({"classes": (1, 1)}, "classes"),
        ({"classes": ([0], [1])}, "classes"),
        ({"classes": (float("nan"), 1.0)}, "classes"),
        ({"classes": (0, 2**63)}, "classes"),
        ({"n_features": True}, "n_features"),
        ({"n_features": 3}, "n_features"),
        ({"data_sha256": "xyz"}, "data_sha256"),
        ({"weights": (np.zeros((4, 2)), np.zeros((1, 5)))}, "W1"),
        ({"weights": (np.full((5, 2), np.nan), np.zeros((1, 5)))}, "W1"),
        ({"biases": (np.zeros((5, 1)),)}, "weights"),
    ],
)
def test_a_saved_model_is_checked_when_built(change: dict[str, object], parameter: str) -> None:
    good = random_model()
    fields = {name: getattr(good, name) for name in good.__dataclass_fields__}
    with pytest.raises(ParameterError, match=f"^{parameter} must "):
        SavedModel(**{**fields, **change})  # type: ignore[arg-type]


def test_predicting_checks_the_rows() -> None:
    model = random_model()
    with pytest.raises(DataError, match=r"shape \(n, 2\).*Received: shape \(3, 3\)"):
        model.predict(np.zeros((3, 3)))
    with pytest.raises(DataError, match="finite"):
        model.predict_proba(np.array([[0.0, np.inf]]))


# Every wrong or damaged file: built from a good one, refused by `reglab predict` in one line.


def _parts(model: SavedModel) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    tensors = {}
    for l, (W, b) in enumerate(zip(model.weights, model.biases, strict=True), start=1):
        tensors[f"weights.{l}"], tensors[f"biases.{l}"] = W, b
    metadata = {
        "format": '"reglab-model"',
        "format_version": "1",
        "config": json.dumps(model.config.to_dict()),
        "classes": json.dumps(list(model.classes)),
        "n_features": "2",
        "data_sha256": json.dumps(model.data_sha256),
        "reglab_version": json.dumps(model.reglab_version),
    }
    return tensors, metadata


Edit = Callable[[dict[str, np.ndarray], dict[str, str]], None]


def _crafted(edit: Edit) -> bytes:
    tensors, metadata = _parts(random_model())
    edit(tensors, metadata)
    return save(tensors, metadata=metadata)


def _good() -> bytes:
    return _crafted(lambda tensors, metadata: None)


def _config(**change: object) -> Edit:
    def edit(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
        metadata["config"] = json.dumps({**json.loads(metadata["config"]), **change})

    return edit


def _set(key: str, value: str | None) -> Edit:
    def edit(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
        if value is None:
            del metadata[key]
        else:
            metadata[key] = value

    return edit


def _tensor(name: str, value: np.ndarray | None) -> Edit:
    def edit(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value

    return edit


def _nan_bias(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    tensors["biases.2"] = np.array([[np.nan]])


def _plain_safetensors() -> bytes:
    return save({"weight": np.zeros((2, 2))})


NOT_MODEL = "a model file must be a reglab model"
VALID = "a model file must describe a valid model"

# (name, the file's bytes, a part of the rule, a part of what was received)
BAD_FILES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("a CSV", lambda: b"x1,x2,label\n0,1,1\n", NOT_MODEL, "no whole safetensors header"),
    ("empty", lambda: b"", NOT_MODEL, "0 bytes"),
    ("random bytes", lambda: bytes(range(256)) * 4, NOT_MODEL, "truncated"),
    ("text after a header", lambda: b"\x02\0\0\0\0\0\0\0{}" + b"x", NOT_MODEL, "no format key"),
    ("header not JSON", lambda: b"\x04\0\0\0\0\0\0\0abcd", NOT_MODEL, "no JSON header"),
    ("truncated in the header", lambda: _good()[:100], NOT_MODEL, "truncated"),
    ("truncated in the data", lambda: _good()[:-8], "whole safetensors file", "Error"),
    ("another safetensors file", _plain_safetensors, NOT_MODEL, "no format key"),
    ("another format", lambda: _crafted(_set("format", '"gguf"')), NOT_MODEL, "format"),
    ("a newer version", lambda: _crafted(_set("format_version", "2")), "or older", "version 2"),
    ("a version not a number", lambda: _crafted(_set("format_version", "one")), ">= 1", "one"),
    ("version 0", lambda: _crafted(_set("format_version", "0")), ">= 1", "'0'"),
    ("no classes", lambda: _crafted(_set("classes", None)), "have the keys", "no 'classes'"),
    ("no config", lambda: _crafted(_set("config", None)), "have the keys", "no 'config'"),
    ("an unknown key", lambda: _crafted(_set("extra", "1")), "have only the keys", "'extra'"),
    ("config not JSON", lambda: _crafted(_set("config", "{layers")), "hold JSON", "{layers"),
    ("config a list", lambda: _crafted(_set("config", "[2, 5, 1]")), "JSON object", "[2, 5"),
    ("config out of range", lambda: _crafted(_config(keep_prob=2)), VALID, "keep_prob must"),
    ("config unknown key", lambda: _crafted(_config(lambd=1)), VALID, "config keys must"),
    ("shapes not the config's", lambda: _crafted(_config(layers=[2, 4, 1])), VALID, "W1 must"),
    ("a missing tensor", lambda: _crafted(_tensor("biases.2", None)), "hold the tensors", "b"),
    (
        "float32 weights",
        lambda: _crafted(_tensor("weights.1", np.zeros((5, 2), np.float32))),
        "float64",
        "float32",
    ),
    ("NaN weights", lambda: _crafted(_nan_bias), VALID, "b2 must be finite"),
    ("classes not scalars", lambda: _crafted(_set("classes", "[[0], [1]]")), VALID, "classes"),
    ("classes NaN", lambda: _crafted(_set("classes", "[NaN, 1]")), "hold JSON", "NaN"),
    ("three classes", lambda: _crafted(_set("classes", "[0, 1, 2]")), VALID, "classes must"),
    ("classes mixed", lambda: _crafted(_set("classes", '[0, "1"]')), VALID, "classes must"),
    ("a null class list", lambda: _crafted(_set("classes", "null")), VALID, "classes must"),
    ("n_features wrong", lambda: _crafted(_set("n_features", "3")), VALID, "n_features must"),
    ("a bad sha256", lambda: _crafted(_set("data_sha256", '"x"')), VALID, "data_sha256"),
    ("no version text", lambda: _crafted(_set("reglab_version", '""')), VALID, "reglab_version"),
    (
        "a version of 5,000 digits",
        lambda: _crafted(_set("format_version", "9" * 5000)),
        "or older",
        "(5000 digits)",
    ),
    (
        "config nested past Python's stack",
        lambda: _crafted(_set("config", "[" * 100_000 + "]" * 100_000)),
        "hold JSON",
        "[[[",
    ),
    (
        "a header nested past Python's stack",
        lambda: struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000,
        NOT_MODEL,
        "no JSON header",
    ),
]


@pytest.mark.parametrize(
    ("make", "rule", "received"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
@pytest.mark.parametrize("command", ["predict", "export"])
def test_a_bad_model_file_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    make: Callable[[], bytes],
    rule: str,
    received: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.safetensors").write_bytes(make())
    Path("rows.csv").write_text("0,1\n1,0\n")
    argv = ["predict", "bad.safetensors", "--data", "rows.csv"]
    if command == "export":
        argv = ["export", "bad.safetensors", "out.onnx"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err.startswith("reglab: error: bad.safetensors: ") and err.count("\n") == 1
    assert rule in err and "Received: " in err
    assert received in err.split("Received: ", 1)[1]
    assert not Path("out.onnx").exists()


def test_the_good_file_of_the_table_loads(tmp_path: Path) -> None:
    """The bad files are each one change away from a good one."""
    (tmp_path / "good.safetensors").write_bytes(_good())
    assert_same(load_model(tmp_path / "good.safetensors"), random_model())
    assert set(_parts(random_model())[1]) == set(METADATA_KEYS)


@pytest.mark.parametrize(
    ("path", "received"),
    [(".", "a directory"), ("/dev/zero", "a FIFO or a device"), ("missing.safetensors", "No such")],
)
def test_a_model_path_that_is_no_file_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    path: str,
    received: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rows.csv").write_text("0,1\n")
    assert main(["predict", path, "--data", "rows.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a model file must be" in err and received in err


json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = (
    json_scalars
    | st.lists(json_scalars | st.lists(json_scalars, max_size=3), max_size=4)
    | st.dictionaries(
        st.sampled_from(["layers", "l2", "seed", "x"]),
        json_scalars | st.lists(json_scalars, max_size=4),
        max_size=3,
    )
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(METADATA_KEYS), value=json_values)
def test_any_json_in_any_key_loads_or_is_a_data_error(key: str, value: object) -> None:
    """No value of the header ends in another exception (a traceback at the command line)."""
    data = _crafted(_set(key, json.dumps(value)))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.safetensors"
        path.write_bytes(data)
        try:
            load_model(path)
        except DataError as error:
            assert "\n" not in str(error) and "a model file must" in str(error)
