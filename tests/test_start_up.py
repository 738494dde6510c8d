"""What starts before training: ``reglab --help`` without the engine, and the one line that
announces the kernel's compilation when, and only when, Numba's cache is cold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reglab.cli import common, main
from reglab.config import TrainConfig
from reglab.engine import kernel, train
from reglab.engine.kernel_cache import is_cached

HEAVY = (
    "numpy",
    "numba",
    "scipy",
    "matplotlib",
    "jinja2",
    "llvmlite",
    "onnx",
    "onnxruntime",
    "safetensors",
)


def _python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return done.stdout.strip()


def test_the_command_line_imports_nothing_only_training_needs() -> None:
    """A structure test: building every command's parser loads no engine, NumPy or plotting."""
    code = (
        "import sys; from reglab.cli import build_parser; build_parser(); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _python(code) == ""


def test_the_library_still_offers_every_name_on_first_use() -> None:
    code = "import sys, reglab; f = reglab.train; print(callable(f), 'numba' in sys.modules)"
    assert _python(code) == "True True"


def test_a_cold_cache_is_known_without_compiling(tmp_path: Path) -> None:
    """With an empty NUMBA_CACHE_DIR the kernel has no cached machine code, and asking
    does not compile it (the check reads an index file)."""
    code = (
        "from reglab.engine import kernel; from reglab.engine.kernel_cache import is_cached; "
        "print(is_cached(kernel.train_model), len(kernel.train_model.signatures))"
    )
    assert _python(code, NUMBA_CACHE_DIR=str(tmp_path)) == "False 0"


def test_a_warm_cache_is_known() -> None:
    train([TrainConfig(iterations=1, layers=(2, 3, 1))], *_tiny())  # compiled or loaded: cached
    assert is_cached(kernel.train_model) is True


def _tiny():  # type: ignore[no-untyped-def]
    import numpy as np

    X = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0]])
    return X, np.array([[0.0, 1.0, 0.0, 1.0]])


@pytest.mark.parametrize(("cached", "announced"), [(False, True), (True, False), (None, False)])
def test_the_compilation_is_announced_only_when_the_cache_is_cold(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cached: bool | None,
    announced: bool,
) -> None:
    monkeypatch.setattr("reglab.engine.kernel_cache.is_cached", lambda function: cached)
    argv = ["train", "--dataset", "moons", "--iterations", "2", "--record-every", "1", "--json"]
    assert main(argv) == 0
    lines = capsys.readouterr().err.splitlines()
    notice = "reglab: " + common.COMPILE_NOTICE.format(seconds=common.COMPILE_SECONDS)
    assert (notice in lines) is announced
    if announced:  # one line, before training, saying what and about how long
        assert "compiling the training kernel" in notice and " s;" in notice
