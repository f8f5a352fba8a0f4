"""Tests of the reduction family (spec/reduction.md): values against numpy on
numpy and array-api-strict, dtype rules, errors, infer_shape, and L_op/R_op
against central finite differences (float64)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refimpl
import refimpl.tensor as T
from refimpl.backend import to_numpy
from refimpl.graph.basic import NullGrad, io_toposort
from refimpl.ops import reduction as R
from refimpl.ops.elemwise import sum_to_input
from refimpl.ops.shape import shape_i
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

BACKENDS = ("numpy", "array_api_strict")
RNG = np.random.default_rng(20240611)


def var(shape: tuple[int | None, ...], dtype: str = "float64", name: str = "x") -> TensorVariable:
    return TensorType(dtype, shape)(name)


def run(inputs: list[Any], outputs: Any, *values: Any, backend: str = "numpy") -> Any:
    f = refimpl.function(inputs, outputs, backend=backend, on_unused_input="ignore")
    out = f(*values)
    return [to_numpy(o) for o in out] if isinstance(out, list) else to_numpy(out)


# --------------------------------------------------------------------------- values

AXES = (None, 0, -1, 1, (0, 2), (), (-1, 0), (0, 1, 2))
NP_FNS: dict[str, Callable[..., Any]] = {
    "sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all,
    "any": np.any, "mean": np.mean, "var": np.var, "std": np.std, "ptp": np.ptp,
}  # fmt: skip


def _np_arg(f: Callable[..., Any], x: np.ndarray[Any, Any], axis: Any, keepdims: bool) -> Any:
    axes = tuple(range(x.ndim)) if axis is None else tuple(np.atleast_1d(axis) % x.ndim)
    kept = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, kept + sorted(axes)).reshape([x.shape[i] for i in kept] + [-1])
    r = f(moved, axis=-1)
    return np.expand_dims(r, sorted(axes)) if keepdims else r


def _np_lse(x: np.ndarray[Any, Any], axis: Any, keepdims: bool) -> Any:
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_values_against_numpy(backend: str, axis: Any, keepdims: bool) -> None:
    x = var((None, None, None))
    xv = RNG.uniform(-2, 2, size=(2, 3, 4))
    xv[0, 1, 2] = 0.0
    names = [*NP_FNS, "argmax", "argmin", "logsumexp"]
    outs = [getattr(R, n)(x, axis=axis, keepdims=keepdims) for n in names]
    got = run([x], outs, xv, backend=backend)
    npax = tuple(axis) if isinstance(axis, tuple) else axis
    for name, value, out in zip(names, got, outs, strict=True):
        if name in NP_FNS:
            expected = NP_FNS[name](xv, axis=npax, keepdims=keepdims)
        elif name == "logsumexp":
            expected = _np_lse(xv, () if axis == () else npax, keepdims)
        else:
            expected = _np_arg(getattr(np, name), xv, axis, keepdims)
        assert value.shape == np.shape(expected), name
        assert str(value.dtype) == out.dtype, name
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumulative_values(backend: str, axis: Any) -> None:
    x = var((None, None))
    xv = RNG.uniform(-2, 2, size=(3, 4))
    xv[1, 1] = 0.0
    got = run([x], [R.cumsum(x, axis), R.cumprod(x, axis)], xv, backend=backend)
    np.testing.assert_allclose(got[0], np.cumsum(xv, axis=axis), rtol=1e-13)
    np.testing.assert_allclose(got[1], np.cumprod(xv, axis=axis), rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("reverse", "exclusive"), itertools.product([False, True], repeat=2))
def test_cumop_flags(backend: str, reverse: bool, exclusive: bool) -> None:
    x = var((None, None))
    xv = RNG.uniform(-2, 2, size=(3, 4))
    for kind, f in (("sum", np.cumsum), ("prod", np.cumprod)):
        got = run([x], R.CumOp(kind, 1, reverse, exclusive)(x), xv, backend=backend)
        y = xv[:, ::-1] if reverse else xv
        ident = np.zeros if kind == "sum" else np.ones
        expected = f(y, axis=1)
        if exclusive:
            expected = np.concatenate([ident((3, 1)), expected[:, :-1]], axis=1)
        np.testing.assert_allclose(got, expected[:, ::-1] if reverse else expected, rtol=1e-13)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_reductions(backend: str) -> None:
    x = var((None, None))
    xv = np.zeros((2, 0))
    s, p, a, o = run([x], [R.sum(x, 1), R.prod(x, 1), R.all(x, 1), R.any(x, 1)], xv,
                     backend=backend)  # fmt: skip
    np.testing.assert_array_equal(s, [0.0, 0.0])
    np.testing.assert_array_equal(p, [1.0, 1.0])
    assert a.tolist() == [True, True] and o.tolist() == [False, False]
    assert run([x], R.max(x, 0), xv, backend=backend).shape == (0,)  # empty result: fine
    assert np.isnan(run([x], R.mean(x), xv, backend=backend))
    for fn in (R.max, R.min, R.argmax, R.argmin):
        f = refimpl.function([x], fn(x, 1), backend=backend)
        with pytest.raises(ValueError, match="empty axes"):
            f(xv)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_ties_and_bool(backend: str) -> None:
    x = var((None,))
    got = run([x], [R.max(x), R.min(x), R.argmax(x), R.argmin(x)],
              np.array([1.0, np.nan, 3.0]), backend=backend)  # fmt: skip
    assert np.isnan(got[0]) and np.isnan(got[1])
    ties = np.array([1.0, 3.0, 3.0, -1.0, -1.0])
    assert run([x], [R.argmax(x), R.argmin(x)], ties, backend=backend) == [1, 3]
    b = var((None,), "bool")
    bv = np.array([True, False, True])
    got = run([b], [R.max(b), R.min(b), R.argmax(b), R.argmin(b), R.sum(b)], bv,
              backend=backend)  # fmt: skip
    assert [v.item() for v in got] == [True, False, 0, 1, 2]
    assert str(got[4].dtype) == "int64"


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("backend", BACKENDS)
def test_logsumexp_extremes(backend: str) -> None:
    x = var((None, None))
    xv = np.array([[-np.inf, -np.inf], [1000.0, 1000.0], [np.inf, 0.0], [-1000.0, -1000.0]])
    got = run([x], R.logsumexp(x, axis=1), xv, backend=backend)
    np.testing.assert_allclose(got, [-np.inf, 1000 + np.log(2), np.inf, -1000 + np.log(2)])


# --------------------------------------------------------------------------- dtypes

SUM_DTYPES = {
    "bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64", "int64": "int64",
    "uint8": "uint64", "uint16": "uint64", "uint32": "uint64", "uint64": "uint64",
    "float32": "float32", "float64": "float64", "complex64": "complex64",
    "complex128": "complex128",
}  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", list(SUM_DTYPES))
def test_dtype_rules(backend: str, dtype: str) -> None:
    x = var((None,), dtype)
    xv = np.array([1, 0, 1, 1], dtype=dtype)
    fns: list[tuple[Callable[..., Any], str]] = [
        (R.sum, SUM_DTYPES[dtype]), (R.prod, SUM_DTYPES[dtype]),
        (R.cumsum, SUM_DTYPES[dtype]), (R.cumprod, SUM_DTYPES[dtype]),
        (R.all, "bool"), (R.any, "bool"),
        (R.mean, "float64" if dtype in ("bool",) or dtype[0] in "iu" else dtype),
    ]  # fmt: skip
    if not dtype.startswith("complex"):
        fns += [(R.max, dtype), (R.min, dtype), (R.argmax, "int64"), (R.argmin, "int64")]
    outs = [f(x) for f, _ in fns]
    for out, (f, expected) in zip(outs, fns, strict=True):
        assert out.dtype == expected, (f.__name__, dtype)
    values = run([x], outs, xv, backend=backend)
    for value, (f, expected) in zip(values, fns, strict=True):
        assert str(value.dtype) == expected, (f.__name__, dtype)
    assert values[0] == 3 and values[1] == 0 and values[6] == 0.75


def test_small_ints_do_not_wrap_and_float32_accumulates_in_float64() -> None:
    x = var((None,), "int8")
    assert run([x], R.sum(x), np.full(300, 100, dtype="int8")) == 30000
    f = var((None,), "float32")
    fv = np.array([1e8, 1.0, -1e8], dtype="float32")
    got = run([f], R.sum(f), fv)
    assert got.dtype == np.float32 and got == 1.0  # a float32 accumulator gives 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_dtype_and_acc_dtype_arguments(backend: str) -> None:
    x = var((None,), "float32")
    i = var((None,), "int8")
    outs = [
        R.sum(x, dtype="float64"),
        R.sum(i, dtype="float32"),
        R.prod(i, acc_dtype="int16"),
        R.sum(i, acc_dtype="float64"),
        R.mean(i, dtype="float32"),
        R.sum(x, dtype="int32"),
    ]
    assert [o.dtype for o in outs] == ["float64", "float32", "int64", "int64", "float32", "int32"]
    xv = np.array([1.5, 2.25], dtype="float32")
    got = run([x, i], outs, xv, np.array([3, 4], dtype="int8"), backend=backend)
    assert [str(g.dtype) for g in got] == [o.dtype for o in outs]
    assert [g.item() for g in got] == [3.75, 7.0, 12, 7, 3.5, 3]
    with pytest.raises(TypeError, match="precision"):
        R.sum(x, acc_dtype="float16")
    with pytest.raises(TypeError, match="precision"):
        R.prod(var((None,), "int32"), acc_dtype="int8")
    with pytest.raises(TypeError, match="real dtype"):
        R.sum(var((None,), "complex128"), dtype="float64")
    with pytest.raises(TypeError, match="float or complex"):
        R.mean(x, dtype="int64")
    with pytest.raises(TypeError, match="unknown dtype"):
        R.sum(x, dtype="float77")


# --------------------------------------------------------------------------- shapes


def test_static_shapes() -> None:
    x = var((2, None, 4))
    assert R.sum(x, 1).type.shape == (2, 4)
    assert R.sum(x, (0, 2), keepdims=True).type.shape == (1, None, 1)
    assert R.max(x).type.shape == ()
    assert R.argmax(x, -1, keepdims=True).type.shape == (2, None, 1)
    assert R.cumsum(x, 0).type.shape == (2, None, 4)
    assert R.cumsum(x).type.shape == (None,)
    assert R.cumsum(var((2, 3, 4))).type.shape == (24,)
    assert R.mean(x, 0).type.shape == (None, 4)
    assert R.var(x, (0, 1), keepdims=True).type.shape == (1, 1, 4)
    # the op's axis is normalised, so equivalent reductions are equal ops
    assert R.sum(x, -1).owner.op == R.sum(x, (2,)).owner.op
    assert R.sum(x).owner.op == R.sum(x, (2, 0, 1)).owner.op


@pytest.mark.parametrize(
    "build",
    [
        lambda x: R.sum(x, (0, 2), keepdims=True), lambda x: R.prod(x, 1),
        lambda x: R.max(x, -1, keepdims=True), lambda x: R.any(x),
        lambda x: R.argmin(x, (0, 1)), lambda x: R.argmax(x, 2, keepdims=True),
        lambda x: R.cumsum(x), lambda x: R.cumprod(x, 1), lambda x: R.sum(x, ()),
    ],
)  # fmt: skip
def test_infer_shape_matches_value(build: Callable[[TensorVariable], TensorVariable]) -> None:
    x = var((None, None, None))
    out = build(x)
    node = out.owner
    shapes = [tuple(shape_i(x, i) for i in range(x.ndim))]
    (inferred,) = node.op.infer_shape(node, shapes)
    xv = RNG.uniform(size=(2, 3, 5))
    got = run([x], [out, *inferred], xv)
    assert tuple(int(n) for n in got[1:]) == got[0].shape


# --------------------------------------------------------------------------- errors


def test_build_errors_name_the_variable() -> None:
    x = var((None, None), name="xx")
    with pytest.raises(ValueError, match=r"axis 2 is out of range for xx \(ndim 2\)"):
        R.sum(x, 2)
    with pytest.raises(ValueError, match=r"axis -3 is out of range for xx"):
        R.argmax(x, -3)
    with pytest.raises(ValueError, match=r"repeated axis 1 .* for xx"):
        R.max(x, (1, -1))
    with pytest.raises(ValueError, match="out of range"):
        R.cumsum(x, 5)
    with pytest.raises(ValueError, match="out of range"):
        R.mean(var(()), 0)
    with pytest.raises(TypeError, match="axis must be"):
        R.sum(x, 1.0)
    with pytest.raises(TypeError, match="axis must be"):
        R.prod(x, True)
    with pytest.raises(TypeError, match="axis must be"):
        R.cumsum(x, (0, 1))
    with pytest.raises(TypeError, match="keepdims"):
        R.sum(x, 0, keepdims=1)  # type: ignore[arg-type]
    c = var((None,), "complex128", name="cc")
    for fn in (R.max, R.min, R.argmax, R.argmin, R.var, R.std, R.logsumexp, R.ptp):
        with pytest.raises(TypeError, match="cc"):
            fn(c)
    with pytest.raises(TypeError, match="real numeric"):
        R.ptp(var((None,), "bool"))
    with pytest.raises(ValueError, match="not both"):
        R.var(x, ddof=1, correction=0.5)
    with pytest.raises(TypeError):
        R.Reduce("max", dtype="float64")


# --------------------------------------------------------------------------- gradients

Build = Callable[[TensorVariable], TensorVariable]


def lop(out: TensorVariable, wrt: TensorVariable, g: TensorVariable) -> TensorVariable:
    """A minimal reverse sweep calling each node's L_op (independent of refimpl.grad)."""
    grads: dict[Any, TensorVariable] = {out: g}
    for node in reversed(io_toposort([wrt], [out])):
        gouts = [grads.get(o) for o in node.outputs]
        if all(go is None for go in gouts):
            continue
        gouts = [go if go is not None else T.zeros_like(o) for go, o in zip(gouts, node.outputs)]
        for inp, gi in zip(node.inputs, node.op.L_op(node.inputs, node.outputs, gouts)):
            assert not isinstance(gi, NullGrad), (node, gi)
            if gi is not None:
                assert gi.dtype == inp.dtype and gi.ndim == inp.ndim, (node, gi.type, inp.type)
                grads[inp] = gi if inp not in grads else grads[inp] + gi
    return grads[wrt]


def rop(out: TensorVariable, wrt: TensorVariable, v: TensorVariable) -> TensorVariable | None:
    """A minimal forward sweep calling each node's R_op."""
    tangents: dict[Any, TensorVariable] = {wrt: v}
    for node in io_toposort([wrt], [out]):
        evs = [tangents.get(i) for i in node.inputs]
        if all(e is None for e in evs):
            continue
        for o, t in zip(node.outputs, node.op.R_op(node.inputs, evs)):
            if t is not None:
                assert t.dtype == o.dtype and t.ndim == o.ndim, (node, t.type, o.type)
                tangents[o] = t
    return tangents.get(out)


def jacobian_fd(f: Callable[[Any], Any], xv: np.ndarray[Any, Any], h: float = 1e-5) -> Any:
    y0 = np.asarray(f(xv))
    jac = np.zeros((y0.size, xv.size))
    for k in range(xv.size):
        e = np.zeros(xv.size)
        e[k] = h
        e = e.reshape(xv.shape)
        d1 = (np.asarray(f(xv + e)) - np.asarray(f(xv - e))) / (2 * h)
        d2 = (np.asarray(f(xv + 2 * e)) - np.asarray(f(xv - 2 * e))) / (4 * h)
        jac[:, k] = ((4 * d1 - d2) / 3).ravel()  # one Richardson step
    return y0, jac


def check_derivatives(build: Build, xv: np.ndarray[Any, Any], backend: str = "numpy") -> None:
    x = var((None,) * xv.ndim)
    out = build(x)
    f = refimpl.function([x], out, backend=backend)
    y0, jac = jacobian_fd(lambda a: to_numpy(f(a)), xv)
    g = out.type("g")
    w = RNG.normal(size=y0.shape)
    gx = run([x, g], lop(out, x, g), xv, w, backend=backend)
    np.testing.assert_allclose(gx, (w.ravel() @ jac).reshape(xv.shape), rtol=1e-7, atol=1e-8)
    v = x.type("v")
    vv = RNG.normal(size=xv.shape)
    tangent = rop(out, x, v)
    assert tangent is not None
    got = run([x, v], tangent, xv, vv, backend=backend)
    np.testing.assert_allclose(got, (jac @ vv.ravel()).reshape(y0.shape), rtol=1e-7, atol=1e-8)


GRAD_CASES: list[tuple[str, Build]] = [
    ("sum", lambda x: R.sum(x, (0, 2))), ("sum_kd", lambda x: R.sum(x, 1, keepdims=True)),
    ("sum_all", lambda x: R.sum(x)), ("prod", lambda x: R.prod(x, 1)),
    ("prod_multi", lambda x: R.prod(x, (0, 2), keepdims=True)), ("prod_all", lambda x: R.prod(x)),
    ("max", lambda x: R.max(x, -1)), ("min_multi", lambda x: R.min(x, (0, 1), keepdims=True)),
    ("mean", lambda x: R.mean(x, (1, 2))), ("var", lambda x: R.var(x, 1, ddof=1)),
    ("std", lambda x: R.std(x, (0, 2), keepdims=True)), ("lse", lambda x: R.logsumexp(x, 1)),
    ("cumsum", lambda x: R.cumsum(x, 1)), ("cumsum_flat", lambda x: R.cumsum(x)),
    ("cumprod", lambda x: R.cumprod(x, 2)), ("cumprod_flat", lambda x: R.cumprod(x)),
    ("ptp", lambda x: R.ptp(x, (0, 2))), ("mean_all", lambda x: R.mean(x, keepdims=True)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build"), GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_lop_rop_against_finite_differences(name: str, build: Build) -> None:
    xv = RNG.permutation(np.linspace(-1.9, 1.9, 24)).reshape(2, 3, 4)  # distinct, nonzero
    check_derivatives(build, xv)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scalar_input(backend: str) -> None:
    x = var(())
    outs = [R.sum(x), R.prod(x), R.max(x), R.argmax(x), R.mean(x), R.var(x), R.cumsum(x),
            R.cumprod(x), R.logsumexp(x), R.all(x, keepdims=True)]  # fmt: skip
    got = run([x], outs, np.float64(2.5), backend=backend)
    assert [g.shape for g in got] == [(), (), (), (), (), (), (1,), (1,), (), ()]
    np.testing.assert_allclose([float(g.ravel()[0]) for g in got],
                               [2.5, 2.5, 2.5, 0, 2.5, 0.0, 2.5, 2.5, 2.5, 1.0])  # fmt: skip
    check_derivatives(lambda x: R.prod(x) + R.cumprod(x)[0] * R.max(x), np.array(1.5))


def test_static_length_one_axes() -> None:
    # the generated suite declares drawn length-1 axes as static 1 (broadcastable)
    x = var((1, None, 1))
    assert R.sum(x, (0, 1)).type.shape == (1,)
    xv = np.array([[[0.5], [-1.5], [0.0], [2.0]]])
    builds: list[Build] = [
        lambda x: R.prod(x, (0, 1), keepdims=True), lambda x: R.max(x, 1),
        lambda x: R.cumprod(x, 1), lambda x: R.sum(x, 2), lambda x: R.std(x, 1),
    ]  # fmt: skip
    for build in builds:
        out = build(x)
        f = refimpl.function([x], out)
        y0, jac = jacobian_fd(lambda a: to_numpy(f(a)), xv)
        g = out.type("g")
        w = RNG.normal(size=y0.shape)
        gx = run([x, g], lop(out, x, g), xv, w)
        np.testing.assert_allclose(gx, (w.ravel() @ jac).reshape(xv.shape), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_derivatives_on_backends(backend: str) -> None:
    xv = RNG.permutation(np.linspace(-1.9, 1.9, 12)).reshape(3, 4)
    check_derivatives(lambda x: R.prod(x, 0) + R.max(x, 0) + R.sum(R.cumprod(x, 0), 0), xv,
                      backend)  # fmt: skip


ZERO_CASES: list[tuple[str, Build]] = [
    ("prod", lambda x: R.prod(x, 1)), ("prod_all", lambda x: R.prod(x)),
    ("prod_multi", lambda x: R.prod(x, (0, 1))), ("cumprod", lambda x: R.cumprod(x, 1)),
    ("cumprod_flat", lambda x: R.cumprod(x)),
    ("cumprod_rev", lambda x: R.CumOp("prod", 1, True)(x)),
    ("cumprod_excl", lambda x: R.CumOp("prod", 0, False, True)(x)),
    ("cumprod_rev_excl", lambda x: R.CumOp("prod", 1, True, True)(x)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build"), ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_derivatives_exact_at_zeros(name: str, build: Build) -> None:
    # rows: no zero, one zero first, one zero inside, two zeros
    xv = np.array([[0.5, -1.5, 2.0, 1.25], [0.0, 1.5, -2.0, 0.75],
                   [1.5, 0.8, 0.0, -1.1], [0.0, 1.3, 0.0, 1.7]])  # fmt: skip
    check_derivatives(build, xv)


def test_prod_gradient_is_product_of_others() -> None:
    x = var((None,))
    g = lop(R.prod(x), x, T.constant(1.0))
    got = run([x], g, np.array([2.0, 0.0, 3.0, 1e-200, 5.0]))
    np.testing.assert_array_equal(got, [0.0, 2 * 3 * 1e-200 * 5, 0.0, 0.0, 0.0])
    got = run([x], g, np.array([1e-200, 1e-200, 5.0]))
    np.testing.assert_allclose(got, [5e-200, 5e-200, 1e-400], rtol=1e-14)


def test_max_ties_share_the_gradient() -> None:
    x = var((None, None))
    xv = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    g = run([x], lop(R.max(x, 1), x, T.constant(np.array([1.0, 1.0]))), xv)
    np.testing.assert_array_equal(g, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    v = x.type("v")
    r = rop(R.max(x, 1), x, v)
    assert r is not None
    np.testing.assert_array_equal(run([x, v], r, xv, np.ones((2, 3)) * [[1, 2, 4]]), [3.0, 1.0])


def test_discrete_results_are_disconnected() -> None:
    x = var((None, None))
    for out in (R.argmax(x, 0), R.argmin(x), R.all(x), R.any(x, 1)):
        node = out.owner
        assert node.op.L_op(node.inputs, node.outputs, [out.type("g")]) == [None]
        assert node.op.R_op(node.inputs, [x.type("v")]) == [None]
    i = var((None,), "int32")
    for out in (R.sum(i), R.prod(i), R.cumsum(i), R.max(i)):
        node = out.owner
        assert node.op.L_op(node.inputs, node.outputs, [out.type("g")]) == [None]


def test_sum_to_input_signature_and_mixed_dtypes() -> None:
    x = var((None, 1, None), "float32")
    g = var((None, None, None), "float32", "g")
    s = sum_to_input(g, x)
    assert s.type.shape[1] == 1 and s.dtype == "float32"
    got = run([g], s, np.ones((2, 3, 4), dtype="float32"))
    np.testing.assert_array_equal(got, np.full((2, 1, 4), 3.0))
    y = var((None,), "float32")
    gy = lop(R.sum(y, dtype="float64"), y, T.constant(2.0))
    assert gy.dtype == "float32"
    np.testing.assert_array_equal(run([y], gy, np.ones(3, dtype="float32")), [2.0, 2.0, 2.0])


# --------------------------------------------------------------------------- the SPECS


def _draw_case(spec: Any, data: st.DataObject) -> tuple[tuple[Any, ...], dict[str, Any]]:
    draw_int = lambda lo, hi: data.draw(st.integers(lo, hi))
    shapes = spec.shapes(draw_int)
    params = spec.params(draw_int, shapes) if spec.params else {}
    return shapes, params


def _values(spec: Any, shapes: Any, params: Any, dtype: str, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    if spec.make_inputs is not None:
        return list(spec.make_inputs(rng, shapes, params))
    out = []
    for arg, shape in zip(spec.args, shapes, strict=True):
        lo, hi = arg.domain
        if dtype == "bool":
            out.append(rng.integers(0, 2, size=shape).astype(bool))
        elif dtype[0] in "iu":
            lo = max(lo, 0) if dtype[0] == "u" else lo
            out.append(rng.integers(int(lo), int(hi) + 1, size=shape).astype(dtype))
        else:
            n = int(np.prod(shape))
            vals = rng.permutation(np.linspace(lo, hi, n + 2)[1:-1]) if arg.distinct else (
                rng.uniform(lo, hi, size=n))  # fmt: skip
            out.append(np.asarray(vals.reshape(shape)).astype(dtype))
    return out


@pytest.mark.parametrize("spec", R.SPECS, ids=[s.name for s in R.SPECS])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_specs_values(spec: Any, data: st.DataObject) -> None:
    shapes, params = _draw_case(spec, data)
    dtype = data.draw(st.sampled_from(spec.args[0].dtypes))
    backend = data.draw(st.sampled_from(BACKENDS))
    values = _values(spec, shapes, params, dtype, data.draw(st.integers(0, 2**16)))
    xs = [var((None,) * len(s), str(v.dtype)) for s, v in zip(shapes, values)]
    outs = spec.build(*xs, **params)
    expected = spec.ref(*values, **params)
    outs, expected = (outs, expected) if isinstance(outs, list) else ([outs], [expected])
    got = run(xs, outs, *values, backend=backend)
    for o, g, e in zip(outs, got, expected, strict=True):
        assert o.dtype == str(e.dtype) == str(g.dtype)
        rtol = spec.rtol.get(o.dtype, 1e-6 if o.dtype in ("float32", "complex64") else 1e-12)
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol)


DISCRETE_RESULTS = {"argmax", "argmin", "all", "any"}  # zero gradient, nothing to compare
GRAD_SPECS = [s for s in R.SPECS if s.grad and s.name not in DISCRETE_RESULTS]


@pytest.mark.parametrize("spec", GRAD_SPECS, ids=[s.name for s in GRAD_SPECS])
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_specs_derivatives(spec: Any, data: st.DataObject) -> None:
    shapes, params = _draw_case(spec, data)
    (xv,) = _values(spec, shapes, params, "float64", data.draw(st.integers(0, 2**16)))
    arg = spec.args[0]
    if arg.grad_domain and spec.make_inputs is None:  # map the value domain onto grad_domain
        (lo, hi), (vlo, vhi) = arg.grad_domain, arg.domain
        xv = lo + (xv - vlo) * (hi - lo) / (vhi - vlo)

    def build(x: TensorVariable) -> TensorVariable:
        out = spec.build(x, **params)
        return out[0] if isinstance(out, list) else out

    check_derivatives(build, xv)
