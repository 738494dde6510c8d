"""SPEC.md's training table, all three rows, through the library on the exercise's file.

The three models train once per session (30,000 iterations each, several seconds).
Costs are compared to rtol 1e-9 (SPEC allows the last digits to move across BLAS
builds); accuracies exactly, as counts of correct examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from reglab import course
from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.football import load_football
from reglab.engine import train
from reglab.errors import ParameterError
from reglab.experiments.exercise import Comparison, compare, mask_modes_pair


@dataclass(frozen=True)
class Row:
    costs: tuple[float, float, float]  # at iterations 0, 10,000 and 20,000
    train_correct: int  # of 211
    test_correct: int  # of 200


TABLE = {
    TrainConfig(): Row((0.6557412523481002, 0.1632998752572419, 0.13851642423239133), 200, 183),
    TrainConfig(l2=0.7): Row(
        (0.6974484493131264, 0.2684918873282239, 0.2680916337127301), 198, 186
    ),
    TrainConfig(keep_prob=0.86, masks="course"): Row(
        (0.6543912405149825, 0.061016986574905605, 0.060582435798513114), 196, 190
    ),
}
PRINTED_AT = (0, 10_000, 20_000)


@pytest.fixture(scope="module")
def football(football_path: Path) -> Dataset:
    return load_football(football_path)


@pytest.fixture(scope="module")
def comparison(football: Dataset) -> Comparison:
    return compare(football)


def _row_index(comparison: Comparison, config: TrainConfig) -> int:
    return comparison.result.configs.index(config)


def test_the_default_comparison_is_the_exercises_three_models(comparison: Comparison) -> None:
    assert sorted(map(repr, comparison.result.configs)) == sorted(map(repr, TABLE))
    np.testing.assert_array_equal(comparison.result.history.iterations, np.arange(0, 30_000, 1_000))


@pytest.mark.parametrize("config", list(TABLE), ids=["plain", "l2", "dropout"])
def test_costs_at_0_10000_20000(comparison: Comparison, config: TrainConfig) -> None:
    history = comparison.result.history
    k = _row_index(comparison, config)
    recorded = [history.cost[k, list(history.iterations).index(i)] for i in PRINTED_AT]
    np.testing.assert_allclose(recorded, TABLE[config].costs, rtol=1e-9, atol=0)


@pytest.mark.parametrize("config", list(TABLE), ids=["plain", "l2", "dropout"])
def test_accuracies_exactly(comparison: Comparison, config: TrainConfig) -> None:
    result = comparison.result
    assert result.test_accuracy is not None
    k = _row_index(comparison, config)
    row = TABLE[config]
    train, test = float(result.train_accuracy[k]), float(result.test_accuracy[k])
    assert (round(train * 211), round(test * 200)) == (row.train_correct, row.test_correct)
    assert (train, test) == (row.train_correct / 211, row.test_correct / 200)


def test_course_model_is_the_same_engine_as_the_batched_comparison(
    comparison: Comparison, football: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    """course.model (one configuration) gives the L2 row of the batched run, bit for bit."""
    k = _row_index(comparison, TrainConfig(l2=0.7))
    parameters = course.model(football.X_train, football.y_train, lambd=0.7)

    printed = capsys.readouterr().out.splitlines()
    assert [re.sub(r": \S+$", "", line) for line in printed] == [
        f"Cost after iteration {i}" for i in PRINTED_AT
    ]
    printed_costs = [float(line.rsplit(": ", 1)[1]) for line in printed]
    history = comparison.result.history
    assert printed_costs == [history.cost[k, i // 1_000] for i in PRINTED_AT]

    batched = comparison.result.parameters.model(k)
    for l in range(3):
        np.testing.assert_array_equal(parameters[f"W{l + 1}"], batched.weights[l][0])
        np.testing.assert_array_equal(parameters[f"b{l + 1}"], batched.biases[l][0])

    course.predict(football.X_train, football.y_train, parameters)
    course.predict(football.X_test, football.y_test, parameters)
    assert capsys.readouterr().out == f"Accuracy: {198 / 211}\nAccuracy: {186 / 200}\n"


def test_the_mask_modes_pair_differs_only_in_its_masks(football: Dataset) -> None:
    config = TrainConfig(iterations=300, record_every=100, keep_prob=0.8, l2=0.1, seed=3)
    pair = mask_modes_pair(football, config)
    assert [c.masks for c in pair.configs] == ["course", "fresh"]
    assert all(replace(c, masks="fresh") == config for c in pair.configs)
    alone = train(
        [replace(config, masks="course")],
        football.X_train,
        football.y_train,
        football.X_test,
        football.y_test,
    )
    np.testing.assert_array_equal(pair.history.cost[0], alone.history.cost[0])
    assert not np.array_equal(pair.history.cost[0], pair.history.cost[1])
    with pytest.raises(ParameterError, match=r"keep_prob must be in \(0, 1\)"):
        mask_modes_pair(football, TrainConfig(iterations=10))
