"""The errors of the gradient engine (spec/grad.md, "Errors").

Every class is public and raised with a message naming the variable, the op
and the input index involved, so the failing spot is never a mystery.
"""

from __future__ import annotations

from refimpl.graph.basic import RopNotImplementedError
from refimpl.ops.elemwise import NullGradRopError

__all__ = [
    "DisconnectedInputError",
    "GradientError",
    "InvalidGradientError",
    "JacobianLengthError",
    "NullGradError",
    "NullGradRopError",
    "RopNotImplementedError",
]


class DisconnectedInputError(ValueError):
    """``grad``/``Lop``/``Rop``: a requested ``wrt`` (or an output of ``Rop``)
    is not connected to the cost, and the policy is ``'raise'``."""


class NullGradError(TypeError):
    """The gradient needed for a requested ``wrt`` does not exist (an op
    returned a ``NullGrad``), and ``null_gradients='raise'``."""

    def __init__(self, message: str, op: str = "", input_index: int = -1, reason: str = ""):
        super().__init__(message)
        self.op = op
        self.input_index = input_index
        self.reason = reason


class InvalidGradientError(TypeError):
    """An op's ``L_op`` or ``R_op`` broke the contract: wrong number of
    results, or a result whose dtype, ndim or static shape cannot be that of
    the variable it belongs to. This is a bug in the op, reported rather than
    silently repaired."""


class JacobianLengthError(ValueError):
    """``jacobian``/``hessian`` of an expression whose number of elements is
    not known statically (needs ``scan``, which the Jacobian does not use)."""


class GradientError(AssertionError):
    """``verify_grad``: an analytic directional derivative disagrees with the
    finite-difference one. Attributes give the evidence."""

    def __init__(
        self,
        message: str,
        arg: int,
        analytic: float,
        numeric: float,
        bound: float,
        seed: int | None,
        position: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.arg = arg
        self.analytic = analytic
        self.numeric = numeric
        self.bound = bound
        self.seed = seed
        self.position = position
