"""Properties the engine must always have: limits, monotonicity, mask statistics, randomness.

Small synthetic problems, a few hundred iterations at most. Statistical checks use
samples of tens of thousands of draws and bounds several standard errors wide.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reglab import engine
from reglab.config import TrainConfig
from reglab.engine import DropoutMasks, MaskSampler, Parameters, TrainedModels
from reglab.errors import DivergenceError
from reglab.types import FloatArray

LAYERS = (2, 8, 4, 1)


def _data(m: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    Y = (X[0:1] * X[1:2] + 0.3 * rng.normal(size=(1, m)) > 0).astype(float)
    return X, Y


def _train(configs: Sequence[TrainConfig], **kwargs: object) -> TrainedModels:
    X, Y = _data()
    return engine.train(configs, X, Y, **kwargs)  # type: ignore[arg-type]


def _config(**fields: object) -> TrainConfig:
    settings_ = {"layers": LAYERS, "iterations": 200, "record_every": 20, **fields}
    return TrainConfig(**settings_)  # type: ignore[arg-type]


def _assert_same_models(a: TrainedModels, b: TrainedModels) -> None:
    np.testing.assert_array_equal(a.history.cost, b.history.cost)
    np.testing.assert_array_equal(a.train_accuracy, b.train_accuracy)
    for x, y in zip(
        [*a.parameters.weights, *a.parameters.biases],
        [*b.parameters.weights, *b.parameters.biases],
        strict=True,
    ):
        np.testing.assert_array_equal(x, y)


def _random_parameters(
    layers: Sequence[int], n_models: int, rng: np.random.Generator
) -> Parameters:
    return Parameters.stack(
        [
            (
                [rng.normal(size=(n, n_prev)) for n_prev, n in pairwise(layers)],
                [rng.normal(size=(n, 1)) for n in layers[1:]],
            )
            for _ in range(n_models)
        ]
    )


architectures = st.lists(st.integers(1, 6), min_size=0, max_size=3).flatmap(
    lambda hidden: st.integers(1, 4).map(lambda n_in: (n_in, *hidden, 1))
)


def _random_problem(
    layers: Sequence[int], n_models: int, m: int, rng: np.random.Generator
) -> tuple[Parameters, FloatArray, FloatArray]:
    """K random models, inputs ``(n_0, m)`` and 0/1 labels ``(1, m)``."""
    params = _random_parameters(layers, n_models, rng)
    X = rng.normal(size=(layers[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    return params, X, Y


def random_problems(test: Callable[..., None]) -> Callable[..., None]:
    """A property test over random architectures, batch sizes K, example counts and seeds."""
    problems = given(
        layers=architectures,
        n_models=st.integers(1, 4),
        m=st.integers(1, 12),
        seed=st.integers(0, 2**32 - 1),
    )
    return settings(max_examples=25, deadline=None)(problems(test))


# --- limits: lambda = 0 and keep_prob = 1 are the plain model ----------------------------


@random_problems
def test_zero_l2_and_all_kept_masks_are_the_plain_pass(
    layers: tuple[int, ...], n_models: int, m: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    params, X, Y = _random_problem(layers, n_models, m, rng)
    plain = engine.forward(params, X)
    kept = DropoutMasks(
        keep=[np.ones((n_models, n, m), dtype=bool) for n in layers[1:-1]],
        keep_prob=np.ones(n_models),
    )
    all_kept = engine.forward(params, X, kept)
    np.testing.assert_array_equal(all_kept.output, plain.output)
    for a, b in zip(all_kept.hidden, plain.hidden, strict=True):
        np.testing.assert_array_equal(a, b)

    default = engine.backward(params, plain, Y)
    zero_l2 = engine.backward(params, all_kept, Y, l2=np.zeros(n_models))
    for a, b, W in zip(default.weights, zero_l2.weights, params.weights, strict=True):
        assert a.shape == W.shape
        np.testing.assert_array_equal(a, b)
    for a, b, bias in zip(default.biases, zero_l2.biases, params.biases, strict=True):
        assert a.shape == bias.shape
        np.testing.assert_array_equal(a, b)


@random_problems
def test_l2_adds_lambda_over_m_times_w_to_weight_gradients_only(
    layers: tuple[int, ...], n_models: int, m: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    params, X, Y = _random_problem(layers, n_models, m, rng)
    l2 = rng.uniform(0, 3, size=n_models)
    passed = engine.forward(params, X)
    plain = engine.backward(params, passed, Y)
    with_l2 = engine.backward(params, passed, Y, l2=l2)
    for a, b, W in zip(with_l2.weights, plain.weights, params.weights, strict=True):
        np.testing.assert_allclose(a - b, (l2 / m).reshape(-1, 1, 1) * W, rtol=1e-9, atol=1e-12)
    for a, b in zip(with_l2.biases, plain.biases, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(with_l2.pre_activations, plain.pre_activations, strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_with_zero_l2_and_keep_prob_one_is_the_plain_model() -> None:
    plain = _train([_config()])
    limits = _train([_config(l2=0.0, keep_prob=1.0, masks="course")])
    _assert_same_models(plain, limits)
    sampler = MaskSampler([1.0], ["fresh"], [np.random.default_rng(0)], LAYERS[1:-1], 60)
    assert sampler.sample() is None


# --- L2 shrinks the weights ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "iterations"),
    [((2, 1), 2_000), ((2, 20, 3, 1), 1_000)],
    ids=["logistic regression (convex)", "the exercise's network"],
)
def test_larger_lambda_gives_smaller_final_weights(
    layers: tuple[int, ...], iterations: int
) -> None:
    lambdas = [0.0, 0.1, 0.3, 1.0, 3.0]
    trained = _train([_config(layers=layers, l2=l2, iterations=iterations) for l2 in lambdas])
    squared_norms = sum(np.sum(W**2, axis=(1, 2)) for W in trained.parameters.weights)
    assert np.all(np.diff(squared_norms) < 0), squared_norms


# --- dropout masks ---------------------------------------------------------------------


def test_dropout_of_ones_keeps_the_mean_and_scales_kept_units_by_one_over_keep_prob() -> None:
    n, m = 100, 400
    keep_prob = [0.5, 0.8, 0.86, 0.86]
    modes = ["fresh", "fresh", "fresh", "course"]
    rngs = [np.random.default_rng(seed) for seed in range(4)]
    sampler = MaskSampler(keep_prob, modes, rngs, [n], m)  # type: ignore[arg-type]
    # One hidden layer with identity weights on inputs of ones: A_1 = D_1 / keep_prob.
    identity = Parameters(
        weights=[np.broadcast_to(np.eye(n), (4, n, n)).copy(), np.ones((4, 1, n))],
        biases=[np.zeros((4, n, 1)), np.zeros((4, 1, 1))],
    )
    masks = sampler.sample()
    assert masks is not None
    dropped_ones = engine.forward(identity, np.ones((n, m)), masks).hidden[0]
    for k, p in enumerate(keep_prob):
        values = dropped_ones[k]
        standard_error = np.sqrt((1 - p) / p / values.size)
        assert abs(values.mean() - 1.0) < 5 * standard_error, (k, values.mean())
        assert values.max() == 1.0 / p
        assert set(np.unique(values)) == {0.0, 1.0 / p}
        kept = masks.keep[0][k].mean()
        assert abs(kept - p) < 5 * np.sqrt(p * (1 - p) / values.size)


def test_fresh_masks_change_every_iteration_and_course_masks_never() -> None:
    hidden, m = (20, 3), 50
    keep_prob = [0.7, 0.86]
    rngs = [np.random.default_rng(1), np.random.default_rng(2)]
    sampler = MaskSampler(keep_prob, ["fresh", "course"], rngs, hidden, m)
    draws = []
    for _ in range(3):
        masks = sampler.sample()
        assert masks is not None
        draws.append([keep.copy() for keep in masks.keep])
    course = engine.course_uniforms(hidden, m)
    for first, later in pairwise(draws):
        for layer in range(len(hidden)):
            assert not np.array_equal(first[layer][0], later[layer][0])
            np.testing.assert_array_equal(first[layer][1], later[layer][1])
    for layer, uniforms in enumerate(course):
        np.testing.assert_array_equal(draws[0][layer][1], uniforms < 0.86)


def test_different_seeds_give_different_fresh_masks_and_the_same_seed_the_same() -> None:
    def first_masks(seed: int) -> list[np.ndarray]:
        sampler = MaskSampler([0.8], ["fresh"], [np.random.default_rng(seed)], (20, 3), 50)
        masks = sampler.sample()
        assert masks is not None
        return [keep.copy() for keep in masks.keep]

    assert all(np.array_equal(a, b) for a, b in zip(first_masks(4), first_masks(4), strict=True))
    assert not np.array_equal(first_masks(4)[0], first_masks(5)[0])

    # Through training: course initialization, so only the masks depend on the seed.
    fresh = _train([_config(keep_prob=0.8, seed=seed) for seed in (1, 2)])
    assert not np.array_equal(fresh.parameters.weights[0][0], fresh.parameters.weights[0][1])


def test_a_fixed_seed_is_repeatable_bit_for_bit() -> None:
    configs = [
        _config(init="he", keep_prob=0.7, seed=11),
        _config(init="xavier", l2=0.2, keep_prob=0.9, seed=12),
    ]
    _assert_same_models(_train(configs), _train(configs))


# --- initialization --------------------------------------------------------------------


def test_course_init_is_specs_rule_and_ignores_seed() -> None:
    layers = (2, 20, 3, 1)
    weights, biases = engine.initialize(layers, "course", rng=np.random.default_rng(99))
    legacy = np.random.RandomState(3)
    for l, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
        np.testing.assert_array_equal(
            W, legacy.randn(layers[l], layers[l - 1]) / np.sqrt(layers[l - 1])
        )
        np.testing.assert_array_equal(b, np.zeros((layers[l], 1)))

    X, Y = _data()
    configs = [_config(layers=layers, seed=seed, iterations=5) for seed in (0, 1, 12345)]
    trained = engine.train(configs, X, Y)
    first_layer = trained.parameters.weights[0]
    for k in (1, 2):
        np.testing.assert_array_equal(first_layer[k], first_layer[0])
    spec_init = Parameters.stack([(weights, biases)])
    initial_cost = engine.cross_entropy_from_logits(engine.forward(spec_init, X).logits, Y)
    # train's compiled loop and the NumPy forward pass agree to rounding, not bit for bit.
    np.testing.assert_allclose(trained.history.cost[:, 0], np.repeat(initial_cost, 3), rtol=1e-13)


@pytest.mark.parametrize(
    ("scheme", "std"),
    [
        ("lecun", lambda fan_in, fan_out: np.sqrt(1 / fan_in)),
        ("he", lambda fan_in, fan_out: np.sqrt(2 / fan_in)),
        ("xavier", lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out))),
    ],
)
def test_generator_inits_have_the_documented_std(scheme: str, std: object) -> None:
    layers = (400, 300, 100, 1)
    weights, biases = engine.initialize(layers, scheme, rng=np.random.default_rng(0))  # type: ignore[arg-type]
    for l, (W, b) in enumerate(zip(weights[:2], biases[:2], strict=True), start=1):
        expected = std(layers[l - 1], layers[l])  # type: ignore[operator]
        assert W.shape == (layers[l], layers[l - 1])
        assert abs(W.std() / expected - 1) < 0.02, (scheme, l, W.std(), expected)
        assert abs(W.mean()) < 5 * expected / np.sqrt(W.size)
        np.testing.assert_array_equal(b, 0.0)
    other, _ = engine.initialize(layers, scheme, rng=np.random.default_rng(1))  # type: ignore[arg-type]
    assert not np.array_equal(weights[0], other[0])


# --- divergence ------------------------------------------------------------------------


def _diverging(**fields: object) -> TrainConfig:
    # Weight decay of lr * l2 / m = 150 per step flips and grows every weight until it overflows.
    return _config(learning_rate=1_000.0, l2=9.0, **fields)


def test_divergence_raises_a_clear_error_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError) as caught:
            _train([_config(), _diverging()])
    message = str(caught.value)
    assert re.fullmatch(
        r"model 1 diverged: its cost was not finite by iteration \d+ "
        r"\(learning_rate=1000\.0, l2=9\.0, keep_prob=1\.0\)\. Try a smaller learning_rate or l2\.",
        message,
    ), message


def test_divergence_can_be_recorded_without_disturbing_the_other_models() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = _train([_config(keep_prob=0.8, seed=3), _diverging()], on_divergence="record")
    sane, diverged = batch.diverged_at
    assert sane is None
    assert diverged is not None and 0 < diverged < 200 and diverged % 20 == 0
    recorded = list(batch.history.iterations).index(diverged)
    assert np.all(np.isfinite(batch.history.cost[1, :recorded]))
    assert not np.isfinite(batch.history.cost[1, recorded])
    alone = _train([_config(keep_prob=0.8, seed=3)])
    np.testing.assert_array_equal(batch.history.cost[0], alone.history.cost[0])
    np.testing.assert_array_equal(batch.parameters.weights[0][0], alone.parameters.weights[0][0])
