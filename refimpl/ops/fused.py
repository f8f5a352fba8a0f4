"""``FusedElemwise``: one node evaluating a small DAG of elementwise functions.

FAST_RUN's fusion pass (``refimpl/modes/rewrites/fusion.py``) turns a
connected group of ``Elemwise`` nodes into one ``FusedElemwise`` node. Its
``program`` lists the group's ``ScalarFn`` rows in topological order; each
``Instr`` names its arguments by *reference*: ``0 .. n_in-1`` are the node's
inputs, ``n_in + k`` is the result of instruction ``k``. ``perform`` runs the
program with whole-array ``xp`` calls — exactly what the ``Elemwise`` nodes
would have done (same casts, same implementations, same result dtypes),
without their per-node overhead — and drops each intermediate after its
last use.

Results that are provably private to the program (fresh results of
arithmetic) are updated in place by ``+= -= *= /=`` (``sqr`` as ``x *= x``)
at their last use (``Instr.inplace``), and the in-place pass may let the node overwrite one of
its inputs (``destroy``; declared in ``destroy_map``). Either happens only
where ``refimpl.xpext.is_mutable`` holds for the array at run time; jax and
dask get the functional form.

The gradient (``L_op``) and tangent (``R_op``) expand the program back into
``Elemwise`` nodes and use theirs. See ``spec/rewrites.md``, "FusedElemwise".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op, Variable
from refimpl.ops.elemwise import Elemwise, ScalarFn, apply
from refimpl.opspec import Arg, OpSpec, broadcast_shapes
from refimpl.types import DType, TensorType, broadcast_static_shapes
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Bcast = tuple[bool, ...]


def _isqr(a: Any) -> Any:
    a *= a
    return a


INPLACE_OPS: Final[dict[str, Callable[..., Any]]] = {
    "add": operator.iadd,
    "sub": operator.isub,
    "mul": operator.imul,
    "true_div": operator.itruediv,
    "sqr": _isqr,
}
"""Functions with an in-place form ``f(buffer, *others)``; the result is the
buffer where the namespace mutates (``+= -= *= /=``)."""
_COMMUTATIVE: Final = frozenset({"add", "mul"})
NOT_FRESH: Final = frozenset({"real", "imag", "conj"})
"""Functions whose result may share memory with their input (a view of a
complex array's parts): never updated in place."""


@dataclass(frozen=True)
class Instr:
    """One step: ``fn`` applied to the references ``args``; ``in_dtypes`` are
    the dtypes the arguments arrive with, ``out_dtype``/``bcast`` the result's
    dtype and broadcast pattern. ``inplace`` is the argument position whose
    buffer receives the result (``-1``: none), set by ``plan_inplace``."""

    fn: ScalarFn
    args: tuple[int, ...]
    in_dtypes: tuple[DType, ...]
    out_dtype: DType
    bcast: Bcast
    inplace: int = -1

    @property
    def targets(self) -> tuple[DType, ...]:
        """The dtypes the arguments are cast to before ``fn.impl``."""
        return self.fn.rule.input_dtypes(self.in_dtypes)


@dataclass(frozen=True)
class FusedElemwise(Op):
    """A program of elementwise functions as one op (see the module docstring).

    ``in_dtypes``/``in_bcast``: the inputs' dtypes and broadcast patterns (all
    inputs have the output's rank); ``outputs``: the references returned;
    ``destroy``: the input overwritten by the result (``None``: none).
    """

    program: tuple[Instr, ...]
    in_dtypes: tuple[DType, ...]
    in_bcast: tuple[Bcast, ...]
    outputs: tuple[int, ...]
    destroy: int | None = None
    last_use: tuple[int, ...] = field(default=(), compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.in_dtypes)
        if not self.program or any(r >= n + len(self.program) for r in self.outputs):
            raise ValueError("FusedElemwise: the program is empty or an output is undefined")
        last = [-1] * (n + len(self.program))
        for k, ins in enumerate(self.program):
            for r in ins.args:
                if r >= n + k:
                    raise ValueError(f"FusedElemwise: instruction {k} uses a later result {r}")
                last[r] = k
        for r in self.outputs:
            last[r] = len(self.program)
        object.__setattr__(self, "last_use", tuple(last))
        if self.destroy is not None:
            object.__setattr__(self, "destroy_map", {0: (self.destroy,)})

    @property
    def n_in(self) -> int:
        return len(self.in_dtypes)

    def __str__(self) -> str:
        tag = "inplace" if self.destroy is not None else "no_inplace"
        if len(self.program) == 1:
            return f"Elemwise{{{self.program[0].fn.name},{tag}}}"
        if len(self.program) <= 12:
            text = expression(self, [f"i{k}" for k in range(self.n_in)])
        else:
            text = f"{len(self.program)} elementwise steps"
        return f"Composite{{{text}}}" + ("{inplace}" if self.destroy is not None else "")

    def pprint(self, node: Apply, args: list[str]) -> str:
        """``pp`` shows the fused expression itself."""
        return expression(self, args)

    # ----------------------------------------------------------- type rule
    def make_node(self, *inputs: Any) -> Apply:
        tensors = [as_tensor_variable(x) for x in inputs]
        if len(tensors) != self.n_in:
            raise TypeError(f"{self}: expected {self.n_in} inputs, got {len(tensors)}")
        nd = len(self.program[0].bcast)
        for k, (t, dt, bc) in enumerate(zip(tensors, self.in_dtypes, self.in_bcast)):
            if t.dtype != dt or t.ndim != nd or t.broadcastable != bc:
                raise TypeError(
                    f"{self}: input {k} ({t}) has type {t.type}; expected dtype {dt}, "
                    f"{nd} dimensions, broadcastable {bc}"
                )
        try:
            shape = broadcast_static_shapes([t.type.shape for t in tensors])
        except ValueError:
            shape = broadcast_static_shapes(
                [t.type.shape for t in tensors], [f"input {t}" for t in tensors]
            )
        outs = [TensorType(self._dtype_of(r), shape)() for r in self.outputs]
        return Apply(self, tensors, outs)

    def _dtype_of(self, ref: int) -> DType:
        return self.in_dtypes[ref] if ref < self.n_in else self.program[ref - self.n_in].out_dtype

    # ----------------------------------------------------------- value
    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        try:
            results = self._run(xp, inputs)
        except ValueError:
            # a stretched input may fail inside the program (an in-place
            # update cannot grow its buffer): report it as Elemwise does
            from refimpl.ops._fused_codegen import broadcast_error

            broadcast_error(node, inputs, None)
            raise
        check_broadcast(node, inputs, results[0])
        return results

    def _run(self, xp: Namespace, inputs: Sequence[Array]) -> tuple[Array, ...]:
        from refimpl.xpext import is_mutable

        vals: list[Array] = list(inputs)
        own: set[int] = set() if self.destroy is None else {self.destroy}
        # an intermediate that *is* an input (other than the destroyed one) is not private
        ids = {id(a) for i, a in enumerate(inputs) if i != self.destroy}
        n = self.n_in
        for k, ins in enumerate(self.program):
            args = [
                a if d == t else xp.astype(a, getattr(xp, t))
                for a, d, t in zip((vals[r] for r in ins.args), ins.in_dtypes, ins.targets)
            ]
            p, r = ins.inplace, ins.args[ins.inplace]
            if (
                p >= 0
                and r in own
                and (r < n or id(args[p]) not in ids)
                and is_mutable(xp, args[p])
            ):
                out = INPLACE_OPS[ins.fn.name](args[p], *args[:p], *args[p + 1 :])
            else:
                out = ins.fn.impl(xp, *args)
            if _dtype_name(out) != ins.out_dtype:
                out = xp.astype(out, getattr(xp, ins.out_dtype))
            vals.append(out)
            if ins.fn.name not in NOT_FRESH:
                own.add(n + k)
            for r in set(ins.args):
                if self.last_use[r] == k and r >= n:
                    vals[r] = None
        return tuple(vals[r] for r in self.outputs)

    # ----------------------------------------------------------- shapes
    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        out = node.outputs[0]
        dims: list[TV] = []
        for k, n in enumerate(out.type.shape):
            if n is not None:
                dims.append(constant(n, dtype="int64"))
                continue
            cands = [s[k] for i, s in zip(node.inputs, input_shapes) if i.type.shape[k] != 1]
            dims.append(cands[0] if cands else constant(1, dtype="int64"))
        return [tuple(dims)] * len(node.outputs)

    # ----------------------------------------------------------- derivatives
    def expand(self, inputs: Sequence[TV]) -> list[TV]:
        """The program as ``Elemwise`` nodes on ``inputs``: every reference's variable."""
        vals = list(inputs)
        for ins in self.program:
            vals.append(apply(ins.fn, *[vals[r] for r in ins.args]))
        return vals

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        """The program's gradient: each step's ``Elemwise.L_op``, last step first."""
        vals = self.expand(inputs)
        n = self.n_in
        grads: dict[int, TV | NullGrad] = {}
        for r, g in zip(self.outputs, output_grads):
            _accumulate(grads, r, g)
        for k in range(len(self.program) - 1, -1, -1):
            gk = grads.pop(n + k, None)
            if gk is None:
                continue
            ins = self.program[k]
            node = vals[n + k].owner
            assert node is not None
            terms: Sequence[TV | NullGrad | None]
            if isinstance(gk, NullGrad):
                terms = [gk] * len(ins.args)
            else:
                terms = node.op.L_op(_tensors(node.inputs), _tensors(node.outputs), [gk])
            for r, term in zip(ins.args, terms):
                if term is not None:
                    _accumulate(grads, r, term)
        out: list[TV | NullGrad | None] = []
        for i in range(len(inputs)):
            gi = grads.get(i)
            out.append(
                NullGrad(str(self), i, gi.reason, gi.kind) if isinstance(gi, NullGrad) else gi
            )
        return out

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """The program's tangent: each step's ``Elemwise.R_op``, first step first."""
        vals = self.expand(inputs)
        n = self.n_in
        tangents: dict[int, TV | None] = dict(enumerate(eval_points))
        for k, ins in enumerate(self.program):
            evals = [tangents.get(r) for r in ins.args]
            if all(e is None for e in evals):
                continue
            node = vals[n + k].owner
            assert node is not None
            tangents[n + k] = node.op.R_op(_tensors(node.inputs), evals)[0]
        return [tangents.get(r) for r in self.outputs]


def _tensors(variables: Sequence[Variable[Any]]) -> list[TV]:
    return [v for v in variables if isinstance(v, TensorVariable)]


def _accumulate(grads: dict[int, TV | NullGrad], r: int, g: TV | NullGrad) -> None:
    prev = grads.get(r)
    if prev is None or isinstance(g, NullGrad):
        grads[r] = g
    elif not isinstance(prev, NullGrad):
        grads[r] = prev + g


def _dtype_name(a: Array) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


def check_broadcast(node: Apply, inputs: Sequence[Array], out: Array) -> None:
    """Elemwise's rule: an axis of unknown static length never stretches."""
    if len(inputs) < 2:
        return
    for i, var in enumerate(node.inputs):
        for ax, n in enumerate(var.type.shape):
            if n is None and inputs[i].shape[ax] != out.shape[ax]:
                raise ValueError(
                    f"{node.op}: input {var} has length {inputs[i].shape[ax]} on axis {ax} but "
                    f"the result has {out.shape[ax]}; an axis broadcasts only when its static "
                    "length is 1 (declare it, e.g. broadcastable=(True, False))"
                )


# --------------------------------------------------------------------------- printing


def expression(op: FusedElemwise, args: Sequence[str]) -> str:
    """The program as an infix expression over ``args`` (pp's style)."""
    texts = list(args)
    for ins in op.program:
        parts = [texts[r] for r in ins.args]
        sym = ins.fn.symbol
        if sym is not None and len(parts) == 2:
            texts.append(f"({parts[0]} {sym} {parts[1]})")
        elif sym is not None and len(parts) == 1:
            texts.append(f"{sym}{parts[0]}")
        else:
            texts.append(f"{ins.fn.name}({', '.join(parts)})")
    return texts[op.outputs[0]]


# --------------------------------------------------------------------------- building


def plan_inplace(
    program: Sequence[Instr], in_bcast: Sequence[Bcast], outputs: Sequence[int], destroy: int | None
) -> tuple[Instr, ...]:
    """Mark the steps that may update an argument's buffer in place: an
    arithmetic step whose argument is private (a fresh intermediate, or the
    destroyed input), at its last use, of the result's dtype and broadcast
    pattern, in a position its operator allows."""
    n_in = len(in_bcast)
    last = [-1] * (n_in + len(program))
    for k, ins in enumerate(program):
        for r in ins.args:
            last[r] = k
    for r in outputs:
        last[r] = len(program)
    private = set() if destroy is None else {destroy}
    bcast: dict[int, Bcast] = dict(enumerate(in_bcast))
    planned: list[Instr] = []
    for k, ins in enumerate(program):
        chosen = -1
        if ins.fn.name in INPLACE_OPS:
            for p in (0, 1) if ins.fn.name in _COMMUTATIVE else (0,):
                r = ins.args[p]
                if (
                    r in private
                    and last[r] == k
                    and ins.in_dtypes[p] == ins.targets[p] == ins.out_dtype
                    and bcast[r] == ins.bcast
                    and ins.out_dtype != "bool"
                ):
                    chosen = p
                    break
        planned.append(_with_inplace(ins, chosen))
        if ins.fn.name not in NOT_FRESH:
            private.add(n_in + k)
            bcast[n_in + k] = ins.bcast
    return tuple(planned)


def _with_inplace(ins: Instr, p: int) -> Instr:
    return Instr(ins.fn, ins.args, ins.in_dtypes, ins.out_dtype, ins.bcast, p)


def program_of(
    nodes: Sequence[Apply], outputs: Sequence[Variable[Any]]
) -> tuple[FusedElemwise, list[Variable[Any]]]:
    """The fused op of ``nodes`` (``Elemwise`` nodes in topological order)
    computing ``outputs``, and its external inputs (in first-use order)."""
    refs: dict[Variable[Any], int] = {}
    ext: list[Variable[Any]] = []
    produced = {o for nd in nodes for o in nd.outputs}
    for nd in nodes:
        for i in nd.inputs:
            if i not in produced and i not in refs:
                refs[i] = len(ext)
                ext.append(i)
    program: list[Instr] = []
    for nd in nodes:
        out = nd.outputs[0]
        refs[out] = len(ext) + len(program)
        program.append(
            Instr(
                nd.op.fn,  # type: ignore[attr-defined]
                tuple(refs[i] for i in nd.inputs),
                tuple(i.type.dtype for i in nd.inputs),
                out.type.dtype,
                out.type.broadcastable,
            )
        )
    outs = tuple(refs[o] for o in outputs)
    in_bcast = tuple(v.type.broadcastable for v in ext)
    planned = plan_inplace(program, in_bcast, outs, None)
    op = FusedElemwise(planned, tuple(v.type.dtype for v in ext), in_bcast, outs)
    return op, ext


def with_destroy(op: FusedElemwise, destroy: int) -> FusedElemwise | None:
    """``op`` overwriting input ``destroy`` (``None`` when no step would
    actually write into it)."""
    planned = plan_inplace(op.program, op.in_bcast, op.outputs, destroy)
    if not any(ins.inplace >= 0 and ins.args[ins.inplace] == destroy for ins in planned):
        return None
    return FusedElemwise(planned, op.in_dtypes, op.in_bcast, op.outputs, destroy)


def single(node: Apply) -> FusedElemwise:
    """The one-instruction program of an ``Elemwise`` node."""
    op, _ = program_of([node], node.outputs)
    return op


def composite(fn: Callable[..., Any], *inputs: Any) -> TV:
    """``fn(*inputs)`` (built from elementwise functions) as one fused node.

    The inputs are first given the rank of the highest (leading broadcast
    axes, as ``Elemwise`` pads them); the elementwise nodes between them and
    the result become one ``FusedElemwise`` (sub-graphs of constants stay
    outside, as inputs). Used to build fused graphs by hand (tests, specs)."""
    from refimpl.graph.basic import io_toposort
    from refimpl.ops import axes

    xs = [as_tensor_variable(x) for x in inputs]
    nd = max((x.ndim for x in xs), default=0)
    padded = [x if x.ndim == nd else axes.shape_padleft(x, nd - x.ndim) for x in xs]
    out = as_tensor_variable(fn(*padded))
    depends: set[Variable[Any]] = set(padded)
    nodes: list[Apply] = []
    for node in io_toposort(padded, [out]):
        if not any(i in depends for i in node.inputs):
            continue
        if not isinstance(node.op, Elemwise):
            raise TypeError(
                f"composite: {node} is not elementwise; fn must use elementwise functions"
            )
        depends.update(node.outputs)
        nodes.append(node)
    if not nodes:
        raise TypeError("composite: fn(*inputs) computes nothing from the inputs")
    op, ext = program_of(nodes, [out])
    return op(*ext)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- test specs


def _specs() -> tuple[OpSpec, ...]:
    import math as _pm

    from refimpl.ops import math, math_special
    from refimpl.ops import math_refs as _r

    erf_ref = _r.vref(_pm.erf)

    def logaddexp_affine(x: TV, y: TV) -> TV:
        return composite(lambda a, b: math_special.logaddexp(a - b, 0.5) * a, x, y)

    def erf_poly(x: TV) -> TV:
        return composite(lambda a: math_special.erf(a - a * a) * a, x)

    def logistic(x: TV, y: TV) -> TV:
        return composite(
            lambda a, b: (
                math.true_div(1.0, 1.0 + math_special.exp(-a)) * math_special.erf(b) + math.sqr(a)
            ),
            x,
            y,
        )

    # the first input rejects bool (sub/neg of bools), a real-only step rejects complex
    return (
        OpSpec("fused_logaddexp_affine", logaddexp_affine,
               lambda x, y: np.logaddexp(x - y, np.asarray(0.5, x.dtype)) * x,
               (Arg("x"), Arg("y")), broadcast_shapes(2), op_classes=(FusedElemwise,),
               doc="a FusedElemwise node: logaddexp(x - y, 0.5) * x"),
        OpSpec("fused_erf_poly", erf_poly, lambda x: erf_ref(x - x * x) * x, (Arg("x"),),
               broadcast_shapes(1), op_classes=(FusedElemwise,),
               doc="a FusedElemwise node: erf(x - x*x) * x"),
        OpSpec("fused_logistic", logistic,
               lambda x, y: 1.0 / (1.0 + np.exp(-x)) * erf_ref(y) + x * x,
               (Arg("x"), Arg("y")), broadcast_shapes(2), op_classes=(FusedElemwise,),
               doc="a FusedElemwise node: sigmoid(x) * erf(y) + sqr(x), the logistic written out"),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
