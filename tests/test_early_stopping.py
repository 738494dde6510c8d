"""Early stopping: the kernel against the NumPy reference, the stop rule, the returned parameters.

A model with ``early_stopping`` trains on its own split of the training set (the
validation part drawn from its seed's fourth stream), records the validation cost every
``record_every`` iterations, stops after ``patience`` records without a lower one, and
returns the parameters of the lowest.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from reglab.config import TrainConfig
from reglab.engine import train
from reglab.engine.reference import train_reference
from reglab.engine.training import TrainedModels, prepare, validation_split
from reglab.errors import ParameterError
from reglab.experiments.sweep import SweepGrid
from test_kernel import _assert_same, _data

EARLY = {"iterations": 60, "record_every": 3, "early_stopping": True}

CONFIGS = [
    TrainConfig(patience=2, learning_rate=3.0, **EARLY),  # oscillates: stops early
    TrainConfig(patience=3, validation_fraction=0.3, seed=4, init="he", **EARLY),  # runs on
    TrainConfig(patience=2, batch_size=16, learning_rate=2.0, keep_prob=0.8, seed=2, **EARLY),
    TrainConfig(patience=1, keep_prob=0.7, masks="course", l2=0.3, learning_rate=1.5, **EARLY),
    TrainConfig(patience=2, l1=0.2, batch_size=50, learning_rate=2.5, seed=7, **EARLY),
    TrainConfig(iterations=60, record_every=3),  # no early stopping, in the same batch
]


def _assert_same_stops(kernel: TrainedModels, reference: TrainedModels) -> None:
    _assert_same(kernel, reference)
    assert kernel.stopped_at == reference.stopped_at
    assert kernel.best_iteration == reference.best_iteration
    assert kernel.history.validation_cost is not None
    assert reference.history.validation_cost is not None
    np.testing.assert_allclose(
        kernel.history.validation_cost, reference.history.validation_cost, rtol=1e-12, atol=0
    )


@pytest.fixture(scope="module")
def trained() -> TrainedModels:
    X, Y, X_test, Y_test = _data(211)
    return train(CONFIGS, X, Y, X_test, Y_test)


def test_early_stopping_matches_the_reference(trained: TrainedModels) -> None:
    X, Y, X_test, Y_test = _data(211)
    _assert_same_stops(trained, train_reference(CONFIGS, X, Y, X_test, Y_test))
    assert trained.stopped_at[0] is not None and trained.stopped_at[1] is None  # both cases
    assert trained.stopped_at[-1] is None and trained.best_iteration[-1] is None


@pytest.mark.parametrize("layers", [(2, 1), (3, 8, 1), (2, 9, 4, 2, 1)])
def test_early_stopping_matches_the_reference_for_depths(layers: tuple[int, ...]) -> None:
    X, Y, X_test, Y_test = _data(301, n_features=layers[0], seed=len(layers))
    settings = {"layers": layers, "iterations": 40, "record_every": 2, "early_stopping": True}
    configs = [
        TrainConfig(patience=1, learning_rate=2.0, **settings),
        TrainConfig(patience=2, l2=0.5, keep_prob=0.75, seed=3, init="he", **settings),
        TrainConfig(patience=1, keep_prob=0.6, masks="course", batch_size=40, **settings),
    ]
    _assert_same_stops(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


def test_the_stop_rule(trained: TrainedModels) -> None:
    """Stop at the first record that is the ``patience``-th in a row without a new lowest;
    the best is the lowest before it; records after the stop are NaN, and not divergence."""
    assert trained.history.validation_cost is not None
    for k, config in enumerate(CONFIGS[:-1]):
        costs = trained.history.validation_cost[k]
        best, best_at, unimproved, stop = math.inf, None, 0, None
        for r, iteration in enumerate(trained.history.iterations):
            if r == 0 or costs[r] < best:
                best, best_at, unimproved = costs[r], int(iteration), 0
            else:
                unimproved += 1
                if unimproved >= config.patience:
                    stop = int(iteration)
                    break
        assert trained.stopped_at[k] == stop
        if stop is not None:
            assert trained.best_iteration[k] == best_at
            after = trained.history.iterations > stop
            assert np.all(np.isnan(costs[after])) and np.all(np.isfinite(costs[~after]))
            assert np.all(np.isnan(trained.history.cost[k, after]))
        else:
            assert trained.best_iteration[k] in (best_at, config.iterations)
    assert trained.diverged_at == (None,) * len(CONFIGS)


@pytest.mark.parametrize("k", range(len(CONFIGS) - 1))
def test_the_returned_parameters_are_the_best_records(trained: TrainedModels, k: int) -> None:
    """A run of ``best_iteration`` iterations ends on the best record's parameters: its final
    parameters are then the best (they were the lowest of the longer run), bit for bit."""
    X, Y, X_test, Y_test = _data(211)
    best = trained.best_iteration[k]
    assert best is not None
    if best == 0:
        pytest.skip("the initial parameters were the best")
    config = dataclasses.replace(CONFIGS[k], iterations=best, patience=10**6)
    short = train([config], X, Y, X_test, Y_test)
    assert short.best_iteration == (best,) and short.stopped_at == (None,)
    for mine, theirs in zip(
        trained.parameters.weights + trained.parameters.biases,
        short.parameters.weights + short.parameters.biases,
        strict=True,
    ):
        np.testing.assert_array_equal(mine[k], theirs[0])
    assert trained.final_cost[k] == short.final_cost[0]
    assert trained.train_accuracy[k] == short.train_accuracy[0]
    assert trained.test_accuracy is not None and short.test_accuracy is not None
    assert trained.test_accuracy[k] == short.test_accuracy[0]


def test_without_early_stopping_nothing_changes() -> None:
    X, Y, _, _ = _data(100)
    result = train([TrainConfig(iterations=10, record_every=5)], X, Y)
    assert result.history.validation_cost is None
    assert result.stopped_at == (None,) and result.best_iteration == (None,)


def test_the_split_comes_from_the_fourth_stream_and_keeps_the_data_order() -> None:
    X, Y, _, _ = _data(50)
    problem = prepare([TrainConfig(early_stopping=True, seed=9), TrainConfig()], X, Y, None, None)
    split = problem.splits[0]
    assert split is not None and problem.splits[1] is None
    child = np.random.SeedSequence(9).spawn(4)[3]
    held = np.random.default_rng(child).permutation(50)[:5]  # ceil(0.1 * 50)
    np.testing.assert_array_equal(split.validation, np.sort(held))
    np.testing.assert_array_equal(np.sort(np.concatenate(split)), np.arange(50))
    assert np.all(np.diff(split.train) > 0)


def test_a_split_leaving_a_part_empty_is_refused() -> None:
    with pytest.raises(ParameterError) as caught:
        validation_split(1, 0.1, np.random.default_rng(0))
    assert str(caught.value).startswith("validation_fraction must be a fraction leaving")
    assert str(caught.value).endswith("Received: validation_fraction=0.1")


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("validation_fraction", 0.0, "in (0, 1)"),
        ("validation_fraction", 1.0, "in (0, 1)"),
        ("patience", 0, "an integer in [1, 1,000,000,000]"),
        ("early_stopping", 1, "true or false"),
    ],
)
def test_bad_values_are_refused(name: str, value: object, rule: str) -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(**{name: value})  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{name} must be {rule}")


def test_early_stopping_fields_are_in_the_dict_only_when_set() -> None:
    assert not {"early_stopping", "validation_fraction", "patience"} & set(TrainConfig().to_dict())
    config = TrainConfig(early_stopping=True, patience=3)
    data = config.to_dict()
    assert data["early_stopping"] is True and data["patience"] == 3
    assert "validation_fraction" not in data
    assert TrainConfig.from_dict(data) == config


def test_reglab_train_early_stopping_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    from reglab.cli import main

    args = ["train", "--dataset", "moons", "--iterations", "3000", "--record-every", "100"]
    args += ["--learning-rate", "1", "--early-stopping", "--patience", "2"]
    assert main([*args, "--json"]) == 0
    model = json.loads(capsys.readouterr().out)["models"][0]
    assert model["config"]["early_stopping"] is True and model["config"]["patience"] == 2
    stop, best = model["stopped_at"], model["best_iteration"]
    assert stop is not None and best < stop
    assert [i for i, _ in model["costs"]] == list(range(0, stop + 1, 100))
    assert [i for i, _ in model["validation_costs"]] == list(range(0, stop + 1, 100))
    lowest = min(model["validation_costs"], key=lambda pair: pair[1])
    assert lowest[0] == best
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"early stopping: stopped at iteration {stop}; returned the parameters of " in out
    assert f"iteration {best} (lowest validation cost; 20 examples held out)" in out
    assert "train accuracy:" in out and "/180)" in out and "nan" not in out
    assert main([*args[:-3], "--json"]) == 0  # without early stopping: no new keys
    plain = json.loads(capsys.readouterr().out)["models"][0]
    assert not {"stopped_at", "best_iteration", "validation_costs"} & set(plain)


def test_early_stopping_is_a_sweep_setting_that_round_trips(tmp_path: Path) -> None:
    grid = SweepGrid(early_stopping=True, patience=3, seeds=2, iterations=10, record_every=5)
    assert SweepGrid.from_dict(grid.to_dict()) == grid
    assert grid.cells()[0].config(4) == TrainConfig(
        early_stopping=True, patience=3, seed=4, init="lecun", iterations=10, record_every=5
    )
    assert grid.cells()[0].to_dict()["early_stopping"] is True
    assert not {"early_stopping", "patience", "validation_fraction"} & set(
        SweepGrid().cells()[0].to_dict()
    )
    file = tmp_path / "grid.toml"
    file.write_text(
        "[sweep]\nearly_stopping = true\npatience = 3\nseeds = 2\niterations = 10\n"
        "record_every = 5\n"
    )
    assert SweepGrid.from_toml(file) == grid


def test_the_cost_figure_marks_the_stop_and_the_best(trained: TrainedModels) -> None:
    from reglab.plots.curves import plot_cost_curves

    names = [f"m{k}" for k in range(len(CONFIGS))]
    rates = [c.learning_rate for c in CONFIGS]
    figure = plot_cost_curves(
        trained.history, names, rates, trained.stopped_at, trained.best_iteration
    )
    ax = figure.axes[0]
    stops = [s for s in trained.stopped_at if s is not None]
    vertical = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert sorted(float(line.get_xdata()[0]) * 1000 for line in vertical) == sorted(stops)
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(stars) == len(CONFIGS) - 1  # every early-stopping model
    assert sum(line.get_linestyle() == "--" for line in ax.lines) == len(CONFIGS) - 1


def test_sweep_final_costs_are_on_the_examples_trained_on() -> None:
    from reglab.data import load_dataset
    from reglab.experiments.sweep import sweep

    dataset = load_dataset(dataset="moons")
    grid = SweepGrid(early_stopping=True, patience=2, seeds=2, iterations=300, record_every=50)
    result = sweep(dataset, grid)
    direct = train(
        [grid.cells()[0].config(seed) for seed in (0, 1)],
        dataset.X_train,
        dataset.y_train,
        dataset.X_test,
        dataset.y_test,
    )
    np.testing.assert_allclose(result.cells[0].final_cost, direct.final_cost, rtol=1e-12)
    np.testing.assert_array_equal(result.cells[0].train_accuracy, direct.train_accuracy)


def test_the_report_says_where_an_early_stopping_model_stopped() -> None:
    from reglab.data import load_dataset
    from reglab.experiments.exercise import compare
    from reglab.report.reading import caveats

    dataset = load_dataset(dataset="moons")
    settings = {"iterations": 3000, "record_every": 100, "learning_rate": 1.0}
    comparison = compare(
        dataset,
        {
            "stops": TrainConfig(early_stopping=True, patience=2, **settings),
            "plain": TrainConfig(**settings),
        },
    )
    stop, best = comparison.result.stopped_at[0], comparison.result.best_iteration[0]
    assert stop is not None and best is not None
    notes = [note for note in caveats(comparison) if "early stopping" in note]
    assert notes == [
        '"stops" used early stopping: it held out 20 of the 200 training examples as a '
        f"validation set, stopped at iteration {stop:,} (2 records without a lower validation "
        f"cost), and returned the parameters with the lowest validation cost, those of "
        f"iteration {best:,} (the cost figure marks both). Its training accuracy and cost are "
        "on the 180 examples it trained on."
    ]


def test_every_face_counts_training_accuracy_over_the_examples_trained_on() -> None:
    """An early-stopping model's training accuracy is over the examples it trained on (180
    of moons' 200): the table, the figures' titles and the reading count those, not 200."""
    from reglab.data import load_dataset
    from reglab.experiments.exercise import compare
    from reglab.experiments.tables import conclusion_table
    from reglab.plots.boundaries import accuracy_titles
    from reglab.report.reading import reading

    dataset = load_dataset(dataset="moons")
    settings = {"iterations": 300, "record_every": 100, "learning_rate": 1.0}
    comparison = compare(
        dataset,
        {
            "plain": TrainConfig(**settings),
            "stops": TrainConfig(early_stopping=True, patience=2, l2=0.5, **settings),
        },
    )
    plain, stops = (float(a) for a in comparison.result.train_accuracy)
    assert comparison.result.configs[1].examples_trained_on(200) == 180
    assert math.isclose(stops * 180, round(stops * 180), abs_tol=1e-9)  # a count of 180
    plain_count, stops_count = f"{round(plain * 200)}/200", f"{round(stops * 180)}/180"
    rows = conclusion_table(comparison).rows
    assert rows[0][-2].endswith(f"({plain_count})") and rows[1][-2].endswith(f"({stops_count})")
    titles = accuracy_titles(list(comparison.names), comparison.result, dataset)
    assert f"({plain_count})" in titles[0] and f"({stops_count})" in titles[1]
    assert (
        f"({round(plain * 200)} of 200 to {round(stops * 180)} of 180 correct)"
        in reading(comparison)[0]
    )


def test_the_conclusion_table_says_stopped_past_an_early_stop() -> None:
    """A cost column past where a model stopped reads ``stopped``, not ``nan``."""
    from reglab.data import load_dataset
    from reglab.experiments.exercise import compare
    from reglab.experiments.tables import conclusion_table

    settings = {"iterations": 30_000, "record_every": 1_000, "learning_rate": 1.0}
    comparison = compare(
        load_dataset(dataset="moons"),
        {"stops": TrainConfig(early_stopping=True, patience=1, **settings)},
    )
    stop = comparison.result.stopped_at[0]
    assert stop is not None and stop < 20_000
    table = conclusion_table(comparison)
    assert table.header[1:4] == ("cost @0", "cost @10,000", "cost @20,000")
    cells = table.rows[0][1:4]
    assert cells[0] != "stopped" and cells[2] == "stopped"
    assert (cells[1] == "stopped") == (stop < 10_000)
    assert "nan" not in table.rows[0]
