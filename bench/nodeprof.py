"""Where a FAST_RUN call's time goes: ``python -m bench.nodeprof NAME [--calls N]``.

For a compiled FAST_RUN function it reports, per call: the whole call
(``Function.__call__``), the generated executor function alone (``run``),
and each node's thunk, most expensive first, with the node's input types. The
difference call - run is the call path (argument conversion, shared values,
updates, output aliasing); run - sum(nodes) is the generated function's own
overhead. It works by wrapping the thunks in the FastExecutor's namespace, so
it needs no change to refimpl (and measures the thunks with a small
wrapper's overhead, ~0.1 µs each). Each figure is the minimum over several
rounds, so other jobs on the machine distort it little.

NAME is one of ``PROGRAMS`` (``logreg``, ``mlp64``, ``mlp32``, ``hvp``,
``rnn``, ``rnn_bptt``, ``convnet``, ``pow10``, ``expsin``).
"""

from __future__ import annotations

import argparse
import gc
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import refimpl
from bench.harness import now, use_clock


@dataclass
class NodeTime:
    seconds: float
    op: str
    types: str


def profile_function(
    f: Any, args: tuple[Any, ...], calls: int = 200, rounds: int = 5
) -> dict[str, Any]:
    """Per-call seconds of ``f(*args)``, of its executor, and of each node.

    Each figure is the minimum over ``rounds`` rounds of ``calls`` calls (the
    minimum: other processes only ever add time)."""
    ex = f._executor
    ns = getattr(ex, "namespace", None)
    if ns is None:
        raise TypeError(f"{f} has no generated executor (FAST_RUN only)")
    totals: dict[int, float] = {}

    def wrap(k: int, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any) -> Any:
            t0 = now()
            r = fn(*a)
            totals[k] = totals.get(k, 0.0) + now() - t0
            return r

        return timed

    keys = [key for k in range(len(ex.steps)) for key in (f"k{k}", f"p{k}") if key in ns]
    original = {key: ns[key] for key in keys}
    values = [*(f._input_values(args, {})), *(s.get_value(borrow=True) for s in f._shared)]
    per_node = [math.inf] * len(ex.steps)
    wrapped_call = math.inf
    for key, fn in original.items():
        ns[key] = wrap(int(key[1:]), fn)
    try:
        for _ in range(3):
            f(*args)
        for _ in range(rounds):
            totals.clear()
            wrapped_call = min(wrapped_call, _per_call(lambda: f(*args), calls))
            for k in range(len(ex.steps)):
                per_node[k] = min(per_node[k], totals.get(k, 0.0) / calls)
    finally:
        ns.update(original)
    t_run = min(_per_call(lambda: ex.run(values), calls) for _ in range(rounds))
    t_call = min(_per_call(lambda: f(*args), calls) for _ in range(rounds))
    nodes = [
        NodeTime(per_node[k], str(node.op), ", ".join(str(v.type) for v in node.inputs))
        for k, (node, *_rest) in enumerate(ex.steps)
    ]
    return {"call": t_call, "run": t_run, "call_wrapped": wrapped_call, "nodes": nodes}


def _per_call(fn: Callable[[], Any], calls: int) -> float:
    gc.disable()
    try:
        t0 = now()
        for _ in range(calls):
            fn()
        return (now() - t0) / calls
    finally:
        gc.enable()


def report(name: str, prof: dict[str, Any], top: int = 25) -> str:
    nodes: list[NodeTime] = prof["nodes"]
    total = sum(n.seconds for n in nodes)
    lines = [
        f"{name}: call {prof['call'] * 1e6:.1f} µs, executor run {prof['run'] * 1e6:.1f} µs, "
        f"{len(nodes)} nodes summing to {total * 1e6:.1f} µs (with timing wrappers: call "
        f"{prof['call_wrapped'] * 1e6:.1f} µs)",
        f"  call path (call - run): {(prof['call'] - prof['run']) * 1e6:.1f} µs",
    ]
    for n in sorted(nodes, key=lambda n: -n.seconds)[:top]:
        lines.append(f"  {n.seconds * 1e6:9.1f} µs  {n.op[:70]:<70}  [{n.types[:90]}]")
    return "\n".join(lines)


def _programs() -> dict[str, Callable[[], tuple[Any, tuple[Any, ...]]]]:
    from bench.cases import convnet, hvp, logreg, memory, mlp, rnn

    def lr() -> tuple[Any, tuple[Any, ...]]:
        x, y, w0 = logreg.data(400, 784)
        return logreg.graph(w0).compile("FAST_RUN"), (x, y)

    def mlp_step(dtype: str) -> tuple[Any, tuple[Any, ...]]:
        params = mlp.init(784, 500, 10, dtype)
        return mlp.graph(params, dtype).compile("FAST_RUN"), mlp.batch(20, 784, 10, dtype)

    def hv() -> tuple[Any, tuple[Any, ...]]:
        params = mlp.init(784, 500, 10, "float64")
        f = hvp.compile_hvp(params, "float64", "FAST_RUN")
        return f, hvp.arguments(params, 20, "float64")

    def elementwise(expr: str) -> tuple[Any, tuple[Any, ...]]:
        return memory.compile_expr(expr, "FAST_RUN"), (np.random.rand(10**7),)

    def rnn_prog(bptt: bool) -> tuple[Any, tuple[Any, ...]]:
        inputs, outputs = rnn.graph(bptt)
        f = refimpl.function(inputs, outputs, mode="FAST_RUN", backend="numpy")
        return f, rnn.data(1001, 100, 200)

    def conv() -> tuple[Any, tuple[Any, ...]]:
        s = dict(b=20, side=28, oc=8, k=5, pool=2, out=10)
        return convnet.graph(convnet.init(s), s).compile("FAST_RUN"), convnet.batch(s)

    progs: dict[str, Callable[[], tuple[Any, tuple[Any, ...]]]] = {
        "logreg": lr,
        "mlp64": lambda: mlp_step("float64"),
        "mlp32": lambda: mlp_step("float32"),
        "hvp": hv,
        "rnn": lambda: rnn_prog(False),
        "rnn_bptt": lambda: rnn_prog(True),
        "convnet": conv,
        "pow10": lambda: elementwise("pow10"),
        "expsin": lambda: elementwise("expsin"),
    }
    return progs


def main(argv: list[str] | None = None) -> int:
    progs = _programs()
    p = argparse.ArgumentParser(prog="python -m bench.nodeprof", description=__doc__.split("\n")[0])
    p.add_argument("name", choices=sorted(progs))
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="wall time (default) or this process's CPU time (for a shared machine)",
    )  # fmt: skip
    p.add_argument("--source", action="store_true", help="print the generated executor source")
    args = p.parse_args(argv)
    use_clock(args.clock)
    f, fargs = progs[args.name]()
    if args.source:
        print(f._executor.source)
    print(report(args.name, profile_function(f, fargs, args.calls, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
