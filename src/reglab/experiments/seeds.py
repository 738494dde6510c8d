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

**The verdict** (:meth:`SeedStudy.verdict`) applies the sweep's rule
(:func:`reglab.experiments.sweep.recommend`), each model standing for a sweep
cell: the best model has the highest mean test accuracy (models with a diverged
run are candidates only if every model has one), and another model is *within
noise* of it when the difference of the two means is at most one standard error
of that difference, ``sqrt(s1^2 / n1 + s2^2 / n2)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.engine.training import trained_on
from reglab.errors import ParameterError
from reglab.experiments.backends import (
    DEFAULT_CHUNK_SIZE,
    Backend,
    ChunkOutcome,
    ChunkProgress,
    check_backend,
    check_backend_ready,
    check_chunk_size,
    final_cost,
    plan_chunks,
    run_chunks,
)
from reglab.experiments.statistics import json_number, resolve_seeds, summary
from reglab.experiments.sweep import CellResult, SweepCell, recommend
from reglab.types import BoolArray, FloatArray
from reglab.version import __version__

if TYPE_CHECKING:
    from reglab.engine.training import TrainedModels

JSON_SCHEMA_VERSION = 1

NOISE_RULE = "within one standard error of the difference of mean test accuracies"
"""The verdict's rule, in the words of the sweep's JSON ``recommendation.rule``."""


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


@dataclass(frozen=True)
class SeedRun:
    """One model's finished run under one seed.

    Attributes:
        train_accuracy: final training accuracy.
        test_accuracy: final test accuracy.
        final_cost: training cost of the final parameters (see
            :class:`reglab.experiments.backends.ChunkOutcome`).
        diverged: True if the run's cost became non-finite.
    """

    train_accuracy: float
    test_accuracy: float
    final_cost: float
    diverged: bool


def finished_runs(
    names: Sequence[str], trained: TrainedModels, dataset: Dataset
) -> dict[tuple[str, int], SeedRun]:
    """Models already trained, as ``(name, seed) -> run`` for :func:`seed_study`'s ``finished``.

    Args:
        names: the models' names, in ``trained``'s order.
        trained: K models trained on ``dataset`` (e.g. a
            :class:`reglab.experiments.exercise.Comparison`'s result), with a test set.
        dataset: the data they were trained on.
    """
    if trained.test_accuracy is None or len(names) != len(trained):
        raise ParameterError(
            "trained", f"{len(names)} models with a test accuracy", f"{len(trained)} models"
        )
    l2 = np.array([config.l2 for config in trained.configs], dtype=float)
    l1 = np.array([config.l1 for config in trained.configs], dtype=float)
    costs = final_cost(trained.parameters, dataset.X_train, dataset.y_train, l2, l1)
    for k, config in enumerate(trained.configs):
        if config.early_stopping:  # on the examples it trained on
            costs[k] = final_cost(
                trained.parameters.model(k),
                *trained_on(config, dataset.X_train, dataset.y_train),
                l2[k : k + 1],
                l1[k : k + 1],
            )[0]
    return {
        (name, config.seed): SeedRun(
            train_accuracy=float(trained.train_accuracy[k]),
            test_accuracy=float(trained.test_accuracy[k]),
            final_cost=float(costs[k]),
            diverged=trained.diverged_at[k] is not None,
        )
        for k, (name, config) in enumerate(zip(names, trained.configs, strict=True))
    }


@dataclass(frozen=True)
class SeedVerdict:
    """Which model of a seed study is best, and which ones its seeds cannot separate from it.

    Attributes:
        best: the best model's name (the sweep's rule; see the module).
        within_noise: the other models within one standard error of the difference
            of the best's mean test accuracy, best first.
        noise_estimated: False with one seed: the noise is unknown.
        text: one factual sentence saying so.
    """

    best: str
    within_noise: tuple[str, ...]
    noise_estimated: bool
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: best, within_noise, noise_estimated, rule and text."""
        return {
            "best": self.best,
            "within_noise": list(self.within_noise),
            "noise_estimated": self.noise_estimated,
            "rule": NOISE_RULE,
            "text": self.text,
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
        """False when the seed changes nothing: course initialization, no fresh masks,
        full batch (the seed orders the mini-batches) and no early stopping (the seed
        draws the validation split)."""
        config = self.config
        fresh_dropout = config.keep_prob < 1 and config.masks == "fresh"
        return (
            config.init != "course"
            or fresh_dropout
            or config.batch_size is not None
            or config.early_stopping
        )

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

    def stats_text(self) -> str:
        """``"0.9300, std 0.0050"``: mean and standard deviation of the test accuracy."""
        test = summary(self.test_accuracy)
        std = "n/a" if math.isnan(test["std"]) else f"{test['std']:.4f}"
        return f"{test['mean']:.4f}, std {std}"

    def cell_result(self) -> CellResult:
        """This model as a sweep cell's results, to apply the sweep's rule to it."""
        return CellResult(
            cell=SweepCell.of(self.config),
            seeds=self.seeds,
            train_accuracy=self.train_accuracy,
            test_accuracy=self.test_accuracy,
            final_cost=self.final_cost,
            diverged=self.diverged,
            reglab_version=__version__,
            from_store=False,
        )


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

    def verdict(self) -> SeedVerdict:
        """The best model and those within noise of it, by the sweep's rule (see the module).

        One model: the sentence says how far its test accuracy moved across the
        seeds, or that the seed changes nothing in its configuration. Diverged
        runs are counted at the end of the sentence.
        """
        cells = [model.cell_result() for model in self.models]
        recommendation = recommend(cells)
        model_of = {id(cell): model for cell, model in zip(cells, self.models, strict=True)}
        best = model_of[id(recommendation.best)]
        close = [model_of[id(cell)] for cell in recommendation.within_noise]
        text = self._verdict_text(best, close, noise_estimated=recommendation.noise_estimated)
        return SeedVerdict(
            best=best.name,
            within_noise=tuple(model.name for model in close),
            noise_estimated=recommendation.noise_estimated,
            text=text,
        )

    def _verdict_text(
        self, best: ModelSeeds, close: Sequence[ModelSeeds], *, noise_estimated: bool
    ) -> str:
        n_seeds = len(self.seeds)
        if len(self.models) == 1 and not best.seed_dependent:
            sentence = (
                "The seed changes nothing in this configuration (the course's initialization, "
                "no fresh dropout masks, full batch, no early stopping), so the "
                f"{n_seeds} runs are the same model; "
                "--init lecun (the course's distribution, seeded) or fresh dropout masks "
                "make the seed matter."
            )
        elif len(self.models) == 1:
            test = summary(best.test_accuracy)
            low, high = test["min"], test["max"]
            sentence = (
                f"Across {n_seeds} seed{'s' if n_seeds != 1 else ''}, test accuracy ranged from "
                f"{low:.4f} to {high:.4f}, a spread of {100 * (high - low):.1f} points "
                f"(mean {best.stats_text()})."
            )
        else:
            best_mean = float(np.mean(best.test_accuracy))
            higher = any(float(np.mean(m.test_accuracy)) > best_mean for m in self.models)
            among = " among the models without a diverged run" if higher else ""
            shared = "" if float(best.wins).is_integer() else ", a tie counting as a share"
            lead = (
                f'"{best.name}" has the best mean test accuracy{among} ({best.stats_text()}, '
                f"first on {best.wins:.3g} of {n_seeds} seeds{shared})"
            )
            if not noise_estimated:
                sentence = f"{lead}; with one seed the noise is unknown: the ranking may be luck."
            elif close:
                named = _joined([f'"{model.name}" ({model.stats_text()})' for model in close])
                verb = "are" if len(close) > 1 else "is"
                sentence = (
                    f"{lead}, but {named} {verb} within noise of it (mean difference at most "
                    f"one standard error of the difference): {n_seeds} seeds do not separate "
                    "them."
                )
            else:
                # Compare with the models that could have been best (as the sweep's rule does).
                stable = [m for m in self.models if not np.any(m.diverged)] or list(self.models)
                others = [model for model in stable if model is not best]
                if not others:
                    sentence = f"{lead}; every other model had a diverged run."
                else:
                    runner_up = max(others, key=lambda model: float(np.mean(model.test_accuracy)))
                    which = "without a diverged run " if higher else ""
                    sentence = (
                        f"{lead}; every other model {which}has a mean lower by more than one "
                        f'standard error of the difference (next: "{runner_up.name}", '
                        f"{runner_up.stats_text()})."
                    )
        diverged = sum(int(np.count_nonzero(model.diverged)) for model in self.models)
        if diverged:
            sentence += f" {diverged} of the {n_seeds * len(self.models)} runs diverged."
        return sentence

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
            "verdict": self.verdict().to_dict(),
            "models": [
                {
                    **model.row(),
                    "config": {k: v for k, v in model.config.to_dict().items() if k != "seed"},
                    "runs": [row for row in self.seed_rows() if row["model"] == model.name],
                }
                for model in self.models
            ],
        }

    def nested_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` as the ``"seed_study"`` object of a comparison's JSON document
        (docs/json.md): without the keys the enclosing document already has."""
        repeated = ("schema_version", "reglab_version", "dataset")
        return {key: value for key, value in self.to_dict().items() if key not in repeated}


def _joined(items: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


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
    finished: Mapping[tuple[str, int], SeedRun] | None = None,
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
        progress: called with the number of models finished so far (those
            in ``finished`` included).
        finished: runs already trained, ``(name, seed) -> run`` (see
            :func:`finished_runs`): reused, not trained again. A run is the
            same whatever batch trains it, so the study is unchanged.

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
    known = finished or {}
    pending: list[int] = []
    for position, key in enumerate((name, seed) for name in names for seed in seed_list):
        run = known.get(key)
        if run is None:
            pending.append(position)
            continue
        train_acc[position] = run.train_accuracy
        test_acc[position] = run.test_accuracy
        cost[position] = run.final_cost
        diverged[position] = run.diverged
    n_reused = len(configs) - len(pending)

    def on_models(done: float) -> None:
        if progress is not None:
            progress(n_reused + done)

    check_chunk_size(chunk_size)
    to_train = [configs[i] for i in pending]
    chunks = plan_chunks(to_train, chunk_size) if to_train else []

    def models_done(indices: Sequence[int], outcome: ChunkOutcome) -> None:
        members = [pending[i] for i in indices]
        train_acc[members] = outcome.train_accuracy
        test_acc[members] = outcome.test_accuracy
        cost[members] = outcome.final_cost
        diverged[members] = outcome.diverged

    run_chunks(
        to_train,
        chunks,
        dataset,
        on_done=models_done,
        backend=backend,
        scheduler=scheduler,
        progress=on_models if progress is not None else None,
    )
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
