"""Row scatter with well-defined repeated-index semantics, and row gather.

The array API standard leaves assignment through repeated integer indices
unspecified (``x[i] += v`` is last-write-wins on numpy, torch and dask and
accumulates on jax; array_api_strict rejects integer-array ``__setitem__``).
These functions define it:

* ``scatter_add``: repeated indices ACCUMULATE.
* ``scatter_set``: for repeated indices the LAST occurrence wins.

Both return a new array and never mutate their inputs. The portable composite
sorts the index (stable ``argsort``), runs a segmented log-step inclusive scan
over the sorted rows (scatter_add only), locates each target row's segment with
``searchsorted`` and selects with ``take``/``where``. It uses no ``__setitem__``
and has static shapes, so it runs under ``jax.jit`` and stays lazy on dask.
"""

from __future__ import annotations

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.xpext._dispatch import FunctionName, native_impl


def _validate(xp: Namespace, x: Array, index: Array, values: Array, name: str) -> Array:
    """Check the arguments; return ``values`` broadcast to ``(m,) + x.shape[1:]``."""
    if x.ndim < 1:
        raise ValueError(f"{name}: x must have at least one axis, got a 0-d array")
    if index.ndim != 1 or not xp.isdtype(index.dtype, "integral"):
        raise TypeError(
            f"{name}: index must be a 1-D integer array, got ndim={index.ndim}, dtype={index.dtype}"
        )
    if values.dtype != x.dtype:
        raise TypeError(f"{name}: values dtype {values.dtype} differs from x dtype {x.dtype}")
    return xp.broadcast_to(values, (index.shape[0], *x.shape[1:]))


def _zero(xp: Namespace, like: Array) -> Array:
    """A 0-d zero of ``like``'s dtype and device."""
    return xp.zeros((), dtype=like.dtype, device=device(like))


def _sorted_segments(
    xp: Namespace, x: Array, index: Array, values: Array
) -> tuple[Array, Array, Array, Array]:
    """Sort rows by target index; locate each target row's segment.

    Returns ``(sorted_index, sorted_values, lo, hi)`` where rows ``lo[t]:hi[t]``
    of the sorted arrays target row ``t`` of x (empty when ``lo == hi``). The
    sort is stable, so within a segment rows keep their original order.
    Negative indices are wrapped once (``i + n``); indices still outside
    ``[0, n)`` match no row and are dropped.
    """
    n = x.shape[0]
    wrapped = xp.where(index < 0, index + n, index)
    order = xp.argsort(wrapped, stable=True)
    sorted_index = xp.take(wrapped, order)
    sorted_values = xp.take(values, order, axis=0)
    rows = xp.arange(n, dtype=wrapped.dtype, device=device(x))
    lo = xp.searchsorted(sorted_index, rows, side="left")
    hi = xp.searchsorted(sorted_index, rows, side="right")
    return sorted_index, sorted_values, lo, hi


def _segmented_scan(xp: Namespace, keys: Array, values: Array) -> Array:
    """Inclusive prefix sum of ``values`` along axis 0 within runs of equal ``keys``.

    Hillis-Steele log-step scan: after the step with offset ``d``, row ``i``
    holds the sum of rows ``(i - 2d, i]`` of its run (keys are sorted, so
    ``keys[i - d] == keys[i]`` means the whole stretch is in the run). Summation
    is pairwise, so the rounding error grows like ``log2(run length)``.
    """
    m = keys.shape[0]
    trail = (1,) * (values.ndim - 1)
    zero = _zero(xp, values)
    d = 1
    while d < m:
        same = xp.reshape(keys[d:] == keys[:-d], (m - d, *trail))
        carried = xp.where(same, values[:-d, ...], zero)
        values = xp.concat([values[:d, ...], values[d:, ...] + carried], axis=0)
        d *= 2
    return values


def _last_of_segment(xp: Namespace, rows: Array, lo: Array, hi: Array) -> tuple[Array, Array]:
    """``(rows[hi - 1], hi > lo)``, the mask reshaped to broadcast against rows."""
    m = rows.shape[0]
    last = xp.take(rows, xp.clip(hi - 1, 0, m - 1), axis=0)
    hit = xp.reshape(hi > lo, (lo.shape[0],) + (1,) * (rows.ndim - 1))
    return last, hit


def _composite_scatter_add(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """Portable ``scatter_add`` (sort + segmented scan + searchsorted); see module doc."""
    if index.shape[0] == 0 or x.shape[0] == 0:
        return xp.asarray(x, copy=True)
    keys, sorted_values, lo, hi = _sorted_segments(xp, x, index, values)
    sums = _segmented_scan(xp, keys, sorted_values)
    last, hit = _last_of_segment(xp, sums, lo, hi)
    return xp.where(hit, x + last, x)


def _composite_scatter_set(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """Portable ``scatter_set``: the stable sort puts each index's last occurrence
    at the end of its segment, which is then selected with ``take``/``where``."""
    if index.shape[0] == 0 or x.shape[0] == 0:
        return xp.asarray(x, copy=True)
    _, sorted_values, lo, hi = _sorted_segments(xp, x, index, values)
    last, hit = _last_of_segment(xp, sorted_values, lo, hi)
    return xp.where(hit, last, x)


def _dispatch(
    xp: Namespace, name: FunctionName, x: Array, index: Array, values: Array, native: bool
) -> Array:
    """Validate, then run the native route if any and wanted, else the composite."""
    values = _validate(xp, x, index, values, name)
    impl = native_impl(xp, name) if native else None
    if impl is not None:
        return impl(xp, x, index, values)
    if name == "scatter_add":
        return _composite_scatter_add(xp, x, index, values)
    return _composite_scatter_set(xp, x, index, values)


def scatter_add(
    xp: Namespace, x: Array, index: Array, values: Array, *, native: bool = True
) -> Array:
    """Return a copy of ``x`` with ``values[j]`` added to row ``index[j]``, for all j.

    ``out[t] = x[t] + sum_{j : index[j] == t (mod n)} values[j]``: repeated
    indices accumulate. ``x`` has shape ``(n, ...)``; ``index`` is a 1-D integer
    array with entries in ``[-n, n)`` (negative entries wrap as in Python);
    ``values`` has x's dtype and a shape broadcastable to
    ``(len(index),) + x.shape[1:]``. The composite sums each row's contributions
    pairwise in x's dtype (float32: relative error ~ log2(count) ulp).
    Out-of-range indices: the composite drops them; native routes may raise.
    """
    return _dispatch(xp, "scatter_add", x, index, values, native)


def scatter_set(
    xp: Namespace, x: Array, index: Array, values: Array, *, native: bool = True
) -> Array:
    """Return a copy of ``x`` with row ``index[j]`` set to ``values[j]``.

    Where an index repeats, the LAST occurrence (largest j) wins, on every
    namespace. Shapes, dtypes and index rules as for ``scatter_add``.
    """
    return _dispatch(xp, "scatter_set", x, index, values, native)


def take_rows(xp: Namespace, x: Array, index: Array) -> Array:
    """Gather rows: ``out[j] = x[index[j]]``, i.e. ``xp.take(x, index, axis=0)`` with
    negative entries wrapped first (the standard leaves negative ``take`` indices
    unspecified)."""
    if index.ndim != 1 or not xp.isdtype(index.dtype, "integral"):
        raise TypeError(f"take_rows: index must be a 1-D integer array, got {index.dtype}")
    wrapped = xp.where(index < 0, index + x.shape[0], index)
    return xp.take(x, wrapped, axis=0)
