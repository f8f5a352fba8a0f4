"""Comparing values: per-dtype tolerances, mismatch statistics, exact
equality (for the mutation check) and finiteness.

All comparisons run on host numpy copies (``refimpl.backend.to_numpy``): the
values come from any namespace, and the referee must not depend on the
namespace it referees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from refimpl.backend import to_numpy
from refimpl.types import ALL_DTYPES, DType, kind

NDArray = np.ndarray[Any, Any]

DEFAULT_RTOL: Final[dict[str, float]] = {
    "float64": 1e-7, "complex128": 1e-7, "float32": 1e-4, "complex64": 1e-4, "float16": 1e-2,
}  # fmt: skip
"""Relative tolerance per dtype (spec/debugmode.md, "Tolerances")."""
DEFAULT_ATOL: Final[dict[str, float]] = {
    "float64": 1e-12, "complex128": 1e-12, "float32": 1e-5, "complex64": 1e-5, "float16": 1e-2,
}  # fmt: skip
"""Absolute tolerance per dtype; integers and booleans compare exactly."""


@dataclass(frozen=True)
class Tolerance:
    """``rtol``/``atol`` overrides (``None``: the per-dtype default)."""

    rtol: float | None = None
    atol: float | None = None

    def of(self, dtype: DType) -> tuple[float, float]:
        """(rtol, atol) for values of ``dtype`` (0, 0 for discrete dtypes)."""
        if kind(dtype) not in "fc":
            return 0.0, 0.0
        rtol = self.rtol if self.rtol is not None else DEFAULT_RTOL.get(dtype, 1e-7)
        atol = self.atol if self.atol is not None else DEFAULT_ATOL.get(dtype, 1e-12)
        return rtol, atol


@dataclass(frozen=True)
class Diff:
    """How an actual value differs from the expected one."""

    summary: str
    max_abs: float = math.inf
    max_rel: float = math.inf
    where: tuple[int, ...] | None = None

    def text(self) -> str:
        at = "" if self.where is None else f" (worst at index {self.where})"
        if math.isinf(self.max_abs) and math.isinf(self.max_rel):
            return f"{self.summary}{at}"
        return f"{self.summary}: max |diff| {self.max_abs:.6g}, max rel diff {self.max_rel:.6g}{at}"


def host(value: Any) -> NDArray:
    """``value`` as a host numpy array."""
    return np.asarray(to_numpy(value))


def dtype_of(value: Any) -> str:
    """The dtype name of an array of any namespace (``float64``, ``int32``...)."""
    return str(getattr(value, "dtype", type(value).__name__)).rsplit(".", 1)[-1]


def compare(
    expected: Any,
    actual: Any,
    dtype: DType,
    tol: Tolerance,
    stabilised_ok: bool = False,
    slack: NDArray | None = None,
) -> Diff | None:
    """``None`` when ``actual`` matches ``expected`` (values of ``dtype``);
    else a ``Diff``. Inexact values match elementwise within
    ``atol + rtol * max(|expected|, |actual|)``; NaN matches NaN and an
    infinity the same infinity. With ``stabilised_ok``, positions where
    ``expected`` is not finite but ``actual`` is are accepted (a rewrite
    that made the computation finite: spec/debugmode.md, "Stabilisation").
    ``slack`` (shaped like ``expected``) adds an absolute allowance per
    element (``noise.slack``)."""
    e, a = host(expected), host(actual)
    if e.shape != a.shape:
        return Diff(f"shape {a.shape} instead of {e.shape}")
    if e.size == 0:
        return None
    if kind(dtype) not in "fc":
        bad = e != a
        if slack is not None:
            bad &= ~(slack > 0)
        if not np.any(bad):
            return None
        pos = tuple(int(p) for p in np.argwhere(bad)[0])
        return Diff(f"{int(bad.sum())} of {e.size} elements differ", where=pos)
    return _compare_inexact(e, a, dtype, tol, stabilised_ok, slack)


def _compare_inexact(
    e: NDArray,
    a: NDArray,
    dtype: DType,
    tol: Tolerance,
    stabilised_ok: bool,
    slack: NDArray | None,
) -> Diff | None:
    rtol, atol = tol.of(dtype)
    ec, ac = e.astype(np.complex128), a.astype(np.complex128)
    fin_e, fin_a = np.isfinite(ec), np.isfinite(ac)
    with np.errstate(invalid="ignore"):
        same_special = ~fin_e & ~fin_a & ((ec == ac) | (np.isnan(ec) & np.isnan(ac)))
    skip = same_special | (~fin_e & fin_a if stabilised_ok else np.zeros(e.shape, bool))
    if slack is not None:
        skip |= np.isinf(slack)
    both = fin_e & fin_a
    special_bad = ~skip & ~both
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(both, np.abs(ac - ec), 0.0)
        scale = np.where(both, np.maximum(np.abs(ec), np.abs(ac)), 0.0)
    bound = atol + rtol * scale
    if slack is not None:
        bound = bound + np.where(np.isinf(slack), 0.0, slack)
    bad = special_bad | (~skip & (err > bound))
    if not np.any(bad):
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(both, err / np.maximum(np.abs(ec), np.finfo(np.float64).tiny), 0.0)
    n_bad = int(bad.sum())
    if np.any(special_bad):
        pos = tuple(int(p) for p in np.argwhere(special_bad)[0])
        summary = f"{n_bad} of {e.size} elements differ (non-finite where the other is not)"
        return Diff(summary, float(err.max()), float(rel.max()), pos)
    pos = tuple(int(p) for p in np.unravel_index(int(np.argmax(np.where(bad, err, -1.0))), e.shape))
    summary = f"{n_bad} of {e.size} elements differ beyond atol {atol:g} + rtol {rtol:g}"
    return Diff(summary, float(err.max()), float(rel.max()), pos)


def exactly_equal(before: Any, after: Any) -> bool:
    """Whether two values are identical: dtype, shape and every element
    (NaN equal to NaN) — the mutation check's test."""
    b, a = host(before), host(after)
    if b.shape != a.shape or b.dtype != a.dtype:
        return False
    if b.dtype.kind in "fc":
        with np.errstate(invalid="ignore"):
            return bool(np.all((b == a) | (np.isnan(b) & np.isnan(a))))
    return bool(np.array_equal(b, a))


def count_nonfinite(value: Any) -> tuple[int, int, int, int]:
    """(NaN, +inf, -inf, size) counts of a value (zeros for discrete dtypes)."""
    v = host(value)
    if v.dtype.kind not in "fc":
        return 0, 0, 0, int(v.size)
    if v.dtype.kind == "c":
        nan = int(np.sum(np.isnan(v)))
        inf = int(np.sum(np.isinf(v)))
        return nan, inf, 0, int(v.size)
    return (
        int(np.sum(np.isnan(v))),
        int(np.sum(np.isposinf(v))),
        int(np.sum(np.isneginf(v))),
        int(v.size),
    )


def all_finite(xp: Any, value: Any) -> bool:
    """Whether an array of an inexact dtype has only finite elements
    (always true for discrete dtypes); computed with the value's namespace."""
    if kind_of(value) not in "fc":
        return True
    if int(math.prod(value.shape)) == 0:
        return True
    return bool(xp.all(xp.isfinite(value)))


def kind_of(value: Any) -> str:
    """The kind letter (``b i u f c``) of an array's dtype ('?' if unknown)."""
    name = dtype_of(value)
    return kind(name) if name in ALL_DTYPES else "?"
