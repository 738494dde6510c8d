"""The kernel compiled at build time serves every run: nothing compiles on first use.

``setup.py`` runs :func:`reglab.engine.precompile.compile_kernel` when it builds
the package, so Numba's cache ships inside the installed package. These tests
check both halves: that one call of ``compile_kernel`` leaves nothing for any
kind of run to compile, and that the installed package carries the cache.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Runs of every kind the engine serves, counting the functions Numba compiles meanwhile.
_RUNS = textwrap.dedent(
    """
    import json, sys
    import numba
    from numba.core import event
    import reglab
    from reglab import TrainConfig

    data = reglab.load_dataset(data=sys.argv[1])
    X, Y, X_test, Y_test = data.X_train, data.y_train, data.X_test, data.y_test
    with event.install_recorder("numba:compile") as recorder:
        numba.njit(lambda x: x + 1)(1)  # compiled here: proves the recorder counts
        comparison = reglab.compare(data)
        reglab.train([TrainConfig(keep_prob=0.8, init="he", iterations=50)], X, Y)
        adam = TrainConfig(optimizer="adam", learning_rate=0.01, l1=0.1, iterations=50)
        reglab.train([adam, TrainConfig(optimizer="momentum", iterations=50)], X, Y)
        wide = TrainConfig(layers=(2, 64, 64, 1), l2=0.1, iterations=20, init="he")
        reglab.train([wide], X, Y, X_test, Y_test)
        classes = (X[:1] > 0) + Y  # labels 0..2
        reglab.train([TrainConfig(layers=(2, 20, 3), l2=0.1, iterations=50)], X, classes)
        reglab.train(
            [TrainConfig(keep_prob=0.9, seed=s, iterations=100, init="lecun") for s in range(4)],
            X, Y, X_test, Y_test, n_threads=2,
        )
    compiled = sorted({e.data["dispatcher"].py_func.__name__ for _, e in recorder.buffer})
    print(json.dumps({"compiled": compiled, "test": list(comparison.result.test_accuracy)}))
    """
)


def _python(code: str, *args: str, cache: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_compile_kernel_leaves_nothing_to_compile(football_path: Path, tmp_path: Path) -> None:
    """After ``compile_kernel`` in one process, another compiles nothing for any run."""
    cache = tmp_path / "numba-cache"
    _python("from reglab.engine.precompile import compile_kernel; compile_kernel()", cache=cache)
    assert any(cache.rglob("kernel.train_model-*.nbi")), "compile_kernel wrote no kernel cache"

    result = json.loads(_python(_RUNS, str(football_path), cache=cache))

    assert result["compiled"] == ["<lambda>"]  # the probe alone
    assert len(result["test"]) == 3  # the runs did run


def test_installed_package_carries_the_compiled_kernel() -> None:
    """A regular (non-editable) install lists the kernel's Numba cache among its files.

    CI installs reglab as the README says (``pip install ".[test]"``), so there
    the package must carry it; an editable install compiles on first use instead.
    """
    files = [str(path) for path in importlib.metadata.files("reglab") or []]
    if "reglab/engine/kernel.py" not in files:
        if os.environ.get("CI"):
            pytest.fail("CI must test a regular install of reglab, not an editable one")
        pytest.skip("editable install: the kernel compiles on first use")
    cached = [name for name in files if name.startswith("reglab/engine/__pycache__/kernel.")]
    assert any(name.endswith(".nbi") for name in cached), cached
    assert any(name.endswith(".nbc") for name in cached), cached
