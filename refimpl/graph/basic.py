"""The graph: ``Variable``, ``Constant``, ``Apply`` and the ``Op`` contract.

A graph is a bipartite DAG of variables and applications. Each ``Apply``
node records one ``Op`` applied to input variables and owns its output
variables (``out.owner is node``, ``out.index`` its position). Variables
compare by identity; ops compare by value (they are frozen dataclasses), so
two applications of equal ops to the same inputs compute the same thing —
the fact merging relies on.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from refimpl._typing import Array, Namespace

if TYPE_CHECKING:
    from refimpl.variable import TensorVariable

TypeT = TypeVar("TypeT")


class Variable(Generic[TypeT]):
    """A symbolic value of type ``type``.

    ``owner`` is the ``Apply`` that computes it (``None`` for graph inputs and
    constants) and ``index`` its position among the owner's outputs.
    """

    def __init__(
        self,
        type: TypeT,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ) -> None:
        self.type: TypeT = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = SimpleNamespace()

    def clone(self) -> Variable[TypeT]:
        """A new, ownerless variable of the same type and name."""
        cp = type(self).__new__(type(self))
        Variable.__init__(cp, self.type, None, None, self.name)
        cp.tag = SimpleNamespace(**vars(self.tag))
        return cp

    def auto_name(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            # Theano's spelling, e.g. Elemwise{add,no_inplace}.0
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    def __str__(self) -> str:
        return self.auto_name()

    def __repr__(self) -> str:
        return self.auto_name()


class Constant(Variable[TypeT]):
    """A variable with a fixed value. ``data`` is a host (numpy) array;
    functions move it to their backend once, at compile time."""

    data: Any

    def __init__(self, type: TypeT, data: Any, name: str | None = None) -> None:
        super().__init__(type, None, None, name)
        self.data = data

    def signature(self) -> tuple[object, ...]:
        """Hashable identity of the value, used to merge equal constants."""
        return (self.type, _data_signature(self.data))

    def clone(self) -> Constant[TypeT]:
        cp = type(self).__new__(type(self))
        Constant.__init__(cp, self.type, self.data, self.name)
        return cp


def _data_signature(data: Any) -> tuple[object, ...]:
    shape = tuple(getattr(data, "shape", ()))
    dtype = str(getattr(data, "dtype", type(data).__name__))
    try:
        raw = bytes(data.tobytes()) if hasattr(data, "tobytes") else repr(data).encode()
    except Exception:  # pragma: no cover - exotic data
        raw = repr(data).encode()
    return (shape, dtype, raw)


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    __slots__ = ("inputs", "op", "outputs", "tag")

    def __init__(self, op: Op, inputs: Sequence[Variable[Any]], outputs: Sequence[Variable[Any]]):
        self.op = op
        self.inputs: list[Variable[Any]] = list(inputs)
        self.outputs: list[Variable[Any]] = list(outputs)
        self.tag = SimpleNamespace()
        for i, out in enumerate(self.outputs):
            if out.owner is not None and out.owner is not self:
                raise ValueError(f"output {out} of {op} already belongs to another node")
            out.owner = self
            out.index = i

    @property
    def out(self) -> Variable[Any]:
        """The single output (error when there are several)."""
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs; use .outputs")
        return self.outputs[0]

    @property
    def nin(self) -> int:
        return len(self.inputs)

    @property
    def nout(self) -> int:
        return len(self.outputs)

    def clone(self) -> Apply:
        """Same op and inputs, fresh outputs."""
        return Apply(self.op, self.inputs, [o.clone() for o in self.outputs])

    def clone_with_new_inputs(self, inputs: Sequence[Variable[Any]]) -> Apply:
        """Rebuild the node on ``inputs`` through ``make_node`` so output types
        follow the new inputs' types."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"{self.op}: expected {len(self.inputs)} inputs, got {len(inputs)}")
        if all(a.type == b.type for a, b in zip(inputs, self.inputs, strict=True)):
            node = Apply(self.op, inputs, [o.clone() for o in self.outputs])
        else:
            node = self.op.make_node(*inputs)
        for new, old in zip(node.outputs, self.outputs, strict=True):
            new.name = old.name
        return node

    def __str__(self) -> str:
        return f"{self.op}({', '.join(str(i) for i in self.inputs)})"

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class NullGrad:
    """A gradient that does not exist (``kind='undefined'``: the function is
    not differentiable in that input) or that refimpl does not implement
    (``kind='not_implemented'``). ``grad`` raises ``NullGradError`` with the
    reason if a cost depends on it."""

    op: str
    input_index: int
    reason: str
    kind: str = "undefined"


class Op(abc.ABC):
    """The operation contract (ARCHITECTURE.md rule 3).

    Subclasses are ``@dataclass(frozen=True)`` so parameters give equality and
    hashing. A subclass implements ``make_node`` (the type rule: output types
    from input types, errors at build time naming the variables), ``perform``
    (the reference implementation, through ``xp`` only), ``infer_shape``,
    ``L_op`` and ``R_op`` — or declares, with a reason, that it has none.

    ``destroy_map``/``view_map`` map an output index to the input indices it
    overwrites or views (Theano's convention); the reference ops declare none.
    """

    destroy_map: ClassVar[dict[int, tuple[int, ...]]] = {}
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {}
    default_output: ClassVar[int | None] = None
    no_grad_reason: ClassVar[str | None] = None
    """When set, the op is not differentiable and this says why."""
    no_rop_reason: ClassVar[str | None] = None

    @abc.abstractmethod
    def make_node(self, *inputs: Any) -> Apply:
        """Build an ``Apply`` of this op; compute output types from input types."""

    @abc.abstractmethod
    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        """Compute the outputs from input arrays with namespace ``xp``. Must not
        mutate the inputs (unless declared in ``destroy_map``)."""

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TensorVariable, ...]]
    ) -> list[tuple[TensorVariable, ...]]:
        """Symbolic output shapes (int64 scalar variables) from input shapes."""
        raise ShapeInferenceError(f"{self} has no infer_shape")

    def L_op(
        self,
        inputs: Sequence[TensorVariable],
        outputs: Sequence[TensorVariable],
        output_grads: Sequence[TensorVariable],
    ) -> list[TensorVariable | NullGrad | None]:
        """Vector-Jacobian product: one gradient per input (``None`` if the
        input is disconnected). ``output_grads`` are never disconnected: the
        gradient engine passes zeros instead."""
        reason = self.no_grad_reason or "its gradient is not implemented"
        return [NullGrad(str(self), i, reason, "undefined") for i in range(len(inputs))]

    def R_op(
        self, inputs: Sequence[TensorVariable], eval_points: Sequence[TensorVariable | None]
    ) -> list[TensorVariable | None]:
        """Jacobian-vector product: one tangent per output (``None`` = zero);
        ``eval_points[i] is None`` means input ``i`` has a zero tangent."""
        reason = self.no_rop_reason or self.no_grad_reason or "R_op is not implemented"
        raise RopNotImplementedError(f"{self}: no R_op: {reason}")

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """``pattern[i][j]``: whether output ``j`` depends on input ``i``."""
        return [[True] * len(node.outputs) for _ in node.inputs]

    def __call__(self, *inputs: Any) -> Any:
        node = self.make_node(*inputs)
        if len(node.outputs) == 1:
            return node.outputs[0]
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs

    @property
    def name(self) -> str:
        """The op's printed name (Theano's ``op.name``)."""
        return str(self)

    def __str__(self) -> str:
        return type(self).__name__


class ShapeInferenceError(NotImplementedError):
    """An op cannot infer its output shape symbolically."""


class RopNotImplementedError(NotImplementedError):
    """``Rop`` asked of an op that declares it has no R_op."""


# --------------------------------------------------------------------------- traversal


def ancestors(
    outputs: Iterable[Variable[Any]], blockers: Iterable[Variable[Any]] = ()
) -> list[Variable[Any]]:
    """All variables that ``outputs`` depend on (including themselves), in
    depth-first post-order; traversal stops at ``blockers``."""
    stop = {id(b) for b in blockers}
    seen: set[int] = set()
    order: list[Variable[Any]] = []
    stack: list[tuple[Variable[Any], bool]] = [(v, False) for v in reversed(list(outputs))]
    while stack:
        var, done = stack.pop()
        if done:
            order.append(var)
            continue
        if id(var) in seen:
            continue
        seen.add(id(var))
        stack.append((var, True))
        if var.owner is not None and id(var) not in stop:
            stack.extend((i, False) for i in reversed(var.owner.inputs) if id(i) not in seen)
    return order


def graph_inputs(
    outputs: Iterable[Variable[Any]], blockers: Iterable[Variable[Any]] = ()
) -> list[Variable[Any]]:
    """The ownerless variables (inputs, shared variables, constants) that
    ``outputs`` depend on, or blockers reached."""
    stop = {id(b) for b in blockers}
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in stop]


def io_toposort(inputs: Iterable[Variable[Any]], outputs: Iterable[Variable[Any]]) -> list[Apply]:
    """The ``Apply`` nodes between ``inputs`` and ``outputs`` in an order where
    each node comes after the nodes computing its inputs."""
    nodes: list[Apply] = []
    seen: set[int] = set()
    for var in ancestors(outputs, inputs):
        node = var.owner
        if node is None or id(node) in seen or any(var is i for i in inputs):
            continue
        seen.add(id(node))
        nodes.append(node)
    return nodes


def apply_nodes(outputs: Iterable[Variable[Any]]) -> list[Apply]:
    return io_toposort((), outputs)


# --------------------------------------------------------------------------- cloning


def clone_graph(
    outputs: Sequence[Variable[Any]],
    replace: dict[Variable[Any], Variable[Any]] | None = None,
    copy_inputs: bool = False,
) -> tuple[list[Variable[Any]], dict[Variable[Any], Variable[Any]]]:
    """Copy the graph of ``outputs``, substituting ``replace`` (old → new).

    Returns the new outputs and the memo mapping every old variable to its
    copy. Inputs and constants are kept (not copied) unless ``copy_inputs``.
    Nodes are rebuilt through ``make_node`` when an input's type changed.
    """
    memo: dict[Variable[Any], Variable[Any]] = dict(replace or {})
    blockers = list(memo)
    for var in ancestors(outputs, blockers):
        if var in memo:
            continue
        node = var.owner
        if node is None:
            memo[var] = var.clone() if copy_inputs and not isinstance(var, Constant) else var
            continue
        new_inputs = [memo[i] for i in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs, strict=True)) and not copy_inputs:
            for out in node.outputs:
                memo[out] = out
            continue
        new_node = node.clone_with_new_inputs(new_inputs)
        for old, new in zip(node.outputs, new_node.outputs, strict=True):
            memo[old] = new
    return [memo[o] for o in outputs], memo


def clone_replace(
    outputs: Any,
    replace: dict[Variable[Any], Variable[Any]] | Sequence[tuple[Any, Any]] | None = None,
) -> Any:
    """Theano's ``clone_replace``: a copy of ``outputs`` (a variable or a
    list) with the variables of ``replace`` substituted."""
    from refimpl.variable import as_tensor_variable

    pairs = replace.items() if isinstance(replace, dict) else (replace or [])
    mapping: dict[Variable[Any], Variable[Any]] = {}
    for old, new in pairs:
        new_var = as_tensor_variable(new)
        if isinstance(old, Variable) and old.type != new_var.type:
            _check_replacement(old, new_var)
        mapping[old] = new_var
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else list(outputs)
    new_outs, _ = clone_graph(outs, mapping)
    return new_outs[0] if single else new_outs


def _check_replacement(old: Variable[Any], new: Variable[Any]) -> None:
    ot, nt = old.type, new.type
    same_kind = getattr(ot, "dtype", None) == getattr(nt, "dtype", None) and getattr(
        ot, "ndim", None
    ) == getattr(nt, "ndim", None)
    if not same_kind:
        raise TypeError(f"cannot replace {old} of type {ot} by {new} of type {nt}")
