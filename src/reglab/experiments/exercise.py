"""The exercise's three models and their comparison, the job ``reglab compare`` runs.

The settings are SPEC.md's: layers (2, 20, 3, 1), learning rate 0.3, 30,000
iterations, cost recorded every 1,000, the course's initialization; one model
without regularization, one with L2 (lambda = 0.7), one with the course's
fixed-mask "dropout" (keep_prob = 0.86). All three train in one batched call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.engine.training import ProgressCallback, TrainedModels, train
from reglab.errors import ParameterError
from reglab.version import __version__

JSON_SCHEMA_VERSION = 1

EXERCISE_MODELS: dict[str, TrainConfig] = {
    "no regularization": TrainConfig(),
    "L2, lambda = 0.7": TrainConfig(l2=0.7),
    "dropout, keep_prob = 0.86 (course masks)": TrainConfig(keep_prob=0.86, masks="course"),
}


@dataclass(frozen=True)
class Comparison:
    """Named models trained together on one dataset."""

    names: tuple[str, ...]
    dataset: Dataset
    result: TrainedModels

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form, documented in docs/json.md."""
        result = self.result
        history = result.history
        models = []
        for k, (name, config) in enumerate(zip(self.names, result.configs, strict=True)):
            stop = result.stopped_at[k]
            # Records after an early stop are empty (NaN): the arrays end at the stop.
            kept = history.iterations <= (config.iterations if stop is None else stop)
            models.append(
                {
                    "name": name,
                    "config": config.to_dict(),
                    "costs": [
                        [int(i), float(c)]
                        for i, c in zip(
                            history.iterations[kept], history.cost[k][kept], strict=True
                        )
                    ],
                    "train_accuracy": float(result.train_accuracy[k]),
                    "test_accuracy": (
                        float(result.test_accuracy[k]) if result.test_accuracy is not None else None
                    ),
                    **(
                        {
                            "validation_costs": [
                                [int(i), float(c)]
                                for i, c in zip(
                                    history.iterations[kept],
                                    history.validation_cost[k][kept],
                                    strict=True,
                                )
                            ],
                            "stopped_at": stop,
                            "best_iteration": result.best_iteration[k],
                        }
                        if config.early_stopping and history.validation_cost is not None
                        else {}
                    ),
                }
            )
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "reglab_version": __version__,
            "dataset": self.dataset.to_dict(),
            "models": models,
        }


def compare(
    dataset: Dataset,
    models: dict[str, TrainConfig] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Comparison:
    """Train named configurations of one architecture together on ``dataset``.

    Args:
        dataset: the data; its features must match the models' input layer.
        models: name -> configuration; by default the exercise's three models.
        progress: optional progress callback, passed to :func:`reglab.engine.train`.

    Returns:
        The trained models with their names and the dataset.
    """
    chosen = EXERCISE_MODELS if models is None else models
    result = train(
        list(chosen.values()),
        dataset.X_train,
        dataset.y_train,
        dataset.X_test,
        dataset.y_test,
        progress=progress,
    )
    return Comparison(tuple(chosen), dataset, result)


def mask_modes_pair(
    dataset: Dataset, config: TrainConfig, *, progress: ProgressCallback | None = None
) -> TrainedModels:
    """``config`` trained twice in one batch: with the course's fixed masks, then fresh masks.

    The two models differ only in their masks, so their boundaries show what the
    exercise's fixed mask changes. The first equals what any other run of
    ``replace(config, masks="course")`` trains.

    Raises:
        ParameterError: unless ``config.keep_prob`` is in (0, 1) (dropout that drops).
    """
    if not config.keep_prob < 1:
        raise ParameterError(
            "keep_prob", "in (0, 1) (a dropout that drops something)", config.keep_prob
        )
    return train(
        [replace(config, masks="course"), replace(config, masks="fresh")],
        dataset.X_train,
        dataset.y_train,
        dataset.X_test,
        dataset.y_test,
        progress=progress,
    )
