"""Train one configuration, with every knob, and print its cost and accuracies.

Prints the configuration, the recorded cost every 10,000 iterations (for
shorter runs, up to 10 of the recorded values), and the final train and test
accuracy. Defaults are the exercise's: learning rate 0.3, 30,000 iterations,
the course's initialization, no regularization.

With --save FILE, the trained model (the run at --seed) is written to FILE, for
`reglab predict` and `reglab export`, or `reglab.load_model` in Python.

With --seeds N, the configuration also trains under seeds S..S+N-1, where S is
--seed: the mean, standard deviation, minimum and maximum of the train and
test accuracy follow. The seed sets the initialization (not with --init
course) and the fresh dropout masks (not with --masks course).

examples:
  reglab train --l2 0.7 --out figures --report report.html
  reglab train --l1 0.1 --l2 0.3
  reglab train --keep-prob 0.86 --init lecun --seeds 10 --seed 100
  reglab train --dataset moons --test-fraction 0.2 --iterations 5000
  reglab train --l2 0.7 --save l2.safetensors
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reglab.cli.common import (
    Subparsers,
    add_caps_arguments,
    add_command,
    add_data_arguments,
    add_json_argument,
    add_model_arguments,
    add_optimizer_arguments,
    add_output_arguments,
    announce_compilation,
    check_input_layer,
    check_models_cap,
    check_not_an_input,
    check_output_file,
    check_output_layer,
    check_output_options,
    check_run_memory,
    dataset_lines,
    format_table,
    in_out_directory,
    load_data,
    model_config,
    option,
    output_width,
    path_option,
    print_json,
    progress_bar,
    run_seed_study,
    seed_study_lines,
    seeds_option,
    seeds_text,
    status,
    wants_progress,
    write_outputs,
)
from reglab.config import (
    DEFAULT_CHUNK_SIZE,
    MAX_ITERATIONS,
    TrainConfig,
)

if TYPE_CHECKING:
    from reglab.experiments.exercise import Comparison

HIDDEN_LAYERS = (20, 3)
"""The exercise's hidden layers, used when --layers is not given."""

COST_EVERY = 10_000
MAX_SHORT_ROWS = 10


def register(subparsers: Subparsers) -> None:
    """Add the ``train`` command to ``subparsers``."""
    parser = add_command(subparsers, "train", __doc__, run)
    defaults = TrainConfig()
    model = add_model_arguments(
        parser,
        seed_help="seed of the model's generator (fresh masks, non-course init), >= 0; with "
        f"--seeds N, the first of the seeds S..S+N-1 (default {defaults.seed})",
    )
    model.add_argument(
        "--seeds",
        type=seeds_option,
        default=None,
        metavar="N",
        help="also train the configuration under N seeds (--seed, --seed + 1, ...) and "
        "print the spread of its accuracies (N >= 2)",
    )
    optimizer = parser.add_argument_group("optimizer")
    optimizer.add_argument(
        "--learning-rate",
        type=option("learning_rate"),
        default=defaults.learning_rate,
        metavar="RATE",
        help=f"step size > 0 (default {defaults.learning_rate})",
    )
    add_optimizer_arguments(optimizer)
    optimizer.add_argument(
        "--iterations",
        type=option("iterations"),
        default=defaults.iterations,
        metavar="N",
        help=f"updates, 1 to {MAX_ITERATIONS:,}: full-batch, or one per mini-batch with "
        f"--batch-size (default {defaults.iterations})",
    )
    optimizer.add_argument(
        "--record-every",
        type=option("record_every"),
        default=None,
        metavar="N",
        help="record cost and accuracies every N iterations (default "
        f"min({defaults.record_every}, max(1, iterations // 10)): about ten points for a "
        f"short run, every {defaults.record_every:,} for a long one)",
    )
    outputs = add_output_arguments(parser)
    outputs.add_argument(
        "--save",
        metavar="FILE",
        type=path_option("save"),
        help="write the trained model to FILE (a safetensors model file, docs/model-file.md): "
        "with --seeds, the run at --seed; in a directory that exists or in --out DIR",
    )
    add_data_arguments(parser)
    add_caps_arguments(parser)
    add_json_argument(parser)


def default_record_every(iterations: int) -> int:
    """The recording period when --record-every is not given: about ten points, at most 1,000
    iterations apart (the library's :class:`TrainConfig` default)."""
    return min(TrainConfig().record_every, max(1, iterations // 10))


def config_line(config: TrainConfig) -> str:
    """``layers=2,20,3,1 learning_rate=0.3 ...``: every field, as the options spell values."""
    values = config.to_dict()
    values["layers"] = ",".join(str(n) for n in config.layers)
    return " ".join(f"{key}={value}" for key, value in values.items())


def displayed_records(
    recorded: Sequence[int], every: int = COST_EVERY, max_rows: int = MAX_SHORT_ROWS
) -> list[int]:
    """Indices of the recorded iterations whose cost is printed.

    Those at multiples of ``every``; when fewer than two are, at most
    ``max_rows`` evenly spaced records (all of them if there are no more).
    """
    on_grid = [r for r, iteration in enumerate(recorded) if iteration % every == 0]
    if len(on_grid) >= 2:
        return on_grid
    stride = -(-len(recorded) // max_rows)
    return list(range(0, len(recorded), stride))


def result_lines(comparison: Comparison) -> list[str]:
    """The model, its configuration, the cost table and the final accuracies."""
    from reglab.experiments.tables import format_accuracy

    config = comparison.result.configs[0]
    history = comparison.result.history
    stop = comparison.result.stopped_at[0]
    recorded = [int(i) for i in history.iterations if stop is None or i <= stop]
    validation = history.validation_cost if config.early_stopping else None
    rows = [
        [str(recorded[r]), repr(float(history.cost[0, r]))]
        + ([repr(float(validation[0, r]))] if validation is not None else [])
        for r in displayed_records(recorded)
    ]
    dataset = comparison.dataset
    train_accuracy = float(comparison.result.train_accuracy[0])
    m = dataset.X_train.shape[1]
    trained_on = config.examples_trained_on(m)
    lines = [
        f"model:   {comparison.names[0]}",
        f"config:  {config_line(config)}",
        "",
        *format_table(
            ["iteration", "cost", *(["validation cost"] if validation is not None else [])], rows
        ),
        "",
    ]
    if config.early_stopping:
        best = comparison.result.best_iteration[0]
        lines.append(
            "early stopping: "
            + (f"stopped at iteration {stop}" if stop is not None else "ran all iterations")
            + "; returned the parameters of "
            + ("the last iteration" if best == config.iterations else f"iteration {best}")
            + f" (lowest validation cost; {m - trained_on} examples held out)"
        )
    lines += [
        f"train accuracy: {format_accuracy(train_accuracy, trained_on)}",
    ]
    if comparison.result.test_accuracy is not None:
        test_accuracy = float(comparison.result.test_accuracy[0])
        lines.append(f"test accuracy:  {format_accuracy(test_accuracy, dataset.X_test.shape[1])}")
    return lines


def without_wins(row: dict[str, Any]) -> dict[str, Any]:
    """A seed-study row without its win counts: a single model ranks first on every seed."""
    return {key: value for key, value in row.items() if key not in ("wins", "win_share")}


def uses_course_dropout(config: TrainConfig) -> bool:
    """True for dropout on the course's fixed masks: the mask-quirk figure applies."""
    return config.masks == "course" and config.keep_prob < 1


def save_trained(path: Path, comparison: Comparison, out: Path | None) -> None:
    """Write the comparison's first model, with its data's sha256, to ``path`` (in the
    ``--out`` directory ``out``, created first, when it is there)."""
    from reglab.models import SavedModel, save_model

    if in_out_directory(path, out):
        path.parent.mkdir(parents=True, exist_ok=True)
    model = SavedModel.from_trained(comparison.result, 0, data_sha256=comparison.dataset.sha256)
    status(f"wrote {save_model(path, model)}")


def run(args: argparse.Namespace) -> int:
    """Load the data, train the configuration the options describe, print the result.

    With --seeds, the single run (seed --seed) is printed before the seed study
    starts, and everything is printed before any file is written.
    """
    from reglab.engine.optimizers import ADAM_USUAL_LEARNING_RATE
    from reglab.experiments.exercise import compare
    from reglab.experiments.names import model_name
    from reglab.experiments.seeds import finished_runs

    check_output_options(args)
    if args.save is not None:
        check_output_file("save", args.save, args.out)
        check_not_an_input("save", args.save, {"data": args.data, "report": args.report})
    if args.report is not None:
        check_not_an_input("report", args.report, {"data": args.data})
    if args.seeds is not None:
        check_models_cap(args.seeds, 1, args.seed, args.yes)
    dataset = load_data(args)
    layers: tuple[int, ...] = (
        args.layers
        if args.layers is not None
        else (dataset.n_features, *HIDDEN_LAYERS, output_width(dataset))
    )
    check_input_layer(layers, dataset)
    check_output_layer(layers, dataset)
    record_every: int = (
        args.record_every
        if args.record_every is not None
        else default_record_every(args.iterations)
    )
    config = model_config(
        args,
        layers,
        learning_rate=args.learning_rate,
        iterations=args.iterations,
        record_every=record_every,
    )
    largest_call = 1 if args.seeds is None else min(args.seeds, DEFAULT_CHUNK_SIZE)
    check_run_memory(
        layers,
        largest_call,
        dataset,
        config.iterations,
        config.record_every,
        evaluation=args.seeds is not None,
        batch_sizes=(config.batch_size,),
        early_stopping=config.early_stopping,
    )
    if config.masks == "course" and config.keep_prob == 1:
        status(
            "note: --masks course has no effect without dropout (--keep-prob 1); "
            "give --keep-prob below 1 to train on the course's fixed masks"
        )
    if config.optimizer == "adam" and config.learning_rate > ADAM_USUAL_LEARNING_RATE:
        status(
            f"note: Adam is usually run at --learning-rate 0.001 to "
            f"{ADAM_USUAL_LEARNING_RATE:g} (it moves each parameter by about the rate per "
            f"update); {config.learning_rate:g} is a rate for gradient descent"
        )
    if args.json:
        status(f"dataset {dataset.name}: {dataset.source}")
    name = model_name(config)
    enabled = wants_progress(args.json, sys.stderr)
    announce_compilation()
    with progress_bar(enabled, "train", config.iterations) as progress:
        comparison = compare(dataset, {name: config}, progress=progress)
    if not args.json:
        print("\n".join([*dataset_lines(dataset), *result_lines(comparison)]))
        sys.stdout.flush()
    study = None
    spread = None
    if args.seeds is not None:
        seeds = tuple(range(config.seed, config.seed + args.seeds))
        # The single run above is seed S of the study: reused, not trained again.
        reused = finished_runs([name], comparison.result, dataset)
        study = run_seed_study(
            dataset, {name: config}, seeds, show_progress=enabled, finished=reused
        )
        spread = [without_wins(row) for row in study.rows()]
        if not args.json:
            intro = (
                f"The same configuration under {len(seeds)} seeds ({seeds_text(seeds)}); "
                "accuracies as fractions:"
            )
            print("\n".join(["", *seed_study_lines(intro, study, spread)]))
            sys.stdout.flush()
    if args.json:
        document = comparison.to_dict()
        if study is not None:
            document["seed_study"] = study.nested_dict()
        print_json(document)
        sys.stdout.flush()
    if args.save is not None:
        save_trained(args.save, comparison, args.out)
    write_outputs(
        args,
        comparison,
        mask_quirk=uses_course_dropout(config),
        seed_spread=spread,
        seed_verdict=study.verdict().text if study is not None else None,
    )
    return 0
