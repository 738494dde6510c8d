"""How reglab compiles its kernel: Numba, cached on disk, never failing for want of a cache.

Numba checks a cached function against its own file only, not against the
files of the compiled functions it calls (their code is inside its cache).
So each kernel file that imports another (its compiled functions, or constants
compiled into its code) states the digest of those files, ``CALLEES_DIGEST``
(:func:`source_digest`, checked by tests/test_kernel.py against a table of who
imports whom): editing a callee forces an edit of each importer's digest, which
invalidates that file's cache, and so on up to :mod:`reglab.engine.kernel`.

Compiled functions are cached (``cache=True``) so the JIT cost (seconds) is
paid once per machine and source version, not on every command. Numba looks
for a writable cache directory in order: ``NUMBA_CACHE_DIR`` if set, the
package's ``__pycache__``, then the user's cache directory. When none is
writable (a read-only install without a home), Numba refuses to build a
cached function; reglab then compiles without a cache rather than failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

UIntArray: TypeAlias = NDArray[np.uint64]
IntArray: TypeAlias = NDArray[np.int64]
ByteArray: TypeAlias = NDArray[np.uint8]

Function = TypeVar("Function", bound=Callable[..., Any])

MATMUL_FASTMATH = frozenset({"reassoc", "contract"})
"""Flags for the matrix-product loops only: reassociate sums (vectorized
reductions) and fuse multiply-adds, as a BLAS does. No flag that changes
NaN/infinity handling or divisions; element-wise code compiles strictly."""


def compiled(
    *, fastmath: frozenset[str] = frozenset(), inline: bool = False
) -> Callable[[Function], Function]:
    """Numba ``njit`` with an on-disk cache, falling back to no cache when none is writable.

    Compiled code releases the GIL (Python threads run it in parallel) and
    follows NumPy's floating-point rules (``error_model="numpy"``: x/0 is inf
    or NaN as in the reference, with no check that would stop loops from
    vectorizing). With ``inline``, Numba copies the function into each caller
    (``inline="always"``), so a call with constant flags compiles to a loop
    specialized for them; the copy compiles with the caller's options, so an
    inlined function and its callers should be given the same ``fastmath``.
    Inlining also shortens a cold compile: Numba links a callee's code into
    its caller's module and optimizes and lowers that module again, so every
    level of calls compiles everything beneath it once more; a function with
    one or two callers (``_train_one``) costs least inlined.
    """

    def wrap(function: Function) -> Function:
        options: dict[str, Any] = {"nogil": True, "error_model": "numpy"}
        if fastmath:
            options["fastmath"] = set(fastmath)
        if inline:
            options["inline"] = "always"
        try:
            return cast(Function, numba.njit(cache=True, **options)(function))
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return cast(Function, numba.njit(cache=False, **options)(function))

    return wrap


def source_digest(*names: str, directory: Path | None = None) -> str:
    """Short sha256 of the named files (``kernel_exp.py``, ...) of ``directory``, by default
    this package directory (the tests check the rule on an edited copy too)."""
    folder = Path(__file__).parent if directory is None else directory
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]
