"""reglab's command line: ``reglab compare | train | sweep | datasets``.

Each command is one module with ``register(subparsers)`` and ``run(args) -> int``;
:data:`COMMANDS` is the one place that lists them. A user's mistake is one line
on stderr (``reglab: error: ...``) and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from reglab.cli import compare, datasets, sweep, train
from reglab.errors import ReglabError
from reglab.version import __version__

COMMANDS: tuple[ModuleType, ...] = (compare, train, sweep, datasets)
"""The commands, in the order ``reglab --help`` lists them."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe


def build_parser() -> argparse.ArgumentParser:
    """The ``reglab`` parser with every command in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="reglab",
        description="A regularization lab: the deep-learning course's L2/dropout exercise, "
        "reproduced exactly and taken further.",
    )
    parser.add_argument("--version", action="version", version=f"reglab {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _one_line(error: BaseException) -> str:
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``reglab`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, --version (0) or a usage error (2)
        return 0 if exit_.code is None else int(exit_.code)
    try:
        code: int = args.run(args)
    except ReglabError as error:
        print(f"reglab: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("reglab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`reglab sweep --json | head`): stop quietly, as Unix tools do.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code
