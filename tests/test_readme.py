"""The README's promises: its quick start is what CI runs, and its examples run as printed."""

from __future__ import annotations

import json
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


def section_code(heading: str, language: str) -> str:
    """The first ``language`` block after ``heading`` (a line of the README)."""
    section = README.split(f"\n{heading}\n", 1)[1]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)[0]


def test_the_quick_start_test_command_is_what_ci_runs() -> None:
    quick_start = code_blocks("console")[0].splitlines()
    assert quick_start == ["pip install . && reglab compare", 'pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start[1] in ci


def test_the_library_example_runs() -> None:
    example = section_code("## As a library", "python")
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
    example = section_code("## In your own pipeline", "python")
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    best, score = done.stdout.splitlines()
    assert best.startswith("{'mlpclassifier__keep_prob': ") and "'mlpclassifier__l2': " in best
    assert 0.8 < float(score) <= 1.0


def test_the_save_predict_export_example_runs(tmp_path: Path) -> None:
    example = section_code("### Save, predict, export", "python")
    done = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True", "True"]
    assert (tmp_path / "moons.safetensors").is_file() and (tmp_path / "moons.onnx").is_file()


def test_the_save_predict_export_commands_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console block, on generated data (moons) and a short run, as printed otherwise."""
    block = section_code("### Save, predict, export", "console").splitlines()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("0.5,0.25\n-1,0.5\n")
    quick = ["--dataset", "moons", "--iterations", "100"]
    for line in block:
        argv = line.split()[1:]
        assert main([*argv, *quick] if argv[0] == "train" else argv) == 0, line
    out = capsys.readouterr().out  # train's text, then predict's JSON document
    document = json.loads(out[out.index("\n{") + 1 :])
    assert set(document) == {"predictions", "probabilities"}
    assert (tmp_path / "l2.onnx").is_file()
