"""Reductions and cumulative ops: sum, prod, max, min, all, any, argmax,
argmin, cumsum, cumprod, and the composites mean, var, std, ptp,
max_and_argmax, logsumexp (``_reduction_composite``).

Three op classes carry everything:

- ``Reduce(kind, axis, keepdims, dtype, acc_dtype)`` — ``kind`` is one of
  ``sum prod max min all any``; ``axis`` a normalised tuple (non-negative,
  sorted) or ``None`` (all axes).
- ``ArgReduce(kind, axis, keepdims)`` — ``argmax``/``argmin``; tuple axes are
  handled by moving the reduced axes last and flattening them.
- ``CumOp(kind, axis, reverse, exclusive)`` — cumulative sum/product along one
  axis (``None``: the flattened input). ``reverse``/``exclusive`` exist for
  the gradients: the transpose of a forward scan is a reverse scan.

Gradients are assembled from public functions in ``_reduction_grad``; the
normative description is ``spec/reduction.md``.
"""

from __future__ import annotations

import builtins
import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import array_api_compat

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.ops import _reduction_grad as _rg
from refimpl.ops import _reduction_specs as _S
from refimpl.ops._reduction_composite import logsumexp, mean, ptp, std, var
from refimpl.opspec import Arg, OpSpec, same_shapes
from refimpl.types import (
    DType,
    TensorType,
    as_dtype,
    is_discrete,
    is_inexact,
    kind,
    promote_types,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
ReduceKind = Literal["sum", "prod", "max", "min", "all", "any"]
ArgKind = Literal["argmax", "argmin"]
CumKind = Literal["sum", "prod"]

# Theano's result dtype of sum/prod/cumsum/cumprod (CAReduceDtype): small
# integers widen to 64 bits so that sums of int8 data do not wrap.
_DEFAULT_OUT: Final[dict[DType, DType]] = {
    "bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
    "uint8": "uint64", "uint16": "uint64", "uint32": "uint64",
}  # fmt: skip
# Theano's accumulator dtype: additionally, floats accumulate in the next wider float.
_DEFAULT_ACC: Final[dict[DType, DType]] = {
    **_DEFAULT_OUT, "float16": "float32", "float32": "float64", "complex64": "complex128",
}  # fmt: skip


# --------------------------------------------------------------------------- type helpers


def _dtype_name(a: Array) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


def _as_type(xp: Namespace, a: Array, dtype: str) -> Array:
    return a if _dtype_name(a) == dtype else xp.astype(a, getattr(xp, dtype))


def normalize_axes(axis: Any, ndim: int, who: str, x: object) -> tuple[int, ...]:
    """``axis`` (``None``, an int or a sequence of ints, negative allowed) as a
    sorted tuple of non-negative axes of an ``ndim``-d input ``x``.

    Raises ``TypeError`` for a non-integer axis and ``ValueError`` for an axis
    out of range or repeated, naming ``x`` and its ndim.
    """
    if axis is None:
        return tuple(range(ndim))
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    out: list[int] = []
    for a in items:
        if isinstance(a, bool) or not hasattr(a, "__index__"):
            raise TypeError(f"{who}: axis must be None, an int or a tuple of ints, got {axis!r}")
        k = operator.index(a)
        if not -ndim <= k < ndim:
            raise ValueError(f"{who}: axis {k} is out of range for {x} (ndim {ndim})")
        k %= builtins.max(ndim, 1)
        if k in out:
            raise ValueError(f"{who}: repeated axis {k} in {axis!r} for {x} (ndim {ndim})")
        out.append(k)
    return tuple(sorted(out))


def _check_keepdims(keepdims: object, who: str) -> bool:
    if not isinstance(keepdims, bool):
        raise TypeError(f"{who}: keepdims must be a bool, got {keepdims!r}")
    return keepdims


def _reduced_shape(
    shape: Sequence[int | None], axes: tuple[int, ...], keepdims: bool
) -> tuple[int | None, ...]:
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def sum_dtypes(
    in_dtype: DType, dtype: DType | None, acc_dtype: DType | None, who: str = "sum"
) -> tuple[DType, DType]:
    """The (result, accumulator) dtypes of ``sum``/``prod`` of an ``in_dtype``
    input (the table of spec/reduction.md, "sum")."""
    out = dtype if dtype is not None else _DEFAULT_OUT.get(in_dtype, in_dtype)
    if kind(in_dtype) == "c" and kind(out) != "c":
        raise TypeError(f"{who}: cannot reduce {in_dtype} input into the real dtype {out}")
    if acc_dtype is None:
        return out, promote_types(_DEFAULT_ACC.get(in_dtype, in_dtype), out)
    lossless = promote_types(in_dtype, acc_dtype) == acc_dtype
    if not lossless and not (is_discrete(in_dtype) and is_inexact(acc_dtype)):
        raise TypeError(
            f"{who}: acc_dtype {acc_dtype} would lose precision on {in_dtype} input; use an "
            f"acc_dtype at least as precise as {in_dtype}, or dtype= to cast the result"
        )
    return out, acc_dtype


def _opt_dtype(dtype: Any, what: str) -> DType | None:
    return None if dtype is None else as_dtype(dtype, what)


# --------------------------------------------------------------------------- Reduce


@dataclass(frozen=True)
class Reduce(Op):
    """Reduce ``x`` over ``axis`` with ``kind`` (see the module docstring).

    ``dtype``/``acc_dtype`` apply to ``sum``/``prod`` only (``None``: the
    default rule of :func:`sum_dtypes`).
    """

    kind: ReduceKind
    axis: tuple[int, ...] | None = None
    keepdims: bool = False
    dtype: DType | None = None
    acc_dtype: DType | None = None

    def __str__(self) -> str:
        ax = "" if self.axis is None else f"{{axis={list(self.axis)}}}"
        name = {"sum": "Sum", "prod": "Prod", "max": "Max", "min": "Min"}.get(self.kind)
        return f"{name or self.kind.capitalize()}{ax}"

    def __post_init__(self) -> None:
        if self.kind not in ("sum", "prod", "max", "min", "all", "any"):
            raise ValueError(f"Reduce: unknown kind {self.kind!r}")
        if (self.dtype or self.acc_dtype) and self.kind not in ("sum", "prod"):
            raise TypeError(f"{self.kind}: dtype/acc_dtype apply to sum and prod only")

    def out_dtype(self, in_dtype: DType) -> DType:
        """The result dtype for an ``in_dtype`` input."""
        if self.kind in ("all", "any"):
            return "bool"
        if self.kind in ("max", "min"):
            return in_dtype
        return sum_dtypes(in_dtype, self.dtype, self.acc_dtype, self.kind)[0]

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axes = normalize_axes(self.axis, x.ndim, self.kind, x)
        op = self if axes == self.axis else replace(self, axis=axes)
        if self.kind in ("max", "min") and kind(x.dtype) == "c":
            raise TypeError(
                f"{self.kind}: {x} has dtype {x.dtype}; {self.kind} is defined for real and "
                "bool dtypes only (complex numbers are not ordered)"
            )
        shape = _reduced_shape(x.type.shape, axes, self.keepdims)
        return Apply(op, [x], [TensorType(op.out_dtype(x.dtype), shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        axes = _node_axes(node)
        out_dtype: DType = node.outputs[0].type.dtype
        kd = self.keepdims
        if self.kind in ("sum", "prod"):
            acc = sum_dtypes(node.inputs[0].type.dtype, self.dtype, self.acc_dtype)[1]
            f = xp.sum if self.kind == "sum" else xp.prod
            r = f(_as_type(xp, x, acc), axis=axes, keepdims=kd, dtype=getattr(xp, acc))
        elif self.kind in ("all", "any"):
            r = (xp.all if self.kind == "all" else xp.any)(x, axis=axes, keepdims=kd)
        else:
            r = _extremum(xp, x, axes, kd, self.kind, node)
        return (_as_type(xp, r, out_dtype),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [_reduce_shape(node, input_shapes[0], self.axis or (), self.keepdims)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if is_discrete(x.dtype) or is_discrete(out.dtype):
            return [None]
        axes = self.axis or ()
        gk = _rg.keepdims_grad(g, x.ndim, axes, self.keepdims)
        if self.kind == "sum":
            gx = _rg.broadcast_like(gk, x)
        elif self.kind == "prod":
            gx = gk * _rg.conj(_rg.prod_of_others(x, axes))
        else:
            gx = gk * _rg.extremum_weights(x, out, axes, self.keepdims)
        return [_rg.cast_to(gx, x.dtype)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        (x,), (v,) = inputs, eval_points
        out_dtype = self.out_dtype(x.dtype)
        if v is None or is_discrete(x.dtype) or is_discrete(out_dtype):
            return [None]
        axes = self.axis or ()
        if self.kind == "sum":
            return [self(v)]
        if self.kind == "prod":
            weights = _rg.prod_of_others(x, axes)
        else:
            weights = _rg.extremum_weights(x, self(x), axes, self.keepdims)
        return [sum(v * weights, axis=axes, keepdims=self.keepdims, dtype=out_dtype)]


def _node_axes(node: Apply) -> tuple[int, ...]:
    """The normalised axes of a Reduce/ArgReduce node (its op's ``axis``)."""
    axis: tuple[int, ...] | None = node.op.axis  # type: ignore[attr-defined]
    return tuple(range(node.inputs[0].type.ndim)) if axis is None else axis


def _extremum(
    xp: Namespace, x: Array, axes: tuple[int, ...], kd: bool, which: str, node: Apply
) -> Array:
    if _dtype_name(x) == "bool":  # max of booleans is any, min is all
        return (xp.any if which == "max" else xp.all)(x, axis=axes, keepdims=kd)
    out_shape = _reduced_shape(x.shape, axes, kd)
    if _count(x.shape[a] for a in axes) == 0:
        if _count(out_shape) == 0:
            return xp.zeros(out_shape, dtype=x.dtype, device=array_api_compat.device(x))
        raise ValueError(
            f"{which} of {node.inputs[0]}: cannot reduce over the empty axes {list(axes)} "
            f"(shape {tuple(x.shape)}); {which} has no identity"
        )
    return (xp.max if which == "max" else xp.min)(x, axis=axes, keepdims=kd)


def _count(values: Any) -> int:
    """The product of run-time lengths (the number of elements they span)."""
    return functools.reduce(operator.mul, (int(v) for v in values), 1)


def _reduce_shape(
    node: Apply, shape: tuple[TV, ...], axes: Sequence[int], keepdims: bool
) -> tuple[TV, ...]:
    out: list[TV] = []
    for i, n in enumerate(shape):
        if i not in axes:
            out.append(n)
        elif keepdims:
            out.append(constant(1, dtype="int64"))
    return tuple(out)


# --------------------------------------------------------------------------- ArgReduce


@dataclass(frozen=True)
class ArgReduce(Op):
    """Index of the maximum (``argmax``) or minimum (``argmin``) over ``axis``.

    With several axes the index is into the reduced axes flattened in C
    order; ties give the first occurrence. The result is int64 and its
    gradient is zero (``L_op`` returns ``None``: disconnected).
    """

    kind: ArgKind
    axis: tuple[int, ...] | None = None
    keepdims: bool = False

    def __str__(self) -> str:
        ax = "" if self.axis is None else f"{{axis={list(self.axis)}}}"
        return f"{self.kind.capitalize()}{ax}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.kind not in ("argmax", "argmin"):
            raise ValueError(f"ArgReduce: unknown kind {self.kind!r}")
        if kind(x.dtype) == "c":
            raise TypeError(
                f"{self.kind}: {x} has dtype {x.dtype}; {self.kind} is defined for real and "
                "bool dtypes only (complex numbers are not ordered)"
            )
        axes = normalize_axes(self.axis, x.ndim, self.kind, x)
        op = self if axes == self.axis else replace(self, axis=axes)
        shape = _reduced_shape(x.type.shape, axes, self.keepdims)
        return Apply(op, [x], [TensorType("int64", shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        axes = _node_axes(node)
        if _dtype_name(x) == "bool":
            x = xp.astype(x, xp.int8)
        kept = [i for i in range(x.ndim) if i not in axes]
        count = _count(x.shape[a] for a in axes)
        if count == 0:
            raise ValueError(
                f"{self.kind} of {node.inputs[0]}: cannot reduce over the empty axes "
                f"{list(axes)} (shape {tuple(x.shape)})"
            )
        perm = (*kept, *axes)
        moved = xp.permute_dims(x, perm) if perm != tuple(range(x.ndim)) else x
        flat = xp.reshape(moved, (*(x.shape[i] for i in kept), count))
        f = xp.argmax if self.kind == "argmax" else xp.argmin
        r = f(flat, axis=-1)
        out_shape = _reduced_shape(x.shape, axes, self.keepdims)
        return (_as_type(xp, xp.reshape(r, out_shape), "int64"),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [_reduce_shape(node, input_shapes[0], self.axis or (), self.keepdims)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        return [None]  # integer-valued and piecewise constant: zero gradient

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


# --------------------------------------------------------------------------- CumOp


@dataclass(frozen=True)
class CumOp(Op):
    """Cumulative sum or product along ``axis`` (``None``: of the flattened
    input, a vector). ``reverse`` scans from the end; ``exclusive`` leaves
    each element out of its own entry (the first entry is 0 or 1)."""

    kind: CumKind
    axis: int | None = None
    reverse: bool = False
    exclusive: bool = False

    def __str__(self) -> str:
        flags = "".join(f",{f}" for f in ("reverse", "exclusive") if getattr(self, f))
        return f"Cum{self.kind}{{{self.axis}{flags}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.kind not in ("sum", "prod"):
            raise ValueError(f"CumOp: unknown kind {self.kind!r}")
        who = f"cum{self.kind}"
        out_dtype = _DEFAULT_OUT.get(x.dtype, x.dtype)
        if self.axis is None:
            size = x.type.shape
            n = None if builtins.any(s is None for s in size) else _count(size)
            return Apply(self, [x], [TensorType(out_dtype, (n,))()])
        (axis,) = normalize_axes(self.axis, x.ndim, who, x)
        op = self if axis == self.axis else replace(self, axis=axis)
        return Apply(op, [x], [TensorType(out_dtype, x.type.shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        out_dtype = node.outputs[0].type.dtype
        x = _as_type(xp, x, out_dtype)
        if self.axis is None:
            x, axis = xp.reshape(x, (-1,)), 0
        else:
            axis = self.axis % x.ndim
        if self.reverse:
            x = xp.flip(x, axis=axis)
        f = xp.cumulative_sum if self.kind == "sum" else xp.cumulative_prod
        r = f(x, axis=axis, dtype=getattr(xp, out_dtype), include_initial=self.exclusive)
        if self.exclusive:
            r = r[(slice(None),) * axis + (slice(0, -1), ...)]
        if self.reverse:
            r = xp.flip(r, axis=axis)
        return (_as_type(xp, r, out_dtype),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        (shape,) = input_shapes
        if self.axis is not None:
            return [tuple(shape)]
        size: TV = constant(1, dtype="int64")
        for n in shape:
            size = size * n
        return [(size,)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if is_discrete(x.dtype) or is_discrete(out.dtype):
            return [None]
        flat = _rg.flatten_all(x) if self.axis is None else x
        op = self if self.axis is not None else replace(self, axis=0)
        if self.kind == "sum":
            gx = CumOp("sum", op.axis, not self.reverse, self.exclusive)(g)
        else:
            gx = _rg.cumprod_grad(op, flat, out, g)
        if self.axis is None:
            gx = _rg.reshape_like(gx, x)
        return [_rg.cast_to(gx, x.dtype)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        (x,), (v,) = inputs, eval_points
        if v is None or is_discrete(x.dtype):
            return [None]
        if self.kind == "sum":
            return [self(v)]
        if self.axis is None:
            op = replace(self, axis=0)
            return [_rg.cumprod_rop(op, _rg.flatten_all(x), _rg.flatten_all(v))]
        return [_rg.cumprod_rop(self, x, v)]


# --------------------------------------------------------------------------- public functions


def _reduce(
    kind_: ReduceKind, x: Any, axis: Any, keepdims: bool, dtype: Any = None, acc: Any = None
) -> TV:
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim, kind_, x)
    kd = _check_keepdims(keepdims, kind_)
    op = Reduce(kind_, axes, kd, _opt_dtype(dtype, f"{kind_} dtype"), _opt_dtype(acc, "acc_dtype"))
    out: TV = op(x)
    return out


def sum(
    input: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
) -> TV:
    """Sum over ``axis`` (``None``: all). bool/int8/16/32 → int64, uint8/16/32 →
    uint64, others keep their dtype (``dtype=`` overrides); float32 accumulates
    in float64 (``acc_dtype=`` overrides)."""
    return _reduce("sum", input, axis, keepdims, dtype, acc_dtype)


def prod(
    input: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    acc_dtype: Any = None,
    no_zeros_in_input: bool = False,
) -> TV:
    """Product over ``axis``; dtypes as :func:`sum`. The gradient is exact at
    zeros (``no_zeros_in_input`` is accepted for Theano and has no effect)."""
    return _reduce("prod", input, axis, keepdims, dtype, acc_dtype)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """Maximum over ``axis``; NaN propagates; empty axes raise ``ValueError`` at run time."""
    return _reduce("max", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """Minimum over ``axis``; NaN propagates; empty axes raise ``ValueError`` at run time."""
    return _reduce("min", x, axis, keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """Whether every element over ``axis`` is nonzero (bool)."""
    return _reduce("all", x, axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """Whether some element over ``axis`` is nonzero (bool)."""
    return _reduce("any", x, axis, keepdims)


def _arg(kind_: ArgKind, x: Any, axis: Any, keepdims: bool) -> TV:
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim, kind_, x)
    out: TV = ArgReduce(kind_, axes, _check_keepdims(keepdims, kind_))(x)
    return out


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """int64 index of the maximum over ``axis`` (first on ties; tuple axes:
    index into the reduced axes flattened in C order)."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """int64 index of the minimum over ``axis`` (first on ties)."""
    return _arg("argmin", x, axis, keepdims)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> list[TV]:
    """``[max(a, axis), argmax(a, axis)]`` (Theano's two-output form)."""
    return [max(a, axis, keepdims), argmax(a, axis, keepdims)]


def _cum(kind_: CumKind, x: Any, axis: Any) -> TV:
    x = as_tensor_variable(x)
    who = f"cum{kind_}"
    if axis is not None:
        if isinstance(axis, bool) or not hasattr(axis, "__index__"):
            raise TypeError(f"{who}: axis must be None or an int, got {axis!r}")
        (axis,) = normalize_axes(axis, x.ndim, who, x)
    out: TV = CumOp(kind_, axis)(x)
    return out


def cumsum(x: Any, axis: int | None = None) -> TV:
    """Cumulative sum along ``axis`` (``None``: of the flattened input);
    small integers widen as in :func:`sum`."""
    return _cum("sum", x, axis)


def cumprod(x: Any, axis: int | None = None) -> TV:
    """Cumulative product along ``axis`` (``None``: flattened); the gradient
    is exact at zeros."""
    return _cum("prod", x, axis)


# --------------------------------------------------------------------------- specs


SPECS: tuple[OpSpec, ...] = (
    OpSpec("sum", sum, _S.ref_sum, (Arg("x", dtypes=_S.ALL),), _S.SHAPES, (Reduce,), _S.AK,
           poly_degree=1,
           doc="sum; small ints widen to int64/uint64, float32 accumulates in float64"),
    OpSpec("prod", prod, _S.ref_prod, (Arg("x", dtypes=_S.PROD_DTYPES, domain=(-2.0, 2.0)),),
           same_shapes(1, 0, 3, 3), (Reduce, CumOp), _S.AK, rtol=_S.F32,
           doc="prod; the gradient is the product of the others (exclusive cumprods)"),
    OpSpec("prod_zeros", prod, _S.ref_prod, (Arg("x", dtypes=_S.PROD_DTYPES),),
           same_shapes(1, 1, 3, 3), (Reduce, CumOp), _S.AK, make_inputs=_S.zeros_inputs,
           rtol=_S.F32, doc="prod at inputs with exact zeros: value, gradient and R_op stay exact"),
    OpSpec("max", max, _S.ref_max, (_S.ORDERED,), _S.SHAPES, (Reduce,), _S.AK,
           doc="max; distinct values (ties share the gradient equally)"),
    OpSpec("min", min, _S.ref_min, (_S.ORDERED,), _S.SHAPES, (Reduce,), _S.AK,
           doc="min; distinct values (ties share the gradient equally)"),
    OpSpec("argmax", argmax, _S.ref_argmax, (_S.ORDERED,), _S.SHAPES, (ArgReduce,), _S.AK,
           doc="int64 result; zero gradient (L_op/R_op return None), so Lop gives zeros"),
    OpSpec("argmin", argmin, _S.ref_argmin, (_S.ORDERED,), _S.SHAPES, (ArgReduce,), _S.AK,
           doc="int64 result; zero gradient (L_op/R_op return None), so Lop gives zeros"),
    OpSpec("max_and_argmax", max_and_argmax, _S.ref_max_and_argmax, (_S.ORDERED,), _S.SHAPES,
           (Reduce, ArgReduce), _S.AK,
           doc="two outputs [max, argmax]; the argmax output is integer (zero gradient)"),
    OpSpec("ptp", ptp, _S.ref_ptp, (_S.ORDERED_NUMERIC,), _S.SHAPES, (Reduce,), _S.AK,
           doc="max - min; distinct values"),
    OpSpec("all", all, _S.ref_all, (Arg("x", dtypes=("bool", "float64", "int64", "complex128")),),
           _S.SHAPES, (Reduce,), _S.AK,
           doc="bool result; zero gradient (L_op/R_op return None), so Lop gives zeros"),
    OpSpec("any", any, _S.ref_any, (Arg("x", dtypes=("bool", "float64", "int64", "complex128")),),
           _S.SHAPES, (Reduce,), _S.AK,
           doc="bool result; zero gradient (L_op/R_op return None), so Lop gives zeros"),
    OpSpec("mean", mean, _S.ref_mean,
           (Arg("x", dtypes=(*_S.FLOATS, "int64", "int8", "bool", "complex128")),), _S.SHAPES,
           (Reduce,), _S.AK, poly_degree=1, rtol=_S.F32,
           doc="mean = sum / n; discrete inputs give float64"),
    OpSpec("var", var, _S.ref_var, (Arg("x", dtypes=(*_S.FLOATS, "int64", "bool")),),
           _S.shapes_min(2), (Reduce,), _S.var_params, poly_degree=2, rtol=_S.F32,
           doc="var with ddof 0/1 over at least 2 elements"),
    OpSpec("std", std, _S.ref_std, (Arg("x", dtypes=(*_S.FLOATS, "int64", "bool")),),
           _S.shapes_min(3), (Reduce,), _S.var_params, rtol=_S.F32,
           doc="std = sqrt(var); lengths >= 3 keep the variance away from 0"),
    OpSpec("logsumexp", logsumexp, _S.ref_logsumexp,
           (Arg("x", dtypes=(*_S.FLOATS, "int64", "bool")),), _S.SHAPES, (Reduce,), _S.AK,
           rtol=_S.F32, doc="stable log(sum(exp(x))); discrete inputs upcast as for exp"),
    OpSpec("cumsum", cumsum, _S.ref_cumsum, (Arg("x", dtypes=_S.ALL),), _S.SHAPES, (CumOp,),
           _S.cum_params, poly_degree=1, doc="cumsum; axis None flattens"),
    OpSpec("cumprod", cumprod, _S.ref_cumprod,
           (Arg("x", dtypes=(*_S.FLOATS, "int64", "int8", "bool", "complex128"),
                domain=(-2.0, 2.0)),),
           _S.shapes_min(2, 3, 3), (CumOp,), _S.cum_params, rtol=_S.F32,
           doc="cumprod; axis None flattens; lengths >= 2 (a length-1 scan is the identity)"),
    OpSpec("cumprod_zeros", cumprod, _S.ref_cumprod,
           (Arg("x", dtypes=("float64", "bool", "complex128")),), same_shapes(1, 1, 3, 3),
           (CumOp,), _S.cum_params, make_inputs=_S.zeros_inputs, second_order=False,
           doc="cumprod at exact zeros: value, gradient and R_op exact (second order is not)"),
)  # fmt: skip

__all__ = [
    "SPECS", "ArgReduce", "CumOp", "Reduce", "all", "any", "argmax", "argmin", "cumprod",
    "cumsum", "logsumexp", "max", "max_and_argmax", "mean", "min", "normalize_axes", "prod", "ptp",
    "std", "sum", "sum_dtypes", "var",
]  # fmt: skip
