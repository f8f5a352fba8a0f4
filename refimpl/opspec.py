"""``OpSpec``: the typed test specification every op declares beside itself.

Each op family module ends with a ``SPECS`` tuple of ``OpSpec`` records; the
registry (``refimpl.registry``) collects them, and the generated property
suite (``refimpl.testing``) expands each record into value, dtype, shape,
broadcasting, gradient, R_op/L_op, adjointness, second-order and claims
checks. This module is plain data: it imports neither hypothesis nor numpy,
so ops can declare specs without a test dependency.

Inputs are drawn by the suite as follows: an integer seed and the shapes are
drawn by hypothesis (``shapes(draw_int)``), the static parameters by
``params(draw_int, shapes)``, and the values by ``make_inputs(rng, shapes,
params)`` when given, otherwise per ``Arg`` (dtype, domain, kinks, jumps,
distinctness) from a numpy ``Generator`` seeded with the drawn seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from refimpl.types import DType

Shape: TypeAlias = tuple[int, ...]
DrawInt: TypeAlias = Callable[[int, int], int]
"""``draw_int(lo, hi)``: an integer in ``[lo, hi]`` (drawn by hypothesis)."""
ShapeFn: TypeAlias = Callable[[DrawInt], tuple[Shape, ...]]
ParamFn: TypeAlias = Callable[[DrawInt, tuple[Shape, ...]], dict[str, Any]]
InputFn: TypeAlias = Callable[[Any, tuple[Shape, ...], Mapping[str, Any]], tuple[Any, ...]]
"""``make_inputs(rng, shapes, params) -> numpy arrays`` (``rng``: numpy Generator)."""

Check = Literal[
    "value", "dtype", "infer_shape", "broadcast", "no_mutation", "grad", "rop", "lop",
    "adjoint", "linearity", "second_order", "claims", "backend",
]  # fmt: skip


@dataclass(frozen=True)
class Arg:
    """One input of an op under test.

    ``domain``: value interval for value checks; ``grad_domain``: the (usually
    narrower) interval for derivative checks (defaults to ``domain``).
    ``kinks``: points where the op is not differentiable; drawn values keep
    ``margin`` away. ``jumps``: ``'integers'`` or ``'half_integers'`` keeps the
    fractional part away from discontinuities. ``distinct``: values pairwise
    at least ``2*margin`` apart (no ties for max/sort). ``differentiable``:
    whether derivative checks perturb this input (indices, axes: False).
    """

    name: str
    dtypes: tuple[DType, ...] = ("float64", "float32")
    domain: tuple[float, float] = (-3.0, 3.0)
    grad_domain: tuple[float, float] | None = None
    kinks: tuple[float, ...] = ()
    jumps: Literal["integers", "half_integers"] | None = None
    distinct: bool = False
    differentiable: bool = True
    margin: float = 1e-2


@dataclass(frozen=True)
class OpSpec:
    """The test specification of one op (or one public function).

    ``build(*variables, **params)`` builds the symbolic expression;
    ``ref(*numpy_arrays, **params)`` is an independent reference (numpy,
    math, mpmath — not the op's own ``perform``). ``op_classes`` names the
    ``Op`` subclasses this spec exercises (the coverage test requires every
    registered op class to appear in some spec). ``xfail`` maps a check name
    to a reason; xfails are strict (a passing xfail fails).
    """

    name: str
    build: Callable[..., Any]
    ref: Callable[..., Any]
    args: tuple[Arg, ...]
    shapes: ShapeFn
    op_classes: tuple[type, ...] = ()
    params: ParamFn | None = None
    make_inputs: InputFn | None = None
    grad: bool = True
    rop: bool = True
    second_order: bool = True
    poly_degree: int | None = None
    rtol: Mapping[DType, float] = field(default_factory=dict)
    atol: Mapping[DType, float] = field(default_factory=dict)
    ad_tol_factor: float = 1.0
    fd_scale: float = 1.0
    cost: float = 1.0
    xfail: Mapping[str, str] = field(default_factory=dict)
    family: str = ""
    doc: str = ""


# --------------------------------------------------------------------------- shape rules


def broadcast_shapes(
    nargs: int, min_dims: int = 0, max_dims: int = 3, max_side: int = 4
) -> ShapeFn:
    """Mutually broadcastable shapes: a common shape, with each argument's
    shape a suffix of it in which some lengths are replaced by 1."""

    def draw(draw_int: DrawInt) -> tuple[Shape, ...]:
        nd = draw_int(min_dims, max_dims)
        base = tuple(draw_int(1, max_side) for _ in range(nd))
        shapes = []
        for _ in range(nargs):
            k = draw_int(min(min_dims, nd), nd)
            suffix = base[nd - k :]
            shapes.append(tuple(1 if draw_int(0, 3) == 0 else n for n in suffix))
        return tuple(shapes)

    return draw


def same_shapes(nargs: int, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> ShapeFn:
    """All arguments of one drawn shape."""

    def draw(draw_int: DrawInt) -> tuple[Shape, ...]:
        nd = draw_int(min_dims, max_dims)
        shape = tuple(draw_int(1, max_side) for _ in range(nd))
        return (shape,) * nargs

    return draw


def fixed_shapes(*shapes: Shape) -> ShapeFn:
    """Always the given shapes."""
    return lambda draw_int: shapes
