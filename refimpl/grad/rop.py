"""Forward-mode differentiation: ``Rop`` (spec/grad.md, "Rop").

``Rop`` sweeps the graph forward from ``wrt`` to ``f`` calling each op's
``R_op``; ``Rop_via_Lop`` computes the same Jacobian-vector product by the
double-``Lop`` construction (Towns' trick) and is kept as an independent
cross-check of the ops' ``R_op`` against their ``L_op``.
"""

from __future__ import annotations

import warnings
from typing import Any

from refimpl.grad import _util
from refimpl.grad.engine import DISCONNECTED_POLICIES, Lop
from refimpl.grad.errors import DisconnectedInputError, InvalidGradientError
from refimpl.graph.basic import Constant, Variable, clone_replace, io_toposort
from refimpl.types import is_discrete
from refimpl.variable import TensorVariable

ROP_RETURN = ("zero", "None")


def _tangents(
    wrt: Any, eval_points: Any, who: str
) -> tuple[list[TensorVariable], dict[Variable[Any], TensorVariable]]:
    wrts, single_w = _util.as_tensor_list(wrt, f"{who}: wrt")
    evs, single_e = _util.as_list(eval_points, f"{who}: eval_points")
    if single_w != single_e or len(wrts) != len(evs):
        raise ValueError(
            f"{who}: wrt and eval_points must match: {len(wrts)} variable(s) and "
            f"{len(evs)} eval point(s)"
        )
    seen: set[Variable[Any]] = set()
    tangents: dict[Variable[Any], TensorVariable] = {}
    for k, (w, e) in enumerate(zip(wrts, evs, strict=True)):
        if w in seen:
            raise ValueError(f"{who}: {w} appears more than once in wrt")
        seen.add(w)
        where = f"{who}: eval_points" if single_e else f"{who}: eval_points[{k}]"
        v = _util.coerce_like(e, w, where)
        if not is_discrete(w.dtype):
            tangents[w] = v
    return wrts, tangents


def Rop(
    f: Any,
    wrt: Any,
    eval_points: Any,
    disconnected_outputs: str = "raise",
    return_disconnected: str = "zero",
) -> Any:
    """The Jacobian-vector product ``J · eval_points`` of ``f`` (a variable or
    list; the result has the same structure and ``f``'s types) with respect
    to ``wrt`` (a variable or list, one eval point each, of its type).

    Each node's ``R_op`` is called; an op without one raises
    ``RopNotImplementedError`` naming it. ``disconnected_outputs``
    (``'raise'|'warn'|'ignore'``) is the policy for an ``f`` that does not
    depend on ``wrt``; ``return_disconnected`` (``'zero'|'None'``) what it gets.
    """
    _util.check_choice(disconnected_outputs, "disconnected_outputs", DISCONNECTED_POLICIES)
    _util.check_choice(return_disconnected, "return_disconnected", ROP_RETURN)
    fs, single = _util.as_tensor_list(f, "Rop: f")
    wrts, tangents = _tangents(wrt, eval_points, "Rop")
    depends: set[Variable[Any]] = set(wrts)
    for node in io_toposort(wrts, fs):
        pattern = node.op.connection_pattern(node)
        for j, out in enumerate(node.outputs):
            if any(pattern[i][j] and inp in depends for i, inp in enumerate(node.inputs)):
                depends.add(out)
        evals = [tangents.get(inp) if _util.differentiable(inp) else None for inp in node.inputs]
        if all(e is None for e in evals):
            continue
        evals = [_leaf_zeros(inp) if e is None else e for inp, e in zip(node.inputs, evals)]
        try:
            res = node.op.R_op(node.inputs, evals)  # type: ignore[arg-type]
        except NotImplementedError as exc:
            exc.add_note(f"refimpl.Rop: while computing the R_op of node {node}")
            raise
        if not isinstance(res, (list, tuple)) or len(res) != len(node.outputs):
            n = len(res) if isinstance(res, (list, tuple)) else type(res).__name__
            raise InvalidGradientError(
                f"{node.op}.R_op returned {n} results for a node with {len(node.outputs)} outputs"
            )
        for j, (out, r) in enumerate(zip(node.outputs, res, strict=True)):
            if not _util.differentiable(out) or out in tangents:
                continue  # integer outputs have no tangent; a wrt keeps its seed
            term = _util.check_term(node.op, "R_op", j, out, r)
            if isinstance(term, TensorVariable):
                tangents[out] = term
    results: list[TensorVariable | None] = []
    for k, fk in enumerate(fs):
        t = tangents.get(fk)
        if t is None and fk not in depends:
            _rop_disconnected(fk, k, disconnected_outputs)
            results.append(None if return_disconnected == "None" else _util.zeros_like(fk))
        else:
            results.append(_util.zeros_like(fk) if t is None else t)
    return results[0] if single else results


def _leaf_zeros(inp: Variable[Any]) -> TensorVariable | None:
    """Theano's eval point for a graph input (or shared variable) without a
    tangent: zeros like it, so the result refers to every input of the nodes
    on the tangent path (``function([W, V, x], Rop(dot(x, W), W, V))``
    compiles as in Theano). Constants and intermediate results get None."""
    if inp.owner is None and not isinstance(inp, Constant) and _util.differentiable(inp):
        assert isinstance(inp, TensorVariable)
        return _util.zeros_like(inp)
    return None


def _rop_disconnected(fk: TensorVariable, k: int, policy: str) -> None:
    if policy == "ignore":
        return
    message = (
        f"Rop: {fk} (f[{k}], {fk.type}) does not depend on wrt (pass "
        "disconnected_outputs='ignore' or 'warn' to get zeros)"
    )
    if policy == "warn":
        warnings.warn(message, stacklevel=3)
        return
    raise DisconnectedInputError(message)


def Rop_via_Lop(f: Any, wrt: Any, eval_points: Any) -> Any:
    """``Rop`` computed as ``Lop(Lop(f, wrt, u), u, eval_points)`` with a
    dummy cotangent ``u`` (the transpose of a linear map is linear, and
    transposing twice gives it back). Uses only the ops' ``L_op``s; an ``f``
    that does not depend on ``wrt`` gets zeros."""
    fs, single = _util.as_tensor_list(f, "Rop_via_Lop: f")
    wrts, tangents = _tangents(wrt, eval_points, "Rop_via_Lop")
    diff = [w for w in wrts if w in tangents]
    results: list[TensorVariable | None] = [None] * len(fs)
    live = [k for k, fk in enumerate(fs) if not is_discrete(fk.dtype)]
    if diff and live:
        _double_lop(fs, diff, tangents, live, results)
    out = [_util.zeros_like(fk) if r is None else r for fk, r in zip(fs, results, strict=True)]
    return out[0] if single else out


def _double_lop(
    fs: list[TensorVariable],
    diff: list[TensorVariable],
    tangents: dict[Variable[Any], TensorVariable],
    live: list[int],
    results: list[TensorVariable | None],
) -> None:
    dummies = {k: fs[k].type(f"u{k}") for k in live}
    grads = Lop(
        [fs[k] for k in live], diff, [dummies[k] for k in live], disconnected_inputs="ignore"
    )
    back = Lop(
        grads, [dummies[k] for k in live], [tangents[w] for w in diff], disconnected_inputs="ignore"
    )
    # The result is linear in u, so it does not depend on u's value: any
    # variable of u's type may stand in; f itself is at hand.
    replaced = clone_replace(back, {dummies[k]: fs[k] for k in live})
    for k, r in zip(live, replaced, strict=True):
        results[k] = r
