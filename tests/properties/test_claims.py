"""Claims are tested both ways (spec/testing.md, "Claims"): what a spec
says is unsupported (grad=False, rop=False, unclaimed dtypes) must raise;
every claimed dtype combination must build, run and return the declared
dtype. One deterministic case per spec (no hypothesis)."""

from __future__ import annotations

import pytest

import refimpl
from refimpl.opspec import OpSpec
from refimpl.registry import all_specs
from refimpl.testing.harness import HarnessCache
from refimpl.testing.runner import GroupRun, run_group

SPECS = all_specs()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_claims(
    spec: OpSpec, harness_cache: HarnessCache, namespace_xfails: dict[str, str]
) -> None:
    run = GroupRun(refimpl.resolve_backend(None), harness_cache, xfail=namespace_xfails)
    outcomes = run_group(spec, "claims", run)
    failing = [o for o in outcomes if o.failing]
    if failing:
        pytest.fail("\n\n".join(f"{o.op}::{o.check}: {o.message}" for o in failing), False)
