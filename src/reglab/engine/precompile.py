"""Compile the training kernel into Numba's on-disk cache before its first use.

The package build (``setup.py``) calls :func:`compile_kernel` on the copied
sources, so the kernel's machine code lands in ``reglab/engine/__pycache__``
and is installed with the package: the first ``reglab compare`` after ``pip
install .`` loads it (under a second) instead of compiling it (20-50 s).

Numba uses a cached function only where its source's content hash, the Python
and Numba versions and the host CPU all match the ones that compiled it, which
holds on the machine that ran ``pip install``. Anywhere else (a wheel copied
to another CPU, a different Numba) the kernel compiles on first use, as it
would without this step. The engine imports only NumPy and Numba, so the build
can run this without reglab's other dependencies.
"""

from __future__ import annotations

import numpy as np

from reglab.config import TrainConfig
from reglab.engine.training import train

_TINY_LAYERS = (2, 3, 2, 1)


def compile_kernel() -> None:
    """Compile (or load) every kernel function a training run calls.

    Every run passes the kernel the same argument types (dropout mode, test
    set and BLAS layers are values, not types), so one call with a tiny
    problem compiles all of it; the three dropout modes, the update rules, mini-batches,
    early stopping and the softmax head are trained anyway, so that a change making any
    of them a type would still be caught here.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((_TINY_LAYERS[0], 8))
    Y = (X[:1] > 0).astype(np.float64)
    configs = [
        TrainConfig(layers=_TINY_LAYERS, iterations=2, record_every=1, init="lecun", **options)
        for options in (
            {},
            {"keep_prob": 0.5},
            {"keep_prob": 0.5, "masks": "course"},
            {"optimizer": "momentum"},
            {"optimizer": "adam"},
            {"batch_size": 3, "keep_prob": 0.5},
            {"early_stopping": True, "validation_fraction": 0.25, "patience": 1},
        )
    ]
    train(configs, X, Y, X, Y, n_threads=1)
    classes = (X[:1] > 0).astype(np.float64) + (X[1:2] > 0)  # labels 0..2: the softmax head
    softmax = TrainConfig(layers=(*_TINY_LAYERS[:-1], 3), iterations=2, record_every=1)
    train([softmax], X, classes, X, classes, n_threads=1)
