"""Finite differences in float64: the adaptive Richardson estimate of J·v.

The method and its numbers are in spec/testing.md ("Finite differences"),
after notes/gradient-checking.md §3. Per direction ``v``:

1. ``h = 1e-3 * fd_scale``;
2. ``D1 = D(h)``, ``D2 = D(h/2)`` with the central difference
   ``D(h) = (f(x + h v) - f(x - h v)) / 2h``, and ``R = (4 D2 - D1) / 3``;
3. ``T = max|D2 - D1|`` (truncation estimate), ``Q = 64 eps max|f| / h``
   (roundoff);
4. if ``T > 1e-4 max|R| + Q``, divide ``h`` by 10 and go back to 2; after
   three shrinks the estimate is inconclusive (``FDInconclusive``);
5. an AD value passes when ``max|AD - R| <= 2 (T + Q) + rtol max|AD| + atol``.

For polynomials of degree at most 2 the central difference with ``h = 1`` is
exact, and the bound is the roundoff ``64 eps max|f(x +- v)|`` alone.

``f`` maps the list of all inputs to the list of outputs considered; it is
evaluated in float64 (the caller builds the float64 counterpart of a float32
graph). Outputs are flattened to one real vector (complex as R^2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from refimpl.testing.cases import flat_real

NDArray = np.ndarray[Any, Any]
EvalFn = Callable[[Sequence[NDArray]], Sequence[Any]]
"""``f(inputs) -> outputs`` on host arrays."""

EPS64: Final = float(np.finfo(np.float64).eps)
H0: Final = 1e-3
MAX_SHRINKS: Final = 3


class FDInconclusive(Exception):
    """The truncation estimate did not settle: the finite difference cannot
    judge the derivative at this point (the example is rejected)."""


class FDNonFinite(ValueError):
    """The function is not finite at a perturbed point (the spec's domain
    reaches a pole or an overflow)."""


@dataclass(frozen=True)
class FDResult:
    """A finite-difference estimate of ``J v`` (a flat real vector) with its
    error terms: ``D1 = D(h)``, ``D2 = D(h/2)``, ``R`` the Richardson value,
    ``T`` the truncation and ``Q`` the roundoff estimate, ``h`` the step,
    ``fmax`` the largest ``|f|`` seen; ``exact`` for the polynomial path."""

    R: NDArray
    D1: NDArray
    D2: NDArray
    T: float
    Q: float
    h: float
    fmax: float
    exact: bool = False

    def bound(self, ad: NDArray, rtol: float = 1e-7, atol: float = 1e-12) -> float:
        """The allowed ``max|AD - R|``."""
        scale = max(_amax(ad), _amax(self.R))
        if self.exact:
            return 2 * self.Q + rtol * scale + atol
        return 2 * (self.T + self.Q) + rtol * scale + atol

    def describe(self, k: int | None = None) -> str:
        """The terms, at flat index ``k`` when given."""
        if k is None:
            return f"h={self.h:.3g} T={self.T:.3g} Q={self.Q:.3g} max|f|={self.fmax:.3g}"
        return (
            f"D(h)={self.D1[k]:.17g} D(h/2)={self.D2[k]:.17g} R={self.R[k]:.17g} "
            f"h={self.h:.3g} T={self.T:.3g} Q={self.Q:.3g}" + (" (exact FD)" if self.exact else "")
        )


def _amax(x: NDArray) -> float:
    return float(np.max(np.abs(x))) if x.size else 0.0


def _shifted(xs: Sequence[NDArray], vs: Sequence[NDArray | None], t: float) -> list[NDArray]:
    return [x if v is None else x + t * v for x, v in zip(xs, vs)]


def _eval(
    f: EvalFn, xs: Sequence[NDArray], vs: Sequence[NDArray | None], t: float
) -> tuple[NDArray, float]:
    """The flat outputs at ``x + t v`` and the epsilon of their dtype (a
    float64 graph may still compute in float32 internally, e.g. a cast)."""
    raw = list(f(_shifted(xs, vs, t)))
    out = flat_real(raw)
    if not np.all(np.isfinite(out)):
        raise FDNonFinite(f"the function is not finite at x + {t:g} v")
    eps = max((float(np.finfo(np.asarray(o).dtype).eps) for o in raw
               if np.asarray(o).dtype.kind in "fc"), default=EPS64)  # fmt: skip
    return out, eps


def numeric_jvp(
    f: EvalFn,
    xs: Sequence[NDArray],
    vs: Sequence[NDArray | None],
    *,
    fd_scale: float = 1.0,
    poly_degree: int | None = None,
    h0: float = H0,
) -> FDResult:
    """The float64 finite-difference estimate of ``J v`` at ``xs`` along
    ``vs`` (``None``: that input is held fixed). Raises ``FDInconclusive``
    when three step shrinks do not settle the truncation estimate."""
    xs = [np.asarray(x) for x in xs]
    if poly_degree is not None and poly_degree <= 2:
        (fp, eps), (fm, _) = _eval(f, xs, vs, 1.0), _eval(f, xs, vs, -1.0)
        d = (fp - fm) / 2
        fmax = max(_amax(fp), _amax(fm))
        return FDResult(d, d, d, 0.0, 64 * eps * fmax, 1.0, fmax, exact=True)
    h = h0 * fd_scale
    last = ""
    for _ in range(MAX_SHRINKS + 1):
        (fp1, eps), (fm1, _) = _eval(f, xs, vs, h), _eval(f, xs, vs, -h)
        (fp2, _), (fm2, _) = _eval(f, xs, vs, h / 2), _eval(f, xs, vs, -h / 2)
        d1 = (fp1 - fm1) / (2 * h)
        d2 = (fp2 - fm2) / h
        r = (4 * d2 - d1) / 3
        t = _amax(d2 - d1)
        fmax = max(_amax(fp1), _amax(fm1), _amax(fp2), _amax(fm2))
        q = 64 * eps * fmax / h
        if t <= 1e-4 * _amax(r) + q:
            return FDResult(r, d1, d2, t, q, h, fmax)
        last = f"h={h:.3g}: T={t:.3g} > 1e-4 max|R| + Q = {1e-4 * _amax(r) + q:.3g}"
        h /= 10
    raise FDInconclusive(f"finite differences did not settle ({last})")


def numeric_grad_entries(
    f: EvalFn,
    xs: Sequence[NDArray],
    which: Sequence[int],
    *,
    fd_scale: float = 1.0,
    poly_degree: int | None = None,
    limit: int = 64,
) -> list[NDArray | None]:
    """Per-element derivatives of the scalar ``f`` (one output of one
    element) with respect to the inputs ``which``: the FD gradient, used only
    to name the worst entry in failure messages. Inputs larger than
    ``limit`` elements are skipped (``None``)."""
    out: list[NDArray | None] = []
    for i in which:
        x = np.asarray(xs[i])
        if x.size > limit:
            out.append(None)
            continue
        g = np.zeros(x.shape, dtype=np.float64)
        for j in range(x.size):
            e = np.zeros(x.shape, dtype=np.float64)
            e.flat[j] = 1.0
            vs: list[NDArray | None] = [None] * len(xs)
            vs[i] = e.astype(x.dtype) if x.dtype.kind == "c" else e
            try:
                res = numeric_jvp(f, xs, vs, fd_scale=fd_scale, poly_degree=poly_degree)
            except (FDInconclusive, FDNonFinite):
                g.flat[j] = np.nan
                continue
            g.flat[j] = float(res.R[0]) if res.R.size else 0.0
        out.append(g)
    return out
