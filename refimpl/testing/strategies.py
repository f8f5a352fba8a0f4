"""Hypothesis strategies for op specs, and the hypothesis driver of a check group.

``cases(spec)`` draws a whole ``Case`` (shapes through ``spec.shapes`` with
``draw_int`` backed by ``st.integers``, params, a dtype combination, a seed,
and values built from the seed, safe by construction); ``shapes``,
``arrays_for`` and ``directions`` draw the parts. ``given_group`` runs one
check group of a spec under ``@given`` with the loaded settings profile
(``max_examples`` scaled by ``spec.cost``), shrinking on failure and
enforcing strict xfails — the generated suite and users' own tests call it.

hypothesis is imported when a strategy is first built, so ``refimpl.testing``
imports without it (``refimpl check`` does not need it).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from refimpl.backend import Backend, resolve_backend
from refimpl.opspec import Arg, OpSpec, Shape
from refimpl.testing.cases import (
    SEED_MAX,
    Case,
    Purpose,
    arg_values,
    draw_case,
    gaussian_like,
    make_values,
)
from refimpl.types import DType

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

NDArray = np.ndarray[Any, Any]


def _st() -> Any:
    return importlib.import_module("hypothesis.strategies")


def cases(
    spec: OpSpec, purpose: Purpose = "value", combos: Sequence[tuple[DType, ...]] | None = None
) -> SearchStrategy[Case]:
    """Whole cases of ``spec``: shapes, params, dtypes, seed and values."""
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def draw(d: Any) -> Case:
        return draw_case(spec, lambda lo, hi: d(st.integers(lo, hi)), purpose, combos)

    return draw()  # type: ignore[no-any-return]


def shapes(spec: OpSpec) -> SearchStrategy[tuple[Shape, ...]]:
    """The argument shapes ``spec.shapes`` draws."""
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def draw(d: Any) -> tuple[Shape, ...]:
        return tuple(tuple(s) for s in spec.shapes(lambda lo, hi: d(st.integers(lo, hi))))

    return draw()  # type: ignore[no-any-return]


def arrays_for(
    what: OpSpec | Arg,
    shape: Shape | None = None,
    dtype: DType | None = None,
    *,
    purpose: Purpose = "value",
) -> SearchStrategy[Any]:
    """Input values, safe by construction. For a spec: a tuple with one array
    per argument (shapes and params drawn); for an ``Arg``: one array of
    ``shape`` (default: drawn, up to 3 axes of length 1..4) and ``dtype``
    (default: the arg's first)."""
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def draw(d: Any) -> Any:
        seed = d(st.integers(0, SEED_MAX))
        if isinstance(what, OpSpec):
            shp = what.shapes(lambda lo, hi: d(st.integers(lo, hi)))
            params = what.params(lambda lo, hi: d(st.integers(lo, hi)), shp) if what.params else {}
            dts = tuple(a.dtypes[0] for a in what.args)
            return make_values(what, shp, params, dts, seed, purpose)
        shp2 = (
            shape
            if shape is not None
            else tuple(d(st.integers(1, 4)) for _ in range(d(st.integers(0, 3))))
        )
        rng = np.random.default_rng(seed)
        return arg_values(what, shp2, dtype or what.dtypes[0], rng, purpose)

    return draw()  # type: ignore[no-any-return]


def directions(like: Sequence[NDArray], unit: bool = True) -> SearchStrategy[list[NDArray]]:
    """Gaussian directions shaped like ``like`` from a drawn seed (never
    shrunk to a vacuous zero direction); ``unit`` scales them to unit norm."""
    st = _st()
    return st.integers(0, SEED_MAX).map(  # type: ignore[no-any-return]
        lambda s: gaussian_like(like, np.random.default_rng(s), unit)
    )


# --------------------------------------------------------------------------- driver


@dataclass
class _Tally:
    """What a hypothesis-driven group run saw: which checks gave a verdict,
    which strict xfails failed as expected."""

    xfails: dict[str, str]
    verdicts: set[str] = field(default_factory=set)
    failed_xfails: set[str] = field(default_factory=set)

    def record(self, results: Mapping[str, Any]) -> list[str]:
        """Note one example's results; return the unexpected failures' evidence."""
        from hypothesis import target

        messages = []
        for name, r in results.items():
            if r.status in ("passed", "failed"):
                self.verdicts.add(name)
            if r.status == "passed" and r.ratio is not None and math.isfinite(r.ratio):
                target(float(r.ratio), label=name)  # steer generation toward the bound
            if r.status == "failed":
                if name in self.xfails:
                    self.failed_xfails.add(name)
                else:
                    messages.append(r.message)
        return messages

    def stale(self, spec: OpSpec) -> str | None:
        """The XPASS text for xfailed checks that never failed."""
        stale = sorted(c for c in self.xfails if c in self.verdicts and c not in self.failed_xfails)
        if not stale:
            return None
        return "XPASS(strict): " + "; ".join(
            f"{spec.name}::{c} passed but is marked xfail ({self.xfails[c]})" for c in stale
        )


def given_group(
    spec: OpSpec,
    group: str,
    *,
    backend: str | Backend | None = None,
    xfail: Mapping[str, str] | None = None,
    cache: Any = None,
    mode: str | None = None,
    max_examples: int | None = None,
) -> None:
    """Run the check group ``group`` of ``spec`` under hypothesis.

    One draw per example is shared by the group's checks. A failing check
    raises ``AssertionError`` (after shrinking) with its evidence; a check
    with a strict xfail must fail in some example, else ``AssertionError``
    (XPASS). Raises ``CheckSkipped`` when the group does not apply.
    ``max_examples`` defaults to the loaded profile's, scaled by ``spec.cost``.
    """
    from hypothesis import given, settings

    from refimpl.testing import runner as R
    from refimpl.testing.checks import CheckSkipped
    from refimpl.testing.harness import HarnessCache
    from refimpl.testing.trial import Trial

    reason = R.group_skip_reason(spec, group)
    if reason is not None:
        raise CheckSkipped(reason)
    be = resolve_backend(backend)
    checks = R.GROUPS[group]
    tally = _Tally(
        {c: r for c in checks if (r := R.xfail_reason(xfail or {}, spec, group, c)) is not None}
    )
    store = cache if cache is not None else HarnessCache()
    base = settings.default.max_examples if settings.default is not None else 100

    @settings(settings.default, max_examples=max_examples or R.examples_for(spec, base))
    @given(cases(spec, R.PURPOSE[group], R.group_combos(spec, group)))
    def run(case: Case) -> None:
        trial = Trial(case, be, store, mode or R.DEFAULT_MODE)
        messages = tally.record(R.run_checks(trial, checks))
        if messages:
            raise AssertionError("\n\n".join(messages))

    inner = run.hypothesis.inner_test  # type: ignore[attr-defined]
    inner._hypothesis_internal_add_digest = f"{spec.name}:{group}:{be.name}".encode()
    run()
    xpass = tally.stale(spec)
    if xpass is not None:
        raise AssertionError(xpass)
