"""Helpers shared by the portable composites: dtype checks, constants, Horner.

Everything here uses only the array API standard through the namespace ``xp``
and passes ``device=`` to every creation call.
"""

from __future__ import annotations

from collections.abc import Sequence

from array_api_compat import device

from refimpl._typing import Array, Namespace


def check_real_floating(xp: Namespace, x: Array, name: str) -> None:
    """Raise ``TypeError`` unless ``x`` has a real floating dtype."""
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(f"{name}: expected a real floating array, got dtype {x.dtype}")


def has_float64(xp: Namespace, x: Array) -> bool:
    """Whether the namespace offers float64 on the device of ``x``.

    Uses ``__array_namespace_info__().dtypes(device=...)`` (array_api_strict's
    ``'no_float64'`` device and jax without x64 report no float64); a namespace
    without the inspection API is assumed to have float64 if it names it.
    """
    info_fn = getattr(xp, "__array_namespace_info__", None)
    if info_fn is None:
        return hasattr(xp, "float64")
    dtypes = info_fn().dtypes(device=device(x), kind="real floating")
    return "float64" in dtypes


def work_dtype(xp: Namespace, x: Array) -> object:
    """The dtype a composite computes in: float64 where available, else float32.

    float32 (and float16 where a library has it) inputs are evaluated in float64
    when the device supports it, so the cast back is correctly rounded to within
    half an ulp plus the float64 error.
    """
    if x.dtype == xp.float64 or has_float64(xp, x):
        return xp.float64
    return xp.float32


def to_work(xp: Namespace, x: Array) -> Array:
    """Cast ``x`` to its work dtype (no copy when it already has it)."""
    return xp.astype(x, work_dtype(xp, x), copy=False)


def const(xp: Namespace, value: float, like: Array) -> Array:
    """A 0-d array holding ``value`` with the dtype and device of ``like``."""
    return xp.asarray(value, dtype=like.dtype, device=device(like))


def polevl(x: Array, coeffs: Sequence[float]) -> Array:
    """Horner evaluation of ``coeffs[0]*x**n + ... + coeffs[n]`` (Cephes ``polevl``)."""
    acc = x * coeffs[0] + coeffs[1]
    for c in coeffs[2:]:
        acc = acc * x + c
    return acc


def p1evl(x: Array, coeffs: Sequence[float]) -> Array:
    """Horner evaluation with an implicit leading 1: ``x**n + coeffs[0]*x**(n-1) + ...``."""
    acc = x + coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc
