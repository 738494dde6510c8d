"""Export a saved model to ONNX, to run it where reglab is not installed.

The graph takes float64 rows X (N, n_features) and gives `label` (N,) and
`probabilities` (N, n_classes), as scikit-learn classifiers exported by
skl2onnx do (without ZipMap); double precision throughout, equal to reglab's
probabilities to about 1e-15 in onnxruntime. Needs the optional onnx package:
pip install "reglab[onnx]".

examples:
  reglab train --dataset moons --save moons.safetensors
  reglab export moons.safetensors moons.onnx
"""

from __future__ import annotations

import argparse

from reglab.cli.common import Subparsers, add_command, path_option, status


def register(subparsers: Subparsers) -> None:
    """Add the ``export`` command to ``subparsers``."""
    parser = add_command(subparsers, "export", __doc__, run)
    parser.add_argument("model", metavar="MODEL", type=path_option("model"), help="a model file")
    parser.add_argument(
        "out", metavar="OUT.onnx", type=path_option("out"), help="the ONNX file to write"
    )


def run(args: argparse.Namespace) -> int:
    """Check the destination and onnx, load the model, write its graph."""
    from reglab.cli.common import check_file_destination, check_not_an_input
    from reglab.models import load_model
    from reglab.models.onnx_export import export_onnx, import_onnx

    check_file_destination("out", args.out)
    check_not_an_input("out", args.out, {"model": args.model})
    import_onnx()
    model = load_model(args.model)
    status(f"wrote {export_onnx(model, args.out)}")
    return 0
