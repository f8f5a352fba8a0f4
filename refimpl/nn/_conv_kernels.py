"""Array kernels of the convolution ops (``refimpl.nn.conv``), written with
the array API standard only: zero padding by ``concat`` of full blocks,
kernel flips by ``flip``, strided basic slices, ``stack`` and ``tensordot``.

Shapes: input ``[b, c, h, w]``, filters ``[oc, c, kh, kw]``, output
``[b, oc, ho, wo]``. A correlation with stride ``s`` and dilation ``d`` reads
``x[y*s + i*d]`` for tap ``i``; the kernel loops over the ``kh`` filter rows
and contracts the ``kw`` stacked taps of a row at once, so memory stays
``kw`` times the output (not ``kh*kw`` times, as a full im2col would).

``pads`` and ``out_len`` are plain arithmetic, so they work on Python ints
and on symbolic int64 scalars alike (``infer_shape`` uses them too).
"""

from __future__ import annotations

from typing import Any

from refimpl._typing import Array, Namespace
from refimpl.nn._util import pad_axis, upsample

Pair = tuple[int, int]


def effective(k: Any, dilation: int) -> Any:
    """The extent of a dilated kernel of length ``k``: ``(k - 1) d + 1``."""
    return (k - 1) * dilation + 1 if dilation != 1 else k


def pads(border_mode: str | Pair, k: tuple[Any, Any], dilation: Pair) -> tuple[Any, Any]:
    """The zero padding of each spatial axis for ``border_mode`` with a
    kernel of lengths ``k``: ``valid`` 0, ``full`` extent - 1, ``half``
    extent // 2, or the explicit pair."""
    if border_mode == "valid":
        return 0, 0
    if isinstance(border_mode, tuple):
        return border_mode
    ext = (effective(k[0], dilation[0]), effective(k[1], dilation[1]))
    if border_mode == "full":
        return ext[0] - 1, ext[1] - 1
    return ext[0] // 2, ext[1] // 2


def out_len(n: Any, k: Any, pad: Any, stride: int, dilation: int) -> Any:
    """The output length ``(n + 2 pad - extent) // stride + 1``."""
    span = n - effective(k, dilation)
    if not (isinstance(pad, int) and pad == 0):
        span = span + 2 * pad
    if stride != 1:
        span = span // stride
    return span + 1


def _window(start: int, count: int, step: int) -> slice:
    return slice(start, start + step * (count - 1) + 1, step)


def correlate(
    xp: Namespace, x: Array, w: Array, stride: Pair, dilation: Pair, out_hw: Pair
) -> Array:
    """Valid cross-correlation of the (already padded) ``x`` with ``w``:
    ``out[b, o, y, z] = sum_{c,i,j} x[b, c, y s0 + i d0, z s1 + j d1] w[o, c, i, j]``."""
    kh, kw = int(w.shape[2]), int(w.shape[3])
    ho, wo = out_hw
    acc = None
    for i in range(kh):
        rows = _window(i * dilation[0], ho, stride[0])
        taps = [x[:, :, rows, _window(j * dilation[1], wo, stride[1])] for j in range(kw)]
        part = xp.tensordot(xp.stack(taps, axis=2), w[:, :, i, :], axes=([1, 2], [1, 2]))
        acc = part if acc is None else acc + part
    return xp.permute_dims(acc, (0, 3, 1, 2))


def pad_spatial(xp: Namespace, x: Array, pad: Pair) -> Array:
    return pad_axis(xp, pad_axis(xp, x, 2, pad[0], pad[0]), 3, pad[1], pad[1])


def flip_spatial(xp: Namespace, w: Array) -> Array:
    return xp.flip(w, axis=(2, 3))


def forward(
    xp: Namespace, x: Array, w: Array, pad: Pair, stride: Pair, dilation: Pair, flip: bool
) -> Array:
    """``conv2d``: pad, flip the kernel when ``flip``, correlate."""
    ho = out_len(int(x.shape[2]), int(w.shape[2]), pad[0], stride[0], dilation[0])
    wo = out_len(int(x.shape[3]), int(w.shape[3]), pad[1], stride[1], dilation[1])
    wf = flip_spatial(xp, w) if flip else w
    return correlate(xp, pad_spatial(xp, x, pad), wf, stride, dilation, (ho, wo))


def grad_inputs(
    xp: Namespace,
    w: Array,
    top: Array,
    hw: Pair,
    pad: Pair,
    stride: Pair,
    dilation: Pair,
    flip: bool,
) -> Array:
    """The adjoint of ``forward`` in its input: ``top`` upsampled by the
    stride, fully correlated with the transposed, flipped kernel, then cropped
    (or zero-extended where the forward pass skipped a remainder) to ``hw``."""
    wf = flip_spatial(xp, w) if flip else w
    kernel = xp.permute_dims(flip_spatial(xp, wf), (1, 0, 2, 3))
    u = upsample(xp, upsample(xp, top, 2, stride[0]), 3, stride[1])
    ext = (effective(int(w.shape[2]), dilation[0]), effective(int(w.shape[3]), dilation[1]))
    u = pad_spatial(xp, u, (ext[0] - 1, ext[1] - 1))
    lengths = (int(u.shape[2]) - ext[0] + 1, int(u.shape[3]) - ext[1] + 1)
    g = correlate(xp, u, kernel, (1, 1), dilation, lengths)
    for axis in (0, 1):
        padded = hw[axis] + 2 * pad[axis]
        g = pad_axis(xp, g, 2 + axis, -pad[axis], padded - lengths[axis] - pad[axis])
    return g


def grad_weights(
    xp: Namespace,
    x: Array,
    top: Array,
    k: Pair,
    pad: Pair,
    stride: Pair,
    dilation: Pair,
    flip: bool,
) -> Array:
    """The adjoint of ``forward`` in its filters: for each tap, the
    contraction of ``top`` with the strided window of the padded input."""
    xpad = pad_spatial(xp, x, pad)
    ho, wo = int(top.shape[2]), int(top.shape[3])
    rows = []
    for i in range(k[0]):
        r = _window(i * dilation[0], ho, stride[0])
        taps = [xpad[:, :, r, _window(j * dilation[1], wo, stride[1])] for j in range(k[1])]
        rows.append(xp.tensordot(top, xp.stack(taps, axis=2), axes=([0, 2, 3], [0, 3, 4])))
    g = xp.stack(rows, axis=2)
    return flip_spatial(xp, g) if flip else g
