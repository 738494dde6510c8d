"""reglab.sklearn.MLPClassifier: scikit-learn's own checks, the exercise's numbers through it,
and its place in pipelines and searches."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reglab

pytest.importorskip("sklearn")

from sklearn.datasets import make_blobs, make_moons
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import generate_invalid_param_val, make_constraint
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.football import load_football
from reglab.engine import train
from reglab.engine.initializers import initialize
from reglab.errors import DataError, ParameterError
from reglab.sklearn import MLPClassifier

CHECKED = [
    MLPClassifier(max_iter=300, random_state=0),
    MLPClassifier((8,), max_iter=300, l2=0.1, keep_prob=0.9, init="he", random_state=1),
    MLPClassifier((8,), learning_rate=0.01, max_iter=300, optimizer="adam", random_state=2),
    MLPClassifier((8,), max_iter=100, batch_size=32, early_stopping=True, random_state=3),
]
"""Small max_iter: scikit-learn's checks fit a few hundred times."""


@parametrize_with_checks(CHECKED)  # type: ignore[misc]
def test_scikit_learns_own_checks(estimator: MLPClassifier, check: Any) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def football(football_path: Path) -> Dataset:
    return load_football(football_path)


# SPEC.md's training table: costs at iterations 0, 10,000, 20,000; correct of 211 and of 200.
EXERCISE = {
    "plain": ({}, (0.6557412523481002, 0.1632998752572419, 0.13851642423239133), 200, 183),
    "l2": ({"l2": 0.7}, (0.6974484493131264, 0.2684918873282239, 0.2680916337127301), 198, 186),
    "dropout": (
        {"keep_prob": 0.86, "masks": "course"},
        (0.6543912405149825, 0.061016986574905605, 0.060582435798513114),
        196,
        190,
    ),
}


@pytest.mark.parametrize("row", list(EXERCISE))
def test_the_exercises_rows_through_the_estimator(football: Dataset, row: str) -> None:
    settings, costs, train_correct, test_correct = EXERCISE[row]
    # The defaults are the exercise's settings (layers, step, iterations) but for the
    # initialization, which is drawn from random_state unless init="course".
    estimator = MLPClassifier(init="course", random_state=0).set_params(**settings)
    X_train, y_train = football.X_train.T, football.y_train.ravel().astype(int)
    X_test, y_test = football.X_test.T, football.y_test.ravel().astype(int)
    estimator.fit(X_train, y_train)

    assert estimator.n_iter_ == len(estimator.loss_curve_) == 30_000
    printed = [estimator.loss_curve_[i] for i in (0, 10_000, 20_000)]
    np.testing.assert_allclose(printed, costs, rtol=1e-9, atol=0)
    assert int(np.sum(estimator.predict(X_train) == y_train)) == train_correct
    assert int(np.sum(estimator.predict(X_test) == y_test)) == test_correct
    assert estimator.score(X_train, y_train) == train_correct / 211
    assert estimator.score(X_test, y_test) == test_correct / 200

    # The same model as the engine's, bit for bit, in scikit-learn's layout.
    engine = train([TrainConfig(**settings)], football.X_train, football.y_train)
    assert estimator.config_ == TrainConfig(**settings, record_every=1)
    for coef, intercept, W, b in zip(
        estimator.coefs_,
        estimator.intercepts_,
        engine.parameters.weights,
        engine.parameters.biases,
        strict=True,
    ):
        np.testing.assert_array_equal(coef, W[0].T)
        np.testing.assert_array_equal(intercept, b[0, :, 0])


def test_scikit_learns_mlp_at_full_batch_trains_the_same_model(football: Dataset) -> None:
    """The README's mapping, run: scikit-learn's MLPClassifier (plain SGD, one batch of all
    211 examples, alpha = lambda) from the course's initial weights follows the estimator's
    L2 model step for step (3,000 of the exercise's 30,000 iterations)."""
    X, y = football.X_train.T, football.y_train.ravel().astype(int)
    ours = MLPClassifier(init="course", l2=0.7, max_iter=3_000).fit(X, y)
    theirs = SklearnMLP(
        (20, 3),
        alpha=0.7,
        solver="sgd",
        batch_size=211,
        momentum=0.0,
        learning_rate_init=0.3,
        max_iter=1,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=3_001,
        warm_start=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached, as asked
        theirs.fit(X, y)  # builds the fitted state; its weights are replaced next
        weights, biases = initialize((2, 20, 3, 1), "course")
        theirs.coefs_ = [W.T.copy() for W in weights]
        theirs.intercepts_ = [b.ravel().copy() for b in biases]
        theirs.loss_curve_ = []
        theirs.set_params(max_iter=3_000).fit(X, y)
    np.testing.assert_allclose(theirs.loss_curve_, ours.loss_curve_, rtol=1e-12, atol=0)
    for their_coef, our_coef in zip(theirs.coefs_, ours.coefs_, strict=True):
        np.testing.assert_allclose(their_coef, our_coef, rtol=0, atol=1e-12)


def _moons(n_samples: int = 200, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=0)
    return X, y


def test_any_two_labels_rows_as_examples_and_scikit_learns_layout() -> None:
    X, y = _moons()
    labels = np.where(y == 1, "blue", "red")
    estimator = MLPClassifier((5, 4), max_iter=2_000, random_state=0).fit(X, labels)
    assert list(estimator.classes_) == ["blue", "red"]
    assert [c.shape for c in estimator.coefs_] == [(2, 5), (5, 4), (4, 1)]
    assert [b.shape for b in estimator.intercepts_] == [(5,), (4,), (1,)]
    assert (estimator.n_layers_, estimator.n_outputs_, estimator.out_activation_) == (
        4,
        1,
        "logistic",
    )
    probabilities = estimator.predict_proba(X)
    decision = estimator.decision_function(X)
    predicted = estimator.predict(X)
    assert probabilities.shape == (len(X), 2) and decision.shape == (len(X),)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(probabilities[:, 1], 1 / (1 + np.exp(-decision)), rtol=1e-12)
    np.testing.assert_array_equal(predicted, np.where(probabilities[:, 1] > 0.5, "red", "blue"))
    np.testing.assert_array_equal(predicted == "red", decision > 0)
    assert estimator.score(X, labels) > 0.95


def test_three_classes_and_more_have_a_softmax_head_over_the_same_engine() -> None:
    X, y = make_blobs(n_samples=150, centers=4, cluster_std=1.0, random_state=0)
    names = np.array(["north", "east", "south", "west"])[y]
    estimator = MLPClassifier((8,), max_iter=500, random_state=2).fit(X, names)
    assert list(estimator.classes_) == ["east", "north", "south", "west"]
    assert (estimator.n_outputs_, estimator.out_activation_) == (4, "softmax")
    assert [c.shape for c in estimator.coefs_] == [(2, 8), (8, 4)]
    probabilities = estimator.predict_proba(X)
    decision = estimator.decision_function(X)
    predicted = estimator.predict(X)
    assert probabilities.shape == decision.shape == (150, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(predicted, estimator.classes_[np.argmax(decision, axis=1)])
    assert estimator.score(X, names) > 0.9

    # The engine's model, with the labels as indices 0..C-1 of the sorted classes.
    codes = np.searchsorted(estimator.classes_, names).astype(float).reshape(1, -1)
    engine = train([estimator.config_], X.T, codes)
    for coef, W in zip(estimator.coefs_, engine.parameters.weights, strict=True):
        np.testing.assert_array_equal(coef, W[0].T)
    np.testing.assert_array_equal(estimator.loss_curve_, engine.history.cost[0])


@pytest.mark.parametrize(
    "labels",
    [["no", "yes"], [3, 7], [1.0, 2.0], [True, False], ["a", "b", "c"]],
    ids=["text", "integers", "reals", "booleans", "three"],
)
def test_a_saved_estimator_loads_and_predicts_bit_for_bit(
    tmp_path: Path, labels: list[Any]
) -> None:
    X, y = make_blobs(n_samples=60, centers=len(labels), random_state=1)
    y_labels = np.array(labels)[y]
    estimator = MLPClassifier((5,), max_iter=200, keep_prob=0.9, random_state=0).fit(X, y_labels)
    path = estimator.save(tmp_path / "model.safetensors")
    loaded = reglab.load_model(path)
    assert loaded.classes == tuple(sorted(labels)) and type(loaded.classes[0]) is type(labels[0])
    assert loaded.config == estimator.config_ and loaded.n_features == 2
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    for W, coef in zip(loaded.weights, estimator.coefs_, strict=True):
        np.testing.assert_array_equal(W, coef.T)


def test_saving_needs_a_fitted_estimator(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        MLPClassifier().save(tmp_path / "model.safetensors")
    assert not (tmp_path / "model.safetensors").exists()


REACHES_THE_ENGINE = {
    "hidden_layer_sizes": ((4, 2), "layers", (2, 4, 2, 1)),
    "learning_rate": (0.1, "learning_rate", 0.1),
    "max_iter": (7, "iterations", 7),
    "l2": (0.3, "l2", 0.3),
    "l1": (0.1, "l1", 0.1),
    "keep_prob": (0.8, "keep_prob", 0.8),
    "masks": ("course", "masks", "course"),
    "init": ("he", "init", "he"),
    "optimizer": ("adam", "optimizer", "adam"),
    "beta1": (0.8, "beta1", 0.8),
    "beta2": (0.99, "beta2", 0.99),
    "epsilon": (1e-6, "epsilon", 1e-6),
    "batch_size": (16, "batch_size", 16),
    "early_stopping": (True, "early_stopping", True),
    "validation_fraction": (0.2, "validation_fraction", 0.2),
    "n_iter_no_change": (3, "patience", 3),
    "random_state": (9, "seed", 9),
}
"""Each parameter -> (a value, the TrainConfig field it sets, the field's value)."""


@pytest.mark.parametrize("name", list(REACHES_THE_ENGINE))
def test_each_parameter_reaches_the_engine(name: str) -> None:
    X, y = _moons(30)
    value, field, expected = REACHES_THE_ENGINE[name]
    estimator = MLPClassifier((3,), max_iter=20, random_state=1).set_params(**{name: value})
    estimator.fit(X, y)
    assert getattr(estimator.config_, field) == expected
    default = MLPClassifier((3,), max_iter=20, random_state=1).fit(X, y).config_
    assert getattr(default, field) != expected  # the value was not the default already
    engine = train([estimator.config_], X.T, y.reshape(1, -1).astype(float))
    for coef, W in zip(estimator.coefs_, engine.parameters.weights, strict=True):
        np.testing.assert_array_equal(coef, W[0].T)
    assert set(REACHES_THE_ENGINE) == set(MLPClassifier().get_params())


def test_max_iter_counts_epochs_as_scikit_learn_counts_them() -> None:
    """With mini-batches, an epoch is ceil(m / batch_size) of the engine's updates; the
    estimator records once per epoch, so loss_curve_ has max_iter entries."""
    X, y = _moons(100)
    estimator = MLPClassifier((6,), max_iter=40, batch_size=16, random_state=0).fit(X, y)
    per_epoch = 7  # ceil(100 / 16)
    assert (estimator.config_.iterations, estimator.config_.record_every) == (280, per_epoch)
    assert estimator.n_iter_ == len(estimator.loss_curve_) == 40
    assert estimator.validation_loss_curve_ is None
    engine = train([estimator.config_], X.T, y.reshape(1, -1).astype(float))
    np.testing.assert_array_equal(estimator.loss_curve_, engine.history.cost[0])


def test_early_stopping_stops_and_returns_the_best_epochs_model() -> None:
    X, y = _moons(100, noise=0.4)
    estimator = MLPClassifier(
        (30,), max_iter=3_000, batch_size=10, early_stopping=True, n_iter_no_change=5
    ).set_params(random_state=0)
    estimator.fit(X, y)
    per_epoch = 9  # ceil(90 / 10): 10 of the 100 examples held out
    assert estimator.config_.record_every == per_epoch
    assert 5 < estimator.n_iter_ < 3_000
    assert len(estimator.loss_curve_) == len(estimator.validation_loss_curve_) == estimator.n_iter_
    engine = train([estimator.config_], X.T, y.reshape(1, -1).astype(float))
    assert engine.stopped_at == (estimator.n_iter_ * per_epoch,)
    best = int(np.argmin(estimator.validation_loss_curve_))
    assert engine.best_iteration == (best * per_epoch,)
    assert estimator.n_iter_ - 1 - best >= 5 - 1  # n_iter_no_change records without a lower one
    for coef, W in zip(estimator.coefs_, engine.parameters.weights, strict=True):
        np.testing.assert_array_equal(coef, W[0].T)


def test_the_random_state_decides_the_model() -> None:
    X, y = _moons(60)

    def coefs(**params: Any) -> np.ndarray:
        model = MLPClassifier((4,), max_iter=50, keep_prob=0.8).set_params(**params).fit(X, y)
        return np.concatenate([c.ravel() for c in model.coefs_])

    np.testing.assert_array_equal(coefs(random_state=3), coefs(random_state=3))
    assert not np.array_equal(coefs(random_state=3), coefs(random_state=4))
    np.testing.assert_array_equal(
        coefs(random_state=np.random.RandomState(5)), coefs(random_state=np.random.RandomState(5))
    )
    # The exercise's initialization ignores the seed; fresh masks do not.
    assert not np.array_equal(coefs(init="course", random_state=1), coefs(init="course"))
    np.testing.assert_array_equal(
        coefs(init="course", keep_prob=1.0, random_state=1),
        coefs(init="course", keep_prob=1.0, random_state=2),
    )


def test_pipeline_grid_search_and_cross_validation_in_two_processes() -> None:
    X, y = _moons(120)
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((6,), max_iter=500, random_state=0))
    search = GridSearchCV(
        pipeline, {"mlpclassifier__l2": [0.0, 1.0], "mlpclassifier__keep_prob": [1.0, 0.8]}, cv=3
    )
    search.set_params(n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.score(X, y) > 0.8
    # The same search in one process gives the same scores: the models do not depend on where
    # they were trained.
    alone = GridSearchCV(pipeline, search.param_grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], alone.cv_results_["mean_test_score"]
    )
    scores = cross_val_score(pipeline, X, y, cv=3, n_jobs=2)
    assert scores.shape == (3,) and np.all(scores > 0.7)


def test_the_feature_names_are_kept() -> None:
    pandas = pytest.importorskip("pandas")
    X, y = _moons(40)
    frame = pandas.DataFrame(X, columns=["x", "y"])
    estimator = MLPClassifier((3,), max_iter=10, random_state=0).fit(frame, y)
    assert list(estimator.feature_names_in_) == ["x", "y"] and estimator.n_features_in_ == 2


@pytest.mark.parametrize(
    ("params", "line"),
    [
        ({"max_iter": 0}, "max_iter must be an integer in [1, 1,000,000,000] (reglab's cap). "),
        ({"keep_prob": 1.5}, "keep_prob must be in (0, 1]. Received: keep_prob=1.5"),
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0. "),
        ({"masks": "fixed"}, "masks must be one of fresh, course. Received: masks='fixed'"),
        ({"optimizer": "sgd"}, "optimizer must be one of gd, momentum, adam. "),
        ({"beta2": 1.0}, "beta2 must be in [0, 1). Received: beta2=1.0"),
        ({"batch_size": 0}, "batch_size must be "),
        (
            {"n_iter_no_change": 0},
            "n_iter_no_change must be an integer in [1, 1,000,000,000] (epochs ",
        ),
        ({"validation_fraction": 1.0}, "validation_fraction must be in (0, 1). "),
        ({"max_iter": 10**9, "batch_size": 1}, "max_iter must be at most 50,000,000 epochs of 20"),
        ({"random_state": -1}, "random_state must be an integer in [0, 2**63 - 1]"),
        ({"random_state": "a"}, "random_state must be None, an integer in [0, 2**63 - 1] or"),
        ({"hidden_layer_sizes": (20, 0)}, "hidden_layer_sizes must be an integer or a sequence"),
        ({"hidden_layer_sizes": "20"}, "hidden_layer_sizes must be an integer or a sequence"),
    ],
)
def test_a_bad_parameter_is_reglabs_one_line_naming_the_estimators_parameter(
    params: dict[str, Any], line: str
) -> None:
    X, y = _moons(20)
    with pytest.raises(ParameterError) as raised:
        MLPClassifier(**params).fit(X, y)
    assert isinstance(raised.value, ValueError)  # what scikit-learn's tools expect
    assert str(raised.value).startswith(line) and "\n" not in str(raised.value)
    assert raised.value.parameter == next(iter(params))


@pytest.mark.parametrize("name", sorted(MLPClassifier._parameter_constraints))
def test_the_declared_constraints_agree_with_reglabs_rules(name: str) -> None:
    """What scikit-learn's declaration says is invalid, reglab's checks refuse too."""
    X, y = _moons(20)
    for constraint in map(make_constraint, MLPClassifier._parameter_constraints[name]):
        try:
            bad = generate_invalid_param_val(constraint)
        except NotImplementedError:
            continue
        with pytest.raises(ParameterError) as raised:
            MLPClassifier(max_iter=1).set_params(**{name: bad}).fit(X, y)
        assert raised.value.parameter == name
    MLPClassifier(max_iter=1).fit(X, y)  # every default valid


def test_one_class_and_unsupported_targets_are_refused_in_one_line() -> None:
    X, _ = _moons(20)
    with pytest.raises(DataError, match=r"at least two classes.*Received: one class, 'a'$"):
        MLPClassifier(max_iter=1).fit(X, ["a"] * 20)
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier(max_iter=1).fit(X, np.linspace(0, 1, 20))


def test_importing_reglab_does_not_import_scikit_learn() -> None:
    code = "import sys, reglab, reglab.engine; print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_array_api_check_that_scipy_skips_without_its_switch() -> None:
    """scikit-learn skips ``check_array_api_input`` unless SciPy's array API switch is on
    before SciPy loads: a process of its own, with it on."""
    code = (
        "from sklearn.utils.estimator_checks import check_estimator\n"
        "from reglab.sklearn import MLPClassifier\n"
        "results = check_estimator(MLPClassifier(max_iter=300, random_state=0), on_fail=None)\n"
        "print([r['status'] for r in results if r['check_name'] == 'check_array_api_input'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SCIPY_ARRAY_API": "1"},
    )
    assert done.stdout.strip() == "['passed']"
