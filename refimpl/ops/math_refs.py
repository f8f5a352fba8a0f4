"""Independent references and input generators for the elementwise test specs.

The ``SPECS`` of ``refimpl.ops.math``, ``math_compare`` and ``math_special``
compare each function against the numpy (or ``math``/``mpmath``) function
defined here, never against the op's own ``perform``. Integer inputs of
float-valued functions are first converted by Theano's rule
(``refimpl.types.upcast_to_float``), which numpy does differently
(``np.exp(int8)`` is float16 there). ``make_inputs`` generators keep values
away from kinks that depend on two arguments at once (ties of ``maximum``,
integer quotients of ``mod``). mpmath is a test dependency, imported lazily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

import numpy as np

from refimpl.opspec import Arg, Shape
from refimpl.types import DType, as_dtype, promote_types, upcast_to_float

NDArray = np.ndarray[Any, Any]
Ref = Callable[..., Any]

F: Final[tuple[DType, ...]] = ("float64", "float32")
"""Float dtypes every namespace has (float16 is not in the array API standard)."""
SI: Final[tuple[DType, ...]] = ("int64", "int32", "int16", "int8")
FI: Final[tuple[DType, ...]] = F + SI
BITS: Final[tuple[DType, ...]] = (
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "uint16",
    "uint32",
    "bool",
)
"""Bitwise dtypes (uint64 is left out: with a signed int it promotes to float64)."""
C: Final[tuple[DType, ...]] = ("complex128", "complex64")
B: Final[tuple[DType, ...]] = ("bool",)
Z: Final[tuple[DType, ...]] = ("complex128",)
# Every spec claims exactly what its function accepts among bool, complex128
# and float64 (the generated suite checks the unclaimed ones raise TypeError).
FB: Final = F + B
FZB: Final = F + Z + B
FIB: Final = FI + B
FIZ: Final = FI + Z
FIZB: Final = FI + Z + B


def x_arg(
    dtypes: tuple[DType, ...] = F,
    domain: tuple[float, float] = (-3.0, 3.0),
    name: str = "x",
    **kw: Any,
) -> Arg:
    """An ``Arg`` with the usual defaults of the elementwise specs."""
    return Arg(name, dtypes, domain, **kw)


def float_dtype(*arrays: NDArray) -> str:
    """The dtype a float-valued function of ``arrays`` has (Theano's rule)."""
    return upcast_to_float(promote_types(*(as_dtype(a.dtype) for a in arrays)))


def as_float(*arrays: NDArray) -> list[NDArray]:
    dt = float_dtype(*arrays)
    return [np.asarray(a).astype(dt) for a in arrays]


def fref(f: Callable[..., Any]) -> Ref:
    """A numpy function applied after Theano's int-to-float conversion."""

    def ref(*arrays: NDArray) -> Any:
        return f(*as_float(*arrays))

    return ref


def vref(f: Callable[[float], float], pole: float = math.nan) -> Ref:
    """A scalar ``math`` function, vectorised, evaluated in float64 and
    rounded to the float dtype of the input; ``pole`` where ``f`` raises
    (``gamma(0) = inf`` as scipy, where ``math.gamma`` raises)."""

    def safe(v: float) -> float:
        try:
            return f(v)
        except (ValueError, ZeroDivisionError):
            return pole

    def ref(x: NDArray) -> NDArray:
        dt = float_dtype(x)
        vec = np.vectorize(safe, otypes=[np.float64])
        with np.errstate(all="ignore"):  # mpmath's own float steps may set FPU flags
            out = vec(np.asarray(x, dtype=np.float64))
        return np.asarray(out).astype(dt)

    return ref


def mpref(name: str, transform: Callable[[Any], Any] | None = None, pole: float = math.nan) -> Ref:
    """An mpmath function at 30 digits (``transform`` maps the argument first)."""

    def scalar(v: float) -> float:
        import mpmath

        with mpmath.workdps(30):
            arg = mpmath.mpf(v) if transform is None else transform(mpmath.mpf(v))
            return float(getattr(mpmath, name)(arg))

    return vref(scalar, pole)


def isclose_ref(a: NDArray, b: NDArray) -> NDArray:
    """``numpy.isclose`` after Theano's int-to-float conversion."""
    fa, fb = as_float(a, b)
    return np.asarray(np.isclose(fa, fb))


def round_half_away_ref(x: NDArray) -> NDArray:
    """Round half away from zero through ``decimal`` (exact for every float)."""
    (xf,) = as_float(x)

    def one(v: float) -> float:
        if not math.isfinite(v):
            return v
        return float(Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    out = np.vectorize(one, otypes=[np.float64])(xf.astype(np.float64))
    return np.asarray(out).astype(xf.dtype)


# --------------------------------------------------------------------------- input generators


def _grid(rng: Any, shape: Shape, offset: float) -> NDArray:
    """Values ``0.5 k + offset`` (|k| <= 5) with a jitter of at most 0.05."""
    k = rng.integers(-5, 6, size=shape)
    return np.asarray(0.5 * k + offset + rng.uniform(-0.05, 0.05, size=shape))


def apart_inputs(rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Two arrays whose elements differ by at least 0.15 in every broadcast
    pair (``a`` on the quarter grid, ``b`` on the half grid): no ties."""
    return (_grid(rng, shapes[0], 0.25), _grid(rng, shapes[1], 0.0))


def clip_inputs(rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]) -> tuple[Any, ...]:
    """``x`` on the quarter grid, ``lo`` in [-2, -0.5] and ``hi`` in [0.5, 2] on
    the half grid: ``lo < hi`` and ``x`` at least 0.15 from both bounds."""
    lo = -0.5 * rng.integers(1, 5, size=shapes[1]) + rng.uniform(-0.05, 0.05, size=shapes[1])
    hi = 0.5 * rng.integers(1, 5, size=shapes[2]) + rng.uniform(-0.05, 0.05, size=shapes[2])
    return (_grid(rng, shapes[0], 0.25), np.asarray(lo), np.asarray(hi))


def quotient_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Same-shaped ``a, b`` with ``|b|`` in [0.5, 2] and the fractional part
    of ``a / b`` in [0.1, 0.9] (away from the jumps of ``a // b``, ``a % b``)."""
    shape = shapes[0]
    b = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    q = rng.integers(-3, 3, size=shape) + rng.uniform(0.1, 0.9, size=shape)
    return (np.asarray(q * b), np.asarray(b))


def small_int_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Integer-valued floats in [-2, 2] for every argument: many ties."""
    return tuple(rng.integers(-2, 3, size=s).astype(np.float64) for s in shapes)


def special_value_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Finite values mixed with NaN, +inf and -inf."""
    pool = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5, 2.25])
    return tuple(pool[rng.integers(0, pool.size, size=s)] for s in shapes)


def switch_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    """A boolean condition and two float branches."""
    cond = rng.uniform(size=shapes[0]) < 0.5
    return (
        np.asarray(cond),
        rng.uniform(-3, 3, size=shapes[1]),
        rng.uniform(-3, 3, size=shapes[2]),
    )


def close_inputs(rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Same-shaped ``a, b``: ``b`` random, ``a`` equal, within tolerance, or not."""
    shape = shapes[0]
    b = rng.uniform(-3, 3, size=shape)
    scale = np.array([0.0, 1e-10, 1e-7, 1e-3, 1.0])[rng.integers(0, 5, size=shape)]
    return (np.asarray(b + scale * rng.choice([-1.0, 1.0], size=shape) * np.abs(b)), b)


def complex_inputs(
    rng: Any, shapes: tuple[Shape, ...], params: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Complex values with both parts in [-3, 3] and modulus >= 0.1."""
    out = []
    for s in shapes:
        z = rng.uniform(-3, 3, size=s) + 1j * rng.uniform(-3, 3, size=s)
        small = np.abs(z) < 0.1
        out.append(np.asarray(np.where(small, z + 0.5, z)))
    return tuple(out)
