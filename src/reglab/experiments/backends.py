"""Where batches of configurations train: locally, in joblib processes, on dask or ray.

Seed studies and sweeps hand this module a list of :class:`TrainConfig` cut into
chunks (each chunk one architecture, at most ``chunk_size`` models); every chunk is
one call of :func:`reglab.engine.train`. A model's result never depends on its
chunk: each configuration draws from its own generator, seeded from its ``seed``.

========  ===============================================================
backend   how chunks run
========  ===============================================================
local     one after another in this process; the engine's own threads use
          the cores inside each call (the default, and the fastest on one
          machine)
joblib    ``n_jobs`` worker processes (joblib's loky backend); each worker
          trains whole chunks
dask      on a running ``distributed`` scheduler at ``scheduler`` (an
          address such as ``tcp://10.0.0.5:8786``), through joblib's dask
          backend; needs ``pip install 'reglab[dask]'``
ray       on a ray cluster (``scheduler`` is its address, or None for a
          local one), through ray's joblib backend; needs
          ``pip install 'reglab[ray]'``
========  ===============================================================

Remote chunks train with one engine thread each (the worker processes are the
parallelism); local chunks use the engine's default, every core.

The core of reglab imports neither dask nor ray; they are imported only when
their backend is chosen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from reglab.config import BACKENDS as BACKENDS  # re-exported: where back ends are listed
from reglab.config import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE
from reglab.config import Backend as Backend
from reglab.config import TrainConfig, check
from reglab.data.dataset import Dataset
from reglab.engine import Parameters, cross_entropy_from_logits, forward, l2_penalty
from reglab.engine import train as engine_train
from reglab.errors import OptionalDependencyError, ParameterError, ReglabError
from reglab.types import BoolArray, FloatArray

ChunkProgress = Callable[[float], None]
"""Called with the number of models finished so far (fractional while a chunk trains locally)."""

# The engine's train, looked up at call time so tests can count calls.
train = engine_train


@dataclass(frozen=True, eq=False)
class ChunkOutcome:
    """What one engine call produced for its K models (no parameters: small to ship back).

    Attributes:
        train_accuracy: final training accuracy, shape ``(K,)``.
        test_accuracy: final test accuracy, shape ``(K,)``.
        final_cost: training cost of the final parameters (cross-entropy of the
            full network, without dropout, plus the L2 term), shape ``(K,)``;
            NaN or inf for a model that diverged.
        diverged: True where the model's cost became non-finite, shape ``(K,)``.
    """

    train_accuracy: FloatArray
    test_accuracy: FloatArray
    final_cost: FloatArray
    diverged: BoolArray


def final_cost(params: Parameters, X: FloatArray, Y: FloatArray, l2: FloatArray) -> FloatArray:
    """Training cost of K models' parameters: cross-entropy without dropout, plus the L2 term.

    The engine's ``History.cost`` cannot stand in for it: it is recorded before
    the update of iterations ``0, record_every, ...`` (never after the last one)
    and, with dropout, on the dropped-out pass. So the final parameters are
    evaluated here, with the engine's own forward pass and loss functions.

    Args:
        params: K stacked models.
        X: training inputs, shape ``(n_0, m)``.
        Y: training labels, shape ``(1, m)``.
        l2: each model's lambda, shape ``(K,)``.

    Returns:
        The cost of each model, shape ``(K,)``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        logits = forward(params, X).logits
        cost: FloatArray = cross_entropy_from_logits(logits, Y) + l2_penalty(
            params.weights, l2, X.shape[1]
        )
    return cost


def train_chunk(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray,
    Y_test: FloatArray,
    progress: Callable[[int, int], None] | None = None,
    n_threads: int | None = None,
) -> ChunkOutcome:
    """Train one chunk (one architecture) in one engine call; divergence is recorded, not raised.

    Args:
        configs: configurations sharing layers, iterations and record_every.
        X, Y: training inputs ``(n_0, m)`` and labels ``(1, m)``.
        X_test, Y_test: test inputs ``(n_0, m_test)`` and labels ``(1, m_test)``.
        progress: passed to the engine, ``progress(iterations_done, iterations_total)``.
        n_threads: the engine's threads (None: its default, every core).

    Returns:
        Final accuracies, costs and divergence flags of the K models.
    """
    result = train(
        configs,
        X,
        Y,
        X_test,
        Y_test,
        progress=progress,
        on_divergence="record",
        n_threads=n_threads,
    )
    if result.test_accuracy is None:  # pragma: no cover - the engine always gets test data here
        raise ReglabError("the engine returned no test accuracy")
    l2 = np.array([config.l2 for config in configs], dtype=float)
    return ChunkOutcome(
        train_accuracy=np.asarray(result.train_accuracy, dtype=float),
        test_accuracy=np.asarray(result.test_accuracy, dtype=float),
        final_cost=final_cost(result.parameters, X, Y, l2),
        diverged=np.array([at is not None for at in result.diverged_at], dtype=bool),
    )


def plan_chunks(configs: Sequence[TrainConfig], chunk_size: int) -> list[list[int]]:
    """Cut configurations into engine calls: grouped by architecture, at most ``chunk_size`` each.

    Within an architecture the order of ``configs`` is kept, so consecutive
    configurations (e.g. one sweep cell's seeds) finish together.

    Args:
        configs: the configurations, any mix of architectures.
        chunk_size: the largest number of models in one engine call, >= 1.

    Returns:
        Lists of indices into ``configs``, one list per engine call.
    """
    check_chunk_size(chunk_size)
    groups: dict[tuple[tuple[int, ...], int, int], list[int]] = {}
    for index, config in enumerate(configs):
        groups.setdefault(config.architecture, []).append(index)
    return [
        members[start : start + chunk_size]
        for members in groups.values()
        for start in range(0, len(members), chunk_size)
    ]


def check_chunk_size(chunk_size: object) -> None:
    """Raise :class:`ParameterError` unless ``chunk_size`` follows its rule in
    :data:`reglab.config.PARAMETERS` (an integer in [1, MAX_CHUNK_SIZE])."""
    check("chunk_size", chunk_size)


def check_backend(backend: object, n_jobs: object = None) -> None:
    """Raise :class:`ParameterError` for an unknown backend or a bad ``n_jobs``."""
    check("backend", backend)
    if n_jobs is not None and (
        not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1
    ):
        raise ParameterError("n_jobs", "a positive integer, -1 (all cores) or None", n_jobs)


def _import_optional(module: str, backend: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise OptionalDependencyError(
            f"backend {backend!r} needs the optional dependency: pip install 'reglab[{backend}]'"
        ) from error


def _indexed_chunk(
    index: int,
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray,
    Y_test: FloatArray,
) -> tuple[int, ChunkOutcome]:
    # One engine thread per task: the worker processes (or the cluster's slots) are the
    # parallelism, and more threads per task would only oversubscribe the cores.
    return index, train_chunk(configs, X, Y, X_test, Y_test, n_threads=1)


def check_backend_ready(backend: Backend, scheduler: str | None) -> None:
    """Fail before any work or file is written: a missing optional package, no dask scheduler.

    Raises:
        OptionalDependencyError: dask or ray is not installed.
        ParameterError: backend ``"dask"`` without a scheduler address or an open client.
    """
    if backend == "dask":
        distributed = _import_optional("distributed", "dask")
        if scheduler is None:
            try:
                distributed.get_client()  # a client this process already opened
            except ValueError as error:
                raise ParameterError(
                    "scheduler",
                    "the address of a running dask scheduler for backend 'dask', "
                    "e.g. tcp://127.0.0.1:8786",
                    scheduler,
                ) from error
    elif backend == "ray":
        _import_optional("ray", "ray")


@contextmanager
def _dask_client(scheduler: str | None) -> Iterator[None]:
    distributed = _import_optional("distributed", "dask")
    if scheduler is None:
        check_backend_ready("dask", scheduler)
        yield  # the client this process already opened: used, not closed
        return
    try:
        client = distributed.Client(scheduler, timeout="10s", set_as_default=True)
    except ValueError as error:  # an address distributed cannot parse (e.g. port 99999)
        raise ParameterError(
            "scheduler", "an address distributed can parse, such as tcp://127.0.0.1:8786", scheduler
        ) from error
    except (OSError, TimeoutError) as error:
        raise ReglabError(
            f"could not connect to the dask scheduler at {scheduler!r}: {error}"
        ) from error
    with client:
        yield


@contextmanager
def _ray_runtime(scheduler: str | None) -> Iterator[None]:
    ray = _import_optional("ray", "ray")
    ray_joblib = _import_optional("ray.util.joblib", "ray")
    ray_joblib.register_ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=scheduler)
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def run_chunks(
    configs: Sequence[TrainConfig],
    chunks: Sequence[Sequence[int]],
    dataset: Dataset,
    *,
    backend: Backend = "local",
    scheduler: str | None = None,
    n_jobs: int | None = None,
    progress: ChunkProgress | None = None,
) -> Iterator[tuple[int, ChunkOutcome]]:
    """Train every chunk and yield ``(chunk_index, outcome)`` as each one finishes.

    The local backend yields in order; the others in order of completion.

    Args:
        configs: all configurations.
        chunks: indices into ``configs``, one list per engine call (see :func:`plan_chunks`).
        dataset: the data every model trains and is tested on.
        backend: see the module's table.
        scheduler: the dask scheduler's address (``"dask"``) or the ray
            cluster's (``"ray"``); ignored otherwise.
        n_jobs: worker processes for ``"joblib"`` (default: all cores); the
            number of concurrent tasks for dask/ray (default: as many as the cluster runs).
        progress: called with the number of models finished so far.

    Yields:
        Each chunk's index and outcome.
    """
    check_backend(backend, n_jobs)
    data = (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test)
    if backend == "local":
        done = 0
        for index, members in enumerate(chunks):
            chunk = [configs[i] for i in members]
            on_iteration = _fractional_progress(progress, done, len(chunk))
            yield index, train_chunk(chunk, *data, progress=on_iteration)
            done += len(chunk)
            if progress is not None:
                progress(float(done))
        return

    import joblib

    with ExitStack() as stack:
        if backend == "joblib":
            stack.enter_context(joblib.parallel_config(backend="loky"))
            jobs = -1 if n_jobs is None else n_jobs
        elif backend == "dask":
            stack.enter_context(_dask_client(scheduler))
            stack.enter_context(joblib.parallel_config(backend="dask"))
            jobs = -1 if n_jobs is None else n_jobs
        else:
            stack.enter_context(_ray_runtime(scheduler))
            stack.enter_context(joblib.parallel_config(backend="ray"))
            jobs = -1 if n_jobs is None else n_jobs
        parallel = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")
        outcomes = parallel(
            joblib.delayed(_indexed_chunk)(index, [configs[i] for i in members], *data)
            for index, members in enumerate(chunks)
        )
        done = 0
        for index, outcome in outcomes:
            done += len(chunks[index])
            if progress is not None:
                progress(float(done))
            yield index, outcome


def _fractional_progress(
    progress: ChunkProgress | None, done_before: int, chunk_models: int
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None

    def on_iteration(iterations_done: int, iterations_total: int) -> None:
        progress(done_before + chunk_models * iterations_done / iterations_total)

    return on_iteration
