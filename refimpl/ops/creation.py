"""Creation ops: ``Alloc``, ``Fill``, ``Eye``, ``ARange``, ``ExtractDiag`` and
``AllocDiag``, with ``zeros``/``ones``/``zeros_like``/``ones_like``/``fill``/
``alloc``/``broadcast_to``/``eye``/``identity_like``/``arange``/``diagonal``/
``diag``/``trace``/``mgrid``/``ogrid``. Part of the shape family: see
``spec/creation.md``.

Default dtypes read ``config.floatX`` when the graph is built (in the public
functions), never in ``perform``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op
from refimpl.ops import _shape_util as _u
from refimpl.ops import shape as _shape
from refimpl.ops._shape_util import TV, Grads, Shapes, Vars, ins, like
from refimpl.types import (
    DType,
    TensorType,
    as_dtype,
    broadcast_static_shapes,
    is_discrete,
    kind,
    promote_types,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant


def _config_float() -> DType:
    from refimpl.config import config

    return as_dtype(config.floatX)


def _check_runtime_broadcast(
    what: str, var: TV, value: Array, out_shape: Sequence[int], lead: int
) -> None:
    """Static broadcasting: an axis of ``value`` stretches only where its static
    length is 1; any other mismatch is a ``ValueError`` naming ``var``."""
    for k, n in enumerate(var.type.shape):
        got, want = int(value.shape[k]), out_shape[lead + k]
        if got != want and n != 1:
            raise ValueError(
                f"{what}: {var} has length {got} on axis {k} but the result has {want}; an axis "
                "broadcasts only when its static length is 1"
            )


# --------------------------------------------------------------------------- Alloc


def _alloc_static(value: TV, dims: Sequence[TV]) -> list[int | None]:
    lead = len(dims) - value.ndim
    out: list[int | None] = []
    for k, d in enumerate(dims):
        s = _u.static_int(d)
        vn = value.type.shape[k - lead] if k >= lead else 1
        if s is not None and s < 0:
            raise ValueError(f"alloc of {value}: negative length {s} on axis {k}")
        if s is not None and vn not in (None, 1, s):
            raise ValueError(f"alloc of {value}: static length {vn} cannot broadcast to {s}")
        out.append(s if s is not None else (vn if vn != 1 else None))
    return out


@dataclass(frozen=True)
class Alloc(Op):
    """``alloc(value, *shape)``: ``value`` broadcast to ``shape`` (a new array)."""

    def make_node(self, value: Any, *shape: Any) -> Apply:
        value = as_tensor_variable(value)
        dims = [_u.as_int_scalar(s, f"alloc of {value}") for s in shape]
        if value.ndim > len(dims):
            raise ValueError(
                f"alloc: {value} has {value.ndim} dimensions, more than the {len(dims)} of the "
                "shape"
            )
        out = TensorType(value.dtype, _alloc_static(value, dims))
        return Apply(self, [value, *dims], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        value, *dims = inputs
        shp = tuple(int(d) for d in dims)
        if any(n < 0 for n in shp):
            raise ValueError(f"alloc of {node.inputs[0]}: negative length in shape {shp}")
        _check_runtime_broadcast("alloc", ins(node)[0], value, shp, len(shp) - value.ndim)
        return (xp.asarray(xp.broadcast_to(value, shp), copy=True),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(node.inputs[1:])]  # type: ignore[arg-type]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        from refimpl.ops.elemwise import sum_to_input

        value = inputs[0]
        g = like(output_grads[0], value)
        return [None if g is None else sum_to_input(g, value), *[None] * (len(inputs) - 1)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, *inputs[1:])]


def _shape_entries(shape: Any, what: str) -> list[Any]:
    if isinstance(shape, TensorVariable):
        if shape.ndim == 0:
            return [shape]
        return list(_u.vector_entries(_u.as_int_vector(shape, what)))
    if isinstance(shape, (list, tuple)):
        return list(shape)
    return [shape]


def alloc(value: Any, *shape: Any) -> TV:
    """Theano's ``alloc``: a new tensor of shape ``shape`` (ints or int
    scalars) filled with ``value`` broadcast to it. The gradient of ``value``
    sums over the broadcast axes."""
    if len(shape) == 1 and isinstance(shape[0], (list, tuple, TensorVariable)):
        if not (isinstance(shape[0], TensorVariable) and shape[0].ndim == 0):
            shape = tuple(_shape_entries(shape[0], "alloc"))
    return Alloc()(value, *shape)  # type: ignore[no-any-return]


def broadcast_to(x: Any, shape: Any) -> TV:
    """``x`` broadcast to ``shape`` (as ``alloc``: a new array)."""
    return Alloc()(x, *_shape_entries(shape, "broadcast_to"))  # type: ignore[no-any-return]


def zeros(shape: Any, dtype: DType | str | None = None) -> TV:
    """A tensor of zeros of shape ``shape`` (an int, a sequence of ints / int
    scalars, or an int vector); ``dtype`` defaults to ``config.floatX``."""
    dt = _config_float() if dtype is None else as_dtype(dtype, "zeros dtype")
    return alloc(_u.scalar_constant(0, dt), *_shape_entries(shape, "zeros"))


def ones(shape: Any, dtype: DType | str | None = None) -> TV:
    """A tensor of ones; see ``zeros``."""
    dt = _config_float() if dtype is None else as_dtype(dtype, "ones dtype")
    return alloc(_u.scalar_constant(1, dt), *_shape_entries(shape, "ones"))


# --------------------------------------------------------------------------- Fill


@dataclass(frozen=True)
class Fill(Op):
    """Theano's ``fill(model, value)`` (``second``): ``value`` broadcast
    against ``model``; the result has ``value``'s dtype. Only ``model``'s
    shape is used."""

    def pprint(self, node: Apply, args: list[str]) -> str:
        return f"fill({args[0]}, {args[1]})"

    def make_node(self, model: Any, value: Any) -> Apply:
        from refimpl.ops.elemwise import resolve_weak_inputs

        model, value = resolve_weak_inputs([model, value], "fill")
        shp = broadcast_static_shapes(
            [model.type.shape, value.type.shape], [f"fill model {model}", f"fill value {value}"]
        )
        return Apply(self, [model, value], [TensorType(value.dtype, shp)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        value = inputs[1]
        nd = node.outputs[0].type.ndim
        shp = []
        for k in range(nd):
            lens = [int(a.shape[k - nd + a.ndim]) for a in inputs if k - nd + a.ndim >= 0]
            shp.append(max(lens, default=1) if 0 not in lens else 0)
        for var, a in zip(ins(node), inputs):
            _check_runtime_broadcast("fill", var, a, shp, nd - a.ndim)
        return (xp.asarray(xp.broadcast_to(value, tuple(shp)), copy=True),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        out = node.outputs[0].type.shape
        nd = len(out)
        dims: list[TV] = []
        for k, n in enumerate(out):
            cands = [s[k - nd + len(s)] for v, s in zip(node.inputs, input_shapes)
                     if k - nd + len(s) >= 0 and v.type.shape[k - nd + len(s)] != 1]  # fmt: skip
            dims.append(constant(n, dtype="int64") if n is not None else cands[0])
        return [tuple(dims)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False], [True]]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        from refimpl.ops.elemwise import sum_to_input

        g = like(output_grads[0], inputs[1])
        return [None, None if g is None else sum_to_input(g, inputs[1])]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[1]
        return [None if ev is None else self(inputs[0], ev)]


def fill(model: Any, value: Any) -> TV:
    """Theano's ``fill(model, value)``: ``value`` broadcast to ``model``'s
    shape (a Python scalar ``value`` takes ``model``'s dtype when of the same
    kind)."""
    return Fill()(model, value)  # type: ignore[no-any-return]


def zeros_like(x: Any, dtype: DType | str | None = None) -> TV:
    """Zeros of ``x``'s shape, of ``x``'s dtype unless ``dtype`` is given."""
    x = as_tensor_variable(x)
    dt = x.dtype if dtype is None else as_dtype(dtype, "zeros_like dtype")
    return fill(x, _u.scalar_constant(0, dt))


def ones_like(x: Any, dtype: DType | str | None = None) -> TV:
    """Ones of ``x``'s shape, of ``x``'s dtype unless ``dtype`` is given."""
    x = as_tensor_variable(x)
    dt = x.dtype if dtype is None else as_dtype(dtype, "ones_like dtype")
    return fill(x, _u.scalar_constant(1, dt))


# --------------------------------------------------------------------------- Eye


@dataclass(frozen=True)
class Eye(Op):
    """``eye(n, m, k)``: an ``n`` by ``m`` matrix with ones on diagonal ``k``."""

    dtype: DType

    def __str__(self) -> str:
        return f"Eye{{{self.dtype}}}"

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        ins = [_u.as_int_scalar(v, f"eye {w}") for v, w in ((n, "n"), (m, "m"), (k, "k"))]
        shp = [_u.static_int(ins[0]), _u.static_int(ins[1])]
        if any(s is not None and s < 0 for s in shp):
            raise ValueError(f"eye: negative dimensions {shp}")
        return Apply(self, ins, [TensorType(self.dtype, shp)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        n, m, k = (int(a) for a in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"eye: negative dimensions ({n}, {m})")
        dev = device(inputs[0])
        rows = xp.reshape(xp.arange(n, dtype=xp.int64, device=dev), (n, 1))
        cols = xp.reshape(xp.arange(m, dtype=xp.int64, device=dev), (1, m))
        # (xp.eye is equivalent; dask's eye fails for n != m and for empty sizes)
        return (xp.astype((cols - rows) == k, getattr(xp, self.dtype)),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [(node.inputs[0], node.inputs[1])]  # type: ignore[list-item]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        return [None, None, None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


def eye(n: Any, m: Any = None, k: Any = 0, dtype: DType | str | None = None) -> TV:
    """An ``n`` by ``m`` matrix (``m`` defaults to ``n``) with ones on diagonal
    ``k``; ``dtype`` defaults to ``config.floatX``."""
    dt = _config_float() if dtype is None else as_dtype(dtype, "eye dtype")
    return Eye(dt)(n, n if m is None else m, k)  # type: ignore[no-any-return]


def identity_like(x: Any) -> TV:
    """The identity-like matrix of ``x``'s shape and dtype."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError(f"identity_like: {x} is {x.ndim}-d; expected a matrix")
    return eye(_shape.shape_i(x, 0), _shape.shape_i(x, 1), 0, dtype=x.dtype)


# --------------------------------------------------------------------------- ARange


def _arange_len(start: float, stop: float, step: float) -> int:
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if isinstance(start, int) and isinstance(stop, int) and isinstance(step, int):
        return max(0, -((start - stop) // step))
    return max(0, math.ceil((stop - start) / step))


@dataclass(frozen=True)
class ARange(Op):
    """``arange(start, stop, step)`` of ``dtype``; the bounds are 0-d real tensors."""

    dtype: DType
    connection: ClassVar[list[list[bool]]] = [[True], [False], [True]]

    def __str__(self) -> str:
        return f"ARange{{dtype='{self.dtype}'}}"

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        ins = []
        for v, what in ((start, "start"), (stop, "stop"), (step, "step")):
            t = as_tensor_variable(v)
            if t.ndim != 0 or kind(t.dtype) not in "iuf":
                raise TypeError(f"arange: {what} {t} must be a real scalar, got {t.type}")
            ins.append(t)
        values = [_static_scalar(t) for t in ins]
        n = None if None in values else _arange_len(*values)  # type: ignore[arg-type]
        return Apply(self, ins, [TensorType(self.dtype, (n,))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dev = device(inputs[0])
        if all(is_discrete(v.dtype) for v in ins(node)):
            a, b, c = (int(v) for v in inputs)
            _arange_len(a, b, c)
            return (xp.arange(a, b, c, dtype=getattr(xp, self.dtype), device=dev),)
        fa, fb, fc = (float(v) for v in inputs)
        _arange_len(fa, fb, fc)
        if is_discrete(self.dtype):
            out = xp.arange(fa, fb, fc, dtype=xp.float64, device=dev)
            return (xp.astype(out, getattr(xp, self.dtype)),)
        return (xp.arange(fa, fb, fc, dtype=getattr(xp, self.dtype), device=dev),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        n = node.outputs[0].type.shape[0]
        if n is not None:
            return [(constant(n, dtype="int64"),)]
        T = _u.T()
        start, stop, step = node.inputs
        count = T.ceil(T.true_div(T.sub(stop, start), step))
        return [(T.maximum(T.cast(count, "int64"), 0),)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return self.connection

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        if is_discrete(self.dtype):
            return [None, None, None]
        gz = output_grads[0]
        n = _shape.shape_i(outputs[0], 0)
        T = _u.T()
        g_start = T.sum(gz)
        g_step = T.sum(T.mul(gz, arange(n, dtype=self.dtype)))
        return [like(g_start, inputs[0]), None, like(g_step, inputs[2])]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev_start, _, ev_step = eval_points
        if is_discrete(self.dtype) or (ev_start is None and ev_step is None):
            return [None]
        out = self(*inputs)
        T = _u.T()
        total = zeros_like(out)
        if ev_start is not None:
            total = T.add(total, T.cast(ev_start, self.dtype))
        if ev_step is not None:
            ramp = arange(_shape.shape_i(out, 0), dtype=self.dtype)
            total = T.add(total, T.mul(ramp, T.cast(ev_step, self.dtype)))
        return [total]


def _static_scalar(t: TV) -> float | int | None:
    from refimpl.variable import TensorConstant

    if isinstance(t, TensorConstant):
        v = t.data[()]
        return int(v) if is_discrete(t.dtype) else float(v)
    return _u.static_int(t) if is_discrete(t.dtype) else None


def _arange_dtype(bounds: Sequence[Any]) -> DType:
    """Theano/numpy: integer bounds give int64, float bounds the float dtype of
    the float tensors among them (``config.floatX`` for Python floats)."""
    floats: list[DType] = []
    py_float = False
    for b in bounds:
        if isinstance(b, TensorVariable):
            if kind(b.dtype) == "f":
                floats.append(b.dtype)
        elif isinstance(b, float) or (hasattr(b, "dtype") and getattr(b.dtype, "kind", "") == "f"):
            py_float = True
    if floats:
        return promote_types(*floats)
    return _config_float() if py_float else "int64"


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: DType | str | None = None) -> TV:
    """``[start, start + step, ...)`` up to ``stop`` (``arange(n)`` counts from
    0). Bounds may be symbolic scalars; integer bounds give int64, float bounds
    their float dtype (``config.floatX`` for Python floats)."""
    if stop is None:
        start, stop = 0, start
    bounds = (start, stop, step)
    dt = _arange_dtype(bounds) if dtype is None else as_dtype(dtype, "arange dtype")
    return ARange(dt)(*[_bound(b, dt) for b in bounds])  # type: ignore[no-any-return]


def _bound(b: Any, dtype: DType) -> TV:
    if isinstance(b, TensorVariable):
        return b
    if isinstance(b, bool) or not isinstance(b, (int, float)):
        b = operator.index(b) if not hasattr(b, "dtype") or b.dtype.kind != "f" else float(b)
    if isinstance(b, float) and kind(dtype) == "f":
        return constant(b, dtype=dtype if dtype != "float16" else "float32")
    return constant(b, dtype="int64" if isinstance(b, int) else "float64")


# --------------------------------------------------------------------------- mgrid, ogrid


class _NDGrid:
    """``mgrid[0:5, 0:3]`` (dense, stacked on a new first axis) and
    ``ogrid[0:5, 0:3]`` (a list of open, broadcastable ranges) with static
    slice bounds."""

    def __init__(self, sparse: bool) -> None:
        self.sparse = sparse

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._range(key, None)
        if not isinstance(key, tuple) or not all(isinstance(k, slice) for k in key):
            raise TypeError(f"{self}: index with slices, e.g. [0:5, 0:3], got {key!r}")
        ranges = [self._range(k, None) for k in key]
        dt = promote_types(*(r.dtype for r in ranges))
        ranges = [r if r.dtype == dt else _u.T().cast(r, dt) for r in ranges]
        nd = len(ranges)
        lines = [
            _shape.dimshuffle(r, tuple(0 if j == k else "x" for j in range(nd)))
            for k, r in enumerate(ranges)
        ]
        if self.sparse:
            return lines
        dims = [_shape.shape_i(r, 0) for r in ranges]
        from refimpl.ops import manipulation

        return manipulation.stack([alloc(line, *dims) for line in lines])

    def _range(self, sl: slice, dtype: DType | None) -> TV:
        for v in (sl.start, sl.stop, sl.step):
            if isinstance(v, complex):
                raise TypeError(f"{self}: complex steps (numbers of points) are not supported")
        if sl.stop is None:
            raise ValueError(f"{self}: every slice needs a stop")
        return arange(0 if sl.start is None else sl.start, sl.stop,
                      1 if sl.step is None else sl.step, dtype=dtype)  # fmt: skip

    def __str__(self) -> str:
        return "ogrid" if self.sparse else "mgrid"


mgrid = _NDGrid(sparse=False)
ogrid = _NDGrid(sparse=True)


from refimpl.ops._creation_specs import make_specs  # noqa: E402  (the specs use the ops above)

SPECS = make_specs()
