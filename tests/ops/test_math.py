"""Tests of the elementwise table (spec/elemwise.md).

The table tests are driven by the family's own ``SPECS`` (so the specs are
checked too): every function against its independent numpy reference on
numpy and array-api-strict, for every claimed dtype; and every
differentiable function's L_op and R_op against central finite differences
(float64, one Richardson step) plus the adjoint identity. Then the dtype
rules, weak scalars, rounding, division by zero, the gradient conventions
(ties, zero gradients, complex), broadcasting and errors.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl.backend import to_numpy
from refimpl.graph.basic import NullGrad
from refimpl.ops import math as M
from refimpl.ops.elemwise import Elemwise, NullGradRopError
from refimpl.opspec import Arg, OpSpec
from refimpl.types import TensorType, is_discrete
from refimpl.variable import TensorVariable

BACKENDS = ("numpy", "array_api_strict")
SPECS = {s.name: s for s in M.SPECS}
NDArray = np.ndarray[Any, Any]


def var(shape: tuple[int | None, ...], dtype: str = "float64", name: str = "x") -> TensorVariable:
    return TensorType(dtype, shape)(name)


def run(inputs: list[Any], outputs: Any, *values: Any, backend: str = "numpy") -> Any:
    f = refimpl.function(inputs, outputs, backend=backend, on_unused_input="ignore")
    out = f(*values)
    return [to_numpy(o) for o in out] if isinstance(out, list) else to_numpy(out)


# --------------------------------------------------------------------------- drawing inputs


def _draw_arg(arg: Arg, rng: np.random.Generator, shape: tuple[int, ...], grad: bool) -> NDArray:
    lo, hi = arg.grad_domain if grad and arg.grad_domain else arg.domain
    x = rng.uniform(lo, hi, size=shape)
    m = arg.margin
    for k in arg.kinks:
        d = x - k
        x = np.where(np.abs(d) < m, k + np.where(d < 0, -1.0, 1.0) * (m + np.abs(d)), x)
    if arg.jumps == "integers":
        x = np.floor(x) + m + (x - np.floor(x)) * (1 - 2 * m)
    elif arg.jumps == "half_integers":
        f = x - np.floor(x)
        x = np.floor(x) + np.where(f < 0.5, m + f * (1 - 4 * m), 0.5 + m + (f - 0.5) * (1 - 4 * m))
    return np.asarray(x)


def _shapes(spec: OpSpec, rng: np.random.Generator, same_rank: bool) -> tuple[tuple[int, ...], ...]:
    shapes = spec.shapes(lambda lo, hi: int(rng.integers(lo, hi + 1)))
    if not same_rank:
        return shapes
    nd = max(len(s) for s in shapes)
    return tuple((1,) * (nd - len(s)) + tuple(s) for s in shapes)


def _values(
    spec: OpSpec, rng: np.random.Generator, shapes: Sequence[tuple[int, ...]], grad: bool = False
) -> list[NDArray]:
    if spec.make_inputs is not None:
        vals = spec.make_inputs(rng, tuple(shapes), {})
        return [np.asarray(v).reshape(s) for v, s in zip(vals, shapes)]
    return [_draw_arg(a, rng, s, grad) for a, s in zip(spec.args, shapes)]


def _as_dtype(v: NDArray, dtype: str) -> NDArray:
    if dtype == "bool":
        return np.asarray(v != 0)
    if np.dtype(dtype).kind in "iu":
        return np.trunc(v).astype(dtype)
    return v.astype(dtype)


def _static(shape: tuple[int, ...]) -> tuple[int | None, ...]:
    return tuple(1 if n == 1 else None for n in shape)


def _dtype_combos(spec: OpSpec) -> list[tuple[str, ...]]:
    n = max(len(a.dtypes) for a in spec.args)
    return sorted({tuple(a.dtypes[j % len(a.dtypes)] for a in spec.args) for j in range(n)})


# --------------------------------------------------------------------------- the table: values


def _tol(dtype: str) -> dict[str, float]:
    if dtype in ("float32", "complex64"):
        return {"rtol": 2e-5, "atol": 2e-6}
    return {"rtol": 1e-9, "atol": 1e-12}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_values_against_reference(name: str) -> None:
    spec = SPECS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for dtypes in _dtype_combos(spec):
        shapes = _shapes(spec, rng, same_rank=False)
        raw = _values(spec, rng, shapes)
        vals = [_as_dtype(v, d) for v, d in zip(raw, dtypes)]
        xs = [var(_static(s), d, a.name) for s, d, a in zip(shapes, dtypes, spec.args)]
        out = spec.build(*xs)
        with np.errstate(all="ignore"):  # bool inputs reach poles: log(0), arctanh(1)
            expected = np.asarray(spec.ref(*vals))
            got_all = [run(xs, out, *vals, backend=b) for b in BACKENDS]
        for backend, got in zip(BACKENDS, got_all):
            assert got.dtype == np.dtype(out.dtype), (name, dtypes, backend)
            assert got.shape == expected.shape, (name, dtypes, backend)
            if is_discrete(out.dtype):
                np.testing.assert_array_equal(got, expected, err_msg=f"{name} {dtypes}")
            else:
                np.testing.assert_allclose(
                    got, expected, **_tol(out.dtype), err_msg=f"{name} {dtypes} {backend}"
                )


# --------------------------------------------------------------------------- the table: derivatives


def _fd_directional(
    f: Any, vals: list[NDArray], dirs: list[NDArray | None], w: NDArray, h: float
) -> float:
    """<w, J u> by central differences with one Richardson step."""

    def at(t: float) -> float:
        pts = [v if u is None else v + t * u for v, u in zip(vals, dirs)]
        return float(np.real(np.sum(np.conj(w) * np.asarray(f(*pts)))))

    d1 = (at(h) - at(-h)) / (2 * h)
    d2 = (at(h / 2) - at(-h / 2)) / h
    return (4 * d2 - d1) / 3


GRAD_SPECS = sorted(n for n, s in SPECS.items() if s.grad)


@pytest.mark.parametrize("name", GRAD_SPECS)
def test_lop_rop_against_finite_differences(name: str) -> None:
    spec = SPECS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    shapes = _shapes(spec, rng, same_rank=True)
    vals = _values(spec, rng, shapes, grad=True)
    dtypes = ["bool" if a.dtypes == ("bool",) else "float64" for a in spec.args]
    vals = [_as_dtype(v, d) for v, d in zip(vals, dtypes)]
    xs = [var(_static(s), d, a.name) for s, d, a in zip(shapes, dtypes, spec.args)]
    out = spec.build(*xs)
    node = out.owner
    if node is None or list(node.inputs) != xs:
        pytest.skip("a composite: its pieces are tested on their own")
    f = refimpl.function(xs, out)
    gz = out.type("gz")
    us = [var(_static(s), d, f"u{k}") for k, (s, d) in enumerate(zip(shapes, dtypes))]
    grads = node.op.L_op(node.inputs, node.outputs, [gz])
    (rop,) = node.op.R_op(node.inputs, [None if is_discrete(u.dtype) else u for u in us])
    diff = [a.differentiable and d == "float64" for a, d in zip(spec.args, dtypes)]
    wanted = [g for g, ok in zip(grads, diff) if ok]
    assert all(isinstance(g, TensorVariable) for g in wanted), grads
    outs = [*wanted, rop] if rop is not None else [*wanted, T.zeros_like(out)]
    g_fn = refimpl.function([*xs, gz, *us], outs, on_unused_input="ignore")
    out_val = np.asarray(f(*vals))
    w = rng.normal(size=out_val.shape).astype(out.dtype)
    if out.dtype.startswith("complex"):
        w = w + 1j * rng.normal(size=out_val.shape)  # C = Re <w, out>, so gz = w
    dirs: list[NDArray | None] = [rng.normal(size=s) if ok else None for s, ok in zip(shapes, diff)]
    u_vals = [np.zeros(s, dtype=d) if u is None else u for u, s, d in zip(dirs, shapes, dtypes)]
    *g_vals, r_val = (np.asarray(to_numpy(v)) for v in g_fn(*vals, w, *u_vals))
    fd = _fd_directional(f, vals, dirs, w, 1e-3 * spec.fd_scale)
    lop = sum(float(np.sum(g * u)) for g, u in zip(g_vals, (d for d in dirs if d is not None)))
    rop_dot = float(np.real(np.sum(np.conj(w) * np.asarray(r_val))))
    scale = max(1.0, abs(fd), float(np.sum(np.abs(w))))
    tol = 1e-6 if out.dtype == "float64" else 1e-3
    assert abs(lop - fd) <= tol * scale, (name, lop, fd)
    assert abs(rop_dot - fd) <= tol * scale, (name, rop_dot, fd)
    assert abs(lop - rop_dot) <= (1e-10 if out.dtype == "float64" else 1e-5) * scale, name
    assert np.asarray(r_val).shape == out_val.shape


# --------------------------------------------------------------------------- the specs themselves


def test_specs_cover_every_public_elemwise_function() -> None:
    public = {
        "abs", "add", "sub", "mul", "true_div", "int_div", "mod", "pow", "neg", "sgn", "sqr",
        "inv", "maximum", "minimum", "floor", "ceil", "trunc", "round", "iround", "exp", "exp2",
        "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan", "arcsin",
        "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
        "deg2rad", "rad2deg", "logaddexp", "erf", "erfc", "erfinv", "erfcinv", "gamma",
        "gammaln", "psi", "lt", "le", "gt", "ge", "eq", "neq", "isnan", "isinf", "isfinite",
        "isclose", "allclose", "and_", "or_", "xor", "invert", "logical_and", "logical_or",
        "logical_xor", "logical_not", "switch", "clip", "tensor_copy", "real", "imag", "angle",
        "conj", "complex", "largest", "smallest", "ceil_intdiv",
    }  # fmt: skip
    assert public <= set(SPECS), sorted(public - set(SPECS))
    assert all(s.op_classes == (Elemwise,) for s in SPECS.values())
    for name in public:
        assert callable(getattr(T, name)), name


def test_registry_collects_the_specs() -> None:
    from refimpl import registry

    names = {s.name for s in registry.all_specs()}
    assert set(SPECS) <= names


# --------------------------------------------------------------------------- dtype rules


@pytest.mark.parametrize(
    ("expr", "dtype"),
    [
        (lambda: var((None,), "int8") + var((None,), "float32"), "float32"),
        (lambda: var((None,), "int32") + var((None,), "float32"), "float64"),
        (lambda: var((None,), "float32") * 2.5, "float32"),
        (lambda: var((None,), "float32") * 2, "float32"),
        (lambda: var((None,), "int64") * 0.5, "float64"),
        (lambda: var((None,), "int8") * 3, "int8"),
        (lambda: var((None,), "int8") / var((None,), "int8"), "float32"),
        (lambda: var((None,), "int32") / var((None,), "int32"), "float64"),
        (lambda: var((None,), "int16") // var((None,), "int16"), "int16"),
        (lambda: T.exp(var((None,), "int8")), "float32"),
        (lambda: T.floor(var((None,), "int64")), "float64"),
        (lambda: T.abs(var((None,), "complex64")), "float32"),
        (lambda: T.abs(var((None,), "int16")), "int16"),
        (lambda: T.real(var((None,), "complex128")), "float64"),
        (lambda: T.angle(var((None,), "complex64")), "float32"),
        (lambda: T.complex(var((None,), "float32"), var((None,), "float32")), "complex64"),
        (lambda: T.complex(var((None,), "int32"), 1.0), "complex128"),
        (lambda: var((None,), "float32") < 1, "bool"),
        (lambda: T.eq(var((None,), "complex64"), 1j), "bool"),
        (lambda: var((None,), "bool") & var((None,), "bool"), "bool"),
        (lambda: var((None,), "bool") + var((None,), "bool"), "bool"),
        (lambda: var((None,), "bool") - 1, "int64"),
        (lambda: var((None,), "uint8") | var((None,), "int8"), "int16"),
        (lambda: T.switch(var((None,), "int64"), var((None,), "float32"), 0), "float32"),
        (lambda: T.switch(var((None,), "bool"), 1, 0), "int64"),
        (lambda: T.clip(var((None,), "float32"), 0, 1), "float32"),
        (lambda: T.iround(var((None,), "float32")), "int64"),
        (lambda: var((None,), "float32") ** 2, "float32"),
        (lambda: T.logical_and(var((None,), "float64"), 1), "bool"),
        (lambda: T.isnan(var((None,), "int8")), "bool"),
    ],
)
def test_dtype_rules(expr: Any, dtype: str) -> None:
    assert expr().dtype == dtype


def test_weak_float_rounds_to_the_tensor_precision() -> None:
    x = var((None,), "float32")
    y = x * 0.1
    assert y.dtype == "float32"
    xv = np.array([1.0, 3.0], dtype=np.float32)
    np.testing.assert_array_equal(run([x], y, xv), xv * np.float32(0.1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_arithmetic_values(backend: str) -> None:
    a, b = var((None,), "int32", "a"), var((None,), "int32", "b")
    av, bv = np.array([7, -7, 7, -7, 0], "int32"), np.array([3, 3, -3, -3, 5], "int32")
    got = run(
        [a, b], [a // b, a % b, a / b, T.ceil_intdiv(a, b), T.sgn(a)], av, bv, backend=backend
    )
    want = [av // bv, av % bv, av / bv, -(-av // bv), np.sign(av)]
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)
    assert got[2].dtype == np.float64


# --------------------------------------------------------------------------- errors


def test_bitwise_on_float_names_the_input() -> None:
    x, y = var((None,), "float64", "xf"), var((None,), "int32", "yi")
    with pytest.raises(TypeError, match=r"and_: input xf has dtype float64.*accepts only"):
        T.and_(x, y)
    with pytest.raises(TypeError, match="invert: input xf"):
        T.invert(x)
    with pytest.raises(TypeError, match="lt: input z has dtype complex128"):
        T.lt(var((None,), "complex128", "z"), 1)


def test_bool_arithmetic_that_numpy_rejects() -> None:
    b = var((None,), "bool", "mask")
    with pytest.raises(TypeError, match=r"sub: inputs mask, mask are bool"):
        T.sub(b, b)
    with pytest.raises(TypeError, match=r"neg: input mask is bool"):
        T.neg(b)


def test_wrong_arity_and_bad_arguments() -> None:
    x = var((None,), "float64", "x")
    with pytest.raises(TypeError, match="add takes 2 inputs, got 1"):
        Elemwise(M.ADD)(x)
    with pytest.raises(TypeError, match="exp takes 1 input, got 2"):
        Elemwise(M.EXP)(x, x)
    with pytest.raises(ValueError, match="unknown mode 'up'"):
        T.round(x, "up")
    with pytest.raises(TypeError, match="ambiguous"):
        T.cast(var((None,), "complex64", "z"), "float32")
    with pytest.raises(TypeError, match="int8"):
        var((None,), "int8") + 1000
    with pytest.raises(ValueError, match="cannot broadcast"):
        var((2,)) + var((3,))


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_division_by_zero_raises(backend: str) -> None:
    a, b = var((None,), "int64", "a"), var((None,), "int64", "b")
    for expr in (a // b, a % b):
        f = refimpl.function([a, b], expr, backend=backend)
        with pytest.raises(ZeroDivisionError, match="integer division by zero"):
            f(np.array([1, 2]), np.array([1, 0]))
    x = var((None,), "float64")
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(run([x], 1.0 / x, np.array([0.0, -0.0])), [np.inf, -np.inf])


@pytest.mark.parametrize("backend", BACKENDS)
def test_static_broadcasting_is_checked_at_run_time(backend: str) -> None:
    x, y = var((None, None), name="x"), var((None, None), name="y")
    f = refimpl.function([x, y], x + y, backend=backend)
    with pytest.raises(ValueError, match=r"input x has length 1 on axis 1.*static length is 1"):
        f(np.ones((3, 1)), np.ones((3, 4)))
    col = var((None, 1), name="c")
    np.testing.assert_array_equal(run([col, y], col + y, np.ones((3, 1)), np.ones((3, 4))), 2)


def test_lower_rank_inputs_are_padded_with_dimshuffle() -> None:
    x = T.dmatrix("x")
    y = x * 2
    (padded,) = [i for i in y.owner.inputs if i is not x]
    assert str(padded.owner.op) == "DimShuffle{x,x}"
    assert refimpl.pp(y).startswith("(x * TensorConstant{")  # the padding is not printed
    v = T.dvector("v")
    assert (x + v).owner.inputs[1].type.shape == (1, None)


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize("backend", BACKENDS)
def test_round_modes(backend: str) -> None:
    x = var((None,))
    xv = np.array([0.49999999999999994, 0.5, 1.5, 2.5, -0.5, -2.5, -0.3, 1e300, np.inf, np.nan])
    away, even, ir = run([x], [T.round(x), T.round(x, "half_to_even"), T.iround(x[:7])], xv,
                         backend=backend)  # fmt: skip
    np.testing.assert_array_equal(away, [0, 1, 2, 3, -1, -3, -0.0, 1e300, np.inf, np.nan])
    assert np.signbit(away[6])
    np.testing.assert_array_equal(even, np.round(xv))
    np.testing.assert_array_equal(ir, [0, 1, 2, 3, -1, -3, 0])
    assert ir.dtype == np.int64


def test_pp_names() -> None:
    a, b = T.matrices("a", "b")
    assert refimpl.pp(T.iround(a)) == "int64(round_half_away_from_zero(a))"
    assert refimpl.pp(T.inv(a)) == "inv(a)"
    assert refimpl.pp(a // b) == "(a // b)"
    assert refimpl.pp(a % b) == "mod(a, b)"
    assert refimpl.pp(T.le(a, b)) == "le(a, b)"
    assert str(T.exp(a).owner.op) == "Elemwise{exp,no_inplace}"


# --------------------------------------------------------------------------- gradient conventions


def _lop(out: TensorVariable, gz: Any = None) -> list[Any]:
    node = out.owner
    assert node is not None
    g = T.ones_like(out) if gz is None else gz
    return node.op.L_op(node.inputs, node.outputs, [g])


def test_maximum_ties_split_the_gradient() -> None:
    a, b = var((None,), name="a"), var((None,), name="b")
    ga, gb = _lop(T.maximum(a, b))
    av, bv = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    got = run([a, b], [ga, gb], av, bv)
    np.testing.assert_array_equal(got[0], [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(got[1], [0.5, 1.0, 0.0])
    gm = _lop(T.minimum(a, b))
    got = run([a, b], gm, av, bv)
    np.testing.assert_array_equal(got[0], [0.5, 1.0, 0.0])


def test_clip_gradient_at_the_bounds() -> None:
    x, lo, hi = var((None,), name="x"), var((None,), name="lo"), var((None,), name="hi")
    gx, glo, ghi = _lop(T.clip(x, lo, hi))
    xv = np.array([-2.0, 0.0, 0.5, 1.0, 2.0])
    lov, hiv = np.zeros(5), np.ones(5)
    got = run([x, lo, hi], [gx, glo, ghi], xv, lov, hiv)
    np.testing.assert_array_equal(got[0], [0, 1, 1, 1, 0])  # ties at a bound go to x
    np.testing.assert_array_equal(got[1], [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(got[2], [0, 0, 0, 0, 1])


def test_pow_gradient_conventions() -> None:
    x, y = var((None,), name="x"), var((None,), name="y")
    gx, gy = _lop(x**y)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) * 0 before the switch
        got = run([x, y], [gx, gy], np.array([0.0, 2.0]), np.array([2.0, 3.0]))
    np.testing.assert_allclose(got[0], [0.0, 12.0])
    np.testing.assert_allclose(got[1], [0.0, np.log(2.0) * 8.0])  # d/dy at x == 0 is 0
    gx_int = _lop(x ** var((None,), "int64", "n"))
    assert gx_int[1] is None  # integer exponent: no gradient


def test_zero_gradients_are_connected_zeros() -> None:
    x = var((None,), name="x")
    for out in (T.floor(x), T.sgn(x), T.gt(x, 0), T.iround(x), x // 2.0):
        (g, *_) = _lop(out, T.ones_like(out).astype("float64"))
        assert isinstance(g, TensorVariable) and g.dtype == "float64"
        np.testing.assert_array_equal(run([x], g, np.array([0.3, -1.7])), [0.0, 0.0])
    i = var((None,), "int64", "i")
    assert _lop(T.floor(i), T.ones_like(T.floor(i))) == [None]


def test_missing_gradients_are_declared() -> None:
    x = var((None,), name="x")
    (g,) = _lop(T.psi(x))
    assert isinstance(g, NullGrad) and g.kind == "not_implemented" and "trigamma" in g.reason
    z = var((None,), "complex128", "z")
    (ga,) = _lop(T.angle(z), var((None,), "float64", "gz"))
    assert isinstance(ga, NullGrad) and ga.kind == "not_implemented"
    with pytest.raises(NullGradRopError, match="complex"):
        T.angle(z).owner.op.R_op([z], [z])
    with pytest.raises(NullGradRopError, match="trigamma"):
        T.psi(x).owner.op.R_op([x], [x])


def test_complex_parts_gradients() -> None:
    """Theano's convention: the gradient of a real cost C wrt z is dC/dRe + i dC/dIm."""
    re, im = var((None,), name="re"), var((None,), name="im")
    z = T.complex(re, im)
    gz = var((None,), "complex128", "gz")
    g_re, g_im = _lop(z, gz)
    got = run([re, im, gz], [g_re, g_im], [1.0], [2.0], [3.0 + 4.0j])
    np.testing.assert_allclose(got, [[3.0], [4.0]])
    zz = var((None,), "complex128", "zz")
    g = var((None,), name="g")
    for fn, want in ((T.real, 5.0 + 0j), (T.imag, 5.0j), (T.abs, 5.0 * (3 + 4j) / 5)):
        (gr,) = _lop(fn(zz), g)
        np.testing.assert_allclose(run([zz, g], gr, [3.0 + 4.0j], [5.0]), [want])
    v = var((None,), "complex128", "v")
    (r,) = T.abs(zz).owner.op.R_op([zz], [v])
    # d|z| along v = Re(conj(z) v)/|z|
    np.testing.assert_allclose(run([zz, v], r, [3.0 + 4.0j], [1.0 - 2.0j]), [(3 - 8) / 5])
    (rc,) = T.conj(zz).owner.op.R_op([zz], [v])
    np.testing.assert_allclose(run([zz, v], rc, [3.0 + 4.0j], [1.0 - 2.0j]), [1.0 + 2.0j])


@pytest.mark.parametrize("backend", BACKENDS)
def test_complex_values(backend: str) -> None:
    re, im = var((None,), "float32", "re"), var((None,), "float32", "im")
    z = T.complex(re, im)
    rv, iv = np.array([3.0, -1.0], "float32"), np.array([4.0, 0.0], "float32")
    outs = [z, T.abs(z), T.angle(z), T.conj(z), T.real(re), T.imag(re)]
    got = run([re, im], outs, rv, iv, backend=backend)
    np.testing.assert_allclose(got[0], [3 + 4j, -1 + 0j])
    assert got[0].dtype == np.complex64
    np.testing.assert_allclose(got[1], [5.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(got[2], [np.arctan2(4, 3), np.pi], rtol=1e-6)
    np.testing.assert_allclose(got[3], [3 - 4j, -1 - 0j])
    np.testing.assert_array_equal(got[4], [3.0, -1.0])
    np.testing.assert_array_equal(got[5], [0.0, 0.0])


def test_rop_of_a_broadcast_binary_op() -> None:
    x, y = var((None, 1), name="x"), var((1, None), name="y")
    vx, vy = var((None, 1), name="vx"), var((1, None), name="vy")
    out = x * y
    (both,) = out.owner.op.R_op([x, y], [vx, vy])
    (only_x,) = out.owner.op.R_op([x, y], [vx, None])
    assert only_x is not None and only_x.type.shape == out.type.shape
    xv, yv = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0, -1.0, 0.5, 2.0]])
    vxv, vyv = np.array([[0.5], [1.0], [-1.0]]), np.array([[2.0, 0.0, 1.0, -3.0]])
    got = run([x, y, vx, vy], [both, only_x], xv, yv, vxv, vyv)
    np.testing.assert_allclose(got[0], vxv * yv + xv * vyv)
    np.testing.assert_allclose(got[1], vxv * yv)
    assert got[1].shape == (3, 4)
    (rx,) = (x + y).owner.op.R_op([x, y], [vx, None])
    np.testing.assert_allclose(run([x, y, vx], rx, xv, yv, vxv), np.broadcast_to(vxv, (3, 4)))


def test_lop_sums_over_broadcast_axes() -> None:
    x, y = var((None, 1), name="x"), var((None, None), name="y")
    gx, gy = _lop(x * y)
    assert gx.type.shape[1] == 1
    xv, yv = np.array([[2.0], [3.0]]), np.arange(6.0).reshape(2, 3)
    got = run([x, y], [gx, gy], xv, yv)
    np.testing.assert_allclose(got[0], yv.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(got[1], np.broadcast_to(xv, (2, 3)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_isclose_and_allclose(backend: str) -> None:
    a, b = var((None,), name="a"), var((None,), name="b")
    av = np.array([1.0, np.inf, np.inf, np.nan, 1.0, 1e10])
    bv = np.array([1.0 + 1e-9, np.inf, -np.inf, np.nan, np.inf, 1.00001e10])
    with np.errstate(invalid="ignore"):  # inf - inf inside the composite
        got = run([a, b], [T.isclose(a, b), T.isclose(a, b, equal_nan=True), T.allclose(a, a)],
                  av, bv, backend=backend)  # fmt: skip
    np.testing.assert_array_equal(got[0], np.isclose(av, bv))
    np.testing.assert_array_equal(got[1], np.isclose(av, bv, equal_nan=True))
    assert not bool(got[2])  # nan != nan
    i = var((None,), "int8", "i")
    iv = np.array([127, -128], "int8")
    np.testing.assert_array_equal(run([i], T.isclose(i, -i), iv, backend=backend), [False, True])


@pytest.mark.parametrize("backend", BACKENDS)
def test_special_values(backend: str) -> None:
    x, y = var((None,), name="x"), var((None,), name="y")
    xv = np.array([-np.inf, np.inf, np.inf, 0.0, np.nan, 1.0])
    yv = np.array([-np.inf, np.inf, -np.inf, 0.0, 1.0, np.nan])
    got = run([x, y], [T.logaddexp(x, y), T.maximum(x, y), T.minimum(x, y)], xv, yv,
              backend=backend)  # fmt: skip
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got[0], np.logaddexp(xv, yv))
    np.testing.assert_array_equal(got[1], np.maximum(xv, yv))
    np.testing.assert_array_equal(got[2], np.minimum(xv, yv))
    n = var((None,), "int16", "n")
    got = run([n], [T.isnan(n), T.isinf(n), T.isfinite(n)], np.array([1, 2], "int16"),
              backend=backend)  # fmt: skip
    np.testing.assert_array_equal(got, [[False, False], [False, False], [True, True]])


def test_nary_add_mul_and_aliases() -> None:
    x = var((None,))
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(run([x], T.add(x, x, 1.0), xv), 2 * xv + 1)
    np.testing.assert_allclose(run([x], T.mul(x, x, x), xv), xv**3)
    np.testing.assert_allclose(run([x], T.largest(x, 1.5, -x), xv), [1.5, 2.0])
    assert T.abs_ is T.abs and T.where is T.switch and T.bitwise_not is T.invert
    assert T.floor_div is T.int_div and T.reciprocal is T.inv and T.sign is T.sgn
    c = x.copy(name="c")
    assert c.name == "c" and c.owner.op.fn is M.TENSOR_COPY
