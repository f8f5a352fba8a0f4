"""Call overhead of a compiled ``x + y`` (scalars and length-10 vectors).

refimpl: ``function([x, y], x + y)`` under FAST_RUN (plain, and with
``trust_input=True``) and FAST_COMPILE (plain and ``trust_input``); the
arguments are numpy arrays of the input's dtype (0-d for scalars), and for
scalars also Python floats. numpy: ``a + b`` on the same arrays.
Target: a FAST_RUN call costs at most 4 µs (PyTensor 3.0.7: 8-12 µs plain,
3.0 µs with ``trust_input``, pytensor-anchor.md §7).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.harness import Ctx, Mismatch, Result, Target, time_pair

OVERHEAD_TARGET = Target("value", 4e-6, "<= 4 µs")

CONFIGS = (
    ("FAST_RUN", False),
    ("FAST_RUN", True),
    ("FAST_COMPILE", False),
    ("FAST_COMPILE", True),
)


def _label(mode: str, trust: bool) -> str:
    return mode + (", trust_input" if trust else "")


def _measure(ctx: Ctx, kind: str, x: Any, y: Any, a: Any, b: Any) -> None:
    for mode, trust in CONFIGS:
        f = refimpl.function([x, y], x + y, mode=mode, trust_input=trust, backend="numpy")
        got = f(a, b)
        if not np.array_equal(np.asarray(got), a + b):
            raise Mismatch(f"x + y under {mode}: {got!r} != {a + b!r}")
        t_ref, t_np = time_pair(partial(f, a, b), partial(np.add, a, b), ctx.scale)
        target = OVERHEAD_TARGET if mode == "FAST_RUN" else None
        ctx.add(Result(f"overhead.{kind} {_label(mode, trust)}", t_ref, numpy=t_np, target=target))


def scalar(ctx: Ctx) -> None:
    x, y = T.dscalars("x", "y")
    a, b = np.asarray(1.5), np.asarray(2.25)
    _measure(ctx, "scalar", x, y, a, b)
    f = refimpl.function([x, y], x + y, mode="FAST_RUN", backend="numpy")
    t_ref, t_np = time_pair(partial(f, 1.5, 2.25), partial(np.add, a, b), ctx.scale)
    ctx.add(
        Result("overhead.scalar FAST_RUN, python floats", t_ref, numpy=t_np,
               target=OVERHEAD_TARGET, note="numpy: a + b on 0-d arrays")
    )  # fmt: skip


def vector(ctx: Ctx) -> None:
    x, y = T.dvectors("x", "y")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(10), rng.standard_normal(10)
    _measure(ctx, "vector10", x, y, a, b)


CASES = (
    Case("overhead.scalar", scalar, "x + y on 0-d float64 arrays (and Python floats)"),
    Case("overhead.vector", vector, "x + y on length-10 float64 vectors"),
)
