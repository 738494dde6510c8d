"""Saved models: one trained network with its configuration and classes, in one safe file.

:class:`SavedModel` holds what predicting needs (weights, classes, feature count) and
what says where it came from (configuration, reglab version, the data's sha256);
:func:`save_model` and :func:`load_model` write and read it as a safetensors file
(docs/model-file.md). Loading runs no code from the file. :func:`export_onnx` writes
the model as an ONNX graph (the optional onnx package).
"""

from reglab.models.files import FORMAT_VERSION, load_model, save_model
from reglab.models.onnx_export import export_onnx, to_onnx
from reglab.models.saved import SavedModel

__all__ = ["FORMAT_VERSION", "SavedModel", "export_onnx", "load_model", "save_model", "to_onnx"]
