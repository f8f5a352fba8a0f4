"""Derivatives of ``Scan`` (spec/scan.md, "Gradient").

``scan_lop`` is back-propagation through time, built as a reversed scan.
Step ``r`` of the reversed loop handles forward step ``τ = N-1-r``: it reads
the forward step's inputs (sequence rows, state values, non-sequences) and
the output cotangents of step ``τ``, computes the step's vector-Jacobian
product (``Lop`` of the inner graph), and carries

- per state of depth ``m``, ``m`` accumulators ``c_0 .. c_{m-1}``: the
  cotangent gathered so far for the state's values at ``τ, τ-1, ...,
  τ-m+1`` (its later readers have all run). The step's total cotangent of
  the state is ``G[τ] + c_0``; the next carry is ``c'_i = c_{i+1} + (the
  step's cotangent of tap -(i+1))``. After the last step the carries are
  the cotangents of the initial values;
- per non-sequence, the sum of its per-step cotangents.

Per-step cotangents of the sequences are the reversed loop's trajectories.
``N`` is the number of steps the forward loop ran (with ``until``: the
steps executed, never the maximum), and ``truncate_gradient = k`` runs only
the last ``min(N, k)`` steps backwards: earlier rows get zero, and so do the
initial values when ``N > k``. States whose forward output is only the last
value are recomputed with their trajectories when the backward step needs
them.

``scan_rop`` runs one forward scan carrying the tangents beside the values
(``Rop`` of the inner graph), with tangent states of the same taps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from refimpl.graph.basic import NullGrad, Variable
from refimpl.scan import utils
from refimpl.scan.op import Scan, apply_scan
from refimpl.scan.utils import TV
from refimpl.types import is_discrete

Grads = list[TV | NullGrad | None]


def differentiable(v: Variable[Any]) -> bool:
    return not is_discrete(v.type.dtype)


@dataclass
class _Reverse:
    """The reversed loop being assembled: inner inputs and outer values per
    section, and its inner outputs."""

    seq_in: list[TV] = field(default_factory=list)
    seq_out: list[TV] = field(default_factory=list)
    state_in: list[TV] = field(default_factory=list)
    state_init: list[TV] = field(default_factory=list)
    state_next: list[TV] = field(default_factory=list)
    nit_out: list[TV] = field(default_factory=list)
    non_in: list[TV] = field(default_factory=list)
    non_out: list[TV] = field(default_factory=list)

    def add_seq(self, inner: TV, outer: TV) -> None:
        self.seq_in.append(inner)
        self.seq_out.append(outer)

    def add_state(self, inner: TV, init: TV, nxt: TV) -> int:
        self.state_in.append(inner)
        self.state_init.append(utils.T().shape_padleft(init))
        self.state_next.append(nxt)
        return len(self.state_in) - 1


def _sum(terms: list[TV]) -> TV:
    out = terms[0]
    for t in terms[1:]:
        out = utils.T().add(out, t)
    return out


def scan_lop(
    op: Scan, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
) -> Grads:
    """The gradients of ``op``'s outer inputs (see the module docstring)."""
    from refimpl.grad import Lop
    from refimpl.grad.errors import NullGradError

    T = utils.T()
    inits = op.split(inputs)[2]
    nst = op.n_states
    carries = [
        [op.inner_taps[j][0].type(f"c{j}_{i}") for i in range(op.depths[j])]
        if differentiable(inits[j]) else []
        for j in range(nst)
    ]  # fmt: skip
    live = [not utils.is_zero(g) for g in output_grads]
    g_state = [
        op.inner_taps[j][0].type(f"g{j}")
        if carries[j] and not op.final_only[j] and live[j] else None
        for j in range(nst)
    ]  # fmt: skip
    g_nit = [o.type(f"gy{k}") if differentiable(o) and live[nst + k] else None
             for k, o in enumerate(op.inner_nitsot_outs)]  # fmt: skip
    fs, evs = [], []
    for j, out in enumerate(op.inner_state_outs):
        if carries[j]:
            g = g_state[j]
            fs.append(out)
            evs.append(carries[j][0] if g is None else T.add(g, carries[j][0]))
    for out, g in zip(op.inner_nitsot_outs, g_nit):
        if g is not None:
            fs.append(out)
            evs.append(g)
    diff = [v for v in op.inner_inputs if differentiable(v)]
    reach = utils.depends_on(fs, diff)
    wrt = [v for i, v in enumerate(diff) if any(row[i] for row in reach)]
    if not fs or not wrt:
        return [None] * len(inputs)
    try:
        found = Lop(fs, wrt, evs, disconnected_inputs="ignore")
    except NullGradError as exc:
        return [
            NullGrad(str(op), i, f"a step has no gradient: {exc}") if differentiable(v) else None
            for i, v in enumerate(inputs)
        ]
    grads = dict(zip(wrt, found))
    return _assemble(op, inputs, outputs, output_grads, carries, g_state, g_nit, grads)


def _assemble(
    op: Scan,
    inputs: Sequence[TV],
    outputs: Sequence[TV],
    output_grads: Sequence[TV],
    carries: list[list[TV]],
    g_state: list[TV | None],
    g_nit: list[TV | None],
    grads: dict[TV, TV],
) -> Grads:
    """Build the reversed loop and map its outputs to the outer gradients."""
    T = utils.T()
    n_steps, seqs, inits, _ = op.split(inputs)
    rev = _Reverse()
    acc_at = _carried(op, inputs, output_grads, carries, grads, rev)
    seq_at = [i for i, ph in enumerate(op.inner_seqs) if ph in grads]
    rev.nit_out = [grads[op.inner_seqs[i]] for i in seq_at]
    n_fwd = utils.as_length(outputs[-1] if op.until else n_steps)
    needed = [*rev.state_next, *rev.nit_out]
    _reverse_sequences(op, inputs, outputs, output_grads, g_state, g_nit, needed, n_fwd, rev)
    n_back = n_fwd if op.truncate_gradient < 0 else T.minimum(n_fwd, op.truncate_gradient)
    outs = apply_scan(
        inner_inputs=[*rev.seq_in, *rev.state_in, *rev.non_in],
        inner_outputs=[*rev.state_next, *rev.nit_out],
        n_seqs=len(rev.seq_in),
        state_taps=[(-1,)] * len(rev.state_in),
        final_only=[True] * len(rev.state_in),
        n_nitsot=len(rev.nit_out),
        mode=op.mode,
        n_steps=n_back,
        seqs=rev.seq_out,
        inits=rev.state_init,
        nonseqs=rev.non_out,
        name=f"grad_of_{op.name}",
    )
    finals, seq_traj = outs[: len(rev.state_in)], outs[len(rev.state_in) :]
    result: Grads = [None] * len(inputs)
    start = 0
    for j, cs in enumerate(carries):
        if cs:
            rows = finals[start : start + len(cs)][::-1]
            result[1 + op.n_seqs + j] = _init_grad(op, inits[j], rows, n_fwd)
            start += len(cs)
    for q, at in acc_at.items():
        result[1 + op.n_seqs + op.n_states + q] = finals[at]
    for i, traj in zip(seq_at, seq_traj):
        result[1 + i] = _seq_grad(op, seqs[i], traj, n_fwd, n_back)
    return result


def _carried(
    op: Scan,
    inputs: Sequence[TV],
    output_grads: Sequence[TV],
    carries: list[list[TV]],
    grads: dict[TV, TV],
    rev: _Reverse,
) -> dict[int, int]:
    """The reversed loop's states: per state its accumulators, then per
    non-sequence its sum. Returns where each non-sequence's sum is."""
    T = utils.T()
    _, _, inits, nonseqs = op.split(inputs)
    for j, cs in enumerate(carries):
        taps, m = op.state_taps[j], op.depths[j]
        for i in range(m):
            terms = [cs[i + 1]] if i + 1 < m else []
            tap_ph = [p for p, k in zip(op.inner_taps[j], taps) if k == -(i + 1)]
            terms += [grads[p] for p in tap_ph if p in grads]
            first = output_grads[j] if op.final_only[j] and i == 0 else None
            nxt = _sum(terms) if terms else T.zeros_like(cs[i])
            rev.add_state(cs[i], T.zeros_like(inits[j][0]) if first is None else first, nxt)
    acc_at: dict[int, int] = {}
    for q, (v, ph) in enumerate(zip(nonseqs, op.inner_nonseqs)):
        if ph in grads:
            acc = ph.type(f"acc{q}")
            acc_at[q] = rev.add_state(acc, T.zeros_like(v), T.add(acc, grads[ph]))
    return acc_at


def _reverse_sequences(
    op: Scan,
    inputs: Sequence[TV],
    outputs: Sequence[TV],
    output_grads: Sequence[TV],
    g_state: list[TV | None],
    g_nit: list[TV | None],
    needed: list[TV],
    n_fwd: TV,
    rev: _Reverse,
) -> None:
    """The reversed loop's sequences (forward values and cotangents, row
    ``r`` for forward step ``N-1-r``) and non-sequences, for the inner inputs
    the backward step uses."""
    T = utils.T()
    _, seqs, inits, nonseqs = op.split(inputs)
    nst = op.n_states
    cot = [g for g in (*g_state, *g_nit) if g is not None]
    used = utils.used_inputs(needed, [*op.inner_inputs, *cot])
    flags = dict(zip(op.inner_inputs, used[: len(op.inner_inputs)]))
    for ph, s in zip(op.inner_seqs, seqs):
        if flags[ph]:
            rev.add_seq(ph, s[:n_fwd][::-1])
    trajectories = _trajectories(op, inputs, outputs, flags)
    for j, taps in enumerate(op.state_taps):
        m = op.depths[j]
        if not any(flags[p] for p in op.inner_taps[j]):
            continue
        full = T.concatenate([inits[j][:m], trajectories[j]])
        for p, k in zip(op.inner_taps[j], taps):
            if flags[p]:
                rev.add_seq(p, full[m + k : n_fwd + m + k][::-1])
    for j, g in enumerate(g_state):
        if g is not None:
            rev.add_seq(g, output_grads[j][::-1])
    for k, g in enumerate(g_nit):
        if g is not None:
            rev.add_seq(g, output_grads[nst + k][::-1])
    for ph, v in zip(op.inner_nonseqs, nonseqs):
        if flags[ph]:
            rev.non_in.append(ph)
            rev.non_out.append(v)


def _trajectories(
    op: Scan, inputs: Sequence[TV], outputs: Sequence[TV], flags: dict[TV, bool]
) -> list[TV]:
    """Each state's forward trajectory: the op's output, or for a state kept
    only as its last value, the output of a recomputation that keeps all."""
    recompute = any(
        op.final_only[j] and any(flags[p] for p in op.inner_taps[j]) for j in range(op.n_states)
    )
    if not recompute:
        return list(outputs[: op.n_states])
    full = replace(op, final_only=(False,) * op.n_states)
    return list(full.make_node(*inputs).outputs[: op.n_states])  # type: ignore[arg-type]


def _init_grad(op: Scan, init: TV, rows: list[TV], n_fwd: TV) -> TV:
    """The cotangent of an initial buffer: its first ``len(rows)`` rows (the
    final carries, oldest first); zero when truncation cut the loop short."""
    T = utils.T()
    block = T.stack(rows) if len(rows) > 1 else T.shape_padleft(rows[0])
    if op.truncate_gradient > 0:
        block = T.switch(T.le(n_fwd, op.truncate_gradient), block, T.zeros_like(block))
    if init.type.shape[0] == len(rows):
        return block  # type: ignore[no-any-return]
    return T.set_subtensor(T.zeros_like(init)[: len(rows)], block)  # type: ignore[no-any-return]


def _seq_grad(op: Scan, seq: TV, traj: TV, n_fwd: TV, n_back: TV) -> TV:
    """A sequence's cotangent: the reversed loop's rows, back in forward
    order, at rows ``N - n_back .. N-1``; zero elsewhere."""
    T = utils.T()
    start = None if op.truncate_gradient < 0 else n_fwd - n_back
    return T.set_subtensor(T.zeros_like(seq)[start:n_fwd], traj[::-1])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- R_op


@dataclass
class _Tangents:
    """The tangent inputs of the loop computing ``R_op``: per inner input
    that has one, its placeholder (``wrt``/``tangents``) and outer value."""

    wrt: list[TV] = field(default_factory=list)
    tangents: list[TV] = field(default_factory=list)
    seq_in: list[TV] = field(default_factory=list)
    seq_out: list[TV] = field(default_factory=list)
    tap_in: list[TV] = field(default_factory=list)
    non_in: list[TV] = field(default_factory=list)
    non_out: list[TV] = field(default_factory=list)

    def add(self, ph: TV) -> TV:
        d = ph.type(f"d_{ph.name}")
        self.wrt.append(ph)
        self.tangents.append(d)
        return d


def scan_rop(op: Scan, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
    """Tangents of ``op``'s outputs: one scan computing values and tangents."""
    from refimpl.grad import Rop

    T = utils.T()
    _, seqs, inits, nonseqs = op.split(inputs)
    _, ev_seqs, ev_inits, ev_nons = op.split(eval_points)
    tg = _Tangents()
    for ph, s, e in zip(op.inner_seqs, seqs, ev_seqs):
        if e is not None and differentiable(s):
            tg.seq_in.append(tg.add(ph))
            tg.seq_out.append(e)
    dstates = [j for j in range(op.n_states) if differentiable(inits[j])]
    tg.tap_in = [tg.add(p) for j in dstates for p in op.inner_taps[j]]
    for ph, v, e in zip(op.inner_nonseqs, nonseqs, ev_nons):
        if e is not None and differentiable(v):
            tg.non_in.append(tg.add(ph))
            tg.non_out.append(e)
    dnits = [k for k, o in enumerate(op.inner_nitsot_outs) if differentiable(o)]
    fs = [op.inner_state_outs[j] for j in dstates] + [op.inner_nitsot_outs[k] for k in dnits]
    if not fs or not (tg.seq_in or tg.non_in or any(e is not None for e in ev_inits)):
        return [None] * len(op.inner_outputs)
    douts = Rop(fs, tg.wrt, tg.tangents, disconnected_outputs="ignore")
    nst, nd = op.n_states, len(dstates)
    dinits = [ev_inits[j] if ev_inits[j] is not None else T.zeros_like(inits[j]) for j in dstates]
    outs = apply_scan(
        inner_inputs=[
            *op.inner_seqs, *tg.seq_in, *(p for taps in op.inner_taps for p in taps),
            *tg.tap_in, *op.inner_nonseqs, *tg.non_in,
        ],
        inner_outputs=[
            *op.inner_state_outs, *douts[:nd], *op.inner_nitsot_outs, *douts[nd:],
            *op.inner_outputs[nst + op.n_nitsot :],
        ],
        n_seqs=op.n_seqs + len(tg.seq_in),
        state_taps=[*op.state_taps, *(op.state_taps[j] for j in dstates)],
        final_only=[*op.final_only, *(op.final_only[j] for j in dstates)],
        n_nitsot=op.n_nitsot + len(dnits),
        mode=op.mode,
        n_steps=inputs[0],
        seqs=[*seqs, *tg.seq_out],
        inits=[*inits, *dinits],
        nonseqs=[*nonseqs, *tg.non_out],
        until=op.until,
        truncate_gradient=op.truncate_gradient,
        name=f"rop_of_{op.name}",
    )  # fmt: skip
    result: list[TV | None] = [None] * (nst + op.n_nitsot + int(op.until))
    for at, j in enumerate(dstates):
        result[j] = outs[nst + at]
    for at, k in enumerate(dnits):
        result[nst + k] = outs[nst + nd + op.n_nitsot + at]
    return result
