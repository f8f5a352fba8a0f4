"""Test-spec helpers of ``refimpl.nn.conv``: direct-loop numpy references
(independent of the ops' kernels), shape draws and parameter draws.

The references loop over output positions and filter taps, reading the
zero-padded input at ``y * stride + i * dilation`` — the definition, with
no slicing tricks. Parameters are drawn per shape so that every case is
valid (the filters fit the padded input).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl.opspec import DrawInt, Shape

NDArray = np.ndarray[Any, Any]
Shapes = tuple[Shape, ...]
CONV_KEYS = ("border_mode", "subsample", "filter_flip", "filter_dilation")


def op_params(p: dict[str, Any]) -> dict[str, Any]:
    """The convolution parameters of a params dict (for the op constructors)."""
    return {k: p[k] for k in CONV_KEYS if k in p}


# --------------------------------------------------------------------------- geometry


def _pad(mode: Any, k: int, d: int, axis: int) -> int:
    ext = (k - 1) * d + 1
    if mode == "valid":
        return 0
    if mode == "full":
        return ext - 1
    if mode == "half":
        return ext // 2
    return int(mode[axis])


def _geometry(n: int, k: int, axis: int, p: dict[str, Any]) -> tuple[int, int, int, int]:
    """(pad, stride, dilation, output length) along one spatial axis."""
    d = p.get("filter_dilation", (1, 1))[axis]
    s = p.get("subsample", (1, 1))[axis]
    pad = _pad(p.get("border_mode", "valid"), k, d, axis)
    return pad, s, d, (n + 2 * pad - (k - 1) * d - 1) // s + 1


def _dtype(*arrays: NDArray) -> Any:
    return np.result_type(*arrays)


# --------------------------------------------------------------------------- references


def ref_conv2d(x: NDArray, w: NDArray, **p: Any) -> NDArray:
    b, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    (p0, s0, d0, ho), (p1, s1, d1, wo) = _geometry(h, kh, 0, p), _geometry(wd, kw, 1, p)
    wf = w[:, :, ::-1, ::-1] if p.get("filter_flip", True) else w
    xpad = np.zeros((b, c, h + 2 * p0, wd + 2 * p1))
    xpad[:, :, p0 : p0 + h, p1 : p1 + wd] = x
    out = np.zeros((b, oc, ho, wo))
    for y in range(ho):
        for z in range(wo):
            for i in range(kh):
                for j in range(kw):
                    patch = xpad[:, :, y * s0 + i * d0, z * s1 + j * d1]
                    out[:, :, y, z] += patch @ wf[:, :, i, j].T.astype(np.float64)
    return out.astype(_dtype(x, w))


def ref_grad_inputs(w: NDArray, top: NDArray, hw: tuple[int, int], **p: Any) -> NDArray:
    """The adjoint of ``ref_conv2d`` in its input, by scattering."""
    b, _, ho, wo = top.shape
    _, c, kh, kw = w.shape
    (p0, s0, d0, _), (p1, s1, d1, _) = _geometry(hw[0], kh, 0, p), _geometry(hw[1], kw, 1, p)
    wf = w[:, :, ::-1, ::-1] if p.get("filter_flip", True) else w
    g = np.zeros((b, c, hw[0] + 2 * p0, hw[1] + 2 * p1))
    for y in range(ho):
        for z in range(wo):
            for i in range(kh):
                for j in range(kw):
                    g[:, :, y * s0 + i * d0, z * s1 + j * d1] += top[:, :, y, z] @ wf[:, :, i, j]
    return g[:, :, p0 : p0 + hw[0], p1 : p1 + hw[1]].astype(_dtype(w, top))


def ref_grad_weights(x: NDArray, top: NDArray, k: tuple[int, int], **p: Any) -> NDArray:
    """The adjoint of ``ref_conv2d`` in its filters."""
    b, c, h, wd = x.shape
    _, oc, ho, wo = top.shape
    (p0, s0, d0, _), (p1, s1, d1, _) = _geometry(h, k[0], 0, p), _geometry(wd, k[1], 1, p)
    xpad = np.zeros((b, c, h + 2 * p0, wd + 2 * p1))
    xpad[:, :, p0 : p0 + h, p1 : p1 + wd] = x
    g = np.zeros((oc, c, k[0], k[1]))
    for y in range(ho):
        for z in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    g[:, :, i, j] += (
                        top[:, :, y, z].T @ xpad[:, :, y * s0 + i * d0, z * s1 + j * d1]
                    )
    g = g[:, :, ::-1, ::-1] if p.get("filter_flip", True) else g
    return np.ascontiguousarray(g).astype(_dtype(x, top))


# --------------------------------------------------------------------------- draws


def _draw_conv(draw_int: DrawInt) -> dict[str, Any]:
    modes: list[Any] = ["valid", "full", "half", (draw_int(0, 2), draw_int(0, 2))]
    return {
        "border_mode": modes[draw_int(0, 3)],
        "subsample": (draw_int(1, 3), draw_int(1, 2)),
        "filter_flip": bool(draw_int(0, 1)),
        "filter_dilation": (draw_int(1, 2), draw_int(1, 2)),
    }


def _fits(hw: tuple[int, ...], k: tuple[int, ...], p: dict[str, Any]) -> list[int]:
    return [_geometry(hw[a], k[a], a, p)[3] for a in (0, 1)]


def conv_shapes(draw_int: DrawInt) -> Shapes:
    b, c, oc = draw_int(1, 2), draw_int(1, 2), draw_int(1, 2)
    return (b, c, draw_int(1, 6), draw_int(1, 6)), (oc, c, draw_int(1, 3), draw_int(1, 3))


def conv_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """Drawn parameters with which the filters fit (else the 'full' mode, which always fits)."""
    p = _draw_conv(draw_int)
    if min(_fits(shapes[0][2:], shapes[1][2:], p)) < 1:
        p["filter_dilation"] = (1, 1)
    if min(_fits(shapes[0][2:], shapes[1][2:], p)) < 1:
        p["border_mode"] = "full"
    return p


def _solve(
    draw_int: DrawInt, target: tuple[int, ...], make: Callable[[int, int], tuple[int, int]]
) -> tuple[dict[str, Any], tuple[int, int]]:
    """Parameters and the free spatial lengths (input or filter) for which
    the output has the spatial lengths ``target``: ``make(axis, n)`` gives
    (input length, filter length) for a candidate ``n``."""
    p = _draw_conv(draw_int)
    for attempt in (p, {"border_mode": "valid", "subsample": (1, 1), "filter_flip":
                        p["filter_flip"], "filter_dilation": (1, 1)}):  # fmt: skip
        found = []
        for axis in (0, 1):
            for n in range(1, 12):
                h, k = make(axis, n)
                if _geometry(h, k, axis, attempt)[3] == target[axis]:
                    found.append(n)
                    break
        if len(found) == 2:
            return dict(attempt), (found[0], found[1])
    raise AssertionError("unreachable: the valid mode always has a solution")


def grad_inputs_shapes(draw_int: DrawInt) -> Shapes:
    b, c, oc = draw_int(1, 2), draw_int(1, 2), draw_int(1, 2)
    return (oc, c, draw_int(1, 3), draw_int(1, 3)), (b, oc, draw_int(1, 4), draw_int(1, 4))


def grad_inputs_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    w, top = shapes
    p, hw = _solve(draw_int, top[2:], lambda axis, n: (n, w[2 + axis]))
    return {**p, "hw": hw}


def grad_weights_shapes(draw_int: DrawInt) -> Shapes:
    b, c, oc = draw_int(1, 2), draw_int(1, 2), draw_int(1, 2)
    h, w = draw_int(1, 6), draw_int(1, 6)
    return (b, c, h, w), (b, oc, draw_int(1, h), draw_int(1, w))


def grad_weights_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    x, top = shapes
    p, k = _solve(draw_int, top[2:], lambda axis, n: (x[2 + axis], n))
    return {**p, "k": k}
