"""Sweep lambda, keep_prob and more over several seeds, and say which differences are real.

Every combination of the listed values (a cell) trains under each seed; the
table gives the mean ± std across seeds of the train and test accuracy and of
the gap (train - test), in percent. "*" marks the best cell (highest mean test
accuracy), "~" the cells within noise of it (mean difference at most one
standard error). Results go to a store (--store, SQLite; by default one per
dataset, reglab-sweep-<dataset name>.sqlite): each finished cell is
saved as it completes, --resume finishes an interrupted sweep, and re-running a
finished sweep answers from the store without training.

example: reglab sweep --l2 0,0.01,0.1,0.3,0.7,1,3 --keep-prob 1,0.95,0.86,0.7 --seeds 10
         reglab sweep --l1 0,0.1,0.3 --l2 0,0.7 --seeds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reglab.cli.common import (
    Subparsers,
    add_caps_arguments,
    add_command,
    add_data_arguments,
    announce_compilation,
    check_figure_directory,
    check_output_layer,
    check_regular_destination,
    check_run_memory,
    dataset_lines,
    format_table,
    list_option,
    load_data,
    option,
    path_option,
    status,
    wants_progress,
    with_output_width,
)
from reglab.config import (
    BACKENDS,
    DEFAULT_CHUNK_SIZE,
    DEFAULTS_OMITTED,
    INIT_SCHEMES,
    MAX_ITERATIONS,
    MAX_MODELS,
)
from reglab.errors import ParameterError

if TYPE_CHECKING:
    from reglab.data.dataset import Dataset
    from reglab.experiments.sweep import (
        SweepGrid,
        SweepProgress,
        SweepProgressCallback,
        SweepResult,
    )

DEFAULT_STORE = "reglab-sweep-{dataset}.sqlite"
"""The store without --store: one per dataset name, so sweeps of different datasets coexist."""


def default_store(dataset_name: str) -> Path:
    """``reglab-sweep-<dataset name>.sqlite`` in the working directory."""
    return Path(DEFAULT_STORE.format(dataset=dataset_name))


def seeds_option(text: str) -> int | tuple[int, ...]:
    """An argparse ``type`` for the sweep's ``--seeds``: N (seeds 0..N-1) or a list of seeds."""
    if "," in text:
        return tuple(list_option("seed")(text))
    value: int = option("sweep_seeds", shown="seeds")(text)
    return value


def register(subparsers: Subparsers) -> None:
    """Add the ``sweep`` command to ``subparsers``."""
    parser = add_command(subparsers, "sweep", __doc__, run)
    grid = parser.add_argument_group(
        "grid", "Comma-separated values; flags override --config, which overrides the defaults."
    )
    grid.add_argument(
        "--l2", metavar="VALUES", type=list_option("l2"), help="lambda values >= 0 (default 0)"
    )
    grid.add_argument(
        "--l1",
        metavar="VALUES",
        type=list_option("l1"),
        help="L1 alpha values >= 0 (default 0); with --l2, the elastic net",
    )
    grid.add_argument(
        "--batch-size",
        metavar="VALUES",
        type=list_option("batch_size"),
        help="mini-batch sizes, integers >= 1, or all: the whole training set (default all)",
    )
    grid.add_argument(
        "--keep-prob",
        metavar="VALUES",
        type=list_option("keep_prob"),
        help="keep probabilities in (0, 1] (default 1)",
    )
    grid.add_argument(
        "--learning-rate",
        metavar="VALUES",
        type=list_option("learning_rate"),
        help="learning rates > 0 (default 0.3)",
    )
    grid.add_argument(
        "--layers",
        metavar="SIZES",
        type=option("layers"),
        nargs="+",
        action="extend",
        help="one or more architectures, e.g. 2,20,3,1 2,10,1 (default 2,20,3,1)",
    )
    grid.add_argument(
        "--masks",
        metavar="MODES",
        type=list_option("masks"),
        help="dropout mask modes: fresh, course (default fresh)",
    )
    grid.add_argument(
        "--optimizer",
        metavar="RULES",
        type=list_option("optimizer"),
        help="update rules: gd, momentum, adam (default gd; see reglab train --help)",
    )
    grid.add_argument(
        "--beta1",
        metavar="VALUES",
        type=list_option("beta1"),
        help="momentum's and Adam's beta1 values in [0, 1) (default 0.9)",
    )
    grid.add_argument(
        "--beta2",
        metavar="VALUES",
        type=list_option("beta2"),
        help="Adam's beta2 values in [0, 1) (default 0.999)",
    )
    grid.add_argument(
        "--epsilon",
        metavar="VALUES",
        type=list_option("epsilon"),
        help="Adam's epsilon values > 0 (default 1e-08)",
    )
    grid.add_argument(
        "--seeds",
        metavar="N|SEEDS",
        type=seeds_option,
        help="number of seeds (0..N-1), or a comma-separated list of seeds (default 5)",
    )
    grid.add_argument(
        "--init",
        type=option("init"),
        metavar="{" + ",".join(INIT_SCHEMES) + "}",
        help="initialization (default lecun: the course's distribution, from each seed)",
    )
    grid.add_argument(
        "--iterations",
        metavar="N",
        type=option("iterations"),
        help=f"iterations per model, at most {MAX_ITERATIONS:,} (default 30000)",
    )
    grid.add_argument(
        "--record-every",
        metavar="N",
        type=option("record_every"),
        help="record the cost every N iterations (default 1000)",
    )
    grid.add_argument(
        "--early-stopping",
        action="store_const",
        const=True,
        default=None,
        help="every model holds out --validation-fraction of the training set (drawn from its "
        "seed), stops after --patience records without a lower validation cost and keeps "
        "the parameters of the lowest",
    )
    grid.add_argument(
        "--validation-fraction",
        metavar="F",
        type=option("validation_fraction"),
        help="with --early-stopping, the share held out, in (0, 1) (default 0.1)",
    )
    grid.add_argument(
        "--patience",
        metavar="N",
        type=option("patience"),
        help="with --early-stopping, records without improvement before stopping (default 10)",
    )
    grid.add_argument(
        "--config",
        metavar="FILE",
        type=path_option("config"),
        help="a TOML file with the grid (keys as above)",
    )
    grid.add_argument(
        "--yes",
        action="store_true",
        help=f"run sweeps larger than {MAX_MODELS:,} models (cells x seeds)",
    )
    results = parser.add_argument_group("results")
    results.add_argument(
        "--store",
        metavar="FILE",
        type=path_option("store"),
        default=None,
        help="the results store, SQLite (default reglab-sweep-<dataset name>.sqlite in the "
        "working directory, e.g. reglab-sweep-moons.sqlite: one per dataset). A store "
        "holds one dataset's results: another dataset is refused",
    )
    results.add_argument(
        "--resume",
        action="store_true",
        help="reuse the store's finished cells and train only the missing ones",
    )
    results.add_argument(
        "--json",
        action="store_true",
        help="print one JSON record per cell on stdout (JSON Lines); no progress bar",
    )
    results.add_argument(
        "--out",
        metavar="DIR",
        type=path_option("out"),
        help="write the figures (PNG) to DIR (created if needed; checked before training), "
        "after the table is printed",
    )
    compute = parser.add_argument_group("compute")
    compute.add_argument(
        "--backend",
        type=option("backend"),
        default="local",
        metavar="{" + ",".join(BACKENDS) + "}",
        help="where models train: local (default; the engine uses every core), joblib "
        "(worker processes), dask or ray (a cluster; pip install 'reglab[dask]' / 'reglab[ray]')",
    )
    compute.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        type=option("scheduler"),
        help="only with --backend dask or ray: the dask scheduler's address, e.g. "
        "tcp://127.0.0.1:8786; for ray, the cluster's, or auto (default: a local ray "
        "instance started for the run)",
    )
    compute.add_argument(
        "--chunk-size",
        metavar="N",
        type=option("chunk_size"),
        default=DEFAULT_CHUNK_SIZE,
        help=f"models per engine call (default {DEFAULT_CHUNK_SIZE}); whatever N, each cell "
        "is saved as soon as its own models are trained",
    )
    add_data_arguments(parser)
    add_caps_arguments(parser, yes=False)


def store_name(dataset: Dataset) -> str:
    """The dataset's name in the default store's: ``spiral``, or ``spiral-3-classes`` for a
    generator's three classes (a store holds one dataset's results)."""
    if dataset.n_classes == 2:
        return dataset.name
    return f"{dataset.name}-{dataset.n_classes}-classes"


def fit_output_layers(grid: SweepGrid, dataset: Dataset) -> SweepGrid:
    """``grid`` with its default architecture ending in the width the data's classes need
    (2,20,3,C for C classes); architectures given must end in it already."""
    from reglab.experiments.sweep import SweepGrid

    if grid.layers == SweepGrid().layers:
        grid = dataclasses.replace(
            grid, layers=tuple(with_output_width(layers, dataset) for layers in grid.layers)
        )
    for layers in grid.layers:
        check_output_layer(layers, dataset)
    return grid


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def grid_from_args(args: argparse.Namespace) -> SweepGrid:
    """The grid: the defaults, then the ``--config`` file, then the flags given."""
    from reglab.experiments.sweep import SweepGrid

    values: dict[str, Any] = (
        SweepGrid.from_toml(args.config).to_dict() if args.config is not None else {}
    )
    for name in (
        "l2",
        "l1",
        "batch_size",
        "keep_prob",
        "learning_rate",
        "masks",
        "seeds",
        "iterations",
        "record_every",
        "init",
        "early_stopping",
        "validation_fraction",
        "patience",
        "optimizer",
        "beta1",
        "beta2",
        "epsilon",
    ):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if args.layers:
        values["layers"] = [list(shape) for shape in args.layers]
    return SweepGrid.from_dict(values)


def _percent(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    text = f"{100 * mean:.1f}"
    return text + (f" ± {100 * std:.1f}" if std is not None else "")


def _cell_text(name: str, row: dict[str, Any]) -> str:
    """A table cell: layers as 2-20-3-1, numbers in %g, a field absent from the row at its
    default (:data:`reglab.config.DEFAULTS_OMITTED`)."""
    value = row.get(name, DEFAULTS_OMITTED.get(name))
    if name == "layers":
        return "-".join(map(str, value))
    if value is None:  # batch_size: the whole training set
        return "all"
    return value if isinstance(value, str) else f"{value:g}"


def table_lines(result: SweepResult) -> list[str]:
    """The table: the varying fields, then mean ± std of train, test and gap (percent)."""
    grid = result.grid
    shown = [
        name
        for name in (
            "layers", "learning_rate", "masks", "keep_prob", "l2", "l1",
            "optimizer", "beta1", "beta2", "epsilon", "batch_size",
        )
        if len(getattr(grid, name)) > 1
        or name in ("l2", "keep_prob")
        or (name in DEFAULTS_OMITTED and getattr(grid, name) != (DEFAULTS_OMITTED[name],))
    ]  # fmt: skip
    recommendation = result.recommendation()
    tied = {id(cell) for cell in recommendation.within_noise}
    header = ["", *shown, "train %", "test %", "gap (train - test)", "diverged"]
    rows = []
    for cell, row in zip(result.cells, result.rows(), strict=True):
        mark = "*" if cell is recommendation.best else "~" if id(cell) in tied else ""
        fields = [_cell_text(name, row) for name in shown]
        rows.append(
            [
                mark,
                *fields,
                _percent(row["train_mean"], row["train_std"]),
                _percent(row["test_mean"], row["test_std"]),
                _percent(row["gap_mean"], row["gap_std"]),
                f"{row['n_diverged']}/{row['n_seeds']}" if row["n_diverged"] else "",
            ]
        )
    return format_table(header, rows)


@contextmanager
def sweep_progress_bar(enabled: bool, total_cells: int) -> Iterator[SweepProgressCallback | None]:
    """A tqdm bar on stderr: models trained (rate, time left) and cells done."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=None, desc="sweep", unit="model", file=sys.stderr, leave=False)

    cells_shown = [-1]

    def update(event: SweepProgress) -> None:
        bar.total = event.models_total
        bar.update(int(event.models_done) - bar.n)
        cells_changed = event.cells_done != cells_shown[0]
        cells_shown[0] = event.cells_done
        bar.set_postfix_str(f"cells {event.cells_done}/{event.cells_total}", refresh=cells_changed)

    try:
        yield update
    finally:
        bar.close()


def check_grid_memory(grid: SweepGrid, chunk_size: int, dataset: Dataset) -> None:
    """The memory of each architecture's largest engine call, checked before any trains."""
    models_per_architecture = grid.n_configs // len(grid.layers)
    for layers in grid.layers:
        check_run_memory(
            layers,
            min(chunk_size, models_per_architecture),
            dataset,
            grid.iterations,
            grid.record_every,
            evaluation=True,
            batch_sizes=grid.batch_size,
            early_stopping=grid.early_stopping,
        )


def run(args: argparse.Namespace) -> int:
    """Check the grid, load the data, run the sweep, print the table (or JSON records)."""
    from reglab.experiments.backends import check_backend_ready
    from reglab.experiments.sweep import sweep

    grid = grid_from_args(args)
    grid.check_size(None if args.yes else MAX_MODELS, hint="pass --yes")
    if args.backend == "dask" and not args.scheduler:
        raise ParameterError(
            "scheduler", "the address of a running dask scheduler for --backend dask", None
        )
    if args.scheduler is not None and args.backend not in ("dask", "ray"):
        raise ParameterError(
            "scheduler",
            f"given with --backend dask or ray (it is their scheduler's address; --backend "
            f"{args.backend} has none)",
            args.scheduler,
        )
    check_backend_ready(args.backend, args.scheduler)
    out: Path | None = args.out
    if out is not None:
        check_figure_directory(out)
    if args.store is not None:
        check_regular_destination("store", args.store)
    dataset = load_data(args)
    grid = fit_output_layers(grid, dataset)
    store: Path = args.store if args.store is not None else default_store(store_name(dataset))
    check_regular_destination("store", store)
    check_grid_memory(grid, args.chunk_size, dataset)
    status(f"dataset {dataset.name}: {dataset.source}")
    status(
        f"sweep: {_count(grid.n_cells, 'cell')} x {_count(len(grid.seed_list), 'seed')} = "
        f"{_count(grid.n_configs, 'model')}, store {store}"
    )
    enabled = wants_progress(args.json, sys.stderr)
    announce_compilation()
    with sweep_progress_bar(enabled, grid.n_cells) as progress:
        result = sweep(
            dataset,
            grid,
            store=store,
            resume=args.resume,
            chunk_size=args.chunk_size,
            backend=args.backend,
            scheduler=args.scheduler,
            progress=progress,
            max_configs=None,
            notice=status,
        )
    if result.n_trained == 0:
        status(f"every cell was already in {store}: nothing trained")
    elif result.n_from_store:
        status(f"{result.n_from_store} models from {store}, {result.n_trained} trained")
    if args.json:
        for record in result.records():
            sys.stdout.write(json.dumps(record) + "\n")
    else:
        lines = [
            *dataset_lines(dataset),
            "",
            *table_lines(result),
            "",
            "* best mean test accuracy; ~ within noise of it "
            "(one standard error of the difference)",
            "",
            result.recommendation().text,
        ]
        print("\n".join(lines))
    sys.stdout.flush()  # the results are out before any figure is written
    if out is not None:
        from reglab.plots import write_sweep_figures  # matplotlib: only when figures are asked for

        for path in write_sweep_figures(result, out):
            status(f"wrote {path}")
    return 0
