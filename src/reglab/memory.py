"""The memory a training call will need, estimated before it allocates, and its cap.

One engine call trains K models of one architecture on m examples. Its memory
is, in float64 (8 bytes):

- the K models' parameters, four times: each model's initial ones, their
  stack, the flat copy the kernel updates and the returned ones (``K x P``,
  P the network's weights and biases);
- per model, at most 4 KiB of Python objects: its generators, its arrays'
  headers (:data:`PER_MODEL`);
- the recorded history: cost and two accuracies per recorded iteration
  (``K x 3 x (iterations / record_every + 2)``);
- the course's dropout uniforms (one per hidden unit and example, twice: drawn per
  layer, then joined);
- each worker thread's buffers: activations and their gradients for a block of
  examples, one gradient of the parameters, the dropout keep flags of every
  hidden unit and example (one byte each), and a BLAS layer's scratch;
- for seed studies and sweeps, which then evaluate each model's final cost in
  NumPy, one model at a time, a forward pass of one model on the m training
  examples (``(n_1 + ... + n_L) x m``, twice: pre-activations and activations);
- with mini-batches, the examples once more, one row each (``m x (n_0 + 1)``), and
  per worker the epoch's permutation (m indices);
- with early stopping, per worker the running model's own split: its training and
  validation examples, their rows for mini-batches, its course uniforms, its best
  parameters.

The estimate is meant as an upper bound of what one call adds (checked against
tracemalloc's peak: see benchmarks/README.md), not of the interpreter and its
libraries themselves.
The cap is half the machine's physical memory unless a larger or smaller one
is set with :func:`memory_limit` (the command line's ``--max-memory``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from reglab.config import check
from reglab.errors import ParameterError

FLOAT = 8
BLOCK = 256
"""Examples per block of the kernel's activation buffers (an upper bound of its chunk)."""
PER_MODEL = 4 << 10
"""Bytes of Python objects per model, an upper bound (see the module's list)."""
FALLBACK_LIMIT = 4 << 30
"""The cap when the machine's physical memory cannot be read."""

_limit: ContextVar[int | None] = ContextVar("reglab_max_memory", default=None)


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_limit() -> int:
    """Half the physical memory (4 GiB where it is unknown)."""
    total = physical_memory()
    return total // 2 if total else FALLBACK_LIMIT


def current_limit() -> int:
    """The cap in force: the innermost :func:`memory_limit`, else :func:`default_limit`."""
    limit = _limit.get()
    return default_limit() if limit is None else limit


@contextmanager
def memory_limit(max_memory: int) -> Iterator[None]:
    """Within the block, training calls may use up to ``max_memory`` bytes (see the module)."""
    token = _limit.set(check("max_memory", max_memory))
    try:
        yield
    finally:
        _limit.reset(token)


def estimate_bytes(
    layers: Sequence[int],
    n_models: int,
    m: int,
    *,
    m_test: int = 0,
    iterations: int = 1,
    record_every: int = 1,
    threads: int | None = None,
    evaluation: bool = False,
    batching: bool = False,
    early_stopping: bool = False,
) -> int:
    """Bytes one engine call of ``n_models`` models of ``layers`` on ``m`` examples needs.

    Args:
        layers: layer sizes, input first.
        n_models: K, models trained together.
        m: training examples; ``m_test`` test examples.
        iterations, record_every: decide the length of the recorded history.
        threads: worker threads, each with its own buffers (default: every core,
            at most K).
        evaluation: add the one-model forward pass a seed study or sweep makes after
            each model (:func:`reglab.experiments.backends.final_cost`).
        batching: some model trains on mini-batches (``batch_size`` below m).
        early_stopping: some model holds out a validation split.
    """
    sizes = [int(n) for n in layers]
    parameters = sum(a * b + b for a, b in itertools.pairwise(sizes))
    units = sum(sizes)
    hidden = sum(sizes[1:-1])
    block = min(BLOCK, max(m, 1))
    widest_product = max((a * b for a, b in itertools.pairwise(sizes)), default=1)
    workers = min(threads or os.cpu_count() or 1, max(n_models, 1))
    records = iterations // max(record_every, 1) + 2
    per_worker = (
        2 * units * block * FLOAT + parameters * FLOAT + hidden * m + widest_product * FLOAT
    )
    uniforms = 2 * hidden * m * FLOAT  # drawn layer by layer, then joined: two copies at once
    test_inputs = sizes[0] * m_test * FLOAT
    forward = 2 * (units - sizes[0]) * m * FLOAT if evaluation else 0
    rows = m * (sizes[0] + 1) * FLOAT  # every example's inputs and label
    if batching:
        per_worker += m * FLOAT  # the permutation
    if early_stopping:  # the split's copies (rows twice: columns, and rows for batches)
        per_worker += 2 * rows + hidden * m * FLOAT + parameters * FLOAT
    return (
        4 * n_models * parameters * FLOAT
        + n_models * PER_MODEL
        + 3 * n_models * records * FLOAT
        + uniforms
        + test_inputs
        + workers * per_worker
        + forward
        + (rows if batching else 0)
    )


def _size(n: int) -> str:
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return f"{n / (1 << 20):.2f}M"


def check_memory(
    layers: Sequence[int],
    n_models: int,
    m: int,
    *,
    m_test: int = 0,
    iterations: int = 1,
    record_every: int = 1,
    threads: int | None = None,
    evaluation: bool = False,
    batching: bool = False,
    early_stopping: bool = False,
) -> None:
    """Raise :class:`ParameterError` when :func:`estimate_bytes` is above the cap.

    The message states the estimate, the cap and how to go past it.
    """
    need = estimate_bytes(
        layers,
        n_models,
        m,
        m_test=m_test,
        iterations=iterations,
        record_every=record_every,
        threads=threads,
        evaluation=evaluation,
        batching=batching,
        early_stopping=early_stopping,
    )
    limit = current_limit()
    if need > limit:
        raise ParameterError(
            "memory",
            f"at most the cap of {_size(limit)} (half the physical memory unless --max-memory "
            f"or reglab.memory.memory_limit sets it; this run of {n_models:,} model(s) of "
            f"layers {','.join(str(n) for n in layers)} on {m:,} examples would need about "
            f"{_size(need)})",
            _size(need),
        )
