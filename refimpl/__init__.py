"""refimpl: a reference implementation of Theano-style symbolic tensor
computation on any array-API namespace.

Import style (API.md)::

    import refimpl
    import refimpl.tensor as T
    from refimpl import function, shared, grad, In, config
"""

from __future__ import annotations

from refimpl import variable as _variable  # noqa: F401  (defines TensorVariable first)
from refimpl.backend import Backend, BackendError, resolve_backend
from refimpl.config import ConfigError, config
from refimpl.grad import Lop, Rop, grad, hessian, jacobian
from refimpl.graph.basic import (
    Apply,
    Constant,
    Op,
    Variable,
    ancestors,
    clone_replace,
    graph_inputs,
)
from refimpl.graph.fg import FunctionGraph, MissingInputError
from refimpl.ifelse import ifelse
from refimpl.modes.debug import (
    BackendMismatch,
    DebugMode,
    DebugModeError,
    ImplMismatch,
    InputMutation,
    NonFiniteError,
    RewriteMismatch,
    ShapeMismatch,
    TypeMismatch,
    register_impl,
    unregister_impl,
)
from refimpl.modes.function import Function, In, UnusedInputError, function
from refimpl.modes.mode import Mode, UnknownModeError
from refimpl.printing import debugprint, pp
from refimpl.scan import foldl, foldr, map, reduce, scan, until
from refimpl.shared import SharedVariable, shared
from refimpl.types import TensorType

__version__ = "0.1.0"

__all__ = [
    "Apply", "Backend", "BackendError", "ConfigError", "Constant", "Function", "FunctionGraph",
    "In", "Lop", "MissingInputError", "Mode", "Op", "Rop", "SharedVariable", "TensorType",
    "UnknownModeError", "UnusedInputError", "Variable", "ancestors", "clone_replace", "config",
    "debugprint", "function", "grad", "graph_inputs", "hessian", "jacobian", "pp",
    "resolve_backend", "shared",
    # DebugMode (spec/debugmode.md)
    "BackendMismatch", "DebugMode", "DebugModeError", "ImplMismatch", "InputMutation",
    "NonFiniteError", "RewriteMismatch", "ShapeMismatch", "TypeMismatch", "register_impl",
    "unregister_impl",
    # control flow (spec/scan.md, spec/ifelse.md)
    "foldl", "foldr", "ifelse", "map", "reduce", "scan", "until",
]  # fmt: skip
