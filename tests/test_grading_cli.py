"""``reglab grade``: exit codes, the text and JSON reports, and learners' files that misbehave.

Endless loops, crashes, syntax errors, missing functions and notebooks whose later
cells train for minutes or raise are all graded, in seconds, without a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grading_helpers import CORRECT, SOLUTIONS, edited, write
from reglab.cli import main
from reglab.errors import ParameterError
from reglab.grading import grade

FUNCTIONS = [
    "compute_cost_with_regularization",
    "backward_propagation_with_regularization",
    "forward_propagation_with_dropout",
    "backward_propagation_with_dropout",
]


def run_grade(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["grade", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_right_solution_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_grade(capsys, str(SOLUTIONS / "correct.py"))
    assert code == 0, out
    assert out.rstrip().endswith("4 of 4 functions passed.")
    assert "supplied by reglab (not beside your file): reg_utils, testCases, public_tests" in out
    assert err == ""


def test_the_wrong_fixture_reports_where_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_grade(capsys, str(SOLUTIONS / "wrong.py"))
    assert code == 1
    assert "compute_cost_with_regularization: FAILED" in out
    assert "likely mistake: the L2 term is lambd/m * sum ||W||^2" in out
    assert "first wrong output, published check 1 (lambd = 0.1):" in out
    assert "backward_propagation_with_dropout: FAILED" in out
    assert "likely mistake: the backward pass divides by keep_prob but does not apply" in out


def check_schema(document: dict[str, Any]) -> None:
    assert set(document) == {"schema_version", "passed", "path", "functions", "notes"}
    assert document["schema_version"] == 1
    assert isinstance(document["passed"], bool)
    assert [entry["name"] for entry in document["functions"]] == FUNCTIONS
    for entry in document["functions"]:
        assert isinstance(entry["passed"], bool) and isinstance(entry["message"], str)
        assert entry["status"] in {"passed", "failed", "missing", "timeout", "crashed"}
        assert isinstance(entry["cases"], int) and isinstance(entry["cases_passed"], int)
        assert entry["published_check_passed"] in (True, False, None)
        for key in ("first_failure", "mistake"):
            assert entry[key] is None or all(isinstance(v, str) for v in entry[key].values())
        check = entry["gradient_check"]
        if check is not None and "error" not in check:
            assert isinstance(check["difference"], float) and isinstance(check["passed"], bool)
            assert [p["name"] for p in check["parameters"]] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert document["passed"] == all(entry["passed"] for entry in document["functions"])


def test_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_grade(capsys, str(SOLUTIONS / "wrong.py"), "--json")
    document = json.loads(out)
    check_schema(document)
    assert code == 1 and document["passed"] is False
    cost = document["functions"][0]
    assert cost["status"] == "failed" and cost["mistake"]["key"] == "cost_lambda_over_m"
    assert cost["first_failure"]["case"].startswith("published check 1")
    # The backward pass is right, but its gradient check uses the learner's wrong cost:
    # the W arrays disagree (their L2 term is doubled), the biases do not, and the
    # report says which function to fix first.
    check = document["functions"][1]["gradient_check"]
    assert document["functions"][1]["passed"] is True and check["passed"] is False
    wrong = [p["name"] for p in check["parameters"] if p["difference"] >= check["threshold"]]
    assert wrong == ["W1", "W2", "W3"]
    assert "compute_cost_with_regularization, which failed above" in check["note"]
    assert document["functions"][3]["gradient_check"]["passed"] is True


def test_a_real_process_grades_a_notebook(tmp_path: Path) -> None:
    path = write(tmp_path, "Regularization", CORRECT, ".ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "reglab", "grade", str(path), "--json", "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    check_schema(document)
    assert document["passed"] is True


def test_later_cells_that_train_for_minutes_or_raise_are_not_run(tmp_path: Path) -> None:
    # The notebook ends with cells that train, sleep 600 s, loop forever and raise;
    # they are not run, so a 2-second limit is plenty.
    path = write(tmp_path, "slow", CORRECT, ".ipynb")
    report = grade(path, timeout=2)
    assert report.passed, "\n".join(report.lines())
    assert any("top-level statements not run" in note for note in report.notes)


def test_an_endless_loop_a_crash_and_errors_fail_their_function_only(tmp_path: Path) -> None:
    text = edited(
        CORRECT,
        "compute_cost_with_regularization",
        [
            (
                "    m = Y.shape[1]\n",
                "    print('debugging output')\n    m = Y.shape[1]\n    m = m / 0\n",
            )
        ],
    )
    text = edited(  # train_X comes from a top-level call, which the grader does not run
        text,
        "backward_propagation_with_regularization",
        [("    m = X.shape[1]\n", "    m = train_X.shape[1]\n")],
    )
    text = edited(
        text,
        "forward_propagation_with_dropout",
        [("    np.random.seed(1)\n", "    np.random.seed(1)\n    while True:\n        pass\n")],
    )
    text = edited(
        text,
        "backward_propagation_with_dropout",
        [("    m = X.shape[1]\n", "    import os\n    os._exit(3)\n")],
    )
    report = grade(write(tmp_path, "misbehaving", text, ".py"), timeout=2)
    cost, regularization, forward, backward = report.functions
    assert cost.status == "failed"
    assert cost.first_failure is not None
    assert "raised ZeroDivisionError" in cost.first_failure["output"]
    assert "misbehaving.py, line " in cost.first_failure["output"]
    assert regularization.first_failure is not None
    assert regularization.first_failure["output"].startswith(
        "raised NameError: name 'train_X' is not defined (misbehaving.py, line "
    )
    assert "compute what it needs from its arguments" in regularization.first_failure["output"]
    assert forward.status == "timeout" and "within 2 s" in forward.message
    assert backward.status == "crashed"


def test_a_syntax_error_is_reported_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = CORRECT.replace("    return gradients\n", "    return gradients)\n", 1)
    line = CORRECT.splitlines().index("    return gradients") + 1
    path = write(tmp_path, "broken", text, ".py")
    code, out, err = run_grade(capsys, str(path), "--json")
    document = json.loads(out)
    assert code == 1 and err == ""
    assert [entry["status"] for entry in document["functions"]] == ["missing"] * 4
    assert f"syntax error: broken.py, line {line}: unmatched ')'" in document["notes"]


def test_a_notebook_cell_with_a_syntax_error_leaves_the_others_graded(tmp_path: Path) -> None:
    text = CORRECT.replace(
        "def backward_propagation_with_dropout(X, Y, cache, keep_prob):",
        "def backward_propagation_with_dropout(X, Y, cache, keep_prob)",
    )
    report = grade(write(tmp_path, "cell", text, ".ipynb"))
    statuses = [result.status for result in report.functions]
    assert statuses == ["passed", "passed", "passed", "missing"]
    assert any(
        note.startswith("syntax error: cell.ipynb, code cell ") and "line 1:" in note
        for note in report.notes
    )
    assert "syntax error" in report.functions[3].message


def test_a_missing_function_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = CORRECT.replace(
        "def backward_propagation_with_regularization(", "def my_backward_propagation("
    )
    code, out, _ = run_grade(capsys, str(write(tmp_path, "missing", text, ".py")))
    assert code == 1
    assert "backward_propagation_with_regularization: MISSING" in out
    assert "your file does not define backward_propagation_with_regularization" in out
    assert "compute_cost_with_regularization: PASSED" in out


def test_a_function_imported_rather_than_written_is_missing(tmp_path: Path) -> None:
    text = CORRECT.replace("def compute_cost_with_regularization(", "def unused(")
    text = "from reglab.course import compute_cost_with_regularization\n" + text
    report = grade(write(tmp_path, "imported", text, ".py"))
    assert report.functions[0].status == "missing"


def test_the_learner_gradient_check_names_the_wrong_array(tmp_path: Path) -> None:
    # A mistake the grader has no name for: db1 twice too large. The gradient check
    # against the learner's own cost still points at it.
    text = edited(
        CORRECT, "backward_propagation_with_regularization", [("db1 = 1. / m", "db1 = 2. / m")]
    )
    report = grade(write(tmp_path, "db1", text, ".py"))
    result = report.functions[1]
    assert result.status == "failed" and result.mistake is None
    assert result.first_failure is not None and result.first_failure["output"].startswith("db1")
    check = result.gradient_check
    assert check is not None and check["passed"] is False
    wrong = [p["name"] for p in check["parameters"] if p["difference"] >= check["threshold"]]
    assert wrong == ["b1"]
    assert "wrong arrays: db1" in "\n".join(result.lines())


def test_helper_modules_beside_the_file_are_the_learners_own(tmp_path: Path) -> None:
    (tmp_path / "reg_utils.py").write_text(
        "from reglab.course import *  # noqa\nfrom reglab.course import compute_cost\n",
        encoding="utf-8",
    )
    report = grade(write(tmp_path, "local", CORRECT, ".py"))
    assert report.passed
    assert any(note.endswith(": testCases, public_tests") for note in report.notes)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nope.py"], "reglab: error: PATH must be an existing file. Received: PATH='nope.py'"),
        (
            ["notes.txt"],
            "reglab: error: PATH must be a .py file or an .ipynb notebook. "
            "Received: PATH='notes.txt'",
        ),
        (
            [],
            "reglab: error: PATH must be a .py file or an .ipynb notebook to grade. "
            "Received: PATH=None",
        ),
        (
            ["x.py", "--timeout", "0"],
            "reglab: error: argument --timeout: timeout must be a number of seconds in "
            "(0, 86400]. Received: timeout=0.0 (see 'reglab grade --help')",
        ),
        (
            ["x.py", "--timeout", "1e10"],
            "reglab: error: argument --timeout: timeout must be a number of seconds in "
            "(0, 86400]. Received: timeout=10000000000.0 (see 'reglab grade --help')",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code, out, err = run_grade(capsys, *arguments)
    assert (code, out, err) == (2, "", message + "\n")


def test_a_notebook_that_is_not_json_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text("not json", encoding="utf-8")
    code, _, err = run_grade(capsys, str(path))
    assert code == 2 and err.startswith("reglab: error: PATH must be a Jupyter notebook")


def test_the_library_rejects_a_bad_timeout() -> None:
    rule = re.escape("timeout must be a number of seconds in (0, 86400]")
    with pytest.raises(ParameterError, match=rule):
        grade(SOLUTIONS / "correct.py", timeout=0)


def test_the_example_shows_a_notebook_cell(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_grade(capsys, "--example")
    assert code == 0
    assert "!reglab grade Regularization.ipynb" in out
    assert "from reglab.grading import grade" in out
    assert 'print(grade("Regularization.ipynb"))' in out


def test_the_readme_shows_a_real_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ reglab grade wrong.py\n") + len("$ reglab grade wrong.py\n")
    shown = readme[start : readme.index("```", start)]
    monkeypatch.chdir(SOLUTIONS)
    code, out, _ = run_grade(capsys, "wrong.py")
    assert code == 1
    # wrong.py imports scikit-learn, as the course's notebook does: whether that import is
    # skipped depends on this machine (the README shows reglab's own install, without it).
    assert _without_sklearn_notes(out) == _without_sklearn_notes(shown)


def _without_sklearn_notes(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if "failed and was skipped (import sklearn" not in line
    )


def test_imports_that_hang_fail_every_function_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reglab.grading.grader as grader

    monkeypatch.setattr(grader, "MIN_LOAD_TIMEOUT", 1.0)  # the name the grader reads
    (tmp_path / "helpers.py").write_text("while True:\n    pass\n", encoding="utf-8")
    path = write(tmp_path, "hanging", "import helpers\n" + CORRECT, ".py")
    report = grade(path, timeout=1)
    assert [result.status for result in report.functions] == ["failed"] * 4
    for result in report.functions:
        assert result.message == "running your file's imports and definitions took more than 1 s"


def test_a_timeout_kills_what_the_learners_code_started(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    text = edited(
        CORRECT,
        "forward_propagation_with_dropout",
        [
            (
                "    np.random.seed(1)\n",
                "    import subprocess\n"
                "    child = subprocess.Popen(['sleep', '600'])\n"
                f"    open({str(marker)!r}, 'w').write(str(child.pid))\n"
                "    while True:\n"
                "        pass\n",
            )
        ],
    )
    report = grade(write(tmp_path, "spawner", text, ".py"), timeout=2)
    assert report.functions[2].status == "timeout"
    pid = int(marker.read_text(encoding="utf-8"))
    # Killed with its process group: gone, or a zombie waiting for its reaper. A kill
    # lands when the process is next scheduled, so a loaded machine gets a few seconds.
    deadline = time.monotonic() + 10
    while (state := _process_state(pid)) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state in (None, "Z"), f"the grandchild {pid} is still running (state {state})"


def _process_state(pid: int) -> str | None:
    """The state letter of ``/proc/PID/status`` (``"Z"``: a zombie), None when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return None
    return next(line for line in lines if line.startswith("State")).split()[1]


def test_a_cost_that_is_nan_gives_valid_json(tmp_path: Path) -> None:
    """JSON has no NaN: a learner's NaN cost makes the gradient check's differences null,
    and the text report names every array as wrong rather than printing nothing."""
    text = edited(
        CORRECT,
        "compute_cost_with_regularization",
        [("    return cost\n", "    return float('nan')\n")],
    )
    report = grade(write(tmp_path, "nan_cost", text, ".py"), timeout=10)
    document = json.dumps(report.to_dict(), allow_nan=False)  # raises on NaN
    assert '"difference": null' in document
    assert "wrong arrays: dW1 (not a number)" in str(report)
