"""Train the exercise's three models and print its conclusion table.

The models are the exercise's: no regularization, L2 with lambda = 0.7, and the
course's "dropout" with keep_prob = 0.86 and its fixed masks; layers 2,20,3,1,
learning rate 0.3, 30,000 iterations, trained together in one batched call.
The table gives the cost at iterations 0, 10,000 and 20,000 and the final
train and test accuracy.

With --seeds N, an honest table follows: the same three models with each
seed's own initialization (lecun, the course's distribution drawn from the
seed's generator) and, by default, a fresh dropout mask every iteration,
trained under seeds 0..N-1. It gives the mean, standard deviation, minimum and
maximum of the train and test accuracy and how often each model ranked first on
test accuracy, then one sentence on whether the seeds separate the models.

examples:
  reglab compare --out figures --report report.html
  reglab compare --seeds 10 --report report.html
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from reglab.cli.common import (
    TEXT_WIDTH,
    Subparsers,
    add_caps_arguments,
    add_command,
    add_data_arguments,
    add_json_argument,
    add_output_arguments,
    announce_compilation,
    check_models_cap,
    check_output_options,
    check_run_memory,
    dataset_lines,
    format_table,
    load_data,
    option,
    print_json,
    progress_bar,
    run_seed_study,
    seed_study_lines,
    seeds_option,
    seeds_text,
    status,
    wants_progress,
    with_output_width,
    write_outputs,
)
from reglab.config import DEFAULT_CHUNK_SIZE, MASK_MODES, MaskMode, TrainConfig
from reglab.errors import DataError, ParameterError

if TYPE_CHECKING:
    from reglab.data.dataset import Dataset
    from reglab.experiments.exercise import Comparison
    from reglab.experiments.seeds import SeedStudy

NOTE = (
    "Note: the dropout row uses the course's fixed masks (the same thinned network on every "
    "iteration), and each row is one run with one seed, which cannot rank the three models. "
    "To compare them over several seeds, with seeded initialization and a fresh dropout mask "
    "every iteration:"
)
SEEDS_COMMAND = "reglab compare --seeds 10"
PUBLISHED_TITLE = (
    "The exercise's table: one run per model, the course's initialization, and the dropout "
    "row on the course's fixed masks (the same thinned network on every iteration)."
)
DEFAULT_STUDY_MASKS: MaskMode = "fresh"


def register(subparsers: Subparsers) -> None:
    """Add the ``compare`` command to ``subparsers``."""
    parser = add_command(subparsers, "compare", __doc__, run)
    study = parser.add_argument_group("seed study")
    study.add_argument(
        "--seeds",
        type=seeds_option,
        default=None,
        metavar="N",
        help="after the exercise's table, train the three models under seeds 0..N-1 with "
        "seeded initialization, and print their spread (N >= 2)",
    )
    study.add_argument(
        "--masks",
        type=option("masks"),
        default=None,
        metavar="{" + ",".join(MASK_MODES) + "}",
        help="dropout masks of the seed study's dropout model: fresh (a new mask every "
        "iteration) or course (the exercise's fixed masks; only the initialization varies "
        f"with the seed); needs --seeds (default {DEFAULT_STUDY_MASKS})",
    )
    add_output_arguments(parser)
    add_data_arguments(parser)
    add_caps_arguments(parser)
    add_json_argument(parser)


def check_exercise_input(dataset: Dataset) -> None:
    """Raise :class:`DataError` unless ``dataset`` fits the exercise's input layer."""
    from reglab.experiments.exercise import EXERCISE_MODELS

    n_inputs = next(iter(EXERCISE_MODELS.values())).layers[0]
    if dataset.n_features != n_inputs:
        raise DataError(
            f"compare trains the exercise's models, which take {n_inputs} features. "
            f"Received: dataset {dataset.name!r} with {dataset.n_features} features "
            f"(use `reglab train --layers {dataset.n_features},20,3,1`)"
        )


def fit_models(models: dict[str, TrainConfig], dataset: Dataset) -> dict[str, TrainConfig]:
    """``models`` with the output layer ``dataset``'s classes need: unchanged for two classes,
    ending in C softmax units for C."""
    return {
        name: replace(config, layers=with_output_width(config.layers, dataset))
        for name, config in models.items()
    }


def table_lines(comparison: Comparison) -> list[str]:
    """The conclusion table: model, costs at 0, 10,000, 20,000, accuracies."""
    from reglab.experiments.tables import conclusion_table

    table = conclusion_table(comparison)
    return format_table(table.header, table.rows)


def seed_study_models(masks: MaskMode = DEFAULT_STUDY_MASKS) -> dict[str, TrainConfig]:
    """The exercise's three models for a seed study (:func:`honest_exercise_models`).

    Seeded initialization; the dropout model on ``masks``, named with them, e.g.
    ``"dropout, keep_prob = 0.86 (fresh masks)"``.
    """
    from reglab.experiments.seeds import honest_exercise_models

    models: dict[str, TrainConfig] = {}
    for name, config in honest_exercise_models().items():
        if config.keep_prob < 1:
            models[f"{name} ({masks} masks)"] = replace(config, masks=masks)
        else:
            models[name] = config
    return models


def seed_study_intro(study: SeedStudy, masks: MaskMode) -> str:
    """What the honest table measures, in one paragraph."""
    varies = (
        "a fresh dropout mask every iteration"
        if masks == "fresh"
        else "the course's fixed dropout masks (only the initialization varies with the seed)"
    )
    return (
        f"The same three models under {len(study.seeds)} seeds ({seeds_text(study.seeds)}), "
        "each seed initializing the weights (lecun: the course's distribution from the seed's "
        f"generator), with {varies}. Accuracies as fractions; wins: seeds on which the model "
        "ranked first on test accuracy (ties split)."
    )


def run(args: argparse.Namespace) -> int:
    """Load the data, train the three models, print the table (or JSON), write the outputs.

    The exercise's table is printed before the seed study starts and before any
    file is written, so a failure later never loses it.
    """
    from reglab.experiments.exercise import EXERCISE_MODELS, compare

    check_output_options(args)
    if args.masks is not None and args.seeds is None:
        raise ParameterError(
            "masks",
            "given with --seeds N (it sets the seed study's dropout masks; "
            "the exercise's table always uses the course's)",
            args.masks,
        )
    masks: MaskMode = args.masks or DEFAULT_STUDY_MASKS
    if args.seeds is not None:
        check_models_cap(args.seeds, len(EXERCISE_MODELS), 0, args.yes)
    dataset = load_data(args)
    check_exercise_input(dataset)
    exercise = next(iter(EXERCISE_MODELS.values()))
    largest_call = len(EXERCISE_MODELS) * (1 if args.seeds is None else args.seeds)
    check_run_memory(
        exercise.layers,
        min(largest_call, DEFAULT_CHUNK_SIZE),
        dataset,
        exercise.iterations,
        exercise.record_every,
        evaluation=args.seeds is not None,
    )
    if args.json:
        status(f"dataset {dataset.name}: {dataset.source}")
    enabled = wants_progress(args.json, sys.stderr)
    iterations = next(iter(EXERCISE_MODELS.values())).iterations
    description = f"compare ({len(EXERCISE_MODELS)} models)"
    announce_compilation()
    with progress_bar(enabled, description, iterations) as progress:
        comparison = compare(dataset, fit_models(EXERCISE_MODELS, dataset), progress=progress)
    if not args.json:
        if args.seeds is None:
            ending = ["", textwrap.fill(NOTE, TEXT_WIDTH), f"    {SEEDS_COMMAND}"]
            print("\n".join([*dataset_lines(dataset), "", *table_lines(comparison), *ending]))
        else:
            title = textwrap.wrap(PUBLISHED_TITLE, TEXT_WIDTH)
            print("\n".join([*dataset_lines(dataset), "", *title, *table_lines(comparison)]))
        sys.stdout.flush()
    study = None
    if args.seeds is not None:
        seeds = tuple(range(args.seeds))
        models = fit_models(seed_study_models(masks), dataset)
        study = run_seed_study(dataset, models, seeds, show_progress=enabled)
        if not args.json:
            intro = seed_study_intro(study, masks)
            print("\n".join(["", *seed_study_lines(intro, study)]))
            sys.stdout.flush()
    if args.json:
        document = comparison.to_dict()
        if study is not None:
            document["seed_study"] = study.nested_dict()
        print_json(document)
        sys.stdout.flush()
    spread = study.rows() if study is not None else None
    verdict = study.verdict().text if study is not None else None
    write_outputs(args, comparison, mask_quirk=True, seed_spread=spread, seed_verdict=verdict)
    return 0
