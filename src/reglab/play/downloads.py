"""The page's downloads: the HTML report, the JSON results and a sweep config.

Each is the same thing the command line makes: the report is :mod:`reglab.report`'s,
the JSON has the schema of ``reglab compare --json`` / ``reglab train --json``
(docs/json.md), and the TOML file is read by ``reglab sweep --config``
(:meth:`reglab.experiments.sweep.SweepGrid.from_toml`).
"""

from __future__ import annotations

import json

from reglab.config import DEFAULTS_OMITTED, USED_ONLY_BY_OPTIMIZERS
from reglab.data.generators import GENERATORS
from reglab.experiments.exercise import Comparison
from reglab.experiments.seeds import SeedStudy
from reglab.experiments.sweep import SweepGrid
from reglab.play.session import course_mask_models
from reglab.play.state import (
    TWO_CLASSES,
    DataChoice,
    PlayState,
    format_value,
    generator_defaults,
)


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


SHARED_BY_CELLS: tuple[str, ...] = (
    "init",
    "early_stopping",
    "validation_fraction",
    "patience",
)
"""What a sweep gives every cell alike: the page's first model's values."""


def sweep_grid(state: PlayState) -> SweepGrid:
    """A sweep over the page's values: every lambda, alpha, keep_prob, learning rate, mask
    mode, update rule (with the constants of the models that read them) and batch size.

    A sweep crosses its lists, so it holds the page's models and their combinations.
    It takes one initialization and one early-stopping setting: the first model's
    (:data:`SHARED_BY_CELLS`; :func:`sweep_toml` says so when the models differ). Seeds:
    the page's, at least 2 (a sweep is about spreads).
    """
    models = state.models

    def distinct(field: str) -> list[object]:
        return list(dict.fromkeys(getattr(model, field) for model in models))

    def distinct_read(field: str) -> list[object]:
        users = USED_ONLY_BY_OPTIMIZERS[field]
        values = [getattr(model, field) for model in models if model.optimizer in users]
        return list(dict.fromkeys(values)) or [DEFAULTS_OMITTED[field]]

    shared = state.shared
    return SweepGrid.from_dict(
        {
            "l2": distinct("l2"),
            "l1": distinct("l1"),
            "keep_prob": distinct("keep_prob"),
            "learning_rate": distinct("learning_rate"),
            "layers": [list(shared.layers)],
            "masks": distinct("masks"),
            "optimizer": distinct("optimizer"),
            **{field: distinct_read(field) for field in USED_ONLY_BY_OPTIMIZERS},
            "batch_size": distinct("batch_size"),
            "seeds": max(state.seeds, 2),
            **{field: getattr(shared, field) for field in SHARED_BY_CELLS},
            "iterations": shared.iterations,
            "record_every": shared.record_every,
        }
    )


def _toml_value(value: object) -> str:
    if value is None:
        return '"all"'  # a full batch: TOML has no null
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return format_value(value)


def data_options(data: DataChoice) -> str:
    """The command line's data options for the page's data: ``--dataset spiral --classes 3
    --test-fraction 0.3`` (the generator's own classes and split are left out)."""
    options = f"--dataset {data.dataset}"
    if data.dataset not in GENERATORS:
        return options
    if data.classes != TWO_CLASSES:
        options += f" --classes {data.classes}"
    if data.test_fraction != generator_defaults(data.dataset)["test_fraction"]:
        options += f" --test-fraction {format_value(data.test_fraction)}"
    return options


def generator_note(data: DataChoice) -> list[str]:
    """A comment line when the page drew its generator with a size, noise or seed the
    command line cannot ask for (it draws the generator's defaults, seed 0)."""
    if data.dataset not in GENERATORS:
        return []
    defaults = generator_defaults(data.dataset)
    drawn = {"n_samples": data.n_samples, "noise": data.noise, "data_seed": data.data_seed}
    usual = {"n_samples": defaults["n_samples"], "noise": defaults["noise"], "data_seed": 0}
    if drawn == usual:
        return []
    said = ", ".join(f"{key} {format_value(value)}" for key, value in usual.items())
    page = ", ".join(f"{key} {format_value(value)}" for key, value in drawn.items())
    return [f"# The command line draws {data.dataset} with {said}; this page drew {page}."]


def sweep_toml(state: PlayState) -> str:
    """:func:`sweep_grid` as a TOML file for ``reglab sweep --config``."""
    grid = sweep_grid(state).to_dict()
    lines = [
        "# A sweep over the models of a reglab play page. Run it with",
        f"#   reglab sweep --config this-file.toml {data_options(state.data)}",
        "# (for an uploaded or --data file: --data PATH instead of --dataset).",
        *generator_note(state.data),
    ]
    differing = [
        field
        for field in SHARED_BY_CELLS
        if len({getattr(model, field) for model in state.models}) > 1
    ]
    if differing:
        lines.append(
            f"# A sweep gives every cell one {', '.join(differing)}: model 1's "
            "(the page's models differ)."
        )
    lines += ["[sweep]", *(f"{key} = {_toml_value(value)}" for key, value in grid.items())]
    return "\n".join(lines) + "\n"
