"""The user-facing checkers: ``check_op``, ``check_grad``, ``check_rop_lop``.

They test users' own graphs and custom Ops with the machinery of the
generated suite. ``check_op`` runs every applicable check of a spec — given,
or inferred from an Op or a function of symbolic inputs with default
arguments (float64/float32 in (-3, 3), shapes of up to two axes, the numpy
evaluation of the same graph as the value reference). ``check_grad`` and
``check_rop_lop`` check derivatives of a function at given points. All
return a ``Report``, or raise ``ChecksFailed`` carrying it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np

from refimpl.backend import Backend, resolve_backend, to_numpy
from refimpl.graph.basic import Op
from refimpl.modes.function import Function, function
from refimpl.opspec import Arg, OpSpec, Shape, ShapeFn, fixed_shapes, same_shapes
from refimpl.testing.cases import static_pattern
from refimpl.testing.report import Report
from refimpl.testing.runner import GROUPS, check_backend
from refimpl.types import DType, TensorType, as_dtype

NDArray = np.ndarray[Any, Any]
BackendLike = str | ModuleType | Backend | None


def _nargs(target: Callable[..., Any]) -> int | None:
    fn = target.make_node if isinstance(target, Op) else target
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            n += 1
    return n


def graph_reference(build: Callable[..., Any]) -> Callable[..., Any]:
    """A ``ref`` for a spec without one: the same graph evaluated on numpy
    (FAST_COMPILE). On numpy this is a self-consistency check; on another
    namespace it compares that namespace with numpy."""
    compiled: dict[tuple[object, ...], Function] = {}

    def ref(*arrays: NDArray, **params: Any) -> Any:
        key = (
            tuple((str(a.dtype), static_pattern(a.shape)) for a in arrays),
            tuple(sorted((k, repr(v)) for k, v in params.items())),
        )
        if key not in compiled:
            xs = [TensorType(as_dtype(str(a.dtype)), static_pattern(a.shape))() for a in arrays]
            out = build(*xs, **params)
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            compiled[key] = function(xs, outs, mode="FAST_COMPILE", backend="numpy",
                                     on_unused_input="ignore")  # fmt: skip
        result = [to_numpy(o) for o in compiled[key](*arrays)]
        return result[0] if len(result) == 1 else result

    return ref


def spec_for(
    target: Op | Callable[..., Any],
    *,
    name: str | None = None,
    nargs: int | None = None,
    args: Sequence[Arg] | None = None,
    shapes: ShapeFn | None = None,
    ref: Callable[..., Any] | None = None,
    **options: Any,
) -> OpSpec:
    """An ``OpSpec`` for an Op instance or a function of symbolic inputs,
    with inferred defaults; ``options`` are further ``OpSpec`` fields
    (``params``, ``make_inputs``, ``grad``, ``rop``, ``second_order``,
    ``poly_degree``, ``rtol``, ``atol``, ``ad_tol_factor``, ``xfail`` ...)."""
    if args is None:
        n = nargs if nargs is not None else _nargs(target)
        if n is None:
            raise TypeError(f"check_op: cannot tell how many inputs {target!r} takes; pass nargs=")
        args = tuple(Arg(f"x{i}") for i in range(n))
    build: Callable[..., Any] = target
    op_classes: tuple[type, ...] = ()
    if isinstance(target, Op):
        op: Op = target

        def build(*xs: Any, **params: Any) -> Any:
            return op(*xs, **params)

        op_classes = (type(op),)
    label = name or getattr(target, "__name__", None) or str(target)
    return OpSpec(
        name=label,
        build=build,
        ref=ref or graph_reference(build),
        args=tuple(args),
        shapes=shapes or same_shapes(len(args), max_dims=2),
        op_classes=options.pop("op_classes", op_classes),
        family=options.pop("family", "user"),
        **options,
    )


def check_op(
    op_or_fn: OpSpec | Op | Callable[..., Any] | None = None,
    spec: OpSpec | None = None,
    *,
    max_examples: int = 20,
    backend: BackendLike = None,
    seed: int = 0,
    groups: Sequence[str] = tuple(GROUPS),
    raise_on_failure: bool = True,
    mode: str = "FAST_COMPILE",
    **spec_options: Any,
) -> Report:
    """Run all applicable checks of one spec — ``spec``, ``op_or_fn`` when
    it is an ``OpSpec``, or a spec inferred from an Op / a function of
    symbolic inputs (``spec_options`` as for ``spec_for``). Returns the
    ``Report``; raises ``ChecksFailed`` on failure unless
    ``raise_on_failure=False``."""
    if spec is None:
        if isinstance(op_or_fn, OpSpec):
            spec = op_or_fn
        elif op_or_fn is None:
            raise TypeError("check_op: give an Op, a function or an OpSpec")
        else:
            spec = spec_for(op_or_fn, **spec_options)
    elif spec_options:
        spec = replace(spec, **spec_options)
    report = check_backend(
        backend, None, max_examples, seed, specs=[spec], groups=groups, mode=mode
    )
    if raise_on_failure:
        report.raise_for_failures()
    return report


def _point_spec(
    fn: Callable[..., Any], inputs: Sequence[Any], name: str | None, options: Mapping[str, Any]
) -> OpSpec:
    arrays = [np.asarray(to_numpy(x)) for x in inputs]
    args = []
    for i, a in enumerate(arrays):
        dt: DType = as_dtype(str(a.dtype))
        args.append(Arg(f"x{i}", dtypes=(dt,), differentiable=a.dtype.kind in "fc"))
    shapes: tuple[Shape, ...] = tuple(tuple(a.shape) for a in arrays)

    def make_inputs(rng: Any, shp: Any, params: Any) -> tuple[NDArray, ...]:
        return tuple(a.copy() for a in arrays)

    return spec_for(
        fn, name=name or getattr(fn, "__name__", "fn"), args=args,
        shapes=fixed_shapes(*shapes), make_inputs=make_inputs, **options,
    )  # fmt: skip


def _check_at(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    only: Sequence[str],
    n_tests: int,
    seed: int,
    backend: BackendLike,
    mode: str,
    raise_on_failure: bool,
    options: dict[str, Any],
) -> Report:
    name = options.pop("name", None)
    spec = _point_spec(fn, inputs, name, options)
    report = check_backend(
        resolve_backend(backend), None, n_tests, seed, specs=[spec],
        groups=("first_order",), only=only, mode=mode,
    )  # fmt: skip
    if raise_on_failure:
        report.raise_for_failures()
    return report


def check_grad(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    n_tests: int = 2,
    seed: int = 0,
    backend: BackendLike = None,
    mode: str = "FAST_COMPILE",
    raise_on_failure: bool = True,
    **options: Any,
) -> Report:
    """Check ``refimpl.grad`` and ``Lop`` of ``fn`` (a function of symbolic
    inputs returning a variable or a list) at the point ``inputs`` (arrays)
    against float64 finite differences, along ``n_tests`` random
    directions, plus the gradients' dtypes and shapes. ``options``: spec
    fields such as ``poly_degree``, ``fd_scale``, ``ad_tol_factor``."""
    return _check_at(
        fn, inputs, ("grad", "lop"), n_tests, seed, backend, mode, raise_on_failure, options
    )


def check_rop_lop(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    n_tests: int = 2,
    seed: int = 0,
    backend: BackendLike = None,
    mode: str = "FAST_COMPILE",
    raise_on_failure: bool = True,
    **options: Any,
) -> Report:
    """Check ``Rop`` and ``Lop`` of ``fn`` at ``inputs``: Rop against the
    finite difference, Lop through the projection, their adjointness and
    linearity, and Rop against the double-Lop construction."""
    only = ("rop", "lop", "adjoint", "linearity", "rop_via_lop")
    return _check_at(fn, inputs, only, n_tests, seed, backend, mode, raise_on_failure, options)
