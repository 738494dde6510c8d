"""The course-mask quirk, made visible: fixed dropout masks against fresh ones.

The exercise re-seeds its mask generator on every iteration, so each hidden
unit is silenced for the same examples throughout training (those pairs never
pass a gradient) and the network trained is one fixed thinned sub-network.
With fresh masks each (unit, example) pair is kept on about ``keep_prob`` of
the iterations. :func:`plot_mask_quirk` shows both mask patterns and trains the
same configuration both ways (one batched call) to compare the boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from reglab.config import MaskMode, TrainConfig
from reglab.data.dataset import Dataset
from reglab.engine.dropout import MaskSampler
from reglab.engine.training import model_generators
from reglab.errors import ParameterError
from reglab.experiments.exercise import mask_modes_pair
from reglab.plots.boundaries import accuracy_titles, draw_region, evaluate_grid
from reglab.plots.data import scatter_split, set_plane_axes
from reglab.plots.grid import check_two_features, decision_grid, plot_limits
from reglab.plots.style import PANEL_SIZE, new_figure
from reglab.types import FloatArray

MASK_CMAP = "gray"
"""Black for a unit that is never kept, white for one that always is."""


def keep_frequency(
    hidden_sizes: Sequence[int],
    m: int,
    keep_prob: float,
    masks: MaskMode,
    samples: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Fraction of ``samples`` iterations on which each hidden unit is kept, per example.

    The masks come from the engine's :class:`reglab.engine.MaskSampler`, as in training.

    Args:
        hidden_sizes: ``(n_1, ..., n_{L-1})``.
        m: number of training examples.
        keep_prob: in (0, 1).
        masks: ``"course"`` (the same mask every iteration: every value is 0 or 1)
            or ``"fresh"`` (every value is about ``keep_prob``).
        samples: number of iterations to sample, >= 1.
        rng: generator for fresh masks.

    Returns:
        Shape ``(n_1 + ... + n_{L-1}, m)``: the hidden layers' units stacked in order.
    """
    sampler = MaskSampler([keep_prob], [masks], [rng], hidden_sizes, m)
    kept = np.zeros((sum(hidden_sizes), m))
    for _ in range(samples):
        drawn = sampler.sample()
        if drawn is not None:
            kept += np.concatenate([keep[0] for keep in drawn.keep])
    frequency: FloatArray = kept / samples
    return frequency


def _check_samples(samples: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ParameterError("samples", "an integer >= 1", samples)


def plot_mask_quirk(
    dataset: Dataset,
    config: TrainConfig,
    *,
    samples: int = 1_000,
    step: float | None = None,
) -> Figure:
    """Course masks against fresh masks: their patterns and the boundaries they train.

    Trains ``config`` with both mask modes
    (:func:`reglab.experiments.exercise.mask_modes_pair`), so the course-mask panel
    shows the very model a comparison with ``config`` trained.

    Args:
        dataset: a dataset with two features.
        config: the configuration; its ``keep_prob`` must be in (0, 1). Its
            ``seed`` also seeds the sampled fresh pattern.
        samples: iterations sampled to estimate how often each unit is kept.
        step: grid step of the boundaries (default: 0.01, coarser for large windows).

    Returns:
        A 2 x 2 figure. Panels ``"course masks"`` and ``"fresh masks"``: images of
        shape ``(hidden units, examples)`` holding the fraction of iterations each
        unit is kept for each training example (0 marks a pair silenced for the
        whole run). Panels ``"boundary course"`` and ``"boundary fresh"``: the two
        trained models' decision regions.
    """
    check_two_features(dataset, "decision boundaries")
    keep_prob, layers, seed, iterations = (
        config.keep_prob,
        config.layers,
        config.seed,
        config.iterations,
    )
    _check_samples(samples)
    trained = mask_modes_pair(dataset, config)  # checks that keep_prob drops something

    hidden_sizes = layers[1:-1]
    m = dataset.X_train.shape[1]
    rng = model_generators(seed).masks  # the model's own mask stream: its first iterations' masks
    frequencies = {
        mode: keep_frequency(hidden_sizes, m, keep_prob, mode, samples, rng)
        for mode in ("course", "fresh")
    }
    grid = decision_grid(plot_limits(dataset), step)
    regions = evaluate_grid(trained.parameters, grid, "class")
    titles = accuracy_titles(
        ["course masks (fixed)", f"fresh masks (seed {seed})"], trained, dataset
    )

    figure = new_figure(PANEL_SIZE * 2.6, PANEL_SIZE * 2.3)
    (course_ax, fresh_ax), (course_boundary, fresh_boundary) = figure.subplots(2, 2)
    silenced = int(np.count_nonzero(frequencies["course"] == 0))
    total = frequencies["course"].size
    mask_titles = {
        "course": f"course masks: {silenced} of {total} (unit, example) pairs\n"
        "silenced on every iteration",
        "fresh": f"fresh masks: each pair kept on {frequencies['fresh'].mean():.0%}\n"
        f"of {samples:,} sampled iterations on average",
    }
    image = None
    for ax, mode in ((course_ax, "course"), (fresh_ax, "fresh")):
        ax.set_label(f"{mode} masks")
        image = ax.imshow(
            frequencies[mode],
            cmap=MASK_CMAP,
            vmin=0.0,
            vmax=1.0,
            aspect="auto",
            interpolation="nearest",
        )
        for boundary in np.cumsum(hidden_sizes)[:-1]:
            ax.axhline(boundary - 0.5, color="tab:orange", linewidth=1.0)
        ax.set_title(mask_titles[mode], fontsize="medium")
        ax.set_xlabel("training example")
        ax.set_ylabel("hidden unit (layers in order)")
    if image is not None:
        figure.colorbar(
            image, ax=[course_ax, fresh_ax], label="fraction of iterations kept", shrink=0.9
        )
    for k, (ax, mode) in enumerate(((course_boundary, "course"), (fresh_boundary, "fresh"))):
        ax.set_label(f"boundary {mode}")
        draw_region(ax, regions[k], grid, "class", dataset.n_classes)
        scatter_split(ax, dataset.X_train, dataset.y_train, "train", dataset.n_classes)
        scatter_split(ax, dataset.X_test, dataset.y_test, "test", dataset.n_classes)
        set_plane_axes(ax, dataset)
        ax.set_title(titles[k], fontsize="medium")
    course_boundary.legend(loc="lower left", fontsize="x-small", framealpha=0.8)
    figure.suptitle(
        f"Dropout with keep_prob = {keep_prob:g}: the course's fixed masks against fresh masks "
        f"({iterations:,} iterations)"
    )
    return figure
