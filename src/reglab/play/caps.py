"""The playground's caps: the largest values a page (URL or widget) may ask for.

A playground is reached by links anyone can edit, so every size that decides how long
a retrain takes or how much memory it needs is capped here, in one place; ``reglab play
--help`` and the README list them. A value above its cap falls back with a warning
that names the parameter, and a setting whose total work is above :data:`MAX_WORK`
is not trained at all (the page says which knobs to lower), so no link can hang the
server.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from reglab.config import PARAMETERS, TrainConfig
from reglab.constraints import Constraint, Integer, LayerSizes, OrAll, Real

MAX_MODELS = 4
"""Models side by side."""

MAX_ITERATIONS = 100_000
"""Gradient-descent iterations per model (the exercise uses 30,000)."""

MAX_LAYER_WIDTH = 256
"""Units in any layer."""

MAX_HIDDEN_LAYERS = 6
"""Hidden layers (the exercise has 2)."""

MAX_SEEDS = 50
"""Seeds of a seed study (1 is a single run)."""

MAX_ROWS = 10_000
"""Examples in a dataset: a generator's size, the rows of an uploaded CSV."""

MAX_SEED = 2**32 - 1
"""The largest seed a page accepts (a widget holds at most a 53-bit integer)."""

MAX_NOISE = 10.0
"""The largest generator noise: far past any shape's scale (about 1)."""

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""Size of an uploaded CSV (5 MB); uploads are read in memory, never written to disk."""

MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)
"""The same cap in the unit of Streamlit's ``server.maxUploadSize``."""

MAX_WORK = 3 * 10**11
"""Multiply-adds of one page's training: models x seeds x weights x (iterations x examples
per iteration + records x all examples); see :func:`training_work`.

The exercise's three models are 2e9 (about 0.4 s); the cap is about 150 times that, a
minute or less on two cores."""


_CAP = "the playground's cap"

RULES: dict[str, Constraint] = {
    **PARAMETERS,
    "layers": LayerSizes(MAX_LAYER_WIDTH, MAX_HIDDEN_LAYERS + 2, cap="the playground's caps"),
    "iterations": Integer(1, MAX_ITERATIONS, cap=_CAP),
    "seed": Integer(0, MAX_SEED, cap=_CAP),
    "data_seed": Integer(0, MAX_SEED, cap=_CAP),
    "seeds": Integer(1, MAX_SEEDS, cap=_CAP),
    "models": Integer(1, MAX_MODELS, cap=_CAP),
    "n_samples": Integer(4, MAX_ROWS, cap=_CAP),
    "noise": Real(0.0, MAX_NOISE),
    "batch_size": OrAll(Integer(1, MAX_ROWS, cap=_CAP), "the whole training set"),
    "patience": Integer(1, MAX_ITERATIONS, cap=_CAP),
}
"""Every value a page reads, by its rule: reglab's own (:data:`reglab.config.PARAMETERS`),
with the playground's tighter caps where it has one, so a link's bad value gets the words
the command line gives it."""


def training_work(models: Sequence[TrainConfig], n_seeds: int, n_train: int, n_test: int) -> int:
    """Multiply-adds of training ``models`` under ``n_seeds`` seeds (forward passes, weights).

    Per model: the weights one example meets in one forward pass, times what the model
    really passes forward: each iteration its batch (``batch_size`` examples, capped at
    the training set; the whole training set for full batch) plus one example's worth
    for the update that touches every weight, and each record (every ``record_every``
    iterations, and the last) a pass over all ``n_train + n_test`` examples to measure
    its cost and accuracies (early stopping's validation cost is a pass over part of the
    training set, inside that count). So a mini-batch model of 1 example with many
    records is counted by its records, not by a full batch it never passes. A backward
    pass costs about twice a forward one, the same for every setting, so the forward
    count is enough to compare settings against :data:`MAX_WORK`. Early stopping may
    stop sooner: the count is the most it can do.
    """
    work = 0
    for config in models:
        weights = sum(a * b for a, b in itertools.pairwise(config.layers))
        batch = n_train if config.batch_size is None else min(config.batch_size, n_train)
        records = -(-config.iterations // config.record_every) + 1
        per_model = config.iterations * (batch + 1) + records * (n_train + n_test)
        work += n_seeds * weights * per_model
    return work


CAPS_TEXT = (
    f"caps: {MAX_MODELS} models, {MAX_ITERATIONS:,} iterations, {MAX_HIDDEN_LAYERS} hidden "
    f"layers of at most {MAX_LAYER_WIDTH} units, {MAX_SEEDS} seeds, {MAX_ROWS:,} examples, "
    f"{MAX_UPLOAD_MB} MB per uploaded CSV (read in memory, never written to disk), and "
    f"{MAX_WORK:,} multiply-adds of training per page (models x seeds x weights x "
    "examples passed: each iteration's batch, each record's pass over the data), "
    f"mini-batches of at most {MAX_ROWS:,} and a patience of at most {MAX_ITERATIONS:,} "
    "records; larger values in a link or a widget fall back with a warning naming the "
    "parameter"
)
"""The caps in one sentence, for ``reglab play --help`` and the page."""
