"""``TensorVariable`` and ``TensorConstant``: the numpy-like symbolic surface.

Methods and Python operators build graph nodes through the functions of
``refimpl.tensor`` (looked up when called, so this module does not import the
op families and they may import it). ``==`` keeps Python's identity meaning,
as in Theano; use ``T.eq`` for the elementwise comparison.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from refimpl.graph.basic import Constant, Variable
from refimpl.types import (
    DType,
    TensorType,
    as_dtype,
    python_scalar_dtype,
)


def _T() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


def _binary(fn: str, reflected: bool = False) -> Callable[[TensorVariable, Any], TensorVariable]:
    """An operator method calling ``refimpl.tensor.<fn>`` (operands swapped
    when ``reflected``)."""

    def method(self: TensorVariable, other: Any) -> TensorVariable:
        f = getattr(_T(), fn)
        return f(other, self) if reflected else f(self, other)  # type: ignore[no-any-return]

    method.__name__ = fn
    return method


def _unary(fn: str) -> Callable[[TensorVariable], TensorVariable]:
    def method(self: TensorVariable) -> TensorVariable:
        return getattr(_T(), fn)(self)  # type: ignore[no-any-return]

    method.__name__ = fn
    return method


class TensorVariable(Variable[TensorType]):
    """A symbolic tensor. See API.md "Types and variables"."""

    __array_ufunc__ = None  # numpy defers to our reflected operators
    __array_priority__ = 1000

    # ------------------------------------------------------------- type facts
    @property
    def dtype(self) -> DType:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def static_shape(self) -> tuple[int | None, ...]:
        return self.type.shape

    @property
    def shape(self) -> TensorVariable:
        """The symbolic shape: an int64 vector of length ``ndim``."""
        return _T().shape(self)  # type: ignore[no-any-return]

    @property
    def size(self) -> TensorVariable:
        return _T().prod(self.shape)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        n = self.type.shape[0] if self.ndim else None
        if n is None:
            raise TypeError(
                f"len() of {self}: the length is not known statically; use {self}.shape[0]"
            )
        return n

    def __iter__(self) -> Iterator[TensorVariable]:
        if self.ndim == 0:
            raise TypeError(f"cannot iterate over the 0-d variable {self}")
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of the symbolic variable {self} is not known while building a "
            "graph; use T.switch/T.where or refimpl.ifelse"
        )

    # ------------------------------------------------------------- operators
    __add__ = _binary("add")
    __radd__ = _binary("add", reflected=True)
    __sub__ = _binary("sub")
    __rsub__ = _binary("sub", reflected=True)
    __mul__ = _binary("mul")
    __rmul__ = _binary("mul", reflected=True)
    __truediv__ = _binary("true_div")
    __rtruediv__ = _binary("true_div", reflected=True)
    __floordiv__ = _binary("int_div")
    __rfloordiv__ = _binary("int_div", reflected=True)
    __mod__ = _binary("mod")
    __rmod__ = _binary("mod", reflected=True)
    __pow__ = _binary("pow")
    __rpow__ = _binary("pow", reflected=True)
    __matmul__ = _binary("matmul")
    __rmatmul__ = _binary("matmul", reflected=True)
    __and__ = _binary("and_")
    __rand__ = _binary("and_", reflected=True)
    __or__ = _binary("or_")
    __ror__ = _binary("or_", reflected=True)
    __xor__ = _binary("xor")
    __rxor__ = _binary("xor", reflected=True)
    __lt__ = _binary("lt")
    __le__ = _binary("le")
    __gt__ = _binary("gt")
    __ge__ = _binary("ge")
    __invert__ = _unary("invert")
    __neg__ = _unary("neg")
    __abs__ = _unary("abs")

    def __pos__(self) -> TensorVariable:
        return self

    __hash__ = Variable.__hash__

    def __getitem__(self, key: Any) -> TensorVariable:
        return _T().getitem(self, key)  # type: ignore[no-any-return]

    # ------------------------------------------------------------- methods
    def _call(self, fn: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(_T(), fn)(self, *args, **kwargs)

    def reshape(self, shape: Any, *more: Any, ndim: int | None = None) -> TensorVariable:
        if more:
            shape = (shape, *more)
        return self._call("reshape", shape, ndim=ndim)  # type: ignore[no-any-return]

    def dimshuffle(self, *pattern: Any) -> TensorVariable:
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        return self._call("dimshuffle", pattern)  # type: ignore[no-any-return]

    def flatten(self, ndim: int = 1) -> TensorVariable:
        return self._call("flatten", ndim)  # type: ignore[no-any-return]

    def ravel(self) -> TensorVariable:
        return self._call("flatten", 1)  # type: ignore[no-any-return]

    @property
    def T(self) -> TensorVariable:
        return self._call("transpose")  # type: ignore[no-any-return]

    def transpose(self, *axes: Any) -> TensorVariable:
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        return self._call("transpose", axes or None)  # type: ignore[no-any-return]

    def swapaxes(self, a: int, b: int) -> TensorVariable:
        return self._call("swapaxes", a, b)  # type: ignore[no-any-return]

    def squeeze(self, axis: Any = None) -> TensorVariable:
        return self._call("squeeze", axis)  # type: ignore[no-any-return]

    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("sum", axis=axis, dtype=dtype, keepdims=keepdims)  # type: ignore[no-any-return]

    def prod(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("prod", axis=axis, dtype=dtype, keepdims=keepdims)  # type: ignore[no-any-return]

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("mean", axis=axis, dtype=dtype, keepdims=keepdims)  # type: ignore[no-any-return]

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        return self._call("var", axis=axis, ddof=ddof, keepdims=keepdims)  # type: ignore[no-any-return]

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        return self._call("std", axis=axis, ddof=ddof, keepdims=keepdims)  # type: ignore[no-any-return]

    def max(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("max", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def min(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("min", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def argmax(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("argmax", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def argmin(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("argmin", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def all(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("all", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def any(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return self._call("any", axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def cumsum(self, axis: int | None = None) -> TensorVariable:
        return self._call("cumsum", axis=axis)  # type: ignore[no-any-return]

    def cumprod(self, axis: int | None = None) -> TensorVariable:
        return self._call("cumprod", axis=axis)  # type: ignore[no-any-return]

    def clip(self, a_min: Any, a_max: Any) -> TensorVariable:
        return self._call("clip", a_min, a_max)  # type: ignore[no-any-return]

    def astype(self, dtype: Any) -> TensorVariable:
        return self._call("cast", dtype)  # type: ignore[no-any-return]

    def dot(self, other: Any) -> TensorVariable:
        return self._call("dot", other)  # type: ignore[no-any-return]

    def round(self, mode: str = "half_away_from_zero") -> TensorVariable:
        return self._call("round", mode=mode)  # type: ignore[no-any-return]

    def repeat(self, repeats: Any, axis: int | None = None) -> TensorVariable:
        return self._call("repeat", repeats, axis=axis)  # type: ignore[no-any-return]

    def sort(self, axis: int = -1) -> TensorVariable:
        return self._call("sort", axis=axis)  # type: ignore[no-any-return]

    def argsort(self, axis: int = -1) -> TensorVariable:
        return self._call("argsort", axis=axis)  # type: ignore[no-any-return]

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
        return self._call("diagonal", offset, axis1, axis2)  # type: ignore[no-any-return]

    def trace(self) -> TensorVariable:
        return self._call("trace")  # type: ignore[no-any-return]

    def nonzero(self, return_matrix: bool = False) -> Any:
        return self._call("nonzero", return_matrix=return_matrix)

    def nonzero_values(self) -> TensorVariable:
        return self._call("nonzero_values")  # type: ignore[no-any-return]

    def take(self, indices: Any, axis: int | None = None) -> TensorVariable:
        return self._call("take", indices, axis=axis)  # type: ignore[no-any-return]

    def copy(self, name: str | None = None) -> TensorVariable:
        out: TensorVariable = self._call("tensor_copy")
        out.name = name
        return out

    def conj(self) -> TensorVariable:
        return self._call("conj")  # type: ignore[no-any-return]

    @property
    def real(self) -> TensorVariable:
        return self._call("real")  # type: ignore[no-any-return]

    @property
    def imag(self) -> TensorVariable:
        return self._call("imag")  # type: ignore[no-any-return]

    def norm(self, L: int = 2, axis: Any = None) -> TensorVariable:
        return self._call("norm", L, axis=axis)  # type: ignore[no-any-return]

    def zeros_like(self, dtype: Any = None) -> TensorVariable:
        return self._call("zeros_like", dtype=dtype)  # type: ignore[no-any-return]

    def ones_like(self, dtype: Any = None) -> TensorVariable:
        return self._call("ones_like", dtype=dtype)  # type: ignore[no-any-return]

    def fill(self, value: Any) -> TensorVariable:
        return self._call("fill", value)  # type: ignore[no-any-return]

    exp = _unary("exp")
    log = _unary("log")
    sqrt = _unary("sqrt")
    floor = _unary("floor")
    ceil = _unary("ceil")
    trunc = _unary("trunc")
    sin = _unary("sin")
    cos = _unary("cos")
    tan = _unary("tan")
    arcsin = _unary("arcsin")
    arccos = _unary("arccos")
    arctan = _unary("arctan")
    sinh = _unary("sinh")
    cosh = _unary("cosh")
    tanh = _unary("tanh")
    arcsinh = _unary("arcsinh")
    arccosh = _unary("arccosh")
    arctanh = _unary("arctanh")
    conjugate = _unary("conj")

    def ptp(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """Peak to peak: ``max - min`` along ``axis``."""
        return self.max(axis=axis, keepdims=keepdims) - self.min(axis=axis, keepdims=keepdims)

    def compress(self, condition: Any, axis: int | None = None) -> TensorVariable:
        """The entries (or slices along ``axis``) where ``condition`` (a 1-d
        boolean vector) is true, as ``numpy.compress``."""
        (where,) = _T().nonzero(_T().as_tensor_variable(condition))
        return self._call("take", where, axis=axis)  # type: ignore[no-any-return]

    def choose(self, choices: Sequence[Any]) -> TensorVariable:
        """``numpy.choose`` with ``self`` as the index array."""
        return self._call("choose", choices)  # type: ignore[no-any-return]

    # ------------------------------------------------------------- evaluation
    def eval(self, inputs_to_values: Mapping[Any, Any] | None = None) -> Any:
        """Compile (cached per set of inputs) and compute this variable."""
        from refimpl.modes.function import function

        values = dict(inputs_to_values or {})
        keys = tuple(values)
        cache: dict[tuple[int, ...], Any] = self.tag.__dict__.setdefault("_eval_cache", {})
        key = tuple(id(k) for k in keys)
        if key not in cache:
            cache[key] = function(list(keys), self, on_unused_input="ignore")
        return cache[key](*values.values())


class TensorConstant(TensorVariable, Constant[TensorType]):
    """A constant tensor; ``data`` is a numpy array of the type's dtype."""

    def __init__(self, type: TensorType, data: Any, name: str | None = None) -> None:
        Constant.__init__(self, type, data, name)

    @property
    def value(self) -> Any:
        return self.data

    def auto_name(self) -> str:
        """Theano's spelling: ``TensorConstant{2}`` (or the constant's name)."""
        if self.name is not None:
            return self.name
        return f"TensorConstant{{{self.value_text()}}}"

    def value_text(self) -> str:
        """The value as written: the Python literal for a constant made from
        one (``2`` for ``x * 2`` even though the constant is float64),
        otherwise the array's value."""
        literal = getattr(self.tag, "python_scalar", None)
        if literal is not None:
            return _format_scalar(literal)
        data = self.data
        if getattr(data, "ndim", 0) == 0:
            return _format_scalar(data[()] if hasattr(data, "shape") else data)
        text = np.array2string(np.asarray(data), separator=", ", threshold=8)
        return text.replace("\n", "")

    def clone(self) -> TensorConstant:
        return TensorConstant(self.type, self.data, self.name)


def _format_scalar(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------- conversion


def constant(
    value: Any, name: str | None = None, dtype: DType | str | None = None, ndim: int | None = None
) -> TensorConstant:
    """A ``TensorConstant`` holding ``value`` (converted losslessly to
    ``dtype`` when given; Python floats default to ``config.floatX``)."""
    from refimpl.config import config

    data = _host_array(value, config.floatX)
    if dtype is not None:
        target = as_dtype(dtype)
        converted = data.astype(target)
        lossy_imag = converted.dtype.kind == "c" and data.dtype.kind != "c"
        back = (converted.real if lossy_imag else converted).astype(data.dtype)
        if not np.array_equal(back, data, equal_nan=data.dtype.kind in "fc"):
            raise TypeError(f"constant {value!r} cannot be represented as {target} without loss")
        data = converted
    if ndim is not None:
        if data.ndim > ndim:
            if data.size != 1:
                raise ValueError(f"constant of shape {data.shape} cannot have ndim={ndim}")
            data = data.reshape(())
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    data.setflags(write=False)
    ttype = TensorType(as_dtype(data.dtype), data.shape)
    out = TensorConstant(ttype, data, name)
    if isinstance(value, (bool, int, float, complex)) and data.ndim == 0:
        out.tag.python_scalar = value  # printing shows what the user wrote
    return out


def _host_array(value: Any, float_dtype: str) -> np.ndarray[Any, Any]:
    if isinstance(value, (bool, int, float, complex)):
        return np.asarray(value, dtype=python_scalar_dtype(value, as_dtype(float_dtype)))
    if isinstance(value, (list, tuple)):
        arr = np.asarray(value)
        if arr.dtype == np.float64 and _all_python_floats(value):
            arr = arr.astype(float_dtype)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"cannot make a tensor constant from {value!r} (dtype {arr.dtype})")
        return arr
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return np.array(value, copy=True)
    from refimpl.backend import to_numpy

    return np.array(to_numpy(value), copy=True)


def _all_python_floats(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_all_python_floats(v) for v in value)
    return isinstance(value, (float, int)) and not isinstance(value, bool)


def as_tensor_variable(
    x: Any, name: str | None = None, ndim: int | None = None, dtype: DType | str | None = None
) -> TensorVariable:
    """``x`` as a tensor variable: variables pass through (checked against
    ``ndim``), everything else becomes a ``TensorConstant``."""
    if isinstance(x, TensorVariable):
        if ndim is not None and x.ndim != ndim:
            raise TypeError(f"{x}: expected a {ndim}-d tensor, got {x.ndim}-d ({x.type})")
        return x
    if isinstance(x, Variable):
        raise TypeError(f"{x} of type {x.type} is not a tensor variable")
    if (
        isinstance(x, Sequence)
        and not isinstance(x, str)
        and any(isinstance(e, Variable) for e in _flatten(x))
    ):
        return _T().stack([as_tensor_variable(e) for e in x])  # type: ignore[no-any-return]
    if isinstance(x, str):
        raise TypeError(f"cannot convert the string {x!r} to a tensor")
    return constant(x, name=name, ndim=ndim, dtype=dtype)


def _flatten(x: Any) -> Iterator[Any]:
    if isinstance(x, (list, tuple)):
        for e in x:
            yield from _flatten(e)
    else:
        yield x
