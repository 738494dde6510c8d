"""Grade a learner's file: each of the four functions, in a child process, with reasons.

For each function in turn: is it defined; run it on its cases (the published unit
check first) within the time limit; compare every output; when one is wrong, try the
known mistakes; for the backward functions, gradient-check them against the
learner's own cost. A function that hangs or kills its process fails alone: the
process is killed and a fresh one grades the next function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reglab.config import check
from reglab.grading.cases import CASES, Case, build_cases
from reglab.grading.codec import from_data, to_data
from reglab.grading.compare import first_mismatch
from reglab.grading.learner_gradcheck import CHECKS
from reglab.grading.limits import DEFAULT_TIMEOUT, MIN_LOAD_TIMEOUT
from reglab.grading.mistakes import MISTAKES, Mistake
from reglab.grading.report import FunctionResult, GradeReport
from reglab.grading.runner import LearnerProcess
from reglab.grading.source import LearnerSource, read_learner_file

FUNCTIONS = tuple(CASES)
"""The graded functions, in the exercise's order."""


def _check_timeout(timeout: float) -> None:
    check("timeout", timeout)


def _diagnose(mistakes: list[Mistake], cases: list[Case], outputs: list[Any]) -> Mistake | None:
    """The first mistake whose predictions match every output the learner gave."""
    answered = [
        (case, output) for case, output in zip(cases, outputs, strict=True) if output is not None
    ]
    for mistake in mistakes:
        try:
            if all(
                first_mismatch(output, mistake.predict(case.arguments, case.expected)) is None
                for case, output in answered
            ):
                return mistake
        except (ValueError, IndexError, KeyError, ZeroDivisionError, FloatingPointError):
            continue
    return None


def _evaluate(name: str, cases: list[Case], results: list[dict[str, Any]]) -> FunctionResult:
    outputs: list[Any] = []
    first_failure = None
    passed = 0
    published: bool | None = None
    for case, result in zip(cases, results, strict=True):
        problem: str | None
        if "error" in result:
            outputs.append(None)
            problem = f"raised {result['error']}"
            if result["error"].startswith("NameError"):
                problem += (
                    " (the grader runs only the imports, definitions and constants at the top "
                    "of your file: a function should compute what it needs from its arguments)"
                )
        else:
            output = from_data(result["output"])
            outputs.append(output)
            mismatch = first_mismatch(output, case.expected)
            problem = None if mismatch is None else str(mismatch)
        if case.published:
            published = problem is None
        if problem is None:
            passed += 1
        elif first_failure is None:
            first_failure = {"case": case.label, "output": problem}
    if first_failure is None:
        return FunctionResult(
            name, "passed", f"all {len(cases)} cases passed", len(cases), passed, published
        )
    mistake = None
    if any(output is not None for output in outputs):
        found = _diagnose(MISTAKES[name](), cases, outputs)
        if found is not None:
            mistake = {"key": found.key, "text": found.text}
    message = f"{first_failure['case']}: {first_failure['output']}"
    if mistake is not None:
        message += f". Likely mistake: {mistake['text']}"
    return FunctionResult(
        name, "failed", message, len(cases), passed, published, first_failure, mistake
    )


class _Session:
    """The learner's process, started on demand and restarted after a failure."""

    def __init__(self, source: LearnerSource, timeout: float) -> None:
        self.source = source
        self.timeout = timeout
        self.load_timeout = max(timeout, MIN_LOAD_TIMEOUT)
        self.process: LearnerProcess | None = None
        self.functions: dict[str, str] = {}
        self.notes: list[str] = []
        self.load_failure = ""

    def ready(self) -> LearnerProcess | None:
        if self.process is not None:
            return self.process
        if self.load_failure:  # loading failed once: it would fail again
            return None
        process = LearnerProcess()
        chunks = [
            {"label": c.label, "filename": c.filename, "code": c.code} for c in self.source.chunks
        ]
        reply = process.ask(
            {
                "op": "load",
                "path": str(self.source.path),
                "chunks": chunks,
                "functions": list(FUNCTIONS),
            },
            self.load_timeout,
        )
        if reply is None:
            self.load_failure = (
                "running your file's imports and definitions took more than "
                f"{self.load_timeout:g} s"
                if process.failure == "timeout"
                else f"your file's imports and definitions ended the process: "
                f"{process.error_line or 'no message'}"
            )
            return None
        if not self.notes:
            self.notes = list(reply["notes"])
            if reply["supplied"]:
                self.notes.append(
                    "supplied by reglab (not beside your file): " + ", ".join(reply["supplied"])
                )
        self.functions = reply["functions"]
        self.process = process
        return process

    def ask(self, message: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        process = self.ready()
        if process is None:
            return None, self.load_failure
        reply = process.ask(message, self.timeout)
        if reply is None:
            self.process = None
            if process.failure == "timeout":
                return None, "timeout"
            return None, f"crashed: {process.error_line or 'no message'}"
        return reply, ""

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None


def _missing(name: str, source: LearnerSource) -> FunctionResult:
    message = f"your file does not define {name}"
    if source.syntax_errors:
        message += " (a syntax error kept part of it from being read: see the notes)"
    return FunctionResult(name, "missing", message)


def _grade_function(name: str, session: _Session, failed: set[str]) -> FunctionResult:
    if name not in session.source.functions:
        return _missing(name, session.source)
    if session.ready() is None:
        return FunctionResult(name, "failed", session.load_failure)
    if session.functions.get(name) != "defined":
        return _missing(name, session.source)
    cases = build_cases(name)
    reply, failure = session.ask(
        {"op": "call", "function": name, "cases": [to_data(c.arguments) for c in cases]}
    )
    if reply is None:
        if failure == "timeout":
            return FunctionResult(
                name,
                "timeout",
                f"did not finish its {len(cases)} cases within {session.timeout:g} s "
                "(an endless loop?); the grader stopped it",
                len(cases),
            )
        return FunctionResult(
            name, "crashed", f"ended the grader's process ({failure})", len(cases)
        )
    result = _evaluate(name, cases, reply["results"])
    if name in CHECKS:
        result = _with_gradient_check(name, result, session, failed)
    return result


def _with_gradient_check(
    name: str, result: FunctionResult, session: _Session, failed: set[str]
) -> FunctionResult:
    from dataclasses import replace

    _, needed = CHECKS[name]
    against = (
        "your compute_cost_with_regularization"
        if name == "backward_propagation_with_regularization"
        else "compute_cost of your forward_propagation_with_dropout"
    )
    absent = [n for n in needed if session.functions.get(n) != "defined"]
    if absent:
        check: dict[str, Any] = {"error": f"your file does not define {', '.join(absent)}"}
        return replace(result, gradient_check=check)
    reply, failure = session.ask({"op": "gradcheck", "function": name})
    if reply is None:
        check = {"error": "did not finish in time" if failure == "timeout" else failure}
    elif "error" in reply:
        check = {"error": reply["error"]}
    else:
        check = dict(reply["check"], against=against)
        suspects = [n for n in needed if n != name and n in failed]
        if suspects and not check["passed"]:
            check["note"] = (
                f"this check uses your {', '.join(suspects)}, which failed above: "
                "fix it first, then check again"
            )
        elif check["passed"] and not result.passed:
            check["note"] = (
                "your dW and db agree with your own cost: look for the mistake in the other "
                "outputs (dZ, dA), which the cost does not check"
            )
    return replace(result, gradient_check=check)


def grade(path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> GradeReport:
    """Grade the learner's ``.py`` file or ``.ipynb`` notebook at ``path``.

    The learner's code runs in a child process; several files may be graded at once
    from several threads.

    Args:
        path: the learner's file.
        timeout: seconds each function may take on its cases; the file's imports
            and definitions may take as long, and at least :data:`MIN_LOAD_TIMEOUT`.

    Returns:
        One result per function of the exercise, and notes.

    Raises:
        ParameterError: when ``path`` is not an existing ``.py`` or ``.ipynb`` file,
            or ``timeout`` is not positive.
    """
    _check_timeout(timeout)
    source = read_learner_file(Path(path))
    session = _Session(source, timeout)
    results: list[FunctionResult] = []
    try:
        for name in FUNCTIONS:
            failed = {result.name for result in results if not result.passed}
            results.append(_grade_function(name, session, failed))
    finally:
        session.close()
    notes = [f"syntax error: {error}" for error in source.syntax_errors]
    if source.skipped:
        shown = "; ".join(source.skipped[:3]) + ("; ..." if len(source.skipped) > 3 else "")
        notes.append(
            f"{len(source.skipped)} top-level statements not run (training, plots and other "
            f"code outside functions; only imports, definitions and constants run): {shown}"
        )
    notes += session.notes
    return GradeReport(str(path), tuple(results), tuple(notes))
