"""The errors DebugMode raises (spec/debugmode.md, "Errors").

Every error subclasses ``DebugModeError`` and carries, besides its message
(the node, the op, the inputs' shapes/dtypes/values, both results with their
differences and a debugprint of the offending sub-graph), the facts as
attributes so that tests and tools need not parse text: ``node`` (the
``Apply`` at fault, ``None`` for a graph input), ``variable`` (the variable
whose value is wrong) and ``graph`` (``'rewritten'`` or ``'un-rewritten'``).
"""

from __future__ import annotations

from typing import Any

from refimpl.graph.basic import Apply, Variable


class DebugModeError(Exception):
    """Base class of every DebugMode check failure."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "",
    ) -> None:
        super().__init__(message)
        self.node = node
        self.variable = variable
        self.graph = graph

    @property
    def op(self) -> Any:
        """The op of ``node`` (``None`` for a graph input)."""
        return None if self.node is None else self.node.op


class NonFiniteError(DebugModeError):
    """A NaN or an infinity: produced by ``node`` (the first such node in
    topological order), or given by the user in the input ``input_name``."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "",
        input_name: str | None = None,
    ) -> None:
        super().__init__(message, node, variable, graph)
        self.input_name = input_name


class RewriteMismatch(DebugModeError):
    """The rewritten graph computes a different value than the graph as
    written. ``reasons``: the rewrites that produced ``variable`` (oldest
    first); ``reference``: the corresponding variable of the un-rewritten
    graph."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "rewritten",
        reasons: tuple[str, ...] = (),
        reference: Variable[Any] | None = None,
    ) -> None:
        super().__init__(message, node, variable, graph)
        self.reasons = reasons
        self.reference = reference

    @property
    def rewrite(self) -> str:
        """The rewrite responsible (the last of ``reasons``; '' if unknown)."""
        return self.reasons[-1] if self.reasons else ""


class ImplMismatch(DebugModeError):
    """An implementation of the op (``impl``, registered with
    ``register_impl`` or built in) disagrees with the op's reference
    ``perform``: another value, dtype or shape, or it raised."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "",
        impl: str = "",
    ) -> None:
        super().__init__(message, node, variable, graph)
        self.impl = impl


class BackendMismatch(DebugModeError):
    """The op run on ``backend`` (a ``check_backends`` entry) disagrees with
    the function's backend: another value, dtype or shape, or it raised."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "",
        backend: str = "",
    ) -> None:
        super().__init__(message, node, variable, graph)
        self.backend = backend


class TypeMismatch(DebugModeError):
    """A value that contradicts its variable's declared type: dtype, number
    of dimensions or a static length (or a wrong number of results)."""


class ShapeMismatch(DebugModeError):
    """The op's ``infer_shape`` disagrees with the shape of the value
    ``perform`` returned (or ``infer_shape`` itself failed)."""


class InputMutation(DebugModeError):
    """The op (or one of its implementations) changed an input that its
    ``destroy_map`` does not declare. ``input_index``: the input changed."""

    def __init__(
        self,
        message: str,
        node: Apply | None = None,
        variable: Variable[Any] | None = None,
        graph: str = "",
        input_index: int = -1,
    ) -> None:
        super().__init__(message, node, variable, graph)
        self.input_index = input_index


__all__ = [
    "BackendMismatch",
    "DebugModeError",
    "ImplMismatch",
    "InputMutation",
    "NonFiniteError",
    "RewriteMismatch",
    "ShapeMismatch",
    "TypeMismatch",
]
