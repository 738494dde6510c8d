"""What the back-end and resume tests share: the small grid every back end must reproduce, and
reading a results store while another process writes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reglab.experiments.sweep import SweepGrid

BACKEND_GRID = SweepGrid(
    l2=(0.0, 0.7),
    keep_prob=(1.0, 0.8),
    masks=("fresh", "course"),
    seeds=3,
    iterations=200,
    record_every=50,
)
"""Eight cells of three seeds, both mask modes: each back end must give the local numbers."""


def stored_cells(path: Path) -> int:
    """Cells committed so far, read by a separate read-only connection (0 if not readable yet)."""
    if not path.exists():
        return 0
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return int(connection.execute("SELECT COUNT(*) FROM cells").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0
