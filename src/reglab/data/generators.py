"""Built-in datasets: two features, labels 0/1 (or 0..C-1), a stratified train/test split.

Every generator has the same keyword-only signature
``name(*, n_samples, noise, test_fraction, seed) -> Dataset`` and the same recipe:
a fixed number of points per class (``n_samples // 2`` of label 0, the rest
label 1) drawn on a clean shape, Gaussian jitter of standard deviation
``noise`` added to both coordinates, then a stratified split (both classes in
both splits). Randomness comes from one ``numpy.random.Generator`` built from
``seed``; NumPy's global generator is never touched.

``gauss`` and ``spiral`` (:data:`MULTICLASS_GENERATORS`) also take ``classes``
(default 2, today's data exactly): C >= 3 blobs or arms, ``n_samples // C``
points of each label, the last label the rest.
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

ClassesSampler: TypeAlias = Callable[
    [np.random.Generator, list[int]], tuple[FloatArray, FloatArray]
]
"""``(rng, points per label) -> (points (m, 2), labels (m,))``: a shape of C >= 3 classes."""


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

    With C >= 3 classes (labels 0..C-1) each class gives ``round(n_test * its
    share)`` to the test side, at least one and all but one of its examples.

    Args:
        labels: ``(m,)`` 0/1 labels, or class indices 0..C-1.
        test_fraction: in (0, 1).
        rng: draws the shuffles.

    Raises:
        DataError: if a class has fewer than two examples, or either side would
            have fewer than two.
    """
    m = labels.shape[0]
    n_test = round(m * test_fraction)
    n_classes = max(2, int(labels.max()) + 1) if m else 2
    if n_classes > 2:
        return _stratified_split_classes(labels, n_classes, n_test, rng)
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


def _stratified_split_classes(
    labels: FloatArray, n_classes: int, n_test: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """:func:`stratified_split` for C >= 3 classes, in the binary case's order of draws."""
    m = labels.shape[0]
    by_class = [np.flatnonzero(labels == label) for label in range(n_classes)]
    counts = [len(indices) for indices in by_class]
    if min(counts) < 2 or n_test < n_classes or m - n_test < n_classes:
        raise DataError(
            "cannot split into train and test with every class on each side: need at least "
            f"2 examples of each class and at least {n_classes} examples per side. "
            f"Received: {', '.join(map(str, counts))} of labels 0..{n_classes - 1}, "
            f"test_fraction={n_test / m:g} ({m - n_test} train, {n_test} test)"
        )
    train_parts, test_parts = [], []
    for indices in by_class:
        n_class_test = min(max(round(n_test * len(indices) / m), 1), len(indices) - 1)
        shuffled = rng.permutation(indices)
        test_parts.append(shuffled[:n_class_test])
        train_parts.append(shuffled[n_class_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return train, test


def _check_classes(classes: int, n_samples: int) -> None:
    check("classes", classes)
    if classes > 2 and n_samples < 4 * classes:
        raise ParameterError(
            "n_samples", f"at least 4 per class with classes={classes}: >= {4 * classes}", n_samples
        )


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
    classes: int = 2,
    classes_sampler: ClassesSampler | None = None,
) -> Dataset:
    """Validate, draw the clean shape, jitter it by ``noise``, split it.

    ``classes`` >= 3 draws with ``classes_sampler`` (``sampler`` draws two classes).
    """
    _check_parameters(n_samples, noise, test_fraction, seed)
    _check_classes(classes, n_samples)
    rng = np.random.default_rng(seed)
    if classes > 2 and classes_sampler is not None:
        each = n_samples // classes
        points, labels = classes_sampler(
            rng, [each] * (classes - 1) + [n_samples - (classes - 1) * each]
        )
    else:
        n_label_0 = n_samples // 2
        points, labels = sampler(rng, n_label_0, n_samples - n_label_0)
    points = points + noise * rng.standard_normal(points.shape)
    train, test = stratified_split(labels, test_fraction, rng)
    described = f", {classes} classes" if classes > 2 else ""
    return Dataset(
        name=name,
        source=f"built-in generator {name} (seed {seed}, noise {noise:g}{described})",
        X_train=np.ascontiguousarray(points[train].T),
        y_train=np.ascontiguousarray(labels[train][np.newaxis, :]),
        X_test=np.ascontiguousarray(points[test].T),
        y_test=np.ascontiguousarray(labels[test][np.newaxis, :]),
        description=DESCRIPTIONS[name] if classes == 2 else CLASSES_DESCRIPTIONS[name],
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


def _class_labels(counts: list[int]) -> FloatArray:
    return np.repeat(np.arange(len(counts), dtype=np.float64), counts)


def _gauss_classes_shape(
    rng: np.random.Generator, counts: list[int]
) -> tuple[FloatArray, FloatArray]:
    """C round Gaussian blobs of spread 0.4, centred on a circle of radius 0.75 sqrt(2)
    (the two-class blobs' distance from the origin), label c at angle pi/4 + 2 pi c / C."""
    labels = _class_labels(counts)
    angles = np.pi / 4 + 2 * np.pi * labels / len(counts)
    centres = 0.75 * np.sqrt(2) * np.column_stack([np.cos(angles), np.sin(angles)])
    points = centres + 0.4 * rng.standard_normal((labels.shape[0], 2))
    return points, labels


def _spiral_classes_shape(
    rng: np.random.Generator, counts: list[int]
) -> tuple[FloatArray, FloatArray]:
    """C interleaved arms r = t, angle = 3*pi*t + 2*pi*c/C, t uniform in [0.1, 1]."""
    labels = _class_labels(counts)
    t = rng.uniform(0.1, 1.0, size=labels.shape[0])
    angles = 3 * np.pi * t + 2 * np.pi * labels / len(counts)
    points = np.column_stack([t * np.cos(angles), t * np.sin(angles)])
    return points, labels


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
    *,
    n_samples: int = 400,
    noise: float = 0.3,
    test_fraction: float = 0.5,
    seed: int = 0,
    classes: int = 2,
) -> Dataset:
    """Two overlapping Gaussian blobs (``classes`` >= 3: that many, around a circle)."""
    return _make(
        "gauss",
        _gauss_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
        classes=classes,
        classes_sampler=_gauss_classes_shape,
    )


def spiral(
    *,
    n_samples: int = 400,
    noise: float = 0.04,
    test_fraction: float = 0.5,
    seed: int = 0,
    classes: int = 2,
) -> Dataset:
    """Two interleaved spirals, one and a half turns each (``classes`` >= 3: that many arms)."""
    return _make(
        "spiral",
        _spiral_shape,
        n_samples=n_samples,
        noise=noise,
        test_fraction=test_fraction,
        seed=seed,
        classes=classes,
        classes_sampler=_spiral_classes_shape,
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

CLASSES_DESCRIPTIONS: dict[str, str] = {
    "gauss": "overlapping Gaussian blobs around a circle, one per class",
    "spiral": "interleaved spirals, one arm per class",
}
"""One line per generator of :data:`MULTICLASS_GENERATORS`, with C >= 3 classes."""

MULTICLASS_GENERATORS = tuple(CLASSES_DESCRIPTIONS)
"""The generators that take ``classes``."""


class ClassesGenerator(Protocol):
    """A generator of :data:`MULTICLASS_GENERATORS`: :class:`DatasetGenerator` plus ``classes``."""

    def __call__(
        self,
        *,
        n_samples: int = ...,
        noise: float = ...,
        test_fraction: float = ...,
        seed: int = ...,
        classes: int = ...,
    ) -> Dataset: ...


CLASSES_GENERATORS: dict[str, ClassesGenerator] = {"gauss": gauss, "spiral": spiral}
"""The generators that take ``classes``, by name."""

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
    """Every dataset name ``--dataset`` accepts with its one-line description, football first
    (the generators of several classes say so)."""
    return [
        ("football", FOOTBALL_DESCRIPTION),
        *(
            (name, text + (" (--classes C: C of them)" if name in CLASSES_DESCRIPTIONS else ""))
            for name, text in DESCRIPTIONS.items()
        ),
    ]
