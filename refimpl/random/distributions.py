"""Distributions as composites of ``RandomBits`` words.

Each builder takes a state variable (an int64 vector ``[key0, key1,
counter_lo, counter_hi]``: a ``RandomStream`` passes its shared state, the
test specs an ordinary input) and returns ``(new_state, sample)``. Only
``RandomBits`` draws; everything else is built from ordinary ops, so
``normal(loc, scale)`` is differentiable in ``loc`` and ``scale`` and every
rewrite and check of refimpl applies. Parameter checks that need values
(``p`` in ``[0, 1]``, ``scale >= 0`` ...) are made when the graph is built
for constants and at run time (``CheckParameter``) otherwise. Argument
parsing lives in ``_params``; the normative text is ``spec/random.md``.
"""

from __future__ import annotations

import importlib
import math
from types import ModuleType
from typing import Any

from refimpl.random import _params as _P
from refimpl.random import ops as _ops
from refimpl.types import DType
from refimpl.variable import TensorVariable

TV = TensorVariable
Draw = tuple[TV, TV]
TWO_PI = 2.0 * math.pi


def _T() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


# --------------------------------------------------------------------------- words → numbers


def unit_uniforms(words: TV, dtype: DType) -> TV:
    """Uniforms in ``[0, 1)`` of ``dtype`` from ``RandomBits`` words (word
    axis first): float32 takes one word each, ``(a >> 8) * 2**-24``; float64
    a pair, ``((a >> 5) * 2**26 + (b >> 6)) * 2**-53``. Every step is exact,
    so the bits are the same on every namespace."""
    T = _T()
    if dtype == "float32":
        return T.cast(T.int_div(words, 256), "float32") * 2.0**-24  # type: ignore[no-any-return]
    a, b = words[0::2], words[1::2]
    mantissa = T.int_div(a, 32) * 67108864 + T.int_div(b, 64)
    return T.cast(mantissa, "float64") * 2.0**-53  # type: ignore[no-any-return]


def blocks_for(count: int, dtype: DType) -> int:
    """``RandomBits`` blocks (2 words each) giving ``count`` uniforms of ``dtype``."""
    per_block = 2 if dtype == "float32" else 1
    return max(1, -(-count // per_block))


def keys63(words: TV) -> TV:
    """A uniform 63-bit int64 per element from the first two words:
    ``a * 2**31 + (b >> 1)``."""
    T = _T()
    return words[0] * 2**31 + T.int_div(words[1], 2)  # type: ignore[no-any-return]


def _uniform_words(state: TV, size: TV, count: int, dtype: DType) -> tuple[TV, TV]:
    """``(new_state, U)``: ``count`` uniforms per element, ``U[k]`` of shape ``size``."""
    blocks = blocks_for(count, dtype)
    new_state, words = _ops.random_bits(state, size, blocks)
    u = unit_uniforms(words, dtype)
    return new_state, u if count == blocks * (2 if dtype == "float32" else 1) else u[:count]


# --------------------------------------------------------------------------- continuous


def uniform(
    state: TV, low: Any = 0.0, high: Any = 1.0, size: Any = None, ndim: int | None = None,
    dtype: Any = None,
) -> Draw:  # fmt: skip
    """Uniform on ``[low, high)``; ``high`` is never returned (a result that
    rounds up to ``high`` is replaced by the float just below it)."""
    T, what = _T(), "uniform"
    dt = _P.float_dtype(dtype, (low, high), what)
    lo, hi = _P.float_param(low, dt, "low", what), _P.float_param(high, dt, "high", what)
    lo_c, hi_c = _P.const(lo), _P.const(hi)
    if lo_c is not None and hi_c is not None:
        _P.require(bool((lo_c <= hi_c).all()), f"{what}: low must be <= high, got {low}, {high}")
    else:
        lo = _ops.check_parameter(lo, T.le(lo, hi), msg=f"{what}: low must be <= high (not NaN)")
    size_v, explicit = _P.size_or_params(size, ndim, (lo, hi), what)
    new_state, u = _uniform_words(state, size_v, 1, dt)
    out = u[0]
    if not (_P.is_value(lo_c, 0.0) and _P.is_value(hi_c, 1.0)):
        r = lo + (hi - lo) * out
        if _P.may_reach_high(lo_c, hi_c, dt):
            below = T.lt(r, hi)
            if not _P.all_below(lo_c, hi_c):  # low == high must give low
                below = T.or_(below, T.ge(lo, hi))
            r = T.switch(below, r, _nextafter(hi, lo))
        out = r
    return new_state, _P.fit(out, size_v, explicit)


def _nextafter(a: TV, b: TV) -> TV:
    from refimpl.ops.elemwise import apply

    return apply(_ops.NEXTAFTER, a, b)


def normal(
    state: TV, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, ndim: int | None = None,
    dtype: Any = None,
) -> Draw:  # fmt: skip
    """Normal with mean ``loc`` and standard deviation ``scale`` (Box-Muller:
    ``sqrt(-2 log1p(-u1)) cos(2 pi u2)``, one normal per pair of uniforms)."""
    T, what = _T(), "normal"
    dt = _P.float_dtype(dtype, (loc, scale), what)
    mu, sd = _P.float_param(loc, dt, "loc", what), _P.float_param(scale, dt, "scale", what)
    mu_c, sd_c = _P.const(mu), _P.const(sd)
    if sd_c is not None:
        _P.require(bool((sd_c >= 0).all()), f"{what}: scale must be >= 0, got {scale}")
    else:
        sd = _ops.check_parameter(sd, T.ge(sd, 0), msg=f"{what}: scale must be >= 0 (not NaN)")
    size_v, explicit = _P.size_or_params(size, ndim, (mu, sd), what)
    new_state, u = _uniform_words(state, size_v, 2, dt)
    z = T.sqrt(-2.0 * T.log1p(-u[0])) * T.cos(TWO_PI * u[1])
    if not (_P.is_value(mu_c, 0.0) and _P.is_value(sd_c, 1.0)):
        z = mu + sd * z
    return new_state, _P.fit(z, size_v, explicit)


# --------------------------------------------------------------------------- discrete


def binomial(
    state: TV, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
    dtype: Any = "int64",
) -> Draw:  # fmt: skip
    """Binomial(n, p): the number of the ``n`` uniforms below ``p`` (``n = 1``:
    exactly ``u < p``). ``n`` is a non-negative Python int."""
    T, what = _T(), "binomial"
    trials = _P.static_count(n, "n", what)
    out_dt = _P.real_dtype(dtype, what)
    pv, cd = _P.probability(p, "p", what)
    size_v, explicit = _P.size_or_params(size, ndim, (pv,), what)
    new_state, u = _uniform_words(state, size_v, trials, cd)
    hits = T.lt(u[0], pv) if trials == 1 else T.sum(T.lt(u, pv), axis=0)
    return new_state, _P.fit(T.cast(hits, out_dt), size_v, explicit)


def multinomial(
    state: TV, size: Any = None, n: Any = 1, pvals: Any = None, ndim: int | None = None,
    dtype: Any = "int64",
) -> Draw:  # fmt: skip
    """Counts of ``n`` draws among the ``k`` categories of each row of
    ``pvals`` (shape ``(..., k)``): shape ``size + (k,)`` with ``size``
    defaulting to ``pvals.shape[:-1]``; ``n = 1`` gives one-hot rows. The
    last category takes the remainder ``1 - sum(pvals[..., :-1])``, as numpy."""
    T, what = _T(), "multinomial"
    trials = _P.static_count(n, "n", what)
    out_dt = _P.real_dtype(dtype, what)
    pv, cd = _P.pvals_param(pvals, what)
    batch = _P.normalize_size(size, ndim, what)
    if batch is None:
        batch = _P.as_size([T.shape_i(pv, k) for k in range(pv.ndim - 1)], what)
    elif pv.ndim - 1 > (batch.type.shape[0] or 0):
        raise ValueError(f"{what}: pvals has {pv.ndim - 1} batch axes, more than size")
    new_state, u = _uniform_words(state, batch, trials, cd)
    cat = _categories(u, pv)  # (n,) + size
    k = T.shape(pv)[-1]
    onehot = T.eq(T.shape_padright(cat), T.arange(k))
    counts = T.sum(onehot, axis=0)
    return new_state, T.cast(counts, out_dt)


def _categories(u: TV, p: TV) -> TV:
    """The category of each uniform: how many of the first ``k - 1`` partial
    sums of ``p`` (last axis) it reaches."""
    T = _T()
    cs = T.cumsum(p, axis=-1)[(slice(None),) * (p.ndim - 1) + (slice(None, -1),)]
    return T.sum(T.ge(T.shape_padright(u), cs), axis=-1)  # type: ignore[no-any-return]


def integers(state: TV, low: Any, high: Any = None, size: Any = None, dtype: Any = "int64") -> Draw:
    """Integers uniform on ``[low, high)`` (``integers(high)``: ``[0, high)``):
    ``low + r % (high - low)`` for a uniform 63-bit ``r`` (bias below 2**-63)."""
    T, what = _T(), "integers"
    if high is None:
        low, high = 0, low
    out_dt = _P.int_dtype(dtype, what)
    lo, hi = _P.int_param(low, "low", what), _P.int_param(high, "high", what)
    span = _P.checked_span(lo, hi, out_dt, what)
    size_v, explicit = _P.size_or_params(size, None, (lo, hi), what)
    new_state, words = _ops.random_bits(state, size_v, 1)
    out = lo + T.mod(keys63(words), span)
    return new_state, _P.fit(T.cast(out, out_dt), size_v, explicit)


def permutation(
    state: TV, n: Any, size: Any = None, ndim: int | None = None, dtype: Any = "int64"
) -> Draw:
    """Permutations of ``range(n)``, shape ``size + (n,)``: a stable argsort
    of uniform 63-bit keys along the last axis."""
    T, what = _T(), "permutation"
    count = _P.count_scalar(n, "n", what)
    out_dt = _P.int_dtype(dtype, what)
    batch = _P.normalize_size(size, ndim, what)
    entries = [] if batch is None else _P.entries(batch)
    full = _P.as_size([*entries, count], what)
    new_state, words = _ops.random_bits(state, full, 1)
    perm = T.argsort(keys63(words), axis=-1)
    return new_state, T.cast(perm, out_dt)


def choice(
    state: TV, a: Any, size: Any = None, replace: bool = True, p: Any = None,
    ndim: int | None = None, dtype: Any = "int64",
) -> Draw:  # fmt: skip
    """``size`` samples of ``a`` (an int ``n``: of ``range(n)``; a vector: of
    its entries), with or without replacement, uniform or weighted by ``p``."""
    T, what = _T(), "choice"
    population, count = _P.population(a, what)
    out_dt = _P.int_dtype(dtype, what)
    batch = _P.normalize_size(size, ndim, what)
    shape = _P.as_size([], what) if batch is None else batch
    probs = None if p is None else _P.choice_p(p, count, replace, shape, what)
    if replace:
        new_state, idx = _with_replacement(state, shape, count, probs)
    else:
        new_state, idx = _without_replacement(state, shape, count, probs, what)
    if population is not None:
        return new_state, T.take(population, idx)
    return new_state, T.cast(idx, out_dt)


def _with_replacement(
    state: TV, shape: TV, count: TV, probs: tuple[TV, DType] | None
) -> tuple[TV, TV]:
    T = _T()
    if probs is None:
        new_state, words = _ops.random_bits(state, shape, 1)
        return new_state, T.mod(keys63(words), count)
    pv, cd = probs
    new_state, u = _uniform_words(state, shape, 1, cd)
    return new_state, _categories(u[0], pv)


def _without_replacement(
    state: TV, shape: TV, count: TV, probs: tuple[TV, DType] | None, what: str
) -> tuple[TV, TV]:
    """The first ``prod(shape)`` entries of a random order of ``range(count)``:
    uniform keys, or Efraimidis-Spirakis keys ``E / p`` (``E`` exponential)
    for weights ``p`` (successive sampling proportional to ``p``)."""
    T = _T()
    m = _P.numel(shape)
    if probs is None:
        new_state, words = _ops.random_bits(state, _P.as_size([count], what), 1)
        keys = keys63(words)
        enough = T.le(m, count)
        msg = f"{what}: cannot take more samples than the population without replacement"
    else:
        pv, cd = probs
        new_state, u = _uniform_words(state, _P.as_size([count], what), 1, cd)
        positive = T.gt(pv, 0)
        keys = T.switch(positive, -T.log1p(-u[0]) / T.switch(positive, pv, 1), math.inf)
        enough = T.le(m, T.sum(positive))
        msg = f"{what}: fewer non-zero probabilities than samples without replacement"
    order = _ops.check_parameter(T.argsort(keys), enough, msg=msg)
    return new_state, T.reshape(order[:m], shape)
