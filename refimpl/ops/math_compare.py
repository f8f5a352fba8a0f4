"""Elementwise comparisons, predicates, logic, ``switch`` and ``clip``.

Part of the elementwise table (see ``refimpl.ops.math`` and
``spec/elemwise.md``). Comparisons return bool and have a zero derivative;
``switch`` and ``clip`` route the output gradient to the input that was
selected. ``T.eq``/``T.neq`` are the elementwise equality tests: ``==`` on
variables keeps Python's identity meaning, as in Theano.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.ops import math_refs as _r
from refimpl.ops.elemwise import (
    COMPARE,
    EQUALITY,
    INTEGER,
    LOGICAL,
    PREDICATE,
    REAL_ARITH,
    SWITCH,
    ScalarFn,
    apply,
    elemwise_spec,
    resolve_weak_inputs,
    zero_grad,
)
from refimpl.opspec import OpSpec, same_shapes
from refimpl.types import promote_types, upcast_to_float
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable


def _cmp(name: str, impl: Any, rule: Any = COMPARE) -> ScalarFn:
    return ScalarFn(name, 2, impl, rule, zero_grad=True, doc=f"{name}(a, b) -> bool; d = 0")


# --------------------------------------------------------------------------- comparisons

LT = _cmp("lt", lambda xp, a, b: xp.less(a, b))
LE = _cmp("le", lambda xp, a, b: xp.less_equal(a, b))
GT = _cmp("gt", lambda xp, a, b: xp.greater(a, b))
GE = _cmp("ge", lambda xp, a, b: xp.greater_equal(a, b))
EQ = _cmp("eq", lambda xp, a, b: xp.equal(a, b), EQUALITY)
NEQ = _cmp("neq", lambda xp, a, b: xp.not_equal(a, b), EQUALITY)


def _predicate(test: str, discrete_value: bool) -> Any:
    """``xp.<test>``; integers and bool are never NaN or infinite."""

    def impl(xp: Namespace, a: Array) -> Array:
        if xp.isdtype(a.dtype, ("bool", "integral")):
            return xp.full(a.shape, discrete_value, dtype=xp.bool, device=device(a))
        return getattr(xp, test)(a)

    return impl


ISNAN = ScalarFn("isnan", 1, _predicate("isnan", False), PREDICATE, zero_grad=True,
                 doc="x is NaN (False for integers); d = 0")  # fmt: skip
ISINF = ScalarFn("isinf", 1, _predicate("isinf", False), PREDICATE, zero_grad=True,
                 doc="x is +-inf (False for integers); d = 0")  # fmt: skip
ISFINITE = ScalarFn("isfinite", 1, _predicate("isfinite", True), PREDICATE, zero_grad=True,
                    doc="x is neither NaN nor infinite (True for integers); d = 0")  # fmt: skip


def lt(a: Any, b: Any) -> TV:
    """Elementwise ``a < b`` (bool)."""
    return apply(LT, a, b)


def le(a: Any, b: Any) -> TV:
    """Elementwise ``a <= b`` (bool)."""
    return apply(LE, a, b)


def gt(a: Any, b: Any) -> TV:
    """Elementwise ``a > b`` (bool)."""
    return apply(GT, a, b)


def ge(a: Any, b: Any) -> TV:
    """Elementwise ``a >= b`` (bool)."""
    return apply(GE, a, b)


def eq(a: Any, b: Any) -> TV:
    """Elementwise ``a == b`` (bool). ``==`` on variables is identity, as in Theano."""
    return apply(EQ, a, b)


def neq(a: Any, b: Any) -> TV:
    """Elementwise ``a != b`` (bool)."""
    return apply(NEQ, a, b)


def isnan(a: Any) -> TV:
    """Elementwise NaN test (bool)."""
    return apply(ISNAN, a)


def isinf(a: Any) -> TV:
    """Elementwise infinity test (bool)."""
    return apply(ISINF, a)


def isfinite(a: Any) -> TV:
    """Elementwise finiteness test (bool)."""
    return apply(ISFINITE, a)


def isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> TV:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` as ``numpy.isclose``
    (infinities are close only to themselves; NaN only when ``equal_nan``)."""
    from refimpl.ops import math as _m

    a, b = resolve_weak_inputs([a, b], "isclose")
    fdt = upcast_to_float(promote_types(a.dtype, b.dtype))
    a, b = _m.cast(a, fdt), _m.cast(b, fdt)
    within = and_(le(_m.abs(a - b), _m.abs(b) * rtol + atol), isfinite(b))
    close = or_(within, eq(a, b))
    if equal_nan:
        close = or_(close, and_(isnan(a), isnan(b)))
    return close


def allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> TV:
    """Whether every element is close (a bool scalar): ``all(isclose(...))``."""
    from refimpl.ops import reduction as _red

    out: TV = _red.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    return out


# --------------------------------------------------------------------------- logic and bits


def _bits(name: str, nin: int, impl: Any, doc: str) -> ScalarFn:
    return ScalarFn(name, nin, impl, INTEGER, zero_grad=True, doc=doc)


AND = _bits("and_", 2, lambda xp, a, b: xp.bitwise_and(a, b), "bitwise and (logical on bool)")
OR = _bits("or_", 2, lambda xp, a, b: xp.bitwise_or(a, b), "bitwise or (logical on bool)")
XOR = _bits("xor", 2, lambda xp, a, b: xp.bitwise_xor(a, b), "bitwise xor (logical on bool)")
INVERT = _bits("invert", 1, lambda xp, a: xp.bitwise_invert(a), "bitwise not (logical on bool)")
LOGICAL_AND = ScalarFn("logical_and", 2, lambda xp, a, b: xp.logical_and(a, b), LOGICAL,
                       zero_grad=True, doc="a != 0 and b != 0")  # fmt: skip
LOGICAL_OR = ScalarFn("logical_or", 2, lambda xp, a, b: xp.logical_or(a, b), LOGICAL,
                      zero_grad=True, doc="a != 0 or b != 0")  # fmt: skip
LOGICAL_XOR = ScalarFn("logical_xor", 2, lambda xp, a, b: xp.logical_xor(a, b), LOGICAL,
                       zero_grad=True, doc="(a != 0) != (b != 0)")  # fmt: skip
LOGICAL_NOT = ScalarFn("logical_not", 1, lambda xp, a: xp.logical_not(a), LOGICAL,
                       zero_grad=True, doc="a == 0")  # fmt: skip


def and_(a: Any, b: Any) -> TV:
    """Elementwise bitwise and (``&``; logical on bool). Integers and bool only."""
    return apply(AND, a, b)


def or_(a: Any, b: Any) -> TV:
    """Elementwise bitwise or (``|``; logical on bool). Integers and bool only."""
    return apply(OR, a, b)


def xor(a: Any, b: Any) -> TV:
    """Elementwise bitwise xor (``^``; logical on bool). Integers and bool only."""
    return apply(XOR, a, b)


def invert(a: Any) -> TV:
    """Elementwise bitwise not (``~``; logical on bool). Integers and bool only."""
    return apply(INVERT, a)


def logical_and(a: Any, b: Any) -> TV:
    """Elementwise ``(a != 0) and (b != 0)`` (bool; any real dtype)."""
    return apply(LOGICAL_AND, a, b)


def logical_or(a: Any, b: Any) -> TV:
    """Elementwise ``(a != 0) or (b != 0)`` (bool; any real dtype)."""
    return apply(LOGICAL_OR, a, b)


def logical_xor(a: Any, b: Any) -> TV:
    """Elementwise ``(a != 0) != (b != 0)`` (bool; any real dtype)."""
    return apply(LOGICAL_XOR, a, b)


def logical_not(a: Any) -> TV:
    """Elementwise ``a == 0`` (bool; any real dtype)."""
    return apply(LOGICAL_NOT, a)


# --------------------------------------------------------------------------- switch and clip


def _switch_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    c = i[0]
    return [zero_grad(c), switch(c, gz, 0), switch(c, 0, gz)]


def _clip_grad(i: Sequence[TV], out: TV, gz: TV) -> list[Any]:
    # out = minimum(maximum(x, lo), hi): ties at a bound go to x (Theano's choice)
    from refimpl.ops import math as _m

    x, lo, hi = i
    inside = le(_m.maximum(x, lo), hi)
    return [
        switch(and_(inside, ge(x, lo)), gz, 0),
        switch(and_(inside, lt(x, lo)), gz, 0),
        switch(inside, 0, gz),
    ]


def _clip(xp: Namespace, x: Array, lo: Array, hi: Array) -> Array:
    return xp.minimum(xp.maximum(x, lo), hi)


SWITCH_FN = ScalarFn(
    "switch", 3, lambda xp, c, a, b: xp.where(c, a, b), SWITCH,
    grad=_switch_grad, complex_grad=True, weak_context=(1, 2),
    doc="a where cond != 0 else b; d/da = [cond], d/db = [not cond]",
)  # fmt: skip
CLIP = ScalarFn(
    "clip", 3, _clip, REAL_ARITH, grad=_clip_grad,
    doc="min(max(x, lo), hi); d/dx = [lo <= x <= hi], d/dlo = [x < lo], d/dhi = [x > hi]",
)  # fmt: skip


def switch(cond: Any, ift: Any, iff: Any) -> TV:
    """Elementwise ``ift`` where ``cond`` is non-zero, else ``iff`` (both are
    computed; ``refimpl.ifelse`` is the lazy scalar form)."""
    return apply(SWITCH_FN, cond, ift, iff)


def choose(a: Any, choices: Any) -> TV:
    """``numpy.choose``: ``choices[a[i]][i]`` for a list of ``choices``
    (broadcast with ``a``), built from ``switch`` so it is differentiable in
    the choices."""
    if isinstance(choices, TensorVariable):
        if choices.ndim == 0:
            raise TypeError(f"choose(): the choices {choices} must have at least one axis")
        if choices.type.shape[0] is None:
            return _choose_gather(as_tensor_variable(a), choices)
        choices = list(choices)  # one tensor per entry of the first axis, as numpy
    if not isinstance(choices, (list, tuple)) or not choices:
        raise TypeError(f"choose(): choices must be a non-empty list of tensors, got {choices!r}")
    index = as_tensor_variable(a)
    out = as_tensor_variable(choices[0])
    for k, choice in enumerate(choices[1:], start=1):
        out = switch(eq(index, k), choice, out)
    return out


def _choose_gather(index: TV, choices: TV) -> TV:
    """``choose`` with a tensor of choices of unknown count: broadcast the
    index and one choice together, flatten, and gather ``choices[a[i], i]``."""
    from refimpl import tensor as T

    a_b = index + T.zeros_like(choices[0], dtype=index.dtype)
    c_b = choices + T.shape_padleft(T.zeros_like(a_b, dtype=choices.dtype))
    flat_a = a_b.flatten()
    rows = c_b.reshape((choices.shape[0], -1), ndim=2)
    out: TV = rows[flat_a, T.arange(flat_a.shape[0])]
    return out.reshape(a_b.shape, ndim=a_b.ndim)


def clip(x: Any, a_min: Any, a_max: Any) -> TV:
    """Elementwise ``min(max(x, a_min), a_max)``."""
    return apply(CLIP, x, a_min, a_max)


where = switch
bitwise_and = and_
bitwise_or = or_
bitwise_xor = xor
bitwise_not = invert

# --------------------------------------------------------------------------- test specs


def _specs() -> tuple[OpSpec, ...]:
    e, x, FIB, FIZB, FZB = elemwise_spec, _r.x_arg, _r.FIB, _r.FIZB, _r.FZB
    flat: dict[str, Any] = dict(
        grad=False, rop=False, second_order=False, doc="bool output: zero gradient"
    )
    ties: dict[str, Any] = dict(make_inputs=_r.small_int_inputs, **flat)
    cmp = [
        e(name, fn, ref, x(dts, name="a"), x(dts, name="b"), **ties)
        for name, fn, ref, dts in (
            ("lt", lt, np.less, FIB), ("le", le, np.less_equal, FIB),
            ("gt", gt, np.greater, FIB), ("ge", ge, np.greater_equal, FIB),
            ("eq", eq, np.equal, FIZB), ("neq", neq, np.not_equal, FIZB),
        )
    ]  # fmt: skip
    special: dict[str, Any] = dict(make_inputs=_r.special_value_inputs, **flat)
    preds = [
        e("isnan", isnan, np.isnan, x(FZB), **special),
        e("isinf", isinf, np.isinf, x(FZB), **special),
        e("isfinite", isfinite, np.isfinite, x(FZB), **special),
    ]
    bits = [
        e(name, fn, ref, *(x(_r.BITS, (0, 9), name=n) for n in args), **flat)
        for name, fn, ref, args in (
            ("and_", and_, np.bitwise_and, "ab"), ("or_", or_, np.bitwise_or, "ab"),
            ("xor", xor, np.bitwise_xor, "ab"), ("invert", invert, np.invert, "a"),
        )
    ]  # fmt: skip
    logic = [
        e(name, fn, ref, *(x(FIB, (-2, 2), name=n) for n in args), **ties)
        for name, fn, ref, args in (
            ("logical_and", logical_and, np.logical_and, "ab"),
            ("logical_or", logical_or, np.logical_or, "ab"),
            ("logical_xor", logical_xor, np.logical_xor, "ab"),
            ("logical_not", logical_not, np.logical_not, "a"),
        )
    ]
    close: dict[str, Any] = dict(make_inputs=_r.close_inputs, shapes=same_shapes(2), **flat)
    rest = [
        e("switch", switch, np.where, x(("bool",), name="cond", differentiable=False),
          x(FIZB, name="a"), x(FIZB, name="b"), make_inputs=_r.switch_inputs, poly_degree=1),
        e("clip", clip, lambda v, lo, hi: np.minimum(np.maximum(v, lo), hi), x(_r.FI),
          x(_r.FI, name="lo"), x(_r.FI, name="hi"), make_inputs=_r.clip_inputs),
        e("isclose", isclose, _r.isclose_ref, x(FZB, name="a"), x(FZB, name="b"), **close),
        e("allclose", allclose, lambda a, b: np.asarray(np.all(_r.isclose_ref(a, b))),
          x(FZB, name="a"), x(FZB, name="b"), **close),
    ]  # fmt: skip
    return (*cmp, *preds, *bits, *logic, *rest)


COMPARE_SPECS: tuple[OpSpec, ...] = _specs()
"""Collected by ``refimpl.ops.math.SPECS``."""
