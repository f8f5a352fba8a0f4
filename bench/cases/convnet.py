"""A small conv net training step (float64).

``[20, 1, 28, 28]`` images → ``conv2d`` with 8 filters 5x5 (valid, flipped:
a true convolution) + bias → tanh → 2x2 max ``pool_2d`` → flatten → dense to
10 → softmax NLL; SGD on every parameter. refimpl: ``refimpl.nn.conv2d``,
``pool_2d``, ``softmax``, ``categorical_crossentropy``, ``grad`` +
``updates`` under FAST_RUN. numpy: the same step by hand (im2col through
``sliding_window_view`` and one matrix product, max pooling by reshape, the
backward pass by the chain rule). Target: <= 1.1x numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.cases.logreg import STEP_TARGET, Graph
from bench.cases.mlp import check_outputs, check_params
from bench.harness import Ctx, Result, Skip, time_pair

LR = 0.01
Params = dict[str, np.ndarray]


def sizes(ctx: Ctx) -> dict[str, int]:
    full = dict(b=20, side=28, oc=8, k=5, pool=2, out=10)
    tiny = dict(b=2, side=8, oc=2, k=3, pool=3, out=3)
    return dict(ctx.pick(full, full, tiny))


def init(s: dict[str, int]) -> Params:
    rng = np.random.RandomState(0)
    n_flat = s["oc"] * ((s["side"] - s["k"] + 1) // s["pool"]) ** 2
    return {
        "Wc": rng.uniform(-0.2, 0.2, (s["oc"], 1, s["k"], s["k"])), "bc": np.zeros(s["oc"]),
        "Wd": rng.uniform(-0.05, 0.05, (n_flat, s["out"])), "bd": np.zeros(s["out"]),
    }  # fmt: skip


def batch(s: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    x = rng.randn(s["b"], 1, s["side"], s["side"])
    return x, rng.randint(0, s["out"], s["b"]).astype("int64")


def graph(params: Params, s: dict[str, int]) -> Graph:
    try:
        from refimpl.nn import categorical_crossentropy, conv2d, pool_2d, softmax
    except ImportError as exc:
        raise Skip(f"refimpl.nn.conv2d/pool_2d do not exist yet ({exc})") from exc
    x, y = T.dtensor4("x"), T.lvector("y")
    p = {k: refimpl.shared(v.copy(), name=k) for k, v in params.items()}
    a = conv2d(x, p["Wc"]) + p["bc"].dimshuffle("x", 0, "x", "x")
    h = pool_2d(T.tanh(a), (s["pool"], s["pool"]), ignore_border=True)
    logits = T.dot(h.flatten(2), p["Wd"]) + p["bd"]
    cost = categorical_crossentropy(softmax(logits), y).mean()
    names = list(p)
    grads = refimpl.grad(cost, [p[k] for k in names])
    updates = [(p[k], p[k] - LR * g) for k, g in zip(names, grads)]
    return Graph([x, y], [cost], updates, p)


class NumpyStep:
    """The same step by hand."""

    def __init__(self, params: Params, s: dict[str, int]) -> None:
        self.p = {k: v.copy() for k, v in params.items()}
        self.s = s

    def __call__(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        p, s = self.p, self.s
        b, oc, k, q = s["b"], s["oc"], s["k"], s["pool"]
        side = s["side"] - k + 1
        cols = sliding_window_view(x, (k, k), axis=(2, 3)).transpose(0, 2, 3, 1, 4, 5)
        cols = cols.reshape(b * side * side, -1)  # im2col (one copy)
        wf = p["Wc"][:, :, ::-1, ::-1].reshape(oc, -1)  # flipped: a true convolution
        a = (cols @ wf.T).reshape(b, side, side, oc).transpose(0, 3, 1, 2)
        h = np.tanh(a + p["bc"][None, :, None, None])
        blocks = h.reshape(b, oc, side // q, q, side // q, q)
        pooled = blocks.max(axis=(3, 5))
        flat = pooled.reshape(b, -1)
        logits = flat @ p["Wd"] + p["bd"]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        ssum = e.sum(axis=1, keepdims=True)
        rows = np.arange(b)
        cost = -(logits[rows, y] - np.log(ssum[:, 0])).mean()
        d2 = e / ssum
        d2[rows, y] -= 1
        d2 /= b
        dpool = (d2 @ p["Wd"].T).reshape(pooled.shape)
        mask = blocks == pooled[:, :, :, None, :, None]
        dh = (mask * dpool[:, :, :, None, :, None]).reshape(h.shape)
        da = dh * (1 - h * h)
        gwf = da.transpose(0, 2, 3, 1).reshape(-1, oc).T @ cols
        grads = {
            "Wc": gwf.reshape(p["Wc"].shape)[:, :, ::-1, ::-1], "bc": da.sum(axis=(0, 2, 3)),
            "Wd": flat.T @ d2, "bd": d2.sum(axis=0),
        }  # fmt: skip
        for name, g in grads.items():
            p[name] -= LR * g
        return [np.asarray(cost)]


def step(ctx: Ctx) -> None:
    s = sizes(ctx)
    params = init(s)
    x, y = batch(s)
    g, ref = graph(params, s), NumpyStep(params, s)
    f = g.compile("FAST_RUN")
    check_outputs("convnet", f(x, y), ref(x, y), 1e-9)
    check_params("convnet", g.shared, ref.p, 1e-9)
    t_ref, t_np = time_pair(lambda: f(x, y), lambda: ref(x, y), ctx.scale)
    note = f"[{s['b']}, 1, {s['side']}, {s['side']}], {s['oc']} filters {s['k']}x{s['k']}, float64"
    ctx.add(Result("convnet.train_step FAST_RUN", t_ref, numpy=t_np, target=STEP_TARGET,
                   note=note))  # fmt: skip


def conv_graph_for_compile(ctx: Ctx) -> tuple[Graph, Any]:
    """The graph (for compile-time measurements) and its size description."""
    s = sizes(ctx)
    return graph(init(s), s), s


CASES = (Case("convnet.train_step", step, "small conv net train step (conv2d, pool_2d)"),)
