"""The generated property suite: every registered spec x check group.

One hypothesis draw per example is shared by the checks of a group
(refimpl.testing.given_group): ``value`` (value vs reference, dtype and
static type, namespace, infer_shape, broadcasting, no input mutation,
determinism), ``first_order`` (Rop/Lop vs float64 finite differences,
adjointness, linearity, gradient types, Rop vs Rop_via_Lop) and
``second_order`` (three Hessian-vector modes, FD of the gradient, symmetry).
The namespace is ``config.backend`` (REFIMPL_FLAGS=backend=...); strict
xfails come from the specs and from xfail_<backend>.txt.
"""

from __future__ import annotations

import pytest

import refimpl
from refimpl.opspec import OpSpec
from refimpl.registry import all_specs
from refimpl.testing import given_group
from refimpl.testing.checks import CheckSkipped
from refimpl.testing.harness import HarnessCache

SPECS = all_specs()
IDS = [s.name for s in SPECS]


def _run(spec: OpSpec, group: str, cache: HarnessCache, xfails: dict[str, str]) -> None:
    try:
        given_group(spec, group, backend=str(refimpl.config.backend), xfail=xfails, cache=cache)
    except CheckSkipped as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_value(spec: OpSpec, harness_cache: HarnessCache, namespace_xfails: dict[str, str]) -> None:
    _run(spec, "value", harness_cache, namespace_xfails)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_first_order(
    spec: OpSpec, harness_cache: HarnessCache, namespace_xfails: dict[str, str]
) -> None:
    _run(spec, "first_order", harness_cache, namespace_xfails)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_second_order(
    spec: OpSpec, harness_cache: HarnessCache, namespace_xfails: dict[str, str]
) -> None:
    _run(spec, "second_order", harness_cache, namespace_xfails)
