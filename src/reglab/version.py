"""reglab's version, read from the installed package's metadata, and its results' revision."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reglab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

RESULTS_REVISION = 3
"""The revision of the numbers reglab trains for a given configuration and seed.

Bumped whenever they change, so that a results store never answers with
numbers this reglab would not reproduce (see :mod:`reglab.experiments.store`).
Changes in the last bits (the order of a sum, a multiplication by 1/keep_prob
for a division) do not count: results then agree to about 1e-12, as the
compiled kernel and the NumPy reference do, and accuracies exactly.

1. reglab 0.1: fresh dropout masks ``rng.random((n, m)) < keep_prob``.
2. reglab 0.2: fresh masks take two units per PCG64 output
   (:func:`reglab.engine.dropout.fresh_keep`).
3. reglab 0.3: fresh masks come from an SFC64 generator (the mask stream of
   :func:`reglab.engine.training.prepare`), two units per output.
"""
