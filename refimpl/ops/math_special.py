"""Exponential, logarithmic, trigonometric, hyperbolic and special functions.

Part of the elementwise table (see ``refimpl.ops.math`` and
``spec/elemwise.md``). Integer inputs are converted to float first (Theano's
``upgrade_to_float``). The error and gamma families go through
``refimpl.xpext``, which uses a native library where the namespace has one
and a pure array-API composite otherwise.
"""

from __future__ import annotations

import math as _pm
from typing import Any

import numpy as np

from refimpl import xpext
from refimpl._typing import Array, Namespace
from refimpl.ops import math_refs as _r
from refimpl.ops.elemwise import FLOAT, REAL_FLOAT, ScalarFn, apply, elemwise_spec
from refimpl.opspec import OpSpec
from refimpl.variable import TensorVariable

TV = TensorVariable
_LN2, _LN10 = _pm.log(2.0), _pm.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / _pm.sqrt(_pm.pi)
_SQRT_PI_OVER_TWO = _pm.sqrt(_pm.pi) / 2.0


def _f(name: str, impl: Any, grad: Any, doc: str, rule: Any = FLOAT, nin: int = 1) -> ScalarFn:
    """A row; the functions of complex values (rule FLOAT) are holomorphic."""
    return ScalarFn(name, nin, impl, rule, grad=grad, doc=doc, holomorphic=rule is FLOAT)


def _logaddexp(xp: Namespace, a: Array, b: Array) -> Array:
    # max + log1p(exp(-|a - b|)); a == b (including equal infinities) is a + log 2
    same = a == b
    d = xp.abs(xp.where(same, xp.zeros_like(a), a) - b)  # inf - inf would warn
    return xp.where(same, a + _LN2, xp.maximum(a, b) + xp.log1p(xp.exp(-d)))


def _special(name: str) -> Any:
    fn = getattr(xpext, name)
    return lambda xp, a: fn(xp, a)


# --------------------------------------------------------------------------- exp and log
# fmt: off
EXP = _f("exp", lambda xp, a: xp.exp(a), lambda i, out, gz: [gz * out],
         "d/dx exp(x) = exp(x)")
EXP2 = _f("exp2", lambda xp, a: 2.0 ** a, lambda i, out, gz: [gz * out * _LN2],
          "d/dx 2**x = 2**x log 2")
EXPM1 = _f("expm1", lambda xp, a: xp.expm1(a), lambda i, out, gz: [gz * (out + 1.0)],
           "d/dx (exp(x) - 1) = exp(x)")
LOG = _f("log", lambda xp, a: xp.log(a), lambda i, out, gz: [gz / i[0]],
         "d/dx log(x) = 1/x")
LOG1P = _f("log1p", lambda xp, a: xp.log1p(a), lambda i, out, gz: [gz / (i[0] + 1.0)],
           "d/dx log(1 + x) = 1/(1 + x)")
LOG2 = _f("log2", lambda xp, a: xp.log2(a), lambda i, out, gz: [gz / (i[0] * _LN2)],
          "d/dx log2(x) = 1/(x log 2)")
LOG10 = _f("log10", lambda xp, a: xp.log10(a), lambda i, out, gz: [gz / (i[0] * _LN10)],
           "d/dx log10(x) = 1/(x log 10)")
SQRT = _f("sqrt", lambda xp, a: xp.sqrt(a), lambda i, out, gz: [gz / (2.0 * out)],
          "d/dx sqrt(x) = 1/(2 sqrt(x))")
LOGADDEXP = _f(
    "logaddexp", _logaddexp,
    lambda i, out, gz: [gz * exp(i[0] - out), gz * exp(i[1] - out)],
    "d/da log(e**a + e**b) = e**(a - out), d/db = e**(b - out)", REAL_FLOAT, 2,
)

# --------------------------------------------------------------------------- trigonometric
SIN = _f("sin", lambda xp, a: xp.sin(a), lambda i, out, gz: [gz * cos(i[0])],
         "d/dx sin(x) = cos(x)")
COS = _f("cos", lambda xp, a: xp.cos(a), lambda i, out, gz: [-gz * sin(i[0])],
         "d/dx cos(x) = -sin(x)")
TAN = _f("tan", lambda xp, a: xp.tan(a), lambda i, out, gz: [gz * (1.0 + out * out)],
         "d/dx tan(x) = 1 + tan(x)**2")
ARCSIN = _f("arcsin", lambda xp, a: xp.asin(a),
            lambda i, out, gz: [gz / sqrt(1.0 - i[0] * i[0])], "d/dx arcsin(x) = 1/sqrt(1 - x**2)")
ARCCOS = _f("arccos", lambda xp, a: xp.acos(a),
            lambda i, out, gz: [-gz / sqrt(1.0 - i[0] * i[0])],
            "d/dx arccos(x) = -1/sqrt(1 - x**2)")
ARCTAN = _f("arctan", lambda xp, a: xp.atan(a), lambda i, out, gz: [gz / (1.0 + i[0] * i[0])],
            "d/dx arctan(x) = 1/(1 + x**2)")
ARCTAN2 = _f(
    "arctan2", lambda xp, y, x: xp.atan2(y, x),
    lambda i, out, gz: [gz * i[1] / (i[0] * i[0] + i[1] * i[1]),
                        -gz * i[0] / (i[0] * i[0] + i[1] * i[1])],
    "d/dy atan2(y, x) = x/(x**2 + y**2), d/dx = -y/(x**2 + y**2)", REAL_FLOAT, 2,
)
DEG2RAD = _f("deg2rad", lambda xp, a: a * (_pm.pi / 180.0),
             lambda i, out, gz: [gz * (_pm.pi / 180.0)], "d/dx = pi/180", REAL_FLOAT)
RAD2DEG = _f("rad2deg", lambda xp, a: a * (180.0 / _pm.pi),
             lambda i, out, gz: [gz * (180.0 / _pm.pi)], "d/dx = 180/pi", REAL_FLOAT)

# --------------------------------------------------------------------------- hyperbolic
SINH = _f("sinh", lambda xp, a: xp.sinh(a), lambda i, out, gz: [gz * cosh(i[0])],
          "d/dx sinh(x) = cosh(x)")
COSH = _f("cosh", lambda xp, a: xp.cosh(a), lambda i, out, gz: [gz * sinh(i[0])],
          "d/dx cosh(x) = sinh(x)")
TANH = _f("tanh", lambda xp, a: xp.tanh(a), lambda i, out, gz: [gz * (1.0 - out * out)],
          "d/dx tanh(x) = 1 - tanh(x)**2")
ARCSINH = _f("arcsinh", lambda xp, a: xp.asinh(a),
             lambda i, out, gz: [gz / sqrt(i[0] * i[0] + 1.0)],
             "d/dx arcsinh(x) = 1/sqrt(x**2 + 1)")
ARCCOSH = _f("arccosh", lambda xp, a: xp.acosh(a),
             lambda i, out, gz: [gz / sqrt(i[0] * i[0] - 1.0)],
             "d/dx arccosh(x) = 1/sqrt(x**2 - 1)")
ARCTANH = _f("arctanh", lambda xp, a: xp.atanh(a), lambda i, out, gz: [gz / (1.0 - i[0] * i[0])],
             "d/dx arctanh(x) = 1/(1 - x**2)")

# --------------------------------------------------------------------------- special functions
ERF = _f("erf", _special("erf"), lambda i, out, gz: [gz * _TWO_OVER_SQRT_PI * exp(-i[0] * i[0])],
         "d/dx erf(x) = 2/sqrt(pi) exp(-x**2)", REAL_FLOAT)
ERFC = _f("erfc", _special("erfc"),
          lambda i, out, gz: [-gz * _TWO_OVER_SQRT_PI * exp(-i[0] * i[0])],
          "d/dx erfc(x) = -2/sqrt(pi) exp(-x**2)", REAL_FLOAT)
ERFINV = _f("erfinv", _special("erfinv"),
            lambda i, out, gz: [gz * _SQRT_PI_OVER_TWO * exp(out * out)],
            "d/dx erfinv(x) = sqrt(pi)/2 exp(erfinv(x)**2)", REAL_FLOAT)
ERFCINV = _f("erfcinv", _special("erfcinv"),
             lambda i, out, gz: [-gz * _SQRT_PI_OVER_TWO * exp(out * out)],
             "d/dx erfcinv(x) = -sqrt(pi)/2 exp(erfcinv(x)**2)", REAL_FLOAT)
GAMMA = _f("gamma", _special("gamma"), lambda i, out, gz: [gz * out * psi(i[0])],
           "d/dx gamma(x) = gamma(x) psi(x)", REAL_FLOAT)
GAMMALN = _f("gammaln", _special("gammaln"), lambda i, out, gz: [gz * psi(i[0])],
             "d/dx log|gamma(x)| = psi(x)", REAL_FLOAT)
PSI = ScalarFn(
    "psi", 1, _special("psi"), REAL_FLOAT,
    no_grad_reason="the derivative of psi is the trigamma function, which is not implemented",
    no_grad_kind="not_implemented", doc="digamma; d/dx psi(x) = trigamma(x): not implemented",
)
# fmt: on


def exp(a: Any) -> TV:
    """Elementwise ``e**a``."""
    return apply(EXP, a)


def exp2(a: Any) -> TV:
    """Elementwise ``2**a``."""
    return apply(EXP2, a)


def expm1(a: Any) -> TV:
    """Elementwise ``e**a - 1``, accurate for small ``a``."""
    return apply(EXPM1, a)


def log(a: Any) -> TV:
    """Elementwise natural logarithm."""
    return apply(LOG, a)


def log1p(a: Any) -> TV:
    """Elementwise ``log(1 + a)``, accurate for small ``a``."""
    return apply(LOG1P, a)


def log2(a: Any) -> TV:
    """Elementwise base-2 logarithm."""
    return apply(LOG2, a)


def log10(a: Any) -> TV:
    """Elementwise base-10 logarithm."""
    return apply(LOG10, a)


def sqrt(a: Any) -> TV:
    """Elementwise square root."""
    return apply(SQRT, a)


def logaddexp(a: Any, b: Any) -> TV:
    """Elementwise ``log(exp(a) + exp(b))`` without overflow."""
    return apply(LOGADDEXP, a, b)


def sin(a: Any) -> TV:
    """Elementwise sine."""
    return apply(SIN, a)


def cos(a: Any) -> TV:
    """Elementwise cosine."""
    return apply(COS, a)


def tan(a: Any) -> TV:
    """Elementwise tangent."""
    return apply(TAN, a)


def arcsin(a: Any) -> TV:
    """Elementwise inverse sine."""
    return apply(ARCSIN, a)


def arccos(a: Any) -> TV:
    """Elementwise inverse cosine."""
    return apply(ARCCOS, a)


def arctan(a: Any) -> TV:
    """Elementwise inverse tangent."""
    return apply(ARCTAN, a)


def arctan2(y: Any, x: Any) -> TV:
    """Elementwise angle of the point ``(x, y)``, in ``[-pi, pi]``."""
    return apply(ARCTAN2, y, x)


def deg2rad(a: Any) -> TV:
    """Degrees to radians."""
    return apply(DEG2RAD, a)


def rad2deg(a: Any) -> TV:
    """Radians to degrees."""
    return apply(RAD2DEG, a)


def sinh(a: Any) -> TV:
    """Elementwise hyperbolic sine."""
    return apply(SINH, a)


def cosh(a: Any) -> TV:
    """Elementwise hyperbolic cosine."""
    return apply(COSH, a)


def tanh(a: Any) -> TV:
    """Elementwise hyperbolic tangent."""
    return apply(TANH, a)


def arcsinh(a: Any) -> TV:
    """Elementwise inverse hyperbolic sine."""
    return apply(ARCSINH, a)


def arccosh(a: Any) -> TV:
    """Elementwise inverse hyperbolic cosine."""
    return apply(ARCCOSH, a)


def arctanh(a: Any) -> TV:
    """Elementwise inverse hyperbolic tangent."""
    return apply(ARCTANH, a)


def erf(a: Any) -> TV:
    """Elementwise error function."""
    return apply(ERF, a)


def erfc(a: Any) -> TV:
    """Elementwise complementary error function ``1 - erf(a)``."""
    return apply(ERFC, a)


def erfinv(a: Any) -> TV:
    """Elementwise inverse error function (on [-1, 1])."""
    return apply(ERFINV, a)


def erfcinv(a: Any) -> TV:
    """Elementwise inverse complementary error function (on [0, 2])."""
    return apply(ERFCINV, a)


def gamma(a: Any) -> TV:
    """Elementwise gamma function."""
    return apply(GAMMA, a)


def gammaln(a: Any) -> TV:
    """Elementwise ``log|gamma(a)|``."""
    return apply(GAMMALN, a)


def psi(a: Any) -> TV:
    """Elementwise digamma function ``gamma'(a) / gamma(a)`` (no gradient)."""
    return apply(PSI, a)


# --------------------------------------------------------------------------- test specs


def _specs() -> tuple[OpSpec, ...]:
    # Functions of complex values claim complex128; their domains keep both
    # parts away from branch cuts and poles (arcsinh, arctan: the imaginary
    # axis; tan, tanh: |Im| < pi/2). Every function claims bool (0 and 1).
    e, x, fr, inf = elemwise_spec, _r.x_arg, _r.fref, _pm.inf
    FB, FZB = _r.FB, _r.FZB
    pos = x(FZB, (0.1, 10.0))
    unit = x(FZB, (-0.9, 0.9))
    no2: dict[str, Any] = dict(
        second_order=False, doc="second order needs psi', which is not implemented"
    )
    return (
        e("exp", exp, fr(np.exp), x(FZB)),
        e("exp2", exp2, fr(np.exp2), x(FZB)),
        e("expm1", expm1, fr(np.expm1), x(FZB)),
        e("log", log, fr(np.log), pos),
        e("log1p", log1p, fr(np.log1p), x(FZB, (-0.9, 5.0), grad_domain=(-0.5, 5.0))),
        e("log2", log2, fr(np.log2), pos),
        e("log10", log10, fr(np.log10), pos),
        e("sqrt", sqrt, fr(np.sqrt), pos),
        e("logaddexp", logaddexp, fr(np.logaddexp), x(FB, name="a"), x(FB, name="b")),
        e("sin", sin, fr(np.sin), x(FZB)),
        e("cos", cos, fr(np.cos), x(FZB)),
        e("tan", tan, fr(np.tan), x(FZB, (-1.2, 1.2))),
        e("arcsin", arcsin, fr(np.arcsin), unit),
        e("arccos", arccos, fr(np.arccos), unit),
        e("arctan", arctan, fr(np.arctan), x(FZB, kinks=(0.0,), margin=0.1)),
        e("arctan2", arctan2, fr(np.arctan2), x(FB, name="y", kinks=(0.0,), margin=0.1),
          x(FB, kinks=(0.0,), margin=0.1)),
        e("deg2rad", deg2rad, fr(np.deg2rad), x(FB), poly_degree=1),
        e("rad2deg", rad2deg, fr(np.rad2deg), x(FB), poly_degree=1),
        e("sinh", sinh, fr(np.sinh), x(FZB)),
        e("cosh", cosh, fr(np.cosh), x(FZB)),
        e("tanh", tanh, fr(np.tanh), x(FZB, (-1.2, 1.2))),
        e("arcsinh", arcsinh, fr(np.arcsinh), x(FZB, kinks=(0.0,), margin=0.1)),
        e("arccosh", arccosh, fr(np.arccosh), x(FZB, (1.0, 10.0), grad_domain=(1.2, 10.0))),
        e("arctanh", arctanh, fr(np.arctanh), unit),
        e("erf", erf, _r.vref(_pm.erf), x(FB)),
        e("erfc", erfc, _r.vref(_pm.erfc), x(FB)),
        e("erfinv", erfinv, _r.mpref("erfinv"), x(FB, (-0.9, 0.9))),
        e("erfcinv", erfcinv, _r.mpref("erfinv", lambda y: 1 - y), x(FB, (0.1, 1.9))),
        e("gamma", gamma, _r.vref(_pm.gamma, inf), x(FB, (0.5, 5.0)), **no2),
        e("gammaln", gammaln, _r.vref(_pm.lgamma, inf), x(FB, (0.5, 10.0)), **no2),
        e("psi", psi, _r.mpref("digamma", pole=-inf), x(FB, (0.5, 10.0)), grad=False,
          rop=False, second_order=False, doc="gradient (trigamma) not implemented"),
    )  # fmt: skip


SPECIAL_SPECS: tuple[OpSpec, ...] = _specs()
"""Collected by ``refimpl.ops.math.SPECS``."""
