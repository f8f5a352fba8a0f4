"""The per-node checks: run a node's ``perform`` on copies of its inputs and
check the result's type (dtype, rank, static shape), ``infer_shape`` against
the value's shape, and that no undeclared input was changed; then the
cross-checks (``crosscheck.py``: registered implementations, backends).

``run_node`` is what DebugMode's executor calls for every node of both
graphs. Each failure raises the matching ``DebugModeError`` with the
report of ``report.py``.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from refimpl._typing import Namespace
from refimpl.backend import Backend, is_array
from refimpl.graph.basic import Apply, Variable
from refimpl.modes.debug import report
from refimpl.modes.debug.compare import Tolerance, dtype_of, exactly_equal
from refimpl.modes.debug.errors import InputMutation, ShapeMismatch, TypeMismatch
from refimpl.modes.debug.shapes import InferShapeFailed, ShapeEvaluator
from refimpl.modes.executor import describe_failure


@dataclass
class Checks:
    """What to check, on which backend, with which tolerances."""

    backend: Backend
    tol: Tolerance
    types: bool = True
    shapes: bool = True
    inplace: bool = True
    impls: bool = True
    backends: tuple[Backend, ...] = ()
    shape_eval: ShapeEvaluator | None = None

    def __post_init__(self) -> None:
        if self.shape_eval is None:
            self.shape_eval = ShapeEvaluator(self.backend)


def copy_value(xp: Namespace, value: Any) -> Any:
    """A copy that an op may overwrite without touching ``value``."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if is_array(value):
        return xp.asarray(value, copy=True)
    return _copy.deepcopy(value)


def normalise(backend: Backend, node: Apply, results: Any, who: str, graph: str) -> list[Any]:
    """``results`` as a list with one array per output (numpy scalars become
    0-d arrays, as under the other executors); a wrong count is a
    ``TypeMismatch``."""
    if not isinstance(results, (tuple, list)):
        raise TypeMismatch(
            report.join(
                f"TypeMismatch: {who} of {node.op} returned a {type(results).__name__}, "
                "not a tuple with one array per output",
                report.node_lines(node, None, graph),
            ),
            node, None, graph,
        )  # fmt: skip
    out = list(results)
    if len(out) != len(node.outputs):
        raise TypeMismatch(
            report.join(
                f"TypeMismatch: {who} of {node.op} returned {len(out)} values for "
                f"{len(node.outputs)} outputs",
                report.node_lines(node, None, graph),
            ),
            node, None, graph,
        )  # fmt: skip
    if backend.name == "numpy":
        out = [v if type(v) is np.ndarray else np.asarray(v) for v in out]
    return out


def destroyed(node: Apply) -> set[int]:
    """The input positions ``node``'s op declares it overwrites."""
    dmap = getattr(node.op, "destroy_map", None) or {}
    return {i for ins in dmap.values() for i in ins}


def run_node(ctx: Checks, node: Apply, args: Sequence[Any], graph: str) -> list[Any]:
    """``perform`` on copies of ``args``, then every enabled check; the
    results (the inputs in ``args`` are never changed)."""
    from refimpl.modes.debug import crosscheck

    xp = ctx.backend.xp
    work = [copy_value(xp, a) for a in args]
    try:
        raw = node.op.perform(xp, node, work)
    except Exception as exc:
        exc.add_note(describe_failure(node, list(args)) + f" (DebugMode, {graph} graph)")
        raise
    outs = normalise(ctx.backend, node, raw, "perform", graph)
    if ctx.inplace:
        check_mutation(node, args, work, graph, "perform")
    if ctx.types:
        check_types(node, args, outs, graph)
    if ctx.shapes:
        check_shapes(ctx, node, args, outs, graph)
    if ctx.impls:
        crosscheck.check_impls(ctx, node, args, outs, graph)
    if ctx.backends:
        crosscheck.check_backends(ctx, node, args, outs, graph)
    return outs


# --------------------------------------------------------------------------- mutation


def check_mutation(
    node: Apply, before: Sequence[Any], after: Sequence[Any], graph: str, who: str
) -> None:
    """``InputMutation`` when an input not in ``destroy_map`` changed."""
    allowed = destroyed(node)
    for k, (b, a) in enumerate(zip(before, after)):
        if k in allowed or not is_array(b):
            continue
        if exactly_equal(b, a):
            continue
        dmap = dict(getattr(node.op, "destroy_map", None) or {})
        raise InputMutation(
            report.join(
                f"InputMutation: {who} of {node.op} changed its input {k} "
                f"({report.var_label(node.inputs[k])}), which its destroy_map {dmap} does not "
                "declare",
                report.node_lines(node, before, graph),
                [f"  input {k} after {who}: {report.value_text(a)}"],
                report.subgraph_lines(node.outputs),
            ),
            node, node.inputs[k], graph, k,
        )  # fmt: skip


# --------------------------------------------------------------------------- types


def type_problem(var: Variable[Any], value: Any) -> str | None:
    """What about ``value`` contradicts ``var``'s type (``None``: nothing)."""
    t = var.type
    declared = getattr(t, "dtype", None)
    static = getattr(t, "shape", None)
    if declared is None or static is None:
        return None
    if not is_array(value) and not isinstance(value, np.generic):
        return f"a {type(value).__name__}, not an array"
    got = dtype_of(value)
    if got != declared:
        return f"dtype {got}, but the type declares {declared}"
    shape = tuple(int(n) for n in value.shape)
    if len(shape) != len(static):
        return f"{len(shape)} dimensions (shape {shape}), but the type declares {len(static)}"
    for ax, (n, s) in enumerate(zip(shape, static)):
        if s is not None and n != s:
            return f"length {n} on axis {ax}, but the type's static shape is {static}"
    return None


def check_types(node: Apply, args: Sequence[Any], outs: Sequence[Any], graph: str) -> None:
    """``TypeMismatch`` when an output's value contradicts its declared type."""
    for k, (var, value) in enumerate(zip(node.outputs, outs)):
        problem = type_problem(var, value)
        if problem is None:
            continue
        raise TypeMismatch(
            report.join(
                f"TypeMismatch: output {k} of {node.op} is {problem} (type {var.type})",
                report.node_lines(node, args, graph),
                [f"  output {k}: {report.value_text(value)}"],
                report.subgraph_lines(node.outputs),
            ),
            node, var, graph,
        )  # fmt: skip


def check_input_type(var: Variable[Any], value: Any, label: str) -> None:
    """``TypeMismatch`` for a graph input whose value contradicts its type
    (possible with ``trust_input=True``)."""
    problem = type_problem(var, value)
    if problem is not None:
        raise TypeMismatch(
            f"TypeMismatch: {label} is {problem} (type {var.type})\n"
            f"  value: {report.value_text(value)}",
            None, var, "",
        )  # fmt: skip


# --------------------------------------------------------------------------- shapes


def check_shapes(
    ctx: Checks, node: Apply, args: Sequence[Any], outs: Sequence[Any], graph: str
) -> None:
    """``ShapeMismatch`` when ``infer_shape`` disagrees with the values."""
    assert ctx.shape_eval is not None
    try:
        inferred = ctx.shape_eval.inferred(node, args)
    except InferShapeFailed as exc:
        raise ShapeMismatch(
            report.join(
                f"ShapeMismatch: infer_shape of {node.op} failed: {exc}",
                report.node_lines(node, args, graph),
                report.subgraph_lines(node.outputs),
            ),
            node, None, graph,
        ) from exc  # fmt: skip
    if inferred is None:
        return
    for k, (var, value, shape) in enumerate(zip(node.outputs, outs, inferred)):
        actual = tuple(int(n) for n in getattr(value, "shape", ()))
        if actual == shape:
            continue
        raise ShapeMismatch(
            report.join(
                f"ShapeMismatch: infer_shape of {node.op} gives {shape} for output {k}, "
                f"but perform returned shape {actual}",
                report.node_lines(node, args, graph),
                [f"  output {k}: {report.value_text(value)}"],
                report.subgraph_lines(node.outputs),
            ),
            node, var, graph,
        )  # fmt: skip


# --------------------------------------------------------------------------- in-place legality


def check_destroy_legality(order: Sequence[Apply], inputs: Sequence[Variable[Any]],
                           outputs: Sequence[Variable[Any]]) -> None:  # fmt: skip
    """``InputMutation`` when a node of a compiled graph (``order``: its
    nodes in execution order) declares that it overwrites a variable that is
    still needed: a graph input or output, a constant, or a variable (or the
    variable it is a declared view of) that a later node reads."""
    position = {node: k for k, node in enumerate(order)}
    readers: dict[Variable[Any], list[Apply]] = {}
    for node in order:
        for inp in node.inputs:
            readers.setdefault(inp, []).append(node)
    for node in order:
        for i in sorted(destroyed(node)):
            problem = _still_needed(node, node.inputs[i], position, readers, inputs, outputs)
            if problem is not None:
                raise InputMutation(
                    report.join(
                        f"InputMutation: {node.op} overwrites its input {i} "
                        f"({report.var_label(node.inputs[i])}), but {problem}",
                        report.node_lines(node, None, report.REWRITTEN),
                        report.subgraph_lines(node.outputs),
                    ),
                    node, node.inputs[i], report.REWRITTEN, i,
                )  # fmt: skip


def _still_needed(
    node: Apply,
    var: Variable[Any],
    position: dict[Apply, int],
    readers: dict[Variable[Any], list[Apply]],
    inputs: Sequence[Variable[Any]],
    outputs: Sequence[Variable[Any]],
) -> str | None:
    from refimpl.graph.basic import Constant

    seen: set[int] = set()
    while id(var) not in seen:
        seen.add(id(var))
        if any(var is v for v in inputs):
            return f"{report.var_label(var)} is an input of the function"
        if isinstance(var, Constant):
            return f"{report.var_label(var)} is a constant"
        if any(var is v for v in outputs):
            return f"{report.var_label(var)} is an output of the function"
        later = [r for r in readers.get(var, []) if position[r] > position[node]]
        if later:
            return f"{report.var_label(var)} is read afterwards by {later[0].op}"
        owner = var.owner
        vmap = {} if owner is None else dict(getattr(owner.op, "view_map", None) or {})
        viewed = vmap.get(var.index or 0)
        if owner is None or not viewed:
            return None
        var = owner.inputs[viewed[0]]
    return None
