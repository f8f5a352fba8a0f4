"""``refimpl.grad``: differentiation and its proof (spec/grad.md).

``grad``, ``Lop`` (reverse mode), ``Rop`` (forward mode, with the
double-``Lop`` cross-check ``Rop_via_Lop``), ``jacobian``, ``hessian``,
``hessian_vector_product``, the gradient-control ops ``zero_grad``,
``disconnected_grad`` and ``grad_clip``, and ``verify_grad`` with its
finite-difference primitives.

``from refimpl import grad`` is the *function* (API.md), and
``refimpl.grad.verify_grad(...)`` must work too, although ``refimpl/grad/``
is a package. The package therefore exports ``grad`` as an instance of
``GradFunction``: a callable with ``grad``'s typed signature that also
carries this package's public names as attributes (and falls back to the
package module for anything else, e.g. ``refimpl.grad.errors``).
``refimpl/__init__.py`` re-exports it, so ``refimpl.grad`` is that object.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from refimpl.grad import engine as _engine
from refimpl.grad.engine import Disconnected, Lop
from refimpl.grad.errors import (
    DisconnectedInputError,
    GradientError,
    InvalidGradientError,
    JacobianLengthError,
    NullGradError,
    NullGradRopError,
    RopNotImplementedError,
)
from refimpl.grad.jacobian import hessian, hessian_vector_product, jacobian
from refimpl.grad.ops import (
    DisconnectedGrad,
    GradClip,
    ZeroGrad,
    disconnected_grad,
    grad_clip,
    zero_grad,
)
from refimpl.grad.rop import Rop, Rop_via_Lop
from refimpl.grad.verify import JVPEstimate, numeric_gradient, numeric_jvp, verify_grad
from refimpl.graph.basic import NullGrad, Variable
from refimpl.variable import TensorVariable


class GradFunction:
    """The type of ``refimpl.grad``: calling it is ``grad`` (see its
    ``__call__``); its attributes are the package's public names."""

    __name__ = "grad"
    __qualname__ = "grad"

    Lop = staticmethod(Lop)
    Rop = staticmethod(Rop)
    Rop_via_Lop = staticmethod(Rop_via_Lop)
    jacobian = staticmethod(jacobian)
    hessian = staticmethod(hessian)
    hessian_vector_product = staticmethod(hessian_vector_product)
    verify_grad = staticmethod(verify_grad)
    numeric_jvp = staticmethod(numeric_jvp)
    numeric_gradient = staticmethod(numeric_gradient)
    zero_grad = staticmethod(zero_grad)
    disconnected_grad = staticmethod(disconnected_grad)
    grad_clip = staticmethod(grad_clip)
    Disconnected = Disconnected
    JVPEstimate = JVPEstimate
    GradientError = GradientError
    DisconnectedInputError = DisconnectedInputError
    NullGradError = NullGradError
    InvalidGradientError = InvalidGradientError
    JacobianLengthError = JacobianLengthError
    RopNotImplementedError = RopNotImplementedError

    @overload
    def __call__(
        self,
        cost: TensorVariable | None,
        wrt: TensorVariable,
        consider_constant: Sequence[Variable[Any]] | None = None,
        disconnected_inputs: str = "raise",
        known_grads: Mapping[TensorVariable, Any] | None = None,
        return_disconnected: Literal["zero"] = "zero",
        null_gradients: Literal["raise"] = "raise",
    ) -> TensorVariable: ...

    @overload
    def __call__(
        self,
        cost: TensorVariable | None,
        wrt: Sequence[TensorVariable],
        consider_constant: Sequence[Variable[Any]] | None = None,
        disconnected_inputs: str = "raise",
        known_grads: Mapping[TensorVariable, Any] | None = None,
        return_disconnected: Literal["zero"] = "zero",
        null_gradients: Literal["raise"] = "raise",
    ) -> list[TensorVariable]: ...

    @overload
    def __call__(
        self,
        cost: TensorVariable | None,
        wrt: Any,
        consider_constant: Sequence[Variable[Any]] | None = None,
        disconnected_inputs: str = "raise",
        known_grads: Mapping[TensorVariable, Any] | None = None,
        return_disconnected: str = "zero",
        null_gradients: str = "raise",
    ) -> Any: ...

    def __call__(
        self,
        cost: TensorVariable | None,
        wrt: Any,
        consider_constant: Sequence[Variable[Any]] | None = None,
        disconnected_inputs: str = "raise",
        known_grads: Mapping[TensorVariable, Any] | None = None,
        return_disconnected: str = "zero",
        null_gradients: str = "raise",
    ) -> Any:
        return _engine.grad(
            cost,
            wrt,
            consider_constant=consider_constant,
            disconnected_inputs=disconnected_inputs,
            known_grads=known_grads,
            return_disconnected=return_disconnected,
            null_gradients=null_gradients,
        )

    def __getattr__(self, name: str) -> Any:
        # anything else the package offers (submodules: refimpl.grad.errors ...)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(sys.modules[__name__], name)

    def __repr__(self) -> str:
        return "<function refimpl.grad>"


GradFunction.__call__.__doc__ = _engine.grad.__doc__
GradFunction.__doc__ = _engine.grad.__doc__

grad = GradFunction()
"""``grad(cost, wrt, ...)``: see ``refimpl.grad.engine.grad`` and spec/grad.md."""

__all__ = [
    "Disconnected",
    "DisconnectedGrad",
    "DisconnectedInputError",
    "GradClip",
    "GradFunction",
    "GradientError",
    "InvalidGradientError",
    "JVPEstimate",
    "JacobianLengthError",
    "Lop",
    "NullGrad",
    "NullGradError",
    "NullGradRopError",
    "Rop",
    "RopNotImplementedError",
    "Rop_via_Lop",
    "ZeroGrad",
    "disconnected_grad",
    "grad",
    "grad_clip",
    "hessian",
    "hessian_vector_product",
    "jacobian",
    "numeric_gradient",
    "numeric_jvp",
    "verify_grad",
    "zero_grad",
]
