"""Jacobians and Hessians (spec/grad.md, "jacobian, hessian").

When the expression's number of elements is known statically, the
Jacobian is built row by row: row ``k`` is ``Lop(expression, wrt, e_k)``
with the one-hot cotangent ``e_k``; rows are stacked (nested, one ``stack``
per axis of ``expression``) so the result has shape ``expression.shape +
wrt.shape``. Otherwise the rows come from one ``scan`` over the elements
(``refimpl.scan.jacobian``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from refimpl.grad import _util
from refimpl.grad.engine import Lop, grad
from refimpl.grad.errors import JacobianLengthError
from refimpl.grad.rop import Rop
from refimpl.graph.basic import Variable
from refimpl.variable import TensorVariable, constant


def jacobian(
    expression: TensorVariable,
    wrt: Any,
    consider_constant: Sequence[Variable[Any]] | None = None,
    disconnected_inputs: str = "raise",
) -> Any:
    """The Jacobian of ``expression`` with respect to ``wrt`` (a variable or a
    list: the result has the same structure). For a 0-d expression this is
    ``grad``; otherwise entry ``[i..., j...]`` is d expression[i...] / d
    wrt[j...], of shape ``expression.shape + wrt.shape`` (built by a scan
    when the number of elements is not known statically)."""
    if not isinstance(expression, TensorVariable):
        raise TypeError(
            f"jacobian: expression must be a symbolic tensor, got {type(expression).__name__}"
        )
    wrts, single = _util.as_tensor_list(wrt, "jacobian: wrt")
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs)
    shape = expression.type.shape
    if any(n is None for n in shape):
        from refimpl.scan.jacobian import jacobian_by_scan

        by_scan = jacobian_by_scan(expression, wrts, consider_constant, disconnected_inputs)
        return by_scan[0] if single else by_scan
    n = math.prod(n for n in shape if n is not None)
    if n == 0:
        raise JacobianLengthError(f"jacobian: {expression} has no elements ({expression.type})")
    out_shape = tuple(n for n in shape if n is not None)
    rows: list[list[TensorVariable]] = []
    for k in range(n):
        onehot = np.zeros(n, dtype=expression.dtype)
        onehot[k] = 1
        # fill(expression, e_k) is the constant e_k, kept attached to the
        # expression so the Jacobian refers to all of its inputs (as Theano's)
        e_k = _util.T().fill(expression, constant(onehot.reshape(out_shape)))
        rows.append(Lop(expression, wrts, e_k, consider_constant, disconnected_inputs))
    result = [_nest([row[i] for row in rows], out_shape) for i in range(len(wrts))]
    return result[0] if single else result


def _nest(flat: list[TensorVariable], shape: tuple[int, ...]) -> TensorVariable:
    """Stack ``flat`` (row-major over ``shape``) into one tensor of leading
    shape ``shape``."""
    T = _util.T()
    if len(shape) == 1:
        out: TensorVariable = T.stack(flat, axis=0)
        return out
    step = math.prod(shape[1:])
    parts = [_nest(flat[k : k + step], shape[1:]) for k in range(0, len(flat), step)]
    stacked: TensorVariable = T.stack(parts, axis=0)
    return stacked


def hessian(
    cost: TensorVariable,
    wrt: Any,
    consider_constant: Sequence[Variable[Any]] | None = None,
    disconnected_inputs: str = "raise",
) -> Any:
    """The Hessian of the scalar ``cost`` with respect to ``wrt`` (a variable
    or a list: one Hessian per variable, of shape ``wrt.shape * 2``):
    ``jacobian(grad(cost, w), w)``. ``wrt`` needs static lengths."""
    wrts, single = _util.as_tensor_list(wrt, "hessian: wrt")
    out = []
    for w in wrts:
        g = grad(cost, w, consider_constant, disconnected_inputs)
        static = w.type.shape
        if g.type.shape != static and all(n is not None for n in static):
            g = _util.T().specify_shape(g, static)  # the gradient has w's shape
        # As in Theano, a gradient that does not depend on w (cost linear in
        # w) gives a zero Hessian, not an error.
        out.append(jacobian(g, w, consider_constant, disconnected_inputs="ignore"))
    return out[0] if single else out


def hessian_vector_product(
    cost: TensorVariable,
    wrt: Any,
    p: Any,
    method: str = "lop",
    consider_constant: Sequence[Variable[Any]] | None = None,
    disconnected_inputs: str = "raise",
) -> Any:
    """``H · p`` for the scalar ``cost`` (``wrt`` and ``p`` a variable or
    matching lists). ``method='lop'`` (default) is reverse-over-reverse,
    ``grad(sum(grad(cost) * p))``, which needs only ``L_op``s; ``'rop'`` is
    forward-over-reverse, ``Rop(grad(cost), wrt, p)``. No static shapes needed."""
    _util.check_choice(method, "method", ("lop", "rop"))
    wrts, single = _util.as_tensor_list(wrt, "hessian_vector_product: wrt")
    ps, single_p = _util.as_list(p, "hessian_vector_product: p")
    if single != single_p or len(ps) != len(wrts):
        raise ValueError(
            f"hessian_vector_product: wrt and p must match: {len(wrts)} and {len(ps)} entries"
        )
    vs = [
        _util.coerce_like(v, w, "hessian_vector_product: p" + ("" if single else f"[{k}]"))
        for k, (w, v) in enumerate(zip(wrts, ps, strict=True))
    ]
    gs = grad(cost, wrts, consider_constant, disconnected_inputs)
    if method == "rop":
        hv = Rop(gs, wrts, vs, disconnected_outputs="ignore")
    else:
        T = _util.T()
        total = T.sum(T.mul(gs[0], vs[0]))
        for g, v in zip(gs[1:], vs[1:], strict=True):
            total = T.add(total, T.sum(T.mul(g, v)))
        hv = grad(total, wrts, consider_constant, disconnected_inputs="ignore")
    return hv[0] if single else hv
