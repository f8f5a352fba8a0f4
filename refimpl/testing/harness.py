"""Symbolic builds and compiled functions of a spec, cached per signature.

A ``Harness`` holds one build of a spec — symbolic inputs of the drawn
dtypes and static shapes, the outputs of ``spec.build`` — and compiles, on
first use, the functions the checks call: the forward function, ``Rop``,
``Lop``, ``Rop_via_Lop``, the gradient of ``<w, f>`` and the three
Hessian-vector products, and the ``infer_shape`` expressions of every node.
``HarnessCache`` keeps one harness per (spec, dtypes, static shapes, params,
backend, mode), so hypothesis examples of the same signature share compiled
functions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from refimpl.backend import Backend, to_numpy
from refimpl.graph.basic import Apply, io_toposort
from refimpl.modes.function import Function, function
from refimpl.opspec import OpSpec
from refimpl.testing.cases import differentiable_args
from refimpl.types import DType, StaticShape, TensorType, kind
from refimpl.variable import TensorVariable, as_tensor_variable

NDArray = np.ndarray[Any, Any]
TV = TensorVariable


def _grad_pkg() -> ModuleType:
    return importlib.import_module("refimpl.grad")


def _tensor() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


def build(
    spec: OpSpec, dtypes: Sequence[DType], static: Sequence[StaticShape], params: Mapping[str, Any]
) -> tuple[list[TV], list[TV]]:
    """Symbolic inputs (named after the args) and the outputs of ``spec.build``."""
    xs = [TensorType(d, s)(a.name) for a, d, s in zip(spec.args, dtypes, static)]
    out = spec.build(*xs, **params)
    ys = list(out) if isinstance(out, (list, tuple)) else [out]
    return xs, [as_tensor_variable(y) for y in ys]


@dataclass(frozen=True)
class Signature:
    spec: OpSpec
    dtypes: tuple[DType, ...]
    static: tuple[StaticShape, ...]
    params: Mapping[str, Any]
    backend: Backend
    mode: str

    def key(self) -> tuple[object, ...]:
        items = tuple(sorted((k, repr(v)) for k, v in self.params.items()))
        return (id(self.spec), self.dtypes, self.static, items, self.backend.name, self.mode)


class Harness:
    """One build of a spec and its compiled functions (built lazily)."""

    def __init__(self, sig: Signature) -> None:
        self.sig = sig
        self.spec = sig.spec
        self.xs, self.ys = build(sig.spec, sig.dtypes, sig.static, sig.params)
        self.diff_in = differentiable_args(sig.spec, sig.dtypes)
        self.diff_out = [k for k, y in enumerate(self.ys) if kind(y.dtype) in "fc"]
        self._fns: dict[str, Function] = {}
        self._nodes: list[Apply] | None = None

    # ------------------------------------------------------------- compile
    def _compile(self, name: str, make: Callable[[], tuple[list[TV], list[TV]]]) -> Function:
        if name not in self._fns:
            ins, outs = make()
            self._fns[name] = function(
                ins, outs, mode=self.sig.mode, backend=self.sig.backend, on_unused_input="ignore"
            )
        return self._fns[name]

    def call(self, name: str, make: Callable[[], tuple[list[TV], list[TV]]], *args: Any) -> Any:
        """Call the function ``name`` (compiled by ``make`` on first use) on
        copies of numpy arguments (an op that mutates its inputs must not
        corrupt the case's values)."""
        fresh = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        return self._compile(name, make)(*fresh)

    @property
    def dx(self) -> list[TV]:
        return [self.xs[i] for i in self.diff_in]

    @property
    def dy(self) -> list[TV]:
        return [self.ys[k] for k in self.diff_out]

    # ------------------------------------------------------------- functions
    def forward(self, values: Sequence[Any], copy: bool = True) -> list[Any]:
        """Raw backend outputs (``copy=False``: pass the arrays as they are)."""
        if copy:
            return list(self.call("forward", lambda: (self.xs, self.ys), *values))
        return list(self._compile("forward", lambda: (self.xs, self.ys))(*values))

    def forward_np(self, values: Sequence[Any]) -> list[NDArray]:
        return [to_numpy(o) for o in self.forward(values)]

    def rop(self, values: Sequence[Any], vs: Sequence[Any]) -> list[NDArray]:
        """``J v`` of the differentiable outputs along ``vs`` (differentiable inputs)."""
        return self._np(self.call("rop", self._make_rop, *values, *vs))

    def _make_rop(self) -> tuple[list[TV], list[TV]]:
        vs = [x.type(f"v_{x.name}") for x in self.dx]
        outs = _grad_pkg().Rop(self.dy, self.dx, vs, disconnected_outputs="ignore")
        return [*self.xs, *vs], list(outs)

    def lop(self, values: Sequence[Any], ws: Sequence[Any]) -> list[NDArray]:
        """``w J`` with respect to the differentiable inputs."""
        return self._np(self.call("lop", self._make_lop, *values, *ws))

    def lop_types(self) -> list[TensorType]:
        """The types of the symbolic ``Lop`` results (checked against the inputs')."""
        return [o.type for o in self._compile("lop", self._make_lop).fgraph.outputs]

    def _make_lop(self) -> tuple[list[TV], list[TV]]:
        ws = [y.type(f"w{k}") for k, y in enumerate(self.dy)]
        outs = _grad_pkg().Lop(self.dy, self.dx, ws, disconnected_inputs="ignore")
        return [*self.xs, *ws], list(outs)

    def rop_via_lop(self, values: Sequence[Any], vs: Sequence[Any]) -> list[NDArray]:
        return self._np(self.call("rop_via_lop", self._make_rop_via_lop, *values, *vs))

    def _make_rop_via_lop(self) -> tuple[list[TV], list[TV]]:
        vs = [x.type(f"v_{x.name}") for x in self.dx]
        outs = _grad_pkg().Rop_via_Lop(self.dy, self.dx, vs)
        return [*self.xs, *vs], list(outs)

    # ------------------------------------------------------------- second order
    def _cost(self, ws: Sequence[TV]) -> TV:
        """The real scalar ``<w, f>`` (``Re sum(conj(w) f)`` for complex ``f``)."""
        T = _tensor()
        terms = [
            T.sum(T.real(T.conj(w) * y)) if y.dtype.startswith("complex") else T.sum(w * y)
            for w, y in zip(ws, self.dy)
        ]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total  # type: ignore[no-any-return]

    def gradient(self, values: Sequence[Any], ws: Sequence[Any]) -> list[NDArray]:
        """``grad(<w, f>)`` with respect to the differentiable inputs."""
        return self._np(self.call("gradient", self._make_gradient, *values, *ws))

    def _make_gradient(self) -> tuple[list[TV], list[TV]]:
        ws = [y.type(f"w{k}") for k, y in enumerate(self.dy)]
        g = _grad_pkg().grad(self._cost(ws), self.dx, disconnected_inputs="ignore")
        return [*self.xs, *ws], list(g)

    def hvp_rev_rev(
        self, values: Sequence[Any], ws: Sequence[Any], vs: Sequence[Any]
    ) -> list[NDArray]:
        """``H v`` of ``<w, f>`` by reverse-over-reverse: ``grad(<grad, v>)``."""
        return self._np(self.call("hvp_rr", self._make_hvp_rr, *values, *ws, *vs))

    def hvp_with_rop(
        self, values: Sequence[Any], ws: Sequence[Any], vs: Sequence[Any]
    ) -> tuple[list[NDArray], list[NDArray]]:
        """``H v`` by forward-over-reverse ``Rop(grad)`` and reverse-over-forward
        ``grad(Rop)``."""
        flat = self._np(self.call("hvp_rop", self._make_hvp_rop, *values, *ws, *vs))
        n = len(self.dx)
        return flat[:n], flat[n:]

    def _second_inputs(self) -> tuple[list[TV], list[TV], TV]:
        ws = [y.type(f"w{k}") for k, y in enumerate(self.dy)]
        vs = [x.type(f"v_{x.name}") for x in self.dx]
        return ws, vs, self._cost(ws)

    def _make_hvp_rr(self) -> tuple[list[TV], list[TV]]:
        G, T = _grad_pkg(), _tensor()
        ws, vs, cost = self._second_inputs()
        g = list(G.grad(cost, self.dx, disconnected_inputs="ignore"))
        gv = T.sum(g[0] * vs[0])
        for gi, vi in zip(g[1:], vs[1:]):
            gv = gv + T.sum(gi * vi)
        rev_rev = list(G.grad(gv, self.dx, disconnected_inputs="ignore"))
        return [*self.xs, *ws, *vs], rev_rev

    def _make_hvp_rop(self) -> tuple[list[TV], list[TV]]:
        G = _grad_pkg()
        ws, vs, cost = self._second_inputs()
        g = list(G.grad(cost, self.dx, disconnected_inputs="ignore"))
        fwd_rev = list(G.Rop(g, self.dx, vs, disconnected_outputs="ignore"))
        jv = G.Rop(cost, self.dx, vs, disconnected_outputs="ignore")
        rev_fwd = list(G.grad(jv, self.dx, disconnected_inputs="ignore"))
        return [*self.xs, *ws, *vs], [*fwd_rev, *rev_fwd]

    # ------------------------------------------------------------- shapes
    def nodes(self) -> list[Apply]:
        if self._nodes is None:
            self._nodes = io_toposort(self.xs, self.ys)
        return self._nodes

    def infer_shapes(self, values: Sequence[Any]) -> tuple[list[NDArray], list[list[int]]]:
        """Every node output's value and its ``infer_shape`` result (as ints),
        node by node in topological order."""
        outs = self._np(self.call("infer_shape", self._make_infer_shape, *values))
        n = sum(len(node.outputs) for node in self.nodes())
        values_out, dims = outs[:n], [int(d) for d in outs[n:]]
        shapes: list[list[int]] = []
        start = 0
        for v in values_out:
            shapes.append(dims[start : start + v.ndim])
            start += v.ndim
        return values_out, shapes

    def _make_infer_shape(self) -> tuple[list[TV], list[TV]]:
        T = _tensor()
        node_outs: list[TV] = []
        dims: list[TV] = []
        for node in self.nodes():
            ins = [as_tensor_variable(i) for i in node.inputs]
            in_shapes = [tuple(T.shape_i(i, k) for k in range(i.ndim)) for i in ins]
            inferred = node.op.infer_shape(node, in_shapes)
            if len(inferred) != len(node.outputs):
                raise AssertionError(
                    f"{node.op}.infer_shape returned {len(inferred)} shapes for "
                    f"{len(node.outputs)} outputs"
                )
            for out, shp in zip((as_tensor_variable(o) for o in node.outputs), inferred):
                if len(shp) != out.ndim:
                    raise AssertionError(
                        f"{node.op}.infer_shape gave {len(shp)} lengths for the "
                        f"{out.ndim}-d output {out}"
                    )
                node_outs.append(out)
                dims.extend(as_tensor_variable(d) for d in shp)
        return list(self.xs), [*node_outs, *dims]

    @staticmethod
    def _np(outs: Any) -> list[NDArray]:
        return [to_numpy(o) for o in (outs if isinstance(outs, list) else [outs])]


class HarnessCache:
    """Harnesses by signature (one per test session or runner call)."""

    def __init__(self) -> None:
        self._items: dict[tuple[object, ...], tuple[OpSpec, Harness]] = {}

    def get(self, sig: Signature) -> Harness:
        key = sig.key()
        hit = self._items.get(key)
        if hit is None:
            hit = (sig.spec, Harness(sig))
            self._items[key] = hit
        return hit[1]

    def __len__(self) -> int:
        return len(self._items)
