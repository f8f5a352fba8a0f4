"""Joining, splitting, tiling and repeating: ``Join``, ``Split``, ``Tile``,
``Repeat`` and ``RepeatSum`` (the segment sum that undoes a repeat), with
``concatenate``, ``join``, ``stack``, ``split``, ``horizontal_stack``,
``vertical_stack``, ``tile`` and ``repeat``. Part of the shape family: see
``spec/manipulation.md``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op
from refimpl.ops import _shape_util as _u
from refimpl.ops import shape as _shape
from refimpl.ops._shape_util import TV, Grads, Shapes, Vars, ins, like, outs
from refimpl.types import TensorType, format_shape, is_discrete, promote_types
from refimpl.variable import TensorVariable, as_tensor_variable, constant


def _sum(x: TV, axis: Any) -> TV:
    return _u.T().sum(x, axis=axis)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Join


def _join_static(axis: int, tensors: Sequence[TV]) -> list[int | None]:
    nd = tensors[0].ndim
    out: list[int | None] = []
    for k in range(nd):
        lens = [t.type.shape[k] for t in tensors]
        if k == axis:
            out.append(None if None in lens else sum(lens))  # type: ignore[arg-type]
            continue
        known = {n for n in lens if n is not None}
        if len(known) > 1:
            shapes = ", ".join(f"{t} {format_shape(t.type.shape)}" for t in tensors)
            raise ValueError(f"join along axis {axis}: lengths differ on axis {k}: {shapes}")
        out.append(known.pop() if known else None)
    return out


@dataclass(frozen=True)
class Join(Op):
    """``join(axis, *tensors)``: concatenation along ``axis`` (inputs promoted
    to their common dtype)."""

    axis: int

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"

    def make_node(self, *tensors: Any) -> Apply:
        from refimpl.ops.elemwise import resolve_weak_inputs

        if not tensors:
            raise ValueError("join: needs at least one tensor")
        ts = resolve_weak_inputs(tensors, "join")
        nd = ts[0].ndim
        for t in ts:
            if t.ndim != nd or nd == 0:
                names = ", ".join(f"{u} ({u.ndim}-d)" for u in ts)
                raise ValueError(f"join: tensors must have the same ndim >= 1, got {names}")
        if not 0 <= self.axis < nd:
            raise ValueError(f"join: axis {self.axis} is out of range for {nd}-d tensors")
        dtype = promote_types(*(t.dtype for t in ts))
        return Apply(self, ts, [TensorType(dtype, _join_static(self.axis, ts))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dt = node.outputs[0].type.dtype
        ref = tuple(int(n) for n in inputs[0].shape)
        for var, a in zip(node.inputs, inputs):
            got = tuple(int(n) for n in a.shape)
            if any(p != q for k, (p, q) in enumerate(zip(ref, got)) if k != self.axis):
                raise ValueError(
                    f"join along axis {self.axis}: {node.inputs[0]} has shape {ref} but {var} "
                    f"has shape {got}"
                )
        arrays = [xp.astype(a, getattr(xp, dt)) if v.dtype != dt else a
                  for v, a in zip(ins(node), inputs)]  # fmt: skip
        return (xp.concat(arrays, axis=self.axis),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        out = node.outputs[0].type.shape
        dims: list[TV] = []
        for k in range(len(out)):
            n = out[k]
            if n is not None:
                dims.append(constant(n, dtype="int64"))
            elif k == self.axis:
                total = input_shapes[0][k]
                for s in input_shapes[1:]:
                    total = _u.T().add(total, s[k])
                dims.append(total)
            else:
                dims.append(input_shapes[0][k])
        return [tuple(dims)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        if is_discrete(outputs[0].dtype):
            return [None] * len(inputs)
        sizes = [_shape.shape_i(t, self.axis) for t in inputs]
        parts = split(output_grads[0], sizes, len(inputs), self.axis)
        return [like(p, t) for p, t in zip(parts, inputs)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        if all(e is None for e in eval_points) or is_discrete(self(*inputs).dtype):
            return [None]
        from refimpl.ops import creation

        evs = [creation.zeros_like(i) if e is None else e for i, e in zip(inputs, eval_points)]
        return [self(*evs)]


def join(axis: int, *tensors: Any) -> TV:
    """Theano's ``join(axis, *tensors)``: concatenation along ``axis``; one
    tensor is returned unchanged."""
    ts = [as_tensor_variable(t) for t in tensors]
    if not ts:
        raise ValueError("join: needs at least one tensor")
    if len(ts) == 1:
        return ts[0]
    a = _u.normalize_axis(axis, max(ts[0].ndim, 1), ts[0], "join")
    return Join(a)(*ts)  # type: ignore[no-any-return]


def concatenate(tensor_list: Sequence[Any], axis: int = 0) -> TV:
    """Concatenate the tensors along ``axis``."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(f"concatenate: expected a list or tuple of tensors, got {tensor_list!r}")
    return join(axis, *tensor_list)


def stack(*tensors: Any, axis: int = 0) -> TV:
    """Stack tensors of equal shape along a new axis ``axis`` (scalars stacked
    on axis 0 make a ``MakeVector``). Theano's forms: ``stack(tensors, axis)``,
    ``stack(tensors, axis=axis)`` and ``stack(t1, t2, ...)``."""
    if tensors and isinstance(tensors[0], (list, tuple)):
        if len(tensors) > 2:
            raise TypeError("stack: use stack(tensors, axis) or stack(t1, t2, ...)")
        if len(tensors) == 2:
            axis = tensors[1]
        tensors = tuple(tensors[0])
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    if all(not isinstance(t, TensorVariable) or t.ndim == 0 for t in tensors) and axis in (0, -1):
        if all(isinstance(t, TensorVariable) or isinstance(t, (int, float, complex))
               for t in tensors):  # fmt: skip
            return _shape.make_vector(*tensors)
    ts = [as_tensor_variable(t) for t in tensors]
    return join(axis, *[_shape.shape_padaxis(t, axis) for t in ts])


def horizontal_stack(*args: Any) -> TV:
    """Theano's ``horizontal_stack``: concatenate matrices along axis 1."""
    ts = [as_tensor_variable(a) for a in args]
    for t in ts:
        if t.ndim != 2:
            raise ValueError(f"horizontal_stack: {t} is {t.ndim}-d; expected matrices")
    return join(1, *ts)


def vertical_stack(*args: Any) -> TV:
    """Theano's ``vertical_stack``: concatenate matrices along axis 0."""
    ts = [as_tensor_variable(a) for a in args]
    for t in ts:
        if t.ndim != 2:
            raise ValueError(f"vertical_stack: {t} is {t.ndim}-d; expected matrices")
    return join(0, *ts)


# --------------------------------------------------------------------------- Split


@dataclass(frozen=True)
class Split(Op):
    """``split(x, sizes, n_splits, axis)``: ``n_splits`` consecutive pieces of
    ``x`` along ``axis`` with lengths ``sizes`` (an int64 vector)."""

    n_splits: int
    axis: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "view_map", {k: (0,) for k in range(self.n_splits)})

    def __str__(self) -> str:
        return f"Split{{{self.n_splits}, axis={self.axis}}}"

    def make_node(self, x: Any, sizes: Any) -> Apply:
        x = as_tensor_variable(x)
        sizes = _u.as_int_vector(sizes, f"split of {x}")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"split: axis {self.axis} is out of range for {x} ({x.ndim}-d)")
        static = _u.static_vector(sizes)
        if static is not None and len(static) != self.n_splits:
            raise ValueError(
                f"split of {x}: {len(static)} sizes given for n_splits={self.n_splits}"
            )
        static = static or (None,) * self.n_splits
        if any(s is not None and s < 0 for s in static):
            raise ValueError(f"split of {x}: negative size in {static}")
        n = x.type.shape[self.axis]
        if n is not None and None not in static and sum(static) != n:  # type: ignore[arg-type]
            raise ValueError(f"split of {x}: sizes {static} do not add up to its length {n}")
        outs = []
        for s in static:
            shp = list(x.type.shape)
            shp[self.axis] = s
            outs.append(TensorType(x.dtype, shp)())
        return Apply(self, [x, sizes], outs)

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, sizes = inputs
        ss = _u.to_ints(sizes)
        n = int(x.shape[self.axis])
        if len(ss) != self.n_splits or any(s < 0 for s in ss) or sum(ss) != n:
            raise ValueError(
                f"split: cannot split {node.inputs[0]} (length {n} on axis {self.axis}) into "
                f"{self.n_splits} pieces of sizes {ss}"
            )
        lead = (slice(None),) * self.axis
        out, start = [], 0
        for s in ss:
            out.append(x[(*lead, slice(start, start + s), ...)])
            start += s
        return tuple(out)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        entries = _u.vector_entries(ins(node)[1], self.n_splits)
        out = []
        for e in entries:
            dims = list(input_shapes[0])
            dims[self.axis] = e
            out.append(tuple(dims))
        return out

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        if is_discrete(x.dtype):
            return [None, None]
        return [like(join(self.axis, *output_grads), x), None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        if ev is None:
            return [None] * self.n_splits
        return list(outs(self.make_node(ev, inputs[1])))


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> list[TV]:
    """Theano's ``split``: ``n_splits`` pieces of ``x`` along ``axis`` with the
    lengths ``splits_size`` (ints or an int vector; checked at run time)."""
    x = as_tensor_variable(x)
    a = _u.normalize_axis(axis, x.ndim, x, "split")
    node = Split(operator.index(n_splits), a).make_node(x, splits_size)
    return outs(node)


# --------------------------------------------------------------------------- Tile


@dataclass(frozen=True)
class Tile(Op):
    """``tile(x, reps)`` with static ``reps`` (one per axis of ``x``)."""

    reps: tuple[int, ...]

    def __str__(self) -> str:
        return f"Tile{{{self.reps}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if len(self.reps) != x.ndim:
            raise ValueError(f"tile of {x}: {len(self.reps)} reps for a {x.ndim}-d tensor")
        if any(r < 0 for r in self.reps):
            raise ValueError(f"tile of {x}: reps must be >= 0, got {self.reps}")
        out = [None if n is None else n * r for n, r in zip(x.type.shape, self.reps)]
        return Apply(self, [x], [TensorType(x.dtype, out)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        if x.ndim == 0:
            return (xp.asarray(x, copy=True),)
        return (xp.tile(x, self.reps),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        out = node.outputs[0].type.shape
        return [
            tuple(
                constant(n, dtype="int64") if n is not None else _u.T().mul(d, r)
                for n, d, r in zip(out, input_shapes[0], self.reps)
            )
        ]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = like(output_grads[0], x)
        if g is None or x.ndim == 0:
            return [g]
        dims: list[Any] = []
        for k, r in enumerate(self.reps):
            dims += [r, _shape.shape_i(x, k)]
        g = _shape.reshape(g, dims)
        return [like(_sum(g, tuple(range(0, 2 * x.ndim, 2))), x)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev)]


def tile(x: Any, reps: Sequence[int] | int, ndim: int | None = None) -> TV:
    """``x`` repeated ``reps[k]`` times along each axis (numpy's ``tile``;
    ``reps`` static ints; the shorter of ``x.ndim`` and ``len(reps)`` is padded
    on the left with 1s)."""
    x = as_tensor_variable(x)
    if isinstance(reps, TensorVariable):
        raise TypeError(f"tile of {x}: reps must be static ints, got the variable {reps}")
    seq: Sequence[Any] = reps if isinstance(reps, (list, tuple)) else [reps]
    rr = [operator.index(r) for r in seq]
    nd = max(x.ndim, len(rr), ndim or 0)
    if ndim is not None and ndim < max(x.ndim, len(rr)):
        raise ValueError(f"tile of {x}: ndim={ndim} is smaller than the result's ndim")
    if x.ndim < nd:
        x = _shape.shape_padleft(x, nd - x.ndim)
    return Tile(tuple([1] * (nd - len(rr)) + rr))(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Repeat


def _repeat_static(x: TV, reps: TV, axis: int | None) -> int | None:
    n = (
        x.type.shape[axis]
        if axis is not None
        else (
            None if None in x.type.shape else math.prod(x.type.shape)  # type: ignore[arg-type]
        )
    )
    if reps.ndim == 0:
        r = _u.static_int(reps)
        return None if r is None or n is None else n * r
    vals = _u.static_vector(reps)
    if vals is not None and n is not None and len(vals) != n:
        raise ValueError(f"repeat of {x}: {len(vals)} repeats for length {n}")
    return None if vals is None or None in vals else sum(vals)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Repeat(Op):
    """``repeat(x, repeats, axis)``: each element repeated ``repeats`` times
    (an int scalar, or an int vector with one count per element) along
    ``axis``; ``axis=None`` repeats the flattened ``x``."""

    axis: int | None

    def __str__(self) -> str:
        return f"Repeat{{axis={self.axis}}}"

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x = as_tensor_variable(x)
        reps = as_tensor_variable(repeats)
        if reps.ndim > 1 or reps.dtype[0] not in "iu":
            raise TypeError(f"repeat of {x}: repeats must be an int scalar or vector, got {reps}")
        reps = _u.as_int_vector(reps, "repeat") if reps.ndim else _u.as_int_scalar(
            reps, "repeat")  # fmt: skip
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise ValueError(f"repeat: axis {self.axis} is out of range for {x} ({x.ndim}-d)")
        r = _u.static_int(reps) if reps.ndim == 0 else None
        if r is not None and r < 0:
            raise ValueError(f"repeat of {x}: repeats must be >= 0, got {r}")
        n = _repeat_static(x, reps, self.axis)
        shp = [n] if self.axis is None else [*x.type.shape]
        if self.axis is not None:
            shp[self.axis] = n
        return Apply(self, [x, reps], [TensorType(x.dtype, shp)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, reps = inputs
        counts = _u.to_ints(reps)
        if self.axis is None:  # numpy flattens; some namespaces need an int axis
            x = xp.reshape(x, (math.prod(int(d) for d in x.shape),))
        axis = self.axis or 0
        n = int(x.shape[axis])
        if any(c < 0 for c in counts) or (reps.ndim == 1 and len(counts) != n):
            raise ValueError(
                f"repeat: invalid repeats {counts} for {node.inputs[0]} of shape "
                f"{tuple(inputs[0].shape)} (axis={self.axis})"
            )
        if reps.ndim == 0:
            return (xp.repeat(x, counts[0], axis=axis),)
        return (xp.take(x, segment_index(xp, reps, sum(counts)), axis=axis),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        reps = ins(node)[1]
        n = _u.prod(input_shapes[0]) if self.axis is None else input_shapes[0][self.axis]
        total = _u.T().mul(n, reps) if reps.ndim == 0 else _sum(reps, None)
        if self.axis is None:
            return [(total,)]
        dims = list(input_shapes[0])
        dims[self.axis] = total
        return [tuple(dims)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x, reps = inputs
        g = like(output_grads[0], x)
        if g is None:
            return [None, None]
        axis = 0 if self.axis is None else self.axis
        if reps.ndim == 1:
            gx = RepeatSum(axis)(g, reps)
        else:
            n = _shape.shape_i(x, axis) if self.axis is not None else _u.prod(
                [_shape.shape_i(x, k) for k in range(x.ndim)])  # fmt: skip
            dims: list[Any] = [_shape.shape_i(g, k) for k in range(g.ndim)]
            dims[axis : axis + 1] = [n, reps]
            gx = _sum(_shape.reshape(g, dims), axis + 1)
        if self.axis is None:
            gx = _shape.reshape(gx, _shape.shape(x), ndim=x.ndim)
        return [like(gx, x), None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, inputs[1])]


def segment_index(xp: Namespace, reps: Array, total: int) -> Array:
    """``repeat(arange(len(reps)), reps)`` without a data-dependent ``repeat``:
    position ``j < total`` belongs to the element whose cumulative count first
    exceeds ``j`` (``total`` is ``sum(reps)``, known on the host)."""
    ends = xp.cumulative_sum(reps)
    positions = xp.arange(total, dtype=reps.dtype, device=device(reps))
    return xp.searchsorted(ends, positions, side="right")


def repeat(x: Any, repeats: Any, axis: int | None = None) -> TV:
    """numpy's ``repeat``: ``repeats`` an int (scalar) or an int vector (one
    count per element along ``axis``; data-dependent output length)."""
    x = as_tensor_variable(x)
    a = None if axis is None else _u.normalize_axis(axis, x.ndim, x, "repeat")
    if isinstance(repeats, (list, tuple)):
        repeats = _u.as_int_vector(repeats, f"repeat of {x}")
    elif not isinstance(repeats, TensorVariable):
        repeats = _u.as_int_scalar(repeats, f"repeat of {x}")
    return Repeat(a)(x, repeats)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RepeatSum(Op):
    """The segment sum undoing ``repeat`` with vector repeats:
    ``out[..., i, ...] = sum of g[..., j, ...]`` over the ``repeats[i]``
    consecutive positions ``j`` that element ``i`` was repeated to."""

    axis: int

    def __str__(self) -> str:
        return f"RepeatSum{{axis={self.axis}}}"

    def make_node(self, g: Any, repeats: Any) -> Apply:
        g = as_tensor_variable(g)
        if is_discrete(g.dtype):
            raise TypeError(f"repeat_sum: {g} has dtype {g.dtype}; expected a float or complex")
        reps = _u.as_int_vector(repeats, f"repeat_sum of {g}")
        if not 0 <= self.axis < g.ndim:
            raise ValueError(f"repeat_sum: axis {self.axis} is out of range for {g}")
        shp = list(g.type.shape)
        shp[self.axis] = reps.type.shape[0]
        return Apply(self, [g, reps], [TensorType(g.dtype, shp)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        from refimpl.xpext import scatter_add

        g, reps = inputs
        if int(xp.sum(reps)) != int(g.shape[self.axis]):
            raise ValueError(
                f"repeat_sum: repeats add up to {int(xp.sum(reps))}, but {node.inputs[0]} has "
                f"length {int(g.shape[self.axis])} on axis {self.axis}"
            )
        perm = (self.axis, *[k for k in range(g.ndim) if k != self.axis])
        moved = xp.permute_dims(g, perm)
        rest = tuple(int(n) for n in moved.shape[1:])
        rows = xp.reshape(moved, (int(moved.shape[0]), math.prod(rest)))
        n = int(reps.shape[0])
        index = segment_index(xp, reps, int(rows.shape[0]))
        zero = xp.zeros((n, math.prod(rest)), dtype=g.dtype, device=device(g))
        out = xp.reshape(scatter_add(xp, zero, index, rows), (n, *rest))
        inverse = tuple(perm.index(k) for k in range(g.ndim))
        return (xp.permute_dims(out, inverse),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        dims = list(input_shapes[0])
        dims[self.axis] = input_shapes[1][0]
        return [tuple(dims)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        g, reps = inputs
        gg = like(output_grads[0], g)
        return [None if gg is None else repeat(gg, reps, axis=self.axis), None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, inputs[1])]


from refimpl.ops._manipulation_specs import make_specs  # noqa: E402  (the specs use the ops above)

SPECS = make_specs()
