"""An MLP training step: 784-500-10, tanh hidden layer, softmax NLL + L2, batch 20.

refimpl: ``grad`` + ``updates`` under FAST_RUN (and FAST_COMPILE, for
information), in float64 and float32; the loss uses ``refimpl.nn.softmax``
and ``categorical_crossentropy`` (integer labels), or ``T.exp``/``T.sum``
composites where ``refimpl.nn`` is missing. numpy: the same step by hand
(forward with a max-shifted softmax, backward by the chain rule, in-place
updates). Target: FAST_RUN <= 1.1x numpy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.cases.logreg import STEP_TARGET, Graph
from bench.harness import Ctx, Mismatch, Result, time_pair

L2 = 1e-4
LR = 0.01
Params = dict[str, np.ndarray]


def sizes(ctx: Ctx) -> tuple[int, int, int, int]:
    """``(batch, n_in, n_hidden, n_out)`` for the scale."""
    size: tuple[int, int, int, int] = ctx.pick((20, 784, 500, 10), (20, 784, 500, 10), (4, 7, 5, 3))
    return size


def init(n_in: int, n_hid: int, n_out: int, dtype: str, seed: int = 0) -> Params:
    """Glorot-uniform weights (as the Theano MLP tutorial), zero biases."""
    rng = np.random.RandomState(seed)

    def glorot(a: int, b: int) -> np.ndarray:
        bound = np.sqrt(6.0 / (a + b))
        return rng.uniform(-bound, bound, (a, b)).astype(dtype)

    return {
        "W1": glorot(n_in, n_hid), "b1": np.zeros(n_hid, dtype),
        "W2": glorot(n_hid, n_out), "b2": np.zeros(n_out, dtype),
    }  # fmt: skip


def batch(n: int, n_in: int, n_out: int, dtype: str, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.RandomState(seed)
    return rng.randn(n, n_in).astype(dtype), rng.randint(0, n_out, n).astype("int64")


def nll(logits: Any, y: Any) -> Any:
    """Mean negative log-likelihood of integer labels ``y`` under softmax(logits)."""
    try:
        from refimpl.nn import categorical_crossentropy, softmax
    except ImportError:  # composites with T.exp / T.sum
        pass
    else:
        return categorical_crossentropy(softmax(logits), y).mean()
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - T.log(T.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[T.arange(y.shape[0]), y].mean()


def loss(params: Params, dtype: str) -> tuple[list[Any], dict[str, Any], Any]:
    """``([x, y], shared params, cost)`` of the MLP with values ``params``."""
    x, y = T.matrix("x", dtype=dtype), T.lvector("y")
    p = {k: refimpl.shared(v.copy(), name=k) for k, v in params.items()}
    h = T.tanh(T.dot(x, p["W1"]) + p["b1"])
    cost = nll(T.dot(h, p["W2"]) + p["b2"], y)
    cost = cost + L2 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    return [x, y], p, cost


def graph(params: Params, dtype: str) -> Graph:
    """The training step: returns the cost, updates every parameter."""
    inputs, p, cost = loss(params, dtype)
    names = list(p)
    grads = refimpl.grad(cost, [p[k] for k in names])
    updates = [(p[k], p[k] - LR * g) for k, g in zip(names, grads)]
    return Graph(inputs, [cost], updates, p)


class NumpyStep:
    """The same step by hand."""

    def __init__(self, params: Params) -> None:
        self.p = {k: v.copy() for k, v in params.items()}

    def __call__(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        p, n = self.p, len(y)
        rows = np.arange(n)
        a1 = x @ p["W1"]
        a1 += p["b1"]
        h = np.tanh(a1)
        a2 = h @ p["W2"]
        a2 += p["b2"]
        a2 -= a2.max(axis=1, keepdims=True)
        e = np.exp(a2)
        s = e.sum(axis=1, keepdims=True)
        cost = -(a2[rows, y] - np.log(s[:, 0])).mean()
        cost += L2 * ((p["W1"] * p["W1"]).sum() + (p["W2"] * p["W2"]).sum())
        d2 = e / s
        d2[rows, y] -= 1
        d2 /= n
        dh = d2 @ p["W2"].T
        dh *= 1 - h * h
        grads = {
            "W2": h.T @ d2 + 2 * L2 * p["W2"], "b2": d2.sum(axis=0),
            "W1": x.T @ dh + 2 * L2 * p["W1"], "b1": dh.sum(axis=0),
        }  # fmt: skip
        for k, g in grads.items():
            p[k] -= LR * g
        return [np.asarray(cost)]


def check_params(name: str, shared: dict[str, Any], want: Params, rtol: float) -> None:
    """Raise ``Mismatch`` unless the updated shared values equal numpy's."""
    for k, v in want.items():
        got = shared[k].get_value()
        if got.dtype != v.dtype or not np.allclose(got, v, rtol=rtol, atol=rtol * 1e-2):
            raise Mismatch(f"{name}: updated {k} differs from numpy ({got.dtype} vs {v.dtype})")


def check_outputs(name: str, got: list[Any], want: list[np.ndarray], rtol: float) -> None:
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.dtype != w.dtype or g.shape != w.shape or not np.allclose(g, w, rtol=rtol):
            raise Mismatch(f"{name}: output {k} = {g!r} differs from numpy's {w!r}")


def _step(ctx: Ctx, dtype: str) -> None:
    n, n_in, n_hid, n_out = sizes(ctx)
    params = init(n_in, n_hid, n_out, dtype)
    x, y = batch(n, n_in, n_out, dtype)
    rtol = 1e-9 if dtype == "float64" else 2e-4
    for mode, target in (("FAST_RUN", STEP_TARGET), ("FAST_COMPILE", None)):
        g, ref = graph(params, dtype), NumpyStep(params)
        f = g.compile(mode)
        check_outputs(f"mlp {dtype} {mode}", f(x, y), ref(x, y), rtol)
        check_params(f"mlp {dtype} {mode}", g.shared, ref.p, rtol)
        t_ref, t_np = time_pair(partial(f, x, y), partial(ref, x, y), ctx.scale)
        note = f"{n_in}-{n_hid}-{n_out}, batch {n}"
        ctx.add(Result(f"mlp.train_step {dtype} {mode}", t_ref, numpy=t_np, target=target,
                       note=note))  # fmt: skip


def step64(ctx: Ctx) -> None:
    _step(ctx, "float64")


def step32(ctx: Ctx) -> None:
    _step(ctx, "float32")


CASES = (
    Case("mlp.float64", step64, "MLP 784-500-10 train step, float64"),
    Case("mlp.float32", step32, "MLP 784-500-10 train step, float32"),
)
