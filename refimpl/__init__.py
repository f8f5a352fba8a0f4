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
from refimpl.modes.function import Function, In, UnusedInputError, function
from refimpl.modes.mode import Mode, UnknownModeError
from refimpl.printing import debugprint, pp
from refimpl.shared import SharedVariable, shared
from refimpl.types import TensorType

__version__ = "0.1.0"

__all__ = [
    "Apply", "Backend", "BackendError", "ConfigError", "Constant", "Function", "FunctionGraph",
    "In", "MissingInputError", "Mode", "Op", "SharedVariable", "TensorType", "UnknownModeError",
    "UnusedInputError", "Variable", "ancestors", "clone_replace", "config", "debugprint",
    "function", "graph_inputs", "pp", "resolve_backend", "shared",
]  # fmt: skip
