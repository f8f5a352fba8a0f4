"""``FunctionGraph``: a graph with fixed inputs and outputs that rewrites edit.

It owns a copy of the graph between its inputs and outputs (unless
``clone=False``), keeps ``clients`` (who uses each variable) up to date, and
offers ``replace`` (swap a variable everywhere, type-checked) and
``toposort``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
        self.history: list[tuple[Variable[Any], Variable[Any], str]] | None = None
        """When a list (DebugMode sets one), ``replace`` appends ``(old, new, reason)``."""
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

    def new_nodes(self, outputs: Iterable[Variable[Any]]) -> list[Apply]:
        """The nodes computing ``outputs`` that are not yet in the graph, in
        post-order (inputs first). Only new nodes are walked, so importing a
        replacement costs O(its size), not O(size of the graph)."""
        order: list[Apply] = []
        seen: set[Apply] = set()
        stack: list[tuple[Apply, bool]] = [
            (v.owner, False) for v in outputs if v.owner is not None and v not in self.variables
        ]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node in seen or node in self.apply_nodes:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend(
                (i.owner, False)
                for i in reversed(node.inputs)
                if i.owner is not None and i not in self.variables
            )
        return order

    def import_var(self, var: Variable[Any]) -> None:
        """Bring ``var`` and the nodes computing it into the graph."""
        for node in self.new_nodes([var]):
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
        if self.history is not None:
            self.history.append((old, new, reason))
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
        """Drop nodes no longer used by anything. The client entries of the
        dropped nodes are removed at the end, in one pass for an input that
        loses many (so pruning stays linear for inputs with many clients)."""
        dead: dict[Variable[Any], list[Client]] = {}

        def live(v: Variable[Any]) -> int:
            return len(self.clients.get(v, ())) - len(dead.get(v, ()))

        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in self.apply_nodes:
                continue
            if any(live(o) > 0 for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for o in node.outputs:
                self.variables.discard(o)
                self.clients.pop(o, None)
                dead.pop(o, None)
            for i, inp in enumerate(node.inputs):
                if inp in self.clients:
                    dead.setdefault(inp, []).append((node, i))
                    if live(inp) == 0 and inp not in self.inputs:
                        stack.append(inp)
        for inp, entries in dead.items():
            cl = self.clients[inp]
            if len(entries) * 32 < len(cl):
                hints: dict[int, int] = self.__dict__.setdefault("_remove_hints", {})
                for entry in entries:
                    hints[id(cl)] = _remove_entry(cl, entry, hints.get(id(cl), 0))
            else:
                gone = {(id(n), i) for n, i in entries}
                cl[:] = [c for c in cl if (id(c[0]), c[1]) not in gone]

    # ----------------------------------------------------------------- queries

    def toposort(self) -> list[Apply]:
        """The nodes in a valid execution order (stable for a given graph)."""
        return io_toposort(self.inputs, self.outputs)

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(str(o) for o in self.outputs)})"


def _remove_entry(clients: list[Client], entry: Client, hint: int) -> int:
    """Remove ``entry`` from a client list; return where it was. Rewrites
    remove the clients of a popular input (a constant shared by thousands of
    nodes) in about the order they were added, so the search starts at the
    previous removal's position (``hint``), then tries both ends: linear
    overall instead of quadratic."""
    node, i = entry
    n = len(clients)
    lo = max(0, hint - 2)
    windows = (
        range(lo, min(n, lo + 34)),
        range(n - 1, max(-1, n - 33), -1),
        range(min(32, n)),
        range(n),
    )
    for window in windows:
        for j in window:
            c = clients[j]
            if c[0] is node and c[1] == i:
                del clients[j]
                return j
    return hint


def _is_free(var: Variable[Any]) -> bool:
    """Constants and shared variables need not be listed as inputs."""
    from refimpl.graph.basic import Constant
    from refimpl.shared import SharedVariable

    return isinstance(var, (Constant, SharedVariable))


class MissingInputError(ValueError):
    """An output depends on a variable that is not an input of the function."""
