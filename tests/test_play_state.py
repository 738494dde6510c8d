"""The playground's URL state: parsing, warnings for bad values, caps, round trips."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reglab.config import DEFAULTS_OMITTED, USED_SETTINGS, TrainConfig
from reglab.constraints import OUTPUT_RULE
from reglab.data.generators import GENERATORS, MULTICLASS_GENERATORS
from reglab.experiments.exercise import EXERCISE_MODELS
from reglab.play.caps import (
    MAX_HIDDEN_LAYERS,
    MAX_ITERATIONS,
    MAX_LAYER_WIDTH,
    MAX_MODELS,
    MAX_ROWS,
    MAX_SEEDS,
    MAX_WORK,
    training_work,
)
from reglab.play.state import (
    EXTRA_FIELDS,
    DataChoice,
    PlayState,
    fit_layers,
    format_value,
    parse_query,
    record_every,
    settings_read,
    to_query,
)

DATASETS = ["football", *GENERATORS, "upload"]


def parse(query: dict[str, str]) -> tuple[PlayState, tuple[str, ...]]:
    parsed = parse_query(query, datasets=DATASETS)
    return parsed.state, parsed.warnings


def test_an_empty_query_is_the_exercise() -> None:
    state, warnings = parse({})
    assert warnings == ()
    assert state.models == tuple(EXERCISE_MODELS.values())
    assert state.seeds == 1
    assert state.data == DataChoice("football")


# Every bad value: the parameter as written in the URL, the rule, the text received, the fallback.
CAP = " (the playground's cap)"
LAYERS_RULE = (
    f"at least two positive integer sizes, e.g. (2, 20, 3, 1), each at most {MAX_LAYER_WIDTH}, "
    f"at most {MAX_HIDDEN_LAYERS + 2} of them (the playground's caps)"
)

BAD_VALUES = [
    (
        "keep_prob",
        "7",
        "keep_prob must be in (0, 1]. Received: keep_prob=7; each model keeps its own",
    ),
    ("keep_prob_3", "0", "keep_prob_3 must be in (0, 1]. Received: keep_prob_3=0; using 0.86"),
    ("l2", "-1", "l2 must be a finite number >= 0. Received: l2=-1; each model keeps its own"),
    ("l2_2", "nan", "l2_2 must be a finite number >= 0. Received: l2_2=nan; using 0.7"),
    ("l2_1", "1e400", "l2_1 must be a finite number >= 0. Received: l2_1=1e400; using 0"),
    (
        "layers",
        "abc",
        f"layers must be {LAYERS_RULE}. Received: layers=abc; using 2,20,3,1",
    ),
    (
        "layers",
        "2,20,3,2",
        f"layers must be {OUTPUT_RULE}. Received: layers=2,20,3,2; using 2,20,3,1",
    ),
    (
        "layers",
        f"2,{MAX_LAYER_WIDTH + 1},1",
        f"layers must be {LAYERS_RULE}. Received: layers=2,{MAX_LAYER_WIDTH + 1},1; using 2,20,3,1",
    ),
    (
        "iterations",
        "999999999999",
        f"iterations must be an integer in [1, {MAX_ITERATIONS:,}]{CAP}. "
        "Received: iterations=999999999999; using 30000",
    ),
    (
        "iterations",
        "3.5",
        f"iterations must be an integer in [1, {MAX_ITERATIONS:,}]{CAP}. "
        "Received: iterations=3.5; using 30000",
    ),
    (
        "iterations",
        "0",
        f"iterations must be an integer in [1, {MAX_ITERATIONS:,}]{CAP}. "
        "Received: iterations=0; using 30000",
    ),
    ("masks_3", "sometimes", "masks_3 must be one of fresh, course. Received: masks_3=sometimes"),
    ("init", "zeros", "init must be one of course, lecun, he, xavier. Received: init=zeros"),
    (
        "learning_rate_1",
        "-0.1",
        "learning_rate_1 must be a finite number > 0. Received: learning_rate_1=-0.1; using 0.3",
    ),
    ("seed", "-3", f"seed must be an integer in [0, 4,294,967,295]{CAP}. Received: seed=-3"),
    ("seed", "99999999999", f"seed must be an integer in [0, 4,294,967,295]{CAP}. Received: "),
    ("seeds", "0", f"seeds must be an integer in [1, {MAX_SEEDS}]{CAP}. Received: seeds=0"),
    ("seeds", "51", f"seeds must be an integer in [1, {MAX_SEEDS}]{CAP}. Received: seeds=51"),
    ("seeds", "many", f"seeds must be an integer in [1, 50]{CAP}. Received: seeds=many; using 1"),
    ("models", "5", f"models must be an integer in [1, {MAX_MODELS}]{CAP}. Received: models=5"),
    ("models", "0", f"models must be an integer in [1, 4]{CAP}. Received: models=0; using 3"),
    (
        "dataset",
        "mnist",
        "dataset must be one of football, goalkeeper, circles, xor, gauss, spiral, moons, "
        "upload. Received: dataset=mnist; using football",
    ),
    (
        "data_seed",
        "-1",
        f"data_seed must be an integer in [0, 4,294,967,295]{CAP}. Received: data_seed=-1",
    ),
    # The engine's later settings: reglab's rules, the playground's caps.
    ("l1", "-0.1", "l1 must be a finite number >= 0. Received: l1=-0.1; each model keeps its own"),
    ("l1_2", "inf", "l1_2 must be a finite number >= 0. Received: l1_2=inf; using 0"),
    (
        "optimizer_1",
        "sgd",
        "optimizer_1 must be one of gd, momentum, adam. Received: optimizer_1=sgd; using gd",
    ),
    ("beta1_1", "1", "beta1_1 must be in [0, 1). Received: beta1_1=1; using 0.9"),
    ("beta2", "-0.5", "beta2 must be in [0, 1). Received: beta2=-0.5; each model keeps its own"),
    ("epsilon_3", "0", "epsilon_3 must be a finite number > 0. Received: epsilon_3=0; using 1e-08"),
    (
        "batch_size_1",
        "0",
        f"batch_size_1 must be an integer in [1, {MAX_ROWS:,}]{CAP}, or all (the whole "
        "training set). Received: batch_size_1=0; using all",
    ),
    (
        "batch_size",
        str(MAX_ROWS + 1),
        f"batch_size must be an integer in [1, {MAX_ROWS:,}]{CAP}, or all (the whole "
        f"training set). Received: batch_size={MAX_ROWS + 1}; each model keeps its own",
    ),
    ("batch_size_2", "3.5", "batch_size_2 must be an integer in [1, 10,000]"),
    (
        "early_stopping_2",
        "yes",
        "early_stopping_2 must be true or false. Received: early_stopping_2=yes; using false",
    ),
    (
        "validation_fraction",
        "1",
        "validation_fraction must be in (0, 1). Received: validation_fraction=1; each model",
    ),
    (
        "patience_1",
        str(MAX_ITERATIONS + 1),
        f"patience_1 must be an integer in [1, {MAX_ITERATIONS:,}]{CAP}. "
        f"Received: patience_1={MAX_ITERATIONS + 1}; using 10",
    ),
]


@pytest.mark.parametrize(("key", "text", "message"), BAD_VALUES)
def test_a_bad_value_falls_back_with_a_warning_naming_it(key: str, text: str, message: str) -> None:
    state, warnings = parse({key: text})
    assert len(warnings) == 1
    assert warnings[0].startswith(message)
    default, _ = parse({})
    assert state == default  # fell back to the fresh page's value


BAD_DATA = [
    ("n_samples", "3", f"n_samples must be an integer in [4, 10,000]{CAP}. Received: n_samples=3"),
    (
        "n_samples",
        str(MAX_ROWS + 1),
        f"n_samples must be an integer in [4, {MAX_ROWS:,}]{CAP}. "
        f"Received: n_samples={MAX_ROWS + 1}",
    ),
    ("noise", "-0.1", "noise must be in [0, 10]. Received: noise=-0.1; using 0.15"),
    ("noise", "inf", "noise must be in [0, 10]. Received: noise=inf"),
    ("test_fraction", "1", "test_fraction must be in (0, 1). Received: test_fraction=1; using 0.5"),
]


BAD_DATA += [
    (
        "classes",
        "1",
        "classes must be an integer in [2, 50] (reglab's cap). Received: classes=1; using 2",
    ),
    ("classes", "51", "classes must be an integer in [2, 50] (reglab's cap). Received: classes=51"),
]


@pytest.mark.parametrize(("key", "text", "message"), BAD_DATA)
def test_a_bad_generator_value_falls_back_to_the_generators_own(
    key: str, text: str, message: str
) -> None:
    name = "gauss" if key == "classes" else "moons"
    state, warnings = parse({"dataset": name, key: text})
    assert len(warnings) == 1 and warnings[0].startswith(message)
    assert state.data == parse({"dataset": name})[0].data


def test_classes_for_the_generators_that_draw_them() -> None:
    state, warnings = parse({"dataset": "spiral", "classes": "4", "layers": "2,20,3,4"})
    assert warnings == ()
    assert state.data.classes == 4
    assert to_query(state)["classes"] == "4"
    # Two classes is every dataset's default: not written, so older links stay as they were.
    assert "classes" not in to_query(parse({"dataset": "spiral"})[0])
    # Ignored, as n_samples is for a file, by datasets that do not draw classes.
    state, warnings = parse({"dataset": "moons", "classes": "3"})
    assert (warnings, state.data.classes) == ((), 2)
    assert "classes" not in to_query(state)


def test_too_few_examples_for_the_classes_fall_back_to_enough() -> None:
    state, warnings = parse({"dataset": "gauss", "classes": "30", "n_samples": "50"})
    assert warnings == (
        "n_samples must be at least 4 per class with classes=30: >= 120. "
        "Received: n_samples=50; using 400",
    )
    assert (state.data.classes, state.data.n_samples) == (30, 400)
    state, _ = parse({"dataset": "gauss", "classes": "50", "n_samples": "199"})
    assert state.data.n_samples == 400  # the generator's 400 is enough for 50 classes


def test_the_engines_settings_per_model_and_for_all() -> None:
    state, warnings = parse(
        {
            "models": "3",
            "l1": "0.01",  # every model
            "optimizer_1": "adam",
            "beta1_1": "0.8",
            "beta2_1": "0.99",
            "epsilon_1": "1e-6",
            "optimizer_2": "momentum",
            "beta1_2": "0.5",
            "batch_size_2": "32",
            "early_stopping_3": "true",
            "validation_fraction_3": "0.2",
            "patience_3": "4",
            "batch_size_3": "all",
            "iterations": "500",
        }
    )
    assert warnings == ()
    first, second, third = state.models
    assert (first.optimizer, first.beta1, first.beta2, first.epsilon) == ("adam", 0.8, 0.99, 1e-6)
    assert (second.optimizer, second.beta1, second.batch_size) == ("momentum", 0.5, 32)
    assert (third.early_stopping, third.validation_fraction, third.patience) == (True, 0.2, 4)
    assert third.batch_size is None
    assert {model.l1 for model in state.models} == {0.01}
    query = to_query(state)
    assert (query["optimizer_1"], query["epsilon_1"], query["batch_size_2"]) == (
        "adam",
        "1e-06",
        "32",
    )
    assert (query["early_stopping_3"], query["patience_3"]) == ("true", "4")
    assert "batch_size_3" not in query and "beta2_2" not in query  # defaults are left out
    assert parse(query) == (state, ())


UNREAD = [
    (
        {"beta1_1": "0.5"},
        "beta1_1 must be left at its default unless the optimizer is momentum or adam, which "
        "reads it. Received: beta1_1=0.5; using 0.9",
    ),
    (
        {"optimizer_2": "momentum", "beta2_2": "0.9"},
        "beta2_2 must be left at its default unless the optimizer is adam, which reads it. "
        "Received: beta2_2=0.9; using 0.999",
    ),
    (
        {"epsilon_3": "1e-4"},
        "epsilon_3 must be left at its default unless the optimizer is adam, which reads it. "
        "Received: epsilon_3=1e-4; using 1e-08",
    ),
    (
        {"patience_2": "3"},
        "patience_2 must be left at its default unless early stopping is on "
        "(early_stopping_2=true). Received: patience_2=3; using 10",
    ),
    (
        {"validation_fraction": "0.3"},
        "validation_fraction must be left at its default unless early stopping is on "
        "(early_stopping_K=true). Received: validation_fraction=0.3; each model keeps its own",
    ),
    (
        {"beta2": "0.9", "optimizer_1": "momentum"},
        "beta2 must be left at its default unless the optimizer is adam, which reads it. "
        "Received: beta2=0.9; each model keeps its own",
    ),
]


@pytest.mark.parametrize(("query", "message"), UNREAD)
def test_a_setting_the_model_does_not_read_is_ignored_with_a_warning(
    query: dict[str, str], message: str
) -> None:
    state, warnings = parse(query)
    assert warnings == (message,)
    for model in state.models:  # the defaults: the model trains as it would without the key
        assert (model.beta1, model.beta2, model.epsilon) == (0.9, 0.999, 1e-8)
        assert (model.validation_fraction, model.patience) == (0.1, 10)


def test_a_key_for_every_model_sets_those_that_read_it_quietly() -> None:
    state, warnings = parse({"beta1": "0.5", "optimizer_2": "momentum"})
    assert warnings == ()
    assert [model.beta1 for model in state.models] == [0.9, 0.5, 0.9]


# A link of reglab play before the engine's later settings: it must read and be written
# back exactly as it was, key for key (no optimizer_K=gd, batch_size_K=all, ...).
OLD_LINK = {
    "dataset": "moons",
    "n_samples": "300",
    "noise": "0.2",
    "test_fraction": "0.3",
    "data_seed": "4",
    "layers": "2,40,10,1",
    "iterations": "5000",
    "seed": "7",
    "seeds": "10",
    "models": "2",
    "l2_1": "0",
    "keep_prob_1": "0.9",
    "masks_1": "fresh",
    "learning_rate_1": "0.1",
    "init_1": "he",
    "l2_2": "0.3",
    "keep_prob_2": "1",
    "masks_2": "course",
    "learning_rate_2": "0.3",
    "init_2": "course",
    "regions": "probability",
}


def test_an_old_link_round_trips_unchanged() -> None:
    state, warnings = parse(OLD_LINK)
    assert warnings == ()
    assert to_query(state) == OLD_LINK
    assert list(to_query(state)) == list(OLD_LINK)  # in the same order too
    assert all(model.optimizer == "gd" and model.batch_size is None for model in state.models)


def test_a_good_query_sets_each_model() -> None:
    state, warnings = parse(
        {
            "models": "2",
            "keep_prob": "0.9",  # every model
            "l2_2": "0.3",
            "masks_2": "course",
            "learning_rate_1": "0.1",
            "init_1": "he",
            "layers": "2,40,10,1",
            "iterations": "5000",
            "seed": "7",
            "seeds": "10",
        }
    )
    assert warnings == ()
    assert state.seeds == 10
    first, second = state.models
    shared = {"layers": (2, 40, 10, 1), "iterations": 5000, "seed": 7, "record_every": 500}
    assert first == TrainConfig(keep_prob=0.9, learning_rate=0.1, init="he", **shared)
    assert second == TrainConfig(keep_prob=0.9, l2=0.3, masks="course", **shared)


def test_unknown_keys_are_named_and_left_over_models_are_not() -> None:
    state, warnings = parse({"models": "2", "l2_3": "0.1", "lamda": "0.7", "keep": "1"})
    assert len(state.models) == 2
    assert len(warnings) == 1
    assert warnings[0].startswith("unknown parameters keep, lamda ignored; the page reads")


def test_generator_values_are_ignored_for_a_file() -> None:
    state, warnings = parse({"dataset": "football", "n_samples": "300", "noise": "0.3"})
    assert warnings == ()
    assert state.data == DataChoice("football")


def test_record_every_follows_the_cli() -> None:
    assert record_every(30_000) == 1_000
    assert record_every(500) == 50
    assert record_every(3) == 1


def test_fit_layers_takes_the_datas_input_width() -> None:
    assert fit_layers((2, 20, 3, 1), 2) == ((2, 20, 3, 1), None)
    fitted, note = fit_layers((2, 20, 3, 1), 3)
    assert fitted == (3, 20, 3, 1)
    assert note == (
        "layers must start with 3, the data's number of features. "
        "Received: layers=2,20,3,1; using 3,20,3,1"
    )


def test_format_value() -> None:
    assert format_value(0.0) == "0"
    assert format_value(1.0) == "1"
    assert format_value(0.86) == "0.86"
    assert format_value(1e-5) == "1e-05"
    assert format_value((2, 20, 3, 1)) == "2,20,3,1"
    assert format_value("course") == "course"


EXERCISE = tuple(EXERCISE_MODELS.values())


def test_training_work_counts_the_exercise() -> None:
    # 3 models x (2*20 + 20*3 + 3*1) weights x (30,000 iterations x (211 examples + the
    # update) + 31 records (0, 1,000, ..., 29,000 and the final one) x 411 examples)
    per_model = 103 * (30_000 * (211 + 1) + 31 * (211 + 200))
    assert training_work(EXERCISE, 1, 211, 200) == 3 * per_model
    assert training_work(EXERCISE, MAX_SEEDS, 211, 200) <= MAX_WORK


def test_training_work_counts_what_a_mini_batch_passes() -> None:
    full = TrainConfig(iterations=10_000, record_every=1_000)
    batches = TrainConfig(iterations=10_000, record_every=1_000, batch_size=16)
    records = 11 * (900 + 100)  # 0, 1,000, ..., 9,000 and the final one, over all examples
    assert training_work([full], 1, 900, 100) == 103 * (10_000 * 901 + records)
    assert training_work([batches], 1, 900, 100) == 103 * (10_000 * 17 + records)
    # A batch larger than the training set is the training set (the engine's min(b, m)).
    assert training_work([replace(batches, batch_size=5_000)], 1, 900, 100) == training_work(
        [full], 1, 900, 100
    )
    # Models are counted each by its own batch; seeds multiply.
    assert training_work([full, batches], 3, 900, 100) == 3 * (
        training_work([full], 1, 900, 100) + training_work([batches], 1, 900, 100)
    )
    # Records every iteration with batches of one: the records are the work.
    every = TrainConfig(iterations=1_000, record_every=1, batch_size=1, layers=(2, 8, 1))
    assert training_work([every], 1, 900, 100) == 24 * (1_000 * 2 + 1_001 * 1_000)


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
keep = st.floats(min_value=1e-3, max_value=1.0)
model = st.builds(
    dict,
    l2=finite,
    keep_prob=keep,
    masks=st.sampled_from(["fresh", "course"]),
    learning_rate=st.floats(min_value=1e-6, max_value=10.0),
    init=st.sampled_from(["course", "lecun", "he", "xavier"]),
    l1=finite,
    optimizer=st.sampled_from(["gd", "momentum", "adam"]),
    beta1=st.floats(min_value=0, max_value=0.999),
    beta2=st.floats(min_value=0, max_value=0.9999),
    epsilon=st.floats(min_value=1e-12, max_value=1.0),
    batch_size=st.one_of(st.none(), st.integers(1, MAX_ROWS)),
    early_stopping=st.booleans(),
    validation_fraction=st.floats(min_value=0.01, max_value=0.99),
    patience=st.integers(1, MAX_ITERATIONS),
)


def read_settings_only(values: dict[str, object]) -> dict[str, object]:
    """``values`` with the settings its optimizer and early stopping do not read at their
    defaults: a page never holds another value there (a link's is warned about, dropped)."""
    read = settings_read(values)
    return {
        key: DEFAULTS_OMITTED[key] if key in USED_SETTINGS and key not in read else value
        for key, value in values.items()
    }


data = st.one_of(
    st.builds(DataChoice, dataset=st.just("football"), data_seed=st.integers(0, 2**32 - 1)),
    st.builds(
        DataChoice,
        dataset=st.sampled_from(sorted(GENERATORS)),
        n_samples=st.integers(4, MAX_ROWS),
        noise=st.floats(min_value=0, max_value=10),
        test_fraction=st.floats(min_value=0.01, max_value=0.99),
        data_seed=st.integers(0, 2**32 - 1),
    ),
    st.builds(
        DataChoice,
        dataset=st.sampled_from(MULTICLASS_GENERATORS),
        n_samples=st.integers(200, MAX_ROWS),  # 4 per class at 50 classes
        noise=st.floats(min_value=0, max_value=10),
        test_fraction=st.floats(min_value=0.01, max_value=0.99),
        data_seed=st.integers(0, 2**32 - 1),
        classes=st.integers(2, 50),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    data=data,
    models=st.lists(model, min_size=1, max_size=MAX_MODELS),
    hidden=st.lists(st.integers(1, MAX_LAYER_WIDTH), min_size=0, max_size=MAX_HIDDEN_LAYERS),
    iterations=st.integers(1, MAX_ITERATIONS),
    seed=st.integers(0, 2**32 - 1),
    seeds=st.integers(1, MAX_SEEDS),
    regions=st.sampled_from(["class", "probability"]),
)
def test_a_state_survives_its_url(
    data: DataChoice,
    models: list[dict[str, object]],
    hidden: list[int],
    iterations: int,
    seed: int,
    seeds: int,
    regions: str,
) -> None:
    output = 1 if data.classes == 2 else data.classes  # the page fits it to the classes
    shared = {
        "layers": (2, *hidden, output),
        "iterations": iterations,
        "seed": seed,
        "record_every": record_every(iterations),
    }
    configs = tuple(
        TrainConfig(**read_settings_only(m), **shared)  # type: ignore[arg-type]
        for m in models
    )
    state = PlayState(data, configs, seeds, regions)
    back, warnings = parse(to_query(state))
    assert warnings == ()
    assert back == state


ENGINE_KEYS = [*EXTRA_FIELDS, "classes"]


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(ENGINE_KEYS),
    suffix=st.sampled_from(["", "_1", "_3"]),
    text=st.one_of(
        st.text(max_size=12),
        st.sampled_from(["all", "true", "false", "nan", "-inf", "1e400", "0", "-1", "1.5"]),
        st.integers(-(10**30), 10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    ),
    optimizer=st.sampled_from(["gd", "momentum", "adam"]),
    early_stopping=st.sampled_from(["true", "false"]),
)
def test_any_text_in_an_engine_key_gives_a_valid_state(
    field: str, suffix: str, text: str, optimizer: str, early_stopping: str
) -> None:
    key = field if field == "classes" else field + suffix
    query = {"dataset": "spiral", "optimizer": optimizer, "early_stopping": early_stopping}
    if key not in query:
        query[key] = text
    state, warnings = parse(query)
    assert len(warnings) <= 1  # at most the key's own: bad, or not read by its model
    for model in state.models:  # a valid model, whose unread settings are the defaults
        assert TrainConfig.from_dict(model.to_dict()) == model
        read = settings_read({"optimizer": model.optimizer, "early_stopping": model.early_stopping})
        for name in USED_SETTINGS:
            assert name in read or getattr(model, name) == DEFAULTS_OMITTED[name]
    assert parse(to_query(state)) == (state, ())  # and its link reads back without a warning
