"""How train() spreads a batch over threads: order, progress and cancellation.

Workers take the next model when they finish one, the caller's thread
reports progress while they run, and an interruption stops the running
models within one iteration. None of this may change a number.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import numpy as np
import pytest
from numpy.typing import NDArray

from reglab.config import TrainConfig
from reglab.engine import kernel, kernel_heads, kernel_plan, kernel_updates, training
from reglab.engine.training import longest_first, run_models, train
from reglab.types import FloatArray

WAIT = 30.0
"""Seconds a test waits for an event that should come at once: a bound against hanging."""


def _data(m: int) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, m))
    return X, (X[:1] - 0.5 * X[1:] > 0).astype(float)


def test_costliest_models_go_first_ties_in_batch_order() -> None:
    # The exercise's batch: plain, L2, course dropout (the costliest).
    assert longest_first([1.0, 1.0, 1.3]) == [2, 0, 1]
    assert longest_first([1.0, 2.1, 1.0, 2.1]) == [1, 3, 0, 2]
    assert longest_first([]) == []


def test_one_worker_takes_the_models_in_order() -> None:
    taken: list[int] = []
    run_models([4, 0, 3, 1, 2], 1, lambda k, cancel: taken.append(k), report=lambda: None)
    assert taken == [4, 0, 3, 1, 2]


@pytest.mark.parametrize("n_workers", [2, 3])
def test_workers_train_together_and_every_model_once(n_workers: int) -> None:
    order = [4, 0, 3, 1, 2]
    taken: list[int] = []
    threads: Counter[str] = Counter()
    together = threading.Barrier(n_workers)

    def train_model(k: int, cancel: NDArray[np.int64]) -> None:
        taken.append(k)  # list.append is atomic under the GIL
        threads[threading.current_thread().name] += 1
        if k in order[:n_workers]:
            together.wait(WAIT)  # the first n models run at the same time, one per worker

    run_models(order, n_workers, train_model, report=lambda: None)
    assert sorted(taken) == sorted(order)
    assert set(taken[:n_workers]) == set(order[:n_workers])  # the costliest start first
    assert len(threads) == n_workers


def test_a_failing_worker_stops_the_others() -> None:
    started: list[int] = []
    first_running = threading.Event()

    def train_model(k: int, cancel: NDArray[np.int64]) -> None:
        started.append(k)
        if k == 0:  # a long model, polling the flag as the kernel does
            first_running.set()
            for _ in range(int(WAIT / 0.01)):
                if cancel[0] != 0:
                    return
                time.sleep(0.01)
        elif k == 1:
            assert first_running.wait(WAIT)
            raise RuntimeError("model 1 failed")

    with pytest.raises(RuntimeError, match="model 1 failed"):
        run_models(list(range(8)), 2, train_model, report=lambda: None)
    assert sorted(started) == [0, 1]  # model 0 stopped, models 2..7 never started


def test_progress_is_reported_while_models_run_and_once_at_the_end() -> None:
    reports: list[int] = []
    reported_twice = threading.Event()

    def report() -> None:
        reports.append(len(reports))
        if len(reports) == 2:
            reported_twice.set()

    def train_model(k: int, cancel: NDArray[np.int64]) -> None:
        # The model runs until the caller's thread has reported twice meanwhile.
        assert reported_twice.wait(WAIT)

    run_models([0], 1, train_model, report)
    assert len(reports) >= 3  # two or more while it ran, then the final one


def test_an_interruption_stops_the_running_models_and_starts_no_other() -> None:
    started: list[int] = []
    saw_cancel: list[bool] = []
    running = threading.Barrier(3)  # both workers and the reporting thread

    def train_model(k: int, cancel: NDArray[np.int64]) -> None:
        started.append(k)
        running.wait(WAIT)
        for _ in range(int(WAIT / 0.01)):  # iterations that poll the flag, as the kernel's do
            if cancel[0] != 0:
                saw_cancel.append(True)
                return
            time.sleep(0.01)
        saw_cancel.append(False)

    def report() -> None:
        running.wait(WAIT)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_models([0, 1, 2, 3], 2, train_model, report)
    assert sorted(started) == [0, 1] and saw_cancel == [True, True]


def test_a_cancelled_model_stops_before_its_next_iteration() -> None:
    X, Y = _data(30)
    config = TrainConfig(layers=(2, 3, 1), iterations=50, record_every=10)
    params = np.ones((1, 13))
    before = params.copy()
    done = np.zeros(1, dtype=np.int64)
    kernel.train_model(
        0,
        np.ones(1, dtype=np.int64),  # cancelled
        done,
        params,
        kernel_plan.Layout(
            layers=np.array(config.layers),
            weight_offsets=np.array([0, 9]),  # W1 (3, 2), b1, W2 (1, 3), b2
            bias_offsets=np.array([6, 12]),
            plan=np.zeros((2, 3), dtype=np.int64),  # the generic passes
            head=kernel_heads.HEAD_SIGMOID,
            iterations=config.iterations,
            record_every=config.record_every,
        ),
        kernel_plan.Data(
            X=X,
            Y=Y,
            X_test=X,
            Y_test=Y,
            has_test=False,
            course_uniforms=np.zeros((1, 1)),
            examples=np.zeros((1, 1)),
            X_validation=np.zeros((2, 1)),
            Y_validation=np.zeros((1, 1)),
        ),
        kernel_plan.Settings(
            l2=np.zeros(1),
            l1=np.zeros(1),
            learning_rate=np.full(1, config.learning_rate),
            keep_prob=np.ones(1),
            keep_scale=np.ones(1),
            modes=np.array([kernel_plan.NO_DROPOUT]),
            update_rules=np.array([kernel_updates.UPDATE_GRADIENT_DESCENT]),
            beta1=np.full(1, 0.9),
            beta2=np.full(1, 0.999),
            epsilon=np.full(1, 1e-8),
            rng_states=np.zeros((1, 4), dtype=np.uint64),
            batch_sizes=np.array([X.shape[1]]),
            batch_states=np.zeros((1, 6), dtype=np.uint64),
            patience=np.zeros(1, dtype=np.int64),
        ),
        kernel_plan.Records(
            cost=np.zeros((1, 6)),
            train_accuracy=np.zeros((1, 6)),
            test_accuracy=np.zeros((1, 6)),
            validation_cost=np.zeros((1, 5)),
            stopped_at=np.zeros(1, dtype=np.int64),
            best_iteration=np.zeros(1, dtype=np.int64),
        ),
    )
    assert done[0] == 0
    np.testing.assert_array_equal(params, before)


def test_progress_counts_iterations_up_to_the_total_without_changing_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, Y = _data(100)
    configs = [
        TrainConfig(iterations=30_000, record_every=3_000, keep_prob=0.8, seed=seed)
        for seed in range(4)
    ]
    monkeypatch.setattr(training, "PROGRESS_SECONDS", 0.001)  # many reports while they train
    calls: list[tuple[int, int]] = []
    reported = train(configs, X, Y, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (30_000, 30_000)
    assert all(total == 30_000 for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(set(done))  # strictly increasing
    assert any(0 < d < 30_000 for d in done)  # the kernel's counters are read mid-run
    quiet = train(configs, X, Y)
    for mine, theirs in zip(reported.parameters.weights, quiet.parameters.weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(reported.history.cost, quiet.history.cost)


def test_an_exception_in_progress_reaches_the_caller_and_stops_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, Y = _data(50)
    config = TrainConfig(layers=(2, 3, 1), iterations=2_000_000, record_every=1_000_000)
    counters: list[NDArray[np.int64]] = []
    train_model = kernel.train_model

    def watched(k: int, cancel: NDArray[np.int64], done: NDArray[np.int64], *rest: object) -> None:
        counters.append(done)
        train_model(k, cancel, done, *rest)

    monkeypatch.setattr(kernel, "train_model", watched)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train([config], X, Y, progress=interrupt)
    assert 0 < counters[0][0] < config.iterations  # stopped mid-run


# `reglab train` prints its results after training: this child says when training starts,
# after loading (or, on a cold cache, compiling) the kernel with a one-iteration model, since
# a worker compiling the kernel cannot stop before the compile is done.
ANNOUNCED_TRAIN = """
import sys
import numpy as np
import reglab.engine.training as training
from reglab.config import TrainConfig

X = np.zeros((2, 4))
training.train([TrainConfig(iterations=1)], X, X[:1], X, X[:1])
run_models = training.run_models


def announced(*args, **kwargs):
    print("training", flush=True)
    return run_models(*args, **kwargs)


training.run_models = announced
from reglab.cli import main

sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_at_the_command_line_stops_training_at_once() -> None:
    """SIGINT mid-model: exit 130 with one line, long before the model could finish.

    10 million iterations take about a minute; the process must be gone within
    WAIT seconds of the signal, which only cancelling the running model allows.
    """
    train_args = ["train", "--dataset", "moons", "--iterations", "10000000"]
    process = subprocess.Popen(
        [sys.executable, "-c", ANNOUNCED_TRAIN, *train_args, "--record-every", "10000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background jobs start with SIGINT ignored, and children inherit that:
        # give the child the default disposition, on which Python raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "training\n"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT)
    finally:
        process.kill()
    assert (process.returncode, stderr) == (130, "reglab: interrupted\n")
