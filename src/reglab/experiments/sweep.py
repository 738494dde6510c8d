"""Sweeps: a grid of regularization settings, each trained under N seeds, with honest answers.

A **cell** is one point of the grid: every configuration field except the seed
(layers, learning rate, lambda, keep_prob, mask mode, initialization,
iterations, record_every). Each cell trains under the grid's N seeds, and the
result is a tidy table, one row per cell: mean, standard deviation (ddof = 1),
minimum and maximum of the final training accuracy, the test accuracy and the
generalization gap (train - test, per seed).

**The recommendation.** The best cell has the highest mean test accuracy (ties go
to the first cell in grid order; cells with a diverged seed are not candidates
unless every cell has one). Another cell is *within noise* of it when the
difference of the two means is at most one standard error of that difference,
``sqrt(s_best^2 / n_best + s_cell^2 / n_cell)`` (unpaired, so conservative:
cells of one architecture share their seeds' initial weights); see
:func:`within_noise`. A gap smaller than one standard error is one no honest
reading can call real, so the recommendation says the best is not
distinguishable from those cells. With one seed per cell the noise cannot be
estimated, and the recommendation says that instead.

**How it trains.** Configurations are grouped by architecture (layers,
iterations, record_every) and cut into chunks of at most ``chunk_size``; each
chunk is one batched engine call, mixing learning rates, lambdas, keep_probs,
mask modes and seeds freely. A model's result does not depend on its chunk. See
:mod:`reglab.experiments.backends` for where chunks run and
:mod:`reglab.experiments.store` for the results store: each cell is committed
as soon as its own models are done (not when its whole chunk is),
``resume=True`` trains only the cells the store lacks, and a sweep the store
already holds entirely is answered from it, untrained.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from reglab.config import (
    DEFAULTS_OMITTED,
    MAX_MODELS,
    USED_SETTINGS,
    InitScheme,
    MaskMode,
    Optimizer,
    TrainConfig,
    check,
    check_settings_used,
)
from reglab.data.dataset import Dataset
from reglab.errors import DataError, ParameterError
from reglab.experiments.backends import (
    DEFAULT_CHUNK_SIZE,
    Backend,
    ChunkOutcome,
    Notice,
    check_backend,
    check_backend_ready,
    check_chunk_size,
    plan_chunks,
    run_chunks,
)
from reglab.experiments.statistics import MAX_SEEDS, json_number, resolve_seeds, summary
from reglab.experiments.store import (
    ResultStore,
    StoredCell,
    cell_key,
    dataset_fingerprint,
)
from reglab.types import BoolArray, FloatArray
from reglab.version import __version__

DEFAULT_MAX_CONFIGS = MAX_MODELS
"""The largest sweep (cells x seeds) run without an explicit ``max_configs``."""

JSON_SCHEMA_VERSION = 1

TIE_TOLERANCE = 1e-12
"""Mean accuracies closer than this are equal (they differ only by summation rounding)."""

_LIST_FIELDS = (
    "l2", "keep_prob", "learning_rate", "layers", "masks", "l1",
    "optimizer", "beta1", "beta2", "epsilon", "batch_size",
)  # fmt: skip
_OPTIMIZER_FIELDS = ("optimizer", "beta1", "beta2", "epsilon")
"""The update rule's axes: in grids, cells and documents only away from their defaults
(:data:`reglab.config.DEFAULTS_OMITTED`), so that earlier grids and stores read as before."""


def _as_tuple(name: str, values: object) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(name, "a non-empty list of values", values)
    items = tuple(values)
    if not items:
        raise ParameterError(name, "a non-empty list of values", list(items))
    return items


def _distinct(name: str, values: tuple[Any, ...]) -> None:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ParameterError(name, "a list of distinct values", list(values))
        seen.append(value)


@dataclass(frozen=True)
class SweepGrid:
    """The grid of a sweep: every combination of the list fields, each under every seed.

    Attributes:
        l2: lambda values, each >= 0.
        l1: alpha values of L1, each >= 0 (with ``l2``: the elastic net).
        batch_size: mini-batch sizes, each >= 1 or None (``"all"``: the whole training set).
        keep_prob: keep probabilities, each in (0, 1].
        learning_rate: learning rates, each > 0.
        layers: architectures, e.g. ``((2, 20, 3, 1),)``.
        masks: dropout mask modes, ``"fresh"`` and/or ``"course"``.
        seeds: N (seeds ``0..N-1``, at most :data:`MAX_SEEDS`) or an explicit
            tuple of distinct seeds.
        init: the initialization, shared by all cells; ``"lecun"`` by default
            (the course's distribution, drawn from each seed's generator).
            ``"course"`` ignores the seed, so its seeds differ only by their
            fresh dropout masks (and not at all where keep_prob is 1).
        iterations: gradient-descent iterations of every model.
        record_every: record cost and accuracy every this many iterations.
        optimizer, beta1, beta2, epsilon: update rules (``"gd"``, ``"momentum"``,
            ``"adam"``) and their constants, as in :class:`TrainConfig` (beta1, beta2
            and epsilon do nothing for ``"gd"``).
        early_stopping, validation_fraction, patience: early stopping, shared by all cells
            (see :class:`TrainConfig`); each seed draws its own validation split.

    Lists are stored as tuples of floats (lambda 0 and 0.0 are one value); each
    value is checked as :class:`TrainConfig` checks it, and values must be distinct.
    """

    l2: tuple[float, ...] = (0.0,)
    keep_prob: tuple[float, ...] = (1.0,)
    learning_rate: tuple[float, ...] = (0.3,)
    layers: tuple[tuple[int, ...], ...] = ((2, 20, 3, 1),)
    masks: tuple[MaskMode, ...] = ("fresh",)
    seeds: int | tuple[int, ...] = 5
    init: InitScheme = "lecun"
    iterations: int = 30_000
    record_every: int = 1_000
    l1: tuple[float, ...] = (0.0,)
    optimizer: tuple[Optimizer, ...] = ("gd",)
    beta1: tuple[float, ...] = (0.9,)
    beta2: tuple[float, ...] = (0.999,)
    epsilon: tuple[float, ...] = (1e-8,)
    batch_size: tuple[int | None, ...] = (None,)
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 10

    def __post_init__(self) -> None:
        # Every value is checked by its rule in reglab.config.PARAMETERS (the messages of
        # TrainConfig and the command line) and normalized there (-0.0 is 0.0: one cell).
        for name in _LIST_FIELDS:
            values = tuple(
                check(name, tuple(value) if isinstance(value, list) else value)
                for value in _as_tuple(name, getattr(self, name))
            )
            _distinct(name, values)
            object.__setattr__(self, name, values)
        if isinstance(self.seeds, int) and not isinstance(self.seeds, bool):
            # N is checked without building range(N): a huge N must be refused, not allocated.
            if self.seeds < 1:
                resolve_seeds(self.seeds)  # refuses it, with the message every seed list gets
            if self.seeds > MAX_SEEDS:
                raise ParameterError("seeds", f"at most {MAX_SEEDS:,} seeds", self.seeds)
        else:
            object.__setattr__(self, "seeds", resolve_seeds(self.seeds))
        for name in (
            "init",
            "iterations",
            "record_every",
            "early_stopping",
            "validation_fraction",
            "patience",
        ):
            object.__setattr__(self, name, check(name, getattr(self, name)))

    @property
    def n_seeds(self) -> int:
        """The number of seeds, N (counted without listing them)."""
        return self.seeds if isinstance(self.seeds, int) else len(self.seeds)

    @cached_property
    def seed_list(self) -> tuple[int, ...]:
        """The explicit seeds, built on first use (check the size first: see :meth:`check_size`)."""
        return resolve_seeds(self.seeds)

    @property
    def n_cells(self) -> int:
        """The number of grid points."""
        return math.prod(len(getattr(self, name)) for name in _LIST_FIELDS)

    @property
    def n_configs(self) -> int:
        """The number of models to train: cells x seeds."""
        return self.n_cells * self.n_seeds

    def check_size(self, max_configs: int | None, hint: str = "raise max_configs") -> None:
        """Raise :class:`ParameterError` when the grid has more than ``max_configs`` models.

        Args:
            max_configs: the cap (None: no cap).
            hint: how to run a larger sweep, for the message.
        """
        if max_configs is not None and self.n_configs > max_configs:
            raise ParameterError(
                "sweep size",
                f"at most {max_configs:,} models (cells x seeds; this grid has "
                f"{self.n_cells:,} cells x {self.n_seeds:,} seeds) unless you {hint}",
                self.n_configs,
            )

    def cells(self) -> list[SweepCell]:
        """Every grid point, in grid order (layers, learning rate, masks, keep_prob, lambda,
        alpha, optimizer, beta1, beta2, epsilon, batch size)."""
        return [
            SweepCell(
                layers=layers,
                learning_rate=learning_rate,
                l2=l2,
                keep_prob=keep_prob,
                masks=masks,
                init=self.init,
                iterations=self.iterations,
                record_every=self.record_every,
                l1=l1,
                optimizer=optimizer,
                beta1=beta1,
                beta2=beta2,
                epsilon=epsilon,
                batch_size=batch_size,
                early_stopping=self.early_stopping,
                validation_fraction=self.validation_fraction,
                patience=self.patience,
            )
            for (
                layers, learning_rate, masks, keep_prob, l2, l1, optimizer, beta1, beta2, epsilon
            ), batch_size in itertools.product(
                itertools.product(
                    self.layers, self.learning_rate, self.masks, self.keep_prob, self.l2,
                    self.l1, self.optimizer, self.beta1, self.beta2, self.epsilon,
                ),
                self.batch_size,
            )
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``SweepGrid.from_dict(g.to_dict()) == g``.

        ``l1`` appears only when it is not the default ``[0]`` (absent means no L1), and
        the optimizer's axes and ``batch_size`` (``[None]``: full batch) only away from
        their defaults, so grids without them read as before them.
        """
        optimizers = {
            name: list(getattr(self, name))
            for name in _OPTIMIZER_FIELDS
            if getattr(self, name) != (DEFAULTS_OMITTED[name],)
        }
        return {
            **({"l1": list(self.l1)} if self.l1 != (0.0,) else {}),
            **({"batch_size": list(self.batch_size)} if self.batch_size != (None,) else {}),
            "l2": list(self.l2),
            "keep_prob": list(self.keep_prob),
            "learning_rate": list(self.learning_rate),
            "layers": [list(shape) for shape in self.layers],
            "masks": list(self.masks),
            "seeds": self.seeds if isinstance(self.seeds, int) else list(self.seeds),
            "init": self.init,
            "iterations": self.iterations,
            "record_every": self.record_every,
            **optimizers,
            **_early_stopping_dict(self),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepGrid:
        """Build a grid from a dict; list fields also accept a single value."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ParameterError("sweep grid", f"keys among {known}", unknown)
        values: dict[str, Any] = {}
        for name, value in data.items():
            sequence = isinstance(value, (list, tuple))
            single = not sequence or (
                name == "layers" and bool(value) and not isinstance(value[0], (list, tuple))
            )
            if name in _LIST_FIELDS:
                values[name] = (value,) if single else tuple(value)
            elif name == "seeds" and sequence:
                values[name] = tuple(value)
            else:
                values[name] = value
        grid = cls(**values)
        defaults = cls()
        check_settings_used(
            {name: getattr(grid, name) for name in USED_SETTINGS},
            {name: getattr(defaults, name) for name in USED_SETTINGS},
            grid.optimizer,
            grid.early_stopping,
        )
        return grid

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> SweepGrid:
        """Read a grid from TOML: the keys of :meth:`to_dict`, top level or under ``[sweep]``.

        Example::

            [sweep]
            l2 = [0, 0.01, 0.1, 0.7]
            l1 = [0, 0.1]
            batch_size = ["all", 32]
            keep_prob = [1, 0.86]
            optimizer = ["gd", "adam"]
            seeds = 10
            iterations = 30000
        """
        file = Path(path)
        if file.exists() and not file.is_file():  # a FIFO or a device would block or never end
            raise ParameterError(
                "config", "a regular TOML file (not a directory, a FIFO or a device)", str(file)
            )
        try:
            with file.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as error:
            raise DataError(f"sweep config file {file} does not exist") from error
        except OSError as error:
            raise DataError(
                f"sweep config file {file} cannot be read: {error.strerror or error}"
            ) from error
        except UnicodeDecodeError as error:
            raise DataError(
                f"sweep config file {file} is not UTF-8 text "
                f"({error.reason} at byte {error.start}); save it as UTF-8 TOML"
            ) from error
        except tomllib.TOMLDecodeError as error:
            raise DataError(f"sweep config file {file} is not valid TOML: {error}") from error
        table = data.get("sweep", data)
        if not isinstance(table, dict):
            raise DataError(f"sweep config file {file}: [sweep] must be a table")
        return cls.from_dict(table)


def _early_stopping_dict(source: SweepGrid | SweepCell) -> dict[str, Any]:
    """The early-stopping fields not at their defaults (absent: as before early stopping)."""
    defaults = {"early_stopping": False, "validation_fraction": 0.1, "patience": 10}
    return {
        name: getattr(source, name)
        for name, default in defaults.items()
        if getattr(source, name) != default
    }


@dataclass(frozen=True)
class SweepCell:
    """One grid point: a configuration without its seed."""

    layers: tuple[int, ...]
    learning_rate: float
    l2: float
    keep_prob: float
    masks: MaskMode
    init: InitScheme
    iterations: int
    record_every: int
    l1: float = 0.0
    optimizer: Optimizer = "gd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    batch_size: int | None = None
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 10

    @classmethod
    def of(cls, config: TrainConfig) -> SweepCell:
        """The cell ``config`` belongs to (everything but its seed)."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def config(self, seed: int) -> TrainConfig:
        """This cell's configuration under ``seed``."""
        return TrainConfig(seed=seed, **{f.name: getattr(self, f.name) for f in fields(self)})

    def to_dict(self) -> dict[str, Any]:
        """The cell's fields, JSON-ready (the store's key is built from this).

        ``l1`` appears only when it is not 0 (absent means 0), the optimizer's fields,
        ``batch_size`` and early stopping's only away from their defaults: a cell without
        them has the key it had before them, so results stores written then still resume.
        """
        optimizers = {
            name: getattr(self, name)
            for name in _OPTIMIZER_FIELDS
            if getattr(self, name) != DEFAULTS_OMITTED[name]
        }
        return {
            "layers": list(self.layers),
            "learning_rate": self.learning_rate,
            "l2": self.l2,
            **({"l1": self.l1} if self.l1 != 0 else {}),
            "keep_prob": self.keep_prob,
            "masks": self.masks,
            "init": self.init,
            "iterations": self.iterations,
            "record_every": self.record_every,
            **optimizers,
            **({"batch_size": self.batch_size} if self.batch_size is not None else {}),
            **_early_stopping_dict(self),
        }


@dataclass(frozen=True, eq=False)
class CellResult:
    """A cell's results under each of its seeds.

    Attributes:
        cell: the grid point.
        seeds: the seeds, in order.
        train_accuracy, test_accuracy: final accuracies per seed, shape ``(N,)``.
        final_cost: final training cost per seed (NaN where not finite), ``(N,)``.
        diverged: per seed, ``(N,)``.
        reglab_version: the version that trained it.
        from_store: True when this call read it from the store instead of training.
    """

    cell: SweepCell
    seeds: tuple[int, ...]
    train_accuracy: FloatArray
    test_accuracy: FloatArray
    final_cost: FloatArray
    diverged: BoolArray
    reglab_version: str
    from_store: bool

    @classmethod
    def of_stored(cls, cell: SweepCell, stored: StoredCell) -> CellResult:
        """The cell's results as the store holds them (``from_store`` True)."""
        return cls(
            cell=cell,
            seeds=stored.seeds,
            train_accuracy=stored.train_accuracy,
            test_accuracy=stored.test_accuracy,
            final_cost=stored.final_cost,
            diverged=stored.diverged,
            reglab_version=stored.reglab_version,
            from_store=True,
        )

    def as_stored(self, dataset_fingerprint: str) -> StoredCell:
        """The row that records these results in a results store."""
        return StoredCell(
            config=self.cell.to_dict(),
            seeds=self.seeds,
            train_accuracy=self.train_accuracy,
            test_accuracy=self.test_accuracy,
            final_cost=self.final_cost,
            diverged=self.diverged,
            reglab_version=self.reglab_version,
            dataset_fingerprint=dataset_fingerprint,
        )

    @property
    def n_seeds(self) -> int:
        """N."""
        return len(self.seeds)

    @property
    def gap(self) -> FloatArray:
        """Generalization gap per seed, train - test accuracy, shape ``(N,)``."""
        gap: FloatArray = self.train_accuracy - self.test_accuracy
        return gap

    @property
    def test_mean(self) -> float:
        """Mean test accuracy."""
        return float(np.mean(self.test_accuracy))

    @property
    def test_std(self) -> float:
        """Standard deviation (ddof = 1) of the test accuracy; NaN with one seed."""
        return summary(self.test_accuracy)["std"]

    @property
    def n_diverged(self) -> int:
        """How many seeds diverged."""
        return int(np.count_nonzero(self.diverged))

    def row(self) -> dict[str, Any]:
        """The cell's table row: configuration, n_seeds, and mean/std/min/max of each measure."""
        row: dict[str, Any] = self.cell.to_dict()
        row["n_seeds"] = self.n_seeds
        row["n_diverged"] = self.n_diverged
        for measure, values in (
            ("train", self.train_accuracy),
            ("test", self.test_accuracy),
            ("gap", self.gap),
        ):
            for statistic, value in summary(values).items():
                row[f"{measure}_{statistic}"] = json_number(value)
        return row

    def runs(self) -> list[dict[str, Any]]:
        """The per-seed results, JSON-ready."""
        return [
            {
                "seed": seed,
                "train_accuracy": float(self.train_accuracy[i]),
                "test_accuracy": float(self.test_accuracy[i]),
                "final_cost": json_number(float(self.final_cost[i])),
                "diverged": bool(self.diverged[i]),
            }
            for i, seed in enumerate(self.seeds)
        ]

    def label(self) -> str:
        """A short description for people, e.g. ``l2=0.7, keep_prob=1, learning_rate=0.3``."""
        cell = self.cell
        l1 = f"l1={cell.l1:g}, " if cell.l1 != 0 else ""
        optimizer = "".join(
            f", {name}={value:g}" if isinstance(value, float) else f", {name}={value}"
            for name, value in cell.to_dict().items()
            if name in _OPTIMIZER_FIELDS
        )
        return (
            f"l2={cell.l2:g}, {l1}keep_prob={cell.keep_prob:g}, "
            f"learning_rate={cell.learning_rate:g}, "
            f"layers={'-'.join(str(n) for n in cell.layers)}, masks={cell.masks}{optimizer}"
            + (f", batch_size={cell.batch_size}" if cell.batch_size is not None else "")
        )


def within_noise(
    best_mean: float,
    best_std: float,
    best_n: int,
    other_mean: float,
    other_std: float,
    other_n: int,
) -> bool:
    """Whether a result is within noise of the best: the rule of :func:`recommend`.

    ``other`` is within noise of ``best`` when ``best_mean - other_mean`` is at
    most one standard error of the difference of the two means,
    ``sqrt(best_std^2 / best_n + other_std^2 / other_n)`` (Welch's, unpaired: for
    results that share their seeds' initial weights it overstates the noise, so
    it errs towards "cannot tell apart"). A mean above the best's is always within
    noise. Without an estimate of the noise (a standard deviation that is NaN, as
    with one seed) nothing is within noise.

    Args:
        best_mean, best_std, best_n: the best's mean, standard deviation (ddof = 1)
            and number of seeds.
        other_mean, other_std, other_n: the same for the result compared with it.

    Returns:
        True when the data cannot tell the two means apart by this rule.

    Raises:
        ParameterError: a number of seeds below 1.
    """
    for name, n in (("best_n", best_n), ("other_n", other_n)):
        if n < 1:
            raise ParameterError(name, "a number of seeds >= 1", n)
    standard_error = math.sqrt(best_std**2 / best_n + other_std**2 / other_n)
    return best_mean - other_mean <= standard_error


@dataclass(frozen=True, eq=False)
class Recommendation:
    """The best cell, and the cells the data cannot tell apart from it.

    Attributes:
        best: the cell with the highest mean test accuracy (see the module's rule).
        within_noise: other cells whose mean is within one standard error of the
            difference of the best's, best first.
        noise_estimated: False when one seed per cell leaves the noise unknown.
        text: the recommendation, in words.
    """

    best: CellResult
    within_noise: tuple[CellResult, ...]
    noise_estimated: bool
    text: str


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def recommend(cells: Sequence[CellResult]) -> Recommendation:
    """Apply the module's rule to finished cells (in grid order)."""
    if not cells:
        raise ParameterError("cells", "at least one finished cell", list(cells))
    candidates = [cell for cell in cells if cell.n_diverged == 0] or list(cells)
    top = max(cell.test_mean for cell in candidates)
    # The first cell in grid order among those at the top (means equal up to rounding).
    best = next(cell for cell in candidates if cell.test_mean >= top - TIE_TOLERANCE)
    noise_estimated = best.n_seeds >= 2
    within: list[CellResult] = []
    if noise_estimated:
        # Only the cells that could have been best compete: a diverged cell is not a
        # candidate, whatever its mean, unless every cell diverged somewhere.
        for cell in candidates:
            if cell is best:
                continue
            if within_noise(
                best.test_mean,
                best.test_std,
                best.n_seeds,
                cell.test_mean,
                cell.test_std,
                cell.n_seeds,
            ):
                within.append(cell)
        within.sort(key=lambda cell: -cell.test_mean)
    spread = f" ± {_percent(best.test_std)}" if noise_estimated else ""
    text = (
        f"Best: {best.label()}: mean test accuracy {_percent(best.test_mean)}{spread} "
        f"over {best.n_seeds} seed{'s' if best.n_seeds != 1 else ''}."
    )
    if len(cells) == 1:
        text += " Only one cell: nothing to compare."
    elif not noise_estimated:
        text += (
            " With one seed per cell the noise is unknown: the ranking may be luck. "
            "Run at least 2 seeds (10 is better)."
        )
    elif within:
        others = "; ".join(
            f"{cell.label()} ({_percent(cell.test_mean)} ± {_percent(cell.test_std)})"
            for cell in within[:5]
        )
        more = f" and {len(within) - 5} more" if len(within) > 5 else ""
        text += (
            f" It is within noise of {len(within)} other cell{'s' if len(within) != 1 else ''} "
            f"(mean difference at most one standard error): {others}{more}. "
            "The data cannot tell these apart; prefer the simplest, or run more seeds."
        )
    else:
        text += (
            " Every other cell's mean is lower by more than one standard error of the difference."
        )
    if best.n_diverged:
        text += " Warning: every cell had a diverged seed; try a smaller learning rate."
    return Recommendation(best, tuple(within), noise_estimated, text)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A finished sweep.

    Attributes:
        grid: the grid.
        dataset_name: the data's name.
        dataset_fingerprint: sha256 of its arrays (see :mod:`reglab.experiments.store`).
        cells: every cell's results, in grid order.
        n_trained: models this call trained.
        n_from_store: models this call read from the store.
        store_path: the store, if one was used.
    """

    grid: SweepGrid
    dataset_name: str
    dataset_fingerprint: str
    cells: tuple[CellResult, ...]
    n_trained: int
    n_from_store: int
    store_path: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The tidy table: one row per cell (see :meth:`CellResult.row`)."""
        return [cell.row() for cell in self.cells]

    def best(self) -> CellResult:
        """The cell with the highest mean test accuracy (see the module's rule)."""
        return self.recommendation().best

    def recommendation(self) -> Recommendation:
        """The best cell and the cells within noise of it."""
        return recommend(self.cells)

    def records(self) -> list[dict[str, Any]]:
        """One JSON record per cell: its row, its per-seed runs, and whether it is best or tied."""
        recommendation = self.recommendation()
        tied = {id(cell) for cell in recommendation.within_noise}
        return [
            {
                **cell.row(),
                "seeds": list(cell.seeds),
                "runs": cell.runs(),
                "best": cell is recommendation.best,
                "within_noise_of_best": id(cell) in tied,
                "from_store": cell.from_store,
                "reglab_version": cell.reglab_version,
            }
            for cell in self.cells
        ]

    def to_dict(self) -> dict[str, Any]:
        """The whole sweep as JSON: grid, dataset, per-cell records and the recommendation."""
        recommendation = self.recommendation()
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "reglab_version": __version__,
            "dataset": {"name": self.dataset_name, "fingerprint": self.dataset_fingerprint},
            "grid": self.grid.to_dict(),
            "cells": self.records(),
            "recommendation": {
                "best": recommendation.best.cell.to_dict(),
                "within_noise": [cell.cell.to_dict() for cell in recommendation.within_noise],
                "noise_estimated": recommendation.noise_estimated,
                "rule": "within one standard error of the difference of mean test accuracies",
                "text": recommendation.text,
            },
            "n_trained": self.n_trained,
            "n_from_store": self.n_from_store,
        }


@dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands.

    Attributes:
        cells_done: finished cells, those read from the store included.
        cells_total: the grid's cells.
        models_done: models trained so far by this call (fractional while a
            chunk trains on the local backend).
        models_total: models this call has to train (the store's excluded).
    """

    cells_done: int
    cells_total: int
    models_done: float
    models_total: int


SweepProgressCallback = Callable[[SweepProgress], None]


def sweep(
    dataset: Dataset,
    grid: SweepGrid,
    *,
    store: str | os.PathLike[str] | None = None,
    resume: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: Backend = "local",
    scheduler: str | None = None,
    n_jobs: int | None = None,
    progress: SweepProgressCallback | None = None,
    max_configs: int | None = DEFAULT_MAX_CONFIGS,
    notice: Notice | None = None,
) -> SweepResult:
    """Train every cell of ``grid`` under each of its seeds, and summarize.

    Args:
        dataset: the data; its features must match every architecture's input layer.
        grid: the grid.
        store: a results-store file (see :mod:`reglab.experiments.store`);
            created if missing. Each cell is committed as soon as its own
            models are trained, whatever the chunk size: on the local backend
            the engine hands back each model as it finishes, and remote chunks
            never mix two cells.
        resume: train only the cells the store lacks. Without it, a store
            that holds some but not all of this sweep's cells is refused; one
            that holds all of them answers without training.
        chunk_size: the most models in one engine call.
        backend: ``"local"``, ``"joblib"``, ``"dask"`` or ``"ray"`` (see
            :mod:`reglab.experiments.backends`).
        scheduler: the dask/ray scheduler address.
        n_jobs: worker processes for ``"joblib"``.
        progress: called with a :class:`SweepProgress` as the sweep advances.
        max_configs: refuse grids of more models (cells x seeds); None for no cap.
        notice: called with one line when the run changes course without
            failing (a dask worker left); default: a warning on the ``reglab`` logger.

    Returns:
        Every cell's results, in grid order.

    Raises:
        ParameterError: a bad argument, or a grid larger than ``max_configs``.
        DataError: an unusable store, or one written for other data.
        RunError: the cluster was lost; the cells committed before stay in the store.
    """
    if not isinstance(grid, SweepGrid):
        raise ParameterError("grid", "a SweepGrid", grid)
    check_chunk_size(chunk_size)
    check_backend(backend, n_jobs)
    if max_configs is not None and (
        not isinstance(max_configs, int) or isinstance(max_configs, bool) or max_configs < 1
    ):
        raise ParameterError("max_configs", "an integer >= 1 or None", max_configs)
    grid.check_size(max_configs)
    check_backend_ready(backend, scheduler)
    for layers in grid.layers:
        if layers[0] != dataset.n_features:
            raise ParameterError(
                "layers",
                f"architectures whose first layer is {dataset.n_features} "
                f"(the features of dataset {dataset.name!r})",
                layers,
            )
    cells = grid.cells()
    seeds = grid.seed_list
    keys = [cell_key(cell.to_dict(), seeds) for cell in cells]
    fingerprint = dataset_fingerprint(dataset)

    with ExitStack() as stack:
        opened: ResultStore | None = None
        stored: dict[str, StoredCell] = {}
        if store is not None:
            opened = stack.enter_context(
                ResultStore.open(store, dataset_fingerprint=fingerprint, dataset_name=dataset.name)
            )
            stored = opened.get_many(keys)
            if stored and not resume and len(stored) < len(cells):
                raise DataError(
                    f"results store {store} already holds {len(stored)} of this sweep's "
                    f"{len(cells)} cells; resume (--resume) to train only the missing ones, "
                    "or choose another store"
                )
        results: dict[int, CellResult] = {
            i: CellResult.of_stored(cells[i], stored[key])
            for i, key in enumerate(keys)
            if key in stored
        }
        todo = [i for i in range(len(cells)) if i not in results]
        configs = [cells[i].config(seed) for i in todo for seed in seeds]
        owners = [(i, position) for i in todo for position in range(len(seeds))]
        n_seeds = len(seeds)
        filled = {
            i: {
                "train": np.full(n_seeds, np.nan),
                "test": np.full(n_seeds, np.nan),
                "cost": np.full(n_seeds, np.nan),
                "diverged": np.zeros(n_seeds, dtype=bool),
            }
            for i in todo
        }
        remaining = dict.fromkeys(todo, n_seeds)
        state = {"models": 0.0, "handed": 0.0}

        def report() -> None:
            if progress is not None:
                progress(SweepProgress(len(results), len(cells), state["models"], len(configs)))

        def on_models(models_done: float) -> None:
            state["models"] = max(models_done, state["handed"])
            report()

        report()

        def models_done(indices: Sequence[int], outcome: ChunkOutcome) -> None:
            # Models handed back are done, whatever the engine's last progress report said.
            state["handed"] += len(indices)
            state["models"] = max(state["models"], state["handed"])
            finished: list[StoredCell] = []
            for j, config_index in enumerate(indices):
                i, position = owners[config_index]
                arrays = filled[i]
                arrays["train"][position] = outcome.train_accuracy[j]
                arrays["test"][position] = outcome.test_accuracy[j]
                arrays["cost"][position] = outcome.final_cost[j]
                arrays["diverged"][position] = outcome.diverged[j]
                remaining[i] -= 1
                if remaining[i] == 0:
                    results[i] = CellResult(
                        cell=cells[i],
                        seeds=seeds,
                        train_accuracy=arrays["train"],
                        test_accuracy=arrays["test"],
                        final_cost=arrays["cost"],
                        diverged=arrays["diverged"],
                        reglab_version=__version__,
                        from_store=False,
                    )
                    finished.append(results[i].as_stored(fingerprint))
            if finished:
                # A cell is committed as soon as its last model is handed back.
                if opened is not None:
                    opened.put_many(finished)
                report()

        if configs:
            run_chunks(
                configs,
                plan_chunks(configs, chunk_size, backend=backend, unit=SweepCell.of),
                dataset,
                on_done=models_done,
                backend=backend,
                scheduler=scheduler,
                n_jobs=n_jobs,
                progress=on_models,
                notice=notice,
            )

    return SweepResult(
        grid=grid,
        dataset_name=dataset.name,
        dataset_fingerprint=fingerprint,
        cells=tuple(results[i] for i in range(len(cells))),
        n_trained=len(configs),
        n_from_store=len(stored) * len(seeds),
        store_path=None if store is None else os.fspath(store),
    )
