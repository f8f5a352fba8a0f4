"""The random ops: ``RandomBits`` (the generator) and ``CheckParameter``.

``RandomBits(blocks, ndim)`` is the only primitive that draws: from a state
vector ``[key0, key1, counter_lo, counter_hi]`` (int64) and a size vector it
returns the advanced state and ``2 * blocks`` Threefry-2x32-20 words per
element (int64 values in ``[0, 2**32)``, the word axis first). Every
distribution of ``refimpl.random`` is a composite of ordinary ops on these
words (``refimpl/random/distributions.py``), so ``loc + scale * z`` gets its
gradients with respect to ``loc`` and ``scale`` from ``Elemwise`` while the
draw itself declares none.

``CheckParameter(msg)`` passes its first input through and raises
``ValueError(msg)`` at run time unless every element of the other (boolean)
inputs is true: the run-time validation of distribution parameters (``p`` in
``[0, 1]``, ``scale >= 0`` ...). Its gradient is the identity.

``NEXTAFTER`` is an elementwise row (``xp.nextafter``) used to keep uniform
draws strictly below ``high``. The normative text is ``spec/random.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.ops import _shape_util as _su
from refimpl.ops.elemwise import DtypeRule, ScalarFn, zero_grad
from refimpl.opspec import OpSpec
from refimpl.random import _specs as _S
from refimpl.random import threefry
from refimpl.types import TensorType, kind, promote_types
from refimpl.variable import TensorVariable, as_tensor_variable, constant

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]


def _dist() -> ModuleType:
    """``refimpl.random.distributions`` (looked up at call time: it imports this module)."""
    return importlib.import_module("refimpl.random.distributions")


# --------------------------------------------------------------------------- RandomBits


@dataclass(frozen=True)
class RandomBits(Op):
    """``RandomBits(blocks, ndim)(state, size) -> (new_state, words)``.

    ``state``: int64 vector of length 4 ``[key0, key1, counter_lo,
    counter_hi]`` (entries taken modulo 2**32); ``size``: integer vector of
    length ``ndim`` (entries >= 0). ``words`` has shape ``(2 * blocks,) +
    size``: with ``m = prod(size)``, element ``j`` of block ``b`` is
    Threefry-2x32-20 of the 64-bit counter ``base + b * m + j`` (``base =
    counter_hi * 2**32 + counter_lo``); rows ``2b`` and ``2b + 1`` hold its two
    output words. ``new_state`` is ``state`` with the counter advanced by
    ``blocks * m``.
    """

    blocks: int = 1
    ndim: int = 0
    no_grad_reason: ClassVar[str | None] = (
        "a random draw is not a differentiable function of the generator state (integer words)"
    )
    no_rop_reason: ClassVar[str | None] = no_grad_reason

    def __post_init__(self) -> None:
        if self.blocks < 1 or self.ndim < 0:
            raise ValueError(f"RandomBits: blocks must be >= 1 and ndim >= 0, got {self}")

    def __str__(self) -> str:
        return f"RandomBits{{blocks={self.blocks}}}"

    def make_node(self, state: Any, size: Any) -> Apply:
        state = as_tensor_variable(state)
        if state.dtype != "int64" or state.ndim != 1:
            raise TypeError(
                f"RandomBits: the state {state} must be an int64 vector, got {state.type}"
            )
        if state.type.shape[0] not in (None, threefry.STATE_SIZE):
            raise ValueError(
                f"RandomBits: the state {state} must have length {threefry.STATE_SIZE}, "
                f"got {state.type.shape[0]}"
            )
        size = size_vector(size, "RandomBits")
        if size.type.shape[0] not in (None, self.ndim):
            raise ValueError(
                f"RandomBits: size {size} has length {size.type.shape[0]}, expected {self.ndim}"
            )
        static = _su.static_vector(size) or (None,) * self.ndim
        if any(n is not None and n < 0 for n in static):
            raise ValueError(f"RandomBits: size entries must be >= 0, got {static}")
        words = TensorType("int64", (2 * self.blocks, *static))
        return Apply(self, [state, size], [TensorType("int64", (4,))(), words()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        state, size = inputs
        if tuple(state.shape) != (threefry.STATE_SIZE,):
            raise ValueError(
                f"RandomBits: the state {node.inputs[0]} has shape {tuple(state.shape)}, "
                f"expected ({threefry.STATE_SIZE},)"
            )
        dims = _su.to_ints(size) if self.ndim else ()
        if len(dims) != self.ndim or any(d < 0 for d in dims):
            raise ValueError(
                f"RandomBits: size {node.inputs[1]} = {dims} must have {self.ndim} entries, "
                "each >= 0"
            )
        m = 1
        for d in dims:
            m *= d
        x0, x1, new_state = threefry.random_words(xp, state, self.blocks * m)
        pairs = xp.stack(
            [xp.reshape(x0, (self.blocks, m)), xp.reshape(x1, (self.blocks, m))], axis=1
        )
        return new_state, xp.reshape(pairs, (2 * self.blocks, *dims))

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        size = _su.ins(node)[1]
        dims = _su.vector_entries(size, self.ndim)
        four = constant(threefry.STATE_SIZE, dtype="int64")
        return [(four,), (constant(2 * self.blocks, dtype="int64"), *dims)]


def size_vector(size: Any, what: str) -> TV:
    """A size (a sequence of ints / int scalars, or an integer vector) as an
    int64 vector; ``TypeError`` naming ``what``'s size otherwise."""
    try:
        return _su.as_int_vector(size, f"{what}: size")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: size must hold integers, got {size!r} ({exc})") from None


def random_bits(state: Any, size: Any, blocks: int = 1) -> tuple[TV, TV]:
    """``(new_state, words)`` of ``RandomBits``; ``size`` is a sequence of
    ints / int scalars or an integer vector of static length."""
    size = size_vector(size, "random_bits")
    ndim = size.type.shape[0]
    if ndim is None:
        raise TypeError(f"random_bits: the length of size {size} must be known when building")
    new_state, words = RandomBits(blocks, ndim)(state, size)
    return new_state, words


# --------------------------------------------------------------------------- CheckParameter


@dataclass(frozen=True)
class CheckParameter(Op):
    """``CheckParameter(msg)(x, *conditions)``: ``x``, after checking at run
    time that every element of every boolean ``condition`` is true
    (``ValueError(msg)`` otherwise). Gradient and tangent: the identity in
    ``x``; the conditions are disconnected."""

    msg: str
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {0: (0,)}

    def __str__(self) -> str:
        return "CheckParameter"

    def make_node(self, x: Any, *conditions: Any) -> Apply:
        x = as_tensor_variable(x)
        conds = [as_tensor_variable(c) for c in conditions]
        for c in conds:
            if c.dtype != "bool":
                raise TypeError(f"CheckParameter: the condition {c} must be bool, got {c.type}")
        return Apply(self, [x, *conds], [x.type()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        x, *conds = inputs
        for c in conds:
            if not bool(xp.all(c)):
                raise ValueError(self.msg)
        return (x,)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TV, ...]]
    ) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        return [_su.like(output_grads[0], inputs[0]), *[None] * (len(inputs) - 1)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        return [eval_points[0]]


def check_parameter(x: Any, *conditions: Any, msg: str) -> TV:
    """``x`` checked at run time: ``ValueError(msg)`` unless all ``conditions`` hold."""
    out: TV = CheckParameter(msg)(x, *conditions)
    return out


# --------------------------------------------------------------------------- nextafter


def _float_of(dtypes: tuple[Any, ...]) -> Any:
    common = promote_types(*dtypes)
    return common if kind(common) == "f" else "float64"


NEXTAFTER = ScalarFn(
    "nextafter", 2, lambda xp, a, b: xp.nextafter(a, b),
    DtypeRule("nextafter", _float_of, _float_of, accepts="iuf"),
    grad=lambda i, out, gz: [gz, zero_grad(i[1])],
    doc="the next float after a toward b; d/da = 1 (almost everywhere), d/db = 0",
)  # fmt: skip


# --------------------------------------------------------------------------- specs


def _tensor() -> ModuleType:
    return importlib.import_module("refimpl.tensor")


SPECS: tuple[OpSpec, ...] = _S.make_specs(RandomBits, CheckParameter, _dist, _tensor)

__all__ = [
    "NEXTAFTER", "SPECS", "CheckParameter", "RandomBits", "check_parameter", "random_bits",
]  # fmt: skip
