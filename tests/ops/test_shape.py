"""Tests of the shape family: shape/axes/manipulation/creation/diagonal ops.

Two parts: a small runner over the family's ``OpSpec`` records (value vs the
numpy reference, dtype, static shape, ``infer_shape``, ``L_op``/``R_op``
against finite differences, on numpy and array_api_strict), so the specs the
generated suite consumes are known to hold; then targeted tests of the seed
behaviours, static shapes, run-time checks and build-time errors.

``SHAPE_SPEC_CASES`` (default 6) sets the number of cases per spec and
``SHAPE_BACKENDS`` (default ``numpy,array_api_strict``) the backends, e.g.
``SHAPE_SPEC_CASES=300`` or ``SHAPE_BACKENDS=jax,dask`` for a long run.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import function
from refimpl.backend import to_numpy
from refimpl.grad import Lop, Rop
from refimpl.ops import creation, manipulation
from refimpl.ops import shape as shape_ops
from refimpl.opspec import OpSpec
from refimpl.testing.cases import Case, ad_combos, draw_case, flat_real, random_draw_int
from refimpl.testing.fd import numeric_jvp
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

BACKENDS = tuple(os.environ.get("SHAPE_BACKENDS", "numpy,array_api_strict").split(","))
SPECS = [*shape_ops.SPECS, *manipulation.SPECS, *creation.SPECS]
N_CASES = int(os.environ.get("SHAPE_SPEC_CASES", "6"))


def _vars(case: Case) -> list[TensorVariable]:
    return [
        TensorType(d, s)(a.name) for d, s, a in zip(case.dtypes, case.static_shapes, case.spec.args)
    ]


def _tol(dtype: str) -> float:
    return 1e-5 if dtype in ("float32", "complex64") else 1e-12


def _cases(spec: OpSpec, purpose: str = "value") -> list[Case]:
    rnd = random.Random(f"{spec.name}-{purpose}")
    combos = ad_combos(spec) if purpose == "grad" else None
    if purpose == "grad":
        # real float64 only here; float32 and complex run in tests/properties
        combos = [c for c in (combos or []) if all(d not in ("float32", "complex128") for d in c)]
        if not combos:
            return []
    return [draw_case(spec, random_draw_int(rnd), purpose, combos) for _ in range(N_CASES)]  # type: ignore[arg-type]


def _infer_shape(out: TensorVariable) -> list[TensorVariable]:
    node = out.owner
    assert node is not None
    shapes = [tuple(T.shape_i(i, k) for k in range(i.ndim)) for i in node.inputs]
    return list(node.op.infer_shape(node, shapes)[out.index or 0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_spec_values(spec: OpSpec, backend: str) -> None:
    for case in _cases(spec):
        xs = _vars(case)
        out = spec.build(*xs, **case.params)
        expected = np.asarray(spec.ref(*case.values, **case.params))
        dims = [T.cast(d, "int64") for d in _infer_shape(out)] if out.owner else []
        f = function(xs, [out, *dims], backend=backend, on_unused_input="ignore")
        got, *inferred = (to_numpy(v) for v in f(*case.values))
        where = f"{spec.name}: {case.describe()}"
        assert got.shape == expected.shape, where
        assert str(got.dtype) == out.dtype, where
        rtol = spec.rtol.get(out.dtype, _tol(out.dtype))
        atol = spec.atol.get(out.dtype, 0.0)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=where)
        assert out.type.shape_matches(got.shape), f"{where}: static {out.type} vs {got.shape}"
        if out.owner is not None:
            assert tuple(int(d) for d in inferred) == got.shape, f"{where}: infer_shape"


def _eval_fn(spec: OpSpec, case: Case, xs: Sequence[TensorVariable]) -> Any:
    out = spec.build(*xs, **case.params)
    f = function(list(xs), out, on_unused_input="ignore")
    return out, lambda vals: [np.asarray(f(*vals), dtype=np.float64)]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad], ids=lambda s: s.name)
def test_spec_derivatives(spec: OpSpec) -> None:
    """Lop and Rop against central differences (float64), and adjointness."""
    for case in _cases(spec, "grad"):
        xs = _vars(case)
        out, f = _eval_fn(spec, case, xs)
        diff = [i for i, a in enumerate(spec.args) if a.differentiable]
        rng = case.rng(1)
        v = [rng.standard_normal(case.values[i].shape) for i in diff]
        vs: list[Any] = [None] * len(xs)
        for i, vi in zip(diff, v):
            vs[i] = vi
        fd = numeric_jvp(f, list(case.values), vs, poly_degree=spec.poly_degree).R
        w = rng.standard_normal(fd.shape)
        w = w.reshape(np.asarray(spec.ref(*case.values, **case.params)).shape)
        wrt = [xs[i] for i in diff]
        tw, tv = out.type(), [xs[i].type() for i in diff]
        lop = Lop(out, wrt, tw, disconnected_inputs="ignore")
        rop = Rop(out, wrt, tv)
        # the gradient graphs are linear in the cotangent / tangent: their own
        # R_op and L_op (the ops of the gradient graphs) give them back
        rop_of_lop = Rop(lop, tw, tw)
        lop_of_rop = Lop(rop, tv, tw, disconnected_inputs="ignore")
        g = function(
            [*xs, tw, *tv], [*lop, rop, *rop_of_lop, *lop_of_rop], on_unused_input="ignore"
        )
        res = g(*case.values, w, *v)
        n = len(lop)
        gl, gr = res[:n], res[n]
        where = f"{spec.name}: {case.describe()}"
        np.testing.assert_allclose(flat_real([gr]), fd, rtol=1e-7, atol=1e-9, err_msg=where)
        left = float(np.dot(flat_real([w]), fd))
        right = float(sum(np.sum(np.asarray(a) * b) for a, b in zip(gl, v)))
        assert abs(left - right) <= 1e-8 * (1 + abs(left)), where
        for again in (res[n + 1 : 2 * n + 1], res[2 * n + 1 :]):
            np.testing.assert_allclose(flat_real(again), flat_real(gl), atol=1e-12, err_msg=where)


# --------------------------------------------------------------------------- seeds

X5 = np.arange(120.0).reshape(2, 3, 4, 1, 5)


def _x5() -> TensorVariable:
    return TensorType("float64", (False,) * 5)("x")


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_reshape_ndim_and_dimshuffle(backend: str) -> None:
    x, s = _x5(), T.ivector("s")
    y = x.reshape(s, ndim=3)
    assert (x.ndim, y.ndim) == (5, 3)
    z = y.dimshuffle(("x", 1, 2, 0))
    assert str(z.owner.op) == "DimShuffle{x,1,2,0}" and z.ndim == 4
    assert z.broadcastable == (True, False, False, False)
    f = function([x, s], [y, z], backend=backend)
    yv, zv = (to_numpy(a) for a in f(X5, np.array([6, 4, 5], dtype="int32")))
    np.testing.assert_array_equal(yv, X5.reshape(6, 4, 5))
    np.testing.assert_array_equal(zv, X5.reshape(6, 4, 5).transpose(1, 2, 0)[None])


def test_seed_pad_and_flatten() -> None:
    x = T.tensor3()
    assert str(T.shape_padleft(x).owner.op) == "DimShuffle{x,0,1,2}"
    assert str(T.shape_padright(x).owner.op) == "DimShuffle{0,1,2,x}"
    assert str(T.shape_padaxis(x, 1).owner.op) == "DimShuffle{0,x,1,2}"
    assert str(T.shape_padaxis(x, -1).owner.op) == "DimShuffle{0,1,2,x}"
    assert T.shape_padleft(x, 2).broadcastable == (True, True, False, False, False)
    x5 = _x5()
    z = x5.flatten(ndim=2)
    assert z.ndim == 2 and T.flatten(x5, outdim=2).ndim == 2
    np.testing.assert_array_equal(z.eval({x5: X5}), X5.reshape(2, 60))
    assert str(T.shape(x5).owner.op) == "Shape"
    np.testing.assert_array_equal(T.shape(x5).eval({x5: X5}), [2, 3, 4, 1, 5])


def test_dimshuffle_drop_rules() -> None:
    m, r = T.dmatrix("m"), T.drow("r")
    with pytest.raises(TypeError, match="cannot drop axis 0 of m"):
        m.dimshuffle(1)
    assert r.dimshuffle(1).type.shape == (None,)
    with pytest.raises(ValueError, match="invalid entry 2"):
        m.dimshuffle(0, 2)
    with pytest.raises(ValueError, match="appears twice"):
        m.dimshuffle(0, 0)
    v = T.dvector("v")
    assert v.T.owner.op.new_order == (0,)


# --------------------------------------------------------------------------- static shapes


def test_reshape_static_shapes() -> None:
    x = T.TensorType("float64", (2, 3, 4))("x")
    assert T.reshape(x, (6, -1)).type.shape == (6, 4)
    assert T.reshape(x, (-1,)).type.shape == (24,)
    m = T.dmatrix("m")
    assert T.reshape(m, (m.shape[0] if False else T.shape_i(m, 0), -1)).type.shape == (None, None)
    assert T.reshape(m, T.shape(x)).type.shape == (2, 3, 4)
    assert T.reshape(T.TensorType("float64", (None, 3))("a"), (-1, 6)).type.shape == (None, 6)
    n = T.lscalar("n")
    assert T.reshape(x, (n, 4)).type.shape == (6, 4)  # the only unknown is determined
    with pytest.raises(ValueError, match="reshape of x"):
        T.reshape(x, (5, 5))
    with pytest.raises(ValueError, match="at most one entry"):
        T.reshape(x, (-1, -1))
    with pytest.raises(ValueError, match="pass ndim="):
        T.reshape(m, T.lvector("s"))
    with pytest.raises(TypeError, match="integer"):
        T.reshape(m, T.dvector("s"), ndim=2)


def test_flatten_static_and_errors() -> None:
    x = T.TensorType("float64", (None, 3, 4))("x")
    assert T.flatten(x, 2).type.shape == (None, 12)
    assert T.flatten(x).type.shape == (None,)
    assert T.flatten(T.dscalar("s")).type.shape == (1,)
    with pytest.raises(ValueError, match="flatten: ndim=4"):
        T.flatten(x, 4)
    with pytest.raises(ValueError, match="ndim=0"):
        T.flatten(x, 0)


def test_join_split_static() -> None:
    a = T.TensorType("float64", (2, None))("a")
    b = T.TensorType("float64", (3, 5))("b")
    assert T.concatenate([a, b]).type.shape == (5, 5)
    assert T.stack([a, a], axis=1).type.shape == (2, 2, None)
    assert T.stack([a, a], 2).type.shape == (2, None, 2)  # Theano's stack(tensors, axis)
    assert T.stack(a, a, a).type.shape == (3, 2, None)  # and stack(*tensors)
    parts = T.split(b, [1, 2], 2, axis=0)
    assert [p.type.shape for p in parts] == [(1, 5), (2, 5)]
    with pytest.raises(ValueError, match="lengths differ on axis 1"):
        T.concatenate([T.TensorType("float64", (2, 4))("c"), b])
    with pytest.raises(ValueError, match="do not add up"):
        T.split(b, [1, 1], 2)
    with pytest.raises(ValueError, match="same ndim"):
        T.join(0, a, T.dvector("v"))
    assert str(T.stack([T.lscalar("i"), 2]).owner.op) == "MakeVector{dtype='int64'}"


def test_creation_static_and_dtypes() -> None:
    refimpl.config.floatX, old = "float32", refimpl.config.floatX
    try:
        assert T.zeros((2, 3)).type == TensorType("float32", (2, 3))
        assert T.eye(3).dtype == "float32"
        assert T.arange(0.0, 1.0, 0.25).dtype == "float32"
    finally:
        refimpl.config.floatX = old
    assert T.arange(5).type == TensorType("int64", (5,))
    assert T.arange(2, 11, 3).type.shape == (3,)
    assert T.arange(5, 0, -2).type.shape == (3,)
    assert T.arange(T.iscalar("n")).dtype == "int64"
    assert T.arange(T.fscalar("a"), 5).dtype == "float32"
    assert T.ones(3, dtype="int32").type == TensorType("int32", (3,))
    assert T.alloc(T.drow("r"), 4, 3).type.shape == (4, 3)
    assert T.alloc(2.0, T.lscalar("n"), 3).type.shape == (None, 3)
    assert T.fill(T.dmatrix("m"), 1).dtype == "float64"
    assert T.fill(T.fmatrix("m"), 1.5).dtype == "float32"
    assert T.zeros_like(T.dmatrix("m"), dtype="int8").dtype == "int8"
    assert T.diag(T.TensorType("float64", (3,))("v"), 1).type.shape == (4, 4)
    assert T.diagonal(T.TensorType("float64", (2, 3, 4))("t"), 1, 0, 2).type.shape == (3, 2)
    with pytest.raises(ValueError, match="cannot broadcast"):
        T.alloc(T.TensorType("float64", (3,))("v"), 2, 4)
    with pytest.raises(TypeError, match="real scalar"):
        T.arange(T.dvector("v"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_creation_values(backend: str) -> None:
    n = T.lscalar("n")
    f64 = "float64"
    outs = [T.zeros((2, n), f64), T.ones(n, dtype="int32"), T.eye(n, 4, -1, f64), T.arange(n),
            T.arange(0.5, n, 0.75, f64), T.identity_like(T.zeros((n, 2), f64)), T.mgrid[0:3, 0:n],
            T.ogrid[0:2, 0:3][1], T.broadcast_to(T.arange(3), (n, 3))]  # fmt: skip
    got = [to_numpy(v) for v in function([n], outs, backend=backend)(3)]
    want = [np.zeros((2, 3)), np.ones(3, "int32"), np.eye(3, 4, -1), np.arange(3),
            np.arange(0.5, 3, 0.75), np.eye(3, 2), np.mgrid[0:3, 0:3], np.ogrid[0:2, 0:3][1],
            np.broadcast_to(np.arange(3), (3, 3))]  # fmt: skip
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_manipulation_values(backend: str) -> None:
    m, r = T.dmatrix("m"), T.lvector("r")
    mv = np.arange(6.0).reshape(2, 3)
    outs = [T.horizontal_stack(m, m), T.vertical_stack(m, m), T.tile(m, (2, 1, 2)),
            T.repeat(m, r, axis=1), T.repeat(m, 2), T.swapaxes(m, 0, 1),
            T.expand_dims(m, (0, 3)), *T.split(m, r[:2] if False else T.stack([1, 2]), 2, 1),
            T.trace(m), T.squeeze(T.shape_padaxis(m, 1), 1)]  # fmt: skip
    got = [to_numpy(v) for v in function([m, r], outs, backend=backend)(mv, [1, 0, 2])]
    want = [np.hstack([mv, mv]), np.vstack([mv, mv]), np.tile(mv, (2, 1, 2)),
            np.repeat(mv, [1, 0, 2], axis=1), np.repeat(mv, 2), mv.T, mv[None, :, :, None],
            mv[:, :1], mv[:, 1:], np.trace(mv), mv]  # fmt: skip
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)
        assert g.shape == w.shape


# --------------------------------------------------------------------------- run-time errors


@pytest.mark.parametrize("backend", BACKENDS)
def test_runtime_errors(backend: str) -> None:
    m, s, r = T.dmatrix("m"), T.lvector("s"), T.lvector("r")
    mv = np.zeros((2, 3))
    cases = [
        (T.reshape(m, s, ndim=2), [np.array([4, 2])], "cannot reshape m of shape \\(2, 3\\)"),
        (T.reshape(m, s, ndim=2), [np.array([-1, -1])], "cannot reshape"),
        (T.addbroadcast(m, 0), [], "axis 0 of m must have length 1"),
        (T.specify_shape(m, (3, None)), [], "expected length 3 on axis 0"),
        (T.split(m, s, 2, axis=1)[0], [np.array([1, 1])], "cannot split m"),
        (T.repeat(m, r, axis=0), [np.array([1, 2, 3])], "invalid repeats"),
        (T.alloc(T.dvector("v"), 2, 3), [], "broadcasts only when its static length is 1"),
        (T.concatenate([m, T.dmatrix("b")]), [], "join along axis 0"),
        (T.arange(0, T.lscalar("k"), 0), [], "step must not be zero"),
    ]
    for expr, extra, msg in cases:
        ins = [v for v in refimpl.graph_inputs([expr]) if v.owner is None and v.name]
        vals = {"m": mv, "v": np.zeros(1), "b": np.zeros((1, 2)), "k": 3}
        it = iter(extra)
        args = [vals[v.name] if v.name in vals else next(it) for v in ins]
        f = function(ins, expr, backend=backend)
        with pytest.raises(ValueError, match=msg):
            f(*args)


def test_build_errors_name_the_variable() -> None:
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match="axis 2 is out of range for m"):
        T.swapaxes(m, 0, 2)
    with pytest.raises(TypeError, match="axis must be an int"):
        T.squeeze(m, axis=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a permutation"):
        T.transpose(m, (0, 0))
    with pytest.raises(ValueError, match="static length 3"):
        T.squeeze(T.TensorType("float64", (3, 1))("t"), 0)
    with pytest.raises(ValueError, match="cannot be made broadcastable"):
        T.addbroadcast(T.TensorType("float64", (3,))("t"), 0)
    with pytest.raises(TypeError, match="reps must be static"):
        T.tile(m, T.lvector("r"))
    with pytest.raises(TypeError, match="repeats must be an int"):
        T.repeat(m, T.dvector("r"))
    with pytest.raises(ValueError, match="diag: t is 3-d"):
        T.diag(T.dtensor3("t"))
    with pytest.raises(ValueError, match="two distinct axes"):
        T.diagonal(m, 0, 1, 1)
    with pytest.raises(TypeError, match="complex steps"):
        T.mgrid[0:1:5j]


def test_rebroadcast_and_patterns() -> None:
    r = T.drow("r")
    assert T.unbroadcast(r, 0).broadcastable == (False, False)
    assert T.unbroadcast(r, 1) is r
    m = T.dmatrix("m")
    assert T.addbroadcast(m, 1).broadcastable == (False, True)
    assert T.patternbroadcast(m, (True, False)).broadcastable == (True, False)
    assert T.squeeze(T.addbroadcast(m, 0)).ndim == 1
    assert T.squeeze(m, 0).type.shape == (None,)


def test_shape_ops_are_disconnected() -> None:
    x = T.dmatrix("x")
    node = T.shape(x).owner
    assert node.op.connection_pattern(node) == [[False]]
    assert node.op.L_op([x], node.outputs, [T.lvector()]) == [None]
    assert T.shape_i(T.TensorType("float64", (None, 3))("y"), 1).data == 3
    fill_node = T.zeros_like(x).owner
    assert fill_node.op.connection_pattern(fill_node) == [[False], [True]]


def test_concatenate_grad_with_int_input() -> None:
    """The gradient of an integer input of join is disconnected (None)."""
    a, b = T.dvector("a"), T.lvector("b")
    out = T.concatenate([a, b])
    assert out.dtype == "float64"
    ga, gb = out.owner.op.L_op([a, b], [out], [T.dvector("g")])
    assert gb is None
    f = function([a, b, out.owner.outputs[0].type("g2")], [], on_unused_input="ignore")
    del f
    g = T.dvector("g")
    ga, _ = out.owner.op.L_op([a, b], [out], [g])
    np.testing.assert_array_equal(
        function([a, b, g], ga, on_unused_input="ignore")([1.0, 2.0], [3], [4.0, 5.0, 6.0]),
        [4.0, 5.0],
    )
