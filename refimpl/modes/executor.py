"""Executors: run a ``FunctionGraph`` node by node on one backend.

``PythonExecutor`` is FAST_COMPILE's: it walks the topologically sorted
nodes, calls each op's reference ``perform`` with the backend namespace and
keeps values in a flat list of slots. Constants are moved to the backend once,
when the executor is built. Intermediates are released as soon as their last
client has run. An exception raised by an op gets a note naming the node,
its inputs' shapes and dtypes, so the failing spot is never a mystery.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import array_api_compat
import numpy as np

from refimpl._typing import Array
from refimpl.backend import Backend, from_numpy
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.graph.fg import FunctionGraph

Step = tuple[Apply, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
"""(node, input slots, output slots, slots to free after the node)."""


class PythonExecutor:
    """Run ``fgraph`` with ``backend``; inputs are given in ``fgraph.inputs`` order."""

    def __init__(self, fgraph: FunctionGraph, backend: Backend, profile: bool = False) -> None:
        self.fgraph = fgraph
        self.backend = backend
        self.profile = profile
        self.node_times: dict[Apply, float] = {}
        slots: dict[Variable[Any], int] = {}
        for var in fgraph.inputs:
            slots[var] = len(slots)
        self.n_inputs = len(slots)
        self.constants: list[tuple[int, Array]] = []  # host (numpy) values
        self._on_device: dict[object, list[tuple[int, Array]]] = {}
        nodes = fgraph.toposort()
        for node in nodes:
            for var in node.inputs:
                if var not in slots:
                    if not isinstance(var, Constant):
                        raise ValueError(
                            f"{var} is used by {node} but is neither input nor constant"
                        )
                    slots[var] = len(slots)
                    self.constants.append((slots[var], np.asarray(var.data)))
            for var in node.outputs:
                slots[var] = len(slots)
        for var in fgraph.outputs:
            if var not in slots:
                if not isinstance(var, Constant):
                    raise ValueError(f"output {var} is not computed by the graph")
                slots[var] = len(slots)
                self.constants.append((slots[var], np.asarray(var.data)))
        self.n_slots = len(slots)
        self.output_slots = tuple(slots[o] for o in fgraph.outputs)
        self.steps = self._plan(nodes, slots)

    def _plan(self, nodes: Sequence[Apply], slots: dict[Variable[Any], int]) -> list[Step]:
        last_use: dict[int, int] = {}
        for k, node in enumerate(nodes):
            for var in node.inputs:
                last_use[slots[var]] = k
        keep = set(self.output_slots) | set(range(self.n_inputs)) | {s for s, _ in self.constants}
        free: dict[int, list[int]] = {}
        for slot, k in last_use.items():
            if slot not in keep:
                free.setdefault(k, []).append(slot)
        return [
            (
                node,
                tuple(slots[v] for v in node.inputs),
                tuple(slots[v] for v in node.outputs),
                tuple(free.get(k, ())),
            )
            for k, node in enumerate(nodes)
        ]

    def _constants_for(self, inputs: Sequence[Array]) -> list[tuple[int, Array]]:
        """The constants on the device of the inputs (the backend's default
        device when there are no inputs), converted once per device."""
        device = self.backend.device
        if inputs and self.backend.name != "numpy":
            device = array_api_compat.device(inputs[0])
        key = repr(device)
        cached = self._on_device.get(key)
        if cached is None:
            cached = [(s, from_numpy(v, self.backend, device)) for s, v in self.constants]
            self._on_device[key] = cached
        return cached

    def run(self, inputs: Sequence[Array]) -> list[Array]:
        xp = self.backend.xp
        storage: list[Array] = [None] * self.n_slots
        storage[: self.n_inputs] = inputs
        for slot, value in self._constants_for(inputs):
            storage[slot] = value
        fix = self.backend.name == "numpy"
        for node, ins, outs, frees in self.steps:
            args = [storage[i] for i in ins]
            t0 = time.perf_counter() if self.profile else 0.0
            try:
                results = node.op.perform(xp, node, args)
            except Exception as exc:
                exc.add_note(describe_failure(node, args))
                raise
            if self.profile:
                self.node_times[node] = self.node_times.get(node, 0.0) + time.perf_counter() - t0
            for slot, value in zip(outs, results, strict=True):
                storage[slot] = value if not fix or type(value) is np.ndarray else np.asarray(value)
            for slot in frees:
                storage[slot] = None
        return [storage[i] for i in self.output_slots]


def describe_failure(node: Apply, args: Sequence[Array]) -> str:
    """A note for an exception raised while computing ``node``."""
    parts = []
    for var, value in zip(node.inputs, args):
        shape = tuple(getattr(value, "shape", ()))
        parts.append(
            f"{var} (shape {shape}, dtype {getattr(value, 'dtype', type(value).__name__)})"
        )
    return f"refimpl: raised while computing node {node} with inputs " + ", ".join(parts)
