"""Array kernels of the pooling ops (``refimpl.nn.pool``), written with the
array API standard only.

Pooling acts on the last two axes. Output position ``r`` of an axis covers
the input cells ``[r*stride - pad, r*stride - pad + ws)``; the input is
padded (``-inf`` for ``max``, ``0`` for the sums) and extended at the end so
that every window fits, and the ``ws0*ws1`` strided slices are stacked on a
new last axis. The backward kernels scatter each tap's contribution back
by zero-interleaving (the stride) and padding (the tap's offset).

``out_len`` is Theano's ``Pool.out_shape`` rule; it takes a ``maximum``
function so that ``infer_shape`` can use it on symbolic scalars.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import array_api_compat

from refimpl._typing import Array, Namespace
from refimpl.nn._util import pad_axis, upsample

Pair = tuple[int, int]


def out_len(
    n: Any, ws: int, st: int, pad: int, ignore_border: bool, maximum: Callable[..., Any] = max
) -> Any:
    """Theano's rule: with ``ignore_border`` only whole windows of the padded
    input; otherwise windows start at every multiple of the stride that
    covers a new cell (the last ones partial)."""
    if ignore_border:
        return (n + 2 * pad - ws) // st + 1
    if st >= ws:
        return (n - 1) // st + 1
    return maximum(0, (n - 1 - ws + st) // st) + 1


def counts(n: int, m: int, ws: int, st: int, pad: int, include_pad: bool) -> list[int]:
    """The number of cells each of the ``m`` windows of an axis of length
    ``n`` averages over: within the padded input (``include_pad``) or
    within the input only."""
    out = []
    for r in range(m):
        start = r * st - pad
        end = builtins.min(start + ws, n + pad)
        out.append(end - start if include_pad else builtins.min(end, n) - builtins.max(start, 0))
    return out


class Geometry:
    """The pooling windows of a concrete input shape."""

    def __init__(self, hw: Pair, ws: Pair, st: Pair, pad: Pair, ignore_border: bool) -> None:
        self.hw, self.ws, self.st, self.pad = hw, ws, st, pad
        self.out = (
            out_len(hw[0], ws[0], st[0], pad[0], ignore_border),
            out_len(hw[1], ws[1], st[1], pad[1], ignore_border),
        )
        # padded lengths: every window fits
        self.span = tuple((self.out[a] - 1) * st[a] + ws[a] for a in (0, 1))

    def padded(self, xp: Namespace, x: Array, fill: float) -> Array:
        for a in (0, 1):
            hi = self.span[a] - self.hw[a] - self.pad[a]
            x = pad_axis(xp, x, x.ndim - 2 + a, self.pad[a], hi, fill)
        return x

    def windows(self, xp: Namespace, xpad: Array) -> Array:
        """``[..., ho, wo, ws0*ws1]``: the windows' cells, row-major."""
        (h0, h1), (s0, s1) = self.out, self.st
        taps = [
            xpad[..., i : i + s0 * (h0 - 1) + 1 : s0, j : j + s1 * (h1 - 1) + 1 : s1]
            for i in range(self.ws[0])
            for j in range(self.ws[1])
        ]
        return xp.stack(taps, axis=-1)

    def scatter(self, xp: Namespace, parts: list[Array]) -> Array:
        """The adjoint of ``windows`` followed by ``padded``: each tap's
        ``[..., ho, wo]`` contribution summed back into the input's shape."""
        total = None
        k = 0
        for i in range(self.ws[0]):
            for j in range(self.ws[1]):
                c = upsample(xp, upsample(xp, parts[k], -2, self.st[0]), -1, self.st[1])
                c = pad_axis(xp, c, -2, i, self.span[0] - i - int(c.shape[-2]))
                c = pad_axis(xp, c, -1, j, self.span[1] - j - int(c.shape[-1]))
                total = c if total is None else total + c
                k += 1
        assert total is not None
        if len(parts) == 1:
            total = xp.asarray(total, copy=True)  # never alias an input (1x1 windows)
        for a in (0, 1):
            hi = self.hw[a] + self.pad[a] - self.span[a]
            total = pad_axis(xp, total, total.ndim - 2 + a, -self.pad[a], hi)
        return total

    def divisor(self, xp: Namespace, like: Array, include_pad: bool) -> Array:
        """``[ho, wo]`` cell counts of the windows, of ``like``'s dtype and device."""
        c0 = counts(self.hw[0], self.out[0], self.ws[0], self.st[0], self.pad[0], include_pad)
        c1 = counts(self.hw[1], self.out[1], self.ws[1], self.st[1], self.pad[1], include_pad)
        table = [[float(a * b) for b in c1] for a in c0]
        return xp.asarray(table, dtype=like.dtype, device=array_api_compat.device(like))

    def argmax(self, xp: Namespace, x: Array) -> Array:
        """The first maximal cell of each window (row-major index in the window)."""
        return xp.argmax(self.windows(xp, self.padded(xp, x, -float("inf"))), axis=-1)

    def onehot(self, xp: Namespace, am: Array) -> Array:
        """``[..., ho, wo, ws0*ws1]`` masks of the argmax cells."""
        n = self.ws[0] * self.ws[1]
        taps = xp.arange(n, dtype=am.dtype, device=array_api_compat.device(am))
        return xp.expand_dims(am, axis=-1) == taps
