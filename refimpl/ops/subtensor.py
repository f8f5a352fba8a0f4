"""Indexing: ``getitem`` (``x[key]``), ``set_subtensor``/``inc_subtensor`` and
the basic indexing ops ``Subtensor``, ``IncSubtensor`` (and ``SliceLength``,
used by ``infer_shape``).

A key is parsed once, at graph-building time, into a *template* (see
``refimpl/ops/_indexing.py``; the run-time kernels shared with the advanced ops
are in ``refimpl/ops/_index_kernels.py``). Keys without index arrays are *basic* (this module); keys
with integer arrays or boolean masks are *advanced*
(``refimpl/ops/subtensor_advanced.py``). Both follow numpy's semantics, with
refimpl's static broadcasting rule for index arrays and assigned values. The
abstract ``IndexGet``/``IndexSet`` carry everything but the op names, so the
basic and advanced ops share one type rule, perform, infer_shape, L_op and
R_op. See ``spec/subtensor.md``.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TypeAlias

import numpy as np  # specs only; never in perform
from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.ops._index_kernels import gather, normalise_slice, resolve_key, scatter, slice_values
from refimpl.ops._indexing import (
    BoolMask,
    IntArray,
    Slice,
    Sym,
    Template,
    adv_ndim,
    as_value,
    check_index_inputs,
    check_value_static,
    format_index,
    index_slots,
    is_advanced,
    layout,
    parse_key,
    static_shape,
    template_str,
)
from refimpl.opspec import Arg, OpSpec, Shape
from refimpl.types import (
    DType,
    TensorType,
    is_discrete,
    kind,
)
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable


def _T() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


# --------------------------------------------------------------------------- base ops


@dataclass(frozen=True)
class IndexGet(Op, abc.ABC):
    """``x[template]``: the shared core of ``Subtensor`` and ``AdvancedSubtensor``."""

    template: Template
    advanced: ClassVar[bool] = False

    @abc.abstractmethod
    def inc_op(self, set_instead_of_inc: bool) -> IndexSet:
        """The matching increment/assignment op."""

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{template_str(self.template)}}}"

    def format_index(self, x: str, indices: Sequence[str]) -> str:
        """Source text of the indexing (``x[1:, k]``) for printers."""
        return format_index(self.template, x, indices)

    def make_node(self, x: Any, *indices: Any) -> Apply:
        x = as_tensor_variable(x)
        if is_advanced(self.template) != self.advanced:
            raise TypeError(f"{type(self).__name__}: wrong kind of index {self.template}")
        idx = check_index_inputs(self.template, x, indices)
        shape = static_shape(self.template, x, idx)
        return Apply(self, [x, *idx], [TensorType(x.dtype, shape)()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, *args = inputs
        key = resolve_key(xp, node, x, self.template, args, first=1)
        return (gather(xp, x, key, layout(self.template)),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [infer_index_shape(self.template, node, input_shapes, first=1)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        x, *idx = inputs
        if is_discrete(x.dtype):
            return [None] * len(inputs)
        gz = _like(output_grads[0], x)
        gx = self.inc_op(False)(_T().zeros_like(x), gz, *idx)
        return [gx, *([None] * len(idx))]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        if eval_points[0] is None or is_discrete(inputs[0].dtype):
            return [None]
        return [self(eval_points[0], *inputs[1:])]


@dataclass(frozen=True)
class IndexSet(Op, abc.ABC):
    """``x`` with ``x[template]`` set to (or incremented by) ``y``; the shared
    core of ``IncSubtensor`` and ``AdvancedIncSubtensor``."""

    template: Template
    set_instead_of_inc: bool = False
    advanced: ClassVar[bool] = False

    @abc.abstractmethod
    def get_op(self) -> IndexGet:
        """The matching indexing op."""

    def __str__(self) -> str:
        mode = "Set" if self.set_instead_of_inc else "Inc"
        return f"{type(self).__name__}{{{mode};{template_str(self.template)}}}"

    def make_node(self, x: Any, y: Any, *indices: Any) -> Apply:
        x = as_tensor_variable(x)
        what = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        if is_advanced(self.template) != self.advanced:
            raise TypeError(f"{type(self).__name__}: wrong kind of index {self.template}")
        if x.dtype == "bool" and not self.set_instead_of_inc:
            raise TypeError(f"inc_subtensor: cannot increment the boolean tensor {x}")
        idx = check_index_inputs(self.template, x, indices)
        region = static_shape(self.template, x, idx)
        yv = as_value(y, x, what)
        check_value_static(yv, region, x, what)
        return Apply(self, [x, yv, *idx], [x.type()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, y, *args = inputs
        key = resolve_key(xp, node, x, self.template, args, first=2)
        lay = layout(self.template)
        return (scatter(xp, node, x, key, lay, y, self.set_instead_of_inc),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        from refimpl.ops.elemwise import sum_to_input

        x, y, *idx = inputs
        nones: list[TV | NullGrad | None] = [None] * len(idx)
        if is_discrete(x.dtype):
            return [None, None, *nones]
        gz = _like(output_grads[0], x)
        gy = self.get_op()(gz, *idx)
        gx = gz
        if self.set_instead_of_inc:
            gx = type(self)(self.template, True)(gz, 0, *idx)
            gy = self.mask_overwritten(gy, x, idx)
        return [gx, sum_to_input(gy, y), *nones]

    def mask_overwritten(self, gy: TV, x: TV, idx: Sequence[TV]) -> TV:
        """Zero the gradient of values overwritten by a later repeated index
        (only advanced assignments can repeat)."""
        return gy

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        x, _, *idx = inputs
        ex, ey = eval_points[0], eval_points[1]
        if is_discrete(x.dtype) or (ex is None and ey is None):
            return [None]
        if ey is None and not self.set_instead_of_inc:
            return [ex]
        ex = _T().zeros_like(x) if ex is None else ex
        return [self(ex, 0 if ey is None else ey, *idx)]


def _like(g: TV, x: TV) -> TV:
    """The output gradient in ``x``'s dtype (the engine may pass another float)."""
    return g if g.dtype == x.dtype else _T().cast(g, x.dtype)


def infer_index_shape(
    template: Template, node: Apply, input_shapes: Sequence[tuple[TV, ...]], first: int
) -> tuple[TV, ...]:
    """Symbolic output shape of indexing ``node.inputs[0]`` with ``template``
    (index inputs from ``node.inputs[first]``)."""
    out_type = node.outputs[0].type
    slots = index_slots(template)
    idx = node.inputs[first:]
    result: list[TV] = []
    for d, static in zip(layout(template), out_type.shape):
        if static is not None:
            result.append(constant(static, dtype="int64"))
        elif d.kind == "slice":
            s = template[d.pos]
            assert isinstance(s, Slice)
            n = input_shapes[0][d.axis]
            syms = [idx[j] for j in slots[d.pos]]
            result.append(n if s.is_full() else SliceLength(s)(n, *syms))
        else:
            result.append(_block_length(template, node, input_shapes, first, d.pos))
    return tuple(result)


def _block_length(
    template: Template, node: Apply, input_shapes: Sequence[tuple[TV, ...]], first: int, j: int
) -> TV:
    """Length of axis ``j`` of the broadcast advanced block."""
    nb = adv_ndim(template)
    slots = index_slots(template)
    for p, e in enumerate(template):
        if isinstance(e, BoolMask) and j == nb - 1:
            mask = node.inputs[first + slots[p][0]]
            return _T().cast(_T().sum(mask), "int64")  # type: ignore[no-any-return]
        if isinstance(e, IntArray) and j >= nb - e.ndim:
            var = node.inputs[first + slots[p][0]]
            ax = j - (nb - e.ndim)
            if var.type.shape[ax] != 1:
                return input_shapes[first + slots[p][0]][ax]
    return constant(1, dtype="int64")


# --------------------------------------------------------------------------- basic ops


@dataclass(frozen=True)
class Subtensor(IndexGet):
    """Basic indexing ``x[key]``: ints, slices, new axes (no index arrays)."""

    def inc_op(self, set_instead_of_inc: bool) -> IncSubtensor:
        return IncSubtensor(self.template, set_instead_of_inc)


@dataclass(frozen=True)
class IncSubtensor(IndexSet):
    """``set_subtensor``/``inc_subtensor`` through a basic index."""

    def get_op(self) -> Subtensor:
        return Subtensor(self.template)


@dataclass(frozen=True)
class SliceLength(Op):
    """The length of ``range(n)[slice]`` for a slice with symbolic parts
    (used by ``infer_shape``). Inputs: ``n`` and the slice's symbolic bounds."""

    slice: Slice

    def __str__(self) -> str:
        return f"SliceLength{{{self.slice}}}"

    def make_node(self, n: Any, *bounds: Any) -> Apply:
        ins = [as_tensor_variable(v) for v in (n, *bounds)]
        if len(bounds) != len(self.slice.syms()):
            raise TypeError(f"{self}: expected {len(self.slice.syms())} bounds, got {len(bounds)}")
        for v in ins:
            if v.ndim != 0 or kind(v.dtype) not in "iu":
                raise TypeError(f"{self}: {v} must be an integer scalar, got {v.type}")
        return Apply(self, ins, [TensorType("int64", ())()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        n, *args = inputs
        s = normalise_slice(slice_values(self.slice, iter(args)), int(n), str(self))
        length = len(range(*s.indices(int(n))))
        return (xp.asarray(length, dtype=xp.int64, device=device(n)),)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [()]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> list[TV | NullGrad | None]:
        return [None] * len(inputs)  # integer inputs and output

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [None]


# --------------------------------------------------------------------------- public


def _advanced_module() -> ModuleType:
    return importlib.import_module("refimpl.ops.subtensor_advanced")


def getitem(x: Any, key: Any) -> TV:
    """``x[key]`` with numpy's semantics (``TensorVariable.__getitem__``)."""
    x = as_tensor_variable(x)
    template, inputs = parse_key(x, key)
    if is_advanced(template):
        return _advanced_module().AdvancedSubtensor(template)(x, *inputs)  # type: ignore[no-any-return]
    return Subtensor(template)(x, *inputs)  # type: ignore[no-any-return]


def inc_subtensor(
    x: Any,
    y: Any,
    inplace: bool = False,
    set_instead_of_inc: bool = False,
    tolerate_inplace_aliasing: bool = False,
) -> TV:
    """Theano's ``inc_subtensor(x[key], y)``: the tensor indexed by ``x``'s
    owner, with the indexed region incremented by ``y`` (or set to ``y``).
    Repeated integer indices accumulate. ``inplace`` is accepted and ignored
    (in-place updates are FAST_RUN's business)."""
    del inplace, tolerate_inplace_aliasing
    what = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    owner = getattr(x, "owner", None)
    if not isinstance(x, TensorVariable) or owner is None or not isinstance(owner.op, IndexGet):
        raise TypeError(
            f"{what}: the first argument {x!r} must be the result of indexing a tensor "
            f"(e.g. {what}(x[2:], y)), but it was not built by indexing"
        )
    base, *idx = owner.inputs
    return owner.op.inc_op(set_instead_of_inc)(base, y, *idx)  # type: ignore[no-any-return]


def set_subtensor(
    x: Any, y: Any, inplace: bool = False, tolerate_inplace_aliasing: bool = False
) -> TV:
    """Theano's ``set_subtensor(x[key], y)``: the indexed tensor with the
    region replaced by ``y`` (broadcast); for repeated indices the last wins."""
    return inc_subtensor(x, y, inplace, True, tolerate_inplace_aliasing)


# --------------------------------------------------------------------------- specs
# Keys travel in ``params`` as hashable tuples: ("i", k) an int, ("s", a, b, c)
# a slice, ("n",) a new axis, ("e",) an Ellipsis.

Shapes: TypeAlias = tuple[Shape, ...]
Code: TypeAlias = tuple[tuple[Any, ...], ...]
_X: tuple[DType, ...] = ("float64", "float32", "int64", "bool", "complex128")
_X_INC: tuple[DType, ...] = ("float64", "float32", "int64", "complex128")
_INT: tuple[DType, ...] = ("int64",)


def _decode(code: Code) -> tuple[Any, ...]:
    """The Python key of a key code."""
    out: list[Any] = []
    for c in code:
        out.append({"i": c[-1], "n": None, "e": Ellipsis}[c[0]] if c[0] != "s" else slice(*c[1:]))
    return tuple(out)


def _maybe(draw_int: Any, lo: int, hi: int) -> int | None:
    return None if draw_int(0, 3) == 0 else int(draw_int(lo, hi))


def _draw_axis(draw_int: Any, n: int) -> tuple[Any, ...]:
    choice = draw_int(0, 3)
    if choice == 0:
        return ("i", draw_int(-n, n - 1))
    if choice == 1:
        return ("s", None, None, None)
    step = (None, 1, 2, -1, -2)[draw_int(0, 4)]
    return ("s", _maybe(draw_int, -n - 1, n + 1), _maybe(draw_int, -n - 1, n + 1), step)


def _basic_params(draw_int: Any, shapes: Shapes) -> dict[str, Any]:
    code = [_draw_axis(draw_int, n) for n in shapes[0]]
    lead = next((k for k, c in enumerate(code) if c != ("s", None, None, None)), len(code))
    if lead and draw_int(0, 2) == 0:
        code = [("e",), *code[draw_int(0, lead) :]]
    if draw_int(0, 2) == 0:
        code.insert(draw_int(0, len(code)), ("n",))
    return {"key": tuple(code)}


def _nd_shapes(draw_int: Any) -> Shapes:
    return (tuple(draw_int(1, 4) for _ in range(draw_int(1, 3))),)


def _sym_shapes(draw_int: Any) -> Shapes:
    return ((draw_int(1, 4), draw_int(1, 5)), (), (), (), ())


def _sym_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[Any, ...]:
    n0, n1 = shapes[0]
    a, b = rng.integers(-n1 - 2, n1 + 3, size=2)
    ints = (rng.integers(-n0, n0), a, b, rng.choice([-2, -1, 1, 2]))
    return (rng.uniform(-3, 3, size=shapes[0]), *(np.asarray(v, dtype=np.int64) for v in ints))


def _slice_inputs(rng: Any, shapes: Shapes, params: Mapping[str, Any]) -> tuple[Any, ...]:
    n = rng.integers(0, 7)
    ints = (n, *rng.integers(-9, 10, size=2), rng.choice([-3, -2, -1, 1, 2, 3]))
    return tuple(np.asarray(v, dtype=np.int64) for v in ints)


def _region_shapes(draw_int: Any) -> Shapes:
    """x's shape and the value's: the leading ``x.ndim - y.ndim`` axes are
    indexed by ints, the others by slices of the value's lengths (a value
    length 1 broadcasts over a slice of any length)."""
    xs = tuple(draw_int(1, 4) for _ in range(draw_int(1, 3)))
    nint = draw_int(0, len(xs))
    ys = tuple(1 if draw_int(0, 3) == 0 else draw_int(1, n) for n in xs[nint:])
    return (xs, ys)


def _region_params(draw_int: Any, shapes: Shapes) -> dict[str, Any]:
    xs, ys = shapes
    nint = len(xs) - len(ys)
    code: list[tuple[Any, ...]] = [("i", draw_int(-n, n - 1)) for n in xs[:nint]]
    for n, m in zip(xs[nint:], ys):
        m = draw_int(1, n) if m == 1 else m
        step = draw_int(1, (n - 1) // (m - 1)) if m > 1 else 1
        start = draw_int(0, n - 1 - (m - 1) * step)
        stop = start + (m - 1) * step + 1
        if draw_int(0, 1):
            negative = None if stop == n else stop - n  # the same stop, counted from the end
            code.append(("s", start, stop if draw_int(0, 1) else negative, step))
        else:
            code.append(("s", stop - 1, start - 1 if start else None, -step))
    return {"key": tuple(code)}


def _ref_set(x: Any, y: Any, key: Code, inc: bool) -> Any:
    out = np.array(x, copy=True)
    k = _decode(key)
    out[k] = out[k] + y if inc else y
    return out


SPECS: tuple[OpSpec, ...] = (
    OpSpec(
        name="subtensor",
        build=lambda x, key: x[_decode(key)],
        ref=lambda x, key: np.asarray(x[_decode(key)]),
        args=(Arg("x", dtypes=_X),),
        shapes=_nd_shapes,
        params=_basic_params,
        op_classes=(Subtensor,),
        poly_degree=1,
        doc="static basic keys: ints, slices (negative steps, out-of-range bounds), None, ...",
    ),
    OpSpec(
        name="subtensor_symbolic",
        build=lambda x, i, a, b, c: x[i, a:b:c],
        ref=lambda x, i, a, b, c: x[i, a:b:c],
        args=(Arg("x", dtypes=_X), *(Arg(n, dtypes=_INT, differentiable=False) for n in "iabc")),
        shapes=_sym_shapes,
        make_inputs=_sym_inputs,
        op_classes=(Subtensor,),
        poly_degree=1,
        doc="symbolic int index and slice bounds (unknown static length: SliceLength)",
    ),
    OpSpec(
        name="slice_length",
        build=lambda n, a, b, c: SliceLength(Slice(Sym(), Sym(), Sym()))(n, a, b, c),
        ref=lambda n, a, b, c: np.int64(len(range(*slice(int(a), int(b), int(c)).indices(n)))),
        args=tuple(Arg(n, dtypes=_INT, differentiable=False) for n in "nabc"),
        shapes=lambda draw_int: ((), (), (), ()),
        make_inputs=_slice_inputs,
        op_classes=(SliceLength,),
        grad=False,
        rop=False,
        second_order=False,
        doc="integer output: no derivatives to check",
    ),
    OpSpec(
        name="inc_subtensor",
        build=lambda x, y, key: inc_subtensor(x[_decode(key)], y),
        ref=lambda x, y, key: _ref_set(x, y, key, inc=True),
        args=(Arg("x", dtypes=_X_INC), Arg("y", dtypes=_X_INC)),
        shapes=_region_shapes,
        params=_region_params,
        op_classes=(IncSubtensor,),
        poly_degree=1,
    ),
    OpSpec(
        name="set_subtensor",
        build=lambda x, y, key: set_subtensor(x[_decode(key)], y),
        ref=lambda x, y, key: _ref_set(x, y, key, inc=False),
        args=(Arg("x", dtypes=_X), Arg("y", dtypes=_X)),
        shapes=_region_shapes,
        params=_region_params,
        op_classes=(IncSubtensor,),
        poly_degree=1,
    ),
)
