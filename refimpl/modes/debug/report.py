"""The text of DebugMode's errors: the node, the op, the inputs (shape,
dtype, abbreviated values), results, differences and a debugprint of the
offending sub-graph — PyTensor's report fields (pytensor-anchor.md §2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from refimpl.graph.basic import Apply, Variable
from refimpl.modes.debug.compare import count_nonfinite, dtype_of, host
from refimpl.printing import debugprint

MAX_ELEMENTS: Final = 10
"""Values with more elements print abbreviated (first and last three)."""
SUBGRAPH_DEPTH: Final = 4
"""How many levels of inputs the debugprint of the offending node shows."""
REFERENCE: Final = "un-rewritten"
"""``DebugModeError.graph`` of a node of the graph as written."""
REWRITTEN: Final = "rewritten"
"""``DebugModeError.graph`` of a node of the compiled (rewritten) graph."""


def value_text(value: Any) -> str:
    """``float64 (2, 3) [[...]]``: dtype, shape and abbreviated elements."""
    if value is None:
        return "<not computed>"
    try:
        arr = host(value)
    except Exception:  # pragma: no cover - a value of an unknown kind
        return repr(value)[:200]
    body = np.array2string(
        arr, threshold=MAX_ELEMENTS, edgeitems=3, precision=8, max_line_width=90
    ).replace("\n", "\n      ")
    return f"{dtype_of(value)} {tuple(int(n) for n in arr.shape)} {body}"


def nonfinite_text(value: Any) -> str:
    nan, pinf, ninf, size = count_nonfinite(value)
    parts = [f"{n} {w}" for n, w in ((nan, "NaN"), (pinf, "+inf"), (ninf, "-inf")) if n]
    return f"{', '.join(parts) or 'none'} among {size} elements"


def var_label(var: Variable[Any]) -> str:
    text = str(var)
    return text if len(text) <= 120 else text[:117] + "..."


def node_label(node: Apply) -> str:
    """``op(input, ...)``, shortened when long."""
    text = str(node)
    return text if len(text) <= 160 else text[:157] + "..."


def node_lines(node: Apply, args: Sequence[Any] | None, graph: str) -> list[str]:
    """The node, its op (with class) and its inputs' values."""
    op = node.op
    where = f" in the {graph} graph" if graph else ""
    lines = [
        f"  node{where}: {node_label(node)}",
        f"  op: {op} ({type(op).__module__}.{type(op).__qualname__})",
    ]
    if args is not None:
        lines.append("  inputs:")
        for k, (var, value) in enumerate(zip(node.inputs, args)):
            lines.append(f"    {k} {var_label(var)}: {value_text(value)}")
    return lines


def subgraph_lines(variables: Sequence[Variable[Any]], title: str = "sub-graph") -> list[str]:
    """A depth-limited debugprint of ``variables``, indented."""
    try:
        text = debugprint(list(variables), file="str", print_type=True, depth=SUBGRAPH_DEPTH)
    except Exception as exc:  # pragma: no cover - printing must never hide the error
        text = f"<debugprint failed: {exc}>"
    return [f"  {title}:"] + ["    " + line for line in text.splitlines()]


def reasons_text(reasons: Sequence[str]) -> str:
    if not reasons:
        return "none recorded (the variable was not replaced; see its inputs)"
    return " -> ".join(r or "<unnamed rewrite>" for r in reasons)


def join(headline: str, *blocks: Sequence[str]) -> str:
    lines = [headline]
    for block in blocks:
        lines.extend(block)
    return "\n".join(lines)
