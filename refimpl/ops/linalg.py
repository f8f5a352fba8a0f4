"""Linear algebra: Theano's ``nlinalg``/``slinalg`` vocabulary (``T.nlinalg``,
``T.linalg``, ``T.slinalg`` are this module).

Ops here: ``Band`` (``tril``/``triu``), ``MatrixInverse``, ``Solve``, ``Det``,
``SLogDet``; the decompositions (``Cholesky``, ``Eigh``, ``SVD``, ``QR``) and
``Pinv`` live in ``refimpl.ops.decomp`` and are re-exported here. Every op
takes float32/float64 matrices or stacks of matrices (``(..., M, N)``, as
the array API linalg extension does) and calls ``xp.linalg``; namespaces
without the function (dask lacks det/eigh/slogdet/pinv) raise
``NotImplementedError`` naming the backend. ``inv`` here is the matrix
inverse (``T.inv`` is Theano's elementwise reciprocal). See ``spec/linalg.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.ops import _linalg_specs as _S
from refimpl.ops.blas import batch_shape, check_batch, grad_for, matmul, matrix_transpose
from refimpl.ops.decomp import (
    QR,
    SVD,
    Cholesky,
    Eigh,
    Pinv,
    cholesky,
    eigh,
    eigvalsh,
    pinv,
    qr,
    svd,
)
from refimpl.opspec import Arg, OpSpec
from refimpl.types import DType, StaticShape, TensorType, broadcast_static_shapes, format_shape
from refimpl.variable import TensorVariable, as_tensor_variable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
Shapes = Sequence[tuple[TensorVariable, ...]]

__all__ = [
    "QR", "SPECS", "SVD", "Band", "Cholesky", "Det", "Eigh", "MatrixInverse", "Pinv", "SLogDet",
    "Solve", "cholesky", "det", "eigh", "eigvalsh", "inv", "kron", "matrix_dot", "matrix_inverse",
    "matrix_power", "norm", "pinv", "qr", "slogdet", "solve", "solve_lower_triangular",
    "solve_triangular", "solve_upper_triangular", "svd", "trace", "tril", "triu",
]  # fmt: skip

LINALG_DTYPES: tuple[DType, ...] = ("float64", "float32")


# --------------------------------------------------------------------------- helpers


def float_matrix(x: Any, what: str, square: bool = True) -> TV:
    """``x`` as a float32/float64 variable with at least 2 axes (square when
    asked, where the static shape tells); ``TypeError``/``ValueError`` naming it."""
    v = as_tensor_variable(x)
    if v.ndim < 2:
        raise TypeError(f"{what}: {v} must be a matrix or a stack of matrices, got {v.ndim}-d")
    if v.dtype not in LINALG_DTYPES:
        raise TypeError(
            f"{what}: {v} has dtype {v.dtype}; linear algebra takes float32 or float64 "
            f"(cast it first, e.g. T.cast({v}, 'float64'))"
        )
    m, n = v.type.shape[-2:]
    if square and m is not None and n is not None and m != n:
        raise ValueError(
            f"{what}: {v} must be square, got static shape {format_shape(v.type.shape)}"
        )
    return v


def square_shape(shape: StaticShape) -> StaticShape:
    """A square matrix's static shape with each of the last two lengths
    filled in from the other."""
    n = shape[-1] if shape[-1] is not None else shape[-2]
    return (*shape[:-2], n, n)


def linalg_fn(xp: Namespace, name: str, op: object) -> Callable[..., Any]:
    """``xp.linalg.<name>``, or ``NotImplementedError`` naming the backend."""
    fn = getattr(getattr(xp, "linalg", None), name, None)
    if fn is None:
        backend = getattr(xp, "__name__", repr(xp))
        raise NotImplementedError(
            f"{op}: the array namespace {backend} has no linalg.{name} (dask, for example, "
            "lacks det, slogdet, eigh and pinv); run this function on another backend"
        )
    result: Callable[..., Any] = fn
    return result


def check_square(node: Apply, x: Array, i: int = 0) -> None:
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{node.op}: {node.inputs[i]} must be square, got shape {tuple(x.shape)}")


def cast_in(xp: Namespace, node: Apply, x: Array, i: int) -> Array:
    """Input ``i`` cast to the dtype of output 0 (the compute dtype)."""
    have: DType = node.inputs[i].type.dtype
    want: DType = node.outputs[0].type.dtype
    return x if have == want else xp.astype(x, getattr(xp, want))


def mm(a: TV, b: TV) -> TV:
    return matmul(a, b)


def sym(x: TV) -> TV:
    """``(x + xᵀ) / 2`` (per matrix of a stack)."""
    from refimpl.ops import math as _math

    return _math.mul(_math.add(x, matrix_transpose(x)), 0.5)


def pad_matrix(x: TV) -> TV:
    """``x[..., None, None]``: a stack of scalars broadcast against matrices."""
    from refimpl.ops import shape as _shape

    return _shape.shape_padright(x, 2)


def identity_like(x: TV) -> TV:
    """The identity of each (square) matrix of the stack ``x``, shaped like ``x``."""
    from refimpl.ops import creation as _creation

    return Band(0, 0)(_creation.ones_like(x))  # type: ignore[no-any-return]


def sum_matrices(x: TV) -> TV:
    """Sum over the last two axes."""
    from refimpl.ops import reduction as _red

    return _red.sum(x, axis=(x.ndim - 2, x.ndim - 1))


# --------------------------------------------------------------------------- Band


@dataclass(frozen=True)
class Band(Op):
    """Keep the entries ``(i, j)`` of each matrix with ``lo <= j - i <= hi``
    (``None``: unbounded) and zero the rest. ``tril(x, k) = Band(None, k)``,
    ``triu(x, k) = Band(k, None)``. Linear, so its gradient and R_op are itself."""

    lo: int | None = None
    hi: int | None = None

    def __str__(self) -> str:
        return f"Band{{{self.lo}, {self.hi}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"{self}: {x} must have at least 2 axes, got {x.ndim}-d")
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        (x,) = inputs
        n, m = x.shape[-2], x.shape[-1]
        rows = xp.reshape(xp.arange(n, dtype=xp.int64, device=device(x)), (n, 1))
        cols = xp.reshape(xp.arange(m, dtype=xp.int64, device=device(x)), (1, m))
        diff = cols - rows
        keep = xp.ones((n, m), dtype=xp.bool, device=device(x))
        if self.lo is not None:
            keep = xp.logical_and(keep, diff >= self.lo)
        if self.hi is not None:
            keep = xp.logical_and(keep, diff <= self.hi)
        return (xp.where(keep, x, xp.zeros_like(x)),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        return [grad_for(self(output_grads[0]), inputs[0])]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        v = eval_points[0]
        return [None if v is None else self(v)]


def tril(x: Any, k: int = 0) -> TV:
    """The lower triangle of each matrix of ``x`` (diagonal ``k`` and below)."""
    return Band(None, int(k))(x)  # type: ignore[no-any-return]


def triu(x: Any, k: int = 0) -> TV:
    """The upper triangle of each matrix of ``x`` (diagonal ``k`` and above)."""
    return Band(int(k), None)(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- inverse


@dataclass(frozen=True)
class MatrixInverse(Op):
    """``X = A⁻¹`` for each matrix of the stack."""

    def __str__(self) -> str:
        return "MatrixInverse"

    def make_node(self, x: Any) -> Apply:
        x = float_matrix(x, "matrix_inverse")
        return Apply(self, [x], [TensorType(x.dtype, square_shape(x.type.shape))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        check_square(node, inputs[0])
        return (linalg_fn(xp, "inv", self)(inputs[0]),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gA = -Xᵀ G Xᵀ."""
        from refimpl.ops import math as _math

        xt = matrix_transpose(outputs[0])
        return [_math.neg(mm(mm(xt, output_grads[0]), xt))]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """dX = -X dA X."""
        from refimpl.ops import math as _math

        v = eval_points[0]
        if v is None:
            return [None]
        x = self(inputs[0])
        return [_math.neg(mm(mm(x, _math.cast(v, x.dtype)), x))]


def matrix_inverse(x: Any) -> TV:
    """The inverse of each matrix of ``x`` (Theano's ``nlinalg.matrix_inverse``)."""
    return MatrixInverse()(x)  # type: ignore[no-any-return]


inv = matrix_inverse


# --------------------------------------------------------------------------- solve


@dataclass(frozen=True)
class Solve(Op):
    """``X = A⁻¹ B``: ``b`` is a vector ``(M,)`` or a stack of matrices
    ``(..., M, K)`` (the array API rule); batch axes broadcast statically."""

    def __str__(self) -> str:
        return "Solve"

    def make_node(self, a: Any, b: Any) -> Apply:
        a = float_matrix(a, "solve")
        b = as_tensor_variable(b)
        if b.ndim < 1 or b.dtype not in LINALG_DTYPES:
            raise TypeError(f"solve: {b} must be a float32/float64 vector or matrix, got {b.type}")
        dtype: DType = "float64" if "float64" in (a.dtype, b.dtype) else "float32"
        sa, sb = square_shape(a.type.shape), b.type.shape
        row = sb[0] if b.ndim == 1 else sb[-2]
        if sa[-1] is not None and row is not None and sa[-1] != row:
            raise ValueError(
                f"solve: {a} {format_shape(a.type.shape)} and {b} {format_shape(sb)}: the "
                "rows of b must match the order of a"
            )
        n = sa[-1] if sa[-1] is not None else row
        if b.ndim == 1:
            shape: StaticShape = (*sa[:-2], n)
        else:
            batch = broadcast_static_shapes([sa[:-2], sb[:-2]], [f"solve {a}", f"{b}"])
            shape = (*batch, n, sb[-1])
        return Apply(self, [a, b], [TensorType(dtype, shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        a, b = (cast_in(xp, node, x, i) for i, x in enumerate(inputs))
        check_square(node, a)
        row = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if row != a.shape[-1]:
            raise ValueError(
                f"solve: {node.inputs[0]} (shape {tuple(a.shape)}) and {node.inputs[1]} (shape "
                f"{tuple(b.shape)}): the rows of b must match the order of a"
            )
        out = linalg_fn(xp, "solve", self)(a, b)
        if b.ndim > 1:
            check_batch(node, inputs, out)
        return (out,)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [_solve_shape(node, input_shapes)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gB = A⁻ᵀ G, gA = -gB Xᵀ (vectors as one-column matrices), each
        summed over the batch axes its input was broadcast along."""
        from refimpl.ops import math as _math
        from refimpl.ops.elemwise import sum_to_input

        a, b = inputs
        x, g = outputs[0], output_grads[0]
        vec = b.ndim == 1
        gb = self(matrix_transpose(a), _col(g) if vec else g)
        ga = _math.neg(mm(gb, matrix_transpose(_col(x) if vec else x)))
        gb = _uncol(gb) if vec else gb
        return [grad_for(sum_to_input(ga, a), a), grad_for(sum_to_input(gb, b), b)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """dX = A⁻¹ (dB - dA X)."""
        from refimpl.ops import math as _math

        a, b = inputs
        va, vb = eval_points
        if va is None and vb is None:
            return [None]
        x = self(a, b)
        vec = b.ndim == 1
        rhs: TV | None = None if vb is None else _math.cast(_col(vb) if vec else vb, x.dtype)
        if va is not None:
            term = mm(_math.cast(va, x.dtype), _col(x) if vec else x)
            rhs = _math.neg(term) if rhs is None else _math.sub(rhs, term)
        assert rhs is not None
        dx = self(a, rhs)
        return [_uncol(dx) if vec else dx]


def _col(x: TV) -> TV:
    from refimpl.ops import shape as _shape

    return _shape.shape_padright(x, 1)


def _uncol(x: TV) -> TV:
    from refimpl.ops import shape as _shape

    return _shape.dimshuffle(x, list(range(x.ndim - 1)))


def _solve_shape(node: Apply, input_shapes: Shapes) -> tuple[TV, ...]:
    sa, sb = input_shapes
    if len(sb) == 1:
        return (*sa[:-2], sa[-1])
    return (*batch_shape(node, input_shapes), sa[-1], sb[-1])


def solve(a: Any, b: Any) -> TV:
    """Solve ``a x = b`` for ``x`` (Theano's ``slinalg.solve`` with ``assume_a='gen'``)."""
    return Solve()(a, b)  # type: ignore[no-any-return]


def solve_triangular(a: Any, b: Any, lower: bool = True) -> TV:
    """Solve ``a x = b`` reading only the lower (or upper) triangle of ``a``:
    ``solve(tril(a), b)`` (a general solve of the triangular matrix)."""
    return solve(tril(a) if lower else triu(a), b)


def solve_lower_triangular(a: Any, b: Any) -> TV:
    """Theano's ``slinalg.solve_lower_triangular``."""
    return solve_triangular(a, b, lower=True)


def solve_upper_triangular(a: Any, b: Any) -> TV:
    """Theano's ``slinalg.solve_upper_triangular``."""
    return solve_triangular(a, b, lower=False)


# --------------------------------------------------------------------------- det, slogdet


@dataclass(frozen=True)
class Det(Op):
    """The determinant of each matrix of the stack."""

    def __str__(self) -> str:
        return "Det"

    def make_node(self, x: Any) -> Apply:
        x = float_matrix(x, "det")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape[:-2])()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        check_square(node, inputs[0])
        return (linalg_fn(xp, "det", self)(inputs[0]),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0][:-2])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gA = g · det(A) · A⁻ᵀ (A must be nonsingular)."""
        from refimpl.ops import math as _math

        gd = pad_matrix(_math.mul(output_grads[0], outputs[0]))
        return [_math.mul(gd, matrix_transpose(matrix_inverse(inputs[0])))]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """d det = det(A) · tr(A⁻¹ dA)."""
        from refimpl.ops import math as _math

        v = eval_points[0]
        if v is None:
            return [None]
        a = inputs[0]
        tr = sum_matrices(_math.mul(matrix_transpose(matrix_inverse(a)), _math.cast(v, a.dtype)))
        return [_math.mul(self(a), tr)]


def det(x: Any) -> TV:
    """The determinant of each matrix of ``x``."""
    return Det()(x)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SLogDet(Op):
    """``(sign, log|det|)`` of each matrix of the stack (two outputs)."""

    def __str__(self) -> str:
        return "SLogDet"

    def make_node(self, x: Any) -> Apply:
        x = float_matrix(x, "slogdet")
        out = TensorType(x.dtype, x.type.shape[:-2])
        return Apply(self, [x], [out(), out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        check_square(node, inputs[0])
        sign, logabsdet = linalg_fn(xp, "slogdet", self)(inputs[0])
        return (sign, logabsdet)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0][:-2])] * 2

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """The sign is piecewise constant; g_logabsdet · A⁻ᵀ."""
        from refimpl.ops import math as _math

        g = pad_matrix(output_grads[1])
        return [_math.mul(g, matrix_transpose(matrix_inverse(inputs[0])))]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """d sign = 0; d log|det| = tr(A⁻¹ dA)."""
        from refimpl.ops import math as _math

        v = eval_points[0]
        if v is None:
            return [None, None]
        a = inputs[0]
        inv_t = matrix_transpose(matrix_inverse(a))
        return [None, sum_matrices(_math.mul(inv_t, _math.cast(v, a.dtype)))]


def slogdet(x: Any) -> tuple[TV, TV]:
    """``(sign, logabsdet)`` with ``det = sign * exp(logabsdet)``."""
    sign, logabsdet = SLogDet()(x)
    return sign, logabsdet


# --------------------------------------------------------------------------- composites


def matrix_power(x: Any, n: int) -> TV:
    """``x`` multiplied by itself ``n`` times (``n`` a Python int; ``n = 0`` gives
    the identity, negative ``n`` powers of the inverse), by repeated squaring."""
    x = float_matrix(x, "matrix_power")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power: n must be a Python int, got {n!r}")
    if n == 0:
        return identity_like(x)
    base = matrix_inverse(x) if n < 0 else x
    result: TV | None = None
    k = abs(n)
    while k:
        if k & 1:
            result = base if result is None else mm(result, base)
        k >>= 1
        if k:
            base = mm(base, base)
    assert result is not None
    return result


def norm(x: Any, L: float | str = 2, axis: Any = None, keepdims: bool = False) -> TV:
    """Theano's ``x.norm(L, axis)``: ``sum(|x|**L, axis) ** (1/L)``; ``L=2`` (or
    ``'fro'``) is ``sqrt(sum(x*x))``, ``L=1`` ``sum(|x|)``, ``L=inf`` ``max(|x|)``.
    Over all axes of a matrix with ``L=2`` this is the Frobenius norm."""
    import math

    T: Any = importlib.import_module("refimpl.tensor")
    x = as_tensor_variable(x)
    if x.dtype == "bool" or x.dtype.startswith("complex"):
        raise TypeError(f"norm: {x} has dtype {x.dtype}; norm takes real numbers")
    L = 2 if L == "fro" else L
    if isinstance(L, (str, bool)) or not L > 0:
        raise ValueError(f"norm of {x}: L must be a positive number, inf or 'fro', got {L!r}")
    if L == 2:
        out = T.sqrt(T.sum(T.mul(x, x), axis=axis, keepdims=keepdims))
    elif L == 1:
        out = T.sum(T.abs(x), axis=axis, keepdims=keepdims)
    elif math.isinf(L):
        out = T.max(T.abs(x), axis=axis, keepdims=keepdims)
    else:
        out = T.pow(T.sum(T.pow(T.abs(x), L), axis=axis, keepdims=keepdims), 1.0 / L)
    result: TV = out
    return result


def matrix_dot(*args: Any) -> TV:
    """Theano's ``nlinalg.matrix_dot(a, b, c, ...)``: ``dot(dot(a, b), c) ...``."""
    from refimpl.ops.blas import dot

    if not args:
        raise TypeError("matrix_dot needs at least one argument")
    out = as_tensor_variable(args[0])
    for a in args[1:]:
        out = dot(out, a)
    return out


def trace(x: Any) -> TV:
    """Theano's ``nlinalg.trace``: ``T.trace`` of the shape family."""
    from refimpl.ops import diagonal

    return diagonal.trace(x)


def kron(a: Any, b: Any) -> TV:
    """The Kronecker product of two vectors or matrices (Theano's ``slinalg.kron``;
    a vector meeting a matrix is a one-row matrix)."""
    from refimpl.ops import shape as _shape
    from refimpl.ops.blas import tensordot

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    for v in (a, b):
        if v.ndim not in (1, 2):
            raise TypeError(f"kron: {v} must be a vector or a matrix, got {v.ndim}-d")
    if a.ndim != b.ndim:
        a, b = (_shape.shape_padleft(v) if v.ndim == 1 else v for v in (a, b))
    outer = tensordot(a, b, 0)
    sa = [_shape.shape_i(a, i) for i in range(a.ndim)]
    sb = [_shape.shape_i(b, i) for i in range(b.ndim)]
    if a.ndim == 1:
        return _shape.reshape(outer, [sa[0] * sb[0]])
    return _shape.reshape(_shape.transpose(outer, [0, 2, 1, 3]), [sa[0] * sb[0], sa[1] * sb[1]])


# --------------------------------------------------------------------------- specs

_F = (Arg("x", LINALG_DTYPES),)
_FC: tuple[DType, ...] = ("float64", "float32", "complex128")
_ANY = (Arg("x", ("float64", "float32", "int64", "bool", "complex128")),)
_LA: dict[str, Any] = dict(rtol=_S.F32_TOL, ad_tol_factor=10.0)

# fmt: off
SPECS: tuple[OpSpec, ...] = (
    OpSpec("tril", tril, _S.ref_band(True), _ANY, _S.rect, (Band,), _S.band_params,
           poly_degree=1),
    OpSpec("triu", triu, _S.ref_band(False), _ANY, _S.rect, (Band,), _S.band_params,
           poly_degree=1),
    OpSpec("matrix_inverse", matrix_inverse, _S.np_fn("inv"), _F, _S.square, (MatrixInverse,),
           make_inputs=_S.square_inputs, **_LA),
    OpSpec("solve", solve, _S.ref_solve, (Arg("a", LINALG_DTYPES), Arg("b", LINALG_DTYPES)),
           _S.solve_shapes, (Solve,), make_inputs=_S.solve_inputs,
           doc="b a vector or a stack of matrices (batch axes broadcast)", **_LA),
    OpSpec("solve_triangular", solve_triangular, _S.ref_solve_triangular,
           (Arg("a", LINALG_DTYPES), Arg("b", LINALG_DTYPES)), _S.solve_shapes, (Solve, Band),
           _S.lower_params, make_inputs=_S.triangular_inputs, **_LA),
    OpSpec("det", det, _S.np_fn("det"), _F, _S.square, (Det, MatrixInverse),
           make_inputs=_S.square_inputs, **_LA),
    OpSpec("slogdet", slogdet, _S.ref_slogdet, _F, _S.square, (SLogDet, MatrixInverse),
           make_inputs=_S.square_inputs, doc="two outputs; the sign has zero gradient",
           **_LA),
    OpSpec("matrix_power", matrix_power, _S.np_fn("matrix_power"), _F, _S.square,
           (MatrixInverse, Band), _S.power_params, make_inputs=_S.square_inputs,
           **_LA),
    OpSpec("norm", norm, _S.ref_norm, (Arg("x", LINALG_DTYPES, kinks=(0.0,), distinct=True),),
           _S.rect, (), _S.norm_params, rtol=_S.F32_TOL,
           doc="L in {1, 2, 3, inf}; distinct values away from 0 (kinks of |x| and max)"),
    OpSpec("kron", kron, _S.ref_kron, (Arg("a", _FC), Arg("b", _FC)), _S.kron_shapes, (),
           poly_degree=2),
)
# fmt: on
