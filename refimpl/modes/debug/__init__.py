"""DebugMode: the referee (spec/debugmode.md).

``DebugMode(...)`` runs every node of the rewritten and of the un-rewritten
graph and checks it, raising a ``DebugModeError`` subclass that names the
node, its op and inputs, both results and the rewrite or implementation
responsible. ``register_impl`` adds implementations for it to check.

Modules: ``debugmode`` (the mode), ``runner`` (the executor), ``checks``
(types, ``infer_shape``, input mutation), ``crosscheck`` (implementations,
backends), ``tracker`` (rewritten vs un-rewritten variables), ``impls`` (the
implementation registry), ``compare`` (tolerances), ``report`` (messages),
``errors``.
"""

from __future__ import annotations

from refimpl.modes.debug.compare import DEFAULT_ATOL, DEFAULT_RTOL
from refimpl.modes.debug.debugmode import DEBUG_MODE, DebugMode
from refimpl.modes.debug.errors import (
    BackendMismatch,
    DebugModeError,
    ImplMismatch,
    InputMutation,
    NonFiniteError,
    RewriteMismatch,
    ShapeMismatch,
    TypeMismatch,
)
from refimpl.modes.debug.impls import (
    Impl,
    impls_for,
    register_impl,
    registered_impls,
    unregister_impl,
)

__all__ = [
    "DEBUG_MODE",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "BackendMismatch",
    "DebugMode",
    "DebugModeError",
    "Impl",
    "ImplMismatch",
    "InputMutation",
    "NonFiniteError",
    "RewriteMismatch",
    "ShapeMismatch",
    "TypeMismatch",
    "impls_for",
    "register_impl",
    "registered_impls",
    "unregister_impl",
]
