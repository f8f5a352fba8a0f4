"""The claims group: what a spec says an op does NOT support must fail
loudly, and what it says it supports must work (claims are tested both
ways, spec/testing.md "Claims").

- ``claim_grad``: a spec with ``grad=False`` — ``Lop`` must raise
  (``NullGradError``, ``DisconnectedInputError`` or another clear error);
- ``claim_rop``: a spec with ``rop=False`` — ``Rop`` must raise
  (``RopNotImplementedError`` ...);
- ``unclaimed_dtypes``: building with a dtype no value argument claims
  (complex128 and bool, and float64 for specs claiming no float) must raise
  ``TypeError`` at build time;
- ``claimed_dtypes``: every claimed dtype combination builds, runs, and
  returns the declared dtype.

These checks build graphs only once per spec; they use a deterministic
case (``random.Random(0)``).
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np

from refimpl.backend import dtype_name, to_numpy
from refimpl.graph.basic import RopNotImplementedError
from refimpl.modes.function import function
from refimpl.opspec import OpSpec
from refimpl.testing.cases import SpecError, draw_case, dtype_combos, random_draw_int
from refimpl.testing.checks import CheckFailed, CheckFn, CheckSkipped, header
from refimpl.testing.harness import build
from refimpl.testing.trial import Trial
from refimpl.types import DType, kind

UNCLAIMED_CANDIDATES: Final[tuple[DType, ...]] = ("complex128", "bool", "float64")


def _loud() -> tuple[type[BaseException], ...]:
    """The exceptions that count as refusing a derivative."""
    errors = importlib.import_module("refimpl.grad.errors")
    return (
        errors.NullGradError,
        errors.DisconnectedInputError,
        errors.NullGradRopError,
        RopNotImplementedError,
        NotImplementedError,
        TypeError,
    )


def _wrt(t: Trial) -> tuple[list[Any], list[Any]]:
    h = t.harness
    spec = t.case.spec
    wrt = [x for a, x in zip(spec.args, h.xs) if a.differentiable and kind(x.dtype) in "fc"]
    return wrt, h.ys


def _refused(
    t: Trial, check: str, make: Callable[[], list[Any]], extra: list[Any], like: list[Any]
) -> None:
    """``make()`` (building a Lop/Rop of the symbolic inputs ``extra``) must
    raise; for an op whose outputs are all discrete, exact zeros are
    accepted too (the derivative of a piecewise-constant function is zero
    where it exists). ``like``: arrays shaped like ``extra`` (filled with ones)."""
    try:
        result = make()
    except _loud():
        return
    h = t.harness
    if not h.diff_out:
        f = function([*h.xs, *extra], result, mode=t.mode, backend=t.backend,
                     on_unused_input="ignore")  # fmt: skip
        ones = [np.ones_like(np.asarray(a)) for a in like]
        values = [to_numpy(r) for r in f(*t.values, *ones)]
        if all(not np.any(v) for v in values):
            return
        raise CheckFailed(
            f"{header(t, check)}\nthe outputs are discrete and the spec claims no derivative, "
            "but a nonzero derivative was returned"
        )
    what = "Lop built a gradient" if check == "claim_grad" else "Rop built a tangent"
    fix = "make L_op return NullGrad" if check == "claim_grad" else "declare no_rop_reason"
    raise CheckFailed(
        f"{header(t, check)}\nthe spec says {check[6:]}=False, but {what} without raising: "
        f"claim it (and pass the first-order checks) or {fix}"
    )


def check_claim_grad(t: Trial) -> None:
    """``grad=False``: asking for ``Lop`` raises."""
    spec = t.case.spec
    if spec.grad:
        raise CheckSkipped("spec.grad is True (the first-order group checks the gradient)")
    wrt, ys = _wrt(t)
    if not wrt:
        raise CheckSkipped("no float input to differentiate with respect to")
    G = importlib.import_module("refimpl.grad")
    ws = [y.type() for y in ys]
    _refused(t, "claim_grad", lambda: list(G.Lop(ys, wrt, ws)), ws, t.outputs_np)


def check_claim_rop(t: Trial) -> None:
    """``rop=False``: asking for ``Rop`` raises."""
    spec = t.case.spec
    if spec.rop:
        raise CheckSkipped("spec.rop is True (the first-order group checks R_op)")
    wrt, ys = _wrt(t)
    if not wrt:
        raise CheckSkipped("no float input to differentiate with respect to")
    G = importlib.import_module("refimpl.grad")
    vs = [x.type() for x in wrt]
    like = [v for a, v in zip(spec.args, t.values) if a.differentiable and v.dtype.kind in "fc"]
    _refused(t, "claim_rop", lambda: list(G.Rop(ys, wrt, vs)), vs, like)


def siblings(spec: OpSpec) -> list[OpSpec]:
    """``spec`` and the registered specs with the same ``build`` callable
    (one public function whose dtypes are split over several specs)."""
    from refimpl.registry import all_specs

    return [spec, *(s for s in all_specs() if s.build is spec.build and s is not spec)]


def unclaimed(spec: OpSpec) -> list[DType]:
    """The candidate dtypes no value argument of ``spec`` (or of a sibling
    spec of the same function) claims."""
    claimed: set[DType] = set()
    for s in siblings(spec):
        value_args = [a for a in s.args if a.differentiable] or list(s.args)
        claimed |= {d for a in value_args for d in a.dtypes}
    out = [d for d in UNCLAIMED_CANDIDATES if d not in claimed]
    if any(kind(d) in "fc" for d in claimed) and "float64" in out:
        out.remove("float64")
    return out


def check_unclaimed_dtypes(t: Trial) -> None:
    """Building with a dtype the spec does not claim raises ``TypeError``."""
    spec, case = t.case.spec, t.case
    todo = unclaimed(spec)
    if not todo:
        raise CheckSkipped("every candidate dtype is claimed")
    value = [a.differentiable for a in spec.args]
    if not any(value):
        value = [True] * len(spec.args)
    for d in todo:
        dtypes = tuple(d if v else c for v, c in zip(value, case.dtypes))
        try:
            build(spec, dtypes, case.static_shapes, case.params)
        except TypeError:
            continue
        except Exception as exc:
            raise CheckFailed(
                f"{header(t, 'unclaimed_dtypes')}\nbuilding with {d} inputs raised "
                f"{type(exc).__name__} ({exc}), expected TypeError"
            ) from exc
        raise CheckFailed(
            f"{header(t, 'unclaimed_dtypes')}\nbuilding with {d} inputs (dtypes "
            f"{list(dtypes)}) succeeded, but the spec does not claim {d}: add it to the "
            "args' dtypes (and pass the checks) or reject it in make_node with TypeError"
        )


def check_claimed_dtypes(t: Trial) -> None:
    """Every claimed dtype combination builds, runs and returns the declared dtype."""
    spec = t.case.spec
    for combo in dtype_combos(spec):
        try:
            case = draw_case(spec, random_draw_int(random.Random(0)), "value", [combo])
        except SpecError as exc:
            raise CheckFailed(f"{header(t, 'claimed_dtypes')}\n{combo}: {exc}") from exc
        sub = Trial(case, t.backend, t.cache, t.mode)
        try:
            outs = sub.outputs
        except Exception as exc:
            raise CheckFailed(
                f"{header(sub, 'claimed_dtypes')}\nthe claimed dtypes {list(combo)} fail: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        for k, (o, y) in enumerate(zip(outs, sub.harness.ys)):
            if dtype_name(o) != y.dtype:
                raise CheckFailed(
                    f"{header(sub, 'claimed_dtypes')}\noutput {k} has dtype {dtype_name(o)}, "
                    f"declared {y.dtype}"
                )


CLAIM_CHECKS: Final[Mapping[str, CheckFn]] = {
    "claim_grad": check_claim_grad,
    "claim_rop": check_claim_rop,
    "unclaimed_dtypes": check_unclaimed_dtypes,
    "claimed_dtypes": check_claimed_dtypes,
}
