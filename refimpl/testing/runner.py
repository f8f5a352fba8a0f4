"""Running check groups: ``run_checks`` (one trial), ``run_group`` (one spec,
one group, drawn examples), ``check_backend`` (every spec on a namespace)
and the strict xfail bookkeeping shared with the pytest suite.

Groups (spec/testing.md): ``value`` (value, dtype, backend, infer_shape,
broadcast, no_mutation, determinism), ``first_order`` (rop, lop, adjoint,
linearity, grad, rop_via_lop), ``second_order`` (second_order, hvp_fd,
hessian_symmetry) and ``claims`` (claim_grad, claim_rop, unclaimed_dtypes,
claimed_dtypes). One draw is shared by all checks of a group.
"""

from __future__ import annotations

import random
import re
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Final

from refimpl.backend import Backend, resolve_backend
from refimpl.opspec import OpSpec
from refimpl.testing.cases import (
    Purpose,
    SpecError,
    ad_combos,
    draw_case,
    dtype_combos,
    random_draw_int,
    widen,
)
from refimpl.testing.checks import VALUE_CHECKS, CheckFailed, CheckFn, CheckSkipped
from refimpl.testing.checks_ad import FIRST_ORDER_CHECKS, SECOND_ORDER_CHECKS
from refimpl.testing.claims import CLAIM_CHECKS
from refimpl.testing.fd import FDInconclusive, FDNonFinite
from refimpl.testing.harness import HarnessCache
from refimpl.testing.report import Outcome, Report
from refimpl.testing.trial import Trial
from refimpl.types import DType

GROUPS: Final[dict[str, Mapping[str, CheckFn]]] = {
    "value": VALUE_CHECKS,
    "first_order": FIRST_ORDER_CHECKS,
    "second_order": SECOND_ORDER_CHECKS,
    "claims": CLAIM_CHECKS,
}
PURPOSE: Final[dict[str, Purpose]] = {
    "value": "value", "first_order": "grad", "second_order": "grad", "claims": "value",
}  # fmt: skip
ALL_CHECKS: Final[tuple[str, ...]] = tuple(c for g in GROUPS.values() for c in g)
DEFAULT_MODE: Final = "FAST_COMPILE"


# --------------------------------------------------------------------------- one trial


@dataclass
class CheckResult:
    """One check on one example: ``passed``/``failed``/``skipped``/``rejected``."""

    status: str
    ratio: float | None = None
    message: str = ""


def run_checks(trial: Trial, checks: Mapping[str, CheckFn]) -> dict[str, CheckResult]:
    """Run ``checks`` on one trial; exceptions become failures with evidence."""
    out: dict[str, CheckResult] = {}
    for name, fn in checks.items():
        try:
            ratio = fn(trial)
        except CheckFailed as exc:
            out[name] = CheckResult("failed", exc.worst, str(exc))
        except CheckSkipped as exc:
            out[name] = CheckResult("skipped", None, str(exc))
        except FDInconclusive as exc:
            out[name] = CheckResult("rejected", None, str(exc))
        except FDNonFinite as exc:
            out[name] = CheckResult("failed", None, _error_text(trial, name, exc))
        except Exception as exc:
            out[name] = CheckResult("failed", None, _error_text(trial, name, exc))
        else:
            out[name] = CheckResult("passed", ratio)
    return out


def _error_text(trial: Trial, check: str, exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {tb[-1].filename}:{tb[-1].lineno})" if tb else ""
    notes = "".join(f"\n{n}" for n in getattr(exc, "__notes__", []))
    return (
        f"{trial.case.spec.name}::{check} on {trial.backend.name}: {trial.case.describe()}\n"
        f"raised {type(exc).__name__}: {exc}{where}{notes}"
    )


# --------------------------------------------------------------------------- groups


def group_combos(spec: OpSpec, group: str) -> list[tuple[DType, ...]]:
    """The dtype combinations a group draws from."""
    if group == "first_order":
        return ad_combos(spec)
    if group == "second_order":
        out: list[tuple[DType, ...]] = []
        for c in ad_combos(spec):
            w = tuple(widen(d) for d in c)
            if w not in out and not any(d.startswith("complex") for d in w):
                out.append(w)
        return out
    return dtype_combos(spec)


def group_skip_reason(spec: OpSpec, group: str) -> str | None:
    """Why a whole group does not apply to a spec (``None``: it applies)."""
    if group == "first_order":
        if not (spec.grad or spec.rop):
            return "the spec claims neither grad nor rop (the claims group checks they raise)"
    elif group == "second_order":
        if not (spec.grad and spec.second_order):
            return "the spec claims no second order"
    if not group_combos(spec, group):
        return "no differentiable (real float) dtype combination"
    return None


def examples_for(spec: OpSpec, base: int) -> int:
    """``max_examples`` scaled by ``spec.cost`` (at least 1)."""
    return max(1, round(base * spec.cost))


@dataclass
class _Agg:
    verdicts: int = 0
    rejected: int = 0
    worst: float | None = None
    failed: str | None = None
    skipped: str | None = None

    def add(self, r: CheckResult) -> None:
        if r.status == "rejected":
            self.rejected += 1
            return
        if r.status == "skipped":
            self.skipped = self.skipped or r.message
            return
        self.verdicts += 1
        if r.ratio is not None:
            self.worst = r.ratio if self.worst is None else max(self.worst, r.ratio)
        if r.status == "failed" and self.failed is None:
            self.failed = r.message


def xfail_reason(xfail: Mapping[str, str], spec: OpSpec, group: str, check: str) -> str | None:
    """The strict xfail reason for a check: ``spec.xfail`` or an entry of the
    namespace's list (keys ``check``, ``group`` or ``*`` for a spec; the
    namespace list uses ``spec::check``)."""
    for key in (check, group, "*"):
        if key in spec.xfail:
            return spec.xfail[key]
        if f"{spec.name}::{key}" in xfail:
            return xfail[f"{spec.name}::{key}"]
    return None


@dataclass
class GroupRun:
    """Settings of a run of groups (shared by every spec of a run)."""

    backend: Backend
    cache: HarnessCache = field(default_factory=HarnessCache)
    mode: str = DEFAULT_MODE
    xfail: Mapping[str, str] = field(default_factory=dict)


def run_group(
    spec: OpSpec,
    group: str,
    run: GroupRun,
    max_examples: int = 10,
    seed: int = 0,
    only: Sequence[str] | None = None,
) -> list[Outcome]:
    """Run one group of one spec on drawn examples (``random.Random``-driven,
    no hypothesis): the verdict per check over all examples. ``only``
    restricts the checks by name."""
    checks = {c: f for c, f in GROUPS[group].items() if only is None or c in only}
    if not checks:
        return []
    skip = group_skip_reason(spec, group)
    if skip is not None:
        return [Outcome(spec.name, c, group, "skipped", message=skip, family=spec.family)
                for c in checks]  # fmt: skip
    agg = {c: _Agg() for c in checks}
    rnd = random.Random(f"{seed}:{spec.name}:{group}")
    n = 1 if group == "claims" else examples_for(spec, max_examples)
    combos = group_combos(spec, group)
    for _ in range(n):
        todo = {c: f for c, f in checks.items() if agg[c].failed is None}
        if not todo:
            break
        draw = random_draw_int(random.Random(0) if group == "claims" else rnd)
        try:
            case = draw_case(spec, draw, PURPOSE[group], combos)
        except SpecError as exc:
            for c in todo:
                agg[c].add(CheckResult("failed", None, f"{spec.name}: spec error: {exc}"))
            break
        for c, r in run_checks(Trial(case, run.backend, run.cache, run.mode), todo).items():
            agg[c].add(r)
    return [_outcome(spec, group, c, agg[c], run.xfail) for c in checks]


def _outcome(spec: OpSpec, group: str, check: str, a: _Agg, xfail: Mapping[str, str]) -> Outcome:
    reason = xfail_reason(xfail, spec, group, check)
    base = dict(op=spec.name, check=check, group=group, examples=a.verdicts,
                rejected=a.rejected, worst=a.worst, family=spec.family)  # fmt: skip
    if a.failed is not None:
        if reason is not None:
            return Outcome(**base, status="xfailed", message=reason)  # type: ignore[arg-type]
        return Outcome(**base, status="failed", message=a.failed)  # type: ignore[arg-type]
    if a.verdicts == 0:
        why = a.skipped or ("finite differences inconclusive in every example" if a.rejected
                            else "no example")  # fmt: skip
        return Outcome(**base, status="skipped", message=why)  # type: ignore[arg-type]
    if reason is not None:
        msg = f"strict xfail passed ({reason}): remove the xfail entry"
        return Outcome(**base, status="xpassed", message=msg)  # type: ignore[arg-type]
    return Outcome(**base, status="passed")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- xfail files


def load_xfails(path: str | Path) -> dict[str, str]:
    """Read a namespace's xfail list: lines ``spec_name::check  # reason``
    (``#`` starts the reason; blank lines and lines starting with ``#`` are
    ignored). Every entry must carry a reason."""
    out: dict[str, str] = {}
    p = Path(path)
    if not p.exists():
        return out
    for n, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition("#")
        key, reason = key.strip(), reason.strip()
        if "::" not in key or not reason:
            raise ValueError(f"{p}:{n}: expected 'spec_name::check  # reason', got {raw!r}")
        out[key] = reason
    return out


# --------------------------------------------------------------------------- check_backend


def select_specs(specs: Iterable[OpSpec], ops: str | Sequence[str] | None) -> list[OpSpec]:
    """Specs whose name (or family) matches ``ops``: a regular expression,
    a comma-separated list of names/globs, or a list of names."""
    items = list(specs)
    if ops is None:
        return items
    if isinstance(ops, str):
        pats = [p.strip() for p in ops.split(",") if p.strip()]
    else:
        pats = list(ops)
    regexes = [re.compile(_glob_or_regex(p)) for p in pats]
    return [s for s in items if any(r.fullmatch(s.name) or r.fullmatch(s.family) for r in regexes)]


def _glob_or_regex(p: str) -> str:
    if any(ch in p for ch in "^$()[]+\\|") or ".*" in p:
        return p
    return re.escape(p).replace(r"\*", ".*").replace(r"\?", ".")


def check_backend(
    backend: str | ModuleType | Backend | None = None,
    ops: str | Sequence[str] | None = None,
    max_examples: int = 20,
    seed: int = 0,
    *,
    specs: Iterable[OpSpec] | None = None,
    groups: Sequence[str] = tuple(GROUPS),
    xfail: Mapping[str, str] | None = None,
    mode: str = DEFAULT_MODE,
    only: Sequence[str] | None = None,
    progress: Callable[[OpSpec, list[Outcome]], None] | None = None,
) -> Report:
    """Run every registered spec's checks (or those ``ops`` selects) on the
    namespace ``backend``, comparing values with the numpy references and
    derivatives with float64 finite differences on numpy. Returns a
    JSON-serialisable ``Report`` (it does not raise on failures).

    ``specs`` replaces the registry (e.g. your own specs); ``groups`` and
    ``only`` (check names) restrict what runs; ``xfail`` maps
    ``"spec::check"`` to a reason (strict); ``progress`` is called after
    each spec with its outcomes."""
    from refimpl.registry import all_specs

    be = resolve_backend(backend)
    chosen = select_specs(all_specs() if specs is None else specs, ops)
    run = GroupRun(be, HarnessCache(), mode, dict(xfail or {}))
    report = Report(be.name, seed, max_examples)
    t0 = time.perf_counter()
    for spec in chosen:
        outs: list[Outcome] = []
        for g in groups:
            outs += run_group(spec, g, run, max_examples, seed, only)
        report.outcomes += outs
        if progress is not None:
            progress(spec, outs)
    report.duration_s = time.perf_counter() - t0
    return report
