"""The namespace extension table: what the array API standard lacks, per namespace.

Every function takes the array namespace ``xp`` first. A native route is used
where the extension table (``_dispatch.NATIVE``) has one for ``xp``; otherwise,
and always with ``native=False``, a portable composite that uses only the array
API standard runs (the reference). See spec/xpext.md.
"""

from __future__ import annotations

from refimpl.xpext._dispatch import namespace_kind
from refimpl.xpext.mutation import is_mutable
from refimpl.xpext.scatter import scatter_add, scatter_set, take_rows
from refimpl.xpext.special import erf, erfc, erfcinv, erfinv, gamma, gammaln, psi

__all__ = [
    "erf",
    "erfc",
    "erfcinv",
    "erfinv",
    "gamma",
    "gammaln",
    "is_mutable",
    "namespace_kind",
    "psi",
    "scatter_add",
    "scatter_set",
    "take_rows",
]
