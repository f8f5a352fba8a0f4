"""Helpers of the reduction family's test specs (``reduction.SPECS``):
parameter draws, input makers and numpy references.

References are written with numpy only, independently of the ops'
``perform``; the dtype rules they apply are the literal table below (Theano's
``CAReduceDtype`` rule, spec/reduction.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

import numpy as np

from refimpl.opspec import Arg, DrawInt, Shape, ShapeFn, same_shapes
from refimpl.types import DType

NDArray = np.ndarray[Any, Any]

_WIDE: Final[dict[str, str]] = {
    "bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
    "uint8": "uint64", "uint16": "uint64", "uint32": "uint64",
}  # fmt: skip
_ACC: Final[dict[str, str]] = {**_WIDE, "float16": "float32", "float32": "float64",
                               "complex64": "complex128"}  # fmt: skip

# Theano's upgrade_to_float (the dtype of exp of a discrete input)
_FLOAT_OF: Final[dict[str, str]] = {
    "bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32",
    "uint16": "float32", "float16": "float16", "float32": "float32",
}  # fmt: skip

FLOATS: Final[tuple[DType, ...]] = ("float64", "float32")
INTS: Final[tuple[DType, ...]] = ("int64", "int32", "int8", "uint8")
ALL: Final[tuple[DType, ...]] = (*FLOATS, *INTS, "bool", "complex128")
PROD_DTYPES: Final[tuple[DType, ...]] = (*FLOATS, "int64", "int8", "bool", "complex128")
ORDERED: Final = Arg("x", dtypes=(*FLOATS, *INTS, "bool"), domain=(-100.0, 100.0),
                     grad_domain=(-3.0, 3.0), distinct=True)  # fmt: skip
"""max/min/argmax: wide value domain (few ties among integers), distinct floats."""
ORDERED_NUMERIC: Final = replace(ORDERED, dtypes=(*FLOATS, *INTS))
"""ptp: as ORDERED without bool (``max - min`` of booleans is not defined)."""
SHAPES: Final = same_shapes(1, 0, 3, 4)
F32: Final[dict[DType, float]] = {"float32": 1e-5}


# --------------------------------------------------------------------------- params


def _axis(draw_int: DrawInt, nd: int) -> Any:
    """None, an int (maybe negative) or a tuple of axes (maybe empty, maybe negative)."""
    choice = draw_int(0, 2) if nd else 0
    if choice == 0:
        return None
    if choice == 1:
        return draw_int(-nd, nd - 1)
    return tuple(a - nd * draw_int(0, 1) for a in range(nd) if draw_int(0, 1))


def axis_keepdims(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
    return {"axis": _axis(draw_int, len(shapes[0])), "keepdims": bool(draw_int(0, 1))}


AK: Final = axis_keepdims
"""Short name of :func:`axis_keepdims` for the SPECS table."""


def var_params(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
    """As ``axis_keepdims`` (never the empty tuple: at least 2 elements are
    reduced) plus ``ddof`` 0 or 1."""
    params = axis_keepdims(draw_int, shapes)
    if params["axis"] == ():
        params["axis"] = None
    return {**params, "ddof": draw_int(0, 1)}


def cum_params(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
    nd = len(shapes[0])
    return {"axis": None if nd == 0 or draw_int(0, 2) == 0 else draw_int(-nd, nd - 1)}


def shapes_min(least: int, max_dims: int = 3, max_side: int = 4) -> ShapeFn:
    """One shape of 1 to ``max_dims`` axes whose every length is at least
    ``least``. var/std need ``n - ddof > 0`` and a nonzero variance (std' is
    then finite); std over 2 elements is piecewise linear (a zero Hessian
    that rounding makes asymmetric), hence 3 for std; cumprod along a
    length-1 axis is the identity (the same)."""

    def draw(draw_int: DrawInt) -> tuple[Shape, ...]:
        nd = draw_int(1, max_dims)
        return (tuple(draw_int(least, max(least, max_side)) for _ in range(nd)),)

    return draw


# --------------------------------------------------------------------------- references


def _np_axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def ref_sum(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    d = str(x.dtype)
    acc = np.sum(x.astype(_ACC.get(d, d)), axis=_np_axis(axis), keepdims=keepdims)
    return np.asarray(acc).astype(_WIDE.get(d, d))


def ref_prod(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    d = str(x.dtype)
    acc = np.prod(x.astype(_ACC.get(d, d)), axis=_np_axis(axis), keepdims=keepdims)
    return np.asarray(acc).astype(_WIDE.get(d, d))


def ref_max(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return np.asarray(np.max(x, axis=_np_axis(axis), keepdims=keepdims))


def ref_min(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return np.asarray(np.min(x, axis=_np_axis(axis), keepdims=keepdims))


def ref_ptp(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return np.asarray(np.ptp(x, axis=_np_axis(axis), keepdims=keepdims))


def _ref_arg(f: Any, x: NDArray, axis: Any, keepdims: bool) -> NDArray:
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(np.atleast_1d(axis) % max(nd, 1))
    kept = [i for i in range(nd) if i not in axes]
    moved = np.transpose(x, kept + sorted(axes)).reshape([x.shape[i] for i in kept] + [-1])
    r = f(moved, axis=-1)
    if keepdims:
        r = np.expand_dims(r, sorted(axes))
    return np.asarray(r, dtype=np.int64)


def ref_argmax(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return _ref_arg(np.argmax, x, axis, keepdims)


def ref_argmin(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return _ref_arg(np.argmin, x, axis, keepdims)


def ref_all(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return np.asarray(np.all(x, axis=_np_axis(axis), keepdims=keepdims))


def ref_any(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    return np.asarray(np.any(x, axis=_np_axis(axis), keepdims=keepdims))


def ref_mean(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    out = "float64" if x.dtype.kind in "biu" else str(x.dtype)
    wide = "complex128" if x.dtype.kind == "c" else "float64"
    r = np.mean(x.astype(wide), axis=_np_axis(axis), keepdims=keepdims)
    return np.asarray(r).astype(out)


def ref_var(x: NDArray, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> NDArray:
    out = "float64" if x.dtype.kind in "biu" else str(x.dtype)
    r = np.var(x.astype("float64"), axis=_np_axis(axis), keepdims=keepdims, ddof=ddof)
    return np.asarray(r).astype(out)


def ref_std(x: NDArray, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> NDArray:
    return np.sqrt(ref_var(x, axis, keepdims, ddof))


def ref_logsumexp(x: NDArray, axis: Any = None, keepdims: bool = False) -> NDArray:
    out = _FLOAT_OF.get(str(x.dtype), "float64")
    y = x.astype("float64")
    m = np.max(y, axis=_np_axis(axis), keepdims=True)
    r = np.log(np.sum(np.exp(y - m), axis=_np_axis(axis), keepdims=True)) + m
    if not keepdims:
        r = np.squeeze(r, axis=_np_axis(axis) if axis is not None else None)
    return np.asarray(r).astype(out)


def ref_cumsum(x: NDArray, axis: Any = None) -> NDArray:
    d = str(x.dtype)
    return np.cumsum(x, axis=axis, dtype=_WIDE.get(d, d))


def ref_cumprod(x: NDArray, axis: Any = None) -> NDArray:
    d = str(x.dtype)
    return np.cumprod(x, axis=axis, dtype=_WIDE.get(d, d))


def ref_max_and_argmax(
    x: NDArray, axis: Any = None, keepdims: bool = False
) -> tuple[NDArray, NDArray]:
    return ref_max(x, axis, keepdims), ref_argmax(x, axis, keepdims)


def zeros_inputs(rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]) -> tuple[Any]:
    """Values in (-2, 2) with about a third of the entries exactly 0."""
    (shape,) = shapes
    x = rng.uniform(-2.0, 2.0, size=shape)
    x[rng.uniform(size=shape) < 0.35] = 0.0
    return (np.asarray(x, dtype="float64"),)
