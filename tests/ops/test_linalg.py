"""Tests of products and linear algebra (spec/linalg.md): values against
numpy / an explicit loop on numpy and array-api-strict, dot's rank cases,
dtypes and static shapes, errors, infer_shape, and every op's L_op / R_op
against central finite differences in float64 (called directly on the node)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl.backend import to_numpy
from refimpl.graph.basic import NullGrad, RopNotImplementedError
from refimpl.ops import blas
from refimpl.ops import linalg as la
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

BACKENDS = ("numpy", "array_api_strict")
NDArray = np.ndarray[Any, Any]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def var(shape: Sequence[int | None], dtype: str = "float64", name: str = "x") -> TensorVariable:
    return TensorType(dtype, tuple(shape))(name)


def like(value: NDArray, name: str = "x") -> TensorVariable:
    return var((None,) * np.ndim(value), str(np.asarray(value).dtype), name)


def run(inputs: list[Any], outputs: Any, *values: Any, backend: str = "numpy") -> Any:
    f = refimpl.function(inputs, outputs, backend=backend, on_unused_input="ignore")
    out = f(*values)
    return [to_numpy(o) for o in out] if isinstance(out, list) else to_numpy(out)


def well_conditioned(shape: tuple[int, ...], seed: int = 0) -> NDArray:
    from refimpl.ops._linalg_specs import well_conditioned as wc

    return wc(rng(seed), shape)


def spd(shape: tuple[int, ...], seed: int = 0, lo: float = 0.5, hi: float = 2.0) -> NDArray:
    from refimpl.ops._linalg_specs import spd as make

    return make(rng(seed), shape, lo, hi)


# --------------------------------------------------------------------------- FD helper


Align = Callable[[list[NDArray], list[NDArray]], list[NDArray]]


def check_derivatives(
    build: Callable[..., Any],
    values: Sequence[NDArray],
    statics: Sequence[Sequence[int | None]] | None = None,
    align: Align | None = None,
    h: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 1,
) -> None:
    """L_op (through <w, J u>) and R_op (entrywise) of the op that computes
    ``build``'s outputs, against central differences along a random ``u``.
    ``align(outs, ref)`` fixes sign gauges of perturbed outputs."""
    r = rng(seed)
    statics = statics or [(None,) * np.ndim(v) for v in values]
    xs = [var(s, "float64", f"x{i}") for i, s in enumerate(statics)]
    out = build(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    node = outs[0].owner
    assert node is not None and all(o.owner is node for o in outs)
    f = refimpl.function(xs, outs)

    def F(vals: Sequence[NDArray], ref: list[NDArray] | None = None) -> list[NDArray]:
        res = [np.asarray(o, dtype=np.float64) for o in f(*vals)]
        return align(res, ref) if align is not None and ref is not None else res

    base = F(values)
    us = [r.standard_normal(np.shape(v)) for v in values]
    plus = F([v + h * u for v, u in zip(values, us)], base)
    minus = F([v - h * u for v, u in zip(values, us)], base)
    jvp = [(p - m) / (2 * h) for p, m in zip(plus, minus)]
    scale = max(1.0, *(float(np.abs(j).max(initial=0)) for j in jvp))
    # R_op
    evs = [x.type() for x in xs]
    rop = node.op.R_op(node.inputs, evs)
    live = [t for t in rop if t is not None]
    got = iter(run([*xs, *evs], live, *values, *us) if live else [])
    for k, t in enumerate(rop):
        val = next(got) if t is not None else np.zeros_like(jvp[k])
        assert np.abs(val - jvp[k]).max(initial=0) <= tol * scale, f"R_op output {k}"
    # L_op
    gs = [o.type() for o in outs]
    ws = [r.standard_normal(b.shape) for b in base]
    lop = node.op.L_op(node.inputs, node.outputs, gs)
    assert not any(isinstance(g, NullGrad) for g in lop)
    pairs = [(g, u) for g, u in zip(lop, us) if g is not None]
    gv = run([*xs, *gs], [g for g, _ in pairs], *values, *ws)
    lhs = sum(float(np.sum(g * u)) for g, (_, u) in zip(gv, pairs))
    rhs = sum(float(np.sum(w * j)) for w, j in zip(ws, jvp))
    assert abs(lhs - rhs) <= tol * max(1.0, abs(rhs)), (lhs, rhs)


def align_columns(pairs: Sequence[tuple[int, int | None]]) -> Align:
    """Flip column signs of output ``c`` (and the matching rows of output
    ``r``) to agree with the reference outputs."""

    def align(outs: list[NDArray], ref: list[NDArray]) -> list[NDArray]:
        outs = [o.copy() for o in outs]
        for c, r in pairs:
            s = np.sign(np.sum(outs[c] * ref[c], axis=-2, keepdims=True))
            outs[c] = outs[c] * s
            if r is not None:
                outs[r] = outs[r] * np.swapaxes(s, -1, -2)
        return outs

    return align


# ------------------------------------------------------------------- tensordot (seed 003-65)


def _loop_tensordot(a: NDArray, b: NDArray) -> NDArray:
    out = np.zeros((a.shape[0], b.shape[0], b.shape[1]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            for k in range(b.shape[1]):
                for l_ in range(a.shape[1]):
                    for m in range(a.shape[2]):
                        out[i, j, k] += a[i, l_, m] * b[j, k, m, l_]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_tensordot_against_loop(backend: str) -> None:
    r = np.random.RandomState(0)
    a, b = r.random_sample((2, 3, 4)), r.random_sample((5, 6, 4, 3))
    A, B = T.dtensor3("A"), T.dtensor4("B")
    c = T.tensordot(A, B, [[1, 2], [3, 2]])
    assert c.ndim == 3
    np.testing.assert_allclose(run([A, B], c, a, b, backend=backend), _loop_tensordot(a, b))
    # axes [[1], [0]]: matrix-like contraction of a's axis 1 with b's axis 0
    m, n = r.random_sample((2, 3)), r.random_sample((3, 4, 5))
    M, N = T.dmatrix("M"), T.dtensor3("N")
    want = np.zeros((2, 4, 5))
    for i in range(2):
        for j in range(4):
            for k in range(5):
                want[i, j, k] = sum(m[i, l_] * n[l_, j, k] for l_ in range(3))
    got = run([M, N], T.tensordot(M, N, [[1], [0]]), m, n, backend=backend)
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize(
    "axes, sa, sb",
    [(2, (2, 3, 4), (3, 4, 5)), (0, (2,), (3, 2)), (1, (2, 3), (3,)), ([1, 0], (2, 3), (3, 4)),
     ([[0, 2], [2, 0]], (2, 3, 4), (4, 5, 2)), ([[-1], [-2]], (2, 3), (4, 3, 2))],
)  # fmt: skip
def test_tensordot_axes_forms(axes: Any, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = rng(1).standard_normal(sa), rng(2).standard_normal(sb)
    A, B = like(a, "a"), like(b, "b")
    c = T.tensordot(A, B, axes)
    want = np.tensordot(a, b, axes)
    assert c.ndim == want.ndim
    np.testing.assert_allclose(run([A, B], c, a, b), want, rtol=1e-12)


def test_tensordot_static_shape_and_errors() -> None:
    a, b = var((2, 3, 4), name="a"), var((None, 5, 4, 3), name="b")
    assert T.tensordot(a, b, [[1, 2], [3, 2]]).type.shape == (2, None, 5)
    with pytest.raises(ValueError, match=r"axis 1 of a .* axis 2 of b"):
        T.tensordot(a, b, [[1], [2]])
    with pytest.raises(ValueError, match="repeated axis"):
        T.tensordot(a, b, [[1, 1], [2, 3]])
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(a, b, [[3], [0]])
    with pytest.raises(ValueError, match="pair"):
        T.tensordot(a, b, [[1, 2], [3]])
    with pytest.raises(ValueError, match="axes=4"):
        T.tensordot(a, b, 4)
    with pytest.raises(TypeError, match="not an int"):
        T.tensordot(a, b, [[1.0], [3]])
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = refimpl.function([x, y], T.tensordot(x, y, 1))
    with pytest.raises(ValueError, match="axis 1 of x .* axis 0 of y"):
        f(np.ones((2, 3)), np.ones((4, 2)))


# --------------------------------------------------------------------------- dot


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "sa, sb", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)), ((), (3,)),
               ((3,), ()), ((2, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5))],
)  # fmt: skip
def test_dot_rank_cases(backend: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = rng(3).standard_normal(sa), rng(4).standard_normal(sb)
    A, B = like(a, "a"), like(b, "b")
    c = T.dot(A, B)
    want = np.dot(a, b)
    assert c.ndim == np.ndim(want)
    if len(sa) in (1, 2) and len(sb) in (1, 2):
        assert isinstance(c.owner.op, blas.Dot)
    np.testing.assert_allclose(run([A, B], c, a, b, backend=backend), want, rtol=1e-12)
    np.testing.assert_allclose(run([A, B], A.dot(B), a, b, backend=backend), want, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dot_dtypes(backend: str) -> None:
    i, j = T.lmatrix("i"), T.ivector("j")
    c = T.dot(i, j)
    assert c.dtype == "int64"
    got = run([i, j], c, np.arange(6).reshape(2, 3), np.arange(3, dtype="int32"), backend=backend)
    np.testing.assert_array_equal(got, [5, 14])
    f, d = T.fvector("f"), T.dmatrix("d")
    assert T.dot(f, d).dtype == "float64" and T.dot(f, f).dtype == "float32"
    assert T.dot(T.imatrix(), T.fvector()).dtype == "float64"
    z = T.zvector("z")
    zv = np.array([1 + 2j, 3 - 1j])
    np.testing.assert_allclose(run([z], T.dot(z, z), zv, backend=backend), np.dot(zv, zv))
    with pytest.raises(TypeError, match="both bool"):
        T.dot(T.TensorType("bool", (None,))("p"), T.TensorType("bool", (None,))("q"))


def test_dot_static_shapes_and_pp() -> None:
    W, x = var((3, 4), name="W"), var((4,), name="x")
    assert T.dot(W, x).type.shape == (3,)
    assert T.dot(var((None, 4)), var((4, 1))).type.shape == (None, 1)
    assert refimpl.pp(T.dot(T.dmatrix("W"), T.dvector("x"))) == "(W \\dot x)"
    with pytest.raises(ValueError, match=r"axis 1 of W \(length 4\) and axis 0 of y \(length 5\)"):
        T.dot(W, var((5,), name="y"))


def test_dot_runtime_mismatch() -> None:
    a, b = T.dmatrix("a"), T.dvector("b")
    f = refimpl.function([a, b], T.dot(a, b))
    with pytest.raises(ValueError, match=r"axis 1 of a .* axis 0 of b"):
        f(np.ones((2, 3)), np.ones(4))


# --------------------------------------------------------------------------- matmul and friends


@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_broadcasts_static_batch(backend: str) -> None:
    a = var((1, None, None), name="a")
    b = var((None, 2, None, None), name="b")
    c = a @ b
    assert isinstance(c.owner.op, blas.MatMul) and c.type.shape == (None, 2, None, None)
    av, bv = rng(5).standard_normal((1, 3, 4)), rng(6).standard_normal((3, 2, 4, 5))
    np.testing.assert_allclose(run([a, b], c, av, bv, backend=backend), av @ bv, rtol=1e-12)
    v = T.dvector("v")
    vv = rng(7).standard_normal(4)
    np.testing.assert_allclose(run([v, b], v @ b, vv, bv, backend=backend), vv @ bv)
    np.testing.assert_allclose(run([b, v], T.matmul(b, v), bv.swapaxes(-1, -2), vv,
                                   backend=backend), bv.swapaxes(-1, -2) @ vv)  # fmt: skip
    assert isinstance(T.matmul(T.dmatrix(), T.dmatrix()).owner.op, blas.Dot)


def test_matmul_errors() -> None:
    a, b = T.dtensor3("a"), T.dtensor3("b")
    f = refimpl.function([a, b], a @ b)
    with pytest.raises(ValueError, match="broadcasts only when its static length is 1"):
        f(np.ones((1, 2, 3)), np.ones((4, 3, 2)))
    with pytest.raises(ValueError, match="axis 2 of a"):
        f(np.ones((4, 2, 3)), np.ones((4, 2, 2)))
    with pytest.raises(TypeError, match="scalar"):
        T.matmul(T.dscalar("s"), a)
    with pytest.raises(ValueError, match="cannot broadcast"):
        var((2, 3, 3)) @ var((4, 3, 3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_outer_batched_dot_batched_tensordot(backend: str) -> None:
    x, y = rng(8).standard_normal(3), rng(9).standard_normal((2, 2))
    X, Y = like(x, "x"), like(y, "y")
    np.testing.assert_allclose(run([X, Y], T.outer(X, Y), x, y, backend=backend), np.outer(x, y))
    for sa, sb, spec in [((4, 2, 3), (4, 3, 5), "bij,bjk->bik"), ((4, 3), (4, 3, 5), "bj,bjk->bk"),
                         ((4, 2, 3), (4, 3), "bij,bj->bi"), ((4, 3), (4, 3), "bj,bj->b"),
                         ((4,), (4, 3), "b,bj->bj")]:  # fmt: skip
        a, b = rng(10).standard_normal(sa), rng(11).standard_normal(sb)
        A, B = like(a, "a"), like(b, "b")
        c = T.batched_dot(A, B)
        assert c.ndim == len(spec.rsplit(">", 1)[1])
        got = run([A, B], c, a, b, backend=backend)
        np.testing.assert_allclose(got, np.einsum(spec, a, b), rtol=1e-12)
    a, b = rng(12).standard_normal((2, 3, 4, 5)), rng(13).standard_normal((2, 5, 4, 6))
    A, B = like(a, "a"), like(b, "b")
    got = run([A, B], T.batched_tensordot(A, B, [[2, 3], [2, 1]]), a, b, backend=backend)
    np.testing.assert_allclose(got, np.einsum("bijk,bkjl->bil", a, b), rtol=1e-12)
    with pytest.raises(ValueError, match="batch axis 0"):
        T.batched_tensordot(A, B, [[0], [0]])


# --------------------------------------------------------------------------- product derivatives


@pytest.mark.parametrize(
    "build, shapes",
    [(T.dot, [(3, 4), (4, 2)]), (T.dot, [(3, 4), (4,)]), (T.dot, [(4,), (4, 2)]),
     (T.dot, [(4,), (4,)]), (lambda a, b: T.tensordot(a, b, [[1, 2], [3, 2]]),
                             [(2, 3, 4), (5, 2, 4, 3)]),
     (lambda a, b: T.tensordot(a, b, [[0, 2], [1, 0]]), [(2, 3, 4), (4, 2, 5)]),
     (T.matmul, [(2, 3, 4), (2, 4, 5)])],
)  # fmt: skip
def test_product_derivatives(build: Any, shapes: list[tuple[int, ...]]) -> None:
    vals = [rng(k).standard_normal(s) for k, s in enumerate(shapes)]
    check_derivatives(build, vals)


def test_matmul_gradient_sums_broadcast_batch() -> None:
    a, b = rng(1).standard_normal((1, 2, 3)), rng(2).standard_normal((4, 3, 2))
    check_derivatives(T.matmul, [a, b], [(1, None, None), (None, None, None)])


def test_product_gradient_dtypes_and_complex() -> None:
    f, d = T.fmatrix("f"), T.dmatrix("d")
    node = T.dot(f, d).owner
    ga, gb = node.op.L_op(node.inputs, node.outputs, [T.dmatrix("g")])
    assert ga.dtype == "float32" and gb.dtype == "float64"
    i = T.lmatrix("i")
    node = T.dot(i, d).owner
    assert node.op.L_op(node.inputs, node.outputs, [T.dmatrix("g")])[0] is None
    # complex: the conjugate convention, <w, J v> = <L(w), v> in the real inner product
    z, y = T.zmatrix("z"), T.zmatrix("y")
    out = T.dot(z, y)
    zv = rng(1).standard_normal((2, 3)) + 1j * rng(2).standard_normal((2, 3))
    yv = rng(3).standard_normal((3, 2)) + 1j * rng(4).standard_normal((3, 2))
    u = rng(5).standard_normal((2, 3)) + 1j * rng(6).standard_normal((2, 3))
    w = rng(7).standard_normal((2, 2)) + 1j * rng(8).standard_normal((2, 2))
    g = T.zmatrix("g")
    ga = out.owner.op.L_op(out.owner.inputs, out.owner.outputs, [g])[0]
    gav = run([z, y, g], ga, zv, yv, w)
    assert np.isclose(np.real(np.vdot(w, u @ yv)), np.real(np.vdot(gav, u)))


# --------------------------------------------------------------------------- tril / triu


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(backend: str, k: int) -> None:
    x = rng(k + 5).standard_normal((2, 3, 4))
    X = like(x)
    lo, up = run([X], [T.tril(X, k), T.triu(X, k)], x, backend=backend)
    np.testing.assert_array_equal(lo, np.tril(x, k))
    np.testing.assert_array_equal(up, np.triu(x, k))
    b = T.TensorType("bool", (None, None))("b")
    bv = rng(1).uniform(size=(3, 3)) > 0.3
    np.testing.assert_array_equal(run([b], T.tril(b), bv, backend=backend), np.tril(bv))
    check_derivatives(lambda a: T.tril(a, k), [x])
    with pytest.raises(TypeError, match="at least 2 axes"):
        T.triu(T.dvector("v"))


# --------------------------------------------------------------------------- nlinalg values


@pytest.mark.parametrize("backend", BACKENDS)
def test_inverse_det_slogdet_pinv(backend: str) -> None:
    a = well_conditioned((2, 3, 3))
    A = like(a, "A")
    inv, det, (sign, logdet) = la.inv(A), la.det(A), la.slogdet(A)
    out = run([A], [inv, det, sign, logdet], a, backend=backend)
    np.testing.assert_allclose(out[0], np.linalg.inv(a), rtol=1e-10)
    np.testing.assert_allclose(out[1], np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(out[2], np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(out[3], np.linalg.slogdet(a)[1], rtol=1e-10)
    r = well_conditioned((4, 3))
    R = like(r, "R")
    assert la.pinv(R).ndim == 2
    np.testing.assert_allclose(run([R], la.pinv(R), r, backend=backend), np.linalg.pinv(r))
    assert T.nlinalg.matrix_inverse is la.inv and T.linalg is T.nlinalg is T.slinalg
    assert T.inv is not la.inv  # T.inv is Theano's elementwise reciprocal


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve(backend: str) -> None:
    a = well_conditioned((3, 3))
    A = like(a, "A")
    for b in (rng(1).standard_normal(3), rng(2).standard_normal((3, 2))):
        B = like(b, "b")
        x = T.slinalg.solve(A, B)
        assert x.ndim == b.ndim
        np.testing.assert_allclose(run([A, B], x, a, b, backend=backend), np.linalg.solve(a, b))
    ab, bb = well_conditioned((2, 3, 3)), rng(3).standard_normal((1, 3, 2))
    Ab, Bb = like(ab, "A"), var((1, None, None), name="b")
    got = run([Ab, Bb], la.solve(Ab, Bb), ab, bb, backend=backend)
    np.testing.assert_allclose(got, np.linalg.solve(ab, bb))
    v = rng(4).standard_normal(3)
    got = run([Ab, B := like(v, "v")], la.solve(Ab, B), ab, v, backend=backend)
    np.testing.assert_allclose(got, np.linalg.solve(ab, v[:, None])[..., 0])
    lo = run([A, B], la.solve_triangular(A, B), a, v, backend=backend)
    np.testing.assert_allclose(lo, np.linalg.solve(np.tril(a), v))
    up = run([A, B], T.slinalg.solve_upper_triangular(A, B), a, v, backend=backend)
    np.testing.assert_allclose(up, np.linalg.solve(np.triu(a), v))
    np.testing.assert_allclose(run([A], T.nlinalg.trace(A), a, backend=backend), np.trace(a))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_reads_one_triangle(backend: str, lower: bool) -> None:
    s = spd((2, 3, 3))
    junk = s + np.triu(rng(1).standard_normal((3, 3)), 1) * (1 if lower else 0)
    junk = junk + np.tril(rng(2).standard_normal((3, 3)), -1) * (0 if lower else 1)
    X = like(s)
    got = run([X], T.slinalg.cholesky(X, lower=lower), junk, backend=backend)
    want = np.linalg.cholesky(s)
    np.testing.assert_allclose(got, want if lower else np.swapaxes(want, -1, -2), rtol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(backend: str, uplo: str) -> None:
    a = rng(3).standard_normal((2, 4, 4))  # not symmetric: only one triangle is read
    X = like(a)
    w, v = T.nlinalg.eigh(X, uplo)
    wv, vv = run([X], [w, v], a, backend=backend)
    nw, nv = np.linalg.eigh(a, UPLO=uplo)
    np.testing.assert_allclose(wv, nw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.abs(vv), np.abs(nv), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(run([X], la.eigvalsh(X, lower=uplo == "L"), a), nw, atol=1e-12)
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(X, "X")
    with pytest.raises(NotImplementedError, match="generalised"):
        la.eigvalsh(X, X)


@pytest.mark.parametrize("backend", BACKENDS)
def test_svd_and_qr(backend: str) -> None:
    a = well_conditioned((2, 4, 3))
    X = like(a)
    for full in (True, False):
        u, s, vh = la.svd(X, full_matrices=full)
        uv, sv, vhv = run([X], [u, s, vh], a, backend=backend)
        assert uv.shape == ((2, 4, 4) if full else (2, 4, 3)) and vhv.shape == (2, 3, 3)
        k = 3
        np.testing.assert_allclose((uv[..., :k] * sv[..., None, :]) @ vhv[..., :k, :], a)
    np.testing.assert_allclose(run([X], la.svd(X, compute_uv=False), a, backend=backend),
                               np.linalg.svd(a, compute_uv=False))  # fmt: skip
    for mode in ("reduced", "complete"):
        q, r = la.qr(X, mode)
        qv, rv = run([X], [q, r], a, backend=backend)
        nq, nr = np.linalg.qr(a, mode=mode)
        assert qv.shape == nq.shape and rv.shape == nr.shape
        np.testing.assert_allclose(qv @ rv, a, atol=1e-12)
    np.testing.assert_allclose(np.abs(run([X], la.qr(X, "r"), a, backend=backend)),
                               np.abs(np.linalg.qr(a, mode="r")), atol=1e-12)  # fmt: skip
    with pytest.raises(ValueError, match="mode"):
        la.qr(X, "raw")  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_composites(backend: str) -> None:
    a = well_conditioned((3, 3))
    A = like(a, "A")
    for n in (0, 1, 3, -2):
        got = run([A], la.matrix_power(A, n), a, backend=backend)
        np.testing.assert_allclose(got, np.linalg.matrix_power(a, n), rtol=1e-10, atol=1e-12)
    x = rng(1).standard_normal((3, 4))
    X = like(x)
    for L, axis in [(2, None), ("fro", None), (1, 0), (3, 1), (np.inf, None)]:
        want = np.linalg.norm(x.ravel() if axis is None else x, ord=2 if L == "fro" else L,
                              axis=axis)  # fmt: skip
        np.testing.assert_allclose(run([X], X.norm(L, axis=axis), x, backend=backend), want)
    for sa, sb in [((2, 3), (3, 2)), ((3,), (2,)), ((3,), (2, 2))]:
        p, q = rng(2).standard_normal(sa), rng(3).standard_normal(sb)
        P, Q = like(p, "p"), like(q, "q")
        np.testing.assert_allclose(run([P, Q], la.kron(P, Q), p, q, backend=backend),
                                   np.kron(p, q))  # fmt: skip
    np.testing.assert_allclose(run([A], T.nlinalg.matrix_dot(A, A, A), a, backend=backend),
                               a @ a @ a)  # fmt: skip
    with pytest.raises(ValueError, match="positive"):
        la.norm(X, 0)
    with pytest.raises(TypeError, match="Python int"):
        la.matrix_power(A, 2.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- nlinalg derivatives

_SQ = well_conditioned((3, 3))
_SQB = well_conditioned((2, 3, 3), seed=1)
_TALL = well_conditioned((4, 3), seed=2)
_WIDE = well_conditioned((2, 3, 4), seed=3)


@pytest.mark.parametrize(
    "name, build, values",
    [("inv", la.matrix_inverse, [_SQB]), ("det", la.det, [_SQB]),
     ("slogdet", la.slogdet, [_SQB]), ("solve_v", la.solve, [_SQ, rng(1).standard_normal(3)]),
     ("solve_m", la.solve, [_SQB, rng(2).standard_normal((2, 3, 2))]),
     ("solve_bv", la.solve, [_SQB, rng(3).standard_normal(3)]),
     ("pinv", la.pinv, [_TALL]), ("pinv_wide", la.pinv, [_WIDE]),
     ("cholesky", la.cholesky, [spd((2, 3, 3))]),
     ("cholesky_u", lambda x: la.cholesky(x, lower=False), [spd((3, 3))]),
     ("qr", la.qr, [_TALL]), ("qr_r", lambda x: la.qr(x, "r"), [well_conditioned((2, 3, 3))]),
     ("svd_s", lambda x: la.svd(x, compute_uv=False), [_WIDE])],
)  # fmt: skip
def test_linalg_derivatives(name: str, build: Any, values: list[NDArray]) -> None:
    check_derivatives(build, values)


def test_solve_gradient_sums_broadcast_batch() -> None:
    check_derivatives(la.solve, [_SQB, rng(4).standard_normal((1, 3, 2))],
                      [(None, None, None), (1, None, None)])  # fmt: skip


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_derivatives(uplo: str) -> None:
    a = spd((2, 4, 4), lo=-2.0, hi=2.0) + np.triu(rng(5).standard_normal((4, 4)), 1)
    check_derivatives(lambda x: la.eigh(x, uplo), [a], align=align_columns([(1, None)]))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4)])
def test_svd_derivatives(shape: tuple[int, ...]) -> None:
    a = well_conditioned(shape, seed=4)
    build = lambda x: la.svd(x, full_matrices=False)
    check_derivatives(build, [a], align=align_columns([(0, 2)]))
    square = well_conditioned((3, 3), seed=5)  # full == thin for a statically square matrix
    check_derivatives(la.svd, [square], [(3, 3)], align=align_columns([(0, 2)]))


def test_triangular_gradients_are_exact_for_any_perturbation() -> None:
    # cholesky reads only the lower triangle: the gradient is zero above it
    s = spd((3, 3))
    X = like(s)
    node = la.cholesky(X).owner
    G = T.dmatrix("G")
    gv = run([X, G], node.op.L_op(node.inputs, node.outputs, [G])[0], s, np.ones((3, 3)))
    assert np.all(np.triu(gv, 1) == 0) and np.any(np.tril(gv) != 0)


def test_undifferentiable_configurations() -> None:
    x = T.dmatrix("x")
    u, s, vh = la.svd(x)  # full_matrices with an unknown static shape
    node = u.owner
    (g,) = node.op.L_op(node.inputs, node.outputs, [u.type(), s.type(), vh.type()])
    assert isinstance(g, NullGrad) and g.kind == "not_implemented"
    with pytest.raises(RopNotImplementedError):
        node.op.R_op(node.inputs, [x.type()])
    q, r = la.qr(var((2, 3)))
    node = q.owner
    assert isinstance(node.op.L_op(node.inputs, node.outputs, [q.type(), r.type()])[0], NullGrad)


def test_grad_engine_integration() -> None:
    a = well_conditioned((3, 3))
    A = like(a, "A")
    g = refimpl.grad(T.log(la.det(A) ** 2), A)  # d/dA log det(A)^2 = 2 A^-T
    np.testing.assert_allclose(run([A], g, a), 2 * np.linalg.inv(a).T, rtol=1e-10)


# ------------------------------------------------------------------- errors, shapes, namespaces


def test_linalg_errors() -> None:
    with pytest.raises(TypeError, match=r"m has dtype int64.*float32 or float64"):
        la.det(T.lmatrix("m"))
    with pytest.raises(TypeError, match="complex128"):
        la.inv(T.zmatrix("z"))
    with pytest.raises(TypeError, match="stack of matrices"):
        la.cholesky(T.dvector("v"))
    with pytest.raises(ValueError, match=r"sq must be square, got static shape \(2, 3\)"):
        la.inv(var((2, 3), name="sq"))
    with pytest.raises(ValueError, match="rows of b"):
        la.solve(var((3, 3), name="a"), var((4,), name="b"))
    with pytest.raises(TypeError, match="float32/float64"):
        la.solve(T.dmatrix(), T.lvector())
    x = T.dmatrix("x")
    f = refimpl.function([x], la.det(x))
    with pytest.raises(ValueError, match="x must be square"):
        f(np.ones((2, 3)))
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = refimpl.function([a, b], la.solve(a, b))
    with pytest.raises(ValueError, match="rows of b"):
        f(np.eye(3), np.ones((2, 2)))
    with pytest.raises(TypeError, match="vector or a matrix"):
        la.kron(T.dtensor3(), T.dvector())


def test_namespace_without_linalg_function() -> None:
    x = T.dmatrix("x")
    node = la.det(x).owner
    fake = SimpleNamespace(__name__="fake_xp", linalg=SimpleNamespace())
    with pytest.raises(NotImplementedError, match=r"fake_xp has no linalg.det"):
        node.op.perform(fake, node, [np.eye(2)])


def test_infer_shape_matches_values() -> None:
    a, x = well_conditioned((2, 4, 3)), well_conditioned((2, 3, 3))
    A, X = like(a, "A"), like(x, "X")
    outs: list[TensorVariable] = [
        *la.svd(A), *la.svd(A, full_matrices=False), *la.qr(A), la.qr(A, "complete")[0],
        la.pinv(A), la.det(X), *la.eigh(X), la.solve(X, la.pinv(A)), A @ la.pinv(A),
        T.tensordot(A, X, [[2], [1]]),
    ]  # fmt: skip
    shapes = []
    for o in outs:
        node = o.owner
        in_shapes = [tuple(T.shape_i(i, k) for k in range(i.ndim)) for i in node.inputs]
        shapes.append(node.op.infer_shape(node, in_shapes)[o.index])
    flat = [T.cast(d, "int64") for s in shapes for d in s]
    got = run([A, X], [*outs, *flat], a, x)
    vals, dims = got[: len(outs)], got[len(outs) :]
    it = iter(dims)
    for v, s in zip(vals, shapes):
        assert tuple(int(next(it)) for _ in s) == v.shape
