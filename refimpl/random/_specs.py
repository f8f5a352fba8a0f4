"""The test specs of ``refimpl.random`` (collected as ``refimpl.random.ops.SPECS``).

References are independent of the ops' ``perform``: the Threefry words come
from the plain-Python-int implementation (``threefry2x32_ints``), counter by
counter, and the distributions are re-derived from them with numpy
following ``spec/random.md``. Inputs are safe by construction: bounds apart
(``low < high``), ``scale > 0``, probabilities in ``[0, 1]`` with rows of
``pvals`` summing to 1, random states with counters near the 2**32 carry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Final

import numpy as np

from refimpl.opspec import Arg, DrawInt, OpSpec, Shape
from refimpl.random.threefry import MASK32, threefry2x32_ints

NDArray = np.ndarray[Any, Any]
Shapes = tuple[Shape, ...]
Params = Mapping[str, Any]
FLOATS: Final = ("float64", "float32")
STATE: Final = Arg("state", dtypes=("int64",), differentiable=False)


def F64(name: str, **kw: Any) -> Arg:
    """A float64 parameter (the draw's dtype is a parameter: a float32 draw
    casts it, so the float64 finite differences see the same function)."""
    return Arg(name, dtypes=("float64",), **kw)


# --------------------------------------------------------------------------- reference


def ref_words(state: NDArray, n: int) -> tuple[list[int], list[int], NDArray]:
    """Words of the next ``n`` counters and the advanced state (Python ints)."""
    k = (int(state[0]) & MASK32, int(state[1]) & MASK32)
    base = (int(state[3]) & MASK32) << 32 | (int(state[2]) & MASK32)
    x0: list[int] = []
    x1: list[int] = []
    for i in range(n):
        c = (base + i) % 2**64
        a, b = threefry2x32_ints(k, (c & MASK32, c >> 32))
        x0.append(a)
        x1.append(b)
    end = (base + n) % 2**64
    return x0, x1, np.array([k[0], k[1], end & MASK32, end >> 32], dtype=np.int64)


def ref_bits(
    state: NDArray, size: NDArray | tuple[int, ...], blocks: int
) -> tuple[NDArray, NDArray]:
    """``(new_state, words)`` of ``RandomBits(blocks)`` (spec/random.md)."""
    dims = tuple(int(d) for d in np.asarray(size, dtype=np.int64).reshape(-1))
    m = math.prod(dims)
    x0, x1, new_state = ref_words(state, blocks * m)
    rows = []
    for b in range(blocks):
        rows += [x0[b * m : (b + 1) * m], x1[b * m : (b + 1) * m]]
    words = np.array(rows, dtype=np.int64).reshape((2 * blocks, *dims))
    return new_state, words


def ref_unit(words: NDArray, dtype: str) -> NDArray:
    """Uniforms in [0, 1), leading axis = uniform index (spec/random.md)."""
    if dtype == "float32":
        return np.asarray((words >> 8).astype(np.float32) * np.float32(2.0**-24))
    mant = (words[0::2] >> 5) * 2**26 + (words[1::2] >> 6)
    return np.asarray(mant.astype(np.float64) * 2.0**-53)


def ref_keys63(words: NDArray) -> NDArray:
    return np.asarray(words[0] * 2**31 + (words[1] >> 1))


def _count_blocks(count: int, dtype: str) -> int:
    return max(1, -(-count // (2 if dtype == "float32" else 1)))


def ref_uniforms(
    state: NDArray, size: tuple[int, ...], count: int, dtype: str
) -> tuple[NDArray, NDArray]:
    new_state, words = ref_bits(state, size, _count_blocks(count, dtype))
    return new_state, ref_unit(words, dtype)[:count]


# --------------------------------------------------------------------------- shapes, inputs


def _side(draw_int: DrawInt) -> Shape:
    return tuple(draw_int(1, 4) for _ in range(draw_int(0, 3)))


def _state(rng: np.random.Generator) -> NDArray:
    s = rng.integers(0, 2**32, size=4)
    if rng.integers(0, 3) == 0:  # a counter just below the 32-bit carry
        s[2] = 2**32 - int(rng.integers(1, 8))
    if rng.integers(0, 4) == 0:  # and the 64-bit wrap
        s[3] = 2**32 - 1
    return np.asarray(s, dtype=np.int64)


def bits_shapes(draw_int: DrawInt) -> Shapes:
    return ((4,), (draw_int(0, 3),))


def bits_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"blocks": draw_int(1, 3), "ndim": shapes[1][0]}


def bits_inputs(rng: np.random.Generator, shapes: Shapes, params: Params) -> tuple[Any, ...]:
    return _state(rng), rng.integers(0, 5, size=shapes[1])


def _bounds_inputs(rng: np.random.Generator, shapes: Shapes, params: Params) -> tuple[Any, ...]:
    return _state(rng), rng.uniform(-3, -0.5, size=shapes[1]), rng.uniform(0, 3, size=shapes[2])


def _loc_scale_inputs(rng: np.random.Generator, shapes: Shapes, params: Params) -> tuple[Any, ...]:
    return _state(rng), rng.uniform(-3, 3, size=shapes[1]), rng.uniform(0.5, 2, size=shapes[2])


def _param_shapes(nparams: int) -> Callable[[DrawInt], Shapes]:
    """The state, then parameters of one drawn shape or of shape ()."""

    def draw(draw_int: DrawInt) -> Shapes:
        shape = _side(draw_int)
        return ((4,), *[shape if draw_int(0, 2) else () for _ in range(nparams)])

    return draw


def _sized(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """A size the parameters broadcast to (the widest parameter's shape)."""
    widest = max(shapes[1:], key=len)
    return {"size": tuple(widest)}


def _sized_dtype(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """A size and the draw's float dtype (the float64 parameters are cast to it)."""
    return {**_sized(draw_int, shapes), "dtype": FLOATS[draw_int(0, 1)]}


# --------------------------------------------------------------------------- references


def ref_uniform(
    state: NDArray, low: NDArray, high: NDArray, size: tuple[int, ...], dtype: str
) -> Any:
    dt = dtype
    low, high = low.astype(dt), high.astype(dt)
    new_state, u = ref_uniforms(state, size, 1, dt)
    r = low + (high - low) * u[0]
    r = np.where(r < high, r, np.nextafter(high, low))
    return r.astype(dt), new_state


def ref_normal(
    state: NDArray, loc: NDArray, scale: NDArray, size: tuple[int, ...], dtype: str
) -> Any:
    dt = dtype
    loc, scale = loc.astype(dt), scale.astype(dt)
    new_state, u = ref_uniforms(state, size, 2, dt)
    z = np.sqrt(-2.0 * np.log1p(-u[0])) * np.cos(np.asarray(2 * math.pi, dt) * u[1])
    return (loc + scale * z).astype(dt), new_state


def ref_binomial(state: NDArray, p: NDArray, size: tuple[int, ...], n: int) -> Any:
    new_state, u = ref_uniforms(state, size, n, str(p.dtype))
    return np.sum(u < p, axis=0).astype(np.int64), new_state


def ref_categories(u: NDArray, p: NDArray) -> NDArray:
    cs = np.cumsum(p, axis=-1)[..., :-1]
    return np.asarray(np.sum(u[..., None] >= cs, axis=-1))


def ref_multinomial(state: NDArray, pvals: NDArray, n: int) -> Any:
    k = pvals.shape[-1]
    new_state, u = ref_uniforms(state, pvals.shape[:-1], n, str(pvals.dtype))
    cat = ref_categories(u, pvals)
    counts = np.sum(cat[..., None] == np.arange(k), axis=0)
    return counts.astype(np.int64), new_state


def ref_integers(state: NDArray, low: NDArray, high: NDArray, size: tuple[int, ...]) -> Any:
    new_state, words = ref_bits(state, size, 1)
    return low + ref_keys63(words) % (high - low), new_state


def ref_permutation(state: NDArray, n: int, size: tuple[int, ...]) -> Any:
    new_state, words = ref_bits(state, (*size, n), 1)
    return np.argsort(ref_keys63(words), axis=-1, kind="stable"), new_state


def _ref_order(state: NDArray, n: int, m: int, p: NDArray | None) -> tuple[NDArray, NDArray]:
    if p is None:
        new_state, words = ref_bits(state, (n,), 1)
        keys = ref_keys63(words)
    else:
        new_state, u = ref_uniforms(state, (n,), 1, str(p.dtype))
        keys = np.where(p > 0, -np.log1p(-u[0]) / np.where(p > 0, p, 1), np.inf)
    return np.argsort(keys, kind="stable")[:m], new_state


def ref_choice(state: NDArray, a: NDArray, size: tuple[int, ...], replace: bool) -> Any:
    n = a.shape[0]
    if replace:
        new_state, words = ref_bits(state, size, 1)
        idx = ref_keys63(words) % n
    else:
        order, new_state = _ref_order(state, n, math.prod(size), None)
        idx = order.reshape(size)
    return a[idx], new_state


def ref_choice_p(state: NDArray, p: NDArray, size: tuple[int, ...], replace: bool) -> Any:
    if replace:
        new_state, u = ref_uniforms(state, size, 1, str(p.dtype))
        idx = ref_categories(u[0], p)
    else:
        order, new_state = _ref_order(state, p.shape[0], math.prod(size), p)
        idx = order.reshape(size)
    return idx.astype(np.int64), new_state


# --------------------------------------------------------------------------- records


def _probs(rng: np.random.Generator, shape: Shape) -> NDArray:
    w = rng.uniform(0.05, 1.0, size=shape)
    return np.asarray(w / w.sum(axis=-1, keepdims=True))


def _choice_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """``replace`` and a size (at most ``n`` samples without replacement)."""
    n = shapes[1][0]
    replace = bool(draw_int(0, 1))
    m = draw_int(0, n) if not replace else draw_int(0, 6)
    size = (m,) if draw_int(0, 1) or m == 0 else ((1, m) if m % 2 else (2, m // 2))
    return {"replace": replace, "size": size}


def _choice_p_inputs(rng: np.random.Generator, shapes: Shapes, params: Params) -> tuple[Any, ...]:
    p = _probs(rng, shapes[1])
    if not params["replace"] and math.prod(params["size"]) < shapes[1][0] > 1:
        p[0] = 0.0  # a zero weight is never chosen (enough non-zero ones remain)
        p = p / p.sum()
    return _state(rng), p


def _int_bounds_inputs(rng: np.random.Generator, shapes: Shapes, params: Params) -> tuple[Any, ...]:
    return _state(rng), rng.integers(-5, 1, size=shapes[1]), rng.integers(1, 11, size=shapes[2])


def make_specs(
    bits_op: type,
    check_op: type,
    dist: Callable[[], ModuleType],
    tensor: Callable[[], ModuleType],
) -> tuple[OpSpec, ...]:
    """Every spec of the family; ``dist``/``tensor`` return the modules at build time."""
    discrete: dict[str, Any] = {"grad": False, "rop": False, "second_order": False}

    def ints(name: str) -> Arg:
        return Arg(name, dtypes=("int64",), differentiable=False)

    def draw(fn: str, *args: Any, **kw: Any) -> list[Any]:
        new_state, out = getattr(dist(), fn)(*args, **kw)
        return [out, new_state]

    def checked(x: Any) -> Any:
        T = tensor()
        return check_op("|x| <= 10")(x, T.le(T.sqr(x), 100.0))

    def spec(name: str, build: Callable[..., Any], ref: Callable[..., Any], **kw: Any) -> OpSpec:
        return OpSpec(name=name, build=build, ref=ref, family="random", **kw)

    return (
        spec(
            "random_bits",
            lambda st, sz, blocks, ndim: list(bits_op(blocks, ndim)(st, sz)),
            lambda st, sz, blocks, ndim: ref_bits(st, sz, blocks),
            args=(STATE, ints("size")),
            shapes=bits_shapes,
            op_classes=(bits_op,),
            params=bits_params,
            make_inputs=bits_inputs,
            **discrete,
        ),
        spec(
            "check_parameter",
            checked,
            lambda x: x,
            args=(Arg("x"),),
            shapes=lambda d: (_side(d),),
            op_classes=(check_op,),
            poly_degree=1,
        ),
        spec(
            "random_uniform",
            lambda st, lo, hi, size, dtype: draw("uniform", st, lo, hi, size, dtype=dtype),
            ref_uniform,
            args=(STATE, F64("low"), F64("high")),
            shapes=_param_shapes(2),
            params=_sized_dtype,
            make_inputs=_bounds_inputs,
            second_order=False,
        ),
        spec(
            "random_normal",
            lambda st, mu, sd, size, dtype: draw("normal", st, mu, sd, size, dtype=dtype),
            ref_normal,
            args=(STATE, F64("loc"), F64("scale", domain=(0.5, 2.0))),
            shapes=_param_shapes(2),
            params=_sized_dtype,
            make_inputs=_loc_scale_inputs,
            second_order=False,
        ),
        spec(
            "random_binomial",
            lambda st, p, size, n: draw("binomial", st, size, n, p),
            ref_binomial,
            args=(STATE, Arg("p", domain=(0.0, 1.0))),
            shapes=_param_shapes(1),
            params=lambda d, s: {**_sized(d, s), "n": d(1, 3)},
            make_inputs=lambda rng, s, p: (_state(rng), rng.uniform(0, 1, size=s[1])),
            **discrete,
        ),
        spec(
            "random_multinomial",
            lambda st, pv, n: draw("multinomial", st, None, n, pv),
            ref_multinomial,
            args=(STATE, Arg("pvals", domain=(0.0, 1.0))),
            shapes=lambda d: ((4,), (*_side(d)[:2], d(1, 4))),
            params=lambda d, s: {"n": d(1, 3)},
            make_inputs=lambda rng, s, p: (_state(rng), _probs(rng, s[1])),
            **discrete,
        ),
        spec(
            "random_choice",
            lambda st, a, replace, size: draw("choice", st, a, size, replace),
            ref_choice,
            args=(STATE, Arg("a")),
            shapes=lambda d: ((4,), (d(1, 6),)),
            params=_choice_params,
            make_inputs=lambda rng, s, p: (_state(rng), rng.uniform(-3, 3, size=s[1])),
            second_order=False,
            poly_degree=1,
        ),
        spec(
            "random_choice_p",
            lambda st, p, replace, size: draw("choice", st, p.shape[0], size, replace, p),
            ref_choice_p,
            args=(STATE, Arg("p", domain=(0.0, 1.0))),
            shapes=lambda d: ((4,), (d(1, 6),)),
            params=_choice_params,
            make_inputs=_choice_p_inputs,
            **discrete,
        ),
        spec(
            "random_permutation",
            lambda st, n, size: draw("permutation", st, n, size),
            ref_permutation,
            args=(STATE,),
            shapes=lambda d: ((4,),),
            params=lambda d, s: {"n": d(0, 6), "size": _side(d)[:2]},
            make_inputs=lambda rng, s, p: (_state(rng),),
            **discrete,
        ),
        spec(
            "random_integers",
            lambda st, lo, hi, size: draw("integers", st, lo, hi, size),
            ref_integers,
            args=(STATE, ints("low"), ints("high")),
            shapes=_param_shapes(2),
            params=_sized,
            make_inputs=_int_bounds_inputs,
            **discrete,
        ),
    )
