"""The course's helper modules, ``reg_utils``, ``testCases`` and ``public_tests``, from reglab.

A learner's notebook starts with ``from reg_utils import ...``, ``from testCases
import *`` and ``from public_tests import *``. When those files are not beside the
notebook, the grader's child process registers these stand-ins, built from
:mod:`reglab.course`, so a notebook downloaded on its own still grades.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

from reglab import course

MODULES: dict[str, tuple[str, ...]] = {
    "reg_utils": (
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
    ),
    "testCases": (
        "compute_cost_with_regularization_test_case",
        "backward_propagation_with_regularization_test_case",
        "forward_propagation_with_dropout_test_case",
        "backward_propagation_with_dropout_test_case",
    ),
    "public_tests": (
        "compute_cost_with_regularization_test",
        "backward_propagation_with_regularization_test",
        "forward_propagation_with_dropout_test",
        "backward_propagation_with_dropout_test",
    ),
}
"""Each module's names, as the course's files export them."""


def course_module(name: str) -> ModuleType:
    """The stand-in module ``name`` (a key of :data:`MODULES`)."""
    module = ModuleType(name, f"The course's {name}, supplied by reglab.course.")
    for attribute in MODULES[name]:
        setattr(module, attribute, getattr(course, attribute))
    module.__all__ = list(MODULES[name])  # type: ignore[attr-defined]
    return module


def install(beside: Path) -> list[str]:
    """Register the stand-ins the learner's directory ``beside`` does not have its own of.

    Returns:
        The names registered.
    """
    installed = []
    for name in MODULES:
        if not (beside / f"{name}.py").exists():
            sys.modules[name] = course_module(name)
            installed.append(name)
    return installed
