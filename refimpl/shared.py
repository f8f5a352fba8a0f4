"""Shared variables: symbolic variables with a persistent value.

A shared variable's type is fixed by its first value (dtype and number of
dimensions; every length is left unknown unless ``shape=`` says otherwise).
``set_value`` refuses a value of another dtype or ndim with a ``TypeError``
naming the variable: never a silent cast. Functions read the value at call
time and store updates atomically (see ``refimpl.modes.function``).
"""

from __future__ import annotations

import copy as _copy
from typing import Any

import numpy as np

from refimpl._typing import Array
from refimpl.backend import Backend, backend_of, convert_value, dtype_name, is_array, to_numpy
from refimpl.graph.basic import Variable
from refimpl.types import StaticShape, TensorType, python_scalar_dtype
from refimpl.variable import TensorVariable


class SharedVariable(Variable[Any]):
    """Base class of shared variables (``isinstance`` target)."""

    _value: Array
    _backend: Backend

    def get_value(self, borrow: bool = False) -> Array:
        """The current value; a copy unless ``borrow=True``."""
        if borrow:
            return self._value
        return _copy_array(self._value, self._backend)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it must have this variable's dtype and ndim."""
        arr, backend = self._validate(value)
        if not borrow and arr is value:
            arr = _copy_array(arr, backend)
        self._value, self._backend = arr, backend

    def _validate(self, value: Any) -> tuple[Array, Backend]:
        raise NotImplementedError

    def _store(self, value: Array, backend: Backend) -> None:
        """Store an already-validated value (used by function updates)."""
        self._value, self._backend = value, backend


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared tensor."""

    def __init__(self, type: TensorType, value: Array, backend: Backend, name: str | None) -> None:
        TensorVariable.__init__(self, type, name=name)
        self._value = value
        self._backend = backend

    def _validate(self, value: Any) -> tuple[Array, Backend]:
        backend = backend_of(value) if is_array(value) else self._backend
        what = f"shared variable {self.auto_name()}"
        return convert_value(value, self.type, backend, what, strict_dtype=is_array(value)), backend

    def clone(self) -> TensorSharedVariable:
        cp = TensorSharedVariable(self.type, self._value, self._backend, self.name)
        return cp

    def auto_name(self) -> str:
        return self.name if self.name is not None else f"<{self.type}>"


def _copy_array(x: Array, backend: Backend) -> Array:
    if backend.name == "numpy":
        return np.array(x, copy=True)
    if hasattr(backend.xp, "asarray"):
        try:
            return backend.xp.asarray(x, copy=True)
        except (TypeError, ValueError, NotImplementedError):
            pass
    return _copy.deepcopy(x)


def shared(
    value: Any,
    name: str | None = None,
    borrow: bool = False,
    shape: StaticShape | None = None,
    broadcastable: tuple[bool, ...] | None = None,
    strict: bool = False,
) -> TensorSharedVariable:
    """A shared variable holding ``value`` (an array of any namespace, a
    numpy array, a Python scalar or list).

    Python floats become ``config.floatX``; arrays keep their dtype. The
    static shape is all-unknown unless ``shape`` or Theano's
    ``broadcastable`` is given. ``borrow=True`` keeps the caller's array
    instead of a copy. ``strict`` is accepted for Theano compatibility.
    """
    from refimpl.backend import resolve_backend
    from refimpl.config import config

    if isinstance(value, Variable):
        raise TypeError(f"shared() needs a value, not the symbolic variable {value}")
    if is_array(value):
        backend = backend_of(value)
        dtype = dtype_name(value)
        arr = value if borrow else _copy_array(value, backend)
    else:
        backend = resolve_backend("numpy")
        if isinstance(value, (bool, int, float, complex)):
            host = np.asarray(value, dtype=python_scalar_dtype(value, config.floatX))
        else:
            host = np.asarray(to_numpy(value) if isinstance(value, np.generic) else value)
            if host.dtype.kind not in "biufc":
                raise TypeError(f"shared(): cannot hold a value of dtype {host.dtype}")
        arr = host if borrow and host is value else np.array(host, copy=True)
        dtype = dtype_name(arr)
    ndim = len(arr.shape)
    if shape is None:
        shape = tuple(broadcastable_to_shape(broadcastable)) if broadcastable else (None,) * ndim
    ttype = TensorType(dtype, shape)
    what = f"shared variable {name or ''}".rstrip()
    convert_value(arr, ttype, backend, what, strict_dtype=True)  # validates ndim/static shape
    return TensorSharedVariable(ttype, arr, backend, name)


def broadcastable_to_shape(pattern: tuple[bool, ...]) -> list[int | None]:
    return [1 if b else None for b in pattern]
