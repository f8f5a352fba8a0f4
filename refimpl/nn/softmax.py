"""Softmax family: ``Softmax``, ``LogSoftmax`` and ``SoftmaxGrad`` (spec/nn.md,
"Softmax").

Why ops rather than composites of ``exp``/``max``/``sum``:

- ``Softmax`` and ``LogSoftmax`` subtract the maximum before ``exp`` (so
  ``softmax([1000, 0, -1000])`` is exact and ``log_softmax`` of it is
  ``[0, -1000, -2000]``, where the written-out forms give NaN or ``-inf``);
  they print as Theano's ``Softmax(x)``, and FAST_RUN rewrites
  ``log(Softmax(x))`` to ``LogSoftmax(x)``.
- ``SoftmaxGrad(dy, sm) = (dy - sum(dy * sm)) * sm`` is the vector-Jacobian
  product of softmax. It is a rewrite target: when ``dy = g / sm`` (the
  gradient of ``log(softmax(x))``) it becomes ``g - sm * sum(g)``, which is
  finite for saturated logits (``refimpl.nn.rewrites``).

``axis`` is the class axis: an int (stored negative, ``-1`` by default) or
``None`` (all axes together).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.nn._util import as_type, float_dtype, real_input, same_static_shape
from refimpl.ops import math as _math
from refimpl.ops import math_special as _sp
from refimpl.ops import reduction as _red
from refimpl.opspec import Arg, DrawInt, OpSpec, Shape, same_shapes
from refimpl.types import DType, TensorType, is_discrete
from refimpl.variable import TensorVariable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
NDArray = np.ndarray[Any, Any]


def normalize_class_axis(axis: Any, ndim: int, who: str, x: object) -> int | None:
    """``axis`` (an int, negative allowed, or ``None``) as a negative int or
    ``None``; ``TypeError``/``ValueError`` naming ``x``."""
    if ndim == 0:
        raise TypeError(f"{who}: {x} is 0-d; {who} needs at least one axis")
    if axis is None:
        return None
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"{who}: axis must be an int or None, got {axis!r}")
    k = operator.index(axis)
    if not -ndim <= k < ndim:
        raise ValueError(f"{who}: axis {k} is out of range for {x} (ndim {ndim})")
    return k - ndim if k >= 0 else k


def _grad_for(g: TV, x: TV) -> TV | None:
    if is_discrete(x.dtype):
        return None
    return g if g.dtype == x.dtype else _math.cast(g, x.dtype)


def _rowsum(x: Any, axis: int | None) -> TV:
    return _red.sum(x, axis=axis, keepdims=True)


def _shifted(xp: Namespace, x: Array, axis: int | None) -> Array:
    return x - xp.max(x, axis=axis, keepdims=True)


@dataclass(frozen=True)
class _ClassAxisOp(Op):
    """Base of the unary softmax ops: the type rule and shape are shared."""

    axis: int | None = -1

    def __str__(self) -> str:
        name = type(self).__name__
        return name if self.axis == -1 else f"{name}{{axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        who = type(self).__name__
        v = real_input(x, who)
        axis = normalize_class_axis(self.axis, v.ndim, who, v)
        op = self if axis == self.axis else replace(self, axis=axis)
        return Apply(op, [v], [TensorType(float_dtype(v.dtype), v.type.shape)()])

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]


@dataclass(frozen=True)
class Softmax(_ClassAxisOp):
    """``exp(x - max) / sum(exp(x - max))`` over ``axis``."""

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x = as_type(xp, inputs[0], node.outputs[0].type.dtype)
        e = xp.exp(_shifted(xp, x, self.axis))
        return (e / xp.sum(e, axis=self.axis, keepdims=True),)

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``gx = SoftmaxGrad(gz, sm) = (gz - sum(gz sm)) sm``."""
        g = SoftmaxGrad(self.axis)(output_grads[0], outputs[0])
        return [_grad_for(g, inputs[0])]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """The Jacobian is symmetric: ``R = SoftmaxGrad(v, sm)``."""
        (x,), (v,) = inputs, eval_points
        if v is None or is_discrete(x.dtype):
            return [None]
        return [SoftmaxGrad(self.axis)(v, self(x))]


@dataclass(frozen=True)
class LogSoftmax(_ClassAxisOp):
    """``(x - max) - log(sum(exp(x - max)))`` over ``axis``."""

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x = as_type(xp, inputs[0], node.outputs[0].type.dtype)
        s = _shifted(xp, x, self.axis)
        return (s - xp.log(xp.sum(xp.exp(s), axis=self.axis, keepdims=True)),)

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``gx = gz - exp(out) sum(gz)``."""
        (gz,) = output_grads
        g = gz - _sp.exp(outputs[0]) * _rowsum(gz, self.axis)
        return [_grad_for(g, inputs[0])]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """``R = v - sum(exp(out) v)``."""
        (x,), (v,) = inputs, eval_points
        if v is None or is_discrete(x.dtype):
            return [None]
        out = self(x)
        return [_math.cast(v, out.dtype) - _rowsum(_sp.exp(out) * v, self.axis)]


@dataclass(frozen=True)
class SoftmaxGrad(Op):
    """``(dy - sum(dy * sm)) * sm`` over ``axis``: softmax's vector-Jacobian
    product (linear in ``dy``, quadratic in ``sm``)."""

    axis: int | None = -1

    def __str__(self) -> str:
        return "SoftmaxGrad" if self.axis == -1 else f"SoftmaxGrad{{axis={self.axis}}}"

    def make_node(self, dy: Any, sm: Any) -> Apply:
        dyv, smv = real_input(dy, "SoftmaxGrad", "dy"), real_input(sm, "SoftmaxGrad", "sm")
        shape = same_static_shape(dyv, smv, "SoftmaxGrad", "dy", "sm")
        axis = normalize_class_axis(self.axis, smv.ndim, "SoftmaxGrad", smv)
        op = self if axis == self.axis else replace(self, axis=axis)
        out = TensorType(float_dtype(dyv.dtype, smv.dtype), shape)
        return Apply(op, [dyv, smv], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype = node.outputs[0].type.dtype
        dy, sm = (as_type(xp, a, dtype) for a in inputs)
        if tuple(dy.shape) != tuple(sm.shape):
            raise ValueError(
                f"SoftmaxGrad: dy ({node.inputs[0]}) has shape {tuple(dy.shape)} but sm "
                f"({node.inputs[1]}) has shape {tuple(sm.shape)}"
            )
        prod = dy * sm
        return (prod - sm * xp.sum(prod, axis=self.axis, keepdims=True),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[1])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``g_dy = SoftmaxGrad(G, sm)``; ``g_sm = G dy - G sum(dy sm) - dy sum(G sm)``."""
        dy, sm = inputs
        (g,) = output_grads
        g_dy = self(g, sm)
        g_sm = g * dy - g * _rowsum(dy * sm, self.axis) - dy * _rowsum(g * sm, self.axis)
        return [_grad_for(g_dy, dy), _grad_for(g_sm, sm)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """``R = SoftmaxGrad(v_dy, sm) + v_sm (dy - sum(dy sm)) - sm sum(dy v_sm)``."""
        dy, sm = inputs
        vdy, vsm = (None if is_discrete(x.dtype) else v for x, v in zip(inputs, eval_points))
        out = self(dy, sm)
        terms: list[TV] = []
        if vdy is not None:
            terms.append(self(vdy, sm))
        if vsm is not None:
            terms.append(vsm * (dy - _rowsum(dy * sm, self.axis)))
            terms.append(-(sm * _rowsum(dy * vsm, self.axis)))
        if not terms:
            return [None]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return [total if total.dtype == out.dtype else _math.cast(total, out.dtype)]


# --------------------------------------------------------------------------- public functions


def softmax(c: Any, axis: int | None = -1) -> TV:
    """Softmax over ``axis`` (default the last; ``None``: all axes), computed
    with the maximum subtracted. A vector gives a vector."""
    return cast(TV, Softmax(axis)(c))


def log_softmax(c: Any, axis: int | None = -1) -> TV:
    """``log(softmax(c))`` computed stably: ``(c - max) - log(sum(exp(c - max)))``."""
    return cast(TV, LogSoftmax(axis)(c))


# --------------------------------------------------------------------------- test specs


def _axis_param(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
    nd = len(shapes[0])
    choice = draw_int(0, nd + 1)
    return {"axis": None if choice == nd + 1 else choice - 1 if choice else -1}


def _ref_softmax(x: NDArray, axis: int | None = -1) -> NDArray:
    x64 = x.astype(np.float64)
    e = np.exp(x64 - np.max(x64, axis=axis, keepdims=True))
    out: NDArray = e / np.sum(e, axis=axis, keepdims=True)
    return out.astype(float_dtype(str(x.dtype)))  # type: ignore[arg-type]


def _ref_log_softmax(x: NDArray, axis: int | None = -1) -> NDArray:
    x64 = x.astype(np.float64)
    s = x64 - np.max(x64, axis=axis, keepdims=True)
    out: NDArray = s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    return out.astype(float_dtype(str(x.dtype)))  # type: ignore[arg-type]


def _ref_softmax_grad(dy: NDArray, sm: NDArray, axis: int | None = -1) -> NDArray:
    d = float_dtype(str(dy.dtype), str(sm.dtype))  # type: ignore[arg-type]
    a, b = dy.astype(np.float64), sm.astype(np.float64)
    return ((a - np.sum(a * b, axis=axis, keepdims=True)) * b).astype(d)


_F: tuple[DType, ...] = ("float64", "float32")
_SHAPES = same_shapes(1, 1, 3, 4)


def _specs() -> tuple[OpSpec, ...]:
    x = Arg("x", _F, (-5.0, 5.0), grad_domain=(-2.0, 2.0))
    return (
        OpSpec("softmax", softmax, _ref_softmax, (x,), _SHAPES, op_classes=(Softmax,),
               params=_axis_param, family="nn"),
        OpSpec("log_softmax", log_softmax, _ref_log_softmax, (x,), _SHAPES,
               op_classes=(LogSoftmax,), params=_axis_param, family="nn"),
        OpSpec("softmax_grad", lambda dy, sm, axis=-1: SoftmaxGrad(axis)(dy, sm),
               _ref_softmax_grad, (Arg("dy", _F), Arg("sm", _F, (0.0, 1.0))),
               same_shapes(2, 1, 3, 4), op_classes=(SoftmaxGrad,), params=_axis_param,
               family="nn", doc="the vector-Jacobian product of softmax, for any dy and sm"),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
