"""reglab's version and its results' revision.

The version is written here once: the build reads it from this file (pyproject.toml's
``dynamic`` version), so the package's metadata says the same, and ``import reglab``
does not pay for reading that metadata (``importlib.metadata``: tens of milliseconds of
every command's start).
"""

__version__ = "0.4.0"

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
