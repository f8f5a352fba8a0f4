"""Helpers of the nn tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import refimpl
from refimpl.backend import to_numpy


def run(
    inputs: Sequence[Any], outputs: Any, *values: Any, backend: str = "numpy", mode: Any = None
) -> Any:
    """Compile and call; outputs as numpy arrays (a list for a list)."""
    f = refimpl.function(list(inputs), outputs, backend=backend, mode=mode)
    out = f(*values)
    if isinstance(out, list):
        return [np.asarray(to_numpy(o)) for o in out]
    return np.asarray(to_numpy(out))
