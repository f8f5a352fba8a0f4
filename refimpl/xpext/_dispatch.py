"""The extension table: which native implementation serves which namespace.

One immutable table, ``NATIVE``, built at import from a dict literal, maps
``(namespace kind, function name)`` to ``(required module, adapter)``. One typed
function, ``native_impl``, reads it. A missing entry, or a required module that
cannot be imported (scipy is optional), means "use the portable composite".
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Final, Literal

from array_api_compat import (
    is_array_api_strict_namespace,
    is_cupy_namespace,
    is_dask_namespace,
    is_jax_namespace,
    is_numpy_namespace,
    is_torch_namespace,
)

from refimpl._typing import Array, Namespace
from refimpl.xpext import _native

Kind = Literal["numpy", "cupy", "torch", "jax", "dask", "strict", "other"]
"""The namespace families the table distinguishes."""

FunctionName = Literal[
    "erf", "erfc", "erfinv", "erfcinv", "gamma", "gammaln", "psi", "scatter_add", "scatter_set"
]
"""The extension functions that may have a native route."""

NativeFn = Callable[..., Array]
"""An adapter: ``(xp, *arrays) -> Array``."""

_SCIPY: Final = "scipy.special"
_TORCH: Final = "torch.special"
_JAX: Final = "jax.scipy.special"
_CUPYX: Final = "cupyx.scipy.special"


def _special(module: str, attr: str) -> tuple[str, NativeFn]:
    """A table entry for an elementwise special function ``module.attr``."""
    return module, partial(_native.elementwise, module, attr)


NATIVE: Final[Mapping[tuple[Kind, FunctionName], tuple[str, NativeFn]]] = MappingProxyType(
    {
        ("numpy", "erf"): _special(_SCIPY, "erf"),
        ("numpy", "erfc"): _special(_SCIPY, "erfc"),
        ("numpy", "erfinv"): _special(_SCIPY, "erfinv"),
        ("numpy", "erfcinv"): _special(_SCIPY, "erfcinv"),
        ("numpy", "gamma"): _special(_SCIPY, "gamma"),
        ("numpy", "gammaln"): _special(_SCIPY, "gammaln"),
        ("numpy", "psi"): _special(_SCIPY, "psi"),
        ("numpy", "scatter_add"): ("numpy", _native.numpy_scatter_add),
        ("numpy", "scatter_set"): ("numpy", _native.numpy_scatter_set),
        # torch.special has no gamma and no erfcinv: those use the composite.
        ("torch", "erf"): _special(_TORCH, "erf"),
        ("torch", "erfc"): _special(_TORCH, "erfc"),
        ("torch", "erfinv"): _special(_TORCH, "erfinv"),
        ("torch", "gammaln"): _special(_TORCH, "gammaln"),
        ("torch", "psi"): _special(_TORCH, "digamma"),
        ("torch", "scatter_add"): ("torch", _native.torch_scatter_add),
        # jax.scipy.special has no erfcinv.
        ("jax", "erf"): _special(_JAX, "erf"),
        ("jax", "erfc"): _special(_JAX, "erfc"),
        ("jax", "erfinv"): _special(_JAX, "erfinv"),
        ("jax", "gamma"): _special(_JAX, "gamma"),
        ("jax", "gammaln"): _special(_JAX, "gammaln"),
        ("jax", "psi"): _special(_JAX, "digamma"),
        ("jax", "scatter_add"): ("jax", _native.jax_scatter_add),
        ("cupy", "erf"): _special(_CUPYX, "erf"),
        ("cupy", "erfc"): _special(_CUPYX, "erfc"),
        ("cupy", "erfinv"): _special(_CUPYX, "erfinv"),
        ("cupy", "erfcinv"): _special(_CUPYX, "erfcinv"),
        ("cupy", "gamma"): _special(_CUPYX, "gamma"),
        ("cupy", "gammaln"): _special(_CUPYX, "gammaln"),
        ("cupy", "psi"): _special(_CUPYX, "psi"),
        ("cupy", "scatter_add"): ("cupyx", _native.cupy_scatter_add),
        # dask, array_api_strict and unknown namespaces: composites only.
    }
)
"""``(kind, name) -> (module that must be importable, adapter)``."""


def namespace_kind(xp: Namespace) -> Kind:
    """Classify an array namespace (the library module or its array-api-compat wrapper)."""
    if is_array_api_strict_namespace(xp):
        return "strict"
    if is_numpy_namespace(xp):
        return "numpy"
    if is_cupy_namespace(xp):
        return "cupy"
    if is_torch_namespace(xp):
        return "torch"
    if is_jax_namespace(xp):
        return "jax"
    if is_dask_namespace(xp):
        return "dask"
    return "other"


@functools.cache
def module_available(module: str) -> bool:
    """Whether ``module`` imports (cached: availability does not change in a process)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def native_impl(xp: Namespace, name: FunctionName) -> NativeFn | None:
    """The native adapter for ``name`` on ``xp``, or None to use the composite."""
    entry = NATIVE.get((namespace_kind(xp), name))
    if entry is None:
        return None
    module, fn = entry
    return fn if module_available(module) else None
