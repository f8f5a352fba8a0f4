"""Special functions missing from the array API standard: erf family, gamma family.

Every function takes the namespace ``xp`` first and a real floating array ``x``,
and returns a new array of the same shape, dtype and device. With
``native=True`` (default) a library implementation is used where the extension
table has one (scipy.special for numpy when scipy is installed, torch.special,
jax.scipy.special, cupyx.scipy.special); otherwise, and always with
``native=False``, the portable pure-standard composite runs. The composite is
the reference (oracle): float32 inputs are evaluated in float64 when the device
has it and rounded back, so float32 results are correctly rounded or within
one ulp. See spec/xpext.md for the normative text.
"""

from __future__ import annotations

from collections.abc import Callable

from refimpl._typing import Array, Namespace
from refimpl.xpext import _erf, _gamma
from refimpl.xpext._common import check_real_floating, to_work
from refimpl.xpext._dispatch import FunctionName, native_impl

Composite = Callable[[Namespace, Array], Array]


def _apply(
    xp: Namespace, x: Array, name: FunctionName, composite: Composite, native: bool
) -> Array:
    """Validate, then run the native route if any and wanted, else the composite."""
    check_real_floating(xp, x, name)
    impl = native_impl(xp, name) if native else None
    if impl is not None:
        return impl(xp, x)
    return xp.astype(composite(xp, to_work(xp, x)), x.dtype, copy=False)


def erf(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Error function ``erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt``.

    Composite: Cephes rational fits with the ``exp(-x^2)`` split; float64
    relative error <= 3.9e-16 (measured against mpmath). ``erf(+-inf) = +-1``.
    """
    return _apply(xp, x, "erf", _erf.erf, native)


def erfc(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Complementary error function ``erfc(x) = 1 - erf(x)``.

    Composite: float64 relative error <= 1.4e-15 (the worst case is ``1 - erf``
    just below x = 1), <= 1.1e-15 for x >= 1 in the normal range; subnormal
    results (x > 26.55) within 2 subnormal ulps.
    ``erfc(inf) = 0``, ``erfc(-inf) = 2``.
    """
    return _apply(xp, x, "erfc", _erf.erfc, native)


def erfinv(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Inverse error function on [-1, 1]: ``erf(erfinv(y)) = y``.

    Composite: Giles' guess plus Newton (4 steps in float64); relative error
    <= 7e-16. ``erfinv(+-1) = +-inf``; ``|y| > 1`` gives NaN.
    """
    return _apply(xp, x, "erfinv", _erf.erfinv, native)


def erfcinv(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Inverse complementary error function on [0, 2]: ``erfc(erfcinv(y)) = y``.

    Composite: relative error <= 6e-16, accurate down to the smallest subnormal
    ``y``. ``erfcinv(0) = inf``, ``erfcinv(2) = -inf``; outside [0, 2] NaN.
    """
    return _apply(xp, x, "erfcinv", _erf.erfcinv, native)


def gamma(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Gamma function ``Gamma(x)``.

    Composite: recurrence + Stirling in product form, reflection for x < 0;
    float64 relative error <= 1.3e-15. ``Gamma(+-0) = +-inf``; negative integers
    and ``-inf`` give NaN; overflow gives ``inf``.
    """
    return _apply(xp, x, "gamma", _gamma.gamma, native)


def gammaln(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Log of the absolute value of the gamma function, ``log |Gamma(x)|``.

    Composite: float64 error <= 1.4e-15 * max(1, |f|). Poles (0 and negative
    integers) give ``+inf``; ``gammaln(-inf) = -inf`` (as scipy).
    """
    return _apply(xp, x, "gammaln", _gamma.gammaln, native)


def psi(xp: Namespace, x: Array, *, native: bool = True) -> Array:
    """Digamma function ``psi(x) = Gamma'(x) / Gamma(x)``.

    Composite: recurrence + asymptotic series, reflection for x < 0; float64
    error <= 2.2e-15 * max(1, |f|). ``psi(+-0) = -+inf`` (as scipy); negative
    integers and ``-inf`` give NaN.
    """
    return _apply(xp, x, "psi", _gamma.psi, native)
