"""types.py: the dtype tables, TensorType and static broadcasting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from refimpl.types import (
    ALL_DTYPES,
    PROMOTION_TABLE,
    TensorType,
    as_dtype,
    broadcast_static_shapes,
    can_cast,
    promote_types,
    scalar_fits,
    upcast_to_float,
    weak_scalar_dtype,
)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ALL_DTYPES, ALL_DTYPES)))
def test_promotion_table_matches_numpy_promote_types(a: str, b: str) -> None:
    # The table is a literal; numpy's promote_types is the independent second source.
    assert PROMOTION_TABLE[a, b] == np.promote_types(a, b).name  # type: ignore[index]


def test_promotion_is_commutative_and_associative() -> None:
    for a, b in itertools.product(ALL_DTYPES, ALL_DTYPES):
        assert promote_types(a, b) == promote_types(b, a)
    for a, b, c in itertools.product(("int8", "uint8", "float32", "int64"), repeat=3):
        assert promote_types(promote_types(a, b), c) == promote_types(a, promote_types(b, c))  # type: ignore[arg-type]


def test_theano_upcast_to_float() -> None:
    assert upcast_to_float("int8") == "float32"
    assert upcast_to_float("int32") == "float64"
    assert upcast_to_float("bool") == "float32"
    assert upcast_to_float("float32") == "float32"


def test_can_cast_is_lossless() -> None:
    assert can_cast("int32", "float64")
    assert not can_cast("int64", "float32")
    assert not can_cast("float64", "float32")
    assert can_cast("uint8", "int16")
    assert not can_cast("int8", "uint64")


def test_weak_scalars_follow_nep50() -> None:
    assert weak_scalar_dtype(2.5, "float32", "float64") == "float32"
    assert weak_scalar_dtype(2, "int8", "float64") == "int8"
    assert weak_scalar_dtype(0.5, "int32", "float64") == "float64"
    assert weak_scalar_dtype(0.5, "int32", "float32") == "float32"
    assert weak_scalar_dtype(True, "float32", "float64") == "float32"
    with pytest.raises(OverflowError, match="1000"):
        weak_scalar_dtype(1000, "int8", "float64")


def test_scalar_fits() -> None:
    assert scalar_fits(127, "int8") and not scalar_fits(128, "int8")
    assert scalar_fits(1.5, "float32") and not scalar_fits(1.5, "int64")
    assert not scalar_fits(-1, "uint8")


def test_tensortype_is_a_hashable_value() -> None:
    a = TensorType("float64", (None, 3))
    assert a == TensorType("float64", (None, 3))
    assert hash(a) == hash(TensorType("float64", [None, 3]))
    assert a != TensorType("float32", (None, 3))
    assert a.ndim == 2 and a.broadcastable == (False, False)
    with pytest.raises(AttributeError):
        a.dtype = "float32"  # type: ignore[misc]


def test_tensortype_accepts_theano_broadcastable_patterns() -> None:
    t = TensorType("float64", (False,) * 5)
    assert t.shape == (None,) * 5
    assert TensorType("float32", (False, True)).shape == (None, 1)
    assert TensorType("float32", broadcastable=(True, False)).shape == (1, None)
    x = t("x")
    assert x.ndim == 5 and x.dtype == "float64" and x.name == "x"


def test_tensortype_rejects_bad_dtype_and_shape() -> None:
    with pytest.raises(TypeError, match="unknown dtype 'float128'"):
        TensorType("float128", ())
    with pytest.raises(ValueError, match=">= 0"):
        TensorType("float64", (-1,))
    with pytest.raises(TypeError, match="static shape entries"):
        TensorType("float64", (1.5,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not both"):
        TensorType("float64", (None,), broadcastable=(False,))


def test_as_dtype_accepts_numpy_dtypes() -> None:
    assert as_dtype(np.dtype("float32")) == "float32"
    assert as_dtype(np.float64) == "float64"
    with pytest.raises(TypeError, match="floatX"):
        as_dtype("floatX")


def test_static_broadcasting() -> None:
    assert broadcast_static_shapes([(None, 1), (3,)]) == (None, 3)
    assert broadcast_static_shapes([(1, None), (None, 1)]) == (None, None)
    assert broadcast_static_shapes([(2, 1), (1, 5)]) == (2, 5)
    assert broadcast_static_shapes([(), (4,)]) == (4,)
    with pytest.raises(ValueError, match=r"x, y.*\(2, 3\).*\(4,\)"):
        broadcast_static_shapes([(2, 3), (4,)], ["x", "y"])


def test_str_of_types() -> None:
    assert str(TensorType("float64", (None, None))) == "TensorType(float64, matrix)"
    assert str(TensorType("int8", (None, 3))) == "TensorType(int8, shape=(?, 3))"
