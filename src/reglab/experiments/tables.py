"""The exercise's tables as rows of formatted strings: conclusion, models, seed spread.

Shared by the command line and the report, so both print the same numbers: costs in full
(``repr`` of the float, e.g. ``0.6557412523481002``), accuracies to 6
significant digits with the count of correct examples, e.g.
``0.947867 (200/211)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from reglab.config import TrainConfig
from reglab.errors import ParameterError
from reglab.experiments.exercise import Comparison

PRINT_EVERY = 10_000
"""The exercise prints the cost every 10,000 iterations; the table shows those recorded."""

SEED_SPREAD_STATISTICS: tuple[str, ...] = ("mean", "std", "min", "max")
SEED_SPREAD_KEYS: tuple[str, ...] = tuple(
    f"{split}_{statistic}" for split in ("train", "test") for statistic in SEED_SPREAD_STATISTICS
)
"""Statistics a seed-spread row must have, besides ``"model"``: the keys of
:meth:`reglab.experiments.seeds.SeedStudy.rows`, which may also hold ``"n_seeds"``
and ``"wins"`` (shown when present)."""


@dataclass(frozen=True)
class Table:
    """A table ready to render: a header row and rows of strings of the same length."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def format_cost(cost: float) -> str:
    """A cost in full: the shortest text that reads back as the same float."""
    return repr(float(cost))


def correct_count(accuracy: float, m: int) -> int:
    """The number of correct examples behind an accuracy over ``m`` examples."""
    return round(float(accuracy) * m)


def format_accuracy(accuracy: float, m: int) -> str:
    """``0.947867 (200/211)``: 6 significant digits and the count of correct examples."""
    return f"{float(accuracy):.6g} ({correct_count(accuracy, m)}/{m})"


def cost_checkpoints(comparison: Comparison) -> list[int]:
    """The recorded iterations that the exercise prints (multiples of 10,000)."""
    return [int(i) for i in comparison.result.history.iterations if i % PRINT_EVERY == 0]


def conclusion_table(comparison: Comparison) -> Table:
    """The exercise's conclusion table for a comparison, one row per model.

    Columns: model, ``cost @0``, ``cost @10,000``, ... (the recorded multiples
    of 10,000; ``stopped`` past where early stopping stopped a model), train accuracy
    and, when measured, test accuracy.
    """
    result = comparison.result
    history = result.history
    iterations = [int(i) for i in history.iterations]
    checkpoints = cost_checkpoints(comparison)
    n_train = comparison.dataset.X_train.shape[1]
    n_test = comparison.dataset.X_test.shape[1]
    header = ["model", *(f"cost @{i:,}" for i in checkpoints), "train accuracy"]
    if result.test_accuracy is not None:
        header.append("test accuracy")
    rows = []
    for k, name in enumerate(comparison.names):
        row = [name]
        stop = result.stopped_at[k]
        row += [
            "stopped"
            if stop is not None and i > stop
            else format_cost(history.cost[k, iterations.index(i)])
            for i in checkpoints
        ]
        row.append(
            format_accuracy(
                result.train_accuracy[k], result.configs[k].examples_trained_on(n_train)
            )
        )
        if result.test_accuracy is not None:
            row.append(format_accuracy(result.test_accuracy[k], n_test))
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows))


def models_table(comparison: Comparison) -> Table:
    """Every model's full configuration, one row per model."""
    configs = comparison.result.configs
    documents = [config.to_dict() for config in configs]
    # Every field some model's document has (l1 only when some model uses it), in field order.
    keys = [f.name for f in fields(TrainConfig) if any(f.name in d for d in documents)]
    rows = []
    for name, config, values in zip(comparison.names, configs, documents, strict=True):
        rows.append(
            (name, *(_config_value(key, values.get(key, getattr(config, key))) for key in keys))
        )
    return Table(("model", *keys), tuple(rows))


def _config_value(key: str, value: object) -> str:
    """A setting as the command line writes it (``batch_size`` None: ``all``)."""
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if key == "batch_size" and value is None:
        return "all"
    return str(value)


def _number(row: Mapping[str, object], key: str, digits: str) -> str:
    value = row.get(key)
    if value is None:
        return "n/a"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(float(value))
    ):
        raise ParameterError("seed_spread", f"rows whose {key!r} is a finite number or None", value)
    return format(float(value), digits)


def seed_spread_table(rows: Sequence[Mapping[str, object]]) -> Table:
    """The seed-spread table from the rows of a seed study.

    Each row is a mapping like :meth:`reglab.experiments.seeds.SeedStudy.rows`
    gives: ``"model"`` (its name), ``train_mean``, ``train_std``, ``train_min``,
    ``train_max``, ``test_mean``, ``test_std``, ``test_min``, ``test_max``
    (accuracies as fractions, or None where undefined, e.g. the standard
    deviation of one seed), and optionally ``"n_seeds"`` and ``"wins"`` (the
    seeds on which the model ranked first on test accuracy), shown when every
    row has them. Other keys are ignored.
    """
    if len(rows) == 0:
        raise ParameterError("seed_spread", "None or a non-empty list of rows", list(rows))
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("model"), str):
            raise ParameterError("seed_spread", "rows that are mappings with a 'model' name", row)
        missing = [key for key in SEED_SPREAD_KEYS if key not in row]
        if missing:
            raise ParameterError(
                "seed_spread", f"rows with the keys {', '.join(SEED_SPREAD_KEYS)}", sorted(row)
            )
    extras = [key for key in ("n_seeds", "wins") if all(key in row for row in rows)]
    header = (
        "model",
        *(key.replace("_", " ") for key in SEED_SPREAD_KEYS),
        *("seeds" if key == "n_seeds" else key for key in extras),
    )
    table_rows = tuple(
        (
            str(row["model"]),
            *(_number(row, key, ".4f") for key in SEED_SPREAD_KEYS),
            *(_number(row, key, ".3g") for key in extras),
        )
        for row in rows
    )
    return Table(header, table_rows)
