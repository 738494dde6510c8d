"""The exercise's network trained by the tools its users know: PyTorch, JAX, scikit-learn.

Each peer trains the same 2-20-3-1 ReLU/sigmoid network by full-batch gradient
descent (learning rate 0.3, float64, L2 in the course's convention, biases
free), written the way that tool's users write it:

- PyTorch eager: a Python loop of forward, ``backward()`` and an in-place
  update; the 32-model sweep stacks the models' weights (``torch.bmm``). On
  one thread, its fastest setting at this size (intra-op threads only add
  synchronization to products of a few hundred numbers).
- JAX: the whole loop in one ``jit``-compiled ``lax.fori_loop``; the sweep is
  that loop under ``vmap``. Times are warm (the compile is reported apart).
- scikit-learn: ``MLPClassifier(solver="sgd", batch_size=m, momentum=0,
  alpha=lambda)``, one fit per model, started from the same weights.

One model starts from the course's initial weights, so its test accuracy
must be the exercise's 0.915: that is printed as the check that the peer
computes the same model. A peer that is not installed (``pip install
".[bench]"``) is left out. Run from ``run.py``, never by the test suite.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from reglab import course
from reglab.types import FloatArray

LEARNING_RATE = 0.3
LAYERS = (2, 20, 3, 1)


@dataclass(frozen=True)
class PeerTimes:
    """One peer's measurements: one exercise model, and a 32-model L2 sweep."""

    peer: str
    one_model_seconds: float  # 30,000 iterations
    one_model_test_accuracy: float
    sweep_models_per_second: float  # scaled to 30,000 iterations a model
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """The data as rows (the peers' convention) and the starting weights."""

    X: FloatArray  # (m, 2)
    y: FloatArray  # (m, 1)
    X_test: FloatArray
    y_test: FloatArray
    course_weights: list[FloatArray]  # W_l, (n_out, n_in), the course's initialization

    @property
    def m(self) -> int:
        return int(self.X.shape[0])


def make_problem(X: FloatArray, Y: FloatArray, X_test: FloatArray, Y_test: FloatArray) -> Problem:
    """From reglab's column layout ``(n_features, m)`` to rows, with the course's weights."""
    params = course.initialize_parameters(list(LAYERS))
    weights = [np.array(params[f"W{l}"]) for l in range(1, len(LAYERS))]
    return Problem(X.T.copy(), Y.T.copy(), X_test.T.copy(), Y_test.T.copy(), weights)


def sweep_weights(n_models: int, seed: int = 0) -> list[FloatArray]:
    """LeCun-normal weights for ``n_models`` models, ``(K, n_out, n_in)`` per layer."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((n_models, n_out, n_in)) / np.sqrt(n_in)
        for n_in, n_out in pairwise(LAYERS)
    ]


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _accuracy(probability_of_one: FloatArray, y: FloatArray) -> float:
    return float(np.mean((probability_of_one > 0.5) == (y > 0.5)))


# ---------------------------------------------------------------- PyTorch


def torch_times(problem: Problem, iterations: int, sweep_iterations: int) -> PeerTimes:
    """PyTorch eager, float64, one thread."""
    import torch

    torch.set_num_threads(1)

    def train(weights: list[FloatArray], l2: FloatArray, steps: int) -> tuple[list[Any], list[Any]]:
        X = torch.from_numpy(problem.X)
        y = torch.from_numpy(problem.y)
        K, m = len(l2), problem.m
        Ws = [torch.tensor(w.reshape(K, *w.shape[-2:]), requires_grad=True) for w in weights]
        bs = [torch.zeros(K, 1, w.shape[-2], dtype=torch.float64, requires_grad=True) for w in Ws]
        lam = torch.from_numpy(np.asarray(l2, dtype=np.float64))
        for _ in range(steps):
            A = X.expand(K, -1, -1)
            for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
                Z = torch.baddbmm(b, A, W.transpose(1, 2))
                A = torch.relu(Z) if l < len(Ws) - 1 else Z
            losses = torch.nn.functional.binary_cross_entropy_with_logits(
                A, y.expand(K, -1, -1), reduction="none"
            ).mean(dim=(1, 2))
            penalty = sum(W.pow(2).sum(dim=(1, 2)) for W in Ws)
            (losses + lam / (2 * m) * penalty).sum().backward()
            with torch.no_grad():
                for p in (*Ws, *bs):
                    p -= LEARNING_RATE * p.grad
                    p.grad = None
        return Ws, bs

    def predict(Ws: list[Any], bs: list[Any]) -> FloatArray:
        with torch.no_grad():
            A = torch.from_numpy(problem.X_test).expand(1, -1, -1)
            for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
                Z = torch.baddbmm(b, A, W.transpose(1, 2))
                A = torch.relu(Z) if l < len(Ws) - 1 else torch.sigmoid(Z)
            return np.asarray(A[0].numpy())

    one, (Ws, bs) = _timed(lambda: train(problem.course_weights, np.zeros(1), iterations))
    l2 = np.linspace(0.0, 3.0, 32)
    sweep, _ = _timed(lambda: train(sweep_weights(32), l2, sweep_iterations))
    rate = 32 * sweep_iterations / 30_000 / sweep
    accuracy = _accuracy(predict(Ws, bs), problem.y_test)
    return PeerTimes(f"PyTorch {torch.__version__} eager", one, accuracy, rate)


# ---------------------------------------------------------------- JAX


def jax_times(problem: Problem, iterations: int, sweep_iterations: int) -> PeerTimes:
    """JAX, float64: one jit-compiled fori_loop per model; the sweep under vmap."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    X, y, m = jnp.asarray(problem.X), jnp.asarray(problem.y), problem.m

    def forward(params: list[Any], inputs: Any) -> Any:
        A = inputs
        for l, (W, b) in enumerate(params):
            Z = A @ W.T + b
            A = jax.nn.relu(Z) if l < len(params) - 1 else Z
        return A

    def cost(params: list[Any], l2: Any) -> Any:
        logits = forward(params, X)
        loss = jnp.mean(jnp.logaddexp(0.0, logits) - y * logits)
        return loss + l2 / (2 * m) * sum(jnp.sum(W**2) for W, _ in params)

    def train(params: list[Any], l2: Any, steps: int) -> Any:
        def step(_: int, current: Any) -> Any:
            grads = jax.grad(cost)(current, l2)
            return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, current, grads)

        return jax.lax.fori_loop(0, steps, step, params)

    def initial(weights: list[FloatArray]) -> list[Any]:
        return [(jnp.asarray(W), jnp.zeros(W.shape[:-1])) for W in weights]

    one_model = jax.jit(train, static_argnums=2)
    course_params = initial(problem.course_weights)
    compile_seconds, _ = _timed(
        lambda: jax.block_until_ready(one_model(course_params, 0.0, iterations))
    )
    one, params = _timed(lambda: jax.block_until_ready(one_model(course_params, 0.0, iterations)))
    probability = jax.nn.sigmoid(forward(params, jnp.asarray(problem.X_test)))
    accuracy = _accuracy(np.asarray(probability), problem.y_test)

    many = jax.jit(jax.vmap(train, in_axes=(0, 0, None)), static_argnums=2)
    stacked = initial(sweep_weights(32))
    l2 = jnp.linspace(0.0, 3.0, 32)
    jax.block_until_ready(many(stacked, l2, sweep_iterations))  # compile
    sweep, _ = _timed(lambda: jax.block_until_ready(many(stacked, l2, sweep_iterations)))
    rate = 32 * sweep_iterations / 30_000 / sweep
    note = f"first call (compile and run) {compile_seconds:.2f} s"
    return PeerTimes(f"JAX {jax.__version__} jit / vmap", one, accuracy, rate, note)


# ---------------------------------------------------------------- scikit-learn


def sklearn_times(problem: Problem, iterations: int, sweep_iterations: int) -> PeerTimes:
    """scikit-learn's MLPClassifier at full batch, one fit per model, from given weights."""
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def fit(weights: list[FloatArray], l2: float, steps: int) -> MLPClassifier:
        classifier = MLPClassifier(
            hidden_layer_sizes=LAYERS[1:-1],
            solver="sgd",
            alpha=l2,
            batch_size=problem.m,
            learning_rate_init=LEARNING_RATE,
            momentum=0.0,
            max_iter=1,
            shuffle=False,
            tol=0.0,
            n_iter_no_change=steps + 1,
            warm_start=True,
        )
        # A fit of one step creates the model, then the weights are replaced and it trains on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(problem.X, problem.y.ravel())
            classifier.coefs_ = [W.T.copy() for W in weights]
            classifier.intercepts_ = [np.zeros(W.shape[0]) for W in weights]
            classifier.set_params(max_iter=steps)
            classifier.fit(problem.X, problem.y.ravel())
        return classifier

    one, classifier = _timed(lambda: fit(problem.course_weights, 0.0, iterations))
    accuracy = _accuracy(classifier.predict_proba(problem.X_test)[:, 1:], problem.y_test)
    stacked = sweep_weights(32)
    l2 = np.linspace(0.0, 3.0, 32)
    sweep, _ = _timed(
        lambda: [fit([W[k] for W in stacked], float(l2[k]), sweep_iterations) for k in range(32)]
    )
    rate = 32 * sweep_iterations / 30_000 / sweep
    note = "one fit per model, one core"
    return PeerTimes(f"scikit-learn {sklearn.__version__} MLPClassifier", one, accuracy, rate, note)


PEERS: dict[str, Callable[[Problem, int, int], PeerTimes]] = {
    "torch": torch_times,
    "jax": jax_times,
    "sklearn": sklearn_times,
}
"""Import name -> measurement; a peer whose import fails is skipped."""
