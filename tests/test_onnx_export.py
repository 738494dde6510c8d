"""`reglab export`: the ONNX graph, run by onnxruntime, gives reglab's labels and
probabilities (float64, to 1e-12) on random networks of several shapes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest

from model_helpers import random_model
from reglab.cli import main
from reglab.config import TrainConfig
from reglab.models import SavedModel, save_model
from reglab.models.onnx_export import OPSET, to_onnx

SHAPES = [(2, 1), (2, 20, 3, 1), (5, 8, 1), (1, 3, 3, 3, 1), (7, 64, 32, 1)]
CLASSES = [(0, 1), ("spam", "ham"), (False, True), (-0.5, 2.0)]
SOFTMAX_SHAPES = [(2, 3), (2, 20, 3, 3), (4, 16, 5), (3, 8, 8, 10)]


def softmax_classes(n: int, seed: int) -> tuple[object, ...]:
    """C labels of one of three kinds: 0..C-1, strings, floats."""
    return [tuple(range(n)), tuple(f"class {c}" for c in range(n)), tuple(c / 2 for c in range(n))][
        seed % 3
    ]


def run_onnx(data: bytes, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["X"]
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    label, probabilities = session.run(None, {"X": X})
    return label, probabilities


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_graph_gives_reglabs_probabilities_and_labels(
    layers: tuple[int, ...], seed: int
) -> None:
    classes = CLASSES[seed % len(CLASSES)]
    model = random_model(layers, classes, seed)
    X = np.random.default_rng(100 + seed).normal(scale=2.0, size=(200, layers[0]))
    label, probabilities = run_onnx(to_onnx(model).SerializeToString(), X)
    assert probabilities.dtype == np.float64 and probabilities.shape == (200, 2)
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-12)
    assert label.shape == (200,)
    expected = model.predict(X)
    if isinstance(classes[0], str):
        label = label.astype(str)
    assert label.tolist() == expected.tolist()


@pytest.mark.parametrize("layers", SOFTMAX_SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_softmax_graph_gives_reglabs_probabilities_and_labels(
    layers: tuple[int, ...], seed: int
) -> None:
    n_classes = layers[-1]
    classes = softmax_classes(n_classes, seed)
    model = random_model(layers, classes, seed)
    X = np.random.default_rng(200 + seed).normal(scale=2.0, size=(300, layers[0]))
    label, probabilities = run_onnx(to_onnx(model).SerializeToString(), X)
    assert probabilities.dtype == np.float64 and probabilities.shape == (300, n_classes)
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-12)
    expected = model.predict(X)
    assert len(set(expected.tolist())) >= 2  # the labels are not all one: the test can fail
    if isinstance(classes[0], str):
        label = label.astype(str)
    assert label.tolist() == expected.tolist()


def test_every_kind_of_label_comes_out_as_itself() -> None:
    X = np.random.default_rng(7).normal(size=(300, 2))
    for classes in CLASSES:
        model = random_model((2, 6, 1), classes, 9)
        p = model.predict_proba(X)[:, 1]
        centre = float(np.median(np.log(p / (1 - p))))  # half the rows on each side of 0.5
        model = replace(model, biases=(model.biases[0], model.biases[1] - centre))
        label, _ = run_onnx(to_onnx(model).SerializeToString(), X)
        assert set(label.tolist()) == set(classes)  # both classes occur, typed as given


def test_a_probability_of_one_half_is_the_first_class_as_in_reglab() -> None:
    """The course's rule p > 0.5: a zero logit is class 0, in reglab and in the graph."""
    model = SavedModel(
        config=TrainConfig(layers=(2, 1)),
        weights=(np.array([[1.0, -1.0]]),),
        biases=(np.zeros((1, 1)),),
        classes=(0, 1),
        n_features=2,
        data_sha256=None,
        reglab_version="0.3.1",
    )
    X = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
    label, probabilities = run_onnx(to_onnx(model).SerializeToString(), X)
    assert label.tolist() == model.predict(X).tolist() == [0, 1, 0]
    assert probabilities[0].tolist() == [0.5, 0.5]


def test_the_graph_is_double_precision_at_the_chosen_opset() -> None:
    proto = to_onnx(random_model((2, 20, 3, 1), (0, 1), 0))
    assert [o.version for o in proto.opset_import] == [OPSET]
    assert {i.data_type for i in proto.graph.initializer if i.name != "classes"} == {
        onnx.TensorProto.DOUBLE
    }
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


def test_export_writes_a_file_onnxruntime_runs(tmp_path: Path) -> None:
    model = random_model((2, 20, 3, 1), ("a", "b"), 4)
    save_model(tmp_path / "m.safetensors", model)
    out = tmp_path / "m.onnx"
    assert main(["export", str(tmp_path / "m.safetensors"), str(out)]) == 0
    X = np.random.default_rng(0).normal(size=(50, 2))
    label, probabilities = run_onnx(out.read_bytes(), X)
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-12)
    assert label.astype(str).tolist() == model.predict(X).tolist()
