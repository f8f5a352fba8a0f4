"""The composite reductions: ``mean``, ``var``, ``std`` and ``logsumexp``.

They are built from ``sum``/``max`` and elementwise functions and have no
gradient of their own (house style item 2). ``refimpl.ops.reduction``
re-exports them; it is looked up at call time because it imports this module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from refimpl.ops import _reduction_grad as _rg
from refimpl.types import DType, as_dtype, is_discrete, is_inexact, kind, upcast_to_float
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable


def _red() -> ModuleType:
    return importlib.import_module("refimpl.ops.reduction")


def mean(
    input: Any,
    axis: Any = None,
    dtype: Any = None,
    op: bool = False,
    keepdims: bool = False,
    acc_dtype: Any = None,
) -> TV:
    """Arithmetic mean over ``axis``: ``sum / n``. Discrete inputs give
    float64; float/complex inputs keep their dtype; ``dtype=`` (inexact)
    overrides. The mean over zero elements is NaN. (``op`` is accepted for
    Theano and ignored.)"""
    R = _red()
    x = as_tensor_variable(input)
    axes = R.normalize_axes(axis, x.ndim, "mean", x)
    out_dtype: DType
    if dtype is not None:
        out_dtype = as_dtype(dtype, "mean dtype")
    else:
        out_dtype = "float64" if is_discrete(x.dtype) else x.dtype
    if not is_inexact(out_dtype):
        raise TypeError(f"mean of {x}: dtype must be a float or complex dtype, got {out_dtype}")
    sum_dtype: DType | None = None
    if dtype is not None or out_dtype == "float16":
        sum_dtype = "float32" if out_dtype == "float16" else out_dtype
    s: TV = R.sum(x, axes, dtype=sum_dtype, keepdims=keepdims, acc_dtype=acc_dtype)
    n = _rg.reduced_count(x, axes, "float32" if s.dtype in ("float32", "complex64") else "float64")
    # complex: times 1/n as a complex factor (true_div has no complex derivative)
    m = s * _rg.cast_to(1 / n, s.dtype) if kind(s.dtype) == "c" else s / n
    return _rg.cast_to(m, out_dtype)


def _ddof(ddof: float, correction: float | None, who: str) -> float:
    if correction is not None:
        if ddof not in (0, correction):
            raise ValueError(f"{who}: give ddof or correction, not both ({ddof} != {correction})")
        return correction
    return ddof


def var(
    input: Any,
    axis: Any = None,
    ddof: float = 0,
    keepdims: bool = False,
    corrected: bool = False,
    correction: float | None = None,
) -> TV:
    """Variance ``sum((x - mean)**2) / (n - ddof)`` over ``axis`` (two-pass;
    real input; discrete inputs give float64). ``correction`` is the
    array-API name of ``ddof``; ``corrected`` is accepted for Theano and ignored."""
    R = _red()
    x = as_tensor_variable(input)
    if kind(x.dtype) == "c":
        raise TypeError(f"var of {x}: dtype {x.dtype}; var/std take real inputs only")
    axes = R.normalize_axes(axis, x.ndim, "var", x)
    if not isinstance(keepdims, bool):
        raise TypeError(f"var: keepdims must be a bool, got {keepdims!r}")
    d = x - mean(x, axes, keepdims=True)
    ss: TV = R.sum(d * d, axes, keepdims=keepdims)
    n = _rg.reduced_count(x, axes, ss.dtype, offset=-_ddof(ddof, correction, "var"))
    out: TV = ss / n
    return out


def std(
    input: Any,
    axis: Any = None,
    ddof: float = 0,
    keepdims: bool = False,
    corrected: bool = False,
    correction: float | None = None,
) -> TV:
    """Standard deviation ``sqrt(var(...))``; its gradient is infinite where
    the variance is 0."""
    return _rg.sqrt(var(input, axis, ddof, keepdims, corrected, correction))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """``log(sum(exp(x)))`` over ``axis``, computed stably by shifting by the
    maximum (by 0 where the maximum is not finite); float-valued (discrete
    inputs upcast as for ``exp``)."""
    R = _red()
    x = as_tensor_variable(x)
    if kind(x.dtype) == "c":
        raise TypeError(f"logsumexp of {x}: dtype {x.dtype}; logsumexp takes real inputs only")
    if is_discrete(x.dtype):
        x = _rg.cast_to(x, upcast_to_float(x.dtype))
    axes = R.normalize_axes(axis, x.ndim, "logsumexp", x)
    if not isinstance(keepdims, bool):
        raise TypeError(f"logsumexp: keepdims must be a bool, got {keepdims!r}")
    m = _rg.finite_or_zero(R.max(x, axes, keepdims=True))
    s: TV = R.sum(_rg.exp(x - m), axes, keepdims=keepdims)
    shift = m if keepdims else _rg.keepdims_drop(m, axes)
    out: TV = _rg.log(s) + shift
    return out


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> TV:
    """Peak to peak: ``max(a, axis) - min(a, axis)`` (Theano's ``ptp``), of
    ``a``'s dtype; bool and complex inputs raise ``TypeError``."""
    R = _red()
    x = as_tensor_variable(a)
    if kind(x.dtype) in "bc":
        raise TypeError(f"ptp of {x}: dtype {x.dtype}; ptp takes real numeric inputs only")
    axes = R.normalize_axes(axis, x.ndim, "ptp", x)
    out: TV = R.max(x, axes, keepdims) - R.min(x, axes, keepdims)
    return out
