"""Softmax, log-softmax and the cross-entropies: stability, saturated NLL
with finite correct gradients, Theano's identities, errors (spec/nn.md,
"Softmax" and "Cross-entropies")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import nn
from refimpl.grad import Rop, verify_grad
from refimpl.modes.mode import FAST_RUN, GraphPass, Mode
from refimpl.modes.rewrites.engine import walk
from refimpl.nn.rewrites import NN_STABILIZE
from tests.nn._util import run

SATURATED = np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0]])
LABELS = np.array([2, 0])


def _np_log_softmax(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))  # type: ignore[no-any-return]


def test_softmax_of_saturated_logits_is_exact(backend: str) -> None:
    x = T.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm, lsm = run([x], [nn.softmax(x), nn.log_softmax(x)], SATURATED[0], backend=backend)
    np.testing.assert_array_equal(sm, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(lsm, [0.0, -1000.0, -2000.0])
    assert sm.shape == (3,)  # a vector gives a vector (seed 003-68)


def test_softmax_rows_sum_to_one_seed_003_38(backend: str) -> None:
    A = T.matrix()
    b = run([A], nn.softmax(A), np.random.default_rng(0).random((3, 4)), backend=backend)
    assert b.shape == (3, 4)
    np.testing.assert_allclose(b.sum(1), 1.0, rtol=1e-15)


def test_softmax_axis(backend: str) -> None:
    x = T.dtensor3("x")
    v = np.random.default_rng(1).normal(size=(2, 3, 4))
    got = run([x], [nn.softmax(x, axis=1), nn.log_softmax(x, axis=None)], v, backend=backend)
    e = np.exp(v - v.max(axis=1, keepdims=True))
    np.testing.assert_allclose(got[0], e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(got[1], v - np.log(np.exp(v).sum()), rtol=1e-14)


def test_softmax_printing_seed_003_68() -> None:
    x, b = T.dvectors("x", "b")
    W = T.dmatrix("W")
    assert refimpl.pp(nn.softmax(T.dot(W, x) + b)) == "Softmax(((W \\dot x) + b))"


def test_softmax_gradients_and_rop() -> None:
    pts = [np.array([[0.3, -1.2, 2.0], [0.1, 0.2, -0.4]])]
    verify_grad(nn.softmax, pts)
    verify_grad(nn.log_softmax, pts)
    verify_grad(lambda v: nn.softmax(v, axis=0), pts)
    x, v = T.dmatrices("x", "v")
    r = run([x, v], Rop(nn.softmax(x), x, v), pts[0], np.ones_like(pts[0]))
    np.testing.assert_allclose(r, 0.0, atol=1e-15)  # softmax is shift invariant


# --------------------------------------------------------------------------- saturated NLL


def test_fused_nll_of_saturated_logits_is_finite_with_correct_gradient(backend: str) -> None:
    x, y = T.dmatrix("x"), T.lvector("y")
    nll = nn.softmax_cross_entropy_with_logits(x, y)
    g = refimpl.grad(T.sum(nll), x)
    loss, grad = run([x, y], [nll, g], SATURATED, LABELS, backend=backend)
    np.testing.assert_allclose(loss, -_np_log_softmax(SATURATED)[[0, 1], LABELS], rtol=1e-15)
    assert loss[0] == 2000.0
    sm = np.exp(_np_log_softmax(SATURATED))
    np.testing.assert_allclose(grad, sm - np.eye(3)[LABELS], rtol=1e-14)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_categorical_crossentropy_of_softmax_is_fused(mode: str) -> None:
    x, y, t = T.dmatrix("x"), T.lvector("y"), T.dmatrix("t")
    for labels, value in ((y, LABELS), (t, np.eye(3)[LABELS])):
        cost = T.mean(nn.categorical_crossentropy(nn.softmax(x), labels))
        assert isinstance(cost.owner.inputs[0].owner.inputs[0].owner.op, nn.SoftmaxCrossEntropy)
        c, g = run([x, labels], [cost, refimpl.grad(cost, x)], SATURATED, value, mode=mode)
        assert np.isfinite(c) and np.all(np.isfinite(g))
        np.testing.assert_allclose(g[0], [0.5, 0.0, -0.5], atol=1e-15)


def _mode_with_nn_rewrites() -> Mode:
    passes: list[GraphPass] = []
    for p in FAST_RUN.passes:
        passes.append(p)
        if p.name == "stabilize":
            passes.append(GraphPass("nn", lambda fg: walk(fg, NN_STABILIZE, "nn"), "nn"))
    return Mode("FAST_RUN+nn", tuple(passes), FAST_RUN.executor)


def test_rewrite_makes_handwritten_nll_gradient_finite() -> None:
    # seed 000-23's negative log-likelihood, written out by hand
    x, y = T.dmatrix("x"), T.lvector("y")
    p = nn.softmax(x)
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    g = refimpl.grad(nll, x)
    c, gv = run([x, y], [nll, g], SATURATED, LABELS, mode=_mode_with_nn_rewrites())
    np.testing.assert_allclose(c, (2000.0 - _np_log_softmax(SATURATED)[1, 0]) / 2)
    sm = np.exp(_np_log_softmax(SATURATED))
    np.testing.assert_allclose(gv, (sm - np.eye(3)[LABELS]) / 2, atol=1e-15)
    # on unsaturated logits the rewritten graph equals the plain one
    xs = np.array([[0.2, -0.3, 1.0], [0.5, 0.1, -1.0]])
    plain = run([x, y], g, xs, LABELS, mode="FAST_COMPILE")
    np.testing.assert_allclose(run([x, y], g, xs, LABELS, mode=_mode_with_nn_rewrites()), plain,
                               rtol=1e-14)  # fmt: skip


def test_fused_op_gradients() -> None:
    xs = np.array([[0.3, -1.2, 2.0], [0.1, 0.2, -0.4]])
    ts = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    verify_grad(nn.softmax_cross_entropy_with_logits, [xs, ts])
    verify_grad(lambda v: nn.softmax_cross_entropy_with_logits(v, np.array([1, 2])), [xs])


# --------------------------------------------------------------------------- crossentropies


def test_categorical_crossentropy_forms_agree(backend: str) -> None:
    q, t, y = T.dmatrix("q"), T.dmatrix("t"), T.lvector("y")
    qs = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    dense, sparse = run([q, t, y], [nn.categorical_crossentropy(q, t),
                                    nn.categorical_crossentropy(q, y)],
                        qs, np.eye(3)[LABELS], LABELS, backend=backend)  # fmt: skip
    np.testing.assert_allclose(dense, -np.log(qs[[0, 1], LABELS]), rtol=1e-15)
    np.testing.assert_allclose(sparse, dense, rtol=1e-15)
    # integer labels of a 3-d distribution and of a vector
    q3 = T.dtensor3("q3")
    y2 = T.lmatrix("y2")
    v = np.random.default_rng(2).uniform(0.1, 1, size=(2, 2, 3))
    lab = np.array([[0, 2], [1, 1]])
    out = run([q3, y2], nn.categorical_crossentropy(q3, y2), v, lab, backend=backend)
    np.testing.assert_allclose(out, -np.log(np.take_along_axis(v, lab[..., None], -1)[..., 0]))
    qv, yv = T.dvector("qv"), T.lscalar("yv")
    assert run([qv, yv], nn.categorical_crossentropy(qv, yv), qs[0], 1) == pytest.approx(
        -np.log(0.5)
    )


def test_binary_crossentropy_seed_003_70(backend: str) -> None:
    x, b, c = T.dvectors("x", "b", "c")
    W, V = T.dmatrices("W", "V")
    h = nn.sigmoid(T.dot(W, x) + b)
    x_recons = nn.sigmoid(T.dot(V, h) + c)
    cost = nn.binary_crossentropy(x_recons, x).mean()
    rng = np.random.default_rng(3)
    xs, bs, cs = rng.random(4), rng.normal(size=3), rng.normal(size=4)
    Ws, Vs = rng.normal(size=(3, 4)), rng.normal(size=(4, 3))
    got = run([x, b, c, W, V], cost, xs, bs, cs, Ws, Vs, backend=backend)
    hs = 1 / (1 + np.exp(-(Ws @ xs + bs)))
    o = 1 / (1 + np.exp(-(Vs @ hs + cs)))
    np.testing.assert_allclose(got, -(xs * np.log(o) + (1 - xs) * np.log(1 - o)).mean(), rtol=1e-13)


def test_binary_crossentropy_of_saturated_sigmoid_is_finite() -> None:
    z, t = T.dvectors("z", "t")
    cost = T.sum(nn.binary_crossentropy(nn.sigmoid(z), t))
    zs, ts = np.array([-800.0, 800.0, 2.0]), np.array([1.0, 0.0, 1.0])
    c, g = run([z, t], [cost, refimpl.grad(cost, z)], zs, ts)
    np.testing.assert_allclose(c, 1600.0 + np.logaddexp(0, -2.0))
    np.testing.assert_allclose(
        g, [-1.0, 1.0, 1 / (1 + np.exp(-2.0)) - 1.0], atol=1e-15
    )  # sigmoid - t
    o, tt = T.dvectors("o", "tt")
    plain = nn.binary_crossentropy(o, tt)  # not a sigmoid: the written-out form
    os_ = np.array([0.2, 0.9])
    np.testing.assert_allclose(run([o, tt], plain, os_, np.array([1.0, 0.0])),
                               [-np.log(0.2), -np.log(0.1)], rtol=1e-14)  # fmt: skip


def test_crossentropy_softmax_1hot_returns_nll_and_softmax(backend: str) -> None:
    x, y = T.dmatrix("x"), T.lvector("y")
    nll, sm = nn.crossentropy_softmax_1hot(x, y)
    a, b = run([x, y], [nll, sm], SATURATED, LABELS, backend=backend)
    np.testing.assert_allclose(b, np.exp(_np_log_softmax(SATURATED)), rtol=1e-15)
    np.testing.assert_allclose(a, [2000.0, -_np_log_softmax(SATURATED)[1, 0]], rtol=1e-15)


# --------------------------------------------------------------------------- errors


def test_errors_name_the_variables() -> None:
    x, t3 = T.dmatrix("x"), T.dtensor3("t3")
    with pytest.raises(TypeError, match="t3"):
        nn.categorical_crossentropy(x, t3)
    with pytest.raises(TypeError, match="flags"):
        nn.softmax_cross_entropy_with_logits(x, T.TensorType("bool", (None, None))("flags"))
    with pytest.raises(TypeError, match="s0"):
        nn.softmax(T.dscalar("s0"))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        nn.softmax(x, axis=2)
    a, b = T.TensorType("float64", (2, 3))("a"), T.TensorType("float64", (2, 4))("b")
    with pytest.raises(ValueError, match="4 classes"):
        nn.softmax_cross_entropy_with_logits(a, b)


def test_labels_out_of_range_raise_at_run_time(backend: str) -> None:
    x, y = T.dmatrix("x"), T.lvector("y")
    f = refimpl.function([x, y], nn.softmax_cross_entropy_with_logits(x, y), backend=backend)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        f(SATURATED, np.array([0, 3]))
