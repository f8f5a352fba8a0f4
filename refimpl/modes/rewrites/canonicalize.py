"""canonicalize: algebraic simplification that never changes a variable's type.

Each rewriter below is ``pattern -> replacement`` (see ``spec/rewrites.md``
for the conditions and the rationale of each). Identities such as
``x * 1 -> x`` apply only when ``x`` alone has the output's shape
(``covers``), and cast ``x`` to the output dtype when the constant's dtype
promoted it. Broadcasts made by ``fill`` (gradients of sums, ``ones_like``)
are moved outward (``fill_sink``) and dropped where another input already
gives the shape (``fill_elim``, ``fill_useless``), which is what turns the
gradient of ``x ** 2`` into ``2.0 * x``.
"""

from __future__ import annotations

from typing import Any

from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.modes.rewrites import _match as m
from refimpl.modes.rewrites.basic import fold_constants
from refimpl.modes.rewrites.engine import Context, NodeRewriter, Replacement, node_rewriter
from refimpl.modes.rewrites.shape_feature import index_of_make_vector, shape_table
from refimpl.ops import math
from refimpl.ops.axes import DimShuffle
from refimpl.ops.creation import Fill
from refimpl.ops.elemwise import Elemwise, apply
from refimpl.ops.reduction import Reduce
from refimpl.ops.shape import Reshape
from refimpl.types import can_cast
from refimpl.variable import TensorVariable

TV = TensorVariable


def _out(node: Apply) -> TV:
    return node.outputs[0]  # type: ignore[return-value]


def _identity(node: Apply, x: Variable[Any], others: list[Variable[Any]]) -> Replacement:
    """``x`` standing for ``node``'s output: checked to have its shape, cast
    to its dtype."""
    out = _out(node)
    if not m.covers(x, out, others):
        return None
    res = m.as_dtype_of(x, out.dtype)
    return None if res is None else [res]


def _binary_const(node: Apply, value: float, positions: tuple[int, ...]) -> Replacement:
    """``f(x, c)``/``f(c, x)`` -> ``x`` for a constant ``c`` equal to ``value``
    at one of ``positions``."""
    a, b = node.inputs
    if 1 in positions and m.is_const(b, value):
        return _identity(node, a, [b])
    if 0 in positions and m.is_const(a, value):
        return _identity(node, b, [a])
    return None


# --------------------------------------------------------------------------- arithmetic


@node_rewriter("add")
def add_zero(ctx: Context, node: Apply) -> Replacement:
    """x + 0 -> x, 0 + x -> x."""
    return _binary_const(node, 0, (0, 1))


@node_rewriter("sub")
def sub_zero(ctx: Context, node: Apply) -> Replacement:
    """x - 0 -> x; 0 - x -> -x."""
    a, b = node.inputs
    if m.is_const(b, 0):
        return _identity(node, a, [b])
    if m.is_const(a, 0) and m.covers(b, _out(node), [a]):
        nb = m.as_dtype_of(b, _out(node).dtype)
        return None if nb is None else [math.neg(nb)]
    return None


@node_rewriter("sub")
def sub_self(ctx: Context, node: Apply) -> Replacement:
    """x - x -> zeros_like(x) (NaN/inf elements give 0, not NaN)."""
    from refimpl.ops import creation

    a, b = node.inputs
    if a is not b:
        return None
    return [creation.zeros_like(a, dtype=_out(node).dtype)]


@node_rewriter("mul")
def mul_one(ctx: Context, node: Apply) -> Replacement:
    """x * 1 -> x, 1 * x -> x."""
    return _binary_const(node, 1, (0, 1))


@node_rewriter("mul")
def mul_zero_discrete(ctx: Context, node: Apply) -> Replacement:
    """x * 0 -> zeros_like(x) for bool and integer results only (a float
    x * 0 is NaN for x = inf or NaN, so it is kept)."""
    from refimpl.ops import creation

    out = _out(node)
    if not m.discrete(out):
        return None
    for x, c in (node.inputs, node.inputs[::-1]):
        if m.is_const(c, 0) and m.covers(x, out, [c]):
            return [creation.zeros_like(x, dtype=out.dtype)]
    return None


@node_rewriter("true_div")
def div_one(ctx: Context, node: Apply) -> Replacement:
    """x / 1 -> x (cast to the float result dtype)."""
    return _binary_const(node, 1, (1,))


@node_rewriter("neg")
def neg_neg(ctx: Context, node: Apply) -> Replacement:
    """-(-x) -> x."""
    (x,) = node.inputs
    if m.fn_name(x) == "neg":
        return [m.owner_inputs(x)[0]]
    return None


@node_rewriter("pow")
def pow_one_zero(ctx: Context, node: Apply) -> Replacement:
    """x ** 1 -> x; x ** 0 -> ones_like(x) (1 also for x = 0, inf or NaN, as numpy)."""
    from refimpl.ops import creation

    x, y = node.inputs
    out = _out(node)
    if m.is_const(y, 1):
        return _identity(node, x, [y])
    if m.is_const(y, 0) and m.covers(x, out, [y]):
        return [creation.ones_like(x, dtype=out.dtype)]
    return None


def _const_chain(node: Apply, fn: str) -> Replacement:
    """f(c1, f(c2, x)) -> f(f(c1, c2), x) for broadcast-only constants
    (f = add or mul; the inner node has no other client)."""
    for c1, inner in (node.inputs, node.inputs[::-1]):
        if not isinstance(m.strip_pad(c1), Constant) or not m.is_broadcast_only(c1):
            continue
        if m.fn_name(inner) != fn:
            continue
        for c2, x in (m.owner_inputs(inner), m.owner_inputs(inner)[::-1]):
            if isinstance(m.strip_pad(c2), Constant) and m.is_broadcast_only(c2):
                if isinstance(m.strip_pad(x), Constant):
                    continue
                scalar = math.ADD if fn == "add" else math.MUL
                return [apply(scalar, apply(scalar, c1, c2), x)]
    return None


@node_rewriter("mul")
def mul_constants(ctx: Context, node: Apply) -> Replacement:
    """c1 * (c2 * x) -> (c1 * c2) * x (the product of the constants is folded)."""
    return _const_chain(node, "mul")


@node_rewriter("add")
def add_constants(ctx: Context, node: Apply) -> Replacement:
    """c1 + (c2 + x) -> (c1 + c2) + x (the sum of the constants is folded)."""
    return _const_chain(node, "add")


@node_rewriter(*(f"{d}" for d in math.CAST_FNS))
def cast_noop(ctx: Context, node: Apply) -> Replacement:
    """cast(x, x.dtype) -> x; cast(cast(x, wider), x.dtype) -> x."""
    (x,) = node.inputs
    target = _out(node).dtype
    if x.type.dtype == target:
        return [x]
    if m.fn_name(x) in math.CAST_FNS:
        inner = m.owner_inputs(x)[0]
        if inner.dtype == target and can_cast(target, x.type.dtype):
            return [inner]
    return None


@node_rewriter("switch")
def switch_const(ctx: Context, node: Apply) -> Replacement:
    """switch(c, a, b) -> a (or b) for a constant condition c of one value."""
    c, a, b = node.inputs
    value = m.scalar_const(c)
    if value is None or not m.is_broadcast_only(c):
        return None
    keep, other = (a, b) if bool(value) else (b, a)
    return _identity(node, keep, [c, other])


# --------------------------------------------------------------------------- fill


def _fill_parts(var: Variable[Any]) -> tuple[Variable[Any], Variable[Any]] | None:
    if var.owner is not None and isinstance(var.owner.op, Fill):
        model, value = var.owner.inputs
        return model, value
    return None


def _axis_len(ctx: Context, var: Variable[Any], k: int, nd: int) -> Any:
    """The length of ``var`` on axis ``k`` of an ``nd``-d broadcast
    (``None`` for an absent leading axis or a broadcast one)."""
    j = k - (nd - var.type.ndim)
    if j < 0 or var.type.shape[j] == 1:
        return None
    return shape_table(ctx).shape(var)[j]


def _shape_given_by(
    ctx: Context, model: Variable[Any], others: list[Variable[Any]], nd: int
) -> bool:
    """Whether the ``others`` alone give every non-broadcast length of ``model``."""
    table = shape_table(ctx)
    for k in range(nd):
        need = _axis_len(ctx, model, k, nd)
        if need is None:
            continue
        if not any(
            (got := _axis_len(ctx, o, k, nd)) is not None and table.same(need, got) for o in others
        ):
            return False
    return True


@node_rewriter(Fill)
def fill_useless(ctx: Context, node: Apply) -> Replacement:
    """fill(m, v) -> v when v already has m's shape."""
    from refimpl.ops import shape as _shape

    model, value = node.inputs
    nd = _out(node).ndim
    if not _shape_given_by(ctx, model, [value], nd):
        return None
    pad = nd - value.type.ndim
    return [_shape.shape_padleft(value, pad) if pad else value]


def _elemwise_fill(node: Apply) -> tuple[int, Variable[Any], Variable[Any]] | None:
    for i, inp in enumerate(node.inputs):
        parts = _fill_parts(inp)
        if parts is not None:
            return i, parts[0], parts[1]
    return None


def _rebuild(node: Apply, i: int, new: Variable[Any]) -> TV:
    inputs = list(node.inputs)
    inputs[i] = new
    return apply(node.op.fn, *inputs)  # type: ignore[attr-defined]


@node_rewriter(Elemwise)
def fill_elim(ctx: Context, node: Apply) -> Replacement:
    """f(..., fill(m, v), ...) -> f(..., v, ...) when the other inputs (or v)
    already give the shape of m."""
    found = _elemwise_fill(node)
    if found is None:
        return None
    i, model, value = found
    others = [x for j, x in enumerate(node.inputs) if j != i] + [value]
    if not _shape_given_by(ctx, model, others, _out(node).ndim):
        return None
    return [_rebuild(node, i, value)]


@node_rewriter(Elemwise)
def fill_sink(ctx: Context, node: Apply) -> Replacement:
    """f(fill(m, v), y) -> fill(m, f(v, y)): the broadcast moves outward (f is
    computed on the smaller arrays; the fill can then disappear)."""
    from refimpl.ops import creation

    found = _elemwise_fill(node)
    if found is None:
        return None
    i, model, value = found
    if not ctx.single_client(node.inputs[i]):
        return None
    return [creation.fill(model, _rebuild(node, i, value))]


# --------------------------------------------------------------------------- shapes


@node_rewriter(DimShuffle)
def dimshuffle_identity(ctx: Context, node: Apply) -> Replacement:
    """DimShuffle{0,1,...,n-1}(x) -> x."""
    order = node.op.new_order  # type: ignore[attr-defined]
    if list(order) == list(range(node.inputs[0].type.ndim)):
        return [node.inputs[0]]
    return None


@node_rewriter(DimShuffle)
def dimshuffle_merge(ctx: Context, node: Apply) -> Replacement:
    """DimShuffle{p2}(DimShuffle{p1}(x)) -> DimShuffle{p1 o p2}(x) (double
    transposes and pads collapse)."""
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, DimShuffle):
        return None
    p1 = inner.owner.op.new_order
    p2 = node.op.new_order  # type: ignore[attr-defined]
    composed = tuple("x" if e == "x" else p1[int(e)] for e in p2)
    return [DimShuffle(composed)(inner.owner.inputs[0])]


@node_rewriter(Reshape)
def reshape_reshape(ctx: Context, node: Apply) -> Replacement:
    """reshape(reshape(x, s1), s2) -> reshape(x, s2)."""
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, Reshape):
        return None
    return [node.op(inner.owner.inputs[0], node.inputs[1])]


@node_rewriter(Reduce)
def sum_sum(ctx: Context, node: Apply) -> Replacement:
    """sum(sum(x, a1), a2) -> sum(x, a1 + a2) (default dtypes, no keepdims)."""
    op = node.op
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, Reduce):
        return None
    iop = inner.owner.op
    x = inner.owner.inputs[0]
    if not isinstance(op, Reduce) or op.axis is None or iop.axis is None:
        return None
    plain = all(
        o.kind == "sum" and not o.keepdims and o.dtype is None and o.acc_dtype is None
        for o in (op, iop)
    )
    if not plain or inner.type.dtype != x.type.dtype or not ctx.single_client(inner):
        return None
    rest = [k for k in range(x.type.ndim) if k not in iop.axis]
    axes = tuple(sorted({*iop.axis, *(rest[a] for a in op.axis)}))
    return [Reduce("sum", axes)(x)]


CANONICALIZE: tuple[NodeRewriter, ...] = (
    fold_constants,
    add_zero,
    add_constants,
    sub_zero,
    sub_self,
    mul_one,
    mul_zero_discrete,
    mul_constants,
    div_one,
    neg_neg,
    pow_one_zero,
    cast_noop,
    switch_const,
    fill_useless,
    fill_elim,
    fill_sink,
    dimshuffle_identity,
    dimshuffle_merge,
    reshape_reshape,
    sum_sum,
    index_of_make_vector,
)
"""The canonicalize pass, in order (``walk`` runs it to a fixed point)."""
