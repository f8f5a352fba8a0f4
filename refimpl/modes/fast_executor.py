"""``FastExecutor``: FAST_RUN's low-overhead executor.

It generates one straight-line Python function per compiled graph — the
source text is built once, compiled with ``compile()`` and kept (readable as
``executor.source``). Every value lives in a local variable (a *slot*);
graph inputs are the function's parameters, constants its globals (numpy) or
further parameters (other backends, where they follow the inputs' device);
``del`` releases an intermediate right after its last use. Elementwise
nodes (``Elemwise``, ``FusedElemwise``) call a generated thunk
(``refimpl.ops._fused_codegen``: the node's ``ScalarFn`` implementations
with the casts and checks ``perform`` does, compiled once per distinct
program); every other node calls its op's ``perform``, bound in advance.

A failing node gets the same note as under ``PythonExecutor`` (the node, its
inputs' shapes and dtypes): the handler finds the node from the line number
of the failing statement and its inputs in the function's locals.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refimpl._typing import Array
from refimpl.backend import Backend
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.executor import PythonExecutor, describe_failure
from refimpl.ops import _fused_codegen, fused
from refimpl.ops.elemwise import Elemwise

Runner = Callable[..., list[Array]]


class FastExecutor(PythonExecutor):
    """Run ``fgraph`` through a generated function (see the module docstring)."""

    def __init__(self, fgraph: FunctionGraph, backend: Backend, profile: bool = False) -> None:
        super().__init__(fgraph, backend, profile=False)
        fixed = backend.name == "numpy"
        self._line_steps: list[tuple[int, int]] = []
        self.namespace: dict[str, Any] = {
            "xp": backend.xp,
            "_nd": np.ndarray,
            "_asarray": np.asarray,
            "_fail": self._fail,
        }
        self.source = self._source(backend, fixed)
        if fixed:
            self.namespace.update((f"s{s}", v) for s, v in self._constants_for(()))
        code = compile(self.source, f"<refimpl FAST_RUN {id(self):x}>", "exec")
        exec(code, self.namespace)
        self.fn: Runner = self.namespace["run"]
        self.direct: Runner | None = self.fn if fixed else None
        """``direct(*inputs)``: the graph's outputs (``None`` where constants
        follow the inputs' device; use ``run``)."""
        self._const_values: dict[int, tuple[Array, ...]] = {}

    def run(self, inputs: Sequence[Array]) -> list[Array]:
        if self.direct is not None:
            return self.direct(*inputs)
        pairs = self._constants_for(inputs)
        consts = self._const_values.get(id(pairs))
        if consts is None:
            consts = self._const_values[id(pairs)] = tuple(v for _, v in pairs)
        return self.fn(*inputs, *consts)

    # ------------------------------------------------------------- generation
    def _source(self, backend: Backend, fixed_constants: bool) -> str:
        params = [f"s{i}" for i in range(self.n_inputs)]
        if not fixed_constants:
            params += [f"s{s}" for s, _ in self.constants]
        lines = [f"def run({', '.join(params)}):", "    try:"]
        numpy = backend.name == "numpy"
        for k, (node, ins, outs, frees) in enumerate(self.steps):
            self._line_steps.append((len(lines) + 1, k))
            targets = "".join(f"s{o}, " for o in outs)
            if isinstance(node.op, (Elemwise, fused.FusedElemwise)):
                self.namespace[f"k{k}"] = _fused_codegen.thunk(node, backend.name)
                distinct = _distinct(ins) if isinstance(node.op, Elemwise) else list(ins)
                call = f"k{k}({', '.join(f's{i}' for i in distinct)})"
                lines.append(f"        {targets.rstrip(', ')} = {call}")
            else:
                self.namespace[f"p{k}"] = node.op.perform
                self.namespace[f"n{k}"] = node
                args = ", ".join(f"s{i}" for i in ins)
                lines.append(f"        ({targets}) = p{k}(xp, n{k}, [{args}])")
                if numpy:
                    lines += [
                        f"        if type(s{o}) is not _nd: s{o} = _asarray(s{o})" for o in outs
                    ]
            if frees:
                lines.append("        del " + ", ".join(f"s{s}" for s in frees))
        lines.append(f"        return [{', '.join(f's{s}' for s in self.output_slots)}]")
        lines += [
            "    except BaseException as exc:",
            "        _fail(exc, locals())",
            "        raise",
        ]
        return "\n".join(lines) + "\n"

    def _fail(self, exc: BaseException, loc: dict[str, Any]) -> None:
        """Add the failing node's description to ``exc``."""
        tb = exc.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_name == "run" and tb.tb_frame.f_globals is self.namespace:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None:
            return
        k = bisect.bisect_right(self._line_steps, (line, len(self.steps))) - 1
        if k < 0:
            return
        node, ins, _, _ = self.steps[self._line_steps[k][1]]
        values = [loc.get(f"s{i}", self.namespace.get(f"s{i}")) for i in ins]
        exc.add_note(describe_failure(node, values))


def _distinct(slots: Sequence[int]) -> list[int]:
    """The distinct slots in first-use order (an ``Elemwise`` program's inputs)."""
    out: list[int] = []
    for s in slots:
        if s not in out:
            out.append(s)
    return out
