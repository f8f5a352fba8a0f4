"""The structured result of a check run: one ``Outcome`` per op x check.

A ``Report`` is JSON-serialisable (``to_dict``/``to_json``), prints as a
table (``format_table``), and ``raise_for_failures`` turns failures into a
``ChecksFailed`` error whose message gathers every failure's evidence.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

Status = Literal["passed", "failed", "skipped", "xfailed", "xpassed"]
FAILING: Final[frozenset[str]] = frozenset({"failed", "xpassed"})


class ChecksFailed(AssertionError):
    """Raised by ``check_op``/``Report.raise_for_failures`` when a check fails."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Outcome:
    """The verdict of one check of one spec over all examples.

    ``examples``: how many examples gave a verdict; ``rejected``: how many
    the finite difference could not judge; ``worst``: the largest error
    ratio (error / bound; above 1 fails) seen; ``message``: the failure's
    evidence, the skip reason or the xfail reason.
    """

    op: str
    check: str
    group: str
    status: Status
    examples: int = 0
    rejected: int = 0
    worst: float | None = None
    message: str = ""
    family: str = ""

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["worst"] is not None and d["worst"] != d["worst"]:  # NaN
            d["worst"] = None
        if d["worst"] == float("inf"):
            d["worst"] = "inf"
        return d


@dataclass
class Report:
    """Every outcome of a run, with the run's settings."""

    backend: str
    seed: int
    max_examples: int
    outcomes: list[Outcome] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(o.failing for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failing]

    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.outcomes)
        return {s: c.get(s, 0) for s in ("passed", "failed", "skipped", "xfailed", "xpassed")}

    def ops(self) -> list[str]:
        seen: dict[str, None] = {}
        for o in self.outcomes:
            seen.setdefault(o.op, None)
        return list(seen)

    def get(self, op: str, check: str) -> Outcome:
        for o in self.outcomes:
            if o.op == op and o.check == check:
                return o
        raise KeyError(f"no outcome for {op}::{check}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "duration_s": round(self.duration_s, 3),
            "ok": self.ok,
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def summary(self) -> str:
        c = self.counts()
        parts = ", ".join(f"{n} {s}" for s, n in c.items() if n)
        return f"refimpl check on {self.backend}: {len(self.ops())} ops, {parts or 'nothing run'}"

    def failure_text(self) -> str:
        blocks = []
        for o in self.failures:
            title = f"{o.op}::{o.check} {o.status.upper()}"
            blocks.append(f"{title}\n{o.message}")
        return "\n\n".join(blocks)

    def raise_for_failures(self) -> None:
        if not self.ok:
            raise ChecksFailed(f"{self.summary()}\n\n{self.failure_text()}", self)

    def format_table(self, show_passed: bool = True) -> str:
        """A plain-text table: one row per op, one column per check."""
        checks: dict[str, None] = {}
        for o in self.outcomes:
            checks.setdefault(o.check, None)
        cols = list(checks)
        rows = []
        for op in self.ops():
            mine = {o.check: o for o in self.outcomes if o.op == op}
            if not show_passed and not any(o.failing for o in mine.values()):
                continue
            rows.append([op, *(_cell(mine.get(c)) for c in cols), _worst(mine.values())])
        header = ["op", *cols, "worst"]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths))]
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)


SYMBOL: Final[dict[str, str]] = {
    "passed": "ok", "failed": "FAIL", "skipped": "-", "xfailed": "xf", "xpassed": "XPASS",
}  # fmt: skip


def _cell(o: Outcome | None) -> str:
    return "" if o is None else SYMBOL[o.status]


def _worst(outcomes: Any) -> str:
    vals = [o.worst for o in outcomes if o.worst is not None and o.status != "skipped"]
    return f"{max(vals):.2g}" if vals else ""
