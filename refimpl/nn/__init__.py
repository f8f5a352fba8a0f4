"""``refimpl.nn``: neural-network ops and helpers (also ``refimpl.tensor.nnet``).

- activations: ``sigmoid``, ``ultra_fast_sigmoid``, ``hard_sigmoid``,
  ``softplus``, ``softsign``, ``relu``, ``elu``;
- ``softmax``, ``log_softmax`` and the cross-entropies
  (``categorical_crossentropy``, ``binary_crossentropy``, the fused
  ``softmax_cross_entropy_with_logits`` / ``crossentropy_softmax_1hot``);
- ``conv2d`` and ``pool_2d``;
- ``batch_normalization`` (and its ``_train`` / ``_test`` forms);
- ``dropout`` on a ``refimpl.random.RandomStream``.

The normative description is ``spec/nn.md``; ``refimpl.nn.rewrites`` holds
the stabilisation rewrites of these ops for FAST_RUN.
"""

from __future__ import annotations

from refimpl.nn.activations import (
    elu,
    hard_sigmoid,
    relu,
    sigmoid,
    softplus,
    softsign,
    ultra_fast_sigmoid,
)
from refimpl.nn.batchnorm import (
    batch_normalization,
    batch_normalization_test,
    batch_normalization_train,
)
from refimpl.nn.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d
from refimpl.nn.dropout import dropout, dropout_mask
from refimpl.nn.pool import Pool, PoolGather, PoolGrad, pool_2d
from refimpl.nn.softmax import LogSoftmax, Softmax, SoftmaxGrad, log_softmax, softmax
from refimpl.nn.xent import (
    SoftmaxCrossEntropy,
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_softmax_1hot,
    sigmoid_binary_crossentropy,
    softmax_cross_entropy_with_logits,
)

__all__ = [
    "Conv2d", "Conv2dGradInputs", "Conv2dGradWeights", "LogSoftmax", "Pool", "PoolGather",
    "PoolGrad", "Softmax", "SoftmaxCrossEntropy", "SoftmaxGrad", "batch_normalization",
    "batch_normalization_test", "batch_normalization_train", "binary_crossentropy",
    "categorical_crossentropy", "conv2d", "crossentropy_softmax_1hot", "dropout", "dropout_mask",
    "elu", "hard_sigmoid", "log_softmax", "pool_2d", "relu", "sigmoid",
    "sigmoid_binary_crossentropy", "softmax", "softmax_cross_entropy_with_logits", "softplus",
    "softsign", "ultra_fast_sigmoid",
]  # fmt: skip
