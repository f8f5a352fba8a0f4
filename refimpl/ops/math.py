"""The elementwise table: each function with its dtype rule, reference
implementation through ``xp`` and derivative as a one-line formula.

Read top to bottom: ``d/dx exp(x) = exp(x)`` is ``grad=lambda i, out, gz:
[gz * out]``. Formulas use the inputs ``i``, the output ``out`` and the
output gradient ``gz``; ``Elemwise`` sums broadcast gradients back to the
inputs' shapes and derives ``R_op`` from the same formulas.

This module holds arithmetic, rounding, ``cast`` and ``tensor_copy``;
``math_compare`` the comparisons, logic, ``switch`` and ``clip``;
``math_special`` the exponential, logarithmic, trigonometric and special
functions; ``math_complex`` the complex parts. ``SPECS`` here collects the
test specs of all four (``math_refs`` holds their numpy references).
The normative text is ``spec/elemwise.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final, Literal

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.ops import math_compare as _cmp
from refimpl.ops import math_complex as _cx
from refimpl.ops import math_refs as _r
from refimpl.ops import math_special as _sp
from refimpl.ops.elemwise import (
    ABS,
    ARITH,
    FLOAT,
    REAL,
    REAL_ARITH,
    REAL_FLOAT,
    SAME,
    DtypeRule,
    ScalarFn,
    apply,
    elemwise_spec,
)
from refimpl.ops.math_special import EXP, LOG, exp, log  # noqa: F401 (kept importable here)
from refimpl.opspec import OpSpec, same_shapes
from refimpl.types import ALL_DTYPES, DType, as_dtype, kind
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable
Opt = TensorVariable | None


# --------------------------------------------------------------------------- arithmetic


def _add(xp: Namespace, a: Array, b: Array) -> Array:
    return xp.logical_or(a, b) if a.dtype == xp.bool else xp.add(a, b)


def _mul(xp: Namespace, a: Array, b: Array) -> Array:
    return xp.logical_and(a, b) if a.dtype == xp.bool else xp.multiply(a, b)


def _check_int_divisor(xp: Namespace, b: Array, what: str) -> None:
    if xp.isdtype(b.dtype, "integral") and bool(xp.any(b == 0)):
        raise ZeroDivisionError(f"{what}: integer division by zero")


def _int_div(xp: Namespace, a: Array, b: Array) -> Array:
    _check_int_divisor(xp, b, "int_div")
    return xp.floor_divide(a, b)


def _mod(xp: Namespace, a: Array, b: Array) -> Array:
    _check_int_divisor(xp, b, "mod")
    return xp.remainder(a, b)


def _pow_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    x, y = i
    return [gz * y * x ** (y - 1), _cmp.switch(_cmp.eq(x, 0), 0, gz * log(x) * out)]


def _extremum_grad(i: Sequence[TV], gz: TV, wins: Any) -> list[Any]:
    a, b = i
    tie = _cmp.eq(a, b)
    half = gz * 0.5
    return [
        _cmp.switch(wins(a, b), gz, _cmp.switch(tie, half, 0)),
        _cmp.switch(wins(b, a), gz, _cmp.switch(tie, half, 0)),
    ]


def _abs_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    (x,) = i
    return [gz * x / out] if kind(x.dtype) == "c" else [gz * sgn(x)]


def _abs_jvp(i: Sequence[TV], out: TV, t: Sequence[Opt]) -> Opt:
    (x,), (v,) = i, t
    if v is None:
        return None
    return _cx.real(_cx.conj(x) * v) / out if kind(x.dtype) == "c" else v * sgn(x)


ADD = ScalarFn(
    "add", 2, _add, SAME,
    grad=lambda i, out, gz: [gz, gz], holomorphic=True, symbol="+", precedence=-1,
    doc="d/da (a+b) = 1, d/db (a+b) = 1; on bool: logical or",
)  # fmt: skip
SUB = ScalarFn(
    "sub", 2, lambda xp, a, b: xp.subtract(a, b), ARITH,
    grad=lambda i, out, gz: [gz, -gz], holomorphic=True, symbol="-", precedence=-1,
    doc="d/da (a-b) = 1, d/db (a-b) = -1",
)  # fmt: skip
MUL = ScalarFn(
    "mul", 2, _mul, SAME,
    grad=lambda i, out, gz: [gz * i[1], gz * i[0]], holomorphic=True, symbol="*", precedence=0,
    doc="d/da (a*b) = b, d/db (a*b) = a; on bool: logical and",
)  # fmt: skip
TRUE_DIV = ScalarFn(
    "true_div", 2, lambda xp, a, b: xp.divide(a, b), FLOAT,
    grad=lambda i, out, gz: [gz / i[1], -gz * out / i[1]], holomorphic=True,
    symbol="/", precedence=0,
    doc="d/da (a/b) = 1/b, d/db (a/b) = -a/b**2 = -out/b",
)  # fmt: skip
INT_DIV = ScalarFn(
    "int_div", 2, _int_div, REAL_ARITH, zero_grad=True, symbol="//", precedence=0,
    doc="floor(a/b); d/da = d/db = 0 almost everywhere",
)  # fmt: skip
MOD = ScalarFn(
    "mod", 2, _mod, REAL_ARITH,
    grad=lambda i, out, gz: [gz, -gz * int_div(i[0], i[1])],
    doc="a - b*floor(a/b) (sign of b); d/da = 1, d/db = -floor(a/b)",
)  # fmt: skip
POW = ScalarFn(
    "pow", 2, lambda xp, a, b: xp.pow(a, b), ARITH,
    holomorphic=True, grad=_pow_grad, symbol="**", precedence=1,
    doc="d/dx x**y = y*x**(y-1), d/dy x**y = log(x)*x**y (taken as 0 where x == 0)",
)  # fmt: skip
NEG = ScalarFn(
    "neg", 1, lambda xp, a: xp.negative(a), ARITH,
    grad=lambda i, out, gz: [-gz], holomorphic=True, symbol="-", precedence=5,
    doc="d/dx (-x) = -1",
)  # fmt: skip
ABS_FN = ScalarFn(
    "abs", 1, lambda xp, a: xp.abs(a), ABS,
    grad=_abs_grad, jvp=_abs_jvp, complex_grad=True,
    doc="d/dx |x| = sgn(x) (0 at 0); complex: gz*z/|z|, tangent Re(conj(z) v)/|z|",
)  # fmt: skip
SGN = ScalarFn(
    "sgn", 1, lambda xp, a: xp.sign(a), REAL_ARITH, zero_grad=True,
    doc="-1, 0 or 1 (NaN for NaN); d/dx = 0 almost everywhere",
)  # fmt: skip
SQR = ScalarFn(
    "sqr", 1, lambda xp, a: xp.multiply(a, a), ARITH,
    holomorphic=True, grad=lambda i, out, gz: [gz * 2 * i[0]], doc="d/dx x**2 = 2x",
)  # fmt: skip
INV = ScalarFn(
    "inv", 1, lambda xp, a: 1.0 / a, FLOAT,
    holomorphic=True, grad=lambda i, out, gz: [-gz * out * out], doc="d/dx 1/x = -1/x**2 = -out**2",
)  # fmt: skip
MAXIMUM = ScalarFn(
    "maximum", 2,
    lambda xp, a, b: xp.logical_or(a, b) if a.dtype == xp.bool else xp.maximum(a, b), REAL,
    grad=lambda i, out, gz: _extremum_grad(i, gz, _cmp.gt),
    doc="d/da = [a > b] + [a == b]/2, d/db = [b > a] + [a == b]/2 (ties split evenly)",
)  # fmt: skip
MINIMUM = ScalarFn(
    "minimum", 2,
    lambda xp, a, b: xp.logical_and(a, b) if a.dtype == xp.bool else xp.minimum(a, b), REAL,
    grad=lambda i, out, gz: _extremum_grad(i, gz, _cmp.lt),
    doc="d/da = [a < b] + [a == b]/2, d/db = [b < a] + [a == b]/2 (ties split evenly)",
)  # fmt: skip


def add(a: Any, b: Any, *more: Any) -> TV:
    """Elementwise ``a + b (+ ...)`` (n-ary as Theano's ``add``; bool: or)."""
    return functools.reduce(lambda x, y: apply(ADD, x, y), more, apply(ADD, a, b))


def sub(a: Any, b: Any) -> TV:
    """Elementwise ``a - b``."""
    return apply(SUB, a, b)


def mul(a: Any, b: Any, *more: Any) -> TV:
    """Elementwise ``a * b (* ...)`` (n-ary as Theano's ``mul``; bool: and)."""
    return functools.reduce(lambda x, y: apply(MUL, x, y), more, apply(MUL, a, b))


def true_div(a: Any, b: Any) -> TV:
    """Elementwise ``a / b`` (integers divide to float)."""
    return apply(TRUE_DIV, a, b)


def int_div(a: Any, b: Any) -> TV:
    """Elementwise floor division ``a // b`` (integer division by zero raises)."""
    return apply(INT_DIV, a, b)


def ceil_intdiv(a: Any, b: Any) -> TV:
    """Elementwise ``ceil(a / b)`` of integers, computed exactly (Theano)."""
    q = int_div(a, b)
    return q + cast(_cmp.neq(mod(a, b), 0), q.dtype)


def mod(a: Any, b: Any) -> TV:
    """Elementwise ``a % b`` with the sign of ``b`` (Python/numpy convention)."""
    return apply(MOD, a, b)


def pow(a: Any, b: Any) -> TV:
    """Elementwise ``a ** b`` (dtypes promoted; int ** int stays int)."""
    return apply(POW, a, b)


def neg(a: Any) -> TV:
    """Elementwise ``-a``."""
    return apply(NEG, a)


def abs(a: Any) -> TV:
    """Elementwise ``|a|`` (complex: the modulus, of the real dtype)."""
    return apply(ABS_FN, a)


def sgn(a: Any) -> TV:
    """Elementwise sign: -1, 0 or 1."""
    return apply(SGN, a)


def sqr(a: Any) -> TV:
    """Elementwise ``a * a``."""
    return apply(SQR, a)


def inv(a: Any) -> TV:
    """Elementwise reciprocal ``1 / a`` (Theano's ``inv``; not the matrix inverse)."""
    return apply(INV, a)


def maximum(a: Any, b: Any) -> TV:
    """Elementwise larger of ``a`` and ``b`` (NaN propagates)."""
    return apply(MAXIMUM, a, b)


def minimum(a: Any, b: Any) -> TV:
    """Elementwise smaller of ``a`` and ``b`` (NaN propagates)."""
    return apply(MINIMUM, a, b)


def largest(*args: Any) -> TV:
    """Elementwise maximum of all arguments (Theano)."""
    if not args:
        raise TypeError("largest needs at least one argument")
    return functools.reduce(maximum, args[1:], as_tensor_variable(args[0]))


def smallest(*args: Any) -> TV:
    """Elementwise minimum of all arguments (Theano)."""
    if not args:
        raise TypeError("smallest needs at least one argument")
    return functools.reduce(minimum, args[1:], as_tensor_variable(args[0]))


# --------------------------------------------------------------------------- rounding


def _round_half_away(xp: Namespace, a: Array) -> Array:
    # trunc(a) and a - trunc(a) are exact, so ties are detected exactly
    # (sign(a) * floor(|a| + 0.5) is wrong for 0.49999999999999994).
    finite = xp.isfinite(a)
    v = xp.where(finite, a, xp.zeros_like(a))  # inf - inf would warn
    t = xp.trunc(v)
    return xp.where(finite, xp.where(xp.abs(v - t) >= 0.5, t + xp.sign(v), t), a)


FLOOR = ScalarFn("floor", 1, lambda xp, a: xp.floor(a), REAL_FLOAT, zero_grad=True,
                 doc="largest integer <= x; d/dx = 0 almost everywhere")  # fmt: skip
CEIL = ScalarFn("ceil", 1, lambda xp, a: xp.ceil(a), REAL_FLOAT, zero_grad=True,
                doc="smallest integer >= x; d/dx = 0 almost everywhere")  # fmt: skip
TRUNC = ScalarFn("trunc", 1, lambda xp, a: xp.trunc(a), REAL_FLOAT, zero_grad=True,
                 doc="integer part (toward zero); d/dx = 0 almost everywhere")  # fmt: skip
ROUND_HALF_AWAY = ScalarFn(
    "round_half_away_from_zero", 1, _round_half_away, REAL_FLOAT, zero_grad=True,
    doc="nearest integer, ties away from zero; d/dx = 0 almost everywhere",
)  # fmt: skip
ROUND_HALF_EVEN = ScalarFn(
    "round_half_to_even", 1, lambda xp, a: xp.round(a), REAL_FLOAT, zero_grad=True,
    doc="nearest integer, ties to even; d/dx = 0 almost everywhere",
)  # fmt: skip
ROUND_MODES: Final[dict[str, ScalarFn]] = {
    "half_away_from_zero": ROUND_HALF_AWAY,
    "half_to_even": ROUND_HALF_EVEN,
}
RoundMode = Literal["half_away_from_zero", "half_to_even"]


def floor(a: Any) -> TV:
    """Elementwise floor (integers become float, as in Theano)."""
    return apply(FLOOR, a)


def ceil(a: Any) -> TV:
    """Elementwise ceiling (integers become float, as in Theano)."""
    return apply(CEIL, a)


def trunc(a: Any) -> TV:
    """Elementwise truncation toward zero (integers become float)."""
    return apply(TRUNC, a)


def round(a: Any, mode: RoundMode | str = "half_away_from_zero") -> TV:
    """Elementwise rounding; ``mode`` is ``'half_away_from_zero'`` (default)
    or ``'half_to_even'`` (numpy's)."""
    fn = ROUND_MODES.get(mode)
    if fn is None:
        raise ValueError(f"round: unknown mode {mode!r}; expected one of {', '.join(ROUND_MODES)}")
    return apply(fn, a)


def iround(a: Any, mode: RoundMode | str = "half_away_from_zero") -> TV:
    """``cast(round(a, mode), 'int64')``."""
    return cast(round(a, mode), "int64")


# --------------------------------------------------------------------------- cast and copy


def _cast_impl(dtype: DType) -> Any:
    def impl(xp: Namespace, a: Array) -> Array:
        return xp.astype(a, getattr(xp, dtype))

    return impl


def _cast_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    (x,) = i
    if kind(out.dtype) == "c" and kind(x.dtype) != "c":
        gz = _cx.real(gz)
    return [cast(gz, x.dtype)]


def _make_cast_fns() -> dict[DType, ScalarFn]:
    table: dict[DType, ScalarFn] = {}
    for d in ALL_DTYPES:
        rule = DtypeRule(
            f"to_{d}",
            lambda dts: dts[0],
            lambda dts, d=d: d,  # type: ignore[misc]
            accepts="biufc" if kind(d) == "c" else "biuf",
        )
        table[d] = ScalarFn(
            d, 1, _cast_impl(d), rule, grad=_cast_grad,
            jvp=lambda i, out, t: None if t[0] is None else cast(t[0], out.dtype),
            complex_grad=True, doc=f"convert to {d}; d/dx = 1 (zero into a discrete dtype)",
        )  # fmt: skip
    return table


CAST_FNS: Final[dict[DType, ScalarFn]] = _make_cast_fns()
"""One row per target dtype; named by the dtype, so ``pp`` prints ``int64(x)``."""


def cast(x: Any, dtype: DType | str) -> TV:
    """``x`` converted to ``dtype`` (Theano's ``T.cast``: may lose
    information, e.g. float → int truncates toward zero). Returns ``x``
    itself when it already has that dtype."""
    target = as_dtype(dtype, "cast dtype")
    var = as_tensor_variable(x)
    if var.dtype == target:
        return var
    if kind(var.dtype) == "c" and kind(target) != "c":
        raise TypeError(
            f"cast: casting {var} from complex ({var.dtype}) to {target} is ambiguous; "
            "use T.real, T.imag, T.abs or T.angle"
        )
    return apply(CAST_FNS[target], var)


TENSOR_COPY = ScalarFn(
    "tensor_copy", 1, lambda xp, a: xp.asarray(a, copy=True), SAME,
    grad=lambda i, out, gz: [gz], holomorphic=True, doc="a copy of x; d/dx = 1",
)  # fmt: skip


def tensor_copy(x: Any) -> TV:
    """A copy of ``x`` (a new variable; ``x.copy()``)."""
    return apply(TENSOR_COPY, x)


# --------------------------------------------------------------------------- Theano aliases

abs_ = abs
sign = sgn
reciprocal = inv
floor_div = int_div
power = pow
true_divide = true_div

# --------------------------------------------------------------------------- test specs

_x, F, FI, SI = _r.x_arg, _r.F, _r.FI, _r.SI
_DEN = _x((*F, "complex128", "bool"), name="b", kinks=(0.0,), margin=0.25)
"""A denominator: |b| >= 0.25 with either sign (both parts for complex)."""
_INT_DEN = _x(SI, (-4.0, 4.0), name="b", kinks=(0.0,), margin=1.0)
"""An integer denominator: |b| >= 1."""
_NO_AD: dict[str, Any] = dict(grad=False, rop=False, second_order=False)


def _arith_specs() -> tuple[OpSpec, ...]:
    e, FIZ, FIZB = elemwise_spec, _r.FIZ, _r.FIZB
    both: dict[str, Any] = dict(make_inputs=_r.apart_inputs)
    quot: dict[str, Any] = dict(make_inputs=_r.quotient_inputs, shapes=same_shapes(2))
    fdiv = _r.fref(np.divide)
    return (
        e("add", add, np.add, _x(FIZB, name="a"), _x(FIZB, name="b"), poly_degree=1),
        e("sub", sub, np.subtract, _x(FIZ, name="a"), _x(FIZ, name="b"), poly_degree=1),
        e("mul", mul, np.multiply, _x(FIZB, name="a"), _x(FIZB, name="b"), poly_degree=2),
        e("true_div", true_div, fdiv, _x(_r.FZB, name="a"), _DEN),
        e("true_div_int", true_div, fdiv, _x(SI, name="a"), _INT_DEN, **_NO_AD,
          doc="int / int is float (Theano's FLOAT rule)"),
        e("int_div", int_div, np.floor_divide, _x(name="a"), _x(name="b"), **quot),
        e("int_div_int", int_div, np.floor_divide, _x(SI, (-9, 9), name="a"), _INT_DEN, **_NO_AD),
        e("mod", mod, np.remainder, _x(name="a"), _x(name="b"), **quot),
        e("mod_int", mod, np.remainder, _x(SI, (-9, 9), name="a"), _INT_DEN, **_NO_AD),
        e("pow", pow, np.power, _x((*F, "complex128"), (0.1, 3.0)),
          _x((*F, "complex128"), (-2.0, 2.0), name="y")),
        e("pow_int", pow, np.power, _x(SI, (-3, 3)), _x(SI, (0, 3), name="y"), **_NO_AD),
        e("neg", neg, np.negative, _x(FIZ), poly_degree=1),
        e("abs", abs, np.abs, _x(FIZ, kinks=(0.0,))),
        e("sgn", sgn, np.sign, _x(FI, kinks=(0.0,))),
        e("sqr", sqr, np.square, _x(FIZ), poly_degree=2),
        e("inv", inv, _r.fref(np.reciprocal), _x(_r.FZB, kinks=(0.0,), margin=0.25)),
        e("maximum", maximum, np.maximum, _x(_r.FIB, name="a"), _x(_r.FIB, name="b"), **both),
        e("minimum", minimum, np.minimum, _x(_r.FIB, name="a"), _x(_r.FIB, name="b"), **both),
        e("largest", lambda a, b: largest(a, b), np.maximum, _x(_r.FB, name="a"),
          _x(_r.FB, name="b"), **both),
        e("smallest", lambda a, b: smallest(a, b), np.minimum, _x(_r.FB, name="a"),
          _x(_r.FB, name="b"), **both),
        e("ceil_intdiv", ceil_intdiv, lambda a, b: np.ceil(a / b), _x(name="a"), _x(name="b"),
          **quot, doc="float inputs: ceil(a / b), exactly"),
        e("ceil_intdiv_int", ceil_intdiv, lambda a, b: -(-a // b), _x(SI, (-9, 9), name="a"),
          _INT_DEN, **_NO_AD),
    )  # fmt: skip


def _rounding_specs() -> tuple[OpSpec, ...]:
    e, FIB = elemwise_spec, _r.FIB
    return (
        e("floor", floor, _r.fref(np.floor), _x(FIB, jumps="integers")),
        e("ceil", ceil, _r.fref(np.ceil), _x(FIB, jumps="integers")),
        e("trunc", trunc, _r.fref(np.trunc), _x(FIB, jumps="integers")),
        e("round", round, _r.round_half_away_ref, _x(FIB, jumps="half_integers")),
        e("round_half_to_even", lambda x: round(x, "half_to_even"), _r.fref(np.round),
          _x(FIB, jumps="half_integers")),
        e("iround", iround, lambda x: _r.round_half_away_ref(x).astype(np.int64),
          _x(_r.FB, jumps="half_integers"), **_NO_AD,
          doc="discrete output: L_op gives zeros, R_op None"),
    )  # fmt: skip


def _cast_specs() -> tuple[OpSpec, ...]:
    e = elemwise_spec
    return (
        e("cast_float32", lambda x: cast(x, "float32"), lambda x: x.astype(np.float32),
          _x(("float64", "bool"))),
        e("cast_int32", lambda x: cast(x, "int32"), lambda x: x.astype(np.int32),
          _x(_r.FB, jumps="integers"), **_NO_AD,
          doc="float to int truncates toward zero; discrete output"),
        e("tensor_copy", tensor_copy, np.copy, _x(_r.FIZB), poly_degree=1),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = (
    *_arith_specs(),
    *_rounding_specs(),
    *_cast_specs(),
    *_cx.COMPLEX_SPECS,
    *_cmp.COMPARE_SPECS,
    *_sp.SPECIAL_SPECS,
)
"""The test specs of every elementwise function (this module and its siblings)."""
