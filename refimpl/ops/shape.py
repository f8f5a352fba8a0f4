"""Shape ops: ``Shape``, ``Shape_i``, ``SpecifyShape``, ``MakeVector``,
``Reshape`` and ``Flatten``, with ``shape``, ``shape_i``, ``specify_shape``,
``make_vector``, ``reshape`` and ``flatten``. See ``spec/shape.md``.

This module is also the family's front door: the axis ops of
``refimpl.ops.axes`` (``dimshuffle``, ``transpose``, ``shape_padleft`` ...)
are re-exported here, so sibling families can write ``_shape.dimshuffle``.
Joining/splitting/tiling/repeating live in ``refimpl.ops.manipulation``,
zeros/alloc/eye/arange in ``refimpl.ops.creation``, diagonals in
``refimpl.ops.diagonal``.

Static shapes are followed wherever they are knowable: a reshape to a
constant, to a ``MakeVector`` of constants or to another variable's
``Shape`` has a static output shape.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op
from refimpl.ops._shape_util import (
    TV,
    Grads,
    Shapes,
    T,
    Vars,
    as_int_scalar,
    as_int_vector,
    ins,
    int64_array,
    like,
    normalize_axis,
    prod,
    scalar_constant,
    static_int,
    static_vector,
    to_ints,
    vector_entries,
)
from refimpl.ops.axes import (
    DimShuffle,
    Rebroadcast,
    addbroadcast,
    dimshuffle,
    expand_dims,
    patternbroadcast,
    shape_padaxis,
    shape_padleft,
    shape_padright,
    squeeze,
    swapaxes,
    transpose,
    unbroadcast,
)
from refimpl.types import DType, TensorType, can_cast, format_shape, is_discrete
from refimpl.variable import TensorVariable, as_tensor_variable, constant

__all__ = [
    "DimShuffle", "Flatten", "MakeVector", "Rebroadcast", "Reshape", "SPECS", "Shape", "ShapeI",
    "SpecifyShape", "addbroadcast", "dimshuffle", "expand_dims", "flatten", "make_vector",
    "patternbroadcast", "reshape", "shape", "shape_i", "shape_padaxis", "shape_padleft",
    "shape_padright", "specify_shape", "squeeze", "swapaxes", "transpose", "unbroadcast",
]  # fmt: skip

# --------------------------------------------------------------------------- Shape, Shape_i


@dataclass(frozen=True)
class Shape(Op):
    """``shape(x)``: the int64 vector of ``x``'s lengths (length ``x.ndim``)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        return (int64_array(xp, [int(n) for n in x.shape], x),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [(constant(ins(node)[0].ndim, dtype="int64"),)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        return [None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


@dataclass(frozen=True)
class ShapeI(Op):
    """``shape_i(x, i)``: the length of axis ``i`` of ``x`` as an int64 scalar."""

    i: int

    def __str__(self) -> str:
        return f"Shape_i{{{self.i}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"shape_i: axis {self.i} is out of range for {x} ({x.ndim}-d)")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        return (int64_array(xp, int(x.shape[self.i]), x),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        return [None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


def shape(x: Any) -> TV:
    """The symbolic shape of ``x``: an int64 vector of length ``x.ndim``."""
    return Shape()(x)  # type: ignore[no-any-return]


def shape_i(x: Any, i: int) -> TV:
    """The length of axis ``i`` of ``x`` (an int64 scalar); a constant when
    the static length is known."""
    x = as_tensor_variable(x)
    i = normalize_axis(i, x.ndim, x, "shape_i")
    n = x.type.shape[i]
    if n is not None:
        return constant(n, dtype="int64")
    return ShapeI(i)(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- SpecifyShape


@dataclass(frozen=True)
class SpecifyShape(Op):
    """``specify_shape(x, shape)``: ``x``, checked at run time to have the
    given lengths; constant lengths become static. ``given[k]`` says whether
    axis ``k`` has a length input (inputs: ``x`` then one int64 scalar per
    given axis)."""

    given: tuple[bool, ...]
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def make_node(self, x: Any, *dims: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != len(self.given):
            raise ValueError(
                f"specify_shape: {x} has {x.ndim} dimensions but the shape has {len(self.given)}"
            )
        if len(dims) != sum(self.given):
            raise TypeError(f"specify_shape: expected {sum(self.given)} lengths, got {len(dims)}")
        ints = [as_int_scalar(d, f"specify_shape of {x}") for d in dims]
        it = iter(ints)
        out: list[int | None] = []
        for k, (g, n) in enumerate(zip(self.given, x.type.shape)):
            s = static_int(next(it)) if g else None
            if s is not None and n is not None and s != n:
                raise ValueError(f"specify_shape: {x} has static length {n} on axis {k}, not {s}")
            out.append(n if s is None else s)
        return Apply(self, [x, *ints], [TensorType(x.dtype, out)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, *dims = inputs
        axes = [k for k, g in enumerate(self.given) if g]
        for k, d in zip(axes, dims):
            if int(x.shape[k]) != int(d):
                raise ValueError(
                    f"specify_shape: {node.inputs[0]} has shape {tuple(x.shape)}; "
                    f"expected length {int(d)} on axis {k}"
                )
        return (x,)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        dims = iter(node.inputs[1:])
        return [
            tuple(next(dims) if g else s for g, s in zip(self.given, input_shapes[0]))  # type: ignore[misc]
        ]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        return [like(output_grads[0], inputs[0]), *[None] * (len(inputs) - 1)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, *inputs[1:])]


def specify_shape(x: Any, shape: Any) -> TV:
    """``x`` with its shape asserted (checked at run time). ``shape`` is a
    sequence of ints, ``None`` (unchecked) and int scalars, or an int vector
    of static length."""
    x = as_tensor_variable(x)
    if isinstance(shape, TensorVariable):
        shape = vector_entries(as_int_vector(shape, f"specify_shape of {x}"))
    entries = list(shape)
    given = tuple(e is not None for e in entries)
    return SpecifyShape(given)(x, *[e for e in entries if e is not None])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- MakeVector


@dataclass(frozen=True)
class MakeVector(Op):
    """``make_vector(a, b, ...)``: a vector of 0-d tensors (all cast losslessly
    to ``dtype``)."""

    dtype: DType

    def __str__(self) -> str:
        return f"MakeVector{{dtype='{self.dtype}'}}"

    def make_node(self, *inputs: Any) -> Apply:
        from refimpl.ops.elemwise import resolve_weak_inputs

        tensors = resolve_weak_inputs(inputs, "make_vector") if inputs else []
        for t in tensors:
            if t.ndim != 0:
                raise TypeError(f"make_vector: {t} is {t.ndim}-d; only scalars can be stacked")
            if not can_cast(t.dtype, self.dtype):
                raise TypeError(f"make_vector: {t} of dtype {t.dtype} does not fit {self.dtype}")
        return Apply(self, tensors, [TensorType(self.dtype, (len(tensors),))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dt = getattr(xp, self.dtype)
        if not inputs:
            return (xp.asarray([], dtype=dt),)
        pairs = zip(ins(node), inputs)
        parts = [a if v.dtype == self.dtype else xp.astype(a, dt) for v, a in pairs]
        return (xp.stack(parts),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [(constant(len(node.inputs), dtype="int64"),)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        if all(is_discrete(i.dtype) for i in inputs) or is_discrete(self.dtype):
            return [None] * len(inputs)
        from refimpl.ops import manipulation

        parts = manipulation.split(output_grads[0], [1] * len(inputs), len(inputs))
        return [like(dimshuffle(p, ()), i) for p, i in zip(parts, inputs)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        if all(e is None for e in eval_points) or is_discrete(self.dtype):
            return [None]
        zero = scalar_constant(0, self.dtype)
        return [self(*[zero if e is None else e for e in eval_points])]


def make_vector(*scalars: Any, dtype: DType | str | None = None) -> TV:
    """A vector of the given scalars (Python numbers or 0-d tensors); the dtype
    is their common dtype unless given."""
    from refimpl.ops.elemwise import resolve_weak_inputs
    from refimpl.types import as_dtype, promote_types

    tensors = resolve_weak_inputs(scalars, "make_vector") if scalars else []
    if dtype is None:
        dt = promote_types(*(t.dtype for t in tensors)) if tensors else "int64"
    else:
        dt = as_dtype(dtype, "make_vector dtype")
    return MakeVector(dt)(*tensors)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Reshape


def _reshape_static(x: TV, entries: tuple[int | None, ...] | None, nd: int) -> list[int | None]:
    """The static output shape of ``reshape(x, entries)``; errors name ``x``."""
    ent = list(entries) if entries is not None else [None] * nd
    if len(ent) != nd:
        raise ValueError(f"reshape of {x}: the shape has {len(ent)} entries, but ndim={nd}")
    if any(e is not None and e < -1 for e in ent):
        raise ValueError(f"reshape of {x}: invalid target shape {format_shape(tuple(ent))}")
    if sum(e == -1 for e in ent) > 1:
        raise ValueError(f"reshape of {x}: at most one entry of the shape may be -1, got {ent}")
    size = None if None in x.type.shape else math.prod(x.type.shape)  # type: ignore[arg-type]
    open_axes = [k for k, e in enumerate(ent) if e is None or e == -1]
    out = [None if e == -1 else e for e in ent]
    if size is not None and len(open_axes) == 1:
        rest = math.prod(e for e in ent if e is not None and e >= 0)
        if rest > 0:
            if size % rest:
                raise ValueError(
                    f"reshape of {x}: cannot reshape static shape {format_shape(x.type.shape)} "
                    f"into {format_shape(tuple(ent))}"
                )
            out[open_axes[0]] = size // rest
    elif size is not None and not open_axes and math.prod(ent) != size:  # type: ignore[arg-type]
        raise ValueError(
            f"reshape of {x}: cannot reshape static shape {format_shape(x.type.shape)} "
            f"into {format_shape(tuple(ent))}"
        )
    return out


@dataclass(frozen=True)
class Reshape(Op):
    """``reshape(x, shape)`` to ``ndim`` dimensions; ``shape`` is an int64
    vector in which one entry may be -1."""

    ndim: int
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = as_int_vector(shp, f"reshape of {x}")
        n = shp.type.shape[0]
        if n is not None and n != self.ndim:
            raise ValueError(f"reshape of {x}: the shape has {n} entries, but ndim={self.ndim}")
        out = _reshape_static(x, static_vector(shp), self.ndim)
        return Apply(self, [x, shp], [TensorType(x.dtype, out)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, shp = inputs
        target = list(to_ints(shp)) if shp.ndim else []
        src = tuple(int(n) for n in x.shape)
        bad = len(target) != self.ndim or any(e < -1 for e in target)
        if not bad and target.count(-1) <= 1:
            rest = math.prod(e for e in target if e != -1)
            if -1 in target and rest > 0 and math.prod(src) % rest == 0:
                target[target.index(-1)] = math.prod(src) // rest
            bad = -1 in target or math.prod(target) != math.prod(src)
        else:
            bad = True
        if bad:
            raise ValueError(
                f"reshape: cannot reshape {node.inputs[0]} of shape {src} into {to_ints(shp)}"
            )
        return (xp.reshape(x, tuple(target)),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        out_type = node.outputs[0].type
        if None not in out_type.shape:
            return [tuple(constant(n, dtype="int64") for n in out_type.shape)]
        entries = vector_entries(ins(node)[1], self.ndim)
        size = prod(input_shapes[0])
        rest = prod(entries)  # -1 for the free entry, so size // -rest is its length
        t = T()
        # a 0 entry makes rest 0: then the free length is undefined (perform raises), and
        # the division, built eagerly for switch, must not divide by zero
        free = t.int_div(size, t.maximum(-rest, 1))
        result: list[TV] = []
        for k, e in enumerate(entries):
            if out_type.shape[k] is not None:
                result.append(constant(out_type.shape[k], dtype="int64"))
            elif static_int(e) == -1:
                result.append(free)
            elif static_int(e) is not None:
                result.append(e)
            else:
                result.append(t.switch(t.eq(e, -1), free, e))
        return [tuple(result)]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = like(output_grads[0], x)
        return [None if g is None else reshape(g, shape(x), ndim=x.ndim), None]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev, inputs[1])]


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> TV:
    """``x`` with shape ``newshape``: a sequence of ints / int scalars (one may
    be -1) or an int vector; ``ndim`` is required when the vector's length is
    not static."""
    x = as_tensor_variable(x)
    if not isinstance(newshape, (list, tuple)) and getattr(newshape, "ndim", 0) == 0:
        newshape = [newshape]  # a single length: an int, a numpy integer, an int scalar
    shp = as_int_vector(newshape, f"reshape of {x}")
    n = shp.type.shape[0]
    if ndim is None:
        if n is None:
            raise ValueError(
                f"reshape of {x}: the length of the new shape {shp} is not known statically; "
                "pass ndim="
            )
        ndim = n
    return Reshape(operator.index(ndim))(x, shp)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Flatten


@dataclass(frozen=True)
class Flatten(Op):
    """``flatten(x, ndim)``: keep the first ``ndim - 1`` axes, merge the rest."""

    ndim: int = 1
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return f"Flatten{{{self.ndim}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not (self.ndim == 1 or 1 <= self.ndim <= x.ndim):
            raise ValueError(f"flatten: ndim={self.ndim} must be in [1, {x.ndim}] for {x}")
        keep = x.type.shape[: self.ndim - 1]
        tail = x.type.shape[self.ndim - 1 :]
        last = None if None in tail else math.prod(n for n in tail if n is not None)
        return Apply(self, [x], [TensorType(x.dtype, (*keep, last))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        dims = tuple(int(n) for n in x.shape)
        k = self.ndim - 1
        return (xp.reshape(x, (*dims[:k], math.prod(dims[k:]))),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        dims = input_shapes[0]
        k = self.ndim - 1
        return [(*dims[:k], prod(dims[k:]))]

    def L_op(self, inputs: Vars, outputs: Vars, output_grads: Vars) -> Grads:
        x = inputs[0]
        g = like(output_grads[0], x)
        return [None if g is None else reshape(g, shape(x), ndim=x.ndim)]

    def R_op(self, inputs: Vars, eval_points: Sequence[TV | None]) -> list[TV | None]:
        ev = eval_points[0]
        return [None if ev is None else self(ev)]


def flatten(x: Any, ndim: int = 1, outdim: int | None = None) -> TV:
    """Theano's ``flatten``: keep the first ``ndim - 1`` axes and merge the
    rest (``outdim`` is the old name of ``ndim``)."""
    return Flatten(operator.index(ndim if outdim is None else outdim))(x)  # type: ignore[no-any-return]


from refimpl.ops._shape_specs import make_specs  # noqa: E402  (the specs use the ops above)

SPECS = make_specs()
