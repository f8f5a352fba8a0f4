"""Batch normalisation: ``batch_normalization`` (Theano's elementwise form),
``batch_normalization_train`` and ``batch_normalization_test`` (spec/nn.md,
"Batch normalisation").

All three are composites of elementwise functions and reductions: batch
normalisation has no numerical hazard an op would fix (``epsilon`` keeps
the square root away from 0), and the composites' gradients are exact.
Theano's ``AbstractBatchNormTrain`` was an op only to reach cuDNN.

Parameters (``gamma``, ``beta``, running statistics) are given either with
the input's number of dimensions (length 1 on the normalised axes) or with
only the non-normalised axes; the statistics returned have the parameters'
layout.
"""

from __future__ import annotations

import operator
from typing import Any, Final

import numpy as np

from refimpl.nn._util import real_input
from refimpl.ops import math as _math
from refimpl.ops import math_special as _sp
from refimpl.ops import reduction as _red
from refimpl.ops import shape as _shape
from refimpl.opspec import Arg, DrawInt, OpSpec, Shape, broadcast_shapes
from refimpl.types import DType
from refimpl.variable import TensorVariable

TV = TensorVariable
NDArray = np.ndarray[Any, Any]
MIN_EPSILON: Final = 1e-5
"""Theano's (cuDNN's) smallest ``epsilon``."""


def batch_normalization(
    inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any, mode: str = "low_mem"
) -> TV:
    """``(inputs - mean) / std * gamma + beta`` elementwise (all arguments
    broadcast). ``mode='low_mem'`` computes it in that order, ``'high_mem'``
    as ``(inputs - mean) * (gamma / std) + beta`` (Theano's two forms; equal
    up to rounding)."""
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', got {mode!r}")
    who = "batch_normalization"
    x, g, b = (real_input(v, who, n) for v, n in ((inputs, "inputs"), (gamma, "gamma"),
                                                  (beta, "beta")))  # fmt: skip
    m, s = real_input(mean, who, "mean"), real_input(std, who, "std")
    if mode == "low_mem":
        return (x - m) / s * g + b
    return (x - m) * (g / s) + b


def _axes(axes: Any, ndim: int, who: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(normalised axes, the others) for ``'per-activation'``, ``'spatial'``
    or a sequence of ints."""
    if axes == "per-activation":
        norm: tuple[int, ...] = (0,)
    elif axes == "spatial":
        norm = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list)) and not isinstance(axes, str):
        try:
            norm = tuple(sorted({operator.index(a) for a in axes}))
        except TypeError:
            raise TypeError(f"{who}: axes must be ints, got {axes!r}") from None
    else:
        raise ValueError(
            f"{who}: axes must be 'per-activation', 'spatial' or a tuple, got {axes!r}"
        )
    if not norm:
        raise ValueError(f"{who}: there must be at least one normalisation axis")
    if norm[0] < 0 or norm[-1] >= ndim:
        raise ValueError(f"{who}: axes {axes!r} out of range for an input with {ndim} dimensions")
    return norm, tuple(i for i in range(ndim) if i not in norm)


class _Layout:
    """How parameters of ``ndim`` (full or reduced) map onto the input."""

    def __init__(self, x: TV, axes: Any, params_ndim: int, who: str) -> None:
        self.axes, self.keep = _axes(axes, x.ndim, who)
        self.full = params_ndim == x.ndim
        if not self.full and params_ndim != len(self.keep):
            raise ValueError(
                f"{who}: the parameters must have {x.ndim} dimensions (length 1 on axes "
                f"{list(self.axes)}) or {len(self.keep)} (the non-normalised axes), got "
                f"{params_ndim}"
            )
        self.pattern: list[Any] = ["x"] * x.ndim
        for i, a in enumerate(self.keep):
            self.pattern[a] = i

    def expand(self, p: TV, name: str, who: str) -> TV:
        """``p`` broadcastable against the input."""
        expected = len(self.pattern) if self.full else len(self.keep)
        if p.ndim != expected:
            raise ValueError(f"{who}: {name} ({p}) must have {expected} dimensions, got {p.ndim}")
        if not self.full:
            return _shape.dimshuffle(p, self.pattern)
        bad = [a for a in self.axes if p.type.shape[a] not in (1, None)]
        if bad:
            raise ValueError(f"{who}: {name} ({p}, {p.type}) must have length 1 on axes {bad}")
        return _shape.addbroadcast(p, *self.axes)

    def squeeze(self, s: TV) -> TV:
        """A statistic (kept dimensions) in the parameters' layout."""
        return s if self.full else _shape.dimshuffle(s, list(self.keep))


def _check_epsilon(epsilon: float, who: str) -> float:
    eps = float(epsilon)
    if not eps >= MIN_EPSILON:
        raise ValueError(f"{who}: epsilon must be at least {MIN_EPSILON}, got {epsilon!r}")
    return eps


def _count(x: TV, axes: tuple[int, ...], dtype: DType) -> TV:
    """The number of values each statistic is computed from, as ``dtype``."""
    n = _shape.shape_i(x, axes[0])
    for a in axes[1:]:
        n = n * _shape.shape_i(x, a)
    return _math.cast(n, dtype)


def batch_normalization_train(
    inputs: Any,
    gamma: Any,
    beta: Any,
    axes: Any = "per-activation",
    epsilon: float = 1e-4,
    running_average_factor: Any = 0.1,
    running_mean: Any = None,
    running_var: Any = None,
) -> tuple[TV, ...]:
    """Normalise ``inputs`` by its mean and variance over ``axes``:
    ``out = (inputs - mean) * (gamma * invstd) + beta`` with
    ``invstd = 1 / sqrt(var + epsilon)``. Returns ``(out, mean, invstd)``, and
    with ``running_mean``/``running_var`` also their updates
    ``running * (1 - f) + stat * f`` (the variance unbiased: ``var m/(m-1)``
    for ``m`` values per statistic)."""
    who = "batch_normalization_train"
    x = real_input(inputs, who, "inputs")
    g, b = real_input(gamma, who, "gamma"), real_input(beta, who, "beta")
    eps = _check_epsilon(epsilon, who)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{who}: give both running_mean and running_var, or neither")
    layout = _Layout(x, axes, g.ndim, who)
    gx, bx = layout.expand(g, "gamma", who), layout.expand(b, "beta", who)
    mean = _red.mean(x, layout.axes, keepdims=True)
    var = _red.var(x, layout.axes, keepdims=True)
    invstd = _math.inv(_sp.sqrt(var + eps))
    out = (x - mean) * (gx * invstd) + bx
    results = [out, layout.squeeze(mean), layout.squeeze(invstd)]
    if running_mean is not None:
        rm = layout.expand(real_input(running_mean, who, "running_mean"), "running_mean", who)
        rv = layout.expand(real_input(running_var, who, "running_var"), "running_var", who)
        f = running_average_factor
        m = _count(x, layout.axes, var.dtype)
        unbiased = var * (m / (m - 1.0))
        results.append(layout.squeeze(rm * (1.0 - f) + mean * f))
        results.append(layout.squeeze(rv * (1.0 - f) + unbiased * f))
    return tuple(results)


def batch_normalization_test(
    inputs: Any,
    gamma: Any,
    beta: Any,
    mean: Any,
    var: Any,
    axes: Any = "per-activation",
    epsilon: float = 1e-4,
) -> TV:
    """``(inputs - mean) * (gamma / sqrt(var + epsilon)) + beta`` with the
    parameters and statistics in the layout of ``batch_normalization_train``."""
    who = "batch_normalization_test"
    x = real_input(inputs, who, "inputs")
    g = real_input(gamma, who, "gamma")
    eps = _check_epsilon(epsilon, who)
    layout = _Layout(x, axes, g.ndim, who)
    gx = layout.expand(g, "gamma", who)
    bx = layout.expand(real_input(beta, who, "beta"), "beta", who)
    mx = layout.expand(real_input(mean, who, "mean"), "mean", who)
    vx = layout.expand(real_input(var, who, "var"), "var", who)
    return (x - mx) * (gx / _sp.sqrt(vx + eps)) + bx


# --------------------------------------------------------------------------- test specs


def _np_axes(axes: Any, ndim: int) -> tuple[int, ...]:
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0, *range(2, ndim))
    return tuple(axes)


def _expand(p: NDArray, x: NDArray, axes: tuple[int, ...]) -> NDArray:
    return p if p.ndim == x.ndim else np.expand_dims(p, axes)


def _ref_train(x: NDArray, g: NDArray, b: NDArray, *running: NDArray, axes: Any) -> list[NDArray]:
    ax = _np_axes(axes, x.ndim)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=ax, keepdims=True)
    var = x64.var(axis=ax, keepdims=True)
    invstd = 1.0 / np.sqrt(var + 1e-4)
    out = (x64 - mean) * (_expand(g, x, ax) * invstd) + _expand(b, x, ax)

    def squeeze(s: NDArray) -> NDArray:
        return s if g.ndim == x.ndim else np.squeeze(s, axis=ax)

    res = [out, squeeze(mean), squeeze(invstd)]
    if running:
        m = x.size / mean.size
        res += [
            running[0] * 0.9 + squeeze(mean) * 0.1,
            running[1] * 0.9 + squeeze(var) * m / (m - 1) * 0.1,
        ]
    dt = np.result_type(x, g, b, *running)
    return [np.asarray(r).astype(dt) for r in res]


def _ref_test(x: NDArray, g: NDArray, b: NDArray, m: NDArray, v: NDArray, axes: Any) -> NDArray:
    ax = _np_axes(axes, x.ndim)
    e = [_expand(p.astype(np.float64), x, ax) for p in (g, b, m, v)]
    out = (x - e[2]) * (e[0] / np.sqrt(e[3] + 1e-4)) + e[1]
    return np.asarray(out).astype(np.result_type(x, g, b, m, v))


def _ref_bn(x: NDArray, g: NDArray, b: NDArray, m: NDArray, s: NDArray, mode: str) -> NDArray:
    out = (x.astype(np.float64) - m) / s * g + b
    return np.asarray(out).astype(np.result_type(x, g, b, m, s))


def _bn_shapes(spatial: bool, running: bool) -> Any:
    """(x, params...): x [b >= 2, c, (h, w)] and reduced parameters."""

    def draw(draw_int: DrawInt) -> tuple[Shape, ...]:
        x = (draw_int(2, 3), draw_int(1, 3), *((draw_int(1, 2), draw_int(1, 3)) if spatial
                                                else ()))  # fmt: skip
        p = (x[1],) if spatial else x[1:]
        return (x, p, p, *((p, p) if running else ()))

    return draw


def _full_shapes(draw_int: DrawInt) -> tuple[Shape, ...]:
    """x 3-d and full-ndim parameters with length 1 on axes 0 and, maybe, 2."""
    x = (draw_int(2, 3), draw_int(1, 3), draw_int(2, 3))
    p = (1, x[1], 1 if draw_int(0, 1) else x[2])
    return x, p, p


def _full_axes(draw_int: DrawInt, shapes: tuple[Shape, ...]) -> dict[str, Any]:
    return {"axes": tuple(a for a in range(3) if shapes[1][a] == 1 and shapes[0][a] != 1)}


_F: tuple[DType, ...] = ("float64", "float32")


def _train(x: TV, g: TV, b: TV, axes: Any) -> list[TV]:
    return list(batch_normalization_train(x, g, b, axes))


def _train_running(x: TV, g: TV, b: TV, rm: TV, rv: TV, axes: Any) -> list[TV]:
    return list(batch_normalization_train(x, g, b, axes, running_mean=rm, running_var=rv))


def _specs() -> tuple[OpSpec, ...]:
    x, g, b = Arg("inputs", _F), Arg("gamma", _F), Arg("beta", _F)
    rm, rv = Arg("running_mean", _F), Arg("running_var", _F, (0.5, 2.0))
    mean, var = Arg("mean", _F), Arg("var", _F, (0.5, 2.0))
    nn: dict[str, Any] = dict(family="nn", rtol={"float32": 1e-4})
    modes = ("low_mem", "high_mem")
    return (
        OpSpec("batch_normalization", batch_normalization, _ref_bn,
               (x, g, b, Arg("mean", _F), Arg("std", _F, (0.5, 2.0))), broadcast_shapes(5),
               params=lambda d, s: {"mode": modes[d(0, 1)]}, **nn),
        OpSpec("batch_normalization_train", _train, _ref_train,
               (x, g, b), _bn_shapes(False, False), params=lambda d, s: {"axes": "per-activation"},
               **nn, doc="per-activation, parameters of the non-normalised axes"),
        OpSpec("batch_normalization_train_spatial", _train_running, _ref_train,
               (x, g, b, rm, rv), _bn_shapes(True, True), params=lambda d, s: {"axes": "spatial"},
               **nn, doc="spatial, with running averages"),
        OpSpec("batch_normalization_train_axes", _train, _ref_train,
               (x, g, b), _full_shapes, params=_full_axes, **nn,
               doc="explicit axes, parameters with the input's number of dimensions"),
        OpSpec("batch_normalization_test", batch_normalization_test, _ref_test,
               (x, g, b, mean, var), _bn_shapes(True, True),
               params=lambda d, s: {"axes": "spatial"}, **nn),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
