"""A comparison as one self-contained HTML file: tables, figures, reading and provenance."""

from reglab.experiments.tables import (
    SEED_SPREAD_KEYS,
    conclusion_table,
    format_accuracy,
    format_cost,
    seed_spread_table,
)
from reglab.report.html import render_report, write_report
from reglab.report.reading import caveats, reading

__all__ = [
    "SEED_SPREAD_KEYS",
    "caveats",
    "conclusion_table",
    "format_accuracy",
    "format_cost",
    "reading",
    "render_report",
    "seed_spread_table",
    "write_report",
]
