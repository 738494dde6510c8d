"""Every known mistake: a wrong solution that makes it is diagnosed, as .py and as .ipynb.

Each wrong solution is the right one (learner_solutions/correct.py) with one edit per
function; files carry one mistake in each of the four functions at once (the functions
are graded on the grader's own inputs, so one function's mistake cannot hide
another's). The right solution passes every function, in both formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import zip_longest
from pathlib import Path

import pytest

from grading_helpers import CORRECT, Edit, edited, write
from reglab.grading import GradeReport, grade
from reglab.grading.mistakes import MISTAKES

COST = "compute_cost_with_regularization"
BACKWARD_L2 = "backward_propagation_with_regularization"
FORWARD_DROPOUT = "forward_propagation_with_dropout"
BACKWARD_DROPOUT = "backward_propagation_with_dropout"

SQUARES = "np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3))"

WRONG: dict[str, dict[str, list[Edit]]] = {
    COST: {
        "cost_lambda_over_m": [("(1 / m) * (lambd / 2)", "(1 / m) * lambd")],
        "cost_lambda_over_2": [("(1 / m) * (lambd / 2)", "(lambd / 2)")],
        "cost_no_scaling": [("(1 / m) * (lambd / 2)", "lambd")],
        "cost_biases_regularized": [
            (
                SQUARES,
                SQUARES + " + np.sum(np.square(parameters['b1']))"
                " + np.sum(np.square(parameters['b2'])) + np.sum(np.square(parameters['b3']))",
            )
        ],
        "cost_not_squared": [("np.square(", "(")],
        "cost_norm_not_squared": [
            (SQUARES, "np.linalg.norm(W1) + np.linalg.norm(W2) + np.linalg.norm(W3)")
        ],
        "cost_absolute_values": [("np.square(", "np.abs(")],
        "cost_penalty_missing": [
            ("cost = cross_entropy_cost + L2_regularization_cost", "cost = cross_entropy_cost")
        ],
        "cost_cross_entropy_missing": [
            ("cost = cross_entropy_cost + L2_regularization_cost", "cost = L2_regularization_cost")
        ],
        "cost_W1_left_out": [("np.sum(np.square(W1)) + ", "")],
        "cost_W2_left_out": [(" + np.sum(np.square(W2))", "")],
        "cost_W3_left_out": [(" + np.sum(np.square(W3))", "")],
        "cost_m_hard_coded_5": [("m = Y.shape[1]", "m = 5")],
        "cost_m_hard_coded_211": [("m = Y.shape[1]", "m = 211")],
        "cost_lambd_hard_coded_0.1": [("(lambd / 2)", "(0.1 / 2)")],
        "cost_lambd_hard_coded_0.7": [("(lambd / 2)", "(0.7 / 2)")],
    },
    BACKWARD_L2: {
        "gradient_l2_missing": [(" + (lambd / m) * W", "  # ")],
        "gradient_lambda_over_2m": [("(lambd / m) * W", "(lambd / (2 * m)) * W")],
        "gradient_lambda_no_m": [("(lambd / m) * W", "lambd * W")],
        "gradient_biases_regularized": [
            (
                f"db{l} = 1. / m * np.sum(dZ{l}, axis=1, keepdims=True)",
                f"db{l} = 1. / m * np.sum(dZ{l}, axis=1, keepdims=True) + (lambd / m) * b{l}",
            )
            for l in (1, 2, 3)
        ],
        "gradient_l2_missing_dW1": [(" + (lambd / m) * W1", "")],
        "gradient_l2_missing_dW2": [(" + (lambd / m) * W2", "")],
        "gradient_l2_missing_dW3": [(" + (lambd / m) * W3", "")],
        "gradient_m_hard_coded_5": [("m = X.shape[1]", "m = 5")],
        "gradient_m_hard_coded_211": [("m = X.shape[1]", "m = 211")],
        "gradient_l2_m_hard_coded_5": [("(lambd / m)", "(lambd / 5)")],
        "gradient_l2_m_hard_coded_211": [("(lambd / m)", "(lambd / 211)")],
        "gradient_lambd_hard_coded_0.1": [("(lambd / m)", "(0.1 / m)")],
        "gradient_lambd_hard_coded_0.7": [("(lambd / m)", "(0.7 / m)")],
    },
    FORWARD_DROPOUT: {
        "dropout_scaling_missing": [("/ keep_prob", "/ 1")],
        "dropout_scaling_inverted": [("/ keep_prob", "* keep_prob")],
        "dropout_mask_compared_wrong_way": [("< keep_prob)", "> keep_prob)")],
        "dropout_mask_from_randn": [("np.random.rand(", "np.random.randn(")],
        "dropout_layer_1_scaling_missing": [("    A1 = A1 / keep_prob\n", "")],
        "dropout_layer_2_scaling_missing": [("    A2 = A2 / keep_prob\n", "")],
        "dropout_mask_not_thresholded": [
            ("    D1 = (D1 < keep_prob).astype(int)\n", ""),
            ("    D2 = (D2 < keep_prob).astype(int)\n", ""),
        ],
        "dropout_not_seeded": [("    np.random.seed(1)\n", "")],
        **{
            f"dropout_keep_prob_hard_coded_{p}": [
                ("    np.random.seed(1)\n", f"    np.random.seed(1)\n    keep_prob = {p}\n")
            ]
            for p in (0.5, 0.7, 0.8, 0.86)
        },
    },
    BACKWARD_DROPOUT: {
        "backward_mask_and_scaling_missing": [
            ("dA2 = dA2 * D2", "dA2 = dA2"),
            ("dA1 = dA1 * D1", "dA1 = dA1"),
            ("/ keep_prob", "/ 1"),
        ],
        "backward_mask_missing": [("dA2 = dA2 * D2", "dA2 = dA2"), ("dA1 = dA1 * D1", "dA1 = dA1")],
        "backward_scaling_missing": [("/ keep_prob", "/ 1")],
        "backward_scaling_inverted": [("/ keep_prob", "* keep_prob")],
        "backward_layer_1_mask_missing": [
            ("    dA1 = dA1 * D1\n", ""),
            ("    dA1 = dA1 / keep_prob\n", ""),
        ],
        "backward_layer_2_mask_missing": [
            ("    dA2 = dA2 * D2\n", ""),
            ("    dA2 = dA2 / keep_prob\n", ""),
        ],
        **{
            f"backward_keep_prob_hard_coded_{p}": [
                ("    m = X.shape[1]\n", f"    m = X.shape[1]\n    keep_prob = {p}\n")
            ]
            for p in (0.5, 0.7, 0.8, 0.86)
        },
    },
}
"""Per function, per known mistake: the edits of the right solution that make it."""


def wrong_solutions() -> Iterator[dict[str, str]]:
    """Files of wrong solutions, each ``{function: mistake key}`` for up to all four."""
    columns = [[(function, key) for key in WRONG[function]] for function in WRONG]
    for row in zip_longest(*columns):
        yield {function: key for function, key in (item for item in row if item is not None)}


def make(directory: Path, index: int, mistakes: dict[str, str], suffix: str) -> Path:
    text = CORRECT
    for function, key in mistakes.items():
        text = edited(text, function, WRONG[function][key])
    return write(directory, f"wrong_{index}", text, suffix)


def test_every_known_mistake_has_a_wrong_solution() -> None:
    for function, mistakes in MISTAKES.items():
        assert sorted(m.key for m in mistakes()) == sorted(WRONG[function]), function


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_each_mistake_is_diagnosed(tmp_path: Path, suffix: str) -> None:
    files = [
        (make(tmp_path, i, mistakes, suffix), mistakes)
        for i, mistakes in enumerate(wrong_solutions())
    ]

    def grade_file(item: tuple[Path, dict[str, str]]) -> tuple[GradeReport, dict[str, str]]:
        return grade(item[0], timeout=20), item[1]

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = list(pool.map(grade_file, files))
    for report, mistakes in graded:
        for result in report.functions:
            expected = mistakes.get(result.name)
            if expected is None:
                assert result.passed, (report.path, result.lines())
                continue
            assert not result.passed
            assert result.mistake is not None, (report.path, expected, result.lines())
            assert result.mistake["key"] == expected, (report.path, result.lines())
            assert result.first_failure is not None


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_the_right_solution_passes(tmp_path: Path, suffix: str) -> None:
    report = grade(write(tmp_path, "right", CORRECT, suffix), timeout=20)
    assert report.passed, "\n".join(report.lines())
    for result in report.functions:
        assert result.cases == result.cases_passed > 1
        assert result.published_passed is True
        assert result.mistake is None and result.first_failure is None
