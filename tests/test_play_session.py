"""The playground's data, training and downloads, without Streamlit."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reglab.cli import build_parser
from reglab.cli.sweep import grid_from_args
from reglab.config import TrainConfig
from reglab.errors import DataError, ParameterError
from reglab.experiments.exercise import compare
from reglab.experiments.sweep import SweepGrid
from reglab.play.caps import MAX_ROWS, MAX_UPLOAD_BYTES
from reglab.play.downloads import report_html, results_json, sweep_grid, sweep_toml
from reglab.play.session import (
    Upload,
    check_work,
    course_mask_models,
    load_choice,
    model_names,
    seed_blind_models,
    study_models,
    train_models,
)
from reglab.play.state import DataChoice, PlayState, record_every

CSV = b"x,y,label\n" + b"".join(
    f"{i / 10},{(i * 7 % 11) / 10},{i % 2}\n".encode() for i in range(40)
)


def test_the_exercise_page_trains_the_exercises_models(football_path: Path) -> None:
    dataset = load_choice(DataChoice("file"), file=football_path)
    comparison = train_models(dataset, PlayState())
    reference = compare(dataset)
    assert comparison.names == reference.names
    assert comparison.result.test_accuracy is not None
    counts = [round(float(a) * 200) for a in comparison.result.test_accuracy]
    assert counts == [183, 186, 190]  # SPEC.md: 0.915, 0.93, 0.95 of the 200 test examples
    assert comparison.to_dict()["models"] == reference.to_dict()["models"]


def test_a_generator_is_drawn_with_the_pages_size_noise_and_seed() -> None:
    choice = DataChoice("moons", n_samples=100, noise=0.2, test_fraction=0.25, data_seed=4)
    dataset = load_choice(choice)
    assert dataset.name == "moons"
    assert dataset.X_train.shape == (2, 75) and dataset.X_test.shape == (2, 25)
    assert "seed 4" in dataset.source


def test_an_upload_is_read_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    dataset = load_choice(DataChoice("upload", data_seed=1), upload=Upload("mine.csv", CSV))
    assert dataset.name == "mine"
    assert dataset.source == "uploaded file mine.csv (in memory)"
    assert dataset.X_train.shape[1] + dataset.X_test.shape[1] == 40
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_upload_and_row_caps() -> None:
    big = Upload("big.csv", b"0" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ParameterError, match=r"^upload must be a CSV file of at most 5 MB\. "):
        load_choice(DataChoice("upload"), upload=big)
    rows = b"x,y,label\n" + b"".join(f"{i},{i % 3},{i % 2}\n".encode() for i in range(MAX_ROWS + 1))
    with pytest.raises(ParameterError, match=r"^rows must be at most 10,000 examples\. "):
        load_choice(DataChoice("upload"), upload=Upload("rows.csv", rows))
    with pytest.raises(DataError, match="no CSV file uploaded yet"):
        load_choice(DataChoice("upload"))


def test_model_names_follow_the_exercise_and_stay_distinct() -> None:
    assert model_names(PlayState().models) == (
        "no regularization",
        "L2, lambda = 0.7",
        "dropout, keep_prob = 0.86 (course masks)",
    )
    plain = TrainConfig()
    assert model_names((plain, plain, replace(plain, learning_rate=0.1, init="he"))) == (
        "no regularization (model 1)",
        "no regularization (model 2)",
        "no regularization, learning_rate = 0.1, init = he",
    )


def test_too_much_work_is_refused_before_training() -> None:
    dataset = load_choice(DataChoice("moons", n_samples=10_000, noise=0.1, test_fraction=0.5))
    wide = tuple(
        replace(m, layers=(2, 256, 256, 1), iterations=100_000) for m in PlayState().models
    )
    with pytest.raises(ParameterError, match=r"^training size must be at most 300,000,000,000 "):
        check_work(PlayState(models=wide, seeds=50), dataset)


def short_state(seeds: int = 1, **changes: object) -> PlayState:
    iterations = 200
    models = tuple(
        replace(m, iterations=iterations, record_every=record_every(iterations), **changes)  # type: ignore[arg-type]
        for m in PlayState().models
    )
    return PlayState(models=models, seeds=seeds)


def test_the_seed_study_reuses_the_single_run() -> None:
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    state = short_state(seeds=3, init="lecun", masks="fresh", seed=5)
    comparison = train_models(dataset, state)
    study = study_models(comparison, state)
    assert study.seeds == (5, 6, 7)
    assert comparison.result.test_accuracy is not None
    for k, name in enumerate(comparison.names):
        assert study.model(name).test_accuracy[0] == comparison.result.test_accuracy[k]
    assert seed_blind_models(state) == []
    assert seed_blind_models(PlayState()) == [0, 1, 2]


def test_the_json_download_is_the_cli_schema() -> None:
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    state = short_state(seeds=2, init="lecun")
    comparison = train_models(dataset, state)
    study = study_models(comparison, state)
    document = json.loads(results_json(comparison, study))
    assert document["models"] == comparison.to_dict()["models"]
    assert document["schema_version"] == 1
    assert document["seed_study"]["seeds"] == [0, 1]
    assert "dataset" not in document["seed_study"]
    assert "seed_study" not in json.loads(results_json(comparison, None))


def test_the_report_download_is_the_report() -> None:
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    state = short_state()
    comparison = train_models(dataset, state)
    html = report_html(comparison, None)
    assert html.startswith("<!DOCTYPE html>")
    assert "dropout, keep_prob = 0.86 (course masks)" in html
    assert course_mask_models(comparison)[0][0] == "dropout, keep_prob = 0.86 (course masks)"


def assert_every_reader_gets(expected: SweepGrid, state: PlayState, path: Path) -> None:
    """The page's grid, the TOML loader and `reglab sweep --config` all read ``expected``."""
    assert sweep_grid(state) == expected
    assert SweepGrid.from_toml(path) == expected
    args = build_parser().parse_args(["sweep", "--config", str(path)])
    assert grid_from_args(args) == expected


def test_the_sweep_config_is_read_by_reglab_sweep(tmp_path: Path) -> None:
    state = short_state(seeds=4)
    path = tmp_path / "sweep.toml"
    path.write_text(sweep_toml(state))
    expected = SweepGrid(
        l2=(0.0, 0.7),
        keep_prob=(1.0, 0.86),
        learning_rate=(0.3,),
        layers=((2, 20, 3, 1),),
        masks=("fresh", "course"),
        seeds=4,
        init="course",
        iterations=200,
        record_every=20,
    )
    assert_every_reader_gets(expected, state, path)
    one_seed = tmp_path / "one.toml"
    one_seed.write_text(sweep_toml(short_state(seeds=1)))
    assert SweepGrid.from_toml(one_seed).seeds == 2  # a sweep is about spreads


def test_the_pages_figures_drawn_in_workers_are_the_same() -> None:
    from reglab.play.figures import draw_figures, figure_names, start_pool

    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    comparison = train_models(dataset, short_state())
    assert figure_names(comparison) == ["boundaries", "cost", "accuracy"]
    in_turn = draw_figures(comparison)
    pool = start_pool()
    try:
        in_workers = draw_figures(comparison, pool)
    finally:
        pool.shutdown()
    assert list(in_workers) == list(in_turn)
    for name, png in in_turn.items():
        assert png.startswith(b"\x89PNG")
        assert in_workers[name] == png, name


def test_model_names_say_the_engines_settings() -> None:
    plain = TrainConfig()
    models = (
        replace(plain, l1=0.01, optimizer="adam", beta2=0.99, learning_rate=0.01),
        replace(plain, optimizer="momentum", batch_size=32),
        replace(plain, l2=0.7, early_stopping=True, patience=5),
    )
    assert model_names(models) == (
        "L1, alpha = 0.01, Adam, beta2 = 0.99, learning_rate = 0.01",
        "no regularization, momentum, batches of 32",
        "L2, lambda = 0.7 + early stopping, patience = 5",
    )


def test_the_work_cap_counts_a_mini_batch_by_its_batch() -> None:
    dataset = load_choice(DataChoice("moons", n_samples=10_000, noise=0.1, test_fraction=0.5))
    wide = replace(TrainConfig(), layers=(2, 128, 128, 1), iterations=20_000, record_every=1_000)
    with pytest.raises(ParameterError, match=r"^training size must be at most 300,000,000,000 "):
        check_work(PlayState(models=(wide,) * 4), dataset)  # 4 x 5,000 examples per iteration
    check_work(PlayState(models=(replace(wide, batch_size=64),) * 4), dataset)  # 64: allowed
    # One full-batch model among mini-batch ones is counted by its full batch.
    with pytest.raises(ParameterError, match=r"^training size must be at most"):
        check_work(PlayState(models=(replace(wide, batch_size=64),) * 3 + (wide,)), dataset)


def test_a_multiclass_generator_is_drawn_with_the_pages_classes() -> None:
    choice = DataChoice("spiral", n_samples=120, noise=0.04, test_fraction=0.25, classes=4)
    dataset = load_choice(choice)
    assert dataset.n_classes == 4
    assert sorted(set(dataset.y_train.ravel().tolist())) == [0.0, 1.0, 2.0, 3.0]


def engine_state() -> PlayState:
    """Three short models on the engine's later settings."""
    iterations = 300
    shared = {"iterations": iterations, "record_every": record_every(iterations)}
    return PlayState(
        models=(
            TrainConfig(optimizer="adam", learning_rate=0.01, beta1=0.8, l1=0.01, **shared),  # type: ignore[arg-type]
            TrainConfig(optimizer="momentum", batch_size=32, **shared),  # type: ignore[arg-type]
            TrainConfig(early_stopping=True, patience=2, validation_fraction=0.2, **shared),  # type: ignore[arg-type]
        ),
        seeds=3,
    )


def test_the_downloads_carry_the_engines_settings() -> None:
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    state = engine_state()
    comparison = train_models(dataset, state)
    document = json.loads(results_json(comparison, None))
    configs = [model["config"] for model in document["models"]]
    assert (configs[0]["optimizer"], configs[0]["beta1"], configs[0]["l1"]) == ("adam", 0.8, 0.01)
    assert "beta2" not in configs[0]  # at its default: left out, as reglab train --json does
    assert (configs[1]["optimizer"], configs[1]["batch_size"]) == ("momentum", 32)
    assert (configs[2]["early_stopping"], configs[2]["patience"]) == (True, 2)
    stopped = document["models"][2]
    assert stopped["best_iteration"] == comparison.result.best_iteration[2]
    assert stopped["stopped_at"] == comparison.result.stopped_at[2]
    assert "validation_costs" in stopped and "stopped_at" not in document["models"][0]
    html = report_html(comparison, None)
    assert "used early stopping: it held out" in html  # the report's own reading
    study = study_models(comparison, state)  # seeds 0, 1, 2: the single run is seed 0
    assert study.seeds == (0, 1, 2)
    document = json.loads(results_json(comparison, study))
    assert document["seed_study"]["seeds"] == [0, 1, 2]
    single = comparison.result.test_accuracy
    assert single is not None
    for k, name in enumerate(comparison.names):
        assert study.model(name).test_accuracy[0] == single[k]


def test_the_sweep_config_with_the_engines_settings_is_read_by_reglab_sweep(
    tmp_path: Path,
) -> None:
    state = engine_state()
    path = tmp_path / "sweep.toml"
    text = sweep_toml(state)
    path.write_text(text)
    expected = SweepGrid(
        l2=(0.0,),
        l1=(0.01, 0.0),
        keep_prob=(1.0,),
        learning_rate=(0.01, 0.3),
        layers=((2, 20, 3, 1),),
        masks=("fresh",),
        optimizer=("adam", "momentum", "gd"),
        beta1=(0.8, 0.9),  # the values of the models that read it
        batch_size=(None, 32),
        seeds=3,
        init="course",
        iterations=300,
        record_every=30,
    )
    assert_every_reader_gets(expected, state, path)
    assert 'batch_size = ["all", 32]' in text
    # One early-stopping setting for every cell: model 1's, and the file says so.
    assert "one early_stopping, validation_fraction, patience: model 1's" in text
    first_stops = replace(state, models=state.models[::-1])
    grid = SweepGrid.from_toml(_write(tmp_path / "stops.toml", sweep_toml(first_stops)))
    assert (grid.early_stopping, grid.validation_fraction, grid.patience) == (True, 0.2, 2)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_mini_batches_and_early_stopping_let_the_seed_matter() -> None:
    blind = PlayState().models[0]
    models = (blind, replace(blind, batch_size=32), replace(blind, early_stopping=True))
    assert seed_blind_models(PlayState(models=models)) == [0]
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    short = tuple(replace(m, iterations=200, record_every=20) for m in models)
    runs = [
        train_models(dataset, PlayState(models=tuple(replace(m, seed=s) for m in short)))
        for s in (0, 1)
    ]
    costs = [run.result.final_cost for run in runs]
    assert costs[0][0] == costs[1][0]  # the course's initialization, full batch: one run
    assert costs[0][1] != costs[1][1] and costs[0][2] != costs[1][2]


def test_the_cost_figure_marks_where_early_stopping_stopped() -> None:
    from reglab.play.figures import LEGEND_WIDTH, draw_figure
    from reglab.plots import figure_bytes, plot_cost_curves

    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    comparison = train_models(dataset, engine_state())
    result = comparison.result
    assert result.best_iteration[2] is not None
    rates = [config.learning_rate for config in result.configs]
    names = [textwrap.fill(name, LEGEND_WIDTH) for name in comparison.names]
    marked = plot_cost_curves(
        result.history, names, rates, result.stopped_at, result.best_iteration
    )
    unmarked = plot_cost_curves(result.history, names, rates)
    assert draw_figure("cost", comparison) == figure_bytes(marked) != figure_bytes(unmarked)


def test_the_curves_keep_long_model_names_inside_the_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reglab.plots
    from reglab.play.figures import draw_figure

    drawn = []
    figure_bytes = reglab.plots.figure_bytes

    def keep(figure: Any) -> bytes:
        png = figure_bytes(figure)  # lays the figure out as the page's PNG does
        drawn.append(figure)
        return png

    monkeypatch.setattr(reglab.plots, "figure_bytes", keep)
    dataset = load_choice(DataChoice("goalkeeper", n_samples=200, noise=0.04, test_fraction=0.5))
    adam = {"optimizer": "adam", "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6, "batch_size": 64}
    state = short_state(learning_rate=0.01, init="he", **adam)
    long_named = replace(state, models=(*state.models, replace(state.models[0], l1=0.01)))
    comparison = train_models(dataset, long_named)
    assert max(len(name) for name in comparison.names) > 100
    for name in ("cost", "accuracy"):
        draw_figure(name, comparison)
    for figure in drawn:
        renderer = figure.canvas.get_renderer()
        width = figure.bbox.width
        legends = [axes.get_legend() for axes in figure.axes if axes.get_legend() is not None]
        assert legends
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= width  # not cut off
        for axes in figure.axes:
            assert axes.get_position().width > 0.2  # not squeezed to a sliver


def test_the_sweep_command_draws_the_pages_generator_data(tmp_path: Path) -> None:
    from reglab.cli.common import load_data

    choice = DataChoice("spiral", n_samples=400, noise=0.04, test_fraction=0.3, classes=3)
    text = sweep_toml(replace(short_state(), data=choice))
    command = next(line for line in text.splitlines() if "reglab sweep" in line)
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    words = command.lstrip("# ").split()[1:]
    args = build_parser().parse_args([str(path) if w == "this-file.toml" else w for w in words])
    page = load_choice(choice)
    swept = load_data(args)
    assert swept.n_classes == 3
    assert (swept.X_train == page.X_train).all() and (swept.X_test == page.X_test).all()
    assert "draws" not in text  # the command draws what the page drew: nothing to say
    other = DataChoice("spiral", n_samples=900, noise=0.2, test_fraction=0.5, data_seed=4)
    assert (
        "# The command line draws spiral with n_samples 400, noise 0.04, data_seed 0; "
        "this page drew n_samples 900, noise 0.2, data_seed 4."
    ) in sweep_toml(replace(short_state(), data=other)).splitlines()
