"""``ifelse``: a lazy conditional (spec/ifelse.md).

``ifelse(cond, a, b)`` evaluates only the branch the scalar ``cond``
selects. The executors run nodes eagerly, so the laziness lives in the op:
``IfElse`` holds the two branches as inner graphs over the outer variables
they read, compiles each once per namespace, and runs only the taken one.

Which part of a branch's graph moves inside: everything between the
branch's outputs and (a) graph inputs, shared variables and constants, or
(b) variables the condition itself depends on (those are computed anyway).
A sub-expression a branch shares with the rest of the outer graph is
therefore recomputed inside the taken branch.

``T.switch``/``T.where`` is the elementwise, eager form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import (
    Apply,
    Constant,
    NullGrad,
    Op,
    ShapeInferenceError,
    Variable,
    ancestors,
    clone_graph,
    graph_inputs,
)
from refimpl.opspec import Arg, OpSpec, same_shapes
from refimpl.scan import utils
from refimpl.scan.utils import TV, Runner
from refimpl.types import is_discrete
from refimpl.variable import TensorVariable, as_tensor_variable


@dataclass(frozen=True, eq=False, repr=False)
class IfElse(Op):
    """``outputs = then_outputs if cond else else_outputs``, both branches
    inner graphs over ``inner_inputs`` (outer inputs: ``cond`` then one
    value per inner input). Ops compare by identity."""

    inner_inputs: tuple[TV, ...]
    then_outputs: tuple[TV, ...]
    else_outputs: tuple[TV, ...]
    mode: Any
    label: str | None = None
    _runners: dict[tuple[int, bool], Runner] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if len(self.then_outputs) != len(self.else_outputs):
            raise ValueError(f"{self}: the branches have different numbers of outputs")

    def __str__(self) -> str:
        return f"if{{{self.label or ''}}}"

    def make_node(self, cond: Any, *args: Any) -> Apply:
        c = as_tensor_variable(cond)
        if c.ndim != 0 or c.dtype.startswith("complex"):
            raise TypeError(
                f"ifelse: the condition {c} must be a real or boolean scalar, got {c.type}"
            )
        values = [as_tensor_variable(a) for a in args]
        if len(values) != len(self.inner_inputs):
            raise TypeError(f"{self}: expected {len(self.inner_inputs)} inputs, got {len(values)}")
        for v, ph in zip(values, self.inner_inputs):
            if not utils.compatible(ph.type, v.type):
                raise TypeError(
                    f"{self}: input {v} has type {v.type}, the branches expect {ph.type}"
                )
        outs = [
            utils.join_types(a.type, b.type)() for a, b in zip(self.then_outputs, self.else_outputs)
        ]
        return Apply(self, [c, *values], outs)

    def runner(self, xp: Namespace, branch: bool) -> Runner:
        """The ``then`` (``branch=True``) or ``else`` branch compiled for ``xp``."""
        key = (id(xp), branch)
        run = self._runners.get(key)
        if run is None:
            outs = self.then_outputs if branch else self.else_outputs
            run = utils.compile_inner(self.inner_inputs, outs, self.mode, xp)
            self._runners[key] = run
        return run

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        args = list(inputs[1:])
        outs = self.runner(xp, bool(inputs[0]))(*args)
        # an output that is an input is handed on as a copy (no aliasing)
        return tuple(xp.asarray(o, copy=True) if any(o is a for a in args) else o for o in outs)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TensorVariable, ...]]
    ) -> list[tuple[TensorVariable, ...]]:
        T = utils.T()
        inner = list(input_shapes[1:])
        try:
            then = utils.inner_shapes(self.inner_inputs, self.then_outputs, inner)
            other = utils.inner_shapes(self.inner_inputs, self.else_outputs, inner)
        except ShapeInferenceError:
            return [tuple(T.shape_i(o, d) for d in range(o.ndim)) for o in node.outputs]  # type: ignore[attr-defined]
        cond = node.inputs[0]
        return [
            tuple(a if a is b else T.switch(cond, a, b) for a, b in zip(sa, sb))
            for sa, sb in zip(then, other)
        ]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        then = utils.depends_on(self.then_outputs, self.inner_inputs)
        other = utils.depends_on(self.else_outputs, self.inner_inputs)
        rows = [[True] * len(node.outputs)]
        for i in range(len(self.inner_inputs)):
            rows.append([then[k][i] or other[k][i] for k in range(len(node.outputs))])
        return rows

    def L_op(
        self,
        inputs: Sequence[TensorVariable],
        outputs: Sequence[TensorVariable],
        output_grads: Sequence[TensorVariable],
    ) -> list[TensorVariable | NullGrad | None]:
        """``ifelse(cond, vjp of then, vjp of else)``: one lazy node."""
        from refimpl.grad import Lop
        from refimpl.grad.errors import NullGradError

        cots = [o.type(f"g{k}") for k, o in enumerate(outputs)]
        keep = [k for k, o in enumerate(outputs) if _diff(o)]
        wrt_at = [i for i, ph in enumerate(self.inner_inputs) if _diff(ph)]
        wrt = [self.inner_inputs[i] for i in wrt_at]
        result: list[TensorVariable | NullGrad | None] = [None] * len(inputs)
        if not keep or not wrt:
            return result
        try:
            branches = [
                Lop([outs[k] for k in keep], wrt, [cots[k] for k in keep],
                    disconnected_inputs="ignore")
                for outs in (self.then_outputs, self.else_outputs)
            ]  # fmt: skip
        except NullGradError as exc:
            for i in wrt_at:
                result[1 + i] = NullGrad(str(self), 1 + i, f"a branch has no gradient: {exc}")
            return result
        op = IfElse(
            (*self.inner_inputs, *(cots[k] for k in keep)),
            tuple(branches[0]),
            tuple(branches[1]),
            self.mode,
            f"grad_of_{self.label}" if self.label else "grad",
        )
        grads = op.make_node(inputs[0], *inputs[1:], *(output_grads[k] for k in keep)).outputs
        for i, g in zip(wrt_at, grads):
            result[1 + i] = g  # type: ignore[call-overload]
        return result

    def R_op(
        self, inputs: Sequence[TensorVariable], eval_points: Sequence[TensorVariable | None]
    ) -> list[TensorVariable | None]:
        """``ifelse(cond, jvp of then, jvp of else)``."""
        from refimpl.grad import Rop

        at = [
            i for i, (ph, e) in enumerate(zip(self.inner_inputs, eval_points[1:]))
            if e is not None and _diff(ph)
        ]  # fmt: skip
        keep = [k for k, o in enumerate(self.then_outputs) if _diff(o)]
        result: list[TensorVariable | None] = [None] * len(self.then_outputs)
        if not at or not keep:
            return result
        wrt = [self.inner_inputs[i] for i in at]
        tangents = [p.type(f"d_{p.name}") for p in wrt]
        branches = [
            Rop([outs[k] for k in keep], wrt, tangents, disconnected_outputs="ignore")
            for outs in (self.then_outputs, self.else_outputs)
        ]
        op = IfElse(
            (*self.inner_inputs, *tangents),
            tuple(branches[0]),
            tuple(branches[1]),
            self.mode,
            f"rop_of_{self.label}" if self.label else "rop",
        )
        evs = [eval_points[1 + i] for i in at]
        outs = op.make_node(inputs[0], *inputs[1:], *evs).outputs
        for k, t in zip(keep, outs):
            result[k] = t  # type: ignore[call-overload]
        return result


def _diff(v: Variable[Any]) -> bool:
    return not is_discrete(v.type.dtype)


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None) -> Any:
    """``then_branch`` if the scalar ``condition`` is non-zero, else
    ``else_branch``; only the selected branch is computed. The branches are
    variables or lists of variables of matching dtypes and dimensions (a
    Python number takes the other branch's dtype); the result has the same
    structure. See spec/ifelse.md."""
    from refimpl.modes.mode import get_mode

    single = not isinstance(then_branch, (list, tuple))
    thens = [then_branch] if single else list(then_branch)
    elses = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(thens) != len(elses):
        raise ValueError(
            f"ifelse: the then branch has {len(thens)} outputs, the else branch {len(elses)}"
        )
    cond = as_tensor_variable(condition)
    if cond.ndim != 0 or cond.dtype.startswith("complex"):
        raise TypeError(
            f"ifelse: the condition {cond} must be a real or boolean scalar, got {cond.type}"
        )
    pairs = [_branch_pair(k, a, b) for k, (a, b) in enumerate(zip(thens, elses))]
    stop = ancestors([cond])
    outs = [v for pair in pairs for v in pair]
    outer = [
        v for v in graph_inputs(outs, stop)
        if not isinstance(v, Constant) and isinstance(v, TensorVariable)
    ]  # fmt: skip
    inner = [v.type(v.name) for v in outer]
    new, _ = clone_graph(outs, dict(zip(outer, inner)))
    op = IfElse(
        tuple(inner),
        tuple(as_tensor_variable(v) for v in new[0::2]),
        tuple(as_tensor_variable(v) for v in new[1::2]),
        get_mode(None),
        name,
    )
    results = op.make_node(cond, *outer).outputs
    return results[0] if single else list(results)


def _branch_pair(k: int, a: Any, b: Any) -> tuple[TV, TV]:
    """Both branches' ``k``-th outputs as tensors of one dtype and ndim."""
    if not isinstance(a, Variable) and isinstance(b, TensorVariable):
        a = as_tensor_variable(a, dtype=b.dtype)
    if not isinstance(b, Variable) and isinstance(a, TensorVariable):
        b = as_tensor_variable(b, dtype=a.dtype)
    ta, tb = as_tensor_variable(a), as_tensor_variable(b)
    if ta.dtype != tb.dtype or ta.ndim != tb.ndim:
        raise TypeError(
            f"ifelse: output {k} of the branches differs in type: then gives {ta} ({ta.type}), "
            f"else gives {tb} ({tb.type}); both must have one dtype and number of dimensions "
            "(cast one explicitly)"
        )
    return ta, tb


# --------------------------------------------------------------------------- test specs


def _two_branches(c: Any, x: Any, y: Any) -> Any:
    """``ifelse(c < 0, 2 x, sin(y))`` (float inputs only: the test spec)."""
    for v in (x, y):
        t = as_tensor_variable(v)
        if t.dtype not in ("float32", "float64"):
            raise TypeError(f"_two_branches: {t} has dtype {t.dtype}; expected a float dtype")
    T = utils.T()
    return ifelse(T.lt(c, 0), x * 2, T.sin(y))


def _two_branches_ref(c: Any, x: Any, y: Any) -> Any:
    import numpy as np

    return (2 * x if c < 0 else np.sin(y)).astype(x.dtype)


SPECS: tuple[OpSpec, ...] = (
    OpSpec(
        name="ifelse",
        build=_two_branches,
        ref=_two_branches_ref,
        args=(
            Arg("c", dtypes=("float64",), domain=(-1.0, 1.0), differentiable=False, kinks=(0.0,)),
            Arg("x", dtypes=("float64", "float32")),
            Arg("y", dtypes=("float64", "float32")),
        ),
        shapes=lambda draw: ((), *same_shapes(2)(draw)),
        op_classes=(IfElse,),
        family="ifelse",
        doc="ifelse(c < 0, 2 x, sin(y)): the branch is drawn with c",
    ),
)
