"""What every command shares: option types, the data options, progress, and output formatting.

Option values are validated by the same rules as :class:`reglab.config.TrainConfig`
(one source of truth), and a bad value is reported in its template: the
parameter, the valid range, the value received. Outputs (--out, --report,
--seeds) are shared too: their destinations are checked before any training,
and results are printed before any file is written, so a failed write never
loses a finished run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import stat
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeAlias

from reglab.config import (
    INIT_SCHEMES,
    MASK_MODES,
    MAX_CLASSES,
    MAX_ITERATIONS,
    MAX_LAYER_WIDTH,
    MAX_LAYERS,
    MAX_MODELS,
    MAX_SEED,
    MAX_SEEDS,
    OPTIMIZERS,
    PARAMETERS,
    USED_SETTINGS,
    TrainConfig,
    check_settings_used,
)
from reglab.constraints import Options
from reglab.errors import ParameterError, printable
from reglab.plots.names import FIGURE_FORMATS, FIGURE_NAMES

if TYPE_CHECKING:  # the engine, NumPy and the experiments load when a command runs, not for --help
    from reglab.data.dataset import Dataset
    from reglab.engine.training import ProgressCallback
    from reglab.experiments.backends import ChunkProgress
    from reglab.experiments.exercise import Comparison
    from reglab.experiments.seeds import SeedRun, SeedStudy

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``ArgumentParser.add_subparsers`` returns; each command's ``register`` adds itself to it."""

Run: TypeAlias = Callable[[argparse.Namespace], int]
"""A command's ``run(args) -> exit code``."""

EXIT_USAGE = 2
"""The exit code of a user's mistake: a bad option, bad data, a file that cannot be written."""


class UsageErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr, exit code 2.

    ``reglab: error: argument --keep-prob: keep_prob must be in (0, 1]. Received:
    keep_prob=1.5 (see 'reglab train --help')`` instead of the usage block
    followed by ``reglab train: error: ...``.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line naming the help to read, and exit with code 2."""
        self._fail(message, self.prog)

    def _fail(self, message: str, prog: str) -> NoReturn:
        text = printable(" ".join(message.split()))
        self.exit(EXIT_USAGE, f"reglab: error: {text} (see '{prog} --help')\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse's, but ``--option=--`` is refused instead of passing a list on.

        argparse drops a ``--`` value (it reads it as the end of options) and
        stores an empty list where one value belongs, which no option's type sees.
        """
        parsed, extras = super().parse_known_args(args, namespace)
        for action in self._actions:
            value = getattr(parsed, action.dest, None)
            if action.option_strings and action.nargs is None and isinstance(value, list):
                self.error(f"argument {'/'.join(action.option_strings)}: expected one argument")
        return parsed, extras

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but unrecognized arguments name the command's help, not reglab's."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # set by add_command: the command's own help
            prog: str = getattr(parsed, "prog", self.prog)
            self._fail(f"unrecognized arguments: {' '.join(extras)}", prog)
        return parsed


def add_command(
    subparsers: Subparsers, name: str, doc: str | None, run: Run
) -> argparse.ArgumentParser:
    """Add command ``name`` whose help is ``doc`` (its module docstring) and action ``run``."""
    text = inspect.cleandoc(doc or name)
    parser = subparsers.add_parser(
        name,
        help=text.splitlines()[0],
        description=text,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run, prog=parser.prog)
    return parser


def option(parameter: str, shown: str | None = None) -> Callable[[str], Any]:
    """An argparse ``type`` for ``parameter``, checked by its rule in :data:`PARAMETERS`.

    The text is read by the rule (:meth:`~reglab.constraints.Constraint.parse`)
    and checked by it, so the command line accepts exactly what the library
    accepts, with the library's one line, e.g. ``keep_prob must be in (0, 1].
    Received: keep_prob=1.5``. Text that does not parse reaches the rule as is.
    ``shown`` names the parameter in the message when its rule's key differs.
    """
    constraint = PARAMETERS[parameter]
    name = shown or parameter

    def convert(text: str) -> Any:
        try:
            return constraint.check(name, constraint.parse(text))
        except ParameterError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = parameter
    return convert


def list_option(parameter: str) -> Callable[[str], tuple[Any, ...]]:
    """An argparse ``type`` for comma-separated values of ``parameter``, each checked by its rule.

    ``--keep-prob 1,1.5`` is refused with the words ``--keep-prob 1.5`` gets in ``train``.
    """
    one = option(parameter)

    def convert(text: str) -> tuple[Any, ...]:
        return tuple(one(part) for part in text.split(","))

    convert.__name__ = parameter
    return convert


NAME_MAX = 255
"""The longest file name (bytes) on the file systems reglab writes to."""
PATH_MAX = 4096


def path_option(parameter: str) -> Callable[[str], Path]:
    """An argparse ``type`` for a path option: not empty, no NUL, names the system can hold.

    An empty ``--out ''`` would mean the working directory; a name longer than
    the file system allows fails later with "File name too long" without
    naming the option. Both are refused here, naming it.
    """

    def convert(text: str) -> Path:
        encoded = os.fsencode(text)
        longest = max((len(part) for part in encoded.split(b"/")), default=0)
        if not text or "\0" in text:
            rule = "a non-empty path"
        elif longest > NAME_MAX or len(encoded) > PATH_MAX:
            rule = (
                f"a path whose names are at most {NAME_MAX} bytes each and at most "
                f"{PATH_MAX} bytes in all (the file system's limits)"
            )
        else:
            return Path(text)
        raise argparse.ArgumentTypeError(str(ParameterError(parameter, rule, text)))

    convert.__name__ = parameter
    return convert


def check_input_layer(layers: tuple[int, ...], dataset: Dataset) -> None:
    """Raise :class:`ParameterError` unless ``layers`` starts with the data's number of features."""
    if layers[0] != dataset.n_features:
        raise ParameterError(
            "layers",
            f"a sequence starting with {dataset.n_features}, the number of features of "
            f"dataset {dataset.name!r}",
            layers,
        )


def output_width(dataset: Dataset) -> int:
    """The output layer the data's classes need: 1 (one sigmoid unit) for two, C for C >= 3."""
    return 1 if dataset.n_classes == 2 else dataset.n_classes


def with_output_width(layers: tuple[int, ...], dataset: Dataset) -> tuple[int, ...]:
    """``layers`` with the output layer ``dataset``'s classes need (the exercise's models on
    C-class data end in C)."""
    return (*layers[:-1], output_width(dataset))


def check_output_layer(layers: tuple[int, ...], dataset: Dataset) -> None:
    """Raise :class:`ParameterError` unless ``layers`` ends in the width the data's classes need."""
    width = output_width(dataset)
    if layers[-1] != width:
        classes = (
            "2 classes (one sigmoid unit)"
            if width == 1
            else f"{dataset.n_classes} classes (softmax)"
        )
        raise ParameterError(
            "layers",
            f"a sequence ending in {width} for the {classes} of dataset {dataset.name!r}",
            layers,
        )


def choice_option(parameter: str, choices: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type`` for an option taking one of ``choices``, reported in the template."""
    rule = Options(tuple(choices))

    def convert(text: str) -> str:
        try:
            value: str = rule.check(parameter, text)
        except ParameterError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    convert.__name__ = parameter
    return convert


fraction_option = option("test_fraction")
"""An argparse ``type`` for ``--test-fraction``: a number in (0, 1), as the data layer wants."""


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data PATH | --dataset NAME``, ``--test-fraction F`` and ``--offline``."""
    group = parser.add_argument_group(
        "data",
        "Without --data or --dataset: ./datasets/data.mat, else the cache\n"
        "(REGLAB_CACHE_DIR), else a download checked against its sha256, else\n"
        "the built-in goalkeeper data. The output says which was used.",
    )
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--data",
        metavar="PATH",
        type=path_option("data"),
        help="your own dataset file, .mat or .csv",
    )
    choice.add_argument(
        "--dataset",
        metavar="NAME",
        help="a named dataset: the exercise's or a generator (see `reglab datasets`)",
    )
    group.add_argument(
        "--test-fraction",
        metavar="F",
        type=fraction_option,
        default=None,
        help="share of the examples held out for testing, in (0, 1), for a generator or a "
        "CSV file without a split column (default: the generator's own, 0.3 for a CSV). "
        "Not for a CSV with a split column or a .mat file: their split is fixed",
    )
    group.add_argument(
        "--classes",
        metavar="C",
        type=option("classes"),
        default=None,
        help=f"classes of --dataset gauss or spiral, in [2, {MAX_CLASSES}] (default 2); "
        "the output layer follows: 1 unit for two, C softmax units for C",
    )
    group.add_argument("--offline", action="store_true", help="never download")


def load_data(args: argparse.Namespace) -> Dataset:
    """The dataset the data options of ``args`` name."""
    data: Path | None = args.data
    name: str | None = args.dataset
    offline: bool = args.offline
    test_fraction: float | None = args.test_fraction
    classes: int | None = args.classes
    from reglab.data.sources import load_dataset

    return load_dataset(
        data=data, dataset=name, offline=offline, test_fraction=test_fraction, classes=classes
    )


def add_model_arguments(
    parser: argparse.ArgumentParser,
    *,
    masks_help: str | None = None,
    seed_help: str | None = None,
    training: bool = True,
) -> argparse._ArgumentGroup:
    """The "model" group of ``train`` and ``gradcheck``: --l2, --l1, --keep-prob, --masks, --layers,
    --init, --seed (``masks_help``, ``seed_help``: a command's own words for those two); with
    ``training``, also how the model trains (:data:`TRAINING_OPTIONS`: --batch-size)."""
    defaults = TrainConfig()
    model = parser.add_argument_group("model")
    if training:
        model.add_argument(
            "--batch-size",
            type=option("batch_size"),
            default=defaults.batch_size,
            metavar="B",
            help="examples per update (mini-batch gradient descent), an integer >= 1, each "
            "epoch a permutation drawn from --seed, the last batch the remainder; a size above "
            "the training set is the whole set; all (the default): full-batch gradient descent",
        )
        add_early_stopping_arguments(model)
    model.add_argument(
        "--l2",
        type=option("l2"),
        default=defaults.l2,
        metavar="LAMBDA",
        help=f"L2 strength lambda >= 0; biases are not penalized (default {defaults.l2})",
    )
    model.add_argument(
        "--l1",
        type=option("l1"),
        default=defaults.l1,
        metavar="ALPHA",
        help="L1 strength alpha >= 0: adds (alpha/m) * sum |W| to the cost; biases are not "
        f"penalized; with --l2, the elastic net (default {defaults.l1})",
    )
    model.add_argument(
        "--keep-prob",
        type=option("keep_prob"),
        default=defaults.keep_prob,
        metavar="P",
        help="dropout keep probability in (0, 1] on the hidden layers; 1 is no dropout "
        f"(default {defaults.keep_prob})",
    )
    model.add_argument(
        "--masks",
        type=option("masks"),
        default=defaults.masks,
        metavar="{" + ",".join(MASK_MODES) + "}",
        help=masks_help
        or "fresh: a new dropout mask every iteration; course: the exercise's fixed masks "
        f"(default {defaults.masks})",
    )
    model.add_argument(
        "--layers",
        type=option("layers"),
        default=None,
        metavar="SIZES",
        help="layer sizes, comma-separated, e.g. 2,20,3,1: the first must be the data's "
        "number of features, the last 1 for two classes (a sigmoid unit) or C for C classes "
        f"(softmax), each at most {MAX_LAYER_WIDTH:,} (default: N,20,3,1 for data with N "
        "features and two classes, N,20,3,C for C classes)",
    )
    model.add_argument(
        "--init",
        type=option("init"),
        default=defaults.init,
        metavar="{" + ",".join(INIT_SCHEMES) + "}",
        help=f"weight initialization; course ignores --seed (default {defaults.init})",
    )
    model.add_argument(
        "--seed",
        type=option("seed"),
        default=defaults.seed,
        metavar="S",
        help=seed_help
        or f"seed of the initialization and fresh masks, >= 0 (default {defaults.seed})",
    )
    return model


def add_optimizer_arguments(group: argparse._ArgumentGroup) -> None:
    """--optimizer, --beta1, --beta2, --epsilon in a command's "optimizer" group (train's;
    not gradcheck's, which checks the gradient, not the update)."""
    defaults = TrainConfig()
    group.add_argument(
        "--optimizer",
        type=option("optimizer"),
        default=defaults.optimizer,
        metavar="{" + ",".join(OPTIMIZERS) + "}",
        help="update rule, the course's conventions, g the full gradient: gd p -= rate*g; "
        "momentum v = beta1*v + (1-beta1)*g, p -= rate*v; adam bias-corrected, "
        f"p -= rate*v_hat/(sqrt(s_hat)+epsilon) (default {defaults.optimizer})",
    )
    group.add_argument(
        "--beta1",
        type=option("beta1"),
        default=defaults.beta1,
        metavar="B1",
        help=f"momentum's and Adam's beta1 in [0, 1) (default {defaults.beta1})",
    )
    group.add_argument(
        "--beta2",
        type=option("beta2"),
        default=defaults.beta2,
        metavar="B2",
        help=f"Adam's beta2 in [0, 1) (default {defaults.beta2})",
    )
    group.add_argument(
        "--epsilon",
        type=option("epsilon"),
        default=defaults.epsilon,
        metavar="EPS",
        help=f"Adam's epsilon > 0, added to sqrt(s_hat) (default {defaults.epsilon:g})",
    )


def add_early_stopping_arguments(group: argparse._ArgumentGroup) -> None:
    """--early-stopping, --validation-fraction, --patience (train's and sweep's)."""
    defaults = TrainConfig()
    group.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out --validation-fraction of the training set (drawn from the seed), "
        "record its cost every --record-every iterations, stop after --patience records "
        "without a lower one and keep the parameters of the lowest",
    )
    group.add_argument(
        "--validation-fraction",
        type=option("validation_fraction"),
        default=defaults.validation_fraction,
        metavar="F",
        help="with --early-stopping, the share of the training set held out, in (0, 1) "
        f"(default {defaults.validation_fraction})",
    )
    group.add_argument(
        "--patience",
        type=option("patience"),
        default=defaults.patience,
        metavar="N",
        help="with --early-stopping, records without improvement before stopping, >= 1 "
        f"(default {defaults.patience})",
    )


TRAINING_OPTIONS = ("batch_size", "early_stopping", "validation_fraction", "patience")
"""The :class:`TrainConfig` fields of :func:`add_model_arguments`' ``training`` options."""


def model_config(args: argparse.Namespace, layers: tuple[int, ...], **more: Any) -> TrainConfig:
    """The :class:`TrainConfig` of :func:`add_model_arguments`' options (and of
    :func:`add_optimizer_arguments`' where the command has them), with ``layers`` and
    a command's ``more`` fields (e.g. the learning rate)."""
    optimizer = {
        name: getattr(args, name)
        for name in ("optimizer", "beta1", "beta2", "epsilon")
        if hasattr(args, name)
    }
    training = {name: getattr(args, name) for name in TRAINING_OPTIONS if hasattr(args, name)}
    config = TrainConfig(
        **training,
        layers=layers,
        l2=args.l2,
        l1=args.l1,
        keep_prob=args.keep_prob,
        masks=args.masks,
        init=args.init,
        seed=args.seed,
        **optimizer,
        **more,
    )
    values = {name: getattr(config, name) for name in USED_SETTINGS}
    defaults = {name: getattr(TrainConfig(), name) for name in USED_SETTINGS}
    check_settings_used(values, defaults, [config.optimizer], config.early_stopping)
    return config


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON on stdout (schema: docs/json.md); no progress bar",
    )


def wants_progress(json_output: bool, stream: TextIO) -> bool:
    """A progress bar only for people: not with --json, not when ``stream`` is not a terminal."""
    return not json_output and stream.isatty()


@contextmanager
def progress_bar(
    enabled: bool, description: str, iterations: int, stream: TextIO | None = None
) -> Iterator[ProgressCallback | None]:
    """A tqdm bar of ``iterations`` steps on ``stream`` (default stderr), fed by the engine.

    Yields the callback to pass to training, or None when ``enabled`` is false.
    """
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(
        total=iterations,
        desc=description,
        unit="it",
        unit_scale=True,
        file=sys.stderr if stream is None else stream,
        leave=False,
    )

    def update(done: int, total: int) -> None:
        bar.update(done - bar.n)
        if done == total:
            bar.refresh()  # show the end even if tqdm's rate limit skipped the last update

    try:
        yield update
    finally:
        bar.close()


@contextmanager
def models_progress_bar(
    enabled: bool, description: str, models: int, stream: TextIO | None = None
) -> Iterator[ChunkProgress | None]:
    """A tqdm bar of ``models`` trained models on ``stream`` (default stderr), for a seed study.

    Yields the callback :func:`reglab.experiments.seeds.seed_study` calls with the
    number of models finished so far (fractional while a batch trains), or None
    when ``enabled`` is false.
    """
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(
        total=models,
        desc=description,
        file=sys.stderr if stream is None else stream,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:g} models "
        "[{elapsed}<{remaining}]",
    )

    def update(done: float) -> None:
        bar.update(done - bar.n)
        if done >= models:
            bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, header first."""
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def dataset_lines(dataset: Dataset) -> list[str]:
    """Which data was used, for people: name, size (and classes, beyond two), source and the
    file's sha256."""
    classes = f"{dataset.n_classes} classes, " if dataset.n_classes > 2 else ""
    lines = [
        f"dataset: {dataset.name} ({dataset.n_features} features, {classes}"
        f"{dataset.X_train.shape[1]} train / {dataset.X_test.shape[1]} test examples)",
        f"source:  {dataset.source}",
    ]
    if dataset.sha256 is not None:
        lines.append(f"sha256:  {dataset.sha256}")
    return lines


def print_json(payload: dict[str, Any]) -> None:
    """The JSON document alone on stdout."""
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


COMPILE_NOTICE = (
    "compiling the training kernel once for this machine (about {seconds}; later runs "
    "start at once)"
)
COMPILE_SECONDS = "20-60 s"
"""The first compilation measured on 2-core machines (see benchmarks/README.md)."""


def announce_compilation() -> bool:
    """Say, in one line on stderr, that training will first compile the kernel, when it will.

    Only when Numba's cache holds no machine code for the kernel's current source
    (:func:`reglab.engine.kernel_cache.is_cached`); returns whether it said so.
    """
    from reglab.engine import kernel
    from reglab.engine.kernel_cache import is_cached

    if is_cached(kernel.train_model) is False:
        status(COMPILE_NOTICE.format(seconds=COMPILE_SECONDS))
        return True
    return False


def status(message: str) -> None:
    """A status line for people, on stderr (stdout stays for results)."""
    print(f"reglab: {printable(message)}", file=sys.stderr)


# Outputs: figures (--out, --format), the report (--report) and seed studies (--seeds).

MIN_SEEDS = 2
"""A spread needs at least two runs: ``--seeds`` starts at 2."""

TEXT_WIDTH = 88


format_option = choice_option("format", FIGURE_FORMATS)
"""An argparse ``type`` for ``--format``: ``png`` or ``svg``."""


seeds_option = option("seeds")
"""An argparse ``type`` for ``--seeds``: a number of seeds, >= 2."""


def add_caps_arguments(parser: argparse.ArgumentParser, *, yes: bool = True) -> None:
    """Add ``--max-memory SIZE`` (and ``--yes``): the ways past reglab's caps."""
    group = parser.add_argument_group(
        "caps",
        f"Checked before training. Iterations and --record-every: at most {MAX_ITERATIONS:,};\n"
        f"layer widths: at most {MAX_LAYER_WIDTH:,}, and at most {MAX_LAYERS} layers; seeds: at\n"
        f"most {MAX_SEEDS:,}, each at most 2**63 - 1, and at most "
        f"{MAX_MODELS:,} models\n(models x seeds) without --yes; memory: the estimate of "
        "the largest\nengine call (models x layers x examples, buffers, history) at most half "
        "the\nphysical memory without --max-memory.",
    )
    group.add_argument(
        "--max-memory",
        metavar="SIZE",
        type=option("max_memory"),
        default=None,
        help="the memory a run may use, e.g. 512M, 8G (default: half the physical memory)",
    )
    if yes:
        group.add_argument(
            "--yes",
            action="store_true",
            help=f"run seed studies of more than {MAX_MODELS:,} models (models x seeds)",
        )


def check_models_cap(n_seeds: int, n_models: int, first_seed: int, yes: bool) -> None:
    """Raise :class:`ParameterError` for a seed study past the caps: more than
    :data:`MAX_MODELS` models without ``--yes``, or a seed past :data:`MAX_SEED`."""
    if not yes and n_seeds * n_models > MAX_MODELS:
        raise ParameterError(
            "seeds",
            f"at most {MAX_MODELS // n_models:,} here ({n_models} model(s) x seeds, at most "
            f"{MAX_MODELS:,} models: reglab's cap; pass --yes to go past it)",
            n_seeds,
        )
    if first_seed + n_seeds - 1 > MAX_SEED:
        raise ParameterError(
            "seeds",
            f"at most {MAX_SEED - first_seed + 1:,} with --seed {first_seed} (the last seed, "
            "--seed + N - 1, is stored as a 64-bit integer)",
            n_seeds,
        )


def check_run_memory(
    layers: Sequence[int],
    n_models: int,
    dataset: Dataset,
    iterations: int,
    record_every: int,
    *,
    evaluation: bool = False,
    batch_sizes: Sequence[int | None] = (None,),
    early_stopping: bool = False,
) -> None:
    """:func:`reglab.memory.check_memory` for the largest engine call of a run, before any
    (``evaluation``: a seed study's or sweep's chunk, whose final cost NumPy evaluates;
    ``batch_sizes``: the run's ``batch_size`` values, None for the full batch)."""
    from reglab.memory import check_memory

    m = dataset.X_train.shape[1]
    check_memory(
        layers,
        n_models,
        m,
        m_test=dataset.X_test.shape[1],
        iterations=iterations,
        record_every=record_every,
        evaluation=evaluation,
        batching=any(size is not None and size < m for size in batch_sizes),
        early_stopping=early_stopping,
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Add ``--out DIR``, ``--format png|svg`` and ``--report FILE.html``; returns their group."""
    group = parser.add_argument_group(
        "outputs",
        "Destinations are checked before training starts. Results are printed first,\n"
        "then the figures and the report are written; each path written goes to stderr.",
    )
    group.add_argument(
        "--out",
        metavar="DIR",
        type=path_option("out"),
        help="write the figures to DIR (created if needed), one file each: "
        f"{', '.join(FIGURE_NAMES)} (the last only for a model on the course's masks)",
    )
    group.add_argument(
        "--format",
        type=format_option,
        default=None,
        metavar="{" + ",".join(FIGURE_FORMATS) + "}",
        help="file format of the --out figures (default png)",
    )
    group.add_argument(
        "--report",
        metavar="FILE.html",
        type=path_option("report"),
        help="write one self-contained HTML report (tables, reading, figures, provenance) to "
        "FILE.html; its directory must exist (or be the --out directory)",
    )
    return group


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (``.`` ends every relative path)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def cannot_create_in(directory: Path) -> str | None:
    """Why nothing can be created in ``directory``, found by trying (None: it can).

    A real attempt (a temporary directory, removed at once) rather than
    ``os.access``, which says yes to root for places that refuse every write
    (``/proc``, ``/sys``, a read-only mount).
    """
    try:
        tempfile.TemporaryDirectory(dir=directory, prefix=".reglab-probe-").cleanup()
    except OSError as error:
        return f"{directory}: {error.strerror or error}"
    return None


OUT_RULE = "a writable directory or a new path under one"


def check_figure_directory(directory: Path, parameter: str = "out") -> None:
    """Raise :class:`ParameterError` unless the figures can be written to ``directory``.

    The directory may be missing (it is created when writing), but its nearest
    existing ancestor must be a directory this process can write to.
    """
    existing = _nearest_existing(directory)
    reason = (
        f"{existing} is not a directory" if not existing.is_dir() else cannot_create_in(existing)
    )
    if reason is not None:
        raise ParameterError(parameter, f"{OUT_RULE} ({reason})", str(directory))


def check_regular_destination(parameter: str, path: Path) -> None:
    """Raise :class:`ParameterError` unless ``path`` is a regular file or does not exist.

    Writing replaces the file: a device (``/dev/full``, ``/dev/null``), a FIFO or
    a directory given as a file must never be replaced or written into.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError:
        return  # unreadable metadata: the write itself will say why
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ParameterError(
            parameter,
            f"a regular file or a new path (this one is {kind}: devices, FIFOs and "
            "directories are never written to)",
            str(path),
        )


FILE_RULE = "a file in a writable directory that exists"


def check_file_destination(parameter: str, path: Path, rule: str = FILE_RULE) -> None:
    """Raise :class:`ParameterError` unless one file can be written to ``path``: a
    regular file or a new path (:func:`check_regular_destination`), in a writable
    directory that exists (a model file or a graph is one file: no directory is made)."""
    check_regular_destination(parameter, path)
    parent = path.parent
    reason = (
        (f"{parent} is not a directory" if parent.exists() else f"{parent} does not exist")
        if not parent.is_dir()
        else cannot_create_in(parent)
    )
    if reason is not None:
        raise ParameterError(parameter, f"{rule} ({reason})", str(path))


OUTPUT_FILE_RULE = f"{FILE_RULE}, or in the --out directory"


def check_output_file(parameter: str, path: Path, out: Path | None) -> None:
    """:func:`check_file_destination` for a command with ``--out``: a file directly in
    ``out`` is fine too, as the command creates that directory (checked by
    :func:`check_figure_directory`) before writing into it."""
    if in_out_directory(path, out):
        check_regular_destination(parameter, path)
    else:
        check_file_destination(parameter, path, OUTPUT_FILE_RULE)


def in_out_directory(path: Path, out: Path | None) -> bool:
    """Whether ``path`` is a file directly in the ``--out`` directory ``out``."""
    return out is not None and path.parent.absolute() == out.absolute()


def check_not_an_input(parameter: str, path: Path, inputs: Mapping[str, Path | None]) -> None:
    """Raise :class:`ParameterError` if ``path`` is the same file as one of ``inputs``.

    ``inputs`` maps each option's name to the file it reads (None: not given).
    Writing the result over the file it was computed from would destroy the
    user's data or model, so an output may never be an input.
    """
    for name, source in inputs.items():
        if source is None:
            continue
        try:
            same = os.path.samefile(path, source)
        except OSError:  # one of them does not exist yet: the same if the same path
            same = path.resolve() == source.resolve()
        if same:
            raise ParameterError(
                parameter, f"a file other than the --{name} file it reads ({source})", str(path)
            )


def check_output_options(args: argparse.Namespace) -> None:
    """Check --out, --format and --report before any data is loaded or model trained.

    Raises:
        ParameterError: --format without --out, or a destination that cannot be
            written (see :func:`check_figure_directory`, :func:`check_output_file`).
    """
    out: Path | None = args.out
    report: Path | None = args.report
    if args.format is not None and out is None:
        raise ParameterError(
            "format",
            "given with --out (it is the figure files' format; the report embeds PNG)",
            args.format,
        )
    if out is not None:
        check_figure_directory(out)
    if report is not None:
        check_output_file("report", report, out)


def write_outputs(
    args: argparse.Namespace,
    comparison: Comparison,
    *,
    mask_quirk: bool,
    seed_spread: Sequence[Mapping[str, object]] | None = None,
    seed_verdict: str | None = None,
) -> None:
    """Draw the figures once, write them to --out and the report to --report.

    Called after the results are printed. The figures are drawn first, then each
    is written atomically and its path goes to stderr, so when a later write
    fails, the files already written stay and are named.

    Args:
        args: the parsed options (``out``, ``format``, ``report``).
        comparison: the trained models.
        mask_quirk: also draw the course-mask quirk figure (trains two more models).
        seed_spread: rows of a seed study for the report (see
            :meth:`reglab.experiments.seeds.SeedStudy.rows`).
        seed_verdict: the seed study's verdict sentence, for the report.
    """
    out: Path | None = args.out
    report: Path | None = args.report
    if out is None and report is None:
        return
    # Drawing needs matplotlib (and the report Jinja2): imported only when asked for.
    from reglab.plots import comparison_figures, save_figure
    from reglab.report import write_report

    figures = comparison_figures(comparison, mask_quirk=mask_quirk)
    if out is not None:
        fmt: str = args.format or "png"
        for name, figure in figures.items():
            status(f"wrote {save_figure(figure, out / f'{name}.{fmt}', fmt)}")
    if report is not None:
        written = write_report(
            comparison,
            report,
            figures=figures,
            seed_spread=seed_spread,
            seed_verdict=seed_verdict,
        )
        status(f"wrote {written}")


def run_seed_study(
    dataset: Dataset,
    models: Mapping[str, TrainConfig],
    seeds: Sequence[int],
    *,
    show_progress: bool,
    finished: Mapping[tuple[str, int], SeedRun] | None = None,
) -> SeedStudy:
    """Train each of ``models`` under every seed, with a progress bar when ``show_progress``.

    Runs in ``finished`` are reused (see :func:`reglab.experiments.seeds.seed_study`).
    """
    from reglab.experiments.seeds import seed_study

    total = len(models) * len(seeds)
    description = f"seeds ({total} models)"
    with models_progress_bar(show_progress, description, total) as callback:
        return seed_study(dataset, models, seeds, progress=callback, finished=finished)


def seeds_text(seeds: Sequence[int]) -> str:
    """``"0..9"`` for consecutive seeds, else ``"1, 5, 9"``."""
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)


def seed_study_lines(
    intro: str, study: SeedStudy, rows: Sequence[Mapping[str, Any]] | None = None
) -> list[str]:
    """``intro`` (wrapped), the seed-spread table and the study's verdict (wrapped).

    Args:
        intro: what the study measures, one paragraph.
        study: the seed study; its verdict is :meth:`SeedStudy.verdict`.
        rows: the table's rows (default :meth:`SeedStudy.rows`), e.g. without
            ``"wins"`` for one model, which always wins.
    """
    from reglab.experiments.tables import seed_spread_table

    table = seed_spread_table(study.rows() if rows is None else rows)
    return [
        *textwrap.wrap(intro, TEXT_WIDTH),
        *format_table(table.header, table.rows),
        "",
        *textwrap.wrap(study.verdict().text, TEXT_WIDTH),
    ]
