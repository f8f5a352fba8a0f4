"""Identity ops that change only how gradients flow (spec/grad.md, "Gradient
control ops"): ``zero_grad``, ``disconnected_grad``, ``grad_clip``.

Each computes a copy of its input; they differ in ``L_op``/``R_op`` and in
``connection_pattern``:

* ``zero_grad(x)``: the gradient through it is zero (``x`` stays connected);
* ``disconnected_grad(x)``: no gradient path at all (``connection_pattern``
  says disconnected, so a ``wrt`` reached only through it is *disconnected*);
* ``grad_clip(x, lo, hi)``: the output gradient is clipped to ``[lo, hi]``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.opspec import Arg, OpSpec, same_shapes
from refimpl.types import ALL_DTYPES, COMPLEX_DTYPES, DType, is_discrete
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]


@dataclass(frozen=True)
class _GradIdentity(Op):
    """The shared value part: ``out = copy(x)`` of ``x``'s type (abstract:
    each subclass defines ``L_op``)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        return (xp.asarray(inputs[0], copy=True),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    @abc.abstractmethod
    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """Each subclass says how the gradient passes."""


@dataclass(frozen=True)
class ZeroGrad(_GradIdentity):
    """``zero_grad(x)``: the value of ``x``; gradient zero, tangent zero."""

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        (x,) = inputs
        if is_discrete(x.dtype):
            return [None]
        from refimpl.grad import _util

        return [_util.zeros_like(x)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


@dataclass(frozen=True)
class DisconnectedGrad(_GradIdentity):
    """``disconnected_grad(x)``: the value of ``x``; no gradient path."""

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        return [None]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


@dataclass(frozen=True)
class GradClip(_GradIdentity):
    """``grad_clip(x, lower, upper)``: the value of ``x``; the gradient that
    passes is ``clip(gz, lower, upper)``; the tangent passes unchanged."""

    lower: float
    upper: float

    def __str__(self) -> str:
        return f"GradClip{{{self.lower}, {self.upper}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.dtype in COMPLEX_DTYPES:
            raise TypeError(
                f"grad_clip: {x} has dtype {x.dtype}; clipping a gradient needs a real input"
            )
        return super().make_node(x)

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        if is_discrete(inputs[0].dtype):
            return [None]
        from refimpl.grad import _util

        out: TV = _util.T().clip(output_grads[0], self.lower, self.upper)
        return [out]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [eval_points[0]]


def zero_grad(x: Any) -> TV:
    """``x`` with a zero gradient: the value is unchanged, but no gradient
    flows back through this expression (``x`` stays connected: ``grad``
    returns zeros rather than raising)."""
    return ZeroGrad()(x)  # type: ignore[no-any-return]


def disconnected_grad(x: Any) -> TV:
    """``x`` cut from the gradient graph: the value is unchanged; a variable
    reached only through it is *disconnected* (``grad`` applies its
    ``disconnected_inputs`` policy)."""
    return DisconnectedGrad()(x)  # type: ignore[no-any-return]


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> TV:
    """``x`` whose backpropagated gradient is clipped elementwise to
    ``[lower_bound, upper_bound]`` (Theano's ``grad_clip``)."""
    for name, b in (("lower_bound", lower_bound), ("upper_bound", upper_bound)):
        if isinstance(b, bool) or not isinstance(b, (int, float)) or math.isnan(b):
            raise TypeError(f"grad_clip: {name} must be a real Python number, got {b!r}")
    if lower_bound > upper_bound:
        raise ValueError(
            f"grad_clip: lower_bound {lower_bound} is greater than upper_bound {upper_bound}"
        )
    return GradClip(float(lower_bound), float(upper_bound))(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- specs


def _identity(x: Any) -> Any:
    import numpy as np

    return np.array(x, copy=True)


# The ops accept every dtype; all are claimed except float16 (not every
# namespace has it). Derivative checks apply to the float dtypes only.
_ALL: tuple[DType, ...] = tuple(d for d in ALL_DTYPES if d != "float16")
_REAL: tuple[DType, ...] = tuple(d for d in _ALL if d not in COMPLEX_DTYPES)

SPECS: tuple[OpSpec, ...] = (
    OpSpec(
        name="zero_grad",
        build=zero_grad,
        ref=_identity,
        args=(Arg("x", dtypes=_ALL),),
        shapes=same_shapes(1),
        op_classes=(ZeroGrad,),
        family="grad",
        poly_degree=1,
        second_order=False,
        xfail={
            "grad": "zero_grad's gradient is zero by design (finite differences see 1)",
            "lop": "zero_grad's gradient is zero by design (finite differences see 1)",
            "rop": "zero_grad's tangent is zero by design (finite differences see v)",
        },
        doc="identity value; zero gradient and tangent",
    ),
    OpSpec(
        name="disconnected_grad",
        build=disconnected_grad,
        ref=_identity,
        args=(Arg("x", dtypes=_ALL),),
        shapes=same_shapes(1),
        op_classes=(DisconnectedGrad,),
        family="grad",
        grad=False,
        rop=False,
        second_order=False,
        doc="identity value; grad/Rop through it raise DisconnectedInputError",
    ),
    OpSpec(
        name="grad_clip",
        build=lambda x: grad_clip(x, -1e6, 1e6),
        ref=_identity,
        args=(Arg("x", dtypes=_REAL),),
        shapes=same_shapes(1),
        op_classes=(GradClip,),
        family="grad",
        poly_degree=1,
        second_order=False,
        doc="identity value; with bounds far outside the cotangents the gradient is exact",
    ),
)
