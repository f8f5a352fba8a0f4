"""conv2d: values against direct loops for every border mode, stride,
dilation and filter_flip; gradients and R_op against finite differences;
the seeds' shape arithmetic; errors (spec/nn.md, "conv2d")."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import nn
from refimpl.grad import Rop, verify_grad
from refimpl.nn import _conv_specs as S
from tests.nn._util import run

NDArray = np.ndarray[Any, Any]


def loop_conv(x: NDArray, w: NDArray, pad: tuple[int, int], st: tuple[int, int],
              dil: tuple[int, int], flip: bool) -> NDArray:  # fmt: skip
    """The definition, one scalar at a time."""
    b, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    ho = (h + 2 * pad[0] - (kh - 1) * dil[0] - 1) // st[0] + 1
    wo = (wd + 2 * pad[1] - (kw - 1) * dil[1] - 1) // st[1] + 1
    out = np.zeros((b, oc, ho, wo))
    for n, o, y, z, ci, i, j in itertools.product(
        range(b), range(oc), range(ho), range(wo), range(c), range(kh), range(kw)
    ):
        r, s = y * st[0] + i * dil[0] - pad[0], z * st[1] + j * dil[1] - pad[1]
        if 0 <= r < h and 0 <= s < wd:
            out[n, o, y, z] += x[n, ci, r, s] * w[o, ci, i, j]
    return out


def _pads(mode: Any, k: tuple[int, int], dil: tuple[int, int]) -> tuple[int, int]:
    ext = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    if mode == "valid":
        return 0, 0
    if mode == "full":
        return ext[0] - 1, ext[1] - 1
    if mode == "half":
        return ext[0] // 2, ext[1] // 2
    return (mode, mode) if isinstance(mode, int) else mode  # type: ignore[no-any-return]


CASES = [
    ("valid", (1, 1), (1, 1), True),
    ("full", (1, 1), (1, 1), True),
    ("half", (1, 1), (1, 1), True),
    ("valid", (2, 3), (1, 1), True),
    ("full", (2, 1), (1, 2), False),
    ("half", (1, 2), (2, 1), True),
    (1, (1, 1), (1, 1), False),
    ((2, 0), (3, 2), (2, 2), True),
    ("valid", (1, 1), (2, 2), False),
]


@pytest.mark.parametrize("mode,st,dil,flip", CASES)
def test_conv2d_matches_direct_loops(
    mode: Any, st: Any, dil: Any, flip: bool, backend: str
) -> None:
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(2, 3, 3, 2))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    out = nn.conv2d(x, w, border_mode=mode, subsample=st, filter_dilation=dil, filter_flip=flip)
    got = run([x, w], out, xv, wv, backend=backend)
    expected = loop_conv(xv, wv, _pads(mode, (3, 2), dil), st, dil, flip)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
    params = dict(border_mode=mode if not isinstance(mode, int) else (mode, mode), subsample=st,
                  filter_dilation=dil, filter_flip=flip)  # fmt: skip
    np.testing.assert_allclose(S.ref_conv2d(xv, wv, **params), expected, atol=1e-13)


def test_conv2d_is_numpys_convolution_along_a_row() -> None:
    # numpy.convolve flips its kernel; numpy.correlate does not (independent of refimpl)
    rng = np.random.default_rng(1)
    xv, wv = rng.normal(size=(1, 1, 1, 9)), rng.normal(size=(1, 1, 1, 4))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    for mode in ("valid", "full"):
        conv = run([x, w], nn.conv2d(x, w, border_mode=mode), xv, wv)[0, 0, 0]
        corr = run([x, w], nn.conv2d(x, w, border_mode=mode, filter_flip=False), xv, wv)[0, 0, 0]
        np.testing.assert_allclose(conv, np.convolve(xv[0, 0, 0], wv[0, 0, 0], mode), atol=1e-14)
        np.testing.assert_allclose(corr, np.correlate(xv[0, 0, 0], wv[0, 0, 0], mode), atol=1e-14)


def test_conv2d_float32_and_mixed_dtypes(backend: str) -> None:
    rng = np.random.default_rng(2)
    xv, wv = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 2, 2))
    x, w = T.ftensor4("x"), T.ftensor4("w")
    got = run([x, w], nn.conv2d(x, w), xv.astype(np.float32), wv.astype(np.float32),
              backend=backend)  # fmt: skip
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, loop_conv(xv, wv, (0, 0), (1, 1), (1, 1), True), rtol=1e-5,
                               atol=1e-5)  # fmt: skip
    assert nn.conv2d(x, T.dtensor4()).dtype == "float64"


@pytest.mark.parametrize("mode,st,dil,flip", CASES[3:8])
def test_conv2d_gradients(mode: Any, st: Any, dil: Any, flip: bool) -> None:
    rng = np.random.default_rng(3)
    xv, wv = rng.normal(size=(2, 2, 6, 7)), rng.normal(size=(2, 2, 2, 3))

    def f(x: Any, w: Any) -> Any:
        return nn.conv2d(x, w, border_mode=mode, subsample=st, filter_dilation=dil,
                         filter_flip=flip)  # fmt: skip

    verify_grad(f, [xv, wv])


def test_conv2d_rop_and_second_order() -> None:
    rng = np.random.default_rng(4)
    xv, wv = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 2))
    vx, vw = rng.normal(size=xv.shape), rng.normal(size=wv.shape)
    x, w, ex, ew = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("ex"), T.dtensor4("ew")
    out = nn.conv2d(x, w, border_mode="half", subsample=(2, 1))
    r = run([x, w, ex, ew], Rop(out, [x, w], [ex, ew]), xv, wv, vx, vw)
    f = refimpl.function([x, w], out)
    h = 1.0
    fd = (f(xv + h * vx, wv + h * vw) - f(xv - h * vx, wv - h * vw)) / (2 * h)  # exact: bilinear
    np.testing.assert_allclose(r, fd, rtol=1e-12, atol=1e-12)
    # the gradient of the gradient exists (the three ops are closed under L_op)
    cost = T.sum(refimpl.grad(T.sum(out**2), w) ** 2)
    verify_grad(lambda a, b: refimpl.grad(T.sum(nn.conv2d(a, b) ** 2), b), [xv, wv])
    assert np.isfinite(run([x, w], cost, xv, wv))


def test_grad_ops_are_adjoint(backend: str) -> None:
    rng = np.random.default_rng(5)
    xv, wv = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(2, 3, 2, 3))
    x, w, t = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("t")
    op = nn.Conv2d("full", (2, 3), True, (1, 2))
    out = op(x, w)
    tv = rng.normal(size=run([x, w], out, xv, wv).shape)
    gi = op._as(nn.Conv2dGradInputs)(w, t, [7, 6])
    gw = op._as(nn.Conv2dGradWeights)(x, t, [2, 3])
    o, a, b = run([x, w, t], [out, gi, gw], xv, wv, tv, backend=backend)
    lhs = np.sum(o * tv)
    np.testing.assert_allclose(lhs, np.sum(xv * a), rtol=1e-12)
    np.testing.assert_allclose(lhs, np.sum(wv * b), rtol=1e-12)


# --------------------------------------------------------------------------- seed shapes


def test_seed_002_07_arithmetic_on_a_small_image(backend: str) -> None:
    # 9x9 filters then 2x2 pooling: (h - 8, w - 8) then floor halves
    rng = np.random.default_rng(23455)
    img = rng.random((1, 3, 39, 36))
    inp = T.tensor4(name="input")
    W = refimpl.shared(rng.uniform(-0.06, 0.06, size=(2, 3, 9, 9)), name="W")
    b = refimpl.shared(rng.uniform(-0.5, 0.5, size=(2,)), name="b")
    conv_out = nn.conv2d(inp, W)
    pooled = nn.pool_2d(input=conv_out, ws=(2, 2), ignore_border=True)
    f = refimpl.function([inp], nn.sigmoid(conv_out + b.dimshuffle("x", 0, "x", "x")),
                         backend=backend)  # fmt: skip
    f2 = refimpl.function([inp], nn.sigmoid(pooled + b.dimshuffle("x", 0, "x", "x")),
                          backend=backend)  # fmt: skip
    assert f(img).shape == (1, 2, 31, 28)
    assert f2(img).shape == (1, 2, 15, 14)


def test_seed_002_07_full_size_shapes_without_computing() -> None:
    inp = T.tensor4(name="input")
    W = T.dtensor4("W")
    conv_out = nn.conv2d(inp, W, input_shape=(1, 3, 639, 516), filter_shape=(2, 3, 9, 9))
    pooled = nn.pool_2d(conv_out, ws=(2, 2), ignore_border=True)
    assert conv_out.type.shape == (1, 2, 631, 508)  # static: known at build time
    assert pooled.type.shape == (1, 2, 315, 254)
    # infer_shape from symbolic shapes (no convolution is computed)
    x, k = T.dtensor4("x"), T.dtensor4("k")
    c = nn.conv2d(x, k)
    p = nn.pool_2d(c, (2, 2))
    n = T.lvector("n")
    shapes = [T.constant(v, dtype="int64") for v in (1, 3, 639, 516)]
    kshape = [T.constant(v, dtype="int64") for v in (2, 3, 9, 9)]
    cs = c.owner.op.infer_shape(c.owner, [tuple(shapes), tuple(kshape)])[0]
    ps = p.owner.op.infer_shape(p.owner, [tuple(cs)])[0]
    got = refimpl.function([n], [T.stack(list(cs)), T.stack(list(ps))], on_unused_input="ignore")(
        [0]
    )
    assert [tuple(int(v) for v in g) for g in got] == [(1, 2, 631, 508), (1, 2, 315, 254)]


def test_border_mode_shape_rules_seed_003_71() -> None:
    x = T.TensorType("float64", (4, 3, 10, 12))("x")
    w = T.TensorType("float64", (5, 3, 3, 4))("w")
    assert nn.conv2d(x, w).type.shape == (4, 5, 8, 9)
    assert nn.conv2d(x, w, border_mode="full").type.shape == (4, 5, 12, 15)
    assert nn.conv2d(x, w, border_mode="half").type.shape == (4, 5, 10, 13)  # even fw: +1
    assert nn.conv2d(x, w, border_mode=(1, 2), subsample=2).type.shape == (4, 5, 5, 7)
    assert nn.conv2d(x, w, filter_dilation=(2, 3)).type.shape == (4, 5, 6, 3)


# --------------------------------------------------------------------------- errors


def test_channel_mismatch_names_both() -> None:
    x = T.TensorType("float64", (None, 3, None, None))("images")
    w = T.TensorType("float64", (2, 4, 3, 3))("kernels")
    with pytest.raises(ValueError, match=r"images.*\(\?, 3, \?, \?\).*kernels.*\(2, 4, 3, 3\)"):
        nn.conv2d(x, w)
    a, b = T.dtensor4("a"), T.dtensor4("b")
    f = refimpl.function([a, b], nn.conv2d(a, b))
    with pytest.raises(ValueError, match="input channels"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3)))


def test_filters_larger_than_the_input() -> None:
    x = T.TensorType("float64", (1, 1, 4, 4))("x")
    w = T.TensorType("float64", (1, 1, 5, 2))("w")
    with pytest.raises(ValueError, match="do not fit"):
        nn.conv2d(x, w)
    nn.conv2d(x, w, border_mode="full")  # fits
    a, b = T.dtensor4("a"), T.dtensor4("b")
    f = refimpl.function([a, b], nn.conv2d(a, b, filter_dilation=2))
    with pytest.raises(ValueError, match="do not fit"):
        f(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize(
    "kwargs,error",
    [
        (dict(border_mode="same"), ValueError),
        (dict(border_mode=(-1, 0)), ValueError),
        (dict(subsample=0), ValueError),
        (dict(subsample=(1.5, 1)), TypeError),
        (dict(filter_dilation=(1, 1, 1)), ValueError),
        (dict(filter_flip="yes"), TypeError),
        (dict(input_shape=(1, 2)), ValueError),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        nn.conv2d(T.dtensor4("x"), T.dtensor4("w"), **kwargs)


def test_bad_ndim_and_dtype() -> None:
    with pytest.raises(TypeError, match="m3.*4-d"):
        nn.conv2d(T.dtensor3("m3"), T.dtensor4("w"))
    with pytest.raises(TypeError, match="ints.*float"):
        nn.conv2d(T.dtensor4("x"), T.ltensor4("ints"))


def test_shape_hints_are_checked_at_run_time() -> None:
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = refimpl.function([x, w], nn.conv2d(x, w, input_shape=(None, 2, None, None)))
    with pytest.raises(ValueError, match="specify_shape"):
        f(np.zeros((1, 3, 4, 4)), np.zeros((1, 3, 2, 2)))
