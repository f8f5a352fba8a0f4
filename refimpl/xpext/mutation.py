"""Whether an array may be updated in place (the gate for FAST_RUN inplace rewrites)."""

from __future__ import annotations

from array_api_compat import is_lazy_array, is_writeable_array

from refimpl._typing import Array, Namespace


def is_mutable(xp: Namespace, x: Array) -> bool:
    """True when ``x`` supports ``__setitem__`` that updates its buffer.

    ``is_writeable_array(x) and not is_lazy_array(x)``: True for writeable numpy,
    cupy, torch and array_api_strict arrays; False for read-only numpy arrays and
    broadcast views, jax arrays (immutable) and dask arrays (setitem rebinds the
    graph of that Python object only). ``xp`` is accepted for uniformity.
    """
    del xp
    return bool(is_writeable_array(x)) and not is_lazy_array(x)
