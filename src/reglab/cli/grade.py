"""Grade your own exercise: the four functions of the course's Regularization assignment.

Reads your .py file or .ipynb notebook, keeps only its imports, function and class
definitions and constants (training, plotting and notebook magics are not run), and
runs your functions in a separate process, each within --timeout seconds, on the
exercise's published unit checks and on held-out cases (other layer sizes, m,
lambda, keep_prob) against reglab.course. For each function: passed or failed, the
first wrong output and by how much, the likely mistake when the output matches a
known one, and, for the backward functions, a gradient check against your own cost.
The course's reg_utils, testCases and public_tests are supplied when they are not
beside your file. Exit code 0 when all four pass, 1 when any fails or is missing.

examples:
  reglab grade Regularization.ipynb
  reglab grade my_solution.py --json
  reglab grade --example        (how to grade from a notebook cell)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reglab.cli.common import Subparsers, add_command, add_json_argument, option, print_json
from reglab.errors import ParameterError
from reglab.grading.limits import DEFAULT_TIMEOUT

EXIT_FAILED = 1

EXAMPLE = """\
Grade your notebook from one of its own cells (save the notebook first: the grader
reads the file on disk, not the kernel's memory):

    !reglab grade Regularization.ipynb

or, without the shell escape:

    from reglab.grading import grade
    print(grade("Regularization.ipynb"))

From a terminal: reglab grade Regularization.ipynb (add --json for a machine-readable
result, --timeout 60 for a slow machine)."""


def register(subparsers: Subparsers) -> None:
    """Add the ``grade`` command to ``subparsers``."""
    parser = add_command(subparsers, "grade", __doc__, run)
    parser.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="your .py file or .ipynb notebook"
    )
    parser.add_argument(
        "--timeout",
        type=option("timeout"),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time each function may take on its cases, > 0; an endless loop fails that "
        f"function only (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--example", action="store_true", help="show how to grade from a notebook cell"
    )
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Grade the file and print the result; 0 when every function passed, else 1."""
    from reglab.grading.grader import grade

    if args.example:
        print(EXAMPLE)
        return 0
    if args.path is None:
        raise ParameterError("PATH", "a .py file or an .ipynb notebook to grade", None)
    report = grade(args.path, timeout=args.timeout)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report)
    return 0 if report.passed else EXIT_FAILED
