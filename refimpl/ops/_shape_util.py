"""Helpers shared by the shape family's modules (``shape``, ``axes``,
``manipulation``, ``creation``, ``diagonal``): integer-scalar and -vector
conversion, build-time knowledge of shape vectors, axis normalisation.

This module defines no ops and imports the family's op modules only when a
helper is called, so every module of the family can import it at load time.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Sequence
from types import ModuleType
from typing import Any, cast

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import NullGrad
from refimpl.types import DType, is_discrete, kind
from refimpl.variable import TensorConstant, TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
Shapes = Sequence[tuple[TensorVariable, ...]]
Vars = Sequence[TensorVariable]


def ins(node: Any) -> list[TV]:
    """``node.inputs`` typed as tensor variables (the family's ops take only tensors)."""
    return cast(list[TV], node.inputs)


def outs(node: Any) -> list[TV]:
    """``node.outputs`` typed as tensor variables."""
    return cast(list[TV], node.outputs)


def T() -> ModuleType:
    """``refimpl.tensor`` (looked up at call time: it imports this family)."""
    return importlib.import_module("refimpl.tensor")


def _shape_mod() -> ModuleType:
    return importlib.import_module("refimpl.ops.shape")


def as_int_scalar(v: Any, what: str) -> TV:
    """``v`` (a Python int or a 0-d integer tensor) as an int64 0-d variable."""
    if isinstance(v, bool):
        raise TypeError(f"{what}: expected an integer, got the bool {v!r}")
    if not isinstance(v, TensorVariable):
        try:
            return constant(operator.index(v), dtype="int64")
        except TypeError:
            raise TypeError(f"{what}: expected an integer or an int scalar, got {v!r}") from None
    if v.ndim != 0 or kind(v.dtype) not in "iu":
        raise TypeError(f"{what}: expected an integer scalar, got {v} of type {v.type}")
    return v if v.dtype == "int64" else T().cast(v, "int64")


def as_int_vector(v: Any, what: str) -> TV:
    """``v`` (a sequence of ints/int scalars or an int vector) as an int64 vector."""
    if isinstance(v, (list, tuple)):
        if any(isinstance(e, TensorVariable) for e in v):
            scalars = [as_int_scalar(e, what) for e in v]
            out: TV = _shape_mod().make_vector(*scalars, dtype="int64")
            return out
        ints = [operator.index(e) for e in v]
        if any(isinstance(e, bool) for e in v):
            raise TypeError(f"{what}: expected integers, got {v!r}")
        return constant(ints, dtype="int64", ndim=1)
    v = as_tensor_variable(v)
    if v.ndim != 1 or kind(v.dtype) not in "iu":
        raise TypeError(f"{what}: expected an integer vector, got {v} of type {v.type}")
    return v if v.dtype == "int64" else T().cast(v, "int64")  # type: ignore[no-any-return]


def static_int(v: TV) -> int | None:
    """The value of an int scalar variable when it is known at build time
    (a constant, or ``shape_i`` of an axis of known static length)."""
    if isinstance(v, TensorConstant) and v.ndim == 0:
        return int(v.data)
    node = v.owner
    if node is not None and isinstance(node.op, _shape_mod().ShapeI):
        return node.inputs[0].type.shape[node.op.i]  # type: ignore[no-any-return]
    return None


def static_vector(v: TV) -> tuple[int | None, ...] | None:
    """The entries of an int vector known at build time (``None`` for unknown
    entries); ``None`` when even the length is unknown."""
    if isinstance(v, TensorConstant):
        return tuple(int(e) for e in v.data.reshape(-1))
    node = v.owner
    sm = _shape_mod()
    if node is not None and isinstance(node.op, sm.MakeVector):
        return tuple(static_int(i) for i in ins(node))
    if node is not None and isinstance(node.op, sm.Shape):
        return tuple(node.inputs[0].type.shape)
    n = v.type.shape[0]
    return None if n is None else (None,) * n


def vector_entries(v: TV, length: int | None = None) -> list[TV]:
    """The entries of an int vector as int64 scalars; its length must be static
    or given (``length``, e.g. an op's ``ndim``; indexing then picks them)."""
    node = v.owner
    sm = _shape_mod()
    if isinstance(v, TensorConstant):
        return [constant(int(e), dtype="int64") for e in v.data.reshape(-1)]
    if node is not None and isinstance(node.op, sm.MakeVector):
        return [as_int_scalar(i, "vector entry") for i in ins(node)]
    if node is not None and isinstance(node.op, sm.Shape):
        x = ins(node)[0]
        return [sm.shape_i(x, k) for k in range(x.ndim)]
    n = v.type.shape[0] if length is None else length
    if n is None:
        raise TypeError(f"{v}: the length of this vector is not known statically")
    return [as_int_scalar(v[k], "vector entry") for k in range(n)]


def normalize_axis(axis: Any, ndim: int, var: object, what: str) -> int:
    """``axis`` in ``[0, ndim)`` (negative counts from the end); ``ValueError``
    naming ``var`` when out of range, ``TypeError`` when not an int."""
    if isinstance(axis, bool):
        raise TypeError(f"{what}: axis must be an int, got {axis!r} (for {var})")
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{what}: axis must be an int, got {axis!r} (for {var})") from None
    if not -ndim <= a < ndim:
        raise ValueError(f"{what}: axis {axis} is out of range for {var} with {ndim} dimensions")
    return a % ndim


def to_ints(arr: Array) -> tuple[int, ...]:
    """A 0-d or 1-d integer array as Python ints (a host transfer)."""
    if arr.ndim == 0:
        return (int(arr),)
    return tuple(int(arr[k]) for k in range(arr.shape[0]))


def int64_array(xp: Namespace, value: Any, like_array: Array) -> Array:
    """An int64 array of ``value`` on ``like_array``'s device."""
    from array_api_compat import device

    return xp.asarray(value, dtype=xp.int64, device=device(like_array))


def like(g: TV, x: TV) -> TV | None:
    """The gradient ``g`` for input ``x``: ``None`` if ``x`` is discrete,
    otherwise ``g`` cast to ``x``'s dtype."""
    if is_discrete(x.dtype):
        return None
    return g if g.dtype == x.dtype else T().cast(g, x.dtype)


def scalar_constant(v: int, dtype: DType) -> TV:
    """The 0-d constant ``v`` of ``dtype``, made from a Python number of
    ``dtype``'s kind (so no lossy-looking cast is involved)."""
    k = kind(dtype)
    py: bool | int | float | complex = (
        bool(v) if k == "b" else v if k in "iu" else float(v) if k == "f" else complex(v)
    )
    return constant(py, dtype=dtype)


def prod(dims: Sequence[TV]) -> TV:
    """The product of int64 scalars (constant 1 for none)."""
    out: TV = constant(1, dtype="int64")
    for d in dims:
        out = d if static_int(out) == 1 else T().mul(out, d)
    return out
