"""The playground's whole state as a URL query string: parse, validate, serialize.

Pure functions, no Streamlit: the page and its tests share them. The keys are the
command line's option names (``--keep-prob`` is ``keep_prob``):

- data: ``dataset`` (``football``, a generator's name, ``file`` for ``reglab play
  --data PATH``, ``upload``), and for a generator ``n_samples``, ``noise``,
  ``test_fraction``, ``data_seed``, and ``classes`` for those that draw more than two
  (:data:`~reglab.data.generators.MULTICLASS_GENERATORS`);
- shared by the models (they train in one batch): ``layers`` (``2,20,3,1``),
  ``iterations``, ``seed`` (seed studies use ``seed`` .. ``seed + seeds - 1``), ``seeds``;
- ``models`` (1 to :data:`~reglab.play.caps.MAX_MODELS`) and per model ``l2_K``,
  ``keep_prob_K``, ``masks_K``, ``learning_rate_K``, ``init_K`` for K = 1, 2, ...,
  and the engine's later settings (:data:`EXTRA_FIELDS`): ``l1_K``, ``optimizer_K``
  (``gd``, ``momentum``, ``adam``) with ``beta1_K``, ``beta2_K``, ``epsilon_K``,
  ``batch_size_K`` (``all`` is full batch), ``early_stopping_K`` (``true`` or
  ``false``) with ``validation_fraction_K`` and ``patience_K``.
  A key without its suffix (``keep_prob=0.5``) sets every model;
- the view: ``regions`` (``class`` or ``probability``).

Every value is checked by its rule in :data:`reglab.play.caps.RULES`: reglab's own
(the command line's words), with the playground's caps. A bad value never fails the
page: it falls back to the default and yields a warning in reglab's template, naming
the key as written in the URL:
``keep_prob_3 must be in (0, 1]. Received: keep_prob_3=7; using 0.86``.
The page's widgets go through the same :func:`parse_query`, so a widget and a link
cannot accept different things.

A setting the model does not read (``beta2_1`` when model 1's optimizer is ``gd``,
``patience_2`` without early stopping) is a link's mistake, as it is the command
line's: it is ignored with a warning in :func:`reglab.config.check_settings_used`'s
words and the model keeps the default. A key without suffix that some model reads
is not a mistake (it sets the models that read it, as a grid search does); it is
warned about only when no model reads it.

:func:`to_query` writes the first settings (the exercise's) in full, and the later ones
only away from their defaults (as :meth:`TrainConfig.to_dict` does): a link made before
them reads, and is written back, exactly as it was.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from reglab.config import (
    DEFAULTS_OMITTED,
    USED_ONLY_BY_EARLY_STOPPING,
    USED_ONLY_BY_OPTIMIZERS,
    USED_SETTINGS,
    TrainConfig,
    check_settings_used,
)
from reglab.data.generators import GENERATORS, MULTICLASS_GENERATORS
from reglab.errors import ParameterError
from reglab.experiments.exercise import EXERCISE_MODELS
from reglab.play.caps import MAX_MODELS, RULES

EXERCISE_DATASET = "football"
FILE_DATASET = "file"
"""The file given to ``reglab play --data PATH``."""
UPLOAD_DATASET = "upload"
"""A CSV uploaded on the page (never in a link: the file is not in the URL)."""

EXERCISE_FIELDS: tuple[str, ...] = ("l2", "keep_prob", "masks", "learning_rate", "init")
"""The exercise's knobs of each model: always written in a link."""
EXTRA_FIELDS: tuple[str, ...] = tuple(DEFAULTS_OMITTED)
"""The engine's later knobs of each model (L1, the update rule, mini-batches, early
stopping): written in a link only away from their defaults."""
MODEL_FIELDS: tuple[str, ...] = (*EXERCISE_FIELDS, *EXTRA_FIELDS)
"""What each model sets on its own; ``layers``, ``iterations`` and ``seed`` are shared."""
SHARED_FIELDS: tuple[str, ...] = ("layers", "iterations", "seed", "seeds", "models")
VIEW_FIELDS: tuple[str, ...] = ("regions",)
"""How the page draws, not what it trains."""
REGION_VIEWS: tuple[str, ...] = ("class", "probability")
"""``regions``: each model's predicted class, or its probability of class 1 as a heatmap."""
DATA_FIELDS: tuple[str, ...] = (
    "dataset",
    "n_samples",
    "noise",
    "test_fraction",
    "data_seed",
    "classes",
)
TWO_CLASSES = 2
"""``classes`` of a fresh page, and of every dataset that does not draw more."""

DEFAULT_MODELS: tuple[TrainConfig, ...] = tuple(EXERCISE_MODELS.values())
"""The page opens on the exercise's three models."""
ADDED_MODEL = TrainConfig()
"""A model added past the exercise's three starts without regularization."""


def record_every(iterations: int) -> int:
    """About ten recorded points, at most 1,000 iterations apart (as ``reglab train``)."""
    return min(TrainConfig().record_every, max(1, iterations // 10))


@dataclass(frozen=True)
class DataChoice:
    """Which data the page trains on.

    Attributes:
        dataset: ``"football"``, a generator's name, ``"file"`` or ``"upload"``.
        n_samples: a generator's number of examples (None for files).
        noise: a generator's noise (None for files).
        test_fraction: share held out for testing: a generator's, or an uploaded
            CSV's without a split column (None: the data's own).
        data_seed: seeds the generator, or the random split of a CSV.
        classes: the classes a generator of :data:`MULTICLASS_GENERATORS` draws
            (2 for every other dataset: files say their own).
    """

    dataset: str = EXERCISE_DATASET
    n_samples: int | None = None
    noise: float | None = None
    test_fraction: float | None = None
    data_seed: int = 0
    classes: int = TWO_CLASSES


@dataclass(frozen=True)
class PlayState:
    """Everything the page shows, and nothing else: what a link must carry.

    Attributes:
        data: the data.
        models: 1 to 4 configurations sharing ``layers``, ``iterations``, ``seed``
            and ``record_every`` (one batched training call).
        seeds: 1 (a single run) or the size of the seed study, seeds ``seed`` onwards.
        regions: how the boundaries are drawn, one of :data:`REGION_VIEWS`.
    """

    data: DataChoice = DataChoice()
    models: tuple[TrainConfig, ...] = DEFAULT_MODELS
    seeds: int = 1
    regions: str = REGION_VIEWS[0]

    @property
    def shared(self) -> TrainConfig:
        """The first model, whose ``layers``, ``iterations`` and ``seed`` all share."""
        return self.models[0]


@dataclass(frozen=True)
class ParsedState:
    """A state read from a query, and a warning for each value that fell back."""

    state: PlayState
    warnings: tuple[str, ...]


def generator_defaults(name: str) -> dict[str, Any]:
    """A generator's own ``n_samples``, ``noise`` and ``test_fraction`` defaults."""
    parameters = inspect.signature(GENERATORS[name]).parameters
    return {key: parameters[key].default for key in ("n_samples", "noise", "test_fraction")}


def default_model(index: int) -> TrainConfig:
    """Model ``index`` (from 0) of a fresh page: the exercise's, then no regularization."""
    return DEFAULT_MODELS[index] if index < len(DEFAULT_MODELS) else ADDED_MODEL


def format_value(value: object) -> str:
    """A value as the URL writes it: ``0.7``, ``30000``, ``2,20,3,1``, ``course``, ``true``,
    ``all`` (None: a full batch)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "all"
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def check_value(field: str, text: str) -> Any:
    """``text`` as a value of ``field``, read and checked by its rule in :data:`RULES`.

    Raises:
        ParameterError: in the rule's words (the command line's, with the page's caps).
    """
    rule = RULES[field]
    return rule.check(field, rule.parse(text))


class _EachKeepsItsOwn:
    """The fallback of a key without a model suffix: it only overrides the models' values."""


EACH_KEEPS_ITS_OWN: Any = _EachKeepsItsOwn()
"""The fallback of a key for every model (``keep_prob=7``): no value of its own (None
is a value: ``batch_size``'s full batch)."""


def warning_text(key: str, error: ParameterError, received: str, fallback: object) -> str:
    """``keep_prob must be in (0, 1]. Received: keep_prob=7; using 0.86``, naming the URL's key.

    A ``fallback`` of :data:`EACH_KEEPS_ITS_OWN` (a key without a model suffix, which only
    overrides the models' own values) reads "each model keeps its own".
    """
    using = (
        "each model keeps its own"
        if fallback is EACH_KEEPS_ITS_OWN
        else f"using {format_value(fallback)}"
    )
    return f"{key} must be {error.expected}. Received: {key}={received}; {using}"


class _Reader:
    """Reads keys from a query, collecting a warning for each one that falls back."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self.query = {key: str(value) for key, value in query.items()}
        self.used: set[str] = set()
        self.warnings: list[str] = []

    def read(self, key: str, fallback: Any, check: Callable[[str], Any]) -> Any:
        """``check(text)`` of the key's text, or ``fallback`` (absent, or rejected: warned)."""
        self.used.add(key)
        text = self.query.get(key)
        if text is None:
            return fallback
        text = text.strip()
        try:
            return check(text)
        except ParameterError as error:
            self.warnings.append(warning_text(key, error, text, fallback))
            return fallback


def _read_data(reader: _Reader, datasets: Sequence[str], default_dataset: str) -> DataChoice:
    def dataset_name(text: str) -> str:
        if text not in datasets:
            raise ParameterError("dataset", f"one of {', '.join(datasets)}", text)
        return text

    name: str = reader.read("dataset", default_dataset, dataset_name)
    data_seed: int = reader.read("data_seed", 0, partial(check_value, "data_seed"))
    if name not in GENERATORS:
        for key in ("n_samples", "noise", "test_fraction", "classes"):
            reader.used.add(key)  # meaningful for generators only: ignored, not warned
        return DataChoice(dataset=name, data_seed=data_seed)
    defaults = generator_defaults(name)
    n_samples: int = reader.read(
        "n_samples",
        defaults["n_samples"],
        partial(check_value, "n_samples"),
    )
    noise: float = reader.read(
        "noise",
        defaults["noise"],
        partial(check_value, "noise"),
    )
    test_fraction: float = reader.read(
        "test_fraction",
        defaults["test_fraction"],
        partial(check_value, "test_fraction"),
    )
    classes: int = TWO_CLASSES
    if name in MULTICLASS_GENERATORS:
        classes = reader.read("classes", TWO_CLASSES, partial(check_value, "classes"))
        least = 4 * classes  # the generator's own rule: 4 examples per class
        if classes > TWO_CLASSES and n_samples < least:
            error = ParameterError(
                "n_samples", f"at least 4 per class with classes={classes}: >= {least}", n_samples
            )
            fallback = max(defaults["n_samples"], least)
            reader.warnings.append(warning_text("n_samples", error, str(n_samples), fallback))
            n_samples = fallback
    else:
        reader.used.add("classes")  # meaningful for some generators only: ignored, not warned
    return DataChoice(name, n_samples, float(noise), float(test_fraction), data_seed, classes)


def parse_query(
    query: Mapping[str, str],
    *,
    datasets: Sequence[str],
    default_dataset: str = EXERCISE_DATASET,
) -> ParsedState:
    """The page state a query describes; every bad value falls back with a warning.

    Args:
        query: key -> text, e.g. ``st.query_params.to_dict()``; absent keys take
            the fresh page's values (the exercise's three models).
        datasets: the values ``dataset`` may take on this page.
        default_dataset: the dataset when the query names none.

    Returns:
        A valid state (whatever the query holds) and the warnings, in key order.
    """
    reader = _Reader(query)
    data = _read_data(reader, datasets, default_dataset)
    n_models: int = reader.read(
        "models",
        len(DEFAULT_MODELS),
        partial(check_value, "models"),
    )
    seeds: int = reader.read("seeds", 1, partial(check_value, "seeds"))

    def region_view(text: str) -> str:
        if text not in REGION_VIEWS:
            raise ParameterError("regions", f"one of {', '.join(REGION_VIEWS)}", text)
        return text

    regions: str = reader.read("regions", REGION_VIEWS[0], region_view)
    base = DEFAULT_MODELS[0]
    shared = {
        field: reader.read(field, getattr(base, field), partial(check_value, field))
        for field in ("layers", "iterations", "seed")
    }
    if data.dataset in GENERATORS:
        # The output its generator's classes need, as the page's classes widget sets it:
        # silently for a link without layers, with a warning for a link's own layers.
        layers = shared["layers"]
        shared["layers"], note = fit_layers(layers, layers[0], data.classes)
        if note is not None and "layers" in reader.query:
            reader.warnings.append(note)
    for_all = {
        field: reader.read(field, EACH_KEEPS_ITS_OWN, partial(check_value, field))
        for field in MODEL_FIELDS
    }
    models = []
    read_by_some: set[str] = set()
    for index in range(n_models):
        values = {field: getattr(default_model(index), field) for field in MODEL_FIELDS}
        values.update(
            {field: value for field, value in for_all.items() if value is not EACH_KEEPS_ITS_OWN}
        )
        given: set[str] = set()
        for field in MODEL_FIELDS:
            key = f"{field}_{index + 1}"
            warned = len(reader.warnings)
            values[field] = reader.read(key, values[field], partial(check_value, field))
            if key in reader.query and len(reader.warnings) == warned:
                given.add(field)  # the key's own value, not a fallback
        read_by_some.update(settings_read(values))
        _ignore_unread(reader, values, index + 1, given)
        models.append(
            TrainConfig(**values, **shared, record_every=record_every(shared["iterations"]))
        )
    for field in USED_SETTINGS:  # a key for every model that no model reads
        value = for_all[field]
        if value is EACH_KEEPS_ITS_OWN or value == DEFAULTS_OMITTED[field] or field in read_by_some:
            continue  # absent, bad (warned), the default, or read by some model
        error = _unread_error(field, value, "_K")
        text = reader.query[field].strip()
        reader.warnings.append(warning_text(field, error, text, EACH_KEEPS_ITS_OWN))
    for index in range(n_models, MAX_MODELS):  # models removed: their keys are left over
        reader.used.update(f"{field}_{index + 1}" for field in MODEL_FIELDS)
    unknown = sorted(set(reader.query) - reader.used)
    if unknown:
        known = ", ".join(
            [*DATA_FIELDS, *SHARED_FIELDS, *(f"{f}[_K]" for f in MODEL_FIELDS), *VIEW_FIELDS]
        )
        reader.warnings.append(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"ignored; the page reads {known}"
        )
    state = PlayState(data, tuple(models), seeds, regions)
    return ParsedState(state, tuple(reader.warnings))


def settings_read(values: Mapping[str, Any]) -> set[str]:
    """The settings of :data:`~reglab.config.USED_SETTINGS` that a model of ``values``
    (with its ``optimizer`` and ``early_stopping``) reads."""
    optimizer = values["optimizer"]
    read = {name for name, users in USED_ONLY_BY_OPTIMIZERS.items() if optimizer in users}
    if values["early_stopping"]:
        read.update(USED_ONLY_BY_EARLY_STOPPING)
    return read


def _unread_error(field: str, value: object, suffix: str) -> ParameterError:
    """:func:`check_settings_used`'s error for ``field`` at ``value`` where nothing reads it,
    its command-line flag written as the page's key (``early_stopping_2=true``)."""
    values = {name: DEFAULTS_OMITTED[name] for name in USED_SETTINGS}
    values[field] = value
    try:
        check_settings_used(values, DEFAULTS_OMITTED, ("gd",), early_stopping=False)
    except ParameterError as error:
        expected = error.expected.replace("--early-stopping", f"early_stopping{suffix}=true")
        return ParameterError(error.parameter, expected, error.received)
    raise AssertionError(f"{field}={value!r} is read by plain gradient descent")  # pragma: no cover


def _ignore_unread(reader: _Reader, values: dict[str, Any], suffix: int, given: set[str]) -> None:
    """Put back at its default each setting model ``suffix``'s optimizer or early stopping
    does not read; warn about those its own keys (``beta2_1``) gave."""
    read = settings_read(values)
    for field in USED_SETTINGS:
        default = DEFAULTS_OMITTED[field]
        if field in read or values[field] == default:
            continue
        if field in given:
            key = f"{field}_{suffix}"
            error = _unread_error(field, values[field], f"_{suffix}")
            reader.warnings.append(warning_text(key, error, reader.query[key].strip(), default))
        values[field] = default


def to_query(state: PlayState) -> dict[str, str]:
    """The query that :func:`parse_query` reads back as ``state``: every key, written out.

    The exercise's keys are written in full (not only what differs from a fresh page)
    so a link means the same thing to a later reglab whose defaults changed; the later
    settings (:data:`EXTRA_FIELDS`, ``classes``) only away from their defaults, as
    :meth:`TrainConfig.to_dict` writes them, so a link made before them is written back
    exactly as it was.
    """
    data = state.data
    query = {"dataset": data.dataset}
    if data.dataset in GENERATORS:
        query["n_samples"] = format_value(data.n_samples)
        query["noise"] = format_value(data.noise)
        query["test_fraction"] = format_value(data.test_fraction)
    query["data_seed"] = format_value(data.data_seed)
    if data.classes != TWO_CLASSES:
        query["classes"] = format_value(data.classes)
    shared = state.shared
    query["layers"] = format_value(shared.layers)
    query["iterations"] = format_value(shared.iterations)
    query["seed"] = format_value(shared.seed)
    query["seeds"] = format_value(state.seeds)
    query["models"] = format_value(len(state.models))
    for index, config in enumerate(state.models):
        for field in EXERCISE_FIELDS:
            query[f"{field}_{index + 1}"] = format_value(getattr(config, field))
        for field in EXTRA_FIELDS:
            value = getattr(config, field)
            if value != DEFAULTS_OMITTED[field]:
                query[f"{field}_{index + 1}"] = format_value(value)
    query["regions"] = state.regions
    return query


def training_query(state: PlayState) -> dict[str, str]:
    """:func:`to_query` without the view keys: what decides the trained models."""
    return {key: value for key, value in to_query(state).items() if key not in VIEW_FIELDS}


def fit_layers(
    layers: tuple[int, ...], n_features: int, n_classes: int = 2
) -> tuple[tuple[int, ...], str | None]:
    """``layers`` with the data's input width and the output its classes need (1 for two, C
    for C), and a note when they had to change.

    A link made for 2-feature data, opened on a file with 3 features, keeps its
    hidden layers and takes the file's input layer; likewise the output layer.
    """
    output = 1 if n_classes == 2 else n_classes
    if layers[0] == n_features and layers[-1] == output:
        return layers, None
    fitted = (n_features, *layers[1:-1], output)
    if layers[0] != n_features:
        rule = f"start with {n_features}, the data's number of features"
    else:
        rule = f"end with {output} for the data's {n_classes} classes"
    note = (
        f"layers must {rule}. Received: layers={format_value(layers)}; using {format_value(fitted)}"
    )
    return fitted, note


def with_layers(state: PlayState, layers: tuple[int, ...]) -> PlayState:
    """``state`` with every model on ``layers``."""
    return replace(state, models=tuple(replace(model, layers=layers) for model in state.models))
