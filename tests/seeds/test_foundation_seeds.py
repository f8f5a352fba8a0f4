"""Seed programmes tagged ``foundation`` (see spec/seeds.md), one test per programme.

Each test is named ``test_<seed-id>_<slug>`` after its catalogue entry and asserts
the output the seed shows. Where the seed ran on a GPU with floatX=float32, or on an
old Theano, the test asserts the corrected CPU/float64 output that the catalogue
gives, with the reasoning there. Numbers are compared with
``np.testing.assert_allclose``, and printed text (str/pp/debugprint) exactly.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl import In, config, function, shared
from refimpl.backend import to_numpy

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _float64_default() -> Iterator[None]:
    """The rewritten seeds assume refimpl's default floatX=float64."""
    old = config.floatX
    config.floatX = "float64"
    try:
        yield
    finally:
        config.floatX = old


def _debugprint_text(var: Any, capsys: pytest.CaptureFixture[str]) -> str:
    """debugprint's text, whether it prints (Theano) or returns a string."""
    capsys.readouterr()
    ret = refimpl.debugprint(var)
    out = capsys.readouterr().out
    if not out and isinstance(ret, str):
        out = ret
    return out


def _normalise_debugprint(text: str) -> str:
    """Accept both Theano id styles (``[@A]`` ≤0.7, ``[id A]`` ≥0.8); drop trailing blanks."""
    text = re.sub(r"\[@([A-Z]+)\]", r"[id \1]", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _needs_graphviz() -> None:
    pytest.importorskip("graphviz", reason="pydotprint needs the viz extra (graphviz)")
    if shutil.which("dot") is None:
        pytest.skip("pydotprint needs graphviz's `dot`")


def _config_probe(tmp_path: Path, env_extra: dict[str, str], code: str | None = None) -> str:
    """Run a fresh interpreter so that config is read from the environment anew."""
    env = {k: v for k, v in os.environ.items() if k not in ("REFIMPL_FLAGS", "REFIMPLRC")}
    env["HOME"] = str(tmp_path)  # ~/.refimplrc is the test's own
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(env_extra)
    if code is None:
        code = "from refimpl import config; print(config.floatX, config.mode, config.backend)"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# ---------------------------------------------------------------------------------------
# seed 000
# ---------------------------------------------------------------------------------------


def test_000_01_dscalar_add() -> None:
    x = T.dscalar("x")
    y = T.dscalar("y")
    z = x + y
    f = function([x, y], z)
    out = f(4, 3)
    assert np.asarray(out).shape == ()
    assert np.asarray(out).dtype == np.float64
    np.testing.assert_allclose(out, 7.0)


def test_000_02_plural_constructors() -> None:
    x, y, z = T.dscalars("x", "y", "z")
    assert [v.name for v in (x, y, z)] == ["x", "y", "z"]
    for v in (x, y, z):
        assert v.type == T.dscalar().type
    three = T.matrices(3)
    assert len(three) == 3 and all(m.ndim == 2 for m in three)


def test_000_02_plural_constructor_single_name() -> None:
    # Theano's _multi unwraps a single name; seed 003-27 relies on it (`A = T.vectors("A")`
    # is then passed as a scan sequence). See spec/seeds.md, finding 4.
    a = T.vectors("A")
    assert not isinstance(a, (list, tuple))
    assert a.name == "A" and a.ndim == 1


def test_000_03_tensortype_definitions() -> None:
    fmatrix = T.TensorType("float32", (False, False))
    dscalar = T.TensorType("float64", ())
    dtensor5 = T.TensorType("float64", (False,) * 5)
    assert fmatrix == T.fmatrix().type
    assert dscalar == T.dscalar().type
    v = dtensor5()
    assert v.ndim == 5
    assert v.dtype == "float64"
    assert v.broadcastable == (False,) * 5


def test_000_04_shared_from_numpy() -> None:
    value = np.random.RandomState(0).randn(3, 4)
    x = shared(value)
    assert x.dtype == "float64"
    assert x.ndim == 2
    assert x.broadcastable == (False, False)
    np.testing.assert_allclose(x.get_value(), value)


def test_000_09_graph_of_add() -> None:
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    z = x + y
    assert x.owner is None and y.owner is None
    assert z.owner is not None
    assert list(z.owner.inputs) == [x, y]
    assert list(z.owner.outputs) == [z]
    assert z.index == 0


def test_000_10_owner_of_mul_by_constant() -> None:
    x = T.dmatrix("x")
    y = x * 2
    assert y.owner.inputs[0] is x
    assert list(y.owner.outputs) == [y]
    assert y.owner.op.name == "Elemwise{mul,no_inplace}"
    padded = y.owner.inputs[1]
    assert str(padded.owner.op) == "DimShuffle{x,x}"
    (const,) = padded.owner.inputs
    assert const.owner is None
    assert str(const) == "TensorConstant{2}"
    np.testing.assert_allclose(const.eval(), 2)


def test_000_11_three_outputs() -> None:
    a, b = T.dmatrices("a", "b")
    diff = a - b
    abs_diff = abs(diff)
    diff_squared = diff**2
    f = function([a, b], [diff, abs_diff, diff_squared])
    d, ad, d2 = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    np.testing.assert_allclose(d, [[1.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_allclose(ad, [[1.0, 0.0], [1.0, 2.0]])
    np.testing.assert_allclose(d2, [[1.0, 0.0], [1.0, 4.0]])


def test_000_12_default_input_value() -> None:
    x, y = T.dscalars("x", "y")
    z = x + y
    f = function([x, In(y, value=1)], z)
    np.testing.assert_allclose(f(33), 34.0)
    np.testing.assert_allclose(f(33, 2), 35.0)


def test_000_13_shared_accumulator() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    np.testing.assert_allclose(state.get_value(), 0)
    np.testing.assert_allclose(accumulator(1), 0)  # value before the update
    np.testing.assert_allclose(state.get_value(), 1)
    np.testing.assert_allclose(accumulator(300), 1)
    np.testing.assert_allclose(state.get_value(), 301)
    state.set_value(-1)
    np.testing.assert_allclose(accumulator(3), -1)
    np.testing.assert_allclose(state.get_value(), 2)


def test_000_14_function_copy_swap() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    accumulator(5)
    new_state = shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    np.testing.assert_allclose(new_accumulator(100), 0)
    np.testing.assert_allclose(new_state.get_value(), 100)
    np.testing.assert_allclose(state.get_value(), 5)


def test_000_15_givens_skip_shared() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens={state: foo})
    np.testing.assert_allclose(skip_shared(1, 3), 7)
    np.testing.assert_allclose(state.get_value(), 0)
    # The Theano tutorial passes givens as a list of pairs; a Theano user expects that too.
    skip_shared2 = function([inc, foo], fn_of_state, givens=[(state, foo)])
    np.testing.assert_allclose(skip_shared2(2, 10), 22)
    np.testing.assert_allclose(state.get_value(), 0)


def test_000_18a_switch_between_means() -> None:
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    f = function([a, b, x, y], z_switch)
    xv = np.arange(6.0).reshape(2, 3)
    yv = -np.ones((2, 3))
    np.testing.assert_allclose(f(0.0, 1.0, xv, yv), xv.mean())
    np.testing.assert_allclose(f(1.0, 0.0, xv, yv), yv.mean())


# ---------------------------------------------------------------------------------------
# seed 001
# ---------------------------------------------------------------------------------------


def test_001_01_dmatrix_graph() -> None:
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    z = x + y
    assert z.owner is not None and list(z.owner.inputs) == [x, y]
    assert z.type == T.dmatrix().type
    out = z.eval({x: np.ones((2, 2)), y: np.eye(2)})
    np.testing.assert_allclose(out, np.ones((2, 2)) + np.eye(2))


def test_001_02_add_two_numbers() -> None:
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = function([x, y], x + y)
    out = f(2, 3)
    host = to_numpy(out)  # a 0-d array of the backend under test (numpy: array(5.0))
    assert host.shape == () and host.dtype == np.float64
    np.testing.assert_allclose(host, 5.0)


def test_001_03_shared_get_set_value() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    accumulator(10)
    np.testing.assert_allclose(state.get_value(), 10)
    state.set_value(100)
    np.testing.assert_allclose(accumulator(1), 100)
    np.testing.assert_allclose(state.get_value(), 101)


def test_001_06_a_plus_a_pow_10() -> None:
    a = T.vector("a")
    b = a + a**10
    f = function([a], b)
    np.testing.assert_allclose(f([0, 1, 2]), [0.0, 2.0, 1026.0])


# ---------------------------------------------------------------------------------------
# seed 002
# ---------------------------------------------------------------------------------------


def test_002_01_shared_dataset_minibatch() -> None:
    def shared_dataset(data_xy: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
        data_x, data_y = data_xy
        shared_x = shared(np.asarray(data_x, dtype=config.floatX))
        shared_y = shared(np.asarray(data_y, dtype=config.floatX))
        return shared_x, T.cast(shared_y, "int32")

    rng = np.random.RandomState(0)
    train_set = (rng.rand(1500, 784), rng.randint(0, 10, size=1500))
    train_set_x, train_set_y = shared_dataset(train_set)
    batch_size = 500
    data = train_set_x[2 * batch_size : 3 * batch_size]
    label = train_set_y[2 * batch_size : 3 * batch_size]
    assert label.dtype == "int32"
    data_v = data.eval()
    assert data_v.shape == (500, 784)
    np.testing.assert_allclose(data_v, train_set[0][1000:1500])
    np.testing.assert_array_equal(label.eval(), train_set[1][1000:1500])

    # The same slices as minibatch givens (000-17 / 000-23 pattern).
    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    f = function(
        [index],
        [x.sum(axis=1), y * 1],
        givens={
            x: train_set_x[index * batch_size : (index + 1) * batch_size],
            y: train_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )
    sums, labels = f(1)
    np.testing.assert_allclose(sums, train_set[0][500:1000].sum(axis=1))
    np.testing.assert_array_equal(labels, train_set[1][500:1000])


def test_002_03_l1_l2_regularisation() -> None:
    param = shared(np.array([1.0, -2.0, 3.0]))
    L1 = T.sum(abs(param))
    L2 = T.sum(param**2)
    NLL = T.dscalar("NLL")
    loss = NLL + 0.1 * L1 + 0.01 * L2
    np.testing.assert_allclose(L1.eval(), 6.0)
    np.testing.assert_allclose(L2.eval(), 14.0)
    np.testing.assert_allclose(loss.eval({NLL: 1.0}), 1.74)


def test_002_05_pickle_shared_values() -> None:
    w = shared(np.arange(6.0).reshape(2, 3))
    v = shared(np.ones(4))
    u = shared(np.zeros(()))
    buf = io.BytesIO()
    for s in (w, v, u):
        pickle.dump(s.get_value(borrow=True), buf, -1)
    saved = [w.get_value(), v.get_value(), u.get_value()]
    w.set_value(np.zeros((2, 3)))
    v.set_value(np.zeros(4))
    u.set_value(np.ones(()))
    buf.seek(0)
    w.set_value(pickle.load(buf), borrow=True)
    v.set_value(pickle.load(buf), borrow=True)
    u.set_value(pickle.load(buf), borrow=True)
    for s, expected in zip((w, v, u), saved):
        np.testing.assert_allclose(s.get_value(), expected)


# ---------------------------------------------------------------------------------------
# seed 003
# ---------------------------------------------------------------------------------------


def test_003_04_symbolic_scalar_printing() -> None:
    foo = T.scalar("x")
    assert str(foo) == "x"
    bar = foo**2
    assert str(bar) == "Elemwise{pow,no_inplace}.0"
    assert refimpl.pp(bar) == "(x ** TensorConstant{2})"
    assert type(foo).__name__ == "TensorVariable"
    # seed (floatX=float32): TensorType(float32, scalar)
    assert str(foo.type) == "TensorType(float64, scalar)"


def test_003_05_function_and_eval() -> None:
    foo = T.scalar("x")
    bar = foo**2
    square = function([foo], bar)
    np.testing.assert_allclose(square(3), 9.0)
    np.testing.assert_allclose(bar.eval({foo: 3}), 9.0)


def _linear_mix_graph() -> tuple[Any, Any, Any, Any, Any]:
    A = T.matrix("A")
    x = T.vector("x")
    b = T.vector("b")
    y = T.dot(A, x) + b
    z = T.sum(A**2)
    return A, x, b, y, z


A_VAL = np.array([[1, 2, 3], [4, 5, 6]], dtype="float64")
X_VAL = np.array([1, 2, 3], dtype="float64")
B_VAL = np.array([4, 5], dtype="float64")


def test_003_06_linear_mix() -> None:
    A, x, b, y, z = _linear_mix_graph()
    linear_mix = function([A, x, b], [y, z])
    y_v, z_v = linear_mix(A_VAL, X_VAL, B_VAL)
    np.testing.assert_allclose(y_v, [18.0, 37.0])
    np.testing.assert_allclose(z_v, 91.0)
    assert np.asarray(y_v).dtype == np.float64  # seed: float32 (floatX=float32 on GPU)


def test_003_07_default_argument() -> None:
    A, x, b, y, z = _linear_mix_graph()
    linear_mix_default = function([A, x, In(b, value=np.zeros(2, dtype=config.floatX))], [y, z])
    y_v, z_v = linear_mix_default(A_VAL, X_VAL)
    np.testing.assert_allclose(y_v, [14.0, 32.0])
    np.testing.assert_allclose(z_v, 91.0)
    y_v, z_v = linear_mix_default(A_VAL, X_VAL, B_VAL)
    np.testing.assert_allclose(y_v, [18.0, 37.0])
    np.testing.assert_allclose(z_v, 91.0)


def test_003_08_shared_matrix() -> None:
    shared_var = shared(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=config.floatX))
    # seed (GPU): CudaNdarrayType(float32, matrix)
    assert str(shared_var.type) == "TensorType(float64, matrix)"
    shared_var.set_value(np.array([[3.0, 4], [2, 1]], dtype=config.floatX))
    np.testing.assert_allclose(shared_var.get_value(), [[3.0, 4.0], [2.0, 1.0]])
    shared_square = shared_var**2
    f = function([], shared_square)
    np.testing.assert_allclose(f(), [[9.0, 16.0], [4.0, 1.0]])
    shared_var.set_value(np.array([[1.0, 2], [3, 4]], dtype=config.floatX))
    np.testing.assert_allclose(f(), [[1.0, 4.0], [9.0, 16.0]])


def test_003_09_updates_dict() -> None:
    shared_var = shared(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=config.floatX))
    subtract = T.matrix("subtract")
    f_update = function([subtract], shared_var, updates={shared_var: shared_var - subtract})
    np.testing.assert_allclose(shared_var.get_value(), [[1.0, 2.0], [3.0, 4.0]])
    r = f_update(np.array([[1.0, 1], [1, 1]], dtype=config.floatX))
    np.testing.assert_allclose(shared_var.get_value(), [[0.0, 1.0], [2.0, 3.0]])
    # The return value is the value before the update and must not alias the shared storage.
    np.testing.assert_allclose(r, [[1.0, 2.0], [3.0, 4.0]])


def test_003_13_flags_from_environment(tmp_path: Path) -> None:
    out = _config_probe(tmp_path, {"REFIMPL_FLAGS": "mode=FAST_RUN,backend=numpy,floatX=float32"})
    assert out == "float32 FAST_RUN numpy"
    assert _config_probe(tmp_path, {}) == "float64 FAST_RUN numpy"


SEED_EXP_HEAD = [1.23178029, 1.61879337, 1.52278066]
SEED_EXP_TAIL = [2.20771813, 2.29967761, 1.62323284]


def _exp_of_shared_vector() -> tuple[Any, Any]:
    vlen = 10 * 30 * 768
    rng = np.random.RandomState(22)
    x = shared(np.asarray(rng.rand(vlen), "float32"))
    return x, T.exp(x)


def test_003_14_exp_of_shared_vector_on_cpu() -> None:
    _, ex = _exp_of_shared_vector()
    f = function([], ex)
    r = np.asarray(f())
    assert r.shape == (230400,)
    assert r.dtype == np.float32
    np.testing.assert_allclose(r[:3], SEED_EXP_HEAD, rtol=1e-6)
    np.testing.assert_allclose(r[-3:], SEED_EXP_TAIL, rtol=1e-6)
    # seed prints "Used the cpu": the compiled graph still holds an Elemwise.
    assert any(isinstance(node.op, T.Elemwise) for node in f.fgraph.toposort())


def test_003_15_exp_on_gpu_backend() -> None:
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no GPU")
    except Exception:  # any CUDA runtime failure means no usable GPU
        pytest.skip("no usable CUDA runtime")
    _, ex = _exp_of_shared_vector()
    f = function([], ex, backend="cupy")
    r = f()
    assert isinstance(r, cupy.ndarray)
    host = cupy.asnumpy(r)
    np.testing.assert_allclose(host[:3], SEED_EXP_HEAD, rtol=1e-6)
    np.testing.assert_allclose(host[-3:], SEED_EXP_TAIL, rtol=1e-6)


def test_003_16_rc_file_and_precedence(tmp_path: Path) -> None:
    rc = tmp_path / "myrc"
    rc.write_text("[global]\nfloatX = float32\nmode = FAST_COMPILE\n")
    assert _config_probe(tmp_path, {"REFIMPLRC": str(rc)}) == "float32 FAST_COMPILE numpy"
    # REFIMPL_FLAGS wins over the file ...
    both = {"REFIMPLRC": str(rc), "REFIMPL_FLAGS": "floatX=float64"}
    assert _config_probe(tmp_path, both) == "float64 FAST_COMPILE numpy"
    # ... and an assignment wins over both.
    code = (
        "from refimpl import config; config.floatX = 'float32'; "
        "print(config.floatX, config.mode, config.backend)"
    )
    assert _config_probe(tmp_path, both, code) == "float32 FAST_COMPILE numpy"
    # The default file is ~/.refimplrc.
    (tmp_path / ".refimplrc").write_text("[global]\nfloatX = float32\n")
    assert _config_probe(tmp_path, {}) == "float32 FAST_RUN numpy"


def test_003_17_graph_printing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    z = x + y
    assert z.owner.op.name == "Elemwise{add,no_inplace}"
    assert z.owner.nin == 2
    assert z.owner.nout == 1
    assert list(z.owner.inputs) == [x, y]
    assert refimpl.printing.pprint(z) == "(x + y)"
    assert refimpl.pp(z) == "(x + y)"
    expected = "Elemwise{add,no_inplace} [id A] ''\n |x [id B]\n |y [id C]"
    assert _normalise_debugprint(_debugprint_text(z, capsys)) == expected

    if shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None:
        outfile = tmp_path / "apply1.png"
        capsys.readouterr()
        refimpl.printing.pydotprint(z, outfile=str(outfile))
        assert outfile.is_file() and outfile.stat().st_size > 0
        assert f"The output file is available at {outfile}" in capsys.readouterr().out


def test_003_18_dimshuffle_of_constant(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dmatrix("x")
    y = x * 2
    expected = (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |DimShuffle{x,x} [id C] ''\n"
        "   |TensorConstant{2} [id D]"
    )
    assert _normalise_debugprint(_debugprint_text(y, capsys)) == expected
    assert type(y.owner.inputs[1].owner.op).__name__ == "DimShuffle"
    (const,) = y.owner.inputs[1].owner.inputs
    assert str(const) == "TensorConstant{2}"


def test_003_19_pydotprint_before_and_after(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a = T.dscalar("a")
    b = a + a**10
    f = function([a], b)
    np.testing.assert_allclose(f(2.0), 1026.0)
    _needs_graphviz()
    for target, name in ((b, "apply_no_opti.png"), (f, "apply_opti.png")):
        outfile = tmp_path / name
        capsys.readouterr()
        refimpl.printing.pydotprint(target, outfile=str(outfile))
        assert outfile.is_file() and outfile.stat().st_size > 0
        assert f"The output file is available at {outfile}" in capsys.readouterr().out


def test_003_20_print_config() -> None:
    text = str(refimpl.config)
    for flag in ("floatX", "mode", "backend"):
        assert flag in text
    assert "float64" in text  # the value of floatX set by the fixture


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_003_21a_divide_by_zero_fast_run() -> None:
    x = T.dvector("x")
    f_1 = function([x], 10 / x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(f_1([5]), [2.0])
        np.testing.assert_allclose(f_1([0]), [np.inf])
        np.testing.assert_allclose(f_1([7]), [1.42857143])


def test_003_22a_switch_between_matrices() -> None:
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_switch = T.switch(T.lt(a, b), x, y)
    f_switch = function([a, b, x, y], z_switch)
    big1 = np.ones((100, 10))
    big2 = 2 * np.ones((100, 10))
    np.testing.assert_allclose(f_switch(0.0, 1.0, big1, big2), big1)
    np.testing.assert_allclose(f_switch(1.0, 0.0, big1, big2), big2)


def test_003_32_multiply() -> None:
    a = T.scalar()
    b = T.scalar()
    multiply = function(inputs=[a, b], outputs=a * b)
    np.testing.assert_allclose(multiply(3, 2), 6.0)
    np.testing.assert_allclose(multiply(4, 5), 20.0)


def test_003_33a_linear_model_pp_and_update_formats() -> None:
    X = T.scalar()
    Y = T.scalar()
    X.name = "x"
    Y.name = "y"
    w = shared(np.asarray(0.0, dtype=config.floatX))
    w.name = "w"
    b = shared(np.asarray(0.0, dtype=config.floatX))
    b.name = "b"
    Y_bar = X * w + b
    # seed (GPU): '((x * HostFromGpu(w)) + HostFromGpu(b))'
    assert refimpl.pp(Y_bar) == "((x * w) + b)"
    # The seed's update list is a list of 2-lists; 001-05 uses a tuple of 2-tuples.
    step = function([X, Y], Y_bar, updates=[[w, w + X], [b, b + Y]])
    np.testing.assert_allclose(step(2.0, 3.0), 0.0)
    np.testing.assert_allclose([w.get_value(), b.get_value()], [2.0, 3.0])
    step2 = function([X, Y], Y_bar, updates=((w, w - X), (b, b - Y)))
    np.testing.assert_allclose(step2(1.0, 1.0), 2.0 * 1.0 + 3.0)
    np.testing.assert_allclose([w.get_value(), b.get_value()], [1.0, 2.0])


SIGMOID_SEED = [[0.5, 0.7310586], [0.26894143, 0.11920293]]


def test_003_34_elementwise_logistic() -> None:
    x = T.matrix("x")
    s = 1 / (1 + T.exp(-x))
    sigmoid_f = function([x], s)
    out = sigmoid_f([[0, 1], [-1, -2]])
    np.testing.assert_allclose(out, SIGMOID_SEED, rtol=1e-6)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-np.array([[0.0, 1], [-1, -2]]))), rtol=1e-12)


def test_003_35_logistic_via_tanh() -> None:
    x = T.matrix("x")
    s2 = (1 + T.tanh(x / 2)) / 2
    sigmoid2 = function([x], s2)
    out = sigmoid2([[0, 1], [-1, -2]])
    # seed (float32): [[0.5, 0.7310586], [0.26894143, 0.11920291]]
    np.testing.assert_allclose(out, [[0.5, 0.7310586], [0.26894143, 0.11920291]], rtol=1e-6)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-np.array([[0.0, 1], [-1, -2]]))), rtol=1e-12)


def test_003_44_fmatrix_makes_tensor_variable() -> None:
    x = T.fmatrix()
    assert type(x).__name__ == "TensorVariable"
    assert x.dtype == "float32" and x.ndim == 2


def test_003_44_fmatrix_is_tensortype_instance() -> None:
    # seed: type(T.fmatrix) is TensorType (PyTensor keeps this); calling the type makes a variable.
    assert isinstance(T.fmatrix, T.TensorType)
    assert T.fmatrix("m").name == "m"


def test_003_45_three_ways_int32_scalar() -> None:
    x1 = T.scalar("myvar", dtype="int32")
    x2 = T.iscalar("myvar")
    x3 = T.TensorType(dtype="int32", broadcastable=())("myvar")
    assert x1.type == x2.type == x3.type
    assert x1.name == x2.name == x3.name == "myvar"
    assert str(x1.type) == "TensorType(int32, scalar)"
    letters = {
        "b": "int8", "w": "int16", "i": "int32", "l": "int64",
        "d": "float64", "f": "float32", "c": "complex64", "z": "complex128",
    }  # fmt: skip
    for letter, dtype in letters.items():
        assert getattr(T, letter + "scalar")().dtype == dtype
    assert T.drow().broadcastable == (True, False)
    assert T.dcol().broadcastable == (False, True)
    assert T.TensorType("float64", broadcastable=(True, False)) == T.drow().type
    assert T.TensorType("float64", broadcastable=(False, True)) == T.dcol().type


def _dtensor5() -> Any:
    return T.TensorType("float64", (False,) * 5)()


X5_VAL = np.arange(120.0).reshape(2, 3, 4, 1, 5)


def test_003_46_dtensor5() -> None:
    x = _dtensor5()
    assert x.ndim == 5
    assert str(x.type) == "TensorType(float64, 5D)"
    assert x.dtype == "float64"


def test_003_47_reshape_symbolic_shape() -> None:
    x = _dtensor5()
    shape = T.ivector("shape")
    y = x.reshape(shape, ndim=3)
    assert (x.ndim, y.ndim) == (5, 3)
    out = y.eval({x: X5_VAL, shape: np.array([6, 4, 5], dtype="int32")})
    np.testing.assert_allclose(out, X5_VAL.reshape(6, 4, 5))


def test_003_48_dimshuffle() -> None:
    x = _dtensor5()
    y = x.reshape(T.ivector("shape"), ndim=3)
    z = y.dimshuffle(("x", 1, 2, 0))
    assert str(z) == "DimShuffle{x,1,2,0}.0"
    assert z.ndim == 4

    s, v, m = T.dscalar("s"), T.dvector("v"), T.dmatrix("m")
    t3, r = T.dtensor3("t3"), T.drow("r")
    mv, vv, t3v = np.zeros((2, 3)), np.zeros(4), np.zeros((2, 3, 4))
    cases = [
        (s.dimshuffle("x"), {s: 3.0}, (1,)),
        (m.dimshuffle(0, 1), {m: mv}, (2, 3)),
        (m.dimshuffle(1, 0), {m: mv}, (3, 2)),
        (v.dimshuffle("x", 0), {v: vv}, (1, 4)),
        (v.dimshuffle(0, "x"), {v: vv}, (4, 1)),
        (t3.dimshuffle(2, 0, 1), {t3: t3v}, (4, 2, 3)),
        (m.dimshuffle(0, "x", 1), {m: mv}, (2, 1, 3)),
        (m.dimshuffle(1, "x", 0), {m: mv}, (3, 1, 2)),
        (r.dimshuffle(1), {r: np.zeros((1, 5))}, (5,)),
    ]
    for expr, givens, shape in cases:
        assert np.asarray(expr.eval(givens)).shape == shape
    t = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_allclose(t3.dimshuffle(2, 0, 1).eval({t3: t}), t.transpose(2, 0, 1))
    with pytest.raises((ValueError, TypeError)):
        m.dimshuffle(1)  # dimension 0 of a matrix is not broadcastable: cannot be dropped


def test_003_49_flatten() -> None:
    x = _dtensor5()
    z = x.flatten(ndim=2)
    assert z.ndim == 2
    np.testing.assert_allclose(z.eval({x: X5_VAL}), X5_VAL.reshape(2, 60))


def test_003_50_ravel_and_transpose() -> None:
    v, m = T.dvector("v"), T.dmatrix("m")
    vv, mv = np.arange(3.0), np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(v.T.eval({v: vv}), vv)
    np.testing.assert_allclose(m.T.eval({m: mv}), mv.T)
    np.testing.assert_allclose(m.ravel().eval({m: mv}), mv.ravel())
    np.testing.assert_allclose(m.flatten().eval({m: mv}), mv.ravel())


SEED_METHODS = [
    "T", "all", "any", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax",
    "argmin", "argsort", "astype", "broadcastable", "ceil", "choose", "clip", "clone", "compress",
    "conj", "conjugate", "copy", "cos", "cosh", "cumprod", "cumsum", "diagonal", "dimshuffle",
    "dot", "dtype", "eval", "exp", "fill", "flatten", "floor", "imag", "index", "log", "max",
    "mean", "min", "name", "ndim", "nonzero", "norm", "owner", "prod", "ptp", "ravel", "real",
    "repeat", "reshape", "round", "shape", "sin", "sinh", "size", "sort", "sqrt", "squeeze",
    "std", "sum", "swapaxes", "tag", "take", "tan", "tanh", "trace", "transpose", "trunc", "type",
    "var",
]  # fmt: skip


def test_003_51_variable_methods() -> None:
    x = _dtensor5()
    alpha = {t for t in dir(x) if t.isalpha()}
    missing = [name for name in SEED_METHODS if name not in alpha]
    assert missing == []


def test_003_52_shape_op() -> None:
    x = _dtensor5()
    assert str(T.shape(x)) == "Shape.0"
    np.testing.assert_array_equal(T.shape(x).eval({x: X5_VAL}), [2, 3, 4, 1, 5])


def test_003_53_shape_padleft_padright() -> None:
    x = T.tensor3()
    assert str(T.shape_padleft(x)) == "DimShuffle{x,0,1,2}.0"
    assert str(T.shape_padright(x)) == "DimShuffle{0,1,2,x}.0"


def test_003_54_shape_padaxis() -> None:
    x = T.tensor3()
    assert str(T.shape_padaxis(x, 1)) == "DimShuffle{0,x,1,2}.0"
    assert str(T.shape_padaxis(x, 0)) == "DimShuffle{x,0,1,2}.0"
    assert str(T.shape_padaxis(x, -1)) == "DimShuffle{0,1,2,x}.0"


def test_003_55_generators_and_reductions() -> None:
    m = T.dmatrix("m")
    mv = np.array([[3.0, -1.0, 2.0, 0.5], [0.0, 4.0, -2.0, 1.0]])
    g = {m: mv}
    np.testing.assert_allclose(T.zeros_like(m).eval(g), np.zeros_like(mv))
    np.testing.assert_allclose(T.ones_like(m).eval(g), np.ones_like(mv))
    np.testing.assert_allclose(T.fill(m, 3.0).eval(g), np.full_like(mv, 3.0))
    np.testing.assert_allclose(T.alloc(2.0, 2, 3).eval(), np.full((2, 3), 2.0))
    np.testing.assert_allclose(T.eye(3, 4, 1).eval(), np.eye(3, 4, 1))
    v = T.dvector("v")
    np.testing.assert_allclose(T.tile(v, (2,)).eval({v: [1.0, 2.0]}), [1.0, 2.0, 1.0, 2.0])
    idx = T.ivector("idx")
    choices = np.arange(12.0).reshape(3, 4)
    chosen = T.choose(idx, m).eval({idx: np.array([0, 1, 2, 1], dtype="int32"), m: choices})
    np.testing.assert_allclose(chosen, np.choose([0, 1, 2, 1], choices))
    assert T.unbroadcast(T.drow("r"), 0).broadcastable == (False, False)

    for name in ("max", "min", "sum", "prod", "mean", "var", "std"):
        by_row = getattr(T, name)(m, axis=1).eval(g)
        np.testing.assert_allclose(by_row, getattr(np, name)(mv, axis=1))
        np.testing.assert_allclose(getattr(T, name)(m).eval(g), getattr(np, name)(mv))
    np.testing.assert_array_equal(T.argmax(m, axis=1).eval(g), np.argmax(mv, axis=1))
    np.testing.assert_array_equal(T.argmin(m, axis=1).eval(g), np.argmin(mv, axis=1))
    mx, amx = T.max_and_argmax(m, axis=1)
    np.testing.assert_allclose(mx.eval(g), mv.max(axis=1))
    np.testing.assert_array_equal(amx.eval(g), mv.argmax(axis=1))
    assert bool(T.all(T.gt(m, -5)).eval(g)) is True
    assert bool(T.any(T.gt(m, 3.5)).eval(g)) is True
    assert bool(T.all(T.gt(m, 0)).eval(g)) is False


def test_003_56_simple_slicing() -> None:
    t = T.arange(9)
    np.testing.assert_array_equal(t[1::2].eval(), [1, 3, 5, 7])


def test_003_57_boolean_mask_indexing() -> None:
    t = T.arange(9).reshape((3, 3))
    # The seed prints old Theano's (3, 3, 3) integer-index result; numpy semantics give:
    np.testing.assert_array_equal(t[t > 4].eval(), [5, 6, 7, 8])


def test_003_58_nonzero_indexing() -> None:
    t = T.arange(9).reshape((3, 3))
    np.testing.assert_array_equal(t[(t > 4).nonzero()].eval(), [5, 6, 7, 8])


def test_003_59_set_and_inc_subtensor() -> None:
    r = T.vector()
    new_r = T.set_subtensor(r[10:], 5)
    new_r2 = T.inc_subtensor(r[10:], 5)
    rv = np.arange(15.0)
    expected_set = rv.copy()
    expected_set[10:] = 5
    expected_inc = rv.copy()
    expected_inc[10:] += 5
    f = function([r], [new_r, new_r2, r * 1])
    out_set, out_inc, out_r = f(rv)
    np.testing.assert_allclose(out_set, expected_set)
    np.testing.assert_allclose(out_inc, expected_inc)
    np.testing.assert_allclose(out_r, np.arange(15.0))  # r itself is untouched


def test_003_60_pp_arithmetic() -> None:
    a, b = T.itensor3("a"), T.itensor3("b")
    assert refimpl.pp(a + 3) == "(a + TensorConstant{3})"
    assert refimpl.pp(3 - a) == "(TensorConstant{3} - a)"
    assert refimpl.pp(a * 3.5) == "(a * TensorConstant{3.5})"
    # seed (floatX=float32, numpy<1.14): TensorConstant{2.20000004768}
    assert refimpl.pp(2.2 / a) == "(TensorConstant{2.2} / a)"
    assert refimpl.pp(2.2 // a) == "(TensorConstant{2.2} // a)"
    assert refimpl.pp(2.2**a) == "(TensorConstant{2.2} ** a)"
    assert refimpl.pp(b % a) == "mod(b, a)"
    assert (a + 3).dtype == "int32"
    assert (a * 3.5).dtype == "float64"


def test_003_61_pp_bitwise() -> None:
    a, b = T.itensor3("a"), T.itensor3("b")
    assert refimpl.pp(a & b) == "and_(a, b)"
    assert refimpl.pp(a ^ 1) == "xor(a, TensorConstant{1})"
    assert refimpl.pp(a | b) == "or_(a, b)"
    assert refimpl.pp(~a) == "invert(a)"
    av = np.array([[[5, 3]]], dtype="int32")
    bv = np.array([[[6, 1]]], dtype="int32")
    f = function([a, b], [a & b, a ^ 1, a | b, ~a])
    for got, want in zip(f(av, bv), (av & bv, av ^ 1, av | bv, ~av)):
        np.testing.assert_array_equal(got, want)


def test_003_62_cast_identity() -> None:
    x = T.matrix()
    x_as_int = T.cast(x, "int32")
    assert x_as_int is not x
    assert x_as_int.dtype == "int32"
    assert T.cast(x, config.floatX) is x


def test_003_63_comparisons_and_conditions() -> None:
    x, y = T.dmatrices("x", "y")
    assert refimpl.pp(T.le(x, y)) == "le(x, y)"
    xv = np.array([[1.0, 2.0], [np.nan, np.inf]])
    yv = np.array([[2.0, 2.0], [0.0, 1.0]])
    g = {x: xv, y: yv}
    with np.errstate(invalid="ignore"):
        for name, ref in (
            ("lt", np.less), ("gt", np.greater), ("le", np.less_equal),
            ("ge", np.greater_equal), ("eq", np.equal), ("neq", np.not_equal),
        ):  # fmt: skip
            np.testing.assert_array_equal(
                np.asarray(getattr(T, name)(x, y).eval(g)).astype(bool), ref(xv, yv)
            )
    np.testing.assert_array_equal(np.asarray(T.isnan(x).eval(g)).astype(bool), np.isnan(xv))
    np.testing.assert_array_equal(np.asarray(T.isinf(x).eval(g)).astype(bool), np.isinf(xv))
    close_x = np.array([[1.0, 2.0], [3.0, 4.0]])
    close_y = close_x + np.array([[1e-9, 1e-3], [0.0, 1.0]])
    np.testing.assert_array_equal(
        np.asarray(T.isclose(x, y).eval({x: close_x, y: close_y})).astype(bool),
        np.isclose(close_x, close_y),
    )
    assert bool(T.allclose(x, y).eval({x: close_x, y: close_x + 1e-10})) is True
    assert bool(T.allclose(x, y).eval({x: close_x, y: close_y})) is False
    cond = T.dmatrix("cond")
    cv = np.array([[1.0, 0.0], [0.0, 1.0]])
    fin = {cond: cv, x: close_x, y: -close_x}
    np.testing.assert_allclose(T.switch(cond, x, y).eval(fin), np.where(cv, close_x, -close_x))
    np.testing.assert_allclose(T.where(cond, x, y).eval(fin), np.where(cv, close_x, -close_x))
    np.testing.assert_allclose(T.clip(x, 1.5, 3.5).eval({x: close_x}), np.clip(close_x, 1.5, 3.5))


def test_003_64_pp_math_functions() -> None:
    a, b = T.matrices("a", "b")
    expected = [
        (T.maximum(a, b), "maximum(a, b)"),
        (T.minimum(a, b), "minimum(a, b)"),
        (T.neg(a), "(-a)"),
        (T.inv(a), "inv(a)"),
        (T.exp(a), "exp(a)"),
        (T.log(a), "log(a)"),
        (T.log2(a), "log2(a)"),
        (T.log10(a), "log10(a)"),
        (T.sgn(a), "sgn(a)"),
        (T.floor(a), "floor(a)"),
        (T.ceil(a), "ceil(a)"),
        (T.round(a), "round_half_away_from_zero(a)"),
        (T.iround(a), "int64(round_half_away_from_zero(a))"),
        (T.sqr(a), "sqr(a)"),
        (T.sqrt(a), "sqrt(a)"),
        (T.cos(a), "cos(a)"),
        (T.sin(a), "sin(a)"),
        (T.tan(a), "tan(a)"),
        (T.cosh(a), "cosh(a)"),
        (T.sinh(a), "sinh(a)"),
        (T.tanh(a), "tanh(a)"),
        (T.erf(a), "erf(a)"),
        (T.erfc(a), "erfc(a)"),
        (T.erfinv(a), "erfinv(a)"),
        (T.erfcinv(a), "erfcinv(a)"),
        (T.gamma(a), "gamma(a)"),
        (T.gammaln(a), "gammaln(a)"),
        (T.psi(a), "psi(a)"),
    ]
    assert [refimpl.pp(e) for e, _ in expected] == [s for _, s in expected]
    # The pp name fixes the semantics: round half away from zero (numpy rounds half to even).
    halves = np.array([[0.5, 1.5, 2.5], [-0.5, -1.5, -2.5]])
    np.testing.assert_allclose(T.round(a).eval({a: halves}), [[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]])
    iround = T.iround(a)
    assert iround.dtype == "int64"
    np.testing.assert_array_equal(iround.eval({a: halves}), [[1, 2, 3], [-1, -2, -3]])
    np.testing.assert_allclose(T.inv(a).eval({a: np.array([[2.0, 4.0]])}), [[0.5, 0.25]])


def test_003_65_tensordot() -> None:
    rng = np.random.RandomState(0)
    a = rng.random_sample((2, 3, 4))
    b = rng.random_sample((5, 6, 4, 3))
    cloop = np.zeros((2, 5, 6))
    for i in range(2):
        for j in range(5):
            for k in range(6):
                for l_ in range(3):
                    for m_ in range(4):
                        cloop[i, j, k] += a[i, l_, m_] * b[j, k, m_, l_]
    A = T.dtensor3("A")
    B = T.dtensor4("B")
    c = T.tensordot(A, B, [[1, 2], [3, 2]]).eval({A: a, B: b})
    assert (a.shape, b.shape) == ((2, 3, 4), (5, 6, 4, 3))
    assert c.shape == (2, 5, 6)
    np.testing.assert_allclose(c, cloop)
    u, w = T.dvector("u"), T.dvector("w")
    uv, wv = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    np.testing.assert_allclose(T.outer(u, w).eval({u: uv, w: wv}), np.outer(uv, wv))
    m = T.dmatrix("m")
    np.testing.assert_allclose(T.dot(m, w).eval({m: np.ones((2, 3)), w: wv}), [12.0, 12.0])


# ---------------------------------------------------------------------------------------
# seed 004
# ---------------------------------------------------------------------------------------


def test_004_01_inputless_function_with_givens() -> None:
    data_v = np.random.RandomState(0).rand(10, 4)
    w_v = np.random.RandomState(1).rand(4, 3)
    data = shared(data_v)
    W = shared(w_v)
    bias = shared(np.zeros(3))
    x = T.matrix("x")
    y_pred = T.argmax(T.dot(x, W) + bias, axis=1)
    show = function(inputs=[], outputs=y_pred, givens={x: data[0:5]})
    np.testing.assert_array_equal(show(), np.argmax(data_v[:5] @ w_v, axis=1))


def test_004_02_shared_variable_not_an_explicit_input() -> None:
    W = shared(np.ones(3), name="W")
    with pytest.raises(TypeError, match="W"):
        function([W], W * 2)


def test_004_03_updates_seen_through_python_references() -> None:
    W = shared(np.zeros(2))
    params = [W]
    step = function([], [], updates=[(W, W + 1)])
    step()
    step()
    np.testing.assert_allclose(params[0].get_value(), [2.0, 2.0])
    copy = W.get_value()  # borrow=False: a copy
    copy += 100
    np.testing.assert_allclose(W.get_value(), [2.0, 2.0])
