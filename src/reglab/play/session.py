"""What one page shows, computed without Streamlit: its data, its models' names, its training.

The page (:mod:`reglab.play.app`) only lays these out. Training goes through
:func:`reglab.experiments.exercise.compare` (all models in one batched call) and, for
seeds > 1, :func:`reglab.experiments.seeds.seed_study`, which reuses the single run
as the first seed, exactly as ``reglab train --seeds`` does.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reglab.config import TrainConfig
from reglab.data.csv_files import parse_csv
from reglab.data.dataset import Dataset
from reglab.data.generators import GENERATORS, MULTICLASS_GENERATORS
from reglab.data.sources import load_dataset
from reglab.engine.training import ProgressCallback
from reglab.errors import DataError, ParameterError
from reglab.experiments.backends import ChunkProgress
from reglab.experiments.exercise import Comparison, compare
from reglab.experiments.names import model_name
from reglab.experiments.seeds import SeedStudy, finished_runs, seed_study
from reglab.play.caps import MAX_ROWS, MAX_UPLOAD_BYTES, MAX_WORK, training_work
from reglab.play.state import (
    EXERCISE_DATASET,
    FILE_DATASET,
    UPLOAD_DATASET,
    DataChoice,
    PlayState,
)


@dataclass(frozen=True)
class Upload:
    """A CSV uploaded on the page, held in memory only."""

    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        """The content's sha256: the cache key of the data it holds."""
        return hashlib.sha256(self.content).hexdigest()


def check_upload(upload: Upload) -> None:
    """Raise :class:`ParameterError` for an upload over :data:`MAX_UPLOAD_BYTES`."""
    if len(upload.content) > MAX_UPLOAD_BYTES:
        raise ParameterError(
            "upload",
            f"a CSV file of at most {MAX_UPLOAD_BYTES // 2**20} MB",
            f"{upload.name} ({len(upload.content) / 2**20:.1f} MB)",
        )


def check_rows(dataset: Dataset) -> None:
    """Raise :class:`ParameterError` for data of more than :data:`MAX_ROWS` examples."""
    rows = dataset.X_train.shape[1] + dataset.X_test.shape[1]
    if rows > MAX_ROWS:
        raise ParameterError("rows", f"at most {MAX_ROWS:,} examples", rows)


def load_choice(
    choice: DataChoice,
    *,
    file: Path | None = None,
    upload: Upload | None = None,
    offline: bool = False,
) -> Dataset:
    """The dataset ``choice`` names.

    Args:
        choice: the page's data.
        file: the file given to ``reglab play --data`` (for ``dataset="file"``).
        upload: the uploaded CSV (for ``dataset="upload"``); parsed in memory.
        offline: never download the exercise's file (``reglab play --offline``).

    Raises:
        DataError, ParameterError: data that cannot be read, or over the caps.
    """
    name = choice.dataset
    if name == UPLOAD_DATASET:
        if upload is None:
            raise DataError(
                "no CSV file uploaded yet: choose one with the uploader (a link never "
                "carries the file)"
            )
        check_upload(upload)
        dataset = parse_csv(
            upload.content,
            name=upload.name,
            source=f"uploaded file {upload.name} (in memory)",
            seed=choice.data_seed,
        )
    elif name == FILE_DATASET:
        if file is None:
            raise DataError("no file was given to reglab play --data")
        dataset = load_dataset(data=file)
    elif name in GENERATORS:
        classes = {"classes": choice.classes} if name in MULTICLASS_GENERATORS else {}
        dataset = GENERATORS[name](
            n_samples=choice.n_samples if choice.n_samples is not None else 400,
            noise=choice.noise if choice.noise is not None else 0.0,
            test_fraction=choice.test_fraction if choice.test_fraction is not None else 0.5,
            seed=choice.data_seed,
            **classes,
        )
    elif name == EXERCISE_DATASET:
        dataset = load_dataset(dataset=EXERCISE_DATASET, offline=offline)
    else:
        raise ParameterError("dataset", "a dataset of this page", name)
    check_rows(dataset)
    return dataset


def model_names(models: tuple[TrainConfig, ...]) -> tuple[str, ...]:
    """Distinct names for the page's models (:func:`reglab.experiments.names.model_name`),
    numbered when repeated."""
    labels = [model_name(config) for config in models]
    return tuple(
        f"{label} (model {index + 1})" if labels.count(label) > 1 else label
        for index, label in enumerate(labels)
    )


def check_work(state: PlayState, dataset: Dataset) -> None:
    """Raise :class:`ParameterError` when the page's training is over :data:`MAX_WORK`."""
    work = training_work(
        state.models, state.seeds, dataset.X_train.shape[1], dataset.X_test.shape[1]
    )
    if work > MAX_WORK:
        raise ParameterError(
            "training size",
            f"at most {MAX_WORK:,} multiply-adds (models x seeds x weights x examples "
            "passed: each iteration's batch, each record's pass over the data); lower "
            "iterations, seeds, layer widths, batch sizes or the data's size",
            f"{work:.2e}",
        )


@dataclass(frozen=True)
class PageResult:
    """The page's trained models: one run each, and the seed study when seeds > 1."""

    comparison: Comparison
    study: SeedStudy | None


def train_models(
    dataset: Dataset, state: PlayState, *, progress: ProgressCallback | None = None
) -> Comparison:
    """The page's models trained once, together, on ``dataset`` (seed ``state``'s seed)."""
    check_work(state, dataset)
    models = dict(zip(model_names(state.models), state.models, strict=True))
    return compare(dataset, models, progress=progress)


def study_models(
    comparison: Comparison, state: PlayState, *, progress: ChunkProgress | None = None
) -> SeedStudy:
    """The seed study of ``state``'s models, seeds ``seed`` .. ``seed + seeds - 1``.

    The single runs in ``comparison`` are its first seed, reused, not trained again.
    """
    first = state.shared.seed
    names = comparison.names
    models: Mapping[str, TrainConfig] = dict(zip(names, state.models, strict=True))
    reused = finished_runs(list(names), comparison.result, comparison.dataset)
    return seed_study(
        comparison.dataset,
        models,
        tuple(range(first, first + state.seeds)),
        progress=progress,
        finished=reused,
    )


def course_mask_models(comparison: Comparison) -> list[tuple[str, TrainConfig]]:
    """The models on the course's fixed masks that drop something: the quirk applies."""
    return [
        (name, config)
        for name, config in zip(comparison.names, comparison.result.configs, strict=True)
        if config.masks == "course" and config.keep_prob < 1
    ]


def seed_blind_models(state: PlayState) -> list[int]:
    """Indices of models the seed does not change: the course's initialization, no
    fresh-mask dropout, full batches (mini-batches follow a permutation drawn from the
    seed) and no early stopping (its validation set is drawn from the seed)."""
    return [
        index
        for index, config in enumerate(state.models)
        if config.init == "course"
        and (config.keep_prob == 1 or config.masks == "course")
        and config.batch_size is None
        and not config.early_stopping
    ]


class ResultsCache:
    """The last ``max_entries`` pages' results by key, shared by every session of a server.

    A plain least-recently-used map: the page looks a result up, and trains (with its
    progress bar) only on a miss, so going back to an earlier setting is instant.
    """

    def __init__(self, max_entries: int) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ParameterError("max_entries", "an integer >= 1", max_entries)
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, PageResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> PageResult | None:
        """The result stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            result = self._entries.get(key)
            if result is not None:
                self._entries.move_to_end(key)
            return result

    def put(self, key: Hashable, result: PageResult) -> None:
        """Store ``result`` under ``key``, forgetting the least recently used past the limit."""
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
