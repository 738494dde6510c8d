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

from reglab.config import PARAMETERS
from reglab.constraints import Constraint, Integer, LayerSizes, Real

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
"""Multiply-adds of one page's training: models x seeds x iterations x examples x weights.

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
}
"""Every value a page reads, by its rule: reglab's own (:data:`reglab.config.PARAMETERS`),
with the playground's tighter caps where it has one, so a link's bad value gets the words
the command line gives it."""


def training_work(
    n_models: int, n_seeds: int, iterations: int, n_examples: int, layers: tuple[int, ...]
) -> int:
    """Multiply-adds of training ``n_models`` x ``n_seeds`` networks (forward pass, weights).

    ``layers`` are the sizes from input to output; the count is the weights one
    example meets in one forward pass, times examples, iterations and models. A
    backward pass costs about twice as much, the same for every setting, so the
    forward count is enough to compare settings against :data:`MAX_WORK`.
    """
    weights = sum(a * b for a, b in itertools.pairwise(layers))
    return n_models * n_seeds * iterations * n_examples * weights


CAPS_TEXT = (
    f"caps: {MAX_MODELS} models, {MAX_ITERATIONS:,} iterations, {MAX_HIDDEN_LAYERS} hidden "
    f"layers of at most {MAX_LAYER_WIDTH} units, {MAX_SEEDS} seeds, {MAX_ROWS:,} examples, "
    f"{MAX_UPLOAD_MB} MB per uploaded CSV (read in memory, never written to disk), and "
    f"{MAX_WORK:,} multiply-adds of training per page (models x seeds x iterations x "
    "examples x weights); larger values in a link or a widget fall back with a warning "
    "naming the parameter"
)
"""The caps in one sentence, for ``reglab play --help`` and the page."""
