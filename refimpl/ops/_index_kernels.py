"""Run-time kernels of indexing: key resolution, gather and scatter.

``resolve_key`` turns a template (``refimpl/ops/_indexing.py``) and the index
values into a concrete key: integers range-checked and wrapped, slices
normalised to bounds every namespace accepts, masks expanded with
``nonzero``, index arrays broadcast (by the static rule). ``gather`` indexes
with it portably: basic ``__getitem__`` for ints and slices, then the
advanced block linearised into one row index and gathered with one ``take``
(the array API's integer-array ``__getitem__`` is too limited: notes §1).
``scatter`` builds ``x`` with the indexed region set or incremented: copy and
``__setitem__`` for basic keys on mutable namespaces, otherwise
``refimpl.xpext.scatter_add``/``scatter_set`` on the flat positions of the
region (repeated indices accumulate / the last write wins). Only the array API
through ``xp`` is used; nothing mutates an input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from array_api_compat import device

from refimpl import xpext
from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply
from refimpl.ops._indexing import (
    BoolMask,
    IntArray,
    OutDim,
    Slice,
    Sym,
    Template,
    consumed,
    index_slots,
    is_advanced,
)

# --------------------------------------------------------------------------- keys


@dataclass
class Key:
    """A concrete key. Basic templates: ``basic`` is the key in template
    order (ints, slices, None). Advanced templates: ``basic`` has one slice
    per input axis (full on advanced axes) and ``adv`` the broadcast, wrapped
    int64 index array of each advanced axis."""

    basic: tuple[Any, ...]
    adv: list[tuple[int, Array]]


def normalise_slice(s: slice, n: int, what: str) -> slice:
    """An equivalent slice whose bounds are in range (array_api_strict rejects
    out-of-range bounds; the standard leaves them unspecified)."""
    if s.step == 0:
        raise ValueError(f"{what}: slice step cannot be zero")
    start, stop, step = s.indices(n)
    if len(range(start, stop, step)) == 0:
        return slice(0, 0, 1)
    return slice(start, None if stop < 0 else stop, step)


def slice_values(s: Slice, values: Iterator[Any]) -> slice:
    """The Python slice of ``s`` with its symbolic bounds taken from ``values``."""
    bounds = [int(next(values)) if isinstance(b, Sym) else b for b in (s.start, s.stop, s.step)]
    return slice(*bounds)


def resolve_key(
    xp: Namespace, node: Apply, x: Array, template: Template, args: Sequence[Array], first: int
) -> Key:
    """The concrete key for ``x`` (``node.inputs[0]``) indexed by ``template``
    with index values ``args`` (``node.inputs[first:]``)."""
    advanced = is_advanced(template)
    slots = index_slots(template)
    basic: list[Any] = []
    adv: list[tuple[int, Array]] = []
    axis = 0
    for p, e in enumerate(template):
        if e is None:
            basic.extend([] if advanced else [None])
            continue
        vals = [args[j] for j in slots[p]]
        names = [node.inputs[first + j] for j in slots[p]]
        n = int(x.shape[axis])
        if isinstance(e, Slice):
            basic.append(normalise_slice(slice_values(e, iter(vals)), n, str(node.op)))
        elif isinstance(e, BoolMask):
            arrays = _mask_indices(xp, vals[0], x, axis, node, names[0])
            adv.extend((axis + j, a) for j, a in enumerate(arrays))
            basic.extend([slice(None)] * e.ndim)
        elif isinstance(e, IntArray):
            adv.append((axis, _checked_array(xp, vals[0], n, axis, node, names[0])))
            basic.append(slice(None))
        else:
            i = _checked_int(e if isinstance(e, int) else int(vals[0]), n, axis, node, names)
            if advanced:
                adv.append((axis, xp.asarray(i, dtype=xp.int64, device=device(x))))
            basic.append(slice(None) if advanced else i)
        axis += consumed(e)
    if adv:
        adv = _broadcast_indices(xp, node, template, first, adv)
    return Key(tuple(basic), adv)


def _checked_int(i: int, n: int, axis: int, node: Apply, names: Sequence[Any]) -> int:
    if not -n <= i < n:
        via = f" (the index {names[0]})" if names else ""
        raise IndexError(
            f"index {i}{via} is out of bounds for axis {axis} of {node.inputs[0]} with length {n}"
        )
    return i + n if i < 0 else i


def _checked_array(xp: Namespace, a: Array, n: int, axis: int, node: Apply, name: Any) -> Array:
    a = xp.astype(a, xp.int64)
    if math.prod(a.shape) > 0:
        lo, hi = int(xp.min(a)), int(xp.max(a))
        if lo < -n or hi >= n:
            raise IndexError(
                f"index {hi if hi >= n else lo} in {name} is out of bounds for axis {axis} "
                f"of {node.inputs[0]} with length {n}"
            )
    return xp.where(a < 0, a + n, a)


def _mask_indices(
    xp: Namespace, mask: Array, x: Array, axis: int, node: Apply, name: Any
) -> list[Array]:
    covered = tuple(x.shape[axis : axis + mask.ndim])
    if tuple(mask.shape) != covered:
        raise IndexError(
            f"boolean index {name} of shape {tuple(mask.shape)} does not match axes "
            f"{axis}..{axis + mask.ndim - 1} of {node.inputs[0]}, of shape {tuple(x.shape)}"
        )
    return [xp.astype(a, xp.int64) for a in xp.nonzero(mask)]


def _broadcast_indices(
    xp: Namespace, node: Apply, template: Template, first: int, adv: list[tuple[int, Array]]
) -> list[tuple[int, Array]]:
    """Broadcast the advanced indices; an index axis of unknown static length
    must have the broadcast length (only static-1 axes broadcast)."""
    arrays = [a for _, a in adv]
    try:
        out = xp.broadcast_arrays(*arrays)
    except (ValueError, RuntimeError) as exc:
        shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
        names = ", ".join(str(v) for v in node.inputs[first:])
        raise IndexError(
            f"indexing {node.inputs[0]}: the indices {names} (as index arrays of shapes "
            f"{shapes}) cannot be broadcast together"
        ) from exc
    shape = tuple(out[0].shape)
    slots = index_slots(template)
    for p, e in enumerate(template):
        if not isinstance(e, IntArray):
            continue
        var = node.inputs[first + slots[p][0]]
        runtime = _runtime_shape(adv, template, p)
        for ax, static in enumerate(var.type.shape):
            want = shape[len(shape) - e.ndim + ax]
            if static is None and int(runtime[ax]) != int(want):
                raise ValueError(
                    f"indexing {node.inputs[0]}: the index {var} has length {runtime[ax]} on "
                    f"axis {ax} but the indices broadcast to {want}; an axis broadcasts only "
                    "when its static length is 1"
                )
    return [(axis, a) for (axis, _), a in zip(adv, out)]


def _runtime_shape(adv: list[tuple[int, Array]], template: Template, pos: int) -> tuple[int, ...]:
    """Shape of the index array of template position ``pos`` in ``adv``."""
    k = 0
    for p, e in enumerate(template):
        if p == pos:
            return tuple(adv[k][1].shape)
        if isinstance(e, BoolMask):
            k += e.ndim
        elif e is not None and not isinstance(e, Slice):
            k += 1
    raise AssertionError("template position without an index array")


# --------------------------------------------------------------------------- gather


def gather(xp: Namespace, x: Array, key: Key, lay: Sequence[OutDim]) -> Array:
    """``x[key]`` as a new array (never a view of ``x``)."""
    y = x[key.basic]
    if not key.adv:
        return xp.asarray(y, copy=True)
    return _arrange(xp, _take_block(xp, y, key.adv), lay)


def _take_block(xp: Namespace, y: Array, adv: list[tuple[int, Array]]) -> Array:
    """Gather the advanced axes: move them first, linearise the broadcast
    indices into one row index, ``take`` rows; result ``block + rest`` axes."""
    axes = [a for a, _ in adv]
    rest = [a for a in range(y.ndim) if a not in axes]
    sizes = [int(y.shape[a]) for a in axes]
    rest_shape = tuple(int(y.shape[a]) for a in rest)
    lin = adv[0][1]
    for (_, arr), n in zip(adv[1:], sizes[1:]):
        lin = lin * n + arr
    moved = xp.permute_dims(y, tuple(axes + rest))
    rows = xp.reshape(moved, (math.prod(sizes), *rest_shape))
    out = xp.take(rows, xp.reshape(lin, (-1,)), axis=0)
    return xp.reshape(out, (*lin.shape, *rest_shape))


def _arrange(xp: Namespace, g: Array, lay: Sequence[OutDim]) -> Array:
    """Put the ``block + slices`` axes of ``g`` in layout order, with new axes."""
    nb = sum(d.kind == "adv" for d in lay)
    order: list[int] = []
    r = 0
    for d in lay:
        if d.kind == "adv":
            order.append(d.pos)
        elif d.kind == "slice":
            order.append(nb + r)
            r += 1
    if order != sorted(order):
        g = xp.permute_dims(g, tuple(order))
    if len(order) != len(lay):
        dims = iter(g.shape)
        g = xp.reshape(g, tuple(1 if d.kind == "new" else int(next(dims)) for d in lay))
    return g


# --------------------------------------------------------------------------- scatter


def check_value(node: Apply, y: Array, region: Sequence[int]) -> None:
    """``y`` (``node.inputs[1]``) must broadcast to ``region`` by the static
    rule: an axis of ``y`` stretches only where its static length is 1."""
    var = node.inputs[1]
    for ax in range(1, y.ndim + 1):
        if var.type.shape[-ax] != 1 and int(y.shape[-ax]) != int(region[-ax]):
            raise ValueError(
                f"{node.op}: the value {var} has shape {tuple(y.shape)} but the indexed region "
                f"of {node.inputs[0]} has shape {tuple(region)}; only axes of static length 1 "
                "broadcast"
            )


def scatter(
    xp: Namespace, node: Apply, x: Array, key: Key, lay: Sequence[OutDim], y: Array, set_: bool
) -> Array:
    """A new array: ``x`` with ``x[key]`` set to (``set_``) or incremented by ``y``.

    Basic keys on a mutable namespace: copy, then ``__setitem__``. Otherwise
    (advanced keys, immutable or lazy arrays): gather the flat positions of
    the region from ``arange(x.size)`` with the same key, then
    ``xpext.scatter_add`` (repeated positions accumulate) or
    ``xpext.scatter_set`` (the last occurrence wins) on the flattened ``x``.
    """
    out = xp.asarray(x, copy=True) if not key.adv else x
    if not key.adv and xpext.is_mutable(xp, out):
        axes_key = tuple(k for k in key.basic if k is not None)
        target = out[axes_key]
        dims = iter(target.shape)
        region = tuple(
            1 if k is None else int(next(dims)) for k in key.basic if not isinstance(k, int)
        )
        check_value(node, y, region)
        vals = xp.reshape(xp.broadcast_to(y, region), tuple(target.shape))
        out[axes_key] = vals if set_ else target + vals
        return out
    n = math.prod(x.shape)
    pos = gather(xp, _flat_ids(xp, x, n), key, lay)
    check_value(node, y, pos.shape)
    vals = xp.reshape(xp.broadcast_to(y, tuple(pos.shape)), (-1,))
    fn = xpext.scatter_set if set_ else xpext.scatter_add
    flat = fn(xp, xp.reshape(x, (n,)), xp.reshape(pos, (-1,)), vals)  # returns a new array
    return xp.reshape(flat, tuple(x.shape))


def _flat_ids(xp: Namespace, x: Array, n: int) -> Array:
    """``arange(x.size)`` shaped like ``x``: each element's flat position."""
    return xp.reshape(xp.arange(n, dtype=xp.int64, device=device(x)), tuple(x.shape))


def last_write_mask(xp: Namespace, x: Array, key: Key, lay: Sequence[OutDim]) -> Array:
    """Boolean array of the region's shape: True where that element of the
    region is the last write to its position of ``x`` (False where a later
    repeated index overwrites it)."""
    n = math.prod(x.shape)
    pos = gather(xp, _flat_ids(xp, x, n), key, lay)
    flat = xp.reshape(pos, (-1,))
    dev = device(x)
    order = xp.arange(flat.shape[0], dtype=xp.int64, device=dev)
    winner = xpext.scatter_set(xp, xp.full((n,), -1, dtype=xp.int64, device=dev), flat, order)
    return xp.reshape(xp.take(winner, flat) == order, tuple(pos.shape))
