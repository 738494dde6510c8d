"""A saved model as an ONNX graph: float64 rows in, labels and probabilities out.

The graph follows scikit-learn's classifiers as skl2onnx exports them without
ZipMap: input ``X`` of shape ``(N, n_features)``, outputs ``label`` ``(N,)`` (the
classes' own type: int64, double, bool or string) and ``probabilities``
``(N, n_classes)``, binary ``[1 - p, p]``. Every value is double, which
onnxruntime's CPU kernels for MatMul, Add, Relu, Sigmoid, Softmax, Sub, Concat and
ArgMax support, so the outputs equal reglab's to about 1e-15.
The ``onnx`` package is optional (``pip install "reglab[onnx]"``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reglab.atomic import write_atomically
from reglab.errors import OptionalDependencyError
from reglab.models.saved import SavedModel

if TYPE_CHECKING:
    import onnx

OPSET = 17
"""The ai.onnx opset: Softmax over one axis (13+), supported by onnxruntime since 1.11."""
IR_VERSION = 8
"""The ONNX IR version of opset 17, which every onnxruntime that runs opset 17 reads."""
INSTALL_HINT = 'pip install "reglab[onnx]"'


def import_onnx() -> Any:
    """The ``onnx`` module, or :class:`OptionalDependencyError` naming how to install it."""
    try:
        import onnx
    except ImportError:
        raise OptionalDependencyError(
            f"exporting to ONNX needs the onnx package. Install it with: {INSTALL_HINT}"
        ) from None
    return onnx


def _label_tensor(onnx: Any, classes: tuple[Any, ...]) -> tuple[Any, int]:
    """The classes as an ONNX constant tensor, and its element type."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    kinds = {
        str: TensorProto.STRING,
        bool: TensorProto.BOOL,
        int: TensorProto.INT64,
        float: TensorProto.DOUBLE,
    }
    kind = kinds[type(classes[0])]
    values = [label.encode() for label in classes] if kind == TensorProto.STRING else list(classes)
    return helper.make_tensor("classes", kind, [len(classes)], values), kind


def to_onnx(model: SavedModel) -> onnx.ModelProto:
    """The ONNX graph of ``model`` (checked by ``onnx.checker``)."""
    onnx_module = import_onnx()
    proto: onnx.ModelProto = _graph(onnx_module, model)
    onnx_module.checker.check_model(proto, full_check=True)
    return proto


def _graph(onnx: Any, model: SavedModel) -> Any:
    """The model proto, built with ``onnx.helper``."""
    helper, numpy_helper, TensorProto = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    nodes = []
    initializers = []
    current = "X"
    last = len(model.weights)
    for l, (W, b) in enumerate(zip(model.weights, model.biases, strict=True), start=1):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(W.T), f"W{l}_T"))
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(b[:, 0]), f"b{l}"))
        nodes.append(helper.make_node("MatMul", [current, f"W{l}_T"], [f"XW{l}"]))
        nodes.append(helper.make_node("Add", [f"XW{l}", f"b{l}"], [f"Z{l}"]))
        if l < last:
            nodes.append(helper.make_node("Relu", [f"Z{l}"], [f"A{l}"]))
            current = f"A{l}"
    if model.n_classes == 2:
        initializers.append(numpy_helper.from_array(np.array(1.0), "one"))
        nodes += [
            helper.make_node("Sigmoid", [f"Z{last}"], ["p"]),
            helper.make_node("Sub", ["one", "p"], ["q"]),
            helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1),
        ]
        scores = "probabilities"  # ArgMax's first maximum: 1 exactly when p > 0.5 (1 - p is exact)
    else:
        nodes.append(helper.make_node("Softmax", [f"Z{last}"], ["probabilities"], axis=1))
        scores = f"Z{last}"  # the engine's rule: the largest logit, the lowest index on ties
    classes, label_type = _label_tensor(onnx, model.classes)
    initializers.append(classes)
    nodes += [
        helper.make_node("ArgMax", [scores], ["index"], axis=1, keepdims=0),
        helper.make_node("Gather", ["classes", "index"], ["label"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        "reglab",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", model.n_features])],
        [
            helper.make_tensor_value_info("label", label_type, ["N"]),
            helper.make_tensor_value_info(
                "probabilities", TensorProto.DOUBLE, ["N", model.n_classes]
            ),
        ],
        initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="reglab",
        producer_version=model.reglab_version,
        doc_string=f"reglab model: layers {list(model.config.layers)}",
    )
    proto.ir_version = IR_VERSION
    return proto


def export_onnx(model: SavedModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s ONNX graph to ``path`` and return the path."""
    proto = to_onnx(model)
    destination = Path(path)
    write_atomically(destination, proto.SerializeToString())
    return destination
