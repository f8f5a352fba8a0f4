"""scan's semantics (spec/scan.md): taps, go_backwards, n_steps, zero steps,
until, updates, what fn may return, closures, types, shapes, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import shared
from refimpl.scan import Scan, foldl, foldr, reduce, scan, until
from refimpl.types import TensorType

BACKENDS = ["numpy", "array_api_strict"]


class _NumpyOutputs:
    """A compiled function whose outputs come back as numpy arrays (the
    suite may run on another backend: REFIMPL_FLAGS=backend=...)."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.fgraph = f.fgraph

    def __call__(self, *args: Any) -> Any:
        out = self.f(*args)
        return [np_(o) for o in out] if isinstance(out, list) else np_(out)


def function(*args: Any, **kwargs: Any) -> Any:
    return _NumpyOutputs(refimpl.function(*args, **kwargs))


def np_(x: Any) -> Any:
    return refimpl.backend.to_numpy(x)


def scan_node(f: Any) -> Any:
    return next(n for n in f.fgraph.toposort() if isinstance(n.op, Scan))


# --------------------------------------------------------------------------- taps


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "taps", [[0], [-1], [1], [-2], [2, 3], [-3, -1], [-1, 0, 1], [1, -2], [0, 0]]
)
def test_sequence_taps_window(taps: list[int], backend: str) -> None:
    """Step t reads x[t - lo + k] with lo = min(taps, 0), hi = max(taps, 0)."""
    x = T.vector("x")
    out, _ = scan(lambda *a: T.stack(list(a)), sequences=dict(input=x, taps=taps))
    xv = np.arange(7.0) * 10
    lo, hi = min(*taps, 0), max(*taps, 0)
    want = [[xv[t - lo + k] for k in taps] for t in range(7 - (hi - lo))]
    np.testing.assert_array_equal(np_(function([x], out, backend=backend)(xv)), want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_go_backwards_with_taps(backend: str) -> None:
    x = T.vector("x")
    out, _ = scan(lambda a, b: a * 10 + b, sequences=dict(input=x, taps=[-1, 0]), go_backwards=True)
    xv = np.arange(5.0)
    want = [xv[c - 1] * 10 + xv[c] for c in range(4, 0, -1)]
    np.testing.assert_array_equal(np_(function([x], out, backend=backend)(xv)), want)


def test_state_taps_read_the_first_rows_of_the_initial_buffer() -> None:
    y0 = T.matrix("y0")
    out, _ = scan(lambda a, b: a + b, outputs_info=dict(initial=y0, taps=[-3, -1]), n_steps=4)
    f = function([y0], out)
    y0v = np.array([[1.0], [2.0], [3.0], [99.0]])  # the 4th row is ignored
    ys = [1.0, 2.0, 3.0]
    for _ in range(4):
        ys.append(ys[-3] + ys[-1])
    np.testing.assert_array_equal(f(y0v)[:, 0], ys[3:])
    with pytest.raises(ValueError, match="initial value of state 0 has 2 rows"):
        f(y0v[:2])


def test_several_states_and_nitsot_outputs_keep_their_order() -> None:
    x = T.vector("x")
    a, b, c = scan(
        lambda xt, s1, s2: [s1 + xt, xt * 2, s2 * xt],
        sequences=x,
        outputs_info=[T.constant(0.0), None, T.constant(1.0)],
    )[0]
    f = function([x], [a, b, c])
    xv = np.array([1.0, 2.0, 3.0])
    ra, rb, rc = f(xv)
    np.testing.assert_array_equal(ra, np.cumsum(xv))
    np.testing.assert_array_equal(rb, 2 * xv)
    np.testing.assert_array_equal(rc, np.cumprod(xv))


# --------------------------------------------------------------------------- n_steps


def test_shortest_sequence_decides() -> None:
    x, y = T.vectors("x", "y")
    out, _ = scan(lambda a, b: a + b, sequences=[x, y])
    f = function([x, y], out)
    np.testing.assert_array_equal(f(np.ones(5), np.ones(3)), [2.0, 2.0, 2.0])


def test_n_steps_with_sequences() -> None:
    x = T.vector("x")
    n = T.lscalar("n")
    out, _ = scan(lambda a: a * 2, sequences=x, n_steps=n)
    f = function([x, n], out)
    np.testing.assert_array_equal(f(np.arange(5.0), 3), [0.0, 2.0, 4.0])
    with pytest.raises(ValueError, match=r"sequence 0 .* 5 steps .* fewer than n_steps = 7"):
        f(np.arange(5.0), 7)
    with pytest.raises(ValueError, match="n_steps is -1"):
        f(np.arange(5.0), -1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_steps(backend: str) -> None:
    x = T.matrix("x")
    s0 = T.vector("s0")
    counter = shared(np.float64(5.0))
    [cum, doubled], upd = scan(
        lambda xt, s: ([s + xt, xt * 2], {counter: counter + 1}),
        sequences=x,
        outputs_info=[s0, None],
    )
    f = function([x, s0], [cum, doubled], updates=upd, backend=backend)
    a, b = f(np.zeros((0, 3)), np.ones(3))
    assert np_(a).shape == (0, 3) and np_(b).shape == (0, 3)
    assert float(np_(counter.get_value())) == 5.0
    last = function([x, s0], cum[-1], backend=backend)
    with pytest.raises(IndexError):
        last(np.zeros((0, 3)), np.ones(3))
    # a fold over nothing is its initial value
    r, _ = reduce(lambda xt, s: s + xt, sequences=x, outputs_info=s0)
    fold = function([x, s0], r, backend=backend)
    np.testing.assert_array_equal(np_(fold(np.zeros((0, 3)), np.ones(3))), 1.0)
    k = T.lscalar("k")
    out, _ = scan(lambda s: s * 2, outputs_info=s0, n_steps=k)
    assert np_(function([s0, k], out, backend=backend)(np.ones(2), 0)).shape == (0, 2)


def test_zero_steps_nitsot_shape_from_non_sequence_values() -> None:
    x = T.vector("x")
    m = T.lscalar("m")
    out, _ = scan(lambda xt, m: T.zeros((m, 2)) + xt, sequences=x, non_sequences=m)
    f = function([x, m], out)
    assert f(np.zeros(0), 3).shape == (0, 3, 2)
    assert f(np.ones(2), 3).shape == (2, 3, 2)


# --------------------------------------------------------------------------- until


def test_until_with_sequences_and_the_steps_run() -> None:
    x = T.vector("x")
    out, _ = scan(lambda xt: (xt * 2, until(xt > 2)), sequences=x)
    f = function([x], [out, out.shape[0]])
    r, n = f(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(r, [2.0, 4.0, 6.0])
    assert int(n) == 3
    np.testing.assert_array_equal(f(np.array([1.0, 1.0]))[0], [2.0, 2.0])  # never true
    with pytest.raises(TypeError, match="must be a scalar"):
        until(x > 0)


def test_until_with_updates_stops_the_updates_too() -> None:
    total = shared(np.float64(0.0))
    x = T.vector("x")
    out, upd = scan(lambda xt: (xt, {total: total + xt}, until(xt < 0)), sequences=x)
    f = function([x], out, updates=upd)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0, -1.0, 5.0])), [1.0, 2.0, -1.0])
    assert float(total.get_value()) == 2.0


# --------------------------------------------------------------------------- updates


def test_each_step_sees_the_previous_steps_shared_value() -> None:
    acc = shared(np.float64(1.0))
    x = T.vector("x")
    out, upd = scan(lambda xt: [acc * xt, {acc: acc + 1}], sequences=x)
    f = function([x], out, updates=upd)
    np.testing.assert_array_equal(f(np.ones(3)), [1.0, 2.0, 3.0])
    assert float(acc.get_value()) == 4.0
    np.testing.assert_array_equal(f(np.ones(2)), [4.0, 5.0])
    g = function([x], out)  # without the updates nothing is stored
    g(np.ones(3))
    assert float(acc.get_value()) == 6.0


def test_updates_in_either_order_and_as_pairs() -> None:
    a = shared(np.float64(0.0))
    k = T.lscalar("k")
    for ret in (lambda: ({a: a + 2}, a * 1), lambda: (a * 1, [(a, a + 2)])):
        out, upd = scan(ret, n_steps=k)
        function([k], out, updates=upd)(3)
    assert float(a.get_value()) == 12.0


def test_update_errors() -> None:
    a = shared(np.float64(0.0))
    x = T.vector("x")
    with pytest.raises(TypeError, match="not a shared variable"):
        scan(lambda xt: {x: xt}, sequences=x)
    with pytest.raises(TypeError, match=r"update of .* has type"):
        scan(lambda xt: {a: T.stack([xt])}, sequences=x)


# --------------------------------------------------------------------------- fn's value


def test_return_value_rules() -> None:
    x = T.vector("x")
    one, _ = scan(lambda xt: xt, sequences=x)
    assert isinstance(one, T.TensorVariable)
    lst, _ = scan(lambda xt: xt, sequences=x, return_list=True)
    assert isinstance(lst, list) and len(lst) == 1
    two, _ = scan(lambda xt: [xt, xt + 1], sequences=x)
    assert isinstance(two, list) and len(two) == 2


def test_unparsable_return() -> None:
    x = T.vector("x")
    with pytest.raises(ValueError, match="cannot parse"):
        scan(lambda xt: "nope", sequences=x)
    with pytest.raises(ValueError, match="cannot parse"):
        scan(lambda xt: (xt, until(xt > 0), xt), sequences=x)


def test_closure_variables_become_non_sequences() -> None:
    x = T.vector("x")
    w = T.scalar("w")
    h = w * 3  # computed outside, used inside: recomputed in the loop from w
    out, _ = scan(lambda xt: xt * h, sequences=x)
    node = out.owner
    assert isinstance(node.op, Scan) and any(i is w for i in node.inputs)
    np.testing.assert_array_equal(function([x, w], out)(np.array([1.0, 2.0]), 2.0), [6.0, 12.0])


def test_nested_scan() -> None:
    M = T.matrix("M")

    def row_cumsum(row: Any) -> Any:
        inner, _ = scan(lambda v, s: s + v, sequences=row, outputs_info=T.constant(0.0))
        return inner

    out, _ = scan(row_cumsum, sequences=M)
    Mv = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(function([M], out)(Mv), np.cumsum(Mv, axis=1))


# --------------------------------------------------------------------------- types


def test_state_type_must_match_the_output() -> None:
    x = T.vector("x")
    with pytest.raises(TypeError, match=r"output 0 of fn has type .*float64.*int64"):
        scan(lambda xt, s: s + xt, sequences=x, outputs_info=T.constant(0))
    with pytest.raises(TypeError, match="output 1 of fn"):
        scan(lambda xt, s: [xt, T.stack([s, s])], sequences=x, outputs_info=[None, 0.0])


def test_static_lengths_that_differ_become_unknown() -> None:
    v = T.vector("v")
    s0 = T.zeros((3,))  # static length 3; fn's output has an unknown length
    out, _ = scan(lambda s, v: v * s.sum(), outputs_info=s0 + 1, non_sequences=v, n_steps=2)
    assert out.type.shape == (2, None)
    np.testing.assert_array_equal(function([v], out)(np.full(3, 2.0)), [[6.0] * 3, [36.0] * 3])
    # a length-1 (broadcastable) axis cannot become unknown: fn's graph relied on it
    with pytest.raises(TypeError, match=r"static length 1 on axis 0.*unbroadcast"):
        scan(lambda s, v: s + v, outputs_info=T.zeros((1,)), non_sequences=v, n_steps=2)


def test_constant_n_steps_gives_a_static_length_and_infer_shape() -> None:
    x = T.matrix("x")
    out, _ = scan(lambda s: s * 2, outputs_info=x, n_steps=4)
    assert out.type.shape == (4, None, None)
    f = function([x], out.shape, mode="FAST_RUN")
    assert not any(isinstance(n.op, Scan) for n in f.fgraph.toposort())  # shape without the loop
    np.testing.assert_array_equal(f(np.ones((2, 3))), [4, 2, 3])


# --------------------------------------------------------------------------- errors


def test_argument_errors() -> None:
    x = T.vector("x")
    s = T.scalar("s")
    f = lambda *a: a[0]
    with pytest.raises(TypeError, match="callable"):
        scan(1, sequences=x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequences.0. .* is a scalar"):
        scan(f, sequences=s)
    with pytest.raises(ValueError, match="taps must be a non-empty"):
        scan(f, sequences=dict(input=x, taps=[]))
    with pytest.raises(ValueError, match="negative taps"):
        scan(f, outputs_info=dict(initial=x, taps=[0]), n_steps=2)
    with pytest.raises(ValueError, match="taps but no initial"):
        scan(f, outputs_info=dict(initial=None, taps=[-1]), n_steps=2)
    with pytest.raises(TypeError, match="leading axis of past values"):
        scan(f, outputs_info=dict(initial=s, taps=[-2]), n_steps=2)
    with pytest.raises(TypeError, match="n_steps"):
        scan(f, outputs_info=s, n_steps=T.scalar("n"))
    with pytest.raises(TypeError, match="n_steps"):
        scan(f, outputs_info=s, n_steps=2.5)
    with pytest.raises(ValueError, match="n_steps is -2"):
        scan(f, outputs_info=s, n_steps=-2)
    with pytest.raises(ValueError, match="number of steps"):
        scan(f, outputs_info=s)
    with pytest.raises(ValueError, match=r"returned 2 output\(s\) but outputs_info has 1"):
        scan(lambda xt, p: [p, xt], sequences=x, outputs_info=[s])
    with pytest.raises(ValueError, match="truncate_gradient"):
        scan(f, sequences=x, truncate_gradient=0)


def test_strict_requires_shared_variables_as_non_sequences() -> None:
    n = shared(np.float64(0.0), name="n")
    with pytest.raises(ValueError, match=r"strict=True.*\bn\b"):
        scan(lambda: {n: n + 1}, n_steps=3, strict=True)
    _, upd = scan(lambda n: {n: n + 1}, non_sequences=n, n_steps=3, strict=True)
    function([], [], updates=upd)()
    assert float(n.get_value()) == 3.0


def test_op_make_node_checks_types() -> None:
    x = T.matrix("x")
    out, _ = scan(lambda r: r * 2, sequences=x)
    op = out.owner.op
    with pytest.raises(TypeError, match="n_steps"):
        op.make_node(T.scalar("n"), x)
    with pytest.raises(TypeError, match=r"sequence 0 .* rows must have type"):
        op.make_node(T.lscalar("n"), T.vector("v"))
    assert str(op) == "Scan{scan_fn}"
    assert TensorType("float64", (None,)).is_super(out.owner.op.inner_outputs[0].type)


def test_strict_backend_and_fast_compile_agree() -> None:
    x = T.matrix("x")
    s0 = T.vector("s0")
    out, _ = scan(lambda r, s: T.tanh(s + r), sequences=x, outputs_info=s0, name="rnn")
    xv, sv = np.linspace(-1, 1, 12).reshape(4, 3), np.zeros(3)
    ref = function([x, s0], out, mode="FAST_COMPILE")(xv, sv)
    strict = function([x, s0], out, backend="array_api_strict")(xv, sv)
    np.testing.assert_allclose(np_(strict), ref, rtol=1e-15)
    assert str(out.owner.op) == "Scan{rnn}"


def test_folds_directions() -> None:
    x = T.vector("x")
    left, _ = foldl(lambda xt, s: s * 10 + xt, sequences=x, outputs_info=T.constant(0.0))
    right, _ = foldr(lambda xt, s: s * 10 + xt, sequences=x, outputs_info=T.constant(0.0))
    f = function([x], [left, right])
    np.testing.assert_array_equal(f(np.array([1.0, 2.0, 3.0])), [123.0, 321.0])


def test_run_time_shape_errors() -> None:
    v = T.vector("v")
    out, _ = scan(
        lambda s, v: v * s.sum(), outputs_info=T.zeros((3,)) + 1, non_sequences=v, n_steps=2
    )
    with pytest.raises(ValueError, match=r"state 0 .* shape \(4,\) .* initial value has shape"):
        function([v], out)(np.ones(4))
    x = T.vector("x")
    ragged, _ = scan(lambda xt: T.arange(T.cast(xt, "int64")), sequences=x)
    with pytest.raises(ValueError, match="output 0 has steps of different shapes"):
        function([x], ragged)(np.array([1.0, 2.0]))


def test_a_loop_of_constants_is_folded() -> None:
    c, _ = scan(lambda s: s * 2, outputs_info=T.constant(1.0), n_steps=5)
    f = function([], c, mode="FAST_RUN")
    np.testing.assert_array_equal(f(), [2.0, 4.0, 8.0, 16.0, 32.0])
    assert not any(isinstance(n.op, Scan) for n in f.fgraph.toposort())


def test_exports() -> None:
    import refimpl.scan.op as op_module

    assert refimpl.until is refimpl.scan.until is until
    assert refimpl.map is refimpl.scan.map and refimpl.reduce is refimpl.scan.reduce
    assert refimpl.foldl is refimpl.scan.foldl and refimpl.foldr is refimpl.scan.foldr
    assert refimpl.scan.Scan is Scan is op_module.Scan
    assert callable(refimpl.scan) and callable(refimpl.ifelse)
    assert "scan" in refimpl.__all__ and "ifelse" in refimpl.__all__
