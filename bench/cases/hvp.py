"""Hessian-vector product of the MLP loss (mlp.py's 784-500-10 net, batch 20).

refimpl: ``Rop(grad(cost, params), params, v)`` (forward-over-reverse)
under FAST_RUN; for information also the reverse-over-reverse form
``grad(sum(grad(cost, params) · v), params)``. numpy: Pearlmutter's R{·}
pass written by hand (the forward pass, its directional derivative, the
backward pass and its directional derivative). Target: <= 1.1x numpy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case, mlp
from bench.cases.logreg import STEP_TARGET
from bench.harness import Ctx, Mismatch, Result, time_pair

NAMES = ("W1", "b1", "W2", "b2")


def hvp_graph(params: mlp.Params, dtype: str, form: str = "rop") -> tuple[list[Any], list[Any]]:
    """``(inputs, outputs)``: inputs ``x, y`` and one direction per parameter,
    outputs ``H·v`` per parameter (``form`` ``'rop'`` or ``'lop'``)."""
    inputs, p, cost = mlp.loss(params, dtype)
    wrt = [p[k] for k in NAMES]
    vs = [w.type(f"v_{k}") for k, w in zip(NAMES, wrt)]
    grads = refimpl.grad(cost, wrt)
    if form == "rop":
        hv = refimpl.Rop(grads, wrt, vs)
    else:
        dot = T.add(*[(g * v).sum() for g, v in zip(grads, vs)])
        hv = refimpl.grad(dot, wrt)
    return [*inputs, *vs], list(hv)


def compile_hvp(params: mlp.Params, dtype: str, mode: str, form: str = "rop") -> refimpl.Function:
    inputs, outputs = hvp_graph(params, dtype, form)
    return refimpl.function(inputs, outputs, mode=mode, backend="numpy")


def arguments(params: mlp.Params, n: int, dtype: str) -> tuple[np.ndarray, ...]:
    """``(x, y, v_W1, v_b1, v_W2, v_b2)``: a batch and random directions."""
    n_in, n_out = params["W1"].shape[0], params["W2"].shape[1]
    x, y = mlp.batch(n, n_in, n_out, dtype)
    rng = np.random.RandomState(2)
    vs = [rng.randn(*params[k].shape).astype(dtype) for k in NAMES]
    return (x, y, *vs)


def numpy_hvp(p: mlp.Params, x: np.ndarray, y: np.ndarray, *v: np.ndarray) -> list[np.ndarray]:
    """H·v of the MLP loss by Pearlmutter's R{·} technique, by hand."""
    vW1, vb1, vW2, vb2 = v
    n = len(y)
    rows = np.arange(n)
    h = np.tanh(x @ p["W1"] + p["b1"])
    a2 = h @ p["W2"] + p["b2"]
    a2 -= a2.max(axis=1, keepdims=True)
    e = np.exp(a2)
    sm = e / e.sum(axis=1, keepdims=True)
    dtanh = 1 - h * h
    r_h = dtanh * (x @ vW1 + vb1)  # R{h}
    r_a2 = r_h @ p["W2"] + h @ vW2 + vb2  # R{a2}
    r_d2 = sm * (r_a2 - (sm * r_a2).sum(axis=1, keepdims=True))
    r_d2 /= n  # R{d2}, d2 = (softmax - onehot) / n
    d2 = sm
    d2[rows, y] -= 1
    d2 /= n
    dh = d2 @ p["W2"].T
    r_dh = r_d2 @ p["W2"].T + d2 @ vW2.T
    r_d1 = r_dh * dtanh - 2 * dh * h * r_h
    return [
        x.T @ r_d1 + 2 * mlp.L2 * vW1, r_d1.sum(axis=0),
        r_h.T @ d2 + h.T @ r_d2 + 2 * mlp.L2 * vW2, r_d2.sum(axis=0),
    ]  # fmt: skip


def check(name: str, got: list[Any], want: list[np.ndarray], rtol: float) -> None:
    for k, g, w in zip(NAMES, got, want):
        g = np.asarray(g)
        if g.dtype != w.dtype or g.shape != w.shape:
            raise Mismatch(f"{name}: H·v[{k}] is {g.dtype}{g.shape}, numpy's {w.dtype}{w.shape}")
        scale = float(np.max(np.abs(w))) or 1.0
        if float(np.max(np.abs(g - w))) > rtol * scale:
            raise Mismatch(f"{name}: H·v[{k}] differs from numpy by {np.max(np.abs(g - w))}")


def hvp(ctx: Ctx) -> None:
    n, n_in, n_hid, n_out = mlp.sizes(ctx)
    dtype = "float64"
    params = mlp.init(n_in, n_hid, n_out, dtype)
    args = arguments(params, n, dtype)
    want = numpy_hvp(params, *args)
    ref = partial(numpy_hvp, params, *args)
    for form, target in (("rop", STEP_TARGET), ("lop", None)):
        f = compile_hvp(params, dtype, "FAST_RUN", form)
        check(f"hvp {form}", f(*args), want, 1e-9)
        t_ref, t_np = time_pair(partial(f, *args), ref, ctx.scale)
        what = "Rop(grad)" if form == "rop" else "grad(grad·v)"
        ctx.add(Result(f"hvp.mlp {what} FAST_RUN", t_ref, numpy=t_np, target=target,
                       note=f"{n_in}-{n_hid}-{n_out}, batch {n}, float64"))  # fmt: skip


CASES = (Case("hvp.mlp", hvp, "Hessian-vector product of the MLP loss"),)
