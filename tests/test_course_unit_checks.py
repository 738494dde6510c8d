"""SPEC.md's four published unit checks, through reglab.course, and the rest of its API.

The published values are printed to 8 decimals; they are compared to rtol 1e-7 and
atol 1e-8 (check 4's course cache was itself rounded to 8 digits, which moves some
of its published values by up to ~6e-9).

Beside the published numbers, every adapter is compared with a transcription of the
course's own functions (``_course_*`` below, written against a private RandomState
instead of NumPy's global generator).
"""

# These tests read and restore NumPy's global generator, which reglab.course seeds.
# ruff: noqa: NPY002

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reglab import course
from reglab.errors import DataError, ParameterError

PRINTED = {"rtol": 1e-7, "atol": 1e-8}
Y_CHECK = np.array([[1, 1, 0, 1, 0]])


@pytest.fixture(autouse=True)
def _restore_global_generator() -> Iterator[None]:
    """reglab.course seeds NumPy's global generator, as the course does; undo it after each test."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def _global_generator_matches(legacy: np.random.RandomState) -> bool:
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    other = legacy.get_state(legacy=True)
    return (name, pos, has_gauss, cached) == (other[0], *other[2:]) and np.array_equal(
        keys, other[1]
    )


# --- the course's functions, transcribed as an independent reference ---------------------


def _relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(0, Z)


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-Z))


def _course_forward(X, parameters):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = _relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = _relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = _sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def _course_forward_with_dropout(X, parameters, keep_prob):
    legacy = np.random.RandomState(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = _relu(Z1)
    D1 = legacy.rand(A1.shape[0], A1.shape[1]) < keep_prob
    A1 = A1 * D1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = _relu(Z2)
    D2 = legacy.rand(A2.shape[0], A2.shape[1]) < keep_prob
    A2 = A2 * D2 / keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = _sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def _course_backward(X, Y, cache):
    """reg_utils.backward_propagation: dz3 scaled by 1/m up front."""
    m = X.shape[1]
    (_, a1, _, _, _, a2, W2, _, _, a3, W3, _) = cache
    dz3 = 1.0 / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)
    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)
    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)
    return {"dz3": dz3, "dW3": dW3, "db3": db3, "da2": da2, "dz2": dz2, "dW2": dW2,
            "db2": db2, "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}  # fmt: skip


def _course_backward_general(X, Y, cache, lambd=0.0, keep_prob=None):
    """The L2 and dropout versions (and both at once, which the course itself forbids)."""
    m = X.shape[1]
    if keep_prob is None:
        (_, A1, W1, _, _, A2, W2, _, _, A3, W3, _) = cache
    else:
        (_, D1, A1, W1, _, _, D2, A2, W2, _, _, A3, W3, _) = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    if keep_prob is not None:
        dA2 = dA2 * D2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    if keep_prob is not None:
        dA1 = dA1 * D1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2,
            "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}  # fmt: skip


def _course_cost(a3, Y, parameters=None, lambd=0.0):
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    cost = 1.0 / m * np.nansum(logprobs)
    if parameters is not None:
        squares = sum(np.sum(np.square(parameters[f"W{l}"])) for l in (1, 2, 3))
        cost += 1.0 / m * lambd / 2 * squares
    return cost


def _course_model(X, Y, learning_rate, num_iterations, lambd, keep_prob):
    """The course's training loop, without its assertion that forbids L2 with dropout."""
    legacy = np.random.RandomState(3)
    dims = [X.shape[0], 20, 3, 1]
    parameters = {}
    for l in range(1, 4):
        parameters[f"W{l}"] = legacy.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    costs = []
    for _ in range(num_iterations):
        if keep_prob == 1:
            a3, cache = _course_forward(X, parameters)
            grads = _course_backward_general(X, Y, cache, lambd)
        else:
            a3, cache = _course_forward_with_dropout(X, parameters, keep_prob)
            grads = _course_backward_general(X, Y, cache, lambd, keep_prob)
        costs.append(_course_cost(a3, Y, parameters, lambd))
        for name in list(parameters):
            parameters[name] = parameters[name] - learning_rate * grads[f"d{name}"]
    return parameters, costs


def _small_problem(m: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2, m))
    Y = (X[0:1] - X[1:2] + 0.5 * rng.normal(size=(1, m)) > 0).astype(float)
    return X, Y


# --- SPEC.md's published unit checks -----------------------------------------------------


def test_check_1_cost_with_l2() -> None:
    A3, Y, parameters = course.compute_cost_with_regularization_test_case()
    cost = course.compute_cost_with_regularization(A3, Y, parameters, lambd=0.1)
    assert cost == pytest.approx(1.78648594516, rel=1e-10)


def test_check_2_backward_with_l2() -> None:
    X, Y, cache = course.backward_propagation_with_regularization_test_case()
    grads = course.backward_propagation_with_regularization(X, Y, cache, lambd=0.7)
    expected = {
        "dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
        "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
        "dW3": [[-1.77691347, -0.11832879, -0.09397446]],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(grads[name], values, **PRINTED, err_msg=name)


def test_check_3_forward_with_dropout() -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    A3, _ = course.forward_propagation_with_dropout(X, parameters, keep_prob=0.7)
    expected = [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]]
    np.testing.assert_allclose(A3, expected, **PRINTED)


def test_check_4_backward_with_dropout_uses_two_keep_probs() -> None:
    X, Y, cache = course.backward_propagation_with_dropout_test_case()
    grads = course.backward_propagation_with_dropout(X, Y, cache, keep_prob=0.8)
    np.testing.assert_allclose(
        grads["dA1"],
        [[0.36544439, 0, -0.00188233, 0, -0.17408748], [0.65515713, 0, -0.00337459, 0, -0]],
        **PRINTED,
    )
    np.testing.assert_allclose(
        grads["dA2"],
        [
            [0.58180856, 0, -0.00299679, 0, -0.27715731],
            [0, 0.53159854, -0, 0.53159854, -0.34089673],
            [0, 0, -0.00292733, 0, -0],
        ],
        **PRINTED,
    )
    # The published values need the forward pass at 0.5 and the backward pass at 0.8.
    single = course.backward_propagation_with_dropout(X, Y, cache, keep_prob=0.5)
    assert not np.allclose(single["dA1"], grads["dA1"], **PRINTED)


def test_test_case_builders_draw_in_specs_order() -> None:
    legacy = np.random.RandomState(1)
    X = legacy.randn(3, 5)
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 2), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    expected = {name: legacy.randn(*shape) for name, shape in shapes.items()}

    built_X, built = course.forward_propagation_with_dropout_test_case()
    np.testing.assert_array_equal(built_X, X)
    assert list(built) == list(shapes)
    for name in shapes:
        np.testing.assert_array_equal(built[name], expected[name], err_msg=name)

    _, Y, without_X = course.compute_cost_with_regularization_test_case()
    np.testing.assert_array_equal(Y, Y_CHECK)
    first = np.random.RandomState(1)
    for name, shape in shapes.items():
        np.testing.assert_array_equal(without_X[name], first.randn(*shape), err_msg=name)

    cache_X, cache_Y, cache = course.backward_propagation_with_regularization_test_case()
    np.testing.assert_array_equal(cache_X, X)
    np.testing.assert_array_equal(cache_Y, Y_CHECK)
    for ours, theirs in zip(cache, _course_forward(X, expected)[1], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)


# --- the adapters against the course's own functions -------------------------------------


def test_initialize_parameters_is_specs_rule_and_leaves_the_global_state_as_the_course() -> None:
    dims = [2, 20, 3, 1]
    legacy = np.random.RandomState(3)
    parameters = course.initialize_parameters(dims)
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, len(dims)):
        expected_W = legacy.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        np.testing.assert_array_equal(parameters[f"W{l}"], expected_W)
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((dims[l], 1)))
    assert _global_generator_matches(legacy)


def test_forward_propagation_cache_is_the_courses() -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    A3, cache = course.forward_propagation(X, parameters)
    expected_A3, expected_cache = _course_forward(X, parameters)
    assert len(cache) == 12
    np.testing.assert_allclose(A3, expected_A3, rtol=1e-14)
    for index, (ours, theirs) in enumerate(zip(cache, expected_cache, strict=True)):
        assert ours.shape == theirs.shape, index
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15, err_msg=str(index))


@pytest.mark.parametrize("keep_prob", [0.5, 0.7, 0.86, 1.0])
def test_forward_with_dropout_cache_masks_and_global_state_are_the_courses(
    keep_prob: float,
) -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    A3, cache = course.forward_propagation_with_dropout(X, parameters, keep_prob=keep_prob)
    expected_A3, expected_cache = _course_forward_with_dropout(X, parameters, keep_prob)
    assert len(cache) == 14
    np.testing.assert_allclose(A3, expected_A3, rtol=1e-14)
    for index, (ours, theirs) in enumerate(zip(cache, expected_cache, strict=True)):
        assert ours.dtype == theirs.dtype, index
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15, err_msg=str(index))
    legacy = np.random.RandomState(1)
    legacy.rand(2, 5)
    legacy.rand(3, 5)
    assert _global_generator_matches(legacy)


def test_backward_propagation_has_reg_utils_keys_and_scaling() -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    _, cache = course.forward_propagation(X, parameters)
    grads = course.backward_propagation(X, Y_CHECK, cache)
    expected = _course_backward(X, Y_CHECK, _course_forward(X, parameters)[1])
    assert list(grads) == list(expected)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)
    # The plain version's dz/da are 1/m times the L2 version's (at lambda 0).
    summed = course.backward_propagation_with_regularization(X, Y_CHECK, cache, lambd=0.0)
    np.testing.assert_allclose(grads["dz3"] * 5, summed["dZ3"], rtol=1e-14)
    np.testing.assert_allclose(grads["da1"] * 5, summed["dA1"], rtol=1e-14, atol=1e-16)
    for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
        np.testing.assert_allclose(grads[name], summed[name], rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("lambd", [0.0, 0.1, 0.7])
def test_backward_with_regularization_matches_the_course(lambd: float) -> None:
    X, Y, cache = course.backward_propagation_with_regularization_test_case()
    grads = course.backward_propagation_with_regularization(X, Y, cache, lambd=lambd)
    expected = _course_backward_general(X, Y, cache, lambd)
    assert list(grads) == list(expected)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("forward_keep", "backward_keep"), [(0.5, 0.8), (0.7, 0.7), (0.86, 0.86)])
def test_backward_with_dropout_matches_the_course(
    forward_keep: float, backward_keep: float
) -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    _, cache = course.forward_propagation_with_dropout(X, parameters, keep_prob=forward_keep)
    grads = course.backward_propagation_with_dropout(X, Y_CHECK, cache, keep_prob=backward_keep)
    expected = _course_backward_general(X, Y_CHECK, cache, keep_prob=backward_keep)
    assert list(grads) == list(expected)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)


def test_compute_cost_matches_the_courses_nansum_including_saturated_outputs() -> None:
    Y = np.array([[1, 0, 1, 0]])
    a3 = np.array([[1.0, 0.0, 0.3, 0.9]])
    assert course.compute_cost(a3, Y) == pytest.approx(_course_cost(a3, Y), rel=1e-14)
    assert course.compute_cost(np.array([[0.0]]), np.array([[1]])) == np.inf


def test_update_parameters_is_one_step_and_leaves_its_input() -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    before = {name: value.copy() for name, value in parameters.items()}
    grads = course.backward_propagation(X, Y_CHECK, course.forward_propagation(X, parameters)[1])
    updated = course.update_parameters(parameters, grads, learning_rate=0.3)
    assert list(updated) == list(parameters)
    for name in parameters:
        np.testing.assert_array_equal(parameters[name], before[name])
        np.testing.assert_allclose(updated[name], before[name] - 0.3 * grads[f"d{name}"])


def test_predict_prints_the_accuracy_and_returns_zero_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    X, Y = _small_problem(40)
    parameters = course.initialize_parameters([2, 20, 3, 1])
    predictions = course.predict(X, Y, parameters)
    expected = (_course_forward(X, parameters)[0] > 0.5).astype(int)
    np.testing.assert_array_equal(predictions, expected)
    assert predictions.shape == (1, 40)
    assert capsys.readouterr().out == f"Accuracy: {np.mean(expected[0] == Y[0])}\n"
    decisions = course.predict_dec(parameters, X)
    assert decisions.dtype == bool
    np.testing.assert_array_equal(decisions, expected == 1)


@pytest.mark.parametrize(("lambd", "keep_prob"), [(0.0, 1.0), (0.7, 1.0), (0.0, 0.86), (0.3, 0.8)])
def test_model_trains_as_the_courses_loop(
    lambd: float, keep_prob: float, capsys: pytest.CaptureFixture[str]
) -> None:
    X, Y = _small_problem()
    parameters = course.model(
        X, Y, learning_rate=0.3, num_iterations=40, lambd=lambd, keep_prob=keep_prob
    )
    expected, costs = _course_model(X, Y, 0.3, 40, lambd, keep_prob)
    assert list(parameters) == list(expected)
    for name in expected:
        np.testing.assert_allclose(parameters[name], expected[name], rtol=1e-9, atol=1e-12)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    match = re.fullmatch(r"Cost after iteration 0: (\S+)", printed[0])
    assert match is not None
    assert float(match.group(1)) == pytest.approx(costs[0], rel=1e-12)


def test_model_leaves_the_global_generator_as_the_course() -> None:
    X, Y = _small_problem()
    course.model(X, Y, num_iterations=3, print_cost=False, keep_prob=0.86)
    after_masks = np.random.RandomState(1)
    after_masks.rand(20, 30)
    after_masks.rand(3, 30)
    assert _global_generator_matches(after_masks)
    course.model(X, Y, num_iterations=3, print_cost=False)
    after_init = np.random.RandomState(3)
    for fan_out, fan_in in ((20, 2), (3, 20), (1, 3)):
        after_init.randn(fan_out, fan_in)
    assert _global_generator_matches(after_init)


def test_model_prints_every_10000_iterations(capsys: pytest.CaptureFixture[str]) -> None:
    X, Y = _small_problem(8)
    course.model(X, Y, num_iterations=10_001)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Cost after iteration 0",
        "Cost after iteration 10000",
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"lambd": -1}, "lambd must be a finite number >= 0. Received: lambd=-1"),
        (
            {"num_iterations": 0},
            "num_iterations must be an integer in [1, 1,000,000,000] (reglab's cap). "
            "Received: num_iterations=0",
        ),
        ({"keep_prob": 0}, "keep_prob must be in (0, 1]. Received: keep_prob=0"),
        (
            {"learning_rate": 0},
            "learning_rate must be a finite number > 0. Received: learning_rate=0",
        ),
    ],
)
def test_model_rejects_bad_arguments_by_the_courses_names(
    arguments: dict[str, float], message: str
) -> None:
    X, Y = _small_problem()
    with pytest.raises(ParameterError) as caught:
        course.model(X, Y, print_cost=False, **arguments)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_adapters_reject_malformed_inputs() -> None:
    X, parameters = course.forward_propagation_with_dropout_test_case()
    with pytest.raises(ParameterError, match=r"keep_prob must be in \(0, 1\]"):
        course.forward_propagation_with_dropout(X, parameters, keep_prob=1.5)
    with pytest.raises(ParameterError, match="parameters must be a dict with keys W1, b1"):
        course.forward_propagation(X, {"W": parameters["W1"]})
    _, cache = course.forward_propagation(X, parameters)
    with pytest.raises(ParameterError, match="Received: cache='a tuple of 12 items'"):
        course.backward_propagation_with_dropout(X, Y_CHECK, cache, keep_prob=0.8)
    with pytest.raises(DataError, match=r"Received: shape \(15,\)"):
        course.forward_propagation(X.ravel(), parameters)


def test_load_2d_dataset_returns_columns(football_path: Path) -> None:
    train_X, train_Y, test_X, test_Y = course.load_2D_dataset(football_path)
    assert (train_X.shape, train_Y.shape, test_X.shape, test_Y.shape) == (
        (2, 211),
        (1, 211),
        (2, 200),
        (1, 200),
    )
    assert (int(train_Y.sum()), int(test_Y.sum())) == (106, 87)
    with pytest.raises(DataError, match="data file not found"):
        course.load_2D_dataset(football_path.parent / "no-such-file.mat")
