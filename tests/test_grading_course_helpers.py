"""The course's helper modules as reglab serves them: reg_utils' extras and public_tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
import pytest

from reglab import course

matplotlib.use("Agg")


def test_sigmoid_and_relu() -> None:
    x = np.array([[-2.0, 0.0, 3.0]])
    assert np.allclose(course.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    assert np.array_equal(course.relu(x), [[0.0, 0.0, 3.0]])


def test_plot_decision_boundary_draws_the_classes_and_the_points() -> None:
    import matplotlib.pyplot as plt

    parameters = course.initialize_parameters([2, 20, 3, 1])
    X = np.array([[0.0, 0.5, -0.5], [0.1, -0.2, 0.3]])
    course.plot_decision_boundary(
        lambda x: course.predict_dec(parameters, x.T), X, np.array([[1, 0, 1]])
    )
    axes = plt.gca()
    assert len(axes.collections) >= 2  # the filled contours and the scatter
    plt.close("all")


PUBLIC_TESTS: list[tuple[Callable[[Callable[..., Any]], None], Callable[..., Any]]] = [
    (course.compute_cost_with_regularization_test, course.compute_cost_with_regularization),
    (
        course.backward_propagation_with_regularization_test,
        course.backward_propagation_with_regularization,
    ),
    (course.forward_propagation_with_dropout_test, course.forward_propagation_with_dropout),
    (course.backward_propagation_with_dropout_test, course.backward_propagation_with_dropout),
]


@pytest.mark.parametrize(("public_test", "function"), PUBLIC_TESTS)
def test_public_tests_pass_the_right_function(
    capsys: pytest.CaptureFixture[str],
    public_test: Callable[[Callable[..., Any]], None],
    function: Callable[..., Any],
) -> None:
    public_test(function)
    assert "All tests passed." in capsys.readouterr().out


@pytest.mark.parametrize(("public_test", "function"), PUBLIC_TESTS)
def test_public_tests_fail_a_wrong_function(
    public_test: Callable[[Callable[..., Any]], None], function: Callable[..., Any]
) -> None:
    def off_by_a_little(*args: Any) -> Any:
        output = function(*args)
        if isinstance(output, dict):
            return {key: value * 1.001 for key, value in output.items()}
        if isinstance(output, tuple):
            return (output[0] * 1.001, output[1])
        return output * 1.001

    with pytest.raises(AssertionError, match="Wrong values"):
        public_test(off_by_a_little)


def test_public_tests_name_a_missing_key() -> None:
    def without_dw2(*args: Any) -> dict[str, Any]:
        gradients = course.backward_propagation_with_regularization(*args)
        del gradients["dW2"]
        return gradients

    with pytest.raises(AssertionError, match="gradients lacks the key 'dW2'"):
        course.backward_propagation_with_regularization_test(without_dw2)
