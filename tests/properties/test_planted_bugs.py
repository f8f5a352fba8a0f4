"""The suite catches bugs: deliberately wrong user-written Ops, each checked
with a local spec list passed to the runner (never the global registry),
must be reported failed, naming the op and the check — and a correct twin
must pass.

Planted: a sigmoid whose derivative is s(1+s) instead of s(1-s); a wrong
R_op; a wrong infer_shape; an op that mutates its input; a scatter-add that
is last-write-wins instead of accumulating; a wrong declared dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import refimpl.tensor as T
from refimpl.graph.basic import Apply, Op
from refimpl.opspec import Arg, OpSpec, same_shapes
from refimpl.testing import Report, check_backend
from refimpl.types import TensorType
from refimpl.variable import as_tensor_variable

NDArray = np.ndarray[Any, Any]


def _sigmoid_np(x: NDArray) -> NDArray:
    return 1 / (1 + np.exp(-x))


@dataclass(frozen=True)
class Sigmoid(Op):
    """sigmoid; ``wrong_grad`` plants d/dx = s(1+s), ``wrong_rop`` a tangent of 2 s(1-s) v."""

    wrong_grad: bool = False
    wrong_rop: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.dtype not in ("float32", "float64"):
            raise TypeError(f"Sigmoid: {x} has dtype {x.dtype}, expected float32/float64")
        return Apply(self, [x], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        (x,) = inputs
        return (1 / (1 + xp.exp(-x)),)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> list[Any]:
        return [input_shapes[0]]

    def L_op(self, inputs: Sequence[Any], outputs: Sequence[Any], grads: Sequence[Any]) -> Any:
        s = outputs[0]
        return [grads[0] * s * (1 + s if self.wrong_grad else 1 - s)]

    def R_op(self, inputs: Sequence[Any], eval_points: Sequence[Any]) -> Any:
        s = self(inputs[0])
        v = eval_points[0]
        return [None if v is None else v * s * (1 - s) * (2 if self.wrong_rop else 1)]


@dataclass(frozen=True)
class Double(Op):
    """2x; ``wrong_shape`` plants infer_shape = shape + 1 on axis 0,
    ``mutate`` overwrites the input, ``wrong_dtype`` declares float32 but
    returns float64."""

    wrong_shape: bool = False
    mutate: bool = False
    wrong_dtype: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.dtype not in ("float32", "float64"):
            raise TypeError(f"Double: {x} has dtype {x.dtype}, expected float32/float64")
        out = TensorType("float32", x.type.shape) if self.wrong_dtype else x.type
        return Apply(self, [x], [out()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        (x,) = inputs
        out = x * 2
        if self.wrong_dtype:
            out = xp.astype(out, xp.float64)
        if self.mutate:
            x[...] = 0
        return (out,)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> list[Any]:
        (shp,) = input_shapes
        if self.wrong_shape and shp:
            return [(shp[0] + 1, *shp[1:])]
        return [shp]

    def L_op(self, inputs: Sequence[Any], outputs: Sequence[Any], grads: Sequence[Any]) -> Any:
        g = grads[0] * 2
        return [T.cast(g, inputs[0].dtype) if g.dtype != inputs[0].dtype else g]

    def R_op(self, inputs: Sequence[Any], eval_points: Sequence[Any]) -> Any:
        v = eval_points[0]
        return [None if v is None else T.cast(v * 2, self(inputs[0]).dtype)]


@dataclass(frozen=True)
class ScatterAdd(Op):
    """``x`` with ``y[j]`` added at rows ``idx[j]``; ``last_write_wins`` plants
    ``out[idx] = x[idx] + y`` (repeated indices keep only one addition)."""

    last_write_wins: bool = False
    no_grad_reason = "planted-bug test op"

    def make_node(self, x: Any, y: Any, idx: Any) -> Apply:
        x, y, idx = (as_tensor_variable(a) for a in (x, y, idx))
        if x.dtype != "float64" or y.dtype != "float64" or idx.dtype != "int64":
            raise TypeError("ScatterAdd: expected float64 x, y and int64 idx")
        return Apply(self, [x, y, idx], [x.type()])

    def perform(self, xp: Any, node: Apply, inputs: Sequence[Any]) -> tuple[Any, ...]:
        x, y, idx = (np.asarray(a) for a in inputs)  # numpy-only test op
        out = x.copy()
        if self.last_write_wins:
            out[idx] = x[idx] + y
        else:
            np.add.at(out, idx, y)
        return (out,)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> list[Any]:
        return [input_shapes[0]]


def _scatter_inputs(rng: Any, shapes: Any, params: Any) -> tuple[NDArray, ...]:
    n, m = shapes[0][0], shapes[1][0]
    idx = np.concatenate([[0, 0], rng.integers(0, n, size=m - 2)])  # a repeated index
    assert shapes[2] == (m,)
    return rng.uniform(-3, 3, n), rng.uniform(-3, 3, m), idx.astype(np.int64)


def _scatter_shapes(draw: Any) -> tuple[tuple[int, ...], ...]:
    m = draw(3, 5)
    return ((draw(2, 4),), (m,), (m,))


def _ref_scatter(x: NDArray, y: NDArray, idx: NDArray) -> NDArray:
    out = x.copy()
    np.add.at(out, idx, y)
    return out


def _sigmoid_spec(name: str, op: Op) -> OpSpec:
    return OpSpec(name, op, _sigmoid_np, (Arg("x"),), same_shapes(1), op_classes=(Sigmoid,))


def _double_spec(name: str, op: Op) -> OpSpec:
    return OpSpec(name, op, lambda x: 2 * x, (Arg("x"),), same_shapes(1, min_dims=1),
                  op_classes=(Double,), poly_degree=1)  # fmt: skip


def _scatter_spec(name: str, op: Op) -> OpSpec:
    idx = Arg("idx", ("int64",), differentiable=False)
    args = (Arg("x", ("float64",)), Arg("y", ("float64",)), idx)
    return OpSpec(
        name, op, _ref_scatter, args, _scatter_shapes,
        op_classes=(ScatterAdd,), make_inputs=_scatter_inputs, grad=False, rop=False,
    )  # fmt: skip


PLANTED: list[tuple[OpSpec, set[str]]] = [
    (_sigmoid_spec("sigmoid_wrong_grad", Sigmoid(wrong_grad=True)), {"lop", "grad", "adjoint"}),
    (
        _sigmoid_spec("sigmoid_wrong_rop", Sigmoid(wrong_rop=True)),
        {"rop", "adjoint", "rop_via_lop"},
    ),
    (_double_spec("double_wrong_infer_shape", Double(wrong_shape=True)), {"infer_shape"}),
    (_double_spec("double_mutates_input", Double(mutate=True)), {"no_mutation"}),
    (_scatter_spec("scatter_add_last_write_wins", ScatterAdd(last_write_wins=True)), {"value"}),
    (_double_spec("double_wrong_dtype", Double(wrong_dtype=True)), {"dtype"}),
]
CORRECT: list[OpSpec] = [
    _sigmoid_spec("sigmoid", Sigmoid()),
    _double_spec("double", Double()),
    _scatter_spec("scatter_add", ScatterAdd()),
]


@pytest.fixture(scope="module")
def report() -> Report:
    specs = [s for s, _ in PLANTED] + CORRECT
    return check_backend("numpy", max_examples=3, seed=0, specs=specs)


@pytest.mark.parametrize("spec,expected", PLANTED, ids=[s.name for s, _ in PLANTED])
def test_planted_bug_is_reported(report: Report, spec: OpSpec, expected: set[str]) -> None:
    failed = {o.check for o in report.outcomes if o.op == spec.name and o.status == "failed"}
    missing = expected - failed
    assert not missing, f"{spec.name}: checks {sorted(missing)} did not fail (failed: {failed})"
    for check in expected:
        message = report.get(spec.name, check).message
        assert f"{spec.name}::{check}" in message, message


@pytest.mark.parametrize("spec", CORRECT, ids=[s.name for s in CORRECT])
def test_correct_twin_passes(report: Report, spec: OpSpec) -> None:
    bad = [o for o in report.outcomes if o.op == spec.name and o.failing]
    assert not bad, "\n\n".join(f"{o.check}: {o.message}" for o in bad)


def test_wrong_grad_message_has_the_evidence(report: Report) -> None:
    msg = report.get("sigmoid_wrong_grad", "lop").message
    for needle in ("dtypes=", "shapes=", "seed=", "<w, FD(v)>", "bound", "h=", "worst entry"):
        assert needle in msg, f"{needle!r} missing from:\n{msg}"
    rop = report.get("sigmoid_wrong_rop", "rop").message
    for needle in ("Rop (AD)", "FD =", "D(h)=", "D(h/2)=", "R=", "h=", "bound"):
        assert needle in rop, f"{needle!r} missing from:\n{rop}"


def test_report_is_json_serialisable(report: Report) -> None:
    import json

    data = json.loads(report.to_json())
    assert data["backend"] == "numpy" and not data["ok"]
    assert {"op", "check", "group", "status", "worst", "message"} <= set(data["outcomes"][0])
