"""TrainConfig: every invalid field is rejected with its exact message; configs round-trip."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reglab.config import DEFAULTS_OMITTED, INIT_SCHEMES, MASK_MODES, OPTIMIZERS, TrainConfig
from reglab.constraints import OUTPUT_RULE, Flag
from reglab.errors import ParameterError, ReglabError

LAYERS_EXPECTED = (
    "at least two positive integer sizes, e.g. (2, 20, 3, 1), "
    "each at most 100,000, at most 64 of them (reglab's caps)"
)

INVALID = [
    ("layers", [2, 20, 3, 1], LAYERS_EXPECTED),
    ("layers", (2,), LAYERS_EXPECTED),
    ("layers", (), LAYERS_EXPECTED),
    ("layers", (2, 0, 1), LAYERS_EXPECTED),
    ("layers", (2, -3, 1), LAYERS_EXPECTED),
    ("layers", (2, 2.0, 1), LAYERS_EXPECTED),
    ("layers", (2, True, 1), LAYERS_EXPECTED),
    ("layers", (2, 20, 3, 2), OUTPUT_RULE),
    ("learning_rate", 0, "a finite number > 0"),
    ("learning_rate", -0.3, "a finite number > 0"),
    ("learning_rate", math.inf, "a finite number > 0"),
    ("learning_rate", math.nan, "a finite number > 0"),
    ("learning_rate", True, "a finite number > 0"),
    ("learning_rate", "0.3", "a finite number > 0"),
    ("iterations", 0, "an integer in [1, 1,000,000,000] (reglab's cap)"),
    ("iterations", 10.0, "an integer in [1, 1,000,000,000] (reglab's cap)"),
    ("iterations", True, "an integer in [1, 1,000,000,000] (reglab's cap)"),
    ("l2", -0.1, "a finite number >= 0"),
    ("l2", math.inf, "a finite number >= 0"),
    ("l2", math.nan, "a finite number >= 0"),
    ("l2", None, "a finite number >= 0"),
    ("keep_prob", 0, "in (0, 1]"),
    ("keep_prob", 1.5, "in (0, 1]"),
    ("keep_prob", -0.2, "in (0, 1]"),
    ("keep_prob", math.nan, "in (0, 1]"),
    ("keep_prob", 1e-310, "in (0, 1] with a finite 1 / keep_prob (dropout scales by it)"),
    ("masks", "random", "one of fresh, course"),
    ("init", "glorot", "one of course, lecun, he, xavier"),
    ("seed", -1, "an integer in [0, 2**63 - 1] (stored as a 64-bit integer)"),
    ("seed", 1.0, "an integer in [0, 2**63 - 1] (stored as a 64-bit integer)"),
    ("record_every", 0, "an integer in [1, 1,000,000,000] (reglab's cap)"),
]


@pytest.mark.parametrize(("field", "value", "expected"), INVALID)
def test_invalid_fields_raise_parameter_error_with_the_exact_message(
    field: str, value: object, expected: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(**{field: value})  # type: ignore[arg-type]
    error = caught.value
    assert str(error) == f"{field} must be {expected}. Received: {field}={value!r}"
    assert (error.parameter, error.expected) == (field, expected)
    assert error.received is value


def test_the_message_reads_as_documented() -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(keep_prob=1.5)
    assert str(caught.value) == "keep_prob must be in (0, 1]. Received: keep_prob=1.5"
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, ReglabError)


def test_defaults_are_the_exercises_settings() -> None:
    config = TrainConfig()
    assert (config.layers, config.learning_rate, config.iterations, config.record_every) == (
        (2, 20, 3, 1),
        0.3,
        30_000,
        1_000,
    )
    assert (config.l2, config.keep_prob, config.init) == (0.0, 1.0, "course")
    assert MASK_MODES == ("fresh", "course")
    assert INIT_SCHEMES == ("course", "lecun", "he", "xavier")


def test_boundary_values_are_accepted() -> None:
    config = TrainConfig(layers=(1, 1), iterations=1, l2=0, keep_prob=1, seed=0, record_every=1)
    assert config.keep_prob == 1
    assert TrainConfig(keep_prob=1e-9, learning_rate=1e-12).keep_prob == 1e-9


def test_configs_are_frozen_and_hashable() -> None:
    config = TrainConfig(l2=0.7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.l2 = 0.1  # type: ignore[misc]
    assert len({config, TrainConfig(l2=0.7), TrainConfig()}) == 2


def test_architecture_is_what_a_batch_must_share() -> None:
    config = TrainConfig(layers=(3, 5, 1), iterations=50, record_every=5, l2=0.2, seed=3)
    assert config.architecture == ((3, 5, 1), 50, 5)
    assert dataclasses.replace(config, l2=0.9, seed=8).architecture == config.architecture


def test_to_dict_is_json_ready() -> None:
    data = TrainConfig(layers=(2, 4, 1), l2=0.7, keep_prob=0.86, masks="course").to_dict()
    assert data == {
        "layers": [2, 4, 1],
        "learning_rate": 0.3,
        "iterations": 30_000,
        "l2": 0.7,
        "keep_prob": 0.86,
        "masks": "course",
        "init": "course",
        "seed": 0,
        "record_every": 1_000,
    }
    assert json.loads(json.dumps(data)) == data


configs = st.builds(
    TrainConfig,
    layers=st.lists(st.integers(1, 50), min_size=1, max_size=4).map(lambda s: (*s, 1)),
    learning_rate=st.floats(1e-6, 10, allow_nan=False),
    iterations=st.integers(1, 100_000),
    l2=st.floats(0, 100, allow_nan=False),
    keep_prob=st.floats(1e-3, 1, allow_nan=False),
    masks=st.sampled_from(MASK_MODES),
    init=st.sampled_from(INIT_SCHEMES),
    seed=st.integers(0, 2**63 - 1),
    record_every=st.integers(1, 10_000),
    optimizer=st.sampled_from(OPTIMIZERS),
    beta1=st.sampled_from([0.9, 0.0, 0.5]),
    beta2=st.sampled_from([0.999, 0.9]),
    epsilon=st.sampled_from([1e-8, 1e-4]),
)


@settings(max_examples=50)
@given(config=configs)
def test_to_dict_from_dict_round_trips_through_json(config: TrainConfig) -> None:
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_from_dict_takes_partial_dicts_with_defaults() -> None:
    assert TrainConfig.from_dict({"l2": 0.7}) == TrainConfig(l2=0.7)
    assert TrainConfig.from_dict({"layers": [2, 5, 1]}).layers == (2, 5, 1)


def test_from_dict_rejects_unknown_keys() -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig.from_dict({"l2": 0.7, "lambd": 0.7, "dropout": 0.1})
    known = sorted(field.name for field in dataclasses.fields(TrainConfig))
    assert str(caught.value) == (
        f"config keys must be among {known}. Received: config keys=['dropout', 'lambd']"
    )


def test_numpy_numbers_are_accepted() -> None:
    """Sweeps build grids with NumPy; its integers and floats are valid values."""
    config = TrainConfig(
        layers=tuple(np.array([2, 5, 1])),
        iterations=np.int64(100),
        seed=np.int32(3),
        l2=np.float64(0.5),
        keep_prob=np.float32(0.5),
    )
    assert config.iterations == 100
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()
    assert all(type(n) is int for n in config.layers)
    with pytest.raises(
        ParameterError, match=re.escape("iterations must be an integer in [1, 1,000,000,000]")
    ):
        TrainConfig(iterations=np.bool_(True))


def test_from_dict_validates_values() -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig.from_dict({"keep_prob": 0})
    assert str(caught.value) == "keep_prob must be in (0, 1]. Received: keep_prob=0"


@pytest.mark.parametrize("value", [-0.1, math.inf, math.nan, None, "0.1", True])
def test_l1_is_a_finite_number_at_least_zero(value: object) -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(l1=value)  # type: ignore[arg-type]
    assert str(caught.value) == f"l1 must be a finite number >= 0. Received: l1={value!r}"


def test_l1_is_in_the_dict_only_when_it_is_not_zero() -> None:
    """Documents and store keys of models without L1 are those of reglab before L1."""
    assert "l1" not in TrainConfig(l2=0.7).to_dict()
    assert "l1" not in TrainConfig(l1=-0.0).to_dict()
    sparse = TrainConfig(l1=0.1, l2=0.7)
    data = sparse.to_dict()
    assert data["l1"] == 0.1 and list(data)[:5] == [
        "layers",
        "learning_rate",
        "iterations",
        "l2",
        "l1",
    ]
    assert TrainConfig.from_dict(json.loads(json.dumps(data))) == sparse
    assert TrainConfig.from_dict(TrainConfig(l2=0.7).to_dict()) == TrainConfig(l2=0.7)


def test_the_optimizer_fields_are_in_the_dict_only_away_from_their_defaults() -> None:
    """Documents and store keys of gradient-descent models are those of reglab before
    the optimizers: every field of DEFAULTS_OMITTED is left out at its default."""
    plain = TrainConfig(l2=0.7).to_dict()
    assert not set(DEFAULTS_OMITTED) & set(plain)
    assert list(plain) == [
        "layers", "learning_rate", "iterations", "l2", "keep_prob", "masks", "init", "seed",
        "record_every",
    ]  # fmt: skip
    adam = TrainConfig(optimizer="adam", beta2=0.99, learning_rate=0.01)
    data = adam.to_dict()
    assert data["optimizer"] == "adam" and data["beta2"] == 0.99
    assert "beta1" not in data and "epsilon" not in data
    assert TrainConfig.from_dict(data) == adam
    for name, default in DEFAULTS_OMITTED.items():
        assert getattr(TrainConfig(), name) == default


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("optimizer", "sgd", "one of gd, momentum, adam"),
        ("optimizer", None, "one of gd, momentum, adam"),
        ("beta1", 1.0, "in [0, 1)"),
        ("beta1", -0.5, "in [0, 1)"),
        ("beta2", 1.0, "in [0, 1)"),
        ("beta2", math.nan, "in [0, 1)"),
        ("epsilon", 0.0, "a finite number > 0"),
        ("epsilon", math.inf, "a finite number > 0"),
    ],
)
def test_the_optimizer_fields_are_checked(name: str, value: object, rule: str) -> None:
    with pytest.raises(ParameterError) as caught:
        TrainConfig(**{name: value})  # type: ignore[arg-type]
    assert str(caught.value) == f"{name} must be {rule}. Received: {name}={value!r}"


def test_a_flag_reads_true_and_false_from_text() -> None:
    flag = Flag()
    assert [flag.parse(text) for text in ("true", "False", " TRUE ")] == [True, False, True]
    for text in ("yes", "1", ""):  # anything else reaches the rule as is, which refuses it
        assert flag.parse(text) == text
        with pytest.raises(ParameterError, match=r"^early_stopping must be true or false"):
            flag.check("early_stopping", flag.parse(text))
