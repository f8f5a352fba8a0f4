"""DebugMode: each error raised by a planted bug, naming the node; the
options, tolerances and registry; DebugMode on the seeds' programmes that
need it (003-21b, 001-05 with grad). spec/debugmode.md is the contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import config, function, grad, shared
from refimpl.backend import BackendError
from refimpl.graph.basic import Apply, Op, ShapeInferenceError
from refimpl.modes.debug import (
    DEBUG_MODE,
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    BackendMismatch,
    DebugMode,
    DebugModeError,
    ImplMismatch,
    InputMutation,
    NonFiniteError,
    RewriteMismatch,
    ShapeMismatch,
    TypeMismatch,
    impls_for,
    register_impl,
    registered_impls,
    unregister_impl,
)
from refimpl.modes.mode import FAST_COMPILE, FAST_RUN, GraphPass, Mode, get_mode
from refimpl.modes.rewrites import node_rewriter, walk
from refimpl.types import TensorType
from refimpl.variable import as_tensor_variable

# --------------------------------------------------------------------------- planted ops


@dataclass(frozen=True)
class Doubler(Op):
    """``2 * x``, with a bug chosen by ``bug``: ``dtype`` (declares float32,
    returns the input's dtype), ``mutate`` (zeroes its input), ``shape``
    (infer_shape one too long), ``shape_raises`` (infer_shape raises),
    ``strict`` (adds 1 on array_api_strict), ``tuple`` (returns a bare array)."""

    bug: str = ""
    no_grad_reason = "a test op"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        dtype = "float32" if self.bug == "dtype" else x.dtype
        return Apply(self, [x], [TensorType(dtype, x.type.shape)()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> Any:
        (x,) = inputs
        out = xp.multiply(x, 2)
        if self.bug == "mutate":
            x[...] = 0
        if self.bug == "strict" and array_api_compat.is_array_api_strict_namespace(xp):
            out = out + 1
        return out if self.bug == "tuple" else (out,)

    def infer_shape(self, node: Apply, shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.bug == "shape":
            return [tuple(s + 1 for s in shapes[0])]
        if self.bug == "shape_raises":
            raise RuntimeError("planted infer_shape bug")
        if self.bug == "no_shape":
            raise ShapeInferenceError("this op cannot infer shapes")
        return [shapes[0]]


@pytest.fixture
def float64() -> Iterator[None]:
    old = config.floatX
    config.floatX = "float64"
    try:
        yield
    finally:
        config.floatX = old


def _raises(err: type[DebugModeError], fn: Any, *args: Any) -> DebugModeError:
    with pytest.raises(err) as info:
        fn(*args)
    return info.value


VEC = np.array([1.0, 2.0, 3.0])


def _np(value: Any) -> Any:
    return refimpl.backend.to_numpy(value)


# --------------------------------------------------------------------------- the mode


def test_mode_name_and_default_instance() -> None:
    assert get_mode("DebugMode") is DEBUG_MODE
    assert isinstance(DEBUG_MODE, Mode) and str(DEBUG_MODE) == "DebugMode"
    assert DEBUG_MODE.passes == FAST_RUN.passes
    assert DebugMode() == DEBUG_MODE and hash(DebugMode()) == hash(DEBUG_MODE)
    assert DebugMode(check_isfinite=False) != DEBUG_MODE
    assert "check_isfinite=False" in repr(DebugMode(check_isfinite=False))
    custom = DebugMode(base_mode="FAST_COMPILE")
    assert custom.base_mode is FAST_COMPILE and custom.passes == ()
    assert DebugMode(base_mode=custom).base_mode is FAST_COMPILE
    fewer = DEBUG_MODE.excluding("fusion")
    assert isinstance(fewer, DebugMode)
    assert "fusion" not in [p.name for p in fewer.passes]


def test_function_accepts_name_instance_and_config(float64: None) -> None:
    x = T.dvector("x")
    for mode in ("DebugMode", DebugMode(), DebugMode(check_rewrites=False)):
        f = function([x], T.exp(x) * 2 + x, mode=mode)
        np.testing.assert_allclose(f(VEC), np.exp(VEC) * 2 + VEC)
    old = config.mode
    try:
        config.mode = "DebugMode"
        assert function([x], x * 2).mode is DEBUG_MODE
        np.testing.assert_allclose((x + 1).eval({x: VEC}), VEC + 1)
    finally:
        config.mode = old


def test_bad_options() -> None:
    with pytest.raises(BackendError, match="check_backends"):
        DebugMode(check_backends=("no_such_backend",))
    with pytest.raises(ValueError, match="rtol"):
        DebugMode(rtol=-1.0)
    with pytest.raises(TypeError, match="base_mode"):
        DebugMode(base_mode=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backend names"):
        DebugMode(check_backends=(1,))  # type: ignore[arg-type]


def test_backend_not_installed_is_a_backend_error() -> None:
    try:
        refimpl.resolve_backend("cupy")
    except BackendError:
        with pytest.raises(BackendError, match="cupy"):
            DebugMode(check_backends="cupy")
    else:  # pragma: no cover - a machine with cupy
        pytest.skip("cupy is installed")


def test_error_classes_are_public() -> None:
    for err in (NonFiniteError, RewriteMismatch, ImplMismatch, BackendMismatch, TypeMismatch,
                ShapeMismatch, InputMutation):  # fmt: skip
        assert issubclass(err, DebugModeError)
        assert getattr(refimpl, err.__name__) is err
    assert refimpl.DebugMode is DebugMode and refimpl.register_impl is register_impl


def test_default_tolerances() -> None:
    assert DEFAULT_RTOL["float64"] == 1e-7 and DEFAULT_ATOL["float64"] == 1e-12
    assert DEFAULT_RTOL["float32"] == 1e-4 and DEFAULT_ATOL["float32"] == 1e-5
    assert DEFAULT_RTOL["float16"] == 1e-2 and DEFAULT_ATOL["float16"] == 1e-2
    assert DebugMode(rtol=1e-3).tolerance.of("float64") == (1e-3, 1e-12)
    assert DebugMode().tolerance.of("int32") == (0.0, 0.0)


# --------------------------------------------------------------------------- NonFiniteError


def test_003_21b_divide_by_zero_raises(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], 10 / x, mode="DebugMode")
    np.testing.assert_allclose(f([5]), [2.0])
    err = _raises(NonFiniteError, f, [0])
    assert "true_div" in str(err.op) and "inf" in str(err)
    assert err.node is not None and err.input_name is None  # type: ignore[attr-defined]
    assert "Elemwise{true_div,no_inplace} [id A]" in str(err)  # the debugprint
    np.testing.assert_allclose(f([7]), [10 / 7])
    fast = function([x], 10 / x)
    with np.errstate(divide="ignore"):
        assert np.isinf(fast([0])[0])


def test_nan_mid_graph_names_the_first_node(float64: None) -> None:
    x, y = T.dvectors("x", "y")
    out = T.sum(T.sqrt(x - 2.0) * y + T.exp(y))
    f = function([x, y], out, mode="DebugMode")
    err = _raises(NonFiniteError, f, VEC, VEC)
    assert isinstance(err, NonFiniteError)
    assert err.graph == "un-rewritten" and "sqrt" in str(err.op)
    assert "nan" in str(err).lower() and "sub-graph" in str(err)


def test_nan_in_gradient_graph(float64: None) -> None:
    x = T.dvector("x")
    cost = T.sum(T.sqrt(x))
    f = function([x], grad(cost, x), mode="DebugMode")
    np.testing.assert_allclose(f(VEC), 0.5 / np.sqrt(VEC))
    err = _raises(NonFiniteError, f, np.array([0.0, 1.0]))
    assert err.node is not None and "inf" in str(err)


def test_nonfinite_input_is_named(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], T.isnan(x), mode="DebugMode")
    err = _raises(NonFiniteError, f, np.array([1.0, np.nan]))
    assert isinstance(err, NonFiniteError)
    assert err.input_name == "x" and err.node is None and "given by the caller" in str(err)
    g = function([x], T.isnan(x), mode=DebugMode(check_isfinite=False))
    np.testing.assert_array_equal(g(np.array([1.0, np.nan])), [False, True])


def test_tagged_variable_may_be_nonfinite(float64: None) -> None:
    x = T.dvector("x")
    inv = 1.0 / x
    inv.tag.nonfinite_ok = True
    f = function([x], T.exp(-T.abs(inv)), mode="DebugMode")
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), [0.0, np.exp(-1.0)])


def test_failing_call_changes_no_shared_variable(float64: None) -> None:
    w = shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    f = function([x], T.log(x) * w, updates=[(w, w + 1)], mode="DebugMode")
    f(np.array([1.0, 2.0]))
    np.testing.assert_allclose(w.get_value(), [2.0, 3.0])
    _raises(NonFiniteError, f, np.array([-1.0, 2.0]))
    np.testing.assert_allclose(w.get_value(), [2.0, 3.0])


def test_stabilised_graph_passes_where_the_naive_one_overflows(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], T.log(1 + T.exp(x)), mode="DebugMode")
    np.testing.assert_allclose(f(np.array([-1.0, 800.0])), [np.log1p(np.exp(-1.0)), 800.0])


# --------------------------------------------------------------------------- RewriteMismatch


@node_rewriter("exp")
def exp_to_expm1(ctx: Any, node: Apply) -> Any:
    """exp(x) -> expm1(x): a deliberately wrong rewrite."""
    return [T.expm1(node.inputs[0])]


BAD_PASS = GraphPass("bad_exp", lambda fg: walk(fg, [exp_to_expm1], "bad_exp"))


def test_wrong_rewrite_is_named(float64: None) -> None:
    base = Mode("FAST_RUN+bad", (BAD_PASS, *FAST_RUN.passes))
    x = T.dvector("x")
    f = function([x], T.sum(T.exp(x) * 2 + x), mode=DebugMode(base_mode=base))
    err = _raises(RewriteMismatch, f, VEC)
    assert isinstance(err, RewriteMismatch)
    assert err.rewrite == "bad_exp:exp_to_expm1" and err.reasons == ("bad_exp:exp_to_expm1",)
    assert err.node is not None and "expm1" in str(err.op)
    assert err.reference is not None and "exp" in str(err.reference.owner.op)
    assert "max |diff| 1" in str(err) and "un-rewritten sub-graph" in str(err)
    plain = function([x], T.sum(T.exp(x) * 2 + x), mode=base)  # the bug goes unnoticed
    assert _np(plain(VEC)) != pytest.approx(float(np.sum(np.exp(VEC) * 2 + VEC)))


def test_wrong_rewrite_on_an_output(float64: None) -> None:
    base = Mode("only-bad", (BAD_PASS,))
    x = T.dvector("x")
    f = function([x], T.exp(x), mode=DebugMode(base_mode=base))
    err = _raises(RewriteMismatch, f, VEC)
    assert err.rewrite == "bad_exp:exp_to_expm1"  # type: ignore[attr-defined]
    assert DebugMode(base_mode=base, check_rewrites=False) is not None
    g = function([x], T.exp(x), mode=DebugMode(base_mode=base, check_rewrites=False))
    np.testing.assert_allclose(g(VEC), np.expm1(VEC))


def test_unrecorded_rewrite_is_caught_at_the_outputs(float64: None) -> None:
    def sneaky(fg: Any) -> None:  # edits the graph without leaving a record
        saved, fg.history = fg.history, None
        try:
            walk(fg, [exp_to_expm1], "sneaky")
        finally:
            fg.history = saved

    base = Mode("sneaky", (GraphPass("sneaky", sneaky),))
    x = T.dvector("x")
    f = function([x], [x * 2, T.exp(x)], mode=DebugMode(base_mode=base))
    err = _raises(RewriteMismatch, f, VEC)
    assert err.reasons == () and "exp" in str(err.reference)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- ImplMismatch


def test_wrong_registered_impl(float64: None) -> None:
    x = T.dvector("x")
    y = T.exp(x)
    op = y.owner.op

    def sloppy_exp(xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (xp.exp(inputs[0]) * (1 + 1e-6),)

    record = register_impl(op, sloppy_exp, name="sloppy")
    try:
        assert record in impls_for(op, "numpy")
        f = function([x], y, mode="DebugMode")
        err = _raises(ImplMismatch, f, VEC)
        assert isinstance(err, ImplMismatch)
        assert err.impl == "sloppy" and err.node is not None and "exp" in str(err.op)
        assert "max rel diff" in str(err)
        loose = function([x], y, mode=DebugMode(rtol=1e-5))
        np.testing.assert_allclose(loose(VEC), np.exp(VEC))
        other = function([x], y, mode=DebugMode(check_impls=False))
        np.testing.assert_allclose(other(VEC), np.exp(VEC))
    finally:
        unregister_impl(record)
    assert record not in impls_for(op, "numpy")


def test_impl_registered_for_a_class_and_backend(float64: None) -> None:
    calls: list[str] = []

    def spy(xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        calls.append(str(node.op))
        return Doubler().perform(xp, node, inputs)

    record = register_impl(Doubler, spy, name="spy", backends="array_api_strict")
    try:
        x = T.dvector("x")
        function([x], Doubler()(x), mode="DebugMode", backend="numpy")(VEC)
        assert calls == []  # registered for array_api_strict only
        f = function([x], Doubler()(x), mode="DebugMode", backend="array_api_strict")
        np.testing.assert_allclose(_np(f(VEC)), 2 * VEC)
        assert calls and all(c == "Doubler" for c in calls)
    finally:
        unregister_impl(record)


def test_impl_that_raises_or_mutates(float64: None) -> None:
    def broken(xp: Any, node: Apply, inputs: Sequence[Any]) -> Any:
        raise RuntimeError("kernel crashed")

    def mutating(xp: Any, node: Apply, inputs: Sequence[Any]) -> Any:
        inputs[0][...] = 0
        return (xp.multiply(inputs[0], 2),)

    x = T.dvector("x")
    for impl, err in ((broken, ImplMismatch), (mutating, InputMutation)):
        record = register_impl(Doubler, impl, name="planted")
        try:
            f = function([x], Doubler()(x), mode="DebugMode")
            e = _raises(err, f, VEC)
            assert "planted" in str(e)
        finally:
            unregister_impl(record)


def test_fast_executor_kernels_are_checked(float64: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from refimpl.modes.fast_executor import FastExecutor

    x, y = T.dvectors("x", "y")
    out = T.exp(x) * y + x
    builtin = {r.target for r in registered_impls() if r.name == "fast_executor"}
    assert {"Elemwise", "FusedElemwise"} <= {getattr(t, "__name__", "") for t in builtin}
    original = FastExecutor.run
    monkeypatch.setattr(FastExecutor, "run", lambda self, ins: [o + 1 for o in original(self, ins)])
    f = function([x, y], out, mode="DebugMode")
    err = _raises(ImplMismatch, f, VEC, VEC)
    assert err.impl == "fast_executor"  # type: ignore[attr-defined]


def test_register_impl_errors() -> None:
    def impl(xp: Any, node: Apply, inputs: Sequence[Any]) -> Any:
        return inputs

    with pytest.raises(TypeError, match="Op"):
        register_impl(42, impl)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        register_impl(Doubler, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown backends"):
        register_impl(Doubler, impl, backends=("nope",))
    record = register_impl(Doubler, impl, name="dup")
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_impl(Doubler, impl, name="dup")
    finally:
        unregister_impl(record)
    with pytest.raises(ValueError, match="not registered"):
        unregister_impl(record)


# --------------------------------------------------------------------------- the other checks


def test_input_mutation(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], Doubler("mutate")(x), mode="DebugMode")
    value = VEC.copy()
    err = _raises(InputMutation, f, value)
    assert isinstance(err, InputMutation)
    assert err.input_index == 0 and "Doubler" in str(err.op) and "destroy_map" in str(err)
    np.testing.assert_allclose(value, VEC)  # DebugMode ran the op on a copy
    quiet = function([x], Doubler("mutate")(x), mode=DebugMode(check_inplace=False))
    np.testing.assert_allclose(quiet(VEC.copy()), 2 * VEC)


@dataclass(frozen=True)
class Destroyer(Doubler):
    """``2 * x`` computed in the input's buffer (declared in destroy_map)."""

    destroy_map = {0: (0,)}  # noqa: RUF012

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> Any:
        (x,) = inputs
        x *= 2
        return (x,)


def test_declared_destroy_is_allowed_where_legal(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], Destroyer()(T.exp(x)), mode="DebugMode", backend="numpy")
    np.testing.assert_allclose(f(VEC), 2 * np.exp(VEC))
    m = T.dmatrix("m")
    g = function([m], T.dot(m, m) * 2 + 1, mode="DebugMode")  # FAST_RUN's inplace pass
    assert any(n.op.destroy_map for n in g.fgraph.apply_nodes)
    np.testing.assert_allclose(_np(g(np.eye(2))), 2 * np.eye(2) + 1)


def test_illegal_destroy_is_an_input_mutation(float64: None) -> None:
    x = T.dvector("x")
    with pytest.raises(InputMutation, match="input of the function"):
        function([x], Destroyer()(x), mode="DebugMode")
    z = T.exp(x)
    with pytest.raises(InputMutation, match="read afterwards"):
        function([x], [Destroyer()(z) + z], mode=DebugMode(base_mode="FAST_COMPILE"))
    function([x], Destroyer()(x), mode=DebugMode(check_inplace=False))


def test_wrong_infer_shape(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], Doubler("shape")(x), mode="DebugMode")
    err = _raises(ShapeMismatch, f, VEC)
    assert "(4,)" in str(err) and "(3,)" in str(err) and "Doubler" in str(err.op)
    g = function([x], Doubler("shape_raises")(x), mode="DebugMode")
    assert "planted infer_shape bug" in str(_raises(ShapeMismatch, g, VEC))
    h = function([x], Doubler("no_shape")(x), mode="DebugMode")  # skipped, not an error
    np.testing.assert_allclose(h(VEC), 2 * VEC)
    k = function([x], Doubler("shape")(x), mode=DebugMode(check_shapes=False))
    np.testing.assert_allclose(k(VEC), 2 * VEC)


def test_wrong_declared_dtype(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], Doubler("dtype")(x), mode="DebugMode")
    err = _raises(TypeMismatch, f, VEC)
    assert "float32" in str(err) and "float64" in str(err) and err.node is not None
    g = function([x], Doubler("tuple")(x), mode="DebugMode")
    assert "tuple" in str(_raises(TypeMismatch, g, VEC))


def test_wrong_input_type_with_trust_input(float64: None) -> None:
    x = T.dvector("x")
    f = function([x], x * 2, mode="DebugMode", trust_input=True)
    err = _raises(TypeMismatch, f, np.ones((2, 2)))
    assert "input 0 (x)" in str(err)


def test_backend_mismatch(float64: None) -> None:
    x = T.dvector("x")
    mode = DebugMode(check_backends=("array_api_strict",))
    f = function([x], T.exp(Doubler("strict")(x)), mode=mode, backend="numpy")
    err = _raises(BackendMismatch, f, VEC)
    assert isinstance(err, BackendMismatch)
    assert err.backend == "array_api_strict" and "Doubler" in str(err.op)
    assert "on numpy" in str(err) and "on array_api_strict" in str(err)
    good = function([x], T.exp(Doubler()(x)) + x, mode=mode, backend="numpy")
    np.testing.assert_allclose(good(VEC), np.exp(2 * VEC) + VEC)


def test_runs_on_array_api_strict(float64: None) -> None:
    x, y = T.dvectors("x", "y")
    f = function([x, y], [T.exp(x) * y + x, T.sum(x * y)], mode="DebugMode",
                 backend="array_api_strict")  # fmt: skip
    a, b = f(VEC, VEC)
    np.testing.assert_allclose(_np(a), np.exp(VEC) * VEC + VEC)
    np.testing.assert_allclose(_np(b), VEC @ VEC)


# --------------------------------------------------------------------------- seed 001-05


@pytest.mark.parametrize("scale", [0.01, 1.0])
def test_001_05_logistic_regression_train_step(float64: None, scale: float) -> None:
    """The L2 logistic-regression train step with grad and updates (PyTensor's
    DebugMode cannot run it on NumPy 2). ``scale=1`` is the seed's own
    initialisation: the graph as written overflows (log(1 - h) = -inf) and
    FAST_RUN's stabilisation does not; DebugMode accepts that."""
    rng = np.random.RandomState(0)
    n, feats = 60, 50
    data = (rng.randn(n, feats), rng.randint(0, 2, n).astype("float64"))
    x, y = T.dmatrix("x"), T.dvector("y")
    w = shared(rng.randn(feats) * scale, name="w")
    b = shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = grad(cost, [w, b])
    updates = ((w, w - 0.1 * gw), (b, b - 0.1 * gb))
    w0, b0 = w.get_value(), b.get_value()
    costs = {}
    for mode in ("DebugMode", "FAST_RUN"):
        w.set_value(w0)
        b.set_value(b0)
        train = function([x, y], [p_1 > 0.5, xent.mean()], updates=updates, mode=mode)
        costs[mode] = [float(train(*data)[1]) for _ in range(4)]
    assert costs["DebugMode"][-1] < costs["DebugMode"][0]
    np.testing.assert_allclose(costs["DebugMode"], costs["FAST_RUN"], rtol=1e-12)
