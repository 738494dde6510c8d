"""The exercise's own functions, under its own names, as thin adapters over the engine.

Whoever did the course's "Regularization" assignment knows ``initialize_parameters``,
``forward_propagation_with_dropout``, ``backward_propagation_with_regularization``,
``model`` and the rest. This module offers them with the course's names, arguments
(``lambd``, not reglab's ``l2``, because ``lambda`` is a Python keyword; ``keep_prob``),
return values, cache tuples and dictionary keys, on purpose: put reglab's function
beside your own and compare them number for number.

Each function only translates between the course's forms (dicts of ``W1, b1, ...``,
cache tuples, ``(1, m)`` arrays) and the engine's K = 1 batches. None computes a
product, an activation or a logarithm of its own: :mod:`reglab.engine` does all of it.
The exceptions are the helpers the course's ``reg_utils`` hands to learners' code
(``sigmoid``, ``relu``, ``plot_decision_boundary``) and its ``public_tests``
(``*_test(target)``: a learner's function against this module's on the unit checks),
which :mod:`reglab.grading` serves under the course's module names.

This is the one module of reglab that seeds NumPy's global legacy generator, because
the course does and its published numbers depend on it: ``initialize_parameters``
seeds it with 3, ``forward_propagation_with_dropout`` with 1 on every call, and both
leave it in the state the course's functions leave it. The ``*_test_case`` builders
seed it with 1 and draw the inputs of SPEC.md's unit checks, in the course's order.

Where reglab differs from the course, on purpose:

- ``model`` accepts ``lambd`` and ``keep_prob`` together (the course forbids it);
  the L2 term then adds to the cost of the dropped-out pass. It draws no plot
  (see the figures) and prints its costs once training is done.
- ``update_parameters`` returns a new dict and leaves its argument untouched.
- ``load_2D_dataset`` takes the path of ``data.mat`` and returns float64 labels.
- The functions accept any depth; with the course's three layers the caches and
  gradient dicts are exactly the course's.
"""

# The course seeds and draws from NumPy's global legacy generator; so does this module.
# ruff: noqa: NPY002

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from reglab import engine
from reglab.config import TrainConfig
from reglab.data.football import load_football
from reglab.engine.dropout import COURSE_MASK_SEED
from reglab.engine.initializers import COURSE_INIT_SEED
from reglab.errors import DataError, ParameterError
from reglab.types import BoolArray, FloatArray

__all__ = [
    "backward_propagation",
    "backward_propagation_with_dropout",
    "backward_propagation_with_dropout_test",
    "backward_propagation_with_dropout_test_case",
    "backward_propagation_with_regularization",
    "backward_propagation_with_regularization_test",
    "backward_propagation_with_regularization_test_case",
    "compute_cost",
    "compute_cost_with_regularization",
    "compute_cost_with_regularization_test",
    "compute_cost_with_regularization_test_case",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "forward_propagation_with_dropout_test",
    "forward_propagation_with_dropout_test_case",
    "initialize_parameters",
    "load_2D_dataset",
    "model",
    "plot_decision_boundary",
    "predict",
    "predict_dec",
    "relu",
    "sigmoid",
    "update_parameters",
]

ParameterDict = dict[str, FloatArray]
"""``{"W1": (n_1, n_0), "b1": (n_1, 1), ..., "WL": (1, n_{L-1}), "bL": (1, 1)}``."""

Cache = tuple[FloatArray, ...]
"""The course's cache: ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)``; with dropout, each
hidden layer's group is ``(Z_l, D_l, A_l, W_l, b_l)``."""

_T = TypeVar("_T")

# TrainConfig's field names, as the course's model() calls them.
_COURSE_NAMES = {"l2": "lambd", "iterations": "num_iterations"}
_HIDDEN_LAYERS = (20, 3)
_PRINT_EVERY = 10_000
_RECORD_EVERY = 1_000
_UNIT_CHECK_LABELS = ((1, 1, 0, 1, 0),)
# Check 1's output activations, as SPEC.md gives them (an input of the check, not a result).
_UNIT_CHECK_A3 = ((0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402),)


# --- NumPy's global legacy generator, used as the course uses it ---------------------------


def _draw_like_the_course(seed: int, draw: Callable[[np.random.RandomState], _T]) -> _T:
    """Seed the global generator as the course does and let ``draw`` consume its stream.

    ``draw`` reads a ``RandomState`` that continues the global one; afterwards the
    global generator continues from where ``draw`` stopped, exactly as if the course
    had drawn from it directly.
    """
    np.random.seed(seed)
    legacy = np.random.RandomState()
    legacy.set_state(np.random.get_state())
    drawn = draw(legacy)
    np.random.set_state(legacy.get_state())
    return drawn


def _course_masks(hidden_sizes: list[int], m: int, keep_prob: float) -> engine.DropoutMasks:
    """The exercise's masks (``rand(n_l, m) < keep_prob`` after seed 1) as a K = 1 batch.

    Drawn by the engine from the global generator, seeded with 1 as the course does.
    """
    uniforms = _draw_like_the_course(
        COURSE_MASK_SEED, lambda legacy: engine.course_uniforms(hidden_sizes, m, legacy)
    )
    return engine.DropoutMasks(
        keep=[(u < keep_prob)[np.newaxis] for u in uniforms],
        keep_prob=np.array([keep_prob]),
    )


# --- translation between the course's forms and the engine's K = 1 batches ------------------


def _n_layers(parameters: Mapping[str, FloatArray]) -> int:
    n = 0
    while f"W{n + 1}" in parameters and f"b{n + 1}" in parameters:
        n += 1
    if n == 0:
        raise ParameterError(
            "parameters", "a dict with keys W1, b1, W2, b2, ...", sorted(parameters)
        )
    return n


def _to_engine(parameters: Mapping[str, FloatArray]) -> engine.Parameters:
    n = _n_layers(parameters)
    weights = [parameters[f"W{l}"] for l in range(1, n + 1)]
    biases = [parameters[f"b{l}"] for l in range(1, n + 1)]
    return engine.Parameters.stack([(weights, biases)])


def _from_engine(params: engine.Parameters) -> ParameterDict:
    parameters: ParameterDict = {}
    for l, (W, b) in enumerate(zip(params.weights, params.biases, strict=True), start=1):
        parameters[f"W{l}"] = W[0].copy()
        parameters[f"b{l}"] = b[0].copy()
    return parameters


def _as_inputs(X: FloatArray, name: str = "X") -> FloatArray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise DataError(
            f"{name} must have shape (n_features, m), examples as columns. "
            f"Received: shape {X.shape}"
        )
    return X


def _check_keep_prob(keep_prob: float) -> None:
    if not isinstance(keep_prob, (int, float)) or not 0 < keep_prob <= 1:
        raise ParameterError("keep_prob", "in (0, 1]", keep_prob)


def _course_cache(params: engine.Parameters, passed: engine.ForwardPass) -> Cache:
    Z = passed.pre_activations
    A = [*passed.hidden, passed.output]
    keep = passed.masks.keep if passed.masks is not None else None
    cache: list[FloatArray] = []
    for l, (W, b) in enumerate(zip(params.weights, params.biases, strict=True)):
        cache.append(Z[l][0])
        if keep is not None and l < len(keep):
            cache.append(keep[l][0])
        cache += [A[l][0], W[0], b[0]]
    return tuple(cache)


def _from_cache(
    X: FloatArray, cache: Cache, keep_prob: float | None
) -> tuple[engine.Parameters, engine.ForwardPass]:
    """Rebuild the engine's parameters and forward pass from a course cache.

    ``keep_prob`` None reads a plain cache (4 arrays per layer); otherwise a dropout
    cache (5 per hidden layer, with its mask), scaled by ``keep_prob`` backward.
    """
    per_hidden = 4 if keep_prob is None else 5
    if len(cache) < 4 or (len(cache) - 4) % per_hidden != 0:
        form = "Z, A, W, b" if keep_prob is None else "Z, D, A, W, b"
        raise ParameterError(
            "cache",
            f"the tuple the matching forward pass returns ({form} per hidden layer, "
            "then Z, A, W, b)",
            f"a tuple of {len(cache)} items",
        )
    n_hidden = (len(cache) - 4) // per_hidden
    groups = [cache[l * per_hidden : (l + 1) * per_hidden] for l in range(n_hidden)]
    Z_out, A_out, W_out, b_out = cache[-4:]
    weights = [group[-2] for group in groups] + [W_out]
    biases = [group[-1] for group in groups] + [b_out]
    hidden = [np.asarray(group[-3], dtype=float)[np.newaxis] for group in groups]
    masks = None
    if keep_prob is not None:
        masks = engine.DropoutMasks(
            keep=[np.asarray(group[1], dtype=bool)[np.newaxis] for group in groups],
            keep_prob=np.array([keep_prob]),
        )
    passed = engine.ForwardPass(
        inputs=_as_inputs(X),
        pre_activations=[
            *(np.asarray(group[0], dtype=float)[np.newaxis] for group in groups),
            np.asarray(Z_out, dtype=float)[np.newaxis],
        ],
        hidden=hidden,
        output=np.asarray(A_out, dtype=float)[np.newaxis],
        masks=masks,
    )
    return engine.Parameters.stack([(weights, biases)]), passed


def _gradient_dict(grads: engine.Gradients, summed_loss: bool, m: int) -> dict[str, FloatArray]:
    """The course's gradient dict, from the output layer down.

    ``summed_loss`` True gives the L2/dropout versions' keys (``dZ3``, ``dA2``: the
    engine's gradients of the summed loss); False the plain version's (``dz3``,
    ``da2``), which scales ``dz3`` by ``1/m`` up front, so its ``dz``/``da`` are 1/m
    times the engine's.
    """
    z, a = ("dZ", "dA") if summed_loss else ("dz", "da")
    scale = 1.0 if summed_loss else 1.0 / m
    gradients: dict[str, FloatArray] = {}
    for l in range(len(grads.weights), 0, -1):
        gradients[f"{z}{l}"] = scale * grads.pre_activations[l - 1][0]
        gradients[f"dW{l}"] = grads.weights[l - 1][0]
        gradients[f"db{l}"] = grads.biases[l - 1][0]
        if l > 1:
            gradients[f"{a}{l - 1}"] = scale * grads.hidden[l - 2][0]
    return gradients


# --- the course's functions ----------------------------------------------------------------


def sigmoid(x: FloatArray) -> FloatArray:
    """``1 / (1 + exp(-x))``, elementwise (the engine's output activation), as ``reg_utils``."""
    from scipy.special import expit  # here: importing scipy.special costs ~0.3 s at start-up

    s: FloatArray = expit(np.asarray(x, dtype=float))
    return s


def relu(x: FloatArray) -> FloatArray:
    """``max(0, x)``, elementwise (the engine's hidden activation), as ``reg_utils``."""
    r: FloatArray = np.maximum(0, x)
    return r


def plot_decision_boundary(
    model: Callable[[FloatArray], Any], X: FloatArray, y: FloatArray
) -> None:
    """Fill the plane with ``model``'s class and draw the points on top, as ``reg_utils``.

    Draws on pyplot's current axes (a notebook shows the figure at the end of the cell).

    Args:
        model: maps points as rows, shape ``(n, 2)``, to classes, e.g.
            ``lambda x: predict_dec(parameters, x.T)``.
        X: the points, shape ``(2, m)``.
        y: their labels, shape ``(1, m)``.
    """
    import matplotlib.pyplot as plt  # here: the engine and the grader never need it

    step = 0.01
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    classes = np.asarray(model(np.c_[xx.ravel(), yy.ravel()])).reshape(xx.shape)
    plt.contourf(xx, yy, classes, cmap=plt.cm.Spectral)
    plt.ylabel("x2")
    plt.xlabel("x1")
    plt.scatter(X[0, :], X[1, :], c=np.ravel(y), cmap=plt.cm.Spectral)


def initialize_parameters(layer_dims: list[int]) -> ParameterDict:
    """The course's initialization: ``np.random.seed(3)``, then ``W_l = randn/sqrt(n_{l-1})``.

    Args:
        layer_dims: layer sizes ``[n_0, ..., n_L]``, e.g. ``[2, 20, 3, 1]``.

    Returns:
        ``W_l`` of shape ``(n_l, n_{l-1})`` and zero ``b_l`` of shape ``(n_l, 1)``.
        NumPy's global generator is left as the course leaves it.
    """
    weights, biases = _draw_like_the_course(
        COURSE_INIT_SEED,
        lambda legacy: engine.initialize(list(layer_dims), "course", legacy=legacy),
    )
    return _from_engine(engine.Parameters.stack([(weights, biases)]))


def forward_propagation(X: FloatArray, parameters: ParameterDict) -> tuple[FloatArray, Cache]:
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, without dropout.

    Args:
        X: inputs, shape ``(n_0, m)``.
        parameters: ``W1, b1, W2, b2, W3, b3``.

    Returns:
        ``(A3, cache)``: A3 of shape ``(1, m)`` and
        ``cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``.
    """
    params = _to_engine(parameters)
    passed = engine.forward(params, _as_inputs(X))
    return passed.output[0], _course_cache(params, passed)


def forward_propagation_with_dropout(
    X: FloatArray, parameters: ParameterDict, keep_prob: float = 0.5
) -> tuple[FloatArray, Cache]:
    """The forward pass with the course's inverted dropout on the hidden layers.

    As the course: seeds NumPy's global generator with 1 on every call, then
    ``D1 = rand(n_1, m) < keep_prob``, ``D2 = rand(n_2, m) < keep_prob``, and
    ``A_l = A_l * D_l / keep_prob``. The masks are therefore the same on every call.

    Args:
        X: inputs, shape ``(n_0, m)``.
        parameters: ``W1, b1, W2, b2, W3, b3``.
        keep_prob: probability of keeping a hidden unit, in (0, 1].

    Returns:
        ``(A3, cache)`` with
        ``cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)``.
    """
    _check_keep_prob(keep_prob)
    X = _as_inputs(X)
    params = _to_engine(parameters)
    masks = _course_masks(list(params.layers[1:-1]), X.shape[1], keep_prob)
    passed = engine.forward(params, X, masks)
    return passed.output[0], _course_cache(params, passed)


def compute_cost(a3: FloatArray, Y: FloatArray) -> float:
    """Mean binary cross-entropy of output ``a3`` ``(1, m)`` against labels ``Y`` ``(1, m)``.

    ``0 * log(0)`` terms count as 0, as the course's ``nansum`` does.
    """
    return float(engine.cross_entropy_from_probabilities(np.asarray(a3, float), np.asarray(Y)))


def compute_cost_with_regularization(
    A3: FloatArray, Y: FloatArray, parameters: ParameterDict, lambd: float
) -> float:
    """``compute_cost(A3, Y) + lambd/(2m) * sum_l ||W_l||_F^2`` (biases are not penalized).

    Args:
        A3: output activations, shape ``(1, m)``.
        Y: labels, shape ``(1, m)``.
        parameters: ``W1, b1, ...``; only the weights enter the penalty.
        lambd: the L2 strength lambda.
    """
    params = _to_engine(parameters)
    m = np.shape(Y)[-1]
    penalty = engine.l2_penalty(params.weights, np.array([lambd], dtype=float), m)
    return compute_cost(A3, Y) + float(penalty[0])


def backward_propagation(X: FloatArray, Y: FloatArray, cache: Cache) -> dict[str, FloatArray]:
    """Gradients of the plain model, with the keys of the course's ``reg_utils``.

    Args:
        X: inputs, shape ``(n_0, m)``.
        Y: labels, shape ``(1, m)``.
        cache: from :func:`forward_propagation`.

    Returns:
        ``dz3, dW3, db3, da2, dz2, dW2, db2, da1, dz1, dW1, db1``. That version
        scales ``dz3`` by ``1/m`` up front, so its ``dz``/``da`` are the gradients of
        the mean cost (1/m times those of the L2 and dropout versions).
    """
    params, passed = _from_cache(X, cache, keep_prob=None)
    grads = engine.backward(params, passed, np.asarray(Y))
    return _gradient_dict(grads, summed_loss=False, m=passed.inputs.shape[1])


def backward_propagation_with_regularization(
    X: FloatArray, Y: FloatArray, cache: Cache, lambd: float
) -> dict[str, FloatArray]:
    """Gradients with L2: each ``dW_l`` gains ``(lambd/m) * W_l``.

    Args:
        X: inputs, shape ``(n_0, m)``.
        Y: labels, shape ``(1, m)``.
        cache: from :func:`forward_propagation`.
        lambd: the L2 strength lambda.

    Returns:
        ``dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1`` (``dZ``/``dA`` of
        the summed cross-entropy, as the course).
    """
    params, passed = _from_cache(X, cache, keep_prob=None)
    grads = engine.backward(params, passed, np.asarray(Y), l2=float(lambd))
    return _gradient_dict(grads, summed_loss=True, m=passed.inputs.shape[1])


def backward_propagation_with_dropout(
    X: FloatArray, Y: FloatArray, cache: Cache, keep_prob: float
) -> dict[str, FloatArray]:
    """Gradients through the dropout masks: ``dA_l = dA_l * D_l / keep_prob``.

    Args:
        X: inputs, shape ``(n_0, m)``.
        Y: labels, shape ``(1, m)``.
        cache: from :func:`forward_propagation_with_dropout`.
        keep_prob: the scale used backward (the course's unit check passes a
            different value than its forward pass used).

    Returns:
        ``dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1``.
    """
    _check_keep_prob(keep_prob)
    params, passed = _from_cache(X, cache, keep_prob=float(keep_prob))
    grads = engine.backward(
        params, passed, np.asarray(Y), keep_prob=np.array([keep_prob], dtype=float)
    )
    return _gradient_dict(grads, summed_loss=True, m=passed.inputs.shape[1])


def update_parameters(
    parameters: ParameterDict, grads: Mapping[str, FloatArray], learning_rate: float
) -> ParameterDict:
    """One gradient-descent step, ``W_l - learning_rate * dW_l`` (and the biases).

    Returns a new dict; ``parameters`` is left as it was.
    """
    n_layers = _n_layers(parameters)
    gradients = engine.Gradients(
        weights=[np.asarray(grads[f"dW{l}"])[np.newaxis] for l in range(1, n_layers + 1)],
        biases=[np.asarray(grads[f"db{l}"])[np.newaxis] for l in range(1, n_layers + 1)],
        hidden=[],
        pre_activations=[],
    )
    return _from_engine(engine.gradient_step(_to_engine(parameters), gradients, learning_rate))


def predict(X: FloatArray, y: FloatArray, parameters: ParameterDict) -> FloatArray:
    """Predict class 1 where A3 > 0.5 and print ``Accuracy: ...`` against ``y``, as the course.

    Args:
        X: inputs, shape ``(n_0, m)``.
        y: labels, shape ``(1, m)``.
        parameters: a trained model.

    Returns:
        The predictions, 0 or 1, shape ``(1, m)``.
    """
    params = _to_engine(parameters)
    X = _as_inputs(X)
    print("Accuracy: " + str(engine.accuracy(params, X, np.asarray(y))[0]))
    predictions: FloatArray = engine.predict(params, X)[0].astype(int)
    return predictions


def predict_dec(parameters: ParameterDict, X: FloatArray) -> BoolArray:
    """True where A3 > 0.5, shape ``(1, m)`` (used for the decision-boundary plot)."""
    decisions: BoolArray = engine.predict(_to_engine(parameters), _as_inputs(X))[0] == 1
    return decisions


def model(
    X: FloatArray,
    Y: FloatArray,
    learning_rate: float = 0.3,
    num_iterations: int = 30_000,
    print_cost: bool = True,
    lambd: float = 0,
    keep_prob: float = 1,
) -> ParameterDict:
    """The course's three-layer model, ``[n_0, 20, 3, 1]``, trained by the engine.

    One :class:`TrainConfig` with the course's initialization and, when
    ``keep_prob < 1``, the course's fixed dropout masks. Unlike the course, ``lambd``
    and ``keep_prob`` may be used together: the L2 term then adds to the cost of
    the dropped-out pass. No plot is drawn; with ``print_cost`` the costs at
    iterations 0, 10,000, ... are printed as the course prints them, once training
    is done.

    Args:
        X: training inputs, shape ``(n_0, m)``.
        Y: training labels in {0, 1}, shape ``(1, m)``.
        learning_rate: gradient-descent step size.
        num_iterations: number of full-batch updates.
        print_cost: print ``Cost after iteration i: cost`` every 10,000 iterations.
        lambd: the L2 strength lambda (0: no L2).
        keep_prob: probability of keeping a hidden unit (1: no dropout).

    Returns:
        The trained ``W1, b1, W2, b2, W3, b3``.
    """
    X = _as_inputs(X)
    try:
        config = TrainConfig(
            layers=(X.shape[0], *_HIDDEN_LAYERS, 1),
            learning_rate=learning_rate,
            iterations=num_iterations,
            l2=lambd,
            keep_prob=keep_prob,
            masks="course",
            init="course",
            record_every=_RECORD_EVERY,
        )
    except ParameterError as error:
        name = _COURSE_NAMES.get(error.parameter, error.parameter)
        raise ParameterError(name, error.expected, error.received) from None
    trained = engine.train([config], X, np.asarray(Y, dtype=float))
    # Leave the global generator as the course's loop leaves it.
    if keep_prob < 1:
        _course_masks(list(config.layers[1:-1]), X.shape[1], keep_prob)
    else:
        initialize_parameters(list(config.layers))
    if print_cost:
        history = trained.history
        for i, cost in zip(history.iterations, history.cost[0], strict=True):
            if i % _PRINT_EVERY == 0:
                print(f"Cost after iteration {i}: {float(cost)}")
    return _from_engine(trained.parameters)


def load_2D_dataset(  # noqa: N802 - the course's name
    path: str | Path,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The exercise's football data from ``data.mat``, examples as columns.

    Args:
        path: the course's ``datasets/data.mat`` (keys ``X``, ``y``, ``Xval``, ``yval``).

    Returns:
        ``train_X (2, 211), train_Y (1, 211), test_X (2, 200), test_Y (1, 200)``,
        all float64 (the course's labels are uint8). No plot is drawn.

    Raises:
        DataError: when the file is missing or does not have the exercise's layout.
    """
    dataset = load_football(path)
    return dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test


# --- the inputs of SPEC.md's unit checks, as the course's testCases build them ------------


def _draw_unit_check_parameters() -> ParameterDict:
    """``W1 = randn(2,3), b1 = randn(2,1), W2 = randn(3,2), b2 = randn(3,1), W3, b3`` in order."""
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 2), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    return {name: np.random.randn(*shape) for name, shape in shapes.items()}


def compute_cost_with_regularization_test_case() -> tuple[FloatArray, FloatArray, ParameterDict]:
    """Check 1's inputs: seed 1, then the parameters; ``(A3, Y, parameters)``."""
    np.random.seed(1)
    parameters = _draw_unit_check_parameters()
    return np.array(_UNIT_CHECK_A3), np.array(_UNIT_CHECK_LABELS), parameters


def backward_propagation_with_regularization_test_case() -> tuple[FloatArray, FloatArray, Cache]:
    """Check 2's inputs: seed 1, ``X = randn(3, 5)``, the parameters; the plain pass's cache.

    Returns:
        ``(X, Y, cache)``.
    """
    X, parameters = forward_propagation_with_dropout_test_case()
    _, cache = forward_propagation(X, parameters)
    return X, np.array(_UNIT_CHECK_LABELS), cache


def forward_propagation_with_dropout_test_case() -> tuple[FloatArray, ParameterDict]:
    """Check 3's inputs: seed 1, ``X = randn(3, 5)``, then the parameters; ``(X, parameters)``."""
    np.random.seed(1)
    X = np.random.randn(3, 5)
    return X, _draw_unit_check_parameters()


def backward_propagation_with_dropout_test_case() -> tuple[FloatArray, FloatArray, Cache]:
    """Check 4's inputs: check 3's pass with ``keep_prob = 0.5``; ``(X, Y, cache)``.

    NumPy's global generator is left as ``forward_propagation_with_dropout`` leaves it.
    """
    X, parameters = forward_propagation_with_dropout_test_case()
    _, cache = forward_propagation_with_dropout(X, parameters, keep_prob=0.5)
    return X, np.array(_UNIT_CHECK_LABELS), cache


# --- the course's public_tests: a learner's function against reglab's on each check -------


def _check_like(name: str, received: Any, expected: Any) -> None:
    """Raise AssertionError naming ``name`` unless ``received`` matches ``expected``."""
    if isinstance(expected, dict):
        if not isinstance(received, dict):
            raise AssertionError(f"{name} must be a dict. Received: {type(received).__name__}")
        for key, value in expected.items():
            if key not in received:
                raise AssertionError(f"{name} lacks the key {key!r}")
            _check_like(f"{name}[{key!r}]", received[key], value)
        return
    if isinstance(expected, tuple):
        if not isinstance(received, tuple | list) or len(received) != len(expected):
            raise AssertionError(f"{name} must be a tuple of {len(expected)} items")
        for i, (got, want) in enumerate(zip(received, expected, strict=True)):
            _check_like(f"{name}[{i}]", got, want)
        return
    got_array, want_array = np.asarray(received), np.asarray(expected)
    # A cost may come back as a float or a (1, 1) array, as the course allows; any other
    # value must have the expected shape (a single number must not pass for a whole array).
    scalar = want_array.size == 1 and got_array.size == 1
    if got_array.shape != want_array.shape and not scalar:
        raise AssertionError(
            f"{name} must have shape {want_array.shape}. Received: {got_array.shape}"
        )
    if not np.allclose(got_array.astype(float), want_array.astype(float), rtol=1e-7, atol=1e-9):
        raise AssertionError(f"Wrong values in {name}")


def _passed() -> None:
    print("\033[92mAll tests passed.\033[0m")


def compute_cost_with_regularization_test(target: Callable[..., Any]) -> None:
    """The course's check of ``compute_cost_with_regularization`` (lambd = 0.1)."""
    A3, Y, parameters = compute_cost_with_regularization_test_case()
    expected = compute_cost_with_regularization(A3, Y, parameters, lambd=0.1)
    _check_like("cost", target(A3, Y, parameters, 0.1), expected)
    _passed()


def backward_propagation_with_regularization_test(target: Callable[..., Any]) -> None:
    """The course's check of ``backward_propagation_with_regularization`` (lambd = 0.7)."""
    X, Y, cache = backward_propagation_with_regularization_test_case()
    expected = backward_propagation_with_regularization(X, Y, cache, lambd=0.7)
    received = target(X, Y, cache, 0.7)
    _check_like("gradients", received, {k: expected[k] for k in ("dW1", "dW2", "dW3")})
    _passed()


def forward_propagation_with_dropout_test(target: Callable[..., Any]) -> None:
    """The course's check of ``forward_propagation_with_dropout`` (keep_prob = 0.7)."""
    X, parameters = forward_propagation_with_dropout_test_case()
    expected, _ = forward_propagation_with_dropout(X, parameters, keep_prob=0.7)
    A3, _ = target(X, parameters, 0.7)
    _check_like("A3", A3, expected)
    _passed()


def backward_propagation_with_dropout_test(target: Callable[..., Any]) -> None:
    """The course's check of ``backward_propagation_with_dropout`` (keep_prob = 0.8)."""
    X, Y, cache = backward_propagation_with_dropout_test_case()
    expected = backward_propagation_with_dropout(X, Y, cache, keep_prob=0.8)
    received = target(X, Y, cache, 0.8)
    _check_like("gradients", received, {k: expected[k] for k in ("dA1", "dA2")})
    _passed()
