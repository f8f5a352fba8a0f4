"""Backends: resolution, moving values, and device propagation."""

from __future__ import annotations

import array_api_compat
import numpy as np
import pytest

import refimpl
import refimpl.tensor as T
from refimpl.backend import BackendError, resolve_backend
from tests.helpers import assert_close

xps = pytest.importorskip("array_api_strict")


def test_resolve_names_and_modules() -> None:
    assert resolve_backend("numpy").name == "numpy"
    assert resolve_backend(xps).name == "array_api_strict"
    with pytest.raises(BackendError, match="unknown backend 'mxnet'"):
        resolve_backend("mxnet")


@pytest.mark.parametrize("name", ["torch", "jax", "dask", "cupy"])
def test_optional_backends_resolve_or_explain(name: str) -> None:
    try:
        backend = resolve_backend(name)
    except BackendError as exc:
        assert "not installed" in str(exc) and f"refimpl[{name}]" in str(exc)
        pytest.skip(f"{name} is not installed")
    x = T.dvector("x")
    f = refimpl.function([x], T.exp(x) * 2.0 + 1.0, backend=backend)
    assert_close(f([0.0, 1.0]), np.exp([0.0, 1.0]) * 2 + 1, rtol=1e-12)


def test_outputs_are_backend_arrays() -> None:
    x = T.dvector("x")
    out = refimpl.function([x], x * 2.0, backend="array_api_strict")([1.0, 2.0])
    assert array_api_compat.is_array_api_strict_namespace(array_api_compat.array_namespace(out))
    out_np = refimpl.function([x], x * 2.0, backend="numpy")([1.0, 2.0])
    assert isinstance(out_np, np.ndarray)


def test_every_creation_call_follows_the_input_device() -> None:
    # array-api-strict's fake devices raise when arrays of two devices meet: a
    # constant created without device= would land on the default device.
    device = xps.Device("device1")
    x = T.dvector("x")
    f = refimpl.function([x], T.exp(x) * 2.5 + T.constant(np.array([1.0, 2.0])), backend=xps)
    out = f(xps.asarray([0.0, 1.0], device=device))
    assert out.device == device
    assert_close(out, np.exp([0.0, 1.0]) * 2.5 + [1.0, 2.0])


def test_shared_values_move_between_backends() -> None:
    s = refimpl.shared(np.array([1.0, 2.0]), "s")
    f = refimpl.function([], s * 2.0, updates={s: s + 1.0}, backend="array_api_strict")
    assert_close(f(), [2.0, 4.0])
    stored = array_api_compat.array_namespace(s.get_value())
    assert array_api_compat.is_array_api_strict_namespace(stored)
    g = refimpl.function([], s * 1.0, backend="numpy")
    assert_close(g(), [2.0, 3.0])
