"""Compile time: the time of ``function(...)`` alone (graph building and ``grad``
excluded; wall time, or CPU time with ``--clock cpu``), under FAST_RUN and
FAST_COMPILE.

- The benchmark graphs (``x + y``, the logistic-regression, MLP and conv net
  train steps, the HVP, the RNN): median over freshly built graphs, after one
  warm-up compile (so a process's one-time costs, imports and the first
  code generation of each elementwise program, are not counted: PyTensor's
  "2nd compile"); the cyclic garbage collector runs as usual. Targets: the
  MLP train graph compiles in <= 30 ms under FAST_RUN, <= 5 ms under
  FAST_COMPILE. ``compile.cold`` times the first compile in a fresh process.
- A chain ``z = tanh(z * 1.0001 + 0.5)`` of n = 10, 100, 1000 links with the
  gradient of ``sum(z)``: time per node of the input graph, and the log-log
  slope of compile time against graph size between the two largest chains
  (1 = linear; target <= 1.15). The n=1000 chain is also compiled with the
  garbage collector off, to separate its cost.
"""

from __future__ import annotations

import gc
import math
import statistics
import subprocess
import sys
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

import refimpl
import refimpl.tensor as T
from bench.cases import Case, convnet, hvp, logreg, mlp, rnn
from bench.harness import Ctx, Result, Skip, Target, clock_name, now
from refimpl.graph.basic import apply_nodes

Built = tuple[list[Any], list[Any], list[tuple[Any, Any]]]
MLP_TARGETS = {
    "FAST_RUN": Target("value", 30e-3, "<= 30 ms"),
    "FAST_COMPILE": Target("value", 5e-3, "<= 5 ms"),
}
LINEAR_TARGET = Target("value", 1.15, "slope <= 1.15 (linear)")
MODES = ("FAST_RUN", "FAST_COMPILE")


def compile_seconds(build: Callable[[], Built], mode: str, gc_on: bool = True) -> tuple[float, int]:
    """Seconds of one ``function()`` call on a freshly built graph, and the
    number of nodes of the compiled graph."""
    inputs, outputs, updates = build()
    gc.collect()
    enabled = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        t0 = now()
        f = refimpl.function(inputs, outputs, updates=updates, mode=mode, backend="numpy")
        seconds = now() - t0
    finally:
        if enabled:
            gc.enable()
    return seconds, len(f.fgraph.apply_nodes)


def median_compile(build: Callable[[], Built], mode: str, repeat: int) -> tuple[float, int]:
    compile_seconds(build, mode)  # warm-up: imports, code generation
    runs = [compile_seconds(build, mode) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[0][1]


def _builders(ctx: Ctx) -> dict[str, Callable[[], Built]]:
    _, n_in, n_hid, n_out = mlp.sizes(ctx)
    p64, p32 = mlp.init(n_in, n_hid, n_out, "float64"), mlp.init(n_in, n_hid, n_out, "float32")
    w0 = logreg.data(*ctx.pick((400, 784), (400, 784), (8, 5)))[2]

    def from_graph(g: logreg.Graph) -> Built:
        return g.inputs, g.outputs, g.updates

    def add() -> Built:
        x, y = T.dscalars("x", "y")
        return [x, y], [x + y], []

    def conv() -> Built:
        s = convnet.sizes(ctx)
        return from_graph(convnet.graph(convnet.init(s), s))

    return {
        "x + y": add,
        "logreg train": lambda: from_graph(logreg.graph(w0)),
        "mlp train float64": lambda: from_graph(mlp.graph(p64, "float64")),
        "mlp train float32": lambda: from_graph(mlp.graph(p32, "float32")),
        "mlp hvp Rop(grad)": lambda: (*hvp.hvp_graph(p64, "float64"), []),
        "rnn forward": lambda: (*rnn.graph(False), []),
        "rnn forward+BPTT": lambda: (*rnn.graph(True), []),
        "convnet train": conv,
    }


def graphs(ctx: Ctx) -> None:
    skipped = []
    for name, build in _builders(ctx).items():
        for mode in MODES:
            try:
                seconds, nodes = median_compile(build, mode, ctx.scale.repeat)
            except Skip as exc:
                skipped.append(f"{name}: {exc}")
                break
            target = MLP_TARGETS[mode] if name == "mlp train float64" else None
            ctx.add(Result(f"compile.{name} {mode}", seconds, target=target,
                           note=f"{nodes} nodes after rewriting"))  # fmt: skip
    if skipped:
        print("  skipped: " + "; ".join(skipped))


_COLD = """
import bench, time
from bench.cases import mlp
import refimpl
p = mlp.init(784, 500, 10, "float64")
g = mlp.graph(p, "float64")
t0 = time.{clock}()
refimpl.function(g.inputs, g.outputs, updates=g.updates, mode={mode!r}, backend="numpy")
print(time.{clock}() - t0)
"""


def cold(ctx: Ctx) -> None:
    """The first ``function()`` of a fresh process (imports done, nothing compiled)."""
    root = str(Path(__file__).resolve().parents[2])
    clock = "process_time" if clock_name() == "cpu" else "perf_counter"
    for mode in MODES:
        out = subprocess.run(
            [sys.executable, "-c", _COLD.format(mode=mode, clock=clock)], cwd=root,
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip
        ctx.add(Result(f"compile.cold mlp train float64 {mode}", float(out.split()[-1]),
                       note="first function() in a fresh process"))  # fmt: skip


def chain_graph(n: int) -> tuple[Built, int]:
    """The chain of ``n`` links and its gradient, and its number of nodes."""
    x = T.dvector("x")
    z = x
    for _ in range(n):
        z = T.tanh(z * 1.0001 + 0.5)
    cost = z.sum()
    outputs = [cost, refimpl.grad(cost, x)]
    nodes = len(apply_nodes(outputs))
    return ([x], outputs, []), nodes


def _same(built: Built) -> Built:
    return built


def _chain(n: int) -> Built:
    return chain_graph(n)[0]


@cache
def _chain_nodes(n: int) -> int:
    return chain_graph(n)[1]


def chain(ctx: Ctx) -> None:
    lengths = ctx.pick((10, 100, 1000), (10, 100, 1000), (2, 5, 10))
    for mode in MODES:
        compile_seconds(partial(_chain, 10), mode)  # warm-up: one-time costs
        points = []
        for n in lengths:
            repeat = ctx.scale.repeat if n <= 100 else ctx.pick(3, 1, 1)
            runs = [compile_seconds(partial(_chain, n), mode)[0] for _ in range(repeat)]
            seconds, nodes = statistics.median(runs), _chain_nodes(n)
            points.append((nodes, seconds))
            ctx.add(Result(f"compile.chain n={n} {mode}", seconds / nodes, unit="s/node",
                           note=f"{nodes} nodes, {seconds * 1e3:.1f} ms"))  # fmt: skip
        (n1, t1), (n2, t2) = points[-2], points[-1]
        slope = math.log(t2 / t1) / math.log(n2 / n1)
        note = f"log(t{lengths[-1]} / t{lengths[-2]}) / log(nodes ratio)"
        ctx.add(Result(f"compile.chain slope {mode}", slope, unit="1", target=LINEAR_TARGET,
                       note=note))  # fmt: skip
        seconds, _ = compile_seconds(partial(_chain, lengths[-1]), mode, gc_on=False)
        ctx.add(Result(f"compile.chain n={lengths[-1]} {mode}, gc off", seconds / n2,
                       unit="s/node", note=f"{seconds * 1e3:.1f} ms"))  # fmt: skip


CASES = (
    Case("compile.graphs", graphs, "function() time of the benchmark graphs"),
    Case("compile.cold", cold, "first function() of the MLP graph in a fresh process"),
    Case("compile.chain", chain, "compile time per node of tanh chains, n=10/100/1000"),
)
