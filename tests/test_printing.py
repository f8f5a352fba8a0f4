"""pp, debugprint and pydotprint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import refimpl
import refimpl.tensor as T
from refimpl.printing import GraphvizUnavailableError, debugprint, pp, pydotprint


def test_pp_infix_and_constants() -> None:
    x, y = T.dscalars("x", "y")
    e = (x + y) * T.exp(x) - 2.5
    assert pp(e) == "(((x + y) * exp(x)) - TensorConstant{2.5})"
    assert pp(e, constants="value") == "(((x + y) * exp(x)) - 2.5)"
    assert pp(-x) == "(-x)"


def test_pp_of_folded_constants_prints_values() -> None:
    x = T.dscalar("x")
    f = refimpl.function([x], x * T.exp(T.constant(1.0)), mode="FAST_RUN")
    assert pp(f.fgraph.outputs[0]) == "(x * 2.718281828459045)"


def test_pp_rejects_non_variables() -> None:
    with pytest.raises(TypeError, match="symbolic variable"):
        pp(3)


def test_debugprint_tree_ids_and_shared_subgraphs() -> None:
    x, y = T.dscalars("x", "y")
    a = x + y
    e = a * a
    buf = io.StringIO()
    text = debugprint(e, file=buf)
    assert buf.getvalue() == text + "\n"
    assert text.splitlines() == [
        "Elemwise{mul,no_inplace} [id A] ''",
        " |Elemwise{add,no_inplace} [id B] ''",
        " | |x [id C]",
        " | |y [id D]",
        " |Elemwise{add,no_inplace} [id B] ''",
    ]


def test_debugprint_of_function_and_types() -> None:
    x = T.dvector("x")
    f = refimpl.function([x], T.exp(x))
    text = debugprint(f, file="str", print_type=True)
    assert "Elemwise{exp,no_inplace}" in text and "TensorType(float64, vector)" in text
    with pytest.raises(TypeError, match="cannot print"):
        debugprint(42, file="str")


def test_pydotprint_writes_dot_or_explains(tmp_path: Path) -> None:
    x, y = T.dscalars("x", "y")
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(GraphvizUnavailableError, match=r"refimpl\[viz\]"):
            pydotprint(x + y, tmp_path / "g.dot", format="dot")
        return
    out = pydotprint(x + y, tmp_path / "g.dot", format="dot")
    text = Path(out).read_text()
    assert "Elemwise{add,no_inplace}" in text and "digraph" in text
