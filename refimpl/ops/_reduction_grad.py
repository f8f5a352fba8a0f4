"""Graph builders for the gradients of the reduction family (spec/reduction.md).

Everything here composes public functions: the elementwise functions by
their ``refimpl.tensor`` names, the shape family (``refimpl.ops.shape``,
``refimpl.ops.creation``), all looked up at call time, and the reduction ops
themselves (``refimpl.ops.reduction``, imported at call time — it imports
this module).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from refimpl.types import DType, kind
from refimpl.variable import TensorVariable, constant

if TYPE_CHECKING:
    from refimpl.ops.reduction import CumOp

TV = TensorVariable


def _T() -> ModuleType:
    """``refimpl.tensor``: the elementwise functions by their Theano names."""
    return importlib.import_module("refimpl.tensor")


def _shape() -> ModuleType:
    return importlib.import_module("refimpl.ops.shape")


def _creation() -> ModuleType:
    return importlib.import_module("refimpl.ops.creation")


def _red() -> ModuleType:
    return importlib.import_module("refimpl.ops.reduction")


# --------------------------------------------------------------------------- small wrappers


def cast_to(x: TV, dtype: DType) -> TV:
    if x.dtype == dtype:
        return x
    out: TV = _T().cast(x, dtype)
    return out


def eq(a: object, b: object) -> TV:
    out: TV = _T().eq(a, b)
    return out


def switch(cond: TV, a: object, b: object) -> TV:
    out: TV = _T().switch(cond, a, b)
    return out


def and_(a: TV, b: TV) -> TV:
    out: TV = _T().and_(a, b)
    return out


def sqrt(x: TV) -> TV:
    out: TV = _T().sqrt(x)
    return out


def exp(x: TV) -> TV:
    out: TV = _T().exp(x)
    return out


def log(x: TV) -> TV:
    out: TV = _T().log(x)
    return out


def conj(x: TV) -> TV:
    """The complex conjugate (the identity on real dtypes): ``L_op`` of a
    complex op is ``conj(J)^T g`` (refimpl's convention, as for ``mul``)."""
    if kind(x.dtype) != "c":
        return x
    out: TV = _T().conj(x)
    return out


def finite_or_zero(m: TV) -> TV:
    """``m`` where finite, else 0 (the shift of ``logsumexp``)."""
    out: TV = switch(_T().isfinite(m), m, 0)
    return out


# --------------------------------------------------------------------------- shapes


def keepdims_grad(g: TV, ndim: int, axes: Sequence[int], keepdims: bool) -> TV:
    """``g`` (shaped like a reduction's output) with the reduced ``axes``
    re-inserted as static length-1 axes, so it broadcasts against the input."""
    if not axes:
        return g
    if keepdims:  # make sure the kept axes broadcast (static length 1)
        loose = [a for a in axes if g.type.shape[a] != 1]
        out: TV = _shape().addbroadcast(g, *loose) if loose else g
        return out
    pattern: list[int | str] = []
    k = 0
    for i in range(ndim):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(k)
            k += 1
    res: TV = _shape().dimshuffle(g, *pattern)
    return res


def keepdims_drop(m: TV, axes: Sequence[int]) -> TV:
    """Drop the static length-1 ``axes`` of a keepdims result."""
    if not axes:
        return m
    out: TV = _shape().dimshuffle(m, *[i for i in range(m.ndim) if i not in axes])
    return out


def broadcast_like(t: TV, x: TV) -> TV:
    """``t`` (broadcastable against ``x``) broadcast to ``x``'s shape."""
    out: TV = _creation().fill(x, t)
    return out


def flatten_all(x: TV) -> TV:
    if x.ndim == 1:
        return x
    out: TV = _shape().flatten(x, 1)
    return out


def reshape_like(t: TV, x: TV) -> TV:
    if x.ndim == 1 and t.ndim == 1:
        return t
    S = _shape()
    out: TV = S.reshape(t, S.shape(x), ndim=x.ndim)
    return out


def reduced_count(x: TV, axes: Sequence[int], dtype: DType, offset: float = 0) -> TV:
    """The number of elements a reduction over ``axes`` combines, plus
    ``offset``, as a scalar of ``dtype`` (a constant when the lengths are static)."""
    static = [x.type.shape[a] for a in axes]
    if all(n is not None for n in static):
        count = 1
        for n in static:
            count *= n  # type: ignore[operator]
        return constant(count + offset, dtype=dtype)
    size: TV = constant(1, dtype="int64")
    for a in axes:
        size = size * _shape().shape_i(x, a)
    out = cast_to(size, dtype)
    return out + offset if offset else out


# --------------------------------------------------------------------------- prod, max/min


def prod_of_others(x: TV, axes: Sequence[int]) -> TV:
    """For each element, the product of the *other* elements of its reduced
    slice: ``exclusive_cumprod * reverse_exclusive_cumprod`` along the reduced
    axes flattened into one (no division, so exact at zeros)."""
    R = _red()
    if not axes:
        one = constant(complex(1) if kind(x.dtype) == "c" else 1, dtype=x.dtype)
        return broadcast_like(one, x)
    if len(axes) == 1:
        (a,) = axes
        return R.CumOp("prod", a, False, True)(x) * R.CumOp("prod", a, True, True)(x)  # type: ignore[no-any-return]
    S = _shape()
    kept = [i for i in range(x.ndim) if i not in axes]
    perm = [*kept, *axes]
    moved = perm != list(range(x.ndim))
    xt = S.dimshuffle(x, *perm) if moved else x
    k = len(kept)
    flat = S.flatten(xt, k + 1)
    others = R.CumOp("prod", k, False, True)(flat) * R.CumOp("prod", k, True, True)(flat)
    back: TV = S.reshape(others, S.shape(xt), ndim=x.ndim)
    if moved:
        back = S.dimshuffle(back, *[perm.index(i) for i in range(x.ndim)])
    return back


def extremum_weights(x: TV, out: TV, axes: Sequence[int], keepdims: bool) -> TV:
    """``d max/d x``: ``1/count`` at the elements equal to the result (ties
    share equally), 0 elsewhere; shaped like ``x``."""
    R = _red()
    m = keepdims_grad(out, x.ndim, axes, keepdims)
    mask = cast_to(eq(x, m), x.dtype)
    count = R.sum(mask, axis=tuple(axes), keepdims=True)
    out_: TV = mask / count
    return out_


# --------------------------------------------------------------------------- cumprod


def _zero_masks(op: CumOp, x: TV) -> tuple[TV, TV, TV]:
    """(zero, before, first): ``x == 0``; no zero at or before the position
    (in the scan direction); the first zero in the scan direction."""
    R = _red()
    zero = eq(x, 0)
    count = R.CumOp("sum", op.axis, op.reverse, False)(zero)
    return zero, eq(count, 0), and_(zero, eq(count, 1))


def cumprod_grad(op: CumOp, x: TV, out: TV, g: TV) -> TV:
    """Vector-Jacobian product of ``op`` (a cumprod along an int axis).

    Before the first zero ``z`` (scan order) the classical formula
    ``revcumsum(g*out) / x`` is exact; at ``z`` the gradient is
    ``revcumsum(g * op(x with x_z=1))``; after ``z`` it is 0.
    """
    if kind(x.dtype) == "c":  # conj(J)^T g = conj(J^T conj(g))
        return conj(_cumprod_vjp(op, x, out, conj(g)))
    return _cumprod_vjp(op, x, out, g)


def _cumprod_vjp(op: CumOp, x: TV, out: TV, g: TV) -> TV:
    """``J^T g`` of ``op`` (no conjugation)."""
    R = _red()
    _, before, first = _zero_masks(op, x)
    transpose = R.CumOp("sum", op.axis, not op.reverse, op.exclusive)
    inv = 1 / switch(before, x, 1)  # a factor, so g reaches no true_div (complex g)
    t1 = switch(before, transpose(g * out) * inv, 0)
    out1 = op(switch(first, 1, x))
    t2 = switch(first, transpose(g * out1), 0)
    res: TV = t1 + t2
    return res


def cumprod_rop(op: CumOp, x: TV, v: TV) -> TV:
    """Jacobian-vector product of ``op`` (a cumprod along an int axis):
    ``out * cumsum(v/x)`` where no zero has entered the product, else
    ``v_z * op(x with x_z=1)`` with ``z`` the first zero."""
    R = _red()
    zero, before, first = _zero_masks(op, x)
    scan = R.CumOp("sum", op.axis, op.reverse, op.exclusive)
    clean = eq(scan(zero), 0)
    inv = 1 / switch(before, x, 1)
    part1 = op(x) * scan(v * inv)
    v_z = R.sum(switch(first, v, 0), axis=op.axis, keepdims=True)
    part2 = v_z * op(switch(first, 1, x))
    return switch(clean, part1, part2)
