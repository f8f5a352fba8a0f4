"""Large elementwise expressions on 10^7 float64: time and peak memory.

- ``a + a**10`` (seed 003-19's graph): refimpl FAST_RUN (``specialize``
  turns the power into multiplications, ``fusion`` makes one node) against
  numpy's ``a + a**10``, which calls ``pow``. Target: <= 0.1x numpy's time.
  numpy's ``pow`` is fast (SIMD) for positive bases and 20-40x slower for
  negative ones, so it is timed on both: ``a`` uniform in [-1.1, 1.1]
  (``mixed``) and in [0, 1.1] (``positive``).
- ``exp(a)*sin(a) + a**2``: against numpy's expression as written.

Each side is timed in its own run of calls (not interleaved): on a machine
where the kernel backs large arrays with transparent huge pages, the cost of
a fresh 80 MB buffer (its page faults) depends on what ran just before.

Peak memory is the peak of traced allocations during one call (the result
included; the input excluded), with ``tracemalloc``. numpy reuses a
temporary whose only reference is the expression's (its "temporary
elision"), so ``a + a**10`` needs only the result's 80 MB. Target for both:
refimpl's peak <= numpy's (within 0.1%: a call allocates a few small Python
objects too).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import refimpl
import refimpl.tensor as T
from bench.cases import Case
from bench.harness import Ctx, Mismatch, Result, Target, peak_bytes, time_pair

POW_TARGET = Target("ratio", 0.1, "<= 0.1x numpy")
MEMORY_TARGET = Target("ratio", 1.001, "<= numpy")

EXPRS: dict[str, tuple[str, Callable[[Any], Any], Callable[[np.ndarray], np.ndarray]]] = {
    "pow10": ("a + a**10", lambda a: a + a**10, lambda a: a + a**10),
    "expsin": (
        "exp(a)*sin(a) + a**2",
        lambda a: T.exp(a) * T.sin(a) + a**2,
        lambda a: np.exp(a) * np.sin(a) + a**2,
    ),
}


def compile_expr(name: str, mode: str) -> refimpl.Function:
    a = T.dvector("a")
    return refimpl.function([a], EXPRS[name][1](a), mode=mode, backend="numpy")


def _run(ctx: Ctx, name: str, time_target: Target | None, lows: tuple[float, ...]) -> None:
    n = ctx.pick(10**7, 10**7, 10**3)
    text, _, by_hand = EXPRS[name]
    f = compile_expr(name, "FAST_RUN")
    size = f"10^{len(str(n)) - 1} float64"
    for low in lows:
        a = np.random.default_rng(0).uniform(low, 1.1, n)
        got, want = f(a), by_hand(a)
        if got.dtype != want.dtype or not np.allclose(got, want, rtol=1e-12, atol=1e-12):
            raise Mismatch(f"{text}: refimpl differs from numpy")
        del got, want
        t_ref, t_np = time_pair(partial(f, a), partial(by_hand, a), ctx.scale, interleave=False)
        data = f"a in [{low:g}, 1.1]"
        label = "" if len(lows) == 1 else (" mixed" if low < 0 else " positive")
        ctx.add(Result(f"memory.{name}{label} time FAST_RUN", t_ref, numpy=t_np,
                       target=time_target, note=f"{text}, {size}, {data}"))  # fmt: skip
    m_ref, m_np = peak_bytes(lambda: f(a)), peak_bytes(lambda: by_hand(a))
    note = f"output alone: {a.nbytes / 1e6:.0f} MB"
    ctx.add(Result(f"memory.{name} peak FAST_RUN", m_ref, unit="B", numpy=m_np,
                   target=MEMORY_TARGET, note=note))  # fmt: skip


def pow10(ctx: Ctx) -> None:
    _run(ctx, "pow10", POW_TARGET, (-1.1, 0.0))


def expsin(ctx: Ctx) -> None:
    _run(ctx, "expsin", None, (-1.1,))


CASES = (
    Case("memory.pow10", pow10, "a + a**10 on 10^7 float64: time and peak memory"),
    Case("memory.expsin", expsin, "exp(a)*sin(a) + a**2 on 10^7 float64: time and peak memory"),
)
