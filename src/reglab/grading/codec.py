"""Values between the grader and the learner's process, as JSON: no pickle either way.

The learner's process could send anything; a pickle from it would run code in
reglab's process when loaded. So values cross as JSON: arrays as dtype, shape and
base64 bytes (real numeric and boolean dtypes only), dicts, tuples, lists, numbers and
strings; anything else arrives as its ``repr``, which the comparison reports as a
value of the wrong type.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

_NUMERIC_KINDS = "biuf"  # complex values cannot be a right answer here: sent as text
_REPR_LIMIT = 200


class Opaque:
    """A value the learner's process could not send as data: only its text is known."""

    def __init__(self, text: str) -> None:
        """Wrap ``text``, the value's ``repr`` (shortened)."""
        self.text = text

    def __repr__(self) -> str:
        return self.text


def to_data(value: Any) -> Any:
    """A JSON-ready form of ``value`` (arrays, containers, numbers, strings)."""
    if isinstance(value, np.ndarray | np.generic) and not isinstance(value, np.str_):
        array = np.asarray(value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            return {"repr": repr(value)[:_REPR_LIMIT]}
        return {
            "array": {
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "data": base64.b64encode(array.tobytes(order="C")).decode("ascii"),
                "scalar": isinstance(value, np.generic),
            }
        }
    if isinstance(value, bool | int | float | str) or value is None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            return {"repr": repr(value)[:_REPR_LIMIT]}
        return value
    if isinstance(value, dict):
        return {"dict": [[str(key), to_data(item)] for key, item in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [to_data(item) for item in value]}
    if isinstance(value, list):
        return {"list": [to_data(item) for item in value]}
    return {"repr": repr(value)[:_REPR_LIMIT]}


def from_data(data: Any) -> Any:
    """The value :func:`to_data` encoded (an :class:`Opaque` for what it could not)."""
    if not isinstance(data, dict):
        return data
    if "array" in data:
        spec = data["array"]
        dtype = np.dtype(spec["dtype"])
        if dtype.kind not in _NUMERIC_KINDS:
            return Opaque(f"an array of dtype {dtype}")
        raw = base64.b64decode(spec["data"])
        array = np.frombuffer(raw, dtype=dtype).reshape(tuple(spec["shape"])).copy()
        return array[()] if spec.get("scalar") else array
    if "dict" in data:
        return {key: from_data(item) for key, item in data["dict"]}
    if "tuple" in data:
        return tuple(from_data(item) for item in data["tuple"])
    if "list" in data:
        return [from_data(item) for item in data["list"]]
    return Opaque(str(data.get("repr", "?")))


def dumps(message: Any) -> bytes:
    """One message as UTF-8 JSON (NaN and infinities allowed)."""
    return json.dumps(message).encode("utf-8")


def loads(raw: bytes) -> Any:
    """The message :func:`dumps` wrote."""
    return json.loads(raw.decode("utf-8"))
