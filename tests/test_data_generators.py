"""The built-in datasets: reproducible, requested sizes, the documented shapes, checked inputs."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reglab.data.dataset import Dataset
from reglab.data.generators import (
    GENERATORS,
    circles,
    goalkeeper,
    list_datasets,
    moons,
    spiral,
    stratified_split,
    xor,
)
from reglab.errors import DataError, ParameterError

NAMES = sorted(GENERATORS)


def _points(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """All points ``(m, 2)`` and labels ``(m,)``, train then test."""
    X = np.concatenate([dataset.X_train, dataset.X_test], axis=1).T
    y = np.concatenate([dataset.y_train, dataset.y_test], axis=1)[0]
    return X, y


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data(name: str) -> None:
    first, second = GENERATORS[name](seed=7), GENERATORS[name](seed=7)

    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_train, second.y_train)
    np.testing.assert_array_equal(first.X_test, second.X_test)
    np.testing.assert_array_equal(first.y_test, second.y_test)


@pytest.mark.parametrize("name", NAMES)
def test_another_seed_other_data(name: str) -> None:
    first, second = GENERATORS[name](seed=0), GENERATORS[name](seed=1)

    assert not np.array_equal(first.X_train, second.X_train)


@pytest.mark.parametrize("name", NAMES)
def test_global_numpy_generator_is_untouched(name: str) -> None:
    before = np.random.get_state(legacy=False)  # noqa: NPY002 - the legacy state is the subject
    GENERATORS[name](seed=3)
    after = np.random.get_state(legacy=False)  # noqa: NPY002

    assert isinstance(before, dict) and isinstance(after, dict)
    np.testing.assert_array_equal(before["state"]["key"], after["state"]["key"])
    assert before["state"]["pos"] == after["state"]["pos"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("n_samples", "test_fraction", "n_train", "n_test"),
    [(50, 0.3, 35, 15), (101, 0.6, 40, 61), (4, 0.5, 2, 2), (9, 0.25, 7, 2)],
)
def test_requested_sizes_with_both_classes_on_each_side(
    name: str, n_samples: int, test_fraction: float, n_train: int, n_test: int
) -> None:
    dataset = GENERATORS[name](n_samples=n_samples, test_fraction=test_fraction)

    assert dataset.X_train.shape == (2, n_train)
    assert dataset.X_test.shape == (2, n_test)
    for y in (dataset.y_train, dataset.y_test):
        assert set(np.unique(y)) == {0.0, 1.0}
    _, labels = _points(dataset)
    assert int(labels.sum()) == n_samples - n_samples // 2


@pytest.mark.parametrize("name", NAMES)
def test_noise_moves_the_points(name: str) -> None:
    quiet = GENERATORS[name](noise=0.0, seed=2)
    noisy = GENERATORS[name](noise=0.2, seed=2)

    assert not np.allclose(quiet.X_train, noisy.X_train)
    assert quiet.source == f"built-in generator {name} (seed 2, noise 0)"
    assert noisy.source == f"built-in generator {name} (seed 2, noise 0.2)"
    assert quiet.name == name
    assert quiet.description


def test_goalkeeper_defaults_match_the_exercise_sizes() -> None:
    dataset = goalkeeper()

    assert dataset.X_train.shape == (2, 211)
    assert dataset.X_test.shape == (2, 200)
    assert dataset.n_features == 2


def test_goalkeeper_lives_on_the_exercise_field() -> None:
    X, _ = _points(goalkeeper())

    inside = (X[:, 0] >= -0.75) & (X[:, 0] <= 0.40) & (X[:, 1] >= -0.75) & (X[:, 1] <= 0.65)
    assert inside.mean() > 0.97


def test_goalkeeper_upper_left_is_label_one_with_wrong_class_pockets() -> None:
    X, y = _points(goalkeeper(noise=0.0, seed=4))

    # A straight-line summary of the wavy boundary: above the diagonal is label 1.
    above = X[:, 1] - (-0.05 + 1.1 * (X[:, 0] + 0.18)) > 0
    agreement = np.mean(above == (y == 1))
    assert 0.8 < agreement < 1.0
    upper_left = (X[:, 0] < -0.4) & (X[:, 1] > 0.2)
    lower_right = (X[:, 0] > 0.0) & (X[:, 1] < -0.3)
    assert y[upper_left].mean() > 0.9
    assert y[lower_right].mean() < 0.1


def test_goalkeeper_noise_flips_points_across_the_boundary() -> None:
    def agreement(noise: float) -> float:
        X, y = _points(goalkeeper(noise=noise, seed=5, n_samples=2000))
        above = X[:, 1] - (-0.05 + 1.1 * (X[:, 0] + 0.18)) > 0
        return float(np.mean(above == (y == 1)))

    assert agreement(0.15) < agreement(0.0) - 0.05


def test_circles_without_noise_lie_on_their_circles() -> None:
    X, y = _points(circles(noise=0.0, n_samples=60))

    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)


def test_xor_without_noise_is_the_sign_rule() -> None:
    X, y = _points(xor(noise=0.0, n_samples=80))

    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(float))
    assert np.all(np.abs(X) <= 1.0)


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = _points(moons(noise=0.0, n_samples=60))

    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5)


def test_spiral_arms_are_half_a_turn_apart() -> None:
    X, y = _points(spiral(noise=0.0, n_samples=60))

    radius = np.hypot(X[:, 0], X[:, 1])
    expected_angle = 3 * np.pi * radius + np.pi * y
    # the point's direction equals the arm's angle at that radius
    np.testing.assert_allclose(X[:, 0], radius * np.cos(expected_angle), atol=1e-12)
    np.testing.assert_allclose(X[:, 1], radius * np.sin(expected_angle), atol=1e-12)


def test_gauss_blobs_sit_on_opposite_diagonal_corners() -> None:
    X, y = _points(GENERATORS["gauss"](noise=0.0, n_samples=2000))

    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-0.75, -0.75], atol=0.05)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [0.75, 0.75], atol=0.05)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 3}, "n_samples must be an integer >= 4. Received: n_samples=3"),
        ({"n_samples": 10.0}, "n_samples must be an integer >= 4. Received: n_samples=10.0"),
        ({"noise": -0.1}, "noise must be a finite number >= 0. Received: noise=-0.1"),
        ({"noise": float("nan")}, "noise must be a finite number >= 0. Received: noise=nan"),
        ({"test_fraction": 0.0}, "test_fraction must be in (0, 1). Received: test_fraction=0.0"),
        ({"test_fraction": 1}, "test_fraction must be in (0, 1). Received: test_fraction=1"),
        (
            {"seed": -1},
            (
                "seed must be an integer in [0, 2**63 - 1] "
                "(stored as a 64-bit integer). Received: seed=-1"
            ),
        ),
        (
            {"seed": True},
            (
                "seed must be an integer in [0, 2**63 - 1] (stored "
                "as a 64-bit integer). Received: seed=True"
            ),
        ),
        (
            {"n_samples": 5, "test_fraction": 0.2},
            "n_samples must be large enough for at least 2 train and 2 test points at "
            "test_fraction=0.2 (it gives 4 train, 1 test). Received: n_samples=5",
        ),
    ],
)
def test_bad_parameters(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        GENERATORS[name](**kwargs)


def test_list_datasets_starts_with_the_exercise_and_names_every_generator() -> None:
    listed = list_datasets()

    assert listed[0][0] == "football"
    assert [name for name, _ in listed[1:]] == list(GENERATORS)
    for name, description in listed:
        assert description and "\n" not in description, name


@given(
    n_label_0=st.integers(2, 40),
    n_label_1=st.integers(2, 40),
    test_fraction=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_keeps_both_classes_on_each_side(
    n_label_0: int, n_label_1: int, test_fraction: float, seed: int
) -> None:
    labels = np.concatenate([np.zeros(n_label_0), np.ones(n_label_1)])
    m = labels.size
    n_test = round(m * test_fraction)
    rng = np.random.default_rng(seed)
    if n_test < 2 or m - n_test < 2:
        with pytest.raises(DataError, match="cannot split into train and test"):
            stratified_split(labels, test_fraction, rng)
        return

    train, test = stratified_split(labels, test_fraction, rng)

    assert test.size == n_test
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(m))
    assert set(labels[train]) == {0.0, 1.0}
    assert set(labels[test]) == {0.0, 1.0}
    expected_test_ones = n_test * n_label_1 / m
    # proportional to within rounding, or one more example when a side needs its minimum
    assert abs(labels[test].sum() - expected_test_ones) <= 1.5


def test_stratified_split_refuses_a_class_with_one_example() -> None:
    labels = np.array([0.0, 0.0, 0.0, 1.0])

    with pytest.raises(DataError, match=re.escape("Received: 3 of label 0, 1 of label 1")):
        stratified_split(labels, 0.5, np.random.default_rng(0))
