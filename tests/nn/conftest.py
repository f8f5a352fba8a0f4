"""Fixtures of the nn tests: every value test runs on numpy and on
array-api-strict (the strict namespace rejects anything outside the array
API standard, e.g. a missing ``device=`` or implicit promotion)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import refimpl

BACKENDS = ("numpy", "array_api_strict")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _float64_default() -> Iterator[None]:
    old = refimpl.config.floatX
    refimpl.config.floatX = "float64"
    try:
        yield
    finally:
        refimpl.config.floatX = old
