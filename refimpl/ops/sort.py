"""Sorting: ``sort``, ``argsort`` (stable, NaNs last) and the permutation op
their gradients use.

The array API standard leaves the place of NaNs in a sort unspecified; these
ops define it as numpy does (NaNs last, in their original order) on every
namespace, by sorting a key in which NaN is replaced by +inf and then moving
the NaNs behind the genuine infinities. ``sort``'s gradient sends each
output gradient back to the input element that landed in that slot:
``gx = permute(g, argsort(argsort(x)))`` (the inverse permutation). See
``spec/sort.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.opspec import Arg, OpSpec
from refimpl.types import DType, TensorType, is_discrete, kind
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
Shapes = Sequence[tuple[TensorVariable, ...]]

__all__ = ["SPECS", "Argsort", "PermuteAlongAxis", "Sort", "argsort", "permute_along_axis", "sort"]


# --------------------------------------------------------------------------- helpers


def _check_sortable(x: TV, axis: int, what: str) -> int:
    """``axis`` normalised for ``x``; errors name ``x``."""
    if kind(x.dtype) == "c":
        raise TypeError(f"{what}: {x} has dtype {x.dtype}; complex numbers are not ordered")
    return _check_axis(x, axis, what)


def _check_axis(x: TV, axis: int, what: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{what}: axis must be an int or None, got {axis!r} (for {x})")
    if not -x.ndim <= axis < max(x.ndim, 1) or x.ndim == 0:
        raise ValueError(f"{what}: axis {axis} is out of range for {x} with {x.ndim} dimensions")
    return axis % x.ndim


def _key(xp: Namespace, x: Array, dtype: DType) -> tuple[Array, Array | None]:
    """The array to sort (bool as uint8, NaN as +inf) and the NaN mask (floats)."""
    if dtype == "bool":
        return xp.astype(x, xp.uint8), None
    if kind(dtype) != "f":
        return x, None
    nan = xp.isnan(x)
    return xp.where(nan, xp.asarray(float("inf"), dtype=x.dtype, device=device(x)), x), nan


def take_along(xp: Namespace, x: Array, idx: Array, axis: int) -> Array:
    """``take_along_axis`` (portable: namespaces without it, such as dask,
    gather from the flattened array with linear indices)."""
    fn = getattr(xp, "take_along_axis", None)
    if fn is not None:
        return fn(x, idx, axis=axis)
    moved = xp.moveaxis(x, axis, -1)
    imoved = xp.moveaxis(idx, axis, -1)
    n = moved.shape[-1]
    rows = 1
    for d in moved.shape[:-1]:
        rows *= d
    base = xp.reshape(xp.arange(rows, dtype=idx.dtype, device=device(idx)) * n, (rows, 1))
    flat = xp.reshape(imoved, (rows, n)) + base
    out = xp.take(xp.reshape(moved, (-1,)), xp.reshape(flat, (-1,)))
    return xp.moveaxis(xp.reshape(out, imoved.shape), -1, axis)


def stable_argsort(xp: Namespace, x: Array, axis: int, dtype: DType) -> Array:
    """Stable ascending argsort along ``axis`` with NaNs last (numpy's order)."""
    key, nan = _key(xp, x, dtype)
    p = xp.argsort(key, axis=axis, stable=True)
    if nan is None:
        return p
    nan_sorted = xp.astype(take_along(xp, nan, p, axis), xp.int8)
    return take_along(xp, p, xp.argsort(nan_sorted, axis=axis, stable=True), axis)


# --------------------------------------------------------------------------- Sort


@dataclass(frozen=True)
class Sort(Op):
    """``x`` sorted ascending along ``axis`` (stable; NaNs last)."""

    axis: int = -1

    def __str__(self) -> str:
        return f"Sort{{axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axis = _check_sortable(x, self.axis, "sort")
        op = self if axis == self.axis else Sort(axis)
        return Apply(op, [x], [x.type()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        dtype: DType = node.inputs[0].type.dtype
        key, nan = _key(xp, x, dtype)
        out = xp.sort(key, axis=self.axis, stable=True)
        if nan is not None:
            n = x.shape[self.axis]
            pos = xp.arange(n, dtype=xp.int64, device=device(x))
            pos = xp.reshape(pos, tuple(n if i == self.axis else 1 for i in range(x.ndim)))
            count = xp.sum(xp.astype(nan, xp.int64), axis=self.axis, keepdims=True)
            out = xp.where(
                pos >= n - count, xp.asarray(float("nan"), dtype=x.dtype, device=device(x)), out
            )
        if dtype == "bool":
            out = xp.astype(out, xp.bool)
        return (out,)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gx = permute(g, argsort(argsort(x))): slot k's gradient goes back to
        the element that was sorted into slot k (ties: by the stable order)."""
        (x,) = inputs
        if is_discrete(x.dtype):
            return [None]
        inverse = argsort(argsort(x, self.axis), self.axis)
        return [permute_along_axis(output_grads[0], inverse, self.axis)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """d sort(x) = permute(v, argsort(x))."""
        v = eval_points[0]
        if v is None or is_discrete(inputs[0].dtype):
            return [None]
        return [permute_along_axis(v, argsort(inputs[0], self.axis), self.axis)]


@dataclass(frozen=True)
class Argsort(Op):
    """The int64 indices that sort ``x`` along ``axis`` (stable; NaNs last).
    Integer-valued and piecewise constant: its gradient is zero."""

    axis: int = -1

    def __str__(self) -> str:
        return f"Argsort{{axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axis = _check_sortable(x, self.axis, "argsort")
        op = self if axis == self.axis else Argsort(axis)
        return Apply(op, [x], [TensorType("int64", x.type.shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        p = stable_argsort(xp, inputs[0], self.axis, node.inputs[0].type.dtype)
        return (p if p.dtype == xp.int64 else xp.astype(p, xp.int64),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        return [None]  # integer-valued, piecewise constant: zero gradient

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


# --------------------------------------------------------------------------- PermuteAlongAxis


@dataclass(frozen=True)
class PermuteAlongAxis(Op):
    """``take_along_axis(x, perm, axis)`` where every lane of ``perm`` along
    ``axis`` is a permutation of ``range(n)`` (not checked). Linear in ``x``;
    its gradient is the inverse permutation ``argsort(perm)``."""

    axis: int = -1

    def __str__(self) -> str:
        return f"PermuteAlongAxis{{axis={self.axis}}}"

    def make_node(self, x: Any, perm: Any) -> Apply:
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if kind(perm.dtype) not in "iu" or perm.ndim != x.ndim:
            raise TypeError(
                f"permute_along_axis: {perm} must be an integer tensor with the ndim of {x} "
                f"({x.ndim}), got {perm.type}"
            )
        axis = _check_axis(x, self.axis, "permute_along_axis")
        shape = []
        for i, (a, b) in enumerate(zip(x.type.shape, perm.type.shape)):
            if a is not None and b is not None and a != b:
                raise ValueError(f"permute_along_axis: {x} and {perm} differ in length on axis {i}")
            shape.append(a if a is not None else b)
        op = self if axis == self.axis else PermuteAlongAxis(axis)
        return Apply(op, [x, perm], [TensorType(x.dtype, shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, perm = inputs
        if tuple(x.shape) != tuple(perm.shape):
            raise ValueError(
                f"permute_along_axis: {node.inputs[0]} (shape {tuple(x.shape)}) and "
                f"{node.inputs[1]} (shape {tuple(perm.shape)}) must have the same shape"
            )
        return (take_along(xp, x, xp.astype(perm, xp.int64), self.axis),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gx = permute(g, argsort(perm)); perm is an index: disconnected."""
        x, perm = inputs
        if is_discrete(x.dtype):
            return [None, None]
        return [self(output_grads[0], argsort(perm, self.axis)), None]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        v = eval_points[0]
        return [None if v is None or is_discrete(inputs[0].dtype) else self(v, inputs[1])]


# --------------------------------------------------------------------------- functions


def _flat(x: TV) -> TV:
    from refimpl.ops import shape as _shape

    return _shape.flatten(x, 1)


def _check_order(order: Any, what: str) -> None:
    if order is not None:
        raise ValueError(f"{what}: order= (structured arrays) is not supported")


def sort(a: Any, axis: int | None = -1, kind: str = "quicksort", order: Any = None) -> TV:
    """``a`` sorted along ``axis`` (``None``: flattened); always stable, NaNs
    last. ``kind`` is accepted for Theano compatibility and ignored."""
    _check_order(order, "sort")
    a = as_tensor_variable(a)
    if axis is None:
        return Sort(0)(_flat(a))  # type: ignore[no-any-return]
    return Sort(axis)(a)  # type: ignore[no-any-return]


def argsort(a: Any, axis: int | None = -1, kind: str = "quicksort", order: Any = None) -> TV:
    """int64 indices that sort ``a`` along ``axis`` (``None``: into the
    flattened array); stable, NaNs last."""
    _check_order(order, "argsort")
    a = as_tensor_variable(a)
    if axis is None:
        return Argsort(0)(_flat(a))  # type: ignore[no-any-return]
    return Argsort(axis)(a)  # type: ignore[no-any-return]


def permute_along_axis(x: Any, perm: Any, axis: int = -1) -> TV:
    """``take_along_axis(x, perm, axis)`` for a ``perm`` whose lanes along
    ``axis`` are permutations (used by ``sort``'s gradient)."""
    return PermuteAlongAxis(axis)(x, perm)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- specs


def _sort_params(draw: Any, shapes: tuple[tuple[int, ...], ...]) -> dict[str, Any]:
    nd = len(shapes[0])
    return {"axis": None if nd == 0 or draw(0, 3) == 0 else draw(-nd, nd - 1)}


def _sort_shapes(draw: Any) -> tuple[tuple[int, ...], ...]:
    return (tuple(draw(1, 4) for _ in range(draw(1, 3))),)


def _np_sort(x: Any, axis: Any = -1) -> Any:
    import numpy as np

    return np.sort(x, axis=axis, kind="stable")


def _np_argsort(x: Any, axis: Any = -1) -> Any:
    import numpy as np

    return np.argsort(x, axis=axis, kind="stable").astype("int64")


def _permutation_inputs(rng: Any, shapes: Any, params: Any) -> tuple[Any, ...]:
    import numpy as np

    shape = shapes[0]
    x = rng.uniform(-3, 3, shape)
    perm = np.argsort(rng.uniform(size=shape), axis=-1).astype("int64")
    return x, perm


def _np_permute(x: Any, perm: Any) -> Any:
    import numpy as np

    return np.take_along_axis(x, perm, axis=-1)


_VALUES: tuple[DType, ...] = ("float64", "float32", "int64", "int32", "int8", "uint8", "bool")

# fmt: off
SPECS: tuple[OpSpec, ...] = (
    OpSpec("sort", sort, _np_sort, (Arg("a", _VALUES, distinct=True),), _sort_shapes,
           op_classes=(Sort, PermuteAlongAxis), params=_sort_params,
           doc="stable sort; distinct values keep the gradient away from ties (piecewise "
           "linear: no poly_degree, finite differences must not cross a tie)"),
    OpSpec("argsort", argsort, _np_argsort, (Arg("a", _VALUES, distinct=True),), _sort_shapes,
           op_classes=(Argsort,), params=_sort_params, grad=False, rop=False,
           second_order=False),
    OpSpec("permute_along_axis", permute_along_axis, _np_permute,
           (Arg("x", ("float64", "float32", "int64", "bool", "complex128")),
            Arg("perm", ("int64",), differentiable=False)),
           lambda draw: _sort_shapes(draw) * 2,
           op_classes=(PermuteAlongAxis,), make_inputs=_permutation_inputs, poly_degree=1),
)
# fmt: on
