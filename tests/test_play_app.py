"""The playground page under Streamlit's AppTest: every widget and every bad URL value.

The page's first run reads the URL; each widget change retrains and rewrites the URL,
and a fresh page opened on that URL shows the same results. Most tests start from a
link with few iterations, to keep the suite quick; the exercise's defaults are used
where the test is about them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

if not os.environ.get("CI"):  # the [test] extra installs Streamlit: missing under CI fails
    pytest.importorskip("streamlit")

from streamlit.testing.v1 import AppTest

from reglab.play.caps import MAX_MODELS

APP = Path(__file__).resolve().parents[1] / "src" / "reglab" / "play" / "app.py"
TIMEOUT = 300  # the first run in a fresh environment compiles the kernel
SHORT = {"iterations": "300"}

Page = Callable[..., AppTest]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, football_path: Path) -> Page:
    """A page served as ``reglab play --data data.mat`` serves it, opened on ``query``."""
    monkeypatch.setenv("REGLAB_PLAY_DATA", str(football_path))
    monkeypatch.delenv("REGLAB_PLAY_DATASET", raising=False)

    def open_page(query: dict[str, str] | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        app.query_params.update(query or {})
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        return app

    return open_page


def table_text(app: AppTest, index: int = 0) -> str:
    return app.table[index].value.to_string()


def warnings(app: AppTest) -> list[str]:
    return [str(w.value) for w in app.warning]


def test_the_page_opens_on_the_exercise(page: Page) -> None:
    app = page()
    text = table_text(app)
    for count in ("0.915 (183/200)", "0.93 (186/200)", "0.95 (190/200)"):
        assert count in text
    for count in ("(200/211)", "(198/211)", "(196/211)"):
        assert count in text
    assert list(app.table[0].value.index) == [
        "no regularization",
        "L2, lambda = 0.7",
        "dropout, keep_prob = 0.86 (course masks)",
    ]
    assert warnings(app) == []
    assert app.title[0].value == "reglab play"
    assert app.main.children[0].type == "title"  # nothing stray above it
    captions = [caption for image in app.image for caption in image.captions]
    assert captions == ["boundaries", "cost", "accuracy"]
    query = app.query_params
    assert query["dataset"] == "file"
    assert (query["models"], query["l2_2"], query["keep_prob_3"], query["masks_3"]) == (
        "3",
        "0.7",
        "0.86",
        "course",
    )
    assert [b.label for b in app.download_button] == [
        "HTML report",
        "JSON results",
        "Sweep config (TOML)",
    ]
    # The fixed-mask quirk is shown and explained next to the course-mask model.
    notes = [c.value for c in app.caption if c.value.startswith("Course masks: one fixed mask")]
    assert len(notes) == 1
    quirk = app.expander[-1]  # after each model's folded-away engine settings
    assert [e.label for e in app.expander[:3]] == ["L1, optimizer, batches, early stopping"] * 3
    assert "The course's fixed masks" in quirk.label
    assert any("one fixed mask" in m.value for m in quirk.markdown)


def test_changing_a_knob_retrains_and_rewrites_the_url(page: Page) -> None:
    app = page()
    app.slider(key="keep_prob_3").set_value(0.7).run()
    assert app.query_params["keep_prob_3"] == "0.7"
    text = table_text(app)
    assert "dropout, keep_prob = 0.7 (course masks)" in text
    assert "0.95 (190/200)" not in text
    again = page(app.query_params)  # a fresh session on the new link
    assert table_text(again) == text


# The examples and more: each falls back, with a warning naming the parameter.
BAD_LINKS = [
    ({"keep_prob": "7"}, "keep_prob must be in (0, 1]. Received: keep_prob=7"),
    ({"l2": "-1"}, "l2 must be a finite number >= 0. Received: l2=-1"),
    ({"layers": "abc"}, "layers must be at least two positive integer sizes"),
    (
        {"iterations": "999999999999"},
        "iterations must be an integer in [1, 100,000] (the playground's cap).",
    ),
    ({"learning_rate_2": "0"}, "learning_rate_2 must be a finite number > 0."),
    ({"masks_3": "always"}, "masks_3 must be one of fresh, course. Received: masks_3=always"),
    ({"init_1": "zeros"}, "init_1 must be one of course, lecun, he, xavier."),
    (
        {"seed": "-1"},
        "seed must be an integer in [0, 4,294,967,295] (the playground's cap). Received: seed=-1",
    ),
    (
        {"seeds": "1000"},
        "seeds must be an integer in [1, 50] (the playground's cap). Received: seeds=1000",
    ),
    (
        {"models": "9"},
        "models must be an integer in [1, 4] (the playground's cap). Received: models=9",
    ),
    ({"dataset": "mnist"}, "dataset must be one of football, goalkeeper"),
    (
        {"dataset": "moons", "n_samples": "1e9"},
        "n_samples must be an integer in [4, 10,000] (the playground's cap).",
    ),
    ({"dataset": "moons", "noise": "-2"}, "noise must be in [0, 10]."),
    ({"dataset": "moons", "test_fraction": "2"}, "test_fraction must be in (0, 1)."),
    (
        {"data_seed": "x"},
        "data_seed must be an integer in [0, 4,294,967,295] (the playground's cap).",
    ),
    ({"lambda": "0.7"}, "unknown parameter lambda ignored"),
    # The engine's later settings, each with reglab's rule and the playground's caps.
    ({"l1_1": "-1"}, "l1_1 must be a finite number >= 0. Received: l1_1=-1; using 0"),
    ({"optimizer": "sgd"}, "optimizer must be one of gd, momentum, adam. Received: optimizer=sgd"),
    (
        {"optimizer_1": "momentum", "beta1_1": "1"},
        "beta1_1 must be in [0, 1). Received: beta1_1=1; using 0.9",
    ),
    (
        {"optimizer_2": "adam", "beta2_2": "2"},
        "beta2_2 must be in [0, 1). Received: beta2_2=2; using 0.999",
    ),
    (
        {"optimizer_3": "adam", "epsilon_3": "-1"},
        "epsilon_3 must be a finite number > 0. Received: epsilon_3=-1; using 1e-08",
    ),
    (
        {"batch_size_1": "0"},
        "batch_size_1 must be an integer in [1, 10,000] (the playground's cap), or all (the "
        "whole training set). Received: batch_size_1=0; using all",
    ),
    (
        {"batch_size": "99999999"},
        "batch_size must be an integer in [1, 10,000] (the playground's cap)",
    ),
    (
        {"early_stopping_2": "maybe"},
        "early_stopping_2 must be true or false. Received: early_stopping_2=maybe; using false",
    ),
    (
        {"early_stopping": "true", "validation_fraction": "0"},
        "validation_fraction must be in (0, 1). Received: validation_fraction=0; each model",
    ),
    (
        {"early_stopping_1": "true", "patience_1": "1000000"},
        "patience_1 must be an integer in [1, 100,000] (the playground's cap).",
    ),
    (
        {"dataset": "gauss", "classes": "99"},
        "classes must be an integer in [2, 50] (reglab's cap). Received: classes=99; using 2",
    ),
    # A setting the model does not read: ignored, with check_settings_used's words.
    (
        {"beta2_1": "0.9"},
        "beta2_1 must be left at its default unless the optimizer is adam, which reads it. "
        "Received: beta2_1=0.9; using 0.999",
    ),
    (
        {"patience": "3"},
        "patience must be left at its default unless early stopping is on "
        "(early_stopping_K=true). Received: patience=3; each model keeps its own",
    ),
]


@pytest.mark.parametrize(("query", "message"), BAD_LINKS)
def test_a_bad_link_value_falls_back_with_a_visible_warning(
    page: Page, query: dict[str, str], message: str
) -> None:
    app = page({**SHORT, **query} if "iterations" not in query else query)
    shown = warnings(app)
    assert len(shown) == 1, shown
    assert shown[0].startswith(f"In the link: {message}")
    assert app.table  # the page still trained, on the fallback value
    assert not app.error


def test_the_link_warning_goes_once_the_page_changes(page: Page) -> None:
    app = page({**SHORT, "keep_prob": "7"})
    assert len(warnings(app)) == 1
    app.number_input(key="l2_1").set_value(0.1).run()
    assert warnings(app) == []


def test_a_link_over_the_work_cap_is_refused_not_trained(page: Page) -> None:
    app = page({"layers": "2,256,256,256,1", "iterations": "100000", "seeds": "50"})
    assert [e.value for e in app.error] == [
        "training size must be at most 300,000,000,000 multiply-adds (models x seeds x "
        "weights x examples passed: each iteration's batch, each record's pass over the "
        "data); lower iterations, seeds, layer widths, batch sizes or the data's size. "
        "Received: training size='4.20e+14'"
    ]
    assert not app.table


def test_each_model_widget(page: Page) -> None:
    app = page(SHORT)
    app.number_input(key="l2_1").set_value(0.3).run()
    app.slider(key="keep_prob_1").set_value(0.9).run()
    app.radio(key="masks_1").set_value("course").run()
    app.number_input(key="learning_rate_1").set_value(0.1).run()
    app.selectbox(key="init_1").set_value("he").run()
    query = app.query_params
    assert (query["l2_1"], query["keep_prob_1"], query["masks_1"]) == ("0.3", "0.9", "course")
    assert (query["learning_rate_1"], query["init_1"]) == ("0.1", "he")
    name = (
        "L2, lambda = 0.3 + dropout, keep_prob = 0.9 (course masks), learning_rate = 0.1, init = he"
    )
    assert app.table[0].value.index[0] == name
    assert warnings(app) == []


def test_a_bad_widget_value_warns_and_falls_back(page: Page) -> None:
    app = page(SHORT)
    app.number_input(key="l2_2").set_value(-1.0).run()
    assert warnings(app) == ["l2_2 must be a finite number >= 0. Received: l2_2=-1; using 0.7"]
    assert app.query_params["l2_2"] == "0.7"
    app.text_input(key="layers").set_value("2,x,1").run()
    assert any(w.startswith("layers must be at least two positive") for w in warnings(app))


def test_shared_widgets(page: Page) -> None:
    app = page(SHORT)
    app.text_input(key="layers").set_value("2,8,1").run()
    app.number_input(key="iterations").set_value(400).run()
    app.number_input(key="seed").set_value(3).run()
    query = app.query_params
    assert (query["layers"], query["iterations"], query["seed"]) == ("2,8,1", "400", "3")
    assert warnings(app) == []
    assert "cost @0" in table_text(app)


def test_seeds_show_the_spread_and_the_reading(page: Page) -> None:
    app = page({**SHORT, "init": "lecun", "masks": "fresh"})
    app.slider(key="seeds").set_value(3).run()
    assert app.query_params["seeds"] == "3"
    assert len(app.table) == 3  # the results, every model's settings, the spread
    spread = app.table[2].value
    assert list(spread.columns[:2]) == ["train mean", "train std"]
    assert "wins" in spread.columns
    verdict = [*app.warning, *app.success]
    assert len(verdict) == 1
    assert "has the best mean test accuracy" in verdict[0].value
    assert not app.info  # every model depends on the seed


def test_seeds_on_seed_blind_models_say_so(page: Page) -> None:
    app = page({**SHORT, "seeds": "2"})
    assert "The seed changes nothing in model 1, model 2, model 3" in app.info[0].value
    assert not app.success  # a spread of one repeated run proves nothing
    app.button(key="seed_matters").click().run()
    query = app.query_params
    assert [query[f"init_{k}"] for k in (1, 2, 3)] == ["lecun"] * 3
    assert [query[f"masks_{k}"] for k in (1, 2, 3)] == ["fresh"] * 3
    assert not app.info


def test_adding_and_removing_models(page: Page) -> None:
    app = page(SHORT)
    app.button(key="add_model").click().run()
    assert app.query_params["models"] == "4"
    assert len(app.table[0].value) == 4
    assert "add_model" not in [b.key for b in app.button]  # MAX_MODELS side by side
    assert MAX_MODELS == 4
    app.button(key="remove_1").click().run()
    query = app.query_params
    assert query["models"] == "3"
    assert (query["l2_1"], query["keep_prob_2"]) == ("0.7", "0.86")  # the others moved up
    assert list(app.table[0].value.index)[:2] == [
        "L2, lambda = 0.7",
        "dropout, keep_prob = 0.86 (course masks)",
    ]


def test_a_generator_and_its_knobs(page: Page) -> None:
    app = page(SHORT)
    app.selectbox(key="dataset").set_value("moons").run()
    assert app.query_params["dataset"] == "moons"
    assert app.number_input(key="n_samples").value == 400  # the generator's own defaults
    app.number_input(key="n_samples").set_value(120).run()
    app.number_input(key="noise").set_value(0.3).run()
    app.number_input(key="test_fraction").set_value(0.25).run()
    app.number_input(key="data_seed").set_value(2).run()
    query = app.query_params
    assert (query["n_samples"], query["noise"], query["test_fraction"], query["data_seed"]) == (
        "120",
        "0.3",
        "0.25",
        "2",
    )
    assert "(68/90)" in table_text(app) or "/90)" in table_text(app)  # 90 train examples
    assert any("moons" in caption.value for caption in app.caption)


def test_an_uploaded_csv(page: Page) -> None:
    app = page(SHORT)
    app.selectbox(key="dataset").set_value("upload").run()
    assert [e.value for e in app.error] == [
        "no CSV file uploaded yet: choose one with the uploader (a link never carries the file)"
    ]
    rows = "".join(f"{i / 10},{(i * 7 % 11) / 10},{(i * 3) % 5 / 4},{i % 2}\n" for i in range(40))
    app.file_uploader(key="upload").set_value(("mine.csv", rows.encode(), "text/csv")).run()
    assert not app.error
    shown = warnings(app)
    assert shown == [
        "layers must start with 3, the data's number of features. "
        "Received: layers=2,20,3,1; using 3,20,3,1"
    ]
    assert app.query_params["layers"] == "3,20,3,1"
    assert app.query_params["dataset"] == "upload"
    assert "(12/12)" in table_text(app) or "/12)" in table_text(app)  # 30% of 40 held out
    captions = [caption for image in app.image for caption in image.captions]
    assert captions == ["cost", "accuracy"]  # no boundaries in three dimensions


def test_the_mask_quirk_figure(page: Page) -> None:
    app = page(SHORT)
    app.toggle(key="quirk").set_value(True).run()
    captions = [caption for image in app.image for caption in image.captions]
    assert "mask quirk" in captions


def test_a_generator_served_by_name(monkeypatch: pytest.MonkeyPatch, football_path: Path) -> None:
    monkeypatch.delenv("REGLAB_PLAY_DATA", raising=False)
    monkeypatch.setenv("REGLAB_PLAY_DATASET", "circles")
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params.update(SHORT)
    app.run()
    assert app.query_params["dataset"] == "circles"
    assert "file" not in app.selectbox(key="dataset").options


def test_the_probability_view_redraws_without_retraining(page: Page) -> None:
    app = page(SHORT)
    before = table_text(app)
    first = app.image[0].value
    app.radio(key="regions").set_value("probability").run()
    assert app.query_params["regions"] == "probability"
    assert table_text(app) == before
    assert app.image[0].value != first  # a new boundaries image
    again = page(app.query_params)
    assert again.radio(key="regions").value == "probability"


def test_each_engine_widget(page: Page) -> None:
    app = page(SHORT)
    keys = [widget.key for widget in app.number_input]
    assert "l1_1" in keys and "batch_size_1" in keys
    for hidden in ("beta1_1", "beta2_1", "epsilon_1", "validation_fraction_1", "patience_1"):
        assert hidden not in keys  # gradient descent, no early stopping: nothing reads them
    assert app.expander[0].label == "L1, optimizer, batches, early stopping"
    app.number_input(key="l1_1").set_value(0.01).run()
    app.selectbox(key="optimizer_1").set_value("momentum").run()
    keys = [widget.key for widget in app.number_input]
    assert "beta1_1" in keys and "beta2_1" not in keys  # momentum reads beta1 only
    app.number_input(key="beta1_1").set_value(0.5).run()
    app.selectbox(key="optimizer_2").set_value("adam").run()
    app.number_input(key="beta2_2").set_value(0.99).run()
    app.number_input(key="epsilon_2").set_value(1e-6).run()
    app.number_input(key="learning_rate_2").set_value(0.01).run()
    app.number_input(key="batch_size_2").set_value(32).run()
    app.toggle(key="early_stopping_3").set_value(True).run()
    app.number_input(key="validation_fraction_3").set_value(0.2).run()
    app.number_input(key="patience_3").set_value(2).run()
    assert warnings(app) == []
    query = app.query_params
    assert (query["l1_1"], query["optimizer_1"], query["beta1_1"]) == ("0.01", "momentum", "0.5")
    assert (query["optimizer_2"], query["beta2_2"], query["epsilon_2"]) == ("adam", "0.99", "1e-06")
    assert query["batch_size_2"] == "32"
    assert (query["early_stopping_3"], query["validation_fraction_3"]) == ("true", "0.2")
    assert query["patience_3"] == "2"
    assert list(app.table[0].value.index) == [
        "L1, alpha = 0.01, momentum, beta1 = 0.5",
        "L2, lambda = 0.7, Adam, beta2 = 0.99, epsilon = 1e-06, learning_rate = 0.01, "
        "batches of 32",
        "dropout, keep_prob = 0.86 (course masks) + early stopping, patience = 2",
    ]
    # Every setting of each model, in the report's table (the folded-away one below).
    every = app.table[1].value
    assert list(every["optimizer"]) == ["momentum", "adam", "gd"]
    assert list(every["batch_size"]) == ["all", "32", "all"]
    assert list(every["patience"])[2] == "2"
    # Where early stopping stopped and whose parameters it kept, in the page's words.
    notes = [c.value for c in app.caption if "used early stopping" in c.value]
    assert len(notes) == 1 and "held out 43 of the 211 training examples" in notes[0]
    assert "returned the parameters with the lowest validation cost" in notes[0]
    # Each model's settings away from their defaults, under its knobs while folded away.
    summaries = [c.value for c in app.caption]
    assert "l1 0.01, optimizer momentum, beta1 0.5" in summaries
    again = page(query)  # a fresh session on the new link
    assert table_text(again) == table_text(app)


def test_a_constant_its_optimizer_stops_reading_leaves_the_link(page: Page) -> None:
    app = page({**SHORT, "optimizer_1": "adam", "beta2_1": "0.9", "early_stopping_2": "true"})
    assert app.query_params["beta2_1"] == "0.9"
    app.selectbox(key="optimizer_1").set_value("gd").run()
    app.toggle(key="early_stopping_2").set_value(False).run()
    assert warnings(app) == []  # the hidden value is not sent: no warning about it
    assert not {"optimizer_1", "beta2_1", "early_stopping_2"} & set(app.query_params)
    assert "beta2_1" not in [widget.key for widget in app.number_input]


def test_a_bad_engine_widget_value_warns_and_falls_back(page: Page) -> None:
    app = page(SHORT)
    app.number_input(key="batch_size_1").set_value(0).run()
    assert warnings(app) == [
        "batch_size_1 must be an integer in [1, 10,000] (the playground's cap), or all (the "
        "whole training set). Received: batch_size_1=0; using all"
    ]
    assert "batch_size_1" not in app.query_params
    app.number_input(key="batch_size_1").set_value(None).run()  # emptied: the whole set
    assert warnings(app) == []
    app.number_input(key="l1_2").set_value(-0.5).run()
    assert warnings(app) == ["l1_2 must be a finite number >= 0. Received: l1_2=-0.5; using 0"]


def test_classes_of_a_generator(page: Page) -> None:
    app = page(SHORT)
    app.selectbox(key="dataset").set_value("moons").run()
    assert "classes" not in [widget.key for widget in app.number_input]  # moons draws two
    app.selectbox(key="dataset").set_value("gauss").run()
    app.number_input(key="classes").set_value(3).run()
    assert warnings(app) == []  # the output layer followed the classes
    query = app.query_params
    assert (query["dataset"], query["classes"], query["layers"]) == ("gauss", "3", "2,20,3,3")
    assert "3 classes" in app.selectbox(key="dataset").value or any(
        "3 classes" in caption.value for caption in app.caption
    )
    app.radio(key="regions").set_value("probability").run()
    assert not app.exception and not app.error
    app.selectbox(key="dataset").set_value("moons").run()  # two classes again: one sigmoid unit
    assert app.query_params["layers"] == "2,20,3,1"
    assert "classes" not in app.query_params
    assert warnings(app) == []


def test_a_link_older_than_the_engines_settings_stays_as_it_was(page: Page) -> None:
    link = {
        "dataset": "file",
        "data_seed": "0",
        "layers": "2,20,3,1",
        "iterations": "300",
        "seed": "2",
        "seeds": "1",
        "models": "2",
        "l2_1": "0.1",
        "keep_prob_1": "0.9",
        "masks_1": "fresh",
        "learning_rate_1": "0.3",
        "init_1": "lecun",
        "l2_2": "0",
        "keep_prob_2": "1",
        "masks_2": "course",
        "learning_rate_2": "0.2",
        "init_2": "he",
        "regions": "class",
    }
    app = page(link)
    assert warnings(app) == []
    assert dict(app.query_params) == link


def test_removing_a_model_moves_its_engine_settings_up(page: Page) -> None:
    app = page({**SHORT, "optimizer_2": "adam", "beta2_2": "0.95", "batch_size_3": "16"})
    app.selectbox(key="optimizer_3").set_value("momentum").run()
    app.number_input(key="beta1_3").set_value(0.5).run()
    app.selectbox(key="optimizer_3").set_value("gd").run()  # beta1_3 hidden: no widget value
    app.button(key="remove_1").click().run()
    assert not app.exception
    query = app.query_params
    assert (query["models"], query["optimizer_1"], query["beta2_1"]) == ("2", "adam", "0.95")
    assert query["batch_size_2"] == "16"
    assert not {"optimizer_2", "beta1_2", "optimizer_3", "batch_size_3"} & set(query)
    assert warnings(app) == []


def expander_places(app: AppTest) -> list[int]:
    """Where each model's folded settings sit in its column (the browser keeps an expander
    open only while its place stays the same)."""
    return [
        index
        for column in app.columns[:MAX_MODELS]
        for index, child in column.children.items()
        if child.type == "expander"
    ]


def test_a_models_folded_settings_keep_their_place_as_notes_come_and_go(page: Page) -> None:
    app = page(SHORT)
    places = expander_places(app)
    assert len(places) == 3
    app.selectbox(key="optimizer_1").set_value("adam").run()  # its summary line appears
    app.radio(key="masks_2").set_value("course").run()  # a mask note appears above
    app.radio(key="masks_3").set_value("fresh").run()  # the mask note goes
    assert not app.exception
    assert expander_places(app) == places


def test_the_back_button_brings_back_the_earlier_setting(page: Page) -> None:
    app = page(SHORT)
    before = dict(app.query_params)
    earlier = table_text(app)
    app.number_input(key="l2_1").set_value(0.9).run()
    assert app.query_params["l2_1"] == "0.9"
    # The browser's back button: the earlier URL, and a rerun without a widget change.
    app.query_params.clear()
    app.query_params.update(before)
    app.run()
    assert not app.exception
    assert app.number_input(key="l2_1").value == 0
    assert dict(app.query_params) == before
    assert table_text(app) == earlier
    app.number_input(key="l2_2").set_value(0.1).run()  # the page goes on from there
    assert (app.query_params["l2_1"], app.query_params["l2_2"]) == ("0", "0.1")


def test_a_widget_change_keeps_its_value_when_the_url_lags(page: Page) -> None:
    app = page(SHORT)
    before = dict(app.query_params)
    app.number_input(key="l2_1").set_value(0.9).run()
    # A quick second change whose rerun still carries the URL before the first one.
    app.query_params.clear()
    app.query_params.update(before)
    app.number_input(key="l2_2").set_value(0.1).run()
    assert (app.query_params["l2_1"], app.query_params["l2_2"]) == ("0.9", "0.1")


def test_a_link_with_classes_and_no_layers_takes_their_output_layer(page: Page) -> None:
    app = page({**SHORT, "dataset": "gauss", "classes": "3"})
    assert warnings(app) == []  # the link did not give layers: nothing to warn about
    assert app.text_input(key="layers").value == "2,20,3,3"
    assert app.query_params["layers"] == "2,20,3,3"
    app.number_input(key="l2_1").set_value(0.1).run()
    assert warnings(app) == []
    app = page({**SHORT, "dataset": "gauss", "classes": "3", "layers": "2,20,3,1"})
    assert warnings(app) == [  # a link's own layers are the link's: the page says what it did
        "In the link: layers must end with 3 for the data's 3 classes. Received: "
        "layers=2,20,3,1; using 2,20,3,3"
    ]
    assert app.text_input(key="layers").value == "2,20,3,3"  # the box shows what trains
    app.number_input(key="l2_1").set_value(0.1).run()
    assert warnings(app) == []  # said once, as any link's mistake


def test_the_regions_help_says_what_a_multiclass_heatmap_shows(page: Page) -> None:
    app = page({**SHORT, "dataset": "gauss", "classes": "3"})
    assert "class 1" not in app.radio(key="regions").help  # three classes: no class 1 to show
    assert "the class it predicts" in app.radio(key="regions").help
    assert "probability of class 1" in page(SHORT).radio(key="regions").help


def test_adam_at_the_exercises_learning_rate_gets_a_note(page: Page) -> None:
    """Adam at 0.3 does badly; the page says why before a learner concludes Adam is worse."""
    app = page({"models": "2", "optimizer": "adam", "learning_rate_2": "0.005", **SHORT})
    notes = [c.value for c in app.caption if c.value.startswith("Adam moves each parameter")]
    assert len(notes) == 1  # model 1 (0.3), not model 2 (0.005)
    assert not [c.value for c in page(SHORT).caption if "Adam moves" in c.value]
