"""Test cases drawn from an ``OpSpec``: shapes, parameters, dtypes and values.

A ``Case`` is one example of a spec: the drawn shapes, the static
parameters, one dtype per argument, an integer seed, and the input values
(numpy arrays) built from that seed so that they are *safe by construction*
(spec/testing.md, "Input construction"): inside the argument's domain, at
least ``margin`` away from kinks, with the fractional part away from jumps,
pairwise distinct where asked. Directions (tangents and cotangents) come from
the same seed.

Everything here is plain numpy and ``random``; ``refimpl.testing.strategies``
wraps ``draw_case`` for hypothesis by backing ``draw_int`` with
``st.integers``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from refimpl.opspec import Arg, DrawInt, OpSpec, Shape
from refimpl.types import DType, StaticShape, int_range, is_discrete, kind

NDArray = np.ndarray[Any, Any]
Purpose = Literal["value", "grad"]

SEED_MAX: Final = 2**32 - 1
_TRIES: Final = 200
_WIDEN: Final[dict[str, DType]] = {
    "float16": "float64", "float32": "float64", "complex64": "complex128",
}  # fmt: skip


class SpecError(ValueError):
    """A spec whose constraints cannot be met (e.g. a domain narrower than
    the kink margins, or more distinct values than the domain can hold)."""


@dataclass(frozen=True, eq=False)
class Case:
    """One drawn example of a spec. ``values`` are numpy arrays of ``dtypes``."""

    spec: OpSpec
    shapes: tuple[Shape, ...]
    params: Mapping[str, Any]
    dtypes: tuple[DType, ...]
    seed: int
    values: tuple[NDArray, ...]
    purpose: Purpose = "value"

    @property
    def static_shapes(self) -> tuple[StaticShape, ...]:
        """Static shapes of the symbolic inputs: 1 where the value's length is
        1 (broadcastable), unknown elsewhere — as users write them."""
        return tuple(static_pattern(v.shape) for v in self.values)

    def rng(self, stream: int) -> np.random.Generator:
        """An independent generator for ``stream`` (directions etc.)."""
        return np.random.default_rng([self.seed, stream])

    def __repr__(self) -> str:
        arrays = ", ".join(
            f"array({np.array2string(v, separator=', ', threshold=64)}, dtype={v.dtype})"
            for v in self.values
        )
        return f"Case({self.spec.name!r}, {self.describe()}, values=[{arrays}])"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """hypothesis prints falsifying examples with this."""
        p.text(repr(self))

    def describe(self) -> str:
        params = dict(self.params)
        return (
            f"dtypes={list(self.dtypes)} shapes={[tuple(s) for s in self.shapes]} "
            f"params={params} seed={self.seed}"
        )


def static_pattern(shape: Sequence[int]) -> StaticShape:
    return tuple(1 if n == 1 else None for n in shape)


def widen(dtype: DType) -> DType:
    """The float64/complex128 counterpart used for finite differences."""
    return _WIDEN.get(dtype, dtype)


def random_draw_int(rnd: random.Random) -> DrawInt:
    """A ``draw_int`` backed by ``random.Random`` (the runner's, no hypothesis)."""
    return lambda lo, hi: rnd.randint(lo, hi)


# --------------------------------------------------------------------------- dtypes


def dtype_combos(spec: OpSpec) -> list[tuple[DType, ...]]:
    """The dtype combinations of a spec: the ``k``-th claimed dtype of every
    argument (an argument with fewer claimed dtypes keeps its last one)."""
    n = max((len(a.dtypes) for a in spec.args), default=0)
    combos: list[tuple[DType, ...]] = []
    for k in range(n):
        combo = tuple(a.dtypes[min(k, len(a.dtypes) - 1)] for a in spec.args)
        if combo not in combos:
            combos.append(combo)
    return combos


def differentiable_args(spec: OpSpec, dtypes: Sequence[DType]) -> list[int]:
    """Indices of the arguments derivative checks perturb: declared
    differentiable and of an inexact dtype."""
    return [
        i for i, (a, d) in enumerate(zip(spec.args, dtypes))
        if a.differentiable and kind(d) in "fc"
    ]  # fmt: skip


def ad_combos(spec: OpSpec) -> list[tuple[DType, ...]]:
    """The combinations with at least one differentiable argument."""
    return [c for c in dtype_combos(spec) if differentiable_args(spec, c)]


# --------------------------------------------------------------------------- drawing


def draw_case(
    spec: OpSpec,
    draw_int: DrawInt,
    purpose: Purpose = "value",
    combos: Sequence[tuple[DType, ...]] | None = None,
) -> Case:
    """Draw one case: shapes, params, a dtype combination, a seed, values."""
    shapes = tuple(tuple(int(n) for n in s) for s in spec.shapes(draw_int))
    if len(shapes) != len(spec.args):
        raise SpecError(
            f"spec {spec.name!r}: its shape rule drew {len(shapes)} shapes for "
            f"{len(spec.args)} args"
        )
    params = dict(spec.params(draw_int, shapes)) if spec.params else {}
    options = list(combos) if combos is not None else dtype_combos(spec)
    if not options:
        raise SpecError(f"spec {spec.name!r}: no dtype combination to draw")
    dtypes = options[draw_int(0, len(options) - 1)]
    seed = draw_int(0, SEED_MAX)
    values = make_values(spec, shapes, params, dtypes, seed, purpose)
    return Case(spec, shapes, params, dtypes, seed, values, purpose)


def make_values(
    spec: OpSpec,
    shapes: tuple[Shape, ...],
    params: Mapping[str, Any],
    dtypes: Sequence[DType],
    seed: int,
    purpose: Purpose = "value",
) -> tuple[NDArray, ...]:
    """The input values of a case (``spec.make_inputs`` when given)."""
    rng = np.random.default_rng(seed)
    if spec.make_inputs is not None:
        raw = spec.make_inputs(rng, shapes, params)
        if len(raw) != len(spec.args):
            raise SpecError(
                f"spec {spec.name!r}: make_inputs returned {len(raw)} arrays for "
                f"{len(spec.args)} args"
            )
        return tuple(np.asarray(np.asarray(r).astype(d)) for r, d in zip(raw, dtypes))
    out: list[NDArray | None] = [None] * len(spec.args)
    joint = [i for i, a in enumerate(spec.args) if a.distinct]
    if joint:
        for i, arr in zip(joint, _distinct_joint(spec, joint, shapes, dtypes, rng, purpose)):
            out[i] = arr
    for i, (arg, shape, dtype) in enumerate(zip(spec.args, shapes, dtypes)):
        if out[i] is None:
            out[i] = arg_values(arg, shape, dtype, rng, purpose)
    return tuple(a for a in out if a is not None)


def arg_values(
    arg: Arg, shape: Shape, dtype: DType, rng: np.random.Generator, purpose: Purpose = "value"
) -> NDArray:
    """Values for one argument: in its domain (``grad_domain`` for
    derivative checks), away from kinks and jumps."""
    k = kind(dtype)
    lo, hi = _interval(arg, dtype, purpose)
    if k in "biu":
        return _ints(arg, shape, dtype, lo, hi, rng)
    real = _floats(arg, shape, lo, hi, rng)
    if k == "c":
        real = real + 1j * _floats(arg, shape, lo, hi, rng)
    return np.asarray(real.astype(dtype))


def _interval(arg: Arg, dtype: DType, purpose: Purpose) -> tuple[float, float]:
    lo, hi = arg.grad_domain if purpose == "grad" and arg.grad_domain else arg.domain
    if is_discrete(dtype):
        dlo, dhi = int_range(dtype)
        lo, hi = max(lo, dlo), min(hi, dhi)
    if lo > hi:
        raise SpecError(f"arg {arg.name!r}: empty domain ({lo}, {hi}) for {dtype}")
    return float(lo), float(hi)


def _bad(arg: Arg, x: NDArray) -> NDArray:
    """Where ``x`` is too close to a kink or a jump."""
    bad = np.zeros(x.shape, dtype=bool)
    for point in arg.kinks:
        bad |= np.abs(x - point) < arg.margin
    if arg.jumps == "integers":
        bad |= np.abs(x - np.round(x)) < arg.margin
    elif arg.jumps == "half_integers":
        bad |= np.abs(2 * x - np.round(2 * x)) < 2 * arg.margin
    return bad


def _floats(arg: Arg, shape: Shape, lo: float, hi: float, rng: np.random.Generator) -> NDArray:
    x = rng.uniform(lo, hi, size=shape)
    for _ in range(_TRIES):
        bad = _bad(arg, x)
        if not bad.any():
            return x
        x[bad] = rng.uniform(lo, hi, size=int(bad.sum()))
    raise SpecError(
        f"arg {arg.name!r}: could not draw values in ({lo}, {hi}) at least {arg.margin} from "
        f"kinks {arg.kinks} / jumps {arg.jumps}"
    )


def _ints(
    arg: Arg, shape: Shape, dtype: DType, lo: float, hi: float, rng: np.random.Generator
) -> NDArray:
    ilo, ihi = math.ceil(lo), math.floor(hi)
    allowed = np.arange(ilo, ihi + 1, dtype=np.float64)
    allowed = allowed[~_bad(_no_jumps(arg), allowed)]
    if allowed.size == 0:
        raise SpecError(f"arg {arg.name!r}: no integer in ({lo}, {hi}) away from kinks")
    size = math.prod(shape)
    if arg.distinct and size <= allowed.size:
        picked = rng.choice(allowed, size=size, replace=False)
    else:
        picked = rng.choice(allowed, size=size)
    return np.asarray(picked.reshape(shape).astype(dtype))


def _no_jumps(arg: Arg) -> Arg:
    from dataclasses import replace

    return replace(arg, jumps=None, margin=min(arg.margin, 0.5))


def _distinct_joint(
    spec: OpSpec,
    idx: Sequence[int],
    shapes: tuple[Shape, ...],
    dtypes: Sequence[DType],
    rng: np.random.Generator,
    purpose: Purpose,
) -> list[NDArray]:
    """Values of all ``distinct`` float arguments together, pairwise at least
    ``2*margin`` apart (no ties within or across them, e.g. maximum(a, b))."""
    floats = [i for i in idx if kind(dtypes[i]) in "fc"]
    result: dict[int, NDArray] = {}
    if floats:
        args = [spec.args[i] for i in floats]
        lo = max(_interval(a, dtypes[i], purpose)[0] for a, i in zip(args, floats))
        hi = min(_interval(a, dtypes[i], purpose)[1] for a, i in zip(args, floats))
        gap = 2 * max(a.margin for a in args)
        sizes = [math.prod(shapes[i]) for i in floats]
        pool = _spread(sum(sizes), lo, hi, gap, args, rng)
        start = 0
        for i, n in zip(floats, sizes):
            chunk = pool[start : start + n].reshape(shapes[i])
            result[i] = np.asarray(chunk.astype(dtypes[i]))
            start += n
    for i in idx:
        if i not in result:
            result[i] = arg_values(spec.args[i], shapes[i], dtypes[i], rng, purpose)
    return [result[i] for i in idx]


def _spread(
    n: int, lo: float, hi: float, gap: float, args: Sequence[Arg], rng: np.random.Generator
) -> NDArray:
    """``n`` shuffled values in ``[lo, hi]``, sorted gaps at least ``gap``,
    away from every argument's kinks."""
    if n == 0:
        return np.zeros(0)
    span = hi - lo - (n - 1) * gap
    if span < 0:
        raise SpecError(f"cannot draw {n} values {gap} apart in ({lo}, {hi})")
    for _ in range(_TRIES):
        x = np.sort(rng.uniform(0, span, size=n)) + lo + gap * np.arange(n)
        if not any(_bad(a, x).any() for a in args):
            return np.asarray(rng.permutation(x))
    raise SpecError(f"cannot draw {n} distinct values in ({lo}, {hi}) away from kinks")


# --------------------------------------------------------------------------- directions


def gaussian_like(
    arrays: Sequence[NDArray], rng: np.random.Generator, unit: bool = False
) -> list[NDArray]:
    """Gaussian arrays shaped and typed like ``arrays`` (complex: both parts).
    ``unit=True`` scales them jointly to unit 2-norm (so ``|v_i| <= 1``)."""
    out: list[NDArray] = []
    for a in arrays:
        g: NDArray = np.asarray(rng.standard_normal(a.shape))
        if a.dtype.kind == "c":
            g = g + 1j * np.asarray(rng.standard_normal(a.shape))
        out.append(g)
    if unit:
        norm = math.sqrt(sum(float(np.sum(np.abs(g) ** 2)) for g in out))
        if norm > 0:
            out = [g / norm for g in out]
    return [np.asarray(g.astype(a.dtype)) for g, a in zip(out, arrays)]


def flat_real(arrays: Sequence[Any]) -> NDArray:
    """Arrays as one float64 vector (complex: real parts then imaginary
    parts), so inner products are the real inner product of C as R^2."""
    parts: list[NDArray] = []
    for a in arrays:
        arr = np.asarray(a)
        if arr.dtype.kind == "c":
            parts += [arr.real.ravel(), arr.imag.ravel()]
        else:
            parts.append(arr.astype(np.float64).ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


def locate(arrays: Sequence[Any], flat_index: int) -> tuple[int, tuple[int, ...], str]:
    """Map an index of ``flat_real(arrays)`` back to (array, multi-index, part)."""
    start = 0
    for k, a in enumerate(arrays):
        arr = np.asarray(a)
        parts = ("real", "imag") if arr.dtype.kind == "c" else ("",)
        for part in parts:
            if flat_index < start + arr.size:
                pos = np.unravel_index(flat_index - start, arr.shape) if arr.ndim else ()
                return k, tuple(int(p) for p in pos), part
            start += arr.size
    raise IndexError(flat_index)
