"""``merge`` and ``constant_fold``: the passes every optimising mode starts with.

``merge`` replaces equal constants and applications of equal ops to the same
inputs by one representative (common sub-expression elimination).
``constant_fold`` computes nodes whose inputs are all constants with the
reference implementation on numpy and replaces them by constants tagged
``tag.rewritten = True`` (``pp`` prints those by value). ``fold_constants``
is the same rule as a node rewriter, so that the walking passes fold what
their own rewrites create.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.rewrites.engine import ANY, Context, Replacement, node_rewriter

FOLD_MAX_ELEMENTS: Final = 1_000_000
"""Constants with more elements are never folded (nor folded into)."""
FOLD_MAX_GROWTH: Final = 4
"""A node whose output has more than ``FOLD_MAX_GROWTH`` times as many
elements as its inputs together (and more than ``FOLD_SMALL``) is not folded:
``alloc(0., 1000, 1000)`` stays a node rather than a 8 MB constant."""
FOLD_SMALL: Final = 4096


def merge(fgraph: FunctionGraph) -> None:
    """Merge equal constants, then equal nodes, in topological order."""
    nodes = fgraph.toposort()
    seen_const: dict[tuple[object, ...], Variable[Any]] = {}
    used = [i for n in nodes for i in n.inputs] + list(fgraph.outputs)
    for var in used:
        if isinstance(var, Constant) and fgraph.clients.get(var):
            keep = seen_const.setdefault(var.signature(), var)
            if keep is not var:
                fgraph.replace(var, keep, "merge")
    seen: dict[tuple[object, ...], Apply] = {}
    for node in nodes:
        if node not in fgraph.apply_nodes:
            continue
        try:
            key = (node.op, tuple(id(i) for i in node.inputs))
            other = seen.get(key)
        except TypeError:  # an unhashable op is never merged
            continue
        if other is None:
            seen[key] = node
            continue
        for old, new in zip(node.outputs, other.outputs, strict=True):
            if old in fgraph.variables:
                fgraph.replace(old, new, "merge")


def _static_size(var: Variable[Any]) -> int | None:
    shape = getattr(var.type, "shape", None)
    if shape is None or any(n is None for n in shape):
        return None
    return int(math.prod(shape))


def foldable(node: Apply) -> bool:
    """Whether ``node`` may be folded: constant inputs, not opted out
    (``op.do_constant_folding = False``), not too large."""
    if not node.inputs or getattr(node.op, "do_constant_folding", True) is False:
        return False
    if not all(isinstance(i, Constant) for i in node.inputs):
        return False
    sizes = [np.size(i.data) for i in node.inputs]  # type: ignore[attr-defined]
    if any(s > FOLD_MAX_ELEMENTS for s in sizes):
        return False
    for out in node.outputs:
        n = _static_size(out)
        if n is not None and n > FOLD_SMALL and n > FOLD_MAX_GROWTH * max(1, sum(sizes)):
            return False
    return True


def fold(node: Apply) -> list[Variable[Any]] | None:
    """The folded constants of ``node`` (computed on numpy), or ``None``
    when the op raises (the error is left to run time, where it gets its
    context) or a result does not fit the declared type."""
    from refimpl.backend import resolve_backend
    from refimpl.variable import TensorConstant

    xp = resolve_backend("numpy").xp
    try:
        values = node.op.perform(xp, node, [np.asarray(c.data) for c in node.inputs])  # type: ignore[attr-defined]
    except Exception:
        return None
    out: list[Variable[Any]] = []
    for var, value in zip(node.outputs, values, strict=True):
        data = np.array(value, copy=True)
        shape = getattr(var.type, "shape", None)
        if shape is None or data.ndim != len(shape) or str(data.dtype) != var.type.dtype:
            return None
        if data.size > FOLD_MAX_ELEMENTS:
            return None
        data.setflags(write=False)
        folded = TensorConstant(var.type, data, var.name)
        folded.tag.rewritten = True
        out.append(folded)
    return out


def constant_fold(fgraph: FunctionGraph) -> None:
    """Replace nodes with all-constant inputs by their (numpy) value."""
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not foldable(node):
            continue
        values = fold(node)
        if values is None:
            continue
        for out, value in zip(node.outputs, values, strict=True):
            if out in fgraph.variables:
                fgraph.replace(out, value, "constant_fold")


@node_rewriter(ANY)
def fold_constants(ctx: Context, node: Apply) -> Replacement:
    """f(c1, c2, ...) -> c: a node whose inputs are all constants becomes its value."""
    if not foldable(node):
        return None
    return fold(node)
