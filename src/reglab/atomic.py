"""Writing a file whole or not at all: figures, reports, model files and ONNX graphs."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    A reader never sees half a file, and a failure leaves ``path`` as it was. The
    temporary file is created with the usual permissions (0o666 less the umask) and
    removed if anything fails. Raises :class:`OSError` naming ``path`` (not the
    temporary file, which the caller never chose) on failure.
    """
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _naming(error, path) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` again, of the same class, about ``path``."""
    return type(error)(error.errno, error.strerror or str(error), str(path))
