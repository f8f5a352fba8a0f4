"""Timing, memory and reporting for the benchmarks.

- ``time_pair`` times two callables (refimpl and hand-written numpy) the same
  way: one warm-up call each, a loop count chosen so a batch lasts at least
  ``Scale.min_time``, then ``Scale.repeat`` batches of each, alternating
  (unless ``interleave=False``), with the cyclic garbage collector off
  during a batch (as ``timeit`` does). The figure is the median time per
  call.
- ``peak_bytes`` measures the peak of traced allocations during one call with
  ``tracemalloc`` (numpy reports its data buffers to tracemalloc, so arrays
  count), relative to what was allocated before the call.
- ``Result`` is one line of the report; ``Target`` a goal it is checked
  against (a ratio refimpl/numpy or an absolute value).

No test ever asserts on these numbers (tests/test_bench_smoke.py only runs
each case once at a tiny size).
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import bench

# ---------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    """How hard to measure: ``repeat`` batches of at least ``min_time`` s."""

    name: Literal["full", "quick", "tiny"]
    repeat: int
    min_time: float


SCALES: dict[str, Scale] = {
    "full": Scale("full", repeat=7, min_time=0.1),
    "quick": Scale("quick", repeat=5, min_time=0.02),
    "tiny": Scale("tiny", repeat=1, min_time=0.0),
}


class Skip(Exception):
    """A benchmark that cannot run here (a feature refimpl lacks so far)."""


class Mismatch(AssertionError):
    """refimpl and the hand-written numpy disagree: the timing is meaningless."""


@dataclass
class Ctx:
    """What a case receives: the scale, and where its results go."""

    scale: Scale
    results: list[Result] = field(default_factory=list)
    emit: Callable[[Result], None] | None = None

    def pick(self, full: Any, quick: Any, tiny: Any) -> Any:
        """The size for this scale."""
        return {"full": full, "quick": quick, "tiny": tiny}[self.scale.name]

    @property
    def tiny(self) -> bool:
        return self.scale.name == "tiny"

    def add(self, result: Result) -> Result:
        self.results.append(result)
        if self.emit is not None:
            self.emit(result)
        return result


# ---------------------------------------------------------------- targets and results


@dataclass(frozen=True)
class Target:
    """``kind='ratio'``: refimpl/numpy <= limit; ``kind='value'``: refimpl <= limit."""

    kind: Literal["ratio", "value"]
    limit: float
    text: str

    def met(self, value: float, ratio: float | None) -> bool | None:
        got = ratio if self.kind == "ratio" else value
        if got is None or math.isnan(got):
            return None
        return got <= self.limit


@dataclass
class Result:
    """One measured figure. ``unit`` is ``'s'`` (seconds per call), ``'B'``
    (bytes) or ``'s/node'``; ``numpy`` is the hand-written figure, if any."""

    name: str
    refimpl: float
    unit: str = "s"
    numpy: float | None = None
    target: Target | None = None
    note: str = ""
    met: bool | None = None
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.numpy is not None and self.numpy > 0:
            self.ratio = self.refimpl / self.numpy
        if self.target is not None:
            self.met = self.target.met(self.refimpl, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["target"] = None if self.target is None else self.target.text
        return d


# ---------------------------------------------------------------- timing

CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
_clock: list[Callable[[], float]] = [time.perf_counter]


def use_clock(name: str) -> None:
    """Time with ``'wall'`` (``perf_counter``, the default) or ``'cpu'``
    (``process_time``: this process's CPU time, which other processes
    competing for the cores do not inflate; equal to wall time for this
    single-threaded work on an idle machine)."""
    _clock[0] = CLOCKS[name]


def now() -> float:
    """The current reading of the chosen clock (seconds)."""
    return _clock[0]()


def clock_name() -> str:
    return next(k for k, v in CLOCKS.items() if v is _clock[0])


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batch(fn: Callable[[], Any], number: int) -> float:
    clock = _clock[0]
    with _no_gc():
        t0 = clock()
        for _ in range(number):
            fn()
        return clock() - t0


def _loops(fn: Callable[[], Any], min_time: float) -> int:
    """A loop count whose batch lasts at least ``min_time`` seconds."""
    number = 1
    while True:
        t = _batch(fn, number)
        if t >= min_time or number >= 1_000_000:
            return number
        number = max(number * 2, int(number * min_time / max(t, 1e-9) * 1.1))


SETTLE = 2
"""Untimed calls before each interleaved batch: a call's cost can depend on
what the other side left in the allocator (freed large buffers)."""


def time_pair(
    a: Callable[[], Any], b: Callable[[], Any] | None, scale: Scale, interleave: bool = True
) -> tuple[float, float | None]:
    """Median seconds per call of ``a`` and ``b`` (see the module doc).

    ``interleave=False`` runs all of ``a``'s batches, then all of ``b``'s:
    for calls whose cost depends on the allocator's state (fresh pages for
    large arrays), each side is then timed in its own steady state, as in a
    loop calling it alone."""
    fns = [f for f in (a, b) if f is not None]
    if scale.name == "tiny":
        for f in fns:  # warm-up
            f()
        times = [_batch(f, 1) for f in fns]
        return times[0], (times[1] if b is not None else None)
    samples: list[list[float]] = [[] for _ in fns]
    if interleave:
        for f in fns:  # warm-up
            f()
        numbers = [_loops(f, scale.min_time) for f in fns]
        for _ in range(scale.repeat):
            for k, f in enumerate(fns):
                for _ in range(SETTLE):  # untimed: let the allocator settle after the other side
                    f()
                samples[k].append(_batch(f, numbers[k]) / numbers[k])
    else:
        for k, f in enumerate(fns):
            f()
            number = _loops(f, scale.min_time)
            samples[k] = [_batch(f, number) / number for _ in range(scale.repeat)]
    meds = [statistics.median(s) for s in samples]
    return meds[0], (meds[1] if b is not None else None)


def time_once(fn: Callable[[], Any], scale: Scale, warmup: bool = True) -> float:
    """Median seconds of single calls of ``fn`` (for slow things such as
    compiling a graph), ``scale.repeat`` calls after one warm-up call."""
    if warmup:
        fn()
    n = 1 if scale.name == "tiny" else scale.repeat
    return statistics.median(_batch(fn, 1) for _ in range(n))


def peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak traced allocation (bytes) during one call of ``fn``, its result
    included, above what was allocated before the call."""
    gc.collect()
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        if not started:
            tracemalloc.stop()
    return peak - base


# ---------------------------------------------------------------- formatting


def fmt_value(value: float | None, unit: str) -> str:
    """``1.23 ms``, ``4.5 µs``, ``80.0 MB``."""
    if value is None or math.isnan(value):
        return "-"
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    if unit == "1":
        return f"{value:.3g}"
    suffix = "/node" if unit == "s/node" else ""
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {name}{suffix}"
    return f"{value * 1e9:.3g} ns{suffix}"


def fmt_result(r: Result) -> str:
    ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
    status = {True: "met", False: "NOT MET", None: ""}[r.met]
    target = f"[{r.target.text}: {status}]" if r.target is not None else ""
    line = (
        f"  {r.name:<44} {fmt_value(r.refimpl, r.unit):>12} {fmt_value(r.numpy, r.unit):>12} "
        f"{ratio:>8}  {target}"
    )
    if r.note:
        line += f"  ({r.note})"
    return line.rstrip()


HEADER = f"  {'benchmark':<44} {'refimpl':>12} {'numpy':>12} {'ratio':>8}  target"


# ---------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (printed before a run, and in --json)."""
    import numpy as np

    import refimpl

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numpy": np.__version__,
        "blas": _blas_name(np),
        "refimpl": refimpl.__version__,
        "git": _git_revision(),
        "threads": {v: os.environ.get(v) for v in bench.THREAD_VARS},
        "threads_pinned": not bench.NUMPY_PREIMPORTED,
        "load_average": _load(),
        "clock": clock_name(),
    }
    return info


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):  # not on every platform
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_name(np: Any) -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        return "unknown"


def _git_revision() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


def format_machine(info: dict[str, Any]) -> str:
    threads = ", ".join(f"{k}={v}" for k, v in info["threads"].items())
    pinned = "" if info["threads_pinned"] else " (NOT pinned: numpy was imported before bench)"
    return "\n".join(
        [
            f"machine: {info['cpu']}, {info['cpus_usable']} usable cores of "
            f"{info['cpu_count']}; {info['platform']}",
            f"python {info['python']} ({info['implementation']}), numpy {info['numpy']} "
            f"(BLAS: {info['blas']}), refimpl {info['refimpl']} at {info['git']}",
            f"threads: {threads}{pinned}",
            f"load average (1/5/15 min): {info['load_average']}; clock: {info['clock']}",
        ]
    )
