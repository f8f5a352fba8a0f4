"""Variable constructors: ``scalar vector row col matrix tensor3..5``, their
dtype-prefixed forms (``b w i l f d c z``: int8, int16, int32, int64,
float32, float64, complex64, complex128) and plural forms.

Each constructor reads ``config.floatX`` when it is called (build time), never
later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from refimpl.types import DType, StaticShape, TensorType, as_dtype
from refimpl.variable import TensorVariable

PREFIXES: Final[dict[str, DType]] = {
    "b": "int8", "w": "int16", "i": "int32", "l": "int64",
    "f": "float32", "d": "float64", "c": "complex64", "z": "complex128",
}  # fmt: skip

SHAPES: Final[dict[str, StaticShape]] = {
    "scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1),
    "matrix": (None, None), "tensor3": (None,) * 3, "tensor4": (None,) * 4,
    "tensor5": (None,) * 5,
}  # fmt: skip


def _dtype(dtype: DType | str | None) -> DType:
    if dtype is None:
        from refimpl.config import config

        return as_dtype(config.floatX)
    return as_dtype(dtype)


def _make(kind: str, name: str | None, dtype: DType | str | None) -> TensorVariable:
    return TensorType(_dtype(dtype), SHAPES[kind])(name)


def scalar(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    """A 0-d variable (dtype defaults to ``config.floatX``)."""
    return _make("scalar", name, dtype)


def vector(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    return _make("vector", name, dtype)


def row(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    """A matrix with one row (static shape ``(1, None)``)."""
    return _make("row", name, dtype)


def col(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    """A matrix with one column (static shape ``(None, 1)``)."""
    return _make("col", name, dtype)


def matrix(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    return _make("matrix", name, dtype)


def tensor3(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    return _make("tensor3", name, dtype)


def tensor4(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    return _make("tensor4", name, dtype)


def tensor5(name: str | None = None, dtype: DType | str | None = None) -> TensorVariable:
    return _make("tensor5", name, dtype)


def tensor(
    dtype: DType | str | None = None,
    shape: StaticShape | None = None,
    name: str | None = None,
    broadcastable: tuple[bool, ...] | None = None,
) -> TensorVariable:
    """A variable of any static shape: ``tensor('float32', (None, 3), 'x')``."""
    if shape is None and broadcastable is None:
        raise TypeError("tensor(): give shape=(...) or broadcastable=(...)")
    if shape is not None:
        return TensorType(_dtype(dtype), shape)(name)
    return TensorType(_dtype(dtype), broadcastable=broadcastable)(name)


def _plural(kind: str, dtype: DType | None, args: tuple[Any, ...]) -> list[TensorVariable]:
    if len(args) == 1 and isinstance(args[0], int):
        return [_make(kind, None, dtype) for _ in range(args[0])]
    if not all(isinstance(a, str) for a in args):
        raise TypeError(f"{kind}s(): give names or a single count")
    return [_make(kind, a, dtype) for a in args]


@dataclass(frozen=True)
class Constructor:
    """A dtype-prefixed constructor such as ``dmatrix``: ``dmatrix('x')``."""

    kind: str
    dtype: DType

    def __call__(self, name: str | None = None) -> TensorVariable:
        return _make(self.kind, name, self.dtype)


@dataclass(frozen=True)
class PluralConstructor:
    """A plural constructor: ``dscalars('x', 'y')`` or ``matrices(3)``."""

    kind: str
    dtype: DType | None

    def __call__(self, *names: Any) -> list[TensorVariable]:
        return _plural(self.kind, self.dtype, names)


# Written out (not injected at runtime) so every name is visible to readers and mypy.

scalars = PluralConstructor("scalar", None)
vectors = PluralConstructor("vector", None)
rows = PluralConstructor("row", None)
cols = PluralConstructor("col", None)
matrices = PluralConstructor("matrix", None)
tensor3s = PluralConstructor("tensor3", None)
tensor4s = PluralConstructor("tensor4", None)
tensor5s = PluralConstructor("tensor5", None)

bscalar = Constructor("scalar", "int8")
bscalars = PluralConstructor("scalar", "int8")
bvector = Constructor("vector", "int8")
bvectors = PluralConstructor("vector", "int8")
brow = Constructor("row", "int8")
brows = PluralConstructor("row", "int8")
bcol = Constructor("col", "int8")
bcols = PluralConstructor("col", "int8")
bmatrix = Constructor("matrix", "int8")
bmatrices = PluralConstructor("matrix", "int8")
btensor3 = Constructor("tensor3", "int8")
btensor3s = PluralConstructor("tensor3", "int8")
btensor4 = Constructor("tensor4", "int8")
btensor4s = PluralConstructor("tensor4", "int8")
btensor5 = Constructor("tensor5", "int8")
btensor5s = PluralConstructor("tensor5", "int8")

wscalar = Constructor("scalar", "int16")
wscalars = PluralConstructor("scalar", "int16")
wvector = Constructor("vector", "int16")
wvectors = PluralConstructor("vector", "int16")
wrow = Constructor("row", "int16")
wrows = PluralConstructor("row", "int16")
wcol = Constructor("col", "int16")
wcols = PluralConstructor("col", "int16")
wmatrix = Constructor("matrix", "int16")
wmatrices = PluralConstructor("matrix", "int16")
wtensor3 = Constructor("tensor3", "int16")
wtensor3s = PluralConstructor("tensor3", "int16")
wtensor4 = Constructor("tensor4", "int16")
wtensor4s = PluralConstructor("tensor4", "int16")
wtensor5 = Constructor("tensor5", "int16")
wtensor5s = PluralConstructor("tensor5", "int16")

iscalar = Constructor("scalar", "int32")
iscalars = PluralConstructor("scalar", "int32")
ivector = Constructor("vector", "int32")
ivectors = PluralConstructor("vector", "int32")
irow = Constructor("row", "int32")
irows = PluralConstructor("row", "int32")
icol = Constructor("col", "int32")
icols = PluralConstructor("col", "int32")
imatrix = Constructor("matrix", "int32")
imatrices = PluralConstructor("matrix", "int32")
itensor3 = Constructor("tensor3", "int32")
itensor3s = PluralConstructor("tensor3", "int32")
itensor4 = Constructor("tensor4", "int32")
itensor4s = PluralConstructor("tensor4", "int32")
itensor5 = Constructor("tensor5", "int32")
itensor5s = PluralConstructor("tensor5", "int32")

lscalar = Constructor("scalar", "int64")
lscalars = PluralConstructor("scalar", "int64")
lvector = Constructor("vector", "int64")
lvectors = PluralConstructor("vector", "int64")
lrow = Constructor("row", "int64")
lrows = PluralConstructor("row", "int64")
lcol = Constructor("col", "int64")
lcols = PluralConstructor("col", "int64")
lmatrix = Constructor("matrix", "int64")
lmatrices = PluralConstructor("matrix", "int64")
ltensor3 = Constructor("tensor3", "int64")
ltensor3s = PluralConstructor("tensor3", "int64")
ltensor4 = Constructor("tensor4", "int64")
ltensor4s = PluralConstructor("tensor4", "int64")
ltensor5 = Constructor("tensor5", "int64")
ltensor5s = PluralConstructor("tensor5", "int64")

fscalar = Constructor("scalar", "float32")
fscalars = PluralConstructor("scalar", "float32")
fvector = Constructor("vector", "float32")
fvectors = PluralConstructor("vector", "float32")
frow = Constructor("row", "float32")
frows = PluralConstructor("row", "float32")
fcol = Constructor("col", "float32")
fcols = PluralConstructor("col", "float32")
fmatrix = Constructor("matrix", "float32")
fmatrices = PluralConstructor("matrix", "float32")
ftensor3 = Constructor("tensor3", "float32")
ftensor3s = PluralConstructor("tensor3", "float32")
ftensor4 = Constructor("tensor4", "float32")
ftensor4s = PluralConstructor("tensor4", "float32")
ftensor5 = Constructor("tensor5", "float32")
ftensor5s = PluralConstructor("tensor5", "float32")

dscalar = Constructor("scalar", "float64")
dscalars = PluralConstructor("scalar", "float64")
dvector = Constructor("vector", "float64")
dvectors = PluralConstructor("vector", "float64")
drow = Constructor("row", "float64")
drows = PluralConstructor("row", "float64")
dcol = Constructor("col", "float64")
dcols = PluralConstructor("col", "float64")
dmatrix = Constructor("matrix", "float64")
dmatrices = PluralConstructor("matrix", "float64")
dtensor3 = Constructor("tensor3", "float64")
dtensor3s = PluralConstructor("tensor3", "float64")
dtensor4 = Constructor("tensor4", "float64")
dtensor4s = PluralConstructor("tensor4", "float64")
dtensor5 = Constructor("tensor5", "float64")
dtensor5s = PluralConstructor("tensor5", "float64")

cscalar = Constructor("scalar", "complex64")
cscalars = PluralConstructor("scalar", "complex64")
cvector = Constructor("vector", "complex64")
cvectors = PluralConstructor("vector", "complex64")
crow = Constructor("row", "complex64")
crows = PluralConstructor("row", "complex64")
ccol = Constructor("col", "complex64")
ccols = PluralConstructor("col", "complex64")
cmatrix = Constructor("matrix", "complex64")
cmatrices = PluralConstructor("matrix", "complex64")
ctensor3 = Constructor("tensor3", "complex64")
ctensor3s = PluralConstructor("tensor3", "complex64")
ctensor4 = Constructor("tensor4", "complex64")
ctensor4s = PluralConstructor("tensor4", "complex64")
ctensor5 = Constructor("tensor5", "complex64")
ctensor5s = PluralConstructor("tensor5", "complex64")

zscalar = Constructor("scalar", "complex128")
zscalars = PluralConstructor("scalar", "complex128")
zvector = Constructor("vector", "complex128")
zvectors = PluralConstructor("vector", "complex128")
zrow = Constructor("row", "complex128")
zrows = PluralConstructor("row", "complex128")
zcol = Constructor("col", "complex128")
zcols = PluralConstructor("col", "complex128")
zmatrix = Constructor("matrix", "complex128")
zmatrices = PluralConstructor("matrix", "complex128")
ztensor3 = Constructor("tensor3", "complex128")
ztensor3s = PluralConstructor("tensor3", "complex128")
ztensor4 = Constructor("tensor4", "complex128")
ztensor4s = PluralConstructor("tensor4", "complex128")
ztensor5 = Constructor("tensor5", "complex128")
ztensor5s = PluralConstructor("tensor5", "complex128")
