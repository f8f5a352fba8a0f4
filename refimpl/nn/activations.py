"""Activation functions: sigmoid, ultra_fast_sigmoid, hard_sigmoid,
softplus, softsign, relu, elu (spec/nn.md, "Activations").

``sigmoid``, ``ultra_fast_sigmoid`` and ``softplus`` are rows of the
elementwise table (``ScalarFn``s applied by ``Elemwise``): each has a
numerically stable reference implementation a composite could not give
(``1 / (1 + exp(-x))`` overflows for large negative ``x``; ``log(1 + exp(x))``
overflows for large ``x``), prints under its Theano name (``pp`` gives
``sigmoid(...)``) and is the target of the stabilisation rewrites
(``log(sigmoid(x)) -> -softplus(-x)``). The others are composites of
elementwise functions: ``hard_sigmoid = clip(0.2 x + 0.5, 0, 1)``,
``softsign = x / (1 + |x|)``, ``relu = maximum(x, 0)`` or
``switch(x > 0, x, alpha x)``, ``elu = switch(x > 0, x, alpha expm1(x))``.

All accept integer and float inputs (integers become float by Theano's rule,
except ``relu`` with ``alpha=0``, which keeps the dtype) and reject bool and
complex inputs with ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.nn._util import float_dtype, real_input
from refimpl.ops import math as _math
from refimpl.ops import math_compare as _cmp
from refimpl.ops import math_special as _sp
from refimpl.ops.elemwise import DtypeRule, ScalarFn, apply, elemwise_spec
from refimpl.opspec import Arg, DrawInt, OpSpec, Shape
from refimpl.types import DType
from refimpl.variable import TensorVariable

TV = TensorVariable
NDArray = np.ndarray[Any, Any]


def _float_rule(dtypes: tuple[DType, ...]) -> DType:
    return float_dtype(*dtypes)


NN_FLOAT: Final = DtypeRule("nn_float", _float_rule, _float_rule, accepts="iuf")
"""Real inputs (integers upcast to float by Theano's rule); bool and complex rejected."""

# ultra_fast_sigmoid's pieces (Theano's constants): on u = |x| / 2,
# z = 1.5 u / (1 + u) below 1.7, a line up to 3, a constant above.
_UFS_BREAK1, _UFS_BREAK2 = 1.7, 3.0
_UFS_A, _UFS_B, _UFS_TOP = 0.935409070603099, 0.0458812946797165, 0.99505475368673


# --------------------------------------------------------------------------- implementations


def _sigmoid(xp: Namespace, a: Array) -> Array:
    # exp(-|x|) never overflows; both branches are exact to a few ulp
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _ultra_fast_sigmoid(xp: Namespace, a: Array) -> Array:
    u = xp.abs(a) * 0.5
    line = _UFS_A + _UFS_B * (u - _UFS_BREAK1)
    z = xp.where(u < _UFS_BREAK2, line, xp.full_like(u, _UFS_TOP))
    z = xp.where(u < _UFS_BREAK1, 1.5 * u / (1.0 + u), z)
    return 0.5 * (xp.where(a >= 0, z, -z) + 1.0)


def _softplus(xp: Namespace, a: Array) -> Array:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, exact tails
    return xp.maximum(a, xp.zeros_like(a)) + xp.log1p(xp.exp(-xp.abs(a)))


def _ufs_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    u = _math.abs(i[0]) * 0.5
    slope = _cmp.switch(u < _UFS_BREAK2, _UFS_B, 0.0)
    slope = _cmp.switch(u < _UFS_BREAK1, 1.5 / _math.sqr(1.0 + u), slope)
    return [gz * 0.25 * slope]


SIGMOID = ScalarFn(
    "sigmoid", 1, _sigmoid, NN_FLOAT,
    grad=lambda i, out, gz: [gz * out * (1.0 - out)],
    doc="1 / (1 + exp(-x)); d/dx = out (1 - out)",
)  # fmt: skip
ULTRA_FAST_SIGMOID = ScalarFn(
    "ultra_fast_sigmoid", 1, _ultra_fast_sigmoid, NN_FLOAT, grad=_ufs_grad,
    doc="Theano's piecewise approximation of sigmoid (|error| < 0.03); d/dx is the exact "
    "derivative of the approximation: 0.375/(1 + |x|/2)**2 for |x| < 3.4, 0.0115 up to 6, "
    "then 0",
)  # fmt: skip
SOFTPLUS = ScalarFn(
    "softplus", 1, _softplus, NN_FLOAT,
    grad=lambda i, out, gz: [gz * sigmoid(i[0])],
    doc="log(1 + exp(x)); d/dx = sigmoid(x)",
)  # fmt: skip


# --------------------------------------------------------------------------- public functions


def sigmoid(x: Any) -> TV:
    """Elementwise logistic ``1 / (1 + exp(-x))``, computed without overflow."""
    return apply(SIGMOID, x)


def ultra_fast_sigmoid(x: Any) -> TV:
    """Theano's fast piecewise approximation of ``sigmoid`` (absolute error
    below 0.03; discontinuous at ``|x| = 3.4``)."""
    return apply(ULTRA_FAST_SIGMOID, x)


def softplus(x: Any) -> TV:
    """Elementwise ``log(1 + exp(x))``, computed without overflow."""
    return apply(SOFTPLUS, x)


def hard_sigmoid(x: Any) -> TV:
    """Theano's piecewise-linear sigmoid ``clip(0.2 x + 0.5, 0, 1)``."""
    v = real_input(x, "hard_sigmoid")
    return _cmp.clip(v * 0.2 + 0.5, 0.0, 1.0)


def softsign(x: Any) -> TV:
    """Elementwise ``x / (1 + |x|)``."""
    v = real_input(x, "softsign")
    return _math.true_div(v, 1.0 + _math.abs(v))


def relu(x: Any, alpha: Any = 0) -> TV:
    """Rectifier: ``x`` where ``x > 0``, ``alpha * x`` elsewhere.

    ``alpha=0`` (a Python 0) gives ``maximum(x, 0)``, which keeps ``x``'s
    dtype; any other ``alpha`` (a number or a tensor) gives
    ``switch(x > 0, x, alpha * x)``. The derivative at ``x = 0`` is 1/2 for
    ``alpha=0`` (``maximum`` splits ties) and ``alpha`` otherwise.
    """
    v = real_input(x, "relu")
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha == 0:
        return _math.maximum(v, 0)
    return _cmp.switch(_cmp.gt(v, 0), v, alpha * v)


def elu(x: Any, alpha: Any = 1.0) -> TV:
    """Exponential linear unit: ``x`` where ``x > 0``, ``alpha (exp(x) - 1)``
    elsewhere (the derivative at 0 is ``alpha``)."""
    v = real_input(x, "elu")
    pos = _cmp.gt(v, 0)
    # expm1 sees only x <= 0: no overflow, and no inf * 0 in the gradient
    return _cmp.switch(pos, v, alpha * _sp.expm1(_cmp.switch(pos, 0, v)))


# --------------------------------------------------------------------------- test specs


def _fl(x: NDArray) -> NDArray:
    """``x`` as Theano's float dtype for it (integers upcast)."""
    d = str(x.dtype)
    return x if d in ("float32", "float64") else x.astype(float_dtype(d))  # type: ignore[arg-type]


def _ref_sigmoid(x: NDArray) -> NDArray:
    x = _fl(x)
    return (0.5 * (1.0 + np.tanh(x.astype(np.float64) / 2.0))).astype(x.dtype)


def _ref_ufs(x: NDArray) -> NDArray:
    x = _fl(x)
    u = np.abs(x.astype(np.float64)) / 2.0
    z = np.where(u < 1.7, 1.5 * u / (1.0 + u), np.where(u < 3.0, _UFS_A + _UFS_B * (u - 1.7),
                                                         _UFS_TOP))  # fmt: skip
    return (0.5 * (np.sign(x) * z + 1.0)).astype(x.dtype)


def _ref_softplus(x: NDArray) -> NDArray:
    x = _fl(x)
    return np.logaddexp(0.0, x.astype(np.float64)).astype(x.dtype)


def _ref_hard(x: NDArray) -> NDArray:
    x = _fl(x)
    return np.clip(x.astype(np.float64) * 0.2 + 0.5, 0.0, 1.0).astype(x.dtype)


def _ref_softsign(x: NDArray) -> NDArray:
    x = _fl(x)
    return (x / (1.0 + np.abs(x))).astype(x.dtype)


def _ref_relu(x: NDArray, alpha: float = 0.0) -> NDArray:
    out = np.where(x > 0, x, alpha * x)
    return out.astype(x.dtype)


def _ref_elu(x: NDArray, alpha: float = 1.0) -> NDArray:
    x = _fl(x)
    return np.where(x > 0, x, alpha * np.expm1(x)).astype(x.dtype)


def _alpha(choices: tuple[float, ...]) -> Any:
    def params(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
        return {"alpha": choices[draw_int(0, len(choices) - 1)]}

    return params


_F: Final[tuple[DType, ...]] = ("float64", "float32")
_NN: dict[str, Any] = dict(family="nn")


def _specs() -> tuple[OpSpec, ...]:
    e = elemwise_spec
    wide = Arg("x", _F, (-30.0, 30.0), grad_domain=(-6.0, 6.0))
    return (
        e("sigmoid", sigmoid, _ref_sigmoid, wide, **_NN),
        e("ultra_fast_sigmoid", ultra_fast_sigmoid, _ref_ufs,
          Arg("x", _F, (-8.0, 8.0), kinks=(-6.0, -3.4, 3.4, 6.0), margin=0.05), **_NN,
          doc="a jump at |x| = 3.4 and a kink at |x| = 6 (Theano's approximation)"),
        e("softplus", softplus, _ref_softplus, wide, **_NN),
        e("hard_sigmoid", hard_sigmoid, _ref_hard,
          Arg("x", _F, (-4.0, 4.0), kinks=(-2.5, 2.5), margin=0.05), **_NN),
        e("softsign", softsign, _ref_softsign,
          Arg("x", _F, (-4.0, 4.0), kinks=(0.0,), margin=0.05), **_NN,
          doc="the second derivative jumps at 0"),
        e("relu", relu, _ref_relu, Arg("x", _F, kinks=(0.0,), margin=0.05),
          params=_alpha((0.0, 0.1, 1.5)), **_NN),
        e("elu", elu, _ref_elu, Arg("x", _F, kinks=(0.0,), margin=0.05),
          params=_alpha((1.0, 0.5)), **_NN, doc="the second derivative jumps at 0"),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
