"""Test configuration: hypothesis profiles and the backend under test.

The whole suite runs on the backend named by ``config.backend``: set it with
``REFIMPL_FLAGS=backend=array_api_strict`` to run every test on
array-api-strict (CI runs the suite on numpy and on array-api-strict).

Hypothesis profiles: ``ci`` (loaded automatically when ``CI`` is set; few
examples, derandomized), ``dev`` (default locally), ``thorough`` (select with
``HYPOTHESIS_PROFILE=thorough`` for long runs).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    settings.get_profile("ci"),
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_report_header(config: pytest.Config) -> str:
    import refimpl

    return f"refimpl backend: {refimpl.config.backend}; floatX: {refimpl.config.floatX}"


@pytest.fixture
def backend_name() -> str:
    """The backend every compiled function of this run uses by default."""
    import refimpl

    return str(refimpl.config.backend)
