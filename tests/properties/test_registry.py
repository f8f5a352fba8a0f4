"""The registry is complete and consistent: every Op class is covered by a
spec, spec names are unique, xfail entries name real checks, and every spec
can draw its inputs (shape rule, params, values) for every dtype
combination."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from refimpl.opspec import OpSpec
from refimpl.registry import all_specs, op_classes
from refimpl.testing.cases import SpecError, draw_case, random_draw_int
from refimpl.testing.runner import ALL_CHECKS, GROUPS, group_combos, load_xfails

SPECS = all_specs()
HERE = Path(__file__).parent


def test_every_op_class_has_a_spec() -> None:
    covered = {c for s in SPECS for c in s.op_classes}
    missing = sorted(f"{c.__module__}.{c.__qualname__}" for c in op_classes() if c not in covered)
    assert not missing, f"Op classes without an OpSpec (add one to their module's SPECS): {missing}"


def test_spec_names_are_unique() -> None:
    names = [s.name for s in SPECS]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"duplicate spec names: {dupes}"


def test_spec_xfail_keys_name_checks() -> None:
    known = set(ALL_CHECKS) | set(GROUPS) | {"*"}
    bad = {s.name: sorted(set(s.xfail) - known) for s in SPECS if set(s.xfail) - known}
    assert not bad, f"xfail keys that are not check or group names: {bad}"


@pytest.mark.parametrize("path", sorted(HERE.glob("xfail_*.txt")), ids=lambda p: p.name)
def test_namespace_xfail_files_are_current(path: Path) -> None:
    names = {s.name for s in SPECS}
    known = set(ALL_CHECKS) | set(GROUPS) | {"*"}
    entries = load_xfails(path)
    stale = [k for k in entries if k.split("::")[0] not in names or k.split("::")[1] not in known]
    assert not stale, f"{path.name}: entries naming no spec or check: {stale}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_spec_draws(spec: OpSpec) -> None:
    """A few deterministic draws per group succeed (no SpecError) and give
    one value per argument, of the claimed dtype (and the drawn shape, unless
    ``make_inputs`` decides it: symbolic inputs follow the values' shapes)."""
    for group, purpose in (("value", "value"), ("first_order", "grad")):
        combos = group_combos(spec, group)
        if not combos:
            continue
        for k in range(3):
            try:
                case = draw_case(spec, random_draw_int(random.Random(k)), purpose, combos)  # type: ignore[arg-type]
            except SpecError as exc:
                pytest.fail(f"{spec.name}: {exc}")
            assert len(case.values) == len(spec.args)
            for arg, v, d, s in zip(spec.args, case.values, case.dtypes, case.shapes):
                assert str(v.dtype) == d, f"{spec.name}: arg {arg.name} drawn as {v.dtype}, not {d}"
                if spec.make_inputs is None:  # make_inputs may decide its shapes
                    assert tuple(v.shape) == tuple(s), f"{spec.name}: arg {arg.name} shape"
