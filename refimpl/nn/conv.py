"""2-D convolution: ``conv2d`` and its ops ``Conv2d``, ``Conv2dGradInputs``,
``Conv2dGradWeights`` (spec/nn.md, "conv2d").

``conv2d(input, filters)`` with input ``[b, ic, h, w]`` and filters
``[oc, ic, fh, fw]`` is Theano's ``AbstractConv2d``: zero padding by
``border_mode``, strides ``subsample``, dilation ``filter_dilation``, and a
true convolution (kernel flipped) when ``filter_flip`` (the default), a
cross-correlation otherwise.

Why ops: the composite (kh*kw strided slices stacked and contracted) needs
``kh*kw`` times the output's memory and kh*kw graph nodes per convolution;
the op runs the same arithmetic row by row, has one node, checks shapes with
messages naming both operands, and is the place for native fast paths. The
three ops are closed under differentiation, because a convolution is
bilinear: each one's gradients are the other two (the transposed
convolutions), and each one's ``R_op`` is the op applied to one tangent at a
time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.nn import _conv_kernels as K
from refimpl.nn import _conv_specs as S
from refimpl.nn._util import as_type, check_ndim, float_input, int_pair
from refimpl.ops import _shape_util as _su
from refimpl.ops import math as _math
from refimpl.ops import shape as _shape
from refimpl.opspec import Arg, OpSpec
from refimpl.types import DType, TensorType, format_shape, is_discrete, promote_types
from refimpl.variable import TensorVariable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
BorderMode = str | tuple[int, int]
_C = TypeVar("_C", bound="_Conv")
_MODES = ("valid", "full", "half")


def normalize_border_mode(border_mode: Any) -> BorderMode:
    """``'valid'|'full'|'half'``, an int ``p`` (→ ``(p, p)``) or a pair of ints
    ``>= 0``; ``(0, 0)`` is ``'valid'``."""
    if isinstance(border_mode, str):
        if border_mode not in _MODES:
            raise ValueError(
                f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a pair of ints, "
                f"got {border_mode!r}"
            )
        return border_mode
    pair = int_pair(border_mode, "conv2d: border_mode", 0)
    return "valid" if pair == (0, 0) else pair


@dataclass(frozen=True)
class _Conv(Op):
    """The parameters shared by the three convolution ops."""

    border_mode: BorderMode = "valid"
    subsample: tuple[int, int] = (1, 1)
    filter_flip: bool = True
    filter_dilation: tuple[int, int] = (1, 1)

    def __str__(self) -> str:
        parts = []
        if self.border_mode != "valid":
            parts.append(f"border_mode={self.border_mode!r}")
        if self.subsample != (1, 1):
            parts.append(f"subsample={self.subsample}")
        if not self.filter_flip:
            parts.append("filter_flip=False")
        if self.filter_dilation != (1, 1):
            parts.append(f"filter_dilation={self.filter_dilation}")
        name = type(self).__name__
        return f"{name}{{{', '.join(parts)}}}" if parts else name

    def _as(self, cls: type[_C]) -> _C:
        return cls(self.border_mode, self.subsample, self.filter_flip, self.filter_dilation)

    def _pads(self, k: tuple[Any, Any]) -> tuple[Any, Any]:
        return K.pads(self.border_mode, k, self.filter_dilation)

    def _out(self, n: Any, k: Any, pad: Any, axis: int) -> Any:
        return K.out_len(n, k, pad, self.subsample[axis], self.filter_dilation[axis])

    def out_hw(self, hw: Sequence[Any], k: Sequence[Any]) -> tuple[Any, Any]:
        """The output's spatial lengths for an input of lengths ``hw`` and a
        kernel of lengths ``k`` (ints or symbolic scalars)."""
        p = self._pads((k[0], k[1]))
        return self._out(hw[0], k[0], p[0], 0), self._out(hw[1], k[1], p[1], 1)

    def static_out_hw(self, hw: Sequence[int | None], k: Sequence[int | None]) -> list[int | None]:
        """``out_hw`` where the lengths are known statically (``None`` elsewhere)."""
        out: list[int | None] = []
        for axis in (0, 1):
            n, kk = hw[axis], k[axis]
            if n is None or kk is None:
                out.append(None)
                continue
            out.append(self._out(n, kk, self._pads((kk, kk))[axis], axis))
        return out

    def _check_fits(self, who: str, x: Any, xs: Sequence[Any], w: Any, ws: Sequence[Any]) -> None:
        """``ValueError`` when the (dilated) filters do not fit the padded input."""
        for axis, n in enumerate(self.static_out_hw(xs[2:], ws[2:])):
            if n is not None and n < 1:
                raise ValueError(
                    f"{who}: the filters {w} (shape {format_shape(tuple(ws))}, dilation "
                    f"{self.filter_dilation}) do not fit the input {x} (shape "
                    f"{format_shape(tuple(xs))}) with border_mode {self.border_mode!r} on "
                    f"spatial axis {axis}: the output would have length {n}"
                )

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] * 2 + [[False]] * (len(node.inputs) - 2)

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """Bilinear: ``R op(a, b) = op(v_a, b) + op(a, v_b)``."""
        a, b, *rest = inputs
        va, vb = eval_points[0], eval_points[1]
        out_dtype = promote_types(a.dtype, b.dtype)
        terms: list[TV] = []
        if va is not None and not is_discrete(a.dtype):
            terms.append(self(_math.cast(va, a.dtype), b, *rest))
        if vb is not None and not is_discrete(b.dtype):
            terms.append(self(a, _math.cast(vb, b.dtype), *rest))
        if not terms:
            return [None]
        total = terms[0] if len(terms) == 1 else terms[0] + terms[1]
        return [total if total.dtype == out_dtype else _math.cast(total, out_dtype)]


def _spatial(v: TV) -> TV:
    """``v.shape[2:]`` as an int64 vector (static lengths stay known)."""
    return _shape.make_vector(_shape.shape_i(v, 2), _shape.shape_i(v, 3), dtype="int64")


def _like(g: TV, v: TV) -> TV:
    return g if g.dtype == v.dtype else _math.cast(g, v.dtype)


def _pair_input(shape: Any, who: str) -> TV:
    v = _su.as_int_vector(shape, f"{who}: shape")
    if v.type.shape[0] not in (None, 2):
        raise ValueError(f"{who}: shape ({v}) must have 2 entries, got {v.type.shape[0]}")
    return v


def _static_pair(v: TV) -> tuple[int | None, int | None]:
    entries = _su.static_vector(v)
    return (None, None) if entries is None else (entries[0], entries[1])


def _check_len(who: str, a: TV, ia: int, b: TV, ib: int, na: Any, nb: Any, what: str) -> None:
    if na is not None and nb is not None and na != nb:
        raise ValueError(
            f"{who}: {what}: axis {ia} of {a} (shape {format_shape(a.type.shape)}) and axis "
            f"{ib} of {b} (shape {format_shape(b.type.shape)}) differ ({na} vs {nb})"
        )


def _check_top(who: str, t: TV, expected: Sequence[int | None], what: str) -> None:
    """``ValueError`` when topgrad's static spatial lengths contradict ``expected``."""
    for axis in (0, 1):
        n, e = t.type.shape[2 + axis], expected[axis]
        if n is not None and e is not None and n != e:
            raise ValueError(
                f"{who}: topgrad ({t}, shape {format_shape(t.type.shape)}) has length {n} on "
                f"axis {2 + axis}, but {what} gives {e}"
            )


def _runtime_len(who: str, node: Apply, a: Array, ia: int, b: Array, ib: int, what: str) -> None:
    if int(a.shape[ia]) != int(b.shape[ib]):
        raise ValueError(
            f"{who}: {what}: axis {ia} of {node.inputs[0]} (shape {tuple(a.shape)}) and axis "
            f"{ib} of {node.inputs[1]} (shape {tuple(b.shape)}) differ"
        )


def _check_out(who: str, node: Apply, hw: Sequence[int], expected: Sequence[int]) -> None:
    if any(n < 1 for n in expected):
        raise ValueError(
            f"{who}: the filters do not fit the input {node.inputs[0]} (spatial shape "
            f"{tuple(hw)}) with border_mode {node.op.border_mode!r}: the output would have "  # type: ignore[attr-defined]
            f"spatial shape {tuple(expected)}"
        )


# --------------------------------------------------------------------------- Conv2d


@dataclass(frozen=True)
class Conv2d(_Conv):
    """``conv2d(input, filters)`` (see the module docstring)."""

    def make_node(self, input: Any, filters: Any) -> Apply:
        x, w = float_input(input, "conv2d", "input"), float_input(filters, "conv2d", "filters")
        check_ndim(x, 4, "conv2d", "input", "[batch, channels, rows, columns]")
        check_ndim(w, 4, "conv2d", "filters", "[out channels, in channels, rows, columns]")
        xs, ws = x.type.shape, w.type.shape
        _check_len("conv2d", x, 1, w, 1, xs[1], ws[1], "the input channels of input and filters")
        self._check_fits("conv2d", x, xs, w, ws)
        out = TensorType(promote_types(x.dtype, w.dtype), (xs[0], ws[0], *self.static_out_hw(
            xs[2:], ws[2:])))  # fmt: skip
        return Apply(self, [x, w], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype: DType = node.outputs[0].type.dtype
        x, w = (as_type(xp, a, dtype) for a in inputs)
        _runtime_len("conv2d", node, x, 1, w, 1, "the input channels of input and filters")
        hw, k = (int(x.shape[2]), int(x.shape[3])), (int(w.shape[2]), int(w.shape[3]))
        _check_out("conv2d", node, hw, self.out_hw(hw, k))
        pad = self._pads(k)
        return (K.forward(xp, x, w, pad, self.subsample, self.filter_dilation, self.filter_flip),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        xs, ws = input_shapes
        return [(xs[0], ws[0], *self.out_hw(xs[2:], ws[2:]))]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``g_input = Conv2dGradInputs(filters, g)``,
        ``g_filters = Conv2dGradWeights(input, g)``."""
        x, w = inputs
        (g,) = output_grads
        gx = self._as(Conv2dGradInputs)(w, g, _spatial(x))
        gw = self._as(Conv2dGradWeights)(x, g, _spatial(w))
        return [_like(gx, x), _like(gw, w)]


# --------------------------------------------------------------------------- gradients


@dataclass(frozen=True)
class Conv2dGradInputs(_Conv):
    """The adjoint of ``Conv2d`` in its input: ``(filters, topgrad, shape)``
    → ``[b, ic, shape[0], shape[1]]`` with ``<conv2d(x, f), t> = <x, this(f, t)>``.
    ``shape`` (the input's spatial lengths) is needed because with strides
    several input lengths give the same output length."""

    def make_node(self, filters: Any, topgrad: Any, shape: Any) -> Apply:
        who = "Conv2dGradInputs"
        w, t = float_input(filters, who, "filters"), float_input(topgrad, who, "topgrad")
        check_ndim(w, 4, who, "filters", "[out channels, in channels, rows, columns]")
        check_ndim(t, 4, who, "topgrad", "[batch, out channels, rows, columns]")
        s = _pair_input(shape, who)
        _check_len(who, w, 0, t, 1, w.type.shape[0], t.type.shape[1], "the output channels")
        hw = _static_pair(s)
        expected = self.static_out_hw(hw, w.type.shape[2:])
        _check_top(who, t, expected, f"an input of spatial shape {hw}")
        out = TensorType(promote_types(w.dtype, t.dtype), (t.type.shape[0], w.type.shape[1], *hw))
        return Apply(self, [w, t, s], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype: DType = node.outputs[0].type.dtype
        w, t = as_type(xp, inputs[0], dtype), as_type(xp, inputs[1], dtype)
        hw = _su.to_ints(inputs[2])
        _runtime_len("Conv2dGradInputs", node, w, 0, t, 1, "the output channels")
        k = (int(w.shape[2]), int(w.shape[3]))
        expected = self.out_hw(hw, k)
        _check_out("Conv2dGradInputs", node, hw, expected)
        if tuple(int(n) for n in t.shape[2:]) != tuple(expected):
            raise ValueError(
                f"Conv2dGradInputs: topgrad {node.inputs[1]} has spatial shape "
                f"{tuple(t.shape[2:])}, but an input of spatial shape {tuple(hw)} gives "
                f"{tuple(expected)}"
            )
        g = K.grad_inputs(xp, w, t, (hw[0], hw[1]), self._pads(k), self.subsample,
                          self.filter_dilation, self.filter_flip)  # fmt: skip
        return (g,)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        ws, ts, _ = input_shapes
        return [(ts[0], ws[1], *_su.vector_entries(cast(TV, node.inputs[2]), 2))]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``<this(f, t), G> = <conv2d(G, f), t>``: ``g_t = conv2d(G, f)``,
        ``g_f = Conv2dGradWeights(G, t)``."""
        w, t, _ = inputs
        (g,) = output_grads
        gt = self._as(Conv2d)(g, w)
        gw = self._as(Conv2dGradWeights)(g, t, _spatial(w))
        return [_like(gw, w), _like(gt, t), None]


@dataclass(frozen=True)
class Conv2dGradWeights(_Conv):
    """The adjoint of ``Conv2d`` in its filters: ``(input, topgrad, shape)``
    → ``[oc, ic, shape[0], shape[1]]`` with ``<conv2d(x, f), t> = <f, this(x, t)>``."""

    def make_node(self, input: Any, topgrad: Any, shape: Any) -> Apply:
        who = "Conv2dGradWeights"
        x, t = float_input(input, who, "input"), float_input(topgrad, who, "topgrad")
        check_ndim(x, 4, who, "input", "[batch, channels, rows, columns]")
        check_ndim(t, 4, who, "topgrad", "[batch, out channels, rows, columns]")
        s = _pair_input(shape, who)
        _check_len(who, x, 0, t, 0, x.type.shape[0], t.type.shape[0], "the batch sizes")
        k = _static_pair(s)
        expected = self.static_out_hw(x.type.shape[2:], k)
        _check_top(who, t, expected, f"filters of spatial shape {k}")
        out = TensorType(promote_types(x.dtype, t.dtype), (t.type.shape[1], x.type.shape[1], *k))
        return Apply(self, [x, t, s], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype: DType = node.outputs[0].type.dtype
        x, t = as_type(xp, inputs[0], dtype), as_type(xp, inputs[1], dtype)
        k2 = _su.to_ints(inputs[2])
        k = (k2[0], k2[1])
        _runtime_len("Conv2dGradWeights", node, x, 0, t, 0, "the batch sizes")
        hw = (int(x.shape[2]), int(x.shape[3]))
        expected = self.out_hw(hw, k)
        if min(k) < 1 or tuple(int(n) for n in t.shape[2:]) != tuple(expected):
            raise ValueError(
                f"Conv2dGradWeights: topgrad {node.inputs[1]} has spatial shape "
                f"{tuple(t.shape[2:])}, but filters of spatial shape {tuple(k)} on an input "
                f"of spatial shape {hw} give {tuple(expected)}"
            )
        g = K.grad_weights(xp, x, t, k, self._pads(k), self.subsample,
                           self.filter_dilation, self.filter_flip)  # fmt: skip
        return (g,)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        xs, ts, _ = input_shapes
        return [(ts[1], xs[1], *_su.vector_entries(cast(TV, node.inputs[2]), 2))]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``<this(x, t), G> = <conv2d(x, G), t>``: ``g_t = conv2d(x, G)``,
        ``g_x = Conv2dGradInputs(G, t)``."""
        x, t, _ = inputs
        (g,) = output_grads
        gt = self._as(Conv2d)(x, g)
        gx = self._as(Conv2dGradInputs)(g, t, _spatial(x))
        return [_like(gx, x), _like(gt, t), None]


# --------------------------------------------------------------------------- conv2d


def _hint(v: TV, shape: Any, what: str) -> TV:
    """``v`` with the user's shape hint (ints or ``None``) asserted."""
    if shape is None:
        return v
    entries = list(shape)
    if len(entries) != 4:
        raise ValueError(f"conv2d: {what} must have 4 entries (int or None), got {shape!r}")
    if all(e is None for e in entries):
        return v
    return _shape.specify_shape(v, entries)


def conv2d(
    input: Any,
    filters: Any,
    input_shape: Sequence[int | None] | None = None,
    filter_shape: Sequence[int | None] | None = None,
    border_mode: Any = "valid",
    subsample: Any = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Any = (1, 1),
) -> TV:
    """2-D convolution of ``input`` ``[b, ic, h, w]`` with ``filters``
    ``[oc, ic, fh, fw]`` → ``[b, oc, oh, ow]``.

    ``border_mode``: ``'valid'`` (no padding: ``oh = h - fh + 1``),
    ``'full'`` (``oh = h + fh - 1``), ``'half'`` (pad ``fh // 2``: the same
    size for odd filters), an int or a pair of ints (explicit zero padding).
    ``subsample``: strides; ``filter_dilation``: spacing of the filter taps;
    ``filter_flip=False`` computes a cross-correlation. ``input_shape`` and
    ``filter_shape`` are shape hints (ints or ``None``), checked at run time
    and used for static shapes.
    """
    if not isinstance(filter_flip, bool):
        raise TypeError(f"conv2d: filter_flip must be a bool, got {filter_flip!r}")
    op = Conv2d(
        normalize_border_mode(border_mode),
        int_pair(subsample, "conv2d: subsample", 1),
        filter_flip,
        int_pair(filter_dilation, "conv2d: filter_dilation", 1),
    )
    x = _hint(float_input(input, "conv2d", "input"), input_shape, "input_shape")
    w = _hint(float_input(filters, "conv2d", "filters"), filter_shape, "filter_shape")
    return cast(TV, op(x, w))


# --------------------------------------------------------------------------- test specs


def _grad_inputs(w: TV, t: TV, **p: Any) -> TV:
    hw = p.pop("hw")
    return cast(TV, Conv2d(**S.op_params(p))._as(Conv2dGradInputs)(w, t, hw))


def _grad_weights(x: TV, t: TV, **p: Any) -> TV:
    k = p.pop("k")
    return cast(TV, Conv2d(**S.op_params(p))._as(Conv2dGradWeights)(x, t, k))


def _specs() -> tuple[OpSpec, ...]:
    f: tuple[DType, ...] = ("float64", "float32")
    common: dict[str, Any] = dict(poly_degree=2, family="nn")
    return (
        OpSpec("conv2d", conv2d, S.ref_conv2d, (Arg("input", f), Arg("filters", f)),
               S.conv_shapes, op_classes=(Conv2d,), params=S.conv_params, **common,
               doc="all border modes, strides, dilations, filter_flip"),
        OpSpec("conv2d_grad_inputs", _grad_inputs, S.ref_grad_inputs,
               (Arg("filters", f), Arg("topgrad", f)), S.grad_inputs_shapes,
               op_classes=(Conv2dGradInputs,), params=S.grad_inputs_params, **common,
               doc="the transposed convolution (the input gradient of conv2d)"),
        OpSpec("conv2d_grad_weights", _grad_weights, S.ref_grad_weights,
               (Arg("input", f), Arg("topgrad", f)), S.grad_weights_shapes,
               op_classes=(Conv2dGradWeights,), params=S.grad_weights_params, **common,
               doc="the filter gradient of conv2d"),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
