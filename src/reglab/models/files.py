"""The model file: a safetensors file whose header holds the model's description.

safetensors is the field's format for weights that are safe to open: a JSON
header (tensor names, dtypes, shapes, offsets, and a str -> str ``__metadata__``)
followed by raw little-endian bytes. Reading it parses JSON and copies bytes, and
never runs code (unlike pickle, or NumPy files with ``allow_pickle``), so a model
file from a stranger is safe to load; any safetensors reader in any language sees
the weights. docs/model-file.md describes every key and the version rule.
"""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path
from typing import Any

import numpy as np

from reglab.atomic import write_atomically
from reglab.config import TrainConfig
from reglab.errors import DataError, ReglabError
from reglab.models.saved import SavedModel

FORMAT = "reglab-model"
"""The ``format`` key's value: what tells a reglab model from another safetensors file."""
FORMAT_VERSION = 1
"""The version this reglab writes, and the newest it reads (docs/model-file.md)."""
METADATA_KEYS = (
    "format",
    "format_version",
    "config",
    "classes",
    "n_features",
    "data_sha256",
    "reglab_version",
)
"""The header's ``__metadata__`` keys, every one required; values are JSON text."""
HEADER_LENGTH_BYTES = 8


def tensor_names(n_layers: int) -> list[str]:
    """``weights.1, biases.1, ..., weights.L, biases.L`` for ``n_layers`` = L layers of weights."""
    return [f"{kind}.{l}" for l in range(1, n_layers + 1) for kind in ("weights", "biases")]


def save_model(path: str | os.PathLike[str], model: SavedModel) -> Path:
    """Write ``model`` to ``path`` (replaced atomically) and return the path.

    Weights are stored as float64, so :func:`load_model` gives back the same
    bits. Raises :class:`OSError` when the file cannot be written.
    """
    from safetensors.numpy import save

    tensors: dict[str, np.ndarray[Any, Any]] = {}
    for l, (W, b) in enumerate(zip(model.weights, model.biases, strict=True), start=1):
        tensors[f"weights.{l}"] = np.ascontiguousarray(W, dtype=np.float64)
        tensors[f"biases.{l}"] = np.ascontiguousarray(b, dtype=np.float64)
    metadata = {
        "format": json.dumps(FORMAT),
        "format_version": json.dumps(FORMAT_VERSION),
        "config": json.dumps(model.config.to_dict()),
        "classes": json.dumps(list(model.classes)),
        "n_features": json.dumps(model.n_features),
        "data_sha256": json.dumps(model.data_sha256),
        "reglab_version": json.dumps(model.reglab_version),
    }
    destination = Path(path)
    write_atomically(destination, save(tensors, metadata=metadata))
    return destination


class ModelFileError(DataError):
    """A file that is not a reglab model this reglab can read: one line naming the file,
    what a model file must be and what was found."""

    def __init__(self, path: Path, rule: str, received: str) -> None:
        super().__init__(f"{path}: a model file must {rule}. Received: {received}")


def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model written by :func:`save_model` (any format version up to
    :data:`FORMAT_VERSION`).

    Raises:
        ModelFileError: (a :class:`DataError`) for anything but a whole, valid model
            file: missing, not a regular file, not safetensors, truncated, of a newer
            format version, a missing key, shapes not matching the configuration,
            non-finite weights, classes that are not distinct JSON scalars.
    """
    file = Path(path)
    data = _read(file)
    metadata = _metadata(file, data)
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load

        try:
            tensors = load(data)
        except SafetensorError as error:
            raise ModelFileError(file, "be a whole safetensors file", _one_line(error)) from None
        values = {key: _json_value(file, key, metadata[key]) for key in METADATA_KEYS[2:]}
        config = values["config"]
        if not isinstance(config, dict):
            raise ModelFileError(file, "hold a JSON object for 'config'", metadata["config"])
        layers = TrainConfig.from_dict(config).layers
        names = tensor_names(len(layers) - 1)
        if sorted(tensors) != sorted(names):
            raise ModelFileError(
                file,
                f"hold the tensors {', '.join(names)} (layers {layers})",
                ", ".join(sorted(tensors)) or "no tensors",
            )
        for name in names:
            if tensors[name].dtype != np.float64:
                raise ModelFileError(
                    file, "hold float64 (F64) tensors", f"{name} {tensors[name].dtype}"
                )
        return SavedModel(
            config=TrainConfig.from_dict(config),
            weights=tuple(tensors[f"weights.{l}"] for l in range(1, len(layers))),
            biases=tuple(tensors[f"biases.{l}"] for l in range(1, len(layers))),
            classes=values["classes"],
            n_features=values["n_features"],
            data_sha256=values["data_sha256"],
            reglab_version=values["reglab_version"],
        )
    except ModelFileError:
        raise
    except (ReglabError, TypeError) as error:  # a value the model's own checks refuse
        raise ModelFileError(file, "describe a valid model", _one_line(error)) from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _read(file: Path) -> bytes:
    """The file's bytes, if it is a regular file (a FIFO would block, a device never end)."""
    try:
        mode = file.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO or a device"
            raise ModelFileError(file, "be a regular file", kind)
        return file.read_bytes()
    except OSError as error:
        raise ModelFileError(file, "be a readable file", error.strerror or str(error)) from None


def _metadata(file: Path, data: bytes) -> dict[str, str]:
    """The header's ``__metadata__``, checked: a reglab model of a version this reglab reads,
    with every key. Read before the tensors, so another kind of file is named as such."""
    not_model = "be a reglab model (a safetensors file whose metadata has format 'reglab-model')"
    if len(data) < HEADER_LENGTH_BYTES:
        raise ModelFileError(file, not_model, f"{len(data)} bytes")
    (length,) = struct.unpack("<Q", data[:HEADER_LENGTH_BYTES])
    if length > len(data) - HEADER_LENGTH_BYTES:
        raise ModelFileError(
            file, not_model, f"no whole safetensors header in its {len(data)} bytes (truncated?)"
        )
    try:
        header = json.loads(data[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + length])
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: deep nesting
        raise ModelFileError(file, not_model, "no JSON header") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != json.dumps(FORMAT):
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise ModelFileError(file, not_model, f"format {found!r}" if found else "no format key")
    version = metadata.get("format_version")
    digits = version.lstrip("0") if isinstance(version, str) else ""
    if not (isinstance(version, str) and version.isascii() and version.isdigit() and digits):
        raise ModelFileError(file, "have a format_version >= 1", repr(version)[:60])
    # Compared as text first: int() of thousands of digits is refused by Python itself.
    if len(digits) > len(str(FORMAT_VERSION)) or int(digits) > FORMAT_VERSION:
        shown = digits if len(digits) <= 20 else f"{digits[:20]}... ({len(digits)} digits)"
        raise ModelFileError(
            file,
            f"be of format version {FORMAT_VERSION} or older to be read by this reglab "
            "(upgrade reglab to read it)",
            f"format version {shown}",
        )
    number = int(digits)
    missing = [key for key in METADATA_KEYS if key not in metadata]
    if missing:
        raise ModelFileError(
            file, f"have the keys {', '.join(METADATA_KEYS)}", f"no {missing[0]!r}"
        )
    unknown = sorted(set(metadata) - set(METADATA_KEYS))
    if unknown:
        raise ModelFileError(
            file,
            f"have only the keys {', '.join(METADATA_KEYS)} (format {number})",
            repr(unknown[0]),
        )
    if not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(file, "have text metadata values", repr(metadata))
    return metadata


def _json_value(file: Path, key: str, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        raise ModelFileError(file, f"hold JSON in {key!r}", repr(text[:60])) from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
