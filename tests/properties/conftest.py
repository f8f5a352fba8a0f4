"""Fixtures of the generated property suite: one compiled-function cache per
session, and the strict xfail list of the namespace under test
(``xfail_<backend>.txt`` beside this file)."""

from __future__ import annotations

from pathlib import Path

import pytest

import refimpl
from refimpl.testing.harness import HarnessCache
from refimpl.testing.runner import load_xfails

HERE = Path(__file__).parent


def xfail_file(backend: str) -> Path:
    return HERE / f"xfail_{backend}.txt"


@pytest.fixture(scope="session")
def harness_cache() -> HarnessCache:
    return HarnessCache()


@pytest.fixture(scope="session")
def namespace_xfails() -> dict[str, str]:
    """``spec::check -> reason`` for the backend selected by ``config.backend``."""
    return load_xfails(xfail_file(str(refimpl.config.backend)))
