"""Check the engine's gradient: backpropagation against central differences of its cost.

As the course's gradient-checking exercise: at the model's initial parameters, every
weight and bias is nudged by +-epsilon (1e-7) in turn, the cost (mean cross-entropy
plus the L2 term, on the dropped-out pass with the masks held fixed) is evaluated at
both points, and the relative difference ||g - g~|| / (||g|| + ||g~||) between the
backpropagated gradient g and the approximation g~ is printed overall and per
parameter array. It passes under 1e-7. Exit code 0 when it passes, 1 when not.

examples:
  reglab gradcheck --l2 0.7
  reglab gradcheck --keep-prob 0.86 --masks course
  reglab gradcheck --layers 2,40,10,1 --init he --seed 3 --l2 0.1 --keep-prob 0.8 --json
"""

from __future__ import annotations

import argparse
import sys

from reglab.cli.common import (
    Subparsers,
    add_command,
    add_data_arguments,
    add_json_argument,
    add_model_arguments,
    check_input_layer,
    check_output_layer,
    dataset_lines,
    format_table,
    load_data,
    model_config,
    output_width,
    print_json,
    status,
)
from reglab.config import TrainConfig

HIDDEN_LAYERS = (20, 3)
EXIT_FAILED = 1
JSON_SCHEMA_VERSION = 1
"""The version of ``reglab gradcheck --json``'s document (docs/json.md)."""


def register(subparsers: Subparsers) -> None:
    """Add the ``gradcheck`` command to ``subparsers``."""
    parser = add_command(subparsers, "gradcheck", __doc__, run)
    add_model_arguments(
        parser,
        masks_help="course: the exercise's fixed masks; fresh: one draw from the seed's mask "
        f"generator; either is held fixed during the check (default {TrainConfig().masks})",
        training=False,  # the check is of the full-batch gradient
    )
    add_data_arguments(parser)
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Check the gradient of the configured model on the data; 0 when it passes, else 1."""
    from reglab.engine.gradcheck import EPSILON, check_gradients  # here: --help loads no engine

    dataset = load_data(args)
    layers: tuple[int, ...] = (
        args.layers
        if args.layers is not None
        else (dataset.n_features, *HIDDEN_LAYERS, output_width(dataset))
    )
    check_input_layer(layers, dataset)
    check_output_layer(layers, dataset)
    config = model_config(args, layers)
    if args.json:
        status(f"dataset {dataset.name}: {dataset.source}")
    check = check_gradients(config, dataset.X_train, dataset.y_train)
    if args.json:
        document = {"schema_version": JSON_SCHEMA_VERSION, **check.to_dict(), "epsilon": EPSILON}
        print_json(document)
        return 0 if check.passed else EXIT_FAILED
    settings = (
        f"layers={','.join(map(str, layers))} l2={config.l2} "
        + (f"l1={config.l1} " if config.l1 else "")
        + f"keep_prob={config.keep_prob} "
        f"masks={config.masks} init={config.init} seed={config.seed}"
    )
    rows = [[name, f"{value:.3e}"] for name, value in check.parameters]
    rows.append(["overall", f"{check.difference:.3e}"])
    verdict = "passed" if check.passed else "FAILED"
    kinks = []
    if check.kinks:
        kinks = [
            f"note: {check.kinks} hidden pre-activations are within 1e-6 of 0, on ReLU's kink, "
            "where central differences are unreliable; if the check fails, try another --seed"
        ]
    print(
        "\n".join(
            [
                *dataset_lines(dataset),
                f"model:   {settings}",
                "",
                f"backpropagation against central differences (epsilon {EPSILON:g}) of the "
                "cost, at the initial parameters:",
                *format_table(["parameter", "relative difference"], rows),
                "",
                f"{verdict}: the overall difference is "
                f"{'below' if check.passed else 'not below'} {check.threshold:g}",
                *kinks,
            ]
        )
    )
    sys.stdout.flush()
    return 0 if check.passed else EXIT_FAILED
