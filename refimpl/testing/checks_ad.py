"""First- and second-order derivative checks (spec/testing.md, "Derivative
checks").

First order, one draw: ``Rop v`` against the float64 finite difference
``R`` along ``v``; ``Lop w`` through the projection ``<w, R>``; the
adjointness ``<w, Rop v> = <Lop w, v>`` at near-epsilon tolerance;
linearity of ``Rop``/``Lop`` in the direction; the gradient's dtype and
shape (those of the input); ``Rop`` against the double-``Lop`` construction
``Rop_via_Lop``. Second order, on the scalar ``c = <w, f(x)>``: three
Hessian-vector products agree, one matches the FD of the gradient, and
``<v1, H v2> = <v2, H v1>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from refimpl.testing.cases import flat_real, gaussian_like, locate
from refimpl.testing.checks import CheckFailed, CheckFn, CheckSkipped, header
from refimpl.testing.fd import FDResult, numeric_grad_entries
from refimpl.testing.trial import Trial

NDArray = np.ndarray[Any, Any]
ADJOINT_FACTOR: Final = 1e3
"""Adjointness, linearity, symmetry: ``|a - b| <= 1e3 eps scale ad_tol_factor``."""
HVP_RTOL: Final = 1e-11
"""The three Hessian-vector modes agree to this normwise relative error."""


def _amax(x: NDArray) -> float:
    return float(np.max(np.abs(x))) if x.size else 0.0


def _dot(a: NDArray, b: NDArray) -> float:
    return float(np.dot(a, b))


def ad_rtol(t: Trial) -> float:
    """The relative allowance for the AD side's own rounding."""
    return max(1e-7, ADJOINT_FACTOR * t.eps) * t.case.spec.ad_tol_factor


def _need(t: Trial, grad: bool = False, rop: bool = False) -> None:
    spec = t.case.spec
    if grad and not spec.grad:
        raise CheckSkipped("spec.grad is False (the claims group checks that it raises)")
    if rop and not spec.rop:
        raise CheckSkipped("spec.rop is False (the claims group checks that it raises)")
    if not t.harness.diff_in:
        raise CheckSkipped("no differentiable input in this dtype combination")
    if not t.harness.diff_out:
        raise CheckSkipped("no inexact output")


def _where(arrays: Sequence[NDArray], k: int, what: str) -> str:
    i, pos, part = locate(arrays, k)
    return f"{what} {i}{list(pos)}{' ' + part if part else ''}"


# --------------------------------------------------------------------------- first order


def check_rop(t: Trial) -> float:
    """``Rop v`` equals the finite difference along ``v``."""
    _need(t, rop=True)
    like = [t.outputs_np[k] for k in t.harness.diff_out]
    _check_types(t, "rop", _type_problems(t, "Rop for output", t.rop_v, like))
    ad = flat_real(t.rop_v)
    fd = t.fd_v
    err = np.abs(ad - fd.R)
    bound = fd.bound(ad, rtol=ad_rtol(t))
    worst = _amax(err)
    if worst <= bound:
        return worst / bound if bound else 0.0
    k = int(np.argmax(err))
    raise CheckFailed(
        f"{header(t, 'rop')}\nworst at {_where(t.rop_v, k, 'output')}: Rop (AD) = {ad[k]:.17g}, "
        f"FD = {fd.R[k]:.17g}; |AD - FD| = {worst:.3g} > bound {bound:.3g}\n{fd.describe(k)}",
        worst / bound if bound else np.inf,
    )


def check_lop(t: Trial) -> float:
    """``Lop w`` has the inputs' types and ``<Lop w, v>`` equals ``<w, R>``
    (R the finite difference along v)."""
    _need(t, grad=True)
    h = t.harness
    problems = [
        f"the symbolic Lop for input {i} ({h.xs[i]}) has type {typ}, the input {h.xs[i].type}"
        for i, typ in zip(h.diff_in, h.lop_types())
        if typ.dtype != h.xs[i].dtype or typ.ndim != h.xs[i].ndim
    ]
    like = [t.values[i] for i in h.diff_in]
    _check_types(t, "lop", problems + _type_problems(t, "Lop for input", t.lop_w, like))
    return _projection(t, "lop", flat_real(t.lop_w))


def _projection(t: Trial, check: str, g: NDArray) -> float:
    w, v = flat_real(t.w), flat_real(t.v)
    fd = t.fd_v
    a, b = _dot(w, fd.R), _dot(g, v)
    slack = (fd.Q if fd.exact else fd.T + fd.Q) * 2 * float(np.sum(np.abs(w)))
    scale = float(np.sum(np.abs(w * fd.R))) + float(np.sum(np.abs(g * v)))
    bound = slack + ad_rtol(t) * scale + 1e-12
    if abs(a - b) <= bound:
        return abs(a - b) / bound
    name = "Lop(w)" if check == "lop" else "grad(<w, f>)"
    raise CheckFailed(
        f"{header(t, check)}\n<w, FD(v)> = {a:.17g} but <{name}, v> = {b:.17g}; "
        f"|difference| {abs(a - b):.3g} > bound {bound:.3g} ({fd.describe()})\n"
        + _worst_lop_entry(t, g),
        abs(a - b) / bound,
    )


def _worst_lop_entry(t: Trial, flat_g: NDArray) -> str:
    """The worst (input, index) of the gradient against a per-element FD
    gradient of ``<w, f>`` (small inputs only)."""
    h = t.harness
    grads = _unflatten(flat_g, [t.values[i] for i in h.diff_in])
    ws64 = [np.asarray(wk.astype(np.complex128 if wk.dtype.kind == "c" else np.float64))
            for wk in t.w]  # fmt: skip

    def scalar(xs: Sequence[NDArray]) -> list[NDArray]:
        return [np.asarray(_dot(flat_real(ws64), flat_real(t.forward64(xs))))]

    spec = t.case.spec
    fd = numeric_grad_entries(
        scalar, t.values64, h.diff_in, fd_scale=spec.fd_scale, poly_degree=spec.poly_degree
    )
    best: tuple[float, str] = (-1.0, "per-element FD gradient not computed (inputs too large)")
    for i, gi, fi in zip(h.diff_in, grads, fd):
        if fi is None or np.asarray(gi).dtype.kind == "c":
            continue
        err = np.abs(np.asarray(gi, dtype=np.float64) - fi)
        if err.size and np.nanmax(err) > best[0]:
            j = int(np.nanargmax(err))
            pos = np.unravel_index(j, err.shape) if err.ndim else ()
            p = tuple(int(q) for q in pos)
            best = (
                float(np.nanmax(err)),
                f"worst entry: input {i} ({spec.args[i].name}){list(p)}: AD = "
                f"{np.asarray(gi)[p]!r}, FD = {fi[p]!r}",
            )
    return best[1]


def _unflatten(flat: NDArray, like: Sequence[NDArray]) -> list[NDArray]:
    out, start = [], 0
    for a in like:
        n = a.size * (2 if a.dtype.kind == "c" else 1)
        part = flat[start : start + n]
        if a.dtype.kind == "c":
            part = part[: a.size] + 1j * part[a.size :]
        out.append(part.reshape(a.shape))
        start += n
    return out


def check_adjoint(t: Trial) -> float:
    """``<w, Rop v> = <Lop w, v>`` at near-epsilon tolerance (no FD)."""
    _need(t, grad=True, rop=True)
    w, jv = flat_real(t.w), flat_real(t.rop_v)
    g, v = flat_real(t.lop_w), flat_real(t.v)
    a, b = _dot(w, jv), _dot(g, v)
    scale = float(np.sum(np.abs(w * jv))) + float(np.sum(np.abs(g * v)))
    bound = ADJOINT_FACTOR * t.eps * scale * t.case.spec.ad_tol_factor
    if abs(a - b) <= bound:
        return abs(a - b) / bound if bound else 0.0
    raise CheckFailed(
        f"{header(t, 'adjoint')}\n<w, Rop(v)> = {a:.17g} but <Lop(w), v> = {b:.17g}; "
        f"|difference| {abs(a - b):.3g} > bound {bound:.3g} (1e3 eps sum|terms|)",
        abs(a - b) / bound if bound else np.inf,
    )


def _linear(t: Trial, name: str, lhs: NDArray, parts: Sequence[tuple[float, NDArray]]) -> float:
    rhs = sum((c * p for c, p in parts), start=np.zeros_like(lhs))
    scale = _amax(lhs) + sum(abs(c) * _amax(p) for c, p in parts)
    bound = ADJOINT_FACTOR * t.eps * scale * t.case.spec.ad_tol_factor
    err = _amax(lhs - rhs)
    if err <= bound:
        return err / bound if bound else 0.0
    raise CheckFailed(
        f"{header(t, 'linearity')}\n{name}(a d1 + b d2) differs from a {name}(d1) + b {name}(d2) "
        f"by {err:.3g} > bound {bound:.3g}",
        err / bound if bound else np.inf,
    )


def _combine(a: float, x: Sequence[NDArray], b: float, y: Sequence[NDArray]) -> list[NDArray]:
    return [np.asarray((a * p + b * q).astype(p.dtype)) for p, q in zip(x, y)]


def check_linearity(t: Trial) -> float:
    """``Rop`` and ``Lop`` are linear in the direction."""
    _need(t)
    spec, h = t.case.spec, t.harness
    a, b = t.coefficients
    worst = 0.0
    if spec.rop:
        comb = flat_real(h.rop(t.values, _combine(a, t.v, b, t.v2)))
        parts = [(a, flat_real(t.rop_v)), (b, flat_real(h.rop(t.values, t.v2)))]
        worst = max(worst, _linear(t, "Rop", comb, parts))
    if spec.grad:
        comb = flat_real(h.lop(t.values, _combine(a, t.w, b, t.w2)))
        parts = [(a, flat_real(t.lop_w)), (b, flat_real(h.lop(t.values, t.w2)))]
        worst = max(worst, _linear(t, "Lop", comb, parts))
    if not (spec.rop or spec.grad):
        raise CheckSkipped("neither Rop nor Lop is claimed")
    return worst


def _type_problems(
    t: Trial, what: str, values: Sequence[NDArray], like: Sequence[NDArray]
) -> list[str]:
    problems = []
    for n, (g, ref) in enumerate(zip(values, like)):
        if g.shape != ref.shape or str(g.dtype) != str(ref.dtype):
            problems.append(
                f"{what} {n} has {g.dtype}{list(g.shape)}, expected {ref.dtype}{list(ref.shape)}"
            )
    return problems


def _check_types(t: Trial, check: str, problems: list[str]) -> None:
    if problems:
        raise CheckFailed(f"{header(t, check)}\n" + "\n".join(problems))


def check_grad(t: Trial) -> float:
    """``refimpl.grad`` of the scalar ``<w, f>``: each gradient has its
    input's dtype and shape (broadcast inputs get sum-reduced gradients) and
    ``<grad, v>`` equals ``<w, R>``."""
    _need(t, grad=True)
    h = t.harness
    g = t._memo("grad_w", lambda: h.gradient(t.values, t.w))
    like = [t.values[i] for i in h.diff_in]
    _check_types(t, "grad", _type_problems(t, "the gradient for input", g, like))
    return _projection(t, "grad", flat_real(g))


def check_rop_via_lop(t: Trial) -> float:
    """``Rop`` equals the double-``Lop`` construction (an AD cross-check)."""
    _need(t, grad=True, rop=True)
    a = flat_real(t.rop_v)
    b = flat_real(t.harness.rop_via_lop(t.values, t.v))
    err = _amax(a - b)
    bound = ADJOINT_FACTOR * t.eps * (_amax(a) + _amax(b)) * t.case.spec.ad_tol_factor
    if err <= bound:
        return err / bound if bound else 0.0
    k = int(np.argmax(np.abs(a - b)))
    raise CheckFailed(
        f"{header(t, 'rop_via_lop')}\nworst at {_where(t.rop_v, k, 'output')}: Rop = {a[k]:.17g}, "
        f"Rop_via_Lop = {b[k]:.17g}; |difference| {err:.3g} > bound {bound:.3g}",
        err / bound if bound else np.inf,
    )


FIRST_ORDER_CHECKS: Final[Mapping[str, CheckFn]] = {
    "rop": check_rop,
    "lop": check_lop,
    "adjoint": check_adjoint,
    "linearity": check_linearity,
    "grad": check_grad,
    "rop_via_lop": check_rop_via_lop,
}


# --------------------------------------------------------------------------- second order


def _need_second(t: Trial) -> None:
    _need(t, grad=True)
    if not t.case.spec.second_order:
        raise CheckSkipped("spec.second_order is False")
    if any(t.case.dtypes[i].startswith("complex") for i in t.harness.diff_in):
        raise CheckSkipped("second-order checks cover real inputs")


def _hvp_rr(t: Trial, v: list[NDArray]) -> list[NDArray]:
    key = "hvp_rr_v" if v is t.v else "hvp_rr_v2"
    if key not in t.memo:
        t.memo[key] = t.harness.hvp_rev_rev(t.values, t.w, v)
    return t.memo[key]  # type: ignore[no-any-return]


def check_hvp_modes(t: Trial) -> float:
    """``Rop(grad)``, ``grad(<grad, v>)`` and ``grad(Rop)`` agree."""
    _need_second(t)
    if not t.case.spec.rop:
        raise CheckSkipped("spec.rop is False: only reverse-over-reverse exists")
    rr = flat_real(_hvp_rr(t, t.v))
    fr, rf = (flat_real(x) for x in t.harness.hvp_with_rop(t.values, t.w, t.v))
    g = flat_real(t.harness.gradient(t.values, t.w))
    scale = max(_amax(rr), _amax(fr), _amax(rf)) + _amax(g)
    bound = HVP_RTOL * scale * t.case.spec.ad_tol_factor
    worst = 0.0
    for name, x, y in (("Rop(grad)", fr, rr), ("grad(Rop)", rf, rr)):
        err = _amax(x - y)
        if err > bound:
            k = int(np.argmax(np.abs(x - y)))
            raise CheckFailed(
                f"{header(t, 'second_order')}\n{name} differs from grad(<grad, v>) at "
                f"{_where(_like_inputs(t), k, 'input')}: "
                f"{x[k]:.17g} vs {y[k]:.17g}; |difference| {err:.3g} > bound {bound:.3g}",
                err / bound if bound else np.inf,
            )
        worst = max(worst, err / bound if bound else 0.0)
    return worst


def _like_inputs(t: Trial) -> list[NDArray]:
    return [t.values[i] for i in t.harness.diff_in]


def check_hvp_fd(t: Trial) -> float:
    """``H v`` equals the finite difference of the gradient along ``v``."""
    _need_second(t)
    ad = flat_real(_hvp_rr(t, t.v))
    ref = t.ref_harness
    w_ref = [np.asarray(wk.astype(y.dtype)) for wk, y in zip(t.w, ref.dy)]

    def gradient(xs: Sequence[NDArray]) -> list[NDArray]:
        return ref.gradient(xs, w_ref)

    fd: FDResult = t.fd_along(t.v, gradient)
    err = np.abs(ad - fd.R)
    bound = fd.bound(ad, rtol=1e-7 * t.case.spec.ad_tol_factor)
    worst = _amax(err)
    if worst <= bound:
        return worst / bound if bound else 0.0
    k = int(np.argmax(err))
    raise CheckFailed(
        f"{header(t, 'hvp_fd')}\nworst at {_where(_like_inputs(t), k, 'input')}: H v (AD) = "
        f"{ad[k]:.17g}, FD of grad = {fd.R[k]:.17g}; |AD - FD| = {worst:.3g} > bound "
        f"{bound:.3g}\n{fd.describe(k)}",
        worst / bound if bound else np.inf,
    )


def check_hessian_symmetry(t: Trial) -> float:
    """``<v1, H v2> = <v2, H v1>``."""
    _need_second(t)
    v1, v2 = flat_real(t.v), flat_real(t.v2)
    h1, h2 = flat_real(_hvp_rr(t, t.v)), flat_real(_hvp_rr(t, t.v2))
    a, b = _dot(v1, h2), _dot(v2, h1)
    g = flat_real(t._memo("grad_w", lambda: t.harness.gradient(t.values, t.w)))
    scale = float(np.sum(np.abs(v1 * h2))) + float(np.sum(np.abs(v2 * h1))) + _amax(g)
    bound = ADJOINT_FACTOR * t.eps * scale * t.case.spec.ad_tol_factor
    if abs(a - b) <= bound:
        return abs(a - b) / bound if bound else 0.0
    raise CheckFailed(
        f"{header(t, 'hessian_symmetry')}\n<v1, H v2> = {a:.17g} but <v2, H v1> = {b:.17g}; "
        f"|difference| {abs(a - b):.3g} > bound {bound:.3g}",
        abs(a - b) / bound if bound else np.inf,
    )


SECOND_ORDER_CHECKS: Final[Mapping[str, CheckFn]] = {
    "second_order": check_hvp_modes,
    "hvp_fd": check_hvp_fd,
    "hessian_symmetry": check_hessian_symmetry,
}


def unit_directions(arrays: Sequence[NDArray], seed: int) -> list[NDArray]:
    """Unit Gaussian directions shaped like ``arrays`` (public helper)."""
    return gaussian_like(arrays, np.random.default_rng(seed), unit=True)
