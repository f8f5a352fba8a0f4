"""Printing graphs: ``pp`` (an infix expression), ``debugprint`` (Theano's
indented tree with ids) and ``pydotprint`` (a graphviz picture).

``pp`` prints infix operators with full parentheses, as Theano does:
``pp(x + y * 2)`` is ``(x + (y * TensorConstant{2}))``. Constants the user
wrote print as ``TensorConstant{v}``; constants that rewrites produced (e.g.
by constant folding, tagged ``tag.rewritten``) print by value, as Theano's
fused scalar constants did, so an optimised gradient reads ``(2.0 * x)``.
``pp(v, constants='value')`` prints every constant by value.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from refimpl.graph.basic import Apply, Constant, Variable, io_toposort

ConstantStyle = Literal["value", "theano"]


def pprint(var: Any, constants: ConstantStyle = "theano") -> str:
    """Theano's name for :func:`pp`."""
    return pp(var, constants)


def pp(var: Any, constants: ConstantStyle = "theano") -> str:
    """A readable infix expression for ``var`` (a variable or a list)."""
    if isinstance(var, (list, tuple)):
        return "\n".join(pp(v, constants) for v in var)
    if not isinstance(var, Variable):
        raise TypeError(f"pp() needs a symbolic variable, got {type(var).__name__}")
    memo: dict[int, str] = {}
    return _pp(var, constants, memo)


def _pp(var: Variable[Any], constants: ConstantStyle, memo: dict[int, str]) -> str:
    if id(var) in memo:
        return memo[id(var)]
    node = var.owner
    if isinstance(var, Constant):
        text = _constant_text(var, constants)
    elif node is None:
        text = var.name if var.name is not None else f"<{var.type}>"
    elif var.name is not None and node is not None and _is_named_intermediate(var):
        text = var.name
    else:
        args = [_pp(i, constants, memo) for i in node.inputs]
        text = _node_text(node, var, args)
    memo[id(var)] = text
    return text


def _is_named_intermediate(var: Variable[Any]) -> bool:
    # Theano prints names of intermediates only when the user set them explicitly.
    return bool(getattr(var.tag, "pp_use_name", False))


def _constant_text(var: Constant[Any], constants: ConstantStyle) -> str:
    if var.name is not None:
        return var.name
    value_text = getattr(var, "value_text", None)
    value = value_text() if callable(value_text) else str(var)
    if constants == "value" or getattr(var.tag, "rewritten", False):
        return str(value)
    return f"TensorConstant{{{value}}}"


def _pads_left(order: Any) -> bool:
    if not isinstance(order, tuple) or not order or order[0] != "x":
        return False
    rest = tuple(e for e in order if e != "x")
    return order == ("x",) * (len(order) - len(rest)) + tuple(range(len(rest)))


def _node_text(node: Apply, var: Variable[Any], args: Sequence[str]) -> str:
    op = node.op
    custom = getattr(op, "pprint", None)
    if callable(custom):
        return str(custom(node, list(args)))
    if _pads_left(getattr(op, "new_order", None)):
        return args[0]  # Elemwise's rank padding DimShuffle{x,..,0,1,..} is invisible (Theano)
    fn = getattr(op, "fn", None)
    symbol = getattr(fn, "symbol", None)
    if symbol is not None and len(args) == 2:
        return f"({args[0]} {symbol} {args[1]})"
    if symbol is not None and len(args) == 1:
        return f"({symbol}{args[0]})"
    name = getattr(fn, "name", None) or str(op)
    text = f"{name}({', '.join(args)})"
    if len(node.outputs) > 1:
        text += f"[{var.index}]"
    return text


# --------------------------------------------------------------------------- debugprint


def debugprint(
    obj: Any,
    file: IO[str] | Literal["str"] | None = None,
    print_type: bool = False,
    depth: int = -1,
) -> str:
    """Theano's ``debugprint``: each node with an id, inputs indented below.

    ``obj`` is a variable, a list of variables, a compiled ``Function`` or a
    ``FunctionGraph``. Returns the text; also writes it to ``file`` (standard
    output by default; ``file='str'`` only returns it).
    """
    outputs = _outputs_of(obj)
    ids = _Ids()
    lines: list[str] = []
    seen: set[int] = set()
    for out in outputs:
        _debug_lines(out, "", ids, seen, lines, print_type, depth)
    text = "\n".join(lines)
    if file != "str":
        stream = sys.stdout if file is None else file
        stream.write(text + "\n")
    return text


class _Ids:
    def __init__(self) -> None:
        self.table: dict[int, str] = {}

    def __call__(self, obj: object) -> str:
        key = id(obj)
        if key not in self.table:
            self.table[key] = _letters(len(self.table))
        return self.table[key]


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _debug_lines(
    var: Variable[Any],
    prefix: str,
    ids: _Ids,
    seen: set[int],
    lines: list[str],
    print_type: bool,
    depth: int,
    cont: str = "",
) -> None:
    """One variable's line at ``prefix``; its inputs continue under ``cont``
    (Theano drops the bar below an input that is the last one)."""
    type_text = f" <{var.type}>" if print_type else ""
    node = var.owner
    if node is None:
        label = str(var) if isinstance(var, Constant) else (var.name or f"<{var.type}>")
        lines.append(f"{prefix}{label} [id {ids(var)}]{type_text}")
        return
    out_note = f".{var.index}" if len(node.outputs) > 1 else ""
    name = f" '{var.name}'" if var.name else " ''"
    repeated = id(node) in seen
    lines.append(f"{prefix}{node.op}{out_note} [id {ids(node)}]{name}{type_text}")
    if repeated or depth == 0:
        return
    seen.add(id(node))
    for k, inp in enumerate(node.inputs):
        last = k == len(node.inputs) - 1
        below = f"{cont}{'  ' if last else ' |'}"
        _debug_lines(inp, f"{cont} |", ids, seen, lines, print_type, depth - 1, below)


def _outputs_of(obj: Any) -> list[Variable[Any]]:
    from refimpl.graph.fg import FunctionGraph

    fgraph = getattr(obj, "fgraph", None)
    if isinstance(fgraph, FunctionGraph):
        return list(fgraph.outputs)
    if isinstance(obj, FunctionGraph):
        return list(obj.outputs)
    if isinstance(obj, Variable):
        return [obj]
    if isinstance(obj, Iterable):
        items = list(obj)
        if all(isinstance(v, Variable) for v in items):
            return items
    raise TypeError(
        f"cannot print {type(obj).__name__}: expected variables, a Function or a FunctionGraph"
    )


# --------------------------------------------------------------------------- pydotprint


class GraphvizUnavailableError(ImportError):
    """``pydotprint`` needs the optional ``graphviz`` package (``refimpl[viz]``)."""


def pydotprint(
    obj: Any, outfile: str | Path | None = None, format: str = "png", print_type: bool = True
) -> str:
    """Draw the graph with graphviz and write it to ``outfile``.

    Variables are boxes (inputs green, constants grey, outputs blue), nodes
    ellipses. ``format='dot'`` writes the DOT source and needs only the
    ``graphviz`` Python package; other formats also need the ``dot`` program.
    Returns the path written.
    """
    try:
        import graphviz
    except ImportError as exc:
        raise GraphvizUnavailableError(
            "pydotprint needs the graphviz package: pip install 'refimpl[viz]'"
        ) from exc
    outputs = _outputs_of(obj)
    dot = graphviz.Digraph("refimpl")
    ids = _Ids()
    for node in io_toposort([], outputs):
        nid = "n" + ids(node)
        dot.node(nid, str(node.op), shape="ellipse")
        for k, inp in enumerate(node.inputs):
            dot.node("v" + ids(inp), _var_label(inp, print_type), **_var_style(inp, outputs))
            dot.edge("v" + ids(inp), nid, label=str(k) if len(node.inputs) > 1 else "")
        for out in node.outputs:
            dot.node("v" + ids(out), _var_label(out, print_type), **_var_style(out, outputs))
            dot.edge(nid, "v" + ids(out))
    path = Path(outfile if outfile is not None else f"refimpl_graph.{format}")
    if format == "dot":
        path.write_text(dot.source)
        print(f"The output file is available at {path}")
        return str(path)
    try:
        data = dot.pipe(format=format)
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizUnavailableError(
            "pydotprint: the graphviz 'dot' program is not installed (e.g. apt-get install "
            "graphviz); format='dot' writes the source without it"
        ) from exc
    path.write_bytes(data)
    print(f"The output file is available at {path}")  # Theano's message
    return str(path)


def _var_label(var: Variable[Any], print_type: bool) -> str:
    name = str(var) if isinstance(var, Constant) else (var.name or "")
    return f"{name} {var.type}".strip() if print_type else (name or str(var.type))


def _var_style(var: Variable[Any], outputs: Sequence[Variable[Any]]) -> dict[str, str]:
    if any(var is o for o in outputs):
        return {"shape": "box", "style": "filled", "fillcolor": "lightblue"}
    if isinstance(var, Constant):
        return {"shape": "box", "style": "filled", "fillcolor": "lightgrey"}
    if var.owner is None:
        return {"shape": "box", "style": "filled", "fillcolor": "palegreen"}
    return {"shape": "box"}


def debugprint_str(obj: Any) -> str:
    """``debugprint`` to a string (no output)."""
    buf = io.StringIO()
    return debugprint(obj, file=buf)
