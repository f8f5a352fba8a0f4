"""``refimpl.testing``: property checks for ops, graphs and namespaces.

The registry-driven suite (tests/properties) and users share this API
(spec/testing.md is the method; docs/testing.md the guide):

- strategies (hypothesis): ``cases``, ``shapes``, ``arrays_for``,
  ``directions``, and ``given_group`` to run a check group under ``@given``;
- checkers: ``check_op`` (every check of one spec, or of an Op / a function
  with inferred defaults), ``check_grad`` and ``check_rop_lop`` (derivatives
  of a function at given points), ``check_backend`` (every registered spec
  on a namespace against the numpy references);
- results: ``Report`` / ``Outcome`` (JSON-serialisable), ``ChecksFailed``;
- the float64 finite-difference primitive ``numeric_jvp``.

hypothesis is needed only by the strategies (imported when first used).
"""

from __future__ import annotations

from refimpl.testing.api import check_grad, check_op, check_rop_lop, graph_reference, spec_for
from refimpl.testing.cases import Case, SpecError, draw_case, dtype_combos
from refimpl.testing.fd import FDInconclusive, FDNonFinite, FDResult, numeric_jvp
from refimpl.testing.report import ChecksFailed, Outcome, Report
from refimpl.testing.runner import (
    ALL_CHECKS,
    GROUPS,
    check_backend,
    load_xfails,
    run_group,
    select_specs,
)
from refimpl.testing.strategies import arrays_for, cases, directions, given_group, shapes

__all__ = [
    "ALL_CHECKS", "GROUPS", "Case", "ChecksFailed", "FDInconclusive", "FDNonFinite", "FDResult",
    "Outcome", "Report", "SpecError", "arrays_for", "cases", "check_backend", "check_grad",
    "check_op", "check_rop_lop", "directions", "draw_case", "dtype_combos", "given_group",
    "graph_reference", "load_xfails", "numeric_jvp", "run_group", "select_specs", "shapes",
    "spec_for",
]  # fmt: skip
