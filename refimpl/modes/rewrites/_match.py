"""Small pattern-matching helpers shared by the rewrite modules.

``fn_name(var)`` is the ScalarFn name of the ``Elemwise`` computing ``var``;
``scalar_const(var)`` the single value of a constant whose elements are all
equal (looking through ``DimShuffle``s that only add broadcast axes);
``covers(x, out, others)`` whether ``x`` alone has the shape of ``out``
(so ``f(x, c) -> x`` keeps the shape).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.types import DType, is_discrete, kind
from refimpl.variable import TensorVariable


def elemwise_fn(node: Apply | None) -> str | None:
    """The ScalarFn name of an ``Elemwise`` node (``None`` otherwise)."""
    if node is None or type(node.op).__name__ != "Elemwise":
        return None
    return str(node.op.fn.name)  # type: ignore[attr-defined]


def fn_name(var: Variable[Any]) -> str | None:
    """The ScalarFn name of the ``Elemwise`` computing ``var``."""
    return elemwise_fn(var.owner)


def owner_inputs(var: Variable[Any]) -> list[TensorVariable]:
    assert var.owner is not None
    return list(var.owner.inputs)  # type: ignore[arg-type]


def is_broadcast_only(var: Variable[Any]) -> bool:
    """Every static length of ``var`` is 1 (it never stretches another input)."""
    return all(n == 1 for n in getattr(var.type, "shape", (None,)))


def strip_pad(var: Variable[Any]) -> Variable[Any]:
    """``var`` without ``DimShuffle``s that only insert broadcast axes."""
    while var.owner is not None and type(var.owner.op).__name__ == "DimShuffle":
        order = var.owner.op.new_order  # type: ignore[attr-defined]
        inner = var.owner.inputs[0]
        if [e for e in order if e != "x"] != list(range(inner.type.ndim)):
            break
        var = inner
    return var


def scalar_const(var: Variable[Any]) -> Any:
    """The common value of a constant whose elements are all equal (a
    Python scalar), or ``None``. Looks through rank-padding DimShuffles."""
    var = strip_pad(var)
    if not isinstance(var, Constant):
        return None
    data = np.asarray(var.data)
    if data.size == 0:
        return None
    first = data.reshape(-1)[0]
    if data.size > 1 and not bool(np.all(data == first)):
        return None
    return first.item()


def is_const(var: Variable[Any], value: float) -> bool:
    """Whether ``var`` is a constant whose elements all equal ``value``."""
    c = scalar_const(var)
    if c is None or (isinstance(c, complex) and c.imag != 0):
        return False
    try:
        return bool(c == value)
    except TypeError:
        return False


def covers(x: Variable[Any], out: Variable[Any], others: list[Variable[Any]]) -> bool:
    """Whether ``x`` has the shape of ``out`` (so ``f(x, c) -> x`` keeps the
    shape): same rank, and no axis where ``x`` has static length 1 and the
    output not. An axis of ``x`` of unknown length already has the output's
    length, since ``Elemwise`` never stretches such an axis (it raises);
    ``others`` (the other inputs) are accepted for documentation only."""
    xs, os_ = x.type.shape, out.type.shape
    if len(xs) != len(os_):
        return False
    return not any(a == 1 and b != 1 for a, b in zip(xs, os_))


def as_dtype_of(x: Variable[Any], dtype: DType) -> TensorVariable | None:
    """``x`` cast to ``dtype`` when that is value-preserving for the rewrites
    here (same dtype, or a real/int value into a wider float); else ``None``."""
    if not isinstance(x, TensorVariable):
        return None
    if x.dtype == dtype:
        return x
    if kind(dtype) not in "fc" or (kind(x.dtype) == "c" and kind(dtype) != "c"):
        return None
    from refimpl.ops import math

    return math.cast(x, dtype)


def same_var(a: Variable[Any], b: Variable[Any]) -> bool:
    """Identical variables, or equal constants."""
    if a is b:
        return True
    if isinstance(a, Constant) and isinstance(b, Constant):
        return a.signature() == b.signature()
    return False


def float_like(var: Variable[Any]) -> bool:
    return kind(var.type.dtype) in "fc"


def discrete(var: Variable[Any]) -> bool:
    return is_discrete(var.type.dtype)
