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


def _plural(
    kind: str, dtype: DType | None, args: tuple[Any, ...]
) -> TensorVariable | list[TensorVariable]:
    # Theano's rule: a count gives a list; one name gives one variable.
    if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
        return [_make(kind, None, dtype) for _ in range(args[0])]
    if not args or not all(isinstance(a, str) for a in args):
        raise TypeError(f"{kind}s(): give one or more names, or a single count")
    if len(args) == 1:
        return _make(kind, args[0], dtype)
    return [_make(kind, a, dtype) for a in args]


@dataclass(frozen=True)
class PluralConstructor:
    """A plural constructor: ``dscalars('x', 'y')`` or ``matrices(3)``."""

    kind: str
    dtype: DType | None

    def __call__(self, *names: Any) -> Any:
        return _plural(self.kind, self.dtype, names)


# Written out (not injected at runtime) so every name is visible to readers and mypy.
# The prefixed singular forms are TensorType values, as in Theano: dmatrix('x').

scalars = PluralConstructor("scalar", None)
vectors = PluralConstructor("vector", None)
rows = PluralConstructor("row", None)
cols = PluralConstructor("col", None)
matrices = PluralConstructor("matrix", None)
tensor3s = PluralConstructor("tensor3", None)
tensor4s = PluralConstructor("tensor4", None)
tensor5s = PluralConstructor("tensor5", None)

bscalar = TensorType("int8", SHAPES["scalar"])
bscalars = PluralConstructor("scalar", "int8")
bvector = TensorType("int8", SHAPES["vector"])
bvectors = PluralConstructor("vector", "int8")
brow = TensorType("int8", SHAPES["row"])
brows = PluralConstructor("row", "int8")
bcol = TensorType("int8", SHAPES["col"])
bcols = PluralConstructor("col", "int8")
bmatrix = TensorType("int8", SHAPES["matrix"])
bmatrices = PluralConstructor("matrix", "int8")
btensor3 = TensorType("int8", SHAPES["tensor3"])
btensor3s = PluralConstructor("tensor3", "int8")
btensor4 = TensorType("int8", SHAPES["tensor4"])
btensor4s = PluralConstructor("tensor4", "int8")
btensor5 = TensorType("int8", SHAPES["tensor5"])
btensor5s = PluralConstructor("tensor5", "int8")

wscalar = TensorType("int16", SHAPES["scalar"])
wscalars = PluralConstructor("scalar", "int16")
wvector = TensorType("int16", SHAPES["vector"])
wvectors = PluralConstructor("vector", "int16")
wrow = TensorType("int16", SHAPES["row"])
wrows = PluralConstructor("row", "int16")
wcol = TensorType("int16", SHAPES["col"])
wcols = PluralConstructor("col", "int16")
wmatrix = TensorType("int16", SHAPES["matrix"])
wmatrices = PluralConstructor("matrix", "int16")
wtensor3 = TensorType("int16", SHAPES["tensor3"])
wtensor3s = PluralConstructor("tensor3", "int16")
wtensor4 = TensorType("int16", SHAPES["tensor4"])
wtensor4s = PluralConstructor("tensor4", "int16")
wtensor5 = TensorType("int16", SHAPES["tensor5"])
wtensor5s = PluralConstructor("tensor5", "int16")

iscalar = TensorType("int32", SHAPES["scalar"])
iscalars = PluralConstructor("scalar", "int32")
ivector = TensorType("int32", SHAPES["vector"])
ivectors = PluralConstructor("vector", "int32")
irow = TensorType("int32", SHAPES["row"])
irows = PluralConstructor("row", "int32")
icol = TensorType("int32", SHAPES["col"])
icols = PluralConstructor("col", "int32")
imatrix = TensorType("int32", SHAPES["matrix"])
imatrices = PluralConstructor("matrix", "int32")
itensor3 = TensorType("int32", SHAPES["tensor3"])
itensor3s = PluralConstructor("tensor3", "int32")
itensor4 = TensorType("int32", SHAPES["tensor4"])
itensor4s = PluralConstructor("tensor4", "int32")
itensor5 = TensorType("int32", SHAPES["tensor5"])
itensor5s = PluralConstructor("tensor5", "int32")

lscalar = TensorType("int64", SHAPES["scalar"])
lscalars = PluralConstructor("scalar", "int64")
lvector = TensorType("int64", SHAPES["vector"])
lvectors = PluralConstructor("vector", "int64")
lrow = TensorType("int64", SHAPES["row"])
lrows = PluralConstructor("row", "int64")
lcol = TensorType("int64", SHAPES["col"])
lcols = PluralConstructor("col", "int64")
lmatrix = TensorType("int64", SHAPES["matrix"])
lmatrices = PluralConstructor("matrix", "int64")
ltensor3 = TensorType("int64", SHAPES["tensor3"])
ltensor3s = PluralConstructor("tensor3", "int64")
ltensor4 = TensorType("int64", SHAPES["tensor4"])
ltensor4s = PluralConstructor("tensor4", "int64")
ltensor5 = TensorType("int64", SHAPES["tensor5"])
ltensor5s = PluralConstructor("tensor5", "int64")

fscalar = TensorType("float32", SHAPES["scalar"])
fscalars = PluralConstructor("scalar", "float32")
fvector = TensorType("float32", SHAPES["vector"])
fvectors = PluralConstructor("vector", "float32")
frow = TensorType("float32", SHAPES["row"])
frows = PluralConstructor("row", "float32")
fcol = TensorType("float32", SHAPES["col"])
fcols = PluralConstructor("col", "float32")
fmatrix = TensorType("float32", SHAPES["matrix"])
fmatrices = PluralConstructor("matrix", "float32")
ftensor3 = TensorType("float32", SHAPES["tensor3"])
ftensor3s = PluralConstructor("tensor3", "float32")
ftensor4 = TensorType("float32", SHAPES["tensor4"])
ftensor4s = PluralConstructor("tensor4", "float32")
ftensor5 = TensorType("float32", SHAPES["tensor5"])
ftensor5s = PluralConstructor("tensor5", "float32")

dscalar = TensorType("float64", SHAPES["scalar"])
dscalars = PluralConstructor("scalar", "float64")
dvector = TensorType("float64", SHAPES["vector"])
dvectors = PluralConstructor("vector", "float64")
drow = TensorType("float64", SHAPES["row"])
drows = PluralConstructor("row", "float64")
dcol = TensorType("float64", SHAPES["col"])
dcols = PluralConstructor("col", "float64")
dmatrix = TensorType("float64", SHAPES["matrix"])
dmatrices = PluralConstructor("matrix", "float64")
dtensor3 = TensorType("float64", SHAPES["tensor3"])
dtensor3s = PluralConstructor("tensor3", "float64")
dtensor4 = TensorType("float64", SHAPES["tensor4"])
dtensor4s = PluralConstructor("tensor4", "float64")
dtensor5 = TensorType("float64", SHAPES["tensor5"])
dtensor5s = PluralConstructor("tensor5", "float64")

cscalar = TensorType("complex64", SHAPES["scalar"])
cscalars = PluralConstructor("scalar", "complex64")
cvector = TensorType("complex64", SHAPES["vector"])
cvectors = PluralConstructor("vector", "complex64")
crow = TensorType("complex64", SHAPES["row"])
crows = PluralConstructor("row", "complex64")
ccol = TensorType("complex64", SHAPES["col"])
ccols = PluralConstructor("col", "complex64")
cmatrix = TensorType("complex64", SHAPES["matrix"])
cmatrices = PluralConstructor("matrix", "complex64")
ctensor3 = TensorType("complex64", SHAPES["tensor3"])
ctensor3s = PluralConstructor("tensor3", "complex64")
ctensor4 = TensorType("complex64", SHAPES["tensor4"])
ctensor4s = PluralConstructor("tensor4", "complex64")
ctensor5 = TensorType("complex64", SHAPES["tensor5"])
ctensor5s = PluralConstructor("tensor5", "complex64")

zscalar = TensorType("complex128", SHAPES["scalar"])
zscalars = PluralConstructor("scalar", "complex128")
zvector = TensorType("complex128", SHAPES["vector"])
zvectors = PluralConstructor("vector", "complex128")
zrow = TensorType("complex128", SHAPES["row"])
zrows = PluralConstructor("row", "complex128")
zcol = TensorType("complex128", SHAPES["col"])
zcols = PluralConstructor("col", "complex128")
zmatrix = TensorType("complex128", SHAPES["matrix"])
zmatrices = PluralConstructor("matrix", "complex128")
ztensor3 = TensorType("complex128", SHAPES["tensor3"])
ztensor3s = PluralConstructor("tensor3", "complex128")
ztensor4 = TensorType("complex128", SHAPES["tensor4"])
ztensor4s = PluralConstructor("tensor4", "complex128")
ztensor5 = TensorType("complex128", SHAPES["tensor5"])
ztensor5s = PluralConstructor("tensor5", "complex128")


__all__ = [
    "bcol",
    "bcols",
    "bmatrices",
    "bmatrix",
    "brow",
    "brows",
    "bscalar",
    "bscalars",
    "btensor3",
    "btensor3s",
    "btensor4",
    "btensor4s",
    "btensor5",
    "btensor5s",
    "bvector",
    "bvectors",
    "ccol",
    "ccols",
    "cmatrices",
    "cmatrix",
    "col",
    "cols",
    "crow",
    "crows",
    "cscalar",
    "cscalars",
    "ctensor3",
    "ctensor3s",
    "ctensor4",
    "ctensor4s",
    "ctensor5",
    "ctensor5s",
    "cvector",
    "cvectors",
    "dcol",
    "dcols",
    "dmatrices",
    "dmatrix",
    "drow",
    "drows",
    "dscalar",
    "dscalars",
    "dtensor3",
    "dtensor3s",
    "dtensor4",
    "dtensor4s",
    "dtensor5",
    "dtensor5s",
    "dvector",
    "dvectors",
    "fcol",
    "fcols",
    "fmatrices",
    "fmatrix",
    "frow",
    "frows",
    "fscalar",
    "fscalars",
    "ftensor3",
    "ftensor3s",
    "ftensor4",
    "ftensor4s",
    "ftensor5",
    "ftensor5s",
    "fvector",
    "fvectors",
    "icol",
    "icols",
    "imatrices",
    "imatrix",
    "irow",
    "irows",
    "iscalar",
    "iscalars",
    "itensor3",
    "itensor3s",
    "itensor4",
    "itensor4s",
    "itensor5",
    "itensor5s",
    "ivector",
    "ivectors",
    "lcol",
    "lcols",
    "lmatrices",
    "lmatrix",
    "lrow",
    "lrows",
    "lscalar",
    "lscalars",
    "ltensor3",
    "ltensor3s",
    "ltensor4",
    "ltensor4s",
    "ltensor5",
    "ltensor5s",
    "lvector",
    "lvectors",
    "matrices",
    "matrix",
    "row",
    "rows",
    "scalar",
    "scalars",
    "tensor",
    "tensor3",
    "tensor3s",
    "tensor4",
    "tensor4s",
    "tensor5",
    "tensor5s",
    "vector",
    "vectors",
    "wcol",
    "wcols",
    "wmatrices",
    "wmatrix",
    "wrow",
    "wrows",
    "wscalar",
    "wscalars",
    "wtensor3",
    "wtensor3s",
    "wtensor4",
    "wtensor4s",
    "wtensor5",
    "wtensor5s",
    "wvector",
    "wvectors",
    "zcol",
    "zcols",
    "zmatrices",
    "zmatrix",
    "zrow",
    "zrows",
    "zscalar",
    "zscalars",
    "ztensor3",
    "ztensor3s",
    "ztensor4",
    "ztensor4s",
    "ztensor5",
    "ztensor5s",
    "zvector",
    "zvectors",
]
