"""The grader: a learner's four functions of the exercise, checked and explained.

:func:`reglab.grading.grader.grade` reads a learner's ``.py`` or ``.ipynb``, keeps only
its imports, definitions and constants (:mod:`~reglab.grading.source`), runs them in a
child process with a time limit per function (:mod:`~reglab.grading.runner`), feeds
each function the exercise's published unit check and many held-out cases
(:mod:`~reglab.grading.cases`), compares every output with :mod:`reglab.course`
(:mod:`~reglab.grading.compare`), names a known mistake when the wrong output matches
one (:mod:`~reglab.grading.mistakes`), and gradient-checks the learner's backward
functions against their own cost (:mod:`~reglab.grading.learner_gradcheck`).
The learner's code never runs in reglab's own process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reglab.grading.grader import grade
    from reglab.grading.report import FunctionResult, GradeReport

__all__ = ["FunctionResult", "GradeReport", "grade"]


def __getattr__(name: str) -> Any:
    """Import the grader on first use: ``reglab``'s other commands never pay for it."""
    if name == "grade":
        from reglab.grading.grader import grade

        return grade
    if name in ("FunctionResult", "GradeReport"):
        from reglab.grading import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
