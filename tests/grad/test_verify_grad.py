"""verify_grad and the finite-difference primitives (spec/grad.md, "verify_grad")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl.grad import GradientError, numeric_gradient, numeric_jvp, verify_grad
from refimpl.grad.verify import DEFAULT_SEED, JVPEstimate
from refimpl.graph.basic import Apply, Op


@dataclass(frozen=True)
class Square(Op):
    """x**2 with a derivative ``factor * x`` (2.0 is right; anything else is
    a planted bug)."""

    factor: float = 2.0

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (inputs[0] * inputs[0],)

    def L_op(self, inputs: Any, outputs: Any, output_grads: Any) -> Any:
        return [output_grads[0] * self.factor * inputs[0]]

    def R_op(self, inputs: Any, eval_points: Any) -> Any:
        return [eval_points[0] * self.factor * inputs[0]]


@dataclass(frozen=True)
class WrongAt(Op):
    """exp(x) whose gradient is wrong at one flat position only."""

    position: int

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        return (xp.exp(inputs[0]),)

    def L_op(self, inputs: Any, outputs: Any, output_grads: Any) -> Any:
        (x,) = inputs
        n = int(np.prod([s for s in x.type.shape]))
        bump = np.ones(n)
        bump[self.position] = 1.01
        mask = T.constant(bump.reshape(x.type.shape))
        return [output_grads[0] * outputs[0] * mask]


def test_passes_on_correct_gradients() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(-1.0, 1.0, (4,))
    verify_grad(lambda x: T.exp(x) * x, [np.array([0.1, 0.5, 1.0])])
    verify_grad(lambda x, y: T.log(x) * y / (1.0 + T.exp(-y)), [a, b])
    verify_grad(lambda x: T.sum(x * x, axis=0), [a])
    verify_grad(lambda x: Square()(x), [b], n_tests=3)
    verify_grad(lambda x: T.dot(x, x.T) if hasattr(T, "dot") else x * x, [a[:2]])


def test_passes_with_several_outputs_and_a_scalar_output() -> None:
    x0 = np.array([0.3, 0.7])
    verify_grad(lambda x: [T.exp(x), T.sum(x * x)], [x0])
    verify_grad(lambda x: T.sum(T.log(x)), [x0])


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_catches_a_planted_wrong_derivative(backend: str) -> None:
    x0 = np.array([0.4, -1.3, 2.2])
    verify_grad(lambda x: Square(2.0)(x), [x0], backend=backend)
    with pytest.raises(GradientError) as info:
        verify_grad(lambda x: Square(2.01)(x), [x0], backend=backend)
    err = info.value
    assert err.arg == 0 and err.seed == DEFAULT_SEED
    assert abs(err.analytic - err.numeric) > err.bound
    assert err.position is not None
    # the worst element is where |2.01 x - 2 x| * |u| is largest: a real element
    assert 0 <= err.position[0] < 3
    text = str(err)
    assert "argument 0" in text and f"seed: {DEFAULT_SEED}" in text and "worst element" in text


def test_reports_the_wrong_position() -> None:
    x0 = np.linspace(-0.5, 0.5, 6).reshape(2, 3)
    with pytest.raises(GradientError) as info:
        verify_grad(
            lambda x: WrongAt(4)(T.specify_shape(x, (2, 3))),
            [x0],
        )
    assert info.value.position == (1, 1)


def test_catches_the_bug_in_float32() -> None:
    x0 = np.array([0.4, -1.3, 2.2], dtype=np.float32)
    verify_grad(lambda x: Square(2.0)(x) * 3.0, [x0])
    with pytest.raises(GradientError, match="float32"):
        verify_grad(lambda x: Square(2.01)(x), [x0])


def test_reports_the_argument_index() -> None:
    a, b = np.array([0.5, 1.5]), np.array([2.0, -1.0])
    with pytest.raises(GradientError) as info:
        verify_grad(lambda x, y: T.exp(x) * Square(1.9)(y), [a, b])
    assert info.value.arg == 1


def test_rng_and_seed_are_recorded_and_reproducible() -> None:
    x0 = np.array([0.4, -1.3, 2.2])

    def failing(rng: Any) -> GradientError:
        with pytest.raises(GradientError) as info:
            verify_grad(lambda x: Square(2.01)(x), [x0], rng=rng)
        return info.value

    a, b = failing(123), failing(123)
    assert a.seed == 123 and (a.analytic, a.numeric) == (b.analytic, b.numeric)
    c = failing(np.random.default_rng(5))
    assert c.seed is None and "caller-supplied" in str(c)
    d = failing(np.random.RandomState(7))
    assert isinstance(d.seed, int)
    with pytest.raises(TypeError, match="rng"):
        verify_grad(lambda x: x * 2.0, [x0], rng="seed")


def test_user_tolerances_follow_theano() -> None:
    x0 = np.array([0.4, -1.3, 2.2])
    # a 0.5% error passes a 1% relative tolerance, fails the adaptive bound
    verify_grad(lambda x: Square(2.01)(x), [x0], rel_tol=1e-2, abs_tol=1e-9)
    with pytest.raises(GradientError):
        verify_grad(lambda x: Square(2.01)(x), [x0], rel_tol=1e-4, abs_tol=1e-9)
    verify_grad(lambda x: Square(2.01)(x), [x0], abs_tol=10.0)


def test_eps_sets_the_initial_step() -> None:
    verify_grad(lambda x: T.exp(x), [np.array([0.1, 0.2])], eps=1e-4)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_bad_points_raise() -> None:
    with pytest.raises(TypeError, match=r"points\[0\] has dtype int64"):
        verify_grad(lambda x: x * 2, [np.array([1, 2])])
    with pytest.raises(TypeError, match="list of arrays"):
        verify_grad(lambda x: x * 2, np.array([1.0, 2.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not finite"):
        verify_grad(lambda x: T.log(x), [np.array([0.0, 1.0])])
    with pytest.raises(ValueError, match="n_tests"):
        verify_grad(lambda x: x * 2.0, [np.array([1.0])], n_tests=0)
    with pytest.raises(TypeError, match="symbolic tensors"):
        verify_grad(lambda x: 3.0, [np.array([1.0])])


def test_is_reachable_as_refimpl_grad_verify_grad() -> None:
    refimpl.grad.verify_grad(lambda x: T.exp(x), [np.array([0.5])])


# --------------------------------------------------------------------------- FD primitives


def test_numeric_jvp_is_accurate_and_unpacks() -> None:
    x = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -0.25])
    est = numeric_jvp(np.tanh, x, v)
    R, Tr, Q = est
    exact = (1 - np.tanh(x) ** 2) * v
    assert isinstance(est, JVPEstimate) and est.h == 1e-3
    assert np.all(np.abs(R - exact) <= 2 * (Tr + Q) + 1e-12)
    assert np.max(np.abs(R - exact)) < 1e-10
    assert np.all(np.abs(R - exact) <= est.bound(exact))


def test_numeric_jvp_several_arguments_and_outputs() -> None:
    def f(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> list[Any]:
        return [a * b, np.sum(np.exp(a))]

    a, b = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    va, vb = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    R, _, _ = numeric_jvp(f, [a, b], [va, vb])
    np.testing.assert_allclose(R, [b[0] * 1.0, a[1] * 1.0, np.exp(0.5)], rtol=1e-10)
    with pytest.raises(ValueError, match="same structure"):
        numeric_jvp(f, [a, b], [va])


def test_numeric_jvp_shrinks_the_step_near_a_singularity() -> None:
    x = np.array([2e-3])
    est = numeric_jvp(np.log, x, np.array([1.0]))
    assert est.h < 1e-3
    assert abs(est.R[0] - 1 / x[0]) <= 2 * (est.T[0] + est.Q) + 1e-9


def test_numeric_gradient_elementwise() -> None:
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    u = np.array([1.0, -1.0, 2.0, 0.5])
    g, bound = numeric_gradient(lambda a: np.exp(a), [x], u, 0)
    np.testing.assert_allclose(g, np.exp(x) * u.reshape(2, 2), rtol=1e-10)
    assert g.shape == bound.shape == (2, 2)
