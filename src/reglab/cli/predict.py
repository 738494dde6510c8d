"""Predict with a saved model: the label and class probabilities of each row of a CSV.

MODEL is a file written by `reglab train --save`. The CSV holds one example per
row: the model's n features, optionally followed by the true label (the model's
feature count tells them apart: n columns are features alone, n + 1 end with a
label; a header row of names and a 'split' column are allowed). With labels, the
accuracy follows the predictions.

examples:
  reglab train --dataset moons --save moons.safetensors
  reglab predict moons.safetensors --data points.csv
  reglab predict moons.safetensors --data points.csv --json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reglab.cli.common import (
    Subparsers,
    add_command,
    add_json_argument,
    format_table,
    path_option,
    print_json,
)


def register(subparsers: Subparsers) -> None:
    """Add the ``predict`` command to ``subparsers``."""
    parser = add_command(subparsers, "predict", __doc__, run)
    parser.add_argument("model", metavar="MODEL", type=path_option("model"), help="a model file")
    parser.add_argument(
        "--data",
        metavar="FILE.csv",
        type=path_option("data"),
        required=True,
        help="the rows to predict: n feature columns, optionally a label column last",
    )
    add_json_argument(parser)


def _json_value(value: Any) -> Any:
    """A NumPy scalar as the Python scalar JSON writes."""
    return value.item() if hasattr(value, "item") else value


def run(args: argparse.Namespace) -> int:
    """Load the model, read the rows, print each prediction (and the accuracy with labels).

    With --json: ``{"predictions": [...], "probabilities": [...]}`` (binary: the
    probability of the second class; else one list per row), and ``"accuracy"``
    when the file has labels.
    """
    from reglab.data.feature_rows import read_feature_rows
    from reglab.experiments.tables import format_accuracy
    from reglab.models import load_model

    model = load_model(args.model)
    data: Path = args.data
    rows = read_feature_rows(data, model.n_features, model.classes)
    probabilities = model.predict_proba(rows.X)
    predictions = model.predict(rows.X)
    accuracy = None
    if rows.labels is not None:
        accuracy = float((predictions == rows.labels).mean())
    if args.json:
        document: dict[str, Any] = {
            "predictions": [_json_value(label) for label in predictions],
            "probabilities": (
                probabilities[:, 1].tolist() if model.n_classes == 2 else probabilities.tolist()
            ),
        }
        if accuracy is not None:
            document["accuracy"] = accuracy
        print_json(document)
        return 0
    header = ["row", "prediction", *(f"p({label})" for label in model.classes)]
    if rows.labels is not None:
        header.insert(1, "label")
    table = []
    for i, (label, p) in enumerate(zip(predictions, probabilities, strict=True)):
        cells = [str(i + 1), str(_json_value(label)), *(f"{value:.6f}" for value in p)]
        if rows.labels is not None:
            cells.insert(1, str(_json_value(rows.labels[i])))
        table.append(cells)
    lines = format_table(header, table)
    if accuracy is not None:
        lines += ["", f"accuracy: {format_accuracy(accuracy, len(predictions))}"]
    print("\n".join(lines))
    sys.stdout.flush()
    return 0
