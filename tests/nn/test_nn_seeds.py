"""Seed programmes of the ``nn`` tag (spec/seeds.md): the MNIST CNN's shape
walk (003-43 / 003-72) with a training step, and the dropout MLP (003-42).
002-07, 003-38, 003-66..71 are in the other files of this directory."""

from __future__ import annotations

from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from refimpl import function, grad, shared
from refimpl.backend import to_numpy
from refimpl.nn import categorical_crossentropy, conv2d, dropout, pool_2d, relu, softmax
from refimpl.random import RandomStream

rng = np.random.default_rng(1234)


def init_weights(shape: tuple[int, ...]) -> Any:
    return shared(np.asarray(rng.normal(size=shape) * 0.01, dtype=refimpl.config.floatX))


def rectify(X: Any) -> Any:
    return T.maximum(X, 0.0)


def rms_prop(cost: Any, params: list[Any], lr: float = 0.001, rho: float = 0.9,
             epsilon: float = 1e-6) -> list[Any]:  # fmt: skip
    grads = grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        acc = shared(p.get_value() * 0.0)
        acc_new = rho * acc + (1 - rho) * g**2
        updates.append((acc, acc_new))
        updates.append((p, p - lr * g / T.sqrt(acc_new + epsilon)))
    return updates


def test_003_43_mnist_cnn_shape_walk_and_training_step() -> None:
    srng = RandomStream(0)
    X, Y = T.tensor4(), T.matrix()
    w, w2, w3 = (
        init_weights((32, 1, 3, 3)),
        init_weights((64, 32, 3, 3)),
        init_weights((128, 64, 3, 3)),
    )
    w4, w_o = init_weights((128 * 3 * 3, 625)), init_weights((625, 10))

    def model(X: Any, p_conv: float, p_hidden: float) -> list[Any]:
        l1a = rectify(conv2d(X, w, border_mode="full"))
        l1 = dropout(pool_2d(l1a, (2, 2), ignore_border=False), p_conv, srng)
        l2a = rectify(conv2d(l1, w2))
        l2 = dropout(pool_2d(l2a, (2, 2), ignore_border=False), p_conv, srng)
        l3a = rectify(conv2d(l2, w3))
        l3b = pool_2d(l3a, (2, 2), ignore_border=False)
        l3 = dropout(T.flatten(l3b, outdim=2), p_conv, srng)
        l4 = dropout(rectify(T.dot(l3, w4)), p_hidden, srng)
        pyx = softmax(T.dot(l4, w_o))
        return [l1a, l1, l2a, l2, l3a, l3b, l3, l4, pyx]

    layers = model(X, 0.2, 0.5)
    shapes = [
        o.shape for o in function([X], layers)(np.random.default_rng(0).random((2, 1, 28, 28)))
    ]
    assert shapes == [(2, 32, 30, 30), (2, 32, 15, 15), (2, 64, 13, 13), (2, 64, 7, 7),
                      (2, 128, 5, 5), (2, 128, 3, 3), (2, 1152), (2, 625), (2, 10)]  # fmt: skip

    pyx = layers[-1]
    cost = T.mean(categorical_crossentropy(pyx, Y))
    params = [w, w2, w3, w4, w_o]
    train = function([X, Y], cost, updates=rms_prop(cost, params))
    xs = np.random.default_rng(1).random((4, 1, 28, 28))
    ys = np.eye(10)[[0, 1, 2, 3]]
    before = w_o.get_value().copy()
    c0 = train(xs, ys)
    assert np.isfinite(c0) and abs(float(c0) - np.log(10)) < 0.05
    assert not np.array_equal(before, w_o.get_value())


def test_003_42_dropout_relu_mlp_learns() -> None:
    srng = RandomStream(42)
    X, Y = T.matrix(), T.matrix()
    w_h, w_h2, w_o = init_weights((20, 16)), init_weights((16, 16)), init_weights((16, 3))

    def model(X: Any, p_in: float, p_h: float) -> Any:
        h = relu(T.dot(dropout(X, p_in, srng), w_h))
        h2 = relu(T.dot(dropout(h, p_h, srng), w_h2))
        return softmax(T.dot(dropout(h2, p_h, srng), w_o))

    cost = T.mean(categorical_crossentropy(model(X, 0.2, 0.5), Y))
    train = function([X, Y], cost, updates=rms_prop(cost, [w_h, w_h2, w_o], lr=0.01))
    predict = function([X], T.argmax(model(X, 0.0, 0.0), axis=1))
    gen = np.random.default_rng(7)
    protos = gen.normal(size=(3, 20)) * 3
    labels = gen.integers(0, 3, size=120)
    xs = protos[labels] + gen.normal(size=(120, 20))
    ys = np.eye(3)[labels]
    for _ in range(60):
        train(xs, ys)
    assert np.mean(to_numpy(predict(xs)) == labels) > 0.9
