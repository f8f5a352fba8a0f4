"""The elementwise op: one ``Elemwise`` class applying a ``ScalarFn``.

A ``ScalarFn`` is a row of the elementwise table (``refimpl/ops/math.py`` and
its sibling modules): its name, arity, dtype rule, reference implementation
through ``xp`` and its derivative written as a one-line formula in terms of
the inputs, the output and the output gradient ``gz``. ``Elemwise`` supplies
everything else once: weak Python-scalar handling, the static broadcasting
rule, casting inputs to the compute dtype before the namespace call,
``infer_shape``, summing the gradient of a broadcast input back to its shape
(the one place broadcasting is undone, house style item 4) and a generic
``R_op`` built from the same derivative formulas.

Broadcasting is static: an axis broadcasts only where its static length is 1
(``broadcastable=True``). An axis of unknown length that turns out to be 1 at
run time while the others are longer raises ``ValueError`` rather than being
stretched — this keeps gradients exact. See ``spec/elemwise.md``.

Derivative conventions (spec/elemwise.md, "Gradients"):

- a piecewise-constant function (``zero_grad=True``: floor, sgn, comparisons
  ...) and any function with a discrete output has a *zero* gradient: float
  inputs get zeros (connected, as in Theano), integer inputs ``None``;
- complex values follow Theano's convention, the gradient of a real cost C
  being ``dC/dRe z + i dC/dIm z``: a ``holomorphic`` row's formula
  ``g * f'(z)`` is applied as ``conj(formula(conj(gz)))``; a
  ``complex_grad`` row's formula already follows the convention; any other
  row gives ``NullGrad(kind='not_implemented')``;
- ``R_op`` substitutes the tangent for ``gz`` in the formula (valid because
  every formula is ``gz`` times a real-linear factor), or uses the row's
  ``jvp`` formula when it has one (needed where the L_op formula conjugates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.opspec import Arg, OpSpec, ShapeFn, broadcast_shapes
from refimpl.types import (
    DType,
    TensorType,
    broadcast_static_shapes,
    is_discrete,
    kind,
    promote_types,
    real_dtype,
    upcast_to_float,
    weak_scalar_dtype,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant

Grad = TensorVariable | NullGrad | None
GradFormula = Callable[[Sequence[TensorVariable], TensorVariable, TensorVariable], list[Grad]]
"""``grad(inputs, out, gz) -> [gz * d out/d input_i, ...]`` (elementwise)."""
JvpFormula = Callable[
    [Sequence[TensorVariable], TensorVariable, Sequence[TensorVariable | None]],
    TensorVariable | None,
]
"""``jvp(inputs, out, tangents) -> tangent of out`` (``None`` tangents are zero)."""
DtypeFn = Callable[[tuple[DType, ...]], DType]


@dataclass(frozen=True)
class DtypeRule:
    """How an elementwise function's dtypes work.

    ``compute(dtypes)`` is the dtype inputs are cast to before the namespace
    call (``per_input``, when given, returns one dtype per input instead);
    ``output(dtypes)`` the result dtype; ``accepts`` the kinds allowed
    (``b i u f c``); inputs of other kinds raise ``TypeError`` at build time.
    ``no_bool=True`` rejects calls whose inputs are all bool (``sub``, ``neg``
    ...: numpy and the array API do not define them on bool).
    """

    name: str
    compute: DtypeFn
    output: DtypeFn
    accepts: str = "biufc"
    no_bool: bool = False
    per_input: Callable[[tuple[DType, ...]], tuple[DType, ...]] | None = None

    def input_dtypes(self, dtypes: tuple[DType, ...]) -> tuple[DType, ...]:
        """The dtype each input is cast to before the namespace call."""
        if self.per_input is not None:
            return self.per_input(dtypes)
        return (self.compute(dtypes),) * len(dtypes)


def _promote(dts: tuple[DType, ...]) -> DType:
    return promote_types(*dts)


def _promote_ordered(dts: tuple[DType, ...]) -> DType:
    common = promote_types(*dts)
    return "int8" if common == "bool" else common  # the array API orders numbers only


def _float(dts: tuple[DType, ...]) -> DType:
    return upcast_to_float(promote_types(*dts))


def _bool(dts: tuple[DType, ...]) -> DType:
    return "bool"


def _real_of_promoted(dts: tuple[DType, ...]) -> DType:
    return real_dtype(promote_types(*dts))


def _real_of_float(dts: tuple[DType, ...]) -> DType:
    return real_dtype(_float(dts))


def _complex_of_float(dts: tuple[DType, ...]) -> DType:
    return "complex128" if _float(dts) == "float64" else "complex64"


def _switch_inputs(dts: tuple[DType, ...]) -> tuple[DType, ...]:
    common = promote_types(*dts[1:])
    return ("bool", common, common)


def _switch_output(dts: tuple[DType, ...]) -> DType:
    return promote_types(*dts[1:])


SAME: Final = DtypeRule("same", _promote, _promote)
"""Arithmetic: inputs promoted, result of the promoted dtype (bool allowed)."""
ARITH: Final = DtypeRule("arith", _promote, _promote, no_bool=True)
"""Arithmetic not defined on bool alone (sub, neg, pow, sqr)."""
FLOAT: Final = DtypeRule("float", _float, _float)
"""Float-valued functions: discrete inputs upcast to float (Theano's rule)."""
REAL_FLOAT: Final = DtypeRule("real_float", _float, _float, accepts="biuf")
"""Float-valued functions defined on reals only."""
COMPARE: Final = DtypeRule("compare", _promote_ordered, _bool, accepts="biuf")
"""Order comparisons: inputs promoted (bool compared as int8), boolean result."""
EQUALITY: Final = DtypeRule("equality", _promote, _bool)
"""Equality tests (complex allowed), boolean result."""
PREDICATE: Final = DtypeRule("predicate", _promote, _bool)
"""isnan, isinf ...: boolean result of any numeric input."""
INTEGER: Final = DtypeRule("integer", _promote, _promote, accepts="biu")
"""Bitwise and logical functions: bool and integer inputs only."""
REAL: Final = DtypeRule("real", _promote, _promote, accepts="biuf")
"""Arithmetic on real numbers only (maximum, minimum: bool allowed)."""
REAL_ARITH: Final = DtypeRule("real_arith", _promote, _promote, accepts="biuf", no_bool=True)
"""Real arithmetic not defined on bool alone (floor division, mod, sgn, clip)."""
ABS: Final = DtypeRule("abs", _promote, _real_of_promoted, no_bool=True)
"""abs: complex inputs give the real dtype of their components."""
LOGICAL: Final = DtypeRule("logical", _bool, _bool, accepts="biuf")
"""logical_and ...: inputs tested for non-zero, boolean result."""
PART: Final = DtypeRule("part", _promote, _real_of_promoted)
"""real, imag: the real dtype of the components."""
ANGLE: Final = DtypeRule("angle", _float, _real_of_float)
"""angle: a float of the components' precision."""
COMPLEX: Final = DtypeRule("complex", _float, _complex_of_float, accepts="biuf")
"""complex(re, im): the complex dtype of the (upcast) float inputs."""
SWITCH: Final = DtypeRule("switch", _bool, _switch_output, per_input=_switch_inputs)
"""switch(cond, a, b): cond tested for non-zero, a and b promoted."""


@dataclass(frozen=True, eq=False)
class ScalarFn:
    """One elementwise function: see the module docstring.

    ``impl(xp, *args)`` receives arrays already cast to the compute dtype.
    ``grad`` is ``None`` when the function is not differentiable (then
    ``no_grad_reason`` says why and ``no_grad_kind`` is ``'undefined'`` or
    ``'not_implemented'``); ``zero_grad=True`` declares a derivative that is
    zero almost everywhere (floor, comparisons ...). ``jvp`` overrides the
    R_op formula; ``complex_grad`` declares the formulas valid for complex
    values as written; ``holomorphic`` declares a complex-analytic function
    whose formula ``g * f'(z)`` is conjugated for complex values (see
    ``_holomorphic_grads``). ``weak_context`` lists the inputs whose dtypes
    Python scalars adopt (default: all). ``symbol`` and ``precedence`` drive
    ``pp`` for infix operators.
    """

    name: str
    nin: int
    impl: Callable[..., Array]
    rule: DtypeRule
    grad: GradFormula | None = None
    zero_grad: bool = False
    no_grad_reason: str | None = None
    no_grad_kind: str = "undefined"
    jvp: JvpFormula | None = None
    complex_grad: bool = False
    holomorphic: bool = False
    weak_context: tuple[int, ...] | None = None
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
        return f"Elemwise{{{self.fn.name},no_inplace}}"

    # ----------------------------------------------------------- type rule
    def make_node(self, *inputs: Any) -> Apply:
        fn = self.fn
        if len(inputs) != fn.nin:
            plural = "input" if fn.nin == 1 else "inputs"
            raise TypeError(f"{fn.name} takes {fn.nin} {plural}, got {len(inputs)}")
        tensors = resolve_weak_inputs(inputs, fn.name, fn.weak_context)
        dtypes = tuple(t.dtype for t in tensors)
        _check_kinds(fn, tensors)
        tensors = _pad_to_same_ndim(tensors)
        shape = broadcast_static_shapes(
            [t.type.shape for t in tensors], [f"{fn.name} input {t}" for t in tensors]
        )
        out_type = TensorType(fn.rule.output(dtypes), shape)
        return Apply(self, tensors, [out_type()])

    # ----------------------------------------------------------- value
    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtypes = tuple(i.type.dtype for i in node.inputs)
        targets = self.fn.rule.input_dtypes(dtypes)
        args = [
            a if d == t else xp.astype(a, getattr(xp, t))
            for a, d, t in zip(inputs, dtypes, targets)
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
            return [zero_grad(inp) for inp in inputs]
        missing = self._missing(inputs, out)
        if missing is not None:
            return [NullGrad(str(self), i, *missing) for i in range(len(inputs))]
        if _involves_complex(inputs, out) and fn.holomorphic:
            return _holomorphic_grads(self._formula(inputs, out, _conj(gz)), inputs)
        return self._formula(inputs, out, gz)

    def _missing(
        self, inputs: Sequence[TensorVariable], out: TensorVariable
    ) -> tuple[str, str] | None:
        """(reason, kind) when the derivative does not exist or is not implemented."""
        fn = self.fn
        if fn.grad is None:
            return fn.no_grad_reason or "its derivative is not implemented", fn.no_grad_kind
        if _involves_complex(inputs, out) and not (fn.complex_grad or fn.holomorphic):
            return f"{fn.name}: gradients through complex values are not implemented", (
                "not_implemented"
            )
        return None

    def _formula(
        self, inputs: Sequence[TensorVariable], out: TensorVariable, g: TensorVariable
    ) -> list[Grad]:
        assert self.fn.grad is not None
        grads = self.fn.grad(inputs, out, g)
        return [None if is_discrete(inp.dtype) else d for d, inp in zip(grads, inputs)]

    def R_op(
        self, inputs: Sequence[TensorVariable], eval_points: Sequence[TensorVariable | None]
    ) -> list[TensorVariable | None]:
        out = self(*inputs)
        if is_discrete(out.dtype) or self.fn.zero_grad:
            return [None]
        points = [None if is_discrete(x.dtype) else v for x, v in zip(inputs, eval_points)]
        if all(v is None for v in points):
            return [None]
        if self.fn.jvp is not None:
            total = self.fn.jvp(inputs, out, points)
        else:
            total = self._jvp_from_grads(inputs, out, points)
        return [None if total is None else _as_tangent_of(total, out)]

    def _jvp_from_grads(
        self,
        inputs: Sequence[TensorVariable],
        out: TensorVariable,
        points: Sequence[TensorVariable | None],
    ) -> TensorVariable | None:
        # every formula is ``g * factor``: the tangent is the formula at g = v
        missing = self._missing(inputs, out)
        if missing is not None:
            raise NullGradRopError(f"{self}: no R_op: {missing[0]}")
        total: TensorVariable | None = None
        for i, v in enumerate(points):
            if v is None:
                continue
            d = self._formula(inputs, out, v)[i]
            if isinstance(d, NullGrad):
                raise NullGradRopError(f"{self}: no R_op with respect to input {i}: {d.reason}")
            if d is None:
                continue
            total = d if total is None else total + d
        return total


def _involves_complex(inputs: Sequence[TensorVariable], out: TensorVariable) -> bool:
    return any(kind(v.dtype) == "c" for v in (*inputs, out))


def _conj(x: TensorVariable) -> TensorVariable:
    from refimpl.ops import math_complex

    return math_complex.conj_if_complex(x)


def _holomorphic_grads(conj_grads: Sequence[Grad], inputs: Sequence[TensorVariable]) -> list[Grad]:
    """Theano's convention for a real cost C of complex values: the gradient
    is ``dC/dRe z + i dC/dIm z``. For a holomorphic f with formula
    ``g * f'(z)`` it is ``gz * conj(f'(z)) = conj(formula(conj(gz)))``; a real
    input takes the real part."""
    from refimpl.ops import math_complex

    out: list[Grad] = []
    for g, inp in zip(conj_grads, inputs):
        if isinstance(g, TensorVariable) and kind(g.dtype) == "c":
            g = math_complex.conj(g) if kind(inp.dtype) == "c" else math_complex.real(g)
        out.append(g)
    return out


class NullGradRopError(NotImplementedError):
    """An elementwise R_op needs a derivative that does not exist."""


def _kinds_text(accepts: str) -> str:
    names = {"b": "bool", "i": "signed int", "u": "unsigned int", "f": "float", "c": "complex"}
    return ", ".join(names[k] for k in accepts)


def _check_kinds(fn: ScalarFn, tensors: Sequence[TensorVariable]) -> None:
    for t in tensors:
        if kind(t.dtype) not in fn.rule.accepts:
            raise TypeError(
                f"{fn.name}: input {t} has dtype {t.dtype}, but {fn.name} accepts only "
                f"{_kinds_text(fn.rule.accepts)}"
            )
    if fn.rule.no_bool and all(t.dtype == "bool" for t in tensors):
        names = ", ".join(str(t) for t in tensors)
        raise TypeError(
            f"{fn.name}: input{'s' if len(tensors) > 1 else ''} {names} "
            f"{'are' if len(tensors) > 1 else 'is'} bool, and {fn.name} is not defined on bool; "
            "cast to an integer dtype first (T.cast(x, 'int8'))"
        )


def _pad_to_same_ndim(tensors: Sequence[TensorVariable]) -> list[TensorVariable]:
    """Inputs of lower rank get leading axes of length 1 through ``DimShuffle``
    (``['x', ..., 0, 1, ...]``), as Theano's ``Elemwise`` does, so every input
    of the node has the output's rank."""
    nd = max((t.ndim for t in tensors), default=0)
    if all(t.ndim == nd for t in tensors):
        return list(tensors)
    from refimpl.ops import axes

    return [t if t.ndim == nd else axes.shape_padleft(t, nd - t.ndim) for t in tensors]


def resolve_weak_inputs(
    inputs: Sequence[Any], what: str, context: Sequence[int] | None = None
) -> list[TensorVariable]:
    """Inputs as tensors, Python scalars taking the dtype of the tensors they
    meet (weak scalars; see ``refimpl.types.weak_scalar_dtype``).

    ``context`` lists the input positions whose dtypes the scalars adopt
    (``switch`` uses its two branches, not the condition); when none of them
    is a tensor, all tensor inputs are used.
    """
    from refimpl.config import config

    strong = {k: as_tensor_variable(x) for k, x in enumerate(inputs) if not _is_python_scalar(x)}
    if not strong:
        return [as_tensor_variable(x) for x in inputs]
    ctx = [k for k in (context if context is not None else strong) if k in strong]
    common = promote_types(*(strong[k].dtype for k in (ctx or strong)))
    out: list[TensorVariable] = []
    for k, x in enumerate(inputs):
        if k in strong:
            out.append(strong[k])
            continue
        try:
            dt = weak_scalar_dtype(x, common, config.floatX)
        except OverflowError as exc:
            raise TypeError(f"{what}: {exc}") from exc
        # a weak float is rounded to the tensor's precision (x_float32 * 0.1)
        const = constant(np.asarray(x, dtype=dt))
        const.tag.python_scalar = x  # what the user wrote, for printing (TensorConstant{2})
        out.append(const)
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


# --------------------------------------------------------------------------- gradient helpers

ZEROS_LIKE: Final = ScalarFn(
    "zeros_like", 1, lambda xp, a: xp.zeros_like(a), SAME, zero_grad=True,
    doc="0 with the shape and dtype of x: the gradient of piecewise-constant functions",
)  # fmt: skip


def apply(fn: ScalarFn, *inputs: Any) -> TensorVariable:
    """``Elemwise(fn)(*inputs)``, typed."""
    return cast(TensorVariable, Elemwise(fn)(*inputs))


def zero_grad(inp: TensorVariable) -> TensorVariable | None:
    """The (connected) zero gradient of a float input; ``None`` for discrete ones."""
    return None if is_discrete(inp.dtype) else apply(ZEROS_LIKE, inp)


def _as_tangent_of(total: TensorVariable, out: TensorVariable) -> TensorVariable:
    """``total`` broadcast to the static shape of ``out`` and cast to its dtype."""
    from refimpl.ops import math

    if total.type.shape != out.type.shape:
        total = apply(math.ADD, total, apply(ZEROS_LIKE, out))
    if total.dtype != out.dtype:
        total = math.cast(total, out.dtype)
    return total


def sum_to_input(g: TensorVariable, inp: TensorVariable) -> TensorVariable:
    """Sum the gradient ``g`` (shaped like the op's output) over the axes
    along which ``inp`` was broadcast, and cast it to ``inp``'s dtype.

    This is the one place broadcasting is undone (house style item 4).
    """
    from refimpl.ops import math

    lead = g.ndim - inp.ndim
    stretched = tuple(
        lead + ax for ax, n in enumerate(inp.type.shape) if n == 1 and g.type.shape[lead + ax] != 1
    )
    if stretched or lead:
        from refimpl.ops import reduction

        if stretched:
            g = reduction.sum(g, axis=stretched, keepdims=True)
        if lead:
            g = reduction.sum(g, axis=tuple(range(lead)))
    if g.dtype != inp.dtype and not is_discrete(inp.dtype):
        if kind(g.dtype) == "c" and kind(inp.dtype) != "c":
            from refimpl.ops import math_complex

            g = math_complex.real(g)  # a real input's gradient is the real part
        if g.dtype != inp.dtype:
            g = math.cast(g, inp.dtype)
    return g


# --------------------------------------------------------------------------- test specs


def elemwise_spec(
    name: str,
    build: Callable[..., Any],
    ref: Callable[..., Any],
    *args: Arg,
    shapes: ShapeFn | None = None,
    **kw: Any,
) -> OpSpec:
    """An ``OpSpec`` for an elementwise function (broadcastable shapes by default)."""
    return OpSpec(
        name=name,
        build=build,
        ref=ref,
        args=args,
        shapes=shapes or broadcast_shapes(len(args)),
        op_classes=(Elemwise,),
        **kw,
    )
