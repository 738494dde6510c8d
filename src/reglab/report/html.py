"""One self-contained HTML report of a comparison.

The page is rendered from ``templates/report.html.j2`` (Jinja2, autoescaped):
the conclusion table, a plain-language reading with its caveats, the figures
embedded as base64 PNG data URIs, every model's configuration, the dataset and
where it came from, and the versions that produced it. It has inline CSS only
and no script or external link, so it opens anywhere without a network.
"""

from __future__ import annotations

import base64
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import matplotlib
import numpy as np
import scipy
from matplotlib.figure import Figure

from reglab.atomic import write_atomically
from reglab.experiments.exercise import Comparison
from reglab.experiments.tables import conclusion_table, models_table, seed_spread_table
from reglab.plots.figures import comparison_figures
from reglab.plots.save import figure_bytes, output_error
from reglab.report.reading import caveats, reading
from reglab.version import __version__

TEMPLATE = "report.html.j2"

FIGURE_CAPTIONS: dict[str, str] = {
    "dataset": "The data: training points (filled circles) and test points (crosses); "
    "red is label 0, blue is label 1.",
    "cost": "Training cost as recorded during training (with the L2 term, and on the "
    "dropped-out forward pass for dropout models). For a model with early stopping, its "
    "validation cost is the dashed line, a star marks the iteration whose parameters it "
    "returned and a dotted vertical line the iteration it stopped at.",
    "accuracy": "Training and test accuracy recorded during training (without dropout).",
    "boundaries": "Decision regions: the class each model predicts on a grid, with the "
    "training points (circles) and test points (crosses) on top.",
    "probabilities": "The predicted probability of label 1 on the same grid; the black line "
    "is the 0.5 boundary.",
    "weights": "How large each model's weights are, layer by layer: L2 pulls them toward zero.",
    "mask_quirk": "The course's fixed dropout masks against fresh ones, and the decision "
    "regions each trains.",
}


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure ready for the page: its name, caption and PNG data URI."""

    name: str
    caption: str
    data_uri: str


def embed_figure(name: str, figure: Figure) -> EmbeddedFigure:
    """Render ``figure`` as PNG and wrap it in a ``data:image/png;base64,...`` URI."""
    encoded = base64.b64encode(figure_bytes(figure, "png")).decode("ascii")
    caption = FIGURE_CAPTIONS.get(name, name)
    return EmbeddedFigure(name, caption, f"data:image/png;base64,{encoded}")


def versions() -> dict[str, str]:
    """The versions of reglab and the libraries that computed and drew the report."""
    return {
        "reglab": __version__,
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "SciPy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
        "Jinja2": jinja2.__version__,
    }


def dataset_facts(comparison: Comparison) -> list[tuple[str, str]]:
    """What the report says about the data: name, source, sha256 (for a file) and sizes."""
    dataset = comparison.dataset
    facts = [("name", dataset.name)]
    if dataset.description:
        facts.append(("description", dataset.description))
    facts.append(("source", dataset.source))
    if dataset.sha256 is not None:
        facts.append(("sha256", dataset.sha256))
    n_classes = dataset.n_classes
    for split, y in (("training", dataset.y_train), ("test", dataset.y_test)):
        if n_classes == 2:
            counts = f"{int(y.sum())} with label 1"
        else:
            per_label = np.bincount(y.ravel().astype(np.int64), minlength=n_classes)
            counts = "per label 0.." + f"{n_classes - 1}: " + ", ".join(map(str, per_label))
        facts.append((f"{split} examples", f"{y.shape[1]} ({counts})"))
    facts.append(("features", str(dataset.n_features)))
    if n_classes > 2:
        facts.append(("classes", f"{n_classes} (softmax output)"))
    return facts


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reglab.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(
    comparison: Comparison,
    *,
    figures: Mapping[str, Figure] | None = None,
    seed_spread: Sequence[Mapping[str, object]] | None = None,
    seed_verdict: str | None = None,
    mask_quirk: bool = False,
    generated_at: datetime | None = None,
) -> str:
    """The report's HTML text.

    Args:
        comparison: the trained models, their names and dataset.
        figures: name -> figure to embed, in order (names as in
            :data:`reglab.plots.FIGURE_NAMES` get a caption); by default
            :func:`reglab.plots.comparison_figures` of the comparison.
        seed_spread: optional rows of a seed study, rendered as the "Seed
            spread" section (see :func:`reglab.experiments.tables.seed_spread_table`
            for the keys).
        seed_verdict: the seed study's verdict sentence, shown under that table
            (see :meth:`reglab.experiments.seeds.SeedStudy.verdict`).
        mask_quirk: when drawing the default figures, include the mask-quirk
            figure (trains two more models); ignored when ``figures`` is given.
        generated_at: the date to print; by default now, in UTC.

    Returns:
        A complete HTML document.
    """
    chosen = comparison_figures(comparison, mask_quirk=mask_quirk) if figures is None else figures
    dataset = comparison.dataset
    spread = seed_spread_table(seed_spread) if seed_spread is not None else None
    when = generated_at if generated_at is not None else datetime.now(UTC)
    template = _environment().get_template(TEMPLATE)
    return template.render(
        title=f"reglab report: {dataset.name}",
        generated=when.isoformat(timespec="seconds"),
        reading=reading(comparison),
        caveats=caveats(comparison, has_seed_spread=spread is not None),
        conclusion=conclusion_table(comparison),
        seed_spread=spread,
        seed_verdict=seed_verdict if spread is not None else None,
        figures=[embed_figure(name, figure) for name, figure in chosen.items()],
        models=models_table(comparison),
        dataset_facts=dataset_facts(comparison),
        versions=versions(),
    )


def write_report(
    comparison: Comparison,
    path: str | os.PathLike[str],
    *,
    figures: Mapping[str, Figure] | None = None,
    seed_spread: Sequence[Mapping[str, object]] | None = None,
    seed_verdict: str | None = None,
    mask_quirk: bool = False,
    generated_at: datetime | None = None,
) -> Path:
    """Write the report (:func:`render_report`) to ``path`` atomically, creating its directory.

    Returns:
        The path written.

    Raises:
        DataError: ``cannot write the report to <path>: <reason>``.
    """
    target = Path(path)
    text = render_report(
        comparison,
        figures=figures,
        seed_spread=seed_spread,
        seed_verdict=seed_verdict,
        mask_quirk=mask_quirk,
        generated_at=generated_at,
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise output_error("the report", target, error) from error
    return target
