"""Whether the compiled kernel is already in Numba's on-disk cache, asked without compiling it.

A file of its own: the kernel files pin the digest of ``kernel_compile.py``
(see :func:`reglab.engine.kernel_compile.source_digest`), and this question
changes nothing they compile.
"""

from __future__ import annotations

from typing import Any


def is_cached(function: Any) -> bool | None:
    """Whether ``function`` (a :func:`~reglab.engine.kernel_compile.compiled` function) has
    machine code in Numba's cache for its current source, so calling it loads, not compiles.

    Reads only the cache's small index file, in Numba's own format (about 0.2 ms),
    which holds the source file's stamp: an index written for an older source
    counts as no cache. None when this cannot be known (a function compiled
    without a cache, or a Numba whose cache internals differ).
    """
    try:
        index = function._cache._cache_file._load_index()
    except Exception:  # Numba's cache internals are private: no answer rather than a guess
        return None
    return bool(index)
