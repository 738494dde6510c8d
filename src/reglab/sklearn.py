"""reglab's network as a scikit-learn classifier: ``MLPClassifier``, for pipelines and searches.

A face over the engine, nothing more: ``fit`` turns scikit-learn's conventions (examples as
rows, any labels) into the engine's (examples as columns, class indices 0..C-1, one
:class:`~reglab.config.TrainConfig`) and calls :func:`reglab.engine.train`; the predicting
methods run :mod:`reglab.engine.network`'s forward pass. Parameters are named as scikit-learn's
own ``MLPClassifier`` names them where it has them (``hidden_layer_sizes``, ``max_iter``,
``random_state``) and as reglab does otherwise; ``fit`` checks them by reglab's rules
(:data:`reglab.config.PARAMETERS`), so a bad value is reglab's one line, a ``ValueError``.

Needs the optional extra: ``pip install "reglab[sklearn]"``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from reglab.config import (
    INIT_SCHEMES,
    MASK_MODES,
    MAX_ITERATIONS,
    MAX_LAYER_WIDTH,
    MAX_LAYERS,
    MAX_SEED,
    OPTIMIZERS,
    TrainConfig,
    validation_examples,
)
from reglab.constraints import is_integer
from reglab.engine import network
from reglab.engine.network import Parameters
from reglab.engine.training import train
from reglab.errors import DataError, ParameterError
from reglab.models import SavedModel, save_model
from reglab.types import FloatArray
from reglab.version import __version__

ESTIMATOR_NAMES = {"iterations": "max_iter", "seed": "random_state", "patience": "n_iter_no_change"}
"""A TrainConfig field -> the estimator's parameter, where the names differ."""

MAX_HIDDEN_LAYERS = MAX_LAYERS - 2
"""The most hidden layers: reglab's cap on layers, less the input and the output."""


def hidden_sizes(value: object) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple (an integer is one layer, as in scikit-learn)."""
    sizes = (value,) if is_integer(value) else value
    if (
        isinstance(sizes, str)
        or not isinstance(sizes, Sequence | np.ndarray)
        or np.ndim(sizes) != 1
        or len(sizes) > MAX_HIDDEN_LAYERS
        or not all(is_integer(n) and 1 <= int(n) <= MAX_LAYER_WIDTH for n in sizes)
    ):
        rule = (
            f"an integer or a sequence of at most {MAX_HIDDEN_LAYERS} integers, "
            f"each in [1, {MAX_LAYER_WIDTH:,}]"
        )
        raise ParameterError("hidden_layer_sizes", rule, value)
    return tuple(int(n) for n in sizes)


def engine_seed(random_state: object) -> int:
    """The engine's seed: an integer as given; from a ``RandomState`` (``None``: NumPy's
    global one), a draw, as scikit-learn's own estimators draw from it."""
    if is_integer(random_state):
        seed: int = random_state  # type: ignore[assignment]  # TrainConfig checks its range
        return seed
    if random_state is not None and not isinstance(random_state, np.random.RandomState):
        rule = "None, an integer in [0, 2**63 - 1] or a numpy.random.RandomState"
        raise ParameterError("random_state", rule, random_state)
    return int(check_random_state(random_state).randint(MAX_SEED, dtype=np.int64))


class MLPClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A ReLU network trained by reglab's engine, with L2, L1 and dropout: a scikit-learn
    classifier.

    Hidden layers are LINEAR -> RELU; two classes share one sigmoid output unit (the
    exercise's network), C >= 3 classes have C softmax units. Training is gradient descent
    (full-batch by default, as in the exercise) on the mean cross-entropy, plus the L2 term
    ``l2/(2m) * sum ||W||^2`` and the L1 term ``(l1/m) * sum |W|`` (biases are not
    penalized; ``l2`` equals scikit-learn's ``alpha`` at full batch), with inverted dropout
    on the hidden layers when ``keep_prob < 1``.

    Parameters:
        hidden_layer_sizes: the hidden layers' widths, e.g. ``(20, 3)`` (the exercise's).
        learning_rate: the gradient-descent step, > 0 (scikit-learn's ``learning_rate_init``).
        max_iter: the number of epochs (passes over the examples trained on), as
            scikit-learn counts them: one update each at full batch, ``ceil(m / batch_size)``
            with mini-batches.
        l2: L2 strength lambda, >= 0.
        l1: L1 strength alpha, >= 0.
        keep_prob: the probability of keeping a hidden unit under dropout, in (0, 1]; 1: none.
        masks: ``"fresh"`` (a new mask every iteration, drawn from ``random_state``) or
            ``"course"`` (the exercise's fixed masks).
        init: ``"lecun"`` (the course's distribution, ``randn / sqrt(fan_in)``, drawn from
            ``random_state``), ``"he"``, ``"xavier"``, or ``"course"`` (the exercise's own
            draw, which ignores ``random_state``: with the exercise's settings it reproduces
            the exercise's models).
        optimizer: the update rule: ``"gd"`` (plain gradient descent, the exercise's),
            ``"momentum"`` or ``"adam"`` (the course's conventions; see TrainConfig).
        beta1, beta2, epsilon: momentum's and Adam's decays, Adam's epsilon.
        batch_size: examples per update; None (the default): all of them, full batch.
        early_stopping: hold out ``ceil(validation_fraction * m)`` examples (drawn from
            ``random_state``), stop after ``n_iter_no_change`` epochs without a lower
            validation cost (with the penalties; scikit-learn watches the validation
            accuracy instead), and keep the parameters of the lowest.
        validation_fraction: the held-out share, in (0, 1).
        n_iter_no_change: epochs without improvement before stopping (reglab's ``patience``).
        random_state: seeds the initialization and the fresh masks: an integer in
            [0, 2**63 - 1], a ``numpy.random.RandomState`` or None (a seed drawn from NumPy's
            global generator at each ``fit``).

    Attributes:
        classes_: the labels, sorted; column j of ``predict_proba`` is ``classes_[j]``.
        coefs_: per layer, the weights, shape ``(n_in, n_out)`` (scikit-learn's layout;
            the engine's ``W_l`` transposed).
        intercepts_: per layer, the biases, shape ``(n_out,)``.
        loss_curve_: the training cost at the start of each epoch (with the L2 and L1
            terms; at full batch on the dropped-out pass under dropout, with mini-batches
            on the plain pass over all examples trained on), one per epoch.
        validation_loss_curve_: with early stopping, the validation cost at the start of
            each epoch; else None.
        n_iter_: the number of epochs trained.
        n_layers_, n_outputs_, out_activation_: as scikit-learn's ``MLPClassifier``.
        config_: the :class:`~reglab.config.TrainConfig` the model was trained with.
        n_features_in_, feature_names_in_: scikit-learn's record of the training inputs.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, MAX_LAYER_WIDTH, closed="both")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "keep_prob": [Interval(Real, 0, 1, closed="right")],
        "masks": [StrOptions(set(MASK_MODES))],
        "init": [StrOptions(set(INIT_SCHEMES))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "beta1": [Interval(Real, 0, 1, closed="left")],
        "beta2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
        "random_state": [
            Interval(Integral, 0, MAX_SEED, closed="both"),
            np.random.RandomState,
            None,
        ],
    }
    """scikit-learn's declaration of the parameters' rules (what its tools read); ``fit``
    checks with reglab's own rules, which agree with these (a test holds them together)."""

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (20, 3),
        *,
        learning_rate: float = 0.3,
        max_iter: int = 30_000,
        l2: float = 0.0,
        l1: float = 0.0,
        keep_prob: float = 1.0,
        masks: str = "fresh",
        init: str = "lecun",
        optimizer: str = "gd",
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        batch_size: int | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.l2 = l2
        self.l1 = l1
        self.keep_prob = keep_prob
        self.masks = masks
        self.init = init
        self.optimizer = optimizer
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def training_config(self, n_features: int, n_outputs: int) -> TrainConfig:
        """The engine's configuration for these parameters and data of ``n_features``
        features and ``n_outputs`` output units; reglab's one line when a parameter is bad,
        naming the estimator's parameter. (A ``random_state`` that is not an integer gives
        a new seed at each call.)"""
        layers = (n_features, *hidden_sizes(self.hidden_layer_sizes), n_outputs)
        try:
            return TrainConfig(
                layers=layers,
                learning_rate=self.learning_rate,
                iterations=self.max_iter,
                l2=self.l2,
                l1=self.l1,
                keep_prob=self.keep_prob,
                masks=self.masks,  # type: ignore[arg-type]  # checked by TrainConfig
                init=self.init,  # type: ignore[arg-type]
                optimizer=self.optimizer,  # type: ignore[arg-type]
                beta1=self.beta1,
                beta2=self.beta2,
                epsilon=self.epsilon,
                batch_size=self.batch_size,
                early_stopping=self.early_stopping,
                validation_fraction=self.validation_fraction,
                patience=self.n_iter_no_change,
                seed=engine_seed(self.random_state),
                record_every=1,
            )
        except ParameterError as error:
            name = ESTIMATOR_NAMES.get(error.parameter, error.parameter)
            # The estimator records once an epoch: its patience counts epochs.
            expected = error.expected.replace("records without", "epochs without")
            raise ParameterError(name, expected, error.received) from None

    def updates_per_epoch(self, n_samples: int) -> int:
        """The engine's updates in one pass over the ``n_samples`` examples trained on (less
        the validation share under early stopping): one at full batch, else one per batch."""
        if self.early_stopping:
            trained_on = n_samples - validation_examples(self.validation_fraction, n_samples)
        else:
            trained_on = n_samples
        trained_on = max(trained_on, 1)  # the engine refuses an empty split in its own words
        size = trained_on if self.batch_size is None else min(self.batch_size, trained_on)
        return math.ceil(trained_on / size)

    def fit(self, X: ArrayLike, y: ArrayLike) -> MLPClassifier:
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``."""
        checked = self.training_config(1, 1)  # the parameters first, as scikit-learn does
        X_rows, labels = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(labels)
        encoder = LabelEncoder()
        codes = encoder.fit_transform(labels)
        classes = encoder.classes_
        if len(classes) < 2:
            raise DataError(
                "y must hold at least two classes to learn to tell apart. "
                f"Received: one class, {classes.tolist()[0]!r}"
            )
        n_outputs = 1 if len(classes) == 2 else len(classes)
        layers = (X_rows.shape[1], *checked.layers[1:-1], n_outputs)
        per_epoch = self.updates_per_epoch(X_rows.shape[0])
        if self.max_iter * per_epoch > MAX_ITERATIONS:
            rule = (
                f"at most {MAX_ITERATIONS // per_epoch:,} epochs of {per_epoch:,} updates "
                f"here (reglab's cap: {MAX_ITERATIONS:,} updates)"
            )
            raise ParameterError("max_iter", rule, self.max_iter)
        config = replace(
            checked,
            layers=layers,
            iterations=self.max_iter * per_epoch,
            record_every=per_epoch,
        )
        result = train([config], X_rows.T, codes.reshape(1, -1).astype(np.float64))
        params = result.parameters
        stopped_at = result.stopped_at[0] if result.stopped_at else None
        epochs = self.max_iter if stopped_at is None else stopped_at // per_epoch
        self.classes_ = classes
        self.config_ = config
        self.coefs_ = [np.ascontiguousarray(W[0].T) for W in params.weights]
        self.intercepts_ = [b[0, :, 0].copy() for b in params.biases]
        self.loss_curve_ = [float(cost) for cost in result.history.cost[0, :epochs]]
        validation = result.history.validation_cost
        self.validation_loss_curve_ = (
            None if validation is None else [float(cost) for cost in validation[0, :epochs]]
        )
        self.n_iter_ = epochs
        self.n_layers_ = len(config.layers)
        self.n_outputs_ = n_outputs
        self.out_activation_ = "logistic" if n_outputs == 1 else "softmax"
        return self

    def saved_model(self) -> SavedModel:
        """The fitted model as a :class:`~reglab.models.SavedModel` (the engine's layout,
        the classes as plain Python labels; no data file, so no ``data_sha256``)."""
        check_is_fitted(self)
        return SavedModel(
            config=self.config_,
            weights=tuple(W.T for W in self.coefs_),
            biases=tuple(b.reshape(-1, 1) for b in self.intercepts_),
            classes=tuple(self.classes_.tolist()),
            n_features=self.config_.layers[0],
            data_sha256=None,
            reglab_version=__version__,
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model to ``path``, a reglab model file (docs/model-file.md) that
        ``reglab.load_model`` and ``reglab predict`` read; returns the path."""
        return save_model(path, self.saved_model())

    def _parameters(self) -> Parameters:
        """The fitted model in the engine's layout, a batch of one."""
        return Parameters(
            weights=[W.T[np.newaxis] for W in self.coefs_],
            biases=[b.reshape(1, -1, 1) for b in self.intercepts_],
        )

    def _columns(self, X: ArrayLike) -> FloatArray:
        check_is_fitted(self)
        X_rows = validate_data(self, X, dtype=np.float64, reset=False)
        columns: FloatArray = X_rows.T
        return columns

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """The output layer's logits: two classes ``(n_samples,)``, more ``(n_samples,
        n_classes)``. Two classes: ``predict`` says ``classes_[1]`` where the probability
        is > 0.5 (the course's rule), which is a logit > 0 except for logits in (0, 2**-53],
        whose sigmoid rounds to 0.5 exactly."""
        columns = self._columns(X)
        logits = network.forward(self._parameters(), columns).logits[0]
        scores: FloatArray = logits[0] if self.n_outputs_ == 1 else logits.T
        return scores.copy()

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities, ``(n_samples, n_classes)``; two classes: ``[1 - p, p]``."""
        columns = self._columns(X)
        output = network.predict_proba(self._parameters(), columns)[0]
        if self.n_outputs_ == 1:
            return np.column_stack([1.0 - output[0], output[0]])
        probabilities: FloatArray = output.T.copy()
        return probabilities

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The predicted labels, ``(n_samples,)``, by the engine's rule (two classes: where
        the probability of ``classes_[1]`` is > 0.5, the course's rule)."""
        columns = self._columns(X)
        indices = np.asarray(network.predict(self._parameters(), columns)[0, 0])
        labels: NDArray[Any] = self.classes_[indices.astype(np.intp)]
        return labels
