"""The errors reglab raises for a user's mistake, each one line a person can act on.

Every message names what was wrong, what is valid, and what was received, in
one template (after Keras): ``keep_prob must be in (0, 1]. Received: keep_prob=1.5``.
The command line prints them as ``reglab: error: ...`` and exits with code 2.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with its control and unprintable characters written as ``repr`` writes them.

    A path holding an escape sequence (``\\x1b[2J``) or a newline, printed raw in
    an error line, would act on the terminal or split the line; escaped, it is
    shown, not obeyed.
    """
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in text)


class ReglabError(Exception):
    """Base class for the errors reglab raises on bad input or a failed run."""


class ParameterError(ReglabError, ValueError):
    """A parameter outside its valid range."""

    def __init__(self, parameter: str, expected: str, received: object) -> None:
        self.parameter = parameter
        self.expected = expected
        self.received = received
        super().__init__(f"{parameter} must be {expected}. Received: {parameter}={received!r}")


class DataError(ReglabError, ValueError):
    """A dataset that cannot be read or does not have the required content."""


class DivergenceError(ReglabError, FloatingPointError):
    """A model's cost became non-finite during training."""


class OptionalDependencyError(ReglabError, ImportError):
    """A feature needs an optional dependency that is not installed."""


class RunError(ReglabError):
    """A run that could not finish for a reason outside its input (a lost cluster).

    The command line prints it as one line and exits with code 1; what the run
    had saved stays saved.
    """
