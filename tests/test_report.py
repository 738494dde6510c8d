"""The HTML report: its numbers, figures, provenance and reading, and how a real browser shows it.

The page is parsed with the standard library's HTML parser; expected values
are computed here from the comparison itself. One fixture trains the exercise's
real comparison (30,000 iterations, a few seconds) for the checks against
SPEC.md's published counts and for the browser test; the others train briefly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from markupsafe import escape as html_escape
from matplotlib.figure import Figure
from PIL import Image

from browser import CHROMIUM_FLAGS, chromium
from reglab.cli.compare import table_lines
from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.football import load_football
from reglab.data.sources import load_dataset
from reglab.errors import ParameterError, ReglabError
from reglab.experiments.exercise import EXERCISE_MODELS, Comparison, compare
from reglab.experiments.seeds import honest_exercise_models, seed_study
from reglab.plots import comparison_figures
from reglab.plots.style import DPI
from reglab.report import format_accuracy, format_cost, render_report, write_report
from reglab.report.reading import describe_change, reading
from reglab.version import __version__

SHORT = 300
FIXED_DATE = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


# ----------------------------------------------------------------------------- parsing


class ReportPage(HTMLParser):
    """What the tests read from a report: tables by id, images, paragraphs, link targets."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str]] = []
        self.paragraphs: dict[str, list[str]] = {}
        self.ids: dict[str, str] = {}
        self.targets: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._paragraph: tuple[str, list[str]] | None = None
        self._id_text: tuple[str, list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.targets += [values[name] for name in ("src", "href") if name in values]
        if tag == "table":
            self._table = values.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(values)
        elif tag == "p":
            self._paragraph = (values.get("class", ""), [])
        if tag == "dd" and "id" in values:
            self._id_text = (values["id"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "p" and self._paragraph is not None:
            kind, parts = self._paragraph
            self.paragraphs.setdefault(kind, []).append(" ".join("".join(parts).split()))
            self._paragraph = None
        elif tag == "dd" and self._id_text is not None:
            self.ids[self._id_text[0]] = "".join(self._id_text[1]).strip()
            self._id_text = None

    def handle_data(self, data: str) -> None:
        for collector in (
            self._cell,
            self._paragraph and self._paragraph[1],
            self._id_text and self._id_text[1],
        ):
            if isinstance(collector, list):
                collector.append(data)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def football(football_path: Path) -> Dataset:
    return load_football(football_path)


@pytest.fixture(scope="module")
def short(football: Dataset) -> Comparison:
    """The exercise's three models, 300 iterations each."""
    models = {
        name: replace(config, iterations=SHORT, record_every=50)
        for name, config in EXERCISE_MODELS.items()
    }
    return compare(football, models)


@pytest.fixture(scope="module")
def short_figures(short: Comparison) -> dict[str, Figure]:
    return comparison_figures(short)


@pytest.fixture(scope="module")
def short_html(short: Comparison, short_figures: dict[str, Figure]) -> str:
    return render_report(short, figures=short_figures, generated_at=FIXED_DATE)


@pytest.fixture(scope="module")
def exercise(football: Dataset) -> Comparison:
    """The exercise's real comparison: 30,000 iterations (the only long training here)."""
    return compare(football)


def expected_accuracy(accuracy: float, m: int) -> str:
    return f"{accuracy:.6g} ({round(accuracy * m)}/{m})"


def expected_conclusion_rows(comparison: Comparison) -> list[list[str]]:
    result = comparison.result
    iterations = list(result.history.iterations)
    shown = [i for i in iterations if i % 10_000 == 0]
    assert result.test_accuracy is not None
    rows = []
    for k, name in enumerate(comparison.names):
        rows.append(
            [
                name,
                *(repr(float(result.history.cost[k, iterations.index(i)])) for i in shown),
                expected_accuracy(float(result.train_accuracy[k]), 211),
                expected_accuracy(float(result.test_accuracy[k]), 200),
            ]
        )
    return rows


def figure_pixels(figure: Figure) -> tuple[int, int]:
    width, height = figure.get_size_inches() * DPI
    return round(width), round(height)


# ----------------------------------------------------------------------------- content


def test_numbers_are_formatted_as_compare_prints_them() -> None:
    assert format_accuracy(200 / 211, 211) == "0.947867 (200/211)"
    assert format_accuracy(183 / 200, 200) == "0.915 (183/200)"
    assert format_accuracy(186 / 200, 200) == "0.93 (186/200)"
    assert format_cost(0.1 + 0.2) == "0.30000000000000004"


def test_conclusion_table_holds_the_results(short: Comparison, short_html: str) -> None:
    table = ReportPage(short_html).tables["conclusion-table"]
    assert table[0] == ["model", "cost @0", "train accuracy", "test accuracy"]
    assert table[1:] == expected_conclusion_rows(short)


def test_conclusion_table_of_the_exercise_matches_reglab_compare(exercise: Comparison) -> None:
    html = render_report(exercise, figures={}, generated_at=FIXED_DATE)
    table = ReportPage(html).tables["conclusion-table"]
    assert table[0] == [
        "model",
        "cost @0",
        "cost @10,000",
        "cost @20,000",
        "train accuracy",
        "test accuracy",
    ]
    assert table[1:] == expected_conclusion_rows(exercise)
    printed = [re.split(r"\s{2,}", line) for line in table_lines(exercise)]
    assert table == printed
    # SPEC.md's published counts.
    assert [row[-2:] for row in table[1:]] == [
        ["0.947867 (200/211)", "0.915 (183/200)"],
        ["0.938389 (198/211)", "0.93 (186/200)"],
        ["0.92891 (196/211)", "0.95 (190/200)"],
    ]


def test_reading_of_the_exercise_states_spec_differences(exercise: Comparison) -> None:
    html = render_report(exercise, figures={}, generated_at=FIXED_DATE)
    sentences = ReportPage(html).paragraphs["reading"]
    assert sentences == [
        'Compared with "no regularization", "L2, lambda = 0.7" lowered training accuracy by '
        "0.9 points (200 to 198 of 211 correct) and raised test accuracy by 1.5 points "
        "(183 to 186 of 200 correct).",
        'Compared with "no regularization", "dropout, keep_prob = 0.86 (course masks)" lowered '
        "training accuracy by 1.9 points (200 to 196 of 211 correct) and raised test accuracy "
        "by 3.5 points (183 to 190 of 200 correct).",
        "Every regularized model traded training accuracy for test accuracy, as the exercise "
        "concludes regularization does.",
    ]


def test_reading_numbers_follow_the_results(short: Comparison, short_html: str) -> None:
    result = short.result
    assert result.test_accuracy is not None
    sentences = ReportPage(short_html).paragraphs["reading"]
    for k in (1, 2):
        sentence = sentences[k - 1]
        assert sentence.startswith(f'Compared with "{short.names[0]}", "{short.names[k]}" ')
        for what, values, m in (
            ("training accuracy", result.train_accuracy, 211),
            ("test accuracy", result.test_accuracy, 200),
        ):
            before, after = round(values[0] * m), round(values[k] * m)
            if before == after:
                assert f"left {what} unchanged ({after} of {m} correct)" in sentence
            else:
                verb = "raised" if after > before else "lowered"
                points = f"{abs(after - before) / m * 100:.1f}"
                assert f"{verb} {what} by {points} points ({before} to {after} of {m} correct)" in (
                    sentence
                )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (200, 198, "lowered training accuracy by 0.9 points (200 to 198 of 211 correct)"),
        (198, 200, "raised training accuracy by 0.9 points (198 to 200 of 211 correct)"),
        (200, 200, "left training accuracy unchanged (200 of 211 correct)"),
        (180, 211, "raised training accuracy by 14.7 points (180 to 211 of 211 correct)"),
    ],
)
def test_describe_change_wording_follows_the_sign(before: int, after: int, expected: str) -> None:
    assert describe_change("training accuracy", before / 211, after / 211, 211) == expected


def test_reading_says_when_regularization_did_not_trade_train_for_test(short: Comparison) -> None:
    traded = replace(
        short.result,
        train_accuracy=np.array([200, 198, 196]) / 211,
        test_accuracy=np.array([183, 186, 190]) / 200,
    )
    assert reading(replace(short, result=traded))[-1].startswith("Every regularized model traded")
    not_traded = replace(traded, test_accuracy=np.array([183, 180, 190]) / 200)
    sentences = reading(replace(short, result=not_traded))
    assert "lowered test accuracy by 1.5 points (183 to 180 of 200 correct)" in sentences[0]
    assert sentences[-1].startswith("Not every regularized model traded")


def test_report_embeds_every_figure_as_a_png_data_uri(
    short_html: str, short_figures: dict[str, Figure]
) -> None:
    page = ReportPage(short_html)
    assert len(page.images) == len(short_figures)
    for image, (name, figure) in zip(page.images, short_figures.items(), strict=True):
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        data = base64.b64decode(image["src"][len(prefix) :], validate=True)
        assert data.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(data)) as png:
            assert png.format == "PNG"
            assert png.size == figure_pixels(figure)
        assert image["alt"]
        assert f'<figure id="figure-{name}">' in short_html


def test_report_needs_no_network(short_html: str) -> None:
    page = ReportPage(short_html)
    assert all(target.startswith("data:image/png;base64,") for target in page.targets)
    assert "http://" not in short_html
    assert "https://" not in short_html
    for external in ("<script", "<link", "@import", "url("):
        assert external not in short_html


def test_report_names_the_dataset_models_versions_and_date(
    short: Comparison, short_html: str, football_path: Path
) -> None:
    page = ReportPage(short_html)
    assert page.ids["dataset-sha256"] == hashlib.sha256(football_path.read_bytes()).hexdigest()
    assert str(football_path) in short_html
    models = page.tables["models-table"]
    assert models[0] == ["model", *short.result.configs[0].to_dict()]
    for row, name, config in zip(models[1:], short.names, short.result.configs, strict=True):
        assert row[0] == name
        assert row[1:] == [
            "[2, 20, 3, 1]",
            "0.3",
            str(SHORT),
            str(config.l2),
            str(config.keep_prob),
            config.masks,
            "course",
            "0",
            "50",
        ]
    for version in (__version__, np.__version__, matplotlib.__version__):
        assert f"<dd>{version}</dd>" in short_html
    assert "2024-05-17T09:30:00+00:00" in short_html


def test_report_states_its_caveats(short: Comparison, short_html: str) -> None:
    caveats = ReportPage(short_html).paragraphs["caveat"]
    assert len(caveats) == 2
    assert '"dropout, keep_prob = 0.86 (course masks)"' in caveats[0]
    assert "one fixed mask for the whole run" in caveats[0]
    assert "a single seed cannot rank these models" in caveats[1]
    assert 'id="seed-spread"' not in short_html

    moons = load_dataset(dataset="moons")
    fresh = compare(
        moons,
        {
            "plain": TrainConfig(iterations=20),
            "fresh dropout": TrainConfig(iterations=20, keep_prob=0.8),
        },
    )
    html = render_report(fresh, figures={}, generated_at=FIXED_DATE)
    caveats = ReportPage(html).paragraphs["caveat"]
    assert len(caveats) == 1
    assert "a single seed cannot rank these models" in caveats[0]
    assert "sha256" not in html
    assert "built-in generator moons" in html


def test_seed_spread_section_renders_a_seed_study(short: Comparison, football: Dataset) -> None:
    study = seed_study(football, honest_exercise_models(iterations=30), seeds=3)
    rows = study.rows()
    html = render_report(short, figures={}, seed_spread=rows, generated_at=FIXED_DATE)
    table = ReportPage(html).tables["seed-spread-table"]
    statistics = [f"{s}_{x}" for s in ("train", "test") for x in ("mean", "std", "min", "max")]
    assert table[0] == ["model", *(key.replace("_", " ") for key in statistics), "seeds", "wins"]
    for cells, row in zip(table[1:], rows, strict=True):
        assert cells[0] == row["model"]
        assert cells[1:9] == [f"{row[key]:.4f}" for key in statistics]
        assert cells[9:] == ["3", f"{row['wins']:.3g}"]
    assert "The seed spread below shows how far results move across seeds." in html
    assert 'id="seed-verdict"' not in html

    verdict = study.verdict().text
    with_verdict = render_report(
        short, figures={}, seed_spread=rows, seed_verdict=verdict, generated_at=FIXED_DATE
    )
    assert f'<p id="seed-verdict">{html_escape(verdict)}</p>' in with_verdict

    with pytest.raises(ParameterError, match="seed_spread must be rows with the keys"):
        render_report(short, figures={}, seed_spread=[{"model": "x", "train_mean": 0.9}])
    single = [dict(rows[0], train_std=None, test_std=None)]
    table = ReportPage(render_report(short, figures={}, seed_spread=single)).tables[
        "seed-spread-table"
    ]
    assert table[1][2] == "n/a"


def test_report_escapes_names(short: Comparison) -> None:
    hostile = replace(short, names=("<script>alert(1)</script>", "a & b", 'say "hi"'))
    html = render_report(hostile, figures={}, generated_at=FIXED_DATE)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html


def test_write_report_is_atomic_and_reports_unwritable_paths(
    short: Comparison, short_figures: dict[str, Figure], short_html: str, tmp_path: Path
) -> None:
    target = tmp_path / "nested" / "report.html"
    written = write_report(short, target, figures=short_figures, generated_at=FIXED_DATE)
    assert written == target
    assert target.read_text(encoding="utf-8") == short_html
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ReglabError, match=r"cannot write the report to .*file/report\.html: "):
        write_report(short, blocker / "report.html", figures={})
    with pytest.raises(ReglabError, match="cannot write the report to"):
        write_report(short, tmp_path / "nested", figures={})


def test_template_is_found_as_package_data() -> None:
    template = files("reglab.report") / "templates" / "report.html.j2"
    assert template.is_file()
    assert template.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ----------------------------------------------------------------------------- in a browser

IMAGE_PROBE = """<script>
for (const img of document.images) {
  const mark = () => img.setAttribute("data-natural-width", String(img.naturalWidth));
  if (img.complete) { mark(); }
  else { img.addEventListener("load", mark); img.addEventListener("error", mark); }
}
</script>
"""


def run_chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed


def test_report_in_a_real_browser(exercise: Comparison, tmp_path: Path) -> None:
    binary = chromium()
    report = write_report(exercise, tmp_path / "report.html", generated_at=FIXED_DATE)
    html = report.read_text(encoding="utf-8")
    n_figures = len(ReportPage(html).images)
    assert n_figures == 6

    # A copy of the page with a probe that records each image's decoded width.
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", IMAGE_PROBE + "</body>"), encoding="utf-8")
    dumped = run_chromium(
        binary,
        tmp_path / "profile-dom",
        "--virtual-time-budget=15000",
        "--dump-dom",
        probe.as_uri(),
    ).stdout
    dom = ReportPage(dumped)
    assert dom.tables["conclusion-table"][1:] == expected_conclusion_rows(exercise)
    widths = [image.get("data-natural-width") for image in dom.images]
    assert len(widths) == n_figures
    assert all(width is not None and int(width) > 0 for width in widths), widths
    assert "0.947867 (200/211)" in dumped

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    run_chromium(
        binary,
        tmp_path / "profile-shot",
        "--window-size=1280,4800",
        f"--screenshot={screenshot}",
        report.as_uri(),
    )
    with Image.open(screenshot) as shot:
        assert shot.size == (1280, 4800)
        colours = shot.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 500  # figures drawn, not a blank page


def test_an_l1_model_is_regularized_and_its_alpha_is_a_column(football: Dataset) -> None:
    """The reading's baseline is the model without any regularizer; the models table shows
    l1 once some model has it (0 for the others)."""
    from reglab.experiments.tables import models_table

    settings = {"iterations": 30, "record_every": 10}
    comparison = compare(
        football,
        {
            "L1, alpha = 0.1": TrainConfig(l1=0.1, **settings),  # type: ignore[arg-type]
            "no regularization": TrainConfig(**settings),  # type: ignore[arg-type]
        },
    )
    sentences = " ".join(reading(comparison))
    assert 'Compared with "no regularization", "L1, alpha = 0.1"' in sentences
    table = models_table(comparison)
    column = table.header.index("l1")
    assert table.header.index("l2") + 1 == column
    assert [row[column] for row in table.rows] == ["0.1", "0.0"]
    plain = compare(football, {"no regularization": TrainConfig(**settings)})  # type: ignore[arg-type]
    assert "l1" not in models_table(plain).header


def test_the_models_table_writes_a_full_batch_as_all(football: Dataset) -> None:
    from reglab.experiments.tables import models_table

    settings = {"iterations": 30, "record_every": 10}
    comparison = compare(
        football,
        {
            "batches of 32": TrainConfig(batch_size=32, **settings),  # type: ignore[arg-type]
            "full batch": TrainConfig(**settings),  # type: ignore[arg-type]
        },
    )
    table = models_table(comparison)
    column = table.header.index("batch_size")
    assert [row[column] for row in table.rows] == ["32", "all"]
