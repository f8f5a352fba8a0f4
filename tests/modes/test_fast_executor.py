"""FAST_RUN's executor (generated straight-line code), the trust_input fast
path, and the ``FusedElemwise`` op (value, in-place updates, derivatives)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import function, grad
from refimpl.backend import to_numpy
from refimpl.modes.executor import PythonExecutor
from refimpl.modes.fast_executor import FastExecutor
from refimpl.ops import _fused_codegen, fused
from refimpl.ops.fused import FusedElemwise


def _backends() -> list[str]:
    names = ["numpy"]
    try:
        import array_api_strict  # noqa: F401

        names.append("array_api_strict")
    except ImportError:  # pragma: no cover
        pass
    return names


# --------------------------------------------------------------------------- executor


def test_modes_pick_their_executor() -> None:
    x = T.dvector("x")
    assert isinstance(function([x], x * 2, mode="FAST_RUN")._executor, FastExecutor)
    slow = function([x], x * 2, mode="FAST_COMPILE")._executor
    assert isinstance(slow, PythonExecutor) and not isinstance(slow, FastExecutor)
    prof = function([x], x * 2, mode="FAST_RUN", profile=True)._executor
    assert not isinstance(prof, FastExecutor)


def test_generated_source_is_straight_line_with_frees() -> None:
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = function([x, w], T.tanh(T.dot(x, w)).sum() * 3.0, backend="numpy")
    src = f._executor.source
    assert src.startswith("def run(s0, s1):")  # numpy constants are globals, not parameters
    assert "del " in src and "for " not in src and "while " not in src
    xv, wv = np.ones((2, 3)), np.full((3, 4), 0.1)
    np.testing.assert_allclose(to_numpy(f(xv, wv)), np.tanh(xv @ wv).sum() * 3.0)


@pytest.mark.parametrize("backend", _backends())
def test_fast_run_matches_fast_compile(backend: str) -> None:
    x, y = T.dvectors("x", "y")
    acc = refimpl.shared(np.zeros(3), name="acc")
    z = T.tanh(x * y + 1.0)
    outs = [z, (z**3).sum(), T.cast(x > 0, "int8") * 2, x.shape[0]]
    vals = (np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.5]))
    results = []
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        acc.set_value(np.zeros(3))
        f = function([x, y], outs, updates=[(acc, acc + z)], mode=mode, backend=backend)
        first = [to_numpy(o) for o in f(*vals)]
        second = [to_numpy(o) for o in f(*vals)]
        results.append((first, second, to_numpy(acc.get_value())))
    (a1, a2, aacc), (b1, b2, bacc) = results
    for u, v in zip(a1 + a2, b1 + b2):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_allclose(v, u, rtol=1e-12)
    np.testing.assert_allclose(bacc, aacc, rtol=1e-12)


def test_zero_d_results_are_arrays() -> None:
    x = T.dscalar("x")
    out = function([x], T.exp(x) * 2 + 1, backend="numpy")(0.0)
    assert isinstance(out, np.ndarray) and out.shape == () and float(out) == 3.0


def test_trust_input_fast_path_and_aliasing() -> None:
    x = T.dvector("x")
    t = T.tanh(x)
    f = function([x], [x, t, t], trust_input=True, backend="numpy")
    assert f._direct is not None
    v = np.array([0.0, 1.0])
    a, b, c = f(v)
    assert a is not v and b is not c
    np.testing.assert_array_equal(to_numpy(a), v)
    np.testing.assert_allclose(to_numpy(c), np.tanh(v))
    keyed = function(
        [refimpl.In(x, value=np.ones(2), name="xx")], {"t": t}, trust_input=True, backend="numpy"
    )
    np.testing.assert_allclose(to_numpy(keyed()["t"]), np.tanh(np.ones(2)))
    np.testing.assert_allclose(to_numpy(keyed(xx=v)["t"]), np.tanh(v))
    with_shared = function([x], x + refimpl.shared(1.0), trust_input=True, backend="numpy")
    assert with_shared._direct is None
    np.testing.assert_allclose(to_numpy(with_shared(v)), v + 1)


def test_failing_nodes_are_named() -> None:
    a, b = T.lvectors("a", "b")
    f = function([a, b], (a // b) * 2)
    with pytest.raises(ZeroDivisionError) as info:
        f(np.array([1, 2]), np.array([1, 0]))
    assert any("//" in n and "b (shape (2,)" in n for n in info.value.__notes__)
    m = T.dmatrix("m")
    g = function([m], T.tanh(m).reshape((5,)) * 2)
    with pytest.raises(ValueError) as info2:
        g(np.ones((2, 3)))
    assert any("Reshape" in n and "shape (2, 3)" in n for n in info2.value.__notes__)


def test_runtime_broadcast_of_an_elemwise_node_is_an_error() -> None:
    x, y = T.dvectors("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(ValueError, match="broadcasts only when"):
        f(np.ones(1), np.ones(3))


# --------------------------------------------------------------------------- the fused op


def _fused(fn: Any, *xs: Any) -> Any:
    out = fused.composite(fn, *xs)
    assert isinstance(out.owner.op, FusedElemwise)
    return out


def test_fused_op_type_rule_printing_and_value() -> None:
    x, y = T.dmatrix("x"), T.drow("y")
    z = _fused(lambda a, b: T.tanh(a * b + 0.5) - a, x, y)
    op = z.owner.op
    assert z.type == (T.tanh(x * y + 0.5) - x).type
    assert str(op) == "Composite{(tanh(((i0 * i1) + i2)) - i0)}"
    assert refimpl.pp(z) == "(tanh(((x * y) + TensorConstant{0.5})) - x)"
    with pytest.raises(TypeError, match="input 0"):
        op(T.fmatrix("f"), y, z.owner.inputs[2])
    with pytest.raises(TypeError, match="expected 3 inputs"):
        op(x, y)
    xv, yv = np.random.default_rng(0).normal(size=(3, 4)), np.full((1, 4), 0.5)
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = function([x, y], [z, z.shape], mode=mode)
        val, shp = f(xv, yv)
        np.testing.assert_allclose(to_numpy(val), np.tanh(xv * yv + 0.5) - xv, rtol=1e-13)
        assert tuple(to_numpy(shp)) == (3, 4)


def test_composite_rejects_non_elementwise_functions() -> None:
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="elementwise"):
        fused.composite(lambda a: a.sum() + 1, x)


def _numeric_grad(f: Any, v: np.ndarray[Any, Any], eps: float = 1e-6) -> np.ndarray[Any, Any]:
    g = np.zeros_like(v)
    for k in range(v.size):
        d = np.zeros_like(v)
        d.flat[k] = eps
        g.flat[k] = (f(v + d) - f(v - d)) / (2 * eps)
    return g


def test_fused_op_gradient_and_rop_by_expansion() -> None:
    x, y = T.dvectors("x", "y")
    z = _fused(lambda a, b: T.exp(-a * a) * b + T.sqr(a), x, y)
    xv, yv, v = np.array([0.3, -1.2, 2.0]), np.array([1.0, 2.0, -0.5]), np.array([1.0, -1.0, 0.5])
    gx = function([x, y], grad(z.sum(), x), mode="FAST_COMPILE")(xv, yv)
    value = function([x, y], z.sum(), mode="FAST_COMPILE")
    np.testing.assert_allclose(
        to_numpy(gx), _numeric_grad(lambda a: float(value(a, yv)), xv), rtol=1e-6
    )
    (jv,) = z.owner.op.R_op(z.owner.inputs, [T.dvector("v"), None, None])
    vv = jv.owner.inputs  # the tangent graph is built from the expanded program
    assert vv
    jfn = function([x, y, *[i for i in refimpl.graph_inputs([jv]) if i.name == "v"]], jv)
    fx = function([x, y], z, mode="FAST_COMPILE")
    expected = (to_numpy(fx(xv + 1e-6 * v, yv)) - to_numpy(fx(xv - 1e-6 * v, yv))) / 2e-6
    np.testing.assert_allclose(to_numpy(jfn(xv, yv, v)), expected, rtol=1e-6)


def _inplace_op() -> tuple[FusedElemwise, Any]:
    x, y = T.dvectors("x", "y")
    z = _fused(lambda a, b: (b + 1.0) * T.exp(a), x, y)
    assert z.owner.inputs[0] is y  # inputs in first-use order: y, the constant 1, x
    op = fused.with_destroy(z.owner.op, 0)  # y's buffer receives the result
    assert op is not None and op.destroy_map == {0: (0,)}
    assert fused.with_destroy(z.owner.op, 2) is None  # exp(x) is computed out of place
    return op, op(*z.owner.inputs)


def test_inplace_program_writes_into_the_destroyed_buffer() -> None:
    op, out = _inplace_op()
    node = out.owner
    xp = refimpl.backend.resolve_backend("numpy").xp
    xv, one = np.array([0.0, 1.0]), np.ones(1)
    thunk = _fused_codegen.thunk(node, "numpy")
    for run in (lambda b: op.perform(xp, node, [b, one, xv])[0], lambda b: thunk(b, one, xv)):
        yv = np.array([2.0, 3.0])
        res = run(yv)
        assert res is yv  # updated in place
        np.testing.assert_allclose(res, np.array([3.0, 4.0]) * np.exp(xv))
        frozen = np.array([2.0, 3.0])
        frozen.setflags(write=False)  # not mutable: the functional form runs
        res2 = run(frozen)
        assert res2 is not frozen
        np.testing.assert_array_equal(frozen, [2.0, 3.0])
        np.testing.assert_allclose(res2, res)


def test_inplace_program_on_array_api_strict() -> None:
    xps = pytest.importorskip("array_api_strict")
    _, out = _inplace_op()
    run = _fused_codegen.thunk(out.owner, "array_api_strict")
    y = xps.asarray([2.0, 3.0])
    res = run(y, xps.asarray([1.0]), xps.asarray([0.0, 1.0]))
    np.testing.assert_allclose(np.asarray(res), np.array([3.0, 4.0]) * np.exp([0.0, 1.0]))


def test_equal_programs_compile_once() -> None:
    x, y = T.dvectors("x", "y")
    a = _fused(lambda p, q: T.tanh(p) * q + p, x, y)
    b = _fused(lambda p, q: T.tanh(p) * q + p, y, x)
    assert a.owner.op == b.owner.op
    before = _fused_codegen._factory.cache_info().hits
    _fused_codegen.thunk(a.owner, "numpy")
    _fused_codegen.thunk(b.owner, "numpy")
    assert _fused_codegen._factory.cache_info().hits > before


def test_fused_op_runs_a_long_chain() -> None:
    x = T.dvector("x")
    z = x
    for _ in range(200):
        z = T.tanh(z * 1.0001 + 0.5)
    f = function([x], [z, grad(z.sum(), x)])
    g = function([x], [z, grad(z.sum(), x)], mode="FAST_COMPILE")
    v = np.linspace(-1, 1, 5)
    for u, w in zip(f(v), g(v)):
        np.testing.assert_allclose(to_numpy(u), to_numpy(w), rtol=1e-12)
    assert len(f.fgraph.apply_nodes) < 0.15 * len(g.fgraph.apply_nodes)
