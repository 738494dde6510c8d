"""The page's figures as PNG, drawn by :mod:`reglab.plots`, in parallel worker processes.

A changed knob retrains the models and redraws three figures; matplotlib draws one
figure at a time per process, so the page hands each figure to a worker of a small
process pool (one per core, started once per server) and the figures render side by
side while the page lays out its tables. Without a pool they are drawn in turn.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import textwrap
import threading
import time
import types
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Literal

from reglab.experiments.exercise import Comparison

PAGE_FIGURES: tuple[str, ...] = ("boundaries", "cost", "accuracy")
"""The figures under the table, in order; boundaries only for two-feature data."""

MAX_WORKERS = 2
"""Worker processes: one per figure drawn at once (the page has three, small)."""

LEGEND_WIDTH = 48
"""Characters per line of a model's name in the curves' legends: a name that says every
setting (four models of them) would otherwise be wider than the figure, which squeezes
the axes to a sliver and cuts the legend off."""

PARENT_CHECK_SECONDS = 1.0
"""How often a worker checks that the server that started it is still there."""


def draw_figure(name: str, comparison: Comparison, regions: str = "class") -> bytes:
    """Figure ``name`` of :data:`PAGE_FIGURES` for ``comparison``, as PNG bytes.

    ``regions`` is the boundaries' ``show``: ``"class"`` or ``"probability"``.
    """
    from reglab.plots import (
        accuracy_titles,
        figure_bytes,
        plot_accuracy_curves,
        plot_cost_curves,
        plot_decision_boundaries,
    )

    result = comparison.result
    dataset = comparison.dataset
    names = list(comparison.names)
    legend_names = [textwrap.fill(name, LEGEND_WIDTH) for name in names]
    if name == "boundaries":
        titles = accuracy_titles(names, result, dataset)
        show: Literal["class", "probability"] = (
            "probability" if regions == "probability" else "class"
        )
        return figure_bytes(plot_decision_boundaries(result.parameters, dataset, titles, show=show))
    if name == "cost":
        rates = [config.learning_rate for config in result.configs]
        return figure_bytes(
            plot_cost_curves(
                result.history, legend_names, rates, result.stopped_at, result.best_iteration
            )
        )
    if name == "accuracy":
        return figure_bytes(plot_accuracy_curves(result.history, legend_names))
    raise ValueError(f"name must be one of {', '.join(PAGE_FIGURES)}. Received: name={name!r}")


def figure_names(comparison: Comparison) -> list[str]:
    """The figures the page shows for ``comparison`` (no boundaries beyond two features)."""
    planar = comparison.dataset.n_features == 2
    return [name for name in PAGE_FIGURES if planar or name != "boundaries"]


def draw_figures(
    comparison: Comparison, pool: Executor | None = None, regions: str = "class"
) -> dict[str, bytes]:
    """Every figure of :func:`figure_names`, drawn in ``pool`` when given, else in turn."""
    names = figure_names(comparison)
    if pool is None:
        return {name: draw_figure(name, comparison, regions) for name in names}
    futures = {name: pool.submit(draw_figure, name, comparison, regions) for name in names}
    return {name: future.result() for name, future in futures.items()}


def _import_plots() -> None:
    import reglab.plots.figures  # noqa: F401  (matplotlib and the figure modules, once)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _worker_setup() -> None:
    """Each worker: Ctrl-C is the server's to handle, and the worker ends with the server.

    A terminal's Ctrl-C reaches the whole process group; the server shuts its pool
    down as it exits, so a worker ignores the signal rather than print a traceback.
    If the server is killed outright, the worker notices its parent is gone and exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watcher = threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True)
    watcher.start()


def start_pool() -> ProcessPoolExecutor:
    """A pool of worker processes that have imported the plotting code.

    Workers are spawned, not forked: the page's server has threads, and a fork
    would copy their locks in whatever state they are. A spawned worker re-runs
    the parent's ``__main__`` module, which under Streamlit is the page itself; so
    while the workers start, ``__main__`` is an empty module (all of them start
    here: one warm-up job each).
    """
    workers = max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_setup
    )
    page = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        warm_up = [pool.submit(_import_plots) for _ in range(workers)]
    finally:
        sys.modules["__main__"] = page
    for future in warm_up:
        future.result()
    return pool
