"""The seeds' training programmes (000-17/23/24, 002-02/04, 003-39/40/43)
converging on a small generated data set, with the seed's early stopping.

MNIST is not available offline; the data set here is ten 8x8 "digit"
prototypes (random binary strokes) plus noise, zero-padded to 28x28 so every
shape of the seeds' models is kept. It is separable but not trivially so
(noise sigma 0.6 on 0/1 pixels), which is enough to see learning happen and
early stopping trigger.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import function, grad, shared
from refimpl.backend import to_numpy
from refimpl.nn import categorical_crossentropy, conv2d, pool_2d, softmax


def _digits(n: int, seed: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1234)  # the prototypes are fixed; `seed` draws the samples
    protos = (rng.random((10, 8, 8)) < 0.35).astype(np.float64)
    draw = np.random.default_rng(seed)
    labels = draw.integers(0, 10, size=n)
    images = protos[labels] + draw.normal(0.0, 0.6, size=(n, 8, 8))
    padded = np.zeros((n, 28, 28))
    padded[:, 10:18, 10:18] = images
    return padded.reshape(n, 784), labels.astype(np.int64)


def _shared_dataset(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    """Seed 002-01: the data lives in shared variables, labels cast to int32."""
    return shared(x, borrow=True), T.cast(shared(y.astype(np.float64), borrow=True), "int32")


def _early_stopping(
    train: Callable[[int], Any], validate: Callable[[], float], n_batches: int, n_epochs: int
) -> tuple[float, int, int]:
    """Seed 002-04: patience-based early stopping. Returns (best validation
    error, iterations run, epochs run)."""
    patience, patience_increase, threshold = 4 * n_batches, 2, 0.995
    frequency = min(n_batches, patience // 2)
    best, it, epoch, done = np.inf, 0, 0, False
    while epoch < n_epochs and not done:
        epoch += 1
        for minibatch in range(n_batches):
            train(minibatch)
            it = (epoch - 1) * n_batches + minibatch
            if (it + 1) % frequency == 0:
                loss = validate()
                if loss < best:
                    if loss < best * threshold:
                        patience = max(patience, it * patience_increase)
                    best = loss
            if patience <= it:
                done = True
                break
    return float(best), it + 1, epoch


def _sgd_setup(
    cost: Any, params: list[Any], x: Any, y: Any, data: Any, index: Any, batch: int, lr: float
) -> Callable[[int], Any]:
    train_x, train_y = data
    updates = [(p, p - lr * grad(cost, p)) for p in params]
    return function(  # seed 000-17: minibatches through givens
        [index],
        cost,
        updates=updates,
        givens={
            x: train_x[index * batch : (index + 1) * batch],
            y: train_y[index * batch : (index + 1) * batch],
        },
    )


def _errors(p_y: Any, y: Any) -> Any:
    return T.mean(T.neq(T.argmax(p_y, axis=1), y))


def test_logistic_regression_with_minibatches_and_early_stopping() -> None:
    xtr, ytr = _digits(600, seed=1)
    xva, yva = _digits(200, seed=2)
    data, valid = _shared_dataset(xtr, ytr), _shared_dataset(xva, yva)
    x, y, index = T.matrix("x"), T.ivector("y"), T.lscalar("index")
    W = shared(np.zeros((784, 10)), name="W", borrow=True)
    b = shared(np.zeros(10), name="b", borrow=True)
    p_y = softmax(T.dot(x, W) + b)
    nll = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])  # seed 000-23
    train = _sgd_setup(nll, [W, b], x, y, data, index, batch=50, lr=0.13)
    validate = function([], _errors(p_y, y), givens={x: valid[0], y: valid[1]})
    first = float(to_numpy(validate()))
    best, iters, _epochs = _early_stopping(train, lambda: float(to_numpy(validate())), 12, 40)
    assert first > 0.8 and best < 0.1, (first, best)
    assert iters < 40 * 12  # patience stopped training before the epoch limit


def test_mlp_with_l1_l2_converges() -> None:
    xtr, ytr = _digits(600, seed=3)
    xva, yva = _digits(200, seed=4)
    data, valid = _shared_dataset(xtr, ytr), _shared_dataset(xva, yva)
    x, y, index = T.matrix("x"), T.ivector("y"), T.lscalar("index")
    rng = np.random.default_rng(0)
    bound = np.sqrt(6.0 / (784 + 50))  # seed 002-06 initialisation
    W_h = shared(rng.uniform(-bound, bound, (784, 50)), "W_h")
    b_h = shared(np.zeros(50), "b_h")
    W_o = shared(np.zeros((50, 10)), "W_o")
    b_o = shared(np.zeros(10), "b_o")
    hidden = T.tanh(T.dot(x, W_h) + b_h)
    p_y = softmax(T.dot(hidden, W_o) + b_o)
    nll = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    l1 = abs(W_h).sum() + abs(W_o).sum()
    l2 = (W_h**2).sum() + (W_o**2).sum()
    cost = nll + 0.0 * l1 + 1e-4 * l2  # seed 000-24's cost
    train = _sgd_setup(cost, [W_h, b_h, W_o, b_o], x, y, data, index, batch=20, lr=0.05)
    validate = function([], _errors(p_y, y), givens={x: valid[0], y: valid[1]})
    best, _, _ = _early_stopping(train, lambda: float(to_numpy(validate())), 30, 15)
    assert best < 0.1, best


def test_softmax_regression_with_one_hot_targets_improves() -> None:
    # seed 003-39: float32 data, one-hot targets, categorical_crossentropy
    xtr, ytr = _digits(512, seed=5)
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    w = shared(np.random.default_rng(0).normal(0, 0.01, (784, 10)).astype(np.float32))
    py_x = softmax(T.dot(X, w))
    cost = T.mean(categorical_crossentropy(py_x, Y))
    train = function([X, Y], cost, updates=[(w, w - grad(cost, w) * 0.05)])
    predict = function([X], T.argmax(py_x, axis=1))
    onehot = np.eye(10, dtype=np.float32)[ytr]
    xs = xtr.astype(np.float32)
    costs = []
    for _ in range(10):
        for start in range(0, 512, 128):
            costs.append(
                float(to_numpy(train(xs[start : start + 128], onehot[start : start + 128])))
            )
    accuracy = float(np.mean(to_numpy(predict(xs)) == ytr))
    assert costs[-1] < costs[0] and accuracy > 0.8, (costs[0], costs[-1], accuracy)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_small_cnn_trains(mode: str) -> None:
    # seed 003-43 in miniature: conv (full) -> max-pool (ignore_border=False) -> softmax
    xtr, ytr = _digits(160, seed=6)
    images = xtr.reshape(-1, 1, 28, 28)[:, :, 8:20, 8:20]  # the 12x12 window around the digit
    rng = np.random.default_rng(0)
    X, y = T.tensor4("X"), T.lvector("y")
    w_c = shared(rng.normal(0, 0.3, (4, 1, 3, 3)), "w_c")
    conv = T.maximum(conv2d(X, w_c, border_mode="full"), 0.0)  # (b, 4, 14, 14)
    pooled = pool_2d(conv, (3, 3), ignore_border=False)  # (b, 4, 5, 5)
    w_o = shared(np.zeros((100, 10)), "w_o")
    p_y = softmax(T.dot(pooled.flatten(2), w_o))
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    params = [w_c, w_o]
    updates = [(p, p - 0.5 * g) for p, g in zip(params, grad(cost, params), strict=True)]
    train = function([X, y], cost, updates=updates, mode=mode)
    shapes = function([X], [conv.shape, pooled.shape], mode=mode)
    conv_shape, pool_shape = (tuple(int(n) for n in to_numpy(s)) for s in shapes(images[:2]))
    assert conv_shape == (2, 4, 14, 14) and pool_shape == (2, 4, 5, 5)
    costs = [float(to_numpy(train(images[i : i + 40], ytr[i : i + 40]))) for i in (0, 40, 80, 120)]
    for _ in range(9):
        costs += [
            float(to_numpy(train(images[i : i + 40], ytr[i : i + 40]))) for i in (0, 40, 80, 120)
        ]
    assert np.mean(costs[-4:]) < 0.6 * np.mean(costs[:4]), costs
    assert refimpl.config.mode in ("FAST_RUN", "FAST_COMPILE", "DebugMode")
