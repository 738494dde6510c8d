"""Inverted-dropout masks for the hidden layers of K models.

A mask keeps a unit where a uniform draw ``U < keep_prob``; kept activations
are divided by ``keep_prob`` so their expected value is unchanged (see
:mod:`reglab.engine.network`). Two mask modes:

- ``"fresh"``: a new mask every iteration, drawn from the model's own
  ``numpy.random.Generator`` (layer by layer, in order, see :func:`fresh_keep`).
  Dropout as the method defines it.
- ``"course"``: the exercise's masks. Its forward pass re-seeds NumPy's legacy
  generator with 1 on every call and draws ``rand(n_1, m)``, ``rand(n_2, m)``,
  ... in layer order, so the masks never change: one fixed thinned network is
  trained. reglab draws the same numbers from a private ``RandomState(1)`` once.

Models with ``keep_prob == 1`` draw nothing, so a model's random stream never
depends on which other models share its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reglab.config import MaskMode
from reglab.types import BoolArray, FloatArray

COURSE_MASK_SEED = 1


@dataclass(frozen=True)
class DropoutMasks:
    """The masks of one iteration.

    Attributes:
        keep: per hidden layer, True where a unit is kept, shape ``(K, n_l, m)``.
        keep_prob: each model's keep probability, shape ``(K,)``.
    """

    keep: list[BoolArray]
    keep_prob: FloatArray


def course_uniforms(
    hidden_sizes: Sequence[int], m: int, legacy: np.random.RandomState | None = None
) -> list[FloatArray]:
    """The exercise's draws: ``rand(n_l, m)`` for each hidden layer in order.

    ``legacy`` is the generator to draw from; by default a fresh ``RandomState(1)``,
    the stream the exercise's ``np.random.seed(1)`` gives.
    """
    source = legacy if legacy is not None else np.random.RandomState(COURSE_MASK_SEED)
    return [source.rand(n, m) for n in hidden_sizes]


def fresh_keep(rng: np.random.Generator, shape: tuple[int, int], keep_prob: float) -> BoolArray:
    """One hidden layer's fresh mask: ``U < keep_prob`` for uniforms U on a 2**-32 grid.

    Each row of m units takes ``ceil(m / 2)`` raw 64-bit outputs of the
    generator (``rng.bit_generator.random_raw``), and each output gives two
    uniforms, ``u * 2**-32`` for its low 32 bits, then for its high 32 bits
    (an odd m leaves the last high half unused). Two units per output is half
    the generator work of ``rng.random() < keep_prob``, the cost that dominates
    fresh dropout; a unit is still kept with probability ``keep_prob``
    rounded up to a multiple of 2**-32. The compiled kernel draws this very
    stream (:func:`reglab.engine.kernel_random.sfc64_fill_keep`).

    Args:
        rng: the model's generator, advanced by ``rows * ceil(m / 2)`` outputs.
        shape: ``(rows, m)``.
        keep_prob: in (0, 1].

    Returns:
        True where a unit is kept, shape ``(rows, m)``.
    """
    rows, m = shape
    raw = rng.bit_generator.random_raw((rows, (m + 1) // 2))
    halves = np.stack([raw & 0xFFFF_FFFF, raw >> 32], axis=-1).reshape(rows, -1)[:, :m]
    keep: BoolArray = halves * 2.0**-32 < keep_prob
    return keep


class MaskSampler:
    """Draws each iteration's dropout masks for K models of one architecture."""

    def __init__(
        self,
        keep_prob: Sequence[float],
        modes: Sequence[MaskMode],
        rngs: Sequence[np.random.Generator],
        hidden_sizes: Sequence[int],
        m: int,
    ) -> None:
        """Prepare the sampler.

        Args:
            keep_prob: per model, in (0, 1].
            modes: per model, ``"fresh"`` or ``"course"``.
            rngs: per model, the generator fresh masks are drawn from.
            hidden_sizes: ``(n_1, ..., n_{L-1})``.
            m: number of training examples.
        """
        self.keep_prob = np.asarray(keep_prob, dtype=float)
        self._rngs = list(rngs)
        self._fresh = [
            k
            for k, (p, mode) in enumerate(zip(keep_prob, modes, strict=True))
            if p < 1 and mode == "fresh"
        ]
        self.active = bool(np.any(self.keep_prob < 1))
        n_models = len(self.keep_prob)
        threshold = self.keep_prob.reshape(-1, 1, 1)
        # Start from the fixed masks: course models keep U < p, the others keep everything.
        course = [
            k
            for k, (p, mode) in enumerate(zip(keep_prob, modes, strict=True))
            if p < 1 and mode == "course"
        ]
        uniforms = course_uniforms(hidden_sizes, m) if course else None
        self._keep: list[BoolArray] = []
        for l, n in enumerate(hidden_sizes):
            keep = np.ones((n_models, n, m), dtype=bool)
            if uniforms is not None:
                keep[course] = uniforms[l] < threshold[course]
            self._keep.append(keep)

    def sample(self) -> DropoutMasks | None:
        """This iteration's masks, or None when no model uses dropout.

        The arrays are reused: they hold until the next call.
        """
        if not self.active:
            return None
        for keep in self._keep:
            for k in self._fresh:
                keep[k] = fresh_keep(self._rngs[k], keep.shape[1:], self.keep_prob[k])
        return DropoutMasks(self._keep, self.keep_prob)
