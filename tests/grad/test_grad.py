"""The gradient engine: grad, Lop, Rop, jacobian, hessian and the gradient
control ops (spec/grad.md). Seeds first, then the contract, then errors."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from helpers import np_
from hypothesis import given
from hypothesis import strategies as st

import refimpl
import refimpl.tensor as T
from refimpl import Lop, Rop, function, grad, shared
from refimpl.grad import (
    Disconnected,
    DisconnectedInputError,
    InvalidGradientError,
    NullGradError,
    Rop_via_Lop,
    RopNotImplementedError,
    disconnected_grad,
    grad_clip,
    hessian,
    hessian_vector_product,
    jacobian,
    zero_grad,
)
from refimpl.graph.basic import Apply, NullGrad, Op
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

BACKENDS = ["numpy", "array_api_strict"]


def ev(outputs: Any, inputs: Sequence[Any], values: Sequence[Any], backend: str = "numpy") -> Any:
    f = function(list(inputs), outputs, backend=backend, on_unused_input="ignore")
    out = f(*values)
    return [np_(o) for o in out] if isinstance(out, list) else np_(out)


def vec(name: str, n: int, dtype: str = "float64") -> TensorVariable:
    return TensorType(dtype, (n,))(name)


def square(x: TensorVariable) -> TensorVariable:
    pow_ = getattr(T, "pow", None)
    return x**2 if pow_ is not None else x * x


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_grad_of_square_at_4_is_8(backend: str) -> None:
    x = T.dscalar("x")
    gy = grad(square(x), x)
    assert gy.type == x.type
    assert float(ev(gy, [x], [4.0], backend)) == 8.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_grad_of_logistic_sum(backend: str) -> None:
    x = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = grad(s, x)
    xv = np.array([[0.0, 1.0], [-1.0, -2.0]])
    sig = 1 / (1 + np.exp(-xv))
    np.testing.assert_allclose(ev(gs, [x], [xv], backend), sig * (1 - sig), rtol=1e-14)
    np.testing.assert_allclose(
        sig * (1 - sig), [[0.25, 0.19661193], [0.19661193, 0.10499359]], rtol=1e-7
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_jacobian_of_affine_map_is_A(backend: str) -> None:
    A = T.dmatrix("A")
    x, b = vec("x", 3), vec("b", 2)
    y = T.dot(A, x) + b
    J = jacobian(y, x)
    Av = np.array([[9.0, 8, 7], [4, 5, 6]])
    f = function([A, x, b], J, backend=backend)  # every input counts as used, as in Theano
    np.testing.assert_array_equal(np_(f(Av, [1.0, 2, 3], [4.0, 5])), Av)


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_rop_of_dot(backend: str) -> None:
    W, V = T.dmatrices("W", "V")
    x = T.dvector("x")
    JV = Rop(T.dot(x, W), W, V)
    assert JV.type == T.dot(x, W).type
    # compiled as the seed writes it: W must count as used (Theano's zero
    # tangent for graph inputs keeps it in the graph)
    f = function([W, V, x], JV, backend=backend)
    np.testing.assert_array_equal(np_(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1])), [2, 2])
    np.testing.assert_array_equal(np_(f([[1, 2], [3, 4]], [[5, 6], [7, 8]], [0, 1])), [7, 8])


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_hessian_vector_products_agree(backend: str) -> None:
    x, v = T.dvectors("x", "v")
    y = T.sum(square(x))
    gy = grad(y, x)
    Hv = Rop(gy, x, v)
    vH = grad(T.sum(gy * v), x)
    xs, vs = [4.0, 4.0], [2.0, 3.0]
    np.testing.assert_array_equal(ev(Hv, [x, v], [xs, vs], backend), [4.0, 6.0])
    np.testing.assert_array_equal(ev(vH, [x, v], [xs, vs], backend), [4.0, 6.0])
    for method in ("lop", "rop"):
        hv = hessian_vector_product(y, x, v, method=method)
        np.testing.assert_array_equal(ev(hv, [x, v], [xs, vs], backend), [4.0, 6.0])


def test_gradient_graphs_refer_to_every_input_of_the_cost() -> None:
    a, x = T.dvectors("a", "x")
    g = grad(T.dot(a, x), x)  # = a, but x stays in the graph (seed fill(cost, 1))
    np.testing.assert_array_equal(np_(function([a, x], g)([1.0, 2.0], [3.0, 4.0])), [1, 2])


def test_seed_grad_wrt_plain_input() -> None:
    x = T.dvector("x")
    c = T.sum(x * x * x)
    np.testing.assert_array_equal(grad(c, x).eval({x: np.array([1.0, 2.0])}), [3.0, 12.0])


def _logreg_numpy(X: Any, y: Any, w: Any, b: float, steps: int) -> tuple[Any, float, list[float]]:
    costs = []
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w - b))
        xent = -y * np.log(p) - (1 - y) * np.log(1 - p)
        costs.append(float(xent.mean() + 0.01 * np.sum(w**2)))
        gw = X.T @ (p - y) / len(y) + 0.02 * w
        gb = float(np.mean(p - y))
        w, b = w - 0.1 * gw, b - 0.1 * gb
    return w, b, costs


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_logistic_regression_matches_numpy(backend: str) -> None:
    rng = np.random.RandomState(0)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(0, 2, N).astype(np.float64))
    w0 = 0.01 * rng.randn(feats)
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = shared(w0.copy(), name="w"), shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = T.mean(xent) + 0.01 * T.sum(square(w))
    gw, gb = grad(cost, [w, b])
    assert gw.type == w.type and gb.type == b.type
    train = function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], backend=backend)
    costs = [float(np_(train(D[0], D[1]))) for _ in range(10)]
    w_ref, b_ref, c_ref = _logreg_numpy(D[0], D[1], w0.copy(), 0.0, 10)
    np.testing.assert_allclose(costs, c_ref, rtol=1e-8)
    np.testing.assert_allclose(np_(w.get_value()), w_ref, rtol=1e-8, atol=1e-12)
    assert abs(float(np_(b.get_value())) - b_ref) <= 1e-8 * max(1.0, abs(b_ref))


# --------------------------------------------------------------------------- structure


def test_grad_returns_the_structure_of_wrt() -> None:
    x, y = T.dscalars("x", "y")
    c = x * y
    g = grad(c, x)
    assert isinstance(g, TensorVariable)
    gl = grad(c, [x, y])
    assert isinstance(gl, list) and len(gl) == 2
    gt = grad(c, (x, y))
    assert isinstance(gt, list)
    np.testing.assert_array_equal(ev(gl, [x, y], [2.0, 3.0]), [3.0, 2.0])


def test_grad_accumulates_over_several_paths() -> None:
    x = T.dvector("x")
    a = T.exp(x)
    c = T.sum(a * a + a * x)
    xv = np.array([0.3, -0.2])
    expected = 2 * np.exp(2 * xv) + np.exp(xv) * (1 + xv)
    np.testing.assert_allclose(ev(grad(c, x), [x], [xv]), expected, rtol=1e-14)


def test_grad_with_respect_to_an_intermediate_variable() -> None:
    x = T.dvector("x")
    h = T.exp(x)
    c = T.sum(h * x)
    gh, gx = grad(c, [h, x])
    xv = np.array([0.5, 1.5])
    np.testing.assert_allclose(ev(gh, [x], [xv]), xv)
    np.testing.assert_allclose(ev(gx, [x], [xv]), np.exp(xv) * xv + np.exp(xv))


def test_broadcast_inputs_get_gradients_of_their_own_shape() -> None:
    x = T.dmatrix("x")
    r = TensorType("float64", (1, None))("r")
    c = T.sum(x * r)
    gr = grad(c, r)
    assert gr.type.shape == (1, None) or gr.ndim == 2
    xv = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ev(gr, [x, r], [xv, np.ones((1, 3))]), xv.sum(0, keepdims=True))


def test_float32_graph_gets_float32_gradients() -> None:
    x = T.fvector("x")
    c = T.sum(T.exp(x) * 2.5)
    g = grad(c, x)
    assert g.dtype == "float32"
    out = ev(g, [x], [np.array([0.0, 1.0], dtype=np.float32)])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 2.5 * np.exp([0.0, 1.0]), rtol=1e-6)


# --------------------------------------------------------------------------- disconnected


def test_disconnected_input_raises_naming_it() -> None:
    x, y = T.dscalars("x", "y")
    with pytest.raises(DisconnectedInputError, match=r"^grad: y \(wrt\[1\]"):
        grad(x * 2.0, [x, y])


def test_disconnected_input_warn_and_ignore_give_zeros() -> None:
    x, y = T.dvectors("x", "y")
    c = T.sum(x)
    with pytest.warns(UserWarning, match="y .* is disconnected from cost"):
        gy = grad(c, y, disconnected_inputs="warn")
    np.testing.assert_array_equal(ev(gy, [y], [[1.0, 2.0, 3.0]]), [0.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gy = grad(c, y, disconnected_inputs="ignore")
    assert gy.type == y.type


def test_return_disconnected_variants() -> None:
    x, y = T.dscalars("x", "y")
    assert grad(x * 2.0, y, disconnected_inputs="ignore", return_disconnected="None") is None
    d = grad(x * 2.0, y, disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(d, Disconnected) and d.wrt == "y"


def test_disconnected_grad_cuts_the_path() -> None:
    x = T.dvector("x")
    c = T.sum(disconnected_grad(x) * 3.0)
    with pytest.raises(DisconnectedInputError):
        grad(c, x)
    c2 = T.sum(disconnected_grad(x) * x)
    xv = np.array([1.0, -2.0])
    np.testing.assert_array_equal(ev(grad(c2, x), [x], [xv]), xv)
    np.testing.assert_array_equal(ev(disconnected_grad(x), [x], [xv]), xv)


def test_zero_grad_keeps_the_input_connected() -> None:
    x = T.dvector("x")
    g = grad(T.sum(zero_grad(x) * 3.0), x)
    np.testing.assert_array_equal(ev(g, [x], [[1.0, 2.0]]), [0.0, 0.0])
    g2 = grad(T.sum(zero_grad(x) * x), x)
    np.testing.assert_array_equal(ev(g2, [x], [[1.0, 2.0]]), [1.0, 2.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_grad_clip_clips_the_gradient_only(backend: str) -> None:
    x = T.dvector("x")
    y = grad_clip(x, -1.0, 0.5)
    g = grad(T.sum(y * T.constant(np.array([-3.0, 0.2, 4.0]))), x)
    xv = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ev(y, [x], [xv], backend), xv)
    np.testing.assert_array_equal(ev(g, [x], [xv], backend), [-1.0, 0.2, 0.5])
    v = T.dvector("v")
    np.testing.assert_array_equal(ev(Rop(y, x, v), [x, v], [xv, [1.0, 2, 3]], backend), [1, 2, 3])


def test_grad_clip_errors() -> None:
    x = T.dvector("x")
    with pytest.raises(ValueError, match="lower_bound"):
        grad_clip(x, 1.0, -1.0)
    with pytest.raises(TypeError, match="upper_bound"):
        grad_clip(x, -1.0, "a")  # type: ignore[arg-type]


def test_gradient_control_ops_infer_shape_and_types() -> None:
    x = T.dmatrix("x")
    for y in (zero_grad(x), disconnected_grad(x), grad_clip(x, -1, 1)):
        assert y.type == x.type
        (shape,) = y.owner.op.infer_shape(y.owner, [(T.shape_i(x, 0), T.shape_i(x, 1))])
        out = ev(list(shape), [x], [np.zeros((2, 5))])
        assert [int(s) for s in out] == [2, 5]


# --------------------------------------------------------------------------- integers


def test_integer_wrt_gets_float_zeros() -> None:
    x = T.dvector("x")
    i = T.lvector("i")
    c = T.sum(x * T.cast(i, "float64"))
    gi, gx = grad(c, [i, x])
    assert gi.dtype == refimpl.config.floatX
    out = ev([gi, gx], [x, i], [[1.0, 2.0], [3, 4]])
    np.testing.assert_array_equal(out[0], [0.0, 0.0])
    np.testing.assert_array_equal(out[1], [3.0, 4.0])


def test_integer_valued_paths_contribute_zero() -> None:
    x = T.dvector("x")
    c = T.sum(T.cast(T.cast(x, "int64"), "float64")) + T.sum(x)
    np.testing.assert_array_equal(ev(grad(c, x), [x], [[1.5, 2.5]]), [1.0, 1.0])
    ci = T.sum(T.cast(x, "int64"))  # an integer cost: connected, zero gradient
    np.testing.assert_array_equal(ev(grad(ci, x), [x], [[1.5, 2.5]]), [0.0, 0.0])


# --------------------------------------------------------------------------- NullGrad


@dataclass(frozen=True)
class NoGrad(Op):
    """y = 2x, declared non-differentiable (a test op)."""

    no_grad_reason = "planted: no derivative here"
    no_rop_reason = "planted: no R_op here"

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (inputs[0] * 2,)


def test_null_grad_on_the_path_raises_naming_op_and_input() -> None:
    x = T.dvector("x")
    c = T.sum(NoGrad()(T.exp(x)))
    with pytest.raises(NullGradError, match=r"NoGrad has no gradient for its input 0") as info:
        grad(c, x)
    assert "planted: no derivative here" in str(info.value)
    assert info.value.op == "NoGrad" and info.value.input_index == 0


def test_null_grad_off_the_path_is_harmless() -> None:
    x, y = T.dvectors("x", "y")
    c = T.sum(NoGrad()(y)) + T.sum(x * x)
    np.testing.assert_array_equal(ev(grad(c, x), [x, y], [[1.0, 2.0], [0.0]]), [2.0, 4.0])


def test_null_gradients_return() -> None:
    x = T.dvector("x")
    g = grad(T.sum(NoGrad()(x) + x), x, null_gradients="return")
    assert isinstance(g, NullGrad) and g.op == "NoGrad"


def test_rop_of_an_op_without_r_op_names_it() -> None:
    x, v = T.dvectors("x", "v")
    with pytest.raises(RopNotImplementedError, match="NoGrad.*planted: no R_op here"):
        Rop(T.exp(NoGrad()(x)), x, v)


# --------------------------------------------------------------------------- contract checks


@dataclass(frozen=True)
class BadGrad(Op):
    """identity whose L_op misbehaves in the way ``mode`` says (a test op)."""

    mode: str

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (inputs[0],)

    def L_op(self, inputs: Any, outputs: Any, output_grads: Any) -> Any:
        (gz,) = output_grads
        if self.mode == "count":
            return [gz, gz]
        if self.mode == "ndim":
            return [T.sum(gz)]
        if self.mode == "int":
            return [T.cast(gz, "int64")]
        if self.mode == "f64":
            return [T.cast(gz, "float64")]
        return [42]

    def R_op(self, inputs: Any, eval_points: Any) -> Any:
        if self.mode == "count":
            return [eval_points[0], eval_points[0]]
        return [T.sum(eval_points[0])]


@pytest.mark.parametrize(
    "mode, match",
    [("count", "2 gradients"), ("ndim", "0-d result"), ("int", "dtype int64"), ("obj", "int 42")],
)
def test_bad_l_op_results_raise_naming_the_op(mode: str, match: str) -> None:
    x = T.dvector("x")
    with pytest.raises(InvalidGradientError, match=f"BadGrad.*{match}"):
        grad(T.sum(BadGrad(mode)(x)), x)


def test_float_grads_of_another_precision_are_cast() -> None:
    x = T.fvector("x")
    g = grad(T.sum(BadGrad("f64")(x)), x)
    assert g.dtype == "float32"


@pytest.mark.parametrize("mode, match", [("count", "2 results"), ("ndim", "0-d result")])
def test_bad_r_op_results_raise(mode: str, match: str) -> None:
    x, v = T.dvectors("x", "v")
    with pytest.raises(InvalidGradientError, match=f"BadGrad.*{match}"):
        Rop(BadGrad(mode)(x), x, v)


@dataclass(frozen=True)
class TwoOut(Op):
    """(x, 3x): its L_op insists on never seeing a missing output gradient."""

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (inputs[0], inputs[0] * 3)

    def L_op(self, inputs: Any, outputs: Any, output_grads: Any) -> Any:
        assert all(isinstance(g, TensorVariable) for g in output_grads)
        return [output_grads[0] + 3.0 * output_grads[1]]

    def R_op(self, inputs: Any, eval_points: Any) -> Any:
        v = eval_points[0]
        return [v, 3.0 * v]


def test_missing_output_gradients_are_passed_as_zeros() -> None:
    x = T.dvector("x")
    a, b = TwoOut()(x)
    xv = [1.0, 2.0]
    np.testing.assert_array_equal(ev(grad(T.sum(b), x), [x], [xv]), [3.0, 3.0])
    np.testing.assert_array_equal(ev(grad(T.sum(a), x), [x], [xv]), [1.0, 1.0])
    v = T.dvector("v")
    np.testing.assert_array_equal(ev(Rop(b, x, v), [x, v], [xv, [1.0, -1.0]]), [3.0, -3.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_library_multi_output_ops(backend: str) -> None:
    x, v = T.dmatrices("x", "v")
    xv = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]])
    m, _ = T.max_and_argmax(x, axis=1)  # the integer output gets no gradient
    np.testing.assert_array_equal(ev(grad(T.sum(m), x), [x], [xv], backend), [[0, 1, 0], [0, 0, 1]])
    parts = T.split(x, [1, 2], 2, axis=1)  # only the second output is used
    np.testing.assert_array_equal(
        ev(grad(T.sum(parts[1] * 2.0), x), [x], [xv], backend), [[0, 2, 2], [0, 2, 2]]
    )
    vv = np.arange(6.0).reshape(2, 3)
    a = ev(Rop(parts[1], x, v), [x, v], [xv, vv], backend)
    b = ev(Rop_via_Lop(parts[1], x, v), [x, v], [xv, vv], backend)
    np.testing.assert_array_equal(a, vv[:, 1:])
    np.testing.assert_array_equal(b, vv[:, 1:])


# ---------------------------------------------------------------- consider_constant, known_grads


def test_consider_constant_stops_the_flow_through() -> None:
    x = T.dvector("x")
    y = x * 2.0
    c = T.sum(x * y)
    xv = np.array([1.0, 3.0])
    np.testing.assert_array_equal(ev(grad(c, x), [x], [xv]), 4 * xv)
    np.testing.assert_array_equal(ev(grad(c, x, consider_constant=[y]), [x], [xv]), 2 * xv)
    # the constant variable itself still receives its gradient
    np.testing.assert_array_equal(ev(grad(c, y, consider_constant=[y]), [x], [xv]), xv)
    with pytest.raises(DisconnectedInputError):
        grad(T.sum(y), x, consider_constant=[y])


def test_consider_constant_must_be_a_list_of_variables() -> None:
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="consider_constant"):
        grad(x * x, x, consider_constant=x)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"consider_constant\[0\]"):
        grad(x * x, x, consider_constant=[1.0])  # type: ignore[list-item]


def test_known_grads_without_cost_is_lop() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    gy = T.dvector("gy")
    g1 = grad(None, x, known_grads={y: gy})
    g2 = Lop(y, x, gy)
    xv, gv = np.array([0.1, 0.2]), np.array([2.0, -1.0])
    np.testing.assert_allclose(ev(g1, [x, gy], [xv, gv]), gv * np.exp(xv), rtol=1e-15)
    np.testing.assert_allclose(ev(g2, [x, gy], [xv, gv]), gv * np.exp(xv), rtol=1e-15)


def test_known_grads_override_the_cost_paths() -> None:
    x = T.dvector("x")
    y = x * 3.0
    c = T.sum(y * y)
    g = grad(c, x, known_grads={y: T.constant(np.array([1.0, 1.0]))})
    np.testing.assert_array_equal(ev(g, [x], [[1.0, 2.0]]), [3.0, 3.0])


def test_known_grads_type_is_checked() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    with pytest.raises(TypeError, match=r"known_grads\[.*2 dimensions"):
        grad(None, x, known_grads={y: T.dmatrix("g")})
    with pytest.raises(TypeError, match="known_grads key"):
        grad(None, x, known_grads={1.0: y})  # type: ignore[dict-item]


def test_lop_outputs_that_feed_each_other_add_up() -> None:
    x, u, w = T.dvectors("x", "u", "w")
    y = T.exp(x)
    z = y * 2.0
    g = Lop([y, z], x, [u, w])
    xv, uv, wv = np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    np.testing.assert_allclose(ev(g, [x, u, w], [xv, uv, wv]), (uv + 2 * wv) * np.exp(xv))
    # known_grads are totals instead: y's given gradient replaces z's contribution
    k = grad(None, x, known_grads={y: u, z: w})
    np.testing.assert_allclose(ev(k, [x, u, w], [xv, uv, wv]), uv * np.exp(xv))


def test_lop_structures_and_duplicate_outputs() -> None:
    x, u = T.dvectors("x", "u")
    y = T.exp(x)
    g = Lop([y, y], [x], [u, u])
    assert isinstance(g, list) and len(g) == 1
    xv, uv = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(ev(g[0], [x, u], [xv, uv]), 2 * uv * np.exp(xv))
    with pytest.raises(ValueError, match="must match"):
        Lop([y], x, u)
    with pytest.raises(TypeError, match="eval_points"):
        Lop(y, x, T.dmatrix("m"))


# --------------------------------------------------------------------------- Rop


def _rop_graphs() -> list[tuple[Any, list[Any], list[Any]]]:
    x, y = T.dvectors("x", "y")
    m = T.dmatrix("m")
    r = TensorType("float64", (1, None))("r")
    xv, yv = np.array([0.3, -0.7, 1.1]), np.array([1.5, 0.5, -0.4])
    mv = np.array([[0.2, 0.1, -0.3], [0.7, -0.5, 0.4]])
    return [
        (T.exp(x) * y, [x, y], [xv, yv]),
        (T.sum(T.log(x * x + 1.0)), [x], [xv]),
        (T.dot(m, T.exp(x)) / (1.0 + T.sum(x * x)), [m, x], [mv, xv]),
        (m * r, [m, r], [mv, np.array([[1.0, 2.0, 3.0]])]),
        (T.mean(T.exp(m) * r, axis=0), [m, r], [mv, np.array([[1.0, 2.0, 3.0]])]),
    ]


@pytest.mark.parametrize("k", range(5))
def test_rop_equals_rop_via_lop(k: int) -> None:
    f, wrt, vals = _rop_graphs()[k]
    rng = np.random.default_rng(k)
    vs = [TensorType(w.dtype, w.type.shape)(f"v{j}") for j, w in enumerate(wrt)]
    vvals = [rng.standard_normal(np.shape(a)) for a in vals]
    a = ev(Rop(f, wrt, vs), [*wrt, *vs], [*vals, *vvals])
    b = ev(Rop_via_Lop(f, wrt, vs), [*wrt, *vs], [*vals, *vvals])
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    # and both agree with a central difference
    fn = function(list(wrt), f)
    h = 1e-6
    plus = np_(fn(*[a_ + h * d for a_, d in zip(vals, vvals)]))
    minus = np_(fn(*[a_ - h * d for a_, d in zip(vals, vvals)]))
    np.testing.assert_allclose(a, (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


def test_rop_types_and_structure() -> None:
    x, v = T.fvectors("x", "v")
    out = Rop([T.exp(x), T.sum(x)], x, v)
    assert isinstance(out, list) and [o.type for o in out] == [T.exp(x).type, T.sum(x).type]
    with pytest.raises(TypeError, match="eval_points.*1 dimensions|eval_points"):
        Rop(T.exp(x), x, T.fmatrix("m"))
    with pytest.raises(ValueError, match="must match"):
        Rop(T.exp(x), [x], v)
    with pytest.raises(ValueError, match="more than once"):
        Rop(T.exp(x), [x, x], [v, v])


def test_rop_disconnected_outputs() -> None:
    x, y, v = T.dvectors("x", "y", "v")
    with pytest.raises(DisconnectedInputError, match=r"f\[0\]"):
        Rop(T.exp(y), x, v)
    z = Rop(T.exp(y), x, v, disconnected_outputs="ignore")
    np.testing.assert_array_equal(ev(z, [y], [[1.0, 2.0]]), [0.0, 0.0])
    assert Rop(T.exp(y), x, v, disconnected_outputs="ignore", return_disconnected="None") is None
    # connected but zero (through an integer-valued path): zeros, no error
    z2 = Rop(T.cast(T.cast(x, "int64"), "float64"), x, v)
    np.testing.assert_array_equal(ev(z2, [x, v], [[1.5, 2.5], [1.0, 1.0]]), [0.0, 0.0])


# --------------------------------------------------------------------------- jacobian, hessian


def test_jacobian_shapes_and_lists() -> None:
    x = vec("x", 3)
    m = TensorType("float64", (2, 2))("m")
    J = jacobian(T.exp(m) * T.sum(x), [x, m])
    assert J[0].type.shape == (2, 2, 3) and J[1].type.shape == (2, 2, 2, 2)
    xv, mv = np.array([0.1, 0.2, 0.3]), np.array([[0.0, 1.0], [2.0, 3.0]])
    jx, jm = ev(J, [x, m], [xv, mv])
    np.testing.assert_allclose(jx, np.exp(mv)[:, :, None] * np.ones(3), rtol=1e-15)
    np.testing.assert_allclose(
        jm, np.einsum("ij,kl->ijkl", np.exp(mv), np.ones((2, 2))) * np.eye(4).reshape(2, 2, 2, 2)
        * xv.sum(), rtol=1e-15,
    )  # fmt: skip


def test_jacobian_of_a_scalar_is_the_gradient() -> None:
    x = T.dvector("x")
    np.testing.assert_array_equal(ev(jacobian(T.sum(x * x), x), [x], [[1.0, 2.0]]), [2.0, 4.0])


def test_jacobian_of_unknown_and_static_lengths() -> None:
    x = T.dvector("x")
    J_scan = jacobian(T.exp(x), x)  # unknown length: built with scan
    np.testing.assert_allclose(ev(J_scan, [x], [[0.0, 1.0]]), np.diag(np.exp([0.0, 1.0])))
    J = jacobian(T.specify_shape(T.exp(x), (2,)), x)  # static length: one row per entry
    np.testing.assert_allclose(ev(J, [x], [[0.0, 1.0]]), np.diag(np.exp([0.0, 1.0])))
    with pytest.raises(TypeError, match="expression"):
        jacobian("x", x)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessian(backend: str) -> None:
    x = vec("x", 3)
    c = T.sum(x * x * x) + T.sum(x) * T.sum(x)
    H = hessian(c, x)
    xv = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(ev(H, [x], [xv], backend), np.diag(6 * xv) + 2.0, rtol=1e-15)
    # a gradient of unknown static shape (through a matrix of unknown shape)
    A = T.dmatrix("A")
    Ha = hessian(T.sum(T.exp(T.dot(A, x))), x)
    np.testing.assert_allclose(ev(Ha, [A, x], [np.eye(3), np.zeros(3)]), np.eye(3))
    # a cost linear in x has a zero Hessian, not a disconnected error
    np.testing.assert_array_equal(ev(hessian(T.sum(x * 2.0), x), [x], [xv]), np.zeros((3, 3)))


# --------------------------------------------------------------------------- errors and API


def test_cost_must_be_a_scalar() -> None:
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"cost .* must be a scalar"):
        grad(T.exp(x), x)
    with pytest.raises(TypeError, match="cost is None"):
        grad(None, x)
    with pytest.raises(TypeError, match=r"wrt\[1\]"):
        grad(T.sum(x), [x, 1.0])
    with pytest.raises(ValueError, match="disconnected_inputs"):
        grad(T.sum(x), x, disconnected_inputs="maybe")
    with pytest.raises(ValueError, match="return_disconnected"):
        grad(T.sum(x), x, return_disconnected="zeros")


def test_grad_is_the_function_and_the_package() -> None:
    import refimpl.grad.errors as errors_module
    from refimpl import grad as grad_fn

    assert grad_fn is refimpl.grad is T.grad
    assert refimpl.grad.verify_grad is refimpl.grad.verify.verify_grad
    assert refimpl.grad.jacobian is jacobian and refimpl.grad.Rop is Rop
    assert errors_module.GradientError is refimpl.grad.GradientError
    assert "cost" in (grad_fn.__doc__ or "")
    with pytest.raises(AttributeError):
        refimpl.grad.no_such_name  # noqa: B018


def test_registry_lists_the_gradient_control_ops() -> None:
    from refimpl.grad import ops
    from refimpl.registry import FAMILY_MODULES

    assert "refimpl.grad.ops" in FAMILY_MODULES
    covered = {c for spec in ops.SPECS for c in spec.op_classes}
    assert covered == {ops.ZeroGrad, ops.DisconnectedGrad, ops.GradClip}


# --------------------------------------------------------------------------- random graphs

_UNARY = {"tanh": lambda a: T.tanh(a), "sin": lambda a: T.sin(a), "sq": lambda a: a * a}
_BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}


@st.composite
def _programs(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    steps = []
    for k in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(_UNARY) + sorted(_BINARY)))
        a, b = draw(st.integers(0, k + 1)), draw(st.integers(0, k + 1))
        steps.append((name, a, b))
    return steps


def _build(steps: list[tuple[str, int, int]], x: Any, y: Any) -> Any:
    pool = [x, y]
    for name, a, b in steps:
        if name in _UNARY:
            pool.append(_UNARY[name](pool[a]))
        else:
            pool.append(_BINARY[name](pool[a], pool[b]))
    return pool[-1] + 0.0 * x  # keep x connected


@given(_programs(), st.integers(0, 2**16))
def test_random_graphs_grad_rop_lop_agree(steps: list[tuple[str, int, int]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    xv, yv = rng.uniform(-1.5, 1.5, 3), rng.uniform(-1.5, 1.5, (1, 3))
    refimpl.grad.verify_grad(lambda a, b: _build(steps, a, b), [xv, yv], rng=seed)
    x, u = T.dvectors("x", "u")
    y, v = TensorType("float64", (1, None))("y"), TensorType("float64", (1, None))("v")
    f = _build(steps, x, y)
    w = f.type("w")
    args = [xv, yv, rng.standard_normal(3), rng.standard_normal((1, 3))]
    rop, via = ev([Rop(f, [x, y], [u, v]), Rop_via_Lop(f, [x, y], [u, v])], [x, y, u, v], args)
    np.testing.assert_allclose(rop, via, rtol=1e-12, atol=1e-13)
    wv = rng.standard_normal(np.shape(rop))
    gx, gy = ev(Lop(f, [x, y], w, disconnected_inputs="ignore"), [x, y, w], [xv, yv, wv])
    lhs, rhs = np.sum(wv * rop), np.sum(gx * args[2]) + np.sum(gy * args[3])
    assert abs(lhs - rhs) <= 1e-12 * (np.sum(np.abs(wv * rop)) + 1.0)
