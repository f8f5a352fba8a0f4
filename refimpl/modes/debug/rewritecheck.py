"""The rewrite check: the rewritten graph against the graph as written.

Every pair of ``tracker.Equivalences`` (a rewritten variable, the reference
variable it stands for) is compared, earliest first. A difference beyond the
tolerances is then weighed against the reference's own rounding error
(``noise.py``); what remains is a ``RewriteMismatch``. To name the rewrite
responsible, every replacement made inside the mismatching sub-graph —
including intermediates a later pass (fusion) removed, which are still
evaluable because replacing never changes what a variable computes — is
evaluated and compared in turn; the earliest one (topological order of the
graph as written) that differs is the culprit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refimpl.backend import Backend, from_numpy
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.modes.debug import report
from refimpl.modes.debug.checks import copy_value, destroyed
from refimpl.modes.debug.compare import Tolerance, compare, kind_of
from refimpl.modes.debug.errors import RewriteMismatch
from refimpl.modes.debug.noise import perturbed_runs, slack
from refimpl.modes.debug.tracker import Equivalences, Pair, Snapshot

Values = dict[Variable[Any], Any]
REFERENCE = report.REFERENCE
REWRITTEN = report.REWRITTEN


class RewriteReferee:
    """Compares the values of one call of both graphs (see the module docstring)."""

    def __init__(
        self,
        equiv: Equivalences,
        pairs: Sequence[Pair],
        ref_order: Sequence[Apply],
        snap: Snapshot,
        backend: Backend,
        tol: Tolerance,
    ) -> None:
        self.equiv = equiv
        self.pairs = list(pairs)
        self.ref_order = list(ref_order)
        self.position = {out: k for k, node in enumerate(ref_order) for out in node.outputs}
        self.snap = snap
        self.backend = backend
        self.tol = tol

    def check(self, values: Values, ref_values: Values) -> None:
        """Raise ``RewriteMismatch`` for the first pair that differs."""
        noisy: list[Values] | None = None
        for pair in self.pairs:
            if pair.variable not in values or pair.reference not in ref_values:
                continue
            if self._differs(pair, values[pair.variable], ref_values, None) is None:
                continue
            if noisy is None:
                inputs = {v: ref_values[v] for v in self.snap.fgraph.inputs}
                noisy = perturbed_runs(self.ref_order, inputs)
            diff = self._differs(pair, values[pair.variable], ref_values, noisy)
            if diff is not None:
                culprit = self._culprit(pair, values, ref_values, noisy)
                raise self._error(pair, culprit, diff, values, ref_values)

    def _differs(
        self, pair: Pair, got: Any, ref_values: Values, noisy: list[Values] | None
    ) -> str | None:
        dtype = getattr(pair.variable.type, "dtype", None)
        if dtype is None or kind_of(got) == "?":
            return None
        expected = ref_values[pair.reference]
        allowance = None
        if noisy is not None:
            allowance = slack(expected, [run.get(pair.reference) for run in noisy])
        diff = compare(expected, got, dtype, self.tol, stabilised_ok=True, slack=allowance)
        return None if diff is None else diff.text()

    # ----------------------------------------------------------------- culprit
    def _culprit(
        self, pair: Pair, values: Values, ref_values: Values, noisy: list[Values]
    ) -> tuple[Pair, Any, str] | None:
        """The earliest replacement inside ``pair``'s sub-graph whose own
        value differs: (replacement, its value, the difference)."""
        known: Values = dict(values)
        found: list[tuple[int, int, Pair, Any, str]] = []
        for n, p in enumerate(self.equiv.involved(pair.reference)):
            if p.reference not in ref_values:
                continue
            try:
                got = self._evaluate(p.variable, known)
            except Exception:  # an intermediate that cannot be recomputed alone
                continue
            diff = self._differs(p, got, ref_values, noisy)
            if diff is not None:
                found.append((self.position.get(p.reference, -1), n, p, got, diff))
        if not found:
            return None
        found.sort(key=lambda t: (t[0], t[1]))
        _, _, p, got, diff = found[0]
        return p, got, diff

    def _evaluate(self, var: Variable[Any], known: Values) -> Any:
        """The value of ``var`` (also of a variable rewrites removed from the
        graph), computing missing ancestors with ``perform``."""
        xp = self.backend.xp
        stack: list[tuple[Variable[Any], bool]] = [(var, False)]
        visiting: set[int] = set()
        while stack:
            v, ready = stack.pop()
            if v in known:
                continue
            if isinstance(v, Constant):
                known[v] = from_numpy(_host_data(v), self.backend)
                continue
            node = v.owner
            if node is None:
                raise KeyError(f"no value for {v}")
            if ready:
                args = [known[i] for i in node.inputs]
                mine = destroyed(node)
                args = [copy_value(xp, a) if k in mine else a for k, a in enumerate(args)]
                for out, value in zip(node.outputs, node.op.perform(xp, node, args)):
                    known[out] = value
                continue
            if id(v) in visiting:
                raise RecursionError(f"cycle at {v}")
            visiting.add(id(v))
            stack.append((v, True))
            stack.extend((i, False) for i in node.inputs if i not in known)
        return known[var]

    # ----------------------------------------------------------------- report
    def _error(
        self,
        pair: Pair,
        culprit: tuple[Pair, Any, str] | None,
        diff: str,
        values: Values,
        ref_values: Values,
    ) -> RewriteMismatch:
        var, ref = pair.variable, pair.reference
        expected, got = ref_values[ref], values[var]
        blocks: list[list[str]] = []
        if culprit is not None:
            cp, cgot, cdiff = culprit
            head = (
                f"RewriteMismatch: rewrite {_last(cp.reasons)!r} changed the value of "
                f"{report.var_label(cp.reference)} (replaced by {report.var_label(cp.variable)}): "
                f"{cdiff}"
            )
            blocks.append([f"  rewrites that produced it: {report.reasons_text(cp.reasons)}"])
            blocks += _sides(cp.reference, cp.variable, ref_values[cp.reference], cgot)
            blocks.append([f"  it shows in {report.var_label(ref)}: {diff}"])
            bad, chain = cp.variable, cp.reasons
        else:
            names = _names(self.equiv.involved(ref), pair)
            head = (
                f"RewriteMismatch: the rewritten graph computes {report.var_label(ref)} "
                f"differently (rewrites of its sub-graph: {', '.join(names) or 'none'}): {diff}"
            )
            blocks += _sides(ref, var, expected, got)
            bad, chain = var, tuple(names)
        node = bad.owner
        if node is not None:
            args = [values.get(i) for i in node.inputs]
            blocks.append(report.node_lines(node, args, REWRITTEN))
        rnode = (culprit[0].reference if culprit else ref).owner
        if rnode is not None:
            blocks.append(report.node_lines(rnode, [ref_values.get(i) for i in rnode.inputs],
                                            REFERENCE))  # fmt: skip
        bad_ref = culprit[0].reference if culprit else ref
        blocks.append(report.subgraph_lines([bad_ref], "un-rewritten sub-graph"))
        blocks.append(report.subgraph_lines([bad], "rewritten sub-graph"))
        return RewriteMismatch(report.join(head, *blocks), node, bad, REWRITTEN, chain, bad_ref)


def _host_data(var: Constant[Any]) -> Any:
    import numpy as np

    return np.asarray(var.data)


def _last(reasons: Sequence[str]) -> str:
    return (reasons[-1] or "<unnamed rewrite>") if reasons else "<unknown>"


def _names(involved: Sequence[Pair], pair: Pair) -> list[str]:
    names: list[str] = []
    for p in [*involved, pair]:
        for reason in p.reasons:
            if reason not in names:
                names.append(reason)
    return names


def _sides(ref: Variable[Any], var: Variable[Any], expected: Any, got: Any) -> list[list[str]]:
    return [
        [f"  un-rewritten {report.var_label(ref)}: {report.value_text(expected)}"],
        [f"  rewritten {report.var_label(var)}: {report.value_text(got)}"],
    ]
