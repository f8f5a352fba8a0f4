"""Batch normalisation and dropout (spec/nn.md, "Batch normalisation",
"Dropout")."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import nn
from refimpl.backend import to_numpy
from refimpl.grad import verify_grad
from refimpl.random import RandomStream
from tests.nn._util import run


@pytest.mark.parametrize("mode", ["low_mem", "high_mem"])
def test_batch_normalization_elementwise(mode: str, backend: str) -> None:
    rng = np.random.default_rng(0)
    xv = rng.normal(size=(4, 3))
    g, b, m, s = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), rng.uniform(1, 2, 3)
    x, gv, bv, mv, sv = (
        T.dmatrix("x"),
        T.dvector("g"),
        T.dvector("b"),
        T.dvector("m"),
        T.dvector("s"),
    )
    out = run([x, gv, bv, mv, sv], nn.batch_normalization(x, gv, bv, mv, sv, mode), xv, g, b, m, s,
              backend=backend)  # fmt: skip
    np.testing.assert_allclose(out, (xv - m) / s * g + b, rtol=1e-14)


def test_batch_normalization_train_per_activation(backend: str) -> None:
    rng = np.random.default_rng(1)
    xv, g, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    x, gv, bv, rmv, rvv = (
        T.dmatrix("x"),
        T.dvector("g"),
        T.dvector("b"),
        T.dvector("rm"),
        T.dvector("rv"),
    )
    outs = nn.batch_normalization_train(x, gv, bv, epsilon=1e-3, running_average_factor=0.2,
                                        running_mean=rmv, running_var=rvv)  # fmt: skip
    got = run([x, gv, bv, rmv, rvv], list(outs), xv, g, b, rm, rv, backend=backend)
    mean, var = xv.mean(0), xv.var(0)
    invstd = 1 / np.sqrt(var + 1e-3)
    expected = [(xv - mean) * (g * invstd) + b, mean, invstd, rm * 0.8 + mean * 0.2,
                rv * 0.8 + var * 5 / 4 * 0.2]  # fmt: skip
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-13)


def test_batch_normalization_train_spatial_and_test_mode(backend: str) -> None:
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(2, 3, 4, 5))
    g, b = rng.normal(size=(1, 3, 1, 1)), rng.normal(size=(1, 3, 1, 1))
    x = T.dtensor4("x")
    gv = T.TensorType("float64", (1, None, 1, 1))("g")
    bv = T.TensorType("float64", (1, None, 1, 1))("b")
    out, mean, invstd = nn.batch_normalization_train(x, gv, bv, axes="spatial")
    assert mean.type.shape[0] == 1 and mean.ndim == 4  # the parameters' layout
    test = nn.batch_normalization_test(x, gv, bv, mean, 1.0 / invstd**2 - 1e-4, axes="spatial")
    got = run([x, gv, bv], [out, test], xv, g, b, backend=backend)
    m, v = xv.mean((0, 2, 3), keepdims=True), xv.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(got[0], (xv - m) * (g / np.sqrt(v + 1e-4)) + b, rtol=1e-12)
    np.testing.assert_allclose(got[1], got[0], rtol=1e-10)


def test_batch_normalization_gradients() -> None:
    rng = np.random.default_rng(3)
    pts = [rng.normal(size=(4, 2, 3)), rng.normal(size=(2,)), rng.normal(size=(2,))]

    def f(x: Any, g: Any, b: Any) -> Any:
        out, mean, invstd = nn.batch_normalization_train(x, g, b, axes=(0, 2))
        return [out, mean, invstd]

    verify_grad(f, pts)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(axes="channels"), "axes"),
        (dict(axes=()), "at least one"),
        (dict(axes=(0, 5)), "out of range"),
        (dict(epsilon=1e-6), "epsilon"),
        (dict(running_mean=T.dvector()), "both"),
    ],
)
def test_batch_normalization_train_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nn.batch_normalization_train(T.dmatrix(), T.dvector(), T.dvector(), **kwargs)


def test_batch_normalization_parameter_layout_errors() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        nn.batch_normalization_train(T.dtensor4(), T.dmatrix("gamma"), T.dmatrix())
    with pytest.raises(ValueError, match="mode"):
        nn.batch_normalization(T.dmatrix(), 1.0, 0.0, 0.0, 1.0, mode="fast")
    with pytest.raises(TypeError, match="flags"):
        nn.batch_normalization(T.TensorType("bool", (None,))("flags"), 1.0, 0.0, 0.0, 1.0)


# --------------------------------------------------------------------------- dropout


def test_dropout_is_deterministic_per_seed_and_backend() -> None:
    x = T.dmatrix("x")
    ones = np.ones((6, 7))
    a = run([x], nn.dropout(x, 0.5, RandomStream(11)), ones, backend="numpy")
    b = run([x], nn.dropout(x, 0.5, RandomStream(11)), ones, backend="array_api_strict")
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}
    f = refimpl.function([x], nn.dropout(x, 0.5, RandomStream(11)))
    assert not np.array_equal(to_numpy(f(ones)), to_numpy(f(ones)))  # the stream advances


def test_dropout_rescale_and_rate() -> None:
    x = T.dmatrix("x")
    s = RandomStream(5)
    kept, raw = run([x], [nn.dropout(x, 0.2, s), nn.dropout(x, 0.2, s, rescale=False)],
                    np.ones((200, 200)))  # fmt: skip
    assert set(np.unique(kept)) == {0.0, 1.25} and set(np.unique(raw)) == {0.0, 1.0}
    assert abs((raw == 0).mean() - 0.2) < 0.01
    assert nn.dropout(x, 0, s) is x
    m = nn.dropout_mask((3, 4), 0.5, s, dtype="float32")
    assert m.dtype == "float32"


def test_dropout_gradient_uses_the_same_mask() -> None:
    x = T.dvector("x")
    y = nn.dropout(x, 0.5, RandomStream(3))
    f = refimpl.function([x], [y, refimpl.grad(T.sum(y), x)], no_default_updates=True)
    out, g = (to_numpy(o) for o in f(np.ones(50)))
    np.testing.assert_array_equal(g, out)  # d(x * mask / (1-p))/dx = mask / (1-p) = out at x=1


def test_dropout_errors() -> None:
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="p"):
        nn.dropout(x, 1.0, RandomStream(1))
    with pytest.raises(TypeError, match="RandomStream"):
        nn.dropout(x, 0.5, np.random.default_rng(0))
