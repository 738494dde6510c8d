"""The safe part of a learner's file: imports, definitions and constants, nothing else.

A learner's file trains models, draws plots and may sleep or loop at the top level;
the grader needs only the functions. Each top-level statement is kept or skipped by
its syntax alone (:mod:`ast`), never by running it: imports, ``def``/``class``,
assignments of constant expressions, and ``try`` blocks made only of those are kept.
A notebook's code cells are read one by one (IPython magics and shell escapes become
blank lines, so line numbers stay the notebook's), and a cell that does not parse is
reported with its line and left out, while the other cells still count.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from reglab.errors import ParameterError

SUFFIXES = (".py", ".ipynb")

_CONSTANT_NODES = (
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.UnaryOp,
    ast.BinOp,
    ast.Name,
    ast.Attribute,
    ast.Load,
    ast.Store,
    ast.operator,
    ast.unaryop,
)


@dataclass(frozen=True)
class Chunk:
    """One piece of kept code: a file, or one notebook cell.

    Attributes:
        label: where it comes from, e.g. ``solution.py`` or ``solution.ipynb, code cell 4``.
        filename: the name its code is compiled under (tracebacks point at it).
        code: the kept statements, at their original line numbers.
    """

    label: str
    filename: str
    code: str


@dataclass
class LearnerSource:
    """What the grader takes from a learner's file.

    Attributes:
        path: the file.
        chunks: the kept code, in file order.
        functions: names of the functions defined at the top level.
        skipped: ``(where, first line)`` of each statement left out.
        syntax_errors: one line each, ``solution.py, line 12: invalid syntax``.
    """

    path: Path
    chunks: list[Chunk] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    syntax_errors: list[str] = field(default_factory=list)


def _is_constant(node: ast.expr) -> bool:
    return all(isinstance(child, _CONSTANT_NODES) for child in ast.walk(node))


def is_safe(statement: ast.stmt) -> bool:
    """True for a statement the grader may run: it defines, imports or binds a constant."""
    if isinstance(
        statement,
        ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    ):
        return True
    if isinstance(statement, ast.Assign):
        return _is_constant(statement.value) and all(
            isinstance(target, ast.Name | ast.Tuple) and _is_constant(target)
            for target in statement.targets
        )
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and (
            statement.value is None or _is_constant(statement.value)
        )
    if isinstance(statement, ast.Try):
        blocks = [statement.body, statement.orelse, statement.finalbody]
        blocks += [handler.body for handler in statement.handlers]
        return all(
            is_safe(inner) or isinstance(inner, ast.Pass) for block in blocks for inner in block
        )
    return False


PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture")
"""Cell magics whose body is Python: the body is read, the magic line blanked."""


def _strip_ipython(cell: str) -> str | None:
    """The cell with magics and shell escapes blanked, or None for another cell magic.

    A cell under ``%%time``, ``%%timeit`` or ``%%capture`` is Python and is read; one
    under any other cell magic (``%%bash``, ``%%writefile``, ...) is not.
    """
    lines = cell.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        if lines[0].split()[0] not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and "#" not in stripped):
            indent = line[: len(line) - len(stripped)]
            kept.append(f"{indent}pass" if indent else "")
        else:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _keep(source: LearnerSource, text: str, label: str, filename: str) -> None:
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        where = f"{label}, line {error.lineno}" if error.lineno else label
        source.syntax_errors.append(f"{where}: {error.msg}")
        return
    kept: list[ast.stmt] = []
    for statement in tree.body:
        if is_safe(statement):
            kept.append(statement)
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                source.functions.add(statement.name)
        elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            source.skipped.append(f"{label}, line {statement.lineno}")
    # Blank every line that is not part of a kept statement: line numbers stay the learner's.
    lines = text.splitlines()
    keep_line = [False] * len(lines)
    for statement in kept:
        first = min(
            [statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])]
        )
        last = statement.end_lineno or statement.lineno
        for number in range(first, last + 1):
            keep_line[number - 1] = True
    code = "\n".join(line if keep else "" for line, keep in zip(lines, keep_line, strict=True))
    source.chunks.append(Chunk(label=label, filename=filename, code=code + "\n"))


def _notebook_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells (nbformat 4, or 3 with its worksheets)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if "cells" not in document and "worksheets" in document:  # nbformat 3
            cells = [cell for sheet in document["worksheets"] for cell in sheet["cells"]]
            sources = [cell.get("input", "") for cell in cells if cell["cell_type"] == "code"]
        else:
            cells = document["cells"]
            sources = [cell.get("source", "") for cell in cells if cell["cell_type"] == "code"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ParameterError(
            "PATH", "a Jupyter notebook (JSON with a list of cells)", str(path)
        ) from None
    return ["".join(s) if isinstance(s, list) else str(s) for s in sources]


def read_learner_file(path: Path) -> LearnerSource:
    """Parse a learner's ``.py`` or ``.ipynb`` and keep its safe top-level statements.

    Raises:
        ParameterError: when the path is not an existing ``.py`` or ``.ipynb`` file,
            or a notebook is not valid JSON.
    """
    if path.suffix not in SUFFIXES:
        raise ParameterError("PATH", "a .py file or an .ipynb notebook", str(path))
    if not path.is_file():
        raise ParameterError("PATH", "an existing file", str(path))
    source = LearnerSource(path=path)
    if path.suffix == ".py":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ParameterError("PATH", "a UTF-8 text file", str(path)) from None
        _keep(source, text, path.name, str(path))
        return source
    for number, cell in enumerate(_notebook_cells(path), start=1):
        stripped = _strip_ipython(cell)
        if stripped is not None:
            label = f"{path.name}, code cell {number}"
            _keep(source, stripped, label, f"{path} (code cell {number})")
    return source
