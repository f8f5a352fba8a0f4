"""Statistics and errors of ``refimpl.random`` (spec/random.md).

Every distribution with large samples and fixed seeds (means and variances
within 5 standard errors, chi-square and Kolmogorov-Smirnov bounds: the
seeds are fixed, so these are deterministic, never flaky); build-time and
run-time errors; gradients with respect to distribution parameters.
(The generator, portability and stream tests are in ``test_random.py``.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import refimpl.tensor as T
from refimpl import function, grad
from refimpl.backend import to_numpy
from refimpl.random import RandomStream
from refimpl.random import ops as R

NDArray = np.ndarray[Any, Any]
BACKENDS = ("numpy", "array_api_strict")


def _np(x: Any) -> NDArray:
    return np.asarray(to_numpy(x))


# --------------------------------------------------------------------------- statistics

N = 200_000


def _sample(build: Callable[[RandomStream], Any], seed: int = 1) -> NDArray:
    return _np(function([], build(RandomStream(seed)))())


def _within(mean: float, expected: float, sd: float, n: int) -> bool:
    return abs(mean - expected) <= 5 * sd / math.sqrt(n)


def _ks(x: NDArray, cdf: Callable[[NDArray], NDArray]) -> float:
    """sqrt(n) * the Kolmogorov-Smirnov statistic."""
    xs = np.sort(x)
    n = xs.size
    c = cdf(xs)
    d = max(np.max(np.arange(1, n + 1) / n - c), np.max(c - np.arange(n) / n))
    return float(d * math.sqrt(n))


def _chi2_ok(counts: NDArray, expected: NDArray) -> bool:
    """The chi-square statistic within df + 6 sqrt(2 df) (p << 1e-6)."""
    stat = float(np.sum((counts - expected) ** 2 / expected))
    df = counts.size - 1
    return stat <= df + 6 * math.sqrt(2 * df)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_uniform_statistics(dtype: str) -> None:
    x = _sample(lambda r: r.uniform(-1.0, 3.0, size=(N,), dtype=dtype)).astype(np.float64)
    assert x.min() >= -1 and x.max() < 3
    assert _within(x.mean(), 1.0, 4 / math.sqrt(12), N)
    assert abs(x.var() - 16 / 12) < 5 * 16 * math.sqrt(1 / 180) / math.sqrt(N)
    assert _ks(x, lambda v: (v + 1) / 4) < 1.95


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_normal_statistics(dtype: str) -> None:
    x = _sample(lambda r: r.normal(2.0, 3.0, size=(N,), dtype=dtype)).astype(np.float64)
    assert _within(x.mean(), 2.0, 3.0, N)
    assert abs(x.var() / 9 - 1) < 5 * math.sqrt(2 / N)
    erf = np.vectorize(math.erf)
    assert _ks(x, lambda v: 0.5 * (1 + erf((v - 2) / (3 * math.sqrt(2))))) < 1.95


@pytest.mark.parametrize(("n", "p"), [(1, 0.3), (5, 0.4), (3, 0.5)])
def test_binomial_statistics(n: int, p: float) -> None:
    x = _sample(lambda r: r.binomial(size=(N,), n=n, p=p)).astype(np.float64)
    assert x.min() >= 0 and x.max() <= n
    assert _within(x.mean(), n * p, math.sqrt(n * p * (1 - p)), N)
    counts = np.bincount(x.astype(np.int64), minlength=n + 1)
    pmf = np.array([math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)])
    assert _chi2_ok(counts, N * pmf)


def test_binomial_n1_is_exactly_u_below_p() -> None:
    """Same stream position: binomial(n=1) == (uniform < p) elementwise."""
    p = np.linspace(0, 1, 101)
    b = _sample(lambda r: r.binomial(n=1, p=p))
    u = _sample(lambda r: r.uniform(size=(101,)))
    assert np.array_equal(b, (u < p).astype(np.int64))


def test_multinomial_statistics() -> None:
    pv = np.array([0.1, 0.2, 0.3, 0.4])
    x = _sample(lambda r: r.multinomial(size=(N // 4,), n=1, pvals=pv))
    assert x.shape == (N // 4, 4) and np.all(x.sum(axis=1) == 1)
    assert _chi2_ok(x.sum(axis=0), N // 4 * pv)
    y = _sample(lambda r: r.multinomial(n=6, pvals=np.tile(pv, (N // 8, 1))))
    assert np.all(y.sum(axis=1) == 6)
    assert _chi2_ok(y.sum(axis=0), 6 * (N // 8) * pv)


def test_choice_statistics() -> None:
    x = _sample(lambda r: r.choice(7, size=(N,)))
    assert _chi2_ok(np.bincount(x, minlength=7), np.full(7, N / 7))
    p = np.array([0.5, 0.0, 0.25, 0.25])
    y = _sample(lambda r: r.choice(4, size=(N,), p=p))
    counts = np.bincount(y, minlength=4)
    assert counts[1] == 0 and _chi2_ok(counts[[0, 2, 3]], N * p[[0, 2, 3]])
    a = T.as_tensor_variable(np.array([10.0, 20.0, 30.0]))
    assert set(_sample(lambda r: r.choice(a, size=(50,))).tolist()) == {10.0, 20.0, 30.0}


def test_choice_without_replacement() -> None:
    r = RandomStream(3)
    f = function([], r.choice(6, size=(2, 3), replace=False))
    firsts = []
    for _ in range(1200):
        v = _np(f())
        assert sorted(v.ravel().tolist()) == list(range(6))
        firsts.append(int(v[0, 0]))
    assert _chi2_ok(np.bincount(firsts, minlength=6), np.full(6, 200.0))
    w = np.array([0.4, 0.3, 0.2, 0.1, 0.0])
    g = function([], RandomStream(4).choice(5, size=(2,), replace=False, p=w))
    pairs = [tuple(_np(g()).tolist()) for _ in range(1500)]
    assert all(a != b and 4 not in (a, b) for a, b in pairs)
    first = np.bincount([a for a, _ in pairs], minlength=5)[:4]
    assert _chi2_ok(first, 1500 * w[:4])  # the first pick is proportional to p


def test_permutation_statistics() -> None:
    perms = _sample(lambda r: r.permutation((N // 10,), 5))
    assert perms.shape == (N // 10, 5)
    assert np.all(np.sort(perms, axis=1) == np.arange(5))
    table = np.stack([np.bincount(perms[:, k], minlength=5) for k in range(5)])
    assert _chi2_ok(table.ravel(), np.full(25, N / 10 / 5))
    single = _sample(lambda r: r.permutation(9))
    assert sorted(single.tolist()) == list(range(9))


def test_integers_statistics() -> None:
    x = _sample(lambda r: r.integers(-3, 4, size=(N,)))
    assert x.min() == -3 and x.max() == 3
    assert _chi2_ok(np.bincount(x + 3, minlength=7), np.full(7, N / 7))
    y = _sample(lambda r: r.random_integers((N,), 1, 6))
    assert y.min() == 1 and y.max() == 6
    z = _sample(lambda r: r.integers(2**40, size=(1000,)))
    assert z.max() > 2**39  # the whole range is reached (63-bit words)


# --------------------------------------------------------------------------- errors


def test_build_time_errors() -> None:
    r = RandomStream(0)
    cases: list[tuple[type[Exception], str, Callable[[], Any]]] = [
        (TypeError, "dtype", lambda: r.uniform(size=(2,), dtype="int64")),
        (TypeError, "dtype", lambda: r.normal(size=(2,), dtype="int32")),
        (TypeError, "dtype", lambda: r.integers(0, 5, dtype="float64")),
        (TypeError, "dtype", lambda: r.binomial((2,), dtype="complex128")),
        (TypeError, "low", lambda: r.uniform(T.cvector("lo"), 1.0)),
        (TypeError, "low", lambda: r.integers(0.5, 3)),
        (TypeError, "high", lambda: r.integers(0, T.dscalar("h"))),
        (TypeError, "p", lambda: r.binomial((2,), p=T.bvector("p") > 0)),
        (TypeError, "n", lambda: r.binomial((2,), n=T.lscalar("n"))),
        (TypeError, "pvals", lambda: r.multinomial(n=1)),
        (TypeError, "ndim", lambda: r.uniform(size=T.lvector("s"))),
        (TypeError, "size", lambda: r.uniform(size=(2.0, 3))),
        (TypeError, "seed", lambda: RandomStream(1.5)),
        (ValueError, "seed", lambda: RandomStream(-1)),
        (ValueError, "size", lambda: r.uniform(size=(2, -1))),
        (ValueError, "low", lambda: r.uniform(2.0, 1.0)),
        (ValueError, "scale", lambda: r.normal(0.0, -1.0)),
        (ValueError, "p", lambda: r.binomial((2,), p=1.5)),
        (ValueError, "n", lambda: r.binomial((2,), n=-1)),
        (ValueError, "pvals", lambda: r.multinomial(pvals=[0.7, 0.7, 0.1])),
        (ValueError, "p", lambda: r.choice(3, p=[0.5, 0.6, 0.1])),
        (ValueError, "low < high", lambda: r.integers(3, 3)),
        (ValueError, "int8", lambda: r.integers(0, 300, dtype="int8")),
        (ValueError, "dimensions", lambda: r.normal(T.dmatrix("m"), size=(3,))),
        (ValueError, "vector", lambda: r.choice(T.dmatrix("a"))),
        (TypeError, "a", lambda: r.choice(T.cvector("a"))),
    ]
    for exc, words, make in cases:
        with pytest.raises(exc, match=words):
            make()


@pytest.mark.parametrize("name", BACKENDS)
def test_run_time_errors(name: str) -> None:
    r = RandomStream(0)
    p, lo, hi, sd = T.dvector("p"), T.dscalar("lo"), T.dscalar("hi"), T.dscalar("sd")
    il, ih = T.lscalar("il"), T.lscalar("ih")
    n = T.lscalar("n")
    fb = function([p], r.binomial(p=p), backend=name)
    assert _np(fb([0.0, 1.0])).tolist() == [0, 1]
    for bad in ([0.5, 1.5], [-0.1], [math.nan]):
        with pytest.raises(ValueError, match="p must lie in"):
            fb(bad)
    fu = function([lo, hi], r.uniform(lo, hi), backend=name)
    with pytest.raises(ValueError, match="low must be <= high"):
        fu(2.0, 1.0)
    with pytest.raises(ValueError, match="scale"):
        function([sd], r.normal(0.0, sd), backend=name)(-1.0)
    with pytest.raises(ValueError, match="low < high"):
        function([il, ih], r.integers(il, ih), backend=name)(4, 4)
    fc = function([n], r.choice(n, size=(4,), replace=False), backend=name)
    assert sorted(_np(fc(4)).tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="more samples"):
        fc(3)
    pm = T.dmatrix("pm")
    with pytest.raises(ValueError, match="pvals"):
        function([pm], r.multinomial(pvals=pm), backend=name)([[0.9, 0.9, 0.1]])
    before = r.updates()[0][0].get_value()
    with pytest.raises(ValueError):
        fb([2.0])
    assert np.array_equal(_np(r.updates()[0][0].get_value()), _np(before))


# --------------------------------------------------------------------------- gradients


def _fd(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def test_gradients_flow_to_parameters() -> None:
    r = RandomStream(8)
    loc, scale, lo, hi = T.dscalars("loc", "scale", "lo", "hi")
    z = r.normal(loc, scale, size=(20,))
    u = r.uniform(lo, hi, size=(20,))
    w = np.linspace(-1, 1, 20)
    cost = T.sum(z * w) + T.sum(u**2)
    ins = [loc, scale, lo, hi]
    fc = function(ins, cost, no_default_updates=True)
    fg = function(ins, grad(cost, ins), no_default_updates=True)
    x0 = [0.5, 1.5, -1.0, 2.0]
    g = [float(_np(v)) for v in fg(*x0)]
    for k in range(4):

        def at(t: float, k: int = k) -> float:
            args = list(x0)
            args[k] = t
            return float(_np(fc(*args)))

        assert abs(g[k] - _fd(at, x0[k])) < 1e-6 * max(1.0, abs(g[k]))


def test_choice_gradient_counts_the_picks() -> None:
    r = RandomStream(2)
    a = T.dvector("a")
    s = r.choice(a, size=(50,))
    f = function([a], [s, grad(T.sum(s), a)], no_default_updates=True)
    picks, g = (_np(v) for v in f(np.array([1.0, 2.0, 4.0])))
    assert np.array_equal(g, [np.sum(picks == v) for v in (1.0, 2.0, 4.0)])


def test_check_parameter_op() -> None:
    x = T.dvector("x")
    y = R.check_parameter(x, T.gt(x, 0), msg="x must be positive")
    assert y.type == x.type
    f = function([x], [y, grad(T.sum(y * y), x)])
    v, g = (_np(t) for t in f([1.0, 2.0]))
    assert v.tolist() == [1.0, 2.0] and g.tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="x must be positive"):
        f([1.0, -2.0])
    with pytest.raises(TypeError, match="bool"):
        R.check_parameter(x, x, msg="m")
