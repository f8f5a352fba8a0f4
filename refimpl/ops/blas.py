"""Products: ``dot``, ``tensordot``, ``matmul`` (``@``), ``outer``, ``batched_dot``,
``batched_tensordot``.

Three ops carry every product: ``Dot`` (Theano's vector/matrix dot, printed
``\\dot``), ``TensorDot`` (contraction over paired axes; also outer products
and ``dot`` of tensors with more than two axes) and ``MatMul`` (stacks of
matrices with statically broadcast batch axes). The public functions choose
among them. All three are bilinear, so their ``R_op`` is
``op(va, b) + op(a, vb)`` and their gradients are products of the output
gradient with the other operand. See ``spec/linalg.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.opspec import Arg, DrawInt, OpSpec, fixed_shapes
from refimpl.types import (
    DType,
    TensorType,
    broadcast_static_shapes,
    format_shape,
    is_discrete,
    promote_types,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]


# --------------------------------------------------------------------------- helpers


def product_dtype(a: TV, b: TV, what: str) -> DType:
    """The dtype of a product of ``a`` and ``b``: the promoted dtype (int·int
    stays int). Booleans are rejected: the array API has no boolean matmul."""
    dtype = promote_types(a.dtype, b.dtype)
    if dtype == "bool":
        raise TypeError(f"{what}: {a} and {b} are both bool; cast one to a numeric dtype first")
    return dtype


def as_dtype_array(xp: Namespace, x: Array, have: DType, want: DType) -> Array:
    """``x`` (whose declared dtype is ``have``) cast to ``want``."""
    return x if have == want else xp.astype(x, getattr(xp, want))


def grad_for(g: TV, inp: TV) -> TV | None:
    """``g`` cast to ``inp``'s dtype; ``None`` for discrete inputs."""
    from refimpl.ops import math as _math

    if is_discrete(inp.dtype):
        return None
    return g if g.dtype == inp.dtype else _math.cast(g, inp.dtype)


def conj(x: TV) -> TV:
    """``x`` conjugated when complex (gradients use the conjugate convention:
    ``ga = g · conj(b)ᵀ``, as the elementwise ``mul`` does)."""
    from refimpl.ops import math_complex as _cx

    return _cx.conj_if_complex(x)


def _shape_var(n: int | None, fallback: TV) -> TV:
    return constant(n, dtype="int64") if n is not None else fallback


def _check_len(what: str, a: Any, ia: int, b: Any, ib: int, na: Any, nb: Any) -> None:
    if na is not None and nb is not None and na != nb:
        raise ValueError(
            f"{what}: axis {ia} of {a} (length {na}) and axis {ib} of {b} (length {nb}) "
            "must have the same length"
        )


def _runtime_len_check(
    node: Apply, inputs: Sequence[Array], pairs: Sequence[tuple[int, int]]
) -> None:
    a, b = inputs
    for ia, ib in pairs:
        if a.shape[ia] != b.shape[ib]:
            raise ValueError(
                f"{node.op}: axis {ia} of {node.inputs[0]} (shape {tuple(a.shape)}) and axis "
                f"{ib} of {node.inputs[1]} (shape {tuple(b.shape)}) must have the same length"
            )


def _bilinear_rop(
    op: Op, inputs: Sequence[TV], eval_points: Sequence[TV | None]
) -> list[TV | None]:
    """``R(op(a, b)) = op(va, b) + op(a, vb)`` (each term skipped when its tangent is zero)."""
    from refimpl.ops import math as _math

    a, b = inputs
    va, vb = eval_points
    out_dtype = op(a, b).dtype
    terms = []
    if va is not None and not is_discrete(a.dtype):
        terms.append(op(_math.cast(va, a.dtype), b))
    if vb is not None and not is_discrete(b.dtype):
        terms.append(op(a, _math.cast(vb, b.dtype)))
    if not terms:
        return [None]
    total = terms[0] if len(terms) == 1 else _math.add(terms[0], terms[1])
    return [total if total.dtype == out_dtype else _math.cast(total, out_dtype)]


# --------------------------------------------------------------------------- Dot


@dataclass(frozen=True)
class Dot(Op):
    """Theano's ``Dot``: vector·vector → scalar, matrix·vector, vector·matrix,
    matrix·matrix (the inner axes must have the same length)."""

    def __str__(self) -> str:
        return "Dot"

    def pprint(self, node: Apply, args: Sequence[str]) -> str:
        """Theano's infix form for ``pp``: ``(W \\dot x)``."""
        return f"({args[0]} \\dot {args[1]})"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        for v in (a, b):
            if v.ndim not in (1, 2):
                raise TypeError(f"Dot: {v} must be a vector or a matrix, got {v.ndim}-d ({v.type})")
        dtype = product_dtype(a, b, "Dot")
        sa, sb = a.type.shape, b.type.shape
        _check_len("Dot", a, a.ndim - 1, b, 0, sa[-1], sb[0])
        out = TensorType(dtype, sa[:-1] + sb[1:])
        return Apply(self, [a, b], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        a, b = inputs
        _runtime_len_check(node, inputs, [(a.ndim - 1, 0)])
        dtype: DType = node.outputs[0].type.dtype
        ca = as_dtype_array(xp, a, node.inputs[0].type.dtype, dtype)
        cb = as_dtype_array(xp, b, node.inputs[1].type.dtype, dtype)
        return (xp.matmul(ca, cb),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        sa, sb = input_shapes
        return [tuple(sa[:-1]) + tuple(sb[1:])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """vv: ga = g·b, gb = g·a; mv: ga = outer(g, b), gb = g·a;
        vm: ga = b·g, gb = outer(a, g); mm: ga = g·bᵀ, gb = aᵀ·g (a, b
        conjugated when complex)."""
        from refimpl.ops import math as _math

        a, b = inputs
        (g,) = output_grads
        ca, cb = conj(a), conj(b)
        if a.ndim == 1 and b.ndim == 1:
            ga, gb = _math.mul(g, cb), _math.mul(g, ca)
        elif a.ndim == 2 and b.ndim == 1:
            ga, gb = tensordot(g, cb, 0), dot(g, ca)
        elif a.ndim == 1:
            ga, gb = dot(cb, g), tensordot(ca, g, 0)
        else:
            ga, gb = tensordot(g, cb, [[1], [1]]), tensordot(ca, g, [[0], [0]])
        return [grad_for(ga, a), grad_for(gb, b)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return _bilinear_rop(self, inputs, eval_points)


# --------------------------------------------------------------------------- TensorDot


def _normalise_axes(axes: Any, a: TV, b: TV) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Theano/numpy ``axes``: an int n (last n of a with first n of b), a pair
    of ints, or a pair of sequences; negative axes count from the end."""
    if isinstance(axes, TensorVariable):
        raise TypeError("tensordot: axes must be Python ints or sequences of ints, not symbolic")
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: axes={axes} must be between 0 and min({a}.ndim={a.ndim}, "
                f"{b}.ndim={b.ndim})"
            )
        return tuple(range(a.ndim - axes, a.ndim)), tuple(range(axes))
    try:
        xa, xb = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair, got {axes!r}") from None
    la = [xa] if isinstance(xa, int) else list(xa)
    lb = [xb] if isinstance(xb, int) else list(xb)
    if len(la) != len(lb):
        raise ValueError(
            f"tensordot: axes {axes!r} pair {len(la)} axes of {a} with {len(lb)} of {b}"
        )
    return _check_axes(la, a), _check_axes(lb, b)


def _check_axes(axes: list[Any], v: TV) -> tuple[int, ...]:
    out: list[int] = []
    for ax in axes:
        if not isinstance(ax, int) or isinstance(ax, bool):
            raise TypeError(f"tensordot: axis {ax!r} of {v} is not an int")
        if not -v.ndim <= ax < v.ndim:
            raise ValueError(f"tensordot: axis {ax} is out of range for {v} with ndim {v.ndim}")
        out.append(ax % v.ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: repeated axis in {axes} for {v}")
    return tuple(out)


@dataclass(frozen=True)
class TensorDot(Op):
    """Sum of products over the paired axes ``axes_a[k]`` ↔ ``axes_b[k]``; the
    result's axes are a's free axes then b's free axes, each in order."""

    axes_a: tuple[int, ...]
    axes_b: tuple[int, ...]

    def __str__(self) -> str:
        return f"TensorDot{{{list(self.axes_a)}, {list(self.axes_b)}}}"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        dtype = product_dtype(a, b, "tensordot")
        if len(self.axes_a) != len(self.axes_b):
            raise ValueError(f"{self}: the two axis lists must have the same length")
        _check_axes(list(self.axes_a), a)
        _check_axes(list(self.axes_b), b)
        sa, sb = a.type.shape, b.type.shape
        for ia, ib in zip(self.axes_a, self.axes_b):
            if sa[ia] is not None and sb[ib] is not None and sa[ia] != sb[ib]:
                raise ValueError(
                    f"tensordot: axis {ia} of {a} {format_shape(sa)} and axis {ib} of {b} "
                    f"{format_shape(sb)} must have the same length"
                )
        shape = tuple(sa[i] for i in self._free(a.ndim, self.axes_a)) + tuple(
            sb[j] for j in self._free(b.ndim, self.axes_b)
        )
        return Apply(self, [a, b], [TensorType(dtype, shape)()])

    @staticmethod
    def _free(ndim: int, axes: tuple[int, ...]) -> list[int]:
        return [i for i in range(ndim) if i not in axes]

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        _runtime_len_check(node, inputs, list(zip(self.axes_a, self.axes_b)))
        dtype: DType = node.outputs[0].type.dtype
        ca = as_dtype_array(xp, inputs[0], node.inputs[0].type.dtype, dtype)
        cb = as_dtype_array(xp, inputs[1], node.inputs[1].type.dtype, dtype)
        return (xp.tensordot(ca, cb, axes=(self.axes_a, self.axes_b)),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        sa, sb = input_shapes
        free_a = self._free(len(sa), self.axes_a)
        free_b = self._free(len(sb), self.axes_b)
        return [tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """ga = tensordot(g, b) over b's free axes, then transposed into a's
        axis order; gb likewise with a."""
        a, b = inputs
        (g,) = output_grads
        free_a, free_b = self._free(a.ndim, self.axes_a), self._free(b.ndim, self.axes_b)
        nfa = len(free_a)
        ta = tensordot(g, conj(b), [list(range(nfa, g.ndim)), free_b])
        src_a = free_a + [self.axes_a[self.axes_b.index(j)] for j in sorted(self.axes_b)]
        tb = tensordot(conj(a), g, [free_a, list(range(nfa))])
        src_b = [self.axes_b[self.axes_a.index(i)] for i in sorted(self.axes_a)] + free_b
        ga = _permute(ta, [src_a.index(i) for i in range(a.ndim)])
        gb = _permute(tb, [src_b.index(j) for j in range(b.ndim)])
        return [grad_for(ga, a), grad_for(gb, b)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return _bilinear_rop(self, inputs, eval_points)


def _permute(x: TV, perm: list[int]) -> TV:
    from refimpl.ops import shape as _shape

    if perm == list(range(x.ndim)):
        return x
    return _shape.transpose(x, perm)


def matrix_transpose(x: TV) -> TV:
    """Swap the last two axes (the transpose of each matrix of a stack)."""
    perm = [*range(x.ndim - 2), x.ndim - 1, x.ndim - 2]
    return _permute(x, perm)


# --------------------------------------------------------------------------- MatMul


@dataclass(frozen=True)
class MatMul(Op):
    """Stacks of matrices: ``(..., m, k) @ (..., k, n) → (..., m, n)``. Batch
    axes broadcast by the static rule (only a static length 1 stretches)."""

    def __str__(self) -> str:
        return "MatMul"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        for v in (a, b):
            if v.ndim < 2:
                raise TypeError(f"MatMul: {v} must have at least 2 axes, got {v.ndim}-d")
        dtype = product_dtype(a, b, "matmul")
        sa, sb = a.type.shape, b.type.shape
        _check_len("matmul", a, a.ndim - 1, b, b.ndim - 2, sa[-1], sb[-2])
        batch = broadcast_static_shapes(
            [sa[:-2], sb[:-2]], [f"matmul batch axes of {a}", f"of {b}"]
        )
        return Apply(self, [a, b], [TensorType(dtype, (*batch, sa[-2], sb[-1]))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        a, b = inputs
        _runtime_len_check(node, inputs, [(a.ndim - 1, b.ndim - 2)])
        dtype: DType = node.outputs[0].type.dtype
        ca = as_dtype_array(xp, a, node.inputs[0].type.dtype, dtype)
        cb = as_dtype_array(xp, b, node.inputs[1].type.dtype, dtype)
        out = xp.matmul(ca, cb)
        check_batch(node, inputs, out)
        return (out,)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        sa, sb = input_shapes
        return [(*batch_shape(node, input_shapes), sa[-2], sb[-1])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """ga = g @ conj(b)ᵀ, gb = conj(a)ᵀ @ g, each summed over the batch axes its
        input was broadcast along."""
        from refimpl.ops.elemwise import sum_to_input

        a, b = inputs
        (g,) = output_grads
        ga = sum_to_input(self(g, matrix_transpose(conj(b))), a)
        gb = sum_to_input(self(matrix_transpose(conj(a)), g), b)
        return [grad_for(ga, a), grad_for(gb, b)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return _bilinear_rop(self, inputs, eval_points)


def batch_shape(node: Apply, input_shapes: Sequence[tuple[TV, ...]]) -> list[TV]:
    """The broadcast batch axes (all but the last two) of a stacked-matrix
    op's output: static lengths, else an input's length that is not a static 1."""
    out_shape = node.outputs[0].type.shape
    nb = len(out_shape) - 2
    batch: list[TV] = []
    for axis in range(nb):
        cands = []
        for inp, shp in zip(node.inputs, input_shapes):
            ax = axis - (nb - (inp.type.ndim - 2))
            if ax >= 0 and inp.type.shape[ax] != 1:
                cands.append(shp[ax])
        fallback = cands[0] if cands else constant(1, dtype="int64")
        batch.append(_shape_var(out_shape[axis], fallback))
    return batch


def check_batch(node: Apply, inputs: Sequence[Array], out: Array) -> None:
    """Batch axes (all but the last two) of unknown static length must match
    the result's: a length-1 axis is not stretched at run time (static rule)."""
    nb = out.ndim - 2
    for k, (inp, arr) in enumerate(zip(node.inputs, inputs)):
        lead = nb - (arr.ndim - 2)
        for ax in range(arr.ndim - 2):
            if inp.type.shape[ax] is None and arr.shape[ax] != out.shape[lead + ax]:
                raise ValueError(
                    f"{node.op}: batch axis {ax} of {node.inputs[k]} has length "
                    f"{arr.shape[ax]} but the result has {out.shape[lead + ax]}; a batch axis "
                    "broadcasts only when its static length is 1"
                )


# --------------------------------------------------------------------------- functions


def tensordot(a: Any, b: Any, axes: Any = 2) -> TV:
    """Theano's/numpy's ``tensordot``: ``axes`` is an int n (the last n axes
    of a with the first n of b) or a pair ``[axes_of_a, axes_of_b]``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    axes_a, axes_b = _normalise_axes(axes, a, b)
    return TensorDot(axes_a, axes_b)(a, b)  # type: ignore[no-any-return]


def dot(a: Any, b: Any) -> TV:
    """Theano's ``dot``: scalar operands multiply elementwise; vectors and
    matrices use ``Dot``; with more axes, numpy's rule (sum over the last axis
    of a and the second-to-last of b) through ``tensordot``."""
    from refimpl.ops import math as _math

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return _math.mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return Dot()(a, b)  # type: ignore[no-any-return]
    return tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


def matmul(a: Any, b: Any) -> TV:
    """numpy's ``matmul`` (the ``@`` operator): stacks of matrices with
    broadcast batch axes; a 1-D operand is a vector (its axis contracted)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    for v in (a, b):
        if v.ndim == 0:
            raise TypeError(f"matmul: {v} is a scalar; use mul (*) for scalars")
    if a.ndim <= 2 and b.ndim <= 2:
        return Dot()(a, b)  # type: ignore[no-any-return]
    if a.ndim == 1:
        return tensordot(a, b, [[0], [b.ndim - 2]])
    if b.ndim == 1:
        return tensordot(a, b, [[a.ndim - 1], [0]])
    return MatMul()(a, b)  # type: ignore[no-any-return]


def outer(x: Any, y: Any) -> TV:
    """Outer product of two vectors (Theano flattens other operands first)."""
    from refimpl.ops import shape as _shape

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = _shape.flatten(x, 1)
    if y.ndim != 1:
        y = _shape.flatten(y, 1)
    return tensordot(x, y, 0)


def batched_dot(a: Any, b: Any) -> TV:
    """Theano's ``batched_dot``: ``dot`` of ``a[i]`` and ``b[i]`` for each i of
    the first (batch) axis."""
    from refimpl.ops import math as _math
    from refimpl.ops import shape as _shape

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    for v in (a, b):
        if v.ndim == 0:
            raise TypeError(f"batched_dot: {v} must have a batch axis, got a scalar")
    if a.ndim == 1:
        return _math.mul(_shape.dimshuffle(a, [0] + ["x"] * (b.ndim - 1)), b)
    if b.ndim == 1:
        return _math.mul(a, _shape.dimshuffle(b, [0] + ["x"] * (a.ndim - 1)))
    if a.ndim > 3 or b.ndim > 3:
        return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])
    a3 = a if a.ndim == 3 else _shape.dimshuffle(a, [0, "x", 1])
    b3 = b if b.ndim == 3 else _shape.dimshuffle(b, [0, 1, "x"])
    out: TV = MatMul()(a3, b3)
    keep = [0] + ([1] if a.ndim == 3 else []) + ([2] if b.ndim == 3 else [])
    return out if len(keep) == 3 else _shape.dimshuffle(out, keep)


def batched_tensordot(x: Any, y: Any, axes: Any = 2) -> TV:
    """Theano's ``batched_tensordot``: ``tensordot(x[i], y[i], axes)`` for each
    i of the first axis; ``axes`` count the axes of ``x`` and ``y`` including the
    batch axis (an int n pairs the last n axes of x with axes 1..n of y)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes < min(x.ndim, y.ndim):
            raise ValueError(f"batched_tensordot: axes={axes} out of range for {x} and {y}")
        axes = [list(range(x.ndim - axes, x.ndim)), list(range(1, axes + 1))]
    ax_x, ax_y = _normalise_axes(axes, x, y)
    if 0 in ax_x or 0 in ax_y:
        raise ValueError("batched_tensordot: the batch axis 0 cannot be contracted")
    return _batched_contract(x, y, ax_x, ax_y)


def _batched_contract(x: TV, y: TV, ax_x: tuple[int, ...], ax_y: tuple[int, ...]) -> TV:
    """Move the batch axis first, the free axes, then the contracted ones;
    reshape to ``(B, F, K) @ (B, K, G)`` and back."""
    from refimpl.ops import shape as _shape

    free_x = [i for i in range(1, x.ndim) if i not in ax_x]
    free_y = [j for j in range(1, y.ndim) if j not in ax_y]
    xt = _permute(x, [0, *free_x, *ax_x])
    yt = _permute(y, [0, *ax_y, *free_y])
    sx = [_shape.shape_i(x, i) for i in range(x.ndim)]
    sy = [_shape.shape_i(y, j) for j in range(y.ndim)]
    x3 = _shape.reshape(xt, (sx[0], _prod([sx[i] for i in free_x]), _prod([sx[i] for i in ax_x])))
    y3 = _shape.reshape(yt, (sy[0], _prod([sy[j] for j in ax_y]), _prod([sy[j] for j in free_y])))
    out = MatMul()(x3, y3)
    final = [sx[0], *(sx[i] for i in free_x), *(sy[j] for j in free_y)]
    return _shape.reshape(out, final)


def _prod(dims: list[TV]) -> TV | int:
    from refimpl.ops import math as _math

    out: TV | int = 1
    for d in dims:
        out = d if isinstance(out, int) else _math.mul(out, d)
    return out


# --------------------------------------------------------------------------- specs


def _ref(name: str, *extra: Any) -> Any:
    """``numpy.<name>(a, b, *extra)`` (numpy is imported lazily: specs are data)."""

    def ref(a: Any, b: Any) -> Any:
        import numpy as np

        return getattr(np, name)(a, b, *extra)

    return ref


_FLOAT_INT: tuple[DType, ...] = ("float64", "float32", "int64", "int32", "complex128")
_FLOAT_C: tuple[DType, ...] = ("float64", "float32", "complex128")
Shapes = tuple[tuple[int, ...], ...]


def _dot_shapes(draw: DrawInt) -> Shapes:
    m, k, n = draw(1, 4), draw(1, 4), draw(1, 4)
    cases: list[Shapes] = [((k,), (k,)), ((m, k), (k,)), ((k,), (k, n)), ((m, k), (k, n))]
    return cases[draw(0, 3)]


def _matmul_shapes(draw: DrawInt) -> Shapes:
    m, k, n, bsz = draw(1, 4), draw(1, 4), draw(1, 4), draw(2, 3)
    a_batch = (bsz,) if draw(0, 2) else (1,)
    b_batch = (draw(2, 3), bsz) if draw(0, 1) else (bsz,)
    cases: list[Shapes] = [
        ((*a_batch, m, k), (*b_batch, k, n)),
        ((k,), (bsz, k, n)),
        ((bsz, m, k), (k,)),
    ]
    pick = draw(0, 5)
    return cases[0] if pick < 4 else cases[pick - 3]


def _tensordot_shapes(draw: DrawInt) -> Shapes:
    return ((draw(1, 3), 3, 4), (draw(1, 3), draw(1, 3), 4, 3))


def _dot_nd_shapes(draw: DrawInt) -> Shapes:
    return ((draw(1, 3), 2, 4), (draw(1, 3), 4, draw(1, 3)))


def _batched_tensordot_ref(x: Any, y: Any) -> Any:
    import numpy as np

    return np.einsum("bijk,bkjl->bil", x, y)


_AB_INT = (Arg("a", _FLOAT_INT), Arg("b", _FLOAT_INT))
_AB = (Arg("a", _FLOAT_C), Arg("b", _FLOAT_C))
_P: dict[str, Any] = dict(poly_degree=2, family="linalg")

# fmt: off
SPECS: tuple[OpSpec, ...] = (
    OpSpec("dot", dot, _ref("dot"), _AB_INT, _dot_shapes, op_classes=(Dot,), **_P,
           doc="vector/matrix dot, all four ndim combinations"),
    OpSpec("dot_nd", dot, _ref("dot"), _AB, _dot_nd_shapes, op_classes=(TensorDot,),
           **_P, doc="numpy.dot's rule for 3-d operands (through tensordot)"),
    OpSpec("tensordot", lambda a, b: tensordot(a, b, [[1, 2], [3, 2]]),
           _ref("tensordot", ([1, 2], [3, 2])), _AB_INT, _tensordot_shapes,
           op_classes=(TensorDot,), **_P,
           doc="the seed's contraction c[i,j,k] = sum a[i,l,m] b[j,k,m,l]"),
    OpSpec("outer", outer, _ref("outer"), _AB, lambda draw: ((draw(1, 4),), (draw(1, 4),)),
           op_classes=(TensorDot,), **_P),
    OpSpec("matmul", matmul, _ref("matmul"), _AB_INT, _matmul_shapes, op_classes=(MatMul,),
           **_P, doc="stacks of matrices (batch axes broadcast from a static 1), "
           "and a vector operand"),
    OpSpec("batched_dot", batched_dot, _ref("matmul"), _AB, fixed_shapes((3, 2, 4), (3, 4, 2)),
           op_classes=(MatMul,), **_P),
    OpSpec("batched_tensordot", lambda x, y: batched_tensordot(x, y, [[2, 3], [2, 1]]),
           _batched_tensordot_ref, _AB, fixed_shapes((2, 3, 4, 5), (2, 5, 4, 3)),
           op_classes=(MatMul,), **_P),
)
# fmt: on
