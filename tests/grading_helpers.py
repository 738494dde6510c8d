"""Learner files for the grader's tests: the right solution, edited into wrong ones.

As .py files or as notebooks (.ipynb), written without nbformat.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent / "learner_solutions"
CORRECT = (SOLUTIONS / "correct.py").read_text(encoding="utf-8")

Edit = tuple[str, str]
"""``(old, new)``: a text replacement inside one function of the right solution."""


def function_span(text: str, name: str) -> tuple[int, int]:
    """Where ``def name(`` starts and the next top-level line after it begins."""
    start = text.index(f"def {name}(")
    following = re.compile(r"^\S", re.MULTILINE)
    end_match = following.search(text, text.index("\n", start) + 1)
    return start, end_match.start() if end_match else len(text)


def edited(text: str, function: str, edits: Sequence[Edit]) -> str:
    """``text`` with each edit applied (every occurrence) inside ``function`` only."""
    start, end = function_span(text, function)
    body = text[start:end]
    for old, new in edits:
        assert old in body, f"{old!r} not in {function}"
        body = body.replace(old, new)
    return text[:start] + body + text[end:]


def notebook(text: str) -> str:
    """A notebook of ``text``, one cell per block, with the magics, shell escapes and slow,
    failing cells a real notebook has after the functions."""
    blocks = [block.strip("\n") for block in re.split(r"\n\n\n+", text) if block.strip()]
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Regularization\n"]},
        code_cell("%matplotlib inline\n%load_ext autoreload\n%autoreload 2"),
        code_cell("!ls datasets"),
        *(code_cell(block) for block in blocks),
        code_cell("%%time\nparameters = model(train_X, train_Y, keep_prob=0.86)"),
        code_cell("import time\ntime.sleep(600)\nwhile True:\n    pass"),
        code_cell("raise RuntimeError('a later cell fails')"),
    ]
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1)


def code_cell(source: str) -> dict[str, object]:
    """A code cell with ``source``, split into lines as Jupyter stores it."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }


def write(directory: Path, stem: str, text: str, suffix: str) -> Path:
    """Write ``text`` as ``stem.py``, or as a notebook ``stem.ipynb``."""
    path = directory / f"{stem}{suffix}"
    path.write_text(notebook(text) if suffix == ".ipynb" else text, encoding="utf-8")
    return path
