"""function / shared / In / eval semantics (API.md "Functions")."""

from __future__ import annotations

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import In, function, shared
from tests.helpers import assert_close, np_


def test_scalar_add_returns_0d_array() -> None:
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y)
    out = f(4, 3)
    assert_close(out, 7.0)
    assert np_(out).shape == () and np_(out).dtype == np.float64


def test_in_defaults_and_names() -> None:
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    assert_close(f(33), 68.0)
    assert_close(f(33, 2), 70.0)
    assert_close(f(33, 0, 1), 33.0)
    assert_close(f(33, w_by_name=1), 34.0)
    assert_close(f(33, w_by_name=1, y=0), 33.0)
    with pytest.raises(TypeError, match="no input named 'nope'"):
        f(1, nope=2)
    with pytest.raises(TypeError, match="given twice"):
        f(1, 2, y=3)
    with pytest.raises(TypeError, match="missing input 0"):
        f()
    with pytest.raises(TypeError, match="takes 3 arguments"):
        f(1, 2, 3, 4)


def test_outputs_list_and_dict() -> None:
    x = T.dvector("x")
    f = function([x], [x * 2, x + 1])
    a, b = f([1.0, 2.0])
    assert_close(a, [2, 4])
    assert_close(b, [2, 3])
    g = function([x], {"double": x * 2, "inc": x + 1})
    out = g([1.0])
    assert set(out) == {"double", "inc"}
    assert_close(out["inc"], [2.0])


def test_eval() -> None:
    x, y = T.dscalars("x", "y")
    assert_close((x + y).eval({x: 1.5, y: 2.0}), 3.5)
    assert_close((x * 2).eval({x: 3.0}), 6.0)
    assert_close(T.constant(5.0).eval(), 5.0)


def test_shared_accumulator_and_set_value() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert int(np_(accumulator(1))) == 0
    assert int(np_(state.get_value())) == 1
    accumulator(300)
    assert int(np_(state.get_value())) == 301
    state.set_value(-1)
    accumulator(3)
    assert int(np_(state.get_value())) == 2


def test_updates_use_pre_call_values_and_are_atomic() -> None:
    a = shared(np.array([1.0, 2.0]), "a")
    b = shared(np.array([10.0, 20.0]), "b")
    f = function([], [a, b], updates={a: b, b: a})  # swap
    out_a, _out_b = f()
    assert_close(out_a, [1, 2])
    assert_close(a.get_value(), [10, 20])
    assert_close(b.get_value(), [1, 2])


def test_failing_call_changes_no_shared_variable() -> None:
    a = shared(np.array([1.0, 2.0]), "a")
    b = shared(np.array([5.0, 6.0]), "b")
    x = T.dvector("x")
    f = function([x], [], updates={a: a + 1, b: b + x})  # b + x fails for wrong length
    with pytest.raises(ValueError):
        f(np.ones(3))
    assert_close(a.get_value(), [1, 2])
    assert_close(b.get_value(), [5, 6])
    f(np.ones(2))
    assert_close(a.get_value(), [2, 3])


def test_givens() -> None:
    x, y = T.dscalars("x", "y")
    s = shared(2.0, "s")
    f = function([y], x * s, givens={x: y + 1})
    assert_close(f(3.0), 8.0)
    g = function([x], x * s, givens=[(s, T.constant(10.0))])
    assert_close(g(3.0), 30.0)
    with pytest.raises(TypeError, match="givens"):
        function([y], x * 2, givens={x: T.dvector("v")})


def test_unused_input_policies() -> None:
    x, y = T.dscalars("x", "y")
    with pytest.raises(refimpl.UnusedInputError, match="input y"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning, match="input y"):
        function([x, y], x * 2, on_unused_input="warn")
    f = function([x, y], x * 2, on_unused_input="ignore")
    assert_close(f(1.0, 5.0), 2.0)


def test_missing_input_names_the_variable() -> None:
    x, y = T.dscalars("x", "y")
    with pytest.raises(refimpl.MissingInputError, match="y"):
        function([x], x + y)


def test_wrong_dtype_lossy_cast_and_ndim_name_the_input() -> None:
    i = T.ivector("idx")
    f = function([i], i * 2)
    with pytest.raises(TypeError, match=r"input 0 \(idx\).*without loss"):
        f([1.5, 2.0])
    with pytest.raises(TypeError, match=r"input 0 \(idx\).*dtype int32.*float64"):
        f(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"input 0 \(idx\).*1-d.*got 2-d"):
        f([[1, 2]])
    x = T.fvector("x")
    g = function([x], x + 1)
    with pytest.raises(TypeError, match=r"\(x\).*float32, got float64"):
        g(np.array([1.0]))
    assert np_(g(np.array([1, 2], dtype=np.int8))).dtype == np.float32  # lossless cast accepted
    assert np_(g([1.5])).dtype == np.float32  # Python floats go to float32 (Theano allows this)


def test_static_shape_is_checked_on_input() -> None:
    x = T.TensorType("float64", (None, 3))("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError, match=r"shape \(2, 2\).*static shape \(\?, 3\)"):
        f(np.ones((2, 2)))


def test_shared_rejects_other_dtype_and_ndim() -> None:
    s = shared(np.zeros(3), "weights")
    with pytest.raises(TypeError, match="shared variable weights.*float64, got float32"):
        s.set_value(np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="shared variable weights.*1-d"):
        s.set_value(np.zeros((3, 3)))
    assert_close(s.get_value(), [0, 0, 0])
    s.set_value([1, 2, 3])  # Python values convert losslessly
    assert_close(s.get_value(), [1, 2, 3])


def test_shared_get_value_copies_unless_borrowed() -> None:
    data = np.zeros(2)
    s = shared(data)
    data[0] = 5
    assert float(np_(s.get_value())[0]) == 0.0
    v = s.get_value()
    v[1] = 7
    assert float(np_(s.get_value())[1]) == 0.0
    assert shared(data, borrow=True).get_value(borrow=True) is data


def test_update_type_must_match() -> None:
    s = shared(np.zeros(2), "s")
    with pytest.raises(TypeError, match=r"update of s .*cast it explicitly"):
        function([], [], updates={s: T.cast(s, "float32")})
    with pytest.raises(TypeError, match="not a shared variable"):
        function([], [], updates={T.dvector("v"): s})


def test_shared_variable_cannot_be_an_explicit_input() -> None:
    s = shared(1.0, "s")
    with pytest.raises(TypeError, match="implicit"):
        function([s], s * 2)


def test_outputs_do_not_alias_shared_storage() -> None:
    s = shared(np.array([1.0, 2.0]))
    f = function([], s)
    out = f()
    out[0] = 100.0
    assert_close(s.get_value(), [1, 2])


def test_copy_with_swap() -> None:
    state = shared(0, "state")
    inc = T.iscalar("inc")
    acc = function([inc], state, updates=[(state, state + inc)])
    new_state = shared(100, "new_state")
    acc2 = acc.copy(swap={state: new_state})
    acc2(5)
    assert int(np_(new_state.get_value())) == 105
    assert int(np_(state.get_value())) == 0
    with pytest.raises(TypeError, match="has type"):
        acc.copy(swap={state: shared(1.0)})


def test_unknown_mode_and_backend() -> None:
    x = T.dscalar("x")
    with pytest.raises(refimpl.UnknownModeError, match="FAST_WALK"):
        function([x], x, mode="FAST_WALK")
    with pytest.raises(refimpl.BackendError, match="unknown backend 'tensorflow'"):
        function([x], x, backend="tensorflow")


def test_modes_agree() -> None:
    x = T.dvector("x")
    e = T.exp(x * 2.0 + 1.0) - x / 3.0
    vals = np.array([0.5, -1.0, 2.0])
    a = function([x], e, mode="FAST_COMPILE")(vals)
    b = function([x], e, mode="FAST_RUN")(vals)
    assert_close(a, b, rtol=0)


def test_constant_folding_and_merge_in_fast_run() -> None:
    x = T.dscalar("x")
    c = T.exp(T.constant(0.0)) * 3.0  # all-constant sub-graph
    f = function([x], (x + c) * (x + c), mode="FAST_RUN")
    assert_close(f(1.0), 16.0)
    # the two (x + c) merged, the constant folded, the rest fused into one node
    (node,) = f.fgraph.apply_nodes
    assert [getattr(i, "data", None) for i in node.inputs] == [None, 3.0]


def test_error_inside_op_names_the_node() -> None:
    x, y = T.dvectors("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(3))
    assert any("Elemwise{add,no_inplace}" in n for n in getattr(info.value, "__notes__", []))


def test_trust_input_skips_conversion() -> None:
    x = T.dvector("x")
    f = function([x], x * 2, trust_input=True, backend="numpy")
    assert_close(f(np.array([1.0, 2.0])), [2, 4])


def test_outputs_that_view_inputs_or_shared_values_are_copied() -> None:
    s = shared(np.arange(6.0), "s")
    x = T.dmatrix("x")
    f = function([x], [x.T, s.reshape((2, 3))], backend="numpy")
    data = np.ones((2, 3))
    xt, sr = f(data)
    xt[0, 0] = 100.0
    sr[0, 0] = 100.0
    assert data[0, 0] == 1.0
    assert_close(s.get_value(), np.arange(6.0))


def test_update_values_never_share_memory() -> None:
    a = shared(np.zeros(2), "a")
    b = shared(np.zeros(2), "b")
    x = T.dvector("x")
    f = function([x], [], updates={a: x, b: x}, backend="numpy")
    data = np.array([1.0, 2.0])
    f(data)
    a.get_value(borrow=True)[0] = 50.0
    assert float(np_(b.get_value())[0]) == 1.0
    assert data[0] == 1.0
