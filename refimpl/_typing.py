"""Type aliases shared across refimpl.

The array API standard has no concrete array or namespace class that every
library's objects inherit from, so arrays and namespaces are typed as ``Any``
under descriptive names. Using the names (rather than bare ``Any``) documents
intent at every signature.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Array: TypeAlias = Any
"""An array of any array-API namespace (numpy, cupy, torch, jax, dask, strict)."""

Namespace: TypeAlias = Any
"""An array-API namespace module, as returned by ``array_api_compat.array_namespace``."""

Device: TypeAlias = Any
"""A device object of some namespace (``array_api_compat.device(x)``)."""
