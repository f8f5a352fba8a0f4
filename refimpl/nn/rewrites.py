"""Stabilisation rewrites for ``refimpl.nn``'s ops (spec/nn.md, "Rewrites").

``NN_STABILIZE`` is meant for FAST_RUN's ``stabilize`` pass, next to its
``log(softmax(x)) -> log_softmax(x)`` rule:

- ``softmax_grad_of_log``: ``SoftmaxGrad(g / sm, sm) -> g - sm * sum(g)``.
  This is the gradient of ``log(softmax(x))`` (the log's derivative is
  ``g / sm``): mathematically equal, and finite where ``sm`` underflows to 0
  (saturated logits), where ``g / sm`` is ``inf`` and the product NaN. It
  covers the negative log-likelihood written by hand, e.g.
  ``-mean(log(softmax(x))[arange(n), y])``, whose gradient graph is built
  before any rewrite runs.
"""

from __future__ import annotations

from typing import Final

from refimpl.graph.basic import Apply
from refimpl.modes.rewrites import _match as m
from refimpl.modes.rewrites.engine import Context, NodeRewriter, Replacement, node_rewriter
from refimpl.nn.softmax import SoftmaxGrad
from refimpl.ops import math as _math
from refimpl.ops import reduction as _red
from refimpl.variable import TensorVariable


@node_rewriter(SoftmaxGrad)
def softmax_grad_of_log(ctx: Context, node: Apply) -> Replacement:
    """SoftmaxGrad(g / sm, sm) -> g - sm * sum(g, axis, keepdims=True)."""
    dy, sm = node.inputs
    if m.fn_name(dy) != "true_div":
        return None
    g, den = m.owner_inputs(dy)
    if den is not sm or not m.covers(g, sm, []) or not isinstance(sm, TensorVariable):
        return None
    axis = node.op.axis  # type: ignore[attr-defined]
    out = g - sm * _red.sum(g, axis=axis, keepdims=True)
    dtype = node.outputs[0].type.dtype
    return [out if out.dtype == dtype else _math.cast(out, dtype)]


NN_STABILIZE: Final[tuple[NodeRewriter, ...]] = (softmax_grad_of_log,)
"""The nn rewrites of the ``stabilize`` pass, in order."""
