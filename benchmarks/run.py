"""Benchmark reglab's compiled engine against plain NumPy, and print one table.

Run by hand (not part of the test suite), on a machine as quiet as you can make it:

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # shorter iteration counts, scaled up

Every ratio in the table comes from this one run, on the same data: the
exercise's data.mat when it is found (``--data``, else ../shared/datasets/data.mat),
else reglab's built-in goalkeeper data. See benchmarks/README.md for what each
row measures and how FLOPs and the peak are counted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path

import numba
import numpy as np

from reglab.config import TrainConfig
from reglab.data.dataset import Dataset
from reglab.engine.kernel_random import sfc64_buffered_words, sfc64_permutation
from reglab.engine.reference import train_reference
from reglab.engine.training import available_threads, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course_baseline import model as course_model
from peers import PEERS, make_problem

EXERCISE_LAYERS = (2, 20, 3, 1)
FULL_ITERATIONS = 30_000
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "data.mat"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    name: str
    seconds: float
    detail: str
    versus_baseline: str = ""
    gflops: float | None = None


# ---------------------------------------------------------------- machine


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _clock_ghz() -> float:
    """Nominal clock: lscpu's max MHz, else /proc/cpuinfo's cpu MHz, else 1 GHz."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in text.splitlines():
            if line.startswith("CPU max MHz:"):
                return float(line.split(":")[1]) / 1000
    except OSError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) / 1000
    except OSError:
        pass
    return 1.0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def peak_gflops() -> tuple[float, str]:
    """FP64 peak of the cores this process may use, and the assumption behind it."""
    cores = len(os.sched_getaffinity(0))
    flags = _cpu_flags()
    clock = _clock_ghz()
    if "avx512f" in flags:
        per_cycle, why = 16, "AVX-512: one 8-wide FMA per cycle (16 FLOP/cycle/core)"
    elif "avx2" in flags and "fma" in flags:
        per_cycle, why = 16, "AVX2: two 4-wide FMAs per cycle (16 FLOP/cycle/core)"
    else:
        per_cycle, why = 8, "SSE2/AVX without FMA assumed (8 FLOP/cycle/core)"
    peak = cores * clock * per_cycle
    return peak, f"{cores} cores x {clock:.2f} GHz x {per_cycle} = {peak:.1f} GFLOP/s; {why}"


# ---------------------------------------------------------------- counting


def flops_per_iteration(layers: Sequence[int], m: int) -> float:
    """FLOPs of one training iteration, counting the matrix products at 2 FLOP per multiply-add.

    Forward ``W_l A_{l-1}`` for every layer, backward ``dZ_l A_{l-1}^T`` for every
    layer and ``W_l^T dZ_l`` for every layer but the first, plus the update
    (3 FLOP per weight, 2 per bias). Element-wise work (ReLU, dropout, sigmoid) is not counted.
    """
    products = [n_out * n_in for n_in, n_out in pairwise(layers)]
    matmuls = 2.0 * m * (2 * sum(products) + sum(products[1:]))
    update = 3.0 * sum(products) + 2.0 * sum(layers[1:])
    return matmuls + update


# ---------------------------------------------------------------- data


def load_data(path: Path | None) -> tuple[Dataset, str, list[str]]:
    """The benchmark's data, a description, and the CLI's data arguments for it."""
    candidate = path if path is not None else SHARED_DATA
    if candidate.is_file():
        from reglab.data.football import load_football

        return (
            load_football(candidate),
            f"the exercise's file {candidate}",
            ["--data", str(candidate)],
        )
    try:
        from reglab.data.sources import load_dataset

        dataset = load_dataset(dataset="goalkeeper", offline=True)
        return dataset, "reglab's built-in goalkeeper data", ["--dataset", "goalkeeper"]
    except ImportError:
        rng = np.random.default_rng(0)
        X = rng.uniform(-0.75, 0.5, size=(2, 411))
        y = (X[1:] - X[:1] + 0.2 * rng.normal(size=(1, 411)) > 0).astype(float)
        dataset = Dataset(
            "generated", "inline generator", X[:, :211], y[:, :211], X[:, 211:], y[:, 211:]
        )
        return dataset, "data generated inline (diagonal boundary)", []


# ---------------------------------------------------------------- timing


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def time_cli(cli: list[str], env: dict[str, str], repeats: int = 1) -> tuple[float, str]:
    """Wall time of a CLI run (the best of ``repeats``), and a check of its output."""
    seconds = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(cli, capture_output=True, text=True, env=env, check=False)
        seconds = min(seconds, time.perf_counter() - start)
        if done.returncode != 0:
            return seconds, f"failed ({done.returncode}): {done.stderr.strip()[-200:]}"
    try:
        output = json.loads(done.stdout)
        models = output["models"]
        if "seed_study" in output:
            study = output["seed_study"]
            return seconds, f"{len(study['seeds'])} seeds x {len(study['models'])} models"
        return seconds, f"{len(models)} models; test acc " + ", ".join(
            f"{m['test_accuracy']:.3f}" for m in models
        )
    except (ValueError, KeyError, TypeError):
        return seconds, "ran (output not JSON)"


def first_run_after_install(data_args: list[str]) -> tuple[float, float, str]:
    """Build reglab as ``pip install .`` does, install it alone, time its first ``compare``.

    Returns the build's seconds (the kernel compiles then, see setup.py), the
    first run's seconds with an empty user cache and no ``NUMBA_CACHE_DIR``, and
    a check of its output. Needs the package index, for the isolated build.
    """
    project = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as scratch:
        wheels, site, home = (Path(scratch) / name for name in ("wheels", "site", "home"))
        home.mkdir()
        start = time.perf_counter()
        pip = [sys.executable, "-m", "pip", "-q"]
        subprocess.run([*pip, "wheel", str(project), "--no-deps", "-w", str(wheels)], check=True)
        build = time.perf_counter() - start
        wheel = next(wheels.glob("reglab-*.whl"))
        install = [*pip, "install", "--no-deps", "--target", str(site), str(wheel)]
        subprocess.run(install, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
        env.update(PYTHONPATH=str(site), HOME=str(home), XDG_CACHE_HOME=str(home))
        cli = [sys.executable, "-m", "reglab", "compare", *data_args, "--json"]
        first, check = time_cli(cli, env)
    return build, first, check


def reglab_command() -> list[str] | None:
    """How to run the installed ``reglab`` command, if it has a ``compare`` subcommand."""
    script = Path(sys.executable).with_name("reglab")
    command = [str(script)] if script.is_file() else None
    if command is None and shutil.which("reglab"):
        command = ["reglab"]
    if command is None:
        return None
    probe = subprocess.run([*command, "compare", "--help"], capture_output=True, check=False)
    return command if probe.returncode == 0 else None


# ---------------------------------------------------------------- start-up


def start_up_seconds(argv: list[str], repeats: int = 20) -> tuple[float, float]:
    """Best and median wall time of a fresh process running ``argv`` (``hyperfine``-like)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def help_rows(command: list[str], repeats: int = 20) -> list[Row]:
    """The ``--help`` row: ``reglab --help`` and each command's, best of ``repeats`` processes.

    Goal: under 0.2 s each; only the parser is built, no engine, NumPy or plotting.
    """
    from reglab.cli import COMMANDS

    rows = []
    for extra in ([], *([name.__name__.rsplit(".", 1)[-1]] for name in COMMANDS)):
        best, median = start_up_seconds([*command, *extra, "--help"], repeats)
        rows.append(
            Row(
                f"reglab {' '.join([*extra, '--help'])}",
                best,
                f"best of {repeats} processes (median {median:.3f} s); goal < 0.2 s",
            )
        )
    return rows


def import_rows(python: str, modules: Sequence[str], repeats: int = 20) -> list[Row]:
    """Start-up cost of ``python -c "import <module>"`` for each module, against bare Python.

    For the choice of a CLI library (issue 14): what Click or Typer would add to
    every ``reglab`` command's start. ``python`` may be another environment's.
    """
    bare, _ = start_up_seconds([python, "-c", "pass"], repeats)
    rows = [Row(f"{python} -c pass", bare, f"best of {repeats}: the interpreter alone")]
    for module in modules:
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
        if probe.returncode != 0:
            rows.append(Row(f"python -c 'import {module}'", float("nan"), "not installed"))
            continue
        best, median = start_up_seconds([python, "-c", f"import {module}"], repeats)
        rows.append(
            Row(
                f"python -c 'import {module}'",
                best,
                f"+{best - bare:.3f} s over bare Python (median {median:.3f} s)",
            )
        )
    return rows


# ---------------------------------------------------------------- rows


def numpy_matmul_seconds(layers: Sequence[int], m: int, iterations: int) -> float:
    """One iteration's matrix products alone, done directly with NumPy (BLAS), per iteration."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(layers[0], m))
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in pairwise(layers)]
    acts = [X] + [np.empty((n, m)) for n in layers[1:]]
    dz = [np.ones((n, m)) for n in layers[1:]]
    dws = [np.empty_like(W) for W in weights]
    das = [np.empty((n, m)) for n in layers[1:-1]]

    def iterate() -> None:
        for l, W in enumerate(weights):
            np.matmul(W, acts[l], out=acts[l + 1])
        for l in range(len(weights) - 1, -1, -1):
            np.matmul(dz[l], acts[l].T, out=dws[l])
            if l > 0:
                np.matmul(weights[l].T, dz[l], out=das[l - 1])

    iterate()

    def run() -> None:
        for _ in range(iterations):
            iterate()

    return best_of(3, run) / iterations


def multiply_adds(layers: Sequence[int], m: int) -> int:
    """Multiply-adds of one iteration's matrix products (forward, both gradients)."""
    products = [n_out * n_in for n_in, n_out in pairwise(layers)]
    return m * (2 * sum(products) + sum(products[1:]))


def kernel_seconds_per_iteration(
    layers: tuple[int, ...], m: int, iterations: int, batch_size: int | None = None
) -> float:
    """One model of ``layers`` on ``m`` random examples, per iteration (of ``batch_size``
    examples; None: all m).

    Measured as the difference between ``2 * iterations`` and ``iterations``
    runs, so that setup, the accuracy passes at iteration 0 and the final
    accuracy (one forward pass each) are not counted: the NumPy matmuls it is
    compared with do none of them. Layers ending in C >= 3 train a softmax head
    on C angular sectors of the plane (labels 0..C-1).
    """
    rng = np.random.default_rng(1)
    X = rng.normal(size=(layers[0], m))
    if layers[-1] == 1:
        Y = (X[:1] > 0).astype(float)
    else:
        angle = np.arctan2(X[-1], X[0]) + np.pi
        Y = np.minimum(angle / (2 * np.pi) * layers[-1], layers[-1] - 1).astype(int)
        Y = Y.reshape(1, -1).astype(float)

    def run(n: int) -> float:
        config = TrainConfig(
            layers=layers, iterations=n, record_every=n, init="he", batch_size=batch_size
        )
        return best_of(3, lambda: train([config], X, Y, on_divergence="record"))

    train([TrainConfig(layers=layers, iterations=1, init="he")], X, Y)
    return max(run(2 * iterations) - run(iterations), 0.0) / iterations


def shuffled_epoch_floor(m: int, epoch_flops: float, full_batch: float) -> list[Row]:
    """The least an epoch of shuffled mini-batches can take here, by any implementation.

    It does the full batch's arithmetic, at best at one core's matrix-product rate (a
    one-thread NumPy dgemm, OpenBLAS's hand-written kernel), plus one permutation of
    the m examples (the kernel's own, faster than NumPy's). It leaves out the random
    reads of the gather and every per-update cost, so the true floor is higher.
    """
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency: the bench extra

    a = np.random.default_rng(0).random((1000, 1000))
    with threadpool_limits(limits=1, user_api="blas"):
        dgemm = best_of(5, lambda: a @ a)
    dgemm_gflops = 2 * 1000**3 / dgemm / 1e9
    words = sfc64_buffered_words(np.random.Generator(np.random.SFC64(0)))
    perm = np.empty(m, dtype=np.int64)
    sfc64_permutation(words, perm)  # compiled before it is timed
    permutation = best_of(5, lambda: sfc64_permutation(words, perm))
    floor = epoch_flops / (dgemm_gflops * 1e9) + permutation
    return [
        Row(
            "NumPy dgemm 1000 x 1000, one thread",
            dgemm,
            "a core's matrix-product rate",
            gflops=dgemm_gflops,
        ),
        Row(f"reglab: the permutation of an epoch, m = {m:,}", permutation, "once an epoch"),
        Row(
            "floor for a shuffled epoch: its arithmetic at dgemm's rate + the permutation",
            floor,
            f"{floor / full_batch:.2f}x the full batch; no gather, no per-update cost",
        ),
    ]


def throughput(
    data: Dataset, n_models: int, iterations: int, keep_prob: float, repeats: int
) -> float:
    """Exercise-size models per second, K at a time, scaled from ``iterations`` to 30,000.

    The cost and accuracies are recorded every 1,000 iterations, as in the exercise.
    The best of ``repeats`` calls: a short burst of other load on a 2-core machine
    halves a two-thread run.
    """
    configs = [
        TrainConfig(
            l2=0.05 * (k % 20),
            keep_prob=keep_prob,
            seed=k,
            init="lecun",
            iterations=iterations,
            record_every=1_000,
        )
        for k in range(n_models)
    ]
    seconds = best_of(
        repeats, lambda: train(configs, data.X_train, data.y_train, data.X_test, data.y_test)
    )
    return n_models * (iterations / FULL_ITERATIONS) / seconds


def peer_rows(rows: list[Row], data: Dataset, base: float, quick: bool, skip: bool) -> None:
    """One exercise model and a 32-model L2 sweep by each installed peer, and reglab's sweep."""
    sweep_its = 300 if quick else 3_000
    ours = throughput(data, 32, sweep_its, 1.0, 2 if quick else 5)
    rows.append(
        Row(
            "reglab: 32-model L2 sweep (peers' sweep)",
            1 / ours,
            f"{ours:.1f} models/s ({sweep_its:,} iterations each, scaled)",
            f"{ours * base:.1f}x",
        )
    )
    if skip:
        return
    problem = make_problem(data.X_train, data.y_train, data.X_test, data.y_test)
    iterations = 3_000 if quick else FULL_ITERATIONS
    scale = FULL_ITERATIONS / iterations
    for module, measure in PEERS.items():
        try:
            __import__(module)
        except ImportError:
            rows.append(Row(f"{module}: not installed", float("nan"), 'pip install ".[bench]"'))
            continue
        peer = measure(problem, iterations, sweep_its)
        one = peer.one_model_seconds * scale
        check = f"test acc {peer.one_model_test_accuracy:.3f}"
        rows.append(
            Row(
                f"{peer.peer}: 1 exercise model",
                one,
                f"{check}; {peer.note}" if peer.note else check,
                f"{base / one:.1f}x",
            )
        )
        rate = peer.sweep_models_per_second
        rows.append(
            Row(
                f"{peer.peer}: 32-model L2 sweep",
                1 / rate,
                f"{rate:.1f} models/s ({sweep_its:,} iterations each, scaled)",
                f"{rate * base:.1f}x",
            )
        )


def peak_memory_mb(n_models: int, iterations: int, data_args: list[str]) -> float | None:
    """Peak resident memory (MB) of a new process training ``n_models`` configurations at once."""
    code = textwrap.dedent(
        f"""
        import resource, numpy as np
        from reglab.config import TrainConfig
        from reglab.engine.training import train
        rng = np.random.default_rng(0)
        X = rng.normal(size=(2, 211)); Y = (X[:1] > 0).astype(float)
        configs = [TrainConfig(l2=0.001 * k, seed=k, init="lecun", keep_prob=0.9 if k % 2 else 1.0,
                               iterations={iterations}, record_every=1) for k in range({n_models})]
        result = train(configs, X, Y, X, Y)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def playground_redraw(data_args: list[str], repeats: int) -> list[Row]:
    """``reglab play``'s page after a changed knob, for the exercise's three models (warm).

    The page runs under Streamlit's AppTest in this process (the script a browser
    session runs, without the browser): model 3's keep_prob slider is moved to a
    value not seen before, so each rerun trains the three models (30,000 iterations)
    and draws the table, boundaries and curves; then back to an earlier value,
    which the page answers from its cache. Needs ``pip install ".[play]"``.
    """
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError:
        return [Row("reglab play: not timed", float("nan"), "streamlit not installed")]
    from reglab.play.session import load_choice, train_models
    from reglab.play.state import DataChoice, PlayState

    environment = {"--data": "REGLAB_PLAY_DATA", "--dataset": "REGLAB_PLAY_DATASET"}
    for option, value in zip(data_args[::2], data_args[1::2], strict=True):
        os.environ[environment[option]] = (
            str(Path(value).absolute()) if option == "--data" else value
        )
    app_path = Path(__file__).resolve().parents[1] / "src" / "reglab" / "play" / "app.py"
    page = AppTest.from_file(str(app_path), default_timeout=600)
    start = time.perf_counter()
    page.run()  # the first page: loads the kernel from Numba's cache, trains, draws
    first = time.perf_counter() - start
    slider = "keep_prob_3"
    redraws = []
    for step in range(repeats):
        keep_prob = round(0.80 - 0.01 * step, 2)
        start = time.perf_counter()
        page.slider(key=slider).set_value(keep_prob).run()
        redraws.append(time.perf_counter() - start)
    start = time.perf_counter()
    page.slider(key=slider).set_value(0.80).run()
    cached = time.perf_counter() - start
    choice = DataChoice("file" if "--data" in data_args else data_args[1])
    dataset = load_choice(choice, file=Path(data_args[1]) if "--data" in data_args else None)
    training = best_of(repeats, lambda: train_models(dataset, PlayState()))
    median = float(np.median(redraws))
    return [
        Row(
            "reglab play: first page of a new server process",
            first,
            "kernel loaded from Numba's cache, figure workers started",
        ),
        Row(
            "reglab play: changed knob -> page redrawn (warm)",
            median,
            f"3 models x 30,000 its; median of {repeats}, best {min(redraws):.2f} s",
        ),
        Row(
            "reglab play: of which training (in-process)",
            training,
            f"the 3 models, best of {repeats}",
        ),
        Row("reglab play: back to an earlier setting", cached, "from the page's cache"),
    ]


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short iteration counts, scaled up")
    parser.add_argument("--data", type=Path, default=None, help="the exercise's data.mat")
    parser.add_argument("--skip-cli", action="store_true", help="do not time `reglab compare`")
    parser.add_argument("--skip-peers", action="store_true", help="do not time PyTorch, JAX, ...")
    parser.add_argument(
        "--help-only",
        action="store_true",
        help="print only the start-up rows: every --help, and the import cost of the CLI "
        "libraries (Click, Typer) in this Python or --cli-python",
    )
    parser.add_argument(
        "--cli-python",
        default=sys.executable,
        help="the Python whose `import click` / `import typer` is timed (default: this one)",
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    command = reglab_command()
    start_rows = help_rows(command) if command is not None else []
    start_rows += import_rows(args.cli_python, ["reglab.cli", "argparse", "click", "typer"])
    if args.help_only:
        print_table(start_rows, float("nan"))
        return

    data, data_description, data_args = load_data(args.data)
    m = data.X_train.shape[1]
    peak, peak_assumption = peak_gflops()
    exercise_flops = flops_per_iteration(EXERCISE_LAYERS, m)
    load_before = os.getloadavg()

    print(
        f"machine : {_cpu_name()}, {len(os.sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"peak    : {peak_assumption}")
    print(
        f"software: numpy {np.__version__}, numba {numba.__version__}, "
        f"{available_threads()} engine threads"
    )
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if variable in os.environ:
            print(f"note    : {variable}={os.environ[variable]} is set")
    print(f"data    : {data_description} (m = {m} train, {data.X_test.shape[1]} test)")
    print(
        f"flops   : {exercise_flops:,.0f} per exercise-size iteration "
        f"(x {FULL_ITERATIONS:,} = {exercise_flops * FULL_ITERATIONS / 1e9:.2f} GFLOP per model)"
    )
    print(
        "mode    : "
        + ("--quick (iteration counts reduced, times scaled to 30,000)" if quick else "full")
    )
    print(f"load    : {load_before[0]:.2f} (1-minute load average before the run)")
    print()

    rows: list[Row] = []
    X, Y, X_test, Y_test = data.X_train, data.y_train, data.X_test, data.y_test

    # Warm the compiled kernel (and its on-disk cache) before anything is timed in-process.
    train([TrainConfig(iterations=2)], X, Y)
    train([TrainConfig(iterations=2)] * 2, X, Y)

    # 1. The plain NumPy baseline, one model the exercise's way, the best of 3 runs (3 s
    # each); the engine's rows below, 0.2-0.5 s each, the best of 5.
    base_iterations = 3_000 if quick else FULL_ITERATIONS
    base = best_of(1 if quick else 3, lambda: course_model(X, Y, num_iterations=base_iterations))
    repeats = 1 if quick else 5
    base *= FULL_ITERATIONS / base_iterations
    rows.append(
        Row(
            "baseline: exercise-style NumPy, 1 model",
            base,
            f"{1 / base:.2f} models/s",
            "1.0x",
            exercise_flops * FULL_ITERATIONS / base / 1e9,
        )
    )

    # 2. One exercise-size model in-process (warm).
    one_config = [TrainConfig()]
    one = best_of(repeats, lambda: train(one_config, X, Y, X_test, Y_test))
    rows.append(
        Row(
            "reglab: 1 exercise model, in-process",
            one,
            f"{one / FULL_ITERATIONS * 1e6:.1f} us/iteration",
            f"{base / one:.1f}x",
            exercise_flops * FULL_ITERATIONS / one / 1e9,
        )
    )
    # The same model with the elastic net (L1 + L2): the goal is within 1.3x of the plain one.
    elastic_config = [TrainConfig(l1=0.1, l2=0.7)]
    elastic = best_of(repeats, lambda: train(elastic_config, X, Y, X_test, Y_test))
    rows.append(
        Row(
            "reglab: 1 exercise model, L1 + L2 (elastic net)",
            elastic,
            f"{elastic / FULL_ITERATIONS * 1e6:.1f} us/iteration, {elastic / one:.2f}x the plain",
            f"{base / elastic:.1f}x",
            exercise_flops * FULL_ITERATIONS / elastic / 1e9,
        )
    )
    # The same model under momentum and Adam: the goal is within 1.3x of plain gradient descent.
    for label, optimizer_config in (
        ("momentum", TrainConfig(optimizer="momentum")),
        ("Adam", TrainConfig(optimizer="adam", learning_rate=0.01)),
    ):
        run = partial(train, [optimizer_config], X, Y, X_test, Y_test)
        seconds = best_of(repeats, run)
        rows.append(
            Row(
                f"reglab: 1 exercise model, {label}",
                seconds,
                f"{seconds / FULL_ITERATIONS * 1e6:.1f} us/iteration, "
                f"{seconds / one:.2f}x the plain",
                f"{base / seconds:.1f}x",
                exercise_flops * FULL_ITERATIONS / seconds / 1e9,
            )
        )
    exercise = [
        TrainConfig(),
        TrainConfig(l2=0.7),
        TrainConfig(keep_prob=0.86, masks="course"),
    ]
    three = best_of(repeats, lambda: train(exercise, X, Y, X_test, Y_test))
    rows.append(
        Row(
            "reglab: the exercise's 3 models, in-process",
            three,
            "one train() call, 2 threads",
            f"{3 * base / three:.1f}x",
            3 * exercise_flops * FULL_ITERATIONS / three / 1e9,
        )
    )

    # 3. The same three models end to end through the CLI, warm and cold JIT cache.
    command = None if args.skip_cli else reglab_command()
    if command is not None:
        cli = [*command, "compare", *data_args, "--json"]
        env = dict(os.environ)
        startup = best_of(
            2,
            lambda: subprocess.run(
                [*command, "compare", "--help"], capture_output=True, check=False
            ),
        )
        rows.append(
            Row("reglab compare --help (start-up and imports only)", startup, "no training")
        )
        time_cli(cli, env)  # make sure the cache is warm
        warm, warm_check = time_cli(cli, env, repeats)
        rows.append(
            Row(
                "reglab compare --json (warm JIT cache)",
                warm,
                warm_check,
                f"{3 * base / warm:.1f}x",
            )
        )
        seeds, seeds_check = time_cli([*cli, "--seeds", "20"], env, 1 if quick else 2)
        rows.append(
            Row(
                "reglab compare --seeds 20 --json (warm)",
                seeds,
                seeds_check,
                f"{60 * base / seeds:.1f}x",
            )
        )
        with tempfile.TemporaryDirectory() as empty:
            cold, cold_check = time_cli(cli, {**env, "NUMBA_CACHE_DIR": empty})
        rows.append(
            Row(
                "reglab compare --json (cold: empty NUMBA_CACHE_DIR)",
                cold,
                cold_check,
                f"{3 * base / cold:.1f}x",
            )
        )
        build, first, first_check = first_run_after_install(data_args)
        rows.append(
            Row(
                "reglab compare --json, first run after install",
                first,
                first_check,
                f"{3 * base / first:.1f}x",
            )
        )
        rows.append(
            Row("pip wheel . (the install's build, kernel compiled)", build, "once per install")
        )
    else:
        rows.append(
            Row("reglab compare: not timed", float("nan"), "CLI not available or --skip-cli")
        )

    # 3b. The playground: a changed knob redraws the page (needs the play extra).
    rows.extend(playground_redraw(data_args, 3 if quick else 7))

    # 3c. The softmax head against the binary one, per multiply-add (goal: within 1.3x).
    softmax_its = 2_000 if quick else 10_000
    for binary_layers, softmax_layers in (
        ((2, 20, 3, 1), (2, 20, 3, 3)),
        ((2, 20, 3, 1), (2, 20, 20, 4)),
        ((2, 20, 20, 1), (2, 20, 20, 4)),
    ):
        plain = kernel_seconds_per_iteration(binary_layers, 211, softmax_its)
        plain /= multiply_adds(binary_layers, 211)
        head = kernel_seconds_per_iteration(softmax_layers, 211, softmax_its)
        head /= multiply_adds(softmax_layers, 211)
        shapes = "-".join(map(str, softmax_layers)) + " vs " + "-".join(map(str, binary_layers))
        rows.append(
            Row(
                f"softmax per multiply-add: {shapes}, m = 211",
                head * multiply_adds(softmax_layers, 211),
                f"per iteration; {head * 1e12:.1f} against {plain * 1e12:.1f} ps per "
                f"multiply-add: {head / plain:.2f}x the binary",
            )
        )

    # 4. Throughput: K exercise-size models per call.
    for n_models, full_its, quick_its, keep_prob in (
        (1, 3_000, 1_000, 1.0),
        (8, 3_000, 1_000, 1.0),
        (64, 1_000, 300, 1.0),
        (256, 1_000, 300, 1.0),
        (64, 1_000, 300, 0.8),
    ):
        its = quick_its if quick else full_its
        rate = throughput(data, n_models, its, keep_prob, 2 if quick else 5)
        label = "fresh dropout 0.8" if keep_prob < 1 else "L2 grid"
        rows.append(
            Row(
                f"reglab: K = {n_models} models ({label})",
                1 / rate,
                f"{rate:.1f} models/s ({its:,} iterations each, scaled)",
                f"{rate * base:.1f}x",
                rate * exercise_flops * FULL_ITERATIONS / 1e9,
            )
        )
    # The old engine for context: K models stacked in NumPy.
    stacked_its = 100 if quick else 500
    stacked_configs = [
        TrainConfig(l2=0.05 * k, seed=k, init="lecun", iterations=stacked_its) for k in range(8)
    ]
    # One short call first: the reference imports scipy.special on first use.
    train_reference([TrainConfig(iterations=1)], X, Y)
    stacked = best_of(
        1 if quick else 2, lambda: train_reference(stacked_configs, X, Y, X_test, Y_test)
    )
    stacked_rate = 8 * stacked_its / FULL_ITERATIONS / stacked
    rows.append(
        Row(
            "stacked NumPy (reference loop), K = 8",
            1 / stacked_rate,
            f"{stacked_rate:.1f} models/s ({stacked_its} iterations each, scaled)",
            f"{stacked_rate * base:.1f}x",
            stacked_rate * exercise_flops * FULL_ITERATIONS / 1e9,
        )
    )

    # 4a. The scikit-learn estimator over the engine (pip install ".[sklearn]"): the same model
    # as row 2, recorded every iteration for its loss_curve_ (scikit-learn's one loss per epoch).
    try:
        from reglab.sklearn import MLPClassifier
    except ImportError:
        rows.append(Row("reglab.sklearn: not installed", float("nan"), 'pip install ".[sklearn]"'))
    else:
        rows_X, labels = X.T, Y.ravel()
        fit = best_of(repeats, lambda: MLPClassifier(init="course").fit(rows_X, labels))
        rows.append(
            Row(
                "reglab.sklearn.MLPClassifier: 1 exercise model (fit)",
                fit,
                f"{fit / FULL_ITERATIONS * 1e6:.1f} us/iteration, {fit / one:.2f}x row 2",
                f"{base / fit:.1f}x",
                exercise_flops * FULL_ITERATIONS / fit / 1e9,
            )
        )

    # 4b. Peers (when installed: pip install ".[bench]"), beside reglab's own 32-model L2 sweep.
    peer_rows(rows, data, base, quick, args.skip_peers)

    # 5. Memory: 10,000 configurations in one call.
    n_memory = 10_000
    memory = peak_memory_mb(n_memory, 20 if quick else 60, data_args)
    rows.append(
        Row(
            f"memory: {n_memory:,} configurations, one call",
            float("nan"),
            f"peak RSS {memory:.0f} MB" if memory is not None else "failed",
        )
    )

    # 6. Larger problems against the same matrix products done directly with NumPy.
    for layers, size, full_its, quick_its in (
        (EXERCISE_LAYERS, 200_000, 20, 5),
        ((2, 2000, 3, 1), 211, 200, 40),
        ((2, 2000, 2000, 1), 211, 6, 2),
    ):
        its = quick_its if quick else full_its
        ours = kernel_seconds_per_iteration(layers, size, its)
        blas = numpy_matmul_seconds(layers, size, its)
        flops = flops_per_iteration(layers, size)
        shape = "-".join(str(n) for n in layers)
        rows.append(
            Row(
                f"NumPy matmuls only: {shape}, m = {size:,}",
                blas,
                "per iteration",
                gflops=flops / blas / 1e9,
            )
        )
        rows.append(
            Row(
                f"reglab: {shape}, m = {size:,}",
                ours,
                f"per iteration; {ours / blas:.2f}x the NumPy matmuls",
                gflops=flops / ours / 1e9,
            )
        )

    # 6b. Mini-batches: an epoch of batches of 32 against one full-batch iteration (an epoch).
    size, batch = 200_000, 32
    per_epoch = -(-size // batch)
    best_full = best_mini = float("inf")
    for _ in range(2):  # alternating, each row its best
        full = kernel_seconds_per_iteration(EXERCISE_LAYERS, size, 5 if quick else 20)
        mini = per_epoch * kernel_seconds_per_iteration(
            EXERCISE_LAYERS, size, per_epoch * (1 if quick else 3), batch_size=batch
        )
        best_full, best_mini = min(full, best_full), min(mini, best_mini)
    epoch_flops = flops_per_iteration(EXERCISE_LAYERS, size)
    rows.append(
        Row(
            f"reglab: 2-20-3-1, m = {size:,}, full batch",
            best_full,
            "per epoch",
            gflops=epoch_flops / best_full / 1e9,
        )
    )
    rows.append(
        Row(
            f"reglab: 2-20-3-1, m = {size:,}, batches of {batch}",
            best_mini,
            f"per epoch ({per_epoch:,} updates); {best_mini / best_full:.2f}x the full batch",
        )
    )
    rows.extend(shuffled_epoch_floor(size, epoch_flops, best_full))

    # 7. For learners: grading a notebook (a child process per file) and the gradient check.
    from reglab.engine.gradcheck import check_gradients
    from reglab.grading import grade

    learner_file = Path(__file__).resolve().parents[1] / "tests/learner_solutions/correct.py"
    graded = best_of(3, lambda: grade(learner_file))
    rows.append(Row("reglab grade: the right solution, 4 functions", graded, "44 cases + 2 checks"))
    checked = best_of(3, lambda: check_gradients(TrainConfig(l2=0.7), X, Y))
    rows.append(Row("reglab gradcheck: exercise model, L2", checked, "147 parameters, m = 211"))

    load_after = os.getloadavg()
    print_table([*rows, *start_rows], peak)
    print()
    print(f"load    : {load_after[0]:.2f} (1-minute load average after the run)")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_rss:.0f} MB")


def print_table(rows: list[Row], peak: float) -> None:
    """Print the rows as an aligned text table."""
    header = ("measurement", "seconds", "detail", "vs baseline", "GFLOP/s", "% FP64 peak")
    lines = [header]
    for row in rows:
        seconds = "" if row.seconds != row.seconds else f"{row.seconds:.4g}"
        gflops = "" if row.gflops is None else f"{row.gflops:.2f}"
        share = "" if row.gflops is None else f"{100 * row.gflops / peak:.1f}%"
        lines.append((row.name, seconds, row.detail, row.versus_baseline, gflops, share))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
