"""specialize: cheaper equivalents, applied after canonicalize and stabilize.

``x ** 2 -> sqr(x)``, ``x ** 0.5 -> sqrt(x)``, ``x ** -1 -> inv(x)``,
``x ** n -> x * x * ...`` by repeated squaring for a constant integer
``2 < |n| <= 16`` (``a + a ** 10`` becomes four multiplications, far faster
than ``pow``), ``x * -1 -> -x``, ``x * x -> sqr(x)``, and the gradient of a
sum ``fill(m, g) -> alloc(g, *shape(m))`` when nothing else needs ``m``'s
value (its shape comes from the graph's inputs, so ``m`` is not computed).
"""

from __future__ import annotations

from refimpl.graph.basic import Apply
from refimpl.modes.rewrites import _match as m
from refimpl.modes.rewrites.basic import fold_constants
from refimpl.modes.rewrites.engine import Context, NodeRewriter, Replacement, node_rewriter
from refimpl.modes.rewrites.shape_feature import shape_table
from refimpl.ops import math, math_special
from refimpl.ops.creation import Fill
from refimpl.types import kind
from refimpl.variable import TensorVariable

TV = TensorVariable
MAX_POW: int = 16
"""The largest ``|n|`` of ``x ** n`` turned into multiplications."""


def power_by_squaring(x: TV, n: int) -> TV:
    """``x ** n`` for an integer ``n >= 1`` by left-to-right binary
    exponentiation: square, and multiply by ``x`` for each 1 bit
    (``x ** 10 = sqr(sqr(sqr(x)) * x)``, 4 multiplications). Each step
    consumes the previous one, so fused and in place it needs a single
    buffer (numpy's ``x ** 10`` needs one too)."""
    result = x
    for bit in bin(n)[3:]:
        result = math.sqr(result)
        if bit == "1":
            result = math.mul(result, x)
    return result


@node_rewriter("pow")
def pow_specialize(ctx: Context, node: Apply) -> Replacement:
    """x ** 2 -> sqr(x); x ** 0.5 -> sqrt(x); x ** -1 -> inv(x);
    x ** n -> repeated squaring for an integer 2 < |n| <= 16 (negative n:
    inv of it; floats and complex only)."""
    x, y = node.inputs
    out = node.outputs[0]
    c = m.scalar_const(y)
    if c is None or isinstance(c, bool) or not m.covers(x, out, [y]):
        return None
    if isinstance(c, complex):
        if c.imag:
            return None
        c = c.real
    xc = m.as_dtype_of(x, out.type.dtype)
    if xc is None:
        return None
    inexact = kind(xc.dtype) in "fc"
    if c == 0.5 and kind(xc.dtype) == "f":
        return [math_special.sqrt(xc)]
    if not float(c).is_integer():
        return None
    n = int(c)
    if n in (0, 1) or abs(n) > MAX_POW or (n < 0 and not inexact):
        return None  # 0 and 1 are canonicalize's
    if n == 2:
        return [math.sqr(xc)]
    pos = power_by_squaring(xc, abs(n))
    return [math.inv(pos) if n < 0 else pos]


@node_rewriter("mul")
def mul_minus_one(ctx: Context, node: Apply) -> Replacement:
    """x * -1 -> -x (signed and inexact dtypes)."""
    out = node.outputs[0]
    if kind(out.type.dtype) not in "ifc":
        return None
    for x, c in (node.inputs, node.inputs[::-1]):
        if m.is_const(c, -1) and m.covers(x, out, [c]):
            xc = m.as_dtype_of(x, out.type.dtype)
            return None if xc is None else [math.neg(xc)]
    return None


@node_rewriter("mul")
def mul_self(ctx: Context, node: Apply) -> Replacement:
    """x * x -> sqr(x)."""
    a, b = node.inputs
    if a is b and a.type.dtype != "bool":
        return [math.sqr(a)]
    return None


@node_rewriter(Fill)
def fill_to_alloc(ctx: Context, node: Apply) -> Replacement:
    """fill(m, v) -> alloc(v, *shape(m)) when the fill is m's only client:
    m's value is then not needed (the gradient of sum(f(x)) no longer
    computes f(x) just for its shape)."""
    from refimpl.ops import creation

    model, value = node.inputs
    if model.owner is None or not ctx.single_client(model):
        return None
    dims = shape_table(ctx).shape(node.outputs[0])
    if any(d is node.outputs[0] or _uses(d, model) for d in dims):
        return None
    return [creation.alloc(value, *dims)]


def _uses(expr: TV, var: object) -> bool:
    """Whether the shape expression ``expr`` reads ``var`` (its value, or its
    shape through ``Shape``/``Shape_i``). The walk stops at shape nodes, so it
    stays within the small arithmetic of the shape expression."""
    from refimpl.ops.shape import Shape, ShapeI

    stack = [expr]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        if v is var:
            return True
        if id(v) in seen or v.owner is None:
            continue
        seen.add(id(v))
        if isinstance(v.owner.op, (Shape, ShapeI)):
            if v.owner.inputs[0] is var:
                return True
            continue
        stack.extend(v.owner.inputs)  # type: ignore[arg-type]
    return False


SPECIALIZE: tuple[NodeRewriter, ...] = (
    fold_constants,
    pow_specialize,
    mul_minus_one,
    mul_self,
    fill_to_alloc,
)
"""The specialize pass, in order."""
