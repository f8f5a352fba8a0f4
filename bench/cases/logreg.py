"""Seed 001-05: one logistic-regression training step (spec/seeds.md).

N=400 examples of 784 float64 features; ``p = 1/(1+exp(-(x·w+b)))``,
``cost = mean(xent) + 0.01·Σw²``, ``w, b -= 0.1·grad``; the function returns
``[prediction, xent]`` and updates the shared ``w`` and ``b``.
refimpl: ``grad`` + ``updates`` under FAST_RUN (and FAST_COMPILE, for
information). numpy: the same step written by hand (forward, the gradient by
the chain rule, in-place updates). Target: FAST_RUN <= 1.1x numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.harness import Ctx, Mismatch, Result, Target, time_pair

STEP_TARGET = Target("ratio", 1.1, "<= 1.1x numpy")


@dataclass
class Graph:
    """A symbolic training step: what ``function`` is called with."""

    inputs: list[Any]
    outputs: list[Any]
    updates: list[tuple[Any, Any]]
    shared: dict[str, Any]

    def compile(self, mode: str, **kw: Any) -> refimpl.Function:
        return refimpl.function(
            self.inputs, self.outputs, updates=self.updates, mode=mode, backend="numpy", **kw
        )


def data(n: int, feats: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, w0)``: random inputs, 0/1 targets (float64), weights at scale 0.01."""
    rng = np.random.RandomState(seed)
    x = rng.randn(n, feats)
    y = rng.randint(0, 2, n).astype("float64")
    w0 = rng.randn(feats) * 0.01
    return x, y, w0


def graph(w0: np.ndarray) -> Graph:
    """Seed 001-05's graph, with ``w`` initialised to ``w0`` and ``b`` to 0."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = refimpl.shared(w0.copy(), name="w"), refimpl.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = refimpl.grad(cost, [w, b])
    updates = [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]
    return Graph([x, y], [prediction, xent], updates, {"w": w, "b": b})


class NumpyStep:
    """The same step by hand: forward, backward by the chain rule, update."""

    def __init__(self, w0: np.ndarray) -> None:
        self.w = w0.copy()
        self.b = 0.0

    def __call__(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        z = x @ self.w
        z += self.b
        p = 1.0 / (1.0 + np.exp(-z))
        xent = -y * np.log(p) - (1.0 - y) * np.log(1.0 - p)
        dz = (p - y) / len(y)  # d mean(xent) / dz
        gw = x.T @ dz
        gw += 0.02 * self.w
        self.w -= 0.1 * gw
        self.b -= 0.1 * float(dz.sum())
        return [p > 0.5, xent]


def check_step(name: str, got: list[Any], want: list[Any], rtol: float = 1e-9) -> None:
    """Raise ``Mismatch`` unless refimpl's outputs equal the numpy step's."""
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.shape != w.shape or not np.allclose(g, w, rtol=rtol, atol=rtol):
            err = np.max(np.abs(g - w)) if g.shape == w.shape else "shapes differ"
            raise Mismatch(f"{name}: output {k} differs from numpy (max abs diff {err})")


def train_step(ctx: Ctx) -> None:
    n, feats = ctx.pick((400, 784), (400, 784), (8, 5))
    x, y, w0 = data(n, feats)
    ref = NumpyStep(w0)
    want = ref(x, y)
    for mode, target in (("FAST_RUN", STEP_TARGET), ("FAST_COMPILE", None)):
        g = graph(w0)
        f = g.compile(mode)
        check_step(f"logreg {mode}", f(x, y), want)
        if not np.allclose(g.shared["w"].get_value(), ref.w, rtol=1e-9, atol=1e-12):
            raise Mismatch(f"logreg {mode}: updated w differs from numpy")
        t_ref, t_np = time_pair(partial(f, x, y), partial(ref, x, y), ctx.scale)
        ctx.add(Result(f"logreg.train_step {mode}", t_ref, numpy=t_np, target=target,
                       note=f"N={n}, {feats} features, float64"))  # fmt: skip
        ref = NumpyStep(w0)  # both sides start again from w0 for the next mode
        want = ref(x, y)


CASES = (Case("logreg.train_step", train_step, "seed 001-05 logistic regression step"),)
