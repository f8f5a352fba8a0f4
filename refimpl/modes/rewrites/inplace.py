"""inplace: elementwise nodes that overwrite an input buffer nobody needs.

An input ``v`` of an elementwise node (``Elemwise`` or ``FusedElemwise``)
may be destroyed — its buffer receives the result — when the graph proves it
private (the destroy-handler check):

- ``v`` is computed by a node known to return a fresh array (arithmetic and
  transcendental ``Elemwise``, ``FusedElemwise``, ``Dot``/``MatMul``/
  ``TensorDot``, ``Reduce`` over some axis, ``Alloc``, ``Fill``): so it is no
  function input, shared value, constant or view of one;
- the node is its only client and it is no output of the graph, so nothing
  reads it afterwards;
- it has the result's dtype and broadcast pattern.

The node then becomes a ``FusedElemwise`` with ``destroy`` set (declared in
``destroy_map``), whose program updates the buffer with ``+= -= *= /=``
where ``refimpl.xpext.is_mutable`` holds at run time (numpy, cupy, torch,
array_api_strict) and computes the functional form otherwise (jax, dask).
Outputs never alias shared storage: ``function`` copies any output that
aliases an input or an update.
"""

from __future__ import annotations

from typing import Any

from refimpl.graph.basic import Apply, Variable
from refimpl.graph.fg import FunctionGraph
from refimpl.ops import fused
from refimpl.ops.elemwise import Elemwise

_FRESH_OPS = ("Dot", "MatMul", "TensorDot", "Alloc", "Fill")


def fresh(var: Variable[Any]) -> bool:
    """Whether ``var`` is a new array that nothing else refers to."""
    node = var.owner
    if node is None or getattr(node.op, "view_map", None):
        return False
    op = node.op
    if isinstance(op, Elemwise):
        return op.fn.name not in fused.NOT_FRESH
    if isinstance(op, fused.FusedElemwise):
        ref = op.outputs[var.index or 0]
        return op.program[ref - op.n_in].fn.name not in fused.NOT_FRESH
    name = type(op).__name__
    if name == "Reduce":
        return bool(getattr(op, "axis", None))
    return name in _FRESH_OPS


def _destroyable(fgraph: FunctionGraph, node: Apply, v: Variable[Any]) -> bool:
    out = node.outputs[0]
    clients = fgraph.clients.get(v, [])
    return (
        fresh(v)
        and bool(clients)
        and all(c is node for c, _ in clients)
        and v.type.dtype == out.type.dtype
        and v.type.broadcastable == out.type.broadcastable
    )


def _program(node: Apply) -> tuple[fused.FusedElemwise, list[Variable[Any]]]:
    if isinstance(node.op, fused.FusedElemwise):
        return node.op, list(node.inputs)
    return fused.program_of([node], node.outputs)


def inplace(fgraph: FunctionGraph) -> None:
    """Let elementwise nodes overwrite a private input (see the module docstring)."""
    for node in fgraph.toposort():
        if not isinstance(node.op, (Elemwise, fused.FusedElemwise)) or len(node.outputs) != 1:
            continue
        if getattr(node.op, "destroy", None) is not None:
            continue
        op, ext = _program(node)
        for k, v in enumerate(ext):
            if not _destroyable(fgraph, node, v):
                continue
            new_op = fused.with_destroy(op, k)
            if new_op is None:
                continue
            fgraph.replace(node.outputs[0], new_op(*ext), "inplace")
            break
