"""``function``, ``In`` and the compiled ``Function``.

Compilation: normalise inputs/outputs/updates, apply ``givens``, collect the
shared variables the graph reads, check for missing and unused inputs, build
a ``FunctionGraph``, run the mode's passes and build an executor.

Calling: convert each argument losslessly to its input's type (``TypeError``
naming the input otherwise), read the shared values, run, and only when
everything has been computed store all updates — so a call that raises
leaves every shared variable unchanged.
"""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from refimpl._typing import Array
from refimpl.backend import Backend, convert_value, resolve_backend, to_backend
from refimpl.graph.basic import Constant, Variable, ancestors, clone_graph
from refimpl.graph.fg import FunctionGraph, MissingInputError
from refimpl.modes.mode import Mode, get_mode
from refimpl.shared import SharedVariable
from refimpl.variable import TensorVariable, as_tensor_variable

_NO_DEFAULT: Any = object()


class UnusedInputError(ValueError):
    """An input of ``function`` that no output or update depends on."""


@dataclass
class In:
    """A function input with options: ``value`` is the default used when the
    argument is omitted; ``name`` the keyword it may be passed by."""

    variable: TensorVariable
    value: Any = _NO_DEFAULT
    name: str | None = None
    mutable: bool = False
    borrow: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.variable, Variable):
            raise TypeError(f"In(): expected a symbolic variable, got {self.variable!r}")
        if self.name is None:
            self.name = self.variable.name

    @property
    def has_default(self) -> bool:
        return self.value is not _NO_DEFAULT


@dataclass
class _Spec:
    """What ``function`` was asked for, kept to implement ``copy``."""

    inputs: list[In]
    outputs: Any
    updates: list[tuple[SharedVariable, TensorVariable]]
    givens: list[tuple[Variable[Any], Variable[Any]]]
    kwargs: dict[str, Any] = field(default_factory=dict)


def function(
    inputs: Sequence[Any],
    outputs: Any = None,
    updates: Mapping[Any, Any] | Sequence[tuple[Any, Any]] | None = None,
    givens: Mapping[Any, Any] | Sequence[tuple[Any, Any]] | None = None,
    mode: str | Mode | None = None,
    backend: str | ModuleType | Backend | None = None,
    no_default_updates: bool = False,
    on_unused_input: str = "raise",
    name: str | None = None,
    profile: bool = False,
    trust_input: bool = False,
    allow_input_downcast: bool = False,
) -> Function:
    """Compile a callable computing ``outputs`` from ``inputs``. See API.md.

    ``allow_input_downcast=True`` (Theano's flag) accepts arguments whose
    conversion to the input dtype loses information (float64 data into a
    float32 input); by default such arguments raise ``TypeError``.
    """
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(
            f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}"
        )
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"function(): inputs must be a list of variables, got {type(inputs).__name__}"
        )
    ins = [i if isinstance(i, In) else In(i) for i in inputs]
    spec = _Spec(ins, outputs, _pairs(updates, "updates"), _pairs(givens, "givens"))
    spec.kwargs = dict(
        mode=mode, backend=backend, no_default_updates=no_default_updates,
        on_unused_input=on_unused_input, name=name, profile=profile, trust_input=trust_input,
        allow_input_downcast=allow_input_downcast,
    )  # fmt: skip
    return Function(spec)


def _pairs(x: Any, what: str) -> list[tuple[Any, Any]]:
    if x is None:
        return []
    if isinstance(x, Mapping):
        return list(x.items())
    pairs = list(x)
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        raise TypeError(f"{what} must be a dict or a list of (variable, expression) pairs")
    return [(a, b) for a, b in pairs]


class Function:
    """A compiled function. Call it with positional or keyword arguments."""

    def __init__(self, spec: _Spec) -> None:
        # Compiling allocates many small, acyclic objects; the cyclic garbage
        # collector's passes over them made compile time superlinear.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._compile(spec)
        finally:
            if enabled:
                gc.enable()

    def _compile(self, spec: _Spec) -> None:
        kw = spec.kwargs
        self._spec = spec
        self.name: str | None = kw["name"]
        self.mode: Mode = get_mode(kw["mode"])
        self.backend: Backend = resolve_backend(kw["backend"])
        self.trust_input: bool = kw["trust_input"]
        self._numpy = self.backend.name == "numpy"
        self.allow_input_downcast: bool = bool(kw["allow_input_downcast"])
        self.inputs = spec.inputs
        self._check_inputs()
        outputs, self._output_keys, self._single = _normalise_outputs(spec.outputs)
        updates = _normalise_updates(spec.updates, kw["no_default_updates"], outputs)
        outputs, update_exprs = _apply_givens(spec.givens, outputs, [e for _, e in updates])
        self._update_targets = [s for s, _ in updates]
        explicit: list[Variable[Any]] = [i.variable for i in self.inputs]
        every: list[Variable[Any]] = [*outputs, *update_exprs]
        self._shared = _shared_inputs(every, explicit)
        _check_unused(explicit, every, kw["on_unused_input"])
        self.fgraph = FunctionGraph([*explicit, *self._shared], every)
        self.mode.rewrite(self.fgraph)
        self._n_out = len(outputs)
        self._executor = self.mode.make_executor(self.fgraph, self.backend, profile=kw["profile"])
        self._names = {i.name: k for k, i in enumerate(self.inputs) if i.name is not None}
        self.calls = 0
        self.call_time = 0.0
        self._direct = self._fast_path(kw["profile"])

    def _check_inputs(self) -> None:
        seen: set[int] = set()
        for k, inp in enumerate(self.inputs):
            var = inp.variable
            if isinstance(var, SharedVariable):
                raise TypeError(
                    f"input {k} ({var}) is a shared variable; shared variables are implicit "
                    "inputs — use givens to substitute a value"
                )
            if isinstance(var, Constant):
                raise TypeError(f"input {k} ({var}) is a constant, not an input variable")
            if id(var) in seen:
                raise ValueError(f"input {var} is given more than once")
            seen.add(id(var))

    # ----------------------------------------------------------------- calling
    def _fast_path(self, profile: bool) -> Callable[[tuple[Any, ...]], Any] | None:
        """With ``trust_input=True``, no shared variables and an executor
        whose generated function takes the inputs directly (FAST_RUN on
        numpy), a call is that function plus the alias check of outputs."""
        run = getattr(self._executor, "direct", None)
        if not self.trust_input or run is None or profile or self._shared or self._update_targets:
            return None
        single, keys, backend = self._single, self._output_keys, self.backend

        def call(args: tuple[Any, ...]) -> Any:
            outs = run(*args)
            for k, o in enumerate(outs):
                if any(_may_alias(o, a) for a in args) or any(_may_alias(o, p) for p in outs[:k]):
                    outs[k] = _copy(o, backend)
            self.calls += 1
            if single:
                return outs[0]
            return outs if keys is None else dict(zip(keys, outs))

        return call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._direct is not None and not kwargs and len(args) == len(self.inputs):
            return self._direct(args)
        t0 = time.perf_counter()
        values = self._input_values(args, kwargs)
        shared_values = [to_backend(s.get_value(borrow=True), self.backend) for s in self._shared]
        results = self._executor.run(values + shared_values)
        outs, new_values = results[: self._n_out], results[self._n_out :]
        new_values = self._unalias(new_values, values + shared_values, [])
        outs = self._unalias(outs, values + shared_values, new_values)
        for target, value in zip(self._update_targets, new_values):
            target._store(value, self.backend)
        self.calls += 1
        self.call_time += time.perf_counter() - t0
        if self._single:
            return outs[0]
        if self._output_keys is not None:
            return dict(zip(self._output_keys, outs))
        return outs

    def _input_values(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Array]:
        n = len(self.inputs)
        if len(args) > n:
            raise TypeError(f"{self._label()} takes {n} arguments, got {len(args)}")
        given: list[Any] = list(args) + [_NO_DEFAULT] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self._names:
                raise TypeError(f"{self._label()} has no input named {key!r}")
            k = self._names[key]
            if given[k] is not _NO_DEFAULT:
                raise TypeError(f"{self._label()}: input {key!r} given twice")
            given[k] = value
        out: list[Array] = []
        for k, (inp, value) in enumerate(zip(self.inputs, given)):
            if value is _NO_DEFAULT:
                if not inp.has_default:
                    raise TypeError(
                        f"{self._label()}: missing input {k} ({inp.name or inp.variable})"
                    )
                value = inp.value
            if self.trust_input:
                out.append(value)
                continue
            ttype = inp.variable.type
            if (
                self._numpy
                and type(value) is np.ndarray
                and value.dtype.name == ttype.dtype
                and ttype.shape_matches(value.shape)
            ):
                out.append(value)  # already exactly right: nothing to convert or check
                continue
            what = f"{self._label()} input {k} ({inp.name or inp.variable})"
            downcast = self.allow_input_downcast
            out.append(convert_value(value, ttype, self.backend, what, allow_downcast=downcast))
        return out

    def _unalias(self, outs: list[Array], inputs: list[Array], updates: list[Array]) -> list[Array]:
        """Copy each of ``outs`` that is, or may view the memory of, an
        input, a shared value, an update value or an earlier one of ``outs``:
        mutating a returned array (or a stored shared value) must never change
        another. Views are detected with ``numpy.may_share_memory`` on numpy
        and by identity elsewhere (the reference ops on other namespaces
        return new arrays)."""
        guarded = [*inputs, *updates]
        fixed: list[Array] = []
        for v in outs:
            if any(_may_alias(v, g) for g in guarded) or any(_may_alias(v, f) for f in fixed):
                v = _copy(v, self.backend)
            fixed.append(v)
        return fixed

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    # ----------------------------------------------------------------- misc
    def copy(
        self, swap: Mapping[SharedVariable, SharedVariable] | None = None, name: str | None = None
    ) -> Function:
        """A new function; ``swap`` replaces shared variables (same types)."""
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
                raise TypeError("copy(swap=...) maps shared variables to shared variables")
            if old.type != new.type:
                raise TypeError(
                    f"copy(swap=...): {old} has type {old.type} but {new} has {new.type}"
                )
        spec = self._spec
        updates = [(swap.get(s, s), e) for s, e in spec.updates]
        new_spec = _Spec(
            spec.inputs, spec.outputs, updates, spec.givens + list(swap.items()), dict(spec.kwargs)
        )
        if name is not None:
            new_spec.kwargs["name"] = name
        return Function(new_spec)

    @property
    def maker(self) -> Function:
        return self

    def __repr__(self) -> str:
        return f"<refimpl Function {self.name or ''} mode={self.mode} backend={self.backend}>"


def _may_alias(a: Array, b: Array) -> bool:
    if a is b:
        return True
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.may_share_memory(a, b)


def _copy(v: Array, backend: Backend) -> Array:
    from refimpl.shared import _copy_array

    return _copy_array(v, backend)


def _normalise_outputs(outputs: Any) -> tuple[list[TensorVariable], list[Any] | None, bool]:
    if outputs is None:
        return [], None, False
    if isinstance(outputs, Mapping):
        keys = list(outputs)
        return [as_tensor_variable(outputs[k]) for k in keys], keys, False
    if isinstance(outputs, (list, tuple)):
        return [as_tensor_variable(o) for o in outputs], None, False
    return [as_tensor_variable(outputs)], None, True


def _normalise_updates(
    pairs: list[tuple[Any, Any]], no_default_updates: bool, outputs: list[TensorVariable]
) -> list[tuple[SharedVariable, TensorVariable]]:
    out: list[tuple[SharedVariable, TensorVariable]] = []
    targets: set[int] = set()
    for target, expr in pairs:
        if not isinstance(target, SharedVariable):
            raise TypeError(
                f"updates: {target} is not a shared variable; only shared variables can be updated"
            )
        if id(target) in targets:
            raise ValueError(f"updates: {target} is updated more than once")
        targets.add(id(target))
        value = as_tensor_variable(expr)
        tt, vt = target.type, value.type
        if tt.dtype != vt.dtype or tt.ndim != vt.ndim:
            raise TypeError(
                f"updates: the update of {target} ({tt}) has type {vt}; cast it explicitly "
                f"(T.cast(expr, '{tt.dtype}')) if the conversion is intended"
            )
        if not all(a is None or b is None or a == b for a, b in zip(tt.shape, vt.shape)):
            raise TypeError(
                f"updates: the update of {target} ({tt}) has incompatible static shape {vt}"
            )
        out.append((target, value))
    if not no_default_updates:
        for var in ancestors(outputs + [e for _, e in out]):
            default = getattr(var, "default_update", None)
            if isinstance(var, SharedVariable) and default is not None and id(var) not in targets:
                targets.add(id(var))
                out.append((var, default))
    return out


def _apply_givens(
    givens: list[tuple[Any, Any]], outputs: list[TensorVariable], exprs: list[TensorVariable]
) -> tuple[list[TensorVariable], list[TensorVariable]]:
    if not givens:
        return outputs, exprs
    mapping: dict[Variable[Any], Variable[Any]] = {}
    for old, new in givens:
        if not isinstance(old, Variable):
            raise TypeError(f"givens: keys must be variables, got {old!r}")
        repl = as_tensor_variable(new)
        ot, nt = old.type, repl.type
        if getattr(ot, "dtype", None) != nt.dtype or getattr(ot, "ndim", None) != nt.ndim:
            raise TypeError(f"givens: {old} has type {ot} but its replacement {repl} has {nt}")
        mapping[old] = repl
    new, _ = clone_graph(outputs + exprs, mapping)
    n = len(outputs)
    return [as_tensor_variable(v) for v in new[:n]], [as_tensor_variable(v) for v in new[n:]]


def _shared_inputs(
    every: Sequence[Variable[Any]], explicit: Sequence[Variable[Any]]
) -> list[SharedVariable]:
    found: list[SharedVariable] = []
    seen: set[int] = set()
    for var in ancestors(every, explicit):
        if isinstance(var, SharedVariable) and id(var) not in seen:
            seen.add(id(var))
            found.append(var)
    missing = [
        v for v in ancestors(every, explicit)
        if v.owner is None and not isinstance(v, (Constant, SharedVariable))
        and all(v is not e for e in explicit)
    ]  # fmt: skip
    if missing:
        raise MissingInputError(
            f"function: the outputs depend on {', '.join(str(m) for m in missing)}, "
            "which is not given as an input"
        )
    return found


def _check_unused(
    explicit: Sequence[Variable[Any]], every: Sequence[Variable[Any]], policy: str
) -> None:
    if policy == "ignore":
        return
    used = {id(v) for v in ancestors(every)}
    for var in explicit:
        if id(var) not in used:
            msg = (
                f"function: input {var} is not used to compute any output or update "
                "(pass on_unused_input='ignore' or 'warn' to allow this)"
            )
            if policy == "raise":
                raise UnusedInputError(msg)
            warnings.warn(msg, stacklevel=4)
