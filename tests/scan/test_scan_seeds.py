"""Seed programmes tagged ``scan`` (spec/seeds.md, "scan (including ifelse)"),
one test per programme, named ``test_<seed-id>_<slug>``; each asserts the
output the catalogue gives."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import config, function, ifelse, scan, shared

BACKENDS = ["numpy", "array_api_strict"]


@pytest.fixture(autouse=True)
def _float64_default() -> Iterator[None]:
    old = config.floatX
    config.floatX = "float64"
    try:
        yield
    finally:
        config.floatX = old


def floatX(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x, dtype=config.floatX)


def np_(x: Any) -> np.ndarray[Any, Any]:
    return refimpl.backend.to_numpy(x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_000_18b_ifelse_between_two_reductions(backend: str) -> None:
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    f = function([a, b, x, y], ifelse(T.lt(a, b), T.mean(x), T.mean(y)), backend=backend)
    X, Y = np.ones((4, 3)), np.arange(12.0).reshape(4, 3)
    assert float(np_(f(0.0, 1.0, X, Y))) == X.mean()
    assert float(np_(f(1.0, 0.0, X, Y))) == Y.mean()


@pytest.mark.parametrize("backend", BACKENDS)
def test_000_19_power_by_scan(backend: str) -> None:
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = scan(
        fn=lambda prior_result, A: prior_result * A,
        outputs_info=T.ones_like(A),
        non_sequences=A,
        n_steps=k,
    )
    assert isinstance(updates, OrderedDict) and not updates
    power = function(inputs=[A, k], outputs=result[-1], updates=updates, backend=backend)
    np.testing.assert_array_equal(np_(power(np.arange(10.0), 2)), np.arange(10.0) ** 2)


def test_000_20_gibbs_sampling() -> None:
    random = pytest.importorskip("refimpl.random")
    from refimpl.nn import sigmoid

    rng = np.random.default_rng(0)
    W = shared(rng.normal(size=(6, 4)) * 0.5)
    bvis, bhid = shared(np.zeros(6)), shared(np.zeros(4))

    def build(seed: int) -> Any:
        trng = random.RandomStream(seed)

        def OneStep(vsample: Any, W: Any, bvis: Any, bhid: Any) -> Any:
            hmean = sigmoid(T.dot(vsample, W) + bhid)
            hsample = trng.binomial(size=hmean.shape, n=1, p=hmean)
            vmean = sigmoid(T.dot(hsample, W.T) + bvis)
            return trng.binomial(size=vsample.shape, n=1, p=vmean, dtype=config.floatX)

        sample = T.vector()
        values, updates = scan(
            fn=OneStep, outputs_info=sample, non_sequences=[W, bvis, bhid], n_steps=10
        )
        assert updates  # the random states advance through the loop's updates
        return function([sample], values[-1], updates=updates)

    gibbs10 = build(1234)
    draws = [np_(gibbs10(np.ones(6))) for _ in range(6)]
    for d in draws:
        assert d.shape == (6,) and set(np.unique(d)) <= {0.0, 1.0}
    assert any(not np.array_equal(draws[0], d) for d in draws[1:])
    np.testing.assert_array_equal(np_(build(1234)(np.ones(6))), draws[0])


def _taps_rnn() -> tuple[Any, list[Any]]:
    def oneStep(u_tm4: Any, u_t: Any, x_tm3: Any, x_tm1: Any, y_tm1: Any, W: Any, W_in_1: Any,
                W_in_2: Any, W_feedback: Any, W_out: Any) -> list[Any]:  # fmt: skip
        x_t = T.tanh(
            T.dot(x_tm1, W) + T.dot(u_t, W_in_1) + T.dot(u_tm4, W_in_2) + T.dot(y_tm1, W_feedback)
        )
        y_t = T.dot(x_tm3, W_out)
        return [x_t, y_t]

    W, W_in_1, W_in_2, W_feedback, W_out = T.matrices(5)
    u, x0, y0 = T.matrix(), T.matrix(), T.vector()
    (x_vals, y_vals), updates = scan(
        fn=oneStep,
        sequences=dict(input=u, taps=[-4, -0]),
        outputs_info=[dict(initial=x0, taps=[-3, -1]), y0],
        non_sequences=[W, W_in_1, W_in_2, W_feedback, W_out],
        strict=True,
    )
    assert not updates
    f = function([u, x0, y0, W, W_in_1, W_in_2, W_feedback, W_out], [x_vals, y_vals])
    return f, [u, x0, y0]


def test_000_21_scan_with_several_taps_against_numpy() -> None:
    f, _ = _taps_rnn()
    rng = np.random.default_rng(21)
    n_u, n_x, n_y, steps = 3, 4, 2, 9
    u = rng.normal(size=(steps, n_u))
    x0, y0 = rng.normal(size=(3, n_x)), rng.normal(size=n_y)
    W, W_in_1, W_in_2 = (
        rng.normal(size=(n_x, n_x)),
        rng.normal(size=(n_u, n_x)),
        rng.normal(size=(n_u, n_x)),
    )
    W_feedback, W_out = rng.normal(size=(n_y, n_x)), rng.normal(size=(n_x, n_y))
    xs, ys = [x0[0], x0[1], x0[2]], [y0]
    for t in range(steps - 4):  # step t reads u[t + 4] as u(t), u[t] as u(t-4)
        x_t = np.tanh(xs[-1] @ W + u[t + 4] @ W_in_1 + u[t] @ W_in_2 + ys[-1] @ W_feedback)
        ys.append(xs[-3] @ W_out)
        xs.append(x_t)
    x_vals, y_vals = f(u, x0, y0, W, W_in_1, W_in_2, W_feedback, W_out)
    assert x_vals.shape == (steps - 4, n_x) and y_vals.shape == (steps - 4, n_y)
    np.testing.assert_allclose(x_vals, np.array(xs[3:]), rtol=1e-12)
    np.testing.assert_allclose(y_vals, np.array(ys[1:]), rtol=1e-12)


def test_000_21_strict_rejects_a_variable_not_passed() -> None:
    W = T.matrix("W")
    u = T.matrix("u")
    with pytest.raises(ValueError, match=r"strict=True.*W"):
        scan(lambda u_t: T.dot(u_t, W), sequences=u, strict=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_000_22_003_31_until_powers_of_two(backend: str) -> None:
    max_value = T.scalar()
    results, _ = scan(
        fn=lambda v_pre, max_v: (v_pre * 2, refimpl.until(v_pre * 2 > max_v)),
        outputs_info=T.constant(1.0),
        non_sequences=max_value,
        n_steps=1000,
    )
    power_of_2 = function(inputs=[max_value], outputs=results[:-1], backend=backend)
    np.testing.assert_array_equal(np_(power_of_2(40)), [2.0, 4.0, 8.0, 16.0, 32.0])
    full = function([max_value], results, backend=backend)
    np.testing.assert_array_equal(np_(full(45)), [2.0, 4.0, 8.0, 16.0, 32.0, 64.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_22b_ifelse_is_lazy(backend: str) -> None:
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    f_ifelse = function([a, b, x, y], ifelse(T.lt(a, b), x, y), backend=backend)
    X, Y = np.ones((100, 10)), np.zeros((100, 10))
    np.testing.assert_array_equal(np_(f_ifelse(0.0, 1.0, X, Y)), X)
    np.testing.assert_array_equal(np_(f_ifelse(1.0, 0.0, X, Y)), Y)
    # the branch not taken may fail without affecting the result
    i = T.lscalar("i")
    g = function([a, b, x, i], ifelse(T.lt(a, b), x[i], x[0]), backend=backend)
    np.testing.assert_array_equal(np_(g(1.0, 0.0, X, 1000)), X[0])
    with pytest.raises(IndexError):
        g(0.0, 1.0, X, 1000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_23_scan_as_map(backend: str) -> None:
    x = T.vector()
    results, _ = scan(fn=lambda t: t * 2, sequences=x)
    x_double_scan = function([x], results, backend=backend)
    np.testing.assert_array_equal(np_(x_double_scan(range(10))), np.arange(10.0) * 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_24_map(backend: str) -> None:
    x = T.vector()
    result, _ = refimpl.map(fn=lambda t: t * 2, sequences=x)
    x_double_map = function([x], result, backend=backend)
    np.testing.assert_array_equal(np_(x_double_map(range(10))), np.arange(10.0) * 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_25_scan_as_reduce(backend: str) -> None:
    x = T.vector()
    result, _ = scan(fn=lambda t, v: t + v, sequences=x, outputs_info=floatX(0.0))
    x_sum_scan = function([x], result[-1], backend=backend)
    assert float(np_(x_sum_scan(range(10)))) == 45.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_26_reduce(backend: str) -> None:
    x = T.vector()
    result, _ = refimpl.reduce(fn=lambda t, v: t + v, sequences=x, outputs_info=0.0)
    x_sum_reduce = function([x], result, backend=backend)
    assert float(np_(x_sum_reduce(range(10)))) == 45.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_27_polynomial(backend: str) -> None:
    x = T.scalar("x")
    A = T.vectors("A")
    N = T.ivectors("N")
    components, _ = scan(fn=lambda a, n, v: a * (v**n), sequences=[A, N], non_sequences=x)
    polynomial = function([x, A, N], components.sum(), backend=backend)
    assert float(np_(polynomial(floatX(10), floatX([1, 3, 2]), [0, 2, 3]))) == 2301.0


def _tanh_recurrence(x_dim: int, y_dim: int, t: int, backend: str = "numpy") -> None:
    X = T.matrix("X")
    Y = T.vector("y")
    W_1, W_2, W_3 = T.matrix("W_1"), T.matrix("W_2"), T.matrix("W_3")
    results, _ = scan(
        fn=lambda x, x_pre, y: T.tanh(T.dot(W_1, y) + T.dot(W_2, x) + T.dot(W_3, x_pre)),
        sequences=dict(input=X, taps=[0, -1]),
        outputs_info=Y,
    )
    Y_seq = function(inputs=[X, Y, W_1, W_2, W_3], outputs=results, backend=backend)
    rng = np.random.default_rng(28)
    x = rng.uniform(-1, 1, (t, x_dim))
    y = -np.ones(y_dim)
    w1, w2, w3 = (rng.uniform(-1, 1, s) for s in [(y_dim, y_dim), (y_dim, x_dim), (y_dim, x_dim)])
    y_res = np.zeros((t, y_dim))
    y_res[0] = y
    for i in range(1, t):
        y_res[i] = np.tanh(w1.dot(y_res[i - 1]) + w2.dot(x[i]) + w3.dot(x[i - 1]))
    out = np_(Y_seq(x, y, w1, w2, w3))
    assert out.shape == (t - 1, y_dim)  # tap -1 uses one step
    np.testing.assert_allclose(out[:10], y_res[1:11], atol=1e-9, rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_28_sequence_taps_small_case(backend: str) -> None:
    _tanh_recurrence(10, 20, 1001 if backend == "numpy" else 30, backend)


def test_003_28_sequence_taps_large_case() -> None:
    _tanh_recurrence(100, 200, 1001)


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_29_matrix_power(backend: str) -> None:
    A = T.matrix("A")
    k = T.iscalar("k")
    results, _ = scan(
        fn=lambda P, A: P.dot(A), outputs_info=T.eye(A.shape[0]), non_sequences=A, n_steps=k
    )
    A_k = function(inputs=[A, k], outputs=results[-1], backend=backend)
    np.testing.assert_array_equal(
        np_(A_k(floatX([[2, -2], [-1, 2]]), 10)), [[107616.0, -152192.0], [-76096.0, 107616.0]]
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_003_30_shared_counter(backend: str) -> None:
    n = shared(floatX(0))
    k = T.iscalar("k")
    outs, updates = scan(fn=lambda n: {n: n + 1}, non_sequences=n, n_steps=k)
    assert outs is None and list(updates) == [n]
    counter = function(inputs=[k], outputs=[], updates=updates, backend=backend)
    assert float(np_(n.get_value())) == 0.0
    counter(10)
    assert float(np_(n.get_value())) == 10.0
    counter(10)
    assert float(np_(n.get_value())) == 20.0
