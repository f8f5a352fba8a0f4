"""Activations: values at the extremes (stability), Theano's identities and
printed names, gradients, and errors (spec/nn.md, "Activations")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import nn
from refimpl.grad import verify_grad
from tests.nn._util import run

X = np.array([-1000.0, -40.0, -3.0, -0.5, 0.0, 0.5, 3.0, 40.0, 1000.0])


def test_sigmoid_softplus_are_stable_at_the_extremes(backend: str) -> None:
    x = T.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning anywhere
        s, sp = run([x], [nn.sigmoid(x), nn.softplus(x)], X, backend=backend)
    with np.errstate(over="ignore"):
        expected_s = 1.0 / (1.0 + np.exp(-X))
    np.testing.assert_allclose(s, expected_s, rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(sp, np.logaddexp(0.0, X), rtol=1e-15)
    assert sp[-1] == 1000.0


def test_sigmoid_float32_keeps_its_dtype(backend: str) -> None:
    x = T.fvector("x")
    out = run([x], nn.sigmoid(x), X.astype(np.float32), backend=backend)
    assert out.dtype == np.float32
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(out, 1.0 / (1.0 + np.exp(-X)), rtol=1e-6)


def test_integer_inputs_upcast_by_theanos_rule() -> None:
    assert nn.sigmoid(T.bvector()).dtype == "float32"
    assert nn.softplus(T.ivector()).dtype == "float64"
    assert nn.relu(T.lvector()).dtype == "int64"  # maximum(x, 0) keeps the dtype
    assert nn.relu(T.lvector(), 0.5).dtype == "float64"


def test_ultra_fast_and_hard_sigmoid_precision_order(backend: str) -> None:
    x = T.dvector("x")
    grid = np.linspace(-10, 10, 2001)
    s, u, h = run([x], [nn.sigmoid(x), nn.ultra_fast_sigmoid(x), nn.hard_sigmoid(x)], grid,
                  backend=backend)  # fmt: skip
    err_u, err_h = np.abs(u - s).max(), np.abs(h - s).max()
    assert err_u < 0.03 < err_h < 0.1  # sigmoid > ultra_fast > hard (seed 003-69 prose)
    np.testing.assert_allclose(h, np.clip(0.2 * grid + 0.5, 0, 1), rtol=1e-15)


def test_relu_identities_seed_003_69(backend: str) -> None:
    x = T.dvector("x")
    got = run([x], [nn.relu(x), T.maximum(x, 0), nn.relu(x, 0.1), T.switch(x > 0, x, 0.1 * x)],
              X, backend=backend)  # fmt: skip
    np.testing.assert_array_equal(got[0], got[1])
    np.testing.assert_array_equal(got[2], got[3])
    a = T.dscalar("a")
    np.testing.assert_array_equal(run([x, a], nn.relu(x, a), X, 0.2), np.where(X > 0, X, 0.2 * X))


def test_elu_softsign(backend: str) -> None:
    x = T.dvector("x")
    e, s = run([x], [nn.elu(x, 0.7), nn.softsign(x)], X, backend=backend)
    np.testing.assert_allclose(e, np.where(X > 0, X, 0.7 * np.expm1(np.minimum(X, 0))), rtol=1e-15)
    np.testing.assert_allclose(s, X / (1 + np.abs(X)), rtol=1e-15)


def test_gradients_are_finite_at_the_extremes() -> None:
    x = T.dvector("x")
    fns = [nn.sigmoid, nn.softplus, nn.ultra_fast_sigmoid, nn.elu, nn.softsign, nn.relu]
    for fn in fns:
        g = run([x], refimpl.grad(T.sum(fn(x)), x), X)
        assert np.all(np.isfinite(g)), fn.__name__
    g = run([x], refimpl.grad(T.sum(nn.sigmoid(x)), x), X)
    np.testing.assert_allclose(g[3:6], [0.2350037122015945, 0.25, 0.2350037122015945])


@pytest.mark.parametrize(
    "fn", [nn.sigmoid, nn.softplus, nn.softsign, nn.elu, lambda v: nn.relu(v, 0.3)]
)
def test_verify_grad(fn: object) -> None:
    pts = [np.array([-2.3, -0.7, 0.4, 1.9])]
    verify_grad(fn, pts)  # type: ignore[arg-type]


def test_ultra_fast_sigmoid_gradient_is_the_derivative_of_the_approximation() -> None:
    # Theano used out * (1 - out); refimpl differentiates what it computes
    verify_grad(nn.ultra_fast_sigmoid, [np.array([-5.0, -2.0, 0.3, 2.9, 4.0, 7.0])])


def test_printing_seeds_003_66_67() -> None:
    x, b = T.dvectors("x", "b")
    W = T.dmatrix("W")
    assert refimpl.pp(nn.sigmoid(T.dot(W, x) + b)) == "sigmoid(((W \\dot x) + b))"
    assert refimpl.pp(nn.softplus(T.dot(W, x) + b)) == "softplus(((W \\dot x) + b))"


def test_tensor_nnet_names_resolve() -> None:
    assert T.nnet is nn
    for name in ("sigmoid", "softmax", "conv2d", "relu", "binary_crossentropy",
                 "categorical_crossentropy", "pool_2d"):  # fmt: skip
        assert getattr(T.nnet, name) is getattr(nn, name)
    from refimpl.nn import conv2d, pool_2d, relu, sigmoid, softmax  # API.md's import line

    assert (sigmoid, softmax, relu, conv2d, pool_2d) == (nn.sigmoid, nn.softmax, nn.relu,
                                                         nn.conv2d, nn.pool_2d)  # fmt: skip


@pytest.mark.parametrize(
    "fn", [nn.sigmoid, nn.ultra_fast_sigmoid, nn.hard_sigmoid, nn.softplus, nn.softsign,
           nn.relu, nn.elu]
)  # fmt: skip
@pytest.mark.parametrize("dtype", ["bool", "complex128"])
def test_bool_and_complex_inputs_raise(fn: object, dtype: str) -> None:
    v = T.TensorType(dtype, (None,))("v")
    with pytest.raises(TypeError, match="v"):
        fn(v)  # type: ignore[operator]
