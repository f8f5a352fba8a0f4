"""The elementwise table: each function with its dtype rule, reference
implementation through ``xp`` and derivative as a one-line formula.

Read top to bottom: ``d/dx exp(x) = exp(x)`` is ``grad=lambda i, out, gz:
[gz * out]``. Formulas use the inputs ``i``, the output ``out`` and the
output gradient ``gz``; ``Elemwise`` sums broadcast gradients back to the
inputs' shapes and derives ``R_op`` from the same formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.ops.elemwise import (
    FLOAT,
    SAME,
    Elemwise,
    ScalarFn,
)
from refimpl.types import DType, as_dtype
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable


def _op(fn: ScalarFn) -> Elemwise:
    return Elemwise(fn)


# --------------------------------------------------------------------------- arithmetic

ADD = ScalarFn(
    "add", 2, lambda xp, a, b: xp.add(a, b), SAME,
    grad=lambda i, out, gz: [gz, gz], symbol="+", precedence=-1,
    doc="d/da (a+b) = 1, d/db (a+b) = 1",
)  # fmt: skip
SUB = ScalarFn(
    "sub", 2, lambda xp, a, b: xp.subtract(a, b), SAME,
    grad=lambda i, out, gz: [gz, -gz], symbol="-", precedence=-1,
    doc="d/da (a-b) = 1, d/db (a-b) = -1",
)  # fmt: skip
MUL = ScalarFn(
    "mul", 2, lambda xp, a, b: xp.multiply(a, b), SAME,
    grad=lambda i, out, gz: [gz * i[1], gz * i[0]], symbol="*", precedence=0,
    doc="d/da (a*b) = b, d/db (a*b) = a",
)  # fmt: skip
TRUE_DIV = ScalarFn(
    "true_div", 2, lambda xp, a, b: xp.divide(a, b), FLOAT,
    grad=lambda i, out, gz: [gz / i[1], -gz * out / i[1]], symbol="/", precedence=0,
    doc="d/da (a/b) = 1/b, d/db (a/b) = -a/b**2 = -out/b",
)  # fmt: skip
NEG = ScalarFn(
    "neg", 1, lambda xp, a: xp.negative(a), SAME,
    grad=lambda i, out, gz: [-gz], symbol="-", precedence=5, doc="d/dx (-x) = -1",
)  # fmt: skip
EXP = ScalarFn(
    "exp", 1, lambda xp, a: xp.exp(a), FLOAT,
    grad=lambda i, out, gz: [gz * out], doc="d/dx exp(x) = exp(x)",
)  # fmt: skip
LOG = ScalarFn(
    "log", 1, lambda xp, a: xp.log(a), FLOAT,
    grad=lambda i, out, gz: [gz / i[0]], doc="d/dx log(x) = 1/x",
)  # fmt: skip


def add(a: Any, b: Any) -> TV:
    """Elementwise ``a + b``."""
    return Elemwise(ADD)(a, b)  # type: ignore[no-any-return]


def sub(a: Any, b: Any) -> TV:
    """Elementwise ``a - b``."""
    return Elemwise(SUB)(a, b)  # type: ignore[no-any-return]


def mul(a: Any, b: Any) -> TV:
    """Elementwise ``a * b``."""
    return Elemwise(MUL)(a, b)  # type: ignore[no-any-return]


def true_div(a: Any, b: Any) -> TV:
    """Elementwise ``a / b`` (integers divide to float)."""
    return Elemwise(TRUE_DIV)(a, b)  # type: ignore[no-any-return]


def neg(a: Any) -> TV:
    return Elemwise(NEG)(a)  # type: ignore[no-any-return]


def exp(a: Any) -> TV:
    return Elemwise(EXP)(a)  # type: ignore[no-any-return]


def log(a: Any) -> TV:
    return Elemwise(LOG)(a)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- casting


def _cast_impl(dtype: DType) -> Any:
    def impl(xp: Namespace, a: Array) -> Array:
        return xp.astype(a, getattr(xp, dtype))

    return impl


def cast(x: Any, dtype: DType | str) -> TV:
    """``x`` converted to ``dtype`` (Theano's ``T.cast``: may lose
    information, e.g. float → int truncates toward zero)."""
    from refimpl.ops.elemwise import DtypeRule

    target = as_dtype(dtype, "cast dtype")
    x = as_tensor_variable(x)
    if x.dtype == target:
        return x
    rule = DtypeRule(f"to_{target}", lambda d: d[0], lambda d: target)
    fn = CAST_FNS.get(target)
    if fn is None:  # pragma: no cover - every dtype is in the table
        fn = ScalarFn(f"cast_{target}", 1, _cast_impl(target), rule)
    out: TV = Elemwise(fn)(x)
    return out


def _cast_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    return [cast(gz, i[0].dtype)]


def _make_cast_fns() -> dict[DType, ScalarFn]:
    from refimpl.ops.elemwise import DtypeRule
    from refimpl.types import ALL_DTYPES

    table: dict[DType, ScalarFn] = {}
    for d in ALL_DTYPES:
        rule = DtypeRule(f"to_{d}", lambda dts: dts[0], lambda dts, d=d: d)  # type: ignore[misc]
        table[d] = ScalarFn(
            f"cast_{d}",
            1,
            _cast_impl(d),
            rule,
            grad=_cast_grad,
            doc=f"convert to {d}; d/dx = 1 (for float to float)",
        )
    return table


CAST_FNS: dict[DType, ScalarFn] = _make_cast_fns()
