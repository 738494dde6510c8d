"""The grader's result: per function, passed or not, where, by how much, and why.

:class:`GradeReport` prints as text for a learner (:meth:`GradeReport.lines`) and as
the JSON of docs/json.md (:meth:`GradeReport.to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSON_SCHEMA_VERSION = 1
"""The version of ``reglab grade --json``'s document (docs/json.md)."""

Status = Literal["passed", "failed", "missing", "timeout", "crashed"]


@dataclass(frozen=True)
class FunctionResult:
    """How one function fared.

    Attributes:
        name: the function's name.
        status: ``passed``; ``failed`` (a wrong output or an error); ``missing`` (not
            defined by the file); ``timeout`` (did not finish in time); ``crashed``
            (its process died).
        message: one paragraph saying what happened, for a person.
        cases: how many cases were run, and how many passed.
        published_passed: whether the exercise's own unit check passed (None if not run).
        first_failure: the first wrong case: its label and the wrong output.
        mistake: the known mistake the outputs match, ``{"key", "text"}``, or None.
        gradient_check: the learner's gradient check (backward functions), or None.
    """

    name: str
    status: Status
    message: str
    cases: int = 0
    cases_passed: int = 0
    published_passed: bool | None = None
    first_failure: dict[str, str] | None = None
    mistake: dict[str, str] | None = None
    gradient_check: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON entry of this function (docs/json.md)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "status": self.status,
            "message": self.message,
            "cases": self.cases,
            "cases_passed": self.cases_passed,
            "published_check_passed": self.published_passed,
            "first_failure": self.first_failure,
            "mistake": self.mistake,
            "gradient_check": self.gradient_check,
        }

    def lines(self) -> list[str]:
        """The function's paragraph of the text report."""
        verdict = {
            "passed": "PASSED",
            "failed": "FAILED",
            "missing": "MISSING",
            "timeout": "FAILED (time limit)",
            "crashed": "FAILED (crashed)",
        }[self.status]
        lines = [f"{self.name}: {verdict}"]
        if self.cases:
            published = {True: "passed", False: "failed", None: "not run"}[self.published_passed]
            lines.append(
                f"  {self.cases_passed} of {self.cases} cases passed "
                f"(the exercise's published check: {published})"
            )
        if self.first_failure is not None:
            lines.append(f"  first wrong output, {self.first_failure['case']}:")
            lines.append(f"    {self.first_failure['output']}")
        elif self.status != "passed":
            lines.append(f"  {self.message}")
        if self.mistake is not None:
            lines.append(f"  likely mistake: {self.mistake['text']}")
        if self.gradient_check is not None:
            lines.extend(f"  {line}" for line in gradient_check_lines(self.gradient_check))
        return lines


def gradient_check_lines(check: dict[str, Any]) -> list[str]:
    """The learner gradient check, as text lines."""
    if "error" in check:
        return [f"gradient check against your own cost: not run ({check['error']})"]
    verdict = "passed" if check["passed"] else "FAILED"
    lines = [
        f"gradient check against {check['against']}: difference "
        f"{_difference_text(check['difference'], '.2e')}, {verdict} "
        f"(threshold {check['threshold']:.0e})"
    ]
    if not check["passed"]:
        wrong = [  # a difference of None: not a finite number (NaN in the learner's output)
            p
            for p in check["parameters"]
            if p["difference"] is None or p["difference"] >= check["threshold"]
        ]
        lines.append(
            "    wrong arrays: "
            + ", ".join(f"d{p['name']} ({_difference_text(p['difference'])})" for p in wrong)
        )
    if "note" in check:
        lines.append(f"    {check['note']}")
    return lines


@dataclass(frozen=True)
class GradeReport:
    """The grade of one file.

    Attributes:
        path: the file graded.
        functions: one result per graded function, in the exercise's order.
        notes: what the learner should know besides: statements not run, syntax
            errors, imports that failed, helper modules supplied by reglab.
    """

    path: str
    functions: tuple[FunctionResult, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when every function passed."""
        return all(result.passed for result in self.functions)

    def to_dict(self) -> dict[str, Any]:
        """``{"schema_version", "passed", "path", "functions": [...], "notes": [...]}``.

        The document of ``reglab grade --json``, described in docs/json.md.
        """
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "passed": self.passed,
            "path": self.path,
            "functions": [result.to_dict() for result in self.functions],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        """The text report, as ``reglab grade`` prints it."""
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """The text report, line by line."""
        lines = [f"Grading {self.path}"]
        lines += [f"  note: {note}" for note in self.notes]
        for result in self.functions:
            lines += ["", *result.lines()]
        passed = sum(result.passed for result in self.functions)
        lines += ["", f"{passed} of {len(self.functions)} functions passed."]
        return lines


def _difference_text(difference: float | None, spec: str = ".1e") -> str:
    """A relative difference as printed; None (not a finite number) as ``not a number``."""
    return "not a number" if difference is None else format(difference, spec)
