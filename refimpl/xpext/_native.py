"""Native implementations: thin adapters from the xpext signatures to library calls.

Each adapter imports its library lazily, so importing refimpl never imports
scipy, torch, jax or cupy. The dispatch table in ``_dispatch.py`` says which
adapter serves which namespace and which module must be importable for it.
numpy is imported only here and in tests, never in a composite.
"""

from __future__ import annotations

import importlib

from refimpl._typing import Array, Namespace


def elementwise(module: str, attr: str, xp: Namespace, x: Array) -> Array:
    """Call ``module.attr(x)`` and return an array of the namespace with x's dtype.

    scipy returns a NumPy scalar for 0-d input and float32 for float16 input;
    ``asarray`` and ``astype`` restore the array type and the dtype.
    """
    fn = getattr(importlib.import_module(module), attr)
    return xp.astype(xp.asarray(fn(x)), x.dtype, copy=False)


def _wrap_negative(xp: Namespace, index: Array, n: int) -> Array:
    """Python-style wrap of negative indices: ``i + n`` where ``i < 0``."""
    return xp.where(index < 0, index + n, index)


def numpy_scatter_add(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """``np.add.at`` on a copy: unbuffered, so repeated indices accumulate."""
    np = importlib.import_module("numpy")
    out = np.array(x, copy=True)
    np.add.at(out, index, values)
    return out


def numpy_scatter_set(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """Assignment of the last occurrence of each index (``np.unique`` on the reversed
    index), because NumPy does not promise an order for repeated indices."""
    np = importlib.import_module("numpy")
    out = np.array(x, copy=True)
    wrapped = np.where(index < 0, index + x.shape[0], index)
    rows, first_in_reversed = np.unique(wrapped[::-1], return_index=True)
    out[rows] = values[wrapped.shape[0] - 1 - first_in_reversed]
    return out


def torch_scatter_add(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """``Tensor.index_add`` (out of place; accumulates repeated indices)."""
    idx = xp.astype(_wrap_negative(xp, index, x.shape[0]), xp.int64)
    return x.index_add(0, idx, values)


def jax_scatter_add(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """``x.at[index].add(values)`` (functional; accumulates repeated indices)."""
    return x.at[_wrap_negative(xp, index, x.shape[0])].add(values)


def cupy_scatter_add(xp: Namespace, x: Array, index: Array, values: Array) -> Array:
    """``cupyx.scatter_add`` on a copy (atomic adds; accumulates repeated indices)."""
    cupyx = importlib.import_module("cupyx")
    out = x.copy()
    cupyx.scatter_add(out, _wrap_negative(xp, index, x.shape[0]), values)
    return out
