"""The shape table (``ShapeOf``) and the rewrites that use it.

``ShapeOf(fgraph).shape(v)`` is a tuple of int64 scalar variables, the
lengths of ``v``'s axes computed from the graph's inputs through each op's
``infer_shape`` (a static length is a constant; where an op cannot infer its
shape, the lengths of that intermediate are ``Shape_i`` of it). Lengths that
must be equal at run time — the non-broadcast axes of the inputs of an
``Elemwise``, which raises otherwise — are kept in a union-find, so
``same(a, b)`` can prove two lengths equal (the fill rewrites use it).

The rewrites replace ``Shape``/``Shape_i`` of an intermediate variable by
its inferred shape (``x.shape[0]`` no longer needs ``x``'s value) and
``Subtensor{k}(Shape(x))`` by ``Shape_i{k}(x)``.
"""

from __future__ import annotations

from typing import Any

from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.rewrites.engine import Context, Replacement, node_rewriter
from refimpl.ops.shape import Shape, ShapeI
from refimpl.ops.subtensor import Subtensor
from refimpl.variable import TensorVariable, constant

TV = TensorVariable
_RAISING = frozenset({"int_div", "mod"})
"""Elementwise functions that raise on some integer inputs (division by zero)."""


class ShapeOf:
    """Symbolic shapes of a graph's variables, computed on demand."""

    def __init__(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        self.memo: dict[Variable[Any], tuple[TV, ...]] = {}
        self._base: dict[tuple[int, int], TV] = {}
        self._parent: dict[int, TV] = {}
        self._checked: set[int] = set()

    # ----------------------------------------------------------- lengths
    def base(self, var: Variable[Any], k: int) -> TV:
        """The length of axis ``k`` of ``var`` without inference: a constant
        when static, else ``Shape_i{k}(var)`` (one node per (var, k))."""
        n = var.type.shape[k]
        if n is not None:
            return constant(n, dtype="int64")
        key = (id(var), k)
        if key not in self._base:
            self._base[key] = ShapeI(k)(var)
            self._base[key].tag.shape_of = var
        return self._base[key]

    def is_base_of(self, entry: Variable[Any], var: Variable[Any], k: int) -> bool:
        node = entry.owner
        return (
            node is not None
            and isinstance(node.op, ShapeI)
            and node.op.i == k
            and node.inputs[0] is var
        )

    def _find(self, v: TV) -> TV:
        root = v
        while id(root) in self._parent:
            root = self._parent[id(root)]
        while id(v) in self._parent and self._parent[id(v)] is not root:
            nxt = self._parent[id(v)]
            self._parent[id(v)] = root
            v = nxt
        return root

    def union(self, a: TV, b: TV) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra is not rb and not isinstance(ra, Constant):
            self._parent[id(ra)] = rb
        elif ra is not rb and not isinstance(rb, Constant):
            self._parent[id(rb)] = ra

    def same(self, a: TV, b: TV) -> bool:
        """Whether the lengths ``a`` and ``b`` are provably equal."""
        ca, cb = _static(a), _static(b)
        if ca is not None and cb is not None:
            return ca == cb
        return self._find(a) is self._find(b)

    # ----------------------------------------------------------- shapes
    def shape(self, var: Variable[Any]) -> tuple[TV, ...]:
        """The symbolic shape of ``var`` (memoised; computed iteratively)."""
        if var in self.memo:
            return self.memo[var]
        for node in self._pending(var):
            self._infer(node)
        if var not in self.memo:  # an input, a constant, or a non-tensor
            self.memo[var] = self._bases(var)
        return self.memo[var]

    def _bases(self, var: Variable[Any]) -> tuple[TV, ...]:
        shape = getattr(var.type, "shape", ())
        return tuple(self.base(var, k) for k in range(len(shape)))

    def _pending(self, var: Variable[Any]) -> list[Apply]:
        """Owners of ``var`` and its ancestors without a shape yet (post-order)."""
        order: list[Apply] = []
        seen: set[int] = set()
        stack: list[tuple[Apply, bool]] = []
        if var.owner is not None:
            stack.append((var.owner, False))
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen or all(o in self.memo for o in node.outputs):
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend(
                (i.owner, False) for i in node.inputs if i.owner is not None and i not in self.memo
            )
        return order

    def _infer(self, node: Apply) -> None:
        in_shapes = [self.memo[i] if i in self.memo else self._bases(i) for i in node.inputs]
        for i, s in zip(node.inputs, in_shapes):
            self.memo.setdefault(i, s)
        try:
            outs = node.op.infer_shape(node, in_shapes)
            checked = [self._check(o, s) for o, s in zip(node.outputs, outs, strict=True)]
        except Exception:
            checked = [None] * len(node.outputs)
        for out, shp in zip(node.outputs, checked):
            self.memo[out] = shp if shp is not None else self._bases(out)
        if type(node.op).__name__ == "Elemwise":
            self._unite_elemwise(node)

    def _check(self, var: Variable[Any], shp: Any) -> tuple[TV, ...] | None:
        """``shp`` as int64 scalars (constants where static), or ``None``
        when it is unusable or may raise where the graph would not."""
        static = getattr(var.type, "shape", None)
        if static is None or len(shp) != len(static):
            return None
        out: list[TV] = []
        for entry, n in zip(shp, static):
            if n is not None:
                out.append(constant(n, dtype="int64"))
                continue
            if isinstance(entry, int):
                entry = constant(entry, dtype="int64")
            if not isinstance(entry, TensorVariable) or entry.ndim != 0:
                return None
            if entry.dtype != "int64" or not self._safe(entry):
                return None
            out.append(entry)
        return tuple(out)

    def _safe(self, entry: Variable[Any]) -> bool:
        """Whether computing ``entry`` cannot raise: no integer division or
        modulo in the new part of its expression (``switch`` evaluates both
        branches, so ``reshape``'s ``size // -rest`` fails on empty arrays)."""
        stack = [entry]
        seen: set[int] = set()
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or id(v) in self._checked or id(v) in seen:
                continue
            if node in self.fgraph.apply_nodes:
                continue
            seen.add(id(v))
            fn = getattr(getattr(node.op, "fn", None), "name", None)
            if fn in _RAISING:
                return False
            stack.extend(node.inputs)
        self._checked.update(seen)
        return True

    def _unite_elemwise(self, node: Apply) -> None:
        out = node.outputs[0]
        for k, n in enumerate(out.type.shape):
            if n is not None:
                continue
            lens = [self.memo[i][k] for i in node.inputs if i.type.shape[k] != 1]
            for other in lens[1:]:
                self.union(lens[0], other)
            if lens:
                self.union(self.memo[out][k], lens[0])


def _static(v: Variable[Any]) -> int | None:
    if isinstance(v, Constant):
        try:
            return int(v.data)
        except (TypeError, ValueError):
            return None
    return None


def shape_table(ctx: Context) -> ShapeOf:
    """The pass's shape table (created on first use)."""
    table: ShapeOf = ctx.helper("shapes", ShapeOf)
    return table


# --------------------------------------------------------------------------- rewrites


@node_rewriter(ShapeI)
def shape_i_of_intermediate(ctx: Context, node: Apply) -> Replacement:
    """Shape_i{k}(v) -> the k-th inferred length of v (a constant when static);
    v an intermediate variable, whose value is then not needed for its shape."""
    (v,) = node.inputs
    k: int = node.op.i  # type: ignore[attr-defined]
    n = v.type.shape[k]
    if n is not None:
        return [constant(n, dtype="int64")]
    if v.owner is None:
        return None
    entry = shape_table(ctx).shape(v)[k]
    if shape_table(ctx).is_base_of(entry, v, k) or entry is node.outputs[0]:
        return None
    return [entry]


@node_rewriter(Shape)
def shape_of_intermediate(ctx: Context, node: Apply) -> Replacement:
    """Shape(v) -> make_vector(inferred lengths of v) (a constant when all static)."""
    from refimpl.ops import shape as _shape

    (v,) = node.inputs
    static = v.type.shape
    if all(n is not None for n in static):
        return [constant(list(static) if static else [], dtype="int64", ndim=1)]
    if v.owner is None:
        return None
    table = shape_table(ctx)
    entries = table.shape(v)
    if all(table.is_base_of(e, v, k) for k, e in enumerate(entries)):
        return None
    return [_shape.make_vector(*entries, dtype="int64")]


@node_rewriter(Subtensor)
def index_of_shape(ctx: Context, node: Apply) -> Replacement:
    """Subtensor{k}(Shape(v)) -> Shape_i{k}(v) (x.shape[k] as one node)."""
    from refimpl.ops import shape as _shape

    src = node.inputs[0]
    template = node.op.template  # type: ignore[attr-defined]
    if src.owner is None or not isinstance(src.owner.op, Shape) or len(node.inputs) != 1:
        return None
    if len(template) != 1 or not isinstance(template[0], int) or isinstance(template[0], bool):
        return None
    v = src.owner.inputs[0]
    k = template[0] + v.type.ndim if template[0] < 0 else template[0]
    if not 0 <= k < v.type.ndim:
        return None
    return [_shape.shape_i(v, k)]


@node_rewriter(Subtensor)
def index_of_make_vector(ctx: Context, node: Apply) -> Replacement:
    """Subtensor{k}(make_vector(a0, a1, ...)) -> a_k (of the vector's dtype)."""
    from refimpl.ops import math
    from refimpl.ops.shape import MakeVector

    src = node.inputs[0]
    template = node.op.template  # type: ignore[attr-defined]
    if src.owner is None or not isinstance(src.owner.op, MakeVector) or len(node.inputs) != 1:
        return None
    if len(template) != 1 or not isinstance(template[0], int) or isinstance(template[0], bool):
        return None
    parts = src.owner.inputs
    k = template[0] + len(parts) if template[0] < 0 else template[0]
    if not 0 <= k < len(parts):
        return None
    part = parts[k]
    dtype = node.outputs[0].type.dtype
    return [part if part.type.dtype == dtype else math.cast(part, dtype)]


SHAPE_REWRITES = (
    index_of_shape,
    index_of_make_vector,
    shape_i_of_intermediate,
    shape_of_intermediate,
)
"""The shape pass, in order."""
