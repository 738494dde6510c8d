"""The playground's URL state: parsing, warnings for bad values, caps, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reglab.config import TrainConfig
from reglab.constraints import OUTPUT_RULE
from reglab.data.generators import GENERATORS
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
    DataChoice,
    PlayState,
    fit_layers,
    format_value,
    generator_defaults,
    parse_query,
    record_every,
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


@pytest.mark.parametrize(("key", "text", "message"), BAD_DATA)
def test_a_bad_generator_value_falls_back_to_the_generators_own(
    key: str, text: str, message: str
) -> None:
    state, warnings = parse({"dataset": "moons", key: text})
    assert len(warnings) == 1 and warnings[0].startswith(message)
    assert getattr(state.data, key) == generator_defaults("moons")[key]


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


def test_training_work_counts_the_exercise() -> None:
    # 3 models x 30,000 iterations x 211 examples x (2*20 + 20*3 + 3*1) weights
    assert training_work(3, 1, 30_000, 211, (2, 20, 3, 1)) == 3 * 30_000 * 211 * 103
    assert training_work(3, MAX_SEEDS, 30_000, 211, (2, 20, 3, 1)) <= MAX_WORK


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
keep = st.floats(min_value=1e-3, max_value=1.0)
model = st.builds(
    dict,
    l2=finite,
    keep_prob=keep,
    masks=st.sampled_from(["fresh", "course"]),
    learning_rate=st.floats(min_value=1e-6, max_value=10.0),
    init=st.sampled_from(["course", "lecun", "he", "xavier"]),
)
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
    shared = {
        "layers": (2, *hidden, 1),
        "iterations": iterations,
        "seed": seed,
        "record_every": record_every(iterations),
    }
    configs = tuple(TrainConfig(**m, **shared) for m in models)  # type: ignore[arg-type]
    state = PlayState(data, configs, seeds, regions)
    back, warnings = parse(to_query(state))
    assert warnings == ()
    assert back == state
