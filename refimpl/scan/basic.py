"""``scan``: Theano's loop construct, built as one ``Scan`` node (spec/scan.md).

``scan`` normalises its arguments, calls ``fn`` once on placeholder
variables (the current slices of the sequences, the previous values of the
states, the non-sequences themselves), parses what ``fn`` returns (outputs,
an updates dict, an ``until`` condition, in Theano's accepted orders), finds
every variable the step uses that is not a placeholder (closure variables
and shared variables become non-sequences; ``strict=True`` forbids that),
turns shared-variable updates into loop states, and applies ``Scan``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from refimpl.graph.basic import Constant, Variable, clone_graph, graph_inputs
from refimpl.scan import utils
from refimpl.scan.op import apply_scan
from refimpl.scan.utils import TV, Until
from refimpl.shared import SharedVariable
from refimpl.types import TensorType
from refimpl.variable import TensorVariable, as_tensor_variable


@dataclass
class _Seq:
    var: TV
    taps: tuple[int, ...]


@dataclass
class _State:
    init: TV
    taps: tuple[int, ...]


@dataclass
class _Loop:
    """What ``fn`` returned, with the placeholders it was called with."""

    seq_ph: list[TV]
    state_ph: list[list[TV]]
    outputs: list[TV]
    updates: list[tuple[SharedVariable, TV]]
    cond: TV | None


def scan(
    fn: Callable[..., Any],
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
    strict: bool = False,
    return_list: bool = False,
) -> tuple[Any, OrderedDict[SharedVariable, TV]]:
    """Loop ``fn`` over ``sequences`` (Theano's ``scan``; spec/scan.md).

    ``fn`` receives, in order: the sequences' slices (each sequence's taps in
    the order given), the states' previous values (each ``outputs_info``
    entry's taps), then the ``non_sequences``. It returns its outputs, an
    updates dict, and/or ``until(cond)``. ``scan`` returns ``(outputs,
    updates)``: one variable when there is one output (a list otherwise, or
    always with ``return_list=True``; ``None`` with none) and an
    ``OrderedDict`` mapping each shared variable updated in the loop to its
    value after the last step; pass it to ``function(updates=...)``.
    """
    outs, updates, _ = build_scan(
        fn, sequences, outputs_info, non_sequences, n_steps, truncate_gradient,
        go_backwards, mode, name, strict, final_only=False,
    )  # fmt: skip
    if return_list:
        return outs, updates
    if len(outs) == 1:
        return outs[0], updates
    return (outs or None), updates


def build_scan(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any,
    n_steps: Any,
    truncate_gradient: int,
    go_backwards: bool,
    mode: Any,
    name: str | None,
    strict: bool,
    final_only: bool,
) -> tuple[list[TV], OrderedDict[SharedVariable, TV], list[bool]]:
    """``scan``'s work; ``final_only`` keeps only the states' last values
    (``reduce``/``foldl``/``foldr``). Also returns which outputs are states."""
    from refimpl.modes.mode import get_mode

    if not callable(fn):
        raise TypeError(f"scan: fn must be callable, got {type(fn).__name__}")
    if not isinstance(truncate_gradient, int) or truncate_gradient == 0 or truncate_gradient < -1:
        raise ValueError(f"scan: truncate_gradient must be -1 or > 0, got {truncate_gradient!r}")
    infos = _outputs_info(outputs_info)
    nonseqs = _non_sequences(non_sequences)
    seq_outer, seq_ph, seq_args = _slices(_sequences(sequences), go_backwards)
    n_var = _length(_n_steps(n_steps), seq_outer)
    states = [s for s in infos if s is not None]
    inits, state_ph = _state_inputs(states)
    loop = _parse_return(fn(*seq_args, *(p for ph in state_ph for p in ph), *nonseqs))
    loop.seq_ph, loop.state_ph = seq_ph, state_ph
    infos = _match_outputs(infos, len(loop.outputs))
    _check_states(loop, infos)
    loop.updates += _default_updates(loop)
    inner_nonseqs, outer_nonseqs, inner_all = _close_over(loop, nonseqs, strict)
    shared = [s for s, _ in loop.updates]
    state_idx = [k for k, s in enumerate(infos) if s is not None]
    nit_idx = [k for k, s in enumerate(infos) if s is None]
    outer = apply_scan(
        inner_inputs=[*seq_ph, *(p for ph in loop.state_ph for p in ph), *inner_nonseqs],
        inner_outputs=_inner_order(inner_all, state_idx, nit_idx, len(shared)),
        n_seqs=len(seq_ph),
        state_taps=[s.taps for s in states] + [(-1,)] * len(shared),
        final_only=[final_only] * len(states) + [True] * len(shared),
        n_nitsot=len(nit_idx),
        mode=get_mode(mode),
        n_steps=n_var,
        seqs=seq_outer,
        inits=[*inits, *(utils.T().shape_padleft(s) for s in shared)],
        nonseqs=outer_nonseqs,
        until=loop.cond is not None,
        truncate_gradient=truncate_gradient,
        name=name or "scan_fn",
    )
    n_st = len(states) + len(shared)
    by_pos = dict(zip(state_idx, outer[: len(states)]))
    by_pos.update(zip(nit_idx, outer[n_st : n_st + len(nit_idx)]))
    updates = OrderedDict(zip(shared, outer[len(states) : n_st]))
    return [by_pos[k] for k in range(len(infos))], updates, [s is not None for s in infos]


def _inner_order(
    inner_all: list[TV], state_idx: list[int], nit_idx: list[int], n_sh: int
) -> list[TV]:
    """The op's inner outputs from fn's (outputs, update values, condition):
    states, shared states, nit-sot outputs, condition."""
    n_out = len(state_idx) + len(nit_idx)
    return [
        *(inner_all[k] for k in state_idx),
        *inner_all[n_out : n_out + n_sh],
        *(inner_all[k] for k in nit_idx),
        *inner_all[n_out + n_sh :],
    ]


# --------------------------------------------------------------------------- arguments


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _sequences(sequences: Any) -> list[_Seq]:
    out: list[_Seq] = []
    for i, s in enumerate(_as_list(sequences)):
        if isinstance(s, Mapping):
            if "input" not in s:
                raise ValueError(f"scan: sequences[{i}] is a dict without an 'input' entry")
            taps = s.get("taps", [0])
            var, taps = s["input"], [0] if taps is None else _as_list(taps)
        else:
            var, taps = s, [0]
        v = as_tensor_variable(var)
        if v.ndim == 0:
            raise TypeError(f"scan: sequences[{i}] ({v}) is a scalar; a sequence needs an axis")
        if not taps or not all(isinstance(k, int) and not isinstance(k, bool) for k in taps):
            raise ValueError(f"scan: sequences[{i}] taps must be a non-empty list of ints")
        out.append(_Seq(v, tuple(taps)))
    return out


def _outputs_info(outputs_info: Any) -> list[_State | None]:
    out: list[_State | None] = []
    for i, s in enumerate(_as_list(outputs_info)):
        if isinstance(s, Mapping):
            init = s.get("initial")
            taps = s.get("taps", [-1])
            if init is None:
                if taps:
                    raise ValueError(f"scan: outputs_info[{i}] has taps but no initial state")
                out.append(None)
                continue
            taps = [-1] if taps is None else _as_list(taps)
        elif s is None:
            out.append(None)
            continue
        else:
            init, taps = s, [-1]
        if not taps or not all(isinstance(k, int) and not isinstance(k, bool) for k in taps):
            raise ValueError(f"scan: outputs_info[{i}] taps must be a non-empty list of ints")
        if any(k >= 0 for k in taps):
            raise ValueError(
                f"scan: outputs_info[{i}] has taps {list(taps)}; a state can only use its "
                "past values (negative taps)"
            )
        v = as_tensor_variable(init)
        if tuple(taps) != (-1,) and v.ndim == 0:
            raise TypeError(
                f"scan: outputs_info[{i}] uses taps {list(taps)}, so its initial value must have "
                f"a leading axis of past values; got the scalar {v}"
            )
        out.append(_State(v, tuple(taps)))
    return out


def _non_sequences(non_sequences: Any) -> list[TV]:
    out: list[TV] = []
    for v in _as_list(non_sequences):
        t = v if isinstance(v, TensorVariable) else as_tensor_variable(v)
        if not any(t is o for o in out):
            out.append(t)
    return out


def _n_steps(n_steps: Any) -> TV | None:
    if n_steps is None:
        return None
    if isinstance(n_steps, float) and not n_steps.is_integer():
        raise TypeError(f"scan: n_steps must be an integer, got {n_steps!r}")
    if isinstance(n_steps, (int, float)) and not isinstance(n_steps, bool):
        if n_steps < 0:
            raise ValueError(f"scan: n_steps is {n_steps}; it must be >= 0 (use go_backwards)")
        return utils.as_length(int(n_steps))
    n = as_tensor_variable(n_steps)
    if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
        raise TypeError(f"scan: n_steps ({n}) must be an integer scalar, got {n.type}")
    return utils.as_length(n)


# --------------------------------------------------------------------------- placeholders


def _tap_name(var: Variable[Any], k: int) -> str | None:
    if var.name is None:
        return None
    return f"{var.name}[t]" if k == 0 else f"{var.name}[t{k:+d}]"


def _slices(seqs: list[_Seq], backwards: bool) -> tuple[list[TV], list[TV], list[TV]]:
    """Per sequence tap: the outer slice (row ``t`` is what step ``t`` reads)
    and its inner placeholder."""
    outer: list[TV] = []
    ph: list[TV] = []
    for s in seqs:
        lo, hi = min(*s.taps, 0), max(*s.taps, 0)
        for k in s.taps:
            start, end = k - lo, k - hi
            sl = s.var if (start, end) == (0, 0) else s.var[start : (end or None)]
            outer.append(sl[::-1] if backwards else sl)
            ph.append(utils.row_type(s.var.type)(_tap_name(s.var, k)))
    return outer, ph, list(ph)


def _state_inputs(states: list[_State]) -> tuple[list[TV], list[list[TV]]]:
    """Per state: the outer initial buffer (leading axis of past values) and
    one placeholder per tap."""
    inits: list[TV] = []
    ph: list[list[TV]] = []
    for s in states:
        if s.taps == (-1,):
            inits.append(utils.T().shape_padleft(s.init))
            row = s.init.type
        else:
            inits.append(s.init)
            row = utils.row_type(s.init.type)
        ph.append([row(_tap_name(s.init, k)) for k in s.taps])
    return inits, ph


def _length(n: TV | None, seq_outer: list[TV]) -> TV:
    if n is not None:
        return n
    if not seq_outer:
        raise ValueError(
            "scan: no information about the number of steps: give n_steps or a sequence"
        )
    T = utils.T()
    length: TV = T.shape_i(seq_outer[0], 0)
    for s in seq_outer[1:]:
        length = T.minimum(length, T.shape_i(s, 0))
    return length


# --------------------------------------------------------------------------- fn's result


def _is_outputs(x: Any) -> bool:
    if isinstance(x, Variable):
        return True
    return isinstance(x, (list, tuple)) and all(isinstance(e, Variable) for e in x)


def _is_updates(x: Any) -> bool:
    if isinstance(x, Mapping):
        return True
    return isinstance(x, (list, tuple)) and all(
        isinstance(e, (list, tuple)) and len(e) == 2 for e in x
    )


def _parse_return(ret: Any) -> _Loop:
    """Theano's accepted forms: outputs, updates, ``until``, or a pair or
    triple of them (outputs and updates in either order, ``until`` last)."""
    outs: Any = []
    upd: Any = {}
    cond: Until | None = None
    if isinstance(ret, Until):
        cond = ret
    elif _is_outputs(ret):
        outs = ret
    elif _is_updates(ret):
        upd = ret
    elif isinstance(ret, (list, tuple)) and len(ret) in (2, 3):
        items = list(ret)
        if isinstance(items[-1], Until):
            cond = items.pop()
        if len(items) == 1 and _is_outputs(items[0]):
            outs = items[0]
        elif len(items) == 1 and _is_updates(items[0]):
            upd = items[0]
        elif len(items) == 2 and _is_outputs(items[0]) and _is_updates(items[1]):
            outs, upd = items
        elif len(items) == 2 and _is_updates(items[0]) and _is_outputs(items[1]):
            upd, outs = items
        else:
            raise _unparsable(ret)
    elif ret is not None:
        raise _unparsable(ret)
    outputs = [as_tensor_variable(o) for o in _as_list(outs)]
    return _Loop([], [], outputs, _updates(upd), None if cond is None else cond.condition)


def _unparsable(ret: Any) -> ValueError:
    return ValueError(
        f"scan: cannot parse what fn returned ({ret!r}); expected outputs (a variable or a "
        "list), an updates dict, until(cond), or (outputs, updates), (updates, outputs), "
        "(outputs, until), (outputs, updates, until)"
    )


def _updates(upd: Any) -> list[tuple[SharedVariable, TV]]:
    pairs = list(upd.items()) if isinstance(upd, Mapping) else [tuple(p) for p in upd]
    out: list[tuple[SharedVariable, TV]] = []
    for target, expr in pairs:
        if not isinstance(target, SharedVariable):
            raise TypeError(
                f"scan: fn's updates: {target} is not a shared variable; only shared variables "
                "can be updated"
            )
        if any(target is t for t, _ in out):
            raise ValueError(f"scan: fn's updates: {target} is updated more than once")
        value = as_tensor_variable(expr)
        ttype = target.type
        if not isinstance(ttype, TensorType) or not utils.compatible(ttype, value.type):
            raise TypeError(
                f"scan: fn's update of {target} ({ttype}) has type {value.type}; cast it "
                "explicitly if the conversion is intended"
            )
        out.append((target, value))
    return out


def _match_outputs(infos: list[_State | None], n: int) -> list[_State | None]:
    if not infos:
        return [None] * n
    if len(infos) != n:
        raise ValueError(
            f"scan: fn returned {n} output(s) but outputs_info has {len(infos)} entries; give "
            "one entry per output (None for an output that is not fed back)"
        )
    return infos


def _check_states(loop: _Loop, infos: list[_State | None]) -> None:
    """Each state's output must have its initial value's type (no silent
    cast); static lengths that differ become unknown."""
    relax: dict[Variable[Any], Variable[Any]] = {}
    j = 0
    for k, info in enumerate(infos):
        if info is None:
            continue
        out, ph = loop.outputs[k], loop.state_ph[j]
        want = ph[0].type
        if not utils.compatible(want, out.type):
            raise TypeError(
                f"scan: output {k} of fn has type {out.type}, but its initial state "
                f"(outputs_info[{k}], {info.init}) gives the loop state the type {want}; they "
                "must have the same dtype and number of dimensions, and static lengths that "
                "agree (cast or reshape one explicitly)"
            )
        _check_broadcast(k, want, out.type)
        joined = utils.join_types(want, out.type)
        if joined != want:
            new = [joined(p.name) for p in ph]
            relax.update(zip(ph, new))
            loop.state_ph[j] = new
        j += 1
    if relax:
        _replace_in(loop, relax)


def _check_broadcast(k: int, want: TensorType, got: TensorType) -> None:
    """A state axis of static length 1 broadcasts in fn's graph: it cannot
    become unknown (the graph would compute something else)."""
    for ax, (a, b) in enumerate(zip(want.shape, got.shape)):
        if a == 1 and b != 1:
            raise TypeError(
                f"scan: the initial state of output {k} ({want}) has static length 1 on axis "
                f"{ax} (it broadcasts in fn), but fn's output has {got}; give an initial value "
                f"whose axis {ax} does not broadcast (T.unbroadcast(x0, {ax}))"
            )


def _replace_in(loop: _Loop, mapping: dict[Variable[Any], Variable[Any]]) -> None:
    exprs = [*loop.outputs, *(e for _, e in loop.updates)]
    if loop.cond is not None:
        exprs.append(loop.cond)
    new, _ = clone_graph(exprs, mapping)
    n, m = len(loop.outputs), len(loop.updates)
    loop.outputs = [as_tensor_variable(v) for v in new[:n]]
    loop.updates = [(s, as_tensor_variable(v)) for (s, _), v in zip(loop.updates, new[n : n + m])]
    if loop.cond is not None:
        loop.cond = as_tensor_variable(new[-1])


def _exprs(loop: _Loop) -> list[TV]:
    out = [*loop.outputs, *(e for _, e in loop.updates)]
    return out + ([loop.cond] if loop.cond is not None else [])


def _default_updates(loop: _Loop) -> list[tuple[SharedVariable, TV]]:
    """Default updates (random streams) of the shared variables the step
    reads, as in Theano."""
    from refimpl.graph.basic import ancestors

    found: list[tuple[SharedVariable, TV]] = []
    done = {id(s) for s, _ in loop.updates}
    for var in ancestors(_exprs(loop)):
        default = getattr(var, "default_update", None)
        if isinstance(var, SharedVariable) and default is not None and id(var) not in done:
            done.add(id(var))
            found.append((var, as_tensor_variable(default)))
    return found


def _close_over(
    loop: _Loop, nonseqs: list[TV], strict: bool
) -> tuple[list[TV], list[TV], list[TV]]:
    """The inner placeholders and outer values of the non-sequences (the
    given ones, then every other variable the step uses), and the step's
    expressions rewritten on the placeholders (outputs, updates, cond)."""
    shared = [s for s, _ in loop.updates]
    is_shared = {id(s) for s in shared}
    given = [v for v in nonseqs if not isinstance(v, Constant) and id(v) not in is_shared]
    placeholders = [*loop.seq_ph, *(p for ph in loop.state_ph for p in ph)]
    known = {id(v) for v in placeholders} | {id(v) for v in given} | is_shared
    exprs = _exprs(loop)
    extra = [
        v for v in graph_inputs(exprs, [*given, *shared])
        if id(v) not in known and not isinstance(v, Constant)
    ]  # fmt: skip
    if strict:
        listed = {id(v) for v in nonseqs}
        foreign = extra + [s for s in shared if id(s) not in listed]
        if foreign:
            raise ValueError(
                f"scan(strict=True): fn uses {foreign[0]} ({foreign[0].type}), which is not "
                "among the non_sequences; pass it in non_sequences (shared variables too)"
            )
    outer = [*given, *extra]
    inner = [v.type(v.name) for v in outer]
    mapping: dict[Variable[Any], Variable[Any]] = dict(zip(outer, inner))
    shared_ph = [utils.join_types(s.type, e.type)(s.name) for s, e in loop.updates]
    mapping.update(zip(shared, shared_ph))
    loop.state_ph += [[p] for p in shared_ph]
    new, _ = clone_graph(exprs, mapping)
    return inner, [as_tensor_variable(v) for v in outer], [as_tensor_variable(v) for v in new]
