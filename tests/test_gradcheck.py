"""The engine's gradient check (``reglab gradcheck``): it passes for the engine, and it can fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reglab.engine.gradcheck as gradcheck
from reglab.cli import main
from reglab.config import TrainConfig
from reglab.data.football import load_football
from reglab.engine import Gradients
from reglab.engine.gradcheck import (
    THRESHOLD,
    central_differences,
    check_gradients,
    compare_gradients,
    relative_difference,
)
from reglab.engine.training import prepare

CONFIGS = [
    TrainConfig(),
    TrainConfig(l2=0.7),
    TrainConfig(keep_prob=0.86, masks="course"),
    TrainConfig(keep_prob=0.8, masks="fresh", l2=0.3, init="he", seed=4),
    TrainConfig(layers=(2, 30, 10, 5, 1), init="xavier", l2=0.1, keep_prob=0.9, seed=2),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.layers}-{c.l2}-{c.keep_prob}")
def test_the_engine_passes_on_the_exercise_data(football_path: Path, config: TrainConfig) -> None:
    data = load_football(football_path)
    check = check_gradients(config, data.X_train, data.y_train)
    assert check.passed
    assert check.difference < THRESHOLD
    names = [name for name, _ in check.parameters]
    n_layers = len(config.layers) - 1
    assert names == [f"{p}{l}" for l in range(1, n_layers + 1) for p in ("W", "b")]
    assert all(value < THRESHOLD for _, value in check.parameters)
    assert check.kinks == 0


L1_CONFIGS = [
    TrainConfig(l1=0.7),
    TrainConfig(l1=0.5, l2=0.7),
    TrainConfig(l1=0.3, l2=0.2, keep_prob=0.8, masks="fresh", init="he", seed=4),
    TrainConfig(layers=(2, 30, 10, 5, 1), init="xavier", l1=0.2, l2=0.1, keep_prob=0.9, seed=2),
]


@pytest.mark.parametrize(
    "config", L1_CONFIGS, ids=lambda c: f"{c.layers}-l1={c.l1}-l2={c.l2}-{c.keep_prob}"
)
def test_l1_and_the_elastic_net_pass_away_from_zero(
    football_path: Path, config: TrainConfig
) -> None:
    """|W| is smooth where no weight is within epsilon of 0: there central differences
    see the (alpha/m) sign(W) term exactly."""
    data = load_football(football_path)
    initial = prepare([config], data.X_train, data.y_train, None, None).initial
    assert min(float(np.abs(W).min()) for W in initial.weights) > 100 * gradcheck.EPSILON
    check = check_gradients(config, data.X_train, data.y_train)
    assert check.passed and check.kinks == 0
    assert all(value < THRESHOLD for _, value in check.parameters)


def test_a_forgotten_l1_term_fails_on_the_weights_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 40))
    Y = (rng.random((1, 40)) < 0.5).astype(float)
    right = gradcheck.backward

    def without_l1(*args: Any, **kwargs: Any) -> Gradients:
        return right(*args, **{**kwargs, "l1": 0.0})

    config = TrainConfig(l1=0.5, l2=0.3)
    assert check_gradients(config, X, Y).passed
    monkeypatch.setattr(gradcheck, "backward", without_l1)
    check = check_gradients(config, X, Y)
    assert not check.passed
    differences = dict(check.parameters)
    assert all(differences[f"b{l}"] < THRESHOLD for l in (1, 2, 3))
    assert all(differences[f"W{l}"] > 1e-3 for l in (1, 2, 3))


def test_relu_kinks_are_counted(football_path: Path) -> None:
    # Seed 9: for some examples every unit of a hidden layer is dropped or off, so the
    # next layer's pre-activation is exactly its zero bias, on ReLU's kink. Central
    # differences there see half a slope; the check fails and says why it may.
    data = load_football(football_path)
    config = TrainConfig(layers=(2, 30, 10, 5, 1), init="xavier", l2=0.1, keep_prob=0.9, seed=9)
    check = check_gradients(config, data.X_train, data.y_train)
    assert not check.passed and check.kinks > 0


def test_a_wrong_backward_pass_fails_and_is_located(monkeypatch: pytest.MonkeyPatch) -> None:
    # The numpy-ml bug the style guide cites: dropout's mask forgotten in the backward
    # pass. Here: the mask applied, but the scaling by 1/keep_prob forgotten.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 40))
    Y = (rng.random((1, 40)) < 0.5).astype(float)
    right = gradcheck.backward

    def unscaled(*args: Any, **kwargs: Any) -> Gradients:
        return right(*args, **{**kwargs, "keep_prob": np.array([1.0])})

    config = TrainConfig(keep_prob=0.5, masks="course")
    assert check_gradients(config, X, Y).passed
    monkeypatch.setattr(gradcheck, "backward", unscaled)
    check = check_gradients(config, X, Y)
    assert not check.passed
    differences = dict(check.parameters)
    assert differences["W3"] < THRESHOLD and differences["b3"] < THRESHOLD
    assert differences["W1"] > 1e-2 and differences["W2"] > 1e-2


def test_central_differences_of_a_known_function() -> None:
    point = {"a": np.array([[1.0, -2.0]]), "b": np.array([[0.5]])}

    def cost(p: dict[str, np.ndarray]) -> float:
        return float(np.sum(p["a"] ** 3) + np.sin(p["b"][0, 0]))

    approximation = central_differences(cost, point)
    assert np.allclose(approximation["a"], 3 * point["a"] ** 2, rtol=1e-8)
    assert np.allclose(approximation["b"], np.cos(0.5), rtol=1e-8)
    exact = {"a": 3 * point["a"] ** 2, "b": np.cos(point["b"])}
    assert compare_gradients(exact, approximation).passed
    wrong = {"a": 3 * point["a"] ** 2, "b": np.sin(point["b"])}
    failed = compare_gradients(wrong, approximation)
    assert not failed.passed and dict(failed.parameters)["a"] < THRESHOLD
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_difference(np.ones(2), -np.ones(2)) == 1.0


def test_the_command(capsys: pytest.CaptureFixture[str], football_path: Path) -> None:
    arguments = ["gradcheck", "--data", str(football_path), "--l2", "0.7"]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "model:   layers=2,20,3,1 l2=0.7 keep_prob=1.0" in out
    assert out.rstrip().endswith("passed: the overall difference is below 1e-07")
    assert main([*arguments, "--keep-prob", "0.86", "--masks", "course", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {
        "schema_version",
        "difference",
        "passed",
        "threshold",
        "kinks",
        "parameters",
        "epsilon",
    }
    assert document["schema_version"] == 1
    assert document["passed"] is True and document["epsilon"] == 1e-7
    assert [p["name"] for p in document["parameters"]] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(isinstance(p["difference"], float) for p in document["parameters"])


def test_the_command_checks_l1(capsys: pytest.CaptureFixture[str], football_path: Path) -> None:
    arguments = ["gradcheck", "--data", str(football_path), "--l1", "0.5", "--l2", "0.7"]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "model:   layers=2,20,3,1 l2=0.7 l1=0.5 keep_prob=1.0" in out
    assert out.rstrip().endswith("passed: the overall difference is below 1e-07")
    assert main(["gradcheck", "--l1", "-0.5"]) == 2
    assert capsys.readouterr().err == (
        "reglab: error: argument --l1: l1 must be a finite number >= 0. "
        "Received: l1=-0.5 (see 'reglab gradcheck --help')\n"
    )


def test_the_command_exits_1_when_the_check_fails(
    capsys: pytest.CaptureFixture[str], football_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    right = gradcheck.backward

    def without_l2(params: Any, passed: Any, Y: Any, l2: Any = 0.0, **kwargs: Any) -> Gradients:
        return right(params, passed, Y, 0.0, **kwargs)  # the L2 term forgotten

    monkeypatch.setattr(gradcheck, "backward", without_l2)
    assert main(["gradcheck", "--data", str(football_path), "--l2", "0.7", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] is False


def test_bad_options_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--keep-prob", "1.5"]) == 2
    assert capsys.readouterr().err == (
        "reglab: error: argument --keep-prob: keep_prob must be in (0, 1]. "
        "Received: keep_prob=1.5 (see 'reglab gradcheck --help')\n"
    )


def test_a_network_too_large_to_check_is_refused_at_once(
    football_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Central differences cost two forward passes per parameter: a network of 10,501
    parameters would take minutes; it is refused with the numbers that decide it."""
    assert main(["gradcheck", "--data", str(football_path), "--layers", "2,100,100,1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "layers must be small enough to check: 2 x parameters^2 x examples at most" in err
    assert "here 10,501 parameters and 211 examples" in err
    assert err.rstrip().endswith("Received: layers=(2, 100, 100, 1)")
