"""The Jacobian of an expression of unknown static length, by a scan
(``refimpl.grad.jacobian`` calls this when the number of elements is not
known statically; spec/scan.md, "jacobian").

The vector-Jacobian product ``Lop(expression, wrt, u)`` is built once with
a placeholder cotangent ``u``; step ``k`` of a scan over ``arange(size)``
evaluates it at the one-hot ``e_k``. Everything the product reads that
does not depend on ``u`` (the forward values) is passed as a
non-sequence, so the loop recomputes only the backward part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refimpl.graph.basic import Constant, Variable, clone_replace, io_toposort
from refimpl.scan import utils
from refimpl.scan.utils import TV


def jacobian_by_scan(
    expression: TV,
    wrts: Sequence[TV],
    consider_constant: Sequence[Variable[Any]] | None,
    disconnected_inputs: str,
) -> list[TV]:
    """One Jacobian per ``wrts`` entry, of shape ``expression.shape +
    wrt.shape``: row ``k`` of the flattened expression is ``Lop`` at ``e_k``."""
    from refimpl.grad import Lop
    from refimpl.scan.basic import scan

    T = utils.T()
    u = expression.type("u")
    rows = list(Lop(expression, list(wrts), u, consider_constant, disconnected_inputs))
    shape = T.shape(expression)
    size = T.prod(shape)
    frontier = _frontier(rows, u)

    def step(k: TV, shp: TV, n: TV, *_: TV) -> list[TV]:
        e_k = T.cast(T.eq(T.arange(n), k), expression.dtype)
        if expression.ndim != 1:
            e_k = T.reshape(e_k, shp, ndim=expression.ndim)
        return list(clone_replace(rows, {u: e_k}))

    out, _ = scan(
        step, sequences=T.arange(size), non_sequences=[shape, size, *frontier], return_list=True
    )
    if expression.ndim == 1:
        return list(out)  # rows are already (size, *wrt.shape)
    result = []
    for o, w in zip(out, wrts, strict=True):
        full = T.concatenate([shape, T.shape(w)])
        result.append(T.reshape(o, full, ndim=expression.ndim + w.ndim))
    return result


def _frontier(outputs: Sequence[TV], u: TV) -> list[TV]:
    """The variables that do not depend on ``u`` but feed a node that does."""
    dependent: set[int] = {id(u)}
    found: list[TV] = []
    seen: set[int] = set()
    for node in io_toposort([u], outputs):
        if not any(id(i) in dependent for i in node.inputs):
            continue
        dependent.update(id(o) for o in node.outputs)
        for i in node.inputs:
            if id(i) in dependent or id(i) in seen or isinstance(i, Constant):
                continue
            seen.add(id(i))
            found.append(i)  # type: ignore[arg-type]
    return found
