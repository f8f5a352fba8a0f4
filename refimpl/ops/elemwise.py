"""The elementwise op: one ``Elemwise`` class applying a ``ScalarFn``.

A ``ScalarFn`` is a row of the elementwise table (``refimpl/ops/math.py``):
its name, arity, dtype rule, reference implementation through ``xp`` and its
derivative written as a one-line formula in terms of the inputs, the output
and the output gradient ``gz``. ``Elemwise`` supplies everything else once:
weak Python-scalar handling, the static broadcasting rule, casting inputs to
the compute dtype before the namespace call, ``infer_shape``, summing the
gradient of a broadcast input back to its shape (the one place broadcasting
is undone, house style item 4) and a generic ``R_op`` built from the same
derivative formulas.

Broadcasting is static: an axis broadcasts only where its static length is 1
(``broadcastable=True``). An axis of unknown length that turns out to be 1 at
run time while the others are longer raises ``ValueError`` rather than being
stretched — this keeps gradients exact. See ``spec/elemwise.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.types import (
    DType,
    TensorType,
    broadcast_static_shapes,
    is_discrete,
    kind,
    promote_types,
    upcast_to_float,
    weak_scalar_dtype,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant

Grad = TensorVariable | NullGrad | None
GradFormula = Callable[[Sequence[TensorVariable], TensorVariable, TensorVariable], list[Grad]]
"""``grad(inputs, out, gz) -> [gz * d out/d input_i, ...]`` (elementwise)."""


@dataclass(frozen=True)
class DtypeRule:
    """How an elementwise function's dtypes work.

    ``compute(dtypes)`` is the dtype inputs are cast to before the namespace
    call; ``output(dtypes)`` the result dtype; ``accepts`` the kinds allowed
    (``b i u f c``); inputs of other kinds raise ``TypeError`` at build time.
    """

    name: str
    compute: Callable[[tuple[DType, ...]], DType]
    output: Callable[[tuple[DType, ...]], DType]
    accepts: str = "biufc"


def _promote(dts: tuple[DType, ...]) -> DType:
    return promote_types(*dts)


def _float(dts: tuple[DType, ...]) -> DType:
    return upcast_to_float(promote_types(*dts))


def _bool(dts: tuple[DType, ...]) -> DType:
    return "bool"


SAME: Final = DtypeRule("same", _promote, _promote)
"""Arithmetic: inputs promoted, result of the promoted dtype."""
FLOAT: Final = DtypeRule("float", _float, _float)
"""Float-valued functions: discrete inputs upcast to float (Theano's rule)."""
REAL_FLOAT: Final = DtypeRule("real_float", _float, _float, accepts="biuf")
"""Float-valued functions defined on reals only."""
COMPARE: Final = DtypeRule("compare", _promote, _bool, accepts="biuf")
"""Order comparisons: inputs promoted, boolean result."""
EQUALITY: Final = DtypeRule("equality", _promote, _bool)
"""Equality tests (complex allowed), boolean result."""
PREDICATE: Final = DtypeRule("predicate", _promote, _bool)
"""isnan, isinf ...: boolean result of any numeric input."""
INTEGER: Final = DtypeRule("integer", _promote, _promote, accepts="biu")
"""Bitwise and logical functions: bool and integer inputs only."""
REAL: Final = DtypeRule("real", _promote, _promote, accepts="biuf")
"""Arithmetic on real numbers only (floor division, mod, maximum ...)."""


@dataclass(frozen=True, eq=False)
class ScalarFn:
    """One elementwise function: see the module docstring.

    ``impl(xp, *args)`` receives arrays already cast to the compute dtype.
    ``grad`` is ``None`` when the function is not differentiable (then
    ``no_grad_reason`` says why); ``zero_grad=True`` declares a derivative
    that is zero almost everywhere (floor, comparisons ...). ``symbol`` and
    ``precedence`` drive ``pp`` for infix operators.
    """

    name: str
    nin: int
    impl: Callable[..., Array]
    rule: DtypeRule
    grad: GradFormula | None = None
    zero_grad: bool = False
    no_grad_reason: str | None = None
    symbol: str | None = None
    precedence: int = 0
    doc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Elemwise(Op):
    """Apply ``fn`` elementwise with broadcasting."""

    fn: ScalarFn

    def __str__(self) -> str:
        return f"Elemwise{{{self.fn.name}}}"

    # ----------------------------------------------------------- type rule
    def make_node(self, *inputs: Any) -> Apply:
        fn = self.fn
        if len(inputs) != fn.nin:
            raise TypeError(f"{fn.name} takes {fn.nin} inputs, got {len(inputs)}")
        tensors = resolve_weak_inputs(inputs, fn.name)
        dtypes = tuple(t.dtype for t in tensors)
        for t in tensors:
            if kind(t.dtype) not in fn.rule.accepts:
                raise TypeError(
                    f"{fn.name}: input {t} has dtype {t.dtype}, but {fn.name} accepts only "
                    f"{_kinds_text(fn.rule.accepts)}"
                )
        shape = broadcast_static_shapes(
            [t.type.shape for t in tensors], [f"{fn.name} input {t}" for t in tensors]
        )
        out_type = TensorType(fn.rule.output(dtypes), shape)
        return Apply(self, tensors, [out_type()])

    # ----------------------------------------------------------- value
    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtypes = tuple(i.type.dtype for i in node.inputs)
        compute = self.fn.rule.compute(dtypes)
        args = [
            a if d == compute else xp.astype(a, getattr(xp, compute))
            for a, d in zip(inputs, dtypes)
        ]
        out = self.fn.impl(xp, *args)
        out_dtype: DType = node.outputs[0].type.dtype
        if str(out.dtype).rsplit(".", 1)[-1] != out_dtype:
            out = xp.astype(out, getattr(xp, out_dtype))
        _check_no_runtime_broadcast(node, inputs, out)
        return (out,)

    # ----------------------------------------------------------- shapes
    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TensorVariable, ...]]
    ) -> list[tuple[TensorVariable, ...]]:
        out = node.outputs[0]
        nd = out.type.ndim
        result: list[TensorVariable] = []
        for axis in range(nd):
            static = out.type.shape[axis]
            if static is not None:
                result.append(constant(static, dtype="int64"))
                continue
            cands = []
            for inp, shp in zip(node.inputs, input_shapes):
                ax = axis - (nd - len(shp))
                if ax >= 0 and inp.type.shape[ax] != 1:
                    cands.append(shp[ax])
            result.append(cands[0] if cands else constant(1, dtype="int64"))
        return [tuple(result)]

    # ----------------------------------------------------------- derivatives
    def L_op(
        self,
        inputs: Sequence[TensorVariable],
        outputs: Sequence[TensorVariable],
        output_grads: Sequence[TensorVariable],
    ) -> list[TensorVariable | NullGrad | None]:
        grads = self._raw_grads(inputs, outputs[0], output_grads[0])
        return [
            sum_to_input(g, inp) if isinstance(g, TensorVariable) else g
            for g, inp in zip(grads, inputs)
        ]

    def _raw_grads(
        self, inputs: Sequence[TensorVariable], out: TensorVariable, gz: TensorVariable
    ) -> list[Grad]:
        fn = self.fn
        if fn.zero_grad or is_discrete(out.dtype):
            return [None] * len(inputs)
        if fn.grad is None:
            reason = fn.no_grad_reason or "its derivative is not implemented"
            return [NullGrad(str(self), i, reason) for i in range(len(inputs))]
        grads = fn.grad(inputs, out, gz)
        return [None if is_discrete(inp.dtype) else g for g, inp in zip(grads, inputs)]

    def R_op(
        self, inputs: Sequence[TensorVariable], eval_points: Sequence[TensorVariable | None]
    ) -> list[TensorVariable | None]:
        out = self(*inputs)
        if is_discrete(out.dtype) or self.fn.zero_grad:
            return [None]
        total: TensorVariable | None = None
        for i, v in enumerate(eval_points):
            if v is None:
                continue
            g = self._raw_grads(inputs, out, v)[i]
            if isinstance(g, NullGrad):
                raise NullGradRopError(f"{self}: no R_op with respect to input {i}: {g.reason}")
            if g is None:
                continue
            total = g if total is None else total + g
        if total is not None and total.dtype != out.dtype:
            from refimpl.ops import math

            total = math.cast(total, out.dtype)
        return [total]


class NullGradRopError(NotImplementedError):
    """An elementwise R_op needs a derivative that does not exist."""


def _kinds_text(accepts: str) -> str:
    names = {"b": "bool", "i": "signed int", "u": "unsigned int", "f": "float", "c": "complex"}
    return ", ".join(names[k] for k in accepts)


def resolve_weak_inputs(inputs: Sequence[Any], what: str) -> list[TensorVariable]:
    """Inputs as tensors, Python scalars taking the dtype of the tensors they
    meet (weak scalars; see ``refimpl.types.weak_scalar_dtype``)."""
    from refimpl.config import config

    strong = [as_tensor_variable(x) for x in inputs if not _is_python_scalar(x)]
    if not strong:
        return [as_tensor_variable(x) for x in inputs]
    common = promote_types(*(t.dtype for t in strong))
    out: list[TensorVariable] = []
    it = iter(strong)
    for x in inputs:
        if _is_python_scalar(x):
            try:
                dt = weak_scalar_dtype(x, common, config.floatX)
            except OverflowError as exc:
                raise TypeError(f"{what}: {exc}") from exc
            out.append(constant(x, dtype=dt))
        else:
            out.append(next(it))
    return out


def _is_python_scalar(x: object) -> bool:
    return isinstance(x, (bool, int, float, complex))


def _check_no_runtime_broadcast(node: Apply, inputs: Sequence[Array], out: Array) -> None:
    checks: list[tuple[int, int, int]] | None = getattr(node.tag, "bcast_checks", None)
    if checks is None:
        nd = node.outputs[0].type.ndim
        checks = [
            (i, ax, nd - inp.type.ndim + ax)
            for i, inp in enumerate(node.inputs)
            for ax, n in enumerate(inp.type.shape)
            if n is None and len(node.inputs) > 1
        ]
        node.tag.bcast_checks = checks
    for i, ax, oax in checks:
        if inputs[i].shape[ax] != out.shape[oax]:
            raise ValueError(
                f"{node.op}: input {node.inputs[i]} has length {inputs[i].shape[ax]} on axis {ax} "
                f"but the result has {out.shape[oax]}; an axis broadcasts only when its static "
                "length is 1 (declare it, e.g. T.TensorType(dtype, (1, None)) or "
                "broadcastable=(True, False))"
            )


def sum_to_input(g: TensorVariable, inp: TensorVariable) -> TensorVariable:
    """Sum the gradient ``g`` (shaped like the op's output) over the axes
    along which ``inp`` was broadcast, and cast it to ``inp``'s dtype.

    This is the one place broadcasting is undone (house style item 4).
    """
    from refimpl.ops import math, reduction

    lead = g.ndim - inp.ndim
    stretched = tuple(
        lead + ax for ax, n in enumerate(inp.type.shape) if n == 1 and g.type.shape[lead + ax] != 1
    )
    if stretched:
        g = reduction.sum(g, axis=stretched, keepdims=True)
    if lead:
        g = reduction.sum(g, axis=tuple(range(lead)))
    if g.dtype != inp.dtype and not is_discrete(inp.dtype):
        g = math.cast(g, inp.dtype)
    return g
