"""ifelse (spec/ifelse.md): values, laziness, types, shapes, gradients and
R_op through the taken branch; switch's gradients reach both branches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import Apply, Op, Rop, grad, ifelse, scan
from refimpl.grad import verify_grad
from refimpl.ifelse import IfElse
from refimpl.testing import check_rop_lop

BACKENDS = ["numpy", "array_api_strict"]


class _NumpyOutputs:
    """A compiled function whose outputs come back as numpy arrays (the
    suite may run on another backend: REFIMPL_FLAGS=backend=...)."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.fgraph = f.fgraph

    def __call__(self, *args: Any) -> Any:
        out = self.f(*args)
        return [np_(o) for o in out] if isinstance(out, list) else np_(out)


def function(*args: Any, **kwargs: Any) -> Any:
    return _NumpyOutputs(refimpl.function(*args, **kwargs))


def np_(x: Any) -> Any:
    return refimpl.backend.to_numpy(x)


@dataclass(frozen=True)
class Counted(Op):
    """Identity that counts its perform calls (class-level counter)."""

    calls: ClassVar[list[int]] = [0]

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        Counted.calls[0] += 1
        return (xp.asarray(inputs[0], copy=True),)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> list[Any]:
        return [input_shapes[0]]

    def L_op(self, inputs: Sequence[Any], outputs: Sequence[Any], grads: Sequence[Any]) -> Any:
        return [grads[0]]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_only_the_taken_branch_runs(backend: str, mode: str) -> None:
    a, b = T.scalars("a", "b")
    x = T.vector("x")
    z = ifelse(T.lt(a, b), T.sum(Counted()(x)), T.sum(x * 2))
    f = function([a, b, x], z, backend=backend, mode=mode)
    Counted.calls[0] = 0
    assert float(np_(f(1.0, 0.0, np.ones(3)))) == 6.0
    assert Counted.calls[0] == 0
    assert float(np_(f(0.0, 1.0, np.ones(3)))) == 3.0
    assert Counted.calls[0] >= 1  # DebugMode (config.mode) runs a node twice
    nodes = f.fgraph.toposort()
    assert any(isinstance(n.op, IfElse) for n in nodes)
    assert not any(isinstance(n.op, Counted) for n in nodes)  # it lives inside the branch


def test_the_condition_graph_is_not_recomputed_in_a_branch() -> None:
    x = T.vector("x")
    s = T.sum(x)
    z = ifelse(T.gt(s, 0), s * 2, -s)
    node = z.owner
    assert isinstance(node.op, IfElse) and any(i is s for i in node.inputs)
    f = function([x], z)
    assert float(f(np.array([1.0, 2.0]))) == 6.0 and float(f(np.array([-1.0]))) == 1.0


def test_lists_scalars_and_dtypes() -> None:
    c = T.iscalar("c")
    x, y = T.fvector("x"), T.fvector("y")
    p, q = ifelse(c, [x, T.sum(x * 2)], [y, 0.5])
    assert p.dtype == "float32" and q.dtype == "float32" and q.ndim == 0
    f = function([c, x, y], [p, q])
    xv, yv = np.ones(2, np.float32), np.zeros(2, np.float32)
    r1, r2 = f(1, xv, yv)
    np.testing.assert_array_equal(r1, xv)
    assert float(r2) == 4.0
    r1, r2 = f(0, xv, yv)
    np.testing.assert_array_equal(r1, yv)
    assert float(r2) == 0.5 and r2.dtype == np.float32
    out = f(1, xv, yv)[0]
    assert out is not xv  # no aliasing of an input


def test_shape_follows_the_branch() -> None:
    c = T.scalar("c")
    x, y = T.matrix("x"), T.matrix("y")
    z = ifelse(c, x[1:], y)
    f = function([c, x, y], z.shape, mode="FAST_RUN")
    assert not any(isinstance(n.op, IfElse) for n in f.fgraph.toposort())
    np.testing.assert_array_equal(f(1.0, np.ones((4, 2)), np.ones((2, 5))), [3, 2])
    np.testing.assert_array_equal(f(0.0, np.ones((4, 2)), np.ones((2, 5))), [2, 5])


def test_errors() -> None:
    x, y = T.vector("x"), T.matrix("y")
    with pytest.raises(TypeError, match="condition .* must be a real or boolean scalar"):
        ifelse(x, x, x)
    with pytest.raises(TypeError, match=r"output 0 of the branches differs"):
        ifelse(T.scalar("c"), x, y)
    with pytest.raises(TypeError, match=r"output 0 of the branches differs"):
        ifelse(T.scalar("c"), x, T.ivector("i"))
    with pytest.raises(ValueError, match="then branch has 2 outputs"):
        ifelse(T.scalar("c"), [x, x], [x])


def test_gradient_and_rop_through_both_branches() -> None:
    def fn(c_neg: bool) -> Any:
        def f(x: Any, y: Any) -> Any:
            c = T.constant(-1.0 if c_neg else 1.0)
            return ifelse(T.lt(c, 0), T.sin(x) * y, T.exp(y) * T.sum(x))

        return f

    point = [np.array([0.3, -0.2]), np.array([0.5, 0.1])]
    for neg in (True, False):
        verify_grad(fn(neg), point)
        check_rop_lop(fn(neg), point, n_tests=1)


def test_gradient_is_lazy_and_cond_gets_none() -> None:
    c = T.scalar("c")
    x = T.vector("x")
    z = ifelse(T.gt(c, 0), T.sum(T.sqr(Counted()(x))), T.sum(x))
    gx, gc = grad(z, [x, c], disconnected_inputs="ignore")
    f = function([c, x], [gx, gc])
    Counted.calls[0] = 0
    r = f(-1.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(r[0], [1.0, 1.0])
    assert float(r[1]) == 0.0
    assert Counted.calls[0] == 0
    np.testing.assert_array_equal(f(1.0, np.array([1.0, 2.0]))[0], [2.0, 4.0])


def test_second_derivative_through_ifelse() -> None:
    c, w, v = T.scalar("c"), T.vector("w"), T.vector("v")
    cost = ifelse(T.gt(c, 0), T.sum(w**3), T.sum(T.sin(w)))
    g = grad(cost, w)
    hv = [grad(T.sum(g * v), w), Rop(g, w, v)]
    f = function([c, w, v], hv)
    wv, vv = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    for cv, want in ((1.0, 6 * wv * vv), (-1.0, -np.sin(wv) * vv)):
        a, b = f(cv, wv, vv)
        np.testing.assert_allclose(a, want, rtol=1e-14)
        np.testing.assert_allclose(b, want, rtol=1e-14)


def test_switch_gradient_reaches_both_branches() -> None:
    c = T.vector("c")
    x, y = T.vector("x"), T.vector("y")
    z = T.switch(T.gt(c, 0), x * 2, y * 3)
    gx, gy = grad(T.sum(z), [x, y])
    f = function([c, x, y], [gx, gy])
    rx, ry = f(np.array([1.0, -1.0, 2.0]), np.zeros(3), np.zeros(3))
    np.testing.assert_array_equal(rx, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(ry, [0.0, 3.0, 0.0])


def test_ifelse_inside_scan() -> None:
    x = T.vector("x")
    out, _ = scan(
        lambda xt, s: ifelse(T.gt(xt, 0), s + xt, s * 0.5),
        sequences=x,
        outputs_info=T.constant(1.0),
    )
    f = function([x], [out, grad(out[-1], x)])
    r, g = f(np.array([1.0, -1.0, 2.0]))
    np.testing.assert_allclose(r, [2.0, 1.0, 3.0])
    np.testing.assert_allclose(g, [0.5, 0.0, 1.0])
