"""``FunctionGraph``: a graph with fixed inputs and outputs that rewrites edit.

It owns a copy of the graph between its inputs and outputs (unless
``clone=False``), keeps ``clients`` (who uses each variable) up to date, and
offers ``replace`` (swap a variable everywhere, type-checked) and
``toposort``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refimpl.graph.basic import Apply, Variable, clone_graph, graph_inputs, io_toposort

Client = tuple[Apply | str, int]
"""``(node, input_index)``, or ``("output", i)`` for the graph's i-th output."""


class FunctionGraph:
    """A graph from ``inputs`` to ``outputs`` with client bookkeeping."""

    def __init__(
        self,
        inputs: Sequence[Variable[Any]],
        outputs: Sequence[Variable[Any]],
        clone: bool = True,
    ) -> None:
        if clone:
            new_outputs, memo = clone_graph(outputs, {i: i.clone() for i in inputs})
            inputs = [memo[i] for i in inputs]
            outputs = new_outputs
            self.memo: dict[Variable[Any], Variable[Any]] = memo
        else:
            self.memo = {}
        self.inputs: list[Variable[Any]] = list(inputs)
        self.outputs: list[Variable[Any]] = list(outputs)
        self.clients: dict[Variable[Any], list[Client]] = {}
        self.apply_nodes: set[Apply] = set()
        self.variables: set[Variable[Any]] = set()
        missing = [
            v
            for v in graph_inputs(self.outputs, self.inputs)
            if v.owner is None and not _is_free(v) and v not in set(self.inputs)
        ]
        if missing:
            names = ", ".join(str(m) for m in missing)
            raise MissingInputError(
                f"the outputs depend on {names}, which is not among the inputs "
                f"{[str(i) for i in self.inputs]}"
            )
        for v in self.inputs:
            self._add_var(v)
        for node in io_toposort(self.inputs, self.outputs):
            self._import(node)
        for i, out in enumerate(self.outputs):
            self._add_var(out)
            self.clients[out].append(("output", i))

    # ----------------------------------------------------------------- building

    def _add_var(self, var: Variable[Any]) -> None:
        if var not in self.variables:
            self.variables.add(var)
            self.clients[var] = []

    def _import(self, node: Apply) -> None:
        if node in self.apply_nodes:
            return
        for inp in node.inputs:
            if inp.owner is not None and inp.owner not in self.apply_nodes:
                self._import(inp.owner)
            self._add_var(inp)
        self.apply_nodes.add(node)
        for i, inp in enumerate(node.inputs):
            self.clients[inp].append((node, i))
        for out in node.outputs:
            self._add_var(out)

    def import_var(self, var: Variable[Any]) -> None:
        """Bring ``var`` and the nodes computing it into the graph."""
        if var.owner is not None:
            for node in io_toposort(list(self.variables), [var]):
                self._import(node)
        self._add_var(var)

    # ----------------------------------------------------------------- editing

    def replace(self, old: Variable[Any], new: Variable[Any], reason: str = "") -> None:
        """Make every client of ``old`` use ``new``; ``new`` must have a type
        that ``old``'s clients accept (same dtype and ndim; static lengths may
        only become more precise)."""
        if old is new:
            return
        if old.type != new.type:
            ot, nt = old.type, new.type
            if getattr(ot, "dtype", 0) != getattr(nt, "dtype", 1) or getattr(
                ot, "ndim", 0
            ) != getattr(nt, "ndim", 1):
                raise TypeError(f"replace ({reason}): {old}: {ot} cannot become {new}: {nt}")
        self.import_var(new)
        for client, i in list(self.clients.get(old, [])):
            if isinstance(client, str):
                self.outputs[i] = new
            else:
                client.inputs[i] = new
            self.clients[new].append((client, i))
        self.clients[old] = []
        self._prune(old)

    def replace_all(
        self, pairs: Sequence[tuple[Variable[Any], Variable[Any]]], reason: str = ""
    ) -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def _prune(self, var: Variable[Any]) -> None:
        """Drop nodes no longer used by anything."""
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in self.apply_nodes:
                continue
            if any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for o in node.outputs:
                self.variables.discard(o)
                self.clients.pop(o, None)
            for i, inp in enumerate(node.inputs):
                cl = self.clients.get(inp)
                if cl is not None:
                    cl[:] = [c for c in cl if not (c[0] is node and c[1] == i)]
                    if not cl and inp not in self.inputs:
                        stack.append(inp)

    # ----------------------------------------------------------------- queries

    def toposort(self) -> list[Apply]:
        """The nodes in a valid execution order (stable for a given graph)."""
        return io_toposort(self.inputs, self.outputs)

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(str(o) for o in self.outputs)})"


def _is_free(var: Variable[Any]) -> bool:
    """Constants and shared variables need not be listed as inputs."""
    from refimpl.graph.basic import Constant
    from refimpl.shared import SharedVariable

    return isinstance(var, (Constant, SharedVariable))


class MissingInputError(ValueError):
    """An output depends on a variable that is not an input of the function."""
