"""The ``Scan`` op: a loop whose body is an inner graph (spec/scan.md).

``refimpl.scan`` (``basic.py``) turns a Theano-style call into one ``Scan``
node; this module is the op itself. Its layout, fixed by the fields:

- outer inputs: ``n_steps`` (an integer scalar), the sequences (each read at
  row ``t`` of step ``t``: taps and ``go_backwards`` are slices built by
  ``scan`` in the outer graph), one initial buffer per state (its first
  ``depth`` rows are the values at times ``-depth .. -1``), the
  non-sequences (passed unchanged to every step);
- inner inputs: one per sequence, one per tap of each state (in the order
  of ``state_taps``; tap ``k`` reads the state ``-k`` steps back), one per
  non-sequence;
- inner outputs: one per state, then the ``n_nitsot`` outputs that are not
  fed back, then (with ``until``) the boolean stop condition;
- outer outputs: per state its trajectory ``(steps, ...)`` or, where
  ``final_only``, its last value (the initial value after zero steps); per
  nit-sot output its trajectory; with ``until`` the number of steps run.

The inner graph is compiled once per namespace with ``mode``; ``perform``
is a Python loop calling it. ``L_op`` (back-propagation through time as a
reversed scan) and ``R_op`` (a forward scan of tangents) live in
``refimpl.scan.grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import array_api_compat

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op, ShapeInferenceError, Variable
from refimpl.opspec import Arg, DrawInt, OpSpec
from refimpl.scan import utils
from refimpl.scan.utils import TV, Runner
from refimpl.types import DType, TensorType, is_discrete
from refimpl.variable import TensorVariable, as_tensor_variable


@dataclass(frozen=True, eq=False, repr=False)
class Scan(Op):
    """A loop over an inner graph (see the module docstring for the layout).

    Ops compare by identity: two scans are equal only when they are the same
    object (their inner graphs are not compared)."""

    inner_inputs: tuple[TV, ...]
    inner_outputs: tuple[TV, ...]
    n_seqs: int
    state_taps: tuple[tuple[int, ...], ...]
    final_only: tuple[bool, ...]
    n_nitsot: int
    n_nonseqs: int
    mode: Any
    until: bool = False
    truncate_gradient: int = -1
    name: str = "scan_fn"
    _runners: dict[int, Runner] = field(default_factory=dict, init=False, repr=False)
    _zero_shapes: dict[int, Runner] = field(default_factory=dict, init=False, repr=False)
    _loop_fn: list[Callable[..., int]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        n_taps = sum(len(t) for t in self.state_taps)
        if len(self.inner_inputs) != self.n_seqs + n_taps + self.n_nonseqs:
            raise ValueError(f"{self}: {len(self.inner_inputs)} inner inputs do not fit the layout")
        if len(self.inner_outputs) != self.n_states + self.n_nitsot + int(self.until):
            raise ValueError(f"{self}: {len(self.inner_outputs)} inner outputs do not fit")
        if len(self.final_only) != self.n_states:
            raise ValueError(f"{self}: final_only needs one flag per state")
        for taps in self.state_taps:
            if not taps or any(k >= 0 for k in taps):
                raise ValueError(f"{self}: state taps must be negative, got {taps}")

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}"

    # ------------------------------------------------------------- layout
    @property
    def n_states(self) -> int:
        return len(self.state_taps)

    @property
    def depths(self) -> tuple[int, ...]:
        """Rows of history each state needs (its most negative tap)."""
        return tuple(-min(t) for t in self.state_taps)

    @property
    def inner_seqs(self) -> tuple[TV, ...]:
        return self.inner_inputs[: self.n_seqs]

    @property
    def inner_taps(self) -> list[tuple[TV, ...]]:
        """The inner inputs of each state, one per tap."""
        out, k = [], self.n_seqs
        for taps in self.state_taps:
            out.append(self.inner_inputs[k : k + len(taps)])
            k += len(taps)
        return out

    @property
    def inner_nonseqs(self) -> tuple[TV, ...]:
        return self.inner_inputs[len(self.inner_inputs) - self.n_nonseqs :]

    @property
    def inner_state_outs(self) -> tuple[TV, ...]:
        return self.inner_outputs[: self.n_states]

    @property
    def inner_nitsot_outs(self) -> tuple[TV, ...]:
        return self.inner_outputs[self.n_states : self.n_states + self.n_nitsot]

    def split(self, outer: Sequence[Any]) -> tuple[Any, list[Any], list[Any], list[Any]]:
        """``(n_steps, sequences, initial buffers, non-sequences)`` of the outer inputs."""
        ns, nst = self.n_seqs, self.n_states
        return (
            outer[0],
            list(outer[1 : 1 + ns]),
            list(outer[1 + ns : 1 + ns + nst]),
            list(outer[1 + ns + nst :]),
        )

    # ------------------------------------------------------------- the type rule
    def make_node(self, n_steps: Any, *args: Any) -> Apply:
        n = as_tensor_variable(n_steps)
        if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
            raise TypeError(f"{self}: n_steps {n} must be an integer scalar, got {n.type}")
        outer = [as_tensor_variable(a) for a in args]
        want = self.n_seqs + self.n_states + self.n_nonseqs
        if len(outer) != want:
            raise TypeError(f"{self}: expected {want} inputs after n_steps, got {len(outer)}")
        _, seqs, inits, nonseqs = self.split([n, *outer])
        for i, (s, inner) in enumerate(zip(seqs, self.inner_seqs)):
            _check_rows(self, f"sequence {i}", s, inner.type)
        for j, (init, taps) in enumerate(zip(inits, self.inner_taps)):
            _check_rows(self, f"initial state {j}", init, taps[0].type)
        for q, (v, inner) in enumerate(zip(nonseqs, self.inner_nonseqs)):
            if not utils.compatible(inner.type, v.type):
                raise TypeError(
                    f"{self}: non-sequence {q} ({v}) has type {v.type}, the loop expects "
                    f"{inner.type}"
                )
        return Apply(self, [n, *outer], self._output_types(n))

    def _output_types(self, n: TV) -> list[TV]:
        from refimpl.graph.basic import Constant

        length = int(n.data) if isinstance(n, Constant) and not self.until else None
        outs: list[TV] = []
        for taps, final in zip(self.inner_taps, self.final_only):
            row = taps[0].type
            outs.append(row() if final else TensorType(row.dtype, (length, *row.shape))())
        for o in self.inner_nitsot_outs:
            outs.append(TensorType(o.type.dtype, (length, *o.type.shape))())
        if self.until:
            outs.append(TensorType("int64", ())())
        return outs

    # ------------------------------------------------------------- running
    def runner(self, xp: Namespace) -> Runner:
        """The inner graph compiled for ``xp`` (once per namespace)."""
        run = self._runners.get(id(xp))
        if run is None:
            run = utils.compile_inner(self.inner_inputs, self.inner_outputs, self.mode, xp)
            self._runners[id(xp)] = run
        return run

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        n = int(inputs[0])
        _, seqs, inits, nonseqs = self.split(inputs)
        self._check_lengths(n, seqs, inits)
        bufs = [[init[i, ...] for i in range(m)] for init, m in zip(inits, self.depths)]
        nits: list[list[Array]] = [[] for _ in range(self.n_nitsot)]
        steps = self._loop(self.runner(xp), n, seqs, bufs, nits, nonseqs) if n else 0
        if steps:
            self._check_states(bufs, inits)
        device = array_api_compat.device(inputs[0])
        results: list[Array] = []
        for j, (buf, m) in enumerate(zip(bufs, self.depths)):
            if self.final_only[j]:
                results.append(xp.asarray(buf[-1], copy=True))
            else:
                results.append(_stack(xp, buf[m:], tuple(inits[j].shape[1:]), node, j, device))
        for k, items in enumerate(nits):
            shape = self._zero_step_shape(xp, node, inputs, k) if not items else ()
            results.append(_stack(xp, items, shape, node, self.n_states + k, device))
        if self.until:
            results.append(xp.asarray(steps, dtype=xp.int64, device=device))
        return tuple(results)

    def _loop(
        self,
        run: Runner,
        n: int,
        seqs: list[Array],
        bufs: list[list[Array]],
        nits: list[list[Array]],
        nonseqs: list[Array],
    ) -> int:
        """Run the steps; returns how many ran (fewer than ``n`` after ``until``)."""
        if not self._loop_fn:
            self._loop_fn.append(_make_loop(self))
        steps: int = self._loop_fn[0](run, n, *seqs, *bufs, *nits, *nonseqs)
        return steps

    def _check_lengths(self, n: int, seqs: list[Array], inits: list[Array]) -> None:
        if n < 0:
            raise ValueError(f"{self}: n_steps is {n}; it must be >= 0 (use go_backwards)")
        for i, s in enumerate(seqs):
            if int(s.shape[0]) < n:
                raise ValueError(
                    f"{self}: sequence {i} ({self.inner_seqs[i]}) has {int(s.shape[0])} steps "
                    f"(after its taps), fewer than n_steps = {n}"
                )
        for j, (init, m) in enumerate(zip(inits, self.depths)):
            if int(init.shape[0]) < m:
                raise ValueError(
                    f"{self}: the initial value of state {j} has {int(init.shape[0])} rows; its "
                    f"taps {self.state_taps[j]} need {m}"
                )

    def _check_states(self, bufs: list[list[Array]], inits: list[Array]) -> None:
        """A state's values keep its initial value's shape."""
        for j, (buf, init) in enumerate(zip(bufs, inits)):
            got, want = tuple(buf[-1].shape), tuple(init.shape[1:])
            if got != want:
                raise ValueError(
                    f"{self}: state {j} ({self.inner_state_outs[j]}) has shape {got} after a "
                    f"step, but its initial value has shape {want}; a state keeps its shape"
                )

    def _zero_step_shape(
        self, xp: Namespace, node: Apply, inputs: Sequence[Array], k: int
    ) -> tuple[int, ...]:
        """The shape of one step of nit-sot output ``k``, found without running
        a step (for an empty result)."""
        static = self.inner_nitsot_outs[k].type.shape
        if all(d is not None for d in static):
            return tuple(int(d) for d in static if d is not None)
        run = self._zero_shapes.get(id(xp))
        if run is None:
            ph = [TensorType(v.type.dtype, v.type.shape)() for v in node.inputs]
            shapes = [tuple(utils.T().shape_i(p, d) for d in range(p.ndim)) for p in ph]
            try:
                found = self._nitsot_shapes(shapes, ph)
            except ShapeInferenceError as exc:
                raise ValueError(
                    f"{self}: zero steps, and the shape of one step of output "
                    f"{self.n_states + k} cannot be inferred without running a step: {exc}"
                ) from exc
            flat = [d for shp in found for d in shp]
            run = utils.compile_inner(ph, flat, "FAST_COMPILE", xp)
            self._zero_shapes[id(xp)] = run
        dims = [int(d) for d in run(*inputs)]
        lengths = [len(o.type.shape) for o in self.inner_nitsot_outs]
        start = sum(lengths[:k])
        return tuple(dims[start : start + lengths[k]])

    # ------------------------------------------------------------- shapes
    def _nitsot_shapes(
        self, input_shapes: Sequence[tuple[TV, ...]], outer: Sequence[TV]
    ) -> list[tuple[TV, ...]]:
        """One step's shape of each nit-sot output, from the outer inputs'
        shapes (and the non-sequences' values, given as ``outer``)."""
        _, seqs, inits, nonseqs = self.split(list(input_shapes))
        inner: list[Sequence[TV]] = [s[1:] for s in seqs]
        for init, taps in zip(inits, self.inner_taps):
            inner.extend(init[1:] for _ in taps)
        inner.extend(nonseqs)
        values: dict[Variable[Any], Variable[Any]] = dict(
            zip(self.inner_nonseqs, self.split(list(outer))[3])
        )
        return utils.inner_shapes(self.inner_inputs, self.inner_nitsot_outs, inner, values)

    def infer_shape(
        self, node: Apply, input_shapes: Sequence[tuple[TensorVariable, ...]]
    ) -> list[tuple[TensorVariable, ...]]:
        n = utils.as_length(node.outputs[-1] if self.until else node.inputs[0])
        _, _, inits, _ = self.split(list(input_shapes))
        out: list[tuple[TV, ...]] = []
        for init, final in zip(inits, self.final_only):
            out.append(tuple(init[1:]) if final else (n, *init[1:]))
        try:
            nit = self._nitsot_shapes(input_shapes, node.inputs)  # type: ignore[arg-type]
        except ShapeInferenceError:
            T = utils.T()
            outs = node.outputs[self.n_states : self.n_states + self.n_nitsot]
            nit = [tuple(T.shape_i(o, d) for d in range(1, len(o.type.shape))) for o in outs]
        out.extend((n, *shp) for shp in nit)
        if self.until:
            out.append(())
        return out

    # ------------------------------------------------------------- derivatives
    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """Which outer outputs depend on which outer inputs, following the
        states' feedback to a fixed point."""
        dep = utils.depends_on(self.inner_outputs, self.inner_inputs)
        ns, nst = self.n_seqs, self.n_states
        # the outer input of each inner input; a state tap: (state index,)
        owner: list[int | tuple[int]] = [*range(1, 1 + ns)]
        for j, taps in enumerate(self.state_taps):
            owner.extend((j,) for _ in taps)
        owner.extend(range(1 + ns + nst, 1 + ns + nst + self.n_nonseqs))
        state_dep: list[set[int]] = [
            {1 + ns + j} if self.final_only[j] else set() for j in range(nst)
        ]

        def reach(o: int) -> set[int]:
            found: set[int] = set()
            for i, hit in enumerate(dep[o]):
                src = owner[i]
                if not hit:
                    continue
                if isinstance(src, tuple):
                    found |= {1 + ns + src[0]} | state_dep[src[0]]
                else:
                    found.add(src)
            return found

        changed = True
        while changed:
            changed = False
            for j in range(nst):
                new = state_dep[j] | reach(j)
                if new != state_dep[j]:
                    state_dep[j], changed = new, True
        cond = reach(len(self.inner_outputs) - 1) if self.until else set()
        per_out = [state_dep[j] for j in range(nst)]
        per_out += [reach(nst + k) for k in range(self.n_nitsot)]
        if self.until:
            per_out.append(set())
        return [[i == 0 or i in s or i in cond for s in per_out] for i in range(len(node.inputs))]

    def L_op(
        self,
        inputs: Sequence[TensorVariable],
        outputs: Sequence[TensorVariable],
        output_grads: Sequence[TensorVariable],
    ) -> list[TensorVariable | NullGrad | None]:
        """Back-propagation through time: a reversed scan (refimpl.scan.grad)."""
        from refimpl.scan import grad as _grad

        return _grad.scan_lop(self, inputs, outputs, output_grads)

    def R_op(
        self, inputs: Sequence[TensorVariable], eval_points: Sequence[TensorVariable | None]
    ) -> list[TensorVariable | None]:
        """A forward scan carrying the tangents beside the values (refimpl.scan.grad)."""
        from refimpl.scan import grad as _grad

        return _grad.scan_rop(self, inputs, eval_points)


def _make_loop(op: Scan) -> Callable[..., int]:
    """The step loop of ``op``, generated for its layout so a step costs one
    call of the inner function plus list appends: arguments ``(run, n,
    *sequences, *state buffers, *nit-sot lists, *non-sequences)``; returns
    the number of steps run. A state's buffer holds its past values (tap
    ``k`` reads ``buf[k]``); a ``final_only`` buffer is trimmed as it grows."""
    nst = op.n_states
    seqs = [f"s{i}" for i in range(op.n_seqs)]
    bufs = [f"b{j}" for j in range(nst)]
    nits = [f"l{k}" for k in range(op.n_nitsot)]
    nons = [f"c{q}" for q in range(op.n_nonseqs)]
    args = [f"{s}[t, ...]" for s in seqs]
    for b, taps in zip(bufs, op.state_taps):
        args.extend(f"{b}[{k}]" for k in taps)
    args.extend(nons)
    lines = [
        f"def loop({', '.join(['run', 'n', *seqs, *bufs, *nits, *nons])}):",
        "    for t in range(n):",
        f"        o = run({', '.join(args)})",
    ]
    lines += [f"        {b}.append(o[{j}])" for j, b in enumerate(bufs)]
    lines += [f"        {lst}.append(o[{nst + k}])" for k, lst in enumerate(nits)]
    for b, m, final in zip(bufs, op.depths, op.final_only):
        if final:
            lines.append(f"        if len({b}) > {2 * m}: del {b}[:-{m}]")
    if op.until:
        lines.append("        if o[-1]: return t + 1")
    lines.append("    return n")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", f"<refimpl {op} loop>", "exec"), namespace)
    loop: Callable[..., int] = namespace["loop"]
    return loop


def _check_rows(op: Scan, what: str, outer: TV, inner: TensorType) -> None:
    if outer.ndim != inner.ndim + 1 or not utils.compatible(inner, utils.row_type(outer.type)):
        raise TypeError(
            f"{op}: {what} ({outer}) has type {outer.type}; its rows must have type {inner}"
        )


def _stack(
    xp: Namespace, items: list[Array], row: tuple[int, ...], node: Apply, k: int, device: Any
) -> Array:
    """``items`` stacked along a new leading axis (an empty ``(0, *row)``
    array when there are none)."""
    if items:
        try:
            return xp.stack(items)
        except Exception as exc:
            shapes = sorted({tuple(int(n) for n in a.shape) for a in items})
            raise ValueError(
                f"{node.op}: output {k} has steps of different shapes {shapes}; every step of "
                "an output must have one shape"
            ) from exc
    dtype = getattr(xp, node.outputs[k].type.dtype)
    return xp.zeros((0, *row), dtype=dtype, device=device)


def apply_scan(
    *,
    inner_inputs: Sequence[TV],
    inner_outputs: Sequence[TV],
    n_seqs: int,
    state_taps: Sequence[tuple[int, ...]],
    final_only: Sequence[bool],
    n_nitsot: int,
    mode: Any,
    n_steps: TV,
    seqs: Sequence[TV],
    inits: Sequence[TV],
    nonseqs: Sequence[TV],
    until: bool = False,
    truncate_gradient: int = -1,
    name: str = "scan_fn",
) -> list[TV]:
    """Build one ``Scan`` node and return its outputs (the layout is the
    module docstring's)."""
    op = Scan(
        tuple(inner_inputs),
        tuple(inner_outputs),
        n_seqs,
        tuple(tuple(t) for t in state_taps),
        tuple(final_only),
        n_nitsot,
        len(nonseqs),
        mode,
        until,
        truncate_gradient,
        name,
    )
    node = op.make_node(n_steps, *seqs, *inits, *nonseqs)
    return list(node.outputs)  # type: ignore[arg-type]


def is_float(var: TV) -> bool:
    return not is_discrete(var.dtype) and not var.dtype.startswith("complex")


# --------------------------------------------------------------------------- test specs
# Small loops wrapping Scan, so the generated suite checks values, shapes,
# gradients, Rop/Lop and second derivatives through the loop.


def cumprod_by_scan(x: Any) -> TV:
    """``x``'s cumulative product along axis 0, by a scan over its rows."""
    from refimpl.scan.basic import scan

    x = _float_input(x, "cumprod_by_scan")
    T = utils.T()
    out, _ = scan(lambda row, prev: prev * row, sequences=x, outputs_info=T.ones_like(x[0]))
    return out  # type: ignore[no-any-return]


def linear_recurrence(u: Any, a: Any, y0: Any) -> TV:
    """``y[t] = a[0] * y[t-1] + a[1] * y[t-2] + u[t]`` (taps -2 and -1; ``y0``
    holds ``y[-2], y[-1]``), by a scan."""
    from refimpl.scan.basic import scan

    u = _float_input(u, "linear_recurrence")
    a = _float_input(a, "linear_recurrence")
    y0 = _float_input(y0, "linear_recurrence")
    out, _ = scan(
        lambda ut, y2, y1, coef: coef[0] * y1 + coef[1] * y2 + ut,
        sequences=u,
        outputs_info=dict(initial=y0, taps=[-2, -1]),
        non_sequences=a,
    )
    return out  # type: ignore[no-any-return]


def _float_input(x: Any, who: str) -> TV:
    v = as_tensor_variable(x)
    if v.dtype not in ("float32", "float64"):
        raise TypeError(f"{who}: {v} has dtype {v.dtype}; expected float32 or float64")
    return v


def _cumprod_ref(x: Any) -> Any:
    import numpy as np

    return np.cumprod(x, axis=0)


def _recurrence_ref(u: Any, a: Any, y0: Any) -> Any:
    import numpy as np

    ys = [y0[0], y0[1]]
    for t in range(u.shape[0]):
        ys.append(a[0] * ys[-1] + a[1] * ys[-2] + u[t])
    out = np.stack(ys[2:]) if u.shape[0] else np.zeros((0, *u.shape[1:]), u.dtype)
    return out.astype(u.dtype)


def _cumprod_shapes(draw_int: DrawInt) -> tuple[tuple[int, ...], ...]:
    return ((draw_int(1, 4), *((draw_int(1, 3),) if draw_int(0, 1) else ())),)


def _recurrence_shapes(draw_int: DrawInt) -> tuple[tuple[int, ...], ...]:
    n, k = draw_int(0, 4), draw_int(1, 3)
    return ((n, k), (2,), (2, k))


_FLOATS: tuple[DType, ...] = ("float64", "float32")

SPECS: tuple[OpSpec, ...] = (
    OpSpec(
        name="scan_cumprod",
        build=cumprod_by_scan,
        ref=_cumprod_ref,
        args=(Arg("x", dtypes=_FLOATS, domain=(-2.0, 2.0), grad_domain=(-1.5, 1.5)),),
        shapes=_cumprod_shapes,
        op_classes=(Scan,),
        family="scan",
        cost=0.5,
        doc="cumulative product along axis 0 by a scan (one state, tap -1)",
    ),
    OpSpec(
        name="scan_linear_recurrence",
        build=linear_recurrence,
        ref=_recurrence_ref,
        args=(
            Arg("u", dtypes=_FLOATS, domain=(-2.0, 2.0)),
            Arg("a", dtypes=_FLOATS, domain=(-0.9, 0.9)),
            Arg("y0", dtypes=_FLOATS, domain=(-2.0, 2.0)),
        ),
        shapes=_recurrence_shapes,
        op_classes=(Scan,),
        family="scan",
        cost=0.5,
        doc="y[t] = a0 y[t-1] + a1 y[t-2] + u[t]: a state with taps -2 and -1, a non-sequence",
    ),
)
