"""Small helpers shared by the gradient modules: argument normalisation,
type checks of gradient terms, and the few graph builders the engine needs
(looked up in ``refimpl.tensor`` at call time, so this package never imports
an op family at module import)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from refimpl.grad.errors import InvalidGradientError
from refimpl.graph.basic import NullGrad, Variable
from refimpl.types import DType, TensorType, is_discrete, kind
from refimpl.variable import TensorVariable, as_tensor_variable, constant

GradValue = TensorVariable | NullGrad | None
"""A gradient in the engine: a tensor, an undefined gradient, or nothing."""


def T() -> ModuleType:
    """``refimpl.tensor``, imported when first needed."""
    return importlib.import_module("refimpl.tensor")


def as_list(x: Any, what: str) -> tuple[list[Any], bool]:
    """``x`` as a list, and whether it was a single item (not a list/tuple)."""
    if isinstance(x, (list, tuple)):
        return list(x), False
    if x is None:
        raise TypeError(f"{what} must be a variable or a list of variables, got None")
    return [x], True


def as_tensor_list(x: Any, what: str) -> tuple[list[TensorVariable], bool]:
    """Like ``as_list``, requiring symbolic tensors (named in the error)."""
    items, single = as_list(x, what)
    for k, v in enumerate(items):
        if not isinstance(v, TensorVariable):
            where = what if single else f"{what}[{k}]"
            raise TypeError(
                f"{where} must be a symbolic tensor variable, got {type(v).__name__} {v!r}"
            )
    return items, single


def differentiable(var: Variable[Any]) -> bool:
    """Whether ``var`` can carry a gradient or tangent: a tensor of a float
    or complex dtype (integer, boolean and non-tensor variables cannot)."""
    vtype = var.type
    return isinstance(vtype, TensorType) and not is_discrete(vtype.dtype)


def check_choice(value: str, name: str, choices: Sequence[str]) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}, got {value!r}")


def cast(x: TensorVariable, dtype: DType) -> TensorVariable:
    if x.dtype == dtype:
        return x
    out: TensorVariable = T().cast(x, dtype)
    return out


def zeros_like(x: TensorVariable, dtype: DType | None = None) -> TensorVariable:
    """Zeros of ``x``'s shape (``dtype`` defaults to ``x``'s)."""
    dt = dtype or x.dtype
    if x.ndim == 0:
        return constant(0, dtype=dt)
    out: TensorVariable = T().zeros_like(x, dtype=dt)
    return out


def ones_like(x: TensorVariable) -> TensorVariable:
    """Ones of ``x``'s shape and dtype: ``fill(x, 1)``, which keeps ``x`` in
    the graph (Theano's seed, so a gradient graph refers to every input of
    its cost; FAST_RUN folds it)."""
    out: TensorVariable = T().ones_like(x)
    return out


def add(a: TensorVariable, b: TensorVariable) -> TensorVariable:
    out: TensorVariable = T().add(a, b)
    return out


def coerce_like(value: Any, like: TensorVariable, what: str) -> TensorVariable:
    """``value`` as a tensor of ``like``'s dtype and ndim: a different float
    precision is cast; another ndim or kind is a ``TypeError`` naming ``what``."""
    v = as_tensor_variable(value)
    if v.ndim != like.ndim:
        raise TypeError(
            f"{what} has {v.ndim} dimensions ({v.type}) but {like} has {like.ndim} ({like.type})"
        )
    if v.dtype == like.dtype:
        return v
    if _castable(v.dtype, like.dtype):
        return cast(v, like.dtype)
    raise TypeError(f"{what} has dtype {v.dtype} but {like} has dtype {like.dtype}")


def _castable(src: DType, dst: DType) -> bool:
    """Whether a gradient of dtype ``src`` may be cast to ``dst`` (float to
    float of another precision, real or complex float to complex)."""
    ks, kd = kind(src), kind(dst)
    if kd == "f":
        return ks == "f"
    if kd == "c":
        return ks in "fc"
    return False


def check_term(
    op: object, which: str, index: int, var: Variable[Any], g: object
) -> TensorVariable | NullGrad | None:
    """Validate one ``L_op``/``R_op`` result ``g`` for variable ``var``.

    A different float precision is cast to ``var``'s dtype; anything else
    that cannot be ``var``'s gradient raises ``InvalidGradientError``.
    ``which`` is ``'L_op'`` (``var`` is input ``index``) or ``'R_op'``
    (``var`` is output ``index``).
    """
    if g is None or isinstance(g, NullGrad):
        return g
    role = "input" if which == "L_op" else "output"
    vtype = var.type
    where = f"{op}.{which} returned for {role} {index} ({var}, {var.type})"
    if not isinstance(vtype, TensorType):
        raise InvalidGradientError(f"{where} {g!r}; a non-tensor variable takes None")
    if not isinstance(g, TensorVariable):
        raise InvalidGradientError(
            f"{where} {type(g).__name__} {g!r}; expected a TensorVariable, None or NullGrad"
        )
    if g.ndim != vtype.ndim:
        raise InvalidGradientError(
            f"{where} a {g.ndim}-d result ({g.type}); expected {vtype.ndim}-d"
        )
    for ax, (n, m) in enumerate(zip(g.type.shape, vtype.shape, strict=True)):
        if n is not None and m is not None and n != m:
            raise InvalidGradientError(
                f"{where} a result of static shape {g.type.shape}; axis {ax} must have length {m}"
            )
    if g.dtype == vtype.dtype:
        return g
    if is_discrete(vtype.dtype) or not _castable(g.dtype, vtype.dtype):
        raise InvalidGradientError(f"{where} a result of dtype {g.dtype}; expected {vtype.dtype}")
    return cast(g, vtype.dtype)
