"""Seed 003-28's RNN: ``y(t) = tanh(W1·y(t-1) + W2·x(t) + W3·x(t-1))``, T=1001, 100→200.

refimpl: ``scan`` with sequence taps ``[0, -1]`` (the weights closed over,
as in the seed), under FAST_RUN: the forward loop, and the forward loop
plus BPTT (``grad`` of ``sum(y²)`` with respect to W1, W2, W3). numpy: the
seed's loop by hand, and a hand-written BPTT (the backward recurrence in a
loop, the weight gradients as three matrix products after it).

The weights are scaled down from the seed's uniform[-1, 1] so the recurrence
contracts: with the seed's weights it is chaotic, and two correct float64
implementations part after ~20 steps (spec/seeds.md 003-28), so values
could not be checked. The amount of work is the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.harness import Ctx, Mismatch, Result, Skip, time_pair

Arrays = tuple[np.ndarray, ...]


def _scan() -> Any:
    try:
        from refimpl import scan
    except ImportError as exc:
        raise Skip(f"refimpl.scan does not exist yet ({exc})") from exc
    return scan


def data(t: int, x_dim: int, y_dim: int) -> Arrays:
    """``(x, y0, W1, W2, W3)``."""
    rng = np.random.default_rng(28)
    x = rng.uniform(-1, 1, (t, x_dim))
    y0 = -np.ones(y_dim)
    w1 = rng.uniform(-1, 1, (y_dim, y_dim)) * (1.2 / y_dim)
    w2 = rng.uniform(-1, 1, (y_dim, x_dim)) * (1.0 / x_dim)
    w3 = rng.uniform(-1, 1, (y_dim, x_dim)) * (1.0 / x_dim)
    return x, y0, w1, w2, w3


def graph(bptt: bool) -> tuple[list[Any], list[Any]]:
    """``(inputs, outputs)``: the sequence of states, or the cost and its
    gradients with respect to the three weight matrices."""
    scan = _scan()
    X, Y = T.dmatrix("X"), T.dvector("y")
    W_1, W_2, W_3 = T.dmatrix("W_1"), T.dmatrix("W_2"), T.dmatrix("W_3")
    results, _ = scan(
        fn=lambda x, x_pre, y: T.tanh(T.dot(W_1, y) + T.dot(W_2, x) + T.dot(W_3, x_pre)),
        sequences=dict(input=X, taps=[0, -1]),
        outputs_info=Y,
    )
    inputs = [X, Y, W_1, W_2, W_3]
    if not bptt:
        return inputs, [results]
    cost = (results**2).sum()
    return inputs, [cost, *refimpl.grad(cost, [W_1, W_2, W_3])]


def numpy_forward(x: np.ndarray, y0: np.ndarray, w1: np.ndarray, w2: np.ndarray,
                  w3: np.ndarray) -> np.ndarray:  # fmt: skip
    """The seed's loop: row ``i`` is the state after step ``i + 1``."""
    ys = np.empty((len(x) - 1, len(y0)))
    y = y0
    for i in range(1, len(x)):
        y = ys[i - 1] = np.tanh(w1 @ y + w2 @ x[i] + w3 @ x[i - 1])
    return ys


def numpy_bptt(x: np.ndarray, y0: np.ndarray, w1: np.ndarray, w2: np.ndarray,
               w3: np.ndarray) -> list[Any]:  # fmt: skip
    """``[sum(y²), dW1, dW2, dW3]`` by backpropagation through time."""
    ys = numpy_forward(x, y0, w1, w2, w3)
    prev = np.vstack([y0[None, :], ys[:-1]])  # the state each step reads
    da = np.empty_like(ys)  # d cost / d pre-activation, per step
    carry = np.zeros_like(y0)
    w1t = w1.T
    for i in range(len(ys) - 1, -1, -1):
        g = 2 * ys[i] + carry
        da[i] = g * (1 - ys[i] * ys[i])
        carry = w1t @ da[i]
    return [np.asarray((ys * ys).sum()), da.T @ prev, da.T @ x[1:], da.T @ x[:-1]]


def _check(name: str, got: list[Any], want: list[Any]) -> None:
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.shape != w.shape or not np.allclose(g, w, rtol=1e-8, atol=1e-10):
            raise Mismatch(f"{name}: output {k} differs from numpy")


def _run(ctx: Ctx, bptt: bool) -> None:
    t, x_dim, y_dim = ctx.pick((1001, 100, 200), (201, 100, 200), (6, 3, 4))
    args = data(t, x_dim, y_dim)
    inputs, outputs = graph(bptt)
    f = refimpl.function(inputs, outputs, mode="FAST_RUN", backend="numpy")
    ref = numpy_bptt if bptt else lambda *a: [numpy_forward(*a)]
    what = "forward+BPTT" if bptt else "forward"
    _check(f"rnn {what}", f(*args), ref(*args))
    t_ref, t_np = time_pair(lambda: f(*args), lambda: ref(*args), ctx.scale)
    ctx.add(Result(f"rnn.scan {what} FAST_RUN", t_ref, numpy=t_np,
                   note=f"T={t}, {x_dim}->{y_dim}, float64; per step "
                   f"{t_ref / (t - 1) * 1e6:.0f} µs vs {t_np / (t - 1) * 1e6:.0f} µs"))  # fmt: skip


def forward(ctx: Ctx) -> None:
    _run(ctx, bptt=False)


def bptt(ctx: Ctx) -> None:
    _run(ctx, bptt=True)


CASES = (
    Case("rnn.forward", forward, "seed 003-28 tanh RNN via scan, forward"),
    Case("rnn.bptt", bptt, "seed 003-28 tanh RNN via scan, forward + BPTT"),
)
