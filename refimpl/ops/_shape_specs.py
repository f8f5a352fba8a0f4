"""Test specs of the shape family's ``shape`` and ``axes`` modules
(``shape.SPECS``): parameter draws, input makers and numpy references.

References use numpy only, independently of the ops' ``perform``. The
generated suite gives length-1 axes the static length 1 (broadcastable) and
every other axis an unknown length, so drawn patterns may drop exactly the
axes of drawn length 1. Every spec carries ``family='shape'``: the whole
family (shape, axes, manipulation, creation, diagonal) is ``spec/shape.md``.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from refimpl.opspec import Arg, DrawInt, OpSpec, Shape, ShapeFn, fixed_shapes, same_shapes

NDArray = np.ndarray[Any, Any]
Shapes = tuple[Shape, ...]

FLOATS: Final = ("float64", "float32")
ALL: Final = ("float64", "float32", "complex128", "bool", "int32")
"""The shape family moves values without arithmetic: every dtype is claimed."""
ANY_DTYPES: Final = ("float64", "float32", "int64", "int32", "bool", "complex128")


def spec(**kw: Any) -> OpSpec:
    """An ``OpSpec`` of the shape family."""
    return OpSpec(family="shape", **kw)


def draw_perm(draw_int: DrawInt, n: int) -> list[int]:
    """A permutation of ``range(n)`` (Fisher-Yates with ``draw_int``)."""
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = draw_int(0, i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def shapes_with_ones(max_dims: int = 4, max_side: int = 4) -> ShapeFn:
    """One shape in which each length is 1 with probability about 1/3."""

    def draw(draw_int: DrawInt) -> Shapes:
        nd = draw_int(0, max_dims)
        return (tuple(1 if draw_int(0, 2) == 0 else draw_int(2, max_side) for _ in range(nd)),)

    return draw


def shape_with_a_one(draw_int: DrawInt) -> Shapes:
    """One shape (1 to 3 axes) with at least one length 1."""
    (shape,) = shapes_with_ones(3)(draw_int)
    k = draw_int(0, len(shape)) if shape else 0
    return ((*shape[:k], 1, *shape[k + 1 :]),)


# --------------------------------------------------------------------------- params


def axis_param(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    return {"axis": draw_int(-nd, nd - 1)}


def reshape_target(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """A target shape: lengths merged/split at random, maybe one ``-1``."""
    dims = [n for n in shapes[0] if n != 1]
    out: list[int] = []
    for n in dims:
        if out and draw_int(0, 2) == 0:
            out[-1] *= n
        else:
            out.append(n)
    out = [out[k] for k in draw_perm(draw_int, len(out))]
    for _ in range(draw_int(0, 2)):
        out.insert(draw_int(0, len(out)), 1)
    if out and draw_int(0, 1):
        out[draw_int(0, len(out) - 1)] = -1
    return {"newshape": tuple(out)}


def flatten_ndim(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"ndim": draw_int(1, max(1, len(shapes[0])))}


def dimshuffle_pattern(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    """A random order of the axes; axes of length 1 may be dropped; 'x' inserted."""
    shape = shapes[0]
    kept = [k for k in range(len(shape)) if shape[k] != 1 or draw_int(0, 1)]
    pattern: list[Any] = [kept[k] for k in draw_perm(draw_int, len(kept))]
    for _ in range(draw_int(0, 2)):
        pattern.insert(draw_int(0, len(pattern)), "x")
    return {"pattern": tuple(pattern)}


def transpose_axes(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    if draw_int(0, 2) == 0:
        return {"axes": None}
    return {"axes": tuple(a - nd * draw_int(0, 1) for a in draw_perm(draw_int, nd))}


def swap_params(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0])
    return {"axis1": draw_int(-nd, nd - 1), "axis2": draw_int(-nd, nd - 1)}


def padaxis_param(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    nd = len(shapes[0]) + 1
    return {"axis": draw_int(-nd, nd - 1)}


def squeeze_param(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    ones = [k for k, n in enumerate(shapes[0]) if n == 1]
    if not ones or draw_int(0, 1):
        return {"axis": None}
    return {"axis": tuple(k for k in ones if draw_int(0, 1))}


def ones_axes(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"axes": tuple(k for k, n in enumerate(shapes[0]) if n == 1)}


def given_shape(draw_int: DrawInt, shapes: Shapes) -> dict[str, Any]:
    return {"shape": tuple(n if draw_int(0, 2) else None for n in shapes[0])}


# --------------------------------------------------------------------------- references


def ref_reshape(x: NDArray, newshape: tuple[int, ...]) -> NDArray:
    return np.reshape(x, newshape)


def ref_flatten(x: NDArray, ndim: int) -> NDArray:
    return np.reshape(x, (*x.shape[: ndim - 1], math.prod(x.shape[ndim - 1 :])))


def ref_dimshuffle(x: NDArray, pattern: tuple[Any, ...]) -> NDArray:
    kept = [e for e in pattern if e != "x"]
    dropped = tuple(k for k in range(x.ndim) if k not in kept)
    y = np.squeeze(x, axis=dropped)
    rank = {k: r for r, k in enumerate(sorted(kept))}
    y = np.transpose(y, [rank[k] for k in kept])
    for k, e in enumerate(pattern):
        if e == "x":
            y = np.expand_dims(y, k)
    return y


def ref_squeeze(x: NDArray, axis: Any) -> NDArray:
    if axis is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=axis)


def _symbolic_reshape_inputs(rng: Any, shapes: Shapes, params: Any) -> tuple[Any, ...]:
    return (rng.uniform(-3, 3, size=shapes[0]), np.array(params["newshape"], dtype=np.int64))


def _build_reshape_symbolic(x: Any, s: Any, newshape: Any) -> Any:
    from refimpl.ops import shape as S

    return S.reshape(x, s, ndim=len(newshape))


def _build_specify(x: Any, shape: Any) -> Any:
    from refimpl.ops import shape as S

    return S.specify_shape(x, shape)


def _build_rebroadcast(x: Any, axes: Any) -> Any:
    from refimpl.ops import shape as S

    return S.addbroadcast(S.unbroadcast(x, *axes), *axes)


def _s() -> Any:
    from refimpl.ops import shape as S

    return S


def make_specs() -> tuple[OpSpec, ...]:
    """The shape/axes specs (a function so the op classes are looked up after
    the modules are loaded)."""
    from refimpl.ops import axes as A
    from refimpl.ops import shape as S

    x = Arg("x", dtypes=ALL)
    x_any = Arg("x", dtypes=ANY_DTYPES, differentiable=False)
    abc = (Arg("a", ALL), Arg("b", ALL), Arg("c", ALL))
    lin: dict[str, Any] = {"poly_degree": 1}
    no_ad: dict[str, Any] = {"grad": False, "rop": False, "second_order": False}
    return (
        spec(name="shape", build=lambda x: S.shape(x),
             ref=lambda x: np.asarray(x.shape, dtype=np.int64), args=(x_any,),
             shapes=same_shapes(1, 0, 4), op_classes=(S.Shape,), **no_ad),
        spec(name="shape_i", build=lambda x, axis: S.ShapeI(axis % x.ndim)(x),
             ref=lambda x, axis: np.asarray(x.shape[axis], dtype=np.int64), args=(x_any,),
             shapes=same_shapes(1, 1, 3), params=axis_param, op_classes=(S.ShapeI,), **no_ad),
        spec(name="specify_shape", build=_build_specify, ref=lambda x, shape: x.copy(),
             args=(x,), shapes=shapes_with_ones(), params=given_shape,
             op_classes=(S.SpecifyShape,), **lin),
        spec(name="make_vector", build=lambda a, b, c: S.make_vector(a, b, c),
             ref=lambda a, b, c: np.stack([a, b, c]), args=abc,
             shapes=fixed_shapes((), (), ()), op_classes=(S.MakeVector,), **lin),
        spec(name="reshape", build=lambda x, newshape: S.reshape(x, newshape),
             ref=ref_reshape, args=(x,), shapes=shapes_with_ones(), params=reshape_target,
             op_classes=(S.Reshape,), **lin),
        spec(name="reshape_symbolic", build=_build_reshape_symbolic,
             ref=lambda x, s, newshape: ref_reshape(x, newshape),
             args=(x, Arg("s", dtypes=("int64",), differentiable=False)),
             shapes=lambda d: (*shapes_with_ones()(d), (0,)), params=reshape_target,
             make_inputs=_symbolic_reshape_inputs, op_classes=(S.Reshape,), **lin),
        spec(name="flatten", build=lambda x, ndim: S.flatten(x, ndim), ref=ref_flatten,
             args=(x,), shapes=shapes_with_ones(), params=flatten_ndim,
             op_classes=(S.Flatten,), **lin),
        spec(name="dimshuffle", build=lambda x, pattern: A.dimshuffle(x, pattern),
             ref=ref_dimshuffle, args=(x,), shapes=shapes_with_ones(),
             params=dimshuffle_pattern, op_classes=(A.DimShuffle,), **lin),
        spec(name="transpose", build=lambda x, axes: A.transpose(x, axes),
             ref=lambda x, axes: np.transpose(x, axes), args=(x,), shapes=shapes_with_ones(),
             params=transpose_axes, op_classes=(A.DimShuffle,), **lin),
        spec(name="swapaxes", build=lambda x, axis1, axis2: A.swapaxes(x, axis1, axis2),
             ref=lambda x, axis1, axis2: np.swapaxes(x, axis1, axis2), args=(x,),
             shapes=same_shapes(1, 1, 4), params=swap_params, op_classes=(A.DimShuffle,), **lin),
        spec(name="shape_padaxis", build=lambda x, axis: A.shape_padaxis(x, axis),
             ref=lambda x, axis: np.expand_dims(x, axis), args=(x,), shapes=shapes_with_ones(3),
             params=padaxis_param, op_classes=(A.DimShuffle,), **lin),
        spec(name="squeeze", build=lambda x, axis: A.squeeze(x, axis), ref=ref_squeeze,
             args=(x,), shapes=shapes_with_ones(), params=squeeze_param,
             op_classes=(A.DimShuffle,), **lin),
        spec(name="rebroadcast", build=_build_rebroadcast, ref=lambda x, axes: x.copy(),
             args=(x,), shapes=shape_with_a_one, params=ones_axes,
             op_classes=(A.Rebroadcast,), **lin),
    )  # fmt: skip
