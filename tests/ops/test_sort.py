"""Tests of sorting (spec/sort.md): values and stability against numpy on
numpy and array-api-strict (NaN, inf, signed zeros, ties, bool, ints), the
portable gather used where ``take_along_axis`` is missing, dtypes, errors,
and the L_op / R_op of sort and of the permutation op against central finite
differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import array_api_strict
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refimpl
import refimpl.tensor as T
from refimpl.backend import to_numpy
from refimpl.ops import sort as S
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

BACKENDS = ("numpy", "array_api_strict")
NDArray = np.ndarray[Any, Any]


def var(shape: Sequence[int | None], dtype: str = "float64", name: str = "x") -> TensorVariable:
    return TensorType(dtype, tuple(shape))(name)


def run(inputs: list[Any], outputs: Any, *values: Any, backend: str = "numpy") -> Any:
    f = refimpl.function(inputs, outputs, backend=backend, on_unused_input="ignore")
    out = f(*values)
    return [to_numpy(o) for o in out] if isinstance(out, list) else to_numpy(out)


SPECIAL = np.array(
    [[3.0, np.nan, 1.0, np.inf, -0.0], [np.nan, -np.inf, 2.0, np.nan, 0.0],
     [0.0, -0.0, 0.0, np.nan, 1.0], [1.0, 1.0, np.inf, 1.0, np.nan]]
)  # fmt: skip


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort_argsort_specials(backend: str, axis: int | None) -> None:
    x = var((None, None))
    s, a = run([x], [T.sort(x, axis), T.argsort(x, axis)], SPECIAL, backend=backend)
    np.testing.assert_array_equal(s, np.sort(SPECIAL, axis=axis, kind="stable"))
    np.testing.assert_array_equal(a, np.argsort(SPECIAL, axis=axis, kind="stable"))
    assert a.dtype == np.int64


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "float32", "bool"])
def test_sort_dtypes_and_ties(backend: str, dtype: str) -> None:
    x = np.random.default_rng(1).integers(0, 3, size=(3, 7)).astype(dtype)
    v = var((None, None), dtype)
    s, a = run([v], [T.sort(v), T.argsort(v, axis=0)], x, backend=backend)
    assert s.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(s, np.sort(x, kind="stable"))
    np.testing.assert_array_equal(a, np.argsort(x, axis=0, kind="stable"))


@given(st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]), min_size=1,
                max_size=12))  # fmt: skip
def test_argsort_matches_numpy_stable(values: list[float]) -> None:
    x = np.array(values)
    v = T.dvector("v")
    got = run([v], T.argsort(v), x, backend="array_api_strict")
    np.testing.assert_array_equal(got, np.argsort(x, kind="stable"))


def test_types_methods_and_axis_none() -> None:
    x = var((2, None, 3), "float32")
    assert T.sort(x).type == x.type
    assert T.argsort(x, 1).type == TensorType("int64", (2, None, 3))
    assert T.sort(x, None).type.ndim == 1 and T.argsort(x, None).dtype == "int64"
    v = T.dvector("v")
    xv = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(run([v], v.sort(), xv), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(run([v], v.argsort(), xv), [1, 2, 0])
    assert T.sort(x, -1).owner.op == S.Sort(2)  # the axis is normalised, so equal sorts merge
    assert T.sort(x, kind="mergesort").owner.op == S.Sort(2)


def test_take_along_without_namespace_support() -> None:
    class NoTakeAlong:
        def __getattr__(self, name: str) -> Any:
            if name == "take_along_axis":
                raise AttributeError(name)
            return getattr(array_api_strict, name)

    xp = NoTakeAlong()
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    for axis in (0, 1, 2):
        p = np.argsort(np.random.default_rng(axis).standard_normal(x.shape), axis=axis)
        got = S.take_along(xp, array_api_strict.asarray(x), array_api_strict.asarray(p), axis)
        np.testing.assert_array_equal(np.asarray(got), np.take_along_axis(x, p, axis=axis))
    key = np.array([[2.0, np.nan, 1.0, np.inf]])
    got = S.stable_argsort(xp, array_api_strict.asarray(key), 1, "float64")
    np.testing.assert_array_equal(np.asarray(got), np.argsort(key, axis=1, kind="stable"))


# --------------------------------------------------------------------------- derivatives


def _check(build: Any, x: NDArray, h: float = 1e-6, seed: int = 0) -> None:
    r = np.random.default_rng(seed)
    v = var((None,) * x.ndim)
    out = build(v)
    node = out.owner
    f = refimpl.function([v], out)
    u = r.standard_normal(x.shape)
    jvp = (np.asarray(f(x + h * u)) - np.asarray(f(x - h * u))) / (2 * h)
    ev = v.type()
    (rop,) = node.op.R_op(node.inputs, [ev])
    np.testing.assert_allclose(run([v, ev], rop, x, u), jvp, atol=1e-8)
    g = out.type()
    (gx,) = node.op.L_op(node.inputs, node.outputs, [g])
    w = r.standard_normal(np.shape(np.asarray(f(x))))
    lhs = float(np.sum(run([v, g], gx, x, w) * u))
    assert abs(lhs - float(np.sum(w * jvp))) < 1e-8


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_sort_derivatives(axis: int) -> None:
    x = np.random.default_rng(3).permutation(np.linspace(-3, 3, 12)).reshape(3, 4)
    _check(lambda v: T.sort(v, axis), x)


def test_sort_gradient_goes_to_the_sorted_element() -> None:
    v = T.dvector("v")
    g = refimpl.grad(T.sort(v)[0] * 10.0 + T.sort(v)[2], v)
    np.testing.assert_array_equal(run([v], g, np.array([5.0, -1.0, 3.0])), [1.0, 10.0, 0.0])
    # ties: each tied element gets the gradient of its slot in the stable order
    np.testing.assert_array_equal(run([v], g, np.array([2.0, 2.0, 2.0])), [10.0, 0.0, 1.0])


def test_argsort_and_integer_sort_have_zero_gradient() -> None:
    v = T.dvector("v")
    node = T.argsort(v).owner
    assert node.op.L_op(node.inputs, node.outputs, [T.lvector()]) == [None]
    assert node.op.R_op(node.inputs, [T.dvector()]) == [None]
    i = T.lvector("i")
    node = T.sort(i).owner
    assert node.op.L_op(node.inputs, node.outputs, [T.lvector()]) == [None]


@pytest.mark.parametrize("backend", BACKENDS)
def test_permute_along_axis(backend: str) -> None:
    x = np.random.default_rng(4).standard_normal((3, 4))
    p = np.argsort(np.random.default_rng(5).standard_normal((3, 4)), axis=0)
    X, P = var((None, None)), var((None, None), "int64", "p")
    out = S.permute_along_axis(X, P, 0)
    np.testing.assert_array_equal(run([X, P], out, x, p, backend=backend),
                                  np.take_along_axis(x, p, axis=0))  # fmt: skip
    node = out.owner
    G = T.dmatrix("G")
    gx, gp = node.op.L_op(node.inputs, node.outputs, [G])
    assert gp is None
    w, u = np.random.default_rng(6).standard_normal((2, 3, 4))
    lhs = float(np.sum(run([X, P, G], gx, x, p, w) * u))
    assert np.isclose(lhs, float(np.sum(w * np.take_along_axis(u, p, axis=0))))
    (rop,) = node.op.R_op(node.inputs, [T.dmatrix("V"), None])
    assert rop is not None


# --------------------------------------------------------------------------- errors


def test_errors() -> None:
    with pytest.raises(TypeError, match="z has dtype complex128; complex numbers are not ordered"):
        T.sort(T.zvector("z"))
    with pytest.raises(ValueError, match="axis 2 is out of range for m with 2 dimensions"):
        T.argsort(T.dmatrix("m"), 2)
    with pytest.raises(ValueError, match="out of range for s with 0 dimensions"):
        T.sort(T.dscalar("s"))
    with pytest.raises(TypeError, match="axis must be an int"):
        T.sort(T.dvector("v"), 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order="):
        T.sort(T.dvector("v"), order="f")
    assert T.sort(T.dscalar("s"), None).ndim == 1
    with pytest.raises(TypeError, match="integer tensor with the ndim"):
        S.permute_along_axis(T.dmatrix("x"), T.lvector("p"))
    with pytest.raises(ValueError, match="differ in length on axis 1"):
        S.permute_along_axis(var((2, 3)), var((2, 4), "int64", "p"))
    x, p = T.dmatrix("x"), T.lmatrix("p")
    f = refimpl.function([x, p], S.permute_along_axis(x, p))
    with pytest.raises(ValueError, match="must have the same shape"):
        f(np.ones((2, 3)), np.zeros((2, 2), dtype="int64"))
