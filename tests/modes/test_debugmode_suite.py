"""DebugMode in every CI run: the seed programmes and every registered
OpSpec's values, run under DebugMode (spec/debugmode.md, "Continuous
integration").

- Each ``foundation`` seed programme (tests/seeds/test_foundation_seeds.py)
  runs again with ``config.mode`` set to DebugMode, so every ``function``
  and ``eval`` in it is refereed: all checks, FAST_RUN's rewrites against
  the graph as written. Programmes that compute NaN/Inf on purpose must
  raise ``NonFiniteError`` under the default DebugMode and pass with
  ``check_isfinite=False``.
- Each spec of the registry is compiled under DebugMode on a few drawn
  examples (the property suite's inputs) and its outputs compared with the
  spec's reference; examples whose reference is not finite run with
  ``check_isfinite=False``.
"""

from __future__ import annotations

import importlib
import inspect
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import refimpl
from refimpl import config, function
from refimpl.modes.debug import DebugMode, DebugModeError, NonFiniteError
from refimpl.opspec import OpSpec
from refimpl.registry import all_specs
from refimpl.testing.cases import Case, draw_case, random_draw_int
from refimpl.testing.checks import as_outputs, compare
from refimpl.testing.harness import build

SEEDS = importlib.import_module("tests.seeds.test_foundation_seeds")

SKIPPED_SEEDS = {
    "test_003_13_flags_from_environment": "runs fresh interpreters: config, not DebugMode",
    "test_003_16_rc_file_and_precedence": "runs fresh interpreters: config, not DebugMode",
}
NONFINITE_SEEDS = {
    "test_003_21a_divide_by_zero_fast_run": "10 / x at x = 0 is inf (seed 003-21b)",
    "test_003_63_comparisons_and_conditions": "isnan/isinf of NaN and inf inputs",
}
SEED_TESTS: list[tuple[str, Callable[..., Any]]] = [
    (name, fn)
    for name, fn in vars(SEEDS).items()
    if name.startswith("test_") and inspect.isfunction(fn) and name not in SKIPPED_SEEDS
]


@pytest.fixture
def debug_config() -> Iterator[None]:
    old_mode, old_floatx = config.mode, config.floatX
    config.floatX = "float64"
    try:
        yield
    finally:
        config.mode, config.floatX = old_mode, old_floatx


def _call_seed(fn: Callable[..., Any], request: pytest.FixtureRequest) -> None:
    kwargs = {p: request.getfixturevalue(p) for p in inspect.signature(fn).parameters}
    fn(**kwargs)


@pytest.mark.usefixtures("debug_config")
@pytest.mark.parametrize(("name", "fn"), SEED_TESTS, ids=[n for n, _ in SEED_TESTS])
def test_seed_under_debugmode(
    name: str, fn: Callable[..., Any], request: pytest.FixtureRequest
) -> None:
    config.mode = "DebugMode"
    if name in NONFINITE_SEEDS:
        with pytest.raises(NonFiniteError):
            _call_seed(fn, request)
        config.mode = DebugMode(check_isfinite=False)
    try:
        _call_seed(fn, request)
    except DebugModeError:
        raise
    except Exception as exc:  # a failure of the programme itself, or of DebugMode?
        config.mode = "FAST_RUN"
        try:
            _call_seed(fn, request)
        except Exception:
            pytest.skip(f"{name} fails without DebugMode too: {type(exc).__name__}: {exc}")
        raise


# --------------------------------------------------------------------------- specs

SPECS = all_specs()
EXAMPLES = 3
NONFINITE_BY_DESIGN = {
    "random_choice_p": "exponential races: -log1p(-u) / p is +inf where a weight p is 0",
}
"""Specs whose graphs compute NaN/Inf intermediates on purpose: their
examples run with ``check_isfinite=False``."""


def _finite(arrays: list[Any]) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays if np.asarray(a).dtype.kind in "fc")


def _plain_run(spec: OpSpec, case: Case, backend: str) -> list[np.ndarray]:
    """The reference outputs; skip when the spec fails without DebugMode
    (the property suite reports that)."""
    try:
        xs, ys = build(spec, case.dtypes, case.static_shapes, case.params)
        f = function(xs, ys, mode="FAST_COMPILE", backend=backend, on_unused_input="ignore")
        f(*(v.copy() for v in case.values))
        return as_outputs(spec.ref(*(v.copy() for v in case.values), **case.params))
    except Exception as exc:
        pytest.skip(f"{spec.name} fails without DebugMode too: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_spec_values_under_debugmode(spec: OpSpec, backend_name: str) -> None:
    rnd = random.Random(f"debugmode:{spec.name}")
    for _ in range(EXAMPLES):
        case = draw_case(spec, random_draw_int(rnd))
        ref = _plain_run(spec, case, backend_name)
        finite = _finite(list(case.values)) and _finite(ref)
        mode = DebugMode(check_isfinite=finite and spec.name not in NONFINITE_BY_DESIGN)
        xs, ys = build(spec, case.dtypes, case.static_shapes, case.params)
        f = function(xs, ys, mode=mode, backend=backend_name, on_unused_input="ignore")
        outs = f(*(v.copy() for v in case.values))
        for k, (y, out, expected) in enumerate(zip(ys, outs, ref)):
            got = np.asarray(refimpl.backend.to_numpy(out))
            _, text = compare(spec, got, expected, y.dtype, f"output {k}")
            assert text is None, f"{spec.name} {case.describe()}: {text}"
