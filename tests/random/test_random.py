"""Tests of ``refimpl.random`` (spec/random.md): the generator and streams.

- Threefry-2x32-20 against the Random123 known-answer vectors, through an
  independent plain-Python implementation written here, and the vectorised
  generator against it on every installed namespace;
- ``RandomBits``: counter layout, carries, state advance, shapes, errors;
- the same seed gives bit-identical numbers on every installed namespace
  (numpy, array_api_strict; torch, jax, dask when installed) and mode;
  normal to about an ulp; the documented algorithm end to end;
- the seed programmes 000-16 and 003-41 and a dropout programme;
- the uniform's ``high`` corner, the stream API (updates, reseeding,
  positional orders, dtypes, shapes) and DebugMode.

Statistics, errors and gradients are in ``test_random_stats.py``. (This
folder has no ``__init__.py``: a package named ``random`` under ``tests/``
would shadow the standard library's ``random`` module.)
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Any

import array_api_strict
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refimpl
import refimpl.tensor as T
from refimpl import function, grad
from refimpl.backend import to_numpy
from refimpl.graph.basic import ancestors
from refimpl.random import RandomStream, threefry
from refimpl.random import distributions as D
from refimpl.random import ops as R

NDArray = np.ndarray[Any, Any]
BACKENDS = ("numpy", "array_api_strict")
MODULES = {"torch": "torch", "jax": "jax", "dask": "dask.array"}
M32 = 0xFFFFFFFF


def _installed(name: str) -> bool:
    try:
        importlib.import_module(MODULES.get(name, name))
    except ImportError:
        return False
    return True


ALL_NAMESPACES = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(not _installed(name), reason=f"{name} is not installed"),
    )
    for name in ("numpy", "array_api_strict", "torch", "jax", "dask")
]


# --------------------------------------------------------------------------- independent reference


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & M32


def tf_reference(key: tuple[int, int], ctr: tuple[int, int]) -> tuple[int, int]:
    """Threefry-2x32-20 written from the Random123 description, independently
    of refimpl: 5 groups of 4 rounds, each followed by a key injection."""
    rot = [13, 15, 26, 6, 17, 29, 16, 24]
    ks = [key[0], key[1], key[0] ^ key[1] ^ 0x1BD11BDA]
    x = [(ctr[0] + ks[0]) & M32, (ctr[1] + ks[1]) & M32]
    for group in range(5):
        for j in range(4):
            x[0] = (x[0] + x[1]) & M32
            x[1] = _rotl(x[1], rot[(4 * group + j) % 8]) ^ x[0]
        s = group + 1
        x[0] = (x[0] + ks[s % 3]) & M32
        x[1] = (x[1] + ks[(s + 1) % 3] + s) & M32
    return x[0], x[1]


KAT = [  # Random123 kat_vectors, threefry2x32_20: (counter, key) -> output
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x243F6A88, 0x85A308D3), (0x13198A2E, 0x03707344), (0xC4923A9C, 0x483DF7A0)),
]


def ref_words(state: Sequence[int], n: int) -> tuple[list[int], list[int]]:
    key = (state[0], state[1])
    base = state[3] << 32 | state[2]
    out0, out1 = [], []
    for i in range(n):
        c = (base + i) % 2**64
        a, b = tf_reference(key, (c & M32, c >> 32))
        out0.append(a)
        out1.append(b)
    return out0, out1


def ref_stream_state(seed: int, draw: int) -> list[int]:
    k0, k1 = tf_reference((seed & M32, seed >> 32), (draw, 0))
    return [k0, k1, 0, 0]


def _xp(name: str) -> Any:
    return refimpl.resolve_backend(name).xp


def _np(x: Any) -> NDArray:
    return np.asarray(to_numpy(x))


# --------------------------------------------------------------------------- Threefry


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_known_answer_vectors(
    ctr: tuple[int, int], key: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert tf_reference(key, ctr) == expected
    assert threefry.threefry2x32_ints(key, ctr) == expected


@pytest.mark.parametrize("name", ALL_NAMESPACES)
def test_known_answers_on_every_namespace(name: str) -> None:
    xp = _xp(name)
    ctr = np.array([c for c, _, _ in KAT], dtype=np.int64)
    key = np.array([k for _, k, _ in KAT], dtype=np.int64)
    a = refimpl.backend.to_backend(ctr, refimpl.resolve_backend(name))
    k = refimpl.backend.to_backend(key, refimpl.resolve_backend(name))
    y0, y1 = threefry.threefry2x32(xp, k[:, 0], k[:, 1], a[:, 0], a[:, 1])
    got = list(zip(_np(y0).tolist(), _np(y1).tolist()))
    assert got == [e for _, _, e in KAT]


@given(st.lists(st.integers(0, M32), min_size=4, max_size=4), st.integers(0, 40))
def test_generator_matches_reference(state: list[int], n: int) -> None:
    arr = np.asarray(state, dtype=np.int64)
    for name in BACKENDS:
        xp = _xp(name)
        x0, x1, new = threefry.random_words(xp, xp.asarray(arr), n)
        r0, r1 = ref_words(state, n)
        assert _np(x0).tolist() == r0 and _np(x1).tolist() == r1
        end = (state[3] << 32 | state[2]) + n
        assert _np(new).tolist() == [state[0], state[1], end & M32, (end >> 32) & M32]


def test_generator_respects_the_device() -> None:
    xp = array_api_strict
    dev = xp.Device("device1")
    state = xp.asarray(np.array([1, 2, 3, 4], dtype=np.int64), device=dev)
    x0, _, new = threefry.random_words(xp, state, 5)
    assert x0.device == dev and new.device == dev


# --------------------------------------------------------------------------- RandomBits


@pytest.mark.parametrize("name", BACKENDS)
def test_random_bits_layout_and_carry(name: str) -> None:
    st_ = T.lvector("state")
    new_state, words = R.random_bits(st_, (3, 2), blocks=2)
    f = function([st_], [new_state, words], backend=name)
    state = [7, 9, M32 - 4, M32]  # the counter crosses 2**32 and wraps at 2**64
    new, w = (_np(v) for v in f(np.array(state)))
    assert w.shape == (4, 3, 2) and w.dtype == np.int64
    r0, r1 = ref_words(state, 12)
    for b in range(2):
        assert w[2 * b].ravel().tolist() == r0[6 * b : 6 * b + 6]
        assert w[2 * b + 1].ravel().tolist() == r1[6 * b : 6 * b + 6]
    assert new.tolist() == [7, 9, 7, 0]


def test_random_bits_types_and_errors() -> None:
    st_ = T.lvector("state")
    n = T.lscalar("n")
    new_state, words = R.random_bits(st_, (2, n), blocks=1)
    assert new_state.type.shape == (4,) and words.type.shape == (2, 2, None)
    x = T.dmatrix("x")
    assert R.random_bits(st_, T.specify_shape(x, (3, 4)).shape)[1].type.shape == (2, 3, 4)
    with pytest.raises(TypeError, match="state"):
        R.RandomBits(1, 1)(T.dvector("s"), (2,))
    with pytest.raises(ValueError, match="length 4"):
        R.RandomBits(1, 1)(T.TensorType("int64", (3,))("s"), (2,))
    with pytest.raises(ValueError, match=">= 0"):
        R.random_bits(st_, (2, -1))
    with pytest.raises(TypeError, match="size"):
        R.random_bits(st_, (2.5,))
    f = function([st_, n], words)
    with pytest.raises(ValueError, match="each >= 0"):
        f(np.zeros(4, dtype=np.int64), -1)
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros(3, dtype=np.int64), 1)
    assert R.RandomBits.no_grad_reason and R.RandomBits.no_rop_reason


# --------------------------------------------------------------------------- portability


def _programme(seed: int) -> tuple[RandomStream, dict[str, Any]]:
    """Every distribution; each draw consumes 24 counters (so that namespaces
    compiling per shape, as jax does, reuse their kernels)."""
    r = RandomStream(seed)
    x = T.dvector("x")
    w = np.linspace(1.0, 2.0, 24)
    outs = {
        "u64": r.uniform(size=(24,)),
        "u32": r.uniform(-2.0, 3.0, size=(8, 3), dtype="float32"),
        "n64": r.normal(1.0, 2.0, size=(12,)),
        "n32": r.normal(size=(24,), dtype="float32"),
        "b1": r.binomial((24,), p=0.3),
        "b5": r.binomial(size=(8,), n=5, p=T.constant(np.float32(0.7))),
        "m1": r.multinomial(n=1, pvals=np.tile([0.2, 0.3, 0.5], (24, 1))),
        "m4": r.multinomial(size=(6,), n=4, pvals=[0.1, 0.9]),
        "c": r.choice(10, size=(24,)),
        "cp": r.choice(4, size=(24,), p=[0.1, 0.2, 0.3, 0.4]),
        "cn": r.choice(x, size=(3,), replace=False),
        "cnp": r.choice(24, size=(5,), replace=False, p=w / w.sum()),
        "perm": r.permutation((3,), 8),
        "i": r.integers(-10, 10, size=(24,)),
        "i8": r.integers(100, size=(24,), dtype="int8"),
    }
    return r, {"inputs": [x], "outputs": outs}


def _run(name: str, mode: str, seed: int = 2024) -> dict[str, NDArray]:
    _, prog = _programme(seed)
    outs = prog["outputs"]
    f = function(prog["inputs"], list(outs.values()), backend=name, mode=mode)
    return dict(zip(outs, (_np(v) for v in f(np.arange(24.0)))))


@pytest.mark.parametrize("name", ALL_NAMESPACES)
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_same_seed_same_numbers_everywhere(name: str, mode: str) -> None:
    expected = _run("numpy", "FAST_COMPILE")
    got = _run(name, mode)
    for key, e in expected.items():
        g = got[key]
        assert g.dtype == e.dtype and g.shape == e.shape, key
        if key.startswith("n"):  # transcendentals: about an ulp (measured <= 4.4e-16)
            eps = np.finfo(e.dtype).eps
            assert np.max(np.abs(g - e)) <= 2 * eps * np.max(np.abs(e)), key
        else:
            assert np.array_equal(g, e), key


def test_stream_follows_the_documented_algorithm() -> None:
    """End to end: state keys from (seed, draw index), counters, conversions."""
    seed = 12345678901234
    r = RandomStream(seed)
    u = r.uniform(size=(4,))
    f32 = r.uniform(size=(3,), dtype="float32")
    bits = function([], [u, f32])()
    s0, s1 = ref_stream_state(seed, 0), ref_stream_state(seed, 1)
    a, b = ref_words(s0, 4)
    expected = [((x >> 5) * 2**26 + (y >> 6)) * 2.0**-53 for x, y in zip(a, b)]
    assert _np(bits[0]).tolist() == expected
    a32, _ = ref_words(s1, 3)
    assert _np(bits[1]).tolist() == [float(np.float32((x >> 8) * 2.0**-24)) for x in a32]
    assert _np(u.rng.get_value()).tolist() == [s0[0], s0[1], 4, 0]


# --------------------------------------------------------------------------- seed programmes


@pytest.mark.parametrize("name", BACKENDS)
def test_seed_000_16(name: str) -> None:
    srng = RandomStream(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u, backend=name)
    g = function([], rv_n, no_default_updates=True, backend=name)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u, backend=name)
    a, b = _np(f()), _np(f())
    assert a.shape == (2, 2) and np.all((0 <= a) & (a < 1)) and not np.array_equal(a, b)
    assert np.array_equal(_np(g()), _np(g()))
    assert np.allclose(_np(nearly_zeros()), 0.0)
    again = RandomStream(seed=234)
    assert np.array_equal(_np(function([], again.uniform((2, 2)), backend=name)()), a)


def test_seed_003_41_symbolic_size() -> None:
    def make() -> Any:
        srng = RandomStream(12345)
        rand_size = T.vector(dtype="int64")
        outs = [
            srng.normal(rand_size.shape),
            srng.uniform(rand_size.shape),
            srng.binomial(rand_size.shape),
        ]
        return function(inputs=[rand_size], outputs=outs)

    f_rand = make()
    first = [_np(v) for v in f_rand(range(5))]
    normal, uniform, binomial = first
    assert normal.shape == uniform.shape == binomial.shape == (5,)
    assert np.all((0 <= uniform) & (uniform < 1))
    assert binomial.dtype == np.int64 and set(binomial.tolist()) <= {0, 1}
    second = [_np(v) for v in f_rand(range(5))]
    assert not np.array_equal(second[1], uniform)
    assert all(np.array_equal(a, b) for a, b in zip(make()(range(5)), first))


@pytest.mark.parametrize("name", BACKENDS)
def test_dropout_programme(name: str) -> None:
    """003-42's dropout: ``X *= srng.binomial(X.shape, p=1-p); X /= 1 - p``."""
    srng = RandomStream(5)
    X = T.matrix("X")
    w = refimpl.shared(np.ones((4, 3)), "w")
    p = 0.25
    h = X
    h = h * srng.binomial(h.shape, p=1 - p, dtype=refimpl.config.floatX)
    h = h / (1 - p)
    cost = T.sum(T.dot(h, w))
    f = function([X], [h, grad(cost, w)], backend=name)
    out, gw = (_np(v) for v in f(np.ones((500, 4))))
    assert set(np.unique(out).tolist()) <= {0.0, 1 / (1 - p)}
    kept = np.mean(out > 0)
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / out.size)
    assert np.allclose(gw, out.sum(axis=0)[:, None] * np.ones((1, 3)))


# --------------------------------------------------------------------------- uniform corner


def _with_words(out: Any, words: NDArray) -> NDArray:
    """``out`` computed with the ``RandomBits`` words replaced by ``words``."""
    node = next(
        v.owner for v in ancestors([out]) if v.owner and isinstance(v.owner.op, R.RandomBits)
    )
    w = node.outputs[1]
    return _np(function([], out, givens={w: T.constant(words.astype(np.int64))})())


def test_uniform_never_returns_high() -> None:
    top = np.array([[M32], [M32]])  # the largest unit uniform
    st_ = T.lvector("s")
    _, u32 = D.uniform(st_, 3.0, 4.0, size=(1,), dtype="float32")
    v = _with_words(u32, top)
    assert v[0] < 4 and v[0] == np.nextafter(np.float32(4), np.float32(3))
    _, u64 = D.uniform(st_, size=(1,))
    assert _with_words(u64, top)[0] == 1 - 2.0**-53
    lo, hi = T.fscalar("lo"), T.fscalar("hi")
    _, us = D.uniform(st_, lo, hi, size=(1,), dtype="float32")
    node = next(
        v.owner for v in ancestors([us]) if v.owner and isinstance(v.owner.op, R.RandomBits)
    )
    f = function([lo, hi], us, givens={node.outputs[1]: T.constant(top.astype(np.int64))})
    assert _np(f(3.0, 4.0))[0] < 4
    assert _np(f(2.5, 2.5))[0] == 2.5  # low == high gives low


# --------------------------------------------------------------------------- stream API


def test_default_updates_and_freezing() -> None:
    r = RandomStream(11)
    u = r.uniform(size=(3,))
    state = u.rng
    assert state.default_update is u.update[1] and r.updates() == [u.update]
    frozen = function([], u, no_default_updates=True)
    a, b = _np(frozen()), _np(frozen())
    assert np.array_equal(a, b)
    explicit = function([], u, no_default_updates=True, updates=r.updates())
    assert np.array_equal(_np(explicit()), a) and not np.array_equal(_np(explicit()), a)
    assert _np(state.get_value()).tolist()[2] == 6  # two calls of 3 counters


def test_seed_reseeds_every_state() -> None:
    r = RandomStream(1)
    u, n = r.uniform(size=(4,)), r.normal(size=(4,))
    f = function([], [u, n])
    first = [_np(v) for v in f()]
    f()
    r.seed()  # restart under the same seed
    assert all(np.array_equal(a, _np(b)) for a, b in zip(first, f()))
    r.seed(2)
    other = [_np(v) for v in f()]
    assert not np.array_equal(other[0], first[0])
    assert np.array_equal(other[0], _np(function([], RandomStream(2).uniform(size=(4,)))()))
    assert r.default_instance_seed == 2
    assert isinstance(RandomStream().default_instance_seed, int)


def test_draws_are_independent() -> None:
    r = RandomStream(9)
    a, b = r.uniform(size=(1000,)), r.uniform(size=(1000,))
    va, vb = (_np(v) for v in function([], [a, b])())
    assert abs(np.corrcoef(va, vb)[0, 1]) < 5 / math.sqrt(1000)


def test_positional_orders_and_aliases() -> None:
    r = RandomStream(0)
    assert r.uniform((2, 3)).type.shape == (2, 3)  # Theano: size first
    assert r.uniform(0.0, 2.0, (4,)).type.shape == (4,)  # numpy: low, high, size
    assert r.uniform((2,), 5.0, 6.0, dtype="float32").dtype == "float32"
    v = _np(function([], r.normal((3,), avg=10.0, std=0.001))())
    assert np.all(np.abs(v - 10) < 0.01)
    assert r.normal(loc=0.0, scale=1.0, size=(2,)).type.shape == (2,)
    assert r.permutation(5).type.shape == (5,)
    assert r.permutation((2, 3), 4).type.shape == (2, 3, 4)
    assert r.binomial((2, 1)).type.shape == (2, 1)
    with pytest.raises(TypeError, match="multiple values"):
        r.uniform((2,), 0.0, low=1.0)
    with pytest.raises(TypeError, match="loc or avg"):
        r.normal(loc=1.0, avg=1.0)
    with pytest.raises(TypeError, match="n is required"):
        r.permutation()


def test_dtypes_and_shapes() -> None:
    r = RandomStream(0)
    old = refimpl.config.floatX
    try:
        refimpl.config.floatX = "float32"
        assert r.uniform(size=(2,)).dtype == "float32"
        assert r.uniform(T.dvector("lo"), 1.0).dtype == "float64"  # float tensors promote
    finally:
        refimpl.config.floatX = old
    assert r.uniform(size=(2,)).dtype == "float64"
    assert r.binomial((3,), dtype="int8").dtype == "int8"
    x = T.TensorType("float64", (None, 5))("x")
    assert r.binomial(x.shape, p=0.5).type.shape == (None, 5)
    loc = T.dvector("loc")
    assert r.normal(loc).ndim == 1
    f = function([loc], r.normal(loc, size=(2, 3)))
    assert _np(f(np.zeros(3))).shape == (2, 3)
    with pytest.raises(ValueError, match="length 3"):  # loc does not broadcast to size
        function([loc], r.normal(loc, size=(2, 4)))(np.zeros(3))
    with pytest.raises(ValueError, match="expected length 1"):  # nor may it stretch size
        function([loc], r.normal(loc, size=(2, 1)))(np.zeros(3))
    assert _np(function([], r.uniform(size=(0, 3)))()).shape == (0, 3)
    m = T.lscalar("m")
    g = function([m], r.uniform(size=(m, 2)))
    assert _np(g(3)).shape == (3, 2)
    n = T.lvector("n")
    assert r.uniform(size=n, ndim=2).ndim == 2


def test_constant_parameters_are_checked_when_building() -> None:
    r = RandomStream(0)
    b = r.binomial((3,), p=0.5)
    assert not any(
        isinstance(v.owner.op, R.CheckParameter) for v in ancestors([b]) if v.owner is not None
    )
    p = T.dvector("p")
    b2 = r.binomial(p=p)
    assert any(
        isinstance(v.owner.op, R.CheckParameter) for v in ancestors([b2]) if v.owner is not None
    )


def test_debug_mode_runs_every_distribution() -> None:
    _, prog = _programme(77)
    outs = prog["outputs"]
    f = function(prog["inputs"], list(outs.values()), mode="DebugMode")
    expected = _run("numpy", "FAST_COMPILE", seed=77)
    for key, value in zip(outs, f(np.arange(24.0))):
        assert np.allclose(_np(value), expected[key], rtol=1e-15, atol=0), key
