"""Cross-entropies: the fused ``SoftmaxCrossEntropy`` op and the composites
``categorical_crossentropy``, ``binary_crossentropy``,
``sigmoid_binary_crossentropy``, ``softmax_cross_entropy_with_logits`` and
``crossentropy_softmax_1hot`` (spec/nn.md, "Cross-entropies").

``SoftmaxCrossEntropy(logits, labels)`` is ``-sum(labels * log_softmax(logits))``
over the last axis, with ``labels`` either a distribution (same shape as the
logits) or integer class indices (the logits' shape without the last axis).
It is an op for numerical stability: the loss is ``lse - picked`` computed
from the max-shifted logits, and its gradient ``g (softmax - labels)`` is
finite for saturated logits, where ``-log(softmax(x))`` gives ``inf`` and a
NaN gradient. ``categorical_crossentropy(softmax(x), y)`` and
``binary_crossentropy(sigmoid(x), t)`` are built as the fused stable forms
(in every mode); FAST_RUN's rewrites handle the forms written out by hand
(``refimpl.nn.rewrites``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.nn import activations as _act
from refimpl.nn._util import as_type, float_dtype, real_input
from refimpl.nn.softmax import Softmax, log_softmax, softmax
from refimpl.ops import creation as _creation
from refimpl.ops import math as _math
from refimpl.ops import math_compare as _cmp
from refimpl.ops import math_special as _sp
from refimpl.ops import reduction as _red
from refimpl.ops import shape as _shape
from refimpl.ops import subtensor as _sub
from refimpl.ops.elemwise import Elemwise
from refimpl.opspec import Arg, DrawInt, OpSpec, Shape, broadcast_shapes
from refimpl.types import DType, TensorType, format_shape, is_discrete, kind
from refimpl.variable import TensorVariable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
NDArray = np.ndarray[Any, Any]


def _is_sparse(logits: TV, labels: TV) -> bool:
    """Integer class indices (one axis fewer) rather than a distribution."""
    if labels.ndim == logits.ndim - 1 and kind(labels.dtype) in "iu":
        return True
    if labels.ndim == logits.ndim:
        return False
    raise TypeError(
        f"crossentropy: labels ({labels}, {labels.type}) must be a distribution of the shape "
        f"of the predictions ({logits}, {logits.type}) or integer class indices with one "
        "dimension fewer"
    )


def _leading_shape(logits: TV, labels: TV, sparse: bool) -> tuple[int | None, ...]:
    lead = logits.type.shape[:-1]
    other = labels.type.shape if sparse else labels.type.shape[:-1]
    out: list[int | None] = []
    for k, (m, n) in enumerate(zip(lead, other)):
        if m is not None and n is not None and m != n:
            raise ValueError(
                f"crossentropy: labels ({labels}, shape {format_shape(labels.type.shape)}) do "
                f"not match the predictions ({logits}, shape {format_shape(logits.type.shape)}) "
                f"on axis {k}"
            )
        out.append(m if m is not None else n)
    if not sparse:
        m, n = logits.type.shape[-1], labels.type.shape[-1]
        if m is not None and n is not None and m != n:
            raise ValueError(
                f"crossentropy: labels ({labels}) have {n} classes, the predictions ({logits}) {m}"
            )
    return tuple(out)


def one_hot(labels: TV, n_classes: TV, dtype: DType) -> TV:
    """``labels[..., None] == arange(n_classes)`` as ``dtype`` (a composite)."""
    hit = _cmp.eq(_shape.shape_padright(labels), _creation.arange(n_classes))
    return _math.cast(hit, dtype)


def _check_labels(xp: Namespace, node: Apply, labels: Array, k: int) -> None:
    if labels.size and (bool(xp.any(labels < 0)) or bool(xp.any(labels >= k))):
        raise ValueError(
            f"SoftmaxCrossEntropy: the class indices {node.inputs[1]} must lie in [0, {k}) "
            f"(the length of the last axis of {node.inputs[0]})"
        )


@dataclass(frozen=True)
class SoftmaxCrossEntropy(Op):
    """``-sum(labels * log_softmax(logits), axis=-1)`` (see the module docstring)."""

    def make_node(self, logits: Any, labels: Any) -> Apply:
        x = real_input(logits, "SoftmaxCrossEntropy", "logits")
        t = real_input(labels, "SoftmaxCrossEntropy", "labels")
        if x.ndim == 0:
            raise TypeError(f"SoftmaxCrossEntropy: logits ({x}) must have at least one axis")
        sparse = _is_sparse(x, t)
        dtype = float_dtype(x.dtype) if sparse else float_dtype(x.dtype, t.dtype)
        out = TensorType(dtype, _leading_shape(x, t, sparse))
        return Apply(self, [x, t], [out()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        dtype = node.outputs[0].type.dtype
        x, t = as_type(xp, inputs[0], dtype), inputs[1]
        s = x - xp.max(x, axis=-1, keepdims=True)
        lse = xp.log(xp.sum(xp.exp(s), axis=-1))
        if len(node.inputs[1].type.shape) == len(node.inputs[0].type.shape) - 1:
            k = x.shape[-1]
            _check_labels(xp, node, t, k)
            classes = xp.arange(k, dtype=t.dtype, device=_device(x))
            hit = xp.expand_dims(t, axis=-1) == classes
            picked = xp.sum(xp.where(hit, s, xp.zeros_like(s)), axis=-1)
            return (lse - picked,)
        if tuple(t.shape) != tuple(x.shape):
            raise ValueError(
                f"SoftmaxCrossEntropy: labels {node.inputs[1]} have shape {tuple(t.shape)}, "
                f"the logits {node.inputs[0]} {tuple(x.shape)}"
            )
        t = as_type(xp, t, dtype)
        return (xp.sum(t, axis=-1) * lse - xp.sum(t * s, axis=-1),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0][:-1])]

    def _dloss_dlogits(self, x: TV, t: TV, dtype: DType) -> TV:
        """``softmax(x) sum(t) - t`` (dense) or ``softmax(x) - one_hot(t)``."""
        sm = softmax(x)
        if t.ndim == x.ndim - 1:
            return sm - one_hot(t, _shape.shape_i(x, x.ndim - 1), dtype)
        return sm * _red.sum(t, axis=-1, keepdims=True) - t

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """``g_logits = g (softmax sum(t) - t)``; ``g_labels = -g log_softmax`` (dense)."""
        x, t = inputs
        g = _shape.shape_padright(output_grads[0])
        dtype = outputs[0].dtype
        gx = None if is_discrete(x.dtype) else _like(g * self._dloss_dlogits(x, t, dtype), x)
        if t.ndim == x.ndim - 1 or is_discrete(t.dtype):
            return [gx, None]
        return [gx, _like(-(g * log_softmax(x)), t)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """``R = sum(d/dlogits * v_logits) - sum(log_softmax * v_labels)``."""
        x, t = inputs
        vx, vt = (None if is_discrete(a.dtype) else v for a, v in zip(inputs, eval_points))
        dtype = float_dtype(x.dtype) if t.ndim == x.ndim - 1 else float_dtype(x.dtype, t.dtype)
        terms: list[TV] = []
        if vx is not None:
            terms.append(_red.sum(self._dloss_dlogits(x, t, dtype) * vx, axis=-1))
        if vt is not None and t.ndim == x.ndim:
            terms.append(-_red.sum(log_softmax(x) * vt, axis=-1))
        if not terms:
            return [None]
        total = terms[0] if len(terms) == 1 else terms[0] + terms[1]
        return [total if total.dtype == dtype else _math.cast(total, dtype)]


def _device(x: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def _like(g: TV, x: TV) -> TV:
    return g if g.dtype == x.dtype else _math.cast(g, x.dtype)


# --------------------------------------------------------------------------- public functions


def softmax_cross_entropy_with_logits(logits: Any, labels: Any) -> TV:
    """``-sum(labels * log_softmax(logits), axis=-1)``, computed stably;
    ``labels`` is a distribution of the logits' shape or integer class indices."""
    return cast(TV, SoftmaxCrossEntropy()(logits, labels))


def crossentropy_softmax_1hot(x: Any, y_idx: Any) -> tuple[TV, TV]:
    """Theano's ``(nll, softmax(x))`` for integer labels ``y_idx``: the
    negative log-likelihood of each row and the softmax itself."""
    return softmax_cross_entropy_with_logits(x, y_idx), softmax(x)


def _softmax_logits(coding: TV) -> TV | None:
    node = coding.owner
    if node is not None and isinstance(node.op, Softmax) and node.op.axis == -1:
        return cast(TV, node.inputs[0])
    return None


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> TV:
    """``-sum(true_dist * log(coding_dist), axis=-1)``, or with integer labels
    (one dimension fewer) ``-log(coding_dist[..., true_dist])``.

    When ``coding_dist`` is ``softmax(x)`` (over the last axis) the result is
    the fused ``SoftmaxCrossEntropy(x, true_dist)``: the same function,
    finite (with a finite gradient) for saturated logits.
    """
    q = real_input(coding_dist, "categorical_crossentropy", "coding_dist")
    t = real_input(true_dist, "categorical_crossentropy", "true_dist")
    if q.ndim == 0:
        raise TypeError(f"categorical_crossentropy: coding_dist ({q}) must have at least one axis")
    sparse = _is_sparse(q, t)
    _leading_shape(q, t, sparse)
    logits = _softmax_logits(q)
    if logits is not None:
        return softmax_cross_entropy_with_logits(logits, t)
    if not sparse:
        return -_red.sum(t * _sp.log(q), axis=-1)
    return -_sp.log(_pick(q, t))


def _pick(q: TV, y: TV) -> TV:
    """``q[..., y]``: the entry of the label in each row (advanced indexing)."""
    if q.ndim == 1:
        return _sub.getitem(q, y)
    k = _shape.shape_i(q, q.ndim - 1)
    q2 = q if q.ndim == 2 else _shape.reshape(q, (-1, k))
    y1 = y if y.ndim == 1 else _shape.flatten(y)
    rows = _creation.arange(_shape.shape_i(q2, 0))
    picked = _sub.getitem(q2, (rows, y1))
    return picked if q.ndim == 2 else _shape.reshape(picked, _shape.shape(y))


def binary_crossentropy(output: Any, target: Any) -> TV:
    """``-(target log(output) + (1 - target) log(1 - output))`` elementwise.
    When ``output`` is ``sigmoid(x)`` the result is
    ``sigmoid_binary_crossentropy(x, target)`` (the same function, finite for
    saturated ``x``)."""
    o = real_input(output, "binary_crossentropy", "output")
    t = real_input(target, "binary_crossentropy", "target")
    node = o.owner
    if node is not None and isinstance(node.op, Elemwise) and node.op.fn is _act.SIGMOID:
        return sigmoid_binary_crossentropy(node.inputs[0], t)
    return -(t * _sp.log(o) + (1.0 - t) * _sp.log(1.0 - o))


def sigmoid_binary_crossentropy(logits: Any, target: Any) -> TV:
    """``binary_crossentropy(sigmoid(logits), target)`` computed stably as
    ``softplus(logits) - target * logits``."""
    x = real_input(logits, "sigmoid_binary_crossentropy", "logits")
    t = real_input(target, "sigmoid_binary_crossentropy", "target")
    return _act.softplus(x) - t * x


# --------------------------------------------------------------------------- test specs


def _ref_lsm(x: NDArray) -> NDArray:
    x64 = x.astype(np.float64)
    s = x64 - x64.max(axis=-1, keepdims=True)
    return np.asarray(s - np.log(np.exp(s).sum(axis=-1, keepdims=True)))


def _ref_xent(x: NDArray, t: NDArray) -> NDArray:
    if t.ndim == x.ndim - 1:
        picked = np.take_along_axis(_ref_lsm(x), t[..., None].astype(np.int64), axis=-1)
        return np.asarray(-picked[..., 0]).astype(float_dtype(str(x.dtype)))  # type: ignore[arg-type]
    d = float_dtype(str(x.dtype), str(t.dtype))  # type: ignore[arg-type]
    return np.asarray(-(t.astype(np.float64) * _ref_lsm(x)).sum(axis=-1)).astype(d)


def _ref_cce(q: NDArray, t: NDArray) -> NDArray:
    d = float_dtype(str(q.dtype), str(t.dtype))  # type: ignore[arg-type]
    if t.ndim == q.ndim - 1:
        d = float_dtype(str(q.dtype))  # type: ignore[arg-type]
        picked = np.take_along_axis(q.astype(np.float64), t[..., None].astype(np.int64), -1)
        return np.asarray(-np.log(picked[..., 0])).astype(d)
    return np.asarray(-(t * np.log(q.astype(np.float64))).sum(axis=-1)).astype(d)


def _ref_bce(o: NDArray, t: NDArray) -> NDArray:
    d = float_dtype(str(o.dtype), str(t.dtype))  # type: ignore[arg-type]
    o64, t64 = o.astype(np.float64), t.astype(np.float64)
    return np.asarray(-(t64 * np.log(o64) + (1 - t64) * np.log1p(-o64))).astype(d)


def _ref_sbce(x: NDArray, t: NDArray) -> NDArray:
    d = float_dtype(str(x.dtype), str(t.dtype))  # type: ignore[arg-type]
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    return np.asarray(np.logaddexp(0.0, x64) - t64 * x64).astype(d)


def _rows(draw_int: DrawInt, sparse: bool) -> tuple[Shape, ...]:
    lead = tuple(draw_int(1, 3) for _ in range(draw_int(0, 2)))
    k = draw_int(1, 4)
    return ((*lead, k), lead if sparse else (*lead, k))


def _label_inputs(rng: Any, shapes: tuple[Shape, ...], params: Any) -> tuple[NDArray, ...]:
    x, y = shapes
    return rng.uniform(-3.0, 3.0, size=x), rng.integers(0, x[-1], size=y)


def _prob_label_inputs(rng: Any, shapes: tuple[Shape, ...], params: Any) -> tuple[NDArray, ...]:
    q, y = shapes
    return rng.uniform(0.1, 1.0, size=q), rng.integers(0, q[-1], size=y)


_F: tuple[DType, ...] = ("float64", "float32")
_I: tuple[DType, ...] = ("int64", "int32")
_NN: dict[str, Any] = dict(family="nn")


def _specs() -> tuple[OpSpec, ...]:
    x, t = Arg("x", _F), Arg("t", _F, (0.0, 1.0))
    y = Arg("y", _I, (0.0, 3.0), differentiable=False)
    q = Arg("q", _F, (0.1, 1.0))
    sparse: dict[str, Any] = dict(shapes=lambda d: _rows(d, True))
    dense: dict[str, Any] = dict(shapes=lambda d: _rows(d, False))
    sm_cce = lambda a, b: categorical_crossentropy(softmax(a), b)
    return (
        OpSpec("softmax_cross_entropy", softmax_cross_entropy_with_logits, _ref_xent, (x, y),
               op_classes=(SoftmaxCrossEntropy,), make_inputs=_label_inputs, **sparse, **_NN,
               doc="integer class indices"),
        OpSpec("softmax_cross_entropy_dense", softmax_cross_entropy_with_logits, _ref_xent,
               (x, t), op_classes=(SoftmaxCrossEntropy,), **dense, **_NN,
               doc="labels a (not necessarily normalised) distribution"),
        OpSpec("categorical_crossentropy", categorical_crossentropy, _ref_cce, (q, t), **dense,
               **_NN, doc="the composite -sum(t log q)"),
        OpSpec("categorical_crossentropy_int", categorical_crossentropy, _ref_cce, (q, y),
               make_inputs=_prob_label_inputs, **sparse, **_NN,
               doc="the composite -log(q[..., y]) (advanced indexing)"),
        OpSpec("categorical_crossentropy_softmax", sm_cce,
               lambda a, b: _ref_xent(a, b), (x, y), op_classes=(SoftmaxCrossEntropy,),
               make_inputs=_label_inputs, **sparse, **_NN,
               doc="categorical_crossentropy(softmax(x), y) builds the fused op"),
        OpSpec("crossentropy_softmax_1hot", lambda a, b: list(crossentropy_softmax_1hot(a, b)),
               lambda a, b: [_ref_xent(a, b), np.exp(_ref_lsm(a)).astype(a.dtype)], (x, y),
               op_classes=(SoftmaxCrossEntropy,), make_inputs=_label_inputs, **sparse, **_NN),
        OpSpec("binary_crossentropy", binary_crossentropy, _ref_bce,
               (Arg("o", _F, (0.05, 0.95)), t), shapes=broadcast_shapes(2), **_NN),
        OpSpec("sigmoid_binary_crossentropy", sigmoid_binary_crossentropy, _ref_sbce, (x, t),
               shapes=broadcast_shapes(2), **_NN),
    )  # fmt: skip


SPECS: tuple[OpSpec, ...] = _specs()
