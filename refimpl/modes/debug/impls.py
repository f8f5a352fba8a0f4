"""The implementation registry: other ways of computing an op, which
DebugMode checks against the op's reference ``perform`` on every node.

An implementation has ``perform``'s signature, ``impl(xp, node, inputs) ->
tuple of arrays``, and is registered for one op (an instance: equal ops
match) or for an op class (and its subclasses), optionally only on some
backends::

    refimpl.register_impl(MyOp, my_fast_kernel, name="fast", backends=("numpy",))

Built in: ``fast_executor``, the code FAST_RUN's executor generates for an
``Elemwise`` or ``FusedElemwise`` node (``refimpl/modes/fast_executor.py``),
so DebugMode referees the kernels FAST_RUN really runs.

*Rationale*: the registry is the one piece of mutable global state of
DebugMode, because users add kernels at run time; it holds records, is read
only by DebugMode, and ``unregister_impl`` undoes a registration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, Op, Variable

ImplFn = Callable[[Namespace, Apply, Sequence[Array]], Sequence[Array]]


@dataclass(frozen=True, eq=False)
class Impl:
    """One registered implementation: ``fn`` computes ``target`` (an op or
    an op class) under the name ``name``, on ``backends`` (``None``: all)."""

    target: Op | type[Op]
    fn: ImplFn
    name: str
    backends: tuple[str, ...] | None = None

    def applies(self, op: Op, backend: str) -> bool:
        """Whether this implementation computes ``op`` on ``backend``."""
        if self.backends is not None and backend not in self.backends:
            return False
        if isinstance(self.target, type):
            return isinstance(op, self.target)
        try:
            return bool(op == self.target)
        except Exception:  # pragma: no cover - an op whose __eq__ fails
            return op is self.target

    def __str__(self) -> str:
        return self.name


_USER: list[Impl] = []


def register_impl(
    op_or_op_class: Op | type[Op],
    impl: ImplFn,
    name: str | None = None,
    backends: str | Iterable[str] | None = None,
) -> Impl:
    """Register ``impl`` (``perform``'s signature) as an implementation of an
    op or op class; DebugMode (``check_impls=True``) compares it with the
    reference ``perform`` on every node of that op. Returns the record
    (pass it to ``unregister_impl`` to remove it). Raises ``TypeError`` for
    a target that is no op or op class or a non-callable ``impl``, and
    ``ValueError`` for an unknown backend name or a name already registered
    for the same target."""
    from refimpl.config import BACKEND_NAMES

    is_class = isinstance(op_or_op_class, type) and issubclass(op_or_op_class, Op)
    if not (is_class or isinstance(op_or_op_class, Op)):
        raise TypeError(f"register_impl: expected an Op or an Op subclass, got {op_or_op_class!r}")
    if not callable(impl):
        raise TypeError(f"register_impl: impl must be callable (xp, node, inputs), got {impl!r}")
    label = name if name is not None else getattr(impl, "__name__", "impl")
    names: tuple[str, ...] | None = None
    if backends is not None:
        names = (backends,) if isinstance(backends, str) else tuple(backends)
        unknown = [b for b in names if b not in BACKEND_NAMES]
        if unknown:
            raise ValueError(
                f"register_impl({label!r}): unknown backends {unknown}; "
                f"expected names among {', '.join(BACKEND_NAMES)}"
            )
    for other in (*BUILTIN, *_USER):
        if other.name == label and _same_target(other.target, op_or_op_class):
            raise ValueError(
                f"register_impl: an implementation named {label!r} is already registered "
                f"for {op_or_op_class}; unregister it first or choose another name"
            )
    record = Impl(op_or_op_class, impl, label, names)
    _USER.append(record)
    return record


def unregister_impl(impl: Impl) -> None:
    """Remove a record returned by ``register_impl`` (``ValueError`` if it
    is not registered)."""
    for k, other in enumerate(_USER):
        if other is impl:
            del _USER[k]
            return
    raise ValueError(f"unregister_impl: {impl} is not registered")


def registered_impls() -> tuple[Impl, ...]:
    """Every implementation DebugMode knows: the built-in ones, then the
    users' in registration order."""
    return (*BUILTIN, *_USER)


def impls_for(op: Op, backend: str) -> list[Impl]:
    """The implementations of ``op`` on ``backend``."""
    return [r for r in registered_impls() if r.applies(op, backend)]


def _same_target(a: Op | type[Op], b: Op | type[Op]) -> bool:
    if isinstance(a, type) or isinstance(b, type):
        return a is b
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover
        return a is b


# --------------------------------------------------------------------------- built in

_FAST_CACHE: dict[tuple[object, ...], Any] = {}
_FAST_CACHE_MAX: Final = 2048


def fast_kernel(xp: Namespace, node: Apply, inputs: Sequence[Array]) -> list[Array]:
    """FAST_RUN's generated code for one elementwise node, run alone: a
    ``FastExecutor`` of a graph holding a copy of ``node`` (equal inputs of
    the node stay one input, as in the compiled graph)."""
    from refimpl.backend import resolve_backend

    backend = resolve_backend(xp)
    first: dict[int, int] = {}
    for k, v in enumerate(node.inputs):
        first.setdefault(id(v), k)
    pattern = tuple(first[id(v)] for v in node.inputs)
    key: tuple[object, ...] = (node.op, tuple(v.type for v in node.inputs), pattern, backend.name)
    try:
        executor = _FAST_CACHE.get(key)
    except TypeError:  # an unhashable op: build each time
        key, executor = (), None
    if executor is None:
        executor = _build_fast(node, pattern, backend)
        if key:
            if len(_FAST_CACHE) >= _FAST_CACHE_MAX:
                _FAST_CACHE.clear()
            _FAST_CACHE[key] = executor
    unique = [inputs[k] for k in sorted(set(pattern))]
    return list(executor.run(unique))


def _build_fast(node: Apply, pattern: tuple[int, ...], backend: Any) -> Any:
    from refimpl.graph.fg import FunctionGraph
    from refimpl.modes.fast_executor import FastExecutor

    fresh: dict[int, Variable[Any]] = {k: node.inputs[k].type() for k in sorted(set(pattern))}
    copy = node.clone_with_new_inputs([fresh[k] for k in pattern])
    fgraph = FunctionGraph(list(fresh.values()), copy.outputs, clone=False)
    return FastExecutor(fgraph, backend)


def _builtin() -> tuple[Impl, ...]:
    from refimpl.ops.elemwise import Elemwise
    from refimpl.ops.fused import FusedElemwise

    return (
        Impl(Elemwise, fast_kernel, "fast_executor"),
        Impl(FusedElemwise, fast_kernel, "fast_executor"),
    )


BUILTIN: Final[tuple[Impl, ...]] = _builtin()
"""The implementations refimpl itself provides (checked like users' ones)."""
