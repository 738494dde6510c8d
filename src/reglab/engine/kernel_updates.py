"""The kernel's update rules: one update of a model's parameters from its summed gradient.

Like the heads (:mod:`~reglab.engine.kernel_heads`), a rule is chosen by a
code. To add an update rule: a code in :data:`UPDATE_RULES`, a branch in
:func:`_update` (or :func:`_momentum_or_adam`), its state (momentum's ``v``,
Adam's ``v``, ``s``, ``t``) as workspace beside ``grad`` in
:func:`reglab.engine.kernel.train_model`, and the same math in NumPy in
:mod:`reglab.engine.optimizers`.
"""

from __future__ import annotations

import numpy as np

from reglab.engine.kernel_compile import compiled
from reglab.engine.kernel_plan import Layout
from reglab.types import FloatArray

CALLEES_DIGEST = "b11d054b9f8606f4"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""


UPDATE_GRADIENT_DESCENT = 0
"""``p -= learning_rate * gradient``."""
UPDATE_MOMENTUM = 1
"""The course's momentum: ``v = beta1 v + (1 - beta1) g; p -= learning_rate * v``."""
UPDATE_ADAM = 2
"""The course's Adam, bias-corrected, ``epsilon`` outside the square root."""
UPDATE_RULES = {"gd": UPDATE_GRADIENT_DESCENT, "momentum": UPDATE_MOMENTUM, "adam": UPDATE_ADAM}
"""Update rules by name: the per-model code :class:`~reglab.engine.kernel_plan.Settings`
carries (see :func:`_update`)."""


@compiled()
def _update(
    rule: int,
    model: FloatArray,
    grad: FloatArray,
    layout: Layout,
    learning_rate: float,
    inv_m: float,
    decay: float,
    sparsity: float,
    state: FloatArray,
    beta1: float,
    beta2: float,
    epsilon: float,
    step: int,
) -> None:
    """One update of a model's parameters from its summed gradient ``grad``, by ``rule``.

    The gradient of each weight is ``inv_m * grad + decay * W + sparsity * sign(W)``
    (L2: ``decay = l2 / m``; L1: ``sparsity = l1 / m``, sign(0) = 0), of each bias
    ``inv_m * grad``. Gradient descent: ``p -= learning_rate * gradient``. Without L1
    the weights take a loop without the sign term: the plain models' loop, unchanged.
    Momentum and Adam first write that gradient into ``grad``, then run their rule
    (:func:`_momentum_or_adam`) on ``state`` (``(2, P)``: ``v``, ``s``) with
    beta1, beta2, epsilon and ``step``, the update's number from 1.
    """
    layers = layout.layers
    plain = rule == UPDATE_GRADIENT_DESCENT
    for l in range(layers.size - 1):
        w = layout.weight_offsets[l]
        if plain and sparsity == 0.0:
            for e in range(w, w + layers[l + 1] * layers[l]):
                model[e] -= learning_rate * (inv_m * grad[e] + decay * model[e])
        elif plain:
            for e in range(w, w + layers[l + 1] * layers[l]):
                model[e] -= learning_rate * (
                    inv_m * grad[e] + decay * model[e] + sparsity * np.sign(model[e])
                )
        else:
            for e in range(w, w + layers[l + 1] * layers[l]):
                grad[e] = inv_m * grad[e] + decay * model[e] + sparsity * np.sign(model[e])
        b = layout.bias_offsets[l]
        for e in range(b, b + layers[l + 1]):
            if plain:
                model[e] -= learning_rate * (inv_m * grad[e])
            else:
                grad[e] = inv_m * grad[e]
    if not plain:
        _momentum_or_adam(rule, model, grad, learning_rate, state, beta1, beta2, epsilon, step)


@compiled()
def _momentum_or_adam(
    rule: int,
    model: FloatArray,
    gradient: FloatArray,
    learning_rate: float,
    state: FloatArray,
    beta1: float,
    beta2: float,
    epsilon: float,
    step: int,
) -> None:
    """Momentum or Adam on every parameter from the full ``gradient`` ``(P,)`` (:func:`_update`)."""
    v, s = state[0], state[1]
    if rule == UPDATE_MOMENTUM:
        for e in range(model.size):
            v[e] = beta1 * v[e] + (1.0 - beta1) * gradient[e]
            model[e] -= learning_rate * v[e]
        return
    first = 1.0 - beta1 ** float(step)
    second = 1.0 - beta2 ** float(step)
    for e in range(model.size):
        g = gradient[e]
        v[e] = beta1 * v[e] + (1.0 - beta1) * g
        s[e] = beta2 * s[e] + (1.0 - beta2) * (g * g)
        model[e] -= learning_rate * ((v[e] / first) / (np.sqrt(s[e] / second) + epsilon))
