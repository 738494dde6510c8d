"""reglab's command line: ``reglab compare | train | predict | export | sweep | datasets | ...``.

Each command is one module with ``register(subparsers)`` and ``run(args) -> int``;
:data:`COMMANDS` is the one place that lists them. A user's mistake is one line
on stderr (``reglab: error: ...``) and exit code 2, never a traceback: a bad
option (:class:`~reglab.cli.common.UsageErrorParser`), bad data or settings
(:class:`~reglab.errors.ReglabError`), a file that could not be read or written
(:class:`OSError`). Results are printed before files are written, so an error
at the end never loses them.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from types import ModuleType

from reglab.cli import compare, datasets, export, gradcheck, grade, play, predict, sweep, train
from reglab.cli.common import EXIT_USAGE, UsageErrorParser
from reglab.errors import ReglabError, RunError, printable
from reglab.memory import memory_limit
from reglab.version import __version__

COMMANDS: tuple[ModuleType, ...] = (
    compare,
    train,
    predict,
    export,
    sweep,
    datasets,
    play,
    grade,
    gradcheck,
)
"""The commands, in the order ``reglab --help`` lists them."""

EXIT_FAILED = 1  # a run that could not finish (a lost cluster): not the user's input
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe

_NEGATIVE_VALUE = re.compile(r"-[\d.]")
"""A token starting like a negative number: ``-1``, ``-0.5``, ``-.5``, ``-1,0``."""


def build_parser() -> argparse.ArgumentParser:
    """The ``reglab`` parser with every command in :data:`COMMANDS`."""
    parser = UsageErrorParser(
        prog="reglab",
        description="A regularization lab: the deep-learning course's L2/dropout exercise, "
        "reproduced exactly and taken further.",
    )
    parser.add_argument("--version", action="version", version=f"reglab {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", required=True, parser_class=UsageErrorParser
    )
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _options_taking_a_value(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions  # argparse has no public list of a parser's options
        if action.nargs != 0
        for option in action.option_strings
    }


def join_negative_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``["--l2", "-1,0"]`` -> ``["--l2=-1,0"]``, for every option of ``parser`` taking a value.

    argparse takes a token that starts with ``-`` for an option unless it is a
    plain negative number (``-1``, ``-0.5``), so ``--l2 -1,0`` fails with
    "expected one argument" before our validation sees the value. Joined with
    ``=``, the value reaches the option's own check (``l2 must be a finite
    number >= 0. Received: l2=-1.0``). Options are looked up in the command
    named on the line (the first token that is one); nothing after ``--`` is touched.
    """
    commands: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.update(action.choices)
    value_options = _options_taking_a_value(parser)
    command_named = False
    joined: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            joined.extend(tokens[i:])
            break
        if token in commands and not command_named:
            value_options = _options_taking_a_value(commands[token])
            command_named = True
        if token in value_options and i + 1 < len(tokens) and _NEGATIVE_VALUE.match(tokens[i + 1]):
            joined.append(f"{token}={tokens[i + 1]}")
            i += 2
            continue
        joined.append(token)
        i += 1
    return joined


def _one_line(error: BaseException) -> str:
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def _os_error_line(error: OSError) -> str:
    """``Permission denied: /path`` (``what: path``), or the error's own text without a path."""
    what = error.strerror or _one_line(error) or type(error).__name__
    if error.filename is None:
        return what
    path = os.fsdecode(error.filename)
    if error.filename2 is not None:
        path += f" -> {os.fsdecode(error.filename2)}"
    return f"{what}: {path}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``reglab`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:  # `reglab` alone: the commands, as `pip` and `docker` answer, not an error
        parser.print_help()
        return 0
    arguments = join_negative_values(parser, argv)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:  # argparse: --help, --version (0) or a usage error (2)
        return 0 if exit_.code is None else int(exit_.code)
    max_memory: int | None = getattr(args, "max_memory", None)
    try:
        with nullcontext() if max_memory is None else memory_limit(max_memory):
            code: int = args.run(args)
    except RunError as error:
        print(f"reglab: error: {printable(_one_line(error))}", file=sys.stderr)
        return EXIT_FAILED
    except ReglabError as error:
        print(f"reglab: error: {printable(_one_line(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("reglab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`reglab sweep --json | head`): stop quietly, as Unix tools do.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:  # a file we could not create, read or write
        sys.stdout.flush()  # what was already printed stays, before the error line
        print(f"reglab: error: {printable(_os_error_line(error))}", file=sys.stderr)
        return EXIT_USAGE
    return code


def console_main() -> None:
    """The ``reglab`` console script and ``python -m reglab``: :func:`main`, then exit.

    Numba's compiler leaves a large graph of objects behind, and the garbage
    collection at interpreter shutdown would spend about 0.3 s on it, on every
    command. When :func:`main` returns, its files are closed and its results
    written, so the objects are frozen (``gc.freeze``: left out of
    collections) and the process ends without walking them. The price: objects
    caught in reference cycles do not run their ``__del__`` at exit, which
    nothing of reglab's relies on.
    """
    code = main()
    gc.freeze()
    raise SystemExit(code)
