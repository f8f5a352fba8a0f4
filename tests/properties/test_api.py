"""The public checkers on users' own graphs and Ops, and the user guide's
example (docs/testing.md), run verbatim."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import refimpl.tensor as T
from refimpl.testing import ChecksFailed, check_grad, check_op, check_rop_lop, numeric_jvp

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_docs_example_runs_verbatim() -> None:
    """Every ```python block of docs/testing.md, in order, in one namespace."""
    text = DOCS.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    ns: dict[str, Any] = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"<docs/testing.md python block {k}>", "exec"), ns)


def test_check_grad_passes_and_catches_a_wrong_graph_derivative() -> None:
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    check_grad(lambda a: T.tanh(a) * a, [x])
    # zero_grad hides a path from the gradient: the derivative is wrong.
    from refimpl.grad import zero_grad

    with pytest.raises(ChecksFailed) as info:
        check_grad(lambda a: zero_grad(a) * a, [x])
    assert "grad" in str(info.value) and "<w, FD(v)>" in str(info.value)


def test_check_rop_lop_report() -> None:
    a = np.arange(6.0).reshape(2, 3) / 7
    b = np.linspace(0.5, 1.5, 3)
    report = check_rop_lop(lambda p, q: T.exp(p) * q, [a, b], n_tests=2)
    assert report.ok
    assert {o.check for o in report.outcomes} == {"rop", "lop", "adjoint", "linearity",
                                                   "rop_via_lop"}  # fmt: skip


def test_check_op_infers_a_spec_for_a_function() -> None:
    report = check_op(lambda a, b: T.exp(a) * b, max_examples=3,
                      groups=("value", "first_order", "second_order"))  # fmt: skip
    assert report.ok and "lambda" in report.ops()[0]


def test_check_op_without_raising_returns_the_failures() -> None:
    report = check_op(lambda a: a * 2, ref=lambda a: a * 3, max_examples=2,
                      groups=("value",), raise_on_failure=False, name="times_two")  # fmt: skip
    assert not report.ok
    assert report.get("times_two", "value").status == "failed"


def test_numeric_jvp_is_exact_for_quadratics_and_accurate_otherwise() -> None:
    x = [np.array([0.3, -1.2])]
    v = [np.array([0.6, 0.8])]
    quad = numeric_jvp(lambda xs: [xs[0] ** 2], x, v, poly_degree=2)
    assert quad.exact and np.allclose(quad.R, 2 * x[0] * v[0], rtol=0, atol=1e-15)
    smooth = numeric_jvp(lambda xs: [np.sin(xs[0])], x, v)
    assert np.max(np.abs(smooth.R - np.cos(x[0]) * v[0])) <= smooth.bound(smooth.R, rtol=0)
