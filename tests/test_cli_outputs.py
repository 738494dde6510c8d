"""`reglab compare` and `reglab train` outputs: --out figures, --report, --seeds, --test-fraction.

Each distinct `compare` command (30,000 iterations, the exercise's settings) runs
once per module; `train` runs use 200 iterations. Seed-study statistics are
checked against :func:`reglab.experiments.seeds.seed_study` called here on the
same data and seeds, not against the command's own output.
"""

from __future__ import annotations

import base64
import errno
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from markupsafe import escape
from matplotlib.figure import Figure
from PIL import Image

from reglab.cli import main
from reglab.cli.common import format_table, models_progress_bar
from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.data.generators import GENERATORS
from reglab.data.sources import load_dataset
from reglab.experiments.exercise import Comparison
from reglab.experiments.seeds import SeedStudy, honest_exercise_models, seed_study
from reglab.experiments.tables import seed_spread_table
from reglab.plots import FIGURE_NAMES
from reglab.plots import figures as plots_figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHORT_RUN = ["--iterations", "200", "--record-every", "100"]
PLAIN_FIGURES = [name for name in FIGURE_NAMES if name != "mask_quirk"]

# SPEC.md's conclusion table: (name, costs at 0/10,000/20,000, (correct, m) train, test).
PUBLISHED = [
    ("no regularization", (0.6557412523481002, 0.1632998752572419, 0.13851642423239133),
     (200, 211), (183, 200)),
    ("L2, lambda = 0.7", (0.6974484493131264, 0.2684918873282239, 0.2680916337127301),
     (198, 211), (186, 200)),
    ("dropout, keep_prob = 0.86 (course masks)",
     (0.6543912405149825, 0.061016986574905605, 0.060582435798513114), (196, 211), (190, 200)),
]  # fmt: skip
PUBLISHED_ACCURACY_TEXT = {
    "no regularization": ("0.947867 (200/211)", "0.915 (183/200)"),
    "L2, lambda = 0.7": ("0.938389 (198/211)", "0.93 (186/200)"),
    "dropout, keep_prob = 0.86 (course masks)": ("0.92891 (196/211)", "0.95 (190/200)"),
}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_main(*argv: str) -> Run:
    """``main(argv)`` with stdout and stderr captured (usable in module-scoped fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def written_paths(err: str) -> list[Path]:
    """The paths of the ``reglab: wrote PATH`` status lines, in order."""
    prefix = "reglab: wrote "
    return [Path(line.removeprefix(prefix)) for line in err.splitlines() if line.startswith(prefix)]


def study_models(masks: str) -> dict[str, TrainConfig]:
    """The exercise's models as the seed study trains them: seeded init, dropout on ``masks``."""
    models = {}
    for name, config in honest_exercise_models().items():
        if config.keep_prob < 1:
            models[f"{name} ({masks} masks)"] = replace(config, masks=masks)  # type: ignore[arg-type]
        else:
            models[name] = config
    return models


def study_json(study: SeedStudy) -> dict[str, Any]:
    """The library's study as JSON would carry it (lists, not tuples), without the repeated keys."""
    document = json.loads(json.dumps(study.to_dict()))
    assert set(document) >= {"schema_version", "reglab_version", "dataset"}
    return {
        key: value
        for key, value in document.items()
        if key not in ("schema_version", "reglab_version", "dataset")
    }


def assert_valid_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    with Image.open(path) as image:
        image.load()
        pixels = np.asarray(image)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100, path
    rgb = pixels[..., :3].astype(np.uint32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    assert colours.size > 10, path  # a drawing, not a blank canvas


def assert_valid_svg(path: Path) -> None:
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", path
    assert len(list(root.iter())) > 20, path


class _Tables(HTMLParser):
    """Every ``<table id=...>`` of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(text)
    return parser.tables


# --- compare --out --report --seeds 3 --json, run once ---------------------------------------


@pytest.fixture(scope="module")
def football(football_path: Path) -> Dataset:
    return load_dataset(data=football_path)


@pytest.fixture(scope="module")
def compare_outputs(
    football_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, Path, Path, int]:
    """`compare --data <data.mat> --out DIR --report R.html --seeds 3 --json`.

    Also returns how many times the figures were drawn.
    """
    base = tmp_path_factory.mktemp("compare")
    out, report = base / "figures", base / "report.html"
    draws = []
    real = plots_figures.comparison_figures

    def counted(*args: Any, **kwargs: Any) -> dict[str, Figure]:
        draws.append(kwargs)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots_figures, "comparison_figures", counted)
        run = run_main("compare", "--data", str(football_path), "--out", str(out),
                       "--report", str(report), "--seeds", "3", "--json")  # fmt: skip
    assert run.code == 0, run.err
    assert draws == [{"mask_quirk": True}]
    return run, out, report, len(draws)


@pytest.fixture(scope="module")
def fresh_study(football: Dataset) -> SeedStudy:
    return seed_study(football, study_models("fresh"), 3)


def test_compare_out_writes_every_figure_as_png(
    compare_outputs: tuple[Run, Path, Path, int],
) -> None:
    run, out, report, _ = compare_outputs
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{n}.png" for n in FIGURE_NAMES)
    for name in FIGURE_NAMES:
        assert_valid_png(out / f"{name}.png")
    assert written_paths(run.err) == [*(out / f"{n}.png" for n in FIGURE_NAMES), report]
    assert all(line.startswith("reglab: ") for line in run.err.splitlines())


def test_compare_report_has_the_published_table(
    compare_outputs: tuple[Run, Path, Path, int],
) -> None:
    _, _, report, _ = compare_outputs
    tables = html_tables(report.read_text(encoding="utf-8"))
    header, *rows = tables["conclusion-table"]
    assert header == ["model", "cost @0", "cost @10,000", "cost @20,000", "train accuracy",
                      "test accuracy"]  # fmt: skip
    assert [row[0] for row in rows] == [name for name, *_ in PUBLISHED]
    for row, (name, costs, _, _) in zip(rows, PUBLISHED, strict=True):
        for cell, published in zip(row[1:4], costs, strict=True):
            assert math.isclose(float(cell), published, rel_tol=1e-9, abs_tol=0.0)
        assert tuple(row[4:]) == PUBLISHED_ACCURACY_TEXT[name]


def test_compare_report_embeds_the_same_figures_as_out(
    compare_outputs: tuple[Run, Path, Path, int],
) -> None:
    """The figures are drawn once, for --out and --report: the report shows the files' images.

    Not byte for byte: rendering a figure again can move an outside legend by a pixel.
    """
    _, out, report, n_draws = compare_outputs
    assert n_draws == 1
    text = report.read_text(encoding="utf-8")
    embedded = dict(
        re.findall(r'<figure id="figure-(\w+)">\s*<img src="data:image/png;base64,([^"]+)"', text)
    )
    assert list(embedded) == list(FIGURE_NAMES)
    for name, encoded in embedded.items():
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
            in_report = np.asarray(image)
        with Image.open(out / f"{name}.png") as image:
            in_file = np.asarray(image)
        assert in_report.shape == in_file.shape, name
        differing = np.any(in_report != in_file, axis=-1).mean()
        assert differing < 1e-3, name
    assert "<script" not in text


def test_compare_report_shows_the_seed_spread(
    compare_outputs: tuple[Run, Path, Path, int], fresh_study: SeedStudy
) -> None:
    _, _, report, _ = compare_outputs
    expected = seed_spread_table(fresh_study.rows())
    html = report.read_text(encoding="utf-8")
    assert html_tables(html)["seed-spread-table"] == [
        list(expected.header),
        *(list(row) for row in expected.rows),
    ]
    assert f'<p id="seed-verdict">{escape(fresh_study.verdict().text)}</p>' in html


def test_compare_json_has_the_published_models_and_the_seed_study(
    compare_outputs: tuple[Run, Path, Path, int], fresh_study: SeedStudy
) -> None:
    run, _, _, _ = compare_outputs
    document = json.loads(run.out)
    assert list(document) == ["schema_version", "reglab_version", "dataset", "models",
                              "seed_study"]  # fmt: skip
    for model, (name, _, (train_ok, n_train), (test_ok, n_test)) in zip(
        document["models"], PUBLISHED, strict=True
    ):
        assert (model["name"], model["config"]["init"]) == (name, "course")
        assert model["train_accuracy"] == train_ok / n_train
        assert model["test_accuracy"] == test_ok / n_test
    study = document["seed_study"]
    assert study == study_json(fresh_study)
    assert study["seeds"] == [0, 1, 2]
    assert [(m["config"]["init"], m["config"]["masks"]) for m in study["models"]] == [
        ("lecun", "fresh")
    ] * 3
    assert sum(model["wins"] for model in study["models"]) == 3


# --- compare --seeds 3 --masks course, text, run once ----------------------------------------


@pytest.fixture(scope="module")
def compare_seeds_text(football_path: Path) -> Run:
    run = run_main("compare", "--data", str(football_path), "--seeds", "3", "--masks", "course")
    assert run.code == 0, run.err
    return run


def test_compare_seeds_text_prints_the_published_then_the_honest_table(
    compare_seeds_text: Run, football: Dataset
) -> None:
    assert compare_seeds_text.err == ""
    lines = compare_seeds_text.out.splitlines()
    published_header = next(i for i, line in enumerate(lines) if line.startswith("model  "))
    assert "course's initialization" in " ".join(lines[4:published_header])
    for line, (name, _, _, _) in zip(lines[published_header + 1 :], PUBLISHED, strict=False):
        cells = re.split(r" {2,}", line)
        assert (cells[0], *cells[-2:]) == (name, *PUBLISHED_ACCURACY_TEXT[name])

    study = seed_study(football, study_models("course"), 3)
    expected = seed_spread_table(study.rows())
    table = format_table(expected.header, expected.rows)
    start = lines.index(table[0])
    assert lines[start : start + len(table)] == table
    intro = " ".join(lines[published_header + 5 : start])
    assert "3 seeds (0..2)" in intro and "course's fixed dropout masks" in intro
    assert [row[0] for row in expected.rows] == [
        "no regularization",
        "L2, lambda = 0.7",
        "dropout, keep_prob = 0.86 (course masks)",
    ]
    sentence = " ".join(lines[start + len(table) + 1 :])
    verdict = study.verdict()
    assert sentence == verdict.text
    best = max(study.rows(), key=lambda row: row["test_mean"])
    assert verdict.best == best["model"]
    assert sentence.startswith(f'"{best["model"]}" has the best mean test accuracy ')


# --- train --------------------------------------------------------------------------------------


# Every generator with --out; some runs also vary the options that decide the files.
GENERATOR_RUNS = {
    "goalkeeper": (["--keep-prob", "0.86", "--masks", "course"], "png", FIGURE_NAMES),
    "circles": (["--masks", "course"], "png", PLAIN_FIGURES),  # no dropout: no mask quirk
    "xor": (["--format", "svg"], "svg", PLAIN_FIGURES),
    "gauss": ([], "png", PLAIN_FIGURES),
    "spiral": ([], "png", PLAIN_FIGURES),
    "moons": ([], "png", PLAIN_FIGURES),
}


def test_generator_runs_cover_every_generator() -> None:
    assert sorted(GENERATOR_RUNS) == sorted(GENERATORS)


@pytest.mark.parametrize("name", list(GENERATOR_RUNS))
def test_train_every_generator_writes_its_figures(name: str, tmp_path: Path) -> None:
    options, fmt, figures = GENERATOR_RUNS[name]
    out = tmp_path / "figures"
    run = run_main("train", "--dataset", name, *options, *SHORT_RUN, "--out", str(out))
    assert run.code == 0, run.err
    assert run.out.startswith(f"dataset: {name} (2 features, ")
    expected = [out / f"{figure}.{fmt}" for figure in figures]
    assert written_paths(run.err) == expected
    assert sorted(out.iterdir()) == sorted(expected)
    for path in expected:
        (assert_valid_svg if fmt == "svg" else assert_valid_png)(path)


@pytest.fixture(scope="module")
def moons() -> Dataset:
    return load_dataset(dataset="moons")


LECUN_DROPOUT = ["--keep-prob", "0.9", "--init", "lecun"]


def test_train_seeds_json_equals_the_library_study(moons: Dataset) -> None:
    run = run_main("train", "--dataset", "moons", *LECUN_DROPOUT, "--seed", "4", "--seeds", "3",
                   *SHORT_RUN, "--json")  # fmt: skip
    assert run.code == 0, run.err
    document = json.loads(run.out)
    [model] = document["models"]
    assert model["config"]["seed"] == 4
    config = TrainConfig.from_dict(model["config"])
    expected = seed_study(moons, {model["name"]: config}, [4, 5, 6])
    assert document["seed_study"] == study_json(expected)
    assert document["seed_study"]["seeds"] == [4, 5, 6]
    [row] = document["seed_study"]["models"]
    runs = row["runs"]
    assert [r["seed"] for r in runs] == [4, 5, 6]
    # The single run is seed 4, the study's first: the same model.
    assert runs[0]["test_accuracy"] == model["test_accuracy"]
    tests = [r["test_accuracy"] for r in runs]
    assert row["test_mean"] == pytest.approx(np.mean(tests), abs=1e-15)
    assert row["test_std"] == pytest.approx(np.std(tests, ddof=1), abs=1e-15)
    assert (row["test_min"], row["test_max"]) == (min(tests), max(tests))


def test_train_seeds_text_prints_the_spread(moons: Dataset) -> None:
    run = run_main("train", "--dataset", "moons", *LECUN_DROPOUT, "--seeds", "3", *SHORT_RUN)
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    name = "dropout, keep_prob = 0.9 (fresh masks), init = lecun"
    config = TrainConfig(keep_prob=0.9, init="lecun", iterations=200, record_every=100)
    rows = seed_study(moons, {name: config}, [0, 1, 2]).rows()
    for row in rows:
        del row["wins"], row["win_share"]
    expected = seed_spread_table(rows)
    assert "wins" not in expected.header
    table = format_table(expected.header, expected.rows)
    start = lines.index(table[0])
    assert (
        lines[start - 1] == "The same configuration under 3 seeds (0..2); accuracies as fractions:"
    )
    assert lines[start : start + 2] == table
    sentence = " ".join(lines[start + 3 :])
    [row] = rows
    assert sentence.startswith(
        f"Across 3 seeds, test accuracy ranged from {row['test_min']:.4f} to {row['test_max']:.4f}"
    )


def test_train_seeds_says_when_the_seed_changes_nothing() -> None:
    """The defaults (course initialization, no dropout) ignore the seed: three equal runs."""
    run = run_main("train", "--dataset", "xor", "--seeds", "3", *SHORT_RUN, "--json")
    assert run.code == 0, run.err
    [row] = json.loads(run.out)["seed_study"]["models"]
    assert row["seed_dependent"] is False
    assert row["test_std"] == 0.0 and row["test_min"] == row["test_max"]
    text = run_main("train", "--dataset", "xor", "--seeds", "3", *SHORT_RUN)
    assert " ".join(text.out.splitlines()[-3:]).endswith(
        "so the 3 runs are the same model; --init lecun (the course's distribution, seeded) "
        "or fresh dropout masks make the seed matter."
    )


def test_train_report_with_seeds(tmp_path: Path) -> None:
    """--out DIR --report DIR/report.html: DIR need not exist yet; the report has the spread."""
    out = tmp_path / "new"
    run = run_main("train", "--dataset", "gauss", "--init", "he", "--seeds", "2", *SHORT_RUN,
                   "--out", str(out), "--report", str(out / "report.html"))  # fmt: skip
    assert run.code == 0, run.err
    assert written_paths(run.err)[-1] == out / "report.html"
    tables = html_tables((out / "report.html").read_text(encoding="utf-8"))
    header, row = tables["seed-spread-table"]
    assert header[-1] == "seeds" and "wins" not in header
    assert row[0] == "no regularization, init = he" and row[-1] == "2"
    assert tables["conclusion-table"][1][0] == "no regularization, init = he"


def test_test_fraction_splits_a_users_csv(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    rng = np.random.default_rng(3)
    points = rng.standard_normal((120, 2))
    labels = (points[:, 0] + points[:, 1] > 0).astype(int)
    path.write_text(
        "x1,x2,label\n"
        + "".join(f"{a:.17g},{b:.17g},{y}\n" for (a, b), y in zip(points, labels, strict=True))
    )
    for argv, n_test in (([], 36), (["--test-fraction", "0.25"], 30)):
        run = run_main("train", "--data", str(path), *argv, *SHORT_RUN, "--json")
        assert run.code == 0, run.err
        dataset = json.loads(run.out)["dataset"]
        assert (dataset["name"], dataset["n_train"], dataset["n_test"]) == (
            "points",
            120 - n_test,
            n_test,
        )
    text = run_main("train", "--data", str(path), "--test-fraction", "0.25", *SHORT_RUN)
    assert text.out.startswith("dataset: points (2 features, 90 train / 30 test examples)\n")


def test_test_fraction_splits_a_generator() -> None:
    default = json.loads(run_main("train", "--dataset", "moons", *SHORT_RUN, "--json").out)
    run = run_main("train", "--dataset", "moons", "--test-fraction", "0.2", *SHORT_RUN, "--json")
    assert run.code == 0, run.err
    dataset = json.loads(run.out)["dataset"]
    total = default["dataset"]["n_train"] + default["dataset"]["n_test"]
    assert dataset["n_test"] == round(0.2 * total) != default["dataset"]["n_test"]
    assert dataset["n_train"] + dataset["n_test"] == total


@pytest.mark.parametrize("name", ["football", *GENERATORS])
def test_compare_accepts_every_dataset_name(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """compare loads each named dataset (training is stopped right there: 30,000 iterations)."""

    class StopError(Exception):
        pass

    loaded: list[Dataset] = []

    def stop(dataset: Dataset, *args: object, **kwargs: object) -> Comparison:
        loaded.append(dataset)
        raise StopError

    monkeypatch.setattr("reglab.experiments.exercise.compare", stop)  # imported by run()
    monkeypatch.setenv("REGLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StopError):
        main(["compare", "--dataset", name, "--offline"])
    [dataset] = loaded
    assert dataset.name == ("goalkeeper" if name == "football" else name)


# --- results are not lost when writing fails after training ----------------------------------


def _replace_with_file_during_training(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Make ``directory`` a regular file once training is done (checks passed before it)."""
    from reglab.experiments import exercise

    real = exercise.compare

    def compare_then_break(*args: Any, **kwargs: Any) -> Comparison:
        result = real(*args, **kwargs)
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()
        directory.write_text("in the way\n")
        return result

    monkeypatch.setattr("reglab.experiments.exercise.compare", compare_then_break)


def test_a_failed_report_keeps_the_printed_results_and_the_figures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    figures, reports = tmp_path / "figures", tmp_path / "reports"
    reports.mkdir()
    _replace_with_file_during_training(monkeypatch, reports)
    report = reports / "r.html"
    run = run_main("train", "--dataset", "moons", *SHORT_RUN, "--json", "--out", str(figures),
                   "--report", str(report))  # fmt: skip
    assert run.code == 2
    assert json.loads(run.out)["models"][0]["config"]["iterations"] == 200
    *lines, error = run.err.splitlines()
    assert lines[0].startswith("reglab: dataset moons: ")
    assert lines[1:] == [f"reglab: wrote {figures / n}.png" for n in PLAIN_FIGURES]
    assert error == (
        f"reglab: error: cannot write the report to {report}: {os.strerror(errno.EEXIST)}"
    )
    for name in PLAIN_FIGURES:
        assert_valid_png(figures / f"{name}.png")


def test_failed_figures_keep_the_printed_results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    _replace_with_file_during_training(monkeypatch, parent)
    run = run_main("train", "--dataset", "moons", *SHORT_RUN, "--out", str(parent / "figures"))
    assert run.code == 2
    assert run.out.startswith("dataset: moons ")
    assert run.out.splitlines()[-1].startswith("test accuracy:  ")
    assert run.err == (
        f"reglab: error: cannot write figures to {parent / 'figures'}: "
        f"{os.strerror(errno.ENOTDIR)}\n"
    )


# --- the seed study's progress and its reuse of the single run ----------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_models_progress_bar_counts_models() -> None:
    stream = _Terminal()
    with models_progress_bar(True, "seeds (9 models)", 9, stream) as progress:
        assert progress is not None
        progress(4.5)
        progress(9)
    assert "9.0/9 models" in stream.getvalue()
    assert stream.getvalue().startswith("\rseeds (9 models): ")
    with models_progress_bar(False, "seeds", 9, stream) as progress:
        assert progress is None


def test_seed_study_reports_progress_through_the_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a terminal, the seed study drives its bar up to every model."""
    calls: list[float] = []

    @contextmanager
    def recording(
        enabled: bool, description: str, models: int, stream: object = None
    ) -> Iterator[Callable[[float], None]]:
        assert enabled and description == "seeds (2 models)" and models == 2
        yield calls.append

    monkeypatch.setattr("reglab.cli.common.models_progress_bar", recording)
    monkeypatch.setattr("reglab.cli.train.wants_progress", lambda json_output, stream: True)
    run = run_main("train", "--dataset", "xor", "--init", "he", "--seeds", "2", *SHORT_RUN)
    assert run.code == 0, run.err
    assert calls and calls[0] >= 1 and calls[-1] == 2  # the single run counts as seed 0's
    assert calls == sorted(calls)


def test_train_seeds_trains_the_first_seed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`train --seed 4 --seeds 3`: seed 4 is the single run; the study trains only 5 and 6."""
    from reglab.experiments import backends

    trained: list[int] = []
    real = backends.train

    def counted(configs: list[TrainConfig], *args: Any, **kwargs: Any) -> Any:
        trained.extend(config.seed for config in configs)
        return real(configs, *args, **kwargs)

    monkeypatch.setattr(backends, "train", counted)
    run = run_main("train", "--dataset", "moons", *LECUN_DROPOUT, "--seed", "4", "--seeds", "3",
                   *SHORT_RUN, "--json")  # fmt: skip
    assert run.code == 0, run.err
    assert sorted(trained) == [5, 6]
    runs = json.loads(run.out)["seed_study"]["models"][0]["runs"]
    assert [r["seed"] for r in runs] == [4, 5, 6]
