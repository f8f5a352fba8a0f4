"""Helpers of the linear algebra test specs (``linalg.SPECS``, ``decomp.SPECS``):
shape draws, well-conditioned input makers and numpy references.

Inputs are safe by construction (notes/gradient-checking.md): square
matrices are ``Q1 diag(s) Q2`` with ``s`` in [0.5, 2] (condition number at
most 4), SPD matrices ``Q diag(s) Qᵀ``, symmetric matrices for ``eigh`` have
eigenvalues at least 0.25 apart and rectangular ones distinct singular values
at least 0.1 apart (the eigen/singular-vector gradients divide by the gaps).
References use numpy only, independently of the ops' ``perform``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from refimpl.opspec import DrawInt

NDArray = np.ndarray[Any, Any]
Shapes = tuple[tuple[int, ...], ...]
F32_TOL: dict[Any, float] = {"float32": 1e-4, "float64": 1e-9}


# --------------------------------------------------------------------------- shapes


def _batch(draw: DrawInt) -> tuple[int, ...]:
    return () if draw(0, 2) else (draw(1, 3),)


def square(draw: DrawInt) -> Shapes:
    n = draw(1, 4)
    return ((*_batch(draw), n, n),)


def rect(draw: DrawInt) -> Shapes:
    return ((*_batch(draw), draw(1, 4), draw(1, 4)),)


def tall(draw: DrawInt) -> Shapes:
    n = draw(1, 3)
    return ((*_batch(draw), n + draw(0, 2), n),)


def solve_shapes(draw: DrawInt) -> Shapes:
    n, batch = draw(1, 4), _batch(draw)
    b = (n,) if draw(0, 1) else (*batch, n, draw(1, 3))
    return ((*batch, n, n), b)


def kron_shapes(draw: DrawInt) -> Shapes:
    nd = draw(1, 2)
    return tuple(tuple(draw(1, 3) for _ in range(nd)) for _ in range(2))


def band_params(draw: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"k": draw(-1, 1)}


def power_params(draw: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"n": draw(-2, 3)}


def norm_params(draw: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    axis = None if draw(0, 1) else draw(0, nd - 1)
    return {"L": [1, 2, 3, float("inf")][draw(0, 3)], "axis": axis}


def lower_params(draw: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"lower": bool(draw(0, 1))}


# --------------------------------------------------------------------------- inputs


def _orthogonal(rng: Any, shape: tuple[int, ...]) -> NDArray:
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return np.asarray(q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :])


def _spaced(rng: Any, batch: tuple[int, ...], k: int, lo: float, hi: float) -> NDArray:
    """``k`` values in [lo, hi] per batch entry, sorted gaps at least
    ``(hi - lo) / (2k)``, shuffled."""
    step = (hi - lo) / max(k, 1)
    base = lo + step * np.arange(k) + rng.uniform(0, step / 2, (*batch, k))
    return np.asarray(rng.permuted(base, axis=-1))


def well_conditioned(rng: Any, shape: tuple[int, ...]) -> NDArray:
    """``Q1 diag(s) Q2`` (thin for rectangular shapes), ``s`` in [0.5, 2]
    with gaps >= 0.1 (distinct singular values)."""
    *batch, m, n = shape
    k = min(m, n)
    q1 = _orthogonal(rng, (*batch, m, m))[..., :, :k]
    q2 = _orthogonal(rng, (*batch, n, n))[..., :k, :]
    s = _spaced(rng, tuple(batch), k, 0.5, 2.0)
    return np.asarray((q1 * s[..., None, :]) @ q2)


def spd(rng: Any, shape: tuple[int, ...], lo: float = 0.5, hi: float = 2.0) -> NDArray:
    """``Q diag(w) Qᵀ`` with ``w`` in [lo, hi] spaced apart."""
    *batch, n, _ = shape
    q = _orthogonal(rng, shape)
    w = _spaced(rng, tuple(batch), n, lo, hi)
    return np.asarray((q * w[..., None, :]) @ np.swapaxes(q, -1, -2))


def square_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    return (well_conditioned(rng, shapes[0]),)


def solve_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    return well_conditioned(rng, shapes[0]), rng.uniform(-2, 2, shapes[1])


def triangular_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    """A matrix whose lower (upper) triangle has diagonal entries of modulus in
    [1, 2] and small off-diagonal entries (well conditioned), and a right side."""
    a = rng.uniform(-0.3, 0.3, shapes[0])
    n = shapes[0][-1]
    d = rng.uniform(1, 2, (*shapes[0][:-2], n)) * rng.choice([-1, 1], (*shapes[0][:-2], n))
    a[..., np.arange(n), np.arange(n)] = d
    return a, rng.uniform(-2, 2, shapes[1])


def spd_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    return (spd(rng, shapes[0]),)


def symmetric_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    """Symmetric matrices with eigenvalues in [-2, 2], gaps >= 4 / (2n)."""
    return (spd(rng, shapes[0], -2.0, 2.0),)


def rect_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[NDArray, ...]:
    return (well_conditioned(rng, shapes[0]),)


# --------------------------------------------------------------------------- references


def np_fn(name: str) -> Any:
    """``numpy.linalg.<name>`` applied to the inputs."""

    def ref(*xs: NDArray, **params: Any) -> Any:
        return getattr(np.linalg, name)(*xs, **params)

    return ref


def ref_band(lower: bool) -> Any:
    def ref(x: NDArray, k: int = 0) -> NDArray:
        n, m = x.shape[-2:]
        mask = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
        return np.where(mask, x, np.zeros_like(x))

    return ref


def ref_slogdet(x: NDArray) -> tuple[NDArray, NDArray]:
    sign, logabsdet = np.linalg.slogdet(x)
    return sign, logabsdet


def ref_solve(a: NDArray, b: NDArray) -> NDArray:
    if b.ndim == 1:
        return np.asarray(np.linalg.solve(a, b[..., None])[..., 0])
    return np.asarray(np.linalg.solve(a, b))


def ref_solve_triangular(a: NDArray, b: NDArray, lower: bool = True) -> NDArray:
    return ref_solve(np.tril(a) if lower else np.triu(a), b)


def ref_norm(x: NDArray, L: float = 2, axis: Any = None) -> NDArray:
    a = np.abs(x.astype(np.float64))
    if np.isinf(L):
        out = a.max(axis=axis)
    else:
        out = (a**L).sum(axis=axis) ** (1.0 / L)
    return np.asarray(out, dtype=x.dtype)


def ref_kron(a: NDArray, b: NDArray) -> NDArray:
    return np.asarray(np.kron(a, b))


def ref_cholesky(x: NDArray, lower: bool = True) -> NDArray:
    c = np.linalg.cholesky(x)
    return c if lower else np.asarray(np.swapaxes(c, -1, -2))


def ref_eigh(x: NDArray) -> tuple[NDArray, NDArray]:
    w, v = np.linalg.eigh(x)
    return w, v * v


def ref_svd(x: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return u * u, s, vh * vh


def ref_qr(x: NDArray) -> tuple[NDArray, NDArray]:
    q, r = np.linalg.qr(x)
    return q * q, r * r


def ref_svdvals(x: NDArray) -> NDArray:
    return np.asarray(np.linalg.svd(x, compute_uv=False))


def ref_qr_r(x: NDArray) -> NDArray:
    r: NDArray = np.asarray(np.linalg.qr(x, mode="r"))
    return np.asarray(r * r)
