"""Reverse-mode differentiation: ``grad`` and ``Lop`` (spec/grad.md).

One sweep over the toposorted graph between the seeds (the cost, or the
``known_grads`` variables) and the requested ``wrt``:

* a node's ``L_op`` is called only if some output carries a gradient and some
  input that leads to a ``wrt`` needs one; output gradients that are absent
  are passed as zeros (ops never see disconnected output gradients);
* each result is checked against its input's type (``_util.check_term``) and
  the terms of a variable are summed;
* integer and boolean variables carry no gradient (their paths contribute
  zero); a ``NullGrad`` absorbs every sum it enters and raises
  ``NullGradError`` only if it reaches a requested ``wrt``;
* whether a ``wrt`` is *disconnected* is decided structurally, by the ops'
  ``connection_pattern``, as in Theano.

Broadcasting is never undone here: that is ``Elemwise.L_op``'s job.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from refimpl.grad import _util
from refimpl.grad._util import GradValue
from refimpl.grad.errors import DisconnectedInputError, InvalidGradientError, NullGradError
from refimpl.graph.basic import Apply, NullGrad, Variable, ancestors
from refimpl.types import as_dtype, is_discrete
from refimpl.variable import TensorVariable

DISCONNECTED_POLICIES = ("raise", "warn", "ignore")
RETURN_DISCONNECTED = ("zero", "None", "Disconnected")
NULL_POLICIES = ("raise", "return")


@dataclass(frozen=True)
class Disconnected:
    """Returned by ``grad(..., return_disconnected='Disconnected')`` in place
    of the gradient of a ``wrt`` that the cost does not depend on."""

    wrt: str

    def __str__(self) -> str:
        return f"Disconnected({self.wrt})"


GradResult = TensorVariable | NullGrad | Disconnected | None


class _Sweep:
    """The reverse sweep for one ``grad`` call (nothing is cached globally)."""

    def __init__(
        self,
        seeds: Mapping[Variable[Any], GradValue],
        wrt: Sequence[TensorVariable],
        consider_constant: Sequence[Variable[Any]],
        additive: bool = False,
    ) -> None:
        self.seeds: dict[Variable[Any], GradValue] = dict(seeds)
        self.additive = additive
        self.blocked = set(consider_constant)
        self.nodes = self._nodes()
        self.patterns = {id(n): n.op.connection_pattern(n) for n in self.nodes}
        self.depends = self._depends_on(wrt)
        self.connected = self._connected()
        self.terms: dict[Variable[Any], list[TensorVariable | NullGrad]] = {}
        self.totals: dict[Variable[Any], GradValue] = {}

    # ------------------------------------------------------------ structure
    def _nodes(self) -> list[Apply]:
        """Nodes the seeds depend on, in topological order; the owners of
        ``consider_constant`` variables are not entered through them."""
        seen: set[int] = set()
        nodes: list[Apply] = []
        for var in ancestors(list(self.seeds), self.blocked):
            node = var.owner
            if node is None or var in self.blocked or id(node) in seen:
                continue
            seen.add(id(node))
            nodes.append(node)
        return nodes

    def _depends_on(self, wrt: Sequence[TensorVariable]) -> set[Variable[Any]]:
        dep: set[Variable[Any]] = set(wrt)
        for node in self.nodes:
            pattern = self.patterns[id(node)]
            for j, out in enumerate(node.outputs):
                if out in self.blocked or out in dep:
                    continue
                if any(pattern[i][j] and inp in dep for i, inp in enumerate(node.inputs)):
                    dep.add(out)
        return dep

    def _connected(self) -> set[Variable[Any]]:
        """Variables from which a connected path reaches a seed."""
        conn: set[Variable[Any]] = set(self.seeds)
        for node in reversed(self.nodes):
            pattern = self.patterns[id(node)]
            live = [j for j, o in enumerate(node.outputs) if o in conn and o not in self.blocked]
            for i, inp in enumerate(node.inputs):
                if any(pattern[i][j] for j in live):
                    conn.add(inp)
        return conn

    # ------------------------------------------------------------ values
    def total(self, var: Variable[Any]) -> GradValue:
        """The gradient of ``var``: its seed (``known_grads`` are totals), or
        the sum of its terms (and of its seed, for ``Lop``'s cotangents)."""
        if var in self.seeds and not self.additive:
            return self.seeds[var]
        if var in self.totals:
            return self.totals[var]
        terms = list(self.terms.get(var, []))
        seed = self.seeds.get(var)
        if seed is not None:
            terms.insert(0, seed)
        null = next((t for t in terms if isinstance(t, NullGrad)), None)
        value: GradValue = null
        tensors = [t for t in terms if isinstance(t, TensorVariable)]
        if null is None and tensors:
            acc = tensors[0]
            for t in tensors[1:]:
                acc = _util.add(acc, t)
            value = acc
        self.totals[var] = value
        return value

    def run(self) -> None:
        for node in reversed(self.nodes):
            self._backprop(node)

    def _backprop(self, node: Apply) -> None:
        out_grads = [
            self.total(o) if o not in self.blocked and _util.differentiable(o) else None
            for o in node.outputs
        ]
        live = [j for j, g in enumerate(out_grads) if g is not None]
        if not live:
            return
        pattern = self.patterns[id(node)]
        need = [
            i
            for i, inp in enumerate(node.inputs)
            if inp in self.depends
            and _util.differentiable(inp)
            and any(pattern[i][j] for j in live)
        ]
        if not need:
            return
        results: dict[int, TensorVariable | NullGrad] = {}
        for i in need:
            null = next(
                (g for j, g in enumerate(out_grads) if isinstance(g, NullGrad) and pattern[i][j]),
                None,
            )
            if null is not None:
                results[i] = null
        rest = [i for i in need if i not in results]
        if rest:
            results.update(self._call_lop(node, out_grads, rest))
        for i, term in results.items():
            self.terms.setdefault(node.inputs[i], []).append(term)

    def _call_lop(
        self, node: Apply, out_grads: list[GradValue], rest: list[int]
    ) -> dict[int, TensorVariable | NullGrad]:
        # absent gradients become zeros of the output's type (a non-tensor
        # output, e.g. a random state, gets None: it has no zeros)
        grads = [
            g if isinstance(g, TensorVariable) else _missing_grad(o)
            for g, o in zip(out_grads, node.outputs, strict=True)
        ]
        try:
            lop = node.op.L_op(node.inputs, node.outputs, grads)  # type: ignore[arg-type]
        except Exception as exc:
            exc.add_note(f"refimpl.grad: while computing the L_op of node {node}")
            raise
        if not isinstance(lop, (list, tuple)) or len(lop) != len(node.inputs):
            n = len(lop) if isinstance(lop, (list, tuple)) else type(lop).__name__
            raise InvalidGradientError(
                f"{node.op}.L_op returned {n} gradients for a node with {len(node.inputs)} inputs"
            )
        found: dict[int, TensorVariable | NullGrad] = {}
        for i in rest:
            term = _util.check_term(node.op, "L_op", i, node.inputs[i], lop[i])
            if term is not None:
                found[i] = term
        return found


def _missing_grad(out: Variable[Any]) -> TensorVariable | None:
    if isinstance(out, TensorVariable):
        return _util.zeros_like(out)
    return None


# --------------------------------------------------------------------------- grad


def grad(
    cost: TensorVariable | None,
    wrt: Any,
    consider_constant: Sequence[Variable[Any]] | None = None,
    disconnected_inputs: str = "raise",
    known_grads: Mapping[TensorVariable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> Any:
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt`` (a
    variable, or a list of them: the result has the same structure).

    ``known_grads`` maps variables to their (total) gradients — with it,
    ``cost`` may be ``None`` or non-scalar. ``consider_constant`` lists
    variables no gradient flows *through*. ``disconnected_inputs``
    (``'raise'|'warn'|'ignore'``) is the policy for a ``wrt`` the cost does
    not depend on; ``return_disconnected`` (``'zero'|'None'|'Disconnected'``)
    says what is returned for it. ``null_gradients='return'`` returns a
    ``NullGrad`` instead of raising ``NullGradError``. See spec/grad.md.
    """
    _util.check_choice(disconnected_inputs, "disconnected_inputs", DISCONNECTED_POLICIES)
    _util.check_choice(return_disconnected, "return_disconnected", RETURN_DISCONNECTED)
    _util.check_choice(null_gradients, "null_gradients", NULL_POLICIES)
    wrts, single = _util.as_tensor_list(wrt, "grad: wrt")
    consts = _constants(consider_constant)
    sweep = _Sweep(_seeds(cost, known_grads), wrts, consts)
    label = _cost_label(cost, known_grads)
    policies = (disconnected_inputs, return_disconnected, null_gradients)
    results = _differentiate(sweep, wrts, "grad", label, policies)
    return results[0] if single else results


def _differentiate(
    sweep: _Sweep,
    wrts: Sequence[TensorVariable],
    who: str,
    label: str,
    policies: tuple[str, str, str],
) -> list[GradResult]:
    sweep.run()
    return [_result(sweep, w, k, who, label, *policies) for k, w in enumerate(wrts)]


def _constants(consider_constant: Sequence[Variable[Any]] | None) -> list[Variable[Any]]:
    if consider_constant is None:
        return []
    if isinstance(consider_constant, Variable) or not isinstance(consider_constant, Sequence):
        raise TypeError("grad: consider_constant must be a list of variables")
    for k, c in enumerate(consider_constant):
        if not isinstance(c, Variable):
            raise TypeError(f"grad: consider_constant[{k}] is {c!r}, not a variable")
    return list(consider_constant)


def _seeds(
    cost: TensorVariable | None, known_grads: Mapping[TensorVariable, Any] | None
) -> dict[Variable[Any], GradValue]:
    seeds: dict[Variable[Any], GradValue] = {}
    if cost is None and not known_grads:
        raise TypeError("grad: cost is None; give a cost or known_grads")
    if cost is not None:
        if not isinstance(cost, TensorVariable):
            raise TypeError(f"grad: cost must be a symbolic tensor, got {type(cost).__name__}")
        if cost.ndim != 0 and cost not in (known_grads or {}):
            raise TypeError(
                f"grad: cost {cost} must be a scalar (0-d), got a {cost.ndim}-d {cost.type}; "
                "reduce it (e.g. T.sum) or use Lop / known_grads"
            )
        if cost.ndim == 0 and not is_discrete(cost.dtype):
            seeds[cost] = _util.ones_like(cost)
        elif cost.ndim == 0:
            seeds[cost] = None
    if known_grads is not None:
        if not isinstance(known_grads, Mapping):
            raise TypeError("grad: known_grads must be a dict {variable: gradient}")
        for var, g in known_grads.items():
            if not isinstance(var, TensorVariable):
                raise TypeError(f"grad: known_grads key {var!r} is not a symbolic tensor")
            seeds[var] = _known_value(var, g)
    return seeds


def _known_value(var: TensorVariable, g: Any) -> GradValue:
    if g is None or isinstance(g, NullGrad):
        return g
    value = _util.coerce_like(g, var, f"known_grads[{var}]")
    return None if is_discrete(var.dtype) else value


def _cost_label(cost: TensorVariable | None, known: Mapping[Any, Any] | None) -> str:
    if cost is not None:
        return f"cost {cost}"
    names = ", ".join(str(v) for v in (known or {}))
    return f"the outputs with known gradients ({names})"


def _result(
    sweep: _Sweep,
    w: TensorVariable,
    k: int,
    who: str,
    label: str,
    policy: str,
    return_disconnected: str,
    null_policy: str,
) -> GradResult:
    if w not in sweep.connected:
        _disconnected(w, k, who, label, policy)
        if return_disconnected == "None":
            return None
        if return_disconnected == "Disconnected":
            return Disconnected(str(w))
        return _zeros_for(w)
    g = sweep.total(w)
    if isinstance(g, NullGrad):
        if null_policy == "return":
            return g
        raise NullGradError(
            f"{who}: the gradient of {label} with respect to {w} (wrt[{k}]) is undefined: "
            f"{g.op} has no gradient for its input {g.input_index} ({g.kind}): {g.reason}",
            g.op,
            g.input_index,
            g.reason,
        )
    if g is None:
        return _zeros_for(w)
    return g


def _zeros_for(w: TensorVariable) -> TensorVariable:
    """Zeros like ``w``: float ``w`` keeps its dtype; integer/bool ``w`` gets
    ``config.floatX`` zeros (Theano's ``_float_zeros_like``)."""
    if is_discrete(w.dtype):
        from refimpl.config import config

        return _util.zeros_like(w, as_dtype(config.floatX))
    return _util.zeros_like(w)


def _disconnected(w: TensorVariable, k: int, who: str, label: str, policy: str) -> None:
    if policy == "ignore":
        return
    message = (
        f"{who}: {w} (wrt[{k}], {w.type}) is disconnected from {label}: it is not part of "
        "that graph, or is used only through non-differentiable connections "
        "(pass disconnected_inputs='ignore' or 'warn' to get zeros)"
    )
    if policy == "warn":
        warnings.warn(message, stacklevel=4)
        return
    raise DisconnectedInputError(message)


# --------------------------------------------------------------------------- Lop


def Lop(
    f: Any,
    wrt: Any,
    eval_points: Any,
    consider_constant: Sequence[Variable[Any]] | None = None,
    disconnected_inputs: str = "raise",
) -> Any:
    """The vector-Jacobian product ``sum_k eval_points[k] · J_k``: the
    gradient with respect to ``wrt`` when ``f`` (a variable or list) has the
    cotangents ``eval_points`` (one per ``f``, of its type). Cotangents add
    to what flows into an ``f`` from the others (``known_grads`` are totals
    instead). The result has ``wrt``'s structure."""
    fs, single_f = _util.as_tensor_list(f, "Lop: f")
    evs, single_e = _util.as_list(eval_points, "Lop: eval_points")
    if single_f != single_e or len(fs) != len(evs):
        raise ValueError(
            f"Lop: f and eval_points must match: {len(fs)} variable(s) and {len(evs)} eval point(s)"
        )
    _util.check_choice(disconnected_inputs, "disconnected_inputs", DISCONNECTED_POLICIES)
    wrts, single = _util.as_tensor_list(wrt, "Lop: wrt")
    seeds: dict[Variable[Any], GradValue] = {}
    for k, (fk, ek) in enumerate(zip(fs, evs, strict=True)):
        where = "Lop: eval_points" if single_e else f"Lop: eval_points[{k}]"
        ev = _util.coerce_like(ek, fk, where)
        if not _util.differentiable(fk):
            seeds.setdefault(fk, None)
            continue
        # an f listed twice receives the sum of its cotangents
        prev = seeds.get(fk)
        seeds[fk] = ev if prev is None else _util.add(prev, ev)  # type: ignore[arg-type]
    # cotangents add to what flows into f from other outputs (unlike
    # known_grads, which are totals): Lop is sum_k eval_points[k] . J_k
    sweep = _Sweep(seeds, wrts, _constants(consider_constant), additive=True)
    label = "f (" + ", ".join(str(fk) for fk in fs) + ")"
    results = _differentiate(sweep, wrts, "Lop", label, (disconnected_inputs, "zero", "raise"))
    return results[0] if single else results
