"""The playground page: ``streamlit run`` this file (``reglab play`` does).

A thin face: the state comes from the URL (:mod:`reglab.play.state`), the data and
the training from :mod:`reglab.play.session` (over :mod:`reglab.experiments`), the
tables, readings and figures from :mod:`reglab.experiments.tables`,
:mod:`reglab.report` and :mod:`reglab.plots`, the downloads from
:mod:`reglab.play.downloads`. Results and figures are cached per configuration, so
going back to an earlier setting is instant.

``reglab play`` passes its data options in the environment: ``REGLAB_PLAY_DATA``
(a file), ``REGLAB_PLAY_DATASET`` (a name) and ``REGLAB_PLAY_OFFLINE``.

Streamlit draws any bare expression of this script ("magic"), so constants here carry
comments, not docstrings.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from reglab.config import DEFAULTS_OMITTED, OPTIMIZERS, USED_SETTINGS
from reglab.data.dataset import Dataset
from reglab.data.generators import DESCRIPTIONS, GENERATORS, MULTICLASS_GENERATORS
from reglab.engine.optimizers import ADAM_USUAL_LEARNING_RATE
from reglab.errors import ReglabError
from reglab.experiments.exercise import Comparison
from reglab.experiments.seeds import SeedStudy
from reglab.experiments.tables import (
    Table,
    conclusion_table,
    models_table,
    seed_spread_table,
)
from reglab.play.caps import CAPS_TEXT, MAX_ITERATIONS, MAX_MODELS, MAX_ROWS, MAX_SEEDS
from reglab.play.downloads import report_html, results_json, sweep_toml
from reglab.play.figures import draw_figures, start_pool
from reglab.play.session import (
    PageResult,
    ResultsCache,
    Upload,
    course_mask_models,
    load_choice,
    seed_blind_models,
    study_models,
    train_models,
)
from reglab.play.state import (
    EXERCISE_DATASET,
    EXTRA_FIELDS,
    FILE_DATASET,
    MODEL_FIELDS,
    REGION_VIEWS,
    TWO_CLASSES,
    UPLOAD_DATASET,
    DataChoice,
    PlayState,
    default_model,
    fit_layers,
    format_value,
    generator_defaults,
    parse_query,
    settings_read,
    to_query,
    training_query,
    with_layers,
)
from reglab.report import caveats, reading

ENV_DATA = "REGLAB_PLAY_DATA"
ENV_DATASET = "REGLAB_PLAY_DATASET"
ENV_OFFLINE = "REGLAB_PLAY_OFFLINE"

# Streamlit's "magic" would draw a bare string under a constant: these notes are comments.
CACHE_ENTRIES = 64  # configurations kept per cache (results, figures): going back is instant

MASK_QUIRK = (
    "**The course's dropout is one fixed mask.** The exercise re-seeds NumPy's generator "
    "with 1 before drawing the masks on every iteration, so each hidden unit is silenced "
    "for the same training examples throughout: the network trains one fixed thinned "
    "sub-network, and the silenced units' incoming weights are never updated by those "
    "examples. That is not dropout as the method defines it (a fresh mask every "
    "iteration): set masks to *fresh* to see the difference."
)


def file_from_environment() -> Path | None:
    """The ``--data`` file of ``reglab play``, if any."""
    text = os.environ.get(ENV_DATA)
    return Path(text) if text else None


def page_datasets(file: Path | None) -> list[str]:
    """The datasets this page offers: the exercise's, the generators, the file, an upload."""
    return [
        EXERCISE_DATASET,
        *GENERATORS,
        *([FILE_DATASET] if file is not None else []),
        UPLOAD_DATASET,
    ]


def dataset_label(name: str, file: Path | None) -> str:
    """How the dataset selector shows ``name``."""
    if name == EXERCISE_DATASET:
        return "football: the exercise's file"
    if name == FILE_DATASET:
        return f"file: {file}"
    if name == UPLOAD_DATASET:
        return "upload: your CSV file"
    return f"{name}: {DESCRIPTIONS[name]}"


def widget_values(state: PlayState) -> dict[str, Any]:
    """The widgets' values for ``state``, keyed as the URL's keys."""
    data = state.data
    values: dict[str, Any] = {"dataset": data.dataset, "data_seed": data.data_seed}
    defaults = generator_defaults(data.dataset) if data.dataset in GENERATORS else {}
    values["n_samples"] = data.n_samples if data.n_samples is not None else 0
    values["noise"] = data.noise if data.noise is not None else defaults.get("noise", 0.0)
    values["test_fraction"] = data.test_fraction if data.test_fraction is not None else 0.5
    values["classes"] = data.classes
    shared = state.shared
    values["layers"] = format_value(shared.layers)
    values["iterations"] = shared.iterations
    values["seed"] = shared.seed
    values["seeds"] = state.seeds
    values["models"] = len(state.models)
    values["regions"] = state.regions
    for index in range(MAX_MODELS):
        config = state.models[index] if index < len(state.models) else default_model(index)
        for field in MODEL_FIELDS:
            values[f"{field}_{index + 1}"] = getattr(config, field)
    return values


def set_widgets(state: PlayState) -> None:
    """Point every widget at ``state`` (the first run of a session: the URL's state)."""
    for key, value in widget_values(state).items():
        st.session_state[key] = value


def ensure_widgets() -> None:
    """Give a value to every widget key without one (Streamlit forgets a hidden widget's)."""
    session = st.session_state
    values = widget_values(PlayState())
    name = session.get("dataset")
    if name in GENERATORS:
        values.update(generator_defaults(name))
    for key, value in values.items():
        if key not in session:
            session[key] = value


def widget_query() -> dict[str, str]:
    """The widgets' current values as a query, for :func:`parse_query`."""
    session = st.session_state
    dataset = session["dataset"]
    query = {"dataset": dataset, "data_seed": format_value(session["data_seed"])}
    if dataset in GENERATORS:
        for key in ("n_samples", "noise", "test_fraction"):
            query[key] = format_value(session[key])
    if dataset in MULTICLASS_GENERATORS:
        query["classes"] = format_value(session["classes"])
    for key in ("layers", "iterations", "seed", "seeds", "models", "regions"):
        query[key] = format_value(session[key])
    for index in range(int(session["models"])):
        suffix = index + 1
        read = settings_read(
            {field: session[f"{field}_{suffix}"] for field in ("optimizer", "early_stopping")}
        )
        for field in MODEL_FIELDS:
            if field in USED_SETTINGS and field not in read:
                continue  # hidden with its optimizer or early stopping: the model's default
            key = f"{field}_{suffix}"
            query[key] = format_value(session[key])
    return query


def set_output_layer(classes: int) -> None:
    """The layers widget's output size made the one ``classes`` need (1 for two, C for C),
    so a change of classes retrains at once instead of warning about the layers."""
    session = st.session_state
    sizes = str(session["layers"]).split(",")
    output = "1" if classes == TWO_CLASSES else str(classes)
    if len(sizes) >= 2 and sizes[-1].strip() != output:
        session["layers"] = ",".join([*sizes[:-1], output])


def on_dataset_change() -> None:
    """A generator chosen: its own size, noise and split, as ``reglab datasets`` lists them,
    and the output layer its classes need."""
    name = st.session_state["dataset"]
    if name in GENERATORS:
        for key, value in generator_defaults(name).items():
            st.session_state[key] = value
        multiclass = name in MULTICLASS_GENERATORS
        set_output_layer(int(st.session_state["classes"]) if multiclass else TWO_CLASSES)
    elif name == EXERCISE_DATASET:
        set_output_layer(TWO_CLASSES)


def on_classes_change() -> None:
    """Classes changed: the output layer follows (the engine's rule, see ``fit_layers``)."""
    classes = st.session_state["classes"]
    if isinstance(classes, int) and classes >= TWO_CLASSES:
        set_output_layer(classes)


def remove_model(index: int) -> None:
    """Remove model ``index`` (from 0): the models after it move up one place."""
    session = st.session_state
    count = int(session["models"])
    for later in range(index, count - 1):
        for field in MODEL_FIELDS:
            # A constant hidden with its optimizer may have no widget value: the default's.
            moved = session.get(f"{field}_{later + 2}", getattr(default_model(later + 1), field))
            session[f"{field}_{later + 1}"] = moved
    for field in MODEL_FIELDS:
        session[f"{field}_{count}"] = getattr(default_model(count - 1), field)
    session["models"] = count - 1


def let_the_seed_matter() -> None:
    """Every model on a seeded initialization and fresh masks, as ``reglab compare --seeds``."""
    session = st.session_state
    for index in range(int(session["models"])):
        session[f"init_{index + 1}"] = "lecun"
        session[f"masks_{index + 1}"] = "fresh"


def add_model() -> None:
    """Add a model without regularization after the others."""
    session = st.session_state
    count = int(session["models"])
    for field in MODEL_FIELDS:
        session[f"{field}_{count + 1}"] = getattr(default_model(MAX_MODELS), field)
    session["models"] = count + 1


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_dataset(
    key: tuple[Any, ...], _choice: DataChoice, _upload: Upload | None, _file: Path | None
) -> Dataset:
    """The page's data, loaded once per ``key`` (the choice, the file, the upload's hash)."""
    offline = bool(os.environ.get(ENV_OFFLINE))
    return load_choice(_choice, file=_file, upload=_upload, offline=offline)


@st.cache_resource
def results_cache() -> ResultsCache:
    """The trained results of every session of this server (see :class:`ResultsCache`)."""
    return ResultsCache(CACHE_ENTRIES)


def train_page(key: tuple[Any, ...], dataset: Dataset, state: PlayState) -> PageResult:
    """The page's results: from the cache, or trained now behind a progress bar."""
    cache = results_cache()
    cached = cache.get(key)
    if cached is not None:
        return cached
    bar = st.progress(0.0, text="training")
    total_seed_runs = max(1, len(state.models) * state.seeds)

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"training: {done:,} / {total:,}")

    def seed_progress(done: float) -> None:
        bar.progress(min(1.0, done / total_seed_runs), text=f"seed study: {done:g} models")

    try:
        comparison = train_models(dataset, state, progress=progress)
        study = None
        if state.seeds > 1:
            study = study_models(comparison, state, progress=seed_progress)
    finally:
        bar.empty()
    result = PageResult(comparison, study)
    cache.put(key, result)
    return result


@st.cache_resource
def figure_pool() -> ProcessPoolExecutor:
    """Worker processes that draw the figures side by side, started once per server."""
    return start_pool()


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_figures(key: tuple[Any, ...], regions: str, _comparison: Comparison) -> dict[str, bytes]:
    """The page's figures as PNG, drawn once per ``key`` and view."""
    return draw_figures(_comparison, figure_pool(), regions)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_mask_quirk(key: tuple[Any, ...], _dataset: Dataset, _state: PlayState) -> bytes:
    """The fixed-mask figure of the first course-mask model (trains two more models)."""
    from reglab.plots import figure_bytes, plot_mask_quirk

    config = next(c for c in _state.models if c.masks == "course" and c.keep_prob < 1)
    return figure_bytes(plot_mask_quirk(_dataset, config))


def show_table(table: Table) -> None:
    """A table of strings, the models as its index (st.table: plain HTML, readable text)."""
    frame = pd.DataFrame(list(table.rows), columns=list(table.header)).set_index(table.header[0])
    st.table(frame)


def data_widgets(file: Path | None) -> Upload | None:
    """The data section of the sidebar; returns the upload, if any."""
    datasets = page_datasets(file)
    st.sidebar.header("Data")
    st.sidebar.selectbox(
        "dataset",
        datasets,
        key="dataset",
        format_func=lambda name: dataset_label(name, file),
        on_change=on_dataset_change,
    )
    name = st.session_state["dataset"]
    upload = None
    if name in GENERATORS:
        st.sidebar.number_input("n_samples (examples)", step=50, key="n_samples")
        st.sidebar.number_input("noise", step=0.01, format="%g", key="noise")
        st.sidebar.number_input("test_fraction", step=0.05, format="%g", key="test_fraction")
    if name in MULTICLASS_GENERATORS:
        st.sidebar.number_input(
            "classes (3 or more: softmax output)",
            step=1,
            key="classes",
            on_change=on_classes_change,
        )
    if name == UPLOAD_DATASET:
        uploaded = st.sidebar.file_uploader(
            "CSV: two or more feature columns, then a label (0/1, or 0..C-1 for C classes; "
            f"optional header and split column); at most {MAX_ROWS:,} rows, read in memory only",
            type=["csv"],
            key="upload",
        )
        if uploaded is not None:
            upload = Upload(uploaded.name, uploaded.getvalue())
    if name in GENERATORS or name == UPLOAD_DATASET:
        st.sidebar.number_input("data_seed (generator, random split)", step=1, key="data_seed")
    return upload


def training_widgets() -> None:
    """What the models share: layers, iterations, seed, seeds."""
    st.sidebar.header("Training (shared)")
    st.sidebar.text_input("layers (input, hidden..., 1)", key="layers")
    st.sidebar.number_input(
        "iterations", step=1000, min_value=1, max_value=MAX_ITERATIONS, key="iterations"
    )
    st.sidebar.number_input("seed", step=1, min_value=0, key="seed")
    st.sidebar.slider(
        "seeds (1: one run; more: the spread over seeds seed, seed+1, ...)",
        min_value=1,
        max_value=MAX_SEEDS,
        key="seeds",
    )
    st.sidebar.caption(CAPS_TEXT[0].upper() + CAPS_TEXT[1:] + ".")


def mask_note(masks: str, keep_prob: float) -> None:
    """A line under a model's masks when they are the course's: what that means."""
    if masks != "course":
        return
    if keep_prob < 1:
        st.caption(
            "Course masks: one fixed mask for the whole run, not dropout as the method "
            "defines it (see *The course's fixed masks* below)."
        )
    else:
        st.caption("No dropout at keep_prob 1: the masks setting has no effect.")


def extra_summary(suffix: int) -> str:
    """Model ``suffix``'s later settings away from their defaults, in a few words ("" if none)."""
    session = st.session_state
    read = settings_read(
        {field: session[f"{field}_{suffix}"] for field in ("optimizer", "early_stopping")}
    )
    words = []
    for field in EXTRA_FIELDS:
        value = session.get(f"{field}_{suffix}", DEFAULTS_OMITTED[field])
        if value == DEFAULTS_OMITTED[field] or (field in USED_SETTINGS and field not in read):
            continue
        if field == "early_stopping":
            words.append("early stopping")
        else:
            words.append(f"{field} {format_value(value)}")
    return ", ".join(words)


ADAM_RATE_NOTE = (
    f"Adam moves each parameter by about learning_rate per step whatever its gradient's "
    f"size, so it is usually run at 0.001 to {ADAM_USUAL_LEARNING_RATE:g}; the exercise's 0.3 "
    "is gradient descent's rate. Lower learning_rate above before comparing Adam with it."
)


def engine_widgets(suffix: int) -> None:
    """Model ``suffix``'s L1, update rule, mini-batches and early stopping, folded away: each
    constant shown only where its optimizer or early stopping reads it.

    The summary line above the expander sits in a container drawn on every run, so the
    expander keeps its place in the column when the line comes or goes: the browser
    draws an element at a new place afresh, folded, under the hand that was setting it."""
    session = st.session_state
    summary = extra_summary(suffix)
    with st.container():  # always there: the expander keeps its place, and stays open
        if summary:
            st.caption(summary)
    with st.expander("L1, optimizer, batches, early stopping"):
        st.number_input("l1 (alpha)", step=0.01, format="%g", key=f"l1_{suffix}")
        st.selectbox("optimizer", OPTIMIZERS, key=f"optimizer_{suffix}")
        optimizer = session[f"optimizer_{suffix}"]
        if optimizer == "adam" and session[f"learning_rate_{suffix}"] > ADAM_USUAL_LEARNING_RATE:
            st.caption(ADAM_RATE_NOTE)
        if optimizer in ("momentum", "adam"):
            st.number_input("beta1", step=0.01, format="%g", key=f"beta1_{suffix}")
        if optimizer == "adam":
            st.number_input("beta2", step=0.001, format="%g", key=f"beta2_{suffix}")
            st.number_input("epsilon", step=1e-8, format="%g", key=f"epsilon_{suffix}")
        st.number_input(
            "batch_size (empty: the whole training set)",
            value=None,  # what an emptied box returns: the whole training set
            step=1,
            placeholder="all",
            key=f"batch_size_{suffix}",
        )
        st.toggle("early stopping", key=f"early_stopping_{suffix}")
        if session[f"early_stopping_{suffix}"]:
            st.number_input(
                "validation_fraction", step=0.05, format="%g", key=f"validation_fraction_{suffix}"
            )
            st.number_input("patience (records)", step=1, key=f"patience_{suffix}")


def model_widgets() -> None:
    """One column per model: its regularization and optimizer knobs, and a remove button."""
    count = int(st.session_state["models"])
    st.subheader("Models")
    columns = st.columns(MAX_MODELS)
    for index in range(count):
        suffix = index + 1
        with columns[index]:
            st.markdown(f"**Model {suffix}**")
            st.number_input("l2 (lambda)", step=0.1, format="%g", key=f"l2_{suffix}")
            st.slider("keep_prob", 0.0, 1.0, step=0.01, key=f"keep_prob_{suffix}")
            st.radio("masks", ["fresh", "course"], horizontal=True, key=f"masks_{suffix}")
            with st.container():  # always there: the widgets below keep their places
                mask_note(
                    st.session_state[f"masks_{suffix}"], st.session_state[f"keep_prob_{suffix}"]
                )
            st.number_input("learning_rate", step=0.05, format="%g", key=f"learning_rate_{suffix}")
            st.selectbox("init", ["course", "lecun", "he", "xavier"], key=f"init_{suffix}")
            engine_widgets(suffix)
            if count > 1:
                st.button("Remove", key=f"remove_{suffix}", on_click=remove_model, args=(index,))
    if count < MAX_MODELS:
        with columns[count]:
            st.button("Add a model", key="add_model", on_click=add_model)


def results_section(state: PlayState, result: PageResult, key: tuple[Any, ...]) -> None:
    """The tables, the readings, the figures and the downloads."""
    comparison, study = result.comparison, result.study
    dataset = comparison.dataset
    st.subheader("Results")
    st.caption(
        f"dataset {dataset.name}: {dataset.X_train.shape[1]} train / "
        f"{dataset.X_test.shape[1]} test examples, {dataset.n_features} features; "
        f"source: {dataset.source}"
    )
    show_table(conclusion_table(comparison))
    with st.expander("Every setting of each model (the report's table)"):
        show_table(models_table(comparison))
    for sentence in reading(comparison):
        st.markdown(sentence)
    for note in caveats(comparison, has_seed_spread=study is not None):
        st.caption(note)
    if study is not None:
        st.subheader(f"Over {len(study.seeds)} seeds")
        show_table(seed_spread_table(study.rows()))
        verdict = study.verdict()
        blind = seed_blind_models(state)
        if verdict.within_noise or not verdict.noise_estimated or blind:
            st.warning(verdict.text)
        else:
            st.success(verdict.text)
        if blind:
            named = ", ".join(f"model {index + 1}" for index in blind)
            st.info(
                f"The seed changes nothing in {named} (the course's initialization, and no "
                "fresh dropout masks): their rows are one run repeated, and their spread is "
                "no evidence. Set init to lecun (the course's distribution, seeded) or masks "
                "to fresh to let the seed matter."
            )
            st.button(
                "Let the seed matter: init lecun, fresh masks for every model",
                key="seed_matters",
                on_click=let_the_seed_matter,
            )
    if dataset.n_features == 2:
        st.radio(
            "regions",
            REGION_VIEWS,
            horizontal=True,
            key="regions",
            help="class: each model's predicted class; probability: its predicted "
            + (
                "probability of class 1, with the 0.5 contour"
                if dataset.n_classes == TWO_CLASSES
                else "probability of the class it predicts (how sure it is)"
            ),
        )
    for name, png in cached_figures(key, state.regions, comparison).items():
        st.image(png, caption=name)
    quirk = course_mask_models(comparison)
    if quirk:
        with st.expander(
            "The course's fixed masks: " + ", ".join(f'"{name}"' for name, _ in quirk),
            expanded=False,
        ):
            st.markdown(MASK_QUIRK)
            if dataset.n_features == 2 and st.toggle(
                "Draw the masks and both boundaries (trains two more models)", key="quirk"
            ):
                st.image(cached_mask_quirk(key, dataset, state), caption="mask quirk")
    downloads(state, comparison, study)


def downloads(state: PlayState, comparison: Comparison, study: SeedStudy | None) -> None:
    """Download buttons: the report (built when clicked), the JSON, the sweep config."""
    st.subheader("Take it with you")
    left, middle, right = st.columns(3)
    left.download_button(
        "HTML report",
        data=lambda: report_html(comparison, study),
        file_name="reglab-report.html",
        mime="text/html",
        key="download_report",
    )
    middle.download_button(
        "JSON results",
        data=results_json(comparison, study),
        file_name="reglab-results.json",
        mime="application/json",
        key="download_json",
    )
    right.download_button(
        "Sweep config (TOML)",
        data=sweep_toml(state),
        file_name="reglab-sweep.toml",
        mime="application/toml",
        key="download_sweep",
        help="a sweep over these models' values: reglab sweep --config reglab-sweep.toml",
    )


def write_link(query: dict[str, str]) -> None:
    """Show the page's state in the URL, and remember it (see :func:`followed_history`)."""
    st.query_params.from_dict(query)
    st.session_state["written_link"] = query


def followed_history(link: dict[str, str]) -> bool:
    """Whether this run comes from the browser's back or forward button: the URL is not the
    one the page last wrote, and no widget moved (a widget's change reruns the page with the
    URL it showed, which may lag behind a quick hand). The page then follows the URL."""
    session = st.session_state
    if "written_link" not in session or link == session["written_link"]:
        return False
    ensure_widgets()
    return bool(widget_query() == session.get("widget_query"))


def main() -> None:
    """Lay out the page for the state in the URL, or in the widgets after the first run."""
    st.set_page_config(page_title="reglab play", layout="wide")
    file = file_from_environment()
    datasets = page_datasets(file)
    default_dataset = os.environ.get(ENV_DATASET) or (
        FILE_DATASET if file is not None else EXERCISE_DATASET
    )
    if default_dataset not in datasets:
        default_dataset = EXERCISE_DATASET
    session = st.session_state
    link = st.query_params.to_dict()
    if "url_query" not in session or followed_history(link):  # the link decides
        parsed = parse_query(link, datasets=datasets, default_dataset=default_dataset)
        set_widgets(parsed.state)
        session["url_query"] = to_query(parsed.state)
        session["url_warnings"] = parsed.warnings

    st.title("reglab play")
    st.caption(
        "The deep-learning course's L2/dropout exercise, retrained as you change a knob. "
        "The whole page lives in the URL: copy it to share this exact setting."
    )
    ensure_widgets()
    upload = data_widgets(file)
    training_widgets()
    model_widgets()
    session["widget_query"] = widget_query()
    parsed = parse_query(
        session["widget_query"], datasets=datasets, default_dataset=default_dataset
    )
    state = parsed.state
    if to_query(state) == session["url_query"]:
        for warning in session["url_warnings"]:
            st.warning(f"In the link: {warning}")
    for warning in parsed.warnings:
        st.warning(warning)

    data_key = (
        tuple(sorted(to_query(PlayState(data=state.data)).items())),
        str(file),
        upload.sha256 if upload is not None else None,
    )
    try:
        dataset = cached_dataset(data_key, state.data, upload, file)
    except ReglabError as error:
        write_link(to_query(state))
        st.error(str(error))
        return
    layers, note = fit_layers(state.shared.layers, dataset.n_features, dataset.n_classes)
    if note is not None:
        st.warning(note)
        state = with_layers(state, layers)
    write_link(to_query(state))

    key = (data_key, tuple(sorted(training_query(state).items())))
    try:
        result = train_page(key, dataset, state)
    except ReglabError as error:
        st.error(str(error))
        return
    results_section(state, result, key)


main()
