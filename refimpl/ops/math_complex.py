"""Complex parts: ``real``, ``imag``, ``conj``, ``angle`` and ``complex``.

Part of the elementwise table (see ``refimpl.ops.math`` and
``spec/elemwise.md``). On real inputs ``real`` and ``conj`` are the identity,
``imag`` is zero and ``angle`` is 0 or pi. Gradients follow Theano's
convention for a real cost C of a complex z: ``dC/dRe z + i dC/dIm z``; each
row has an explicit ``jvp`` (R_op) because the L_op formulas are not
complex-linear in ``gz``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.ops import math_refs as _r
from refimpl.ops.elemwise import (
    ANGLE,
    COMPLEX,
    PART,
    SAME,
    ScalarFn,
    apply,
    elemwise_spec,
    zero_grad,
)
from refimpl.opspec import OpSpec
from refimpl.types import kind
from refimpl.variable import TensorVariable

TV = TensorVariable
Opt = TensorVariable | None


def conj_if_complex(x: TV) -> TV:
    """``conj(x)`` for complex ``x``; ``x`` itself (no node) for real ``x``."""
    return conj(x) if kind(x.dtype) == "c" else x


def _is_complex(xp: Namespace, a: Array) -> bool:
    return bool(xp.isdtype(a.dtype, "complex floating"))


def _real(xp: Namespace, a: Array) -> Array:
    return xp.real(a) if _is_complex(xp, a) else xp.asarray(a, copy=True)


def _imag(xp: Namespace, a: Array) -> Array:
    return xp.imag(a) if _is_complex(xp, a) else xp.zeros_like(a)


def _conj_impl(xp: Namespace, a: Array) -> Array:
    return xp.conj(a) if _is_complex(xp, a) else xp.asarray(a, copy=True)


def _angle(xp: Namespace, a: Array) -> Array:
    if _is_complex(xp, a):
        return xp.atan2(xp.imag(a), xp.real(a))
    return xp.atan2(xp.zeros_like(a), a)


def _complex(xp: Namespace, re: Array, im: Array) -> Array:
    cdt = xp.complex128 if re.dtype == xp.float64 else xp.complex64
    unit = xp.asarray(1j, dtype=cdt, device=device(re))
    return xp.astype(re, cdt) + xp.astype(im, cdt) * unit


def _part_grad(i: Sequence[TV], gz: TV, imaginary: bool) -> list[Any]:
    (x,) = i
    if kind(x.dtype) != "c":
        return [zero_grad(x) if imaginary else gz]
    return [complex(0, gz) if imaginary else complex(gz, 0)]


def _apply_opt(f: Any, v: Opt) -> Opt:
    return None if v is None else f(v)


def _complex_jvp(i: Sequence[TV], out: TV, t: Sequence[Opt]) -> Opt:
    re_t, im_t = t
    return complex(0 if re_t is None else re_t, 0 if im_t is None else im_t)


REAL_FN = ScalarFn(
    "real", 1, _real, PART, grad=lambda i, out, gz: _part_grad(i, gz, False),
    jvp=lambda i, out, t: _apply_opt(real, t[0]), complex_grad=True,
    doc="Re z; d/dRe = 1 (L_op: complex(gz, 0))",
)  # fmt: skip
IMAG_FN = ScalarFn(
    "imag", 1, _imag, PART, grad=lambda i, out, gz: _part_grad(i, gz, True),
    jvp=lambda i, out, t: None if kind(i[0].dtype) != "c" else _apply_opt(imag, t[0]),
    complex_grad=True, doc="Im z (0 for real z); d/dIm = 1 (L_op: complex(0, gz))",
)  # fmt: skip
CONJ_FN = ScalarFn(
    "conj", 1, _conj_impl, SAME, grad=lambda i, out, gz: [conj_if_complex(gz)],
    jvp=lambda i, out, t: _apply_opt(conj_if_complex, t[0]), complex_grad=True,
    doc="complex conjugate (identity on reals); L_op: conj(gz)",
)  # fmt: skip
ANGLE_FN = ScalarFn(
    "angle", 1, _angle, ANGLE, grad=lambda i, out, gz: [zero_grad(i[0])],
    doc="atan2(Im z, Re z) (0 or pi for reals); d/dx = 0 for real x; complex: not implemented",
)  # fmt: skip
COMPLEX_FN = ScalarFn(
    "complex", 2, _complex, COMPLEX,
    grad=lambda i, out, gz: [real(gz), imag(gz)], jvp=_complex_jvp, complex_grad=True,
    doc="re + i im; L_op: (Re gz, Im gz)",
)  # fmt: skip


def real(z: Any) -> TV:
    """Elementwise real part (the value itself for real inputs)."""
    return apply(REAL_FN, z)


def imag(z: Any) -> TV:
    """Elementwise imaginary part (zeros for real inputs)."""
    return apply(IMAG_FN, z)


def conj(z: Any) -> TV:
    """Elementwise complex conjugate (the value itself for real inputs)."""
    return apply(CONJ_FN, z)


def angle(z: Any) -> TV:
    """Elementwise argument ``atan2(imag(z), real(z))``."""
    return apply(ANGLE_FN, z)


def complex(re: Any, im: Any) -> TV:
    """Elementwise ``re + 1j * im`` (complex64 from float32, else complex128)."""
    return apply(COMPLEX_FN, re, im)


# --------------------------------------------------------------------------- test specs


def _specs() -> tuple[OpSpec, ...]:
    e, x = elemwise_spec, _r.x_arg
    parts = x((*_r.C, *_r.F, "bool"))
    return (
        e("real", real, np.real, parts, poly_degree=1),
        e("imag", imag, np.imag, parts, poly_degree=1),
        e("conj", conj, np.conj, parts, poly_degree=1),
        e("angle", angle, np.angle, x(_r.C), make_inputs=_r.complex_inputs, grad=False,
          rop=False, second_order=False, doc="complex input: gradient not implemented"),
        e("angle_real", angle, np.angle, x(_r.FB, kinks=(0.0,)),
          doc="0 or pi for real input: a zero gradient away from 0"),
        e("complex", complex, lambda a, b: _r.as_float(a)[0] + 1j * _r.as_float(b)[0],
          x(_r.FB, name="re"), x(_r.FB, name="im"), poly_degree=1),
    )  # fmt: skip


COMPLEX_SPECS: tuple[OpSpec, ...] = _specs()
"""Collected by ``refimpl.ops.math.SPECS``."""
