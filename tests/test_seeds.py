"""Seed studies: reproducible per seed whatever the chunking, and honest summaries."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.engine import train
from reglab.errors import ParameterError
from reglab.experiments.exercise import EXERCISE_MODELS
from reglab.experiments.seeds import (
    ModelSeeds,
    SeedStudy,
    count_wins,
    finished_runs,
    honest_exercise_models,
    seed_study,
)
from reglab.experiments.statistics import MAX_SEEDS, resolve_seeds
from reglab.experiments.sweep import SweepGrid, sweep

ITERATIONS = 200


@pytest.fixture(scope="module")
def goalkeeper() -> Dataset:
    return load_dataset(dataset="goalkeeper")


@pytest.fixture(scope="module")
def models() -> dict[str, TrainConfig]:
    return honest_exercise_models(iterations=ITERATIONS)


@pytest.fixture(scope="module")
def study(goalkeeper: Dataset, models: dict[str, TrainConfig]) -> SeedStudy:
    return seed_study(goalkeeper, models, 5)


def per_seed(study: SeedStudy) -> np.ndarray:
    """Every number of the study, stacked: (models, 4, seeds)."""
    return np.array(
        [
            [m.train_accuracy, m.test_accuracy, m.final_cost, m.diverged.astype(float)]
            for m in study.models
        ]
    )


def test_honest_models_are_the_exercises_with_seeded_initialization_and_fresh_masks() -> None:
    honest = honest_exercise_models()
    exercise = list(EXERCISE_MODELS.values())
    assert list(honest) == ["no regularization", "L2, lambda = 0.7", "dropout, keep_prob = 0.86"]
    for config, original in zip(honest.values(), exercise, strict=True):
        assert config == replace(original, init="lecun", masks="fresh")
    assert honest_exercise_models(iterations=300)["no regularization"].iterations == 300


def test_each_seed_equals_that_configuration_trained_alone(
    goalkeeper: Dataset, models: dict[str, TrainConfig], study: SeedStudy
) -> None:
    assert study.seeds == (0, 1, 2, 3, 4)
    for model in study.models:
        for position, seed in enumerate(study.seeds):
            alone = train(
                [replace(models[model.name], seed=seed)],
                goalkeeper.X_train,
                goalkeeper.y_train,
                goalkeeper.X_test,
                goalkeeper.y_test,
            )
            assert alone.test_accuracy is not None
            assert model.train_accuracy[position] == alone.train_accuracy[0]
            assert model.test_accuracy[position] == alone.test_accuracy[0]


@pytest.mark.parametrize("chunk_size", [1, 2, 7])
def test_same_seeds_are_bit_identical_across_runs_and_chunkings(
    goalkeeper: Dataset, models: dict[str, TrainConfig], study: SeedStudy, chunk_size: int
) -> None:
    again = seed_study(goalkeeper, models, 5, chunk_size=chunk_size)
    np.testing.assert_array_equal(per_seed(again), per_seed(study))


def test_a_seed_gives_the_same_model_in_a_study_and_in_a_sweep(
    goalkeeper: Dataset, study: SeedStudy
) -> None:
    grid = SweepGrid(l2=(0.0, 0.7), seeds=5, iterations=ITERATIONS)
    result = sweep(goalkeeper, grid, chunk_size=3)
    names = ["no regularization", "L2, lambda = 0.7"]
    for cell, name in zip(result.cells, names, strict=True):
        np.testing.assert_array_equal(cell.test_accuracy, study.model(name).test_accuracy)
        np.testing.assert_array_equal(cell.final_cost, study.model(name).final_cost)
    # The same models, the same verdict: a seed study judges as the sweep recommends.
    two = SeedStudy(study.dataset, study.seeds, tuple(study.model(name) for name in names))
    verdict, recommendation = two.verdict(), result.recommendation()
    name_of = dict(zip((id(cell) for cell in result.cells), names, strict=True))
    assert verdict.best == name_of[id(recommendation.best)]
    assert verdict.within_noise == tuple(name_of[id(c)] for c in recommendation.within_noise)


def test_different_seeds_give_different_models(
    goalkeeper: Dataset, models: dict[str, TrainConfig], study: SeedStudy
) -> None:
    for model in study.models:
        assert len(set(model.final_cost.tolist())) == len(study.seeds)
    other = seed_study(goalkeeper, models, [10, 11, 12, 13, 14])
    assert not np.any(per_seed(other)[:, 2] == per_seed(study)[:, 2])


def test_summaries_are_mean_std_min_max_of_the_seeds(study: SeedStudy) -> None:
    rows = study.rows()
    assert [row["model"] for row in rows] == [m.name for m in study.models]
    for model, row in zip(study.models, rows, strict=True):
        for prefix, values in (("train", model.train_accuracy), ("test", model.test_accuracy)):
            assert row[f"{prefix}_mean"] == pytest.approx(np.mean(values), rel=1e-12)
            assert row[f"{prefix}_std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)
            assert row[f"{prefix}_min"] == values.min()
            assert row[f"{prefix}_max"] == values.max()
        assert row["n_seeds"] == 5 and row["seed_dependent"]
    assert sum(row["wins"] for row in rows) == pytest.approx(5)
    # The dropout model's test accuracy does move with the seed (fresh masks, seeded init).
    assert rows[2]["test_std"] > 0


def test_wins_split_ties_evenly() -> None:
    test_accuracy = np.array(
        [
            [0.90, 0.95, 0.90],  # model 0: ties seed 0 with model 1, seed 1 with model 2
            [0.90, 0.93, 0.92],  # model 1: ties seed 0, wins seed 2 alone
            [0.85, 0.95, 0.91],  # model 2: ties seed 1
        ]
    )  # (models, seeds)
    np.testing.assert_array_equal(count_wins(test_accuracy), [1.0, 1.5, 0.5])


def test_study_json_and_seed_rows(study: SeedStudy) -> None:
    payload = json.loads(json.dumps(study.to_dict(), allow_nan=False))
    assert payload["seeds"] == [0, 1, 2, 3, 4] and payload["ties"] == "split evenly"
    dropout = payload["models"][2]
    assert dropout["config"]["keep_prob"] == 0.86 and "seed" not in dropout["config"]
    assert [run["seed"] for run in dropout["runs"]] == [0, 1, 2, 3, 4]
    assert [run["test_accuracy"] for run in dropout["runs"]] == study.models[
        2
    ].test_accuracy.tolist()
    assert len(study.seed_rows()) == 15


def test_course_initialization_without_fresh_masks_is_flagged_seed_independent(
    goalkeeper: Dataset,
) -> None:
    course = TrainConfig(iterations=50, record_every=10)
    result = seed_study(goalkeeper, {"course": course}, 3)
    model = result.model("course")
    assert not model.seed_dependent and model.row()["seed_dependent"] is False
    assert model.row()["test_std"] == 0.0


@pytest.mark.parametrize(
    "changes",
    [{"batch_size": 32}, {"early_stopping": True, "patience": 2}],
    ids=["mini-batches", "early-stopping"],
)
def test_the_seed_matters_with_mini_batches_or_early_stopping(
    goalkeeper: Dataset, changes: dict[str, object]
) -> None:
    """The seed draws the batches' order and the validation split, even at course init."""
    config = TrainConfig(iterations=200, record_every=20, **changes)  # type: ignore[arg-type]
    model = seed_study(goalkeeper, {"course": config}, 3).model("course")
    assert np.ptp(model.final_cost) > 0  # the runs are different models
    assert model.seed_dependent and model.row()["seed_dependent"] is True


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        (0, "Received: seeds=0"),
        ([], "Received: seeds=[]"),
        ([1, 1], "Received: seeds=[1, 1]"),
        ([-1], "Received: seeds=[-1]"),
        (True, "Received: seeds=True"),
        ("3", "Received: seeds='3'"),
    ],
)
def test_bad_seeds_are_refused(seeds: object, message: str) -> None:
    with pytest.raises(ParameterError) as raised:
        resolve_seeds(seeds)  # type: ignore[arg-type]
    assert str(raised.value).startswith(
        "seeds must be a number of seeds >= 1 or a non-empty list of "
        "distinct integers in [0, 2**63 - 1] (stored as 64-bit integers)."
    )
    assert str(raised.value).endswith(message)


@pytest.mark.parametrize("n_seeds", [MAX_SEEDS + 1, 10**20])
def test_absurd_seed_counts_are_refused_before_any_list_is_built(n_seeds: int) -> None:
    with pytest.raises(ParameterError) as raised:
        resolve_seeds(n_seeds)
    assert str(raised.value) == (
        f"seeds must be at most {MAX_SEEDS:,} seeds. Received: seeds={n_seeds}"
    )


def test_models_must_fit_the_data(goalkeeper: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"models\['wide'\]\.layers must be a first layer"):
        seed_study(goalkeeper, {"wide": TrainConfig(layers=(3, 1))}, 2)
    with pytest.raises(ParameterError, match="models must be a non-empty mapping"):
        seed_study(goalkeeper, {}, 2)
    assert resolve_seeds(3) == (0, 1, 2) and resolve_seeds((5, 2)) == (5, 2)


def test_finished_runs_are_reused_not_trained(
    goalkeeper: Dataset,
    models: dict[str, TrainConfig],
    study: SeedStudy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs trained elsewhere (seed 2 of two models) make the same study, trained without them."""
    from reglab.experiments import backends

    names = ["no regularization", "dropout, keep_prob = 0.86"]
    alone = train(
        [replace(models[name], seed=2) for name in names],
        goalkeeper.X_train,
        goalkeeper.y_train,
        goalkeeper.X_test,
        goalkeeper.y_test,
    )
    finished = finished_runs(names, alone, goalkeeper)
    assert set(finished) == {(name, 2) for name in names}
    trained: list[tuple[int, float]] = []
    real = backends.train

    def counted(configs: list[TrainConfig], *args: object, **kwargs: object) -> object:
        trained.extend((config.seed, config.keep_prob) for config in configs)
        return real(configs, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backends, "train", counted)
    progress: list[float] = []
    again = seed_study(goalkeeper, models, 5, finished=finished, progress=progress.append)
    assert len(trained) == 13 and (2, 1.0) in trained and (2, 0.86) not in trained
    assert progress[0] >= 2 and progress[-1] == 15
    np.testing.assert_array_equal(per_seed(again), per_seed(study))


# --- the verdict: the sweep's rule, within one standard error of the difference ----------------


def _model(name: str, test: list[float], *, diverged: int = 0, wins: float = 0) -> ModelSeeds:
    n = len(test)
    return ModelSeeds(
        name=name,
        config=TrainConfig(keep_prob=0.9, init="lecun"),
        seeds=tuple(range(n)),
        train_accuracy=np.full(n, 0.99),
        test_accuracy=np.array(test),
        final_cost=np.full(n, 0.1),
        diverged=np.arange(n) < diverged,
        wins=wins,
    )


def _study(dataset: Dataset, *models: ModelSeeds) -> SeedStudy:
    return SeedStudy(dataset, models[0].seeds, models)


def test_verdict_uses_the_standard_error_of_the_difference(goalkeeper: Dataset) -> None:
    """B is 0.01 below A: within one std (0.0115) but not within sqrt(s1²/n1 + s2²/n2) (0.0082).

    C is 0.005 below A: within noise by either rule.
    """
    a = _model("A", [0.95, 0.97, 0.95, 0.97], wins=3)
    b = _model("B", [0.94, 0.96, 0.94, 0.96])
    c = _model("C", [0.95, 0.96, 0.95, 0.96], wins=1)
    verdict = _study(goalkeeper, b, a).verdict()
    assert (verdict.best, verdict.within_noise, verdict.noise_estimated) == ("A", (), True)
    assert verdict.text == (
        '"A" has the best mean test accuracy (0.9600, std 0.0115, first on 3 of 4 seeds); every '
        "other model has a mean lower by more than one standard error of the difference "
        '(next: "B", 0.9500, std 0.0115).'
    )
    verdict = _study(goalkeeper, b, a, c).verdict()
    assert (verdict.best, verdict.within_noise) == ("A", ("C",))
    assert verdict.text == (
        '"A" has the best mean test accuracy (0.9600, std 0.0115, first on 3 of 4 seeds), but '
        '"C" (0.9550, std 0.0058) is within noise of it (mean difference at most one standard '
        "error of the difference): 4 seeds do not separate them."
    )


def test_verdict_skips_diverged_models_and_counts_their_runs(goalkeeper: Dataset) -> None:
    a = _model("A", [0.97, 0.97, 0.97, 0.97], diverged=1, wins=4)
    b = _model("B", [0.90, 0.92, 0.90, 0.92])
    verdict = _study(goalkeeper, a, b).verdict()
    # As in a sweep, a diverged model is no candidate, not even "within noise" of the best.
    assert verdict.best == "B" and verdict.within_noise == ()
    assert verdict.text.startswith(
        '"B" has the best mean test accuracy among the models without a diverged run (0.9100, '
    )
    assert "; every other model had a diverged run." in verdict.text
    assert verdict.text.endswith(" 1 of the 8 runs diverged.")


def test_verdict_with_one_seed_says_the_noise_is_unknown(goalkeeper: Dataset) -> None:
    verdict = _study(goalkeeper, _model("A", [0.9], wins=1), _model("B", [0.8])).verdict()
    assert (verdict.best, verdict.noise_estimated) == ("A", False)
    assert verdict.text == (
        '"A" has the best mean test accuracy (0.9000, std n/a, first on 1 of 1 seeds); with one '
        "seed the noise is unknown: the ranking may be luck."
    )


def test_verdict_of_one_model_is_its_spread(goalkeeper: Dataset, study: SeedStudy) -> None:
    verdict = _study(goalkeeper, _model("A", [0.90, 0.95, 0.92])).verdict()
    assert verdict.text == (
        "Across 3 seeds, test accuracy ranged from 0.9000 to 0.9500, a spread of 5.0 points "
        "(mean 0.9233, std 0.0252)."
    )
    payload = json.loads(json.dumps(study.to_dict()))["verdict"]
    assert payload == {**study.verdict().to_dict(), "within_noise": list(payload["within_noise"])}
    assert payload["rule"] == "within one standard error of the difference of mean test accuracies"


def test_a_share_of_tied_wins_is_said_to_be_one(goalkeeper: Dataset) -> None:
    """Ties split a seed's win; a fraction of a seed needs its reason beside it."""
    a = _model("A", [0.95, 0.97, 0.95, 0.97], wins=2.5)
    b = _model("B", [0.90, 0.92, 0.90, 0.92], wins=1.5)
    assert (
        "first on 2.5 of 4 seeds, a tie counting as a share)"
        in _study(goalkeeper, a, b).verdict().text
    )
