"""Advanced indexing: integer index arrays and boolean masks, and ``nonzero``.

``AdvancedSubtensor``/``AdvancedIncSubtensor`` share everything with their
basic counterparts (``refimpl/ops/subtensor.py``: ``IndexGet``/``IndexSet``);
only the kind of template differs. The gather is portable (the advanced block
linearised, then one ``take``); the scatter goes through
``refimpl.xpext.scatter_add`` (repeated indices ACCUMULATE) and
``scatter_set`` (the LAST write wins). ``LastWriteMask`` marks which elements
of an assigned region survive, so that ``set_subtensor``'s gradient with
respect to the value is exact under repeated indices. ``Nonzero`` has a
data-dependent output length. See ``spec/subtensor.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TypeAlias

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.ops import math as _math
from refimpl.ops._index_kernels import last_write_mask, resolve_key
from refimpl.ops._indexing import (
    IntArray,
    Slice,
    Template,
    check_index_inputs,
    layout,
    static_shape,
)
from refimpl.ops.subtensor import IndexGet, IndexSet, getitem, infer_index_shape
from refimpl.opspec import Arg, OpSpec, Shape
from refimpl.types import DType, TensorType, kind
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable


def _T() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


# --------------------------------------------------------------------------- ops


@dataclass(frozen=True)
class AdvancedSubtensor(IndexGet):
    """``x[key]`` where the key has integer arrays or boolean masks (numpy's
    advanced indexing). Its gradient scatter-adds: repeated indices accumulate."""

    advanced: ClassVar[bool] = True

    def inc_op(self, set_instead_of_inc: bool) -> AdvancedIncSubtensor:
        return AdvancedIncSubtensor(self.template, set_instead_of_inc)


@dataclass(frozen=True)
class AdvancedIncSubtensor(IndexSet):
    """``inc_subtensor``/``set_subtensor`` through an advanced key: repeated
    indices accumulate (inc) or the last occurrence wins (set)."""

    advanced: ClassVar[bool] = True

    def get_op(self) -> AdvancedSubtensor:
        return AdvancedSubtensor(self.template)

    def mask_overwritten(self, gy: TV, x: TV, idx: Sequence[TV]) -> TV:
        if not any(isinstance(e, IntArray) for e in self.template):
            return gy  # masks and slices never repeat a position
        return _math.mul(gy, LastWriteMask(self.template)(x, *idx))


@dataclass(frozen=True)
class LastWriteMask(Op):
    """Boolean array shaped like ``x[key]``: True where that element of the
    indexed region is the last write to its position of ``x`` (a repeated
    index overwrites the earlier occurrences). Only ``x``'s shape is read."""

    template: Template

    def __str__(self) -> str:
        return f"LastWriteMask{{{', '.join(str(e) for e in self.template)}}}"

    def make_node(self, x: Any, *indices: Any) -> Apply:
        x = as_tensor_variable(x)
        idx = check_index_inputs(self.template, x, indices)
        shape = static_shape(self.template, x, idx)
        return Apply(self, [x, *idx], [TensorType("bool", shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, *args = inputs
        key = resolve_key(xp, node, x, self.template, args, first=1)
        return (last_write_mask(xp, x, key, layout(self.template)),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [infer_index_shape(self.template, node, input_shapes, first=1)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        return [None] * len(inputs)  # a boolean output: zero derivative

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


@dataclass(frozen=True)
class Nonzero(Op):
    """The indices of the nonzero elements of ``a`` as an int64 matrix of shape
    ``(a.ndim, count)`` (row ``k``: the indices along axis ``k``, C order)."""

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"nonzero: {a} is 0-d; nonzero needs at least one axis")
        return Apply(self, [a], [TensorType("int64", (a.ndim, None))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (a,) = inputs
        mask = a if node.inputs[0].type.dtype == "bool" else a != 0
        rows = [xp.astype(r, xp.int64) for r in xp.nonzero(mask)]
        return (xp.stack(rows, axis=0),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        a = node.inputs[0]
        mask = a if a.type.dtype == "bool" else _T().neq(a, 0)
        count = _T().cast(_T().sum(mask), "int64")
        return [(constant(a.type.ndim, dtype="int64"), count)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        return [None]  # integer output: disconnected

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


# --------------------------------------------------------------------------- public


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """Theano's ``nonzero``: a tuple of int64 index vectors, one per axis of
    ``a`` (so ``x[a.nonzero()]`` works), or with ``return_matrix`` the
    ``(a.ndim, count)`` matrix."""
    matrix: TV = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[k] for k in range(matrix.type.shape[0] or 0))


def flatnonzero(a: Any) -> TV:
    """Indices of the nonzero elements of the flattened ``a`` (int64 vector)."""
    a = as_tensor_variable(a)
    flat = a if a.ndim == 1 else _T().flatten(a, 1)
    return nonzero(flat, return_matrix=True)[0]  # type: ignore[no-any-return]


def nonzero_values(a: Any) -> TV:
    """The nonzero elements of ``a`` in C order (``a[a.nonzero()]``)."""
    a = as_tensor_variable(a)
    return getitem(a, nonzero(a))


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> TV:
    """numpy's ``take``: ``a[..., indices, ...]`` along ``axis`` (the
    flattened ``a`` when ``axis`` is None). Only ``mode='raise'``."""
    a = as_tensor_variable(a)
    if mode != "raise":
        raise ValueError(f"take: mode {mode!r} is not supported (only 'raise')")
    idx = as_tensor_variable(indices)
    if kind(idx.dtype) not in "iu":
        raise TypeError(f"take: the indices {idx} must be integers, got dtype {idx.dtype}")
    if axis is None:
        return getitem(a if a.ndim == 1 else _T().flatten(a, 1), idx)
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for the {a.ndim}-d {a}")
    return getitem(a, (slice(None),) * (axis % a.ndim) + (idx,))


# --------------------------------------------------------------------------- specs

Shapes: TypeAlias = tuple[Shape, ...]
Params: TypeAlias = Mapping[str, Any]
Inputs: TypeAlias = tuple[Any, ...]

_X: tuple[DType, ...] = ("float64", "float32", "int64", "bool", "complex128")
_X_INC: tuple[DType, ...] = ("float64", "float32", "int64", "complex128")
_IDX = Arg("i", dtypes=("int64",), differentiable=False)
_JDX = Arg("j", dtypes=("int64",), differentiable=False)
_MASK = Arg("mask", dtypes=("bool",), differentiable=False)


def _values(rng: Any, shape: Shape) -> Any:
    return rng.uniform(-3.0, 3.0, size=shape)


def _indices(rng: Any, n: int, shape: Shape) -> Any:
    """Indices in ``[-n, n)`` with (when there are at least two) a repeat, so
    that accumulation (inc) and the last-write rule (set) are exercised."""
    out = rng.integers(-n, n, size=shape)
    flat = out.reshape(-1)
    if flat.size >= 2:
        flat[-1] = flat[0] - n if flat[0] >= 0 else flat[0] + n  # same position, other sign
    return out


def _side(draw_int: Any) -> int:
    return int(draw_int(1, 4))


def _take1_shapes(draw_int: Any) -> Shapes:
    x = tuple(_side(draw_int) for _ in range(draw_int(1, 3)))
    return (x, (draw_int(1, 5),))


def _take1_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    return (_values(rng, shapes[0]), _indices(rng, shapes[0][0], shapes[1]))


# x[i, j]-style patterns on a 3-d x: (key builder, axis of i, axis of j).
_PATTERNS: tuple[tuple[Any, int, int], ...] = (
    (lambda x, i, j: x[:, i, j], 1, 2),
    (lambda x, i, j: x[i, :, j], 0, 2),
    (lambda x, i, j: x[i, j], 0, 1),
    (lambda x, i, j: x[::-1, i, None, j], 1, 2),
    (lambda x, i, j: x[i[:, None], 1:, j], 0, 2),
    (lambda x, i, j: x[j[0], ..., i], 2, 0),
)


def _mixed_shapes(draw_int: Any) -> Shapes:
    x = (_side(draw_int), _side(draw_int), _side(draw_int))
    m = draw_int(1, 4)
    return (x, (m,), (m,) if draw_int(0, 2) else (1,))


def _mixed_params(draw_int: Any, shapes: Shapes) -> dict[str, Any]:
    return {"pattern": draw_int(0, len(_PATTERNS) - 1)}


def _mixed_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    _, ai, aj = _PATTERNS[params["pattern"]]
    x = shapes[0]
    return (_values(rng, x), _indices(rng, x[ai], shapes[1]), _indices(rng, x[aj], shapes[2]))


def _mask_shapes(draw_int: Any) -> Shapes:
    x = tuple(_side(draw_int) for _ in range(draw_int(1, 3)))
    start = draw_int(0, len(x) - 1)
    return (x, x[start : start + draw_int(1, len(x) - start)])


def _mask_params(draw_int: Any, shapes: Shapes) -> dict[str, Any]:
    x, m = shapes
    starts = [s for s in range(len(x) - len(m) + 1) if x[s : s + len(m)] == m]
    return {"start": starts[draw_int(0, len(starts) - 1)]}


def _mask_inputs(rng: Any, shapes: Shapes, params: Params) -> Inputs:
    return (_values(rng, shapes[0]), rng.random(shapes[1]) < 0.5)


def _mask_key(mask: Any, start: int) -> tuple[Any, ...]:
    return (slice(None),) * start + (mask,)


def _inc1_shapes(draw_int: Any) -> Shapes:
    x, (m,) = _take1_shapes(draw_int)
    return (x, (m, *(1 if draw_int(0, 3) == 0 else n for n in x[1:])), (m,))


def _inc1_inputs(rng: Any, shapes: Shapes, params: Params) -> Inputs:
    x, y, i = shapes
    return (_values(rng, x), _values(rng, y), _indices(rng, x[0], i))


def _ref_inc1(x: Any, y: Any, i: Any, set_: bool) -> Any:
    out = np.array(x, copy=True)
    yb = np.broadcast_to(y, (i.shape[0], *x.shape[1:]))
    for j, k in enumerate(i):  # sequential: repeats accumulate / the last write wins
        out[k] = yb[j] if set_ else out[k] + yb[j]
    return out


def _inc2_shapes(draw_int: Any) -> Shapes:
    x = (_side(draw_int), _side(draw_int), _side(draw_int))
    m = draw_int(1, 4)
    return (x, (m, 1 if draw_int(0, 3) == 0 else x[1]), (m,), (m,))


def _inc2_inputs(rng: Any, shapes: Shapes, params: Params) -> Inputs:
    x, y, i, j = shapes
    ii, jj = _indices(rng, x[0], i), _indices(rng, x[2], j)
    if ii.size >= 2:
        jj[-1] = jj[0]  # the pair (i, j) repeats
    return (_values(rng, x), _values(rng, y), ii, jj)


def _ref_inc2(x: Any, y: Any, i: Any, j: Any, set_: bool) -> Any:
    out = np.array(x, copy=True)
    yb = np.broadcast_to(y, (i.shape[0], x.shape[1]))
    for k in range(i.shape[0]):
        out[i[k], :, j[k]] = yb[k] if set_ else out[i[k], :, j[k]] + yb[k]
    return out


def _incm_shapes(draw_int: Any) -> Shapes:
    x = tuple(_side(draw_int) for _ in range(draw_int(1, 3)))
    k = draw_int(1, len(x))
    count = draw_int(1, int(np.prod(x[:k])))
    rest = tuple(1 if draw_int(0, 3) == 0 else n for n in x[k:])
    return (x, (count, *rest), x[:k])


def _incm_inputs(rng: Any, shapes: Shapes, params: Params) -> Inputs:
    x, y, m = shapes
    mask = np.zeros(int(np.prod(m)), dtype=bool)
    mask[rng.choice(mask.size, size=y[0], replace=False)] = True
    return (_values(rng, x), _values(rng, y), mask.reshape(m))


def _ref_incm(x: Any, y: Any, m: Any, set_: bool) -> Any:
    out = np.array(x, copy=True)
    out[m] = y if set_ else out[m] + y
    return out


def _take_params(draw_int: Any, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    axis = draw_int(-nd, nd)
    return {"axis": None if axis == nd else axis}


def _take_inputs(rng: Any, shapes: Shapes, params: Params) -> Inputs:
    x, i = shapes
    axis = params["axis"]
    n = int(np.prod(x)) if axis is None else x[axis]
    return (_values(rng, x), _indices(rng, n, i))


def _take_shapes(draw_int: Any) -> Shapes:
    x = tuple(_side(draw_int) for _ in range(draw_int(1, 3)))
    return (x, tuple(draw_int(1, 3) for _ in range(draw_int(1, 2))))


def _sparse_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    return (rng.integers(-2, 3, size=shapes[0]).astype(np.float64),)


def _nd_shape(draw_int: Any) -> Shapes:
    return (tuple(_side(draw_int) for _ in range(draw_int(1, 3))),)


def _ref_last_write(x: Any, i: Any) -> Any:
    wrapped = np.where(i < 0, i + x.shape[0], i)
    last = np.array([k == np.nonzero(wrapped == v)[0].max() for k, v in enumerate(wrapped)])
    region = (i.shape[0], *x.shape[1:])
    return np.broadcast_to(last.reshape((-1,) + (1,) * (x.ndim - 1)), region).copy()


def _last_write(x: TV, i: TV) -> TV:
    return LastWriteMask((IntArray(1),) + (Slice(),) * (x.ndim - 1))(x, i)  # type: ignore[no-any-return]


def _inc_spec(name: str, **kw: Any) -> OpSpec:
    return OpSpec(
        name=name,
        op_classes=(AdvancedIncSubtensor,),
        poly_degree=1,
        family="subtensor",
        **kw,
    )


SPECS: tuple[OpSpec, ...] = (
    OpSpec(
        name="advanced_subtensor1",
        build=lambda x, i: x[i],
        ref=lambda x, i: x[i],
        args=(Arg("x", dtypes=_X), _IDX),
        shapes=_take1_shapes,
        make_inputs=_take1_inputs,
        op_classes=(AdvancedSubtensor,),
        poly_degree=1,
        family="subtensor",
        doc="x[i] with a repeated index: the gradient must accumulate (scatter-add)",
    ),
    OpSpec(
        name="advanced_subtensor",
        build=lambda x, i, j, pattern: _PATTERNS[pattern][0](x, i, j),
        ref=lambda x, i, j, pattern: _PATTERNS[pattern][0](x, i, j),
        args=(Arg("x", dtypes=_X), _IDX, _JDX),
        shapes=_mixed_shapes,
        params=_mixed_params,
        make_inputs=_mixed_inputs,
        op_classes=(AdvancedSubtensor,),
        poly_degree=1,
        family="subtensor",
        doc="index arrays mixed with slices, ints and new axes (numpy's block placement)",
    ),
    OpSpec(
        name="advanced_subtensor_mask",
        build=lambda x, m, start: x[_mask_key(m, start)],
        ref=lambda x, m, start: x[_mask_key(m, start)],
        args=(Arg("x", dtypes=_X), _MASK),
        shapes=_mask_shapes,
        params=_mask_params,
        make_inputs=_mask_inputs,
        op_classes=(AdvancedSubtensor,),
        poly_degree=1,
        family="subtensor",
    ),
    _inc_spec(
        "advanced_inc_subtensor1",
        build=lambda x, y, i: _T().inc_subtensor(x[i], y),
        ref=lambda x, y, i: _ref_inc1(x, y, i, False),
        args=(Arg("x", dtypes=_X_INC), Arg("y", dtypes=_X_INC), _IDX),
        shapes=_inc1_shapes,
        make_inputs=_inc1_inputs,
        doc="repeated indices accumulate",
    ),
    _inc_spec(
        "advanced_set_subtensor1",
        build=lambda x, y, i: _T().set_subtensor(x[i], y),
        ref=lambda x, y, i: _ref_inc1(x, y, i, True),
        args=(Arg("x", dtypes=_X), Arg("y", dtypes=_X), _IDX),
        shapes=_inc1_shapes,
        make_inputs=_inc1_inputs,
        doc="repeated indices: the last write wins (and only it gets y's gradient)",
    ),
    _inc_spec(
        "advanced_inc_subtensor",
        build=lambda x, y, i, j: _T().inc_subtensor(x[i, :, j], y),
        ref=lambda x, y, i, j: _ref_inc2(x, y, i, j, False),
        args=(Arg("x", dtypes=_X_INC), Arg("y", dtypes=_X_INC), _IDX, _JDX),
        shapes=_inc2_shapes,
        make_inputs=_inc2_inputs,
    ),
    _inc_spec(
        "advanced_set_subtensor",
        build=lambda x, y, i, j: _T().set_subtensor(x[i, :, j], y),
        ref=lambda x, y, i, j: _ref_inc2(x, y, i, j, True),
        args=(Arg("x", dtypes=_X), Arg("y", dtypes=_X), _IDX, _JDX),
        shapes=_inc2_shapes,
        make_inputs=_inc2_inputs,
    ),
    _inc_spec(
        "advanced_inc_subtensor_mask",
        build=lambda x, y, m: _T().inc_subtensor(x[m], y),
        ref=lambda x, y, m: _ref_incm(x, y, m, False),
        args=(Arg("x", dtypes=_X_INC), Arg("y", dtypes=_X_INC), _MASK),
        shapes=_incm_shapes,
        make_inputs=_incm_inputs,
    ),
    _inc_spec(
        "advanced_set_subtensor_mask",
        build=lambda x, y, m: _T().set_subtensor(x[m], y),
        ref=lambda x, y, m: _ref_incm(x, y, m, True),
        args=(Arg("x", dtypes=_X), Arg("y", dtypes=_X), _MASK),
        shapes=_incm_shapes,
        make_inputs=_incm_inputs,
    ),
    OpSpec(
        name="take",
        build=lambda x, i, axis: take(x, i, axis=axis),
        ref=lambda x, i, axis: np.take(x, i, axis=axis),
        args=(Arg("x", dtypes=_X), _IDX),
        shapes=_take_shapes,
        params=_take_params,
        make_inputs=_take_inputs,
        op_classes=(AdvancedSubtensor,),
        poly_degree=1,
        family="subtensor",
    ),
    OpSpec(
        name="nonzero",
        build=lambda x: nonzero(x, return_matrix=True),
        ref=lambda x: np.stack(np.nonzero(x)).astype(np.int64),
        args=(Arg("x", dtypes=_X),),
        shapes=_nd_shape,
        make_inputs=_sparse_inputs,
        op_classes=(Nonzero,),
        grad=False,
        rop=False,
        second_order=False,
        family="subtensor",
        doc="integer output (data-dependent length): no derivatives to check",
    ),
    OpSpec(
        name="flatnonzero",
        build=flatnonzero,
        ref=lambda x: np.flatnonzero(x).astype(np.int64),
        args=(Arg("x", dtypes=_X),),
        shapes=_nd_shape,
        make_inputs=_sparse_inputs,
        op_classes=(Nonzero,),
        grad=False,
        rop=False,
        second_order=False,
        family="subtensor",
    ),
    OpSpec(
        name="nonzero_values",
        build=nonzero_values,
        ref=lambda x: x[np.nonzero(x)],
        args=(
            Arg("x", dtypes=("float64", "float32", "complex128", "bool"), kinks=(0.0,), margin=0.1),
        ),
        shapes=_nd_shape,
        op_classes=(Nonzero, AdvancedSubtensor),
        family="subtensor",
        doc="values kept away from 0 (a zero would change the output length)",
    ),
    OpSpec(
        name="last_write_mask",
        build=_last_write,
        ref=_ref_last_write,
        args=(Arg("x", dtypes=("float64", "complex128", "bool")), _IDX),
        shapes=_take1_shapes,
        make_inputs=_take1_inputs,
        op_classes=(LastWriteMask,),
        grad=False,
        rop=False,
        second_order=False,
        family="subtensor",
        doc="boolean output: no derivatives to check",
    ),
)
