"""What the grader takes from a learner's file (by syntax alone), and how values cross processes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reglab.errors import ParameterError
from reglab.grading.codec import Opaque, dumps, from_data, loads, to_data
from reglab.grading.compare import first_mismatch
from reglab.grading.course_modules import MODULES, course_module
from reglab.grading.source import read_learner_file

LEARNER_FILE = '''\
"""A docstring."""
import numpy as np
from reg_utils import *
LAMBD = 0.7
SIZES = (2, 20, 3, 1)
NEGATIVE = -1.5 * 2
train_X = load_2D_dataset()
np.random.seed(3)
for i in range(10):
    print(i)
if __name__ == "__main__":
    main()
try:
    import sklearn
except ImportError:
    pass
try:
    import sklearn
except ImportError:
    print("no sklearn")


@decorator
def f(x):
    return x


class Model:
    pass


async def g():
    pass
'''


def kept_lines(path: Path) -> list[str]:
    source = read_learner_file(path)
    return [line for chunk in source.chunks for line in chunk.code.splitlines() if line]


def test_only_imports_definitions_and_constants_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text(LEARNER_FILE, encoding="utf-8")
    source = read_learner_file(path)
    (chunk,) = source.chunks
    lines = chunk.code.splitlines()
    assert len(lines) == len(LEARNER_FILE.splitlines())  # line numbers are the learner's
    kept = [line for line in lines if line]
    assert kept[:6] == [
        "import numpy as np",
        "from reg_utils import *",
        "LAMBD = 0.7",
        "SIZES = (2, 20, 3, 1)",
        "NEGATIVE = -1.5 * 2",
        "try:",
    ]
    assert "@decorator" in kept and "class Model:" in kept and "async def g():" in kept
    for skipped in ("load_2D_dataset", "seed", "for i", "__main__", "no sklearn"):
        assert not any(skipped in line for line in kept), skipped
    assert source.functions == {"f", "g"}
    assert source.skipped == [f"solution.py, line {n}" for n in (7, 8, 9, 11, 17)]
    assert source.syntax_errors == []


def test_notebook_magics_and_shell_escapes_are_blanked(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": "# title"},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n"]},
        {"cell_type": "code", "source": "%%bash\nimport os\n"},
        {"cell_type": "code", "source": "def f():\n    !ls\n    return 1\nf?\n"},
        {"cell_type": "code", "source": "def broken(:\n"},
        {"cell_type": "code", "source": "%%time\ndef g():\n    return 2\n"},
    ]
    path = tmp_path / "notebook.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    source = read_learner_file(path)
    labels = [chunk.label for chunk in source.chunks]
    assert labels == [f"notebook.ipynb, code cell {n}" for n in (1, 3, 5)]
    assert source.chunks[0].code.splitlines() == ["", "import numpy as np"]
    assert source.chunks[1].code.splitlines() == ["def f():", "    pass", "    return 1", ""]
    assert source.chunks[2].code.splitlines() == ["", "def g():", "    return 2"]
    assert source.functions == {"f", "g"}
    assert source.syntax_errors == ["notebook.ipynb, code cell 4, line 1: invalid syntax"]


def test_an_nbformat_3_notebook_is_read(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "input": ["def f():\n", "    return 1\n"]}]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"worksheets": [{"cells": cells}], "nbformat": 3}), "utf-8")
    assert read_learner_file(path).functions == {"f"}


@pytest.mark.parametrize("name", ["notes.txt", "missing.py", "missing.ipynb"])
def test_paths_that_are_not_learner_files_are_refused(tmp_path: Path, name: str) -> None:
    if name.endswith(".txt"):
        (tmp_path / name).write_text("x = 1", encoding="utf-8")
    with pytest.raises(ParameterError, match="Received: PATH="):
        read_learner_file(tmp_path / name)


def test_values_cross_as_data_not_pickles() -> None:
    value = {
        "dW1": np.arange(6.0).reshape(2, 3),
        "mask": np.array([[True, False]]),
        "scalar": np.float64(1.5),
        "pair": (1, [2.5, None, "text"]),
    }
    back = from_data(loads(dumps(to_data(value))))
    assert back["dW1"].shape == (2, 3) and np.array_equal(back["dW1"], value["dW1"])
    assert back["mask"].dtype == bool and back["scalar"] == 1.5
    assert isinstance(back["scalar"], np.float64)
    assert back["pair"] == (1, [2.5, None, "text"])
    opaque = from_data(to_data(np.array([object()], dtype=object)))
    assert isinstance(opaque, Opaque) and opaque.text.startswith("array([<object")
    assert isinstance(from_data(to_data(lambda: 1)), Opaque)


def test_comparison_reports_the_first_wrong_value() -> None:
    expected = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}
    assert first_mismatch({"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, expected) is None
    missing = first_mismatch({"dW1": np.zeros((2, 2))}, expected)
    assert missing is not None and missing.where == "db1"
    shape = first_mismatch({"dW1": np.zeros((2, 2)), "db1": np.zeros(2)}, expected)
    assert str(shape) == "db1 has shape (2,), expected (2, 1)"
    wrong = np.zeros((2, 2))
    wrong[1, 0] = 0.5
    mismatch = first_mismatch({"dW1": wrong, "db1": np.zeros((2, 1))}, expected)
    assert str(mismatch) == (
        "dW1 [1, 0] is 0.5, expected 0; 1 of 4 entries differ, the largest by 0.5 at [1, 0]"
    )
    cost = first_mismatch(np.array([[1.25]]), 1.0)
    assert str(cost) == "cost is 1.25, expected 1 (off by 0.25)"
    assert first_mismatch(Opaque("None"), 1.0) is not None


def test_the_course_helper_modules_export_the_course_names() -> None:
    reg_utils = course_module("reg_utils")
    for name in (
        "sigmoid",
        "relu",
        "plot_decision_boundary",
        "initialize_parameters",
        "load_2D_dataset",
        "predict_dec",
        "compute_cost",
        "predict",
        "forward_propagation",
        "backward_propagation",
        "update_parameters",
    ):
        assert callable(getattr(reg_utils, name))
    assert set(MODULES) == {"reg_utils", "testCases", "public_tests"}
    assert course_module("testCases").__all__ == list(MODULES["testCases"])
