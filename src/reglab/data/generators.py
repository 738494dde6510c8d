"""Built-in datasets: two features, labels 0/1, a stratified train/test split.

Every generator has the same keyword-only signature
``name(*, n_samples, noise, test_fraction, seed) -> Dataset`` and the same recipe:
a fixed number of points per class (``n_samples // 2`` of label 0, the rest
label 1) drawn on a clean shape, Gaussian jitter of standard deviation
``noise`` added to both coordinates, then a stratified split (both classes in
both splits). Randomness comes from one ``numpy.random.Generator`` built from
``seed``; NumPy's global generator is never touched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

from reglab.config import check
from reglab.data.dataset import Dataset
from reglab.data.football import FOOTBALL_DESCRIPTION
from reglab.errors import DataError, ParameterError
from reglab.types import FloatArray

IntArray: TypeAlias = NDArray[np.intp]
"""Indices, 1-D."""

ShapeSampler: TypeAlias = Callable[[np.random.Generator, int, int], tuple[FloatArray, FloatArray]]
"""``(rng, n_label_0, n_label_1) -> (points (m, 2), labels (m,))`` before the jitter."""


class DatasetGenerator(Protocol):
    """What every entry of :data:`GENERATORS` is."""

    def __call__(
        self,
        *,
        n_samples: int = ...,
        noise: float = ...,
        test_fraction: float = ...,
        seed: int = ...,
    ) -> Dataset: ...


def stratified_split(
    labels: FloatArray, test_fraction: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Shuffled train and test indices with both classes on each side.

    The test side gets ``round(m * test_fraction)`` indices, shared between the
    two classes in proportion to their counts (each side keeps at least one of
    each class).

    Args:
        labels: ``(m,)`` 0/1 labels.
        test_fraction: in (0, 1).
        rng: draws the shuffles.

    Raises:
        DataError: if a class has fewer than two examples, or either side would
            have fewer than two.
    """
    m = labels.shape[0]
    n_test = round(m * test_fraction)
    by_class = [np.flatnonzero(labels == label) for label in (0.0, 1.0)]
    counts = [len(indices) for indices in by_class]
    if min(counts) < 2 or n_test < 2 or m - n_test < 2:
        raise DataError(
            "cannot split into train and test with both classes on each side: need at least "
            "2 examples of each class and at least 2 examples per side. "
            f"Received: {counts[0]} of label 0, {counts[1]} of label 1, "
            f"test_fraction={test_fraction:g} ({m - n_test} train, {n_test} test)"
        )
    proportional = round(n_test * counts[1] / m)
    n_test_1 = min(max(proportional, 1, n_test - counts[0] + 1), counts[1] - 1, n_test - 1)
    n_test_per_class = (n_test - n_test_1, n_test_1)
    train_parts, test_parts = [], []
    for indices, n_class_test in zip(by_class, n_test_per_class, strict=True):
        shuffled = rng.permutation(indices)
        test_parts.append(shuffled[:n_class_test])
        train_parts.append(shuffled[n_class_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return train, test


def _check_parameters(n_samples: int, noise: float, test_fraction: float, seed: int) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 4:
        raise ParameterError("n_samples", "an integer >= 4", n_samples)
    if not _is_real(noise) or noise < 0:
        raise ParameterError("noise", "a finite number >= 0", noise)
    check("test_fraction", test_fraction)
    check("seed", seed)
    n_test = round(n_samples * test_fraction)
    if n_test < 2 or n_samples - n_test < 2:
        raise ParameterError(
            "n_samples",
            f"large enough for at least 2 train and 2 test points at "
            f"test_fraction={test_fraction:g} (it gives {n_samples - n_test} train, {n_test} test)",
            n_samples,
        )


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _make(
    name: str,
    sampler: ShapeSampler,
    *,
    n_samples: int,
    noise: float,
    test_fraction: float,
    seed: int,
) -> Dataset:
    """Validate, draw the clean shape, jitter it by ``noise``, split it."""
    _check_parameters(n_samples, noise, test_fraction, seed)
    rng = np.random.default_rng(seed)
    n_label_0 = n_samples // 2
    points, labels = sampler(rng, n_label_0, n_samples - n_label_0)
    points = points + noise * rng.standard_normal(points.shape)
    train, test = stratified_split(labels, test_fraction, rng)
    return Dataset(
        name=name,
        source=f"built-in generator {name} (seed {seed}, noise {noise:g})",
        X_train=np.ascontiguousarray(points[train].T),
        y_train=np.ascontiguousarray(labels[train][np.newaxis, :]),
        X_test=np.ascontiguousarray(points[test].T),
        y_test=np.ascontiguousarray(labels[test][np.newaxis, :]),
        description=DESCRIPTIONS[name],
    )


def _labels(n_label_0: int, n_label_1: int) -> FloatArray:
    return np.concatenate([np.zeros(n_label_0), np.ones(n_label_1)])


# --- goalkeeper: the offline stand-in for the exercise's file ------------------------------

_FIELD_X = (-0.68, 0.32)
_FIELD_Y = (-0.68, 0.58)
_BLOBS_PER_CLASS = 2
_BLOB_FRACTION = 0.06
_BLOB_SPREAD = 0.03


def _goalkeeper_boundary(x: FloatArray) -> FloatArray:
    """The clean boundary y = b(x): a diagonal through the field with a gentle wave."""
    return -0.05 + 1.1 * (x + 0.18) + 0.06 * np.sin(2 * np.pi * x / 0.45)


def _goalkeeper_side(points: FloatArray) -> FloatArray:
    """Signed vertical distance ``(m,)`` of points ``(m, 2)`` above the boundary."""
    return points[:, 1] - _goalkeeper_boundary(points[:, 0])


def _field_points(
    rng: np.random.Generator, count: int, sign: float, low: float, high: float
) -> FloatArray:
    """``count`` points ``(count, 2)`` uniform on the field with ``low < sign * side < high``."""
    corner_low = np.array([_FIELD_X[0], _FIELD_Y[0]])
    corner_high = np.array([_FIELD_X[1], _FIELD_Y[1]])
    accepted: list[FloatArray] = []
    n_accepted = 0
    while n_accepted < count:
        candidates = rng.uniform(corner_low, corner_high, size=(2 * count + 16, 2))
        distance = sign * _goalkeeper_side(candidates)
        candidates = candidates[(distance > low) & (distance < high)]
        accepted.append(candidates)
        n_accepted += len(candidates)
    return np.concatenate(accepted)[:count]


def _goalkeeper_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Upper-left of a wavy diagonal is label 1, lower-right label 0; a few wrong-side blobs.

    Per class, about 6% of its points sit in two small blobs (spread 0.03) on
    the other class's side, 0.05-0.25 from the boundary: pockets a big network
    can learn and a regularized one should not.
    """
    parts = []
    for label, count in ((0, n_label_0), (1, n_label_1)):
        own_side = 1.0 if label == 1 else -1.0
        n_blob = min(round(_BLOB_FRACTION * count), count - 1)
        regular = _field_points(rng, count - n_blob, own_side, 0.0, np.inf)
        centres = _field_points(rng, _BLOBS_PER_CLASS, -own_side, 0.05, 0.25)
        blob_of_point = rng.integers(0, _BLOBS_PER_CLASS, size=n_blob)
        blobs = centres[blob_of_point] + _BLOB_SPREAD * rng.standard_normal((n_blob, 2))
        parts.append(np.concatenate([regular, blobs]))
    return np.concatenate(parts), _labels(n_label_0, n_label_1)


def goalkeeper(
    *,
    n_samples: int = 411,
    noise: float = 0.04,
    test_fraction: float = 200 / 411,
    seed: int = 0,
) -> Dataset:
    """A noisy stand-in for the exercise's football field, for when data.mat is unavailable.

    Points uniform on x in [-0.68, 0.32], y in [-0.68, 0.58], label 1 above a
    wavy diagonal (upper-left) and 0 below it, plus wrong-class blobs near the
    boundary; the ``noise`` jitter pushes points near the boundary across it
    (label noise). The defaults give the exercise's 211 train / 200 test points.
    None of the exercise's values are used.
    """
    return _make(
        "goalkeeper",
        _goalkeeper_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
    )


# --- classic 2-D shapes --------------------------------------------------------------------


def _circles_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Label 0 on the unit circle, label 1 on a circle of radius 0.5 inside it."""
    angles = rng.uniform(0, 2 * np.pi, size=n_label_0 + n_label_1)
    radii = np.concatenate([np.ones(n_label_0), np.full(n_label_1, 0.5)])
    points = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    return points, _labels(n_label_0, n_label_1)


def _xor_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Uniform in the square [-1, 1]^2 away from the axes: label 1 where x*y > 0."""
    n = n_label_0 + n_label_1
    magnitudes = rng.uniform(0.05, 1.0, size=(n, 2))
    x_sign = rng.choice([-1.0, 1.0], size=n)
    y_sign = np.where(_labels(n_label_0, n_label_1) == 1, x_sign, -x_sign)
    points = magnitudes * np.column_stack([x_sign, y_sign])
    return points, _labels(n_label_0, n_label_1)


def _gauss_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Two round Gaussian blobs of spread 0.4, label 0 at (-0.75, -0.75) and 1 at (0.75, 0.75)."""
    centres = np.where(_labels(n_label_0, n_label_1)[:, np.newaxis] == 1, 0.75, -0.75)
    points = centres + 0.4 * rng.standard_normal((n_label_0 + n_label_1, 2))
    return points, _labels(n_label_0, n_label_1)


def _spiral_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Two interleaved arms r = t, angle = 3*pi*t (+ pi for label 1), t uniform in [0.1, 1]."""
    labels = _labels(n_label_0, n_label_1)
    t = rng.uniform(0.1, 1.0, size=labels.shape[0])
    angles = 3 * np.pi * t + np.pi * labels
    points = np.column_stack([t * np.cos(angles), t * np.sin(angles)])
    return points, labels


def _moons_shape(
    rng: np.random.Generator, n_label_0: int, n_label_1: int
) -> tuple[FloatArray, FloatArray]:
    """Label 0 on the unit circle's upper half; label 1 on its lower half moved by (1, 0.5)."""
    upper = rng.uniform(0, np.pi, size=n_label_0)
    lower = rng.uniform(0, np.pi, size=n_label_1)
    points = np.concatenate(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    return points, _labels(n_label_0, n_label_1)


def circles(
    *, n_samples: int = 400, noise: float = 0.08, test_fraction: float = 0.5, seed: int = 0
) -> Dataset:
    """Two concentric circles (radius 1 for label 0, 0.5 for label 1)."""
    return _make(
        "circles",
        _circles_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
    )


def xor(
    *, n_samples: int = 400, noise: float = 0.1, test_fraction: float = 0.5, seed: int = 0
) -> Dataset:
    """The four quadrants of [-1, 1]^2: label 1 where x and y have the same sign."""
    return _make(
        "xor", _xor_shape, n_samples=n_samples, noise=noise, test_fraction=test_fraction, seed=seed
    )


def gauss(
    *, n_samples: int = 400, noise: float = 0.3, test_fraction: float = 0.5, seed: int = 0
) -> Dataset:
    """Two overlapping Gaussian blobs."""
    return _make(
        "gauss",
        _gauss_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
    )


def spiral(
    *, n_samples: int = 400, noise: float = 0.04, test_fraction: float = 0.5, seed: int = 0
) -> Dataset:
    """Two interleaved spirals, one and a half turns each."""
    return _make(
        "spiral",
        _spiral_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
    )


def moons(
    *, n_samples: int = 400, noise: float = 0.15, test_fraction: float = 0.5, seed: int = 0
) -> Dataset:
    """Two interleaving half moons (the shape of scikit-learn's make_moons, our own code)."""
    return _make(
        "moons",
        _moons_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
    )


DESCRIPTIONS: dict[str, str] = {
    "goalkeeper": "built-in stand-in for the exercise's field: noisy diagonal, wrong-class pockets",
    "circles": "two concentric circles, label 1 inside",
    "xor": "four quadrants, label 1 where x and y have the same sign",
    "gauss": "two overlapping Gaussian blobs",
    "spiral": "two interleaved spirals",
    "moons": "two interleaving half moons",
}
"""One line per built-in generator."""

GENERATORS: dict[str, DatasetGenerator] = {
    "goalkeeper": goalkeeper,
    "circles": circles,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
}
"""The built-in generators by name."""


def list_datasets() -> list[tuple[str, str]]:
    """Every dataset name ``--dataset`` accepts with its one-line description, football first."""
    return [("football", FOOTBALL_DESCRIPTION), *DESCRIPTIONS.items()]
