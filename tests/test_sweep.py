"""Sweeps: batched chunks equal one-by-one training, the table's statistics, the recommendation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.sources import load_dataset
from reglab.engine import train
from reglab.errors import DataError, ParameterError
from reglab.experiments.sweep import (
    MAX_SEEDS,
    CellResult,
    SweepCell,
    SweepGrid,
    SweepProgress,
    recommend,
    sweep,
    within_noise,
)
from reglab.plots.sweep import (
    SWEEP_FIGURE_NAMES,
    plot_gap_heatmap,
    plot_test_accuracy_heatmap,
    plot_validation_curve,
    write_sweep_figures,
)

ITERATIONS = 200

MIXED_GRID = SweepGrid(
    l2=(0.0, 0.3),
    keep_prob=(1.0, 0.8),
    learning_rate=(0.3, 0.1),
    layers=((2, 20, 3, 1), (2, 5, 1)),
    masks=("fresh", "course"),
    seeds=2,
    iterations=ITERATIONS,
    record_every=50,
)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


def reference_cost(config: TrainConfig, dataset: Dataset) -> tuple[float, float, float]:
    """Train one configuration alone; its accuracies and, from first principles, its final cost."""
    result = train([config], dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test)
    assert result.test_accuracy is not None
    A = dataset.X_train
    weights = [W[0] for W in result.parameters.weights]
    biases = [b[0] for b in result.parameters.biases]
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        Z = W @ A + b
        A = np.maximum(Z, 0) if l < len(weights) - 1 else 1 / (1 + np.exp(-Z))
    y = dataset.y_train
    m = y.shape[1]
    cross_entropy = -np.mean(y * np.log(A) + (1 - y) * np.log(1 - A))
    penalty = config.l2 / (2 * m) * sum(float(np.sum(W**2)) for W in weights)
    return (
        float(result.train_accuracy[0]),
        float(result.test_accuracy[0]),
        float(cross_entropy + penalty),
    )


@pytest.fixture(scope="module")
def one_by_one(moons: Dataset) -> dict[tuple[SweepCell, int], tuple[float, float, float]]:
    return {
        (cell, seed): reference_cost(cell.config(seed), moons)
        for cell in MIXED_GRID.cells()
        for seed in MIXED_GRID.seed_list
    }


@pytest.mark.parametrize("chunk_size", [1, 3, MIXED_GRID.n_configs])
def test_sweep_equals_configurations_trained_one_by_one(
    moons: Dataset,
    one_by_one: dict[tuple[SweepCell, int], tuple[float, float, float]],
    chunk_size: int,
) -> None:
    result = sweep(moons, MIXED_GRID, chunk_size=chunk_size)
    assert [cell.cell for cell in result.cells] == MIXED_GRID.cells()
    assert result.n_trained == MIXED_GRID.n_configs == 64
    for cell in result.cells:
        assert cell.seeds == (0, 1)
        for position, seed in enumerate(cell.seeds):
            train_accuracy, test_accuracy, cost = one_by_one[(cell.cell, seed)]
            assert cell.train_accuracy[position] == train_accuracy
            assert cell.test_accuracy[position] == test_accuracy
            np.testing.assert_allclose(cell.final_cost[position], cost, rtol=1e-12)
            assert not cell.diverged[position]


def test_rows_hold_each_cells_statistics_over_seeds(moons: Dataset) -> None:
    grid = SweepGrid(l2=(0.0, 0.7), keep_prob=(1.0, 0.7), seeds=4, iterations=ITERATIONS)
    result = sweep(moons, grid)
    rows = result.rows()
    assert len(rows) == grid.n_cells == 4
    for cell, row in zip(result.cells, rows, strict=True):
        assert (row["l2"], row["keep_prob"]) == (cell.cell.l2, cell.cell.keep_prob)
        assert row["layers"] == [2, 20, 3, 1]
        assert row["n_seeds"] == 4
        gap = cell.train_accuracy - cell.test_accuracy
        for measure, values in (
            ("train", cell.train_accuracy),
            ("test", cell.test_accuracy),
            ("gap", gap),
        ):
            assert row[f"{measure}_mean"] == pytest.approx(np.mean(values), rel=1e-12)
            assert row[f"{measure}_std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)
            assert row[f"{measure}_min"] == np.min(values)
            assert row[f"{measure}_max"] == np.max(values)
    # The seeds really vary the models: some cell's test accuracy is not constant.
    assert any(row["test_std"] > 0 for row in rows)


def test_progress_reports_cells_and_models_until_done(moons: Dataset) -> None:
    events: list[SweepProgress] = []
    grid = SweepGrid(l2=(0.0, 0.1, 0.7), seeds=2, iterations=ITERATIONS)
    sweep(moons, grid, chunk_size=2, progress=events.append)
    assert events[0] == SweepProgress(0, 3, 0.0, 6)
    assert events[-1].cells_done == 3 and events[-1].models_done == 6
    assert [e.models_done for e in events] == sorted(e.models_done for e in events)
    assert [e.cells_done for e in events] == sorted(e.cells_done for e in events)


def test_diverged_seeds_are_recorded_and_never_recommended(moons: Dataset) -> None:
    grid = SweepGrid(l2=(0.0, 1000.0), learning_rate=(10.0,), seeds=2, iterations=ITERATIONS)
    result = sweep(moons, grid)
    stable, exploded = result.cells
    assert exploded.n_diverged == 2 and all(np.isnan(exploded.final_cost))
    assert stable.n_diverged == 0
    assert result.best() is stable
    assert result.rows()[1]["n_diverged"] == 2
    record = result.records()[1]
    assert [run["final_cost"] for run in record["runs"]] == [None, None]


# --- the grid ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"l2": ()}, "l2 must be a non-empty list of values. Received: l2=[]"),
        ({"l2": (0.0, -0.1)}, "l2 must be a finite number >= 0. Received: l2=-0.1"),
        ({"keep_prob": (1.0, 0.0)}, "keep_prob must be in (0, 1]. Received: keep_prob=0.0"),
        ({"keep_prob": (1.5,)}, "keep_prob must be in (0, 1]. Received: keep_prob=1.5"),
        (
            {"learning_rate": (0.0,)},
            "learning_rate must be a finite number > 0. Received: learning_rate=0.0",
        ),
        ({"l2": (0.1, 0.1)}, "l2 must be a list of distinct values. Received: l2=[0.1, 0.1]"),
        ({"masks": ("fresh", "stale")}, "masks must be one of fresh, course. Received: masks="),
        ({"layers": ((2, 2),)}, "layers must be a sequence ending in 1"),
        (
            {"seeds": 0},
            "seeds must be a number of seeds >= 1 or a non-empty list of distinct integers in "
            "[0, 2**63 - 1] (stored as 64-bit integers). Received: seeds=0",
        ),
        ({"seeds": (1, 1)}, "Received: seeds=[1, 1]"),
        (
            {"iterations": 0},
            "iterations must be an integer in [1, 1,000,000,000] (reglab's cap). "
            "Received: iterations=0",
        ),
        ({"l2": 0.1}, "l2 must be a non-empty list of values. Received: l2=0.1"),
    ],
)
def test_bad_grids_are_refused_with_the_parameter_range_and_value(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ParameterError) as raised:
        SweepGrid(**kwargs)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_grid_normalizes_values_and_counts_cells() -> None:
    grid = SweepGrid(
        l2=[0, 1],  # type: ignore[arg-type]
        keep_prob=(1, 0.5),  # type: ignore[arg-type]
        layers=[[2, 4, 1]],  # type: ignore[list-item]
        seeds=[3, 5, 7],  # type: ignore[arg-type]
    )
    assert grid.l2 == (0.0, 1.0) and isinstance(grid.l2[0], float)
    assert grid.layers == ((2, 4, 1),)
    assert grid.seeds == (3, 5, 7) and grid.seed_list == (3, 5, 7)
    assert (grid.n_cells, grid.n_configs) == (4, 12)
    assert SweepGrid.from_dict(grid.to_dict()) == grid
    assert [(c.keep_prob, c.l2) for c in grid.cells()] == [(1, 0), (1, 1), (0.5, 0), (0.5, 1)]


def test_grids_over_the_cap_need_an_explicit_override(moons: Dataset) -> None:
    grid = SweepGrid(l2=tuple(float(v) for v in range(11)), seeds=5, iterations=1)
    with pytest.raises(ParameterError) as raised:
        sweep(moons, grid, max_configs=50)
    assert str(raised.value) == (
        "sweep size must be at most 50 models (cells x seeds; this grid has 11 cells x 5 seeds) "
        "unless you raise max_configs. Received: sweep size=55"
    )
    assert len(sweep(moons, grid, max_configs=None).cells) == 11


def test_architectures_must_match_the_datasets_features(moons: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"first layer is 2 .*Received: layers=\(3, 4, 1\)"):
        sweep(moons, SweepGrid(layers=((3, 4, 1),), iterations=1))


def test_grid_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(
        "[sweep]\nl2 = [0, 0.7]\nkeep_prob = 0.86\nlayers = [2, 20, 3, 1]\nseeds = [4, 2]\n"
        'masks = ["fresh", "course"]\niterations = 300\n'
    )
    grid = SweepGrid.from_toml(path)
    assert grid == SweepGrid(
        l2=(0.0, 0.7),
        keep_prob=(0.86,),
        masks=("fresh", "course"),
        seeds=(4, 2),
        iterations=300,
    )
    path.write_text("l2 = [0, -1]\n")
    with pytest.raises(ParameterError, match=r"Received: l2=-1"):
        SweepGrid.from_toml(path)
    path.write_text("lambda = [0]\n")
    with pytest.raises(ParameterError, match=r"Received: sweep grid=\['lambda'\]"):
        SweepGrid.from_toml(path)
    path.write_text("l2 = [0,\n")
    with pytest.raises(DataError, match="is not valid TOML"):
        SweepGrid.from_toml(path)
    with pytest.raises(DataError, match="does not exist"):
        SweepGrid.from_toml(tmp_path / "missing.toml")


def test_unreadable_toml_files_are_a_data_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as raised:
        SweepGrid.from_toml(tmp_path)  # a directory (a FIFO would block: refused unopened)
    assert str(raised.value) == (
        "config must be a regular TOML file (not a directory, a FIFO or a device). "
        f"Received: config={str(tmp_path)!r}"
    )
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes("l2 = [0]\n# café\n".encode("latin-1"))
    with pytest.raises(DataError) as raised:
        SweepGrid.from_toml(latin1)
    assert str(raised.value) == (
        f"sweep config file {latin1} is not UTF-8 text "
        "(invalid continuation byte at byte 14); save it as UTF-8 TOML"
    )


@pytest.mark.parametrize("n_seeds", [MAX_SEEDS + 1, 100_000_000, 10**20])
def test_absurd_seed_counts_are_refused_without_building_the_list(n_seeds: int) -> None:
    with pytest.raises(ParameterError) as raised:
        SweepGrid(seeds=n_seeds)
    assert str(raised.value) == f"seeds must be at most 1,000,000 seeds. Received: seeds={n_seeds}"


def test_a_large_seed_count_is_checked_against_the_cap_before_listing(moons: Dataset) -> None:
    grid = SweepGrid(l2=(0.0, 0.7), seeds=MAX_SEEDS, iterations=1)
    assert (grid.n_seeds, grid.n_configs) == (MAX_SEEDS, 2 * MAX_SEEDS)
    with pytest.raises(ParameterError) as raised:
        sweep(moons, grid)
    assert str(raised.value) == (
        "sweep size must be at most 5,000 models (cells x seeds; this grid has 2 cells x "
        "1,000,000 seeds) unless you raise max_configs. Received: sweep size=2000000"
    )
    assert "seed_list" not in vars(grid)  # counted, never listed


def test_the_seed_list_is_resolved_once() -> None:
    grid = SweepGrid(seeds=3)
    assert grid.seed_list == (0, 1, 2) and grid.n_seeds == 3
    assert grid.seed_list is grid.seed_list
    assert grid == SweepGrid(seeds=3)  # the cached list is not part of the grid's value


# --- the recommendation -------------------------------------------------------------------


def make_cell(l2: float, test: list[float], diverged: int = 0) -> CellResult:
    n = len(test)
    return CellResult(
        cell=SweepCell((2, 20, 3, 1), 0.3, l2, 1.0, "fresh", "lecun", 100, 10),
        seeds=tuple(range(n)),
        train_accuracy=np.full(n, 0.95),
        test_accuracy=np.array(test),
        final_cost=np.full(n, 0.1),
        diverged=np.arange(n) < diverged,
        reglab_version="test",
        from_store=False,
    )


def test_cells_within_one_standard_error_of_the_best_are_reported_as_noise() -> None:
    best = make_cell(0.1, [0.93, 0.95, 0.94, 0.92])  # mean 0.935, std 0.0129
    close = make_cell(0.2, [0.92, 0.94, 0.93, 0.93])  # mean 0.93: 0.005 below
    far = make_cell(0.3, [0.85, 0.86, 0.85, 0.86])  # mean 0.855
    se_close = math.sqrt(
        np.var(best.test_accuracy, ddof=1) / 4 + np.var([0.92, 0.94, 0.93, 0.93], ddof=1) / 4
    )
    assert se_close >= 0.005  # the rule's premise for `close`
    recommendation = recommend([close, best, far])
    assert recommendation.best is best
    assert recommendation.within_noise == (close,)
    assert recommendation.noise_estimated
    assert "within noise of 1 other cell" in recommendation.text
    assert "l2=0.2" in recommendation.text and "l2=0.3" not in recommendation.text

    alone = recommend([best, far])
    assert alone.within_noise == ()
    assert "lower by more than one standard error" in alone.text


def test_within_noise_is_one_standard_error_of_the_difference() -> None:
    # Standard error sqrt(0.75^2 / 4 + 1^2 / 4) = 0.625 exactly, in binary floating point.
    assert within_noise(0.875, 0.75, 4, 0.25, 1.0, 4)  # a difference of exactly one SE
    assert not within_noise(0.875, 0.75, 4, 0.2499, 1.0, 4)
    assert within_noise(0.5, 0.0, 3, 0.9, 0.0, 3)  # a higher mean is never "lower"
    assert within_noise(0.5, 0.0, 3, 0.5, 0.0, 3)  # equal means, no spread
    assert not within_noise(0.5, 0.0, 3, 0.5 - 1e-9, 0.0, 3)
    # n enters as the standard error's divisor: more seeds, less noise.
    assert within_noise(0.9, 0.02, 2, 0.885, 0.02, 2)  # SE 0.02 > 0.015
    assert not within_noise(0.9, 0.02, 8, 0.885, 0.02, 8)  # SE 0.01 < 0.015
    assert not within_noise(0.9, math.nan, 1, 0.9, math.nan, 1)  # no estimate of the noise
    with pytest.raises(ParameterError) as raised:
        within_noise(0.9, 0.1, 0, 0.8, 0.1, 3)
    assert str(raised.value) == "best_n must be a number of seeds >= 1. Received: best_n=0"


def test_recommend_applies_within_noise_to_every_other_cell() -> None:
    cells = [
        make_cell(0.1, [0.93, 0.95, 0.94, 0.92]),
        make_cell(0.2, [0.92, 0.94, 0.93, 0.93]),
        make_cell(0.3, [0.91, 0.93, 0.90, 0.92]),
        make_cell(0.4, [0.85, 0.86, 0.85, 0.86]),
        make_cell(0.5, [0.80, 0.97, 0.83, 0.96]),
    ]
    recommendation = recommend(cells)
    best = recommendation.best
    expected = [
        cell
        for cell in cells
        if cell is not best
        and within_noise(
            best.test_mean,
            float(np.std(best.test_accuracy, ddof=1)),
            4,
            cell.test_mean,
            float(np.std(cell.test_accuracy, ddof=1)),
            4,
        )
    ]
    assert {id(c) for c in recommendation.within_noise} == {id(c) for c in expected}
    assert 0 < len(expected) < len(cells) - 1  # the case exercises both answers


@pytest.mark.parametrize("test", [[0.9, 0.92], [0.9]])
def test_a_single_cell_has_nothing_to_compare(test: list[float]) -> None:
    only = make_cell(0.1, test)
    recommendation = recommend([only])
    assert recommendation.best is only and recommendation.within_noise == ()
    assert recommendation.text.endswith(". Only one cell: nothing to compare.")
    assert "Every other cell" not in recommendation.text
    assert "ranking" not in recommendation.text


def test_ties_go_to_the_first_cell_and_one_seed_leaves_the_noise_unknown() -> None:
    first, second = make_cell(0.1, [0.9]), make_cell(0.2, [0.9])
    recommendation = recommend([first, second])
    assert recommendation.best is first
    assert not recommendation.noise_estimated and recommendation.within_noise == ()
    assert "With one seed per cell the noise is unknown" in recommendation.text


def test_cells_with_diverged_seeds_are_not_candidates_unless_all_have_them() -> None:
    unstable = make_cell(0.1, [0.99, 0.99], diverged=1)
    stable = make_cell(0.2, [0.90, 0.91])
    assert recommend([unstable, stable]).best is stable
    # A diverged cell with a higher mean is not "within noise" of the best either.
    assert recommend([unstable, stable]).within_noise == ()
    everyone = recommend([unstable, make_cell(0.2, [0.9, 0.9], diverged=2)])
    assert everyone.best is unstable and "every cell had a diverged seed" in everyone.text


# --- figures ------------------------------------------------------------------------------


def test_figures_show_the_sweeps_numbers(moons: Dataset, tmp_path: Path) -> None:
    grid = SweepGrid(l2=(0.0, 0.1, 0.7), keep_prob=(1.0, 0.8), seeds=3, iterations=ITERATIONS)
    result = sweep(moons, grid)
    heatmap = plot_test_accuracy_heatmap(result)
    assert isinstance(heatmap, Figure)
    shown = np.asarray(heatmap.axes[0].images[0].get_array())
    expected = np.array(
        [[100 * c.test_mean for c in result.cells if c.cell.keep_prob == p] for p in (1.0, 0.8)]
    )
    np.testing.assert_allclose(shown, expected, rtol=1e-12)
    gap = np.asarray(plot_gap_heatmap(result).axes[0].images[0].get_array())
    np.testing.assert_allclose(gap[0], [100 * np.mean(c.gap) for c in result.cells[:3]], rtol=1e-12)
    curve = plot_validation_curve(result, "l2")
    test_line = curve.axes[0].lines[1]
    best = result.best()
    expected_curve = [
        100 * c.test_mean for c in result.cells if c.cell.keep_prob == best.cell.keep_prob
    ]
    np.testing.assert_allclose(test_line.get_ydata(), expected_curve, rtol=1e-12)
    np.testing.assert_array_equal(test_line.get_xdata(), [0.0, 0.1, 0.7])

    paths = write_sweep_figures(result, tmp_path / "figures")
    assert [p.name for p in paths] == [f"{name}.png" for name in SWEEP_FIGURE_NAMES]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        p.name for p in paths
    )  # no temporary files left behind


def test_a_cell_is_a_configuration_without_its_seed() -> None:
    config = TrainConfig(l2=0.3, keep_prob=0.9, masks="course", init="he", seed=5, iterations=7)
    cell = SweepCell.of(config)
    assert cell.config(5) == config
    assert SweepCell.of(cell.config(6)) == cell


def test_l1_is_a_grid_axis_that_round_trips_and_stays_out_of_grids_without_it(
    tmp_path: Path,
) -> None:
    grid = SweepGrid(l2=(0.0, 0.7), l1=(0.0, 0.1), seeds=2, iterations=10, record_every=5)
    assert grid.n_cells == 4
    assert [(c.l2, c.l1) for c in grid.cells()] == [(0.0, 0.0), (0.0, 0.1), (0.7, 0.0), (0.7, 0.1)]
    assert grid.cells()[1].config(3) == TrainConfig(
        l1=0.1, seed=3, init="lecun", iterations=10, record_every=5
    )
    assert SweepGrid.from_dict(grid.to_dict()) == grid
    assert grid.to_dict()["l1"] == [0.0, 0.1]
    assert "l1" not in SweepGrid(l2=(0.0, 0.7)).to_dict()
    assert "l1" not in grid.cells()[0].to_dict() and grid.cells()[1].to_dict()["l1"] == 0.1
    file = tmp_path / "grid.toml"
    file.write_text(
        "[sweep]\nl1 = [0, 0.1]\nl2 = [0, 0.7]\nseeds = 2\niterations = 10\nrecord_every = 5\n"
    )
    assert SweepGrid.from_toml(file) == grid
    with pytest.raises(ParameterError, match=r"^l1 must be a list of distinct values"):
        SweepGrid(l1=(0.1, 0.1))
    with pytest.raises(ParameterError, match=r"^l1 must be a finite number >= 0"):
        SweepGrid(l1=(-0.1,))


def test_the_optimizer_is_a_grid_axis_that_round_trips_and_stays_out_of_grids_without_it(
    tmp_path: Path,
) -> None:
    grid = SweepGrid(
        l2=(0.0, 0.7), optimizer=("gd", "adam"), beta2=(0.999, 0.99), seeds=2, iterations=10,
        record_every=5,
    )  # fmt: skip
    assert grid.n_cells == 8
    assert [(c.l2, c.optimizer, c.beta2) for c in grid.cells()][:4] == [
        (0.0, "gd", 0.999), (0.0, "gd", 0.99), (0.0, "adam", 0.999), (0.0, "adam", 0.99),
    ]  # fmt: skip
    assert grid.cells()[3].config(3) == TrainConfig(
        optimizer="adam", beta2=0.99, seed=3, init="lecun", iterations=10, record_every=5
    )
    assert SweepGrid.from_dict(grid.to_dict()) == grid
    assert grid.to_dict()["optimizer"] == ["gd", "adam"] and "beta1" not in grid.to_dict()
    plain = SweepGrid(l2=(0.0, 0.7)).to_dict()
    assert not {"optimizer", "beta1", "beta2", "epsilon"} & set(plain)
    without = SweepGrid(l2=(0.0,), seeds=2, iterations=10, record_every=5)
    assert grid.cells()[0].to_dict() == without.cells()[0].to_dict()
    assert grid.cells()[3].to_dict()["optimizer"] == "adam"
    labelled = CellResult(
        grid.cells()[3], (0,), np.ones(1), np.ones(1), np.ones(1), np.zeros(1, bool), "test", False
    )
    assert labelled.label().endswith("masks=fresh, optimizer=adam, beta2=0.99")
    file = tmp_path / "grid.toml"
    file.write_text(
        '[sweep]\noptimizer = ["gd", "adam"]\nbeta2 = [0.999, 0.99]\nl2 = [0, 0.7]\n'
        "seeds = 2\niterations = 10\nrecord_every = 5\n"
    )
    assert SweepGrid.from_toml(file) == grid
    assert SweepGrid.from_dict({"optimizer": "momentum"}).optimizer == ("momentum",)
    with pytest.raises(ParameterError, match=r"^optimizer must be one of gd, momentum, adam"):
        SweepGrid(optimizer=("sgd",))  # type: ignore[arg-type]


def test_batch_size_is_a_grid_axis_that_round_trips_and_stays_out_of_grids_without_it(
    tmp_path: Path,
) -> None:
    grid = SweepGrid(l2=(0.0, 0.7), batch_size=(None, 32), seeds=2, iterations=10, record_every=5)
    assert grid.n_cells == 4
    assert [(c.l2, c.batch_size) for c in grid.cells()] == [
        (0.0, None),
        (0.0, 32),
        (0.7, None),
        (0.7, 32),
    ]
    assert grid.cells()[1].config(3) == TrainConfig(
        batch_size=32, seed=3, init="lecun", iterations=10, record_every=5
    )
    assert SweepGrid.from_dict(grid.to_dict()) == grid
    assert "batch_size" not in SweepGrid(l2=(0.0, 0.7)).to_dict()
    assert "batch_size" not in grid.cells()[0].to_dict()
    assert grid.cells()[1].to_dict()["batch_size"] == 32
    file = tmp_path / "grid.toml"
    file.write_text(
        '[sweep]\nbatch_size = ["all", 32]\nl2 = [0, 0.7]\nseeds = 2\niterations = 10\n'
        "record_every = 5\n"
    )
    assert SweepGrid.from_toml(file) == grid
    with pytest.raises(ParameterError, match=r"^batch_size must be a list of distinct values"):
        SweepGrid(batch_size=(None, "all"))
    with pytest.raises(ParameterError, match=r"^batch_size must be an integer >= 1, or all"):
        SweepGrid(batch_size=(0,))
