"""The value-group checks: value vs reference, dtype and static type,
namespace, ``infer_shape``, broadcasting, no input mutation, determinism.

Each check takes a ``Trial`` and returns its worst error ratio (error /
bound, ``<= 1`` passes; ``None`` when not meaningful), raises
``CheckFailed`` with a message naming the op, the check, the case and the
worst entry, or ``CheckSkipped`` when it does not apply to the case. The
tolerances are in spec/testing.md ("Value tolerances").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import array_api_compat
import numpy as np

from refimpl.backend import dtype_name, to_backend, to_numpy
from refimpl.opspec import OpSpec
from refimpl.testing.trial import Trial
from refimpl.types import DType, kind

NDArray = np.ndarray[Any, Any]
CheckFn = Callable[[Trial], float | None]

RTOL: Final[dict[str, float]] = {
    "float64": 1e-10, "complex128": 1e-10, "float32": 1e-5, "complex64": 1e-5, "float16": 1e-2,
}  # fmt: skip
ATOL: Final[dict[str, float]] = {
    "float64": 1e-13, "complex128": 1e-13, "float32": 1e-6, "complex64": 1e-6, "float16": 1e-3,
}  # fmt: skip


class CheckFailed(AssertionError):
    """A property does not hold; ``worst`` is the worst error ratio seen."""

    def __init__(self, message: str, worst: float | None = None) -> None:
        super().__init__(message)
        self.worst = worst


class CheckSkipped(Exception):
    """The check does not apply to this case (the reason is the message)."""


def header(t: Trial, check: str) -> str:
    return f"{t.case.spec.name}::{check} on {t.backend.name}: {t.case.describe()}"


def tolerances(spec: OpSpec, dtype: str) -> tuple[float, float]:
    """(rtol, atol) for an output of ``dtype``: the spec's override or the default."""
    d: Any = dtype
    return spec.rtol.get(d, RTOL.get(dtype, 0.0)), spec.atol.get(d, ATOL.get(dtype, 0.0))


def as_outputs(ref: Any) -> list[NDArray]:
    items = list(ref) if isinstance(ref, (list, tuple)) else [ref]
    return [np.asarray(to_numpy(r)) for r in items]


def _item(a: NDArray, idx: tuple[int, ...]) -> str:
    return repr(a[idx].item())


def compare(
    spec: OpSpec, actual: NDArray, expected: NDArray, dtype: DType, what: str
) -> tuple[float, str | None]:
    """Worst ratio and a failure text (``None`` when it passes). Discrete
    values must be equal; inexact ones within ``atol + rtol max|expected|``
    (normwise); NaN must match NaN."""
    if actual.shape != expected.shape:
        return math.inf, f"{what}: shape {actual.shape}, expected {expected.shape}"
    if actual.size == 0:
        return 0.0, None
    if kind(dtype) in "biu" or (expected.dtype.kind in "biu" and actual.dtype.kind in "biu"):
        bad = actual != expected
        if not np.any(bad):
            return 0.0, None
        pos = tuple(int(p) for p in np.argwhere(bad)[0])
        return math.inf, f"{what}[{pos}] = {_item(actual, pos)}, expected {_item(expected, pos)}"
    a, e = actual.astype(np.complex128), expected.astype(np.complex128)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    if np.any(nan_a != nan_e):
        pos = tuple(int(p) for p in np.argwhere(nan_a != nan_e)[0])
        text = f"{what}[{pos}] = {_item(actual, pos)}, expected {_item(expected, pos)} (NaN)"
        return math.inf, text
    ok = ~nan_e
    same_inf = np.isinf(a) & (a == e)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(ok & ~same_inf, np.abs(a - e), 0.0)
    err = np.where(np.isnan(err), np.inf, err)
    rtol, atol = tolerances(spec, dtype)
    finite = np.abs(e[ok & np.isfinite(e)])
    bound = atol + rtol * (float(finite.max()) if finite.size else 0.0)
    worst = float(err.max())
    ratio = worst / bound if bound > 0 else (0.0 if worst == 0 else math.inf)
    if ratio <= 1.0:
        return ratio, None
    idx = tuple(int(p) for p in np.unravel_index(int(np.argmax(err)), err.shape))
    return ratio, (
        f"{what}[{idx}] = {_item(actual, idx)}, expected {_item(expected, idx)}: "
        f"|error| {worst:.3g} > bound {bound:.3g} (atol {atol:g} + rtol {rtol:g} max|expected|)"
    )


# --------------------------------------------------------------------------- checks


def check_value(t: Trial) -> float:
    """The outputs equal ``spec.ref`` on copies of the inputs (numpy)."""
    spec = t.case.spec
    ref = as_outputs(spec.ref(*(v.copy() for v in t.values), **t.case.params))
    outs = t.outputs_np
    if len(ref) != len(outs):
        raise CheckFailed(f"{header(t, 'value')}\n{len(outs)} outputs, reference has {len(ref)}")
    worst = 0.0
    for k, (a, e) in enumerate(zip(outs, ref)):
        ratio, text = compare(spec, a, e, t.harness.ys[k].dtype, f"output {k}")
        if text is not None:
            raise CheckFailed(f"{header(t, 'value')}\n{text}", ratio)
        worst = max(worst, ratio)
    return worst


def check_dtype(t: Trial) -> None:
    """Each output has the declared dtype, ndim, and the static lengths its
    type declares."""
    for k, (out, y) in enumerate(zip(t.outputs, t.harness.ys)):
        got, shape = dtype_name(out), tuple(int(n) for n in out.shape)
        problems = []
        if got != y.dtype:
            problems.append(f"dtype {got}, declared {y.dtype}")
        if len(shape) != y.type.ndim or not y.type.shape_matches(shape):
            problems.append(f"shape {shape} does not match the declared type {y.type}")
        if problems:
            raise CheckFailed(f"{header(t, 'dtype')}\noutput {k} ({y}): " + "; ".join(problems))


def check_backend(t: Trial) -> None:
    """The outputs are arrays of the namespace under test."""
    want = t.backend.xp
    for k, out in enumerate(t.outputs):
        try:
            ns = array_api_compat.array_namespace(out)
        except TypeError as exc:
            raise CheckFailed(f"{header(t, 'backend')}\noutput {k} is not an array: {exc}") from exc
        if ns is not want and not (t.backend.name == "numpy" and isinstance(out, np.ndarray)):
            raise CheckFailed(
                f"{header(t, 'backend')}\noutput {k} belongs to {ns.__name__}, not {t.backend.name}"
            )


def check_infer_shape(t: Trial) -> None:
    """Every node's ``infer_shape`` equals the shape of its computed outputs."""
    values, inferred = t.harness.infer_shapes(t.values)
    outs = [(node, o) for node in t.harness.nodes() for o in node.outputs]
    for (node, out), val, shp in zip(outs, values, inferred):
        if tuple(val.shape) != tuple(shp):
            raise CheckFailed(
                f"{header(t, 'infer_shape')}\n{node.op}.infer_shape gives {tuple(shp)} for "
                f"output {out.index} of {node}, the value has shape {tuple(val.shape)}"
            )


def is_broadcasting(t: Trial) -> bool:
    """Whether the case's graph is purely elementwise (only ``Elemwise``
    nodes), so its inputs broadcast against each other."""
    from refimpl.ops.elemwise import Elemwise

    nodes = t.harness.nodes()
    return bool(nodes) and all(isinstance(n.op, Elemwise) for n in nodes)


def check_broadcast(t: Trial) -> float:
    """The output shape is the broadcast shape and the value equals the op
    applied to explicitly broadcast inputs."""
    case = t.case
    if not is_broadcasting(t):
        raise CheckSkipped("not a purely elementwise graph")
    try:
        result = tuple(np.broadcast_shapes(*case.shapes))
    except ValueError as exc:
        raise CheckFailed(f"{header(t, 'broadcast')}\nshapes do not broadcast: {exc}") from exc
    for k, out in enumerate(t.outputs_np):
        if tuple(out.shape) != result:
            raise CheckFailed(
                f"{header(t, 'broadcast')}\noutput {k} has shape {out.shape}, "
                f"the broadcast shape is {result}"
            )
    if all(tuple(s) == result for s in case.shapes):
        return 0.0
    full = [np.broadcast_to(v, result).copy() for v in t.values]
    static = [tuple(1 if n == 1 else None for n in result)] * len(full)
    expl = t.harness_for(static=static).forward_np(full)
    worst = 0.0
    for k, (a, e) in enumerate(zip(t.outputs_np, expl)):
        ratio, text = compare(case.spec, a, e, t.harness.ys[k].dtype, f"output {k}")
        if text is not None:
            raise CheckFailed(
                f"{header(t, 'broadcast')}\nbroadcast inputs vs explicitly broadcast: {text}",
                ratio,
            )
        worst = max(worst, ratio)
    return worst


def check_no_mutation(t: Trial) -> None:
    """Calling the function leaves its input arrays unchanged."""
    before = [v.copy() for v in t.values]
    arrays = [to_backend(v.copy(), t.backend) for v in t.values]
    again = t.harness.forward(arrays, copy=False)
    t.memo["second_outputs"] = again
    for i, (arr, old) in enumerate(zip(arrays, before)):
        now = to_numpy(arr)
        if not np.array_equal(now, old, equal_nan=old.dtype.kind in "fc"):
            pos = tuple(int(p) for p in np.argwhere(now != old)[0]) if now.shape else ()
            raise CheckFailed(
                f"{header(t, 'no_mutation')}\ninput {i} ({t.case.spec.args[i].name}) was "
                f"modified: at {pos} it was {old[pos]!r}, now {now[pos]!r}"
            )


def check_determinism(t: Trial) -> None:
    """Two calls with equal inputs give bitwise equal outputs."""
    second = t.memo.get("second_outputs") or t.harness.forward(t.values)
    for k, (a, b) in enumerate(zip(t.outputs_np, second)):
        bn = to_numpy(b)
        if not np.array_equal(a, bn, equal_nan=a.dtype.kind in "fc"):
            raise CheckFailed(
                f"{header(t, 'determinism')}\noutput {k} differs between two calls "
                f"(max difference {np.max(np.abs(a - bn)):.3g})"
            )


VALUE_CHECKS: Final[Mapping[str, CheckFn]] = {
    "value": check_value,
    "dtype": check_dtype,
    "backend": check_backend,
    "infer_shape": check_infer_shape,
    "broadcast": check_broadcast,
    "no_mutation": check_no_mutation,
    "determinism": check_determinism,
}
