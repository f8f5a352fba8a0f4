"""fusion: maximal groups of elementwise nodes become one ``FusedElemwise``.

Walking the graph from the outputs back, each ``Elemwise`` node not yet
taken starts a group (its *root*); an ``Elemwise`` node computing an input of
the group joins it when every client of that input is in the group (so no
intermediate is needed outside, and each is computed once) and its output has
the root's broadcast pattern (so every step works on arrays of the output's
shape, and the runtime broadcast checks of the group reduce to checks of the
fused node's inputs). A group of two or more nodes is replaced by one
``FusedElemwise`` node; a single node is left alone (``pp`` of ``2.0 * x``
stays ``(2.0 * x)``).

Linear time: each node is visited once, and joining is decided by counting,
per candidate input, how many of its clients are already in the group.
"""

from __future__ import annotations

from typing import Any

from refimpl.graph.basic import Apply, Variable
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.rewrites.engine import compatible
from refimpl.ops import fused
from refimpl.ops.elemwise import Elemwise


def _grow(fgraph: FunctionGraph, root: Apply, taken: set[Apply]) -> list[Apply]:
    bcast = root.outputs[0].type.broadcastable
    group: set[Apply] = {root}
    seen_uses: dict[Variable[Any], int] = {}
    work = [root]
    while work:
        node = work.pop()
        for v in node.inputs:
            owner = v.owner
            if owner is None or owner in group or owner in taken:
                continue
            if not isinstance(owner.op, Elemwise) or len(owner.outputs) != 1:
                continue
            seen_uses[v] = seen_uses.get(v, 0) + 1
            clients = fgraph.clients.get(v, [])
            if seen_uses[v] < len(clients):
                continue
            if any(isinstance(c, str) or c not in group for c, _ in clients):
                continue
            if v.type.broadcastable != bcast:
                continue
            group.add(owner)
            work.append(owner)
    return list(group)


def fusion(fgraph: FunctionGraph) -> None:
    """Replace each maximal elementwise group by one fused node.

    Groups are found walking from the outputs back, then replaced in
    topological order of their roots (so the removal of the old nodes from
    the client lists of popular inputs, such as a shared constant, finds
    them near the front: linear time overall)."""
    order = fgraph.toposort()
    position = {node: k for k, node in enumerate(order)}
    taken: set[Apply] = set()
    groups: list[list[Apply]] = []
    for root in reversed(order):
        if root in taken or not isinstance(root.op, Elemwise):
            continue
        group = _grow(fgraph, root, taken)
        taken.update(group)
        if len(group) >= 2:
            groups.append(sorted(group, key=position.__getitem__))
    for nodes in reversed(groups):
        out = nodes[-1].outputs[0]
        op, ext = fused.program_of(nodes, [out])
        new = op(*ext)
        if compatible(out, new):
            fgraph.replace(out, new, "fusion")
