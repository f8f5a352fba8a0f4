"""Index templates and the build-time rules of indexing (parsing, static shapes).

An index is parsed once, at graph-building time, into a *template*: one entry
per index item after the Ellipsis is expanded and trailing full slices are
appended, so it covers every axis. Entries are Python ints (static integers),
``None`` (new axis), ``Slice`` (bounds: int, ``None`` or ``Sym``), ``Sym`` (a
symbolic integer scalar), ``IntArray`` and ``BoolMask`` (index arrays). Every
non-static entry is an input of the node, in template order. Templates are
frozen dataclasses, so ops built from equal indices compare equal and merge.

The run-time side (key resolution, gather, scatter) is
``refimpl/ops/_index_kernels.py``; the ops are in ``refimpl/ops/subtensor.py``
and ``refimpl/ops/subtensor_advanced.py``. See ``spec/subtensor.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, Literal, NamedTuple, TypeAlias

import numpy as np  # graph building only (numpy keys and values)

from refimpl.graph.basic import Variable
from refimpl.types import (
    DType,
    StaticShape,
    broadcast_static_shapes,
    can_cast,
    format_shape,
    kind,
    scalar_fits,
)
from refimpl.variable import TensorConstant, TensorVariable, as_tensor_variable, constant

TV = TensorVariable

# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class Sym:
    """A symbolic integer scalar: the next index input of the node."""

    dtype: DType = "int64"

    def __str__(self) -> str:
        return self.dtype


Bound: TypeAlias = int | Sym | None


@dataclass(frozen=True)
class Slice:
    """A slice whose bounds are static ints, ``None`` or ``Sym``."""

    start: Bound = None
    stop: Bound = None
    step: Bound = None

    def syms(self) -> list[Sym]:
        return [b for b in (self.start, self.stop, self.step) if isinstance(b, Sym)]

    def is_full(self) -> bool:
        return self.start is None and self.stop is None and self.step in (None, 1)

    def __str__(self) -> str:
        parts = ["" if b is None else str(b) for b in (self.start, self.stop, self.step)]
        return ":".join(parts if self.step is not None else parts[:2])


@dataclass(frozen=True)
class IntArray:
    """An integer index array (an input) of ``ndim`` dimensions."""

    ndim: int
    dtype: DType = "int64"

    def __str__(self) -> str:
        return f"{self.dtype}[{self.ndim}d]"


@dataclass(frozen=True)
class BoolMask:
    """A boolean mask (an input) covering ``ndim`` consecutive axes."""

    ndim: int

    def __str__(self) -> str:
        return f"bool[{self.ndim}d]"


Entry: TypeAlias = int | Sym | Slice | IntArray | BoolMask | None
Template: TypeAlias = tuple[Entry, ...]
IndexInput: TypeAlias = Sym | IntArray | BoolMask


def input_kinds(template: Template) -> list[IndexInput]:
    """The kinds of the index inputs, in input order."""
    out: list[IndexInput] = []
    for e in template:
        if isinstance(e, Slice):
            out.extend(e.syms())
        elif isinstance(e, (Sym, IntArray, BoolMask)):
            out.append(e)
    return out


def index_slots(template: Template) -> dict[int, list[int]]:
    """For each template position, the positions of its inputs among the index inputs."""
    slots: dict[int, list[int]] = {}
    k = 0
    for p, e in enumerate(template):
        n = len(e.syms()) if isinstance(e, Slice) else int(isinstance(e, (Sym, IntArray, BoolMask)))
        slots[p] = list(range(k, k + n))
        k += n
    return slots


def consumed(e: Entry) -> int:
    """How many axes of the indexed tensor ``e`` consumes."""
    if e is None:
        return 0
    return e.ndim if isinstance(e, BoolMask) else 1


def is_advanced(template: Template) -> bool:
    return any(isinstance(e, (IntArray, BoolMask)) for e in template)


def adv_ndim(template: Template) -> int:
    """ndim of the broadcast advanced-index block (a mask counts as 1-d)."""
    return max(
        (
            e.ndim if isinstance(e, IntArray) else 1 if isinstance(e, BoolMask) else 0
            for e in template
            if e is not None and not isinstance(e, Slice)
        ),
        default=0,
    )


def _trimmed(template: Template) -> Template:
    """The template without its trailing full slices (kept for one entry)."""
    end = len(template)
    while end > 1 and isinstance(template[end - 1], Slice) and template[end - 1] == Slice():
        end -= 1
    return template[:end]


def template_str(template: Template) -> str:
    """The index as shown in op names: ``1::2``, ``int64, :``, ``int64[1d]``."""
    return ", ".join("newaxis" if e is None else str(e) for e in _trimmed(template))


def format_index(template: Template, x: str, inputs: Sequence[str]) -> str:
    """The indexing expression as source text, e.g. ``x[1:, k, idx]``, with the
    index inputs shown by ``inputs`` (for printers)."""
    names = iter(inputs)

    def bound(b: Bound) -> str:
        return next(names) if isinstance(b, Sym) else "" if b is None else str(b)

    parts: list[str] = []
    for e in _trimmed(template):
        if isinstance(e, Slice):
            text = f"{bound(e.start)}:{bound(e.stop)}"
            parts.append(text if e.step is None else f"{text}:{bound(e.step)}")
        elif e is None or isinstance(e, int):
            parts.append("None" if e is None else str(e))
        else:
            parts.append(next(names))
    return f"{x}[{', '.join(parts)}]"


class OutDim(NamedTuple):
    """One output axis: a new axis (template position ``pos``), a sliced input
    axis (template position ``pos``, input ``axis``), or axis ``pos`` of the
    broadcast advanced block."""

    kind: Literal["new", "slice", "adv"]
    pos: int
    axis: int


def layout(template: Template) -> list[OutDim]:
    """The output axes of indexing with ``template``, in order. numpy's rule:
    the advanced block takes the place of the advanced entries when they are
    adjacent in the index (a new axis breaks adjacency), else it comes first.
    Integers are advanced entries when the index has arrays."""
    advanced = is_advanced(template)
    dims: list[OutDim] = []
    first: int | None = None
    positions: list[int] = []
    axis = 0
    for p, e in enumerate(template):
        if e is None:
            dims.append(OutDim("new", p, -1))
        elif isinstance(e, Slice):
            dims.append(OutDim("slice", p, axis))
        elif advanced:
            positions.append(p)
            first = len(dims) if first is None else first
        axis += consumed(e)
    if first is None:
        return dims
    block = [OutDim("adv", j, -1) for j in range(adv_ndim(template))]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    return dims[:first] + block + dims[first:] if adjacent else block + dims


# --------------------------------------------------------------------------- parsing


def _as_int(k: object) -> int | None:
    if isinstance(k, (bool, np.bool_)):
        return None
    if isinstance(k, (int, np.integer)):
        return int(k)
    return None


def _parse_bound(b: object, x: TV, inputs: list[TV]) -> Bound:
    if b is None:
        return None
    i = _as_int(b)
    if i is not None:
        return i
    if isinstance(b, TensorVariable) and b.ndim == 0 and kind(b.dtype) in "iu":
        if isinstance(b, TensorConstant):
            return int(b.data)
        inputs.append(b)
        return Sym(b.dtype)
    raise TypeError(
        f"slice bound {b!r} in the index of {x} must be an integer scalar or None "
        f"(got {getattr(b, 'type', type(b).__name__)})"
    )


def _parse_item(k: object, x: TV, inputs: list[TV]) -> Entry:
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(
            f"the boolean scalar index {k!r} on {x} is not supported; index with a boolean mask"
        )
    i = _as_int(k)
    if i is not None:
        return i
    if isinstance(k, (float, complex, str, bytes)):
        raise TypeError(f"index {k!r} of {x} is not an integer, slice, None, Ellipsis or array")
    if isinstance(k, Variable) and not isinstance(k, TensorVariable):
        raise TypeError(f"index {k} of {x} is not a tensor variable (type {k.type})")
    var = as_tensor_variable(k)
    if isinstance(var, TensorConstant) and var.data.size == 0 and kind(var.dtype) == "f":
        var = constant(var.data.astype("int64"))  # x[[]]: numpy's empty index
    if var.dtype == "bool":
        if var.ndim == 0:
            raise TypeError(f"the 0-d boolean index {var} on {x} is not supported")
        inputs.append(var)
        return BoolMask(var.ndim)
    if kind(var.dtype) not in "iu":
        raise TypeError(
            f"index {var} of {x} has dtype {var.dtype}; indices must be integers, slices, "
            "None, Ellipsis, integer arrays or boolean masks"
        )
    if var.ndim == 0:
        if isinstance(var, TensorConstant):
            return int(var.data)
        inputs.append(var)
        return Sym(var.dtype)
    inputs.append(var)
    return IntArray(var.ndim, var.dtype)


def parse_key(x: TV, key: Any) -> tuple[Template, list[TV]]:
    """Parse a Python index into a full template and its index inputs."""
    items = key if isinstance(key, tuple) else (key,)
    entries: list[Entry | EllipsisType] = []
    inputs: list[TV] = []
    for k in items:
        if k is Ellipsis or k is None:
            entries.append(k)
        elif isinstance(k, slice):
            bounds = [_parse_bound(b, x, inputs) for b in (k.start, k.stop, k.step)]
            entries.append(Slice(*bounds))
        else:
            entries.append(_parse_item(k, x, inputs))
    n_ellipsis = sum(e is Ellipsis for e in entries)
    if n_ellipsis > 1:
        raise IndexError(f"an index of {x} can only have a single ellipsis (...)")
    used = sum(consumed(e) for e in entries if not isinstance(e, EllipsisType))
    if used > x.ndim:
        raise IndexError(f"too many indices for {x}: it is {x.ndim}-d but {used} were indexed")
    fill: list[Entry] = [Slice()] * (x.ndim - used)
    template: list[Entry] = []
    for e in entries:
        template.extend(fill if isinstance(e, EllipsisType) else [e])
    if not n_ellipsis:
        template.extend(fill)
    return tuple(template), inputs


# --------------------------------------------------------------------------- type rules


def check_index_inputs(template: Template, x: TV, indices: Sequence[Any]) -> list[TV]:
    """The index inputs as variables, checked against the template's kinds."""
    kinds = input_kinds(template)
    if len(indices) != len(kinds):
        raise TypeError(f"indexing {x}: expected {len(kinds)} index inputs, got {len(indices)}")
    out: list[TV] = []
    for k, v in zip(kinds, indices):
        var = as_tensor_variable(v)
        want: tuple[str, int] = ("bool", k.ndim) if isinstance(k, BoolMask) else (k.dtype, 0)
        if isinstance(k, IntArray):
            want = (k.dtype, k.ndim)
        if (var.dtype, var.ndim) != want:
            raise TypeError(
                f"index {var} of {x}: expected a {want[1]}-d {want[0]} tensor, got {var.type}"
            )
        out.append(var)
    return out


def _static_slice_len(s: Slice, n: int | None) -> int | None:
    if s.step == 0:
        raise ValueError(f"slice step cannot be zero ({s})")
    if s.is_full():
        return n
    if n is None or s.syms():
        return None
    return len(range(*slice(s.start, s.stop, s.step).indices(n)))


def _index_shapes(template: Template, x: TV, indices: Sequence[TV]) -> list[StaticShape]:
    """Static shapes of the advanced indices (a mask as a 1-d index of unknown
    length), checking static ints and mask shapes against ``x``."""
    shapes: list[StaticShape] = []
    it = iter(indices)
    axis = 0
    for e in template:
        n = x.type.shape[axis] if e is not None and axis < x.ndim else None
        if isinstance(e, Slice):
            for _ in e.syms():
                next(it)
        elif isinstance(e, int):
            if n is not None and not -n <= e < n:
                raise IndexError(f"index {e} is out of bounds for axis {axis} of {x} (length {n})")
            shapes.append(())
        elif isinstance(e, Sym):
            shapes.append(next(it).type.shape)
        elif isinstance(e, IntArray):
            shapes.append(next(it).type.shape)
        elif isinstance(e, BoolMask):
            mask = next(it)
            _check_mask_static(mask, x, axis)
            shapes.append((None,))
        axis += consumed(e)
    return shapes


def _check_mask_static(mask: TV, x: TV, axis: int) -> None:
    for j, m in enumerate(mask.type.shape):
        n = x.type.shape[axis + j]
        if m is not None and n is not None and m != n:
            raise IndexError(
                f"boolean index {mask} of shape {format_shape(mask.type.shape)} does not match "
                f"{x} of shape {format_shape(x.type.shape)} at axis {axis + j}"
            )


def static_shape(template: Template, x: TV, indices: Sequence[TV]) -> StaticShape:
    """The static output shape of ``x[template]``."""
    shapes = _index_shapes(template, x, indices)
    block: StaticShape = ()
    if is_advanced(template):
        try:
            block = broadcast_static_shapes(shapes)
        except ValueError as exc:
            names = ", ".join(str(v) for v in indices)
            msg = f"indexing {x}: the index arrays {names} cannot be broadcast together ({exc})"
            raise IndexError(msg) from None
    out: list[int | None] = []
    for d in layout(template):
        if d.kind == "new":
            out.append(1)
        elif d.kind == "adv":
            out.append(block[d.pos])
        else:
            s = template[d.pos]
            assert isinstance(s, Slice)
            out.append(_static_slice_len(s, x.type.shape[d.axis]))
    return tuple(out)


# --------------------------------------------------------------------------- values of y


def as_value(y: Any, x: TV, what: str) -> TV:
    """``y`` as a tensor of ``x``'s dtype: Python scalars (and lists of them)
    are weak; numpy arrays convert when their values fit exactly; symbolic
    tensors only when the cast is lossless. ``TypeError`` naming ``y`` otherwise."""
    if isinstance(y, (bool, int, float, complex)) or (
        isinstance(y, (list, tuple)) and all(_is_py_scalar(v) for v in _flat(y))
    ):
        values = list(_flat(y)) if isinstance(y, (list, tuple)) else [y]
        bad = [v for v in values if not scalar_fits(v, x.dtype)]
        if bad:
            raise TypeError(f"{what}: the value {bad[0]!r} does not fit {x}'s dtype {x.dtype}")
        return constant(np.asarray(y, dtype=x.dtype))
    if not isinstance(y, Variable):
        try:
            return constant(y, dtype=x.dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            msg = f"{what}: the value {y!r} cannot be converted to {x.dtype} without loss ({exc})"
            raise TypeError(msg) from None
    var = as_tensor_variable(y)
    if var.dtype == x.dtype:
        return var
    if not can_cast(var.dtype, x.dtype):
        raise TypeError(
            f"{what}: the value {var} has dtype {var.dtype}, which does not convert to {x}'s "
            f"dtype {x.dtype} without loss; cast it explicitly (T.cast({var}, '{x.dtype}'))"
        )
    from refimpl.ops import math as _math

    return _math.cast(var, x.dtype)


def _is_py_scalar(v: object) -> bool:
    return isinstance(v, (bool, int, float, complex))


def _flat(y: Any) -> list[Any]:
    if isinstance(y, (list, tuple)):
        return [v for e in y for v in _flat(e)]
    return [y]


def check_value_static(y: TV, region: StaticShape, x: TV, what: str) -> None:
    """``y`` must broadcast to the indexed region by the static rule."""
    if y.ndim > len(region):
        raise ValueError(
            f"{what}: the value {y} is {y.ndim}-d but the indexed region of {x} is "
            f"{len(region)}-d ({format_shape(region)})"
        )
    for m, n in zip(reversed(y.type.shape), reversed(region)):
        if m is not None and n is not None and m not in (1, n):
            raise ValueError(
                f"{what}: the value {y} of shape {format_shape(y.type.shape)} does not "
                f"broadcast to the indexed region of {x}, of shape {format_shape(region)}"
            )
