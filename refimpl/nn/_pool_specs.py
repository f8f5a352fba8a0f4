"""Test-spec helpers of ``refimpl.nn.pool``: direct-loop numpy references
(independent of the ops' kernels), shape draws and parameter draws.

The references visit each window ``[r*stride - pad, r*stride - pad + ws)``,
clipped to the input, as Theano's ``Pool.perform`` did; the max's gradient
goes to the first maximal cell (``numpy.argmax`` of the row-major block).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl.opspec import DrawInt, Shape

NDArray = np.ndarray[Any, Any]
Shapes = tuple[Shape, ...]
ParamFn = Callable[[DrawInt, Shapes], dict[str, Any]]


def _out_len(n: int, ws: int, st: int, pad: int, ignore_border: bool) -> int:
    if ignore_border:
        return (n + 2 * pad - ws) // st + 1
    if st >= ws:
        return (n - 1) // st + 1
    return max(0, (n - 1 - ws + st) // st) + 1


def _windows(n: int, ws: int, st: int, pad: int, ib: bool) -> list[tuple[int, int, int]]:
    """(first cell, end cell, cells counted with padding) of each window."""
    out = []
    for r in range(_out_len(n, ws, st, pad, ib)):
        start = r * st - pad
        end = min(start + ws, n + pad)
        out.append((max(start, 0), min(end, n), end - start))
    return out


def _geometry(x: NDArray, p: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    ws, pad, ib = p["ws"], p.get("pad", (0, 0)), p.get("ignore_border", True)
    st = p.get("stride") or ws
    return (
        _windows(x.shape[-2], ws[0], st[0], pad[0], ib),
        _windows(x.shape[-1], ws[1], st[1], pad[1], ib),
    )


def _cells(x: NDArray, p: dict[str, Any]) -> Any:
    """Each window: (r, c, row slice, column slice, cells counted with padding)."""
    rows, cols = _geometry(x, p)
    for (r, (a, b, na)), (c, (e, f, nb)) in itertools.product(enumerate(rows), enumerate(cols)):
        yield r, c, slice(a, b), slice(e, f), na * nb


def ref_pool(x: NDArray, **p: Any) -> NDArray:
    rows, cols = _geometry(x, p)
    out = np.zeros((*x.shape[:-2], len(rows), len(cols)))
    mode = p.get("mode", "max")
    for r, c, rs, cs, n_pad in _cells(x, p):
        block = x[..., rs, cs].astype(np.float64)
        if mode == "max":
            out[..., r, c] = block.max(axis=(-2, -1))
        elif mode == "sum":
            out[..., r, c] = block.sum(axis=(-2, -1))
        else:
            n = n_pad if mode == "average_inc_pad" else block.shape[-2] * block.shape[-1]
            out[..., r, c] = block.sum(axis=(-2, -1)) / n
    return out.astype(x.dtype)


def _first_max(block: NDArray) -> tuple[NDArray, NDArray]:
    """Row and column (in the block) of the first maximum, per leading index."""
    flat = block.reshape(*block.shape[:-2], -1)
    k = flat.argmax(axis=-1)
    return k // block.shape[-1], k % block.shape[-1]


def ref_pool_grad(x: NDArray, gz: NDArray, **p: Any) -> NDArray:
    g = np.zeros(x.shape)
    mode = p.get("mode", "max")
    lead = list(np.ndindex(*x.shape[:-2]))
    for r, c, rs, cs, n_pad in _cells(x, p):
        block = x[..., rs, cs]
        if mode == "max":
            i, j = _first_max(block)
            for idx in lead:
                g[(*idx, rs.start + i[idx], cs.start + j[idx])] += gz[(*idx, r, c)]
            continue
        n = block.shape[-2] * block.shape[-1]
        share = 1.0 if mode == "sum" else 1.0 / (n_pad if mode == "average_inc_pad" else n)
        g[..., rs, cs] += gz[..., r, c][..., None, None] * share
    return g.astype(np.result_type(x, gz))


def ref_pool_gather(x: NDArray, v: NDArray, **p: Any) -> NDArray:
    rows, cols = _geometry(x, p)
    out = np.zeros((*x.shape[:-2], len(rows), len(cols)))
    lead = list(np.ndindex(*x.shape[:-2]))
    for r, c, rs, cs, _ in _cells(x, p):
        i, j = _first_max(x[..., rs, cs])
        for idx in lead:
            out[(*idx, r, c)] = v[(*idx, rs.start + i[idx], cs.start + j[idx])]
    return out.astype(np.result_type(x, v))


# --------------------------------------------------------------------------- draws


def pool_shapes(draw_int: DrawInt) -> Shapes:
    lead = tuple(draw_int(1, 2) for _ in range(draw_int(0, 2)))
    return ((*lead, draw_int(1, 5), draw_int(1, 5)),)


def _options(n: int, t: int | None, ib: bool, mode: str) -> list[tuple[int, int, int]]:
    """(ws, stride, pad) of one axis of length ``n`` giving ``t`` windows
    (any number when ``t`` is None)."""
    out = []
    for ws, st in itertools.product(range(1, 5), range(1, 4)):
        for pad in range(ws) if ib else (0,):
            if ib and n + 2 * pad < ws:
                continue
            if t is None or _out_len(n, ws, st, pad, ib) == t:
                out.append((ws, st, pad))
    return out


def _draw_params(draw_int: DrawInt, hw: Shape, target: Shape | None, mode: str) -> dict[str, Any]:
    first = bool(draw_int(0, 1))
    for ib in (first, not first):
        opts = [_options(hw[a], None if target is None else target[a], ib, mode) for a in (0, 1)]
        if all(opts):
            picks = [o[draw_int(0, len(o) - 1)] for o in opts]
            ws, st, pad = (tuple(p[k] for p in picks) for k in range(3))
            stride = None if st == ws and draw_int(0, 1) else st
            return {"ws": ws, "ignore_border": ib, "stride": stride, "pad": pad, "mode": mode}
    raise AssertionError("unreachable: ignore_border=True with stride 1 reaches every length")


def pool_params(mode: str) -> ParamFn:
    def params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
        return _draw_params(draw_int, shapes[0][-2:], None, mode)

    return params


def pooled_pair_shapes(draw_int: DrawInt) -> Shapes:
    """(x, gz): gz has x's leading axes and at most x's spatial lengths."""
    (x,) = pool_shapes(draw_int)
    return x, (*x[:-2], draw_int(1, x[-2]), draw_int(1, x[-1]))


def pooled_pair_params(mode: str) -> ParamFn:
    def params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
        return _draw_params(draw_int, shapes[0][-2:], shapes[1][-2:], mode)

    return params


def same_pair_shapes(draw_int: DrawInt) -> Shapes:
    (x,) = pool_shapes(draw_int)
    return x, x


def pool_pair_params(mode: str) -> ParamFn:
    return pool_params(mode)
