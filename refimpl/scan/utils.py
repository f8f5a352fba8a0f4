"""Helpers of the control-flow ops: ``until``, inner-graph shapes and
dependencies, and compiling an inner graph for a namespace.

``until(cond)`` is what a scan step returns to stop the loop early
(Theano's ``theano.scan_module.until``). The other helpers are shared by
``Scan`` and ``IfElse``, the two ops that hold inner graphs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import (
    Constant,
    ShapeInferenceError,
    Variable,
    ancestors,
    clone_replace,
    io_toposort,
)
from refimpl.types import TensorType
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Runner = Callable[..., list[Array]]
"""A compiled inner graph: ``run(*inner_input_values) -> inner_output_values``."""


def T() -> ModuleType:
    """``refimpl.tensor``, imported when first needed (no import cycles)."""
    return importlib.import_module("refimpl.tensor")


@dataclass(frozen=True)
class Until:
    """The stop condition a scan step returns: the loop ends after the first
    step whose ``condition`` is true (that step's outputs are kept)."""

    condition: TensorVariable


def until(condition: Any) -> Until:
    """Stop a scan after the step where ``condition`` (a scalar) is true.

    ``fn`` returns ``(outputs, until(cond))`` or ``(outputs, updates,
    until(cond))``; see spec/scan.md, "until"."""
    cond = as_tensor_variable(condition)
    if cond.ndim != 0:
        raise TypeError(f"until: the condition {cond} must be a scalar, got {cond.type}")
    if cond.dtype.startswith("complex"):
        raise TypeError(f"until: the condition {cond} must be real or boolean, got {cond.dtype}")
    return Until(cond)


# --------------------------------------------------------------------------- compiling


def compile_inner(
    inputs: Sequence[Variable[Any]], outputs: Sequence[Variable[Any]], mode: Any, xp: Namespace
) -> Runner:
    """Compile the inner graph ``inputs -> outputs`` with ``mode`` for the
    namespace ``xp``: its passes run on a copy of the graph, and the call
    goes straight to the executor (no argument conversion, no shared
    variables: an inner graph has none)."""
    from refimpl.backend import resolve_backend
    from refimpl.graph.fg import FunctionGraph
    from refimpl.modes.mode import get_mode

    backend = resolve_backend(xp)
    fgraph = FunctionGraph(list(inputs), list(outputs))
    resolved = get_mode(mode)
    resolved.rewrite(fgraph)
    executor = resolved.make_executor(fgraph, backend)
    direct: Runner | None = getattr(executor, "direct", None)
    if direct is not None:
        return direct
    run = executor.run
    return lambda *args: run(args)


# --------------------------------------------------------------------------- dependencies


def depends_on(
    outputs: Sequence[Variable[Any]], inputs: Sequence[Variable[Any]]
) -> list[list[bool]]:
    """``result[k][i]``: whether ``outputs[k]`` depends on ``inputs[i]`` (by
    the ops' connection patterns, stopping at ``inputs``)."""
    index = {id(v): i for i, v in enumerate(inputs)}
    reach: dict[int, frozenset[int]] = {id(v): frozenset([i]) for i, v in enumerate(inputs)}
    for node in io_toposort(inputs, outputs):
        pattern = node.op.connection_pattern(node)
        for j, out in enumerate(node.outputs):
            if id(out) in index:
                continue
            found: set[int] = set()
            for i, inp in enumerate(node.inputs):
                if pattern[i][j]:
                    found |= reach.get(id(inp), frozenset())
            reach[id(out)] = frozenset(found)
    return [[i in reach.get(id(out), frozenset()) for i in range(len(inputs))] for out in outputs]


def used_inputs(outputs: Sequence[Variable[Any]], inputs: Sequence[Variable[Any]]) -> list[bool]:
    """Whether each of ``inputs`` is an ancestor of some of ``outputs``."""
    seen = {id(v) for v in ancestors(outputs, inputs)}
    return [id(v) in seen for v in inputs]


def is_zero(var: Variable[Any]) -> bool:
    """Whether ``var`` is structurally zero: a constant of zeros, or zeros
    made by ``fill``/``alloc`` of a constant zero (the gradient engine's
    cotangent of an output the cost does not use)."""
    from refimpl.ops import creation as _creation

    if isinstance(var, Constant):
        data = var.data
        return bool(getattr(data, "size", 1)) and not bool(data.any())
    node = var.owner
    if node is None:
        return False
    if isinstance(node.op, _creation.Fill):
        return is_zero(node.inputs[1])
    if isinstance(node.op, _creation.Alloc):
        return is_zero(node.inputs[0])
    return False


# --------------------------------------------------------------------------- shapes


def as_length(n: Any) -> TV:
    """``n`` as an int64 scalar variable."""
    v = constant(int(n), dtype="int64") if isinstance(n, int) else as_tensor_variable(n)
    if v.dtype != "int64":
        v = T().cast(v, "int64")
    return v


def inner_shapes(
    inputs: Sequence[Variable[Any]],
    outputs: Sequence[Variable[Any]],
    input_shapes: Sequence[Sequence[TV]],
    values: Mapping[Variable[Any], Variable[Any]] | None = None,
) -> list[tuple[TV, ...]]:
    """The shapes of ``outputs`` of an inner graph as expressions of the
    given ``input_shapes`` (one tuple of int64 scalars per inner input),
    through each inner node's ``infer_shape``. A shape may depend on the
    values of the inner inputs that ``values`` maps to outer variables (it
    is rewritten on them); any other dependence on inner values raises
    ``ShapeInferenceError``."""
    shapes: dict[int, tuple[TV, ...]] = {
        id(v): tuple(as_length(d) for d in s) for v, s in zip(inputs, input_shapes, strict=True)
    }
    nodes = io_toposort(inputs, outputs)
    inner = {id(v) for v in inputs} | {id(o) for n in nodes for o in n.outputs}
    for node in nodes:
        in_shapes = [_shape_of(v, shapes) for v in node.inputs]
        try:
            outs = node.op.infer_shape(node, in_shapes)
        except Exception as exc:
            raise ShapeInferenceError(f"inner node {node}: {exc}") from exc
        for out, shp in zip(node.outputs, outs, strict=True):
            static = out.type.shape
            shapes[id(out)] = tuple(
                as_length(n) if n is not None else as_length(d)
                for d, n in zip(shp, static, strict=True)
            )
    result = [_shape_of(o, shapes) for o in outputs]
    allowed = {id(v) for v in (values or {})}
    for shp in result:
        if any(id(v) in inner and id(v) not in allowed for v in ancestors(shp, values or ())):
            raise ShapeInferenceError("an inner output's shape depends on inner values")
    if not values:
        return result
    flat = [d for shp in result for d in shp]
    new: list[Any] = clone_replace(flat, dict(values)) if flat else []
    rewritten: list[tuple[TV, ...]] = []
    start = 0
    for shp in result:
        rewritten.append(tuple(as_tensor_variable(d) for d in new[start : start + len(shp)]))
        start += len(shp)
    return rewritten


def _shape_of(var: Variable[Any], shapes: dict[int, tuple[TV, ...]]) -> tuple[TV, ...]:
    found = shapes.get(id(var))
    if found is not None:
        return found
    vtype = var.type
    if isinstance(var, Constant) and isinstance(vtype, TensorType):
        return tuple(as_length(n) for n in var.data.shape)
    if isinstance(vtype, TensorType) and all(n is not None for n in vtype.shape):
        return tuple(as_length(n) for n in vtype.shape)
    raise ShapeInferenceError(f"no shape for {var}")


def row_type(ttype: TensorType) -> TensorType:
    """The type of one entry along the leading axis of ``ttype``."""
    return TensorType(ttype.dtype, ttype.shape[1:])


def compatible(want: TensorType, got: TensorType) -> bool:
    """Same dtype and ndim, and no static length that contradicts."""
    if want.dtype != got.dtype or want.ndim != got.ndim:
        return False
    return all(a is None or b is None or a == b for a, b in zip(want.shape, got.shape))


def join_types(a: TensorType, b: TensorType) -> TensorType:
    """The type whose values include both types' (lengths that differ
    become unknown); the types must have the same dtype and ndim."""
    return TensorType(a.dtype, tuple(x if x == y else None for x, y in zip(a.shape, b.shape)))
