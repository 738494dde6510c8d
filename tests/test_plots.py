"""Figures: what is drawn equals what the engine computes, on the exercise's and generated data.

Figures are inspected through their artists: axes limits, scatter offsets,
image arrays, line data, step-histogram counts, titles and legends. Trainings
are short (300 iterations); no test here runs the full 30,000.
"""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from PIL import Image

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.football import load_football
from reglab.data.sources import load_dataset
from reglab.engine import Parameters, course_uniforms, predict, predict_proba, train
from reglab.errors import DataError, ParameterError, ReglabError
from reglab.experiments.exercise import EXERCISE_MODELS, Comparison, compare
from reglab.plots import (
    FIGURE_NAMES,
    accuracy_titles,
    comparison_figures,
    figure_bytes,
    plot_accuracy_curves,
    plot_cost_curves,
    plot_dataset,
    plot_decision_boundaries,
    plot_mask_quirk,
    plot_weight_distributions,
    save_figure,
    write_figures,
)
from reglab.plots import boundaries as boundaries_module
from reglab.plots.boundaries import wrap_name
from reglab.plots.style import DPI

SHORT = 300
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SPECTRAL = colormaps["Spectral"]


# ----------------------------------------------------------------------------- fixtures


def short_models(iterations: int = SHORT) -> dict[str, TrainConfig]:
    """The exercise's three models, trained briefly and recorded every 50 iterations."""
    return {
        name: replace(config, iterations=iterations, record_every=50)
        for name, config in EXERCISE_MODELS.items()
    }


@pytest.fixture(scope="module")
def football(football_path: Path) -> Dataset:
    """The exercise's dataset, read by reglab's loader."""
    return load_football(football_path)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    """A generated dataset (reglab's built-in two moons, seed 0)."""
    return load_dataset(dataset="moons")


@pytest.fixture(scope="module")
def football_comparison(football: Dataset) -> Comparison:
    return compare(football, short_models())


@pytest.fixture(scope="module")
def moons_comparison(moons: Dataset) -> Comparison:
    return compare(moons, short_models())


def axes_by_label(figure: Figure, label: str) -> Axes:
    matches = [ax for ax in figure.axes if ax.get_label() == label]
    assert len(matches) == 1, [ax.get_label() for ax in figure.axes]
    return matches[0]


def scatters(ax: Axes) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [text.get_text() for text in legend.get_texts()]


def expected_split_labels(dataset: Dataset, splits: tuple[str, ...]) -> list[str]:
    labels = []
    for split in splits:
        y = dataset.y_train if split == "train" else dataset.y_test
        labels += [f"{split}, y = {label} ({int(np.sum(y == label))})" for label in (0, 1)]
    return labels


def check_points(ax: Axes, dataset: Dataset, *, with_test: bool) -> None:
    """The axes' scatter collections are the dataset's points, one collection per (split, label)."""
    splits = [("train", dataset.X_train, dataset.y_train)]
    if with_test:
        splits.append(("test", dataset.X_test, dataset.y_test))
    collections = scatters(ax)
    assert len(collections) == 2 * len(splits)
    for i, (_, X, y) in enumerate(splits):
        for label in (0, 1):
            collection = collections[2 * i + label]
            expected = X[:, y.ravel() == label].T
            np.testing.assert_array_equal(collection.get_offsets(), expected)
            color = collection.get_facecolor() if i == 0 else collection.get_edgecolor()
            np.testing.assert_allclose(color[0], SPECTRAL(float(label)))
    n_points = sum(len(c.get_offsets()) for c in collections)
    n_expected = dataset.X_train.shape[1] + (dataset.X_test.shape[1] if with_test else 0)
    assert n_points == n_expected
    if with_test:
        # Test points use a different marker from training points.
        train_path = collections[0].get_paths()[0].vertices
        test_path = collections[2].get_paths()[0].vertices
        assert train_path.shape != test_path.shape or not np.allclose(train_path, test_path)


def padded_limits(dataset: Dataset) -> list[tuple[float, float]]:
    """The data's bounding box widened by 10 % of its span on each side."""
    points = np.concatenate([dataset.X_train, dataset.X_test], axis=1)
    low, high = points.min(axis=1), points.max(axis=1)
    pad = 0.1 * (high - low)
    return [(float(lo - p), float(hi + p)) for lo, hi, p in zip(low, high, pad, strict=True)]


def grid_for(limits: list[tuple[float, float]], step: float) -> tuple[np.ndarray, np.ndarray]:
    axes = []
    for low, high in limits:
        count = int(np.floor((high - low) / step + 1e-9)) + 1
        axes.append(low + step * np.arange(count))
    return axes[0], axes[1]


def points_of(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    xx, yy = np.meshgrid(xs, ys)
    return np.stack([xx.ravel(), yy.ravel()])


# ----------------------------------------------------------------------------- dataset


def test_dataset_figure_of_the_exercise(football: Dataset) -> None:
    figure = plot_dataset(football)
    ax = axes_by_label(figure, "dataset")
    assert ax.get_xlim() == (-0.75, 0.40)
    assert ax.get_ylim() == (-0.75, 0.65)
    check_points(ax, football, with_test=True)
    assert ax.get_title() == "football: 211 training and 200 test examples"
    assert legend_texts(ax) == expected_split_labels(football, ("train", "test"))


def test_dataset_figure_of_a_generated_dataset(moons: Dataset) -> None:
    figure = plot_dataset(moons, show_test=False)
    ax = axes_by_label(figure, "dataset")
    (x_low, x_high), (y_low, y_high) = padded_limits(moons)
    np.testing.assert_allclose(ax.get_xlim(), (x_low, x_high))
    np.testing.assert_allclose(ax.get_ylim(), (y_low, y_high))
    check_points(ax, moons, with_test=False)
    assert ax.get_title() == f"moons: {moons.X_train.shape[1]} training examples"
    assert legend_texts(ax) == expected_split_labels(moons, ("train",))


def test_the_goalkeeper_stand_in_is_drawn_in_the_exercise_window() -> None:
    goalkeeper = load_dataset(dataset="goalkeeper")
    ax = axes_by_label(plot_dataset(goalkeeper), "dataset")
    assert ax.get_xlim() == (-0.75, 0.40)
    assert ax.get_ylim() == (-0.75, 0.65)


def test_a_users_file_named_like_the_exercise_is_drawn_around_its_own_points() -> None:
    """The exercise's window is chosen by the file's sha256, not by a name anyone can pick."""
    rng = np.random.default_rng(1)
    y = (np.arange(20) % 2).astype(float).reshape(1, -1)
    X_train, X_test = 5 + rng.normal(size=(2, 20)), 5 + rng.normal(size=(2, 20))
    for name in ("football", "goalkeeper"):
        mine = Dataset(name, f"{name}.csv", X_train, y, X_test, y, sha256="0" * 64)
        ax = axes_by_label(plot_dataset(mine), "dataset")
        assert ax.get_xlim() == pytest.approx(padded_limits(mine)[0])


def test_plane_figures_reject_a_dataset_that_is_not_2d() -> None:
    rng = np.random.default_rng(0)
    y = (np.arange(20) % 2).astype(float).reshape(1, -1)
    wide = Dataset("wide", "test arrays", rng.normal(size=(3, 20)), y, rng.normal(size=(3, 20)), y)
    with pytest.raises(DataError, match=r"2 input features.*3 features"):
        plot_dataset(wide)


# ----------------------------------------------------------------------------- curves


def test_cost_curves_plot_every_recorded_cost(football_comparison: Comparison) -> None:
    history = football_comparison.result.history
    names = list(football_comparison.names)
    figure = plot_cost_curves(history, names, [0.3, 0.3, 0.3])
    ax = axes_by_label(figure, "cost")
    lines = ax.get_lines()
    assert len(lines) == len(names)
    for k, line in enumerate(lines):
        np.testing.assert_array_equal(line.get_xdata(), history.iterations / 1000)
        np.testing.assert_array_equal(line.get_ydata(), history.cost[k])
    assert ax.get_title() == "Learning rate = 0.3"
    assert ax.get_xlabel() == "iterations (x1,000)"
    assert legend_texts(ax) == names


def test_cost_curves_title_lists_distinct_learning_rates(moons_comparison: Comparison) -> None:
    history = moons_comparison.result.history
    figure = plot_cost_curves(history, ["a", "b", "c"], [0.3, 0.1, 0.3])
    assert axes_by_label(figure, "cost").get_title() == "Learning rates: 0.3, 0.1"
    with pytest.raises(ParameterError, match="names must be one entry per model"):
        plot_cost_curves(history, ["a", "b"], [0.3, 0.3, 0.3])


def test_accuracy_curves_plot_train_and_test_history(football_comparison: Comparison) -> None:
    history = football_comparison.result.history
    assert history.test_accuracy is not None
    names = list(football_comparison.names)
    figure = plot_accuracy_curves(history, names)
    for label, values in (
        ("train accuracy", history.train_accuracy),
        ("test accuracy", history.test_accuracy),
    ):
        lines = axes_by_label(figure, label).get_lines()
        assert len(lines) == len(names)
        for k, line in enumerate(lines):
            np.testing.assert_array_equal(line.get_xdata(), history.iterations / 1000)
            np.testing.assert_array_equal(line.get_ydata(), values[k])
    assert legend_texts(axes_by_label(figure, "train accuracy")) == names


def test_accuracy_curves_without_test_history(football_comparison: Comparison) -> None:
    history = replace(football_comparison.result.history, test_accuracy=None)
    figure = plot_accuracy_curves(history, list(football_comparison.names))
    assert [ax.get_label() for ax in figure.axes] == ["train accuracy"]


# ----------------------------------------------------------------------------- boundaries


def test_exercise_boundaries_draw_the_models_predictions(
    football_comparison: Comparison,
) -> None:
    result = football_comparison.result
    football = football_comparison.dataset
    names = list(football_comparison.names)
    titles = accuracy_titles(names, result, football)
    figure = plot_decision_boundaries(result.parameters, football, titles)

    xs, ys = grid_for([(-0.75, 0.40), (-0.75, 0.65)], 0.01)
    assert (xs.size, ys.size) == (116, 141)
    points = points_of(xs, ys)
    for k, name in enumerate(names):
        ax = axes_by_label(figure, f"boundary {k}")
        assert ax.get_xlim() == (-0.75, 0.40)
        assert ax.get_ylim() == (-0.75, 0.65)
        image = ax.get_images()[0]
        drawn = np.asarray(image.get_array())
        # Model k alone, evaluated outside the batch, gives the same classes.
        expected = predict(result.parameters.model(k), points)[0, 0].reshape(ys.size, xs.size)
        np.testing.assert_array_equal(drawn, expected.astype(float))
        np.testing.assert_allclose(image.get_extent(), (-0.755, 0.405, -0.755, 0.655))
        check_points(ax, football, with_test=True)
        train_count = round(result.train_accuracy[k] * 211)
        assert result.test_accuracy is not None
        test_count = round(result.test_accuracy[k] * 200)
        title = ax.get_title()
        assert title.startswith(f"{name}\ntrain ")
        assert f"({train_count}/211)" in title
        assert f"({test_count}/200)" in title
        assert f"{100 * result.train_accuracy[k]:.1f}%" in title
    assert legend_texts(axes_by_label(figure, "boundary 0")) == expected_split_labels(
        football, ("train", "test")
    )


def test_probability_heatmap_draws_predicted_probabilities(
    football_comparison: Comparison,
) -> None:
    result = football_comparison.result
    football = football_comparison.dataset
    figure = plot_decision_boundaries(
        result.parameters, football, ["a", "b", "c"], show="probability", show_test=False
    )
    xs, ys = grid_for([(-0.75, 0.40), (-0.75, 0.65)], 0.01)
    probabilities = predict_proba(result.parameters, points_of(xs, ys))
    classes = predict(result.parameters, points_of(xs, ys))
    for k in range(3):
        ax = axes_by_label(figure, f"boundary {k}")
        drawn = np.asarray(ax.get_images()[0].get_array())
        np.testing.assert_array_equal(drawn, probabilities[k, 0].reshape(ys.size, xs.size))
        np.testing.assert_array_equal(drawn > 0.5, classes[k, 0].reshape(ys.size, xs.size))
        check_points(ax, football, with_test=False)
    colorbars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1


def test_boundaries_evaluate_all_models_and_points_in_one_forward_pass(
    football_comparison: Comparison, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, tuple[int, ...]]] = []

    def counting_predict(parameters: Parameters, X: np.ndarray) -> np.ndarray:
        calls.append((parameters.n_models, X.shape))
        return predict(parameters, X)

    monkeypatch.setattr(boundaries_module, "predict", counting_predict)
    result = football_comparison.result
    plot_decision_boundaries(result.parameters, football_comparison.dataset, ["a", "b", "c"])
    assert calls == [(3, (2, 116 * 141))]


def test_boundaries_of_a_generated_dataset(moons_comparison: Comparison) -> None:
    result = moons_comparison.result
    moons = moons_comparison.dataset
    figure = plot_decision_boundaries(result.parameters, moons, ["a", "b", "c"])
    limits = padded_limits(moons)
    widest = max(high - low for low, high in limits)
    step = max(0.01, widest / 399)
    xs, ys = grid_for(limits, step)
    assert max(xs.size, ys.size) <= 400
    expected = predict(result.parameters, points_of(xs, ys))
    for k in range(3):
        ax = axes_by_label(figure, f"boundary {k}")
        np.testing.assert_allclose(ax.get_xlim(), limits[0])
        np.testing.assert_allclose(ax.get_ylim(), limits[1])
        drawn = np.asarray(ax.get_images()[0].get_array())
        np.testing.assert_array_equal(drawn, expected[k, 0].reshape(ys.size, xs.size))
        check_points(ax, moons, with_test=True)
        assert ax.get_title() == "abc"[k]


def test_boundaries_of_a_wide_dataset_use_a_coarser_capped_grid(moons: Dataset) -> None:
    wide = replace(moons, name="wide moons", X_train=moons.X_train * 100, X_test=moons.X_test * 100)
    trained = train([TrainConfig(iterations=20)], wide.X_train, wide.y_train)
    figure = plot_decision_boundaries(trained.parameters, wide, ["wide"], show_test=False)
    drawn = np.asarray(axes_by_label(figure, "boundary 0").get_images()[0].get_array())
    limits = padded_limits(wide)
    xs, ys = grid_for(limits, max(high - low for low, high in limits) / 399)
    assert drawn.shape == (ys.size, xs.size)
    assert max(drawn.shape) == 400
    expected = predict(trained.parameters, points_of(xs, ys))[0, 0].reshape(drawn.shape)
    np.testing.assert_array_equal(drawn, expected)


def test_boundaries_reject_bad_input(football_comparison: Comparison) -> None:
    result = football_comparison.result
    football = football_comparison.dataset
    with pytest.raises(ParameterError, match="titles must be one entry per model"):
        plot_decision_boundaries(result.parameters, football, ["only one"])
    with pytest.raises(ParameterError, match=r"step must be a number >= 0\.01"):
        plot_decision_boundaries(result.parameters, football, ["a", "b", "c"], step=0.001)
    with pytest.raises(ParameterError, match="show must be one of class, probability"):
        plot_decision_boundaries(
            result.parameters,
            football,
            ["a", "b", "c"],
            show="logits",  # type: ignore[arg-type]
        )


# ----------------------------------------------------------------------------- weights


def test_weight_histograms_count_every_weight(football_comparison: Comparison) -> None:
    parameters = football_comparison.result.parameters
    names = list(football_comparison.names)
    figure = plot_weight_distributions(parameters, names)
    for l, W in enumerate(parameters.weights, start=1):
        ax = axes_by_label(figure, f"layer {l}")
        patches = [p for p in ax.patches if isinstance(p, StepPatch)]
        assert len(patches) == len(names)
        for k, patch in enumerate(patches):
            counts, edges, _ = patch.get_data()
            assert counts.sum() == W[k].size == W.shape[1] * W.shape[2]
            magnitudes = np.abs(W[k]).ravel()
            # Bin by bin, counted directly (the ends also hold what lies beyond them).
            inner = [
                np.count_nonzero((magnitudes >= lo) & (magnitudes < hi))
                for lo, hi in itertools.pairwise(edges[1:-1])
            ]
            np.testing.assert_array_equal(counts[1:-1], inner)
            assert counts[0] == np.count_nonzero(magnitudes < edges[1])
            assert counts[-1] == np.count_nonzero(magnitudes >= edges[-2])
        assert (
            ax.get_title() == f"layer {l}: W{l} is {W.shape[1]}x{W.shape[2]} ({W[0].size} weights)"
        )
    assert [t.get_text() for t in figure.legends[0].get_texts()] == names


def test_weight_histograms_count_zero_and_tiny_weights_in_the_first_bin() -> None:
    weights = [np.array([[0.0, 1e-9], [1e-3, 2.0]]), np.array([[5.0, -0.25]])]
    biases = [np.zeros((2, 1)), np.zeros((1, 1))]
    negated = [-W for W in weights]
    parameters = Parameters.stack([(weights, biases), (negated, biases)])
    figure = plot_weight_distributions(parameters, ["a", "b"])
    first = axes_by_label(figure, "layer 1")
    for patch in [p for p in first.patches if isinstance(p, StepPatch)]:
        counts, edges, _ = patch.get_data()
        assert counts.sum() == 4
        assert edges[0] == 1e-4
        assert counts[0] == 2  # 0 and 1e-9 both lie below the first edge
    assert "counted in the first bin" in first.get_xlabel()
    assert "counted in the first bin" not in axes_by_label(figure, "layer 2").get_xlabel()


# ----------------------------------------------------------------------------- masks


def test_mask_quirk_shows_the_course_masks_and_trains_both_ways(football: Dataset) -> None:
    keep_prob = 0.86
    # Not the course's defaults: the figure must train exactly the configuration it is given.
    config = TrainConfig(
        iterations=SHORT, keep_prob=keep_prob, masks="course", l2=0.3, init="he", seed=4,
        record_every=10,
    )  # fmt: skip
    figure = plot_mask_quirk(football, config, samples=400)
    m = football.X_train.shape[1]

    course = np.asarray(axes_by_label(figure, "course masks").get_images()[0].get_array())
    expected_keep = np.vstack(course_uniforms((20, 3), m)) < keep_prob
    np.testing.assert_array_equal(course, expected_keep.astype(float))
    silenced = int(np.count_nonzero(~expected_keep))
    assert f"{silenced} of {23 * m} (unit, example) pairs" in (
        axes_by_label(figure, "course masks").get_title()
    )

    fresh = np.asarray(axes_by_label(figure, "fresh masks").get_images()[0].get_array())
    assert fresh.shape == (23, m)
    assert abs(fresh.mean() - keep_prob) < 0.01
    assert np.count_nonzero((fresh == 0) | (fresh == 1)) < 0.01 * fresh.size

    # The boundaries are those of the two configurations trained independently here.
    configs = [replace(config, masks=mode) for mode in ("course", "fresh")]
    trained = train(configs, football.X_train, football.y_train, football.X_test, football.y_test)
    xs, ys = grid_for([(-0.75, 0.40), (-0.75, 0.65)], 0.01)
    expected = predict(trained.parameters, points_of(xs, ys))
    for k, mode in enumerate(("course", "fresh")):
        ax = axes_by_label(figure, f"boundary {mode}")
        drawn = np.asarray(ax.get_images()[0].get_array())
        np.testing.assert_array_equal(drawn, expected[k, 0].reshape(ys.size, xs.size))
        assert ax.get_xlim() == (-0.75, 0.40)
        count = round(trained.train_accuracy[k] * m)
        assert f"({count}/{m})" in ax.get_title()


def test_mask_quirk_needs_a_dropout_keep_prob(football: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"keep_prob must be in \(0, 1\)"):
        plot_mask_quirk(football, TrainConfig(iterations=10, masks="course"))


# ----------------------------------------------------------------------------- saving


def figure_pixels(figure: Figure) -> tuple[int, int]:
    width, height = figure.get_size_inches() * DPI
    return round(width), round(height)


def test_save_figure_writes_png_and_svg_atomically(football: Dataset, tmp_path: Path) -> None:
    figure = plot_dataset(football)
    png = save_figure(figure, tmp_path / "out" / "dataset")
    assert png == tmp_path / "out" / "dataset.png"
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == figure_pixels(figure)

    svg = save_figure(figure, tmp_path / "out" / "dataset.svg")
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "train, y = 1" in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dataset.png", "dataset.svg"]


def test_saving_a_figure_twice_gives_the_same_png(football_comparison: Comparison) -> None:
    figures = comparison_figures(football_comparison)
    for figure in (figures["dataset"], figures["probabilities"]):
        assert figure_bytes(figure, "png") == figure_bytes(figure, "png")


def test_a_png_is_rendered_once_from_the_settled_layout(football_comparison: Comparison) -> None:
    """figure_bytes holds the twice-settled layout for its one render: the same pixels as
    drawing the figure and then saving it (two layouts, two renders), and the figure keeps
    its layout engine afterwards."""
    figures = comparison_figures(football_comparison)
    for name in ("cost", "accuracy", "boundaries", "probabilities"):
        figure = figures[name]
        fast = figure_bytes(figure, "png")
        assert figure.get_layout_engine() is not None
        assert figure.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
        again = comparison_figures(football_comparison)[name]
        again.draw_without_rendering()
        buffer = io.BytesIO()
        again.savefig(buffer, format="png", dpi=DPI)
        assert fast == buffer.getvalue(), name
    other = Figure(figsize=(2.0, 1.0), dpi=72, layout="constrained")  # no Agg canvas, dpi 72
    other.add_subplot().set_title("drawn, then saved")
    with Image.open(io.BytesIO(figure_bytes(other, "png"))) as image:
        assert image.size == (2 * DPI, DPI)


def test_save_figure_rejects_bad_formats_and_unwritable_places(
    football: Dataset, tmp_path: Path
) -> None:
    figure = plot_dataset(football)
    with pytest.raises(ParameterError, match=r"fmt must be one of png, svg\. Received: fmt='pdf'"):
        save_figure(figure, tmp_path / "a", "pdf")
    with pytest.raises(ParameterError, match="fmt must be 'png'"):
        save_figure(figure, tmp_path / "a.png", "svg")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ReglabError, match=f"cannot write figures to {blocker / 'figs'}: "):
        save_figure(figure, blocker / "figs" / "dataset.png")
    with pytest.raises(ReglabError, match="cannot write figures to"):
        write_figures(compare(football, {"plain": TrainConfig(iterations=2)}), blocker / "figs")


def test_write_figures_writes_every_figure_of_a_comparison(
    football_comparison: Comparison, tmp_path: Path
) -> None:
    written = write_figures(football_comparison, tmp_path / "figures", mask_quirk=True)
    assert [p.name for p in written] == [f"{name}.png" for name in FIGURE_NAMES]
    figures = comparison_figures(football_comparison)
    assert list(figures) == [name for name in FIGURE_NAMES if name != "mask_quirk"]
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        name = path.stem
        if name in figures:
            with Image.open(io.BytesIO(data)) as image:
                assert image.size == figure_pixels(figures[name])
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        p.name for p in written
    )


def test_write_figures_svg_and_the_mask_quirk_needs_course_dropout(
    moons_comparison: Comparison, tmp_path: Path
) -> None:
    plain = Comparison(
        ("plain",),
        moons_comparison.dataset,
        train(
            [TrainConfig(iterations=5)],
            moons_comparison.dataset.X_train,
            moons_comparison.dataset.y_train,
        ),
    )
    written = write_figures(plain, tmp_path, fmt="svg")
    assert all(p.suffix == ".svg" and "<svg" in p.read_text() for p in written)
    with pytest.raises(ParameterError, match="mask_quirk must be False without a course-mask"):
        write_figures(plain, tmp_path, mask_quirk=True)


def test_a_dataset_off_the_plane_gets_the_figures_that_do_not_need_it() -> None:
    rng = np.random.default_rng(1)
    y = (np.arange(30) % 2).astype(float).reshape(1, -1)
    wide = Dataset("wide", "test arrays", rng.normal(size=(3, 30)), y, rng.normal(size=(3, 30)), y)
    comparison = compare(wide, {"small": TrainConfig(layers=(3, 4, 1), iterations=5)})
    figures = comparison_figures(comparison)
    assert list(figures) == ["cost", "accuracy", "weights"]
    assert [ax.get_label() for ax in figures["weights"].axes] == ["layer 1", "layer 2"]


def test_plotting_never_touches_pyplot_or_the_global_backend(tmp_path: Path) -> None:
    script = f"""
import sys
import numpy as np
import matplotlib
backend = matplotlib.rcParams._get_backend_or_none()
from reglab.data.sources import load_dataset
from reglab.engine import train
from reglab.config import TrainConfig
from reglab.plots import plot_dataset, plot_decision_boundaries, save_figure
data = load_dataset(dataset="moons")
trained = train([TrainConfig(iterations=5)], data.X_train, data.y_train)
save_figure(plot_dataset(data), {str(tmp_path / "a.png")!r})
save_figure(plot_decision_boundaries(trained.parameters, data, ["m"]), {str(tmp_path / "b.svg")!r})
assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
assert matplotlib.rcParams._get_backend_or_none() == backend, "the backend changed"
"""
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "a.png").read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "name",
    [
        "L2, lambda = 0.7",
        "L1, alpha = 0.001 + early stopping, patience = 5, Adam, learning_rate = 0.01",
        "momentum, beta1 = 0.9 + batches of 32 + dropout, keep_prob = 0.86 (course masks)",
    ],
)
def test_a_long_model_name_wraps_after_its_parts_in_a_panel_title(name: str) -> None:
    wrapped = wrap_name(name, 44)
    assert all(len(line) <= 44 for line in wrapped.split("\n"))
    assert wrapped.replace(" +\n", " + ").replace("\n", " ") == name
    assert ("\n" in wrapped) == (len(name) > 44)


def test_many_classes_get_one_legend_entry_per_split() -> None:
    """Twelve classes would list 24 entries over the panel: the legend names each split once."""
    dataset = load_dataset(dataset="gauss", classes=12)
    config = TrainConfig(layers=(2, 8, 12), iterations=20, record_every=10)
    result = train([config], dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test)
    titles = accuracy_titles(["twelve"], result, dataset)
    figure = plot_decision_boundaries(result.parameters, dataset, titles)
    legend = axes_by_label(figure, "boundary 0").get_legend()
    assert legend is not None
    texts = [text.get_text() for text in legend.get_texts()]
    n_train, n_test = dataset.X_train.shape[1], dataset.X_test.shape[1]
    assert texts == [
        f"train ({n_train}), colour: class 0-11",
        f"test ({n_test}), colour: class 0-11",
    ]
    few = load_dataset(dataset="gauss", classes=3)
    three = train(
        [TrainConfig(layers=(2, 8, 3), iterations=20, record_every=10)], few.X_train, few.y_train
    )
    legend = axes_by_label(
        plot_decision_boundaries(three.parameters, few, ["three"], show_test=False), "boundary 0"
    ).get_legend()
    assert legend is not None and len(legend.get_texts()) == 3  # one per class, as before
