"""Straight-line code for elementwise programs (FAST_RUN's executor).

``thunk(node, backend)`` returns a function computing ``node``'s outputs
from its input arrays — for a ``FusedElemwise`` node its program, for an
``Elemwise`` node its one-instruction program — written out as Python
source: one call of each ``ScalarFn`` implementation with the casts,
dtype fixes, in-place updates and broadcast checks that ``FusedElemwise.
perform`` does, and ``del`` of each intermediate after its last use. The
compiled code is cached per (program, checks, backend): a graph with a
thousand equal steps compiles one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply
from refimpl.ops import fused

Thunk = Callable[..., Any]
Checks = tuple[tuple[int, int], ...]
"""(input index, axis) pairs whose run-time length must equal the output's."""


def thunk(node: Apply, backend_name: str) -> Thunk:
    """A function of ``node``'s distinct input arrays returning its output
    (a tuple when the node has several)."""
    if isinstance(node.op, fused.FusedElemwise):
        op = node.op
        inputs = list(node.inputs)
    else:
        op = fused.single(node)
        inputs = _distinct(node.inputs)
    checks: Checks = ()
    if len(node.inputs) > 1:
        checks = tuple(
            (i, ax)
            for i, var in enumerate(inputs)
            for ax, n in enumerate(var.type.shape)
            if n is None
        )
    make = _factory(op, checks, backend_name)
    return make(node)


def _distinct(inputs: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in inputs:
        if not any(v is o for o in out):
            out.append(v)
    return out


@lru_cache(maxsize=2048)
def _factory(
    op: fused.FusedElemwise, checks: Checks, backend_name: str
) -> Callable[[Apply], Thunk]:
    from refimpl.backend import resolve_backend

    xp = resolve_backend(backend_name).xp
    gen = _Source(op, checks, xp, backend_name == "numpy")
    namespace = gen.namespace
    exec(compile(gen.text(), f"<refimpl fused {len(op.program)} steps>", "exec"), namespace)
    make: Callable[[Apply], Thunk] = namespace["make"]
    return make


class _Source:
    def __init__(self, op: fused.FusedElemwise, checks: Checks, xp: Namespace, numpy: bool) -> None:
        self.op, self.checks, self.xp, self.numpy = op, checks, xp, numpy
        self.namespace: dict[str, Any] = {
            "xp": xp,
            "_nd": np.ndarray,
            "_asarray": np.asarray,
            "_astype": xp.astype,
            "_mut": _numpy_mutable if numpy else _is_mutable,
            "_bcast": broadcast_error,
        }
        self.lines: list[str] = []

    def dtype(self, name: str) -> tuple[str, str]:
        """Names of the namespace dtype (for ``astype``) and of the dtype
        object arrays report (for ``!=``)."""
        if f"T_{name}" not in self.namespace:
            target = getattr(self.xp, name)
            try:
                obj = self.xp.empty((0,), dtype=target).dtype
            except Exception:  # pragma: no cover - namespaces without empty()
                obj = target
            self.namespace[f"T_{name}"] = target
            self.namespace[f"D_{name}"] = obj
        return f"T_{name}", f"D_{name}"

    def cast(self, name: str, have: str, want: str) -> str:
        return name if have == want else f"_astype({name}, {self.dtype(want)[0]})"

    def text(self) -> str:
        op = self.op
        n = op.n_in
        names = [f"i{k}" for k in range(n)]
        private = set() if op.destroy is None else {op.destroy}
        emit = self.lines.append
        guard = False
        for j, step in enumerate(op.program):
            self.namespace[f"f{j}"] = step.fn.impl
            args = [
                self.cast(names[r], d, t)
                for r, d, t in zip(step.args, step.in_dtypes, step.targets)
            ]
            res = f"t{j}"
            call = f"f{j}(xp, {', '.join(args)})"
            p = step.inplace
            if p >= 0 and step.args[p] in private:
                self.namespace[f"g{j}"] = fused.INPLACE_OPS[step.fn.name]
                own, others = args[p], [*args[:p], *args[p + 1 :]]
                test = f"_mut(xp, {own})"
                if step.args[p] >= n:  # an intermediate: never one of the inputs itself
                    test += f" and id({own}) not in _ids"
                    guard = True
                call = f"g{j}({', '.join([own, *others])}) if {test} else {call}"
            emit(f"{res} = {call}")
            t_name, d_name = self.dtype(step.out_dtype)
            emit(f"if {res}.dtype != {d_name}: {res} = _astype({res}, {t_name})")
            names.append(res)
            if step.fn.name not in fused.NOT_FRESH:
                private.add(n + j)
            dead = [r for r in set(step.args) if r >= n and op.last_use[r] == j]
            if dead:
                emit("del " + ", ".join(names[r] for r in sorted(dead)))
        outs = [names[r] for r in op.outputs]
        if self.numpy:
            for o in outs:
                emit(f"if type({o}) is not _nd: {o} = _asarray({o})")
        ins = ", ".join(names[:n])
        if guard:  # an implementation returning its input unchanged is not private
            kept = [f"id({a})" for k, a in enumerate(names[:n]) if k != op.destroy]
            self.lines.insert(0, f"_ids = {{{', '.join(kept)}}}" if kept else "_ids = set()")
        # a stretched input may fail inside the program (an in-place update
        # cannot grow its buffer): report it as Elemwise does
        body = [
            "        try:",
            *("            " + line for line in self.lines),
            "        except ValueError:",
            f"            _bcast(node, [{ins}], None)",
            "            raise",
        ]
        if self.checks:
            conds = " or ".join(
                f"i{i}.shape[{ax}] != {outs[0]}.shape[{ax}]" for i, ax in self.checks
            )
            body.append(f"        if {conds}: _bcast(node, [{ins}], {outs[0]})")
        body.append(
            f"        return {outs[0]}"
            if len(outs) == 1
            else f"        return ({', '.join(outs)},)"
        )
        text = "\n".join(body)
        return f"def make(node):\n    def thunk({ins}):\n{text}\n    return thunk\n"


def broadcast_error(node: Apply, inputs: Sequence[Array], out: Array | None) -> None:
    """Raise ``Elemwise``'s error for an input stretched at run time (the
    result's shape is the inputs' broadcast shape when ``out`` is None)."""
    variables = list(node.inputs) if len(inputs) == len(node.inputs) else _distinct(node.inputs)
    if out is None:
        nd = max((len(a.shape) for a in inputs), default=0)
        shape = [max(int(a.shape[k]) for a in inputs) for k in range(nd)]
    else:
        shape = [int(n) for n in out.shape]
    for var, value in zip(variables, inputs):
        for ax, n in enumerate(var.type.shape):
            if n is None and value.shape[ax] != shape[ax]:
                raise ValueError(
                    f"{node.op}: input {var} has length {value.shape[ax]} on axis {ax} but the "
                    f"result has {shape[ax]}; an axis broadcasts only when its static length "
                    "is 1 (declare it, e.g. broadcastable=(True, False))"
                )


def _numpy_mutable(xp: Namespace, a: Array) -> bool:
    return type(a) is np.ndarray and bool(a.flags.writeable)


def _is_mutable(xp: Namespace, a: Array) -> bool:
    from refimpl.xpext import is_mutable

    return is_mutable(xp, a)
