"""Argument handling of ``refimpl.random``: sizes, dtypes, parameters and
their build-time / run-time checks, and Theano's positional order.

Every error names the method and the argument (``uniform: dtype int64 ...``).
Constants are checked when the graph is built (``ValueError``); symbolic
parameters through ``CheckParameter`` when the function runs. See
``spec/random.md`` ("Arguments", "Errors").
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np

from refimpl.graph.basic import Variable
from refimpl.ops import _shape_util as _su
from refimpl.random import ops as _ops
from refimpl.types import DType, as_dtype, int_range, kind, promote_types
from refimpl.variable import TensorConstant, TensorVariable, as_tensor_variable, constant

TV = TensorVariable
NDArray = np.ndarray[Any, Any]
FLOAT_DTYPES: Final[tuple[DType, ...]] = ("float32", "float64")
UNIT_BITS: Final[dict[str, int]] = {"float32": 24, "float64": 53}
PVALS_TOL: Final[dict[str, float]] = {"float32": 1e-5, "float64": 1e-12}
"""How far above 1 ``sum(pvals[..., :-1])`` (or ``|sum(p) - 1|``) may be."""


def _T() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


def require(ok: bool, msg: str) -> None:
    if not ok:
        raise ValueError(msg)


def _is_py_scalar(v: object) -> bool:
    return isinstance(v, (bool, int, float, complex, np.generic))


# --------------------------------------------------------------------------- sizes


def looks_like_size(v: object) -> bool:
    """Whether a first positional argument is a size (Theano's order) rather
    than a distribution parameter: a tuple/list of ints and integer scalars,
    or an integer vector (``x.shape``)."""
    if isinstance(v, (list, tuple)):
        return all(_is_int_entry(e) for e in v)
    if isinstance(v, TensorVariable):
        return v.ndim == 1 and kind(v.dtype) in "iu"
    if isinstance(v, np.ndarray):
        return v.ndim == 1 and v.dtype.kind in "iu"
    return False


def _is_int_entry(e: object) -> bool:
    if isinstance(e, TensorVariable):
        return e.ndim == 0 and kind(e.dtype) in "iu"
    return isinstance(e, (int, np.integer)) and not isinstance(e, bool)


def normalize_size(size: Any, ndim: int | None, what: str) -> TV | None:
    """``size`` (``None``, an int, a sequence of ints / int scalars, or an
    integer vector) as an int64 vector of static length, or ``None``."""
    if size is None:
        return None
    if isinstance(size, bool) or isinstance(size, (float, complex, str)):
        raise TypeError(f"{what}: size must be a tuple of ints or an int vector, got {size!r}")
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    v = as_size(size, what)
    static = _su.static_vector(v)
    if static is not None and any(n is not None and n < 0 for n in static):
        raise ValueError(f"{what}: size entries must be >= 0, got {_show(static)}")
    n = v.type.shape[0]
    if n is not None and ndim is not None and n != ndim:
        raise ValueError(f"{what}: size has {n} entries but ndim={ndim}")
    if n is None:
        if ndim is None:
            raise TypeError(
                f"{what}: the length of size {v} is not known when building; pass ndim="
            )
        v = _T().specify_shape(v, (ndim,))
    return v


def _show(static: Sequence[int | None]) -> str:
    return "(" + ", ".join("?" if n is None else str(n) for n in static) + ")"


def as_size(entries: Any, what: str) -> TV:
    """A sequence of ints / int scalars (or an int vector) as an int64 vector."""
    return _ops.size_vector(entries, what)


def entries(size: TV) -> list[TV]:
    return _su.vector_entries(size)


def numel(size: TV) -> TV:
    return _su.prod(entries(size))


def size_or_params(size: Any, ndim: int | None, params: Sequence[TV], what: str) -> tuple[TV, bool]:
    """``(size vector, explicit)``: the given size, or the broadcast shape of
    the parameters (``explicit=False``)."""
    v = normalize_size(size, ndim, what)
    if v is not None:
        n = v.type.shape[0]
        for p in params:
            if n is not None and p.ndim > n:
                raise ValueError(
                    f"{what}: the parameter {p} has {p.ndim} dimensions, more than size ({n})"
                )
        return v, any(p.ndim > 0 for p in params)
    shaped = [p for p in params if p.ndim > 0]
    if not shaped:
        return as_size((), what), False
    T = _T()
    template = T.zeros_like(shaped[0], dtype="int8")
    for p in shaped[1:]:
        template = template + T.zeros_like(p, dtype="int8")
    return T.shape(template), False


def fit(out: TV, size: TV, check: bool) -> TV:
    """``out`` asserted (at run time) to have the shape ``size`` when
    parameters could have broadcast it beyond ``size``."""
    if not check:
        return out
    return _T().specify_shape(out, entries(size))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- dtypes


def float_dtype(dtype: Any, params: Sequence[Any], what: str) -> DType:
    """The float dtype of a continuous draw: ``dtype``, or ``config.floatX``
    promoted with the dtypes of float tensor parameters."""
    if dtype is None:
        from refimpl.config import config

        out = as_dtype(config.floatX)
        for p in params:
            if isinstance(p, TensorVariable) and kind(p.dtype) == "f":
                out = promote_types(out, p.dtype)
        if out not in FLOAT_DTYPES:
            raise TypeError(f"{what}: float dtype {out} is not supported (float32, float64)")
        return out
    d = as_dtype(dtype, f"{what}: dtype")
    if d not in FLOAT_DTYPES:
        raise TypeError(f"{what}: dtype must be float32 or float64, got {d}")
    return d


def real_dtype(dtype: Any, what: str) -> DType:
    d = as_dtype(dtype, f"{what}: dtype")
    if kind(d) not in "iuf":
        raise TypeError(f"{what}: dtype must be an integer or float dtype, got {d}")
    return d


def int_dtype(dtype: Any, what: str) -> DType:
    d = as_dtype(dtype, f"{what}: dtype")
    if kind(d) not in "iu":
        raise TypeError(f"{what}: dtype must be an integer dtype, got {d}")
    return d


# --------------------------------------------------------------------------- parameters


def host_value(v: Any) -> NDArray | None:
    """``v`` as a numpy array when it holds no symbolic variable."""
    if isinstance(v, Variable):
        return None
    if isinstance(v, (list, tuple)) and any(isinstance(e, Variable) for e in _flat(v)):
        return None
    return np.asarray(v)


def _flat(v: Any) -> list[Any]:
    if isinstance(v, (list, tuple)):
        return [e for item in v for e in _flat(item)]
    return [v]


def float_param(v: Any, dtype: DType, name: str, what: str) -> TV:
    """A real parameter as a tensor of ``dtype`` (integers converted, floats
    cast to the draw's dtype; values become constants); bool, complex and
    non-numbers raise ``TypeError``."""
    arr = host_value(v)
    if arr is not None:
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{what}: {name} must be real numbers, got {v!r}")
        return constant(arr.astype(dtype))
    t = as_tensor_variable(v)
    if kind(t.dtype) not in "iuf":
        raise TypeError(f"{what}: {name} {t} has dtype {t.dtype}; expected a real (int or float)")
    return t if t.dtype == dtype else _T().cast(t, dtype)


def const(v: TV) -> NDArray | None:
    """The value of a constant parameter (``None`` for symbolic ones)."""
    return np.asarray(v.data) if isinstance(v, TensorConstant) else None


def is_value(c: NDArray | None, x: float) -> bool:
    return c is not None and c.shape == () and float(c) == x


def may_reach_high(lo: NDArray | None, hi: NDArray | None, dtype: DType) -> bool:
    """Whether ``lo + (hi - lo) * u`` can round up to ``hi`` for some ``u <
    1`` (always assumed for symbolic bounds; the map is monotonic in ``u``,
    so checking the largest ``u`` suffices for constants)."""
    if lo is None or hi is None:
        return True
    top = np.asarray(1.0 - 2.0 ** -UNIT_BITS[dtype], dtype=dtype)
    with np.errstate(all="ignore"):
        r = lo + (hi - lo) * top
    return bool(np.any((r >= hi) & (lo < hi)))


def all_below(lo: NDArray | None, hi: NDArray | None) -> bool:
    """Whether constant bounds satisfy ``lo < hi`` everywhere."""
    return lo is not None and hi is not None and bool(np.all(lo < hi))


def probability(p: Any, name: str, what: str) -> tuple[TV, DType]:
    """``(p, compute dtype)``: a probability tensor in ``[0, 1]`` (checked
    now for constants, at run time otherwise); the uniforms it is compared
    with take its float dtype (float64 for Python numbers and integers)."""
    t = _prob_tensor(p, name, what)
    c = const(t)
    msg = f"{what}: {name} must lie in [0, 1]"
    if c is not None:
        require(bool(np.all((c >= 0) & (c <= 1))), f"{msg}, got {p!r}")
        return t, t.dtype
    T = _T()
    return _ops.check_parameter(t, T.ge(t, 0), T.le(t, 1), msg=f"{msg} (not NaN)"), t.dtype


def _prob_tensor(p: Any, name: str, what: str) -> TV:
    arr = host_value(p)
    if arr is not None:
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{what}: {name} must be real numbers, got {p!r}")
        return constant(arr if arr.dtype.kind == "f" else arr.astype(np.float64))
    t = as_tensor_variable(p)
    if kind(t.dtype) not in "iuf":
        raise TypeError(f"{what}: {name} {t} has dtype {t.dtype}; expected a float")
    return t if kind(t.dtype) == "f" else _T().cast(t, "float64")


def pvals_param(pvals: Any, what: str) -> tuple[TV, DType]:
    """Category probabilities (last axis): entries in ``[0, 1]`` and
    ``sum(pvals[..., :-1]) <= 1`` up to ``PVALS_TOL``."""
    if pvals is None:
        raise TypeError(f"{what}: pvals is required")
    t = _prob_tensor(pvals, "pvals", what)
    if t.ndim < 1:
        raise ValueError(f"{what}: pvals {t} must have at least one dimension (categories)")
    tol = PVALS_TOL[t.dtype] if t.dtype in PVALS_TOL else 1e-5
    msg = f"{what}: pvals must lie in [0, 1] with sum(pvals[..., :-1]) <= 1"
    c = const(t)
    if c is not None:
        ok = np.all((c >= 0) & (c <= 1)) and np.all(c[..., :-1].sum(axis=-1) <= 1 + tol)
        require(bool(ok), f"{msg}, got {pvals!r}")
        return t, t.dtype
    T = _T()
    head = T.sum(t[(slice(None),) * (t.ndim - 1) + (slice(None, -1),)], axis=-1)
    checked = _ops.check_parameter(
        t, T.ge(t, 0), T.le(t, 1), T.le(head, 1 + tol), msg=f"{msg} (not NaN)"
    )
    return checked, t.dtype


def choice_p(p: Any, count: TV, replace: bool, shape: TV, what: str) -> tuple[TV, DType]:
    """``choice``'s weights: a vector of ``count`` entries in ``[0, 1]``
    summing to 1 (within ``PVALS_TOL``)."""
    t = _prob_tensor(p, "p", what)
    if t.ndim != 1:
        raise ValueError(f"{what}: p {t} must be a vector")
    tol = PVALS_TOL.get(t.dtype, 1e-5)
    msg = f"{what}: p must have one entry per element, each in [0, 1], summing to 1"
    c, n = const(t), _su.static_int(count)
    if c is not None and n is not None:
        ok = c.shape[0] == n and np.all((c >= 0) & (c <= 1)) and abs(c.sum() - 1) <= tol
        require(bool(ok), f"{msg}, got {p!r}")
        return t, t.dtype
    T = _T()
    conds = (T.eq(T.shape(t)[0], count), T.ge(t, 0), T.le(t, 1), T.le(abs(T.sum(t) - 1), tol))
    return _ops.check_parameter(t, *conds, msg=f"{msg} (not NaN)"), t.dtype


def static_count(n: Any, name: str, what: str) -> int:
    """A non-negative Python int known when the graph is built."""
    if isinstance(n, TensorConstant) and n.ndim == 0 and kind(n.dtype) in "iu":
        n = int(n.data)
    if isinstance(n, TensorVariable):
        raise TypeError(
            f"{what}: {name} must be a Python int (the number of random words per element "
            f"is fixed when the graph is built), got the symbolic {n}"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{what}: {name} must be a non-negative int, got {n!r}")
    require(int(n) >= 0, f"{what}: {name} must be >= 0, got {n}")
    return int(n)


def count_scalar(n: Any, name: str, what: str) -> TV:
    """A non-negative int (Python or int scalar variable) as an int64 scalar."""
    if isinstance(n, TensorVariable):
        if n.ndim != 0 or kind(n.dtype) not in "iu":
            raise TypeError(f"{what}: {name} {n} must be an integer scalar, got {n.type}")
        return _su.as_int_scalar(n, f"{what}: {name}")
    return constant(static_count(n, name, what), dtype="int64")


def int_param(v: Any, name: str, what: str) -> TV:
    """An integer bound as an int64 tensor; floats, bool, complex: ``TypeError``."""
    arr = host_value(v)
    if arr is not None:
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{what}: {name} must be int64 integers, got {v!r}")
        return constant(arr.astype(np.int64))
    t = as_tensor_variable(v)
    if kind(t.dtype) not in "iu":
        raise TypeError(f"{what}: {name} {t} has dtype {t.dtype}; expected an integer")
    return t if t.dtype == "int64" else _T().cast(t, "int64")


def checked_span(lo: TV, hi: TV, dtype: DType, what: str) -> TV:
    """``hi - lo``, checked to be >= 1 with ``[lo, hi)`` inside ``dtype``'s range."""
    dmin, dmax = int_range(dtype)
    dmax = min(dmax, 2**63 - 1)
    msg = f"{what}: need low < high with [low, high) inside the range of {dtype}"
    lc, hc = const(lo), const(hi)
    T = _T()
    if lc is not None and hc is not None:
        ok = np.all(lc < hc) and np.all(lc >= dmin) and np.all(hc - 1 <= dmax)
        require(bool(ok), f"{msg}, got low={lc.tolist()}, high={hc.tolist()}")
        return hi - lo
    conds = (T.lt(lo, hi), T.ge(lo, max(dmin, -(2**63))), T.le(hi - 1, dmax))
    return _ops.check_parameter(hi - lo, *conds, msg=msg)


def population(a: Any, what: str) -> tuple[TV | None, TV]:
    """``(population vector or None, its size)`` for ``choice``'s ``a``."""
    if isinstance(a, TensorVariable) and a.ndim == 0:
        return None, count_scalar(a, "a", what)
    if _is_py_scalar(a):
        return None, count_scalar(a, "a", what)
    t = as_tensor_variable(a)
    if t.ndim != 1:
        raise ValueError(f"{what}: a {t} must be an int or a vector, got {t.ndim} dimensions")
    if kind(t.dtype) not in "iuf":
        raise TypeError(f"{what}: a {t} has dtype {t.dtype}; expected a real (int or float) vector")
    return t, _T().shape(t)[0]


# --------------------------------------------------------------------------- positional order


def resolve(
    what: str, args: tuple[Any, ...], given: dict[str, Any], numpy_order: tuple[str, ...],
    theano_order: tuple[str, ...],
) -> dict[str, Any]:  # fmt: skip
    """Bind positional ``args`` by name: Theano's order (size first) when the
    first one looks like a size, numpy's otherwise; a name given twice is a
    ``TypeError``. ``given`` holds the keyword arguments (``UNSET`` when absent)."""
    order = theano_order if args and looks_like_size(args[0]) else numpy_order
    if len(args) > len(order):
        raise TypeError(f"{what}: at most {len(order)} positional arguments, got {len(args)}")
    out = dict(given)
    for name, value in zip(order, args):
        if out.get(name, UNSET) is not UNSET:
            raise TypeError(f"{what}: got multiple values for {name!r}")
        out[name] = value
    return out


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()


def pick(values: dict[str, Any], name: str, default: Any, alias: str | None = None) -> Any:
    """``values[name]`` (or its Theano alias), else ``default``."""
    a = values.get(name, UNSET)
    b = values.get(alias, UNSET) if alias else UNSET
    if a is not UNSET and b is not UNSET:
        raise TypeError(f"give {name} or {alias}, not both")
    if a is not UNSET:
        return a
    return default if b is UNSET else b
