"""Data of C >= 3 classes: generators' ``classes``, CSV labels 0..C-1, and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reglab.cli import main
from reglab.config import TrainConfig
from reglab.data.csv_files import parse_csv
from reglab.data.dataset import Dataset
from reglab.data.generators import GENERATORS, gauss, spiral
from reglab.data.sources import load_dataset
from reglab.engine.training import TrainedModels, train
from reglab.errors import DataError, ParameterError
from reglab.plots.boundaries import plot_decision_boundaries
from reglab.plots.style import CLASS_CMAP, class_cmap, class_colors

QUICK = ["--iterations", "300", "--record-every", "100"]


@pytest.mark.parametrize("generator", [gauss, spiral])
def test_two_classes_are_the_binary_data_exactly(generator: object) -> None:
    plain = generator(seed=3)  # type: ignore[operator]
    two = generator(seed=3, classes=2)  # type: ignore[operator]
    for name in ("X_train", "y_train", "X_test", "y_test"):
        assert np.array_equal(getattr(plain, name), getattr(two, name))
    assert plain.source == two.source and plain.n_classes == 2


@pytest.mark.parametrize("generator", [gauss, spiral])
@pytest.mark.parametrize("classes", [3, 5])
def test_classes_give_every_label_on_both_sides(generator: object, classes: int) -> None:
    data = generator(seed=1, classes=classes)  # type: ignore[operator]
    assert data.n_classes == classes
    for y in (data.y_train, data.y_test):
        counts = np.bincount(y[0].astype(int), minlength=classes)
        assert counts.size == classes and counts.min() >= 1
    m = data.X_train.shape[1] + data.X_test.shape[1]
    assert m == 400
    assert f"{classes} classes" in data.source
    assert data.to_dict()["n_classes"] == classes


def test_the_classes_spiral_arms_are_rotations_of_each_other() -> None:
    """Arm c is arm 0 turned by 2 pi c / C: without noise, radius and angle agree."""
    data = spiral(seed=0, classes=3, noise=0.0)
    X = np.concatenate([data.X_train, data.X_test], axis=1)
    y = np.concatenate([data.y_train, data.y_test], axis=1)[0]
    radius = np.hypot(X[0], X[1])
    angle = np.arctan2(X[1], X[0])
    expected = 3 * np.pi * radius + 2 * np.pi * y / 3
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": 1}, "classes must be an integer in [2, 50]"),
        ({"classes": 51}, "classes must be an integer in [2, 50]"),
        ({"classes": 2.0}, "classes must be an integer in [2, 50]"),
        ({"classes": 30, "n_samples": 100}, "n_samples must be at least 4 per class"),
    ],
)
def test_bad_classes_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=None) as raised:
        gauss(**kwargs)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_only_the_generators_of_several_classes_take_classes() -> None:
    assert load_dataset(dataset="gauss", classes=4).n_classes == 4
    for name in GENERATORS:
        if name not in ("gauss", "spiral"):
            with pytest.raises(ParameterError, match="classes must be omitted unless"):
                load_dataset(dataset=name, classes=3)


def test_a_csv_of_three_classes() -> None:
    rows = "x1,x2,label\n" + "".join(f"{i},{i % 7},{i % 3}\n" for i in range(30))
    data = parse_csv(rows.encode(), name="three.csv", source="three.csv")
    assert data.n_classes == 3
    assert set(data.y_train[0]) == set(data.y_test[0]) == {0.0, 1.0, 2.0}


def test_a_csv_split_column_needs_every_class_in_training() -> None:
    rows = "x1,x2,label,split\n0,0,0,train\n1,1,1,train\n2,2,2,test\n3,3,0,test\n4,4,1,test\n"
    with pytest.raises(DataError) as raised:
        parse_csv(rows.encode(), name="s.csv", source="s.csv")
    assert str(raised.value) == (
        "s.csv: the 'train' split must contain every label 0..2 (labels are class indices "
        "0..C-1). Received: no rows of label 2"
    )


def test_train_on_three_classes_end_to_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["train", "--dataset", "spiral", "--classes", "3", *QUICK, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out)
    assert document["dataset"]["n_classes"] == 3
    [model] = document["models"]
    assert model["config"]["layers"] == [2, 20, 3, 3]
    assert 0 <= model["test_accuracy"] <= 1
    assert [iteration for iteration, _ in model["costs"]] == [0, 100, 200]


def test_train_refuses_layers_that_do_not_fit_the_classes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["train", "--dataset", "gauss", "--classes", "4", "--layers", "2,8,3", *QUICK])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "reglab: error: layers must be a sequence ending in 4 for the 4 classes (softmax) of "
        "dataset 'gauss'. Received: layers=(2, 8, 3)\n"
    )
    code = main(["train", "--dataset", "gauss", "--layers", "2,8,3", *QUICK])
    err = capsys.readouterr().err
    assert code == 2
    assert "a sequence ending in 1 for the 2 classes (one sigmoid unit)" in err


def test_classes_without_a_generator_of_several_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "--dataset", "moons", "--classes", "3", *QUICK]) == 2
    assert capsys.readouterr().err.startswith("reglab: error: classes must be omitted unless")
    assert main(["train", "--dataset", "gauss", "--classes", "1", *QUICK]) == 2
    assert "classes must be an integer in [2, 50]" in capsys.readouterr().err


def test_compare_on_three_classes_fits_the_exercise_s_output_layer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["compare", "--dataset", "gauss", "--classes", "3", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out)
    assert [model["config"]["layers"] for model in document["models"]] == [[2, 20, 3, 3]] * 3
    assert all(model["test_accuracy"] > 0.8 for model in document["models"])


def test_a_sweep_on_three_classes_with_seeds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    arguments = ["sweep", "--dataset", "gauss", "--classes", "3", "--l2", "0,0.7"]
    code = main([*arguments, "--seeds", "2", "--iterations", "200", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2
    assert (tmp_path / "reglab-sweep-gauss-3-classes.sqlite").is_file()
    assert all(record["layers"] == [2, 20, 3, 3] for record in records)
    assert all(record["n_diverged"] == 0 and record["test_mean"] > 0.8 for record in records)
    # Resumed: every cell comes from the store, nothing trains again.
    assert main([*arguments, "--seeds", "2", "--iterations", "200", "--resume"]) == 0
    assert "nothing trained" in capsys.readouterr().err


def _three_class_models() -> tuple[Dataset, TrainedModels]:
    data = gauss(seed=2, classes=3)
    configs = [
        TrainConfig(layers=(2, 8, 3), iterations=200, record_every=100, seed=s) for s in (0, 1)
    ]
    return data, train(configs, data.X_train, data.y_train, data.X_test, data.y_test)


def test_boundaries_colour_each_of_c_classes() -> None:
    data, result = _three_class_models()
    figure = plot_decision_boundaries(result.parameters, data, ["a", "b"])
    ax = figure.axes[0]
    [image] = ax.get_images()
    values = np.asarray(image.get_array())
    assert set(np.unique(values)) == {0.0, 1.0, 2.0}
    colors = class_colors(3)
    assert [image.cmap(image.norm(c)) for c in range(3)] == colors
    assert len(set(colors)) == 3
    scatters = ax.collections
    assert len(scatters) == 6  # train and test, three labels each
    for k, collection in enumerate(scatters):
        labels = data.y_train if k < 3 else data.y_test
        assert collection.get_label().endswith(f"y = {k % 3} ({int((labels == k % 3).sum())})")
        np.testing.assert_allclose(
            collection.get_facecolors()[0] if k < 3 else collection.get_edgecolors()[0],
            colors[k % 3],
        )


def test_probability_regions_show_the_predicted_class_s_probability() -> None:
    data, result = _three_class_models()
    figure = plot_decision_boundaries(result.parameters, data, ["a", "b"], show="probability")
    values = np.asarray(figure.axes[0].get_images()[0].get_array())
    assert values.min() >= 1 / 3 - 1e-12 and values.max() <= 1.0
    assert figure.axes[-1].get_ylabel() == "predicted probability of the predicted class"


def test_binary_regions_keep_the_exercise_s_colours() -> None:
    assert class_cmap(2) is CLASS_CMAP
    assert class_colors(2) == [CLASS_CMAP(0.0), CLASS_CMAP(1.0)]


def test_boundaries_refuse_models_that_do_not_fit_the_classes() -> None:
    _, result = _three_class_models()
    moons = GENERATORS["moons"]()
    assert moons.n_classes == 2
    with pytest.raises(ParameterError, match="output layer fits the dataset's 2 classes"):
        plot_decision_boundaries(result.parameters, moons, ["a", "b"])


def test_the_report_of_three_classes_counts_each_label(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    code = main(["train", "--dataset", "gauss", "--classes", "3", *QUICK, "--report", str(report)])
    assert code == 0, capsys.readouterr().err
    html = report.read_text()
    assert "3 (softmax output)" in html
    assert "per label 0..2: " in html


def test_the_playground_fits_the_output_layer_to_the_classes() -> None:
    from reglab.play.state import fit_layers

    assert fit_layers((2, 20, 3, 1), 2, 2) == ((2, 20, 3, 1), None)
    assert fit_layers((2, 20, 3, 4), 2, 4) == ((2, 20, 3, 4), None)
    assert fit_layers((2, 20, 3, 1), 2, 4) == (
        (2, 20, 3, 4),
        "layers must end with 4 for the data's 4 classes. Received: layers=2,20,3,1; "
        "using 2,20,3,4",
    )
    fitted, note = fit_layers((2, 20, 3), 3, 2)
    assert fitted == (3, 20, 1) and note is not None and "start with 3" in note


def test_gradcheck_on_three_classes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["gradcheck", "--dataset", "spiral", "--classes", "3", "--layers", "2,6,3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "passed" in out.lower()
