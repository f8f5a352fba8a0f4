"""Axis ops: ``DimShuffle`` (Theano's reorder / insert / drop of axes) and
``Rebroadcast`` (set or clear the broadcastable flag of axes), with
``dimshuffle``, ``transpose``, ``swapaxes``, ``shape_padleft``,
``shape_padright``, ``shape_padaxis``, ``expand_dims``, ``squeeze``,
``addbroadcast``, ``unbroadcast`` and ``patternbroadcast``. Part of the shape
family (re-exported by ``refimpl.ops.shape``); see ``spec/shape.md``.

Broadcasting is static: an axis is broadcastable exactly where its static
length is 1, so only such axes may be dropped; ``addbroadcast`` makes an axis
of unknown length broadcastable with a run-time check.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op
from refimpl.ops._shape_util import TV, Grads, Shapes, Vars, like, normalize_axis
from refimpl.types import TensorType
from refimpl.variable import as_tensor_variable, constant

# --------------------------------------------------------------------------- DimShuffle

Pattern = tuple[int | str, ...]


@dataclass(frozen=True)
class DimShuffle(Op):
    """Theano's ``DimShuffle``: entries of ``new_order`` are input axes or
    ``'x'`` (a new axis of length 1); input axes left out are dropped and must
    have static length 1."""

    new_order: Pattern
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return "DimShuffle{" + ",".join(str(e) for e in self.new_order) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axes = [e for e in self.new_order if e != "x"]
        for e in self.new_order:
            if e != "x" and (not isinstance(e, int) or isinstance(e, bool) or not 0 <= e < x.ndim):
                raise ValueError(f"{self}: invalid entry {e!r} for {x} ({x.ndim}-d)")
        if len(set(axes)) != len(axes):
            raise ValueError(f"{self}: an axis of {x} appears twice")
        for k, n in enumerate(x.type.shape):
            if k not in axes and n != 1:
                raise TypeError(
                    f"{self}: cannot drop axis {k} of {x} (type {x.type}): only axes of static "
                    "length 1 (broadcastable) can be dropped; use addbroadcast/specify_shape first"
                )
        out = tuple(1 if e == "x" else x.type.shape[int(e)] for e in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, out)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        kept = [e for e in self.new_order if e != "x"]
        dropped = tuple(k for k in range(x.ndim) if k not in kept)
        y = xp.squeeze(x, axis=dropped) if dropped else x
        rank = {k: r for r, k in enumerate(sorted(int(k) for k in kept))}
        perm = tuple(rank[int(k)] for k in kept)
        if perm != tuple(range(len(perm))):
            y = xp.permute_dims(y, perm)
        if len(kept) != len(self.new_order):
            it = iter(int(n) for n in y.shape)
            y = xp.reshape(y, tuple(1 if e == "x" else next(it) for e in self.new_order))
        return (y,)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        one = constant(1, dtype="int64")
        return [tuple(one if e == "x" else input_shapes[0][e] for e in self.new_order)]  # type: ignore[index]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = like(output_grads[0], x)
        if g is None:
            return [None]
        new_axes = [k for k, e in enumerate(self.new_order) if e == "x" and g.type.shape[k] != 1]
        if new_axes:
            g = addbroadcast(g, *new_axes)
        where = {e: k for k, e in enumerate(self.new_order) if e != "x"}
        return [dimshuffle(g, tuple(where.get(k, "x") for k in range(x.ndim)))]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev)]


def dimshuffle(x: Any, *pattern: Any) -> TV:
    """Theano's ``x.dimshuffle(pattern)``: reorder axes, insert ``'x'`` axes of
    length 1, drop axes of static length 1 not named."""
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = tuple(pattern[0])
    order = tuple(e if e == "x" else operator.index(e) for e in pattern)
    return DimShuffle(order)(x)  # type: ignore[no-any-return]


def transpose(x: Any, axes: Sequence[int] | None = None) -> TV:
    """``x`` with its axes permuted (reversed when ``axes`` is None)."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(range(x.ndim - 1, -1, -1))
    norm = tuple(normalize_axis(a, x.ndim, x, "transpose") for a in axes)
    if sorted(norm) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of {x}'s axes")
    return dimshuffle(x, norm)


def swapaxes(x: Any, axis1: int, axis2: int) -> TV:
    """``x`` with axes ``axis1`` and ``axis2`` exchanged."""
    x = as_tensor_variable(x)
    a = normalize_axis(axis1, x.ndim, x, "swapaxes")
    b = normalize_axis(axis2, x.ndim, x, "swapaxes")
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return dimshuffle(x, tuple(order))


def shape_padleft(x: Any, n_ones: int = 1) -> TV:
    """``x`` with ``n_ones`` axes of length 1 prepended."""
    x = as_tensor_variable(x)
    return dimshuffle(x, ("x",) * n_ones + tuple(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> TV:
    """``x`` with ``n_ones`` axes of length 1 appended."""
    x = as_tensor_variable(x)
    return dimshuffle(x, tuple(range(x.ndim)) + ("x",) * n_ones)


def shape_padaxis(x: Any, axis: int) -> TV:
    """``x`` with an axis of length 1 inserted at ``axis`` (of the result)."""
    x = as_tensor_variable(x)
    a = normalize_axis(axis, x.ndim + 1, x, "shape_padaxis")
    order: list[int | str] = list(range(x.ndim))
    order.insert(a, "x")
    return dimshuffle(x, tuple(order))


def expand_dims(x: Any, axis: int | Sequence[int]) -> TV:
    """``x`` with axes of length 1 inserted at the positions ``axis`` of the result."""
    x = as_tensor_variable(x)
    axes = [axis] if not isinstance(axis, (list, tuple)) else list(axis)
    nd = x.ndim + len(axes)
    norm = {normalize_axis(a, nd, x, "expand_dims") for a in axes}
    if len(norm) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in {axis} for {x}")
    it = iter(range(x.ndim))
    return dimshuffle(x, tuple("x" if k in norm else next(it) for k in range(nd)))


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> TV:
    """``x`` without axes of length 1: with ``axis=None`` the axes of static
    length 1; named axes must have length 1 (checked at run time when the
    static length is unknown)."""
    x = as_tensor_variable(x)
    if axis is None:
        drop = {k for k, n in enumerate(x.type.shape) if n == 1}
    else:
        axes = [axis] if not isinstance(axis, (list, tuple)) else list(axis)
        drop = {normalize_axis(a, x.ndim, x, "squeeze") for a in axes}
        bad = [k for k in drop if x.type.shape[k] not in (1, None)]
        if bad:
            raise ValueError(
                f"squeeze: axis {bad[0]} of {x} has static length {x.type.shape[bad[0]]}, not 1"
            )
        unknown = [k for k in sorted(drop) if x.type.shape[k] is None]
        if unknown:
            x = addbroadcast(x, *unknown)
    return dimshuffle(x, tuple(k for k in range(x.ndim) if k not in drop))


# --------------------------------------------------------------------------- Rebroadcast


@dataclass(frozen=True)
class Rebroadcast(Op):
    """Set (``True``: static length 1, checked at run time) or clear
    (``False``: unknown length) the broadcastable flag of some axes."""

    axes: tuple[tuple[int, bool], ...]
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return "Rebroadcast{" + ",".join(f"({a}, {b})" for a, b in self.axes) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        out = list(x.type.shape)
        for a, flag in self.axes:
            if not 0 <= a < x.ndim:
                raise ValueError(f"{self}: axis {a} is out of range for {x} ({x.ndim}-d)")
            n = out[a]
            if flag and n not in (None, 1):
                raise ValueError(
                    f"addbroadcast: axis {a} of {x} has static length {n}; it cannot be made "
                    "broadcastable"
                )
            out[a] = 1 if flag else (None if n == 1 else n)
        return Apply(self, [x], [TensorType(x.dtype, out)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        for a, flag in self.axes:
            if flag and int(x.shape[a]) != 1:
                raise ValueError(
                    f"addbroadcast: axis {a} of {node.inputs[0]} must have length 1 at run time, "
                    f"got shape {tuple(x.shape)}"
                )
        return (x,)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        dims = list(input_shapes[0])
        for a, flag in self.axes:
            if flag:
                dims[a] = constant(1, dtype="int64")
        return [tuple(dims)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = like(output_grads[0], x)
        if g is None:
            return [None]
        return [patternbroadcast(g, x.broadcastable)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev)]


def _rebroadcast(x: Any, axes: Sequence[int], flag: bool, what: str) -> TV:
    x = as_tensor_variable(x)
    norm = sorted({normalize_axis(a, x.ndim, x, what) for a in axes})
    change = tuple((a, flag) for a in norm if (x.type.shape[a] == 1) != flag)
    return x if not change else Rebroadcast(change)(x)  # type: ignore[no-any-return]


def addbroadcast(x: Any, *axes: int) -> TV:
    """``x`` with the given axes made broadcastable (static length 1; the
    length is checked at run time)."""
    return _rebroadcast(x, axes, True, "addbroadcast")


def unbroadcast(x: Any, *axes: int) -> TV:
    """``x`` with the given axes made non-broadcastable (static length unknown)."""
    return _rebroadcast(x, axes, False, "unbroadcast")


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> TV:
    """``x`` with the broadcastable pattern ``broadcastable``."""
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(
            f"patternbroadcast: pattern {tuple(broadcastable)} has {len(broadcastable)} entries "
            f"but {x} is {x.ndim}-d"
        )
    x = addbroadcast(x, *[k for k, b in enumerate(broadcastable) if b])
    return unbroadcast(x, *[k for k, b in enumerate(broadcastable) if not b])
