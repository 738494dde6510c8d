"""Seed studies: each named model trained under N seeds, so its spread is part of the answer.

The exercise compares three models from one run each; with a fresh dropout mask
every iteration, or a random initialization, the test accuracy moves by several
points from seed to seed, and one run cannot rank the models. A seed study trains
every model under the same N seeds (all N x models configurations in batched
engine calls) and reports, per model, the mean, standard deviation (ddof = 1),
minimum and maximum of the final training and test accuracy, and how often the
model ranks first on test accuracy.

Ranking: for each seed the models are ranked by test accuracy; when several tie
for first, the win is **split evenly** among them (two tied models get 0.5 each),
so the win counts of all models always add up to N.

``TrainConfig(init="course")`` ignores the seed by design (the exercise's legacy
generator), and ``masks="course"`` is one fixed mask. A seed study of the
exercise's models therefore uses :func:`honest_exercise_models`: the same
architecture, optimizer and regularizers, but ``init="lecun"`` (the course's
distribution, ``randn / sqrt(fan_in)``, drawn from each configuration's
generator) and ``masks="fresh"`` (a new dropout mask every iteration). Models
sharing an architecture and a seed start from the same weights, so each seed is
a paired comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.errors import ParameterError
from reglab.experiments.backends import (
    DEFAULT_CHUNK_SIZE,
    Backend,
    ChunkProgress,
    check_backend,
    check_backend_ready,
    plan_chunks,
    run_chunks,
)
from reglab.types import BoolArray, FloatArray
from reglab.version import __version__

JSON_SCHEMA_VERSION = 1


def resolve_seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    """The explicit seed list: ``N`` means seeds ``0, 1, ..., N-1``.

    Raises:
        ParameterError: unless ``seeds`` is an integer >= 1 or a non-empty
            sequence of distinct integers >= 0.
    """
    expected = "a number of seeds >= 1 or a non-empty list of distinct integers >= 0"
    if isinstance(seeds, bool):
        raise ParameterError("seeds", expected, seeds)
    if isinstance(seeds, int):
        if seeds < 1:
            raise ParameterError("seeds", expected, seeds)
        return tuple(range(seeds))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise ParameterError("seeds", expected, seeds)
    values = tuple(seeds)
    if (
        not values
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in values)
        or len(set(values)) != len(values)
    ):
        raise ParameterError("seeds", expected, list(values))
    return values


def summary(values: FloatArray) -> dict[str, float]:
    """Mean, standard deviation (ddof = 1; NaN for one value), minimum and maximum."""
    n = values.size
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if n >= 2 else math.nan,
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def json_number(value: float) -> float | None:
    """``value``, or None where JSON has no number (NaN, infinities)."""
    return value if math.isfinite(value) else None


def honest_exercise_models(iterations: int = 30_000) -> dict[str, TrainConfig]:
    """The exercise's three models, made seed-dependent for a seed study.

    Same layers (2, 20, 3, 1), learning rate 0.3, lambda 0.7 and keep_prob 0.86
    as the exercise, but ``init="lecun"`` (the course's distribution drawn from
    each configuration's generator) and ``masks="fresh"`` (a new dropout mask
    every iteration), so the seed changes the initialization and the masks.

    Args:
        iterations: gradient-descent iterations (the exercise's 30,000 by default).

    Returns:
        name -> configuration, in the exercise's order.
    """
    base = TrainConfig(init="lecun", masks="fresh", iterations=iterations)
    return {
        "no regularization": base,
        "L2, lambda = 0.7": replace(base, l2=0.7),
        "dropout, keep_prob = 0.86": replace(base, keep_prob=0.86),
    }


@dataclass(frozen=True, eq=False)
class ModelSeeds:
    """One named model's results under every seed of the study.

    Attributes:
        name: the model's name.
        config: its configuration (the ``seed`` field is replaced per run).
        seeds: the seeds, shape ``(N,)`` as a tuple.
        train_accuracy: final training accuracy per seed, shape ``(N,)``.
        test_accuracy: final test accuracy per seed, shape ``(N,)``.
        final_cost: final training cost per seed (see
            :class:`reglab.experiments.backends.ChunkOutcome`), shape ``(N,)``.
        diverged: True for seeds whose training diverged, shape ``(N,)``.
        wins: how many seeds this model ranked first on test accuracy (ties split evenly).
    """

    name: str
    config: TrainConfig
    seeds: tuple[int, ...]
    train_accuracy: FloatArray
    test_accuracy: FloatArray
    final_cost: FloatArray
    diverged: BoolArray
    wins: float

    @property
    def seed_dependent(self) -> bool:
        """False when the seed changes nothing (course initialization and no fresh masks)."""
        config = self.config
        fresh_dropout = config.keep_prob < 1 and config.masks == "fresh"
        return config.init != "course" or fresh_dropout

    def row(self) -> dict[str, Any]:
        """This model's summary as one flat, JSON-ready dict."""
        train = summary(self.train_accuracy)
        test = summary(self.test_accuracy)
        row: dict[str, Any] = {"model": self.name, "n_seeds": len(self.seeds)}
        row.update({f"train_{key}": json_number(value) for key, value in train.items()})
        row.update({f"test_{key}": json_number(value) for key, value in test.items()})
        row["wins"] = self.wins
        row["win_share"] = self.wins / len(self.seeds)
        row["n_diverged"] = int(np.count_nonzero(self.diverged))
        row["seed_dependent"] = self.seed_dependent
        return row


@dataclass(frozen=True, eq=False)
class SeedStudy:
    """Named models, each trained under the same seeds on one dataset."""

    dataset: Dataset
    seeds: tuple[int, ...]
    models: tuple[ModelSeeds, ...]

    def model(self, name: str) -> ModelSeeds:
        """The results of the model called ``name``."""
        for model in self.models:
            if model.name == name:
                return model
        raise ParameterError("name", f"one of {[m.name for m in self.models]}", name)

    def rows(self) -> list[dict[str, Any]]:
        """One summary row per model (mean/std/min/max of train and test accuracy, wins)."""
        return [model.row() for model in self.models]

    def seed_rows(self) -> list[dict[str, Any]]:
        """One row per model and seed: the raw observations behind :meth:`rows`."""
        return [
            {
                "model": model.name,
                "seed": seed,
                "train_accuracy": float(model.train_accuracy[i]),
                "test_accuracy": float(model.test_accuracy[i]),
                "final_cost": json_number(float(model.final_cost[i])),
                "diverged": bool(model.diverged[i]),
            }
            for model in self.models
            for i, seed in enumerate(model.seeds)
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: dataset, seeds, each model's config, summary and per-seed results."""
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "reglab_version": __version__,
            "dataset": self.dataset.to_dict(),
            "seeds": list(self.seeds),
            "ties": "split evenly",
            "models": [
                {
                    **model.row(),
                    "config": {k: v for k, v in model.config.to_dict().items() if k != "seed"},
                    "runs": [row for row in self.seed_rows() if row["model"] == model.name],
                }
                for model in self.models
            ],
        }


def count_wins(test_accuracy: FloatArray) -> FloatArray:
    """Per model, the seeds on which it ranked first; ties split evenly.

    Args:
        test_accuracy: shape ``(n_models, N)``.

    Returns:
        Win counts, shape ``(n_models,)``, summing to N.
    """
    best = test_accuracy.max(axis=0, keepdims=True)
    tied = test_accuracy == best
    share = tied / tied.sum(axis=0, keepdims=True)
    wins: FloatArray = share.sum(axis=1)
    return wins


def seed_study(
    dataset: Dataset,
    models: Mapping[str, TrainConfig],
    seeds: int | Sequence[int],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: Backend = "local",
    scheduler: str | None = None,
    progress: ChunkProgress | None = None,
) -> SeedStudy:
    """Train each named model under every seed, in batched engine calls.

    Args:
        dataset: the data; its features must match each model's input layer.
        models: name -> configuration; each one's ``seed`` is replaced by the
            study's seeds. See :func:`honest_exercise_models`.
        seeds: N (seeds ``0..N-1``) or an explicit list of distinct seeds.
        chunk_size: the most models in one engine call.
        backend: where chunks train (see :mod:`reglab.experiments.backends`).
        scheduler: the dask/ray scheduler address for those backends.
        progress: called with the number of models finished so far.

    Returns:
        Every model's per-seed results and their summaries.
    """
    seed_list = resolve_seeds(seeds)
    check_backend(backend)
    check_backend_ready(backend, scheduler)
    if not models:
        raise ParameterError("models", "a non-empty mapping of name -> TrainConfig", dict(models))
    for name, config in models.items():
        if not isinstance(config, TrainConfig):
            raise ParameterError(f"models[{name!r}]", "a TrainConfig", config)
        if config.layers[0] != dataset.n_features:
            raise ParameterError(
                f"models[{name!r}].layers",
                f"a first layer of {dataset.n_features} units (the dataset's features)",
                config.layers,
            )
    names = list(models)
    configs = [replace(models[name], seed=seed) for name in names for seed in seed_list]
    n_seeds = len(seed_list)
    train_acc = np.empty(len(configs))
    test_acc = np.empty(len(configs))
    cost = np.empty(len(configs))
    diverged = np.empty(len(configs), dtype=bool)
    chunks = plan_chunks(configs, chunk_size)
    for index, outcome in run_chunks(
        configs, chunks, dataset, backend=backend, scheduler=scheduler, progress=progress
    ):
        members = chunks[index]
        train_acc[members] = outcome.train_accuracy
        test_acc[members] = outcome.test_accuracy
        cost[members] = outcome.final_cost
        diverged[members] = outcome.diverged
    shape = (len(names), n_seeds)
    wins = count_wins(test_acc.reshape(shape))
    results = tuple(
        ModelSeeds(
            name=name,
            config=models[name],
            seeds=seed_list,
            train_accuracy=train_acc.reshape(shape)[j].copy(),
            test_accuracy=test_acc.reshape(shape)[j].copy(),
            final_cost=cost.reshape(shape)[j].copy(),
            diverged=diverged.reshape(shape)[j].copy(),
            wins=float(wins[j]),
        )
        for j, name in enumerate(names)
    )
    return SeedStudy(dataset=dataset, seeds=seed_list, models=results)
