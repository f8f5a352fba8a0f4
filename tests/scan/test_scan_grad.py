"""Derivatives through scan (spec/scan.md, "Gradient"): verify_grad and Rop
against finite differences on several loops (taps -2/-1, future sequence
taps, non-sequences, until, folds, go_backwards, shared updates),
truncate_gradient, second and third derivatives, and the Jacobian of an
expression of unknown length."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import Apply, Op, Rop, ancestors, grad, shared
from refimpl.grad import NullGradError, hessian, jacobian, verify_grad
from refimpl.scan import foldr, map, reduce, scan, until
from refimpl.testing import check_rop_lop

RNG = np.random.default_rng(2024)


def np_(x: Any) -> Any:
    return refimpl.backend.to_numpy(x)


class _NumpyOutputs:
    """A compiled function whose outputs come back as numpy arrays (the
    suite may run on another backend: REFIMPL_FLAGS=backend=...)."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.fgraph = f.fgraph

    def __call__(self, *args: Any) -> Any:
        out = self.f(*args)
        return [np_(o) for o in out] if isinstance(out, list) else np_(out)


def function(*args: Any, **kwargs: Any) -> Any:
    return _NumpyOutputs(refimpl.function(*args, **kwargs))


Loop = Callable[..., Any]


def cumprod(x: Any) -> Any:
    return scan(lambda r, p: p * r, sequences=x, outputs_info=T.ones_like(x[0]))[0]


def two_taps(u: Any, a: Any, y0: Any) -> Any:
    return scan(
        lambda ut, y2, y1, c: c[0] * y1 + c[1] * T.tanh(y2) + ut,
        sequences=u,
        outputs_info=dict(initial=y0, taps=[-2, -1]),
        non_sequences=a,
    )[0]


def future_taps(x: Any, w: Any) -> Any:
    return scan(
        lambda xm1, x0, xp2, s, w: T.tanh(w * s + xm1 * x0 - xp2),
        sequences=dict(input=x, taps=[-1, 0, 2]),
        outputs_info=T.zeros_like(x[0]),
        non_sequences=w,
    )[0]


def two_states_and_map_output(x: Any, s0: Any, W: Any) -> Any:
    (h, c, y), _ = scan(
        lambda xt, h, c, W: [T.tanh(T.dot(W, h) + xt), c + h * xt, T.sum(h * h)],
        sequences=x,
        outputs_info=[s0, T.zeros_like(s0), None],
        non_sequences=W,
    )
    return [h, c, y]


def until_loop(x0: Any, w: Any) -> Any:
    return scan(
        lambda s, w: (s * w + 1.0, until(T.sum(s) > 5.0)),
        outputs_info=x0,
        non_sequences=w,
        n_steps=50,
    )[0]


def until_with_taps(y0: Any, w: Any) -> Any:
    return scan(
        lambda y2, y1, w: (w * y1 + 0.5 * y2, until(T.sum(T.abs(y1)) > 3.0)),
        outputs_info=dict(initial=y0, taps=[-2, -1]),
        non_sequences=w,
        n_steps=40,
    )[0]


def fold(x: Any, s0: Any) -> Any:
    return reduce(lambda xt, s: T.sin(s) * xt + s, sequences=x, outputs_info=s0)[0]


def fold_right(x: Any, s0: Any) -> Any:
    return foldr(lambda xt, s: T.sin(s) * xt + s, sequences=x, outputs_info=s0)[0]


def backwards(x: Any, s0: Any) -> Any:
    return scan(lambda xt, s: T.tanh(s + xt), sequences=x, outputs_info=s0, go_backwards=True)[0]


def mapped(x: Any, w: Any) -> Any:
    return map(lambda xt, w: T.exp(xt * w), sequences=x, non_sequences=w)[0]


def nested(M: Any, w: Any) -> Any:
    def row(r: Any, w: Any) -> Any:
        return scan(
            lambda v, s, w: T.tanh(s * w + v),
            sequences=r,
            outputs_info=T.constant(0.0),
            non_sequences=w,
        )[0]

    return scan(row, sequences=M, non_sequences=w)[0]


CASES: list[tuple[str, Loop, list[tuple[int, ...]]]] = [
    ("cumprod", cumprod, [(4, 3)]),
    ("two_taps", two_taps, [(5, 3), (2,), (2, 3)]),
    ("future_taps", future_taps, [(6, 2), (2,)]),
    ("two_states", two_states_and_map_output, [(4, 3), (3,), (3, 3)]),
    ("fold", fold, [(4, 3), (3,)]),
    ("foldr", fold_right, [(4, 3), (3,)]),
    ("backwards", backwards, [(4, 3), (3,)]),
    ("map", mapped, [(4, 2), (2,)]),
    ("nested", nested, [(3, 4), ()]),
]


def _point(shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray[Any, Any]]:
    return [RNG.uniform(-0.9, 0.9, s) for s in shapes]


@pytest.mark.parametrize("name, loop, shapes", CASES, ids=[c[0] for c in CASES])
def test_verify_grad(name: str, loop: Loop, shapes: list[tuple[int, ...]]) -> None:
    verify_grad(loop, _point(shapes), rng=RNG)


@pytest.mark.parametrize("name, loop, shapes", CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_rop_lop(name: str, loop: Loop, shapes: list[tuple[int, ...]]) -> None:
    check_rop_lop(loop, _point(shapes), n_tests=1)


def test_until_gradients_use_the_executed_steps() -> None:
    x0, w = np.array([0.3, 0.2]), np.array([1.3, 1.1])
    a, b = T.vector("a"), T.vector("b")
    assert function([a, b], until_loop(a, b))(x0, w).shape == (3, 2)
    verify_grad(until_loop, [x0, w], rng=RNG)
    check_rop_lop(until_loop, [x0, w], n_tests=1)
    y0, w2 = np.array([[0.1, 0.2], [0.3, 0.1]]), np.array([1.2, 0.9])
    m = T.matrix("m")
    assert function([m, b], until_with_taps(m, b))(y0, w2).shape == (7, 2)
    verify_grad(until_with_taps, [y0, w2], rng=RNG)  # PyTensor #2217


def test_truncate_gradient() -> None:
    x, s0 = T.matrix("x"), T.vector("s0")
    k = 2
    out, _ = scan(lambda xt, s: T.tanh(s + xt), sequences=x, outputs_info=s0, truncate_gradient=k)
    gx, gs = function([x, s0], grad(T.sum(out), [x, s0]))(*_point([(5, 3), (3,)]))
    xv, sv = RNG.uniform(-1, 1, (5, 3)), RNG.uniform(-1, 1, 3)
    gx, gs = function([x, s0], grad(T.sum(out), [x, s0]))(xv, sv)
    ys = [sv]
    for t in range(5):
        ys.append(np.tanh(ys[-1] + xv[t]))
    d4 = 1 - ys[5] ** 2  # step 4 (the last), then step 3; earlier steps are cut
    d3 = (1 + d4) * (1 - ys[4] ** 2)
    np.testing.assert_allclose(gx[3:], [d3, d4], rtol=1e-12)
    np.testing.assert_array_equal(gx[:3], 0.0)
    np.testing.assert_array_equal(gs, 0.0)
    # with k >= N the gradient is the full one
    full, _ = scan(lambda xt, s: T.tanh(s + xt), sequences=x, outputs_info=s0, truncate_gradient=9)
    exact, _ = scan(lambda xt, s: T.tanh(s + xt), sequences=x, outputs_info=s0)
    g9 = function([x, s0], grad(T.sum(full), [x, s0]))(xv, sv)
    ge = function([x, s0], grad(T.sum(exact), [x, s0]))(xv, sv)
    for a, b in zip(g9, ge):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_gradient_through_a_shared_variable_updated_in_the_loop() -> None:
    k = shared(np.float64(1.5), name="k")
    x = T.vector("x")
    out, upd = scan(lambda xt: [xt * k, {k: k * 2}], sequences=x)
    cost = T.sum(out)
    gx, gk, gfinal = grad(cost, x), grad(cost, k), grad(upd[k], k)
    f = function([x], [gx, gk, gfinal])
    xv = np.array([1.0, -2.0, 3.0])
    a, b, c = f(xv)
    np.testing.assert_allclose(a, 1.5 * 2.0 ** np.arange(3), rtol=1e-15)
    np.testing.assert_allclose(b, np.sum(xv * 2.0 ** np.arange(3)), rtol=1e-15)
    assert float(c) == 8.0


def test_gradient_with_integer_sequences_and_n_steps() -> None:
    x = T.scalar("x")
    A = T.vector("A")
    N = T.ivector("N")
    comps, _ = scan(lambda a, n, v: a * (v**n), sequences=[A, N], non_sequences=x)
    gx, gA = grad(comps.sum(), [x, A])
    r = function([x, A, N], [gx, gA])(
        10.0, np.array([1.0, 3.0, 2.0]), np.array([0, 2, 3], dtype=np.int32)
    )
    np.testing.assert_allclose(r[0], 3 * 2 * 10 + 2 * 3 * 100)
    np.testing.assert_allclose(r[1], [1.0, 100.0, 1000.0])
    gN = grad(comps.sum(), N)  # an integer input: zeros (Theano's float zeros)
    assert not np.any(function([x, A, N], gN, on_unused_input="ignore")(
        1.0, np.ones(3), np.ones(3, dtype=np.int32)))  # fmt: skip


def test_sequences_longer_than_n_steps_get_zero_rows() -> None:
    x = T.vector("x")
    n = T.lscalar("n")
    out, _ = scan(lambda xt, s: s * xt, sequences=x, outputs_info=T.constant(1.0), n_steps=n)
    g = function([x, n], grad(out[-1], x))(np.array([2.0, 3.0, 4.0, 5.0]), 2)
    np.testing.assert_allclose(g, [3.0, 2.0, 0.0, 0.0])


def test_second_derivatives_three_hvp_modes() -> None:
    x, s0, w, v = T.matrix("x"), T.vector("s0"), T.vector("w"), T.vector("v")
    out, _ = scan(
        lambda xt, s, w: T.tanh(s * w + xt), sequences=x, outputs_info=s0, non_sequences=w
    )
    cost = T.sum(out**2)
    g = grad(cost, w)
    hv = [grad(T.sum(g * v), w), Rop(g, w, v), grad(Rop(cost, w, v), w)]
    f = function([x, s0, w, v], hv)
    X, S, W, V = _point([(5, 3), (3,), (3,), (3,)])
    a1, a2, a3 = f(X, S, W, V)
    np.testing.assert_allclose(a2, a1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a3, a1, rtol=1e-10, atol=1e-12)
    gf = function([x, s0, w], g)
    eps = 1e-6
    fd = (gf(X, S, W + eps * V) - gf(X, S, W - eps * V)) / (2 * eps)
    np.testing.assert_allclose(a1, fd, rtol=1e-6, atol=1e-8)


def test_third_derivative() -> None:
    w = T.scalar("w")
    out, _ = scan(lambda s, w: s * w, outputs_info=T.constant(1.0), non_sequences=w, n_steps=4)
    d1 = grad(out[-1], w)  # d/dw w**4 = 4 w**3
    d2 = grad(d1, w)
    d3 = grad(d2, w)
    r = function([w], [out[-1], d1, d2, d3])(1.5)
    np.testing.assert_allclose(r, [1.5**4, 4 * 1.5**3, 12 * 1.5**2, 24 * 1.5], rtol=1e-14)


@dataclass(frozen=True)
class NoGrad(Op):
    no_grad_reason = "a test op without a gradient"

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (inputs[0] * 2,)


def test_a_step_without_gradient_gives_a_null_gradient() -> None:
    x = T.vector("x")
    out, _ = scan(lambda xt, s: NoGrad()(s) + xt, sequences=x, outputs_info=T.constant(0.0))
    with pytest.raises(NullGradError, match="no gradient"):
        grad(T.sum(out), x)


def test_disconnected_inputs_are_detected_through_the_loop() -> None:
    x, w, u = T.vector("x"), T.scalar("w"), T.scalar("u")
    (a, _b), _ = scan(lambda xt, w, u: [xt * w, xt * u], sequences=x, non_sequences=[w, u])
    with pytest.raises(Exception, match="disconnected"):
        grad(T.sum(a), u)
    gw = grad(T.sum(a), w)
    np.testing.assert_allclose(function([x, w, u], gw)(np.array([1.0, 2.0]), 3.0, 5.0), 3.0)
    # the backward loop reads only what the used output's step needs
    back = next(n for n in ancestors([gw]) if n.owner and "grad_of" in str(n.owner.op)).owner
    assert not any(i is u for i in back.inputs)


def test_jacobian_of_unknown_length() -> None:
    x, A = T.dvector("x"), T.dmatrix("A")
    jA, jx = jacobian(T.tanh(T.dot(A, x)), [A, x])
    f = function([A, x], [jA, jx])
    Av, xv = RNG.normal(size=(2, 3)), np.array([0.1, 0.2, 0.3])
    ra, rx = f(Av, xv)
    d = 1 - np.tanh(Av @ xv) ** 2
    np.testing.assert_allclose(rx, d[:, None] * Av, rtol=1e-14)
    np.testing.assert_allclose(ra, np.einsum("i,ij,k->ijk", d, np.eye(2), xv), rtol=1e-14)
    M = T.dmatrix("M")
    jm = function([M], jacobian(M**2, M))(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(jm.reshape(4, 4), np.diag([2.0, 4.0, 6.0, 8.0]))
    H = function([x], hessian(T.sum(T.exp(x)) * T.sum(x), x))(xv)
    e = np.exp(xv)
    np.testing.assert_allclose(H, np.diag(e * xv.sum()) + e[:, None] + e[None, :], rtol=1e-14)
    assert function([x], jacobian(T.exp(x), x))(np.zeros(0)).shape == (0, 0)
