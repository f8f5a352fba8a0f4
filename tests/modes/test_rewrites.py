"""FAST_RUN's rewrites: each one fires, and never changes a value.

Every rewrite has a case below: a small graph that triggers it. The property
test compiles the case in FAST_COMPILE and in FAST_RUN, checks on drawn inputs
that the values agree (within the dtype's tolerance), and that the rewrite
is among the replacements FAST_RUN made (recorded by name). The generic tests
run every registered OpSpec (its value, and the gradient of a weighted sum of
its outputs) through both modes; on a mismatch the failing pass is found by
excluding passes one at a time and named in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refimpl
import refimpl.tensor as T
from refimpl import function, grad, registry
from refimpl.backend import to_numpy
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.mode import FAST_COMPILE, FAST_RUN, Mode, get_mode
from refimpl.ops.fused import FusedElemwise
from refimpl.testing.cases import ad_combos, differentiable_args, draw_case, random_draw_int
from refimpl.testing.harness import build
from refimpl.types import TensorType, kind

Build = Callable[..., Any]

pytestmark = pytest.mark.filterwarnings("error::refimpl.modes.rewrites.engine.RewriteWarning")


class Recording(FunctionGraph):
    """A FunctionGraph that records the reason of every replacement."""

    def __init__(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        self.reasons: list[str] = []
        super().__init__(inputs, outputs)

    def replace(self, old: Any, new: Any, reason: str = "") -> None:
        if old is not new:
            self.reasons.append(reason)
        super().replace(old, new, reason)


@dataclass(frozen=True)
class Case:
    rewrite: str  # "pass:rewriter" as recorded in the replacement reason
    build: Build
    types: tuple[tuple[str, tuple[int | None, ...]], ...] = (("float64", (None,)),)
    domain: tuple[float, float] = (-3.0, 3.0)

    @property
    def id(self) -> str:
        return self.rewrite


CASES: tuple[Case, ...] = (
    # canonicalize
    Case("canonicalize:add_zero", lambda x: x + 0),
    Case("canonicalize:add_zero", lambda x: 0 + x, (("int32", (None, None)),)),
    Case("canonicalize:sub_zero", lambda x: x - 0.0),
    Case("canonicalize:sub_zero", lambda x: 0 - x, (("float32", (None, None)),)),
    Case("canonicalize:sub_self", lambda x: x - x, (("float64", (None, None)),)),
    Case("canonicalize:mul_one", lambda x: 1 * x * 1.0),
    Case("canonicalize:mul_zero_discrete", lambda x: x * 0, (("int64", (None,)),)),
    Case("canonicalize:div_one", lambda x: x / 1.0),
    Case("canonicalize:div_one", lambda x: x / 1, (("int32", (None,)),)),
    Case("canonicalize:neg_neg", lambda x: T.neg(-x)),
    Case("canonicalize:pow_one_zero", lambda x: x**1 + x**0),
    Case("canonicalize:mul_constants", lambda x: 2.0 * (3.0 * T.tanh(x))),
    Case("canonicalize:add_constants", lambda x: 2.0 + (T.tanh(x) + 3.0)),
    Case(
        "canonicalize:cast_noop",
        lambda x: T.cast(T.cast(x, "float64"), "float32") * 2,
        (("float32", (None,)),),
    ),
    Case("canonicalize:switch_const", lambda x, y: T.switch(T.constant(True), x, y) * 2,
         (("float64", (None,)), ("float64", (None,)))),
    Case("canonicalize:fill_elim", lambda x: T.fill(x, 2.0) * x),
    Case("canonicalize:fill_sink", lambda x: T.exp(T.fill(x, 2.0) * 3.0)),
    Case("canonicalize:fill_useless", lambda x: T.fill(x, T.tanh(x) * 2)),
    Case("canonicalize:dimshuffle_identity", lambda x: x.T.T + 1, (("float64", (None, None)),)),
    Case("canonicalize:dimshuffle_merge", lambda x: x.dimshuffle("x", 0).dimshuffle(1, "x", 0)),
    Case("canonicalize:reshape_reshape", lambda x: T.tanh(x).reshape((2, 6)).reshape((3, 4)),
         (("float64", (12,)),)),
    Case("canonicalize:sum_sum", lambda x: T.tanh(x).sum(axis=0).sum(axis=0),
         (("float64", (None, None, None)),)),
    Case("canonicalize:fold_constants", lambda x: 2.0 * (3.0 * T.tanh(x))),
    Case("constant_fold", lambda x: x * T.exp(T.constant(0.5))),
    Case("merge", lambda x: T.tanh(x) + T.tanh(x)),
    # shape
    Case("shape:index_of_shape", lambda x: x.shape[-1] * x, (("float64", (None, None)),)),
    Case("shape:index_of_make_vector", lambda x, w: T.dot(x, w).shape[0] + T.sum(w),
         (("float64", (None, None)), ("float64", (None, None)))),
    Case("shape:shape_i_of_intermediate", lambda x, w: T.shape_i(T.dot(x, w), 1) + T.sum(w),
         (("float64", (None, None)), ("float64", (None, None)))),
    Case("shape:shape_of_intermediate", lambda x: T.cast(T.tanh(x).shape, "float64").sum() * x),
    # stabilize
    Case("stabilize:log1p_of_sum", lambda x: T.log(1 + x), domain=(-0.9, 3.0)),
    Case("stabilize:log1p_of_sum", lambda x: T.log(T.exp(x) + 1), domain=(-30.0, 30.0)),
    Case("stabilize:log1p_of_difference", lambda x: T.log(1 - x), domain=(-3.0, 0.9)),
    Case("stabilize:expm1_of_difference", lambda x: T.exp(x) - 1),
    Case("stabilize:sigmoid_complement", lambda x: 1 - 1 / (1 + T.exp(x * -2.0))),
    Case("stabilize:log_reciprocal", lambda x: T.log(1 / (1 + T.exp(x * 2.0))),
         domain=(-30.0, 30.0)),
    Case("stabilize:log_reciprocal", lambda x: T.log(1 / x), domain=(0.1, 3.0)),
    Case("stabilize:log_sigmoid_complement", lambda x: T.log(T.exp(x) / (1 + T.exp(x))),
         domain=(-30.0, 30.0)),
    Case("stabilize:log_sigmoid_complement",
         lambda x: T.log(T.exp(x) / T.exp(x).sum(axis=1, keepdims=True)),
         (("float64", (None, None)),)),
    Case("stabilize:log_exp", lambda x: T.log(T.exp(x)) * 2),
    # specialize
    Case("specialize:pow_specialize", lambda x: x**2),
    Case("specialize:pow_specialize", lambda x: x**0.5, domain=(0.0, 3.0)),
    Case("specialize:pow_specialize", lambda x: x**-1, domain=(0.5, 3.0)),
    Case("specialize:pow_specialize", lambda x: x + x**10, (("float32", (None,)),)),
    Case("specialize:pow_specialize", lambda x: x**-3, domain=(0.5, 3.0)),
    Case("specialize:pow_specialize", lambda x: x**3, (("int64", (None,)),)),
    Case("specialize:pow_specialize", lambda x: x**2.0, (("int32", (None,)),)),
    Case("specialize:mul_minus_one", lambda x: T.tanh(x) * -1),
    Case("specialize:mul_self", lambda x: T.tanh(x) * T.tanh(x)),
    Case("specialize:fill_to_alloc", lambda x: T.fill(T.tanh(x), 2.0).sum(axis=0),
         (("float64", (None, None)),)),
    # fusion, inplace
    Case("fusion", lambda x, y: T.tanh(x * y + 1) - x, (("float64", (None,)), ("float64", (1,)))),
    Case("inplace", lambda x, w: T.tanh(T.dot(x, w) + 1.0) * 2,
         (("float64", (None, None)), ("float64", (None, None)))),
)  # fmt: skip


def _nn(name: str) -> Any:
    from refimpl.modes.rewrites.stabilize import nn_function

    return nn_function(name)


def _nn_cases() -> tuple[Case, ...]:
    """The rewrites of refimpl.nn's ops (when the nn package provides them)."""
    sigmoid, softmax = _nn("sigmoid"), _nn("softmax")
    cases: list[Case] = []
    if sigmoid is not None:
        cases += [
            Case("stabilize:nn_sigmoid", lambda x: 1 / (1 + T.exp(-x))),
            Case("stabilize:nn_sigmoid_complement", lambda x: 1 - sigmoid(x) * 1),
            Case("stabilize:nn_log_sigmoid", lambda x: T.log(sigmoid(x)), domain=(-30.0, 30.0)),
        ]
    if softmax is not None and _nn("log_softmax") is not None:
        cases.append(
            Case("stabilize:nn_log_softmax", lambda x: T.log(softmax(x)),
                 (("float64", (None, None)),), domain=(-30.0, 30.0))
        )  # fmt: skip
    return tuple(cases)


CASES = CASES + _nn_cases()


def _values(case: Case, seed: int, n: int) -> list[np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    lo, hi = case.domain
    out = []
    for dtype, static in case.types:
        shape = tuple(n if s is None else s for s in static)
        v = rng.uniform(lo, hi, size=shape)
        out.append(np.asarray(np.round(v) if kind(dtype) in "iu" else v, dtype=dtype))
    return out


@cache
def _compiled(case: Case) -> tuple[Any, Any, list[str]]:
    xs = [TensorType(d, s)(f"x{k}") for k, (d, s) in enumerate(case.types)]
    out = case.build(*xs)
    slow = function(xs, out, mode="FAST_COMPILE")
    fast = function(xs, out, mode="FAST_RUN")
    fg = Recording(xs, [out])
    FAST_RUN.rewrite(fg)
    return slow, fast, fg.reasons


def _tol(dtype: Any) -> float:
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rewrite_fires(case: Case) -> None:
    _, _, reasons = _compiled(case)
    fired = [r for r in reasons if r == case.rewrite or r.startswith(case.rewrite + ":")]
    assert fired, f"rewrite {case.rewrite} did not fire; FAST_RUN made: {sorted(set(reasons))}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4))
def test_rewrite_keeps_values(case: Case, seed: int, n: int) -> None:
    slow, fast, reasons = _compiled(case)
    values = _values(case, seed, n)
    expected, got = np.asarray(to_numpy(slow(*values))), np.asarray(to_numpy(fast(*values)))
    assert got.dtype == expected.dtype and got.shape == expected.shape, case.rewrite
    tol = _tol(expected.dtype)
    np.testing.assert_allclose(
        got, expected, rtol=tol, atol=tol,
        err_msg=f"rewrite {case.rewrite} changed the value (FAST_RUN made {sorted(set(reasons))})",
    )  # fmt: skip


# --------------------------------------------------------------------------- seeds and passes


def test_seed_001_04b_gradient_of_square_prints_two_x() -> None:
    x = T.dscalar("x")
    f = function([x], grad(x**2, x), mode="FAST_RUN")
    assert refimpl.pp(f.fgraph.outputs[0]) == "(2.0 * x)"
    assert len(f.fgraph.apply_nodes) == 1
    assert float(to_numpy(f(4.0))) == 8.0


def test_gradient_of_a_sum_of_squares_has_no_fill() -> None:
    x = T.dvector("x")
    f = function([x], grad((x**2).sum(), x), mode="FAST_RUN")
    (node,) = f.fgraph.apply_nodes
    assert "mul" in str(node.op) and x.name in refimpl.pp(f.fgraph.outputs[0])
    np.testing.assert_allclose(to_numpy(f(np.array([1.0, -2.0]))), [2.0, -4.0])


def _logistic(data_scale: float) -> tuple[Any, Any, Any]:
    rng = np.random.RandomState(0)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = refimpl.shared(rng.randn(784) * data_scale, name="w")
    b = refimpl.shared(0.0, name="b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = grad(cost, [w, b])
    data = (rng.randn(400, 784), rng.randint(0, 2, 400).astype("float64"))
    return (x, y, cost, gw, gb), data, w


def test_seed_logistic_regression_cost_and_gradient_are_finite() -> None:
    (x, y, cost, gw, gb), (dx, dy), _ = _logistic(1.0)
    naive = function([x, y], [cost, gw], mode="FAST_COMPILE")(dx, dy)
    stable = function([x, y], [cost, gw, gb], mode="FAST_RUN")(dx, dy)
    assert not np.isfinite(to_numpy(naive[0]))  # 1 - p rounds to 0: log(0)
    assert all(np.all(np.isfinite(to_numpy(v))) for v in stable)
    # where both are finite they agree: the small-weight version of the same model
    (x, y, cost, gw, gb), (dx, dy), _ = _logistic(0.01)
    a = function([x, y], [cost, gw], mode="FAST_COMPILE")(dx, dy)
    b = function([x, y], [cost, gw], mode="FAST_RUN")(dx, dy)
    for u, v in zip(a, b):
        np.testing.assert_allclose(to_numpy(v), to_numpy(u), rtol=1e-9, atol=1e-12)


def test_a_plus_a_pow_10_is_one_fused_node() -> None:
    a = T.vector("a")
    f = function([a], a + a**10, mode="FAST_RUN")
    (node,) = f.fgraph.apply_nodes
    assert isinstance(node.op, FusedElemwise)
    assert "pow" not in str(node.op) and refimpl.pp(f.fgraph.outputs[0]).count("a") >= 2
    np.testing.assert_allclose(to_numpy(f([0, 1, 2])), [0.0, 2.0, 1026.0])


def test_shape_of_an_intermediate_needs_no_value() -> None:
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = function([x, w], T.dot(x, w).shape[0], mode="FAST_RUN")
    ops = {type(n.op).__name__ for n in f.fgraph.apply_nodes}
    assert ops == {"ShapeI"}, ops
    assert int(to_numpy(f(np.ones((3, 2)), np.ones((2, 5))))) == 3


def test_inplace_declares_destroy_map_and_spares_inputs() -> None:
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = function([x, w], T.tanh(T.dot(x, w) + 1.0) * 2 - x.sum(), mode="FAST_RUN")
    destroyers = [n for n in f.fgraph.apply_nodes if n.op.destroy_map]
    assert destroyers and all(isinstance(n.op, FusedElemwise) for n in destroyers)
    for n in destroyers:
        (victim,) = n.op.destroy_map[0]
        assert n.inputs[victim].owner is not None  # never a function input
    xv, wv = np.ones((2, 3)), np.full((3, 2), 0.5)
    x0, w0 = xv.copy(), wv.copy()
    out = to_numpy(f(xv, wv))
    np.testing.assert_array_equal(xv, x0)
    np.testing.assert_array_equal(wv, w0)
    np.testing.assert_allclose(out, np.tanh(x0 @ w0 + 1) * 2 - x0.sum())


def test_no_inplace_on_inputs_shared_values_or_outputs() -> None:
    x = T.dvector("x")
    s = refimpl.shared(np.arange(3.0), name="s")
    t = T.tanh(x)
    f = function([x], [t, t * 2 + s], mode="FAST_RUN")  # t is an output: not destroyed
    for n in f.fgraph.apply_nodes:
        for victim in n.op.destroy_map.get(0, ()):
            assert n.inputs[victim] not in f.fgraph.outputs
    before = s.get_value()
    a, b = f(np.zeros(3))
    np.testing.assert_array_equal(s.get_value(), before)
    np.testing.assert_allclose(to_numpy(b), 2 * to_numpy(a) + before)


def test_modes_and_pass_lists() -> None:
    assert FAST_COMPILE.passes == ()
    names = [p.name for p in FAST_RUN.passes]
    assert names[:2] == ["merge", "constant_fold"] and names[-2:] == ["fusion", "inplace"]
    assert get_mode("FAST_RUN") is FAST_RUN and get_mode(FAST_COMPILE) is FAST_COMPILE
    lean = FAST_RUN.excluding("fusion", "inplace")
    assert isinstance(lean, Mode) and "fusion" not in [p.name for p in lean.passes]
    a = T.vector("a")
    f = function([a], a + a**10, mode=lean)
    assert not any(isinstance(n.op, FusedElemwise) for n in f.fgraph.apply_nodes)
    with pytest.raises(ValueError, match="no passes"):
        FAST_RUN.excluding("nonexistent")


def test_folded_constants_are_tagged_and_merged() -> None:
    x = T.dscalar("x")
    c = T.exp(T.constant(0.0)) * 3.0
    f = function([x], (x + c) * (x + c), mode="FAST_RUN")
    (node,) = f.fgraph.apply_nodes
    consts = [i for i in node.inputs if isinstance(i, T.Constant)]
    assert len(consts) == 1 and consts[0].tag.rewritten


def test_fused_node_keeps_the_runtime_broadcast_error() -> None:
    x, y = T.dvectors("x", "y")
    f = function([x, y], T.tanh(x) * y + 1, mode="FAST_RUN")
    assert any(isinstance(n.op, FusedElemwise) for n in f.fgraph.apply_nodes)
    with pytest.raises(ValueError, match="broadcasts only when"):
        f(np.ones(1), np.ones(3))


def test_rewriting_work_is_linear_in_graph_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: rewriter calls and replacements grow like the graph."""
    from refimpl.modes.rewrites.engine import NodeRewriter

    counts = {"calls": 0}
    original = NodeRewriter.__call__

    def counting(self: NodeRewriter, ctx: Any, node: Any) -> Any:
        counts["calls"] += 1
        return original(self, ctx, node)

    monkeypatch.setattr(NodeRewriter, "__call__", counting)
    work = []
    for n in (40, 120):
        x = T.dvector("x")
        z = x
        for _ in range(n):
            z = T.tanh(z * 1.0001 + 0.5)
        counts["calls"] = 0
        fg = Recording([x], [z.sum(), grad(z.sum(), x)])
        FAST_RUN.rewrite(fg)
        work.append((counts["calls"], len(fg.reasons)))
    (c1, r1), (c2, r2) = work
    assert c2 <= 3.3 * c1 and r2 <= 3.3 * r1, work


def test_complex_inputs_skip_real_only_rewrites() -> None:
    z = T.zvector("z")
    f = function([z], T.log(1 + T.exp(z)) + T.log(T.exp(z)), mode="FAST_RUN")
    g = function([z], T.log(1 + T.exp(z)) + T.log(T.exp(z)), mode="FAST_COMPILE")
    v = np.array([0.5 + 1j, -1.0 - 0.5j])
    np.testing.assert_allclose(to_numpy(f(v)), to_numpy(g(v)), rtol=1e-12)


def test_a_failing_rewriter_is_skipped_with_a_warning() -> None:
    from refimpl.modes.rewrites.engine import RewriteWarning, node_rewriter, walk

    @node_rewriter("exp")
    def broken(ctx: Any, node: Any) -> Any:
        raise RuntimeError("boom")

    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x) * 2])
    with pytest.warns(RewriteWarning, match="broken"):
        assert walk(fg, (broken,), "test") == 0
    assert len(fg.apply_nodes) == 3  # exp, the constant's DimShuffle, mul: unchanged


def test_rewrites_on_array_api_strict() -> None:
    pytest.importorskip("array_api_strict")
    x, w = T.dmatrix("x"), T.dmatrix("w")
    out = T.log(1 + T.exp(T.dot(x, w))) * 2 + x.shape[0]
    f = function([x, w], out, mode="FAST_RUN", backend="array_api_strict")
    g = function([x, w], out, mode="FAST_COMPILE")
    xv, wv = np.ones((2, 3)), np.full((3, 2), -0.5)
    np.testing.assert_allclose(to_numpy(f(xv, wv)), to_numpy(g(xv, wv)), rtol=1e-12)


# --------------------------------------------------------------------------- every OpSpec


def _blame(xs: list[Any], outs: list[Any], values: Sequence[Any], ok: Callable[[Any], bool]) -> str:
    """The FAST_RUN pass whose exclusion repairs a mismatch, with the rewrites
    it made on this graph (for the failure message)."""
    fg = Recording(xs, outs)
    FAST_RUN.rewrite(fg)
    for name in dict.fromkeys(p.name for p in FAST_RUN.passes):
        try:
            mode = FAST_RUN.excluding(name)
            res = function(xs, outs, mode=mode, on_unused_input="ignore")(*values)
        except Exception:  # only looking for the culprit
            continue
        if ok(res):
            made = sorted({r for r in fg.reasons if r.split(":")[0] == name})
            return f"{name} (its rewrites here: {made})"
    return "(no single pass)"


def _agree(a: Sequence[Any], b: Sequence[Any]) -> bool:
    for u, v in zip(a, b):
        u, v = np.asarray(to_numpy(u)), np.asarray(to_numpy(v))
        tol = 10 * _tol(u.dtype)
        if u.shape != v.shape or u.dtype != v.dtype:
            return False
        if not np.allclose(u, v, rtol=tol, atol=tol, equal_nan=True):
            return False
    return True


def _check_modes(xs: list[Any], outs: list[Any], values: Sequence[Any], what: str) -> None:
    try:
        ref = function(xs, outs, mode="FAST_COMPILE", on_unused_input="ignore")(*values)
    except Exception as exc:  # the op rejects these inputs in both modes
        with pytest.raises(type(exc)):
            function(xs, outs, mode="FAST_RUN", on_unused_input="ignore")(*values)
        return
    got = function(xs, outs, mode="FAST_RUN", on_unused_input="ignore")(*values)
    if not _agree(ref, got):
        culprit = _blame(xs, outs, values, lambda r: _agree(ref, r))
        pytest.fail(f"{what}: FAST_RUN differs from FAST_COMPILE; the rewrite pass is {culprit}")


SPECS = registry.all_specs()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_opspec_same_in_fast_run(spec: Any) -> None:
    import random

    rnd = random.Random(1234)
    case = draw_case(spec, random_draw_int(rnd))
    xs, ys = build(spec, case.dtypes, case.static_shapes, case.params)
    _check_modes(xs, ys, case.values, f"{spec.name} value ({case.describe()})")
    combos = ad_combos(spec)
    if not spec.grad or not combos:
        return
    case = draw_case(spec, random_draw_int(rnd), purpose="grad", combos=combos)
    xs, ys = build(spec, case.dtypes, case.static_shapes, case.params)
    fys = [y for y in ys if kind(y.dtype) == "f"]
    diff = [xs[i] for i in differentiable_args(spec, case.dtypes)]
    if not fys or not diff:
        return
    ws = [TensorType(y.dtype, y.type.shape)(f"w{k}") for k, y in enumerate(fys)]
    cost = sum((y * w).sum() for y, w in zip(fys, ws))
    gs = grad(cost, diff, disconnected_inputs="ignore")
    fwd = function(xs, fys, mode="FAST_COMPILE", on_unused_input="ignore")(*case.values)
    rng = np.random.default_rng(case.seed)
    wv = [rng.uniform(0.5, 1.5, np.shape(to_numpy(v))).astype(ws[k].dtype)
          for k, v in enumerate(fwd)]  # fmt: skip
    _check_modes(xs + ws, gs, [*case.values, *wv], f"{spec.name} gradient ({case.describe()})")
