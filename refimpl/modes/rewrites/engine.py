"""The node-rewriting engine: ``NodeRewriter``, ``node_rewriter`` and ``walk``.

A *node rewriter* looks at one ``Apply`` node and either returns ``None``
(no match) or one replacement variable per output of the node. Each pass
module lists its rewriters in an explicit, immutable tuple; ``walk`` applies
such a tuple to a ``FunctionGraph`` until no rewriter matches any more
(an equilibrium), in a fixed order: nodes in topological order, rewriters in
list order.

``walk`` is linear in the size of the graph plus the size of what the
rewrites create: it keeps a work list, and after a replacement it only
revisits the nodes it created and the clients of the replaced variables.
Every replacement is checked before it is made: same dtype, same ndim, and a
static shape at least as precise as the old one (an axis of static length
``n`` must stay ``n``); a rewriter whose result fails the check is skipped,
so a rewrite can never change a variable's type.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from refimpl.graph.basic import Apply, Variable
from refimpl.graph.fg import FunctionGraph

Replacement = Sequence[Variable[Any]] | None
RewriteFn = Callable[["Context", Apply], Replacement]

ANY: Final = "*"
"""A ``node_rewriter`` key that matches every node."""

_MAX_ROUNDS_PER_NODE: Final = 20
"""A walk stops after this many rewrites per node of the initial graph (a
safety net against two rewrites undoing each other; never reached by the
rewrite lists of refimpl)."""


class RewriteWarning(UserWarning):
    """A node rewriter raised; the rewrite was skipped (the graph is unchanged)."""


@dataclass(frozen=True)
class NodeRewriter:
    """One local rewrite: ``fn(ctx, node)`` returns replacements or ``None``.

    ``tracks`` lists what the rewriter looks at: ``ScalarFn`` names (for
    ``Elemwise`` nodes), ``Op`` classes, or ``ANY``.
    """

    name: str
    tracks: tuple[str | type, ...]
    fn: RewriteFn
    doc: str = ""

    def __call__(self, ctx: Context, node: Apply) -> Replacement:
        return self.fn(ctx, node)


def node_rewriter(*tracks: str | type) -> Callable[[RewriteFn], NodeRewriter]:
    """Decorator: ``@node_rewriter('mul', 'true_div')`` or
    ``@node_rewriter(DimShuffle)`` turns a function into a ``NodeRewriter``
    named after it (its docstring is the rewrite's documentation)."""

    def wrap(fn: RewriteFn) -> NodeRewriter:
        return NodeRewriter(fn.__name__, tuple(tracks), fn, (fn.__doc__ or "").strip())

    return wrap


@dataclass
class Context:
    """What a rewriter may use besides the node: the graph and per-pass
    helpers created on first use (``extra``; e.g. the shape table)."""

    fgraph: FunctionGraph
    pass_name: str
    extra: dict[str, Any] = field(default_factory=dict)

    def clients(self, var: Variable[Any]) -> list[tuple[Apply | str, int]]:
        return self.fgraph.clients.get(var, [])

    def single_client(self, var: Variable[Any]) -> bool:
        """Whether ``var`` is used by exactly one node input and is no output."""
        cl = self.fgraph.clients.get(var, [])
        return len(cl) == 1 and not isinstance(cl[0][0], str)

    def helper(self, key: str, make: Callable[[FunctionGraph], Any]) -> Any:
        if key not in self.extra:
            self.extra[key] = make(self.fgraph)
        return self.extra[key]


def node_keys(node: Apply) -> tuple[str | None, type]:
    """What rewriters of ``node`` are looked up by: its ScalarFn name (for
    ``Elemwise`` nodes; else ``None``) and its op class."""
    fn = getattr(node.op, "fn", None)
    name = getattr(fn, "name", None)
    if name is not None and type(node.op).__name__ == "Elemwise":
        return str(name), type(node.op)
    return None, type(node.op)


class Dispatch:
    """The rewriters of a list indexed by what they track (list order kept):
    a node gets the rewriters tracking its ScalarFn name, its op class (or a
    base class), or ``ANY``."""

    def __init__(self, rewriters: Sequence[NodeRewriter]) -> None:
        self.rewriters = tuple(rewriters)
        self._cache: dict[tuple[str | None, type], tuple[NodeRewriter, ...]] = {}

    def candidates(self, node: Apply) -> tuple[NodeRewriter, ...]:
        key = node_keys(node)
        found = self._cache.get(key)
        if found is None:
            name, cls = key
            found = tuple(
                r
                for r in self.rewriters
                if any(
                    t == ANY or t == name or (isinstance(t, type) and issubclass(cls, t))
                    for t in r.tracks
                )
            )
            self._cache[key] = found
        return found


def compatible(old: Variable[Any], new: Variable[Any]) -> bool:
    """Whether ``new`` may replace ``old``: same dtype and ndim, and every
    static length of ``old`` kept."""
    if old is new:
        return True
    ot, nt = old.type, new.type
    if getattr(ot, "dtype", None) != getattr(nt, "dtype", None):
        return False
    os_, ns = getattr(ot, "shape", None), getattr(nt, "shape", None)
    if os_ is None or ns is None:
        return bool(ot == nt)
    if len(os_) != len(ns):
        return False
    return all(a is None or a == b for a, b in zip(os_, ns))


def apply_replacement(
    ctx: Context, node: Apply, repl: Sequence[Variable[Any]], reason: str
) -> list[Apply] | None:
    """Replace ``node``'s outputs by ``repl`` (checked); return the nodes the
    replacement created, or ``None`` when it was rejected."""
    fgraph = ctx.fgraph
    if len(repl) != len(node.outputs):
        raise ValueError(f"rewrite {reason}: {len(repl)} replacements for {node}")
    pairs = [(o, r) for o, r in zip(node.outputs, repl) if r is not None and r is not o]
    if not pairs or not all(compatible(o, r) for o, r in pairs):
        return None
    if any(_depends_on(r, o, fgraph) for o, r in pairs):
        return None
    created = fgraph.new_nodes([r for _, r in pairs])
    for old, new in pairs:
        if old in fgraph.variables:
            fgraph.replace(old, new, reason)
    return created


def _depends_on(new: Variable[Any], old: Variable[Any], fgraph: FunctionGraph) -> bool:
    """Whether a new node of ``new``'s graph takes ``old`` as an input
    (replacing would make a cycle). Only nodes not yet in the graph are
    visited, so the check costs O(size of the replacement); rewriters must
    not return variables of the graph that depend on the node they rewrite."""
    stack = [new]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        if v is old:
            return True
        if id(v) in seen or v.owner is None or v in fgraph.variables:
            continue
        seen.add(id(v))
        stack.extend(v.owner.inputs)
    return False


def walk(
    fgraph: FunctionGraph,
    rewriters: Sequence[NodeRewriter],
    pass_name: str,
    ctx: Context | None = None,
) -> int:
    """Apply ``rewriters`` until none matches; return the number of rewrites."""
    dispatch = Dispatch(rewriters)
    ctx = ctx or Context(fgraph, pass_name)
    queue: deque[Apply] = deque(fgraph.toposort())
    queued: set[Apply] = set(queue)
    budget = _MAX_ROUNDS_PER_NODE * (len(queue) + 16)
    count = 0
    while queue and count < budget:
        node = queue.popleft()
        queued.discard(node)
        if node not in fgraph.apply_nodes:
            continue
        for rw in dispatch.candidates(node):
            try:
                repl = rw(ctx, node)
            except Exception as exc:  # a broken rewrite must not break compilation
                warnings.warn(
                    f"rewrite {pass_name}:{rw.name} failed on {node} and was skipped: {exc!r}",
                    RewriteWarning,
                    stacklevel=2,
                )
                continue
            if repl is None:
                continue
            created = apply_replacement(ctx, node, repl, f"{pass_name}:{rw.name}")
            if created is None:
                continue
            count += 1
            touched: list[Apply] = list(created)
            for r in repl:
                if r is None:
                    continue
                touched.extend(c for c, _ in fgraph.clients.get(r, []) if not isinstance(c, str))
            for n in touched:
                if n not in queued:
                    queued.add(n)
                    queue.append(n)
            break
    return count
