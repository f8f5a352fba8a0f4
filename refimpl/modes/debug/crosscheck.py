"""Cross-checks of one node: every registered implementation of its op
(``impls.py``) and every ``check_backends`` namespace, each against the
result of the op's reference ``perform`` on the function's backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from refimpl.backend import Backend, from_numpy, is_array
from refimpl.graph.basic import Apply
from refimpl.modes.debug import report
from refimpl.modes.debug.checks import Checks, check_mutation, copy_value, normalise
from refimpl.modes.debug.compare import compare, dtype_of, host
from refimpl.modes.debug.errors import BackendMismatch, ImplMismatch
from refimpl.modes.debug.impls import Impl, impls_for


def check_impls(
    ctx: Checks, node: Apply, args: Sequence[Any], outs: Sequence[Any], graph: str
) -> None:
    """``ImplMismatch`` when an implementation of the op disagrees with
    ``perform`` (value, dtype, shape), raises or returns a wrong count;
    ``InputMutation`` when it changes an undeclared input."""
    xp = ctx.backend.xp
    for impl in impls_for(node.op, ctx.backend.name):
        work = [copy_value(xp, a) for a in args]
        head = f"implementation {impl.name!r}"
        try:
            raw = impl.fn(xp, node, work)
            results = normalise(ctx.backend, node, raw, head, graph)
        except Exception as exc:
            text = f"raised {type(exc).__name__}: {exc}"
            raise _impl_error(node, args, graph, impl, text) from exc
        if ctx.inplace:
            check_mutation(node, args, work, graph, head)
        for k, (expected, got) in enumerate(zip(outs, results)):
            problem = _difference(ctx, node, k, expected, got)
            if problem is not None:
                raise _impl_error(node, args, graph, impl, problem, k, expected, got)


def _impl_error(
    node: Apply,
    args: Sequence[Any],
    graph: str,
    impl: Impl,
    problem: str,
    k: int | None = None,
    expected: Any = None,
    got: Any = None,
) -> ImplMismatch:
    what = "" if k is None else f" for output {k}"
    values = [] if k is None else [
        f"  reference perform: {report.value_text(expected)}",
        f"  {impl.name}: {report.value_text(got)}",
    ]  # fmt: skip
    return ImplMismatch(
        report.join(
            f"ImplMismatch: implementation {impl.name!r} of {node.op} disagrees with its "
            f"reference perform{what}: {problem}",
            report.node_lines(node, args, graph),
            values,
            report.subgraph_lines(node.outputs),
        ),
        node, None if k is None else node.outputs[k], graph, impl.name,
    )  # fmt: skip


def _difference(ctx: Checks, node: Apply, k: int, expected: Any, got: Any) -> str | None:
    """What differs between two results of output ``k`` (``None``: nothing)."""
    dtype = getattr(node.outputs[k].type, "dtype", None)
    if not is_array(expected):
        return None
    if not is_array(got) and not isinstance(got, np.generic):
        return f"a {type(got).__name__} instead of an array"
    if dtype_of(got) != dtype_of(expected):
        return f"dtype {dtype_of(got)} instead of {dtype_of(expected)}"
    diff = compare(expected, got, dtype or dtype_of(expected), ctx.tol)  # type: ignore[arg-type]
    return None if diff is None else diff.text()


def check_backends(
    ctx: Checks, node: Apply, args: Sequence[Any], outs: Sequence[Any], graph: str
) -> None:
    """``BackendMismatch`` when the op, run on a ``check_backends``
    namespace with the same input values, disagrees with the function's
    backend or raises there."""
    for be in ctx.backends:
        if be.name == ctx.backend.name:
            continue
        problem, k, got = _run_on(be, node, args, outs, ctx)
        if problem is None:
            continue
        values = [] if k is None else [
            f"  on {ctx.backend.name}: {report.value_text(outs[k])}",
            f"  on {be.name}: {report.value_text(got)}",
        ]  # fmt: skip
        what = "" if k is None else f" for output {k}"
        raise BackendMismatch(
            report.join(
                f"BackendMismatch: {node.op} on {be.name} disagrees with {ctx.backend.name}"
                f"{what}: {problem}",
                report.node_lines(node, args, graph),
                values,
                report.subgraph_lines(node.outputs),
            ),
            node, None if k is None else node.outputs[k], graph, be.name,
        )  # fmt: skip


def _run_on(
    be: Backend, node: Apply, args: Sequence[Any], outs: Sequence[Any], ctx: Checks
) -> tuple[str | None, int | None, Any]:
    """(problem, output index, that output's value on ``be``)."""
    try:
        moved = [from_numpy(np.array(host(a), copy=True), be) if is_array(a) else a for a in args]
        raw = node.op.perform(be.xp, node, moved)
        results = list(raw)
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}", None, None
    if len(results) != len(outs):
        return f"{len(results)} results instead of {len(outs)}", None, None
    for k, (expected, got) in enumerate(zip(outs, results)):
        problem = _difference(ctx, node, k, expected, got)
        if problem is not None:
            return problem, k, got
    return None, None, None
