"""``DebugExecutor``: runs every node of the un-rewritten and of the
rewritten graph with the checks, and compares the two graphs.

One call:

1. the inputs (arguments and shared values) are checked against their types
   and, with ``check_isfinite``, for NaN/Inf (``NonFiniteError`` naming the
   input);
2. the *reference* — the graph as written, before the base mode's rewrites —
   runs node by node (``checks.run_node``: types, ``infer_shape``, input
   mutation, implementations, backends);
3. the rewritten graph runs the same way; the first node (topological order)
   producing a non-finite value raises ``NonFiniteError``, which also names
   where that value first appears in the reference;
4. every rewritten variable is compared with the reference variable it
   stands for (``tracker.py``), earliest first: ``RewriteMismatch`` names the
   rewrites that produced it. Where the reference is not finite and the
   rewritten graph is, the rewrite is a stabilisation and is accepted.

The rewritten graph's outputs are returned. Nothing is stored before the
call has succeeded (``Function`` stores updates afterwards), so a failing
call changes no shared variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import array_api_compat
import numpy as np

from refimpl._typing import Array
from refimpl.backend import Backend, from_numpy
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.debug import report
from refimpl.modes.debug.checks import (
    Checks,
    check_destroy_legality,
    check_input_type,
    run_node,
)
from refimpl.modes.debug.compare import all_finite
from refimpl.modes.debug.errors import NonFiniteError
from refimpl.modes.debug.rewritecheck import RewriteReferee
from refimpl.modes.debug.tracker import Equivalences, Snapshot
from refimpl.modes.executor import PythonExecutor

if TYPE_CHECKING:
    from refimpl.modes.debug.debugmode import DebugMode

REFERENCE = report.REFERENCE
REWRITTEN = report.REWRITTEN
Values = dict[Variable[Any], Any]


class DebugExecutor(PythonExecutor):
    """Run ``fgraph`` (rewritten) and ``snap`` (reference) with the checks
    of ``mode``; ``run`` returns ``fgraph``'s outputs."""

    def __init__(
        self,
        fgraph: FunctionGraph,
        backend: Backend,
        mode: DebugMode,
        snap: Snapshot | None,
        history: Sequence[tuple[Variable[Any], Variable[Any], str]],
    ) -> None:
        super().__init__(fgraph, backend)
        self.mode = mode
        self.snap = snap
        self.checks = Checks(
            backend,
            mode.tolerance,
            types=mode.check_types,
            shapes=mode.check_shapes,
            inplace=mode.check_inplace,
            impls=mode.check_impls,
            backends=mode.backends(),
        )
        self.order = fgraph.toposort()
        if mode.check_inplace:
            check_destroy_legality(self.order, fgraph.inputs, fgraph.outputs)
        self.ref_order = snap.fgraph.toposort() if snap is not None else []
        self.equiv = Equivalences(snap, history) if snap is not None else None
        self.referee: RewriteReferee | None = None
        if snap is not None and self.equiv is not None:
            self.referee = RewriteReferee(
                self.equiv, self.equiv.pairs(fgraph), self.ref_order, snap, backend, mode.tolerance
            )
        self._constants: dict[tuple[int, str], Any] = {}

    # ----------------------------------------------------------------- run
    def run(self, inputs: Sequence[Array]) -> list[Array]:
        if self.mode.check_isfinite:  # the finite check reports what numpy would warn about
            with np.errstate(all="ignore"):
                return self._run(inputs)
        return self._run(inputs)

    def _run(self, inputs: Sequence[Array]) -> list[Array]:
        self._check_inputs(inputs)
        device = self._device(inputs)
        ref_values: Values | None = None
        if self.snap is not None:
            ref_values = self._execute(self.snap.fgraph, self.ref_order, inputs, device, REFERENCE)
        values = self._execute(self.fgraph, self.order, inputs, device, REWRITTEN, ref_values)
        if ref_values is not None and self.referee is not None:
            self.referee.check(values, ref_values)
        return [values[o] for o in self.fgraph.outputs]

    def _device(self, inputs: Sequence[Array]) -> Any:
        if inputs and self.backend.name != "numpy":
            return array_api_compat.device(inputs[0])
        return self.backend.device

    def _constant(self, var: Constant[Any], device: Any) -> Any:
        key = (id(var), repr(device))
        found = self._constants.get(key)
        if found is None:
            found = from_numpy(np.asarray(var.data), self.backend, device)
            self._constants[key] = found
        return found

    def _check_inputs(self, inputs: Sequence[Array]) -> None:
        xp = self.backend.xp
        for k, (var, value) in enumerate(zip(self.fgraph.inputs, inputs)):
            label = f"input {k} ({var.name or var.type})"
            if self.mode.check_types:
                check_input_type(var, value, label)
            if self.mode.check_isfinite and not all_finite(xp, value):
                raise NonFiniteError(
                    f"NonFiniteError: {label} contains non-finite values given by the caller "
                    f"({report.nonfinite_text(value)}); DebugMode refuses NaN/Inf inputs "
                    "(pass DebugMode(check_isfinite=False) to allow them)\n"
                    f"  value: {report.value_text(value)}",
                    None, var, "", input_name=var.name or f"input {k}",
                )  # fmt: skip

    def _execute(
        self,
        fgraph: FunctionGraph,
        order: Sequence[Apply],
        inputs: Sequence[Array],
        device: Any,
        graph: str,
        ref_values: Values | None = None,
    ) -> Values:
        values: Values = dict(zip(fgraph.inputs, inputs))
        finite = self.mode.check_isfinite and graph == REWRITTEN
        for node in order:
            args = []
            for var in node.inputs:
                if var not in values:
                    values[var] = self._constant(var, device)  # type: ignore[arg-type]
                args.append(values[var])
            outs = self._run_node(node, args, graph)
            for var, value in zip(node.outputs, outs):
                values[var] = value
            if finite:
                self._check_finite(node, args, outs, ref_values)
        for var in fgraph.outputs:
            if var not in values and isinstance(var, Constant):
                values[var] = self._constant(var, device)
        return values

    def _run_node(self, node: Apply, args: Sequence[Any], graph: str) -> list[Any]:
        try:
            return run_node(self.checks, node, args, graph)
        except Exception as exc:
            if graph == REWRITTEN and self.equiv is not None:
                chains = [self.equiv.reasons.get(o) for o in node.outputs]
                found = [c for c in chains if c]
                if found:
                    exc.add_note(
                        "refimpl DebugMode: this node was produced by the rewrites "
                        + report.reasons_text(found[0])
                    )
            raise

    # ----------------------------------------------------------------- finite
    def _check_finite(
        self, node: Apply, args: Sequence[Any], outs: Sequence[Any], ref_values: Values | None
    ) -> None:
        xp = self.backend.xp
        for k, (var, value) in enumerate(zip(node.outputs, outs)):
            if all_finite(xp, value) or self._nonfinite_ok(var):
                continue
            origin = self._origin(var, ref_values)
            raise _nonfinite_error(node, args, k, value, origin, self._reasons(var))

    def _nonfinite_ok(self, var: Variable[Any]) -> bool:
        """Whether the graph's author marked ``var`` (or the variable of the
        graph as written it stands for) ``tag.nonfinite_ok = True``."""
        if getattr(var.tag, "nonfinite_ok", False):
            return True
        ref = None if self.equiv is None else self.equiv.ref_of.get(var)
        return ref is not None and bool(getattr(ref.tag, "nonfinite_ok", False))

    def _reasons(self, var: Variable[Any]) -> tuple[str, ...]:
        return () if self.equiv is None else self.equiv.reasons.get(var, ())

    def _origin(
        self, var: Variable[Any], ref_values: Values | None
    ) -> tuple[Apply, list[Any], int, Any] | None:
        """Where the non-finite value of ``var`` first appears in the
        reference: the first node, in topological order among the
        ancestors of ``var``'s reference variable, with a non-finite output."""
        if ref_values is None or self.equiv is None or self.snap is None:
            return None
        ref = self.equiv.ref_of.get(var)
        if ref is None or ref.owner is None or all_finite(self.backend.xp, ref_values.get(ref)):
            return None
        from refimpl.graph.basic import io_toposort

        for node in io_toposort(self.snap.fgraph.inputs, [ref]):
            for k, out in enumerate(node.outputs):
                value = ref_values.get(out)
                if value is not None and not all_finite(self.backend.xp, value):
                    return node, [ref_values.get(i) for i in node.inputs], k, value
        return None


def _nonfinite_error(
    node: Apply,
    args: Sequence[Any],
    k: int,
    value: Any,
    origin: tuple[Apply, list[Any], int, Any] | None,
    reasons: tuple[str, ...],
) -> NonFiniteError:
    head = (
        f"NonFiniteError: {node.op} produced non-finite values in output {k} "
        f"({report.nonfinite_text(value)})"
    )
    blocks: list[list[str]] = [
        report.node_lines(node, args, REWRITTEN),
        [f"  output {k}: {report.value_text(value)}"],
    ]
    if reasons:
        blocks.append([f"  rewrites that produced this node: {report.reasons_text(reasons)}"])
    blocks.append(report.subgraph_lines(node.outputs))
    if origin is None:
        if reasons:
            blocks.append(["  the un-rewritten graph computes this value without NaN/Inf"])
        return NonFiniteError(report.join(head, *blocks), node, node.outputs[k], REWRITTEN)
    onode, oargs, ok, ovalue = origin
    blocks += [
        [f"  in the graph as written, the value first appears at {onode.op} (output {ok}, "
         f"{report.nonfinite_text(ovalue)}):"],
        report.node_lines(onode, oargs, REFERENCE),
        [f"  output {ok}: {report.value_text(ovalue)}"],
        report.subgraph_lines(onode.outputs, "sub-graph as written"),
    ]  # fmt: skip
    return NonFiniteError(report.join(head, *blocks), onode, onode.outputs[ok], REFERENCE)
