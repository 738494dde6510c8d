"""The compiled kernel against the NumPy reference loop, the exercise's table, and itself.

:func:`reglab.engine.train` runs the compiled loop; :func:`train_reference`
is the same loop in plain NumPy (the oracle). They must agree to rtol 1e-12
after short runs, for every regularizer, mask mode, depth and batch mix.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
import pytest

from reglab.config import TrainConfig
from reglab.data.football import load_football
from reglab.engine import kernel, kernel_compile, kernel_exp, kernel_random, kernel_template
from reglab.engine.dropout import fresh_keep
from reglab.engine.initializers import initialize
from reglab.engine.kernel import CHUNK
from reglab.engine.kernel_compile import source_digest
from reglab.engine.kernel_random import (
    set_sfc64_words,
    sfc64_fill_keep,
    sfc64_raw,
    sfc64_words,
)
from reglab.engine.reference import train_reference
from reglab.engine.training import (
    TrainedModels,
    available_threads,
    blas_layers,
    prepare,
    train,
)
from reglab.errors import DivergenceError, ParameterError
from reglab.experiments.exercise import EXERCISE_MODELS
from reglab.types import FloatArray

RTOL = 1e-12


def _data(
    m: int, n_features: int = 2, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """A noisy linear boundary: train ``(n_features, m)`` and a test set of 57 examples."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_features, m))
    Y = (X[:1] - 0.5 * X[-1:] + 0.4 * rng.normal(size=(1, m)) > 0).astype(float)
    X_test = rng.normal(size=(n_features, 57))
    Y_test = (X_test[:1] - 0.5 * X_test[-1:] > 0).astype(float)
    return X, Y, X_test, Y_test


def _assert_same(kernel: TrainedModels, reference: TrainedModels) -> None:
    np.testing.assert_array_equal(kernel.history.iterations, reference.history.iterations)
    np.testing.assert_allclose(kernel.history.cost, reference.history.cost, rtol=RTOL, atol=0)
    for mine, theirs in zip(
        kernel.parameters.weights + kernel.parameters.biases,
        reference.parameters.weights + reference.parameters.biases,
        strict=True,
    ):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=RTOL, atol=1e-15)
    np.testing.assert_array_equal(kernel.history.train_accuracy, reference.history.train_accuracy)
    np.testing.assert_array_equal(kernel.train_accuracy, reference.train_accuracy)
    if reference.test_accuracy is None:
        assert kernel.test_accuracy is None and kernel.history.test_accuracy is None
    else:
        assert kernel.test_accuracy is not None and kernel.history.test_accuracy is not None
        assert reference.history.test_accuracy is not None
        np.testing.assert_array_equal(kernel.history.test_accuracy, reference.history.test_accuracy)
        np.testing.assert_array_equal(kernel.test_accuracy, reference.test_accuracy)
    np.testing.assert_allclose(kernel.final_cost, reference.final_cost, rtol=RTOL, atol=0)
    assert kernel.diverged_at == reference.diverged_at
    assert kernel.configs == reference.configs


SHORT = {"iterations": 40, "record_every": 7}

BATCHES: dict[str, list[TrainConfig]] = {
    "plain": [TrainConfig(**SHORT)],
    "l2": [TrainConfig(l2=0.7, **SHORT)],
    "dropout fresh": [TrainConfig(keep_prob=0.8, seed=5, **SHORT)],
    "dropout course": [TrainConfig(keep_prob=0.86, masks="course", **SHORT)],
    "l2 + dropout": [TrainConfig(l2=0.3, keep_prob=0.7, seed=2, init="he", **SHORT)],
    "l1": [TrainConfig(l1=0.7, **SHORT)],
    "elastic net": [TrainConfig(l1=0.4, l2=0.3, seed=1, init="he", **SHORT)],
    "l1 + dropout": [TrainConfig(l1=0.5, keep_prob=0.8, seed=4, **SHORT)],
    "elastic net + course dropout": [
        TrainConfig(l1=0.2, l2=0.7, keep_prob=0.86, masks="course", **SHORT)
    ],
    "mixed batch": [
        TrainConfig(**SHORT),
        TrainConfig(l2=0.7, learning_rate=0.1, **SHORT),
        TrainConfig(keep_prob=0.86, masks="course", **SHORT),
        TrainConfig(keep_prob=0.5, masks="course", l2=0.1, **SHORT),
        TrainConfig(keep_prob=0.9, seed=11, init="xavier", **SHORT),
        TrainConfig(keep_prob=0.6, seed=12, init="lecun", learning_rate=0.05, **SHORT),
        TrainConfig(keep_prob=1.0, masks="course", seed=13, **SHORT),
        TrainConfig(l1=0.3, **SHORT),
        TrainConfig(l1=0.1, l2=0.2, keep_prob=0.7, seed=14, **SHORT),
    ],
    "momentum": [TrainConfig(optimizer="momentum", **SHORT)],
    "adam": [TrainConfig(optimizer="adam", learning_rate=0.01, **SHORT)],
    "momentum + elastic net + fresh dropout": [
        TrainConfig(optimizer="momentum", beta1=0.8, l1=0.2, l2=0.3, keep_prob=0.8, seed=3, **SHORT)
    ],
    "adam + elastic net + course dropout": [
        TrainConfig(
            optimizer="adam",
            learning_rate=0.01,
            l1=0.2,
            l2=0.7,
            keep_prob=0.86,
            masks="course",
            **SHORT,
        )
    ],
    "optimizers mixed": [
        TrainConfig(optimizer="adam", learning_rate=0.02, beta2=0.99, epsilon=1e-6, **SHORT),
        TrainConfig(l2=0.7, **SHORT),
        TrainConfig(optimizer="momentum", keep_prob=0.86, masks="course", **SHORT),
        TrainConfig(optimizer="adam", learning_rate=0.005, keep_prob=0.7, seed=8, l1=0.3, **SHORT),
        TrainConfig(keep_prob=0.9, seed=11, **SHORT),
        TrainConfig(optimizer="momentum", beta1=0.5, l2=0.2, init="he", seed=4, **SHORT),
    ],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_kernel_matches_reference_on_the_exercise_architecture(name: str) -> None:
    X, Y, X_test, Y_test = _data(211)
    configs = BATCHES[name]
    kernel = train(configs, X, Y, X_test, Y_test)
    reference = train_reference(configs, X, Y, X_test, Y_test)
    _assert_same(kernel, reference)
    assert np.all(np.diff(kernel.history.cost[0]) != 0)  # it did train


@pytest.mark.parametrize(
    "layers",
    [
        (2, 1),
        (3, 8, 1),
        (2, 20, 3, 1),
        (4, 16, 8, 4, 1),
        (2, 5, 5, 5, 5, 1),
        # The kernel's special paths for small layers, with their edge cases: one input,
        # an odd hidden width, 1 to 4 units after the first hidden layer, a three-unit
        # layer whose fan-in is not a multiple of 4.
        (1, 7, 3, 1),
        (2, 6, 2, 3, 1),
        (2, 13, 3, 1),
        (2, 9, 4, 2, 1),
        (2, 5, 1),
    ],
)
@pytest.mark.parametrize("m", [1, 37, CHUNK, 2 * CHUNK + 41])
def test_kernel_matches_reference_for_depths_and_chunkings(layers: tuple[int, ...], m: int) -> None:
    X, Y, X_test, Y_test = _data(m, n_features=layers[0], seed=m)
    settings = {"layers": layers, "iterations": 12, "record_every": 5}
    configs = [
        TrainConfig(**settings),
        TrainConfig(l2=0.5, keep_prob=0.75, seed=3, init="he", **settings),
        TrainConfig(keep_prob=0.6, masks="course", **settings),
        TrainConfig(l1=0.4, l2=0.2, keep_prob=0.8, seed=5, init="he", **settings),
    ]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


@pytest.mark.parametrize("m", [37, 40, CHUNK, CHUNK + 77])
def test_blas_layers_match_reference(monkeypatch: pytest.MonkeyPatch, m: int) -> None:
    """Wide layers go through BLAS (np.dot over whole chunks); forced here on small ones.

    m = 37: BLAS runs over the buffer's 40 columns (rows padded to a multiple of 4).
    """
    monkeypatch.setattr(kernel, "BLAS_MIN_WIDTH", 5)
    layers = (3, 8, 6, 4, 1)
    assert blas_layers(layers).tolist() == [False, True, False, False]
    X, Y, X_test, Y_test = _data(m, n_features=3, seed=m)
    settings = {"layers": layers, "iterations": 15, "record_every": 4}
    configs = [
        TrainConfig(**settings),
        TrainConfig(l2=0.3, keep_prob=0.8, seed=1, init="he", **settings),
        TrainConfig(keep_prob=0.7, masks="course", init="xavier", **settings),
        TrainConfig(l1=0.3, l2=0.1, keep_prob=0.9, seed=2, init="he", **settings),
    ]
    result = train(configs, X, Y, X_test, Y_test)
    _assert_same(result, train_reference(configs, X, Y, X_test, Y_test))


def test_blas_is_used_only_where_both_sides_are_wide() -> None:
    assert not blas_layers((2, 20, 3, 1)).any()
    assert blas_layers((2, 2000, 2000, 1)).tolist() == [False, True, False]
    assert blas_layers((64, 64, 1)).tolist() == [True, False]


PLAN_CASES = [  # (layers, BLAS_MIN_WIDTH): together they use every pass of kernel.layer_plan
    ((2, 20, 3, 1), kernel.BLAS_MIN_WIDTH),
    ((2, 9, 4, 2, 1), kernel.BLAS_MIN_WIDTH),
    ((2, 6, 2, 3, 1), kernel.BLAS_MIN_WIDTH),
    ((5, 7, 3, 2, 1), kernel.BLAS_MIN_WIDTH),
    ((3, 8, 6, 4, 1), 5),
    ((1, 4, 5, 1), kernel.BLAS_MIN_WIDTH),
]


def _plans(fast: bool) -> list[np.ndarray]:
    plans = []
    for layers, width in PLAN_CASES:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernel, "BLAS_MIN_WIDTH", width)
            patch.setattr(kernel, "FAST_PASSES", fast)
            plans.append(kernel.layer_plan(layers, blas_layers(layers)))
    return plans


def test_the_plan_cases_use_every_pass_and_forcing_the_generic_ones_leaves_none() -> None:
    used = np.concatenate(_plans(fast=True))
    assert set(used[:, 0]) == {
        kernel.FORWARD_ROWS,
        kernel.FORWARD_BLAS,
        kernel.FORWARD_RELU_FOUR_OF_TWO,
        kernel.FORWARD_THREE_OUTPUTS,
    }
    assert set(used[:, 1]) == {
        kernel.GRADIENT_TWO_BY_FOUR,
        kernel.GRADIENT_BLAS,
        kernel.GRADIENT_FOUR_BY_TWO,
        kernel.GRADIENT_THREE_BY_FOUR,
    }
    assert set(used[:, 2]) == {
        kernel.BACKWARD_ROWS,
        kernel.BACKWARD_BLAS,
        kernel.BACKWARD_FUSED_FIRST,
    }
    assert not np.concatenate(_plans(fast=False)).any()
    assert kernel.layer_plan((2, 20, 3, 1), blas_layers((2, 20, 3, 1))).tolist() == [
        [kernel.FORWARD_RELU_FOUR_OF_TWO, kernel.GRADIENT_FOUR_BY_TWO, kernel.BACKWARD_ROWS],
        [kernel.FORWARD_THREE_OUTPUTS, kernel.GRADIENT_THREE_BY_FOUR, kernel.BACKWARD_FUSED_FIRST],
        [kernel.FORWARD_ROWS, kernel.GRADIENT_TWO_BY_FOUR, kernel.BACKWARD_ROWS],
    ]


@pytest.mark.parametrize(("layers", "blas_min_width"), PLAN_CASES)
def test_every_fast_pass_gives_the_generic_passes_numbers(
    monkeypatch: pytest.MonkeyPatch, layers: tuple[int, ...], blas_min_width: int
) -> None:
    """Each shaped pass (kernel.layer_plan) against the generic passes forced on the same shape."""
    monkeypatch.setattr(kernel, "BLAS_MIN_WIDTH", blas_min_width)
    m = CHUNK + 77  # a full chunk and a partial one
    X, Y, X_test, Y_test = _data(m, n_features=layers[0], seed=len(layers))
    settings = {"layers": layers, "iterations": 12, "record_every": 5}
    configs = [
        TrainConfig(**settings),
        TrainConfig(l2=0.5, keep_prob=0.75, seed=3, init="he", **settings),
        TrainConfig(keep_prob=0.6, masks="course", **settings),
        TrainConfig(l1=0.4, l2=0.2, keep_prob=0.8, seed=5, init="he", **settings),
    ]
    fast = train(configs, X, Y, X_test, Y_test)
    monkeypatch.setattr(kernel, "FAST_PASSES", False)
    _assert_same(fast, train(configs, X, Y, X_test, Y_test))


def _random_config(rng: np.random.Generator, settings: dict[str, object]) -> TrainConfig:
    """A configuration with L1, often L2 and dropout, drawn at random (never both 0)."""
    masks = ("fresh", "course")[int(rng.integers(2))]
    return TrainConfig(
        l1=float(rng.uniform(0.01, 2.0)),
        l2=float(rng.choice([0.0, rng.uniform(0.01, 2.0)])),
        keep_prob=float(rng.choice([1.0, rng.uniform(0.5, 1.0)])),
        masks=masks,  # type: ignore[arg-type]
        learning_rate=float(rng.uniform(0.01, 0.5)),
        init=("he", "lecun", "xavier", "course")[int(rng.integers(4))],  # type: ignore[arg-type]
        seed=int(rng.integers(1000)),
        **settings,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("draw", range(6))
def test_kernel_matches_reference_on_random_l1_and_elastic_net_configurations(draw: int) -> None:
    rng = np.random.default_rng(draw)
    depth = int(rng.integers(1, 4))
    layers = (int(rng.integers(1, 5)), *(int(n) for n in rng.integers(1, 12, size=depth)), 1)
    m = int(rng.integers(1, 2 * CHUNK + 50))
    X, Y, X_test, Y_test = _data(m, n_features=layers[0], seed=draw)
    settings = {"layers": layers, "iterations": int(rng.integers(5, 30)), "record_every": 4}
    configs = [_random_config(rng, settings) for _ in range(4)] + [TrainConfig(**settings)]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


def test_l1_adds_its_term_to_the_cost_and_moves_weights_toward_zero() -> None:
    """A model with L1 differs from the same model without it: its recorded cost at the first
    iteration is larger by exactly (alpha/m) sum |W| of the initial weights, and its weights
    end smaller in absolute sum."""
    X, Y, _, _ = _data(211)
    result = train([TrainConfig(**SHORT), TrainConfig(l1=2.0, **SHORT)], X, Y)
    initial = prepare([TrainConfig(**SHORT)], X, Y, None, None).initial
    absolute = sum(float(np.abs(W).sum()) for W in initial.weights)
    np.testing.assert_allclose(
        result.history.cost[1, 0] - result.history.cost[0, 0], 2.0 / 211 * absolute, rtol=1e-12
    )
    sums = [sum(float(np.abs(W[k]).sum()) for W in result.parameters.weights) for k in (0, 1)]
    assert sums[1] < sums[0]


def test_a_weight_at_zero_takes_no_l1_step_in_kernel_and_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """sign(0) = 0: half of the first layer's weights start at exactly 0; the kernel and the
    reference agree (a sign(0) of +-1 would move those weights by learning_rate * l1/m)."""
    from reglab.engine import training

    def half_zero(*args: object, **kwargs: object) -> tuple[list[FloatArray], list[FloatArray]]:
        weights, biases = initialize(*args, **kwargs)  # type: ignore[arg-type]
        weights[0][::2] = 0.0
        return weights, biases

    monkeypatch.setattr(training, "initialize", half_zero)
    X, Y, X_test, Y_test = _data(211)
    configs = [TrainConfig(l1=0.5, iterations=1, record_every=1)]
    once = train(configs, X, Y, X_test, Y_test)
    _assert_same(once, train_reference(configs, X, Y, X_test, Y_test))
    data_only = train([TrainConfig(iterations=1, record_every=1)], X, Y, X_test, Y_test)
    np.testing.assert_array_equal(  # the zero weights moved by their data gradient alone
        once.parameters.weights[0][0, ::2], data_only.parameters.weights[0][0, ::2]
    )
    configs = [TrainConfig(l1=0.5, l2=0.3, keep_prob=0.8, seed=3, **SHORT)]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


def test_kernel_matches_reference_without_a_test_set() -> None:
    X, Y, _, _ = _data(150)
    configs = [TrainConfig(**SHORT), TrainConfig(keep_prob=0.7, seed=1, **SHORT)]
    _assert_same(train(configs, X, Y), train_reference(configs, X, Y))


def _sfc64(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(seed))


def _same_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    return bool(np.array_equal(sfc64_words(a), sfc64_words(b)))


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63])
def test_compiled_sfc64_is_numpys_stream(seed: int) -> None:
    rng = _sfc64(seed)
    words = sfc64_words(rng)
    mine = np.empty(5_000, dtype=np.uint64)
    sfc64_raw(words, mine)
    np.testing.assert_array_equal(mine, rng.bit_generator.random_raw(5_000))
    set_sfc64_words(rng, words)  # the words the kernel leaves are the generator's next state
    follow = _sfc64(seed)
    follow.bit_generator.random_raw(5_000)
    assert _same_state(rng, follow)


@pytest.mark.parametrize("m", [211, 1, 2, 7])
def test_compiled_masks_are_the_mask_samplers_and_leave_the_generator_in_step(m: int) -> None:
    """Per iteration and hidden layer, ``fresh_keep(rng, (n_l, m), keep_prob)``, in order.

    Odd and even m (an odd row leaves a half output unused), one and several rows.
    """
    keep_prob = 0.86
    for hidden in [(20, 3), (4,), (1,), (2, 5, 9)]:
        ours, theirs = _sfc64(42), _sfc64(42)
        words = sfc64_words(ours)
        for _ in range(3):
            keep = np.empty((sum(hidden), m), dtype=np.uint8)
            sfc64_fill_keep(words, keep_prob, keep)
            expected = np.concatenate([fresh_keep(theirs, (n, m), keep_prob) for n in hidden])
            np.testing.assert_array_equal(keep.astype(bool), expected)
        set_sfc64_words(ours, words)
        assert _same_state(ours, theirs)


def test_fresh_masks_take_two_units_per_output_low_half_first() -> None:
    raw = _sfc64(3).bit_generator.random_raw(4)
    units = np.stack([raw & 0xFFFF_FFFF, raw >> 32], axis=-1).reshape(-1)[:7] * 2.0**-32
    for keep_prob in (0.05, 0.5, 0.86, float(units[2]), 1.0):
        keep = fresh_keep(_sfc64(3), (1, 7), keep_prob)
        np.testing.assert_array_equal(keep[0], units < keep_prob)
    # keep_prob sits on the 2**-32 grid: a unit equal to it is dropped, as U < keep_prob says.
    assert not fresh_keep(_sfc64(3), (1, 7), float(units[2]))[0, 2]


def test_masks_come_from_an_sfc64_stream_of_the_seed_independent_of_initialization() -> None:
    X, Y, _, _ = _data(30)
    problem = prepare([TrainConfig(keep_prob=0.8, seed=9, **SHORT)], X, Y, None, None)
    mask_rng = problem.mask_rngs[0]
    assert mask_rng.bit_generator.state["bit_generator"] == "SFC64"
    _, mask_seed = np.random.SeedSequence(9).spawn(2)
    assert _same_state(mask_rng, np.random.Generator(np.random.SFC64(mask_seed)))


def test_sfc64_words_rejects_other_bit_generators() -> None:
    with pytest.raises(ValueError, match="SFC64"):
        sfc64_words(np.random.default_rng(0))


@pytest.fixture(scope="session")
def exercise_models(football_path: Path) -> TrainedModels:
    """The exercise's three models, 30,000 iterations each, trained once by the kernel."""
    data = load_football(football_path)
    return train(
        list(EXERCISE_MODELS.values()), data.X_train, data.y_train, data.X_test, data.y_test
    )


# SPEC.md's conclusion table: costs at 0, 10,000, 20,000; train and test correct counts.
SPEC_TABLE = [
    ((0.6557412523481002, 0.1632998752572419, 0.13851642423239133), 200, 183),
    ((0.6974484493131264, 0.2684918873282239, 0.2680916337127301), 198, 186),
    ((0.6543912405149825, 0.061016986574905605, 0.060582435798513114), 196, 190),
]


@pytest.mark.parametrize("k", range(3))
def test_kernel_reproduces_the_exercise_table(exercise_models: TrainedModels, k: int) -> None:
    costs, train_correct, test_correct = SPEC_TABLE[k]
    history = exercise_models.history
    at = [int(np.flatnonzero(history.iterations == i)[0]) for i in (0, 10_000, 20_000)]
    np.testing.assert_allclose(history.cost[k, at], costs, rtol=1e-9, atol=0)
    assert exercise_models.train_accuracy[k] == train_correct / 211
    assert exercise_models.test_accuracy is not None
    assert exercise_models.test_accuracy[k] == test_correct / 200


def test_divergence_is_detected_as_by_the_reference() -> None:
    X, Y, X_test, Y_test = _data(211)
    configs = [
        TrainConfig(learning_rate=1e4, l2=1.0, iterations=60, record_every=10),
        TrainConfig(iterations=60, record_every=10),
        TrainConfig(learning_rate=1e300, keep_prob=0.8, iterations=60, record_every=10),
    ]
    with pytest.raises(DivergenceError, match="model 0 diverged"):
        train(configs, X, Y)
    kernel = train(configs, X, Y, X_test, Y_test, on_divergence="record")
    reference = train_reference(configs, X, Y, X_test, Y_test, on_divergence="record")
    np.testing.assert_allclose(kernel.final_cost, reference.final_cost, rtol=RTOL, atol=0)
    assert kernel.diverged_at == reference.diverged_at
    assert kernel.diverged_at == (10, None, 10)
    np.testing.assert_array_equal(
        np.isfinite(kernel.history.cost), np.isfinite(reference.history.cost)
    )


@pytest.mark.parametrize(("scale", "suggests_scaling"), [(1.0, False), (1e100, True)])
def test_a_divergence_on_huge_inputs_suggests_scaling_them(
    scale: float, suggests_scaling: bool
) -> None:
    X, Y, _, _ = _data(50)
    config = TrainConfig(learning_rate=1e300 if scale == 1 else 0.5, iterations=20, record_every=10)
    with pytest.raises(DivergenceError) as raised:
        train([config], X * scale, Y)
    assert str(raised.value).startswith("model 0 diverged") and "\n" not in str(raised.value)
    assert ("inputs scaled to about 1 (the largest is 2" in str(raised.value)) == suggests_scaling


def _mixed_batch() -> list[TrainConfig]:
    settings = {"iterations": 300, "record_every": 50}
    return [
        TrainConfig(seed=s, l2=0.1 * s, keep_prob=(0.7, 0.9, 1.0)[s % 3], init="he", **settings)
        for s in range(7)
    ] + [TrainConfig(keep_prob=0.86, masks="course", **settings)]


def _assert_bitwise(a: TrainedModels, b: TrainedModels) -> None:
    np.testing.assert_array_equal(a.history.cost, b.history.cost)
    for mine, theirs in zip(
        a.parameters.weights + a.parameters.biases,
        b.parameters.weights + b.parameters.biases,
        strict=True,
    ):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(a.history.train_accuracy, b.history.train_accuracy)
    np.testing.assert_array_equal(a.train_accuracy, b.train_accuracy)


def test_thread_count_does_not_change_results() -> None:
    X, Y, X_test, Y_test = _data(300)
    configs = _mixed_batch()
    one = train(configs, X, Y, X_test, Y_test, n_threads=1)
    every = train(configs, X, Y, X_test, Y_test, n_threads=available_threads())
    _assert_bitwise(one, every)


def test_a_models_result_does_not_depend_on_its_batch() -> None:
    X, Y, _, _ = _data(300)
    configs = _mixed_batch()
    together = train(configs, X, Y)
    for k in (0, 4, 7):
        alone = train([configs[k]], X, Y)
        for mine, theirs in zip(alone.parameters.weights, together.parameters.weights, strict=True):
            np.testing.assert_array_equal(mine[0], theirs[k])
        np.testing.assert_array_equal(alone.history.cost[0], together.history.cost[k])


@pytest.mark.parametrize("n_threads", [0, -1, available_threads() + 1, 1.5, True, "2"])
def test_n_threads_is_validated(n_threads: object) -> None:
    X, Y, _, _ = _data(20)
    with pytest.raises(ParameterError, match=r"n_threads must be None or an integer in \[1, "):
        train([TrainConfig(iterations=2)], X, Y, n_threads=n_threads)  # type: ignore[arg-type]


def test_compilation_falls_back_to_no_cache_when_no_cache_dir_is_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Numba raises RuntimeError at decoration when no cache locator works; reglab then skips it."""
    real_njit = numba.njit
    asked: list[bool] = []

    def njit_without_cache_dir(**options: object) -> object:
        asked.append(bool(options["cache"]))
        if options["cache"]:
            raise RuntimeError("cannot cache function 'double': no locator available for file")
        return real_njit(**options)

    monkeypatch.setattr(kernel_compile.numba, "njit", njit_without_cache_dir)

    def double(x: float) -> float:
        return 2.0 * x

    compiled_double = kernel_compile.compiled()(double)
    assert asked == [True, False]
    assert compiled_double(21.0) == 42.0


def test_kernel_files_state_the_digest_of_the_code_they_include() -> None:
    """Numba's cache only watches a function's own file: callers pin their callees' sources.

    When this fails, a kernel file changed: update the constant named in the
    message (that edit is what invalidates the stale cached code).
    """
    assert source_digest("kernel_compile.py") == kernel_exp.COMPILED_WITH, "kernel_exp.py"
    assert source_digest("kernel_compile.py") == kernel_random.COMPILED_WITH, "kernel_random.py"
    expected = source_digest("kernel_compile.py", "kernel_exp.py", "kernel_random.py")
    assert expected == kernel.CALLEES_DIGEST, "kernel.py: CALLEES_DIGEST"


def test_the_gradient_blocks_are_the_template_s_output(tmp_path: Path) -> None:
    """kernel.py's gradient blocks are kernel_template's text: regenerating changes nothing."""
    source = Path(kernel.__file__).read_text()
    start = source.index(kernel_template.BEGIN)
    assert source.index(kernel_template.END, start) > start
    copy = tmp_path / "kernel.py"
    copy.write_text(source)
    kernel_template.rewrite(copy)
    assert copy.read_text() == source
    assert kernel_template.gradient_blocks() in source
    for n_rows, n_cols, _ in kernel_template.SHAPES:
        assert callable(getattr(kernel, f"_gradient_block_{n_rows}x{n_cols}"))


@numba.njit(cache=False)
def _compiled_exp(x: FloatArray, out: FloatArray) -> None:
    for i in range(x.size):
        out[i] = kernel_exp.exp(x[i])


def test_compiled_exp_is_within_an_ulp_of_numpys_everywhere() -> None:
    """The sigmoid's vectorizable exp against libm's (``np.exp``), over its whole range.

    Finite results agree to 1 ulp (of the larger of the two, so subnormal
    results are held to the subnormal spacing); overflow, underflow, NaN and
    infinities come out as NumPy's.
    """
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(-746.0, 710.0, 200_001),
            rng.uniform(-40.0, 40.0, 200_000),  # where training's logits live
            rng.uniform(-1e-3, 1e-3, 10_000),
            [0.0, -0.0, 709.78, 709.79, -708.4, -744.4, -745.2, 1e-300, -1e-300],
            [np.inf, -np.inf, np.nan, 1e308, -1e308],
        ]
    )
    ours = np.empty_like(x)
    _compiled_exp(x, ours)
    with np.errstate(over="ignore", under="ignore"):
        theirs = np.exp(x)
    finite = np.isfinite(theirs) & (theirs > 0)
    ulp = np.spacing(np.maximum(np.abs(ours[finite]), theirs[finite]))
    assert np.all(np.abs(ours[finite] - theirs[finite]) <= ulp)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])


def _random_optimizer_config(rng: np.random.Generator, settings: dict[str, object]) -> TrainConfig:
    """Momentum or Adam with random constants, often with L2, L1 and dropout (fresh or course)."""
    optimizer = ("momentum", "adam")[int(rng.integers(2))]
    return TrainConfig(
        optimizer=optimizer,  # type: ignore[arg-type]
        beta1=float(rng.choice([0.9, rng.uniform(0.0, 0.99)])),
        beta2=float(rng.choice([0.999, rng.uniform(0.5, 0.9999)])),
        epsilon=float(rng.choice([1e-8, 10 ** rng.uniform(-8, -2)])),
        l2=float(rng.choice([0.0, rng.uniform(0.01, 2.0)])),
        l1=float(rng.choice([0.0, rng.uniform(0.01, 2.0)])),
        keep_prob=float(rng.choice([1.0, rng.uniform(0.5, 1.0)])),
        masks=("fresh", "course")[int(rng.integers(2))],  # type: ignore[arg-type]
        learning_rate=float(
            rng.uniform(0.001, 0.05) if optimizer == "adam" else rng.uniform(0.01, 0.5)
        ),
        init=("he", "lecun", "xavier", "course")[int(rng.integers(4))],  # type: ignore[arg-type]
        seed=int(rng.integers(1000)),
        **settings,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("draw", range(8))
def test_kernel_matches_reference_on_random_momentum_and_adam_configurations(draw: int) -> None:
    """Momentum and Adam, alone and with L2, L1 and dropout, mixed in one batch with each
    other and with plain gradient descent."""
    rng = np.random.default_rng(100 + draw)
    depth = int(rng.integers(1, 4))
    layers = (int(rng.integers(1, 5)), *(int(n) for n in rng.integers(1, 12, size=depth)), 1)
    m = int(rng.integers(1, 2 * CHUNK + 50))
    X, Y, X_test, Y_test = _data(m, n_features=layers[0], seed=draw)
    settings = {"layers": layers, "iterations": int(rng.integers(5, 30)), "record_every": 4}
    configs = [_random_optimizer_config(rng, settings) for _ in range(5)]
    configs += [TrainConfig(**settings), TrainConfig(l2=0.5, keep_prob=0.8, **settings)]  # type: ignore[arg-type]
    _assert_same(
        train(configs, X, Y, X_test, Y_test), train_reference(configs, X, Y, X_test, Y_test)
    )


def _course_trace(
    optimizer: str, config: TrainConfig, X: FloatArray, Y: FloatArray, steps: int
) -> list[FloatArray]:
    """The course's update_parameters_with_momentum / _with_adam written out on one model's
    parameter arrays, with gradients from the NumPy network (gradient-checked elsewhere)."""
    from reglab.engine.network import Parameters, backward, forward

    initial = prepare([config], X, Y, None, None).initial
    arrays = [a.copy() for a in initial.weights + initial.biases]
    n = len(initial.weights)
    v = [np.zeros_like(a) for a in arrays]
    s = [np.zeros_like(a) for a in arrays]
    beta1, beta2, eps, lr = config.beta1, config.beta2, config.epsilon, config.learning_rate
    for t in range(1, steps + 1):
        params = Parameters(arrays[:n], arrays[n:])
        grads = backward(
            params, forward(params, X), Y, np.array([config.l2]), l1=np.array([config.l1])
        )
        gradients = grads.weights + grads.biases
        for i, g in enumerate(gradients):
            v[i] = beta1 * v[i] + (1 - beta1) * g
            if optimizer == "momentum":
                arrays[i] = arrays[i] - lr * v[i]
            else:
                s[i] = beta2 * s[i] + (1 - beta2) * g**2
                v_corrected = v[i] / (1 - beta1**t)
                s_corrected = s[i] / (1 - beta2**t)
                arrays[i] = arrays[i] - lr * v_corrected / (np.sqrt(s_corrected) + eps)
    return arrays


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_momentum_and_adam_follow_the_course_formulas_step_by_step(
    optimizer: str, steps: int
) -> None:
    """A tiny network's parameters after 1, 2 and 3 updates equal the course's formulas, written
    out here independently of the engine; with L2 and L1 in the gradient and unusual constants
    so that a swapped beta or a missing bias correction shows."""
    X, Y, _, _ = _data(37, n_features=2, seed=4)
    config = TrainConfig(
        layers=(2, 3, 1),
        optimizer=optimizer,  # type: ignore[arg-type]
        learning_rate=0.05,
        beta1=0.7,
        beta2=0.95,
        epsilon=1e-3,
        l2=0.3,
        l1=0.1,
        init="he",
        seed=5,
        iterations=steps,
        record_every=1,
    )
    expected = _course_trace(optimizer, config, X, Y, steps)
    result = train([config], X, Y)
    reference = train_reference([config], X, Y)
    for mine, oracle, theirs in zip(
        result.parameters.weights + result.parameters.biases,
        reference.parameters.weights + reference.parameters.biases,
        expected,
        strict=True,
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(oracle, theirs, rtol=1e-13, atol=1e-15)
    # The update moved every parameter away from gradient descent's.
    plain = train(
        [TrainConfig(**{**config.to_dict(), "optimizer": "gd", "layers": (2, 3, 1)})], X, Y
    )
    assert not np.allclose(plain.parameters.weights[0], result.parameters.weights[0])


def test_adam_s_first_step_is_learning_rate_times_the_gradient_s_sign() -> None:
    """At t = 1 the bias-corrected v and s are g and g^2: every parameter moves by
    learning_rate * g / (|g| + epsilon), about learning_rate * sign(g) whatever g's size."""
    X, Y, _, _ = _data(64, seed=6)
    config = TrainConfig(
        layers=(2, 4, 1),
        optimizer="adam",
        learning_rate=0.01,
        iterations=1,
        record_every=1,
        init="he",
        seed=2,
    )
    from reglab.engine.network import backward, forward

    initial = prepare([config], X, Y, None, None).initial
    grads = backward(initial, forward(initial, X), Y, np.zeros(1))
    moved = train([config], X, Y).parameters
    for before, after, g in zip(
        initial.weights + initial.biases,
        moved.weights + moved.biases,
        grads.weights + grads.biases,
        strict=True,
    ):
        np.testing.assert_allclose(before - after, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
        assert np.all(np.abs(before - after)[np.abs(g) > 1e-5] > 0.01 * (1 - 1e-3))


def test_gradient_descent_models_are_unchanged_by_optimizer_models_in_their_batch() -> None:
    X, Y, X_test, Y_test = _data(300)
    plain = [TrainConfig(**SHORT), TrainConfig(l2=0.4, keep_prob=0.8, seed=2, **SHORT)]  # type: ignore[arg-type]
    alone = train(plain, X, Y, X_test, Y_test)
    mixed = train(
        [
            TrainConfig(optimizer="adam", learning_rate=0.01, **SHORT),
            *plain,
            TrainConfig(optimizer="momentum", **SHORT),
        ],  # type: ignore[arg-type]
        X,
        Y,
        X_test,
        Y_test,
    )
    for mine, theirs in zip(alone.parameters.weights, mixed.parameters.weights, strict=True):
        np.testing.assert_array_equal(mine, theirs[1:3])
    np.testing.assert_array_equal(alone.history.cost, mixed.history.cost[1:3])
