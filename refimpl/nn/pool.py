"""2-D pooling over the last two axes: ``pool_2d`` and its ops ``Pool``,
``PoolGrad`` and ``PoolGather`` (spec/nn.md, "pool_2d").

Modes: ``max`` (padding never wins: it acts as ``-inf``), ``sum``,
``average_inc_pad`` (the divisor counts padding cells) and
``average_exc_pad`` (only input cells). ``ignore_border=True`` keeps only
whole windows of the padded input; ``False`` adds partial windows at the end
(Theano's rule; padding then must be 0).

Why ops: one node per pooling with Theano's shape rule and messages, and a
backward pass that scatters into the input's shape without a graph of
``ws0*ws1`` slices. The three ops are closed under differentiation:

- ``Pool`` (max): ``L_op`` is ``PoolGrad(x, g)``, which routes each output
  gradient to the *first* maximal cell of its window (row-major; ties go to
  one cell, so the gradient is an exact adjoint); ``R_op`` is
  ``PoolGather(x, v)``, the tangent at those same cells.
- ``Pool`` (sum/average): linear; ``L_op`` is ``PoolGrad(x, g)`` (the
  adjoint, ``x`` used for its shape only), ``R_op`` is ``Pool(v)``.
- ``PoolGrad`` and ``PoolGather`` are linear in their second input and
  piecewise constant in ``x`` (zero gradient with respect to ``x``); each is
  the other's adjoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.nn import _pool_specs as S
from refimpl.nn._pool_kernels import Geometry, out_len
from refimpl.nn._util import as_type, float_input, int_pair, same_static_shape
from refimpl.ops import creation as _creation
from refimpl.ops import math as _math
from refimpl.opspec import Arg, OpSpec
from refimpl.types import DType, TensorType, format_shape, promote_types
from refimpl.variable import TensorVariable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
MODES: Final = ("max", "sum", "average_inc_pad", "average_exc_pad")


@dataclass(frozen=True)
class _Pool(Op):
    """The parameters shared by the pooling ops."""

    ws: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int] = (0, 0)
    ignore_border: bool = True
    mode: str = "max"

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}{{ws={self.ws}, stride={self.stride}, pad={self.pad}, "
            f"ignore_border={self.ignore_border}, mode={self.mode!r}}}"
        )

    def out_hw(self, hw: Sequence[Any], maximum: Any = max) -> tuple[Any, Any]:
        """The pooled lengths of spatial lengths ``hw`` (ints or symbolic)."""
        return cast(
            tuple[Any, Any],
            tuple(
                out_len(hw[a], self.ws[a], self.stride[a], self.pad[a], self.ignore_border, maximum)
                for a in (0, 1)
            ),
        )

    def static_out(self, x: TV) -> tuple[int | None, ...]:
        hw = x.type.shape[-2:]
        out = [None if n is None else self.out_hw((n, n))[a] for a, n in enumerate(hw)]
        return (*x.type.shape[:-2], *out)

    def geometry(self, x: Array) -> Geometry:
        hw = (int(x.shape[-2]), int(x.shape[-1]))
        return Geometry(hw, self.ws, self.stride, self.pad, self.ignore_border)

    def check_fits(self, who: str, x: object, shape: Sequence[int | None]) -> None:
        """``ValueError`` when a window does not fit (``ignore_border=True``)."""
        if not self.ignore_border:
            return
        for a, n in enumerate(shape[-2:]):
            if n is not None and n + 2 * self.pad[a] < self.ws[a]:
                raise ValueError(
                    f"{who}: the window {self.ws} is larger than the input {x} (shape "
                    f"{format_shape(tuple(shape))}, padding {self.pad}) on axis "
                    f"{len(shape) - 2 + a}; use ignore_border=False or a smaller window"
                )

    def _symbolic_out(self, shape: Sequence[TV]) -> tuple[TV, ...]:
        return (*shape[:-2], *self.out_hw(shape[-2:], _math.maximum))

    def _as(self, cls: type[Any]) -> Any:
        return cls(self.ws, self.stride, self.pad, self.ignore_border, self.mode)


def _pool_input(x: Any, who: str, name: str = "input") -> TV:
    v = float_input(x, who, name)
    if v.ndim < 2:
        raise TypeError(f"{who}: {name} ({v}) must have at least 2 dimensions, got {v.ndim}")
    return v


def _like(g: TV, v: TV) -> TV:
    return g if g.dtype == v.dtype else _math.cast(g, v.dtype)


def _zero(x: TV) -> TV:
    return _creation.zeros_like(x)


# --------------------------------------------------------------------------- Pool


@dataclass(frozen=True)
class Pool(_Pool):
    """``pool_2d`` (see the module docstring)."""

    def make_node(self, x: Any) -> Apply:
        v = _pool_input(x, "pool_2d")
        self.check_fits("pool_2d", v, v.type.shape)
        return Apply(self, [v], [TensorType(v.dtype, self.static_out(v))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        self.check_fits("pool_2d", node.inputs[0], tuple(int(n) for n in x.shape))
        g = self.geometry(x)
        if self.mode == "max":
            return (xp.max(g.windows(xp, g.padded(xp, x, -float("inf"))), axis=-1),)
        total = xp.sum(g.windows(xp, g.padded(xp, x, 0.0)), axis=-1)
        if self.mode == "sum":
            return (total,)
        return (total / g.divisor(xp, x, self.mode == "average_inc_pad"),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [self._symbolic_out(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        (x,), (g,) = inputs, output_grads
        return [_like(self._as(PoolGrad)(x, g), x)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        (x,), (v,) = inputs, eval_points
        if v is None:
            return [None]
        v = _like(v, x)
        return [self._as(PoolGather)(x, v) if self.mode == "max" else self(v)]


# --------------------------------------------------------------------------- gradients


@dataclass(frozen=True)
class PoolGrad(_Pool):
    """``(x, gz)`` → the gradient of ``Pool`` with respect to ``x`` for the
    output gradient ``gz``: the adjoint of the pooling (max: of the gather
    at the first maximal cell of each window)."""

    def make_node(self, x: Any, gz: Any) -> Apply:
        v = _pool_input(x, "PoolGrad", "x")
        g = _pool_input(gz, "PoolGrad", "gz")
        self.check_fits("PoolGrad", v, v.type.shape)
        _check_pooled_type(v, g, self.static_out(v))
        return Apply(self, [v, g], [TensorType(promote_types(v.dtype, g.dtype), v.type.shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype: DType = node.outputs[0].type.dtype
        x, gz = inputs[0], as_type(xp, inputs[1], dtype)
        geo = self.geometry(x)
        _check_pooled(node, geo, gz)
        n = self.ws[0] * self.ws[1]
        if self.mode == "max":
            hit = geo.onehot(xp, geo.argmax(xp, x))
            zero = xp.zeros_like(gz)
            parts = [xp.where(hit[..., k], gz, zero) for k in range(n)]
        else:
            share = gz if self.mode == "sum" else gz / geo.divisor(
                xp, gz, self.mode == "average_inc_pad")  # fmt: skip
            parts = [share] * n
        return (geo.scatter(xp, parts),)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[self.mode == "max"], [True]]

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """Linear in ``gz`` (adjoint: the gather, or the pooling); piecewise
        constant in ``x`` (max: zero gradient; sums: ``x`` is its shape only)."""
        x, gz = inputs
        (g,) = output_grads
        if self.mode == "max":
            return [_zero(x), _like(self._as(PoolGather)(x, g), gz)]
        return [None, _like(self._as(Pool)(g), gz)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        x, gz = inputs
        v = eval_points[1]
        return [None if v is None else self(x, _like(v, gz))]


@dataclass(frozen=True)
class PoolGather(_Pool):
    """``(x, v)`` → for each max-pooling window of ``x``, the entry of ``v`` at
    the window's first maximal cell: the ``R_op`` of max pooling."""

    def make_node(self, x: Any, v: Any) -> Apply:
        if self.mode != "max":
            raise ValueError(f"PoolGather: defined for mode 'max' only, got {self.mode!r}")
        xv = _pool_input(x, "PoolGather", "x")
        vv = _pool_input(v, "PoolGather", "v")
        shape = same_static_shape(xv, vv, "PoolGather", "x", "v")
        self.check_fits("PoolGather", xv, shape)
        out = TensorType(promote_types(xv.dtype, vv.dtype), self.static_out(
            TensorType(xv.dtype, shape)()))  # fmt: skip
        return Apply(self, [xv, vv], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype: DType = node.outputs[0].type.dtype
        x, v = inputs[0], as_type(xp, inputs[1], dtype)
        if tuple(x.shape) != tuple(v.shape):
            raise ValueError(
                f"PoolGather: x ({node.inputs[0]}) has shape {tuple(x.shape)} but v "
                f"({node.inputs[1]}) has shape {tuple(v.shape)}"
            )
        geo = self.geometry(x)
        hit = geo.onehot(xp, geo.argmax(xp, x))
        vw = geo.windows(xp, geo.padded(xp, v, 0.0))
        return (xp.sum(xp.where(hit, vw, xp.zeros_like(vw)), axis=-1),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [self._symbolic_out(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        x, v = inputs
        (g,) = output_grads
        return [_zero(x), _like(self._as(PoolGrad)(x, g), v)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        x, v = inputs
        ev = eval_points[1]
        return [None if ev is None else self(x, _like(ev, v))]


def _check_pooled_type(x: TV, gz: TV, expected: tuple[int | None, ...]) -> None:
    if gz.ndim != x.ndim:
        raise TypeError(
            f"PoolGrad: gz ({gz}, {gz.type}) must have the number of dimensions of x ({x}, "
            f"{x.type})"
        )
    for k, (m, n) in enumerate(zip(gz.type.shape, expected)):
        if m is not None and n is not None and m != n:
            raise ValueError(
                f"PoolGrad: gz ({gz}) has shape {format_shape(gz.type.shape)}, but pooling x "
                f"({x}) gives {format_shape(expected)} (axis {k})"
            )


def _check_pooled(node: Apply, geo: Geometry, gz: Array) -> None:
    if tuple(int(n) for n in gz.shape[-2:]) != geo.out:
        raise ValueError(
            f"{node.op}: gz ({node.inputs[1]}) has shape {tuple(gz.shape)}, but pooling "
            f"{node.inputs[0]} gives spatial shape {geo.out}"
        )


# --------------------------------------------------------------------------- pool_2d


def make_pool(
    ws: Any, ignore_border: bool = True, stride: Any = None, pad: Any = (0, 0), mode: str = "max"
) -> Pool:
    """The ``Pool`` op for these parameters (validated)."""
    w = int_pair(ws, "pool_2d: ws", 1)
    st = w if stride is None else int_pair(stride, "pool_2d: stride", 1)
    p = int_pair(pad, "pool_2d: pad", 0)
    if not isinstance(ignore_border, bool):
        raise TypeError(f"pool_2d: ignore_border must be a bool, got {ignore_border!r}")
    if mode not in MODES:
        raise ValueError(f"pool_2d: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if p[0] >= w[0] or p[1] >= w[1]:
        raise ValueError(f"pool_2d: pad {p} must be smaller than the window ws {w}")
    if p != (0, 0) and not ignore_border:
        raise ValueError(f"pool_2d: padding {p} requires ignore_border=True (Theano's rule)")
    return Pool(w, st, p, ignore_border, mode)


def pool_2d(
    input: Any,
    ws: Any,
    ignore_border: bool = True,
    stride: Any = None,
    pad: Any = (0, 0),
    mode: str = "max",
) -> TV:
    """Pool the last two axes of ``input`` (at least 2-d) with windows ``ws``.

    ``stride`` defaults to ``ws``; ``pad`` (smaller than ``ws``) pads both
    ends of each axis; ``mode`` is ``'max'``, ``'sum'``,
    ``'average_inc_pad'`` or ``'average_exc_pad'``. With ``ignore_border=True``
    an axis of length ``n`` gives ``(n + 2 pad - ws) // stride + 1`` windows;
    with ``False`` the partial windows at the end are kept (a (5, 5) input
    pooled (2, 2) gives (3, 3)).
    """
    return cast(TV, make_pool(ws, ignore_border, stride, pad, mode)(input))


# --------------------------------------------------------------------------- test specs


def _specs() -> tuple[OpSpec, ...]:
    f: tuple[DType, ...] = ("float64", "float32")
    distinct = Arg("input", f, (-3.0, 3.0), distinct=True, margin=5e-3)
    nn: dict[str, Any] = dict(family="nn")
    lin: dict[str, Any] = dict(poly_degree=1, family="nn")
    return (
        OpSpec("pool_2d_max", pool_2d, S.ref_pool, (distinct,), S.pool_shapes,
               op_classes=(Pool,), params=S.pool_params("max"), **nn,
               doc="distinct values: no ties inside a window"),
        OpSpec("pool_2d_sum", pool_2d, S.ref_pool, (Arg("input", f),), S.pool_shapes,
               op_classes=(Pool,), params=S.pool_params("sum"), **lin),
        OpSpec("pool_2d_average_inc_pad", pool_2d, S.ref_pool, (Arg("input", f),),
               S.pool_shapes, op_classes=(Pool,), params=S.pool_params("average_inc_pad"),
               **lin),
        OpSpec("pool_2d_average_exc_pad", pool_2d, S.ref_pool, (Arg("input", f),),
               S.pool_shapes, op_classes=(Pool,), params=S.pool_params("average_exc_pad"),
               **lin),
        OpSpec("pool_grad_max", lambda x, g, **p: make_pool(**p)._as(PoolGrad)(x, g),
               S.ref_pool_grad, (distinct, Arg("gz", f)), S.pooled_pair_shapes,
               op_classes=(PoolGrad,), params=S.pooled_pair_params("max"), **nn,
               doc="linear in gz, piecewise constant in x"),
        OpSpec("pool_grad_average", lambda x, g, **p: make_pool(**p)._as(PoolGrad)(x, g),
               S.ref_pool_grad, (Arg("x", f), Arg("gz", f)), S.pooled_pair_shapes,
               op_classes=(PoolGrad,), params=S.pooled_pair_params("average_exc_pad"), **nn),
        OpSpec("pool_gather", lambda x, v, **p: make_pool(**p)._as(PoolGather)(x, v),
               S.ref_pool_gather, (distinct, Arg("v", f)), S.same_pair_shapes,
               op_classes=(PoolGather,), params=S.pool_pair_params("max"), **nn,
               doc="the R_op of max pooling"),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
