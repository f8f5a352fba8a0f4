"""Whole-graph rewrites shared by the modes.

``merge`` replaces equal constants and applications of equal ops to the same
inputs by one representative (common sub-expression elimination).
``constant_fold`` computes nodes whose inputs are all constants with the
reference implementation on numpy and replaces them with constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.graph.fg import FunctionGraph

_FOLD_MAX_ELEMENTS = 1_000_000


def merge(fgraph: FunctionGraph) -> None:
    """Merge equal constants, then equal nodes, in topological order."""
    seen_const: dict[tuple[object, ...], Variable[Any]] = {}
    for var in list(fgraph.variables):
        if isinstance(var, Constant) and var in fgraph.clients:
            key = var.signature()
            keep = seen_const.setdefault(key, var)
            if keep is not var:
                fgraph.replace(var, keep, "merge")
    seen: dict[tuple[object, ...], Apply] = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        key = (node.op, tuple(id(i) for i in node.inputs))
        other = seen.get(key)
        if other is None:
            seen[key] = node
            continue
        for old, new in zip(node.outputs, other.outputs, strict=True):
            fgraph.replace(old, new, "merge")


def constant_fold(fgraph: FunctionGraph) -> None:
    """Replace nodes with all-constant inputs by their (numpy) value."""
    from refimpl.backend import resolve_backend
    from refimpl.variable import TensorConstant

    backend = resolve_backend("numpy")
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not node.inputs:
            continue
        consts = [i for i in node.inputs if isinstance(i, Constant)]
        if len(consts) != len(node.inputs):
            continue
        if getattr(node.op, "do_constant_folding", True) is False:
            continue
        if any(np.asarray(c.data).size > _FOLD_MAX_ELEMENTS for c in consts):
            continue
        try:
            values = node.op.perform(backend.xp, node, [np.asarray(c.data) for c in consts])
        except Exception:  # leave it to run time, where the error gets its context
            continue
        for out, value in zip(node.outputs, values, strict=True):
            data = np.array(value, copy=True)
            data.setflags(write=False)
            folded = TensorConstant(out.type, data, out.name)
            folded.tag.rewritten = True
            fgraph.replace(out, folded, "constant_fold")
