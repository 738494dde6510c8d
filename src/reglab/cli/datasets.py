"""List the datasets --dataset accepts, one line each.

Without --data or --dataset, commands use the exercise's file: ./datasets/data.mat,
else the cache (REGLAB_CACHE_DIR), else a download checked against its sha256,
else (offline or download failed) the built-in goalkeeper data. The exercise's
file has a fixed train/test split; a generator's (and a CSV file's without a
split column) is set with --test-fraction. The generators gauss and spiral also
draw C >= 3 classes with --classes C (default 2).
"""

from __future__ import annotations

import argparse

from reglab.cli.common import Subparsers, add_command, format_table


def register(subparsers: Subparsers) -> None:
    """Add the ``datasets`` command to ``subparsers``."""
    add_command(subparsers, "datasets", __doc__, run)


def run(args: argparse.Namespace) -> int:
    """Print each dataset's name and description."""
    from reglab.data.sources import list_datasets

    rows = [[name, description] for name, description in list_datasets()]
    print("\n".join(format_table(["name", "description"], rows)))
    return 0
