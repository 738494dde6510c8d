"""The engine: the math of a batched ReLU network (sigmoid or softmax head) and its training loop.

Everything here works on K models of one architecture at once (a leading K
axis on every parameter and activation); K = 1 is the ordinary case. Examples
are columns: inputs have shape ``(n_features, m)``, labels ``(1, m)``.
"""

from reglab.engine.dropout import DropoutMasks, MaskSampler, course_uniforms
from reglab.engine.initializers import initialize
from reglab.engine.losses import (
    cross_entropy_from_logits,
    cross_entropy_from_probabilities,
    l1_penalty,
    l2_penalty,
)
from reglab.engine.network import (
    ForwardPass,
    Gradients,
    Parameters,
    accuracy,
    backward,
    forward,
    gradient_step,
    predict,
    predict_proba,
)
from reglab.engine.training import History, TrainedModels, train

__all__ = [
    "DropoutMasks",
    "ForwardPass",
    "Gradients",
    "History",
    "MaskSampler",
    "Parameters",
    "TrainedModels",
    "accuracy",
    "backward",
    "course_uniforms",
    "cross_entropy_from_logits",
    "cross_entropy_from_probabilities",
    "forward",
    "gradient_step",
    "initialize",
    "l1_penalty",
    "l2_penalty",
    "predict",
    "predict_proba",
    "train",
]
