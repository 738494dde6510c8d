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
          machine); each model is handed back as soon as it is trained
joblib    ``n_jobs`` worker processes (joblib's loky backend); each worker
          trains whole chunks
dask      on a running ``distributed`` scheduler at ``scheduler`` (an
          address such as ``tcp://10.0.0.5:8786``), through dask's futures;
          needs ``pip install 'reglab[dask]'``
ray       on a ray cluster (``scheduler`` is its address, or None for a
          local instance started for the run), through ray's tasks; needs
          ``pip install 'reglab[ray]'``
========  ===============================================================

Remote chunks train with one engine thread each (the worker processes are the
parallelism) and come back whole, so a sweep cuts them to one cell each (see
:func:`plan_chunks`); local chunks use the engine's default, every core.

Work never moves silently: with dask, a worker that leaves is one notice (its
chunks go to the other workers, or wait for one to join) and a lost scheduler
is a :class:`reglab.errors.RunError`; nothing falls back to this process.

The core of reglab imports neither dask nor ray; they are imported only when
their backend is chosen.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Generator, Hashable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any

import numpy as np

from reglab.config import BACKENDS as BACKENDS  # re-exported: where back ends are listed
from reglab.config import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE
from reglab.config import Backend as Backend
from reglab.config import TrainConfig, check
from reglab.data.dataset import Dataset
from reglab.engine import (
    Parameters,
    TrainedModels,
    cross_entropy_from_logits,
    forward,
    l1_penalty,
    l2_penalty,
)
from reglab.engine import train as engine_train
from reglab.engine.training import trained_on
from reglab.errors import OptionalDependencyError, ParameterError, ReglabError, RunError
from reglab.types import BoolArray, FloatArray

ChunkProgress = Callable[[float], None]
"""Called with the number of models finished so far (fractional while a chunk trains locally)."""

Notice = Callable[[str], None]
"""Called with one line for people when a run changes course without failing."""

WATCH_SECONDS = 1.0
"""How often a dask run looks at the cluster's workers while it waits for results."""

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


ModelsDone = Callable[[Sequence[int], ChunkOutcome], None]
"""Called as ``on_done(indices, outcome)`` when the models ``configs[indices]`` are trained."""


def final_cost(
    params: Parameters, X: FloatArray, Y: FloatArray, l2: FloatArray, l1: FloatArray | None = None
) -> FloatArray:
    """Training cost of K models' parameters: cross-entropy without dropout, plus the L2 and
    L1 terms.

    The kernel records the same cost (``TrainedModels.final_cost``), equal to
    about 1 ulp (it sums in order, NumPy pairwise). Stores keep this NumPy value,
    so that their numbers stay those of results revision 3; moving to the
    kernel's value is a results-revision change, for when numbers change anyway.

    Args:
        params: K stacked models.
        X: training inputs, shape ``(n_0, m)``.
        Y: training labels, shape ``(1, m)``.
        l2: each model's lambda, shape ``(K,)``.
        l1: each model's L1 alpha, shape ``(K,)`` (None: no L1).

    Returns:
        The cost of each model, shape ``(K,)``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        logits = forward(params, X).logits
        cost: FloatArray = cross_entropy_from_logits(logits, Y) + l2_penalty(
            params.weights, l2, X.shape[1]
        )
        if l1 is not None:
            cost = cost + l1_penalty(params.weights, l1, X.shape[1])
    return cost


def outcome_of(result: TrainedModels, X: FloatArray, Y: FloatArray) -> ChunkOutcome:
    """The small summary of trained models that travels back from a worker.

    The final cost is evaluated model by model, so a model's numbers are the
    same whether it comes back alone (as each local model does when it
    finishes) or with its whole chunk (as remote chunks do).

    Args:
        result: the engine's result for K models.
        X, Y: the training inputs ``(n_0, m)`` and labels ``(1, m)`` it trained on.
    """
    if result.test_accuracy is None:  # pragma: no cover - the engine always gets test data here
        raise ReglabError("the engine returned no test accuracy")
    costs = [  # on the examples each model trained on (early stopping holds some out)
        final_cost(
            result.parameters.model(k),
            *trained_on(config, X, Y),
            np.array([config.l2]),
            np.array([config.l1]),
        )[0]
        for k, config in enumerate(result.configs)
    ]
    return ChunkOutcome(
        train_accuracy=np.asarray(result.train_accuracy, dtype=float),
        test_accuracy=np.asarray(result.test_accuracy, dtype=float),
        final_cost=np.array(costs, dtype=float),
        diverged=np.array([at is not None for at in result.diverged_at], dtype=bool),
    )


def train_chunk(
    configs: Sequence[TrainConfig],
    X: FloatArray,
    Y: FloatArray,
    X_test: FloatArray,
    Y_test: FloatArray,
    progress: Callable[[int, int], None] | None = None,
    n_threads: int | None = None,
    on_model: Callable[[int, ChunkOutcome], None] | None = None,
) -> ChunkOutcome:
    """Train one chunk (one architecture) in one engine call; divergence is recorded, not raised.

    Args:
        configs: configurations sharing layers, iterations and record_every.
        X, Y: training inputs ``(n_0, m)`` and labels ``(1, m)``.
        X_test, Y_test: test inputs ``(n_0, m_test)`` and labels ``(1, m_test)``.
        progress: passed to the engine, ``progress(iterations_done, iterations_total)``.
        n_threads: the engine's threads (None: its default, every core).
        on_model: called as ``on_model(k, outcome)`` in this thread as soon as
            ``configs[k]`` is trained, with its outcome alone (K = 1).

    Returns:
        Final accuracies, costs and divergence flags of the K models.
    """

    def model_done(k: int, model: TrainedModels) -> None:
        if on_model is not None:
            on_model(k, outcome_of(model, X, Y))

    result = train(
        configs,
        X,
        Y,
        X_test,
        Y_test,
        progress=progress,
        on_divergence="record",
        n_threads=n_threads,
        on_model=model_done if on_model is not None else None,
    )
    return outcome_of(result, X, Y)


def plan_chunks(
    configs: Sequence[TrainConfig],
    chunk_size: int,
    *,
    backend: Backend = "local",
    unit: Callable[[TrainConfig], Hashable] | None = None,
) -> list[list[int]]:
    """Cut configurations into engine calls: grouped by architecture, at most ``chunk_size`` each.

    Within an architecture the order of ``configs`` is kept. On the local
    backend every model is handed back as soon as it is trained, so chunks are
    as large as ``chunk_size`` allows (the engine's threads balance best over
    many models). Any other backend hands back a chunk only when all of it is
    done, so there a chunk never mixes two ``unit`` s (a sweep's cells): a unit
    comes back, and can be saved, as soon as its own models are done.

    Args:
        configs: the configurations, any mix of architectures.
        chunk_size: the largest number of models in one engine call, >= 1.
        backend: where the chunks will run.
        unit: what must not share a remote chunk with another unit (a sweep
            passes its cell); None: only the architecture.

    Returns:
        Lists of indices into ``configs``, one list per engine call.
    """
    check_chunk_size(chunk_size)
    groups: dict[Hashable, list[int]] = {}
    for index, config in enumerate(configs):
        key: Hashable = (
            config.architecture
            if unit is None or backend == "local"
            else (config.architecture, unit(config))
        )
        groups.setdefault(key, []).append(index)
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


Tasks = Sequence[tuple[int, Sequence[TrainConfig]]]
"""Remote work: ``(chunk_index, configs)`` per chunk."""

Data = tuple[FloatArray, FloatArray, FloatArray, FloatArray]

Outcomes = Generator[tuple[int, ChunkOutcome], None, None]
"""Remote results, ``(chunk_index, outcome)`` in order of completion; closing it stops the run."""


@contextmanager
def _quiet(library: str) -> Iterator[None]:
    """Silence a library's log records (tracebacks included) while reglab reports for it.

    Its loggers are muted one by one: a library may set levels on its child
    loggers, which a level on the parent alone would not override.
    """
    manager = logging.Logger.manager
    loggers = [logging.getLogger(library)] + [
        logger
        for name, logger in list(manager.loggerDict.items())
        if name.startswith(f"{library}.") and isinstance(logger, logging.Logger)
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _on_dask(
    tasks: Tasks, data: Data, scheduler: str | None, n_jobs: int | None, notice: Notice
) -> Outcomes:
    """Run the tasks on a dask scheduler, yielding each as it completes.

    A worker that leaves is one notice; its tasks go to the others, as dask
    reschedules them, and with no worker left the sweep waits for one to join
    (an adaptive cluster may scale from zero). A lost scheduler, or a task
    whose workers keep dying, stops the run with a :class:`RunError`. Dask's
    own log records are silenced meanwhile: what happened is the notice or the
    error, one line each.
    """
    distributed = _import_optional("distributed", "dask")
    with _quiet("distributed"), ExitStack() as stack:
        if scheduler is None:
            check_backend_ready("dask", scheduler)
            client = distributed.get_client()  # the caller's own: used, not closed
            where = "the dask scheduler of this process's client"
        else:
            where = f"the dask scheduler {scheduler}"
            try:
                client = distributed.Client(scheduler, timeout="10s", set_as_default=False)
            except ValueError as error:  # an address distributed cannot parse (e.g. port 99999)
                raise ParameterError(
                    "scheduler",
                    "an address distributed can parse, such as tcp://127.0.0.1:8786",
                    scheduler,
                ) from error
            except (OSError, TimeoutError) as error:
                raise ReglabError(f"could not connect to {where}: {_one_line(error)}") from error
            stack.enter_context(client)
        queue = list(tasks)[::-1]
        running: dict[Any, int] = {}
        completed: SimpleQueue[Any] = SimpleQueue()  # filled by dask's thread as tasks end
        limit = len(queue) if n_jobs is None or n_jobs == -1 else n_jobs
        workers = set(client.scheduler_info()["workers"])
        try:
            while queue or running:
                while queue and len(running) < limit:
                    index, configs = queue.pop()
                    future = client.submit(_indexed_chunk, index, configs, *data, pure=False)
                    running[future] = index
                    future.add_done_callback(completed.put)
                try:
                    finished = [completed.get(timeout=WATCH_SECONDS)]
                except Empty:
                    finished = []
                for future in finished:
                    index = running.pop(future)
                    yield _dask_result(distributed, future, index, where)
                if client.status in ("closing", "closed"):
                    raise RunError(f"lost {where}; stopping (what was saved stays saved)")
                now = set(client.scheduler_info()["workers"])
                for address in sorted(workers - now):
                    notice(
                        f"dask worker {address} left; its chunks go to the other workers"
                        if now
                        else f"dask worker {address} left, the last one: waiting for a worker "
                        f"to join {where} (Ctrl-C stops; finished cells are saved)"
                    )
                workers = now
        except OSError as error:
            raise RunError(
                f"lost {where} ({_one_line(error)}); stopping (what was saved stays saved)"
            ) from error
        finally:
            if running and client.status == "running":
                client.cancel(list(running))


def _dask_result(distributed: Any, future: Any, index: int, where: str) -> tuple[int, ChunkOutcome]:
    try:
        result: tuple[int, ChunkOutcome] = future.result()
    except distributed.KilledWorker as error:
        raise RunError(
            f"dask workers died while training chunk {index}, more often than "
            f"distributed.scheduler.allowed-failures allows at {where}; stopping "
            "(what was saved stays saved)"
        ) from error
    except CancelledError as error:  # dask cancels what it can no longer finish
        raise RunError(f"lost {where}; stopping (what was saved stays saved)") from error
    return result


def _on_ray(tasks: Tasks, data: Data, address: str | None, n_jobs: int | None) -> Outcomes:
    """Run the tasks on ray, yielding each as it completes (a local instance without ``address``).

    Ray's own task API: joblib's ray backend cannot hand back results in
    completion order. A ray instance this call starts is shut down after it.
    """
    ray = _import_optional("ray", "ray")
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                logging_level=logging.WARNING,
                configure_logging=True,
            )
        except (ConnectionError, ValueError, RuntimeError) as error:
            where = "a local ray instance" if address is None else f"ray at {address}"
            raise ReglabError(f"could not start or reach {where}: {_one_line(error)}") from error
    try:
        remote = ray.remote(num_cpus=1)(_indexed_chunk)
        shared = [ray.put(array) for array in data]
        queue = list(tasks)[::-1]
        running: list[Any] = []
        limit = len(queue) if n_jobs is None or n_jobs == -1 else n_jobs
        try:
            while queue or running:
                while queue and len(running) < limit:
                    index, configs = queue.pop()
                    running.append(remote.remote(index, configs, *shared))
                ready, running = ray.wait(running, num_returns=1)
                try:
                    result: tuple[int, ChunkOutcome] = ray.get(ready[0])
                except ray.exceptions.RayError as error:
                    if isinstance(error, ReglabError):  # the task's own, re-raised by ray
                        raise
                    raise RunError(_lost("a ray task", error)) from error
                yield result
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
    finally:
        if started:
            ray.shutdown()


def _on_joblib(tasks: Tasks, data: Data, n_jobs: int | None) -> Outcomes:
    import joblib
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    with joblib.parallel_config(backend="loky"):
        parallel = joblib.Parallel(
            n_jobs=-1 if n_jobs is None else n_jobs, return_as="generator_unordered"
        )
        try:
            yield from parallel(
                joblib.delayed(_indexed_chunk)(index, configs, *data) for index, configs in tasks
            )
        except TerminatedWorkerError as error:
            raise RunError(_lost("a joblib worker process", error)) from error


def _lost(what: str, error: BaseException) -> str:
    """The one line of a worker lost mid-run (the sweep then exits 1, its saved cells kept)."""
    return (
        f"{what} was lost ({type(error).__name__}); stopping: every cell finished so far is "
        "saved, and --resume continues from there"
    )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def run_chunks(
    configs: Sequence[TrainConfig],
    chunks: Sequence[Sequence[int]],
    dataset: Dataset,
    *,
    on_done: ModelsDone,
    backend: Backend = "local",
    scheduler: str | None = None,
    n_jobs: int | None = None,
    progress: ChunkProgress | None = None,
    notice: Notice | None = None,
) -> None:
    """Train every chunk, handing back each model's outcome as soon as it is known.

    The local backend hands back every model as it finishes (the engine reports
    each one); the others hand back whole chunks, in order of completion (see
    :func:`plan_chunks` for how a sweep keeps those to one cell). Either way
    ``on_done`` runs in the caller's thread, so it may write to what the caller
    owns (a database connection). A model's numbers do not depend on its chunk,
    its backend or whether it comes back alone.

    Args:
        configs: all configurations.
        chunks: indices into ``configs``, one list per engine call (see :func:`plan_chunks`).
        dataset: the data every model trains and is tested on.
        on_done: called as ``on_done(indices, outcome)``: row j of ``outcome`` is
            ``configs[indices[j]]``'s.
        backend: see the module's table.
        scheduler: the dask scheduler's address (``"dask"``) or the ray
            cluster's (``"ray"``); ignored otherwise.
        n_jobs: worker processes for ``"joblib"`` (default: all cores); the
            most concurrent tasks for dask/ray (default: as many as the cluster runs).
        progress: called with the number of models finished so far.
        notice: called with a one-line message when the run changes course
            without failing (a dask worker left); default: a warning on the
            ``reglab`` logger.

    Raises:
        RunError: the cluster was lost (see :func:`_on_dask`); the outcomes
            handed back before stay handed back.
    """
    check_backend(backend, n_jobs)
    say = notice if notice is not None else logging.getLogger("reglab").warning
    data: Data = (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test)
    if backend == "local":
        done = 0
        for members in chunks:
            chunk = [configs[i] for i in members]
            on_iteration = _fractional_progress(progress, done, len(chunk))

            def model_done(k: int, outcome: ChunkOutcome, members: Sequence[int] = members) -> None:
                on_done([members[k]], outcome)

            train_chunk(chunk, *data, progress=on_iteration, on_model=model_done)
            done += len(chunk)
            if progress is not None:
                progress(float(done))
        return

    tasks = [(index, [configs[i] for i in members]) for index, members in enumerate(chunks)]
    if backend == "joblib":
        outcomes = _on_joblib(tasks, data, n_jobs)
    elif backend == "dask":
        outcomes = _on_dask(tasks, data, scheduler, n_jobs, say)
    else:
        outcomes = _on_ray(tasks, data, scheduler, n_jobs)
    done = 0
    with closing(outcomes):
        for index, outcome in outcomes:
            on_done(chunks[index], outcome)
            done += len(chunks[index])
            if progress is not None:
                progress(float(done))


def _fractional_progress(
    progress: ChunkProgress | None, done_before: int, chunk_models: int
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None

    def on_iteration(iterations_done: int, iterations_total: int) -> None:
        progress(done_before + chunk_models * iterations_done / iterations_total)

    return on_iteration
