"""The README's promises: its quick start is what CI runs, and its examples run as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from reglab.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_the_quick_start_test_command_is_what_ci_runs() -> None:
    quick_start = code_blocks("console")[0].splitlines()
    assert quick_start == ["pip install . && reglab compare", 'pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start[1] in ci


def section(heading: str) -> str:
    """The README's text under ``## heading``, up to the next section."""
    return README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_library_example_runs() -> None:
    (example,) = re.findall(r"```python\n(.*?)```", section("As a library"), flags=re.DOTALL)
    # A fresh interpreter, as a reader would run it; the example prints what it computes.
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert len(printed) == 2 and printed[0].startswith("[")


def test_the_bad_input_examples_print_what_the_readme_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = re.findall(
        r"\$ reglab ((?:train|sweep) --keep-prob \S+)\n *(reglab: error: .*)\n", README
    )
    assert len(examples) == 2  # the same words in train and in sweep
    for command, line in examples:
        assert main(command.split()) == 2
        assert capsys.readouterr().err == line + "\n"
    assert (
        examples[0][1].split(": ", 2)[2].split(" (see")[0]
        == (examples[1][1].split(": ", 2)[2].split(" (see")[0])
    )


def test_the_pipeline_example_runs() -> None:
    pytest.importorskip("sklearn")
    example = re.findall(r"```python\n(.*?)```", section("In your own pipeline"), re.DOTALL)[0]
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    best, score = done.stdout.splitlines()
    assert best.startswith("{'mlpclassifier__keep_prob': ") and "'mlpclassifier__l2': " in best
    assert 0.8 < float(score) <= 1.0
