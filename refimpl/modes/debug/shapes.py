"""Evaluating an op's ``infer_shape`` on the values of a node's inputs.

For each (op, input types, pattern of repeated inputs) the evaluator builds,
once, a small graph: fresh input variables, a copy of the node on them, the
op's ``infer_shape`` on ``shape_i`` of each input, and a node-by-node
executor for the resulting int64 scalars. Running it on the node's input
values gives the inferred shapes, which the shape check compares with the
shapes of the values ``perform`` returned. An op whose ``infer_shape``
raises ``ShapeInferenceError`` is skipped (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from refimpl._typing import Array
from refimpl.backend import Backend
from refimpl.graph.basic import Apply, ShapeInferenceError, Variable
from refimpl.modes.debug.compare import host

_SKIP: Final = object()
_MAX_CACHE: Final = 4096


class InferShapeFailed(Exception):
    """``infer_shape`` raised (other than ``ShapeInferenceError``) or returned
    something malformed; the message says what."""


def input_pattern(node: Apply) -> tuple[int, ...]:
    """For each input position, the first position holding the same variable."""
    first: dict[int, int] = {}
    for k, v in enumerate(node.inputs):
        first.setdefault(id(v), k)
    return tuple(first[id(v)] for v in node.inputs)


class ShapeEvaluator:
    """``infer_shape`` results as integers, with compiled graphs cached."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._cache: dict[object, Any] = {}

    def inferred(self, node: Apply, args: Sequence[Array]) -> list[tuple[int, ...]] | None:
        """The shapes ``infer_shape`` gives for ``node`` on the input values
        ``args`` (``None`` when the op cannot infer shapes)."""
        if not all(hasattr(v.type, "ndim") for v in (*node.inputs, *node.outputs)):
            return None
        pattern = input_pattern(node)
        key: object = (node.op, tuple(v.type for v in node.inputs), pattern)
        try:
            plan = self._cache.get(key, None)
        except TypeError:  # an unhashable op: no caching
            key, plan = None, None
        if plan is None:
            plan = self._build(node, pattern)
            if key is not None:
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                self._cache[key] = plan
        if plan is _SKIP:
            return None
        executor, ndims = plan
        unique = [args[k] for k in sorted(set(pattern))]
        try:
            flat = [int(host(v)) for v in executor.run(unique)]
        except Exception as exc:
            raise InferShapeFailed(
                f"evaluating infer_shape raised {type(exc).__name__}: {exc}"
            ) from exc
        shapes: list[tuple[int, ...]] = []
        start = 0
        for nd in ndims:
            shapes.append(tuple(flat[start : start + nd]))
            start += nd
        return shapes

    def _build(self, node: Apply, pattern: tuple[int, ...]) -> Any:
        from refimpl.graph.fg import FunctionGraph
        from refimpl.modes.executor import PythonExecutor
        from refimpl.ops import shape as _shape
        from refimpl.variable import as_tensor_variable

        fresh: dict[int, Variable[Any]] = {k: node.inputs[k].type() for k in sorted(set(pattern))}
        copy = node.clone_with_new_inputs([fresh[k] for k in pattern])
        in_shapes = [tuple(_shape.shape_i(v, k) for k in range(v.type.ndim)) for v in copy.inputs]
        try:
            result = copy.op.infer_shape(copy, in_shapes)
        except ShapeInferenceError:
            return _SKIP
        except Exception as exc:
            raise InferShapeFailed(f"infer_shape raised {type(exc).__name__}: {exc}") from exc
        ndims = [out.type.ndim for out in copy.outputs]
        if len(result) != len(copy.outputs):
            raise InferShapeFailed(
                f"infer_shape returned {len(result)} shapes for {len(copy.outputs)} outputs"
            )
        flat: list[Variable[Any]] = []
        for k, (shp, nd) in enumerate(zip(result, ndims)):
            if len(shp) != nd:
                raise InferShapeFailed(
                    f"infer_shape gave {len(shp)} lengths for output {k}, which has {nd} axes"
                )
            flat.extend(as_tensor_variable(d) for d in shp)
        try:
            fgraph = FunctionGraph(list(fresh.values()), flat, clone=False)
            executor = PythonExecutor(fgraph, self.backend)
        except Exception as exc:
            raise InferShapeFailed(
                f"the infer_shape graph cannot be compiled: {type(exc).__name__}: {exc}"
            ) from exc
        return executor, ndims
