"""Backends: array namespaces by name, moving arrays between them, and the
lossless input conversion that ``function`` and ``shared`` apply.

A backend is an array-API namespace obtained through array-api-compat
(``numpy`` → ``array_api_compat.numpy``, ``torch`` → ``array_api_compat.torch``,
``jax`` → ``jax.numpy``, ``dask`` → ``array_api_compat.dask.array``, ``cupy``
→ ``array_api_compat.cupy``, ``array_api_strict`` itself).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

import array_api_compat
import numpy as np

from refimpl._typing import Array, Device, Namespace
from refimpl.types import DType, TensorType, as_dtype, can_cast, format_shape, scalar_fits

_MODULES: Final[dict[str, str]] = {
    "numpy": "array_api_compat.numpy",
    "array_api_strict": "array_api_strict",
    "torch": "array_api_compat.torch",
    "jax": "jax.numpy",
    "dask": "array_api_compat.dask.array",
    "cupy": "array_api_compat.cupy",
}
_EXTRAS: Final[dict[str, str]] = {
    "torch": "torch", "jax": "jax", "dask": "dask", "cupy": "cupy",
    "array_api_strict": "test", "numpy": "",
}  # fmt: skip


class BackendError(ValueError):
    """An unknown backend name, or a known one that is not installed."""


@dataclass(frozen=True)
class Backend:
    """A resolved backend: its name, namespace and default device."""

    name: str
    xp: Namespace
    device: Device

    def __str__(self) -> str:
        return self.name


_CACHE: dict[str, Backend] = {}


def resolve_backend(spec: str | ModuleType | Backend | None = None) -> Backend:
    """The backend named by ``spec`` (a name, a namespace module, or ``None``
    for ``config.backend``). Raises ``BackendError`` naming what was asked."""
    if isinstance(spec, Backend):
        return spec
    if spec is None:
        from refimpl.config import config

        spec = str(config.backend)
    if isinstance(spec, ModuleType):
        return _from_module(spec)
    if not isinstance(spec, str):
        raise BackendError(f"backend must be a name or a namespace module, got {spec!r}")
    if spec in _CACHE:
        return _CACHE[spec]
    if spec not in _MODULES:
        raise BackendError(f"unknown backend {spec!r}; expected one of {', '.join(_MODULES)}")
    try:
        if spec == "jax":
            importlib.import_module("jax").config.update("jax_enable_x64", True)
        xp = importlib.import_module(_MODULES[spec])
    except ImportError as exc:
        raise BackendError(
            f"backend {spec!r} is not installed (pip install 'refimpl[{_EXTRAS[spec]}]'): {exc}"
        ) from exc
    backend = Backend(spec, xp, _default_device(spec, xp))
    _CACHE[spec] = backend
    return backend


def _default_device(name: str, xp: Namespace) -> Device:
    if name == "array_api_strict":
        return xp.Device()
    if name == "torch":
        return importlib.import_module("torch").device("cpu")
    try:
        info = xp.__array_namespace_info__()
        return info.default_device()
    except Exception:  # pragma: no cover - namespaces without inspection
        return None


def _from_module(module: ModuleType) -> Backend:
    for name in _MODULES:
        checker = getattr(array_api_compat, f"is_{name}_namespace", None)
        if name == "array_api_strict":
            checker = array_api_compat.is_array_api_strict_namespace
        if checker is not None and checker(module):
            return resolve_backend(name)
    raise BackendError(
        f"namespace {module.__name__!r} is not a known backend ({', '.join(_MODULES)})"
    )


def backend_of(x: Array) -> Backend:
    """The backend an array belongs to."""
    return _from_module(array_api_compat.array_namespace(x))


def is_array(x: object) -> bool:
    return bool(array_api_compat.is_array_api_obj(x)) and not isinstance(
        x, (bool, int, float, complex)
    )


def to_numpy(x: Array) -> np.ndarray[Any, Any]:
    """A host numpy array with the value of ``x`` (copy when needed)."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()  # type: ignore[no-any-return]
    if array_api_compat.is_cupy_array(x):
        return x.get()  # type: ignore[no-any-return]
    if array_api_compat.is_dask_array(x):
        return np.asarray(x.compute())
    if array_api_compat.is_array_api_strict_namespace(array_api_compat.array_namespace(x)):
        default = resolve_backend("array_api_strict").device
        if x.device != default:  # strict's fake devices refuse direct conversion
            x = x.to_device(default)
    return np.asarray(x)


def to_backend(x: Array, backend: Backend) -> Array:
    """``x`` as an array of ``backend`` (unchanged when it already is one)."""
    if is_array(x) and not isinstance(x, np.generic):
        if array_api_compat.array_namespace(x) is backend.xp or (
            backend.name == "numpy" and isinstance(x, np.ndarray)
        ):
            return x
    host = to_numpy(x) if is_array(x) or isinstance(x, np.generic) else np.asarray(x)
    return from_numpy(host, backend)


def from_numpy(host: np.ndarray[Any, Any], backend: Backend, device: Device = None) -> Array:
    """A ``backend`` array with the value of ``host`` on ``device`` (default:
    the backend's default device)."""
    if backend.name == "numpy":
        return host
    return backend.xp.asarray(host, device=backend.device if device is None else device)


# --------------------------------------------------------------------------- conversion


def dtype_name(x: Array) -> DType:
    """The refimpl dtype name of an array of any namespace."""
    return as_dtype(str(x.dtype).rsplit(".", 1)[-1].replace("torch.", ""))


def convert_value(
    value: Any,
    ttype: TensorType,
    backend: Backend,
    what: str,
    strict_dtype: bool = False,
    allow_downcast: bool = False,
) -> Array:
    """``value`` as a ``backend`` array of type ``ttype``.

    Python scalars and lists are converted when every value is representable
    in ``ttype.dtype``; arrays when their dtype casts losslessly (or, with
    ``strict_dtype``, only when it is the same). Anything else — a lossy cast,
    the wrong number of dimensions, a length that contradicts the static
    shape — raises ``TypeError`` naming ``what``.
    """
    if is_array(value) or isinstance(value, np.generic):
        arr = value
        src = dtype_name(arr)
        if src != ttype.dtype:
            if strict_dtype or not (allow_downcast or can_cast(src, ttype.dtype)):
                raise TypeError(
                    f"{what}: expected an array of dtype {ttype.dtype}, got {src}"
                    + ("" if strict_dtype else " (the cast would lose information)")
                )
        arr = to_backend(arr, backend)
        if src != ttype.dtype:
            arr = backend.xp.astype(arr, getattr(backend.xp, ttype.dtype))
    else:
        arr = _convert_python(value, ttype, backend, what, allow_downcast)
    shape = tuple(int(n) for n in arr.shape)
    if len(shape) != ttype.ndim:
        raise TypeError(
            f"{what}: expected a {ttype.ndim}-d value of type {ttype}, got {len(shape)}-d "
            f"(shape {format_shape(shape)})"
        )
    if not ttype.shape_matches(shape):
        raise TypeError(
            f"{what}: shape {format_shape(shape)} does not match the static shape "
            f"{format_shape(ttype.shape)} of {ttype}"
        )
    return arr


def _convert_python(
    value: Any, ttype: TensorType, backend: Backend, what: str, allow_downcast: bool = False
) -> Array:
    try:
        host = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what}: cannot convert {value!r} to {ttype}: {exc}") from exc
    if host.dtype.kind not in "biufc":
        raise TypeError(f"{what}: cannot convert {value!r} (dtype {host.dtype}) to {ttype}")
    if allow_downcast:
        return from_numpy(host.astype(ttype.dtype), backend)
    items = host.reshape(-1).tolist() if host.size < 4096 else None
    if items is not None:
        bad = next((v for v in items if not scalar_fits(v, ttype.dtype)), None)
        if bad is not None:
            raise TypeError(
                f"{what}: the value {bad!r} cannot be converted to {ttype.dtype} without loss"
            )
        out = host.astype(ttype.dtype)
    else:
        src = as_dtype(host.dtype.name)
        if not (can_cast(src, ttype.dtype) or (host.dtype.kind == "f" and ttype.dtype[0] == "f")):
            raise TypeError(f"{what}: values of dtype {src} cannot become {ttype.dtype} losslessly")
        out = host.astype(ttype.dtype)
    return from_numpy(out, backend)
