"""Which variable of the un-rewritten graph each variable of the rewritten
graph stands for, and through which rewrites.

Before the base mode's passes run, ``snapshot`` copies the function graph
(the *reference*: the graph as the user wrote it). While they run,
``FunctionGraph.history`` records every ``replace(old, new, reason)``.
``Equivalences`` replays that record: a variable of the original graph
stands for its copy in the reference; ``new`` stands for whatever ``old``
stood for, with ``reason`` appended to the chain of rewrites that produced
it. At run time each pair whose rewritten variable is still in the graph is
compared by value (``RewriteMismatch`` names the chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from refimpl.graph.basic import Constant, Variable, ancestors, clone_graph
from refimpl.graph.fg import FunctionGraph

History = Sequence[tuple[Variable[Any], Variable[Any], str]]


@dataclass(frozen=True)
class Snapshot:
    """The reference graph and the map from the original variables to it."""

    fgraph: FunctionGraph
    memo: dict[Variable[Any], Variable[Any]]


def snapshot(fgraph: FunctionGraph) -> Snapshot:
    """A deep copy of ``fgraph`` (new inputs, new nodes; constants shared),
    made before rewriting, since rewrites edit nodes in place."""
    replace = {i: i.clone() for i in fgraph.inputs}
    outputs, memo = clone_graph(fgraph.outputs, replace, copy_inputs=True)
    for var in fgraph.inputs:  # inputs no output depends on
        memo.setdefault(var, replace[var])
    ref = FunctionGraph([replace[i] for i in fgraph.inputs], outputs, clone=False)
    return Snapshot(ref, memo)


@dataclass(frozen=True)
class Pair:
    """``variable`` (rewritten graph) should equal ``reference``."""

    variable: Variable[Any]
    reference: Variable[Any]
    reasons: tuple[str, ...]


class Equivalences:
    """The pairs to compare, in the rewritten graph's topological order."""

    def __init__(self, snap: Snapshot, history: History) -> None:
        ref_of: dict[Variable[Any], Variable[Any]] = dict(snap.memo)
        reasons: dict[Variable[Any], tuple[str, ...]] = {}
        pairs: list[Pair] = []
        for old, new, reason in history:
            r = ref_of.get(old)
            if r is None:
                continue
            chain = (*reasons.get(old, ()), reason)
            pairs.append(Pair(new, r, chain))
            if new not in ref_of:
                ref_of[new] = r
                reasons[new] = chain
        self.ref_of = ref_of
        self.reasons = reasons
        self._replaced = pairs
        self._ref_outputs = list(snap.fgraph.outputs)

    def pairs(self, fgraph: FunctionGraph) -> list[Pair]:
        """Every comparison that applies to the final ``fgraph``: each
        replacement whose result is still in the graph, each original
        variable still there and each output (by position); ordered so that
        the earliest variable (inputs and constants first, then node outputs
        in topological order) comes first, and per variable the older
        rewrites first."""
        position: dict[Variable[Any], int] = {}
        for var in fgraph.inputs:
            position.setdefault(var, -1)
        order = fgraph.toposort()
        for k, node in enumerate(order):
            for inp in node.inputs:
                if isinstance(inp, Constant):
                    position.setdefault(inp, -1)
            for out in node.outputs:
                position.setdefault(out, k)
        for out in fgraph.outputs:
            position.setdefault(out, -1 if out.owner is None else len(order))
        found: list[tuple[int, int, Pair]] = []
        seen: set[tuple[int, int]] = set()
        candidates = [*self._replaced]
        candidates += [Pair(v, r, ()) for v, r in self.ref_of.items() if v not in self.reasons]
        # the outputs by position, whatever the record says
        candidates += [Pair(v, r, ()) for v, r in zip(fgraph.outputs, self._ref_outputs)]
        for n, pair in enumerate(candidates):
            pos = position.get(pair.variable)
            key = (id(pair.variable), id(pair.reference))
            if pos is None or key in seen or pair.variable is pair.reference:
                continue
            seen.add(key)
            found.append((pos, n, pair))
        found.sort(key=lambda t: (t[0], t[1]))
        return [p for _, _, p in found]

    def involved(self, reference: Variable[Any]) -> list[Pair]:
        """The replacements made inside the sub-graph of ``reference`` (a
        variable of the reference graph), oldest first: the rewrites that
        may have changed its value."""
        inside = {id(v) for v in ancestors([reference])}
        return [p for p in self._replaced if id(p.reference) in inside]
