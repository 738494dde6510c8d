"""The grader's time limits (a module of its own, so the command line reads them cheaply)."""

DEFAULT_TIMEOUT = 30.0
"""Seconds each function may take on its cases (``reglab grade --timeout``)."""

MIN_LOAD_TIMEOUT = 10.0
"""Seconds the file's imports and definitions may take, at least (a short --timeout for
the functions should not fail a file whose imports of NumPy and matplotlib are slow)."""
