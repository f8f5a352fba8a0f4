"""Test specs of ``refimpl.ops.creation`` and ``refimpl.ops.diagonal``
(``creation.SPECS``): alloc/fill/zeros_like/eye/arange/diagonal/diag/trace.
References use numpy only. See ``_shape_specs`` for the conventions (family
``shape``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl.ops._shape_specs import ALL, NDArray, Shapes, shapes_with_ones, spec
from refimpl.opspec import Arg, DrawInt, OpSpec, broadcast_shapes, same_shapes


def alloc_shape(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """The value's shape with length-1 axes maybe stretched, maybe leading axes."""
    lead = tuple(draw_int(0, 3) for _ in range(draw_int(0, 2)))
    rest = tuple(draw_int(0, 3) if n == 1 and draw_int(0, 1) else n for n in shapes[0])
    return {"shape": lead + rest}


def eye_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    n, m = rng.integers(0, 5, size=2)
    return (np.int64(n), np.int64(m), np.int64(rng.integers(-3, 4)))


def arange_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    """Bounds whose length is stable under small moves of start and step:
    ``stop = start + (count - 1/2) * step``."""
    start = rng.uniform(-3, 3)
    step = rng.uniform(0.3, 1.0) * (1 if rng.integers(0, 2) else -1)
    count = int(rng.integers(0, 6))
    return (np.float64(start), np.float64(start + (count - 0.5) * step), np.float64(step))


def arange_int_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    start, stop = rng.integers(-5, 6, size=2)
    step = rng.integers(1, 4) * (1 if rng.integers(0, 2) else -1)
    return (np.int64(start), np.int64(stop), np.int64(step))


def diagonal_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    a = draw_int(0, nd - 1)
    b = (a + draw_int(1, nd - 1)) % nd
    return {"offset": draw_int(-3, 3), "axis1": a - nd * draw_int(0, 1), "axis2": b}


def ref_arange(start: NDArray, stop: NDArray, step: NDArray) -> NDArray:
    dtype = np.result_type(start, stop, step)
    if dtype.kind in "iu":
        dtype = np.dtype(np.int64)
    n = max(0, int(np.ceil((float(stop) - float(start)) / float(step))))
    return (float(start) + np.arange(n) * float(step)).astype(dtype)


def ref_fill(model: NDArray, value: NDArray) -> NDArray:
    shape = np.broadcast_shapes(model.shape, value.shape)
    return np.broadcast_to(value, shape).copy()


def build_arange(start: Any, stop: Any, step: Any) -> Any:
    """One build for both arange specs (float and integer bounds): the claims
    check reads their dtypes together."""
    from refimpl.ops import creation as C

    return C.arange(start, stop, step)


def _int_scalar(name: str) -> Arg:
    return Arg(name, dtypes=("int64",), differentiable=False)


def make_specs() -> tuple[OpSpec, ...]:
    from refimpl.ops import creation as C
    from refimpl.ops import diagonal as D

    lin: dict[str, Any] = {"poly_degree": 1}
    no_ad: dict[str, Any] = {"grad": False, "rop": False, "second_order": False}
    scalar3 = lambda draw_int: ((), (), ())
    return (
        spec(name="alloc", build=lambda v, shape: C.alloc(v, *shape),
             ref=lambda v, shape: np.broadcast_to(v, shape).copy(), args=(Arg("value", ALL),),
             shapes=shapes_with_ones(3), params=alloc_shape, op_classes=(C.Alloc,), **lin),
        spec(name="fill", build=lambda m, v: C.fill(m, v), ref=ref_fill,
             args=(Arg("model", ALL, differentiable=False), Arg("value", ALL)),
             shapes=broadcast_shapes(2), op_classes=(C.Fill,), **lin),
        spec(name="zeros_like", build=lambda x: C.zeros_like(x),
             ref=lambda x: np.zeros_like(x), args=(Arg("x", ALL, differentiable=False),),
             shapes=same_shapes(1), op_classes=(C.Fill,), **no_ad),
        spec(name="eye", build=lambda n, m, k: C.eye(n, m, k, dtype="float64"),
             ref=lambda n, m, k: np.eye(int(n), int(m), int(k)),
             args=(_int_scalar("n"), _int_scalar("m"), _int_scalar("k")), shapes=scalar3,
             make_inputs=eye_inputs, op_classes=(C.Eye,), **no_ad),
        spec(name="arange", build=build_arange, ref=ref_arange,
             args=(Arg("start"), Arg("stop", differentiable=False), Arg("step")),
             shapes=scalar3, make_inputs=arange_inputs, op_classes=(C.ARange,),
             atol={"float32": 1e-5}),
        spec(name="arange_int", build=build_arange, ref=ref_arange,
             args=(_int_scalar("start"), _int_scalar("stop"), _int_scalar("step")),
             shapes=scalar3, make_inputs=arange_int_inputs, op_classes=(C.ARange,), **no_ad),
        spec(name="diagonal", build=lambda x, offset, axis1, axis2: D.diagonal(
                 x, offset, axis1, axis2),
             ref=lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2).copy(),
             args=(Arg("x", ALL),), shapes=same_shapes(1, 2, 4), params=diagonal_params,
             op_classes=(D.ExtractDiag,), **lin),
        spec(name="diag", build=lambda v, k: D.diag(v, k), ref=lambda v, k: np.diag(v, k),
             args=(Arg("v", ALL),), shapes=same_shapes(1, 1, 1),
             params=lambda d, s: {"k": d(-2, 2)}, op_classes=(D.AllocDiag,), **lin),
        spec(name="trace", build=lambda x: D.trace(x), ref=lambda x: np.asarray(np.trace(x)),
             args=(Arg("x", ALL),), shapes=same_shapes(1, 2, 2), op_classes=(D.ExtractDiag,),
             **lin),
    )  # fmt: skip
