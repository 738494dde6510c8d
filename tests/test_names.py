"""One naming rule for every face: the exercise's names, and what differs said once."""

from __future__ import annotations

from reglab.config import TrainConfig
from reglab.experiments.exercise import EXERCISE_MODELS
from reglab.experiments.names import model_name


def test_the_exercises_models_get_the_names_compare_prints() -> None:
    for name, config in EXERCISE_MODELS.items():
        assert model_name(config) == name


def test_a_name_says_every_setting_that_differs_from_the_exercise() -> None:
    config = TrainConfig(
        l1=0.01,
        early_stopping=True,
        patience=5,
        optimizer="adam",
        beta2=0.99,
        learning_rate=0.01,
        batch_size=32,
        init="he",
    )
    assert model_name(config) == (
        "L1, alpha = 0.01 + early stopping, patience = 5, Adam, beta2 = 0.99, "
        "learning_rate = 0.01, batches of 32, init = he"
    )
    assert model_name(TrainConfig(optimizer="momentum")) == "no regularization, momentum"
