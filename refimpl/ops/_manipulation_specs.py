"""Test specs of ``refimpl.ops.manipulation`` (``manipulation.SPECS``):
join/stack/split/tile/repeat. References use numpy only. See
``_shape_specs`` for the conventions (family ``shape``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl.ops._shape_specs import ALL, NDArray, Shapes, spec
from refimpl.opspec import Arg, DrawInt, OpSpec, same_shapes
from refimpl.types import DType


def join_shapes(nargs: int) -> Any:
    """Shapes equal except along one axis (nd >= 1)."""

    def draw(draw_int: DrawInt) -> Shapes:
        nd = draw_int(1, 3)
        base = [draw_int(1, 4) for _ in range(nd)]
        axis = draw_int(0, nd - 1)
        out = []
        for _ in range(nargs):
            s = list(base)
            s[axis] = draw_int(0, 3)
            out.append(tuple(s))
        return tuple(out)

    return draw


def join_axis(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    differ = [k for k in range(nd) if len({s[k] for s in shapes}) > 1]
    axis = differ[0] if differ else draw_int(0, nd - 1)
    return {"axis": axis - nd * draw_int(0, 1)}


def stack_axis(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0]) + 1
    return {"axis": draw_int(-nd, nd - 1)}


def split_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    axis = draw_int(0, nd - 1)
    n = shapes[0][axis]
    cuts = sorted(draw_int(0, n) for _ in range(draw_int(0, 3)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    return {"sizes": tuple(sizes), "axis": axis - nd * draw_int(0, 1)}


def tile_reps(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    n = draw_int(max(0, len(shapes[0]) - 1), len(shapes[0]) + 1)
    return {"reps": tuple(draw_int(0, 3) for _ in range(n))}


def repeat_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    axis = None if nd == 0 or draw_int(0, 2) == 0 else draw_int(-nd, nd - 1)
    return {"repeats": draw_int(0, 3), "axis": axis}


def repeat_vector_axis(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    return {"axis": draw_int(0, nd - 1)}


def _counts(rng: Any, shapes: Shapes, params: Any) -> NDArray:
    return np.asarray(rng.integers(0, 4, size=shapes[1]), dtype=np.int64)


def repeat_vector_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    return (rng.uniform(-3, 3, size=shapes[0]), _counts(rng, shapes, params))


def repeat_vector_shapes(draw_int: DrawInt) -> Shapes:
    nd = draw_int(1, 3)
    shape = tuple(draw_int(1, 4) for _ in range(nd))
    return (shape, (shape[0],))


def repeat_sum_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    """``g`` and counts adding up to ``g``'s length on ``axis`` (a random composition)."""
    total, parts = shapes[0][params["axis"]], shapes[1][0]
    counts = rng.multinomial(total, np.ones(parts) / parts).astype(np.int64)
    return (rng.uniform(-3, 3, size=shapes[0]), counts)


def repeat_sum_shapes(draw_int: DrawInt) -> Shapes:
    nd = draw_int(1, 3)
    shape = tuple(draw_int(1, 4) for _ in range(nd))
    return (shape, (draw_int(1, 4),))


def ref_split(x: NDArray, sizes: tuple[int, ...], axis: int) -> NDArray:
    pieces = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
    return np.concatenate(pieces[::-1], axis=axis)


def ref_repeat_sum(g: NDArray, reps: NDArray, axis: int) -> NDArray:
    ends = np.cumsum(reps)
    moved = np.moveaxis(g, axis, 0)
    rows = [moved[e - r : e].sum(axis=0) for e, r in zip(ends, reps)]
    out = np.stack(rows) if rows else np.zeros((0, *moved.shape[1:]), dtype=g.dtype)
    return np.moveaxis(out.astype(g.dtype), 0, axis)


def make_specs() -> tuple[OpSpec, ...]:
    from refimpl.ops import manipulation as M

    x = Arg("x", dtypes=ALL)
    mixed = (Arg("a", dtypes=(*ALL, "float32", "int32")),
             Arg("b", dtypes=(*ALL, "float64", "float32")))  # fmt: skip
    abc = (Arg("a", ALL), Arg("b", ALL), Arg("c", ALL))
    inexact: tuple[DType, ...] = ("float64", "float32", "complex128")
    counts = Arg("repeats", dtypes=("int64",), domain=(0, 3), differentiable=False)
    lin: dict[str, Any] = {"poly_degree": 1}
    return (
        spec(name="join", build=lambda a, b, axis: M.join(axis, a, b),
             ref=lambda a, b, axis: np.concatenate([a, b], axis=axis), args=mixed,
             shapes=join_shapes(2), params=join_axis, op_classes=(M.Join,), **lin),
        spec(name="concatenate3", build=lambda a, b, c, axis: M.concatenate([a, b, c], axis),
             ref=lambda a, b, c, axis: np.concatenate([a, b, c], axis=axis),
             args=abc, shapes=join_shapes(3), params=join_axis, op_classes=(M.Join,), **lin),
        spec(name="stack", build=lambda a, b, axis: M.stack([a, b], axis=axis),
             ref=lambda a, b, axis: np.stack([a, b], axis=axis), args=mixed,
             shapes=same_shapes(2, 0, 3), params=stack_axis, op_classes=(M.Join,), **lin),
        spec(name="split", build=lambda x, sizes, axis: M.join(
                 axis, *M.split(x, sizes, len(sizes), axis)[::-1]),
             ref=ref_split, args=(x,), shapes=same_shapes(1, 1, 3), params=split_params,
             op_classes=(M.Split,), **lin),
        spec(name="tile", build=lambda x, reps: M.tile(x, reps),
             ref=lambda x, reps: np.tile(x, reps) if reps else x.copy(), args=(x,),
             shapes=same_shapes(1, 0, 3), params=tile_reps, op_classes=(M.Tile,), **lin),
        spec(name="repeat", build=lambda x, repeats, axis: M.repeat(x, repeats, axis),
             ref=lambda x, repeats, axis: np.repeat(x, repeats, axis), args=(x,),
             shapes=same_shapes(1, 0, 3), params=repeat_params, op_classes=(M.Repeat,), **lin),
        spec(name="repeat_vector", build=lambda x, r, axis: M.repeat(x, r, axis),
             ref=lambda x, r, axis: np.repeat(x, r, axis), args=(x, counts),
             shapes=repeat_vector_shapes, params=lambda d, s: {"axis": 0},
             make_inputs=repeat_vector_inputs, op_classes=(M.Repeat, M.RepeatSum), **lin),
        spec(name="repeat_sum", build=lambda g, r, axis: M.RepeatSum(axis)(g, r),
             ref=ref_repeat_sum, args=(Arg("g", inexact), counts),
             shapes=repeat_sum_shapes, params=repeat_vector_axis,
             make_inputs=repeat_sum_inputs, op_classes=(M.RepeatSum,), **lin),
    )  # fmt: skip
