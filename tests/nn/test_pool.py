"""pool_2d: values against direct loops for every mode with ignore_border
True/False, strides and padding; gradients (ties go to the first maximum),
R_op, the seeds' shape rules, errors (spec/nn.md, "pool_2d")."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import nn
from refimpl.grad import Rop, verify_grad
from tests.nn._util import run

NDArray = np.ndarray[Any, Any]
MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def loop_pool(x: NDArray, ws: tuple[int, int], ib: bool, st: tuple[int, int],
              pad: tuple[int, int], mode: str) -> NDArray:  # fmt: skip
    """Theano's rule, one window at a time, on an explicitly padded copy."""
    h, w = x.shape[-2:]
    fill = -np.inf if mode == "max" else 0.0
    xp = np.full((*x.shape[:-2], h + 2 * pad[0], w + 2 * pad[1]), fill)
    xp[..., pad[0] : pad[0] + h, pad[1] : pad[1] + w] = x
    inside = np.zeros(xp.shape[-2:])
    inside[pad[0] : pad[0] + h, pad[1] : pad[1] + w] = 1

    def n_out(n: int, a: int) -> int:
        if ib:
            return (n + 2 * pad[a] - ws[a]) // st[a] + 1
        return (
            (n - 1) // st[a] + 1 if st[a] >= ws[a] else max(0, (n - 1 - ws[a] + st[a]) // st[a]) + 1
        )

    ho, wo = n_out(h, 0), n_out(w, 1)
    out = np.zeros((*x.shape[:-2], ho, wo))
    for r, c in itertools.product(range(ho), range(wo)):
        rs = slice(r * st[0], min(r * st[0] + ws[0], xp.shape[-2]))
        cs = slice(c * st[1], min(c * st[1] + ws[1], xp.shape[-1]))
        block = xp[..., rs, cs]
        if mode == "max":
            out[..., r, c] = block.max(axis=(-2, -1))
        elif mode == "sum":
            out[..., r, c] = block.sum(axis=(-2, -1))
        elif mode == "average_inc_pad":
            out[..., r, c] = block.sum(axis=(-2, -1)) / block[0, 0].size
        else:
            out[..., r, c] = block.sum(axis=(-2, -1)) / inside[rs, cs].sum()
    return out


CONFIGS = [
    ((2, 2), True, None, (0, 0)),
    ((2, 2), False, None, (0, 0)),
    ((3, 2), True, (1, 2), (0, 0)),
    ((3, 3), False, (2, 1), (0, 0)),
    ((2, 3), False, (3, 3), (0, 0)),
    ((3, 3), True, (2, 2), (1, 2)),
    ((2, 2), True, (1, 1), (1, 1)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws,ib,st,pad", CONFIGS)
def test_pool_matches_direct_loops(ws: Any, ib: bool, st: Any, pad: Any, mode: str,
                                   backend: str) -> None:  # fmt: skip
    xv = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    x = T.dtensor4("x")
    out = nn.pool_2d(x, ws, ignore_border=ib, stride=st, pad=pad, mode=mode)
    got = run([x], out, xv, backend=backend)
    np.testing.assert_allclose(got, loop_pool(xv, ws, ib, st or ws, pad, mode), rtol=1e-14)


def test_pool_2d_of_a_matrix_and_float32(backend: str) -> None:
    xv = np.arange(20.0).reshape(4, 5)
    x = T.fmatrix("x")
    got = run([x], nn.pool_2d(x, (2, 2), ignore_border=False), xv.astype(np.float32),
              backend=backend)  # fmt: skip
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [[6, 8, 9], [16, 18, 19]])


def test_shape_rules_seed_003_71() -> None:
    x = T.TensorType("float64", (None, 5, 5))("x")
    assert nn.pool_2d(x, (2, 2), ignore_border=True).type.shape == (None, 2, 2)
    assert nn.pool_2d(x, (2, 2), ignore_border=False).type.shape == (None, 3, 3)
    y = T.dtensor3("y")
    f = refimpl.function([y], [nn.pool_2d(y, (2, 2)), nn.pool_2d(y, (2, 2), ignore_border=False)])
    a, b = f(np.zeros((1, 5, 5)))
    assert a.shape == (1, 2, 2) and b.shape == (1, 3, 3)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws,ib,st,pad", [CONFIGS[0], CONFIGS[3], CONFIGS[5]])
def test_pool_gradients(ws: Any, ib: bool, st: Any, pad: Any, mode: str) -> None:
    rng = np.random.default_rng(1)
    xv = rng.permutation(60).reshape(1, 2, 6, 5) / 7.0  # distinct: no ties

    def f(v: Any) -> Any:
        return nn.pool_2d(v, ws, ignore_border=ib, stride=st, pad=pad, mode=mode)

    verify_grad(f, [xv])


def test_max_pool_gradient_ties_go_to_the_first_maximum() -> None:
    x = T.dmatrix("x")
    xv = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]])  # every window has a tie at 3
    g = run([x], refimpl.grad(T.sum(nn.pool_2d(x, (2, 2), stride=(1, 1))), x), xv)
    np.testing.assert_array_equal(g, [[0, 2, 0], [0, 0, 0]])  # both windows pick (0, 1)


def test_max_pool_rop_is_the_gather_at_the_maximum(backend: str) -> None:
    rng = np.random.default_rng(2)
    xv = rng.permutation(30).reshape(1, 5, 6) / 3.0
    vv = rng.normal(size=xv.shape)
    x, v = T.dtensor3("x"), T.dtensor3("v")
    out = nn.pool_2d(x, (2, 3), ignore_border=False, stride=(2, 2))
    r = run([x, v], Rop(out, x, v), xv, vv, backend=backend)
    f = refimpl.function([x], out)
    h = 1e-6  # piecewise linear: exact while no argmax changes
    np.testing.assert_allclose(r, (f(xv + h * vv) - f(xv - h * vv)) / (2 * h), rtol=1e-6)


def test_second_derivatives_exist() -> None:
    xv = np.random.default_rng(3).permutation(36).reshape(6, 6) / 5.0
    for mode in MODES:

        def g(v: Any, mode: str = mode) -> Any:
            return refimpl.grad(T.sum(nn.pool_2d(v, (2, 2), mode=mode) ** 2), v)

        verify_grad(g, [xv])


# --------------------------------------------------------------------------- errors


def test_window_larger_than_the_input() -> None:
    x = T.TensorType("float64", (2, 3, 2, 5))("small")
    with pytest.raises(ValueError, match="small.*ignore_border=False"):
        nn.pool_2d(x, (3, 3))
    assert nn.pool_2d(x, (3, 3), ignore_border=False).type.shape == (2, 3, 1, 2)
    y = T.dtensor4("y")
    f = refimpl.function([y], nn.pool_2d(y, (3, 3)))
    with pytest.raises(ValueError, match="larger than the input"):
        f(np.zeros((1, 1, 2, 5)))


@pytest.mark.parametrize(
    "kwargs,error",
    [
        (dict(ws=(0, 2)), ValueError),
        (dict(ws=(2, 2), pad=(2, 0)), ValueError),
        (dict(ws=(2, 2), pad=(1, 0), ignore_border=False), ValueError),
        (dict(ws=(2, 2), mode="average"), ValueError),
        (dict(ws=(2, 2), stride=(0, 1)), ValueError),
        (dict(ws=(2.0, 2)), TypeError),
        (dict(ws=(2, 2), ignore_border=None), TypeError),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        nn.pool_2d(T.dtensor4("x"), **kwargs)


def test_bad_ndim_and_dtype() -> None:
    with pytest.raises(TypeError, match="vec.*at least 2"):
        nn.pool_2d(T.dvector("vec"), (2, 2))
    with pytest.raises(TypeError, match="ints.*float"):
        nn.pool_2d(T.lmatrix("ints"), (2, 2))
