"""Helpers shared by the ``refimpl.nn`` modules: input checks, parameter
normalisation and array helpers used by the ops' ``perform``.

The array helpers take the namespace ``xp`` and use only the array API
standard (every creation call passes the input's device).
"""

from __future__ import annotations

import operator
from typing import Any

import array_api_compat

from refimpl._typing import Array, Namespace
from refimpl.types import DType, format_shape, kind, promote_types, upcast_to_float
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable


# --------------------------------------------------------------------------- build-time checks


def real_input(x: Any, who: str, name: str = "x") -> TV:
    """``x`` as a tensor of a real (integer or float) dtype; ``TypeError``
    naming it for bool and complex inputs."""
    v = as_tensor_variable(x)
    if kind(v.dtype) not in "iuf":
        raise TypeError(
            f"{who}: {name} ({v}) has dtype {v.dtype}; {who} needs a real number dtype "
            "(an integer or float)"
        )
    return v


def float_input(x: Any, who: str, name: str = "x") -> TV:
    """``x`` as a tensor of a float dtype; ``TypeError`` naming it otherwise."""
    v = as_tensor_variable(x)
    if kind(v.dtype) != "f":
        raise TypeError(
            f"{who}: {name} ({v}) has dtype {v.dtype}; {who} needs a float input "
            f"(cast it first, e.g. T.cast({name}, 'float64'))"
        )
    return v


def float_dtype(*dtypes: DType) -> DType:
    """The float dtype of a float-valued function of ``dtypes`` (Theano's rule)."""
    return upcast_to_float(promote_types(*dtypes))


def int_pair(value: Any, what: str, least: int) -> tuple[int, int]:
    """``value`` (an int or a pair of ints) as a pair of ints ``>= least``;
    ``TypeError`` for non-integers, ``ValueError`` for out-of-range values."""
    items = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(items) != 2:
        raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
    out: list[int] = []
    for v in items:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
        k = operator.index(v)
        if k < least:
            raise ValueError(f"{what} must be >= {least}, got {value!r}")
        out.append(k)
    return out[0], out[1]


def check_ndim(v: TV, ndim: int, who: str, name: str, layout: str) -> None:
    if v.ndim != ndim:
        raise TypeError(f"{who}: {name} ({v}) must be {ndim}-d {layout}, got {v.ndim}-d ({v.type})")


def same_static_shape(a: TV, b: TV, who: str, na: str, nb: str) -> tuple[int | None, ...]:
    """The static shape shared by ``a`` and ``b`` (which must have the same
    ndim and no two different known lengths); ``ValueError`` naming both."""
    if a.ndim != b.ndim:
        raise TypeError(
            f"{who}: {na} ({a}, {a.type}) and {nb} ({b}, {b.type}) must have the same "
            "number of dimensions"
        )
    out: list[int | None] = []
    for k, (m, n) in enumerate(zip(a.type.shape, b.type.shape)):
        if m is not None and n is not None and m != n:
            raise ValueError(
                f"{who}: {na} ({a}) and {nb} ({b}) must have the same shape; they differ on "
                f"axis {k} ({format_shape(a.type.shape)} vs {format_shape(b.type.shape)})"
            )
        out.append(m if m is not None else n)
    return tuple(out)


# --------------------------------------------------------------------------- array helpers


def dtype_name(a: Array) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


def as_type(xp: Namespace, a: Array, dtype: str) -> Array:
    """``a`` cast to ``dtype`` (``a`` itself when it already has it)."""
    return a if dtype_name(a) == dtype else xp.astype(a, getattr(xp, dtype))


def full_block(xp: Namespace, like: Array, shape: tuple[int, ...], value: float) -> Array:
    """An array of ``shape`` filled with ``value``, of ``like``'s dtype and device."""
    return xp.full(shape, value, dtype=like.dtype, device=array_api_compat.device(like))


def pad_axis(xp: Namespace, a: Array, axis: int, lo: int, hi: int, value: float = 0.0) -> Array:
    """``a`` with ``lo``/``hi`` entries of ``value`` added before/after along
    ``axis`` (a negative ``lo``/``hi`` crops instead)."""
    n = a.shape[axis]
    if lo < 0 or hi < 0:
        start, stop = max(-lo, 0), n - max(-hi, 0)
        key = [slice(None)] * a.ndim
        key[axis] = slice(start, stop)
        a = a[tuple(key)]
        lo, hi = max(lo, 0), max(hi, 0)
    if lo == 0 and hi == 0:
        return a
    parts = []
    for k in (lo, None, hi):
        if k is None:
            parts.append(a)
        elif k > 0:
            shape = list(a.shape)
            shape[axis] = k
            parts.append(full_block(xp, a, tuple(shape), value))
    return xp.concat(parts, axis=axis)


def upsample(xp: Namespace, a: Array, axis: int, step: int) -> Array:
    """``a`` with ``step - 1`` zeros inserted between consecutive entries
    along ``axis`` (length ``(n - 1) * step + 1``)."""
    axis %= a.ndim
    if step == 1 or a.shape[axis] == 0:
        return a
    zero = xp.zeros_like(a)
    stacked = xp.stack([a] + [zero] * (step - 1), axis=axis + 1)
    shape = list(a.shape)
    shape[axis] = a.shape[axis] * step
    merged = xp.reshape(stacked, tuple(shape))
    key = [slice(None)] * a.ndim
    key[axis] = slice(0, (a.shape[axis] - 1) * step + 1)
    return merged[tuple(key)]
