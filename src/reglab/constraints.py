"""Named rules for parameter values, each checking a value and saying what it must be.

After scikit-learn's ``_parameter_constraints``: a parameter's rule is declared
once, as one of these objects, in the table :data:`reglab.config.PARAMETERS`,
and everything that accepts the parameter (``TrainConfig``, the command line's
options, the sweep file, the library's functions) checks it with that rule. So
the same bad value gets the same one line everywhere, in the template of
:class:`~reglab.errors.ParameterError`: ``keep_prob must be in (0, 1].
Received: keep_prob=1.5``.

Each rule also reads a value from command-line text (:meth:`Constraint.parse`):
text that does not parse is handed on as is, so the rule refuses it with its
own message instead of a parser's. Numbers are normalized: ``-0.0`` becomes
``0.0`` (one value, one sweep cell), NumPy scalars become Python numbers.
"""

from __future__ import annotations

import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reglab.errors import ParameterError


def is_integer(value: object) -> bool:
    """Python and NumPy integers, not booleans."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and (type(value).__name__ != "bool_")
    )


def is_real(value: object) -> bool:
    """Finite Python and NumPy reals, not booleans."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and type(value).__name__ != "bool_"
        and math.isfinite(value)
    )


def _count(n: int) -> str:
    return f"{n:,}"


class Constraint(ABC):
    """A rule a parameter's value must follow; :attr:`rule` completes "X must be ..."."""

    @property
    @abstractmethod
    def rule(self) -> str:
        """What a valid value is, e.g. ``"in (0, 1]"``."""

    @abstractmethod
    def accepts(self, value: object) -> bool:
        """True when ``value`` follows the rule."""

    def normalize(self, value: Any) -> Any:
        """The value as stored once accepted (plain Python types)."""
        return value

    def parse(self, text: str) -> Any:
        """The value command-line ``text`` stands for, or ``text`` itself when it does not parse."""
        return text

    def check(self, name: str, value: object) -> Any:
        """``value`` normalized, or :class:`ParameterError` naming ``name``, the rule, the value."""
        if not self.accepts(value):
            raise ParameterError(name, self.rule, value)
        return self.normalize(value)


@dataclass(frozen=True)
class Integer(Constraint):
    """An integer in ``[low, high]`` (``high`` None: no upper bound).

    ``cap`` says why ``high`` is what it is; ``high_text`` writes it (e.g. ``2**63 - 1``).
    """

    low: int
    high: int | None = None
    cap: str = ""
    high_text: str = ""

    @property
    def rule(self) -> str:
        if self.high is None:
            return f"an integer >= {self.low}"
        text = f"an integer in [{_count(self.low)}, {self.high_text or _count(self.high)}]"
        return f"{text} ({self.cap})" if self.cap else text

    def accepts(self, value: object) -> bool:
        if not is_integer(value):
            return False
        number = int(value)  # type: ignore[call-overload]
        return number >= self.low and (self.high is None or number <= self.high)

    def normalize(self, value: Any) -> int:
        return int(value)

    def parse(self, text: str) -> Any:
        if "_" in text:  # int() reads "1_000"; a person's number has no underscore
            return text
        try:
            return int(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class Real(Constraint):
    """A finite number from ``low`` to ``high`` (each bound excluded when ``*_open``).

    ``text`` replaces the generated rule; ``finite_inverse`` also requires a
    finite ``1 / value`` (a subnormal keep_prob would scale activations by inf).
    """

    low: float
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    finite_inverse: bool = False
    text: str = ""

    @property
    def rule(self) -> str:
        if self.text:
            return self.text
        if self.high is None:
            return f"a finite number {'>' if self.low_open else '>='} {self.low:g}"
        return (
            f"in {'(' if self.low_open else '['}{self.low:g}, "
            f"{self.high:g}{')' if self.high_open else ']'}"
        )

    def accepts(self, value: object) -> bool:
        if not is_real(value):
            return False
        number = float(value)  # type: ignore[arg-type]
        if number < self.low or (self.low_open and number == self.low):
            return False
        if self.high is not None and (
            number > self.high or (self.high_open and number == self.high)
        ):
            return False
        return not (self.finite_inverse and math.isinf(1.0 / number))

    def check(self, name: str, value: object) -> Any:
        number = float(value) if is_real(value) else math.nan  # type: ignore[arg-type]
        if self.finite_inverse and number > 0 and math.isinf(1.0 / number):
            raise ParameterError(
                name, f"{self.rule} with a finite 1 / {name} (dropout scales by it)", value
            )
        return super().check(name, value)

    def normalize(self, value: Any) -> float:
        return float(value) + 0.0  # -0.0 + 0.0 is 0.0: one zero, one cell

    def parse(self, text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class Flag(Constraint):
    """A bool (Python's or NumPy's)."""

    @property
    def rule(self) -> str:
        return "true or false"

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"

    def normalize(self, value: Any) -> bool:
        return bool(value)

    def parse(self, text: str) -> Any:
        """``true`` or ``false`` (any case), as TOML and JSON write them; other text as is."""
        return {"true": True, "false": False}.get(text.strip().lower(), text)


@dataclass(frozen=True)
class OrAll(Constraint):
    """``inner``'s values, or None for "all of them" (written ``all`` on the command line
    and in files, normalized to None), e.g. a mini-batch size whose None means the whole
    training set."""

    inner: Constraint
    meaning: str

    @property
    def rule(self) -> str:
        return f"{self.inner.rule}, or all ({self.meaning})"

    def accepts(self, value: object) -> bool:
        return value is None or value == "all" or self.inner.accepts(value)

    def normalize(self, value: Any) -> Any:
        return None if value is None or value == "all" else self.inner.normalize(value)

    def parse(self, text: str) -> Any:
        return None if text.strip().lower() == "all" else self.inner.parse(text)


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of strings."""

    choices: tuple[str, ...]

    @property
    def rule(self) -> str:
        return f"one of {', '.join(self.choices)}"

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and value in self.choices


@dataclass(frozen=True)
class Pattern(Constraint):
    """A string matching a regular expression; ``text`` says what that means for a person."""

    pattern: str
    text: str

    @property
    def rule(self) -> str:
        return self.text

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


OUTPUT_RULE = (
    "a sequence ending in 1 for two classes (one sigmoid unit) or in C >= 3 for C classes "
    "(softmax), not 2"
)
"""The rule on the output width, in :class:`LayerSizes`' error."""


@dataclass(frozen=True)
class LayerSizes(Constraint):
    """Layer sizes from input to output: at least two, each in ``[1, max_width]``, the last
    1 (one sigmoid unit: two classes) or C >= 3 (C softmax units: C classes), never 2.

    ``cap`` says whose caps ``max_width`` and ``max_layers`` are.
    """

    max_width: int
    max_layers: int
    cap: str = "reglab's caps"

    @property
    def rule(self) -> str:
        return (
            f"at least two positive integer sizes, e.g. (2, 20, 3, 1), each at most "
            f"{_count(self.max_width)}, at most {self.max_layers} of them ({self.cap})"
        )

    def accepts(self, value: object) -> bool:
        return (
            isinstance(value, tuple)
            and 2 <= len(value) <= self.max_layers
            and all(is_integer(n) and 1 <= n <= self.max_width for n in value)
        )

    def check(self, name: str, value: object) -> Any:
        sizes = super().check(name, value)
        if sizes[-1] == 2:
            raise ParameterError(name, OUTPUT_RULE, value)
        return sizes

    def normalize(self, value: Any) -> tuple[int, ...]:
        return tuple(int(n) for n in value)

    def parse(self, text: str) -> Any:
        try:
            return tuple(int(part) for part in text.split(","))
        except ValueError:
            return text


@dataclass(frozen=True)
class ByteSize(Constraint):
    """A memory size: bytes, or a number with K, M, G or T (powers of 1024), at least ``low``."""

    low: int

    @property
    def rule(self) -> str:
        return "a size such as 512M, 8G or 1.5T (bytes without a unit), at least 1M"

    def accepts(self, value: object) -> bool:
        return is_integer(value) and int(value) >= self.low  # type: ignore[call-overload]

    def normalize(self, value: Any) -> int:
        return int(value)

    def parse(self, text: str) -> Any:
        units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
        stripped = text.strip().upper().removesuffix("B").removesuffix("I")
        unit = stripped[-1:] if stripped[-1:] in units else ""
        try:
            number = float(stripped[: len(stripped) - len(unit)])
        except ValueError:
            return text
        if not math.isfinite(number) or number < 0 or number * units[unit] > 1 << 62:
            return text
        return int(number * units[unit])


def check_each(name: str, constraint: Constraint, values: Sequence[Any]) -> tuple[Any, ...]:
    """Every value of a list checked by ``constraint``; the first bad one is the error."""
    return tuple(constraint.check(name, value) for value in values)
