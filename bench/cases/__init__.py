"""The benchmark cases, one module per group; each module has ``CASES``.

A ``Case`` is a name (``group.case``) and a function ``run(ctx)`` that adds
``Result`` records to ``ctx`` (``bench.harness``) or raises ``Skip`` with the
reason (a refimpl feature that does not exist yet).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import Ctx

GROUPS = ("overhead", "logreg", "mlp", "hvp", "rnn", "convnet", "compile", "memory")
"""The case modules, in the order a run goes through them."""


@dataclass(frozen=True)
class Case:
    """One benchmark: ``run(ctx)`` measures and adds results to ``ctx``."""

    name: str
    run: Callable[[Ctx], None]
    doc: str = ""

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]


def all_cases() -> list[Case]:
    """Every case of every group, in run order."""
    out: list[Case] = []
    for group in GROUPS:
        module = importlib.import_module(f"bench.cases.{group}")
        out.extend(module.CASES)
    return out


def select(cases: list[Case], names: list[str]) -> list[Case]:
    """The cases named (a group name, a full case name, or a prefix of one)."""
    if not names:
        return cases
    chosen = [
        c for c in cases if any(c.name == n or c.group == n or c.name.startswith(n) for n in names)
    ]
    if not chosen:
        known = ", ".join(sorted({c.group for c in cases} | {c.name for c in cases}))
        raise SystemExit(f"--only {','.join(names)}: no such benchmark; known: {known}")
    return chosen
