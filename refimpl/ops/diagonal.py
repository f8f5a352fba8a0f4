"""Diagonals: ``ExtractDiag`` (numpy's ``diagonal``) and ``AllocDiag`` (its
transpose: a tensor of zeros with given values on a diagonal), with
``diagonal``, ``diag`` and ``trace``. Part of the shape family: see
``spec/creation.md``.

Both ops work on the last two axes internally (permuting ``axis1``/``axis2``
there) and locate diagonal ``offset`` in the flattened trailing block: the
entry ``i`` of the diagonal is element ``start + i * (m + 1)`` of the
row-major ``n * m`` block, ``start = offset`` for ``offset >= 0`` and
``-offset * m`` otherwise. Only reshapes, basic slices, ``concat`` and
``zeros`` are used, so both run on every namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op
from refimpl.ops import _shape_util as _u
from refimpl.ops import shape as _shape
from refimpl.ops._shape_util import TV, Grads, Shapes, Vars, ins
from refimpl.types import TensorType
from refimpl.variable import as_tensor_variable, constant


def diag_len(n: int, m: int, offset: int) -> int:
    """The length of diagonal ``offset`` of an ``n`` by ``m`` matrix."""
    return max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))


def _start(m: int, offset: int) -> int:
    return offset if offset >= 0 else -offset * m


def _order(nd: int, axis1: int, axis2: int) -> tuple[int, ...]:
    """The permutation moving ``axis1``, ``axis2`` of an ``nd``-d tensor last."""
    return (*[k for k in range(nd) if k not in (axis1, axis2)], axis1, axis2)


@dataclass(frozen=True)
class ExtractDiag(Op):
    """``diagonal(x, offset, axis1, axis2)``: the diagonal as the last axis."""

    offset: int = 0
    axis1: int = 0
    axis2: int = 1
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return f"ExtractDiag{{offset={self.offset}, axis1={self.axis1}, axis2={self.axis2}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        a, b = self.axis1, self.axis2
        if x.ndim < 2 or not (0 <= a < x.ndim and 0 <= b < x.ndim) or a == b:
            raise ValueError(
                f"diagonal: {x} ({x.ndim}-d) needs two distinct axes, got axis1={a}, axis2={b}"
            )
        shp = x.type.shape
        n, m = shp[a], shp[b]
        length = None if n is None or m is None else diag_len(n, m, self.offset)
        rest = [shp[k] for k in _order(x.ndim, a, b)[:-2]]
        return Apply(self, [x], [TensorType(x.dtype, (*rest, length))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        y = xp.permute_dims(x, _order(x.ndim, self.axis1, self.axis2))
        lead = tuple(int(k) for k in y.shape[:-2])
        n, m = int(y.shape[-2]), int(y.shape[-1])
        flat = xp.reshape(y, (*lead, n * m))
        length = diag_len(n, m, self.offset)
        if length == 0:
            return (flat[..., 0:0],)
        start = _start(m, self.offset)
        return (flat[..., start : start + (length - 1) * (m + 1) + 1 : m + 1],)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        shp = input_shapes[0]
        out = ins(node)[0]
        rest = [shp[k] for k in _order(out.ndim, self.axis1, self.axis2)[:-2]]
        static = node.outputs[0].type.shape[-1]
        if static is not None:
            return [(*rest, constant(static, dtype="int64"))]
        t = _u.T()
        n, m, k = shp[self.axis1], shp[self.axis2], self.offset
        length = t.minimum(n, t.sub(m, k)) if k >= 0 else t.minimum(t.add(n, k), m)
        return [(*rest, t.maximum(length, 0))]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = _u.like(output_grads[0], x)
        if g is None:
            return [None]
        n, m = _shape.shape_i(x, self.axis1), _shape.shape_i(x, self.axis2)
        return [AllocDiag(self.offset, self.axis1, self.axis2)(g, n, m)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev)]


@dataclass(frozen=True)
class AllocDiag(Op):
    """``AllocDiag(offset, axis1, axis2)(v, n, m)``: zeros with ``v``'s last axis
    placed on diagonal ``offset`` of new axes ``axis1`` (length ``n``) and
    ``axis2`` (length ``m``) of the result; the transpose of ``ExtractDiag``."""

    offset: int = 0
    axis1: int = 0
    axis2: int = 1

    def __str__(self) -> str:
        return f"AllocDiag{{offset={self.offset}, axis1={self.axis1}, axis2={self.axis2}}}"

    def make_node(self, v: Any, n: Any, m: Any) -> Apply:
        v = as_tensor_variable(v)
        dims = [_u.as_int_scalar(d, f"alloc_diag of {v}") for d in (n, m)]
        nd = v.ndim + 1
        a, b = self.axis1, self.axis2
        if v.ndim < 1 or not (0 <= a < nd and 0 <= b < nd) or a == b:
            raise ValueError(f"alloc_diag: bad axes ({a}, {b}) for {v} ({v.ndim}-d)")
        sn, sm = (_u.static_int(d) for d in dims)
        length = v.type.shape[-1]
        if sn is not None and sm is not None and length is not None:
            if diag_len(sn, sm, self.offset) != length:
                raise ValueError(
                    f"alloc_diag: {v} has length {length}, but diagonal {self.offset} of a "
                    f"{sn} by {sm} matrix has length {diag_len(sn, sm, self.offset)}"
                )
        shp: list[int | None] = list(v.type.shape[:-1])
        for axis, s in sorted([(a, sn), (b, sm)]):
            shp.insert(axis, s)
        return Apply(self, [v, *dims], [TensorType(v.dtype, shp)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        v, n_arr, m_arr = inputs
        n, m = int(n_arr), int(m_arr)
        length = int(v.shape[-1])
        if length != diag_len(n, m, self.offset):
            raise ValueError(
                f"alloc_diag: {node.inputs[0]} has length {length}, but diagonal {self.offset} "
                f"of a {n} by {m} matrix has length {diag_len(n, m, self.offset)}"
            )
        lead = tuple(int(k) for k in v.shape[:-1])
        kw: dict[str, Any] = {"dtype": v.dtype, "device": device(v)}
        # each diagonal entry followed by m zeros: entry i lands at start + i * (m + 1)
        spaced = xp.concat([xp.reshape(v, (*lead, length, 1)),
                            xp.zeros((*lead, length, m), **kw)], axis=-1)  # fmt: skip
        flat = xp.concat(
            [xp.zeros((*lead, _start(m, self.offset)), **kw),
             xp.reshape(spaced, (*lead, length * (m + 1))),
             xp.zeros((*lead, n * m), **kw)], axis=-1,
        )  # fmt: skip
        y = xp.reshape(flat[..., : n * m], (*lead, n, m))
        order = _order(len(lead) + 2, self.axis1, self.axis2)
        return (xp.permute_dims(y, tuple(order.index(k) for k in range(len(order)))),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        dims = list(input_shapes[0][:-1])
        n, m = ins(node)[1:]
        for axis, d in sorted([(self.axis1, n), (self.axis2, m)], key=lambda p: p[0]):
            dims.insert(axis, d)
        return [tuple(dims)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        g = _u.like(output_grads[0], inputs[0])
        gv = None if g is None else ExtractDiag(self.offset, self.axis1, self.axis2)(g)
        return [gv, None, None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, *inputs[1:])]


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TV:
    """numpy's ``diagonal``: diagonal ``offset`` of the (``axis1``, ``axis2``)
    planes, as the last axis of the result."""
    a = as_tensor_variable(a)
    a1 = _u.normalize_axis(axis1, a.ndim, a, "diagonal")
    a2 = _u.normalize_axis(axis2, a.ndim, a, "diagonal")
    return ExtractDiag(int(offset), a1, a2)(a)  # type: ignore[no-any-return]


def diag(v: Any, k: int = 0) -> TV:
    """Theano's ``diag``: a vector gives the square matrix with ``v`` on diagonal
    ``k``; a matrix gives its diagonal ``k``."""
    v = as_tensor_variable(v)
    if v.ndim == 1:
        k = int(k)
        length = v.type.shape[0]
        n: Any = length + abs(k) if length is not None else _shape.shape_i(v, 0)
        if length is None and k:
            n = _u.T().add(n, abs(k))
        return AllocDiag(k, 0, 1)(v, n, n)  # type: ignore[no-any-return]
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: {v} is {v.ndim}-d; expected a vector or a matrix")


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TV:
    """The sum of diagonal ``offset`` (of the (``axis1``, ``axis2``) planes)."""
    out: TV = _u.T().sum(diagonal(a, offset, axis1, axis2), axis=-1)
    return out
