"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl.backend import to_numpy


def np_(x: Any) -> np.ndarray[Any, Any]:
    """Any backend's array (or a list/dict of them) as numpy."""
    return to_numpy(x)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-12, atol: float = 0.0) -> None:
    np.testing.assert_allclose(to_numpy(actual), np.asarray(expected), rtol=rtol, atol=atol)
