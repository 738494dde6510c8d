"""Data of C >= 3 classes: generators' ``classes``, CSV labels 0..C-1, and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reglab.cli import main
from reglab.data.csv_files import parse_csv
from reglab.data.generators import GENERATORS, gauss, spiral
from reglab.data.sources import load_dataset
from reglab.errors import DataError, ParameterError

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
