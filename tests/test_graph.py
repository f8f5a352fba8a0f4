"""The graph: variables, Apply, traversal, cloning and FunctionGraph."""

from __future__ import annotations

import pytest

import refimpl
import refimpl.tensor as T
from refimpl.graph.basic import Apply, Constant, ancestors, clone_graph, graph_inputs, io_toposort
from refimpl.graph.fg import FunctionGraph, MissingInputError


def test_owner_index_and_inputs() -> None:
    x, y = T.dscalars("x", "y")
    z = x + y
    assert isinstance(z.owner, Apply)
    assert z.owner.inputs == [x, y] and z.owner.outputs == [z] and z.index == 0
    assert x.owner is None


def test_constants_are_constant_variables() -> None:
    x = T.dscalar("x")
    z = x + 2.0
    c = z.owner.inputs[1]  # type: ignore[union-attr]
    assert isinstance(c, Constant) and isinstance(c, T.TensorVariable)
    assert float(c.data) == 2.0 and c.dtype == "float64"


def test_variables_compare_by_identity() -> None:
    x = T.dscalar("x")
    y = T.dscalar("x")
    assert x != y and x == x
    assert len({x, y}) == 2


def test_variable_has_no_truth_value_and_no_unknown_len() -> None:
    x = T.dvector("x")
    with pytest.raises(TypeError, match="truth value"):
        bool(x)
    with pytest.raises(TypeError, match="not known statically"):
        len(x)


def test_ancestors_graph_inputs_toposort() -> None:
    x, y = T.dscalars("x", "y")
    a = x * y
    b = T.exp(a) + x
    assert set(graph_inputs([b])) >= {x, y}
    assert a in ancestors([b])
    order = io_toposort([x, y], [b])
    assert order.index(a.owner) < order.index(b.owner)  # type: ignore[arg-type]
    assert refimpl.graph_inputs([b]) == graph_inputs([b])


def test_clone_replace() -> None:
    x, y, z = T.dscalars("x", "y", "z")
    e = x * y + x
    e2 = refimpl.clone_replace(e, {x: z})
    assert z in graph_inputs([e2]) and x not in graph_inputs([e2])
    assert x in graph_inputs([e])  # the original is untouched
    f = refimpl.function([z, y], e2)
    assert float(f(2.0, 3.0)) == 8.0


def test_clone_replace_type_mismatch_names_variables() -> None:
    x = T.dscalar("x")
    v = T.dvector("v")
    with pytest.raises(TypeError, match="cannot replace x"):
        refimpl.clone_replace(x * 2, {x: v})


def test_clone_graph_rebuilds_through_make_node_when_types_change() -> None:
    x = T.fscalar("x")
    e = x * 2.0
    (e2,), _ = clone_graph([e], {x: T.fscalar("x2")})
    assert e2.dtype == "float32"


def test_function_graph_clients_and_replace() -> None:
    x, y = T.dscalars("x", "y")
    a = x + y
    out = a * a
    fg = FunctionGraph([x, y], [out])
    fx, _fy = fg.inputs
    (_o,) = fg.outputs
    assert fx is not x  # cloned
    (mul_node,) = [n for n in fg.apply_nodes if n.op.name == "Elemwise{mul,no_inplace}"]
    (a2,) = {id(i): i for i in mul_node.inputs}.values()
    assert len(fg.clients[a2]) == 2
    new = fx * 3.0
    fg.replace(a2, new, "test")
    assert all(i is new for i in mul_node.inputs)
    assert a2 not in fg.variables
    assert len(fg.toposort()) == 2


def test_function_graph_replace_refuses_other_type() -> None:
    x = T.dscalar("x")
    fg = FunctionGraph([x], [x * 2.0])
    with pytest.raises(TypeError, match="cannot become"):
        fg.replace(fg.outputs[0], T.dvector("v"))


def test_function_graph_missing_input() -> None:
    x, y = T.dscalars("x", "y")
    with pytest.raises(MissingInputError, match="y"):
        FunctionGraph([x], [x + y])
