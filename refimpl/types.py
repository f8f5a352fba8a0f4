"""dtypes, ``TensorType``, and the broadcasting and promotion rules.

This module is the one place where type logic lives (ARCHITECTURE.md rule 2).
Everything here is a literal table or a pure function of one; nothing reads
``config`` except where a caller passes a resolved value in.

The promotion rule is Theano's (which is NumPy's ``promote_types`` on dtypes,
value-independent), written out as a literal table and checked in the tests
against an independently written rule. Python scalars are *weak* (NEP 50 and
the array API standard): they take the dtype of the tensor they meet when
they are of the same kind. See ``spec/types.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, cast, get_args

if TYPE_CHECKING:
    from refimpl.variable import TensorVariable

DType: TypeAlias = Literal[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
"""The dtype names refimpl knows. float16 exists only where a namespace has it."""

StaticShape: TypeAlias = tuple[int | None, ...]
"""A static shape: each entry is a known length or ``None`` (unknown)."""

ALL_DTYPES: Final[tuple[DType, ...]] = get_args(DType)
BOOL_DTYPES: Final[tuple[DType, ...]] = ("bool",)
SIGNED_INT_DTYPES: Final[tuple[DType, ...]] = ("int8", "int16", "int32", "int64")
UNSIGNED_INT_DTYPES: Final[tuple[DType, ...]] = ("uint8", "uint16", "uint32", "uint64")
INT_DTYPES: Final[tuple[DType, ...]] = SIGNED_INT_DTYPES + UNSIGNED_INT_DTYPES
FLOAT_DTYPES: Final[tuple[DType, ...]] = ("float16", "float32", "float64")
COMPLEX_DTYPES: Final[tuple[DType, ...]] = ("complex64", "complex128")
REAL_DTYPES: Final[tuple[DType, ...]] = INT_DTYPES + FLOAT_DTYPES
INEXACT_DTYPES: Final[tuple[DType, ...]] = FLOAT_DTYPES + COMPLEX_DTYPES
NUMERIC_DTYPES: Final[tuple[DType, ...]] = REAL_DTYPES + COMPLEX_DTYPES
DISCRETE_DTYPES: Final[tuple[DType, ...]] = BOOL_DTYPES + INT_DTYPES

Kind: TypeAlias = Literal["b", "i", "u", "f", "c"]

_ABBREV: Final[dict[str, DType]] = {
    "b": "bool", "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
    "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
    "f2": "float16", "f4": "float32", "f8": "float64", "c8": "complex64", "c16": "complex128",
}  # fmt: skip

# The promotion table. Row dtype (first column) combined with column dtype.
_PROMOTION_ROWS: Final[tuple[str, ...]] = (
    #     b   i1   i2   i4   i8   u1   u2   u4   u8   f2   f4   f8   c8  c16
    "  b    b   i1   i2   i4   i8   u1   u2   u4   u8   f2   f4   f8   c8  c16",
    " i1   i1   i1   i2   i4   i8   i2   i4   i8   f8   f2   f4   f8   c8  c16",
    " i2   i2   i2   i2   i4   i8   i2   i4   i8   f8   f4   f4   f8   c8  c16",
    " i4   i4   i4   i4   i4   i8   i4   i4   i8   f8   f8   f8   f8  c16  c16",
    " i8   i8   i8   i8   i8   i8   i8   i8   i8   f8   f8   f8   f8  c16  c16",
    " u1   u1   i2   i2   i4   i8   u1   u2   u4   u8   f2   f4   f8   c8  c16",
    " u2   u2   i4   i4   i4   i8   u2   u2   u4   u8   f4   f4   f8   c8  c16",
    " u4   u4   i8   i8   i8   i8   u4   u4   u4   u8   f8   f8   f8  c16  c16",
    " u8   u8   f8   f8   f8   f8   u8   u8   u8   u8   f8   f8   f8  c16  c16",
    " f2   f2   f2   f4   f8   f8   f2   f4   f8   f8   f2   f4   f8   c8  c16",
    " f4   f4   f4   f4   f8   f8   f4   f4   f8   f8   f4   f4   f8   c8  c16",
    " f8   f8   f8   f8   f8   f8   f8   f8   f8   f8   f8   f8   f8  c16  c16",
    " c8   c8   c8   c8  c16  c16   c8   c8  c16  c16   c8   c8  c16   c8  c16",
    "c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16  c16",
)


def _parse_promotion() -> dict[tuple[DType, DType], DType]:
    table: dict[tuple[DType, DType], DType] = {}
    for row in _PROMOTION_ROWS:
        head, *cells = row.split()
        for col, cell in zip(ALL_DTYPES, cells, strict=True):
            table[_ABBREV[head], col] = _ABBREV[cell]
    return table


PROMOTION_TABLE: Final[dict[tuple[DType, DType], DType]] = _parse_promotion()

_ITEMSIZE: Final[dict[DType, int]] = {
    "bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
    "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8,
    "float16": 2, "float32": 4, "float64": 8, "complex64": 8, "complex128": 16,
}  # fmt: skip

# Theano's ``upgrade_to_float``: the float dtype a discrete input becomes when
# a float-valued function (exp, sqrt, true division ...) is applied to it.
_UPCAST_TO_FLOAT: Final[dict[DType, DType]] = {
    "bool": "float32", "int8": "float32", "uint8": "float32",
    "int16": "float32", "uint16": "float32",
    "int32": "float64", "uint32": "float64", "int64": "float64", "uint64": "float64",
    "float16": "float16", "float32": "float32", "float64": "float64",
    "complex64": "complex64", "complex128": "complex128",
}  # fmt: skip

_COMPLEX_TO_REAL: Final[dict[DType, DType]] = {"complex64": "float32", "complex128": "float64"}

_INT_RANGES: Final[dict[DType, tuple[int, int]]] = {
    "bool": (0, 1),
    **{
        d: (-(2 ** (8 * _ITEMSIZE[d] - 1)), 2 ** (8 * _ITEMSIZE[d] - 1) - 1)
        for d in SIGNED_INT_DTYPES
    },
    **{d: (0, 2 ** (8 * _ITEMSIZE[d]) - 1) for d in UNSIGNED_INT_DTYPES},
}


def as_dtype(dtype: object, what: str = "dtype") -> DType:
    """Normalise ``dtype`` (a name, a numpy dtype or any object whose ``str``
    is a dtype name) to a :data:`DType`; raise ``TypeError`` naming ``what``."""
    if isinstance(dtype, str):
        name: object = dtype
    elif isinstance(dtype, type):
        name = dtype.__name__.rstrip("_")  # numpy scalar types: np.float64, np.bool_
    else:
        name = getattr(dtype, "name", None)
        if not isinstance(name, str):
            name = str(dtype).rsplit(".", 1)[-1]
    if name == "floatX":
        raise TypeError(f"{what}: 'floatX' must be resolved through refimpl.config first")
    if name not in ALL_DTYPES:
        raise TypeError(f"{what}: unknown dtype {dtype!r}; expected one of {', '.join(ALL_DTYPES)}")
    return name


def kind(dtype: DType) -> Kind:
    """The dtype's kind: ``b`` bool, ``i`` signed, ``u`` unsigned, ``f`` float, ``c`` complex."""
    if dtype == "bool":
        return "b"
    if dtype in SIGNED_INT_DTYPES:
        return "i"
    if dtype in UNSIGNED_INT_DTYPES:
        return "u"
    if dtype in FLOAT_DTYPES:
        return "f"
    return "c"


def itemsize(dtype: DType) -> int:
    return _ITEMSIZE[dtype]


def is_discrete(dtype: DType) -> bool:
    return dtype in DISCRETE_DTYPES


def is_inexact(dtype: DType) -> bool:
    return dtype in INEXACT_DTYPES


def promote_types(*dtypes: DType) -> DType:
    """The common dtype of tensors of the given dtypes (the promotion table)."""
    if not dtypes:
        raise TypeError("promote_types needs at least one dtype")
    out = dtypes[0]
    for d in dtypes[1:]:
        out = PROMOTION_TABLE[out, d]
    return out


def upcast_to_float(dtype: DType) -> DType:
    """Theano's ``upgrade_to_float``: the float dtype of a float-valued
    function of an input of ``dtype`` (inexact dtypes are unchanged)."""
    return _UPCAST_TO_FLOAT[dtype]


def real_dtype(dtype: DType) -> DType:
    """The real dtype of the components of ``dtype`` (itself when real)."""
    return _COMPLEX_TO_REAL.get(dtype, dtype)


def int_range(dtype: DType) -> tuple[int, int]:
    """Inclusive range of a discrete dtype."""
    return _INT_RANGES[dtype]


def can_cast(src: DType, dst: DType) -> bool:
    """Whether every value of ``src`` is exactly representable in ``dst``."""
    if src == dst:
        return True
    return PROMOTION_TABLE[src, dst] == dst


def scalar_fits(value: bool | int | float | complex, dtype: DType) -> bool:
    """Whether the Python scalar ``value`` converts to ``dtype`` without loss."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        if dtype in DISCRETE_DTYPES:
            lo, hi = _INT_RANGES[dtype]
            return dtype != "bool" and lo <= value <= hi
        return dtype in INEXACT_DTYPES
    if isinstance(value, float):
        if dtype in INEXACT_DTYPES:
            return True
        return False
    return dtype in COMPLEX_DTYPES


def python_scalar_dtype(value: bool | int | float | complex, float_dtype: DType) -> DType:
    """The dtype a Python scalar gets when it stands alone (as a constant)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise OverflowError(f"Python int {value} does not fit in int64")
        return "int64"
    if isinstance(value, float):
        return float_dtype
    return "complex128" if float_dtype == "float64" else "complex64"


def weak_scalar_dtype(
    value: bool | int | float | complex, other: DType, float_dtype: DType
) -> DType:
    """The dtype a weak Python scalar takes when combined with a tensor of
    dtype ``other`` (NEP 50): ``other`` if the scalar's kind is not higher,
    otherwise the default dtype of the scalar's kind."""
    ok = kind(other)
    if isinstance(value, bool):
        return other
    if isinstance(value, int):
        if ok == "b":
            return "int64"
        if ok in "iu" and not scalar_fits(value, other):
            raise OverflowError(f"Python int {value} is out of bounds for {other}")
        return other
    if isinstance(value, float):
        return other if ok in "fc" else float_dtype
    if ok == "c":
        return other
    if ok == "f":
        return "complex64" if other in ("float16", "float32") else "complex128"
    return "complex128" if float_dtype == "float64" else "complex64"


# --------------------------------------------------------------------------- shapes


def broadcast_static_shapes(
    shapes: Sequence[StaticShape], names: Sequence[str] | None = None
) -> StaticShape:
    """Broadcast static shapes (right-aligned, NumPy rule).

    A known length 1 stretches; two different known lengths raise ``ValueError``
    naming the operands; an unknown length meets a known length ``n > 1`` as
    ``n`` (checked at run time), and meets unknown as unknown.
    """
    ndim = max((len(s) for s in shapes), default=0)
    out: list[int | None] = []
    for axis in range(-ndim, 0):
        known: set[int] = set()
        unknown = False
        for s in shapes:
            if len(s) < -axis:
                continue
            n = s[axis]
            if n is None:
                unknown = True
            elif n != 1:
                known.add(n)
        if len(known) > 1:
            who = ", ".join(names) if names else "operands"
            shown = ", ".join(format_shape(s) for s in shapes)
            raise ValueError(
                f"cannot broadcast {who}: shapes {shown} differ at axis {axis} ({sorted(known)})"
            )
        if known:
            out.append(known.pop())
        elif unknown:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def format_shape(shape: StaticShape) -> str:
    """``(2, ?, 3)`` style text for a static shape."""
    inner = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _normalise_shape(shape: Iterable[object]) -> StaticShape:
    out: list[int | None] = []
    for n in shape:
        if isinstance(n, bool):
            out.append(1 if n else None)  # Theano's broadcastable pattern
        elif n is None:
            out.append(None)
        elif isinstance(n, int) or (hasattr(n, "__index__") and not isinstance(n, float)):
            k = int(cast(int, n))
            if k < 0:
                raise ValueError(f"static lengths must be >= 0 or None, got {k}")
            out.append(k)
        else:
            raise TypeError(f"static shape entries must be int, None or bool, got {n!r}")
    return tuple(out)


_PATTERN_NAMES: Final[dict[StaticShape, str]] = {
    (): "scalar", (None,): "vector", (None, None): "matrix", (1, None): "row", (None, 1): "col",
}  # fmt: skip


@dataclass(frozen=True, slots=True, init=False)
class TensorType:
    """The type of a tensor variable: a dtype and a static shape.

    ``TensorType('float64', (None, 3))`` is a matrix with 3 columns;
    ``TensorType('float32', (False, True))`` (Theano's broadcastable pattern:
    booleans, ``True`` meaning length 1) is a column. ``shape`` entries are
    ``int`` (known length) or ``None`` (unknown). Calling a type makes a
    variable: ``TensorType('float64', (None,) * 5)('x')``.
    """

    dtype: DType
    shape: StaticShape

    def __init__(
        self,
        dtype: DType | str,
        shape: Iterable[int | bool | None] | None = None,
        *,
        broadcastable: Iterable[bool] | None = None,
    ) -> None:
        if shape is not None and broadcastable is not None:
            raise TypeError("TensorType: give shape or broadcastable, not both")
        if shape is None:
            shape = () if broadcastable is None else [bool(b) for b in broadcastable]
        object.__setattr__(self, "dtype", as_dtype(dtype, "TensorType dtype"))
        object.__setattr__(self, "shape", _normalise_shape(shape))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Theano's pattern: ``True`` where the static length is 1."""
        return tuple(n == 1 for n in self.shape)

    def clone(self, dtype: DType | None = None, shape: StaticShape | None = None) -> TensorType:
        return TensorType(
            self.dtype if dtype is None else dtype, self.shape if shape is None else shape
        )

    def make_variable(self, name: str | None = None) -> TensorVariable:
        from refimpl.variable import TensorVariable

        return TensorVariable(self, name=name)

    def __call__(self, name: str | None = None) -> TensorVariable:
        return self.make_variable(name)

    def is_super(self, other: TensorType) -> bool:
        """Whether every value of ``other`` is a value of ``self``."""
        if self.dtype != other.dtype or self.ndim != other.ndim:
            return False
        return all(a is None or a == b for a, b in zip(self.shape, other.shape, strict=True))

    def shape_matches(self, shape: Sequence[int]) -> bool:
        """Whether a concrete shape is allowed by this type's static shape."""
        if len(shape) != self.ndim:
            return False
        return all(a is None or a == b for a, b in zip(self.shape, shape, strict=True))

    def __str__(self) -> str:
        # Theano's spelling: matrix, row, col ..., "3D" for unknown lengths of higher rank.
        if self.shape in _PATTERN_NAMES:
            return f"TensorType({self.dtype}, {_PATTERN_NAMES[self.shape]})"
        if all(n is None for n in self.shape):
            return f"TensorType({self.dtype}, {self.ndim}D)"
        return f"TensorType({self.dtype}, shape={format_shape(self.shape)})"

    def __repr__(self) -> str:
        return str(self)


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)
