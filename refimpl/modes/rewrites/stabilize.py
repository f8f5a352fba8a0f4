"""stabilize: numerically better forms of common expressions.

``log(1 + x) -> log1p(x)``, ``log(1 - x) -> log1p(-x)``,
``exp(x) - 1 -> expm1(x)``, ``log(1 / x) -> -log(x)``, ``log(exp(x)) -> x``,
``log(1 + exp(t)) -> softplus(t)``, the logistic written out as
``1 / (1 + exp(t))``: ``1 - 1/(1 + e) -> e / (1 + e)`` (no cancellation),
``log(1 / (1 + exp(t))) -> -softplus(t)``,
``log(exp(t) / (1 + exp(t))) -> -softplus(-t)``, and
``log(exp(a) / s) -> a - log(s)`` (``log`` of a softmax written out becomes
a log-softmax). ``softplus(t)`` is ``logaddexp(0, t)``.

Why the seed's logistic regression (seed 001-05/003-36) gets a finite cost
and gradient under FAST_RUN: with ``p = 1/(1 + exp(-z))`` and logits of
about +-80, ``1 - p`` rounds to 0 and ``log(1 - p)`` is ``-inf`` (cost inf,
gradient NaN). ``sigmoid_complement`` rewrites ``1 - p`` into
``e / (1 + e)`` with ``e = exp(-z)``, exact and positive; the gradient graph
(built before compilation) reads this same variable, so it becomes finite
too; ``log_sigmoid``/``log_sigmoid_complement`` then give the cost as
``-softplus``, finite for every ``z``.

The rewrites for ``refimpl.nn``'s ops (``sigmoid``, ``softmax``) apply only
when that package provides them (checked when the pass runs).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from refimpl.graph.basic import Apply, Variable
from refimpl.modes.rewrites import _match as m
from refimpl.modes.rewrites.basic import fold_constants
from refimpl.modes.rewrites.engine import Context, NodeRewriter, Replacement, node_rewriter
from refimpl.ops import math, math_special
from refimpl.variable import TensorVariable

TV = TensorVariable


def softplus(t: TV) -> TV:
    """``log(1 + exp(t))`` computed stably: ``refimpl.nn.softplus`` where it
    exists (and accepts ``t``), else ``logaddexp(0, t)``."""
    nn_softplus = nn_function("softplus")
    if nn_softplus is not None:
        try:
            out: TV = nn_softplus(t)
            if out.dtype == t.dtype:
                return out
        except TypeError:
            pass
    return math_special.logaddexp(0.0, t)


def _float_out(node: Apply) -> bool:
    return m.float_like(node.outputs[0]) and m.float_like(node.inputs[0])


def _one_plus(var: Variable[Any]) -> Variable[Any] | None:
    """``x`` of ``var = 1 + x`` (or ``x + 1``) with a broadcast-only 1 and
    ``x`` of ``var``'s shape, else ``None``."""
    if m.fn_name(var) != "add":
        return None
    a, b = m.owner_inputs(var)
    for one, x in ((a, b), (b, a)):
        if m.is_const(one, 1) and m.covers(x, var, [one]):
            return x
    return None


def _one_over(var: Variable[Any]) -> Variable[Any] | None:
    """``d`` of ``var = 1 / d`` with ``d`` of ``var``'s shape."""
    if m.fn_name(var) != "true_div":
        return None
    one, d = m.owner_inputs(var)
    if m.is_const(one, 1) and m.covers(d, var, [one]):
        return d
    return None


def _exp_arg(var: Variable[Any] | None) -> Variable[Any] | None:
    """``t`` of ``var = exp(t)`` for a real float ``t`` (softplus is real-only)."""
    if var is None or m.fn_name(var) != "exp":
        return None
    t = m.owner_inputs(var)[0]
    return t if t.dtype in ("float16", "float32", "float64") else None


def _as(node: Apply, x: Variable[Any]) -> TV | None:
    return m.as_dtype_of(x, node.outputs[0].type.dtype)


@node_rewriter("log")
def log1p_of_sum(ctx: Context, node: Apply) -> Replacement:
    """log(1 + x) -> log1p(x) (float); log(1 + exp(t)) -> softplus(t)."""
    (s,) = node.inputs
    x = _one_plus(s)
    if x is None or not _float_out(node):
        return None
    xc = m.as_dtype_of(x, s.type.dtype)
    if xc is None:
        return None
    t = _exp_arg(xc)
    return [softplus(t) if t is not None else math_special.log1p(xc)]  # type: ignore[arg-type]


@node_rewriter("log")
def log1p_of_difference(ctx: Context, node: Apply) -> Replacement:
    """log(1 - x) -> log1p(-x) (float)."""
    (s,) = node.inputs
    if m.fn_name(s) != "sub" or not _float_out(node):
        return None
    one, x = m.owner_inputs(s)
    if not m.is_const(one, 1) or not m.covers(x, s, [one]):
        return None
    xc = m.as_dtype_of(x, s.type.dtype)
    return None if xc is None else [math_special.log1p(math.neg(xc))]


@node_rewriter("sub")
def expm1_of_difference(ctx: Context, node: Apply) -> Replacement:
    """exp(x) - 1 -> expm1(x) (float)."""
    e, one = node.inputs
    x = _exp_arg(e)
    if x is None or not m.is_const(one, 1) or not m.covers(e, node.outputs[0], [one]):
        return None
    if not m.float_like(node.outputs[0]) or e.type.dtype != node.outputs[0].type.dtype:
        return None
    return [math_special.expm1(x)]


@node_rewriter("sub")
def sigmoid_complement(ctx: Context, node: Apply) -> Replacement:
    """1 - 1/(1 + e) -> e / (1 + e): the complement of a logistic without
    cancellation (exact algebra; positive where 1 - p rounds to 0)."""
    one, p = node.inputs
    out = node.outputs[0]
    if not m.is_const(one, 1) or not m.float_like(out) or p.type.dtype != out.type.dtype:
        return None
    d = _one_over(p)
    e = None if d is None else _one_plus(d)
    if d is None or e is None or not m.covers(p, out, [one]):
        return None
    ec = m.as_dtype_of(e, d.type.dtype)
    return None if ec is None else [math.true_div(ec, d)]


@node_rewriter("log")
def log_reciprocal(ctx: Context, node: Apply) -> Replacement:
    """log(1 / (1 + exp(t))) -> -softplus(t); log(1 / x) -> -log(x)."""
    (q,) = node.inputs
    d = _one_over(q)
    if d is None or not _float_out(node):
        return None
    dc = _as(node, d)
    if dc is None:
        return None
    e = _one_plus(dc)
    t = _exp_arg(e)
    if t is not None and t.type.dtype == dc.dtype:
        return [math.neg(softplus(t))]  # type: ignore[arg-type]
    return [math.neg(math_special.log(dc))]


@node_rewriter("log")
def log_sigmoid_complement(ctx: Context, node: Apply) -> Replacement:
    """log(exp(t) / (1 + exp(t))) -> -softplus(-t); log(exp(a) / s) -> a - log(s)."""
    (q,) = node.inputs
    if m.fn_name(q) != "true_div" or not _float_out(node):
        return None
    num, den = m.owner_inputs(q)
    a = _exp_arg(num)
    if a is None or num.type.dtype != q.type.dtype:
        return None
    if _one_plus(den) is num:
        return [math.neg(softplus(math.neg(a)))]
    if den.type.dtype != q.type.dtype:
        return None
    return [math.sub(a, math_special.log(den))]


@node_rewriter("log")
def log_exp(ctx: Context, node: Apply) -> Replacement:
    """log(exp(x)) -> x (float, not complex: the complex log is multivalued)."""
    (e,) = node.inputs
    x = _exp_arg(e)
    if x is None or (m.float_like(x) and x.type.dtype != node.outputs[0].type.dtype):
        return None
    if not all(t.type.dtype in ("float32", "float64") for t in (x, node.outputs[0])):
        return None
    return [x]


# --------------------------------------------------------------------------- refimpl.nn


def nn_function(name: str) -> Any:
    """``refimpl.nn.<name>`` when the nn package exists and defines it."""
    if importlib.util.find_spec("refimpl.nn") is None:
        return None
    try:
        nn = importlib.import_module("refimpl.nn")
    except ImportError:
        return None
    return getattr(nn, name, None)


def _is_nn(var: Variable[Any], names: tuple[str, ...]) -> bool:
    node = var.owner
    if node is None:
        return False
    label = m.elemwise_fn(node) or type(node.op).__name__
    return label.lower() in names


@node_rewriter("true_div")
def nn_sigmoid(ctx: Context, node: Apply) -> Replacement:
    """1 / (1 + exp(-x)) -> nn.sigmoid(x) (when refimpl.nn has sigmoid)."""
    sigmoid = nn_function("sigmoid")
    d = _one_over(node.outputs[0])
    e = None if d is None else _one_plus(d)
    t = _exp_arg(e)
    if sigmoid is None or t is None or m.fn_name(t) != "neg":
        return None
    return [sigmoid(m.owner_inputs(t)[0])]


@node_rewriter("sub")
def nn_sigmoid_complement(ctx: Context, node: Apply) -> Replacement:
    """1 - nn.sigmoid(x) -> nn.sigmoid(-x) (no cancellation)."""
    one, s = node.inputs
    sigmoid = nn_function("sigmoid")
    if sigmoid is None or not m.is_const(one, 1) or not _is_nn(s, ("sigmoid", "scalarsigmoid")):
        return None
    if not m.covers(s, node.outputs[0], [one]) or s.type.dtype != node.outputs[0].type.dtype:
        return None
    return [sigmoid(math.neg(s.owner.inputs[0]))]  # type: ignore[union-attr]


@node_rewriter("log")
def nn_log_sigmoid(ctx: Context, node: Apply) -> Replacement:
    """log(nn.sigmoid(x)) -> -softplus(-x)."""
    (s,) = node.inputs
    if not _is_nn(s, ("sigmoid", "scalarsigmoid")) or not _float_out(node):
        return None
    x = s.owner.inputs[0]  # type: ignore[union-attr]
    if x.type.dtype != node.outputs[0].type.dtype:
        return None
    return [math.neg(softplus(math.neg(x)))]


@node_rewriter("log")
def nn_log_softmax(ctx: Context, node: Apply) -> Replacement:
    """log(nn.softmax(x)) -> nn.log_softmax(x) (when refimpl.nn has both)."""
    (s,) = node.inputs
    log_softmax = nn_function("log_softmax")
    if log_softmax is None or not _is_nn(s, ("softmax",)):
        return None
    op = s.owner.op  # type: ignore[union-attr]
    return [log_softmax(s.owner.inputs[0], axis=getattr(op, "axis", -1))]  # type: ignore[union-attr]


STABILIZE: tuple[NodeRewriter, ...] = (
    fold_constants,
    sigmoid_complement,
    log_exp,
    log_reciprocal,
    log_sigmoid_complement,
    log1p_of_sum,
    log1p_of_difference,
    expm1_of_difference,
    nn_sigmoid,
    nn_sigmoid_complement,
    nn_log_sigmoid,
    nn_log_softmax,
)
"""The stabilize pass, in order."""
