"""The page's downloads: the HTML report, the JSON results and a sweep config.

Each is the same thing the command line makes: the report is :mod:`reglab.report`'s,
the JSON has the schema of ``reglab compare --json`` / ``reglab train --json``
(docs/json.md), and the TOML file is read by ``reglab sweep --config``
(:meth:`reglab.experiments.sweep.SweepGrid.from_toml`).
"""

from __future__ import annotations

import json

from reglab.experiments.exercise import Comparison
from reglab.experiments.seeds import SeedStudy
from reglab.experiments.sweep import SweepGrid
from reglab.play.session import course_mask_models
from reglab.play.state import PlayState, format_value


def results_json(comparison: Comparison, study: SeedStudy | None) -> str:
    """The JSON document ``reglab train --json`` prints for the same models (and seeds)."""
    document = comparison.to_dict()
    if study is not None:
        document["seed_study"] = study.nested_dict()
    return json.dumps(document, indent=2) + "\n"


def report_html(comparison: Comparison, study: SeedStudy | None) -> str:
    """The HTML report of the page's models, with the seed spread when there is one."""
    from reglab.plots import comparison_figures
    from reglab.report import render_report

    figures = comparison_figures(comparison, mask_quirk=bool(course_mask_models(comparison)))
    return render_report(
        comparison,
        figures=figures,
        seed_spread=study.rows() if study is not None else None,
        seed_verdict=study.verdict().text if study is not None else None,
    )


def sweep_grid(state: PlayState) -> SweepGrid:
    """A sweep over the page's values: every lambda, keep_prob, learning rate and mask mode.

    A sweep crosses its lists, so it holds the page's models and their combinations.
    It takes one initialization: the first model's. Seeds: the page's, at least 2
    (a sweep is about spreads).
    """
    models = state.models

    def distinct(field: str) -> list[object]:
        return list(dict.fromkeys(getattr(model, field) for model in models))

    shared = state.shared
    return SweepGrid.from_dict(
        {
            "l2": distinct("l2"),
            "keep_prob": distinct("keep_prob"),
            "learning_rate": distinct("learning_rate"),
            "layers": [list(shared.layers)],
            "masks": distinct("masks"),
            "seeds": max(state.seeds, 2),
            "init": shared.init,
            "iterations": shared.iterations,
            "record_every": shared.record_every,
        }
    )


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return format_value(value)


def sweep_toml(state: PlayState) -> str:
    """:func:`sweep_grid` as a TOML file for ``reglab sweep --config``."""
    grid = sweep_grid(state).to_dict()
    dataset = state.data.dataset
    lines = [
        "# A sweep over the models of a reglab play page. Run it with",
        f"#   reglab sweep --config this-file.toml --dataset {dataset}",
        "# (for an uploaded or --data file: --data PATH instead of --dataset).",
        "[sweep]",
        *(f"{key} = {_toml_value(value)}" for key, value in grid.items()),
    ]
    return "\n".join(lines) + "\n"
